// Shared TypeScript of the two Rust backends (wasm, native): every Backend kernel forwarded to the
// Rust kernel of the same name through one calling convention (kernel id + flat argument list).
// The class implements Backend by composition: tsc fails when a Backend method is missing here,
// and the js reference runs only for the methods declared in JS_FALLBACKS / JS_OP_FALLBACKS
// (test/backend-coverage.test.ts checks that nothing else does).

import { JsBackend, convAct } from "./js.js";
import type {
  Backend,
  BackendName,
  BinaryOp,
  ConvActivation,
  ConvGeom,
  DType,
  ElemArray,
  GemmArgs,
  PoolGeom,
  ScalarOp,
  Storage,
  UnaryOp,
} from "./types.js";
import {
  BINARY_CODE,
  CONV_ACT_CODE,
  KERNEL_CODE,
  UNARY_CODE,
  attnDimsInts,
  convGeomInts,
  poolGeomInts,
} from "./abi.gen.js";
import type { AttnGeom } from "./types.js";
import type { BinaryKernelOp, UnaryKernelOp } from "./abi.gen.js";
import { PAD_MODE_CODE, RESAMPLE_MODE_CODE, resizeDimsInts } from "./abi.gen.js";
import type { PadGeom, PadMode, ResampleGeom } from "./types.js";
import { unaryParams } from "./js-elementwise.js";

// Kernel ids, op codes and geometry layouts come from the Rust declarations (abi.gen.ts).
export const K = KERNEL_CODE;
// every op with a Rust kernel is one the TypeScript side knows (a compile error otherwise)
const _unaryKnown: UnaryOp = null as unknown as UnaryKernelOp;
const _binaryKnown: BinaryOp | ScalarOp = null as unknown as BinaryKernelOp;
void _unaryKnown;
void _binaryKnown;
const UNARY: Partial<Record<UnaryOp, number>> = UNARY_CODE;
const BINARY: Partial<Record<BinaryOp | ScalarOp, number>> = BINARY_CODE;

function code<T extends string>(table: Partial<Record<T, number>>, op: T, what: string): number {
  const c = table[op];
  if (c === undefined) throw new Error(`${what}: unknown op ${op}`);
  return c;
}
/** dtype codes of crates/kernels/src/abi.rs: 0 float32 (f32), 1 int64 (f64 holding integers), 2 bool (u8). */
const dt = (s: Storage) => (s.dtype === "int64" ? 1 : s.dtype === "bool" ? 2 : 0);
const convGeom = convGeomInts;
const poolGeom = poolGeomInts;

/** Backend methods that the Rust backends run as the js reference (over their own memory), each
 *  with the reason. A new Backend method needs either its forwarding method in RustBackend below
 *  (tsc fails until one or the other exists) or an entry here; remove the entry when the Rust
 *  forwarding method is added (test/backend-coverage.test.ts says so). See CONTRIBUTING.md. */
export const JS_FALLBACKS = {} as const satisfies { readonly [M in keyof Backend]?: string };
type Fallback = keyof typeof JS_FALLBACKS;

/** Methods forwarded to Rust for every op code Rust declares, and run as the js formula for the
 *  op names that have no Rust variant yet (UnaryOp minus UNARY_NAMES, BinaryOp/ScalarOp minus
 *  BINARY_NAMES). */
export const JS_OP_FALLBACKS = {
  unary: "UnaryOp names without a `Unary` variant in crates/kernels/src/elementwise.rs",
  unaryGrad: "UnaryOp names without a `Unary` variant in crates/kernels/src/elementwise.rs",
  binary: "BinaryOp names without a `Binary` variant in crates/kernels/src/elementwise.rs",
  scalar: "ScalarOp names without a `Binary` variant in crates/kernels/src/elementwise.rs",
} as const satisfies { readonly [M in keyof Backend]?: string };

/** The js reference reading and writing the storages of backend `b` through b's views. */
function jsOver(b: Backend): JsBackend {
  const r = new JsBackend("float32");
  Object.assign(r, {
    view: (s: Storage) => b.view(s),
    alloc: (n: number, d: DType, u?: boolean) => b.alloc(n, d, u),
    free: (s: Storage) => b.free(s),
  });
  return r;
}

// the declared fallbacks are methods of RustBackend (installed on its prototype after the class)
export interface RustBackend extends Pick<Backend, Fallback> {}

/** A backend whose kernels are the Rust ones; subclasses say how storages and calls cross over. */
export abstract class RustBackend implements Backend {
  abstract readonly name: BackendName;
  abstract readonly threads: number;
  /** Bytes held by live storages (kept by the subclass's alloc/free). */
  protected live = 0;
  private readonly ref: JsBackend;
  constructor() {
    this.ref = jsOver(this);
  }

  abstract alloc(size: number, dtype: DType, uninit?: boolean): Storage;
  abstract free(s: Storage): void;
  abstract view(s: Storage): ElemArray;
  abstract finalizer(s: Storage): () => void;
  bytesInUse(): number {
    return this.live;
  }

  /** The js reference over this backend's memory, for a declared fallback only. */
  protected js(method: Fallback | keyof typeof JS_OP_FALLBACKS): JsBackend {
    if (!(method in JS_FALLBACKS) && !(method in JS_OP_FALLBACKS)) {
      throw new Error(`${this.name} backend: ${method} is not a declared js fallback (ts/backends/rust.ts)`);
    }
    return this.ref;
  }

  /** A storage (from element offset `off`) as the Rust side takes it; null for a missing one. */
  protected abstract h(s: Storage | null | undefined, off?: number): unknown;
  /** An int array argument (followed by its length in the call). */
  protected abstract ints(a: readonly number[]): unknown;
  /** Runs kernel `id` with `args`; throws RangeError for bad values, Error for bad calls. */
  protected abstract run(id: number, args: unknown[]): void;

  private intArg(a: readonly number[]): [unknown, number] {
    return [this.ints(a), a.length];
  }

  fill(out: Storage, value: number): void {
    this.run(K.fill, [this.h(out), out.size, dt(out), value]);
  }
  copyStrided(x: Storage, xOff: number, shape: number[], strides: number[], out: Storage): void {
    this.run(K.copyStrided, [this.h(x), xOff, ...this.intArg(shape), ...this.intArg(strides), this.h(out), dt(x)]);
  }
  /** Tensor-core kernels (crates/kernels/src/index.rs). */
  assignStrided(
    x: Storage,
    xOff: number,
    xStrides: number[],
    out: Storage,
    outOff: number,
    outStrides: number[],
    shape: number[],
  ): void {
    this.run(K.assignStrided, [
      this.h(x),
      xOff,
      ...this.intArg(xStrides),
      this.h(out),
      outOff,
      ...this.intArg(outStrides),
      ...this.intArg(shape),
      dt(out),
    ]);
  }
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
  ): void {
    this.run(K.indexGather, [
      this.h(x),
      xOff,
      dt(x),
      this.h(idx),
      k,
      m,
      ...this.intArg(advSizes),
      ...this.intArg(advStrides),
      ...this.intArg(dims),
      ...this.intArg(pre),
      ...this.intArg(preStrides),
      ...this.intArg(post),
      ...this.intArg(postStrides),
      this.h(out),
    ]);
  }
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
  ): void {
    this.run(K.indexPut, [
      this.h(x),
      xOff,
      dt(x),
      this.h(idx),
      k,
      m,
      ...this.intArg(advSizes),
      ...this.intArg(advStrides),
      ...this.intArg(dims),
      ...this.intArg(pre),
      ...this.intArg(preStrides),
      ...this.intArg(post),
      ...this.intArg(postStrides),
      this.h(v),
      vOff,
      ...this.intArg(vStrides),
      accumulate,
    ]);
  }
  maskIndices(mask: Storage, shape: number[], out: Storage, count: number): void {
    this.run(K.maskIndices, [this.h(mask), dt(mask), ...this.intArg(shape), this.h(out), count]);
  }
  // ---- index ops over [outer, n, inner] (crates/kernels/src/{gather,scan,sort}.rs)
  gather(
    x: Storage,
    idx: Storage,
    out: Storage,
    outer: number,
    n: number,
    m: number,
    inner: number,
    rowIndex: boolean,
  ): void {
    this.run(K.gather, [this.h(x), dt(x), this.h(idx), this.h(out), outer, n, m, inner, rowIndex]);
  }
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
  ): void {
    this.run(K.scatter, [
      this.h(src),
      dt(out),
      value,
      this.h(idx),
      this.h(out),
      outer,
      n,
      m,
      inner,
      rowIndex,
      accumulate,
    ]);
  }
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
  ): void {
    this.run(K.whereStrided, [
      this.h(cond),
      dt(cond),
      cOff,
      ...this.intArg(cStrides),
      this.h(a),
      dt(a),
      aOff,
      ...this.intArg(aStrides),
      this.h(b),
      bOff,
      ...this.intArg(bStrides),
      this.h(out),
      ...this.intArg(shape),
    ]);
  }
  scan(
    op: "sum" | "prod",
    x: Storage,
    out: Storage,
    outer: number,
    n: number,
    inner: number,
    reverse: boolean,
    exclusive: boolean,
  ): void {
    this.run(K.scan, [this.h(x), dt(x), this.h(out), outer, n, inner, op === "prod", reverse, exclusive]);
  }
  sort(
    x: Storage,
    vals: Storage,
    idx: Storage,
    outer: number,
    n: number,
    inner: number,
    k: number,
    descending: boolean,
  ): void {
    this.run(K.sort, [this.h(x), dt(x), this.h(vals), this.h(idx), outer, n, inner, k, descending]);
  }
  cast(x: Storage, out: Storage): void {
    this.run(K.cast, [this.h(x), dt(x), this.h(out), dt(out), Math.min(x.size, out.size)]);
  }
  unary(op: UnaryOp, x: Storage, out: Storage, p: readonly number[] = []): void {
    // ops without a Rust kernel yet run the js reference over the same memory
    if (UNARY[op] === undefined) return this.js("unary").unary(op, x, out, p);
    this.run(K.unary, [code(UNARY, op, "unary"), this.h(x), this.h(out), out.size, ...unaryParams(op, p)]);
  }
  unaryGrad(op: UnaryOp, x: Storage, y: Storage, gy: Storage, gx: Storage, p: readonly number[] = []): void {
    if (UNARY[op] === undefined) return this.js("unaryGrad").unaryGrad(op, x, y, gy, gx, p);
    this.run(K.unaryGrad, [
      code(UNARY, op, "unaryGrad"),
      this.h(x),
      this.h(y),
      this.h(gy),
      this.h(gx),
      gx.size,
      ...unaryParams(op, p),
    ]);
  }
  binary(
    op: BinaryOp,
    a: Storage,
    aStrides: number[],
    b: Storage,
    bStrides: number[],
    out: Storage,
    outShape: number[],
  ): void {
    if (BINARY[op] === undefined) return this.js("binary").binary(op, a, aStrides, b, bStrides, out, outShape);
    this.run(K.binary, [
      code(BINARY, op, "binary"),
      this.h(a),
      dt(a),
      ...this.intArg(aStrides),
      this.h(b),
      dt(b),
      ...this.intArg(bStrides),
      this.h(out),
      dt(out),
      ...this.intArg(outShape),
    ]);
  }
  scalar(op: ScalarOp, x: Storage, s: number, out: Storage): void {
    if (BINARY[op] === undefined) return this.js("scalar").scalar(op, x, s, out);
    this.run(K.scalar, [code(BINARY, op, "scalar"), this.h(x), dt(x), s, this.h(out), dt(out), out.size]);
  }
  where(cond: Storage, a: Storage, b: Storage, out: Storage): void {
    this.run(K.where, [this.h(cond), dt(cond), this.h(a), dt(a), this.h(b), dt(b), this.h(out), dt(out), out.size]);
  }
  sum(x: Storage, out: Storage, outer: number, red: number, inner: number): void {
    this.run(K.sum, [this.h(x), dt(x), this.h(out), dt(out), outer, red, inner]);
  }
  max(x: Storage, out: Storage, idx: Storage | null, outer: number, red: number, inner: number): void {
    this.run(K.max, [this.h(x), dt(x), this.h(out), dt(out), this.h(idx), outer, red, inner]);
  }
  gemm(g: GemmArgs): void {
    this.run(K.gemm, [
      g.batch,
      g.M,
      g.N,
      g.K,
      this.h(g.a, g.aOff),
      g.aStride,
      g.transA,
      this.h(g.b, g.bOff),
      g.bStride,
      g.transB,
      this.h(g.c, g.cOff),
      g.cStride,
      g.beta,
      this.h(g.bias),
    ]);
  }
  softmax(x: Storage, out: Storage, outer: number, dim: number, inner: number, log: boolean): void {
    this.run(K.softmax, [this.h(x), this.h(out), outer, dim, inner, log]);
  }
  softmaxGrad(y: Storage, gy: Storage, gx: Storage, outer: number, dim: number, inner: number, log: boolean): void {
    this.run(K.softmaxGrad, [this.h(y), this.h(gy), this.h(gx), outer, dim, inner, log]);
  }
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
  ): void {
    this.run(K.nll, [
      this.h(logp),
      this.h(target),
      this.h(weight),
      this.h(loss),
      this.h(wOut),
      N,
      C,
      inner,
      ignoreIndex,
    ]);
  }
  nllGrad(
    gLoss: Storage,
    target: Storage,
    weight: Storage | null,
    gx: Storage,
    N: number,
    C: number,
    inner: number,
    ignoreIndex: number,
  ): void {
    this.run(K.nllGrad, [this.h(gLoss), this.h(target), this.h(weight), this.h(gx), N, C, inner, ignoreIndex]);
  }
  conv(
    g: ConvGeom,
    x: Storage,
    w: Storage,
    bias: Storage | null,
    y: Storage,
    act?: ConvActivation | boolean | null,
    residual: Storage | null = null,
    packed: Storage | null = null,
  ): void {
    const a = CONV_ACT_CODE[convAct(act)];
    this.run(K.conv, [
      ...this.intArg(convGeom(g)),
      this.h(x),
      this.h(w),
      this.h(bias),
      this.h(y),
      a,
      this.h(residual),
      this.h(packed),
    ]);
  }
  convPackedLen(g: ConvGeom, hasBias: boolean): number {
    const info = this.alloc(1, "int64");
    try {
      this.run(K.convPack, [
        ...this.intArg(convGeom(g)),
        hasBias,
        this.h(null),
        this.h(null),
        this.h(null),
        this.h(info),
      ]);
      return Number(this.view(info)[0]);
    } finally {
      this.free(info);
    }
  }
  convPack(g: ConvGeom, w: Storage, bias: Storage | null, out: Storage): void {
    this.run(K.convPack, [
      ...this.intArg(convGeom(g)),
      bias !== null,
      this.h(w),
      this.h(bias),
      this.h(out),
      this.h(null),
    ]);
  }
  convGradInput(g: ConvGeom, gy: Storage, w: Storage, gx: Storage): void {
    this.run(K.convGradInput, [...this.intArg(convGeom(g)), this.h(gy), this.h(w), this.h(gx)]);
  }
  convGradWeight(g: ConvGeom, x: Storage, gy: Storage, gw: Storage, gb: Storage | null): void {
    this.run(K.convGradWeight, [...this.intArg(convGeom(g)), this.h(x), this.h(gy), this.h(gw), this.h(gb)]);
  }
  maxPool2d(g: PoolGeom, x: Storage, y: Storage, idx: Storage | null): void {
    this.run(K.maxPool2d, [...this.intArg(poolGeom(g)), this.h(x), this.h(y), this.h(idx)]);
  }
  indexPoolGrad(gy: Storage, idx: Storage, gx: Storage, NC: number, inSize: number, outSize: number): void {
    this.run(K.indexPoolGrad, [this.h(gy), this.h(idx), this.h(gx), NC, inSize, outSize]);
  }
  avgPool2d(g: PoolGeom, x: Storage, y: Storage, countIncludePad: boolean, divisorOverride: number): void {
    this.run(K.avgPool2d, [...this.intArg(poolGeom(g)), this.h(x), this.h(y), countIncludePad, divisorOverride || 0]);
  }
  avgPool2dGrad(g: PoolGeom, gy: Storage, gx: Storage, countIncludePad: boolean, divisorOverride: number): void {
    this.run(K.avgPool2dGrad, [
      ...this.intArg(poolGeom(g)),
      this.h(gy),
      this.h(gx),
      countIncludePad,
      divisorOverride || 0,
    ]);
  }
  adaptiveAvgPool2d(NC: number, H: number, W: number, oH: number, oW: number, x: Storage, y: Storage): void {
    this.run(K.adaptiveAvgPool2d, [NC, H, W, oH, oW, this.h(x), this.h(y)]);
  }
  adaptiveAvgPool2dGrad(NC: number, H: number, W: number, oH: number, oW: number, gy: Storage, gx: Storage): void {
    this.run(K.adaptiveAvgPool2dGrad, [NC, H, W, oH, oW, this.h(gy), this.h(gx)]);
  }
  // ---- padding and resampling (crates/kernels/src/resize.rs)
  pad(g: PadGeom, x: Storage, y: Storage, mode: PadMode, value: number): void {
    this.run(K.pad, [
      ...this.intArg(resizeDimsInts(g)),
      g.pD,
      g.pH,
      g.pW,
      PAD_MODE_CODE[mode],
      value,
      this.h(x),
      this.h(y),
    ]);
  }
  padGrad(g: PadGeom, gy: Storage, gx: Storage, mode: PadMode): void {
    this.run(K.padGrad, [
      ...this.intArg(resizeDimsInts(g)),
      g.pD,
      g.pH,
      g.pW,
      PAD_MODE_CODE[mode],
      this.h(gy),
      this.h(gx),
    ]);
  }
  resample(g: ResampleGeom, x: Storage, y: Storage): void {
    this.run(K.resample, [
      ...this.intArg(resizeDimsInts(g)),
      RESAMPLE_MODE_CODE[g.mode],
      g.alignCorners,
      g.sD,
      g.sH,
      g.sW,
      this.h(x),
      this.h(y),
    ]);
  }
  resampleGrad(g: ResampleGeom, gy: Storage, gx: Storage): void {
    this.run(K.resampleGrad, [
      ...this.intArg(resizeDimsInts(g)),
      RESAMPLE_MODE_CODE[g.mode],
      g.alignCorners,
      g.sD,
      g.sH,
      g.sW,
      this.h(gy),
      this.h(gx),
    ]);
  }
  adaptiveMaxPool2d(
    NC: number,
    H: number,
    W: number,
    oH: number,
    oW: number,
    x: Storage,
    y: Storage,
    idx: Storage,
  ): void {
    this.run(K.adaptiveMaxPool2d, [NC, H, W, oH, oW, this.h(x), this.h(y), this.h(idx)]);
  }
  channelStats(x: Storage, N: number, C: number, S: number, mean: Storage, variance: Storage): void {
    this.run(K.channelStats, [this.h(x), N, C, S, this.h(mean), this.h(variance)]);
  }
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
  ): void {
    this.run(K.channelNormalize, [this.h(x), N, C, S, this.h(mean), this.h(invstd), this.h(w), this.h(b), this.h(y)]);
  }
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
  ): void {
    this.run(K.batchNormGrad, [
      this.h(x),
      this.h(gy),
      N,
      C,
      S,
      this.h(mean),
      this.h(invstd),
      this.h(w),
      training,
      this.h(gx),
      this.h(gw),
      this.h(gb),
    ]);
  }
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
  ): void {
    this.run(K.layerNorm, [this.h(x), rows, cols, eps, this.h(w), this.h(b), this.h(y), this.h(mean), this.h(rstd)]);
  }
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
  ): void {
    this.run(K.layerNormGrad, [
      this.h(x),
      this.h(gy),
      rows,
      cols,
      this.h(mean),
      this.h(rstd),
      this.h(w),
      this.h(gx),
      this.h(gw),
      this.h(gb),
    ]);
  }
  rmsNorm(x: Storage, rows: number, cols: number, eps: number, w: Storage | null, y: Storage, rstd: Storage): void {
    this.run(K.rmsNorm, [this.h(x), rows, cols, eps, this.h(w), this.h(y), this.h(rstd)]);
  }
  rmsNormGrad(
    x: Storage,
    gy: Storage,
    rows: number,
    cols: number,
    rstd: Storage,
    w: Storage | null,
    gx: Storage | null,
    gw: Storage | null,
  ): void {
    this.run(K.rmsNormGrad, [this.h(x), this.h(gy), rows, cols, this.h(rstd), this.h(w), this.h(gx), this.h(gw)]);
  }
  embedding(weight: Storage, idx: Storage, out: Storage, n: number, dim: number, numEmbeddings: number): void {
    this.run(K.embedding, [this.h(weight), this.h(idx), this.h(out), n, dim, numEmbeddings]);
  }
  embeddingGrad(gy: Storage, idx: Storage, gw: Storage, n: number, dim: number, paddingIdx: number): void {
    this.run(K.embeddingGrad, [this.h(gy), this.h(idx), this.h(gw), n, dim, paddingIdx, gw.size]);
  }
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
  ): void {
    this.run(K.lstmCell, [
      this.h(gates, gatesOff),
      this.h(cPrev, cPrevOff),
      this.h(h, hOff),
      this.h(c, cOff),
      this.h(act, actOff),
      B,
      H,
    ]);
  }
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
  ): void {
    this.run(K.lstmCellGrad, [
      this.h(act, actOff),
      this.h(cPrev, cPrevOff),
      this.h(c, cOff),
      this.h(gh, ghOff),
      this.h(gc),
      this.h(gGates, gGatesOff),
      this.h(gcPrev),
      B,
      H,
    ]);
  }
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
  ): void {
    this.run(K.gruCell, [
      this.h(gi, giOff),
      this.h(gh),
      this.h(hPrev, hPrevOff),
      this.h(h, hOff),
      this.h(act, actOff),
      B,
      H,
    ]);
  }
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
  ): void {
    this.run(K.gruCellGrad, [
      this.h(act, actOff),
      this.h(hPrev, hPrevOff),
      this.h(gH, gHOff),
      this.h(gGi, gGiOff),
      this.h(gGh, gGhOff),
      this.h(ghPrev),
      B,
      H,
    ]);
  }
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
  ): void {
    this.run(K.sgdStep, [
      this.h(p),
      this.h(g),
      this.h(buf),
      p.size,
      lr,
      momentum,
      dampening,
      weightDecay,
      nesterov,
      firstStep,
    ]);
  }
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
  ): void {
    this.run(K.adamStep, [
      this.h(p),
      this.h(g),
      this.h(m),
      this.h(v),
      p.size,
      lr,
      beta1,
      beta2,
      eps,
      weightDecay,
      step,
      decoupled,
    ]);
  }
  /** A whole LSTM layer-direction forward (`lstm_seq` in crates/kernels/src/rnn.rs): P [T, B, 4H]
   *  input projection (overwritten by the gates), W_hh [4H, H], c0 and h0 [B, H]; writes h_t to row t
   *  of h [T, B, H], c_t to CS [T, B, H] and the activated gates to ACT [T, B, 4H] (or [B, 4H] scratch
   *  unless keepActs). */
  lstmSeq(
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
  ): void {
    this.run(K.lstmSeq, [
      this.h(p),
      this.h(wHh),
      this.h(c0),
      this.h(h0, h0Off),
      this.h(h, hOff),
      this.h(cs),
      this.h(act),
      keepActs,
      T,
      B,
      H,
      reverse,
    ]);
  }
  /** The fused attention kernels (crates/kernels/src/attention.rs), every operand from its offset. */
  attention(g: AttnGeom, q: Storage, k: Storage, v: Storage, mask: Storage | null, out: Storage, lse: Storage): void {
    this.run(K.attention, [
      ...this.intArg(attnDimsInts(g)),
      g.scale,
      g.causal,
      this.h(q, g.qOff),
      this.h(k, g.kOff),
      this.h(v, g.vOff),
      this.h(mask, g.mOff),
      this.h(out, g.oOff),
      this.h(lse),
    ]);
  }
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
  ): void {
    this.run(K.attentionGrad, [
      ...this.intArg(attnDimsInts(g)),
      g.scale,
      g.causal,
      this.h(q, g.qOff),
      this.h(k, g.kOff),
      this.h(v, g.vOff),
      this.h(mask, g.mOff),
      this.h(out, g.oOff),
      this.h(lse),
      this.h(gout, g.goOff),
      this.h(dq, g.dqOff),
      this.h(dk, g.dkOff),
      this.h(dv, g.dvOff),
    ]);
  }
  /** Asks the Rust thread pool for `n` threads (calling thread included). */
  protected setPoolThreads(n: number): void {
    this.run(K.setThreads, [n]);
  }
}

/** Marks a method installed as a declared js fallback (test/backend-coverage.test.ts reads it). */
export const JS_FALLBACK = Symbol("torchlet.jsFallback");
for (const m of Object.keys(JS_FALLBACKS) as Fallback[]) {
  // a method implemented above wins (its JS_FALLBACKS entry is then stale: the coverage test says so)
  if (Object.prototype.hasOwnProperty.call(RustBackend.prototype, m)) continue;
  const f = function (this: RustBackend, ...args: unknown[]) {
    const ref = this.js(m);
    return (ref as unknown as Record<string, (...a: unknown[]) => unknown>)[m].apply(ref, args);
  };
  Object.defineProperty(f, JS_FALLBACK, { value: JS_FALLBACKS[m] });
  Object.defineProperty(RustBackend.prototype, m, { value: f, writable: true, configurable: true });
}
