// The Tensor: shape/strides over a backend storage, plus the autograd node that made it.
// Ops live in ops.ts; this file holds the data model, views, conversion and backward().

import type { ArrayCtor, DType, ElemArray, Storage } from "./backends/types.js";
import {
  StorageRef, allocRef, readbackArray, backendImpl, isGradEnabled, keep, noGrad, trackInScope, trackOwner, untrackOwner,
} from "./runtime.js";
import * as ops from "./ops.js";
import * as ew from "./ops/elementwise.js";
import * as ew from "./ops/elementwise.js";
import { formatTensor } from "./format.js";
import { A, parseArgs } from "./utils/args.js";

/** A recorded operation: its differentiable inputs and how to map the output gradient to theirs. */
export interface GradFn {
  name: string;
  inputs: (Tensor | null)[];
  backward(gy: Tensor): (Tensor | null | undefined)[];
  /** Set once backward() ran through this node without retainGraph: its saved tensors (the
   *  closure and inputs) are released, and another backward through it throws, as in PyTorch. */
  freed?: boolean;
}

/** PyTorch's message for a backward through a graph whose saved tensors were freed. */
export const BACKWARD_TWICE = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). " +
  "Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). " +
  "Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward " +
  "(e.g. detach() a recurrent state carried over from the previous batch).";

export type Shape = number[];
export type NestedArray = number | boolean | NestedArray[];

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array(shape.length);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) { st[k] = s; s *= shape[k]; }
  return st;
}

export class Tensor {
  readonly shape: Shape;
  /** Element strides into the storage. */
  readonly strides: number[];
  /** Element offset into the storage. */
  readonly offset: number;
  readonly dtype: DType;
  grad: Tensor | null = null;
  /** The op that produced this tensor (null for leaves). */
  gradFn: GradFn | null = null;
  private _requiresGrad = false;
  private _ref: StorageRef | null;
  /** Set when gradients should be kept for a non-leaf (retainGrad). */
  private _retainGrad = false;

  constructor(ref: StorageRef, shape: Shape, dtype: DType, strides?: number[], offset = 0) {
    this._ref = ref;
    this.shape = shape;
    this.dtype = dtype;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
    trackOwner(this, ref);
    trackInScope(this);
  }

  // ------------------------------------------------------------------ basic properties
  get requiresGrad(): boolean { return this._requiresGrad; }
  set requiresGrad(v: boolean) {
    if (v && this.dtype !== "float32") throw new TypeError("only Tensors of floating point dtype can require gradients");
    if (!v && this.gradFn) throw new Error("you can only change requiresGrad flags of leaf variables.");
    this._requiresGrad = v;
  }
  /** In-place requiresGrad setter returning this (PyTorch's requires_grad_()). */
  requiresGrad_(v = true): this { this.requiresGrad = v; return this; }
  get isLeaf(): boolean { return this.gradFn === null; }
  get isDisposed(): boolean { return this._ref === null; }
  numel(): number { return numelOf(this.shape); }
  dim(): number { return this.shape.length; }
  get ndim(): number { return this.shape.length; }
  size(d?: number): number | number[] {
    if (d === undefined) return this.shape.slice();
    return this.shape[normDim(d, this.shape.length)];
  }
  stride(): number[] { return this.strides.slice(); }

  /** The storage (throws on a disposed tensor). */
  get ref(): StorageRef {
    if (!this._ref) throw new Error("Tensor has been disposed: it cannot be used any more (was dispose() or tidy() called on it?)");
    if (this._ref.backend !== backendImpl()) {
      throw new Error(`Tensor lives on the ${this._ref.backend.name} backend but the active backend is ${backendImpl().name}; create it again after init()`);
    }
    return this._ref;
  }
  get storage(): Storage { return this.ref.storage; }

  isContiguous(): boolean {
    let s = 1;
    for (let k = this.shape.length - 1; k >= 0; k--) {
      if (this.shape[k] !== 1 && this.strides[k] !== s) return false;
      s *= this.shape[k];
    }
    return true;
  }
  /** Contiguous, from element 0, covering the whole storage: kernels can take the storage as is. */
  isDense(): boolean { return this.offset === 0 && this.isContiguous() && this.numel() === this.storage.size; }

  // ------------------------------------------------------------------ lifetime
  /** Releases the data now. Using the tensor afterwards throws. */
  dispose(): void {
    if (!this._ref) return;
    untrackOwner(this);
    const r = this._ref;
    this._ref = null;
    r.release();
  }

  // ------------------------------------------------------------------ conversion
  /** A copy of the elements in row-major order as Float32Array (int64 tensors are converted). */
  toFloat32Array(): Float32Array {
    const d = this.dense();
    const out = readbackArray(Float32Array, d.numel());
    d.readInto(out);
    if (d !== this) d.dispose();
    return out;
  }
  /** A copy of the elements in row-major order in the storage's array type. */
  dataSync(): ElemArray {
    const d = this.dense();
    const v = d.backendView();
    const out = readbackArray(v.constructor as ArrayCtor, v.length);
    d.readInto(out);
    if (d !== this) d.dispose();
    return out;
  }
  /** Copies this (dense) tensor's elements into out (converting int64 to float when needed). */
  private readInto(out: ElemArray): void {
    const b = this.ref.backend, v = b.view(this.storage);
    if (b.readInto && v.constructor === out.constructor && v.length === out.length) b.readInto(this.storage, out);
    else out.set(v);
  }
  /** A live view of the storage (valid until the next allocation on wasm). */
  backendView(): ElemArray { return this.ref.backend.view(this.storage); }

  tolist(): NestedArray {
    const data = Array.from(this.dataSync() as ArrayLike<number>);
    if (this.shape.length === 0) return data[0];
    const build = (dim: number, off: number): NestedArray[] => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return data.slice(off, off + n);
      const step = numelOf(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, k) => build(dim + 1, off + k * step));
    };
    return build(0, 0);
  }
  item(): number {
    if (this.numel() !== 1) throw new RangeError(`a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    return this.backendView()[this.offset];
  }
  toString(): string { return formatTensor(this); }
  /** console.log / util.inspect print what toString() prints (PyTorch's text), not the internals. */
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }

  // ------------------------------------------------------------------ views and copies
  /** Returns this if dense, else a dense copy (no autograd). */
  dense(): Tensor {
    if (this.isDense()) return this;
    const out = Tensor.empty(this.shape, this.dtype, true);
    backendImpl().copyStrided(this.storage, this.offset, this.shape, this.strides, out.storage);
    return out;
  }
  /** A view sharing storage (no autograd; used by the view ops). */
  _viewAs(shape: Shape, strides: number[], offset: number): Tensor {
    const r = this.ref;
    r.retain();
    return new Tensor(r, shape, this.dtype, strides, offset);
  }

  /** A zero-filled tensor; `uninit` (internal: for kernel outputs written in full before any
   *  read) lets the backend skip the zero-fill. */
  static empty(shape: Shape, dtype: DType = "float32", uninit = false): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`Trying to create tensor with negative or non-integer dimension: [${shape.join(", ")}]`);
    }
    return new Tensor(allocRef(numelOf(shape), dtype, uninit), shape.slice(), dtype);
  }

  // ------------------------------------------------------------------ autograd
  /** Keeps .grad on a non-leaf tensor after backward (PyTorch's retain_grad()). */
  retainGrad(): this { this._retainGrad = true; return this; }

  /** A new tensor sharing data, cut from the graph. */
  detach(): Tensor {
    const r = this.ref;
    r.retain();
    return new Tensor(r, this.shape.slice(), this.dtype, this.strides.slice(), this.offset);
  }

  /** Computes the gradients of this tensor with respect to the graph's leaves (accumulated into .grad).
   *  `backward(grad?, { retainGraph = false })`: the graph's saved tensors are freed afterwards unless
   *  retainGraph, as in PyTorch. All or nothing: a backward that throws leaves every .grad as it was. */
  backward(...args: [gradient?: Tensor | null, opts?: { retainGraph?: boolean; createGraph?: boolean }] | [opts: { retainGraph?: boolean; createGraph?: boolean }]): void {
    const o = parseArgs("Tensor.backward", args, { gradient: [A.optTensor, null], retainGraph: [A.nullable(A.bool), null], createGraph: [A.bool, false] });
    if (o.createGraph) throw new Error("Tensor.backward: createGraph (higher-order gradients) is not supported by torchlet");
    const gradient = o.gradient ?? undefined;
    if (!this.requiresGrad) throw new Error("element 0 of tensors does not require grad and does not have a grad_fn");
    let seed: Tensor;
    if (gradient === undefined) {
      if (this.numel() !== 1) throw new Error("grad can be implicitly created only for scalar outputs");
      seed = noGrad(() => ops.fullLike(this, 1));
    } else {
      if (!sameShape(gradient.shape, this.shape)) {
        throw new RangeError(`Mismatch in shape: grad_output[0] has a shape of [${gradient.shape.join(", ")}] and output[0] has a shape of [${this.shape.join(", ")}].`);
      }
      seed = gradient;
    }
    noGrad(() => runBackward(this, seed, seed !== gradient, o.retainGraph === true));
  }

  // ------------------------------------------------------------------ op methods (see ops.ts)
  add(o: Tensor | number, alpha?: number): Tensor { return ops.add(this, o, alpha); }
  sub(o: Tensor | number, alpha?: number): Tensor { return ops.sub(this, o, alpha); }
  mul(o: Tensor | number): Tensor { return ops.mul(this, o); }
  div(o: Tensor | number): Tensor { return ops.div(this, o); }
  pow(e: Tensor | number): Tensor { return ops.pow(this, e); }
  maximum(o: Tensor): Tensor { return ops.maximum(this, o); }
  minimum(o: Tensor): Tensor { return ops.minimum(this, o); }
  clamp(min?: number | Tensor | null, max?: number | Tensor | null | object): Tensor { return ew.clamp(this, min, max); }
  gt(o: Tensor | number): Tensor { return ops.compare("gt", this, o); }
  lt(o: Tensor | number): Tensor { return ops.compare("lt", this, o); }
  eq(o: Tensor | number): Tensor { return ops.compare("eq", this, o); }
  matmul(o: Tensor): Tensor { return ops.matmul(this, o); }
  mm(o: Tensor): Tensor { return ops.matmul(this, o); }
  neg(): Tensor { return ops.unary("neg", this); }
  exp(): Tensor { return ops.unary("exp", this); }
  log(): Tensor { return ops.unary("log", this); }
  sqrt(): Tensor { return ops.unary("sqrt", this); }
  rsqrt(): Tensor { return ops.unary("rsqrt", this); }
  abs(): Tensor { return ops.unary("abs", this); }
  square(): Tensor { return ops.unary("square", this); }
  reciprocal(): Tensor { return ops.unary("recip", this); }
  relu(): Tensor { return ops.unary("relu", this); }
  sigmoid(): Tensor { return ops.unary("sigmoid", this); }
  tanh(): Tensor { return ops.unary("tanh", this); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim, false); }
  logSoftmax(dim: number): Tensor { return ops.softmax(this, dim, true); }
  // ---- elementwise math (ts/ops/elementwise.ts)
  sign(): Tensor { return ew.sign(this); }
  floor(): Tensor { return ew.floor(this); }
  ceil(): Tensor { return ew.ceil(this); }
  round(opts?: { decimals?: number }): Tensor { return ew.round(this, opts); }
  trunc(): Tensor { return ew.trunc(this); }
  fix(): Tensor { return ew.trunc(this); }
  frac(): Tensor { return ew.frac(this); }
  sin(): Tensor { return ew.sin(this); }
  cos(): Tensor { return ew.cos(this); }
  tan(): Tensor { return ew.tan(this); }
  asin(): Tensor { return ew.asin(this); }
  acos(): Tensor { return ew.acos(this); }
  atan(): Tensor { return ew.atan(this); }
  arcsin(): Tensor { return ew.asin(this); }
  arccos(): Tensor { return ew.acos(this); }
  arctan(): Tensor { return ew.atan(this); }
  sinh(): Tensor { return ew.sinh(this); }
  cosh(): Tensor { return ew.cosh(this); }
  erf(): Tensor { return ew.erf(this); }
  erfinv(): Tensor { return ew.erfinv(this); }
  expm1(): Tensor { return ew.expm1(this); }
  log1p(): Tensor { return ew.log1p(this); }
  log2(): Tensor { return ew.log2(this); }
  log10(): Tensor { return ew.log10(this); }
  exp2(): Tensor { return ew.exp2(this); }
  nanToNum(...args: unknown[]): Tensor { return ew.nanToNum(this, ...args); }
  atan2(o: Tensor): Tensor { return ew.atan2(this, o); }
  arctan2(o: Tensor): Tensor { return ew.atan2(this, o); }
  remainder(o: Tensor | number): Tensor { return ew.remainder(this, o); }
  fmod(o: Tensor | number): Tensor { return ew.fmod(this, o); }
  hypot(o: Tensor): Tensor { return ew.hypot(this, o); }
  lerp(end: Tensor, weight: Tensor | number): Tensor { return ew.lerp(this, end, weight); }
  addcmul(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ew.addcmul(this, t1, t2, opts); }
  addcdiv(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ew.addcdiv(this, t1, t2, opts); }
  clip(min?: number | Tensor | null, max?: number | Tensor | null | object): Tensor { return ew.clamp(this, min, max); }
  clampMin(min: number | Tensor): Tensor { return ew.clamp(this, min, null); }
  clampMax(max: number | Tensor): Tensor { return ew.clamp(this, null, max); }
  absolute(): Tensor { return ew.abs(this); }
  negative(): Tensor { return ew.neg(this); }
  // ---- end of elementwise math
  // ---- elementwise math (ts/ops/elementwise.ts)
  sign(): Tensor { return ew.sign(this); }
  floor(): Tensor { return ew.floor(this); }
  ceil(): Tensor { return ew.ceil(this); }
  round(opts?: { decimals?: number }): Tensor { return ew.round(this, opts); }
  trunc(): Tensor { return ew.trunc(this); }
  fix(): Tensor { return ew.trunc(this); }
  frac(): Tensor { return ew.frac(this); }
  sin(): Tensor { return ew.sin(this); }
  cos(): Tensor { return ew.cos(this); }
  tan(): Tensor { return ew.tan(this); }
  asin(): Tensor { return ew.asin(this); }
  acos(): Tensor { return ew.acos(this); }
  atan(): Tensor { return ew.atan(this); }
  arcsin(): Tensor { return ew.asin(this); }
  arccos(): Tensor { return ew.acos(this); }
  arctan(): Tensor { return ew.atan(this); }
  sinh(): Tensor { return ew.sinh(this); }
  cosh(): Tensor { return ew.cosh(this); }
  erf(): Tensor { return ew.erf(this); }
  erfinv(): Tensor { return ew.erfinv(this); }
  expm1(): Tensor { return ew.expm1(this); }
  log1p(): Tensor { return ew.log1p(this); }
  log2(): Tensor { return ew.log2(this); }
  log10(): Tensor { return ew.log10(this); }
  exp2(): Tensor { return ew.exp2(this); }
  nanToNum(...args: unknown[]): Tensor { return ew.nanToNum(this, ...args); }
  atan2(o: Tensor): Tensor { return ew.atan2(this, o); }
  arctan2(o: Tensor): Tensor { return ew.atan2(this, o); }
  remainder(o: Tensor | number): Tensor { return ew.remainder(this, o); }
  fmod(o: Tensor | number): Tensor { return ew.fmod(this, o); }
  hypot(o: Tensor): Tensor { return ew.hypot(this, o); }
  lerp(end: Tensor, weight: Tensor | number): Tensor { return ew.lerp(this, end, weight); }
  addcmul(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ew.addcmul(this, t1, t2, opts); }
  addcdiv(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor { return ew.addcdiv(this, t1, t2, opts); }
  clip(min?: number | Tensor | null, max?: number | Tensor | null | object): Tensor { return ew.clamp(this, min, max); }
  clampMin(min: number | Tensor): Tensor { return ew.clamp(this, min, null); }
  clampMax(max: number | Tensor): Tensor { return ew.clamp(this, null, max); }
  absolute(): Tensor { return ew.abs(this); }
  negative(): Tensor { return ew.neg(this); }
  // ---- end of elementwise math

  sum(dim?: number | number[] | null, keepdim = false): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: number | number[] | null, keepdim = false): Tensor { return ops.mean(this, dim, keepdim); }
  var(dim?: number | number[] | null | { unbiased?: boolean; correction?: number; keepdim?: boolean },
      opts: { unbiased?: boolean; correction?: number; keepdim?: boolean } = {}): Tensor {
    if (dim !== null && typeof dim === "object" && !Array.isArray(dim)) return ops.variance(this, null, dim);
    return ops.variance(this, dim as number | number[] | null | undefined, opts);
  }
  std(dim?: number | number[] | null, opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return ops.variance(this, dim, opts).sqrt();
  }
  /** max() → scalar tensor; max(dim, keepdim) → [values, indices] (also as .values/.indices). */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): MaxResult;
  max(dim?: number, keepdim = false): Tensor | MaxResult { return dim === undefined ? ops.maxAll(this) : ops.maxDim(this, dim, keepdim); }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): MaxResult;
  min(dim?: number, keepdim = false): Tensor | MaxResult {
    const n = ops.unary("neg", this);
    if (dim === undefined) return ops.unary("neg", ops.maxAll(n));
    const r = ops.maxDim(n, dim, keepdim);
    return makeMaxResult(ops.unary("neg", r.values), r.indices);
  }
  argmax(dim?: number, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }

  view(...shape: (number | number[])[]): Tensor { return ops.view(this, flatShape(shape)); }
  reshape(...shape: (number | number[])[]): Tensor { return ops.reshape(this, flatShape(shape)); }
  viewAs(o: Tensor): Tensor { return ops.view(this, o.shape); }
  permute(...dims: (number | number[])[]): Tensor { return ops.permute(this, flatShape(dims)); }
  transpose(d0: number, d1: number): Tensor { return ops.transpose(this, d0, d1); }
  get T(): Tensor { return ops.permute(this, this.shape.map((_, k) => this.shape.length - 1 - k)); }
  t(): Tensor {
    if (this.dim() > 2) throw new RangeError(`t() expects a tensor with <= 2 dimensions, but self is ${this.dim()}D`);
    return this.dim() < 2 ? this : ops.transpose(this, 0, 1);
  }
  contiguous(): Tensor { return ops.contiguous(this); }
  clone(): Tensor { return ops.clone(this); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  squeeze(dim?: number): Tensor { return ops.squeeze(this, dim); }
  expand(...shape: (number | number[])[]): Tensor { return ops.expand(this, flatShape(shape)); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  float(): Tensor { return this.to("float32"); }
  long(): Tensor { return this.to("int64"); }
  to(dtype: DType): Tensor { return ops.cast(this, dtype); }

  // in-place helpers (no autograd; for optimisers, init and running stats)
  zero_(): this { return this.fill_(0); }
  fill_(v: number): this {
    if (this.isDense()) backendImpl().fill(this.storage, v);
    else throw new Error("fill_: only contiguous tensors are supported");
    return this;
  }
  /** Copies src's values into this tensor (same number of elements). */
  copy_(src: Tensor): this {
    if (src.numel() !== this.numel()) throw new RangeError(`copy_: size mismatch, ${this.numel()} vs ${src.numel()} elements`);
    if (!this.isDense()) throw new Error("copy_: destination must be contiguous");
    backendImpl().copyStrided(src.storage, src.offset, src.shape.length ? src.shape : [1], src.shape.length ? src.strides : [1], this.storage);
    return this;
  }
}

/** torch.max(x, dim)'s (values, indices): destructure as `const [v, i] = x.max(1)` or read .values/.indices. */
export class MaxResult {
  constructor(readonly values: Tensor, readonly indices: Tensor) {}
  get 0(): Tensor { return this.values; }
  get 1(): Tensor { return this.indices; }
  *[Symbol.iterator](): Generator<Tensor> { yield this.values; yield this.indices; }
}
export function makeMaxResult(values: Tensor, indices: Tensor): MaxResult { return new MaxResult(values, indices); }

export function normDim(d: number, nd: number): number {
  const n = Math.max(nd, 1);
  if (!Number.isInteger(d) || d < -n || d >= n) {
    throw new RangeError(`Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${d})`);
  }
  return d < 0 ? d + n : d;
}
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, k) => v === b[k]);
}
function flatShape(args: (number | number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as number[]).slice();
  return args as number[];
}

// ------------------------------------------------------------------ backward engine (micrograd-style)

function runBackward(root: Tensor, seed: Tensor, ownSeed: boolean, retainGraph: boolean): void {
  // topological order of the tensors reachable from root through gradFn inputs
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const fn = top[0].gradFn;
    if (fn?.freed) {
      if (ownSeed) seed.dispose();
      throw new Error(BACKWARD_TWICE);
    }
    const inputs = fn ? fn.inputs : [];
    if (top[1] < inputs.length) {
      const u = inputs[top[1]++];
      if (u && u.requiresGrad && !seen.has(u)) { seen.add(u); stack.push([u, 0]); }
    } else {
      stack.pop();
      order.push(top[0]);
    }
  }
  // grads holds tensors the engine owns, except a seed the caller passed in; the gradients of
  // leaves (and retainGrad tensors) are applied only once every node's backward has succeeded
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const toAccumulate: [Tensor, Tensor][] = [];
  const release = (g: Tensor) => { if (g !== seed || ownSeed) g.dispose(); };
  try {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      let kept = false;
      if (!t.gradFn || (t as any)._retainGrad) {
        checkGradShape(t, g);
        toAccumulate.push([t, g]);
        kept = true;
      }
      if (t.gradFn) {
        const gin = t.gradFn.backward(g);
        const inputs = t.gradFn.inputs;
        for (let j = 0; j < inputs.length; j++) {
          const u = inputs[j], gu = gin[j];
          if (!gu) continue;
          if (!u || !u.requiresGrad) { if (gu !== g) gu.dispose(); continue; }
          const own = gu === g ? g.clone() : gu;
          const prev = grads.get(u);
          if (prev) {
            grads.set(u, ops.add(prev, own));
            prev.dispose();
            own.dispose();
          } else grads.set(u, own);
        }
      }
      if (!kept) release(g);
    }
    for (const [t, g] of toAccumulate) accumulateGrad(t, g);
  } finally {
    for (const [, g] of toAccumulate) release(g);
    for (const g of grads.values()) release(g);
  }
  if (!retainGraph) {
    // free the graph as PyTorch does: the closures (and the tensors they saved) and the links to the
    // inputs go, so a step's intermediates are garbage once the user drops them
    for (const t of order) {
      const fn = t.gradFn;
      if (!fn) continue;
      fn.freed = true;
      fn.inputs = [];
      fn.backward = freedBackward;
    }
  }
}
function freedBackward(): never { throw new Error(BACKWARD_TWICE); }

function checkGradShape(t: Tensor, g: Tensor): void {
  if (!sameShape(g.shape, t.shape)) {
    throw new Error(`internal: gradient of shape [${g.shape}] for tensor of shape [${t.shape}] (${t.gradFn?.name ?? "leaf"})`);
  }
}

/** Adds g into t.grad (creating it), never taking ownership of g. */
function accumulateGrad(t: Tensor, g: Tensor): void {
  if (t.grad && !t.grad.isDisposed) {
    const sum = ops.add(t.grad, g);
    t.grad.copy_(sum);
    sum.dispose();
  } else {
    t.grad = keep(g.clone());
  }
}
