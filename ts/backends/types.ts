// The kernel interface: what every backend (js, wasm, native) provides.
// Tensors and layers are written once above this; a backend never sees autograd.

export type DType = "float32" | "int64" | "bool";
export type BackendName = "js" | "wasm" | "native";
/** Float storage is Float32Array, except on the float64 js backend used by gradient checks. */
export type FloatArray = Float32Array | Float64Array;
/** Storage per dtype on every backend: float32 = Float32Array (Float64Array on the float64 js
 *  backend), int64 = Float64Array holding integers (exact up to 2^53), bool = Uint8Array (0/1).
 *  Int32Array only for kernel-internal scratch. */
export type ElemArray = FloatArray | Int32Array | Uint8Array;
export type ArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor;
/** Bytes per element of a dtype's storage (float32 4, int64 8, bool 1). */
export function dtypeBytes(dtype: DType): number {
  return dtype === "int64" ? 8 : dtype === "bool" ? 1 : 4;
}
/** The typed array of a dtype's storage on the wasm and native backends (float32 as Float32Array). */
export function storageArray(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor {
  return dtype === "int64" ? Float64Array : dtype === "bool" ? Uint8Array : Float32Array;
}

/** A flat block of elements owned by one backend. */
export interface Storage {
  readonly size: number;
  readonly dtype: DType;
  /** set by Backend.free; any later use is an error. */
  freed: boolean;
}

/** Every op with a Rust kernel (UnaryKernelOp, generated from `Unary` in crates/kernels/src/elementwise.rs)
 *  plus the ones that (for now) only have a js formula. */
export type UnaryOp = UnaryKernelOp | MathUnaryOp | ActivationOp;
/** Elementwise math (ts/ops/elementwise.ts; js reference in js-elementwise.ts). */
export type MathUnaryOp =
  | "sign"
  | "floor"
  | "ceil"
  | "round"
  | "trunc"
  | "frac"
  | "sin"
  | "cos"
  | "tan"
  | "asin"
  | "acos"
  | "atan"
  | "sinh"
  | "cosh"
  | "erf"
  | "erfinv"
  | "expm1"
  | "log1p"
  | "log2"
  | "log10"
  | "exp2"
  | "nanToNum";
/** Activations; the parameterised ones read `p` (see js-elementwise.ts for each op's parameters). */
export type ActivationOp =
  | "gelu"
  | "geluTanh"
  | "silu"
  | "mish"
  | "hardswish"
  | "hardsigmoid"
  | "softsign"
  | "logsigmoid"
  | "tanhshrink"
  | "leakyRelu"
  | "elu"
  | "hardtanh"
  | "softplus"
  | "softshrink"
  | "hardshrink"
  | "threshold";
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "gt"
  | "lt"
  | "eq"
  | "ne"
  | "le"
  | "ge"
  | "atan2"
  | "remainder"
  | "fmod"
  | "hypot";
/** out = x (op) s, elementwise with a scalar. "rsub": s - x, "rdiv": s / x. */
export type ScalarOp =
  | "add"
  | "mul"
  | "pow"
  | "rsub"
  | "rdiv"
  | "maximum"
  | "minimum"
  | "gt"
  | "lt"
  | "eq"
  | "ne"
  | "le"
  | "ge"
  | "remainder"
  | "fmod";

/** C[b] = beta*C[b] + op(A[b]) @ op(B[b]) (+ bias[n] on every row when bias is given).
 *  All matrices are row-major and contiguous: op(A) is MxK, stored KxM when transA.
 *  A batch stride of 0 broadcasts that operand over the batch. */
export interface GemmArgs {
  batch: number;
  M: number;
  N: number;
  K: number;
  a: Storage;
  aOff: number;
  aStride: number;
  transA: boolean;
  b: Storage;
  bOff: number;
  bStride: number;
  transB: boolean;
  c: Storage;
  cOff: number;
  cStride: number;
  beta: 0 | 1;
  bias?: Storage | null;
}

// ConvGeom and PoolGeom: declared once in Rust (abi_struct! in crates/kernels/src/conv.rs, pool.rs)
import type { AttnDims, ConvActivation, ConvGeom, PoolGeom, UnaryKernelOp } from "./abi.gen.js";
export type { ConvActivation, ConvGeom, PoolGeom };

/** Geometry of F.pad over NC volumes of iD x iH x iW (1-d/2-d pads set the leading sizes to 1):
 *  output o along a dim reads input o - p (p = the pad before; negative crops). */
export interface PadGeom {
  NC: number;
  iD: number;
  iH: number;
  iW: number;
  oD: number;
  oH: number;
  oW: number;
  pD: number;
  pH: number;
  pW: number;
}
export type PadMode = "constant" | "reflect" | "replicate" | "circular";
/** "linear" is linear along every resampled dim (bilinear, trilinear); "cubic" is bicubic. */
export type ResampleMode = "nearest" | "nearest-exact" | "linear" | "cubic";
/** Geometry of F.interpolate over NC volumes; sD/sH/sW are the user's scale factors (0: none, the
 *  kernel then uses in/out). */
export interface ResampleGeom {
  NC: number;
  mode: ResampleMode;
  alignCorners: boolean;
  iD: number;
  iH: number;
  iW: number;
  oD: number;
  oH: number;
  oW: number;
  sD: number;
  sH: number;
  sW: number;
}

/** Geometry of a fused attention call (crates/kernels/src/attention.rs) over BH = b*heads + h items:
 *  q [BH, L, E], k [BH, S, E], v [BH, S, Ev], out [BH, L, Ev] (and the output gradient), dq/dk/dv
 *  like q/k/v. Each has contiguous rows, from its element offset (xOff) with its batch (xsB), head
 *  (xsH) and row (xsL) strides: element (bh, row, col) at xOff + b*xsB + h*xsH + row*xsL + col. The
 *  additive float mask (optional) at mOff + b*msB + h*msH + i*msL + j*msS; causal masks key j >
 *  query i. lse [BH, L] is dense. */
export interface AttnGeom extends AttnDims {
  scale: number;
  causal: boolean;
  qOff: number;
  kOff: number;
  vOff: number;
  mOff: number;
  oOff: number;
  /** The output gradient's offset (it has out's strides). */
  goOff: number;
  dqOff: number;
  dkOff: number;
  dvOff: number;
}

export interface Backend {
  readonly name: BackendName;
  /** Threads the compute kernels may use (1 on js). */
  readonly threads: number;
  /** Optional: s will not be finalized (the GC may reclaim it unseen): drop it from bytesInUse now;
   *  a later free(s) must not count it again. */
  untrack?(s: Storage): void;
  /** Optional: s holds long-lived state (a module parameter, an optimizer's buffer) that every step
   *  uses: the backend keeps it in its own memory rather than spilling it to relieve a working-set
   *  budget (wasm spills it only when its memory is full). */
  keepResident?(s: Storage): void;
  /** Optional: releases the backend's workers and memory (init() switching backends; the backend
   *  is not used afterwards). */
  dispose?(): void | Promise<void>;

  // ---- memory
  /** A storage of `size` elements, zero-filled unless `uninit` (the caller then writes every
   *  element before any is read; a backend may skip the zero-fill, e.g. for a recycled buffer). */
  alloc(size: number, dtype: DType, uninit?: boolean): Storage;
  free(s: Storage): void;
  /** Optional: copies the elements into `out` (same length and element type), when the backend
   *  does it faster than a JS `out.set(view)` (native: the pool's threads share a big copy). */
  readInto?(s: Storage, out: ElemArray): void;
  /** A live view of the elements; on wasm it is invalidated by the next alloc (memory growth). */
  view(s: Storage): ElemArray;
  /** Bytes currently held by live storages. */
  bytesInUse(): number;
  /** For the GC safety net: a function that releases s's backend memory (and accounting) when its
   *  last tensor was garbage-collected. It must not reference s or its data. */
  finalizer(s: Storage): () => void;

  // ---- elementwise (contiguous, n elements from offset 0 unless stated)
  fill(out: Storage, value: number): void;
  /** out (contiguous) = x viewed with shape/strides from element offset xOff. */
  copyStrided(x: Storage, xOff: number, shape: number[], strides: number[], out: Storage): void;
  /** out[outOff + i . outStrides] = x[xOff + i . xStrides] for every index i over shape (same
   *  dtype; a stride 0 in x broadcasts): writes into strided views (fill_, copy_, in-place ops). */
  assignStrided(
    x: Storage,
    xOff: number,
    xStrides: number[],
    out: Storage,
    outOff: number,
    outStrides: number[],
    shape: number[],
  ): void;
  /** Advanced indexing (x[i0, i1, ...] with the index tensors broadcast together): idx holds k
   *  index rows of m entries (int64), dim sizes/strides the indexed dims of x (dims[j] for the
   *  out-of-bounds message); pre/post are the kept dims before and after (shape, x strides).
   *  out [pre, m, post] (contiguous) = x[xOff + pre.ps + sum_j idx[j][b]*advStrides[j] + post.qs];
   *  negative indices count from the end. */
  indexGather(
    x: Storage,
    xOff: number,
    idx: Storage,
    k: number,
    m: number,
    advSizes: number[],
    advStrides: number[],
    dims: number[],
    pre: number[],
    preStrides: number[],
    post: number[],
    postStrides: number[],
    out: Storage,
  ): void;
  /** The adjoint of indexGather: x[...] = v (or += v when accumulate), v read with vStrides over
   *  [pre, m, post] (0 on broadcast dims). */
  indexPut(
    x: Storage,
    xOff: number,
    idx: Storage,
    k: number,
    m: number,
    advSizes: number[],
    advStrides: number[],
    dims: number[],
    pre: number[],
    preStrides: number[],
    post: number[],
    postStrides: number[],
    v: Storage,
    vOff: number,
    vStrides: number[],
    accumulate: boolean,
  ): void;
  /** The coordinates of the nonzero elements of a contiguous mask of `shape`, written as
   *  out [shape.length, count] (int64; count = the number of nonzeros, known by the caller). */
  maskIndices(mask: Storage, shape: number[], out: Storage, count: number): void;
  /** Copies and converts between dtypes: to int64 truncating toward zero (NaN/inf to -2^63 as
   *  PyTorch on x86), to bool v != 0. */
  cast(x: Storage, out: Storage): void;
  /** `p`: the op's parameters (e.g. leakyRelu's negative slope), empty for most ops. */
  unary(op: UnaryOp, x: Storage, out: Storage, p?: readonly number[]): void;
  /** gx = gy * d op / dx, given the op's input x and output y (each op reads the one it needs). */
  unaryGrad(op: UnaryOp, x: Storage, y: Storage, gy: Storage, gx: Storage, p?: readonly number[]): void;
  /** out[i] = a[...] op b[...] over outShape with broadcast strides (0 on broadcast dims). */
  binary(
    op: BinaryOp,
    a: Storage,
    aStrides: number[],
    b: Storage,
    bStrides: number[],
    out: Storage,
    outShape: number[],
  ): void;
  scalar(op: ScalarOp, x: Storage, s: number, out: Storage): void;
  /** out[i] = cond[i] != 0 ? a[i] : b[i] (all contiguous, same size). */
  where(cond: Storage, a: Storage, b: Storage, out: Storage): void;

  // ---- reductions over the middle axis of a contiguous [outer, red, inner] block
  sum(x: Storage, out: Storage, outer: number, red: number, inner: number): void;
  max(x: Storage, out: Storage, idx: Storage | null, outer: number, red: number, inner: number): void;

  // ---- linear algebra
  gemm(args: GemmArgs): void;

  // ---- softmax family over the middle axis of [outer, dim, inner]
  softmax(x: Storage, out: Storage, outer: number, dim: number, inner: number, log: boolean): void;
  /** gx from the saved output y and gy. */
  softmaxGrad(y: Storage, gy: Storage, gx: Storage, outer: number, dim: number, inner: number, log: boolean): void;

  /** Negative log likelihood of logp [N, C, inner] at targets [N, inner] (int64).
   *  loss[i] = -w[t]*logp[t] (0 where target == ignoreIndex), wOut[i] = w[t] (or 1; 0 when ignored). */
  nll(
    logp: Storage,
    target: Storage,
    weight: Storage | null,
    loss: Storage,
    wOut: Storage,
    N: number,
    C: number,
    inner: number,
    ignoreIndex: number,
  ): void;
  /** gx[n, t, k] = -gLoss[n, k] * w[t] (zero elsewhere and where ignored). */
  nllGrad(
    gLoss: Storage,
    target: Storage,
    weight: Storage | null,
    gx: Storage,
    N: number,
    C: number,
    inner: number,
    ignoreIndex: number,
  ): void;

  // ---- convolution: x [N, C, inD, inH, inW], w [O, C/groups, kD, kH, kW], y [N, O, outD, outH, outW]
  /** y = act(conv + bias + residual), the epilogue fused into the kernel (for inference).
   *  `act`: "none" (default), "relu" (as the relu kernel) or "relu6" (as hardtanh(0, 6)); `true`
   *  means "relu" (the older boolean form). `residual`: null or a float32 storage laid out like y,
   *  not y itself. `packed`: null or w and bias packed by `convPack` for this geometry (the kernel
   *  reads it instead of packing w itself; w and bias must still be the tensors it was made from). */
  conv(
    g: ConvGeom,
    x: Storage,
    w: Storage,
    bias: Storage | null,
    y: Storage,
    act?: ConvActivation | boolean | null,
    residual?: Storage | null,
    packed?: Storage | null,
  ): void;
  /** Floats of conv weights packed by `convPack` for `g` (with a bias when `hasBias`); 0 when this
   *  backend's forward for g reads no packed weights (then there is nothing to pack). */
  convPackedLen(g: ConvGeom, hasBias: boolean): number;
  /** Packs w (and bias, present exactly when convPackedLen was asked with hasBias) into `out`, a
   *  float32 storage of at least convPackedLen(g, hasBias) elements, for `conv(..., packed)`. */
  convPack(g: ConvGeom, w: Storage, bias: Storage | null, out: Storage): void;
  convGradInput(g: ConvGeom, gy: Storage, w: Storage, gx: Storage): void;
  /** gw (and gb = sum of gy over N and space, when given) are overwritten. */
  convGradWeight(g: ConvGeom, x: Storage, gy: Storage, gw: Storage, gb: Storage | null): void;

  // ---- pooling over NC planes
  /** idx holds the flat h*W+w position of each max in its input plane (-1 if the window is empty);
   *  null when no argmax is needed (inference), which lets the kernel skip it. */
  maxPool2d(g: PoolGeom, x: Storage, y: Storage, idx: Storage | null): void;
  /** gx (NC x inSize, overwritten) gets gy scattered to the positions in idx (NC x outSize). */
  indexPoolGrad(gy: Storage, idx: Storage, gx: Storage, NC: number, inSize: number, outSize: number): void;
  avgPool2d(g: PoolGeom, x: Storage, y: Storage, countIncludePad: boolean, divisorOverride: number): void;
  avgPool2dGrad(g: PoolGeom, gy: Storage, gx: Storage, countIncludePad: boolean, divisorOverride: number): void;
  adaptiveAvgPool2d(NC: number, H: number, W: number, oH: number, oW: number, x: Storage, y: Storage): void;
  adaptiveAvgPool2dGrad(NC: number, H: number, W: number, oH: number, oW: number, gy: Storage, gx: Storage): void;
  adaptiveMaxPool2d(
    NC: number,
    H: number,
    W: number,
    oH: number,
    oW: number,
    x: Storage,
    y: Storage,
    idx: Storage,
  ): void;

  // ---- padding and resampling (F.pad, F.interpolate)
  /** y = x padded per g with mode (value for "constant"). */
  pad(g: PadGeom, x: Storage, y: Storage, mode: PadMode, value: number): void;
  /** gx (overwritten) = the adjoint of pad. */
  padGrad(g: PadGeom, gy: Storage, gx: Storage, mode: PadMode): void;
  resample(g: ResampleGeom, x: Storage, y: Storage): void;
  /** gx (overwritten) = the adjoint of resample. */
  resampleGrad(g: ResampleGeom, gy: Storage, gx: Storage): void;

  // ---- normalisation over [N, C, S] (S = spatial size); mean/invstd are per channel (C)
  /** mean and biased variance per channel. */
  channelStats(x: Storage, N: number, C: number, S: number, mean: Storage, variance: Storage): void;
  /** y = (x - mean) * invstd * w + b per channel (w, b optional). */
  channelNormalize(
    x: Storage,
    N: number,
    C: number,
    S: number,
    mean: Storage,
    invstd: Storage,
    w: Storage | null,
    b: Storage | null,
    y: Storage,
  ): void;
  /** Batch-norm backward. training: mean/invstd are batch stats (full formula); else constants.
   *  gw/gb (per channel, overwritten) may be null. */
  batchNormGrad(
    x: Storage,
    gy: Storage,
    N: number,
    C: number,
    S: number,
    mean: Storage,
    invstd: Storage,
    w: Storage | null,
    training: boolean,
    gx: Storage | null,
    gw: Storage | null,
    gb: Storage | null,
  ): void;
  /** Layer norm over the last `cols` elements of each of `rows` rows; saves mean and rstd per row. */
  layerNorm(
    x: Storage,
    rows: number,
    cols: number,
    eps: number,
    w: Storage | null,
    b: Storage | null,
    y: Storage,
    mean: Storage,
    rstd: Storage,
  ): void;
  layerNormGrad(
    x: Storage,
    gy: Storage,
    rows: number,
    cols: number,
    mean: Storage,
    rstd: Storage,
    w: Storage | null,
    gx: Storage | null,
    gw: Storage | null,
    gb: Storage | null,
  ): void;
  /** RMS norm over the last `cols` of each row: y = x * rstd * w (w optional), rstd = 1/sqrt(mean(x^2) + eps) saved per row. */
  rmsNorm(x: Storage, rows: number, cols: number, eps: number, w: Storage | null, y: Storage, rstd: Storage): void;
  /** RMS-norm backward: gx and gw (summed over rows, overwritten), each may be null. */
  rmsNormGrad(
    x: Storage,
    gy: Storage,
    rows: number,
    cols: number,
    rstd: Storage,
    w: Storage | null,
    gx: Storage | null,
    gw: Storage | null,
  ): void;

  // ---- attention (F.scaledDotProductAttention): one fused kernel, js reference in js-attention.ts
  /** out = softmax(scale * q k^T + mask) v per batch*head, lse = each row's log-sum-exp of the
   *  scores (NaN, and out NaN, for a row whose keys are all masked). */
  attention(g: AttnGeom, q: Storage, k: Storage, v: Storage, mask: Storage | null, out: Storage, lse: Storage): void;
  /** dq [BH, L, E], dk [BH, S, E], dv [BH, S, Ev] (dense, overwritten) from the saved out/lse and
   *  the dense output gradient gout [BH, L, Ev]; the mask gets no gradient. */
  attentionGrad(
    g: AttnGeom,
    q: Storage,
    k: Storage,
    v: Storage,
    mask: Storage | null,
    out: Storage,
    lse: Storage,
    gout: Storage,
    dq: Storage,
    dk: Storage,
    dv: Storage,
  ): void;

  // ---- embedding
  embedding(weight: Storage, idx: Storage, out: Storage, n: number, dim: number, numEmbeddings: number): void;
  /** gw (overwritten) accumulates rows of gy at idx, skipping paddingIdx (-1 for none). */
  embeddingGrad(gy: Storage, idx: Storage, gw: Storage, n: number, dim: number, paddingIdx: number): void;

  // ---- recurrent cells (one fused kernel per time step)
  /** gates [B, 4H] = x W_ih^T + h W_hh^T + biases, order i,f,g,o. Writes h, c and act [B, 4H]
   *  (the activated gates, saved for backward). Every argument is read/written from its element
   *  offset (so per-step slices of whole-sequence buffers need no copies); cPrev/h/c are [B, H]. */
  lstmCell(
    gates: Storage,
    gatesOff: number,
    cPrev: Storage,
    cPrevOff: number,
    h: Storage,
    hOff: number,
    c: Storage,
    cOff: number,
    act: Storage,
    actOff: number,
    B: number,
    H: number,
  ): void;
  /** From act, cPrev, c and the gradients of h and c: gGates [B, 4H] (pre-activation) and gcPrev [B, H]. */
  lstmCellGrad(
    act: Storage,
    actOff: number,
    cPrev: Storage,
    cPrevOff: number,
    c: Storage,
    cOff: number,
    gh: Storage,
    ghOff: number,
    gc: Storage,
    gGates: Storage,
    gGatesOff: number,
    gcPrev: Storage,
    B: number,
    H: number,
  ): void;
  /** gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh, both [B, 3H] in order r,z,n. Writes h and
   *  act [B, 4H] = (r, z, n, gh_n) for backward (each from its element offset). */
  gruCell(
    gi: Storage,
    giOff: number,
    gh: Storage,
    hPrev: Storage,
    hPrevOff: number,
    h: Storage,
    hOff: number,
    act: Storage,
    actOff: number,
    B: number,
    H: number,
  ): void;
  /** From act, hPrev and gH: gGi [B, 3H], gGh [B, 3H] and ghPrev [B, H] (the direct part only). */
  gruCellGrad(
    act: Storage,
    actOff: number,
    hPrev: Storage,
    hPrevOff: number,
    gH: Storage,
    gHOff: number,
    gGi: Storage,
    gGiOff: number,
    gGh: Storage,
    gGhOff: number,
    ghPrev: Storage,
    B: number,
    H: number,
  ): void;
  /** Optional fast path (the Rust backends): a whole LSTM layer-direction forward without saving
   *  for backward. P [T, B, 4H] input projection (overwritten by the gates), W_hh [4H, H], c0 and h0
   *  [B, H]; writes h_t to row t of h [T, B, H], c_t to CS [T, B, H] and the activated gates to
   *  ACT [T, B, 4H] (or [B, 4H] scratch unless keepActs). */
  lstmSeq?(
    p: Storage,
    wHh: Storage,
    c0: Storage,
    h0: Storage,
    h0Off: number,
    h: Storage,
    hOff: number,
    cs: Storage,
    act: Storage,
    keepActs: boolean,
    T: number,
    B: number,
    H: number,
    reverse: boolean,
  ): void;

  // ---- optimiser steps (in place, n = p.size)
  sgdStep(
    p: Storage,
    g: Storage,
    buf: Storage | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void;
  adamStep(
    p: Storage,
    g: Storage,
    m: Storage,
    v: Storage,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
    decoupled: boolean,
  ): void;

  // ---- indexing over [outer, n, inner] blocks (js reference: js-index.ts; index storages are int64)
  /** out[o, j, i] = x[o, idx[o, j, i], i] for idx [outer, m, inner]; rowIndex: idx is [m] and
   *  picks whole rows (index_select). Throws a RangeError for an index outside [0, n). */
  gather(
    x: Storage,
    idx: Storage,
    out: Storage,
    outer: number,
    n: number,
    m: number,
    inner: number,
    rowIndex: boolean,
  ): void;
  /** out[o, idx[o, j, i], i] = src[o, j, i] (+= when accumulate), src null: `value`; out is
   *  [outer, n, inner] and keeps its other elements. rowIndex: idx is [m] (index_add). */
  scatter(
    src: Storage | null,
    value: number,
    idx: Storage,
    out: Storage,
    outer: number,
    n: number,
    m: number,
    inner: number,
    rowIndex: boolean,
    accumulate: boolean,
  ): void;
  /** out = cond != 0 ? a : b over `shape`, each operand from its element offset with its strides
   *  (0 on broadcast dims): strided and broadcast inputs are read in place. */
  whereStrided(
    cond: Storage,
    cOff: number,
    cStrides: number[],
    a: Storage,
    aOff: number,
    aStrides: number[],
    b: Storage,
    bOff: number,
    bStrides: number[],
    out: Storage,
    shape: number[],
  ): void;
  /** Cumulative sum/product along the middle axis of [outer, n, inner] (reverse: from the end;
   *  exclusive: without the element itself). */
  scan(
    op: "sum" | "prod",
    x: Storage,
    out: Storage,
    outer: number,
    n: number,
    inner: number,
    reverse: boolean,
    exclusive: boolean,
  ): void;
  /** Stable sort of each [outer, ·, inner] line (NaN largest); the first k values and their int64
   *  positions go to [outer, k, inner] (topk when k < n). */
  sort(
    x: Storage,
    vals: Storage,
    idx: Storage,
    outer: number,
    n: number,
    inner: number,
    k: number,
    descending: boolean,
  ): void;
}
