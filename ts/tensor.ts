// The Tensor: shape/strides over a backend storage, plus the autograd node that made it.
// Ops live in ops.ts; this file holds the data model, views, conversion and backward().

import type { ArrayCtor, DType, ElemArray, Storage } from "./backends/types.js";
import {
  StorageRef,
  allocRef,
  readbackArray,
  backendImpl,
  isGradEnabled,
  keep,
  noGrad,
  trackInScope,
  trackOwner,
  untrackOwner,
  releaseForward,
  type ForwardScope,
} from "./runtime.js";
import * as ops from "./ops.js";
import { backwardScope } from "./autograd.js";
import * as ew from "./ops/elementwise.js";
import * as R from "./ops/reduce.js";
import * as S from "./ops/shape.js";
import * as I from "./ops/indexing.js";
import * as L from "./ops/linalg.js";
import * as Rnd from "./ops/random.js";
import { formatTensor } from "./format.js";
import { MAX_EXACT, canCast, checkDType, scalarTypeName, tensorTypeName } from "./dtypes.js";
import * as logical from "./logical.js";
import * as indexing from "./indexing.js";
import type { IndexPart } from "./indexing.js";
import { A, parseArgs, setTensorClass } from "./utils/args.js";

/** A recorded operation: its differentiable inputs and how to map the output gradient to theirs. */
export interface GradFn {
  name: string;
  inputs: (Tensor | null)[];
  backward(gy: Tensor): (Tensor | null | undefined)[];
  /** Set once backward() ran through this node without retainGraph: its saved tensors (the
   *  closure and inputs) are released, and another backward through it throws, as in PyTorch. */
  freed?: boolean;
  /** The storage versions of the inputs and the output when the op was recorded: reading one of
   *  them in backward after an in-place op changed it throws PyTorch's error. */
  saved?: Map<Tensor, number>;
}

// ------------------------------------------------------------------ version counters
// One counter per storage (shared by a tensor and all its views), bumped by every in-place op.
const versions = new WeakMap<StorageRef, number>();
/** The version of t's storage (0 until the first in-place op on it or a view of it). */
export function versionOf(t: Tensor): number {
  const r = (t as any)._ref as StorageRef | null;
  return r ? (versions.get(r) ?? 0) : 0;
}
function bumpVersion(t: Tensor): void {
  const r = t.ref;
  versions.set(r, (versions.get(r) ?? 0) + 1);
}
/** For kernels that write into a tensor in place outside _inplace (no autograd): bumps its version. */
export const markModified = bumpVersion;
/** The versions of tensors an op saves (ops.record calls this for its inputs and output). */
export function snapshotVersions(ts: (Tensor | null)[]): Map<Tensor, number> {
  const m = new Map<Tensor, number>();
  for (const t of ts) if (t) m.set(t, versionOf(t));
  return m;
}
/** The GradFn whose backward is running (its saved tensors are checked on each storage read). */
let checking: GradFn | null = null;
/** Runs fn.backward(g) with the saved-tensor version check on. */
export function callBackward(fn: GradFn, g: Tensor): (Tensor | null | undefined)[] {
  const prev = checking;
  checking = fn.saved && fn.saved.size ? fn : null;
  try {
    return fn.backward(g);
  } finally {
    checking = prev;
  }
}
function checkSaved(t: Tensor, r: StorageRef): void {
  const want = checking!.saved!.get(t);
  if (want === undefined) return;
  const have = versions.get(r) ?? 0;
  if (have === want) return;
  let last: Tensor | null = null;
  for (const k of checking!.saved!.keys()) last = k; // ops.record puts the output last
  const producer = t === last ? checking! : t.gradFn;
  const what = producer ? `output 0 of ${producer.name}0` : "a leaf Variable";
  throw new Error(
    `one of the variables needed for gradient computation has been modified by an inplace operation: [${tensorTypeName(t.dtype)} [${t.shape.join(", ")}]], which is ${what}, is at version ${have}; expected version ${want} instead.`,
  );
}

/** PyTorch's message for a backward through a graph whose saved tensors were freed. */
export const BACKWARD_TWICE =
  "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). " +
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
  for (let k = shape.length - 1; k >= 0; k--) {
    st[k] = s;
    s *= shape[k];
  }
  return st;
}

/** An n-dimensional array of float32, float64, int64 or bool on the active backend, with autograd (`torch.Tensor`). */
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
  /** For a view: the tensor that allocated the storage (dense, offset 0); null otherwise. */
  _base: Tensor | null = null;

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
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (v && this.dtype !== "float32")
      throw new TypeError("only Tensors of floating point dtype can require gradients");
    if (!v && this.gradFn) throw new Error("you can only change requiresGrad flags of leaf variables.");
    this._requiresGrad = v;
  }
  /** In-place requiresGrad setter returning this (PyTorch's requires_grad_()). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get isDisposed(): boolean {
    return this._ref === null;
  }
  numel(): number {
    return numelOf(this.shape);
  }
  dim(): number {
    return this.shape.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** size() is the shape (a copy); size(d) the length of dim d (negative counts from the end). */
  size(): number[];
  size(d: number): number;
  size(d?: number): number | number[] {
    if (d === undefined) return this.shape.slice();
    return this.shape[normDim(d, this.shape.length)];
  }
  stride(): number[] {
    return this.strides.slice();
  }

  /** The storage (throws on a disposed tensor). */
  get ref(): StorageRef {
    if (!this._ref)
      throw new Error("Tensor has been disposed: it cannot be used any more (was dispose() or tidy() called on it?)");
    // made before init() switched backends: moves to the active backend on first use
    if (this._ref.backend !== backendImpl()) this._ref.moveTo(backendImpl());
    return this._ref;
  }
  get storage(): Storage {
    const r = this.ref;
    if (checking !== null) checkSaved(this, r);
    return r.storage;
  }
  /** The version counter of this tensor's storage (PyTorch's t._version). */
  get _version(): number {
    return versionOf(this);
  }

  isContiguous(): boolean {
    let s = 1;
    for (let k = this.shape.length - 1; k >= 0; k--) {
      if (this.shape[k] !== 1 && this.strides[k] !== s) return false;
      s *= this.shape[k];
    }
    return true;
  }
  /** Contiguous, from element 0, covering the whole storage: kernels can take the storage as is. */
  isDense(): boolean {
    return this.offset === 0 && this.isContiguous() && this.numel() === this.storage.size;
  }

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
    const b = this.ref.backend,
      v = b.view(this.storage);
    if (b.readInto && v.constructor === out.constructor && v.length === out.length) b.readInto(this.storage, out);
    else out.set(v);
  }
  /** A live view of the storage (valid until the next allocation on wasm). */
  backendView(): ElemArray {
    return this.ref.backend.view(this.storage);
  }

  /** Nested arrays of numbers (bool tensors: true/false; int64 beyond 2^53 in magnitude: BigInt). */
  tolist(): NestedArray {
    const data = Array.from(this.dataSync() as ArrayLike<number>, this.jsValue());
    if (this.shape.length === 0) return data[0];
    const build = (dim: number, off: number): NestedArray[] => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return data.slice(off, off + n);
      const step = numelOf(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, k) => build(dim + 1, off + k * step));
    };
    return build(0, 0);
  }
  /** The one element as a JS value: a number (true/false for bool; a BigInt for an int64 beyond
   *  2^53 in magnitude, where a number could not hold it exactly). */
  item(): number {
    if (this.numel() !== 1)
      throw new RangeError(`a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    return this.jsValue()(this.backendView()[this.offset]) as number;
  }
  /** Maps a stored element to the JS value tolist()/item() return. */
  private jsValue(): (v: number) => any {
    if (this.dtype === "bool") return (v) => v !== 0;
    if (this.dtype === "int64") return (v) => (Math.abs(v) > MAX_EXACT ? BigInt(v) : v + 0); // + 0: no -0
    return (v) => v;
  }
  toString(): string {
    return formatTensor(this);
  }
  /** console.log / util.inspect print what toString() prints (PyTorch's text), not the internals. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

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
    const v = new Tensor(r, shape, this.dtype, strides, offset);
    v._base = this._base ?? this;
    return v;
  }
  /** A new tensor object over the same storage with this tensor's history (the "old self" an
   *  in-place op records; internal). */
  private aliasWithHistory(): Tensor {
    const r = this.ref;
    r.retain();
    const a = new Tensor(r, this.shape.slice(), this.dtype, this.strides.slice(), this.offset);
    a.gradFn = this.gradFn;
    a._requiresGrad = this._requiresGrad;
    a._base = this._base;
    return a;
  }

  /** A zero-filled tensor; `uninit` (internal: for kernel outputs written in full before any
   *  read) lets the backend skip the zero-fill. */
  static empty(shape: Shape, dtype: DType = "float32", uninit = false): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0)
        throw new RangeError(`Trying to create tensor with negative or non-integer dimension: [${shape.join(", ")}]`);
    }
    return new Tensor(allocRef(numelOf(shape), dtype, uninit), shape.slice(), dtype);
  }

  // ------------------------------------------------------------------ autograd
  /** Keeps .grad on a non-leaf tensor after backward (PyTorch's retain_grad()). */
  retainGrad(): this {
    this._retainGrad = true;
    return this;
  }

  /** A new tensor sharing data, cut from the graph. */
  detach(): Tensor {
    const r = this.ref;
    r.retain();
    return new Tensor(r, this.shape.slice(), this.dtype, this.strides.slice(), this.offset);
  }

  /** Computes the gradients of this tensor with respect to the graph's leaves (accumulated into .grad).
   *  `backward(grad?, { retainGraph = false })`: the graph's saved tensors are freed afterwards unless
   *  retainGraph, as in PyTorch. All or nothing: a backward that throws leaves every .grad as it was. */
  backward(
    ...args:
      | [gradient?: Tensor | null, opts?: { retainGraph?: boolean; createGraph?: boolean }]
      | [opts: { retainGraph?: boolean; createGraph?: boolean }]
  ): void {
    const o = parseArgs("Tensor.backward", args, {
      gradient: [A.optTensor, null],
      retainGraph: [A.nullable(A.bool), null],
      createGraph: [A.bool, false],
    });
    if (o.createGraph)
      throw new Error("Tensor.backward: createGraph (higher-order gradients) is not supported by torchlet");
    const gradient = o.gradient ?? undefined;
    if (!this.requiresGrad) throw new Error("element 0 of tensors does not require grad and does not have a grad_fn");
    let seed: Tensor;
    if (gradient === undefined) {
      if (this.numel() !== 1) throw new Error("grad can be implicitly created only for scalar outputs");
      seed = noGrad(() => ops.fullLike(this, 1));
    } else {
      if (!sameShape(gradient.shape, this.shape)) {
        throw new RangeError(
          `Mismatch in shape: grad_output[0] has a shape of [${gradient.shape.join(", ")}] and output[0] has a shape of [${this.shape.join(", ")}].`,
        );
      }
      seed = gradient;
    }
    noGrad(() => runBackward(this, seed, seed !== gradient, o.retainGraph === true));
  }

  // ------------------------------------------------------------------ op methods (see ops.ts)
  add(o: Tensor | number, alpha?: number | { alpha?: number }): Tensor {
    return typeof alpha === "object" ? ew.add(this, o, alpha) : ops.add(this, o, alpha);
  }
  sub(o: Tensor | number, alpha?: number | { alpha?: number }): Tensor {
    return typeof alpha === "object" ? ew.sub(this, o, alpha) : ops.sub(this, o, alpha);
  }
  mul(o: Tensor | number): Tensor {
    return ops.mul(this, o);
  }
  div(o: Tensor | number, opts?: { roundingMode?: "trunc" | "floor" | null }): Tensor {
    return opts ? ew.div(this, o, opts) : ops.div(this, o);
  }
  pow(e: Tensor | number): Tensor {
    return ops.pow(this, e);
  }
  maximum(o: Tensor): Tensor {
    return ops.maximum(this, o);
  }
  minimum(o: Tensor): Tensor {
    return ops.minimum(this, o);
  }
  clamp(min?: number | Tensor | null, max?: number | Tensor | null | object): Tensor {
    return ew.clamp(this, min, max);
  }
  gt(o: Tensor | number): Tensor {
    return ops.compare("gt", this, o);
  }
  lt(o: Tensor | number): Tensor {
    return ops.compare("lt", this, o);
  }
  eq(o: Tensor | number): Tensor {
    return ops.compare("eq", this, o);
  }
  ne(o: Tensor | number): Tensor {
    return ops.compare("ne", this, o);
  }
  le(o: Tensor | number): Tensor {
    return ops.compare("le", this, o);
  }
  ge(o: Tensor | number): Tensor {
    return ops.compare("ge", this, o);
  }
  greater(o: Tensor | number): Tensor {
    return this.gt(o);
  }
  less(o: Tensor | number): Tensor {
    return this.lt(o);
  }
  greaterEqual(o: Tensor | number): Tensor {
    return this.ge(o);
  }
  lessEqual(o: Tensor | number): Tensor {
    return this.le(o);
  }
  notEqual(o: Tensor | number): Tensor {
    return this.ne(o);
  }
  isnan(): Tensor {
    return logical.isnan(this);
  }
  isinf(): Tensor {
    return logical.isinf(this);
  }
  isfinite(): Tensor {
    return logical.isfinite(this);
  }
  logicalAnd(o: Tensor): Tensor {
    return logical.logicalAnd(this, o);
  }
  logicalOr(o: Tensor): Tensor {
    return logical.logicalOr(this, o);
  }
  logicalXor(o: Tensor): Tensor {
    return logical.logicalXor(this, o);
  }
  logicalNot(): Tensor {
    return logical.logicalNot(this);
  }
  matmul(o: Tensor): Tensor {
    return ops.matmul(this, o);
  }
  mm(o: Tensor): Tensor {
    return ops.matmul(this, o);
  }
  neg(): Tensor {
    return ew.neg(this);
  }
  exp(): Tensor {
    return ew.exp(this);
  }
  log(): Tensor {
    return ew.log(this);
  }
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  rsqrt(): Tensor {
    return ew.rsqrt(this);
  }
  abs(): Tensor {
    return ew.abs(this);
  }
  square(): Tensor {
    return ew.square(this);
  }
  reciprocal(): Tensor {
    return ew.reciprocal(this);
  }
  relu(): Tensor {
    return ew.relu(this);
  }
  sigmoid(): Tensor {
    return ew.sigmoid(this);
  }
  tanh(): Tensor {
    return ew.tanh(this);
  }
  softmax(dim: number): Tensor {
    return ops.softmax(this, dim, false);
  }
  logSoftmax(dim: number): Tensor {
    return ops.softmax(this, dim, true);
  }
  // ---- elementwise math (ts/ops/elementwise.ts)
  sign(): Tensor {
    return ew.sign(this);
  }
  floor(): Tensor {
    return ew.floor(this);
  }
  ceil(): Tensor {
    return ew.ceil(this);
  }
  round(opts?: { decimals?: number }): Tensor {
    return ew.round(this, opts);
  }
  trunc(): Tensor {
    return ew.trunc(this);
  }
  fix(): Tensor {
    return ew.trunc(this);
  }
  frac(): Tensor {
    return ew.frac(this);
  }
  sin(): Tensor {
    return ew.sin(this);
  }
  cos(): Tensor {
    return ew.cos(this);
  }
  tan(): Tensor {
    return ew.tan(this);
  }
  asin(): Tensor {
    return ew.asin(this);
  }
  acos(): Tensor {
    return ew.acos(this);
  }
  atan(): Tensor {
    return ew.atan(this);
  }
  arcsin(): Tensor {
    return ew.asin(this);
  }
  arccos(): Tensor {
    return ew.acos(this);
  }
  arctan(): Tensor {
    return ew.atan(this);
  }
  sinh(): Tensor {
    return ew.sinh(this);
  }
  cosh(): Tensor {
    return ew.cosh(this);
  }
  erf(): Tensor {
    return ew.erf(this);
  }
  erfinv(): Tensor {
    return ew.erfinv(this);
  }
  expm1(): Tensor {
    return ew.expm1(this);
  }
  log1p(): Tensor {
    return ew.log1p(this);
  }
  log2(): Tensor {
    return ew.log2(this);
  }
  log10(): Tensor {
    return ew.log10(this);
  }
  exp2(): Tensor {
    return ew.exp2(this);
  }
  nanToNum(...args: unknown[]): Tensor {
    return ew.nanToNum(this, ...args);
  }
  atan2(o: Tensor): Tensor {
    return ew.atan2(this, o);
  }
  arctan2(o: Tensor): Tensor {
    return ew.atan2(this, o);
  }
  remainder(o: Tensor | number): Tensor {
    return ew.remainder(this, o);
  }
  fmod(o: Tensor | number): Tensor {
    return ew.fmod(this, o);
  }
  hypot(o: Tensor): Tensor {
    return ew.hypot(this, o);
  }
  lerp(end: Tensor, weight: Tensor | number): Tensor {
    return ew.lerp(this, end, weight);
  }
  addcmul(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor {
    return ew.addcmul(this, t1, t2, opts);
  }
  addcdiv(t1: Tensor, t2: Tensor, opts?: { value?: number }): Tensor {
    return ew.addcdiv(this, t1, t2, opts);
  }
  clip(min?: number | Tensor | null, max?: number | Tensor | null | object): Tensor {
    return ew.clamp(this, min, max);
  }
  clampMin(min: number | Tensor): Tensor {
    return ew.clamp(this, min, null);
  }
  clampMax(max: number | Tensor): Tensor {
    return ew.clamp(this, null, max);
  }
  absolute(): Tensor {
    return ew.abs(this);
  }
  negative(): Tensor {
    return ew.neg(this);
  }
  // ---- end of elementwise math

  // ---- reductions, shape, indexing, linear algebra, random (ts/ops/{reduce,shape,indexing,linalg,random}.ts);
  // arguments as PyTorch's: positional, or a trailing options object
  sum(...a: unknown[]): Tensor {
    return R.sum(this, ...a);
  }
  mean(...a: unknown[]): Tensor {
    return R.mean(this, ...a);
  }
  prod(...a: unknown[]): Tensor {
    return R.prod(this, ...a);
  }
  amax(...a: unknown[]): Tensor {
    return R.amax(this, ...a);
  }
  amin(...a: unknown[]): Tensor {
    return R.amin(this, ...a);
  }
  /** max() → the max; max(dim, keepdim?) → { values, indices } (also [values, indices]); max(other) → maximum. */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number, keepdim?: boolean): MaxResult;
  max(opts: { dim: number; keepdim?: boolean }): MaxResult;
  max(...a: unknown[]): Tensor | MaxResult {
    return (R.max as any)(this, ...a);
  }
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number, keepdim?: boolean): MaxResult;
  min(opts: { dim: number; keepdim?: boolean }): MaxResult;
  min(...a: unknown[]): Tensor | MaxResult {
    return (R.min as any)(this, ...a);
  }
  argmax(...a: unknown[]): Tensor {
    return R.argmax(this, ...a);
  }
  argmin(...a: unknown[]): Tensor {
    return R.argmin(this, ...a);
  }
  var(...a: unknown[]): Tensor {
    return R.variance(this, ...a);
  }
  std(...a: unknown[]): Tensor {
    return R.std(this, ...a);
  }
  logsumexp(...a: unknown[]): Tensor {
    return R.logsumexp(this, ...a);
  }
  norm(...a: unknown[]): Tensor {
    return R.norm(this, ...a);
  }
  cumsum(...a: unknown[]): Tensor {
    return R.cumsum(this, ...a);
  }
  cumprod(...a: unknown[]): Tensor {
    return R.cumprod(this, ...a);
  }
  any(...a: unknown[]): Tensor {
    return R.any(this, ...a);
  }
  all(...a: unknown[]): Tensor {
    return R.all(this, ...a);
  }
  countNonzero(...a: unknown[]): Tensor {
    return R.countNonzero(this, ...a);
  }
  split(...a: unknown[]): Tensor[] {
    return S.split(this, ...a);
  }
  chunk(...a: unknown[]): Tensor[] {
    return S.chunk(this, ...a);
  }
  unbind(...a: unknown[]): Tensor[] {
    return S.unbind(this, ...a);
  }
  flip(...dims: (number | number[])[]): Tensor {
    return S.flip(this, ...dims);
  }
  roll(...a: unknown[]): Tensor {
    return S.roll(this, ...a);
  }
  repeat(...sizes: (number | number[])[]): Tensor {
    return S.repeat(this, ...sizes);
  }
  tile(...sizes: (number | number[])[]): Tensor {
    return S.tile(this, ...sizes);
  }
  expandAs(o: Tensor): Tensor {
    return S.expandAs(this, o);
  }
  broadcastTo(...sizes: (number | number[])[]): Tensor {
    return S.broadcastTo(this, ...sizes);
  }
  movedim(...a: unknown[]): Tensor {
    return S.movedim(this, ...a);
  }
  moveaxis(...a: unknown[]): Tensor {
    return S.movedim(this, ...a);
  }
  unflatten(...a: unknown[]): Tensor {
    return S.unflatten(this, ...a);
  }
  tril(...a: unknown[]): Tensor {
    return S.tril(this, ...a);
  }
  triu(...a: unknown[]): Tensor {
    return S.triu(this, ...a);
  }
  diagonal(...a: unknown[]): Tensor {
    return S.diagonal(this, ...a);
  }
  diag(...a: unknown[]): Tensor {
    return S.diag(this, ...a);
  }
  gather(...a: unknown[]): Tensor {
    return I.gather(this, ...a);
  }
  scatter(...a: unknown[]): Tensor {
    return I.scatter(this, ...a);
  }
  scatterAdd(...a: unknown[]): Tensor {
    return I.scatterAdd(this, ...a);
  }
  indexSelect(...a: unknown[]): Tensor {
    return I.indexSelect(this, ...a);
  }
  maskedFill(...a: unknown[]): Tensor {
    return I.maskedFill(this, ...a);
  }
  maskedSelect(...a: unknown[]): Tensor {
    return I.maskedSelect(this, ...a);
  }
  /** x.where(cond, other) = torch.where(cond, x, other). */
  where(condition: Tensor, other: Tensor | number): Tensor {
    return I.where(condition, this, other) as Tensor;
  }
  nonzero(...a: unknown[]): Tensor {
    return I.nonzero(this, ...a) as Tensor;
  }
  topk(...a: unknown[]): MaxResult {
    return I.topk(this, ...a);
  }
  sort(...a: unknown[]): MaxResult {
    return I.sort(this, ...a);
  }
  argsort(...a: unknown[]): Tensor {
    return I.argsort(this, ...a);
  }
  unique(...a: unknown[]): Tensor | Tensor[] {
    return I.unique(this, ...a);
  }
  bmm(...a: unknown[]): Tensor {
    return L.bmm(this, ...a);
  }
  baddbmm(...a: unknown[]): Tensor {
    return L.baddbmm(this, ...a);
  }
  addmm(...a: unknown[]): Tensor {
    return L.addmm(this, ...a);
  }
  addbmm(...a: unknown[]): Tensor {
    return L.addbmm(this, ...a);
  }
  mv(...a: unknown[]): Tensor {
    return L.mv(this, ...a);
  }
  outer(...a: unknown[]): Tensor {
    return L.outer(this, ...a);
  }
  dot(...a: unknown[]): Tensor {
    return L.dot(this, ...a);
  }
  bernoulli(...a: unknown[]): Tensor {
    return Rnd.bernoulli(this, ...a);
  }
  multinomial(...a: unknown[]): Tensor {
    return Rnd.multinomial(this, ...a);
  }
  // ---- end of reductions, shape, indexing, linear algebra, random

  view(...shape: (number | number[])[]): Tensor {
    return ops.view(this, flatShape(shape));
  }
  reshape(...shape: (number | number[])[]): Tensor {
    return ops.reshape(this, flatShape(shape));
  }
  viewAs(o: Tensor): Tensor {
    return ops.view(this, o.shape);
  }
  permute(...dims: (number | number[])[]): Tensor {
    return ops.permute(this, flatShape(dims));
  }
  transpose(d0: number, d1: number): Tensor {
    return ops.transpose(this, d0, d1);
  }
  get T(): Tensor {
    return ops.permute(
      this,
      this.shape.map((_, k) => this.shape.length - 1 - k),
    );
  }
  t(): Tensor {
    if (this.dim() > 2) throw new RangeError(`t() expects a tensor with <= 2 dimensions, but self is ${this.dim()}D`);
    return this.dim() < 2 ? this : ops.transpose(this, 0, 1);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  unsqueeze(...a: unknown[]): Tensor {
    return S.unsqueeze(this, ...a);
  }
  squeeze(...a: unknown[]): Tensor {
    return S.squeeze(this, ...a);
  }
  expand(...shape: (number | number[])[]): Tensor {
    return ops.expand(this, flatShape(shape));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return ops.narrow(this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return ops.select(this, dim, index);
  }
  float(): Tensor {
    return this.to("float32");
  }
  long(): Tensor {
    return this.to("int64");
  }
  bool(): Tensor {
    return this.to("bool");
  }
  /** The same values as dtype (this tensor itself when it already has it); also `to({ dtype })`. */
  to(dtype: DType | { dtype?: DType }): Tensor {
    const d = typeof dtype === "object" && dtype !== null ? (dtype.dtype ?? this.dtype) : dtype;
    return ops.cast(this, checkDType(d, "to"));
  }
  isFloatingPoint(): boolean {
    return this.dtype === "float32";
  }

  // ------------------------------------------------------------------ indexing (indexing.ts)
  /** x.index(":", -1) is x[:, -1]; parts: numbers, "start:stop:step", null, "...", int64 tensors,
   *  number[] and bool masks (see API.md "Indexing"). */
  index(...parts: IndexPart[]): Tensor {
    return indexing.index(this, parts);
  }
  /** x.indexPut_([mask], 0) is x[mask] = 0; `{ accumulate: true }` adds (index_put_). */
  indexPut_(indices: IndexPart[], v: Tensor | number, opts?: { accumulate?: boolean } | boolean): this {
    return indexing.indexPut_(this, indices, v, opts) as this;
  }

  // ------------------------------------------------------------------ in-place ops
  // Every elementwise op has a twin `op_` (installed by inplace.ts for the whole list there) that
  // runs the out-of-place op and writes the result into this tensor: see _inplace.
  zero_(): this {
    return this.fill_(0);
  }
  /** Fills every element (views and non-contiguous tensors too) with v. */
  fill_(v: number | boolean | Tensor): this {
    if (v instanceof Tensor) {
      if (v.dim() !== 0)
        throw new RangeError(`fill_ only supports 0-dimension value tensor but got tensor with ${v.dim()} dimensions.`);
      return this._inplace("fill", false, [v], (s) => ops.expand(ops.cast(v, s.dtype), s.shape), true);
    }
    const x = Number(v);
    if (!this.needsRecord([])) {
      checkInplace(this);
      const src = ops.full([], x, this.dtype);
      writeInto(this, src);
      src.dispose();
      bumpVersion(this);
      return this;
    }
    return this._inplace("fill", false, [], (s) => noGrad(() => ops.full(s.shape.slice(), x, s.dtype)));
  }
  /** Copies src's values into this tensor (src broadcast to this shape, converted to its dtype). */
  copy_(src: Tensor, _nonBlocking?: boolean): this {
    if (!(src instanceof Tensor)) throw new TypeError(`copy_(): argument 'src' must be Tensor, not ${typeof src}`);
    if (!this.needsRecord([src])) {
      checkInplace(this);
      writeInto(this, src, true);
      bumpVersion(this);
      return this;
    }
    return this._inplace(
      "copy",
      false,
      [src],
      (s) => {
        const c = src.dtype === s.dtype ? src : ops.cast(src, s.dtype);
        return sameShape(c.shape, s.shape) ? ops.clone(c) : ops.expand(c, s.shape);
      },
      true,
    );
  }
  /** x.masked_fill_(mask, value) (mask bool, broadcast to x). */
  maskedFill_(mask: Tensor, value: number | Tensor): this {
    return this._inplace("maskedFill", false, [mask, value], (s) => (s as any).maskedFill(mask, value));
  }

  /** Whether an in-place op with these other operands records autograd history. */
  needsRecord(others: unknown[]): boolean {
    if (!isGradEnabled()) return false;
    if (this.requiresGrad || (this._base && this._base.requiresGrad)) return true;
    return others.some((o) => o instanceof Tensor && o.requiresGrad);
  }

  /**
   * The in-place machinery: `compute(self)` is the out-of-place op (recorded as usual); its result
   * is written into this tensor (which keeps its shape and dtype: PyTorch's broadcast and cast
   * errors otherwise), the storage's version is bumped, and this tensor's history is rebased onto
   * the op's (for a view, its base gets PyTorch's CopySlices). `needsSelf`: the op's backward reads
   * its input, so it gets a copy of the old values.
   */
  _inplace(
    name: string,
    needsSelf: boolean,
    others: unknown[],
    compute: (self: Tensor) => Tensor,
    allowCast = false,
  ): this {
    checkInplace(this);
    if (!this.needsRecord(others)) {
      const r = noGrad(() => compute(this));
      if (this.adoptResult(r, others)) {
        bumpVersion(this);
        return this;
      }
      this.writeResult(r, allowCast);
      if (r !== this && !r.isDisposed && !others.includes(r)) r.dispose();
      bumpVersion(this);
      return this;
    }
    // a base that is gone (an internal copy that only this view keeps) leaves a plain tensor
    const base = this._base && !this._base.isDisposed ? this._base : null;
    if (base && !base.isDense()) {
      throw new Error(
        "an in-place operation with autograd on a view of a non-contiguous detached tensor is not supported; clone() the detached tensor first",
      );
    }
    if (base && base.isLeaf && base.requiresGrad) {
      throw new Error("a view of a leaf Variable that requires grad is being used in an in-place operation.");
    }
    if (!base) {
      const old = this.aliasWithHistory();
      const selfIn = needsSelf ? ops.clone(old) : old;
      const r = compute(selfIn);
      this.writeResult(r, allowCast);
      bumpVersion(this);
      const fn = r.gradFn;
      if (!fn) {
        // the new values do not depend on anything that requires grad (fill_, copy_ of a constant)
        if (r !== selfIn && !others.includes(r)) r.dispose();
        this.gradFn = {
          name: `${name[0].toUpperCase()}${name.slice(1)}Backward`,
          inputs: [old],
          backward: (g) => [ops.fullLike(g, 0)],
        };
        this._requiresGrad = true;
        return this;
      }
      if (!needsSelf) fn.saved?.delete(old);
      this.gradFn = fn;
      this._requiresGrad = true;
      // the result's storage is this one from now on (the op's backward may read its output)
      if (
        r.isDense() &&
        this.isDense() &&
        r.dtype === this.dtype &&
        r._base === null &&
        r !== selfIn &&
        !others.includes(r)
      ) {
        const rr = (r as any)._ref as StorageRef,
          mine = this.ref;
        mine.retain();
        untrackOwner(r);
        (r as any)._ref = mine;
        trackOwner(r, mine);
        rr.release();
        fn.saved?.set(r, versionOf(this));
      }
      return this;
    }
    // a view: the op runs on a stand-in for the view's values, and its gradient for them is
    // routed into the base's gradient (PyTorch's CopySlices)
    const vIn = needsSelf ? noGrad(() => ops.clone(this)) : this.aliasWithHistory();
    vIn.gradFn = null;
    vIn._base = null;
    vIn._requiresGrad = this.requiresGrad || base.requiresGrad;
    const r = compute(vIn);
    this.writeResult(r, allowCast);
    bumpVersion(this);
    const fn = r.gradFn;
    if (fn && !needsSelf) fn.saved?.delete(vIn);
    const bOld = base.aliasWithHistory();
    const geo = { shape: this.shape.slice(), strides: this.strides.slice(), offset: this.offset };
    const rest = fn ? fn.inputs.filter((t) => t !== vIn) : [];
    base.gradFn = {
      name: "CopySlices",
      inputs: [bOld, ...rest],
      backward: (g) => {
        const gB = ops.clone(g);
        const region = gB._viewAs(geo.shape, geo.strides, geo.offset);
        const out: (Tensor | null | undefined)[] = [gB];
        let wrote = false;
        if (!fn) {
          // the region's new values are constants: no gradient flows through it
          const z = ops.full([], 0);
          writeInto(region, z);
          z.dispose();
          region.dispose();
          return out;
        }
        const gSlice = ops.clone(region);
        const gin = callBackward(fn, gSlice);
        if (!gin.includes(gSlice)) gSlice.dispose();
        fn.inputs.forEach((t, j) => {
          if (t !== vIn) {
            out.push(gin[j]);
            return;
          }
          const gv = gin[j];
          if (!gv) return;
          if (!wrote) writeInto(region, gv);
          else {
            const sum = ops.add(region, gv);
            writeInto(region, sum);
            sum.dispose();
          }
          wrote = true;
          if (!out.includes(gv)) gv.dispose();
        });
        if (!wrote) {
          const z = ops.full([], 0);
          writeInto(region, z);
          z.dispose();
        }
        region.dispose();
        return out;
      },
    };
    base._requiresGrad = true;
    this.gradFn = {
      name: "AsStridedBackward",
      inputs: [base],
      backward: (g) => {
        const gB = ops.full(base.shape.slice(), 0);
        const region = gB._viewAs(geo.shape, geo.strides, geo.offset);
        writeInto(region, g);
        region.dispose();
        return [gB];
      },
    };
    this._requiresGrad = true;
    return this;
  }

  /** Writes an in-place op's result r into this tensor (PyTorch's shape and dtype checks). */
  /**
   * The copy-free form of writing an op's fresh result r into this tensor outside autograd: when
   * this tensor covers its whole storage contiguously and r is a dense tensor of the same shape
   * and dtype that nothing else holds, the two storages trade places (this tensor and every view
   * of it read r's elements, laid out exactly as a copy would have written them; r takes the old
   * storage and is disposed). Returns false (nothing done) otherwise.
   */
  private adoptResult(r: Tensor, others: unknown[]): boolean {
    if (r === this || r._base !== null || r.dtype !== this.dtype || others.includes(r)) return false;
    const mine = this._ref,
      theirs = r._ref;
    if (mine === null || theirs === null || mine === theirs || theirs.cell.refs !== 1) return false;
    if (mine.backend !== theirs.backend || mine.cell.counted !== theirs.cell.counted) return false;
    if (mine.cell.done || theirs.cell.done || !sameShape(r.shape, this.shape)) return false;
    const n = this.numel();
    if (this.offset !== 0 || r.offset !== 0 || mine.storage.size !== n || theirs.storage.size !== n) return false;
    if (!this.isContiguous() || !r.isContiguous()) return false;
    const s = mine.storage,
      release = mine.cell.release;
    mine.storage = theirs.storage;
    mine.cell.release = theirs.cell.release;
    theirs.storage = s;
    theirs.cell.release = release;
    r.dispose();
    return true;
  }
  private writeResult(r: Tensor, allowCast: boolean): void {
    if (!sameShape(r.shape, this.shape)) {
      throw new RangeError(
        `output with shape [${this.shape.join(", ")}] doesn't match the broadcast shape [${r.shape.join(", ")}]`,
      );
    }
    if (!allowCast && !canCast(r.dtype, this.dtype)) {
      throw new TypeError(
        `result type ${scalarTypeName(r.dtype)} can't be cast to the desired output type ${scalarTypeName(this.dtype)}`,
      );
    }
    if (r === this) return;
    writeInto(this, r, true);
  }
}

/** The leaf check of every in-place op (only while autograd records, as PyTorch). */
export function checkInplace(t: Tensor): void {
  if (isGradEnabled() && t.isLeaf && t.requiresGrad) {
    throw new Error("a leaf Variable that requires grad is being used in an in-place operation.");
  }
}

/** Writes src (broadcast to dst's shape; converted to dst's dtype when `cast`) into dst's elements
 *  wherever they are (strided, offset), with one kernel; no autograd. */
export function writeInto(dst: Tensor, src: Tensor, cast = true): void {
  const bad = () =>
    new RangeError(
      `output with shape [${dst.shape.join(", ")}] doesn't match the broadcast shape [${ops.broadcastShapes(dst.shape, src.shape).join(", ")}]`,
    );
  const n = dst.shape.length,
    off = n - src.shape.length;
  if (off < 0) throw bad();
  let s = src;
  if (s.dtype !== dst.dtype) {
    if (!cast) throw new TypeError(`expected ${dst.dtype} but got ${s.dtype}`);
    s = ops.cast(s, dst.dtype);
  }
  const sStrides = dst.shape.map((d, k) => {
    if (k < off) return 0;
    const sd = s.shape[k - off];
    if (sd === d) return sd === 1 ? 0 : s.strides[k - off];
    if (sd === 1) return 0;
    throw bad();
  });
  if (dst.numel() === 0) {
    if (s !== src) s.dispose();
    return;
  }
  if (n === 0) backendImpl().assignStrided(s.storage, s.offset, [1], dst.storage, dst.offset, [1], [1]);
  else backendImpl().assignStrided(s.storage, s.offset, sStrides, dst.storage, dst.offset, dst.strides, dst.shape);
  if (s !== src) s.dispose();
}

setTensorClass(Tensor);

/** torch.max(x, dim)'s (values, indices): destructure as `const [v, i] = x.max(1)` or read .values/.indices. */
export class MaxResult {
  constructor(
    readonly values: Tensor,
    readonly indices: Tensor,
  ) {}
  get 0(): Tensor {
    return this.values;
  }
  get 1(): Tensor {
    return this.indices;
  }
  *[Symbol.iterator](): Generator<Tensor> {
    yield this.values;
    yield this.indices;
  }
}
export function makeMaxResult(values: Tensor, indices: Tensor): MaxResult {
  return new MaxResult(values, indices);
}

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
      if (u && u.requiresGrad && !seen.has(u)) {
        seen.add(u);
        stack.push([u, 0]);
      }
    } else {
      stack.pop();
      order.push(top[0]);
    }
  }
  // grads holds tensors the engine owns, except a seed the caller passed in; the gradients of
  // leaves (and retainGrad tensors) are applied only once every node's backward has succeeded
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const toAccumulate: [Tensor, Tensor | null][] = [];
  const release = (g: Tensor) => {
    if (g !== seed || ownSeed) g.dispose();
  };
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
      // a backward that passes g through (add, views of the same shape) hands it to its first
      // input without a copy when nothing else holds it
      let handed = false;
      if (t.gradFn) {
        // the backward's temporaries are freed when it returns (ts/autograd.ts)
        const gf = t.gradFn;
        const gin = backwardScope(() => callBackward(gf, g));
        const inputs = t.gradFn.inputs;
        for (let j = 0; j < inputs.length; j++) {
          const u = inputs[j],
            gu = gin[j];
          if (!gu) continue;
          if (!u || !u.requiresGrad) {
            if (gu !== g) gu.dispose();
            continue;
          }
          let own = gu;
          if (gu === g) {
            if (!kept && !handed && (g !== seed || ownSeed)) handed = true;
            else own = g.clone();
          }
          const prev = grads.get(u);
          if (prev) {
            grads.set(u, ops.add(prev, own));
            prev.dispose();
            own.dispose();
          } else grads.set(u, own);
        }
      }
      if (!kept && !handed) release(g);
    }
    const adopted = new Set<Tensor>();
    for (let k = 0; k < toAccumulate.length; k++) {
      const [t, g] = toAccumulate[k];
      if (!g) continue;
      if (adopted.has(g)) {
        // the same tensor for two leaves: already another leaf's .grad, so copied, not freed
        accumulateGrad(t, g);
        toAccumulate[k] = [t, null];
      } else if (accumulateGrad(t, g, g !== seed || ownSeed)) {
        // an engine-owned gradient nothing else holds became t.grad itself (no copy)
        adopted.add(g);
        toAccumulate[k] = [t, null];
      }
    }
  } finally {
    for (const [, g] of toAccumulate) if (g) release(g);
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
    // and the intermediates of the module forwards this graph ran through (runtime.inForward)
    for (const t of order) {
      const scope = (t as { _forward?: ForwardScope })._forward;
      if (scope) releaseForward(scope);
    }
  }
}
function freedBackward(): never {
  throw new Error(BACKWARD_TWICE);
}

function checkGradShape(t: Tensor, g: Tensor): void {
  if (!sameShape(g.shape, t.shape)) {
    throw new Error(
      `internal: gradient of shape [${g.shape}] for tensor of shape [${t.shape}] (${t.gradFn?.name ?? "leaf"})`,
    );
  }
}

/** Adds g into t.grad (creating it). With `mayAdopt` (g is the engine's), a g that nothing else
 *  holds (its own dense storage, no views, no graph) becomes t.grad itself, as PyTorch's
 *  AccumulateGrad steals such a gradient: returns true when it did (the caller no longer owns g). */
function accumulateGrad(t: Tensor, g: Tensor, mayAdopt = false): boolean {
  if (t.grad && !t.grad.isDisposed) {
    const sum = ops.add(t.grad, g);
    t.grad.copy_(sum);
    sum.dispose();
    return false;
  }
  if (mayAdopt && !g.requiresGrad && g._base === null && g.dtype === t.dtype && g.ref.cell.refs === 1 && g.isDense()) {
    t.grad = keep(g);
    return true;
  }
  t.grad = keep(g.clone());
  return false;
}

/** PyTorch's computeStride (aten/src/ATen/TensorUtils.cpp): the strides that view a tensor of
 *  oldShape/oldStrides as newShape without a copy, or null when no such strides exist. */
export function computeStride(
  oldShape: readonly number[],
  oldStrides: readonly number[],
  newShape: readonly number[],
): number[] | null {
  if (oldShape.length === 0) return newShape.map(() => 1);
  const numel = numelOf(oldShape);
  if (numel === 0 && sameShape(oldShape, newShape)) return oldStrides.slice();
  const newStrides = new Array(newShape.length).fill(0);
  if (numel === 0) {
    // any strides do; PyTorch's contiguous-like choice
    let s = 1;
    for (let k = newShape.length - 1; k >= 0; k--) {
      newStrides[k] = s;
      s *= Math.max(newShape[k], 1);
    }
    return newStrides;
  }
  let viewD = newShape.length - 1;
  let chunkBaseStride = oldStrides[oldStrides.length - 1];
  let tensorNumel = 1,
    viewNumel = 1;
  for (let tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= oldShape[tensorD];
    if (tensorD === 0 || (oldShape[tensorD - 1] !== 1 && oldStrides[tensorD - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (tensorD > 0) {
        chunkBaseStride = oldStrides[tensorD - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}
