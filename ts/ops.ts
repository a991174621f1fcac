// Differentiable tensor ops: each computes its output with one backend kernel and records a
// GradFn whose backward is written once, from kernels and other ops, for every backend.

import type { BinaryOp, DType, ScalarOp, Storage, UnaryOp } from "./backends/types.js";
import { promoteScalar, promoteTypes } from "./dtypes.js";
import { maskedWhere } from "./ops/shape.js";
import { backendImpl, isGradEnabled, noGrad } from "./runtime.js";
import { grads, kernel } from "./autograd.js";
import {
  Tensor,
  type GradFn,
  snapshotVersions,
  computeStride,
  type MaxResult,
  contiguousStrides,
  makeMaxResult,
  normDim,
  numelOf,
  sameShape,
} from "./tensor.js";

const K = () => backendImpl();

/** Attaches a GradFn to out when recording is on and an input needs gradients. */
/** Whether an op on these inputs will be recorded for autograd. */
export function willRecord(inputs: (Tensor | null)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t !== null && t.requiresGrad);
}

export function record(out: Tensor, name: string, inputs: (Tensor | null)[], backward: GradFn["backward"]): Tensor {
  if (willRecord(inputs)) {
    out.gradFn = { name, inputs, backward, saved: snapshotVersions([...inputs, out]) };
    (out as any)._requiresGrad = true;
  }
  return out;
}

export function empty(shape: number[], dtype: DType = "float32"): Tensor {
  return Tensor.empty(shape, dtype);
}
export function full(shape: number[], v: number, dtype: DType = "float32"): Tensor {
  const t = Tensor.empty(shape, dtype);
  K().fill(t.storage, v);
  return t;
}
export function fullLike(t: Tensor, v: number): Tensor {
  return full(t.shape.slice(), v, t.dtype);
}
function floatOnly(t: Tensor, op: string) {
  if (t.dtype !== "float32") throw new TypeError(`${op}: expected a float32 tensor but got ${t.dtype}`);
}

// ------------------------------------------------------------------ broadcasting

/** The shape two shapes broadcast to, or an error naming both (`torch.broadcast_shapes`). */
export function broadcastShapes(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length),
    out = new Array(n);
  for (let k = 0; k < n; k++) {
    const da = a[a.length - n + k] ?? 1,
      db = b[b.length - n + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${k}`,
      );
    }
    out[k] = da === 1 ? db : da;
  }
  return out;
}
/** Strides of a dense tensor of `shape` read as `outShape` (0 on broadcast dims). */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const st = contiguousStrides(shape),
    n = outShape.length,
    off = n - shape.length;
  return outShape.map((_, k) => (k < off || shape[k - off] === 1 ? 0 : st[k - off]));
}

/** Sums g down to `shape` (undoing broadcasting). Returns g itself when nothing to do. */
export function sumTo(g: Tensor, shape: number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const dims: number[] = [];
  for (let k = 0; k < g.shape.length; k++) {
    if (k < lead || (shape[k - lead] === 1 && g.shape[k] !== 1)) dims.push(k);
  }
  const s = sum(g, dims, true);
  const r = reshape(s, shape);
  if (r !== s) s.dispose();
  return r;
}

// ------------------------------------------------------------------ elementwise

const COMPARE = new Set<string>(["gt", "lt", "eq", "ne", "le", "ge"]);
/** Binary ops whose result is float32 whatever the inputs (PyTorch's true division etc.). */
const FLOAT_RESULT = new Set<string>(["div", "atan2", "hypot"]);

/** The dtype of a binary op's result (PyTorch's promotion; comparisons give bool). */
function binaryResultType(op: string, a: DType, b: DType): DType {
  if (COMPARE.has(op)) return "bool";
  const t = promoteTypes(a, b);
  if (FLOAT_RESULT.has(op)) return "float32";
  if (t === "bool" && op === "sub") {
    throw new TypeError(
      "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
    );
  }
  return t;
}

export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const dt = binaryResultType(op, a.dtype, b.dtype);
  // bool + bool is logical or (PyTorch): the kernel's max of 0/1 values
  if (dt === "bool" && op === "add") op = "maximum";
  const shape = broadcastShapes(a.shape, b.shape);
  const ad = a.dense(),
    bd = b.dense();
  const out = Tensor.empty(shape, dt, true);
  // mixed dtypes: the kernels read each operand in its own type and compute in double
  K().binary(
    op,
    ad.storage,
    broadcastStrides(a.shape, shape),
    bd.storage,
    broadcastStrides(b.shape, shape),
    out.storage,
    shape,
  );
  if (ad !== a) ad.dispose();
  if (bd !== b) bd.dispose();
  return out;
}
export function scalarRaw(op: ScalarOp, a: Tensor, s: number): Tensor {
  let dt: DType;
  if (COMPARE.has(op)) dt = "bool";
  else if (op === "rdiv") dt = "float32";
  else {
    dt = promoteScalar(a.dtype, s);
    if (dt === "int64" && op === "pow" && s < 0)
      throw new RangeError("Integers to negative integer powers are not allowed.");
    if (dt === "bool") dt = a.dtype;
  }
  if (dt === "bool" && op === "add") {
    // bool + bool scalar: logical or
    op = "maximum";
    s = s ? 1 : 0;
  }
  const ad = a.dense();
  const out = Tensor.empty(a.shape.slice(), dt, true);
  K().scalar(op, ad.storage, s, out.storage);
  if (ad !== a) ad.dispose();
  return out;
}
/** op applied to a temporary, which is then disposed. */
function scalarRawThen(tmp: Tensor, op: ScalarOp, s: number): Tensor {
  const out = scalarRaw(op, tmp, s);
  tmp.dispose();
  return out;
}
export function add(a: Tensor, b: Tensor | number, alpha = 1): Tensor {
  if (typeof b === "number") {
    const out = scalarRaw("add", a, b * alpha);
    return record(out, "AddBackward", [a], (g) => [g]);
  }
  if (alpha !== 1) b = mul(b, alpha);
  const out = binaryRaw("add", a, b);
  const bb = b;
  return record(out, "AddBackward", [a, bb], (g) => [
    a.requiresGrad ? sumTo(g, a.shape) : null,
    bb.requiresGrad ? sumTo(g, bb.shape) : null,
  ]);
}

export function sub(a: Tensor, b: Tensor | number, alpha = 1): Tensor {
  if (a.dtype === "bool" || (b instanceof Tensor && b.dtype === "bool")) {
    if (a.dtype === "bool" && b instanceof Tensor && b.dtype === "bool") {
      throw new TypeError(
        "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
      );
    }
    throw new TypeError(
      "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
  }
  if (typeof b === "number") return add(a, -b * alpha);
  if (alpha !== 1) b = mul(b, alpha);
  const out = binaryRaw("sub", a, b);
  const bb = b;
  return record(out, "SubBackward", [a, bb], (g) => [
    a.requiresGrad ? sumTo(g, a.shape) : null,
    bb.requiresGrad ? sumTo(unary("neg", g), bb.shape) : null,
  ]);
}

/** sumTo that disposes its input when it made a new tensor. */
function reduceOwned(t: Tensor, shape: number[]): Tensor {
  const r = sumTo(t, shape);
  if (r !== t) t.dispose();
  return r;
}

export function mul(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === "number") {
    const out = scalarRaw("mul", a, b);
    return record(out, "MulBackward", [a], (g) => [scalarRaw("mul", g, b)]);
  }
  const out = binaryRaw("mul", a, b);
  // gradients read like derivatives.yaml: temporaries are freed by the backward scope (autograd.ts)
  return record(out, "MulBackward", [a, b], (g) =>
    grads(
      [a, b],
      () => sumTo(binaryRaw("mul", g, b), a.shape),
      () => sumTo(binaryRaw("mul", g, a), b.shape),
    ),
  );
}

export function div(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === "number") {
    if (a.dtype !== "float32") a = cast(a, "float32"); // true division, as PyTorch
    const out = scalarRaw("mul", a, 1 / b);
    return record(out, "DivBackward", [a], (g) => [scalarRaw("mul", g, 1 / b)]);
  }
  const out = binaryRaw("div", a, b);
  return record(out, "DivBackward", [a, b], (g) =>
    grads(
      [a, b],
      () => sumTo(binaryRaw("div", g, b), a.shape),
      () => sumTo(scalarRaw("mul", binaryRaw("mul", g, binaryRaw("div", out, b)), -1), b.shape),
    ),
  ); // -g * out / b
}

export function pow(a: Tensor, e: Tensor | number): Tensor {
  if (typeof e === "number") {
    const out = scalarRaw("pow", a, e);
    // g * e * a^(e-1); PyTorch: a zero gradient (not 0 * a^-1) for a zero exponent
    return record(out, "PowBackward", [a], (g) => [
      e === 0
        ? fullLike(a, 0)
        : binaryRaw("mul", g, e === 2 ? scalarRaw("mul", a, 2) : scalarRaw("mul", scalarRaw("pow", a, e - 1), e)),
    ]);
  }
  const out = binaryRaw("pow", a, e);
  return record(out, "PowBackward", [a, e], (g) =>
    grads(
      [a, e],
      () => sumTo(binaryRaw("mul", g, binaryRaw("mul", binaryRaw("pow", a, scalarRaw("add", e, -1)), e)), a.shape), // g * e * a^(e-1)
      () => sumTo(binaryRaw("mul", g, binaryRaw("mul", out, unaryRaw("log", a))), e.shape),
    ),
  ); // g * out * log(a)
}

function minmax(op: "maximum" | "minimum", a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw(op, a, b);
  return record(out, op === "maximum" ? "MaximumBackward" : "MinimumBackward", [a, b], (g) => {
    // the gradient goes to the input that was picked (to a on ties, as in PyTorch it is split; we halve)
    const wa = binaryRaw(
      "add",
      binaryRaw(op === "maximum" ? "gt" : "lt", a, b),
      scalarRaw("mul", binaryRaw("eq", a, b), 0.5),
    );
    return grads(
      [a, b],
      () => sumTo(binaryRaw("mul", g, wa), a.shape),
      () => sumTo(binaryRaw("mul", g, scalarRaw("rsub", wa, 1)), b.shape),
    );
  });
}
export const maximum = (a: Tensor, b: Tensor) => minmax("maximum", a, b);
export const minimum = (a: Tensor, b: Tensor) => minmax("minimum", a, b);

export function clamp(a: Tensor, min?: number | null, max?: number | null): Tensor {
  let out = scalarRaw("mul", a, 1);
  if (min !== undefined && min !== null) {
    const t = scalarRaw("maximum", out, min);
    out.dispose();
    out = t;
  }
  if (max !== undefined && max !== null) {
    const t = scalarRaw("minimum", out, max);
    out.dispose();
    out = t;
  }
  return record(out, "ClampBackward", [a], (g) => {
    // pass-through where min <= a <= max
    let mask = full(a.shape.slice(), 1);
    if (min !== undefined && min !== null) mask = binaryRaw("mul", mask, scalarRaw("rsub", scalarRaw("lt", a, min), 1));
    if (max !== undefined && max !== null) mask = binaryRaw("mul", mask, scalarRaw("rsub", scalarRaw("gt", a, max), 1));
    return [binaryRaw("mul", g, mask)];
  });
}

export function compare(op: "gt" | "lt" | "eq" | "ne" | "le" | "ge", a: Tensor, b: Tensor | number | boolean): Tensor {
  if (typeof b === "boolean") b = b ? 1 : 0;
  return typeof b === "number" ? scalarRaw(op, a, b) : binaryRaw(op, a, b);
}

function unaryRaw(op: UnaryOp, a: Tensor): Tensor {
  const ad = a.dense();
  const out = Tensor.empty(a.shape.slice(), "float32", true);
  K().unary(op, ad.storage, out.storage);
  if (ad !== a) ad.dispose();
  return out;
}

/** op(a) elementwise with its backward kernel; `p` holds a parameterised op's parameters. */
export function unary(op: UnaryOp, a: Tensor, p: readonly number[] = []): Tensor {
  floatOnly(a, op);
  const ad = a.dense();
  const out = Tensor.empty(a.shape.slice(), "float32", true);
  K().unary(op, ad.storage, out.storage, p);
  if (ad !== a && !a.requiresGrad) ad.dispose();
  const name = op[0].toUpperCase() + op.slice(1) + "Backward";
  if (!(isGradEnabled() && a.requiresGrad)) {
    if (ad !== a) ad.dispose();
    return out;
  }
  const r = record(out, name, [a], (g) => [
    kernel(a.shape, [g], (k, gs, gx) => k.unaryGrad(op, ad.storage, out.storage, gs, gx, p)),
  ]);
  // gradients that read only the output (or nothing): the input is not a saved tensor (PyTorch
  // lets it change in place before backward)
  if (GRAD_READS_Y_ONLY.has(op)) r.gradFn?.saved?.delete(a);
  return r;
}
/** Unary ops whose gradient reads y (or nothing), never x (Unary::grad_reads in elementwise.rs). */
const GRAD_READS_Y_ONLY = new Set<string>(["neg", "exp", "sqrt", "rsqrt", "sigmoid", "tanh", "recip"]);

export function cast(a: Tensor, dtype: DType): Tensor {
  if (a.dtype === dtype) return a;
  const ad = a.dense();
  const out = Tensor.empty(a.shape.slice(), dtype, true);
  K().cast(ad.storage, out.storage);
  if (ad !== a) ad.dispose();
  return out;
}

// ------------------------------------------------------------------ reductions

function normDims(dim: number | number[] | null | undefined, nd: number): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: nd }, (_, k) => k);
  const ds = (Array.isArray(dim) ? dim : [dim]).map((d) => normDim(d, nd));
  return [...new Set(ds)].sort((x, y) => x - y);
}
function reducedShape(shape: number[], dims: number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, k) => {
    if (!dims.includes(k)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Sum over dims with no autograd: one kernel call per run of adjacent reduced dims. */
function sumRaw(a: Tensor, dims: number[]): Tensor {
  let cur = a.dense();
  let shape = a.shape.slice();
  // reduce from the last dim backwards so earlier indices stay valid
  for (let k = dims.length - 1; k >= 0; ) {
    let j = k;
    while (j > 0 && dims[j - 1] === dims[j] - 1) j--;
    const d0 = dims[j],
      d1 = dims[k];
    const outer = numelOf(shape.slice(0, d0)),
      red = numelOf(shape.slice(d0, d1 + 1)),
      inner = numelOf(shape.slice(d1 + 1));
    const nshape = [...shape.slice(0, d0), ...new Array(d1 - d0 + 1).fill(1), ...shape.slice(d1 + 1)];
    const out = Tensor.empty(nshape, cur.dtype === "float32" ? "float32" : "int64"); // bool/int64 sum to int64
    K().sum(cur.storage, out.storage, outer, red, inner);
    if (cur !== a) cur.dispose();
    cur = out;
    shape = nshape;
    k = j - 1;
  }
  return cur === a ? clone(a) : cur;
}

export function sum(a: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const dims = normDims(dim, a.dim());
  const r = sumRaw(a, dims);
  const shape = reducedShape(a.shape, dims, keepdim);
  const out = sameShape(r.shape, shape) ? r : reshapeRaw(r, shape);
  if (out !== r) r.dispose();
  return record(out, "SumBackward", [a], (g) => [expandGrad(g, a.shape, dims)]);
}

/** Broadcasts a reduced gradient back over the reduced dims (dense result). */
function expandGrad(g: Tensor, shape: number[], dims: number[]): Tensor {
  const kshape = shape.map((d, k) => (dims.includes(k) ? 1 : d));
  const gk = g.dense();
  const out = Tensor.empty(shape.slice(), "float32");
  const zero = full([], 0);
  K().binary(
    "add",
    gk.storage,
    broadcastStrides(kshape, shape),
    zero.storage,
    shape.map(() => 0),
    out.storage,
    shape,
  );
  zero.dispose();
  if (gk !== g) gk.dispose();
  return out;
}

export function mean(a: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  floatOnly(a, "mean");
  const dims = normDims(dim, a.dim());
  const cnt = dims.reduce((p, d) => p * a.shape[d], 1);
  const r = sumRaw(a, dims);
  const shape = reducedShape(a.shape, dims, keepdim);
  const out = scalarRaw("mul", r, 1 / cnt);
  r.dispose();
  const res = sameShape(out.shape, shape) ? out : reshapeRaw(out, shape);
  if (res !== out) out.dispose();
  return record(res, "MeanBackward", [a], (g) => {
    const gs = scalarRaw("mul", g, 1 / cnt);
    const gx = expandGrad(gs, a.shape, dims);
    gs.dispose();
    return [gx];
  });
}

export function variance(
  a: Tensor,
  dim?: number | number[] | null,
  opts: { unbiased?: boolean; correction?: number; keepdim?: boolean } = {},
): Tensor {
  const dims = normDims(dim, a.dim());
  const cnt = dims.reduce((p, d) => p * a.shape[d], 1);
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const m = mean(a, dims, true);
  const d = sub(a, m),
    sq = mul(d, d);
  const s = sum(sq, dims, opts.keepdim ?? false);
  return div(s, Math.max(cnt - correction, 0));
}

export function maxAll(a: Tensor): Tensor {
  const ad = a.dense();
  const out = Tensor.empty([], a.dtype),
    idx = Tensor.empty([1], "int64");
  if (a.numel() === 0) throw new RangeError("max(): Expected reduction dim to be specified for input.numel() == 0.");
  K().max(ad.storage, out.storage, idx.storage, 1, a.numel(), 1);
  if (ad !== a) ad.dispose();
  idx.dispose();
  // as PyTorch's full max(): the gradient is split evenly between all elements equal to the max
  return record(out, "MaxBackward", [a], (g) => {
    const mask = binaryRaw("eq", a, out),
      cnt = sum(mask),
      w = binaryRaw("div", g, cnt);
    const gx = binaryRaw("mul", mask, w);
    mask.dispose();
    cnt.dispose();
    w.dispose();
    return [gx];
  });
}

export function maxDim(a: Tensor, dim: number, keepdim = false): MaxResult {
  const d = normDim(dim, a.dim());
  const outer = numelOf(a.shape.slice(0, d)),
    red = a.shape[d],
    inner = numelOf(a.shape.slice(d + 1));
  const ad = a.dense();
  const shape = reducedShape(a.shape, [d], keepdim);
  const values = Tensor.empty(shape, a.dtype),
    indices = Tensor.empty(shape.slice(), "int64");
  K().max(ad.storage, values.storage, indices.storage, outer, red, inner);
  if (ad !== a) ad.dispose();
  record(values, "MaxBackward", [a], (g) => [scatterToIndex(g, indices, a.shape, outer, red, inner)]);
  return makeMaxResult(values, indices);
}

/** gx of `shape` with g placed at the max positions (idx along the reduced middle axis). */
function scatterToIndex(g: Tensor, idx: Tensor, shape: number[], outer: number, red: number, inner: number): Tensor {
  const flat = Tensor.empty([outer * inner], "int64");
  const iv = idx.backendView() as Int32Array;
  const fv = flat.backendView() as Int32Array;
  for (let i = 0; i < outer; i++) for (let j = 0; j < inner; j++) fv[i * inner + j] = iv[i * inner + j] * inner + j;
  const gd = g.dense();
  const gx = Tensor.empty(shape.slice(), "float32");
  K().indexPoolGrad(gd.storage, flat.storage, gx.storage, outer, red * inner, inner);
  flat.dispose();
  if (gd !== g) gd.dispose();
  return gx;
}

export function argmax(a: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) {
    const ad = a.dense();
    const v = Tensor.empty([], a.dtype),
      idx = Tensor.empty([], "int64");
    K().max(ad.storage, v.storage, idx.storage, 1, a.numel(), 1);
    if (ad !== a) ad.dispose();
    v.dispose();
    return idx;
  }
  const r = noGrad(() => maxDim(a, dim, keepdim));
  r.values.dispose();
  return r.indices;
}

// ------------------------------------------------------------------ softmax

export function softmax(a: Tensor, dim: number, log: boolean): Tensor {
  floatOnly(a, log ? "log_softmax" : "softmax");
  const d = normDim(dim, a.dim());
  const outer = numelOf(a.shape.slice(0, d)),
    n = a.shape[d] ?? 1,
    inner = numelOf(a.shape.slice(d + 1));
  const ad = a.dense();
  const out = Tensor.empty(a.shape.slice(), "float32");
  K().softmax(ad.storage, out.storage, outer, n, inner, log);
  if (ad !== a) ad.dispose();
  return record(out, log ? "LogSoftmaxBackward" : "SoftmaxBackward", [a], (g) => {
    const gd = g.dense();
    const gx = Tensor.empty(a.shape.slice(), "float32");
    K().softmaxGrad(out.storage, gd.storage, gx.storage, outer, n, inner, log);
    if (gd !== g) gd.dispose();
    return [gx];
  });
}

// ------------------------------------------------------------------ matmul

/** C = op(A) @ op(B) (+ bias) for one row-major matrix pair, from element offsets (default 0);
 *  beta 1 accumulates into C. The single-matrix form of backend.gemm. */
export function gemm2d(
  M: number,
  N: number,
  Kd: number,
  a: Storage,
  transA: boolean,
  b: Storage,
  transB: boolean,
  c: Storage,
  o: { aOff?: number; bOff?: number; cOff?: number; beta?: 0 | 1; bias?: Storage | null } = {},
): void {
  K().gemm({
    batch: 1,
    M,
    N,
    K: Kd,
    a,
    aOff: o.aOff ?? 0,
    aStride: 0,
    transA,
    b,
    bOff: o.bOff ?? 0,
    bStride: 0,
    transB,
    c,
    cOff: o.cOff ?? 0,
    cStride: 0,
    beta: o.beta ?? 0,
    bias: o.bias ?? null,
  });
}

/** How a 2-d operand can be fed to gemm without a copy: dense, or the transpose of a dense matrix. */
function gemmOperand(t: Tensor): { t: Tensor; trans: boolean; owned: boolean } {
  if (t.isDense()) return { t, trans: false, owned: false };
  const [r, c] = t.shape;
  if (t.dim() === 2 && t.offset === 0 && t.strides[0] === 1 && t.strides[1] === r && r * c === t.storage.size) {
    return { t, trans: true, owned: false };
  }
  return { t: t.dense(), trans: false, owned: true };
}

function mm2d(a: Tensor, b: Tensor): Tensor {
  const [M, Ka] = a.shape,
    [Kb, N] = b.shape;
  if (Ka !== Kb) throw new RangeError(`mat1 and mat2 shapes cannot be multiplied (${M}x${Ka} and ${Kb}x${N})`);
  const A = gemmOperand(a),
    B = gemmOperand(b);
  const out = Tensor.empty([M, N], "float32", true);
  gemm2d(M, N, Ka, A.t.storage, A.trans, B.t.storage, B.trans, out.storage);
  if (A.owned) A.t.dispose();
  if (B.owned) B.t.dispose();
  return out;
}

/** Matrix product with broadcasting: vector-vector, matrix-vector, matrix-matrix and batched (`torch.matmul`). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  floatOnly(a, "matmul");
  floatOnly(b, "matmul");
  if (a.dim() === 0 || b.dim() === 0)
    throw new RangeError(
      "both arguments to matmul need to be at least 1D, but they are " + `${a.dim()}D and ${b.dim()}D`,
    );
  if (a.dim() === 1 && b.dim() === 1) {
    if (a.shape[0] !== b.shape[0])
      throw new RangeError(
        `inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
      );
    return sum(mul(a, b));
  }
  if (a.dim() === 1) {
    const r = matmul(unsqueeze(a, 0), b);
    return squeeze(r, -2);
  }
  if (b.dim() === 1) {
    const r = matmul(a, unsqueeze(b, 1));
    return squeeze(r, -1);
  }
  if (a.dim() === 2 && b.dim() === 2) {
    const out = mm2d(a, b);
    return record(out, "MmBackward", [a, b], (g) => [
      a.requiresGrad ? mm2d(g, transposeRaw(b)) : null,
      b.requiresGrad ? mm2d(transposeRaw(a), g) : null,
    ]);
  }
  // batched with broadcast batch dims
  const M = a.shape[a.dim() - 2],
    Ka = a.shape[a.dim() - 1],
    Kb = b.shape[b.dim() - 2],
    N = b.shape[b.dim() - 1];
  if (Ka !== Kb) {
    throw new RangeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${a.shape.slice(0, -2).reduce((p, x) => p * x, 1)}, ${Ka}] but got: [${b.shape.slice(0, -2).reduce((p, x) => p * x, 1)}, ${Kb}].`,
    );
  }
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = bmmRaw(a, b, batchShape, false, false);
  return record(out, "BmmBackward", [a, b], (g) => {
    let ga: Tensor | null = null,
      gb: Tensor | null = null;
    if (a.requiresGrad) ga = reduceOwned(bmmRaw(g, b, batchShape, false, true), a.shape);
    if (b.requiresGrad) gb = reduceOwned(bmmRaw(a, g, batchShape, true, false), b.shape);
    return [ga, gb];
  });
}

/** op(a) @ op(b) over the broadcast batch; transX swaps the last two dims of X. */
function bmmRaw(a: Tensor, b: Tensor, batchShape: number[], transA: boolean, transB: boolean): Tensor {
  const ra = a.dim(),
    rb = b.dim();
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2],
    Kd = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batch = numelOf(batchShape);
  const prep = (t: Tensor) => {
    const bs = t.shape.slice(0, -2);
    const nb = numelOf(bs);
    if (nb === 1) return { t: t.dense(), stride: 0 };
    if (sameShape(bs, batchShape) || (numelOf(bs) === batch && bs.length <= batchShape.length)) {
      return { t: t.dense(), stride: t.shape[t.dim() - 1] * t.shape[t.dim() - 2] };
    }
    const ex = expandRaw(t, [...batchShape, ...t.shape.slice(-2)]);
    const d = ex.dense();
    ex.dispose();
    return { t: d, stride: t.shape[t.dim() - 1] * t.shape[t.dim() - 2] };
  };
  const A = prep(a),
    B = prep(b);
  const out = Tensor.empty([...batchShape, M, N], "float32", true);
  K().gemm({
    batch,
    M,
    N,
    K: Kd,
    a: A.t.storage,
    aOff: 0,
    aStride: A.stride,
    transA,
    b: B.t.storage,
    bOff: 0,
    bStride: B.stride,
    transB,
    c: out.storage,
    cOff: 0,
    cStride: M * N,
    beta: 0,
  });
  if (A.t !== a) A.t.dispose();
  if (B.t !== b) B.t.dispose();
  return out;
}

/** x @ w^T + b in one gemm (the Linear layer), with the bias fused into the epilogue. */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  floatOnly(x, "linear");
  const inF = w.shape[1],
    outF = w.shape[0];
  if (x.shape[x.dim() - 1] !== inF) {
    const rows = numelOf(x.shape.slice(0, -1));
    throw new RangeError(
      `mat1 and mat2 shapes cannot be multiplied (${rows}x${x.shape[x.dim() - 1]} and ${w.shape[1]}x${w.shape[0]})`,
    );
  }
  const lead = x.shape.slice(0, -1),
    rows = numelOf(lead);
  const xd = x.dense(),
    wd = w.dense(),
    bd = b ? b.dense() : null;
  const out = Tensor.empty([...lead, outF], "float32", true);
  gemm2d(rows, outF, inF, xd.storage, false, wd.storage, true, out.storage, { bias: bd ? bd.storage : null });
  return record(out, "AddmmBackward", [x, w, b ?? null], (g) => {
    const gd = g.dense();
    let gx: Tensor | null = null,
      gw: Tensor | null = null,
      gb: Tensor | null = null;
    if (x.requiresGrad) {
      gx = Tensor.empty(x.shape.slice(), "float32", true);
      gemm2d(rows, inF, outF, gd.storage, false, wd.storage, false, gx.storage);
    }
    if (w.requiresGrad) {
      gw = Tensor.empty([outF, inF], "float32", true);
      gemm2d(outF, inF, rows, gd.storage, true, xd.storage, false, gw.storage);
    }
    if (b && b.requiresGrad) {
      gb = Tensor.empty([outF], "float32");
      K().sum(gd.storage, gb.storage, 1, rows, outF);
    }
    if (gd !== g) gd.dispose();
    return [gx, gw, gb];
  });
}

// ------------------------------------------------------------------ shape ops (views)

function inferShape(shape: number[], numel: number): number[] {
  const out = shape.slice();
  const neg = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) throw new RangeError("only one dimension can be inferred");
  if (neg >= 0) {
    const rest = out.reduce((p, d, k) => (k === neg ? p : p * d), 1);
    if (rest === 0 || numel % rest !== 0)
      throw new RangeError(`shape '[${shape.join(", ")}]' is invalid for input of size ${numel}`);
    out[neg] = numel / rest;
  }
  if (numelOf(out) !== numel || out.some((d) => d < 0 || !Number.isInteger(d))) {
    throw new RangeError(`shape '[${shape.join(", ")}]' is invalid for input of size ${numel}`);
  }
  return out;
}

function reshapeRaw(a: Tensor, shape: number[]): Tensor {
  if (a.isContiguous()) return a._viewAs(shape, contiguousStrides(shape), a.offset);
  const st = computeStride(a.shape, a.strides, shape);
  if (st) return a._viewAs(shape, st, a.offset);
  const d = a.dense();
  const v = d._viewAs(shape, contiguousStrides(shape), 0);
  d.dispose();
  return v;
}

export function view(a: Tensor, shape: number[]): Tensor {
  const s = inferShape(shape, a.numel());
  // PyTorch's stride rule: a view whenever strides for the new shape exist (computeStride)
  const st = a.isContiguous() ? contiguousStrides(s) : computeStride(a.shape, a.strides, s);
  if (!st) {
    throw new Error(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  }
  const out = a._viewAs(s, st, a.offset);
  return record(out, "ViewBackward", [a], (g) => [reshape(g, a.shape)]);
}

export function reshape(a: Tensor, shape: number[]): Tensor {
  const s = inferShape(shape, a.numel());
  const out = reshapeRaw(a, s);
  return record(out, "ReshapeBackward", [a], (g) => [reshape(g, a.shape)]);
}

export function permute(a: Tensor, dims: number[]): Tensor {
  if (dims.length !== a.dim()) {
    throw new RangeError(
      `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${a.dim()} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const ds = dims.map((d) => normDim(d, a.dim()));
  if (new Set(ds).size !== ds.length) throw new RangeError("permute(): duplicate dims are not allowed.");
  const out = a._viewAs(
    ds.map((d) => a.shape[d]),
    ds.map((d) => a.strides[d]),
    a.offset,
  );
  const inv = new Array(ds.length);
  ds.forEach((d, k) => (inv[d] = k));
  return record(out, "PermuteBackward", [a], (g) => [permute(g, inv)]);
}

function transposeRaw(a: Tensor): Tensor {
  return a._viewAs([a.shape[1], a.shape[0]], [a.strides[1], a.strides[0]], a.offset);
}

export function transpose(a: Tensor, d0: number, d1: number): Tensor {
  const n = a.dim();
  const p = Array.from({ length: n }, (_, k) => k);
  const x = normDim(d0, n),
    y = normDim(d1, n);
  [p[x], p[y]] = [p[y], p[x]];
  return n === 0 ? a : permute(a, p);
}

export function contiguous(a: Tensor): Tensor {
  if (a.isContiguous()) return a;
  return clone(a);
}

export function clone(a: Tensor): Tensor {
  const out = Tensor.empty(a.shape.slice(), a.dtype);
  K().copyStrided(a.storage, a.offset, a.shape.length ? a.shape : [1], a.shape.length ? a.strides : [1], out.storage);
  return record(out, "CloneBackward", [a], (g) => [g]);
}

export function flatten(a: Tensor, startDim = 0, endDim = -1): Tensor {
  if (a.dim() === 0) return reshape(a, [1]);
  const s = normDim(startDim, a.dim()),
    e = normDim(endDim, a.dim());
  if (s > e) throw new RangeError("flatten() has invalid args: start_dim cannot come after end_dim");
  const shape = [...a.shape.slice(0, s), numelOf(a.shape.slice(s, e + 1)), ...a.shape.slice(e + 1)];
  return reshape(a, shape);
}

export function unsqueeze(a: Tensor, dim: number): Tensor {
  const d = normDim(dim, a.dim() + 1);
  const shape = a.shape.slice();
  shape.splice(d, 0, 1);
  return reshape(a, shape);
}

export function squeeze(a: Tensor, dim?: number): Tensor {
  let shape: number[];
  if (dim === undefined) shape = a.shape.filter((d) => d !== 1);
  else {
    const d = normDim(dim, a.dim());
    shape = a.shape.slice();
    if (shape[d] === 1) shape.splice(d, 1);
  }
  return reshape(a, shape);
}

function expandRaw(a: Tensor, shape: number[]): Tensor {
  const off = shape.length - a.dim();
  if (off < 0)
    throw new RangeError(
      `expand: the number of sizes provided (${shape.length}) must be greater or equal to the number of dimensions in the tensor (${a.dim()})`,
    );
  const strides = shape.map((d, k) => {
    if (k < off) return 0;
    const sd = a.shape[k - off];
    if (d === -1 || d === sd) return sd === 1 ? 0 : a.strides[k - off];
    if (sd !== 1)
      throw new RangeError(
        `The expanded size of the tensor (${d}) must match the existing size (${sd}) at non-singleton dimension ${k}.  Target sizes: [${shape.join(", ")}].  Tensor sizes: [${a.shape.join(", ")}]`,
      );
    return 0;
  });
  const s = shape.map((d, k) => (d === -1 ? a.shape[k - off] : d));
  return a._viewAs(s, strides, a.offset);
}

export function expand(a: Tensor, shape: number[]): Tensor {
  const out = expandRaw(a, shape);
  return record(out, "ExpandBackward", [a], (g) => [sumTo(g, a.shape)]);
}

export function narrow(a: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim(dim, a.dim());
  if (start < 0) start += a.shape[d];
  if (start < 0 || length < 0 || start + length > a.shape[d])
    throw new RangeError(`start (${start}) + length (${length}) exceeds dimension size (${a.shape[d]}).`);
  const shape = a.shape.slice();
  shape[d] = length;
  const out = a._viewAs(shape, a.strides.slice(), a.offset + start * a.strides[d]);
  return record(out, "NarrowBackward", [a], (g) => [embedSlice(g, a.shape, d, start)]);
}

export function select(a: Tensor, dim: number, index: number): Tensor {
  const d = normDim(dim, a.dim());
  const n = a.shape[d];
  if (index < -n || index >= n)
    throw new RangeError(
      `select(): index ${index} out of range for tensor of size [${a.shape.join(", ")}] at dimension ${d}`,
    );
  if (index < 0) index += n;
  const shape = a.shape.slice(),
    strides = a.strides.slice();
  shape.splice(d, 1);
  strides.splice(d, 1);
  const out = a._viewAs(shape, strides, a.offset + index * a.strides[d]);
  return record(out, "SelectBackward", [a], (g) => {
    const g1 = reshapeRaw(g.dense(), [...a.shape.slice(0, d), 1, ...a.shape.slice(d + 1)]);
    const r = embedSlice(g1, a.shape, d, index);
    g1.dispose();
    return [r];
  });
}

/** A zero tensor of `shape` with g written at [start, start + g.shape[d]) along d. */
function embedSlice(g: Tensor, shape: number[], d: number, start: number): Tensor {
  const out = full(shape.slice(), 0);
  const gd = g.dense();
  const outer = numelOf(shape.slice(0, d)),
    inner = numelOf(shape.slice(d + 1));
  const len = g.shape[d],
    src = gd.backendView(),
    dst = out.backendView();
  for (let i = 0; i < outer; i++) {
    dst.set(src.subarray(i * len * inner, (i + 1) * len * inner) as any, (i * shape[d] + start) * inner);
  }
  if (gd !== g) gd.dispose();
  return out;
}

/** Concatenates tensors along dim. */
export function cat(ts: Tensor[], dim = 0): Tensor {
  if (!ts.length) throw new RangeError("torch.cat(): expected a non-empty list of Tensors");
  const d = normDim(dim, ts[0].dim());
  const base = ts[0].shape;
  for (const t of ts) {
    if (t.dim() !== base.length || t.shape.some((s, k) => k !== d && s !== base[k])) {
      throw new RangeError(
        `Sizes of tensors must match except in dimension ${d}. Expected size ${base.join("x")} but got size ${t.shape.join("x")} for tensor in the list.`,
      );
    }
  }
  const total = ts.reduce((p, t) => p + t.shape[d], 0);
  const shape = base.slice();
  shape[d] = total;
  const out = Tensor.empty(shape, ts[0].dtype);
  const outer = numelOf(base.slice(0, d)),
    inner = numelOf(base.slice(d + 1));
  let at = 0;
  for (const t of ts) {
    const td = t.dense();
    const src = td.backendView(),
      dst = out.backendView(),
      len = t.shape[d] * inner;
    for (let i = 0; i < outer; i++)
      dst.set(src.subarray(i * len, (i + 1) * len) as any, i * total * inner + at * inner);
    if (td !== t) td.dispose();
    at += t.shape[d];
  }
  return record(out, "CatBackward", ts, (g) => {
    let s = 0;
    return ts.map((t) => {
      const part = t.requiresGrad ? narrowCopy(g, d, s, t.shape[d]) : null;
      s += t.shape[d];
      return part;
    });
  });
}

function narrowCopy(g: Tensor, d: number, start: number, len: number): Tensor {
  const shape = g.shape.slice();
  shape[d] = len;
  const v = g._viewAs(shape, g.strides.slice(), g.offset + start * g.strides[d]);
  const c = v.dense();
  if (c !== v) v.dispose();
  return c;
}

export function stack(ts: Tensor[], dim = 0): Tensor {
  if (!ts.length) throw new RangeError("stack expects a non-empty TensorList");
  const d = normDim(dim, ts[0].dim() + 1);
  return cat(
    ts.map((t) => unsqueeze(t, d)),
    d,
  );
}

/** cond ? a : b with broadcasting: one strided kernel (ts/ops/shape.ts maskedWhere), so broadcast
 *  and strided operands are read in place; the two branches promote as PyTorch's. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return maskedWhere(cond, a, b);
}
