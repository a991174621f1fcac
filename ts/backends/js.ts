// The pure-TypeScript backend: the reference every other backend is tested against, and the
// pure-JS baseline of the benchmarks. With precision "float64" it backs the gradient checks.

import type {
  Backend,
  BackendName,
  BinaryOp,
  ConvActivation,
  ConvGeom,
  DType,
  ElemArray,
  FloatArray,
  GemmArgs,
  PoolGeom,
  ScalarOp,
  Storage,
  UnaryOp,
} from "./types.js";
import * as resize from "./js-resize.js";
import type { PadGeom, PadMode, ResampleGeom } from "./types.js";
import { binaryMathFn, unaryMath, unaryMathGrad } from "./js-elementwise.js";
import * as jsNorm from "./js-norm.js";
import * as ix from "./js-index.js";
import * as adv from "./js-advindex.js";
import * as attn from "./js-attention.js";
import { CONV_ACT_CODE } from "./abi.gen.js";

/** Backend.conv's activation argument as a ConvActivation name (true: the older boolean relu). */
export function convAct(act: ConvActivation | boolean | null | undefined): ConvActivation {
  if (act === true) return "relu";
  if (!act) return "none";
  if (CONV_ACT_CODE[act] === undefined) throw new Error(`conv: unknown activation ${String(act)}`);
  return act;
}
import type { AttnGeom } from "./types.js";

class JsStorage implements Storage {
  freed = false;
  constructor(
    public data: ElemArray,
    public readonly dtype: DType,
  ) {}
  get size() {
    return this.data.length;
  }
}

/** A number as int64 storage holds it: truncated toward zero; NaN and +-inf become -2^63 (PyTorch on x86). */
export function toInt64(v: number): number {
  return Number.isFinite(v) ? Math.trunc(v) : -9223372036854775808;
}

const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

export class JsBackend implements Backend {
  readonly name: BackendName = "js";
  readonly threads: number = 1;
  protected live = 0;
  /** Array type for float tensors (Float32Array normally; Float64Array for gradient checks). */
  readonly F: typeof Float32Array | typeof Float64Array;

  constructor(readonly precision: "float32" | "float64" = "float32") {
    this.F = precision === "float64" ? Float64Array : Float32Array;
  }

  // ---------------------------------------------------------------- memory
  alloc(size: number, dtype: DType): Storage {
    const data =
      dtype === "int64" ? new Float64Array(size) : dtype === "bool" ? new Uint8Array(size) : new this.F(size);
    this.live += data.byteLength;
    return new JsStorage(data, dtype);
  }
  free(s: Storage): void {
    const js = s as JsStorage & { untracked?: boolean };
    if (js.freed) return;
    js.freed = true;
    if (!js.untracked) this.live -= js.data.byteLength;
    js.data = new this.F(0);
  }
  view(s: Storage): ElemArray {
    return (s as JsStorage).data;
  }
  finalizer(s: Storage): () => void {
    // data in the JS heap is reclaimed by the GC itself; only the accounting is left to do
    const bytes = this.view(s).byteLength;
    return () => {
      this.live -= bytes;
    };
  }
  bytesInUse(): number {
    return this.live;
  }
  untrack(s: Storage): void {
    const js = s as JsStorage & { untracked?: boolean };
    if (js.untracked || js.freed) return;
    js.untracked = true;
    this.live -= js.data.byteLength;
  }
  protected f(s: Storage): FloatArray {
    return this.view(s) as FloatArray;
  }
  protected i(s: Storage): Int32Array {
    return this.view(s) as Int32Array;
  }

  // ---------------------------------------------------------------- elementwise
  fill(out: Storage, value: number): void {
    this.view(out).fill(out.dtype === "int64" ? toInt64(value) : out.dtype === "bool" ? (value !== 0 ? 1 : 0) : value);
  }

  assignStrided(
    x: Storage,
    xOff: number,
    xStrides: number[],
    out: Storage,
    outOff: number,
    outStrides: number[],
    shape: number[],
  ): void {
    adv.assignStrided(this.view(x), xOff, xStrides, this.view(out), outOff, outStrides, shape);
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
    adv.indexGather(
      this.view(x),
      xOff,
      this.view(idx),
      k,
      m,
      advSizes,
      advStrides,
      dims,
      pre,
      preStrides,
      post,
      postStrides,
      this.view(out),
    );
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
    adv.indexPut(
      this.view(x),
      xOff,
      this.view(idx),
      k,
      m,
      advSizes,
      advStrides,
      dims,
      pre,
      preStrides,
      post,
      postStrides,
      this.view(v),
      vOff,
      vStrides,
      accumulate,
    );
  }
  maskIndices(mask: Storage, shape: number[], out: Storage, count: number): void {
    adv.maskIndices(this.view(mask), shape, this.view(out), count);
  }

  copyStrided(x: Storage, xOff: number, shape: number[], strides: number[], out: Storage): void {
    const src = this.view(x),
      dst = this.view(out);
    const nd = shape.length;
    if (nd === 0) {
      dst[0] = src[xOff];
      return;
    }
    const n = dst.length;
    if (n === 0) return;
    const idx = new Array(nd).fill(0);
    const last = nd - 1,
      lastN = shape[last],
      lastS = strides[last];
    let base = xOff,
      o = 0;
    while (o < n) {
      for (let j = 0, p = base; j < lastN; j++, p += lastS) dst[o++] = src[p];
      let d = last - 1;
      while (d >= 0) {
        idx[d]++;
        base += strides[d];
        if (idx[d] < shape[d]) break;
        base -= strides[d] * shape[d];
        idx[d] = 0;
        d--;
      }
      if (d < 0) break;
    }
  }

  cast(x: Storage, out: Storage): void {
    const s = this.view(x),
      d = this.view(out);
    if (out.dtype === "int64") for (let k = 0; k < s.length; k++) d[k] = toInt64(s[k]);
    else if (out.dtype === "bool") for (let k = 0; k < s.length; k++) d[k] = s[k] !== 0 ? 1 : 0;
    else d.set(s as any);
  }

  unary(op: UnaryOp, x: Storage, out: Storage, p: readonly number[] = []): void {
    const a = this.f(x),
      o = this.f(out),
      n = o.length;
    if (unaryMath(op, a, o, p)) return;
    switch (op) {
      case "neg":
        for (let k = 0; k < n; k++) o[k] = -a[k];
        break;
      case "exp":
        for (let k = 0; k < n; k++) o[k] = Math.exp(a[k]);
        break;
      case "log":
        for (let k = 0; k < n; k++) o[k] = Math.log(a[k]);
        break;
      case "sqrt":
        for (let k = 0; k < n; k++) o[k] = Math.sqrt(a[k]);
        break;
      case "rsqrt":
        for (let k = 0; k < n; k++) o[k] = 1 / Math.sqrt(a[k]);
        break;
      case "relu":
        for (let k = 0; k < n; k++) o[k] = a[k] > 0 ? a[k] : a[k] !== a[k] ? a[k] : 0;
        break;
      case "sigmoid":
        for (let k = 0; k < n; k++) o[k] = sigmoid(a[k]);
        break;
      case "tanh":
        for (let k = 0; k < n; k++) o[k] = Math.tanh(a[k]);
        break;
      case "abs":
        for (let k = 0; k < n; k++) o[k] = Math.abs(a[k]);
        break;
      case "square":
        for (let k = 0; k < n; k++) o[k] = a[k] * a[k];
        break;
      case "recip":
        for (let k = 0; k < n; k++) o[k] = 1 / a[k];
        break;
      default:
        throw new Error(`unary: unknown op ${op}`);
    }
  }

  unaryGrad(op: UnaryOp, x: Storage, y: Storage, gy: Storage, gx: Storage, p: readonly number[] = []): void {
    const a = this.f(x),
      r = this.f(y),
      g = this.f(gy),
      o = this.f(gx),
      n = o.length;
    if (unaryMathGrad(op, a, r, g, o, p)) return;
    switch (op) {
      case "neg":
        for (let k = 0; k < n; k++) o[k] = -g[k];
        break;
      case "exp":
        for (let k = 0; k < n; k++) o[k] = g[k] * r[k];
        break;
      case "log":
        for (let k = 0; k < n; k++) o[k] = g[k] / a[k];
        break;
      case "sqrt":
        for (let k = 0; k < n; k++) o[k] = g[k] / (2 * r[k]);
        break;
      case "rsqrt":
        for (let k = 0; k < n; k++) o[k] = -0.5 * g[k] * r[k] * r[k] * r[k];
        break;
      case "relu":
        for (let k = 0; k < n; k++) o[k] = a[k] > 0 ? g[k] : 0;
        break;
      case "sigmoid":
        for (let k = 0; k < n; k++) o[k] = g[k] * r[k] * (1 - r[k]);
        break;
      case "tanh":
        for (let k = 0; k < n; k++) o[k] = g[k] * (1 - r[k] * r[k]);
        break;
      case "abs":
        for (let k = 0; k < n; k++) o[k] = a[k] > 0 ? g[k] : a[k] < 0 ? -g[k] : 0;
        break;
      case "square":
        for (let k = 0; k < n; k++) o[k] = 2 * a[k] * g[k];
        break;
      case "recip":
        for (let k = 0; k < n; k++) o[k] = -g[k] * r[k] * r[k];
        break;
      default:
        throw new Error(`unaryGrad: unknown op ${op}`);
    }
  }

  binary(op: BinaryOp, x: Storage, xs: number[], y: Storage, ys: number[], out: Storage, shape: number[]): void {
    const a = this.view(x),
      b = this.view(y),
      o = this.view(out);
    const fn = binaryFn(op);
    const nd = shape.length,
      n = o.length;
    if (n === 0) return;
    if (nd === 0) {
      o[0] = fn(a[0], b[0]);
      return;
    }
    const last = nd - 1,
      lastN = shape[last],
      as = xs[last],
      bs = ys[last];
    const idx = new Array(nd).fill(0);
    let pa = 0,
      pb = 0,
      k = 0;
    while (k < n) {
      for (let j = 0, ia = pa, ib = pb; j < lastN; j++, ia += as, ib += bs) o[k++] = fn(a[ia], b[ib]);
      let d = last - 1;
      while (d >= 0) {
        idx[d]++;
        pa += xs[d];
        pb += ys[d];
        if (idx[d] < shape[d]) break;
        pa -= xs[d] * shape[d];
        pb -= ys[d] * shape[d];
        idx[d] = 0;
        d--;
      }
      if (d < 0) break;
    }
  }

  scalar(op: ScalarOp, x: Storage, s: number, out: Storage): void {
    const a = this.view(x),
      o = this.view(out),
      n = o.length;
    switch (op) {
      case "add":
        for (let k = 0; k < n; k++) o[k] = a[k] + s;
        break;
      case "mul":
        for (let k = 0; k < n; k++) o[k] = a[k] * s;
        break;
      case "pow":
        if (s === 2) for (let k = 0; k < n; k++) o[k] = a[k] * a[k];
        else for (let k = 0; k < n; k++) o[k] = Math.pow(a[k], s);
        break;
      case "rsub":
        for (let k = 0; k < n; k++) o[k] = s - a[k];
        break;
      case "rdiv":
        for (let k = 0; k < n; k++) o[k] = s / a[k];
        break;
      default: {
        const fn = binaryFn(op);
        for (let k = 0; k < n; k++) o[k] = fn(a[k], s);
      }
    }
  }

  where(cond: Storage, x: Storage, y: Storage, out: Storage): void {
    const c = this.view(cond),
      a = this.view(x),
      b = this.view(y),
      o = this.view(out);
    for (let k = 0; k < o.length; k++) o[k] = c[k] !== 0 ? a[k] : b[k];
  }

  // ---------------------------------------------------------------- reductions
  sum(x: Storage, out: Storage, outer: number, red: number, inner: number): void {
    const a = this.view(x),
      o = this.view(out);
    if (inner === 1) {
      for (let i = 0; i < outer; i++) {
        let acc = 0;
        const base = i * red;
        for (let r = 0; r < red; r++) acc += a[base + r];
        o[i] = acc;
      }
      return;
    }
    o.fill(0, 0, outer * inner);
    for (let i = 0; i < outer; i++) {
      for (let r = 0; r < red; r++) {
        const src = (i * red + r) * inner,
          dst = i * inner;
        for (let j = 0; j < inner; j++) o[dst + j] += a[src + j];
      }
    }
  }

  max(x: Storage, out: Storage, idx: Storage | null, outer: number, red: number, inner: number): void {
    const a = this.view(x),
      o = this.view(out),
      ix = idx ? this.i(idx) : null;
    for (let i = 0; i < outer; i++) {
      for (let j = 0; j < inner; j++) {
        let best = -Infinity,
          bi = 0;
        for (let r = 0; r < red; r++) {
          const v = a[(i * red + r) * inner + j];
          if (v > best || v !== v) {
            best = v;
            bi = r;
            if (v !== v) break;
          }
        }
        if (red > 0 && best === -Infinity) bi = 0;
        o[i * inner + j] = best;
        if (ix) ix[i * inner + j] = bi;
      }
    }
  }

  // ---------------------------------------------------------------- linear algebra
  gemm(g: GemmArgs): void {
    const A = this.f(g.a),
      B = this.f(g.b),
      C = this.f(g.c),
      bias = g.bias ? this.f(g.bias) : null;
    const { M, N, K } = g;
    const row = new this.F(N);
    for (let bt = 0; bt < g.batch; bt++) {
      const ao = g.aOff + bt * g.aStride,
        bo = g.bOff + bt * g.bStride,
        co = g.cOff + bt * g.cStride;
      for (let m = 0; m < M; m++) {
        row.fill(0);
        for (let k = 0; k < K; k++) {
          const av = g.transA ? A[ao + k * M + m] : A[ao + m * K + k];
          if (g.transB) {
            for (let n = 0; n < N; n++) row[n] += av * B[bo + n * K + k];
          } else {
            const bb = bo + k * N;
            for (let n = 0; n < N; n++) row[n] += av * B[bb + n];
          }
        }
        const cr = co + m * N;
        for (let n = 0; n < N; n++) {
          let v = row[n];
          if (bias) v += bias[n];
          C[cr + n] = g.beta ? C[cr + n] + v : v;
        }
      }
    }
  }
  // ---------------------------------------------------------------- softmax, nll
  softmax(x: Storage, out: Storage, outer: number, dim: number, inner: number, log: boolean): void {
    const a = this.f(x),
      o = this.f(out);
    for (let i = 0; i < outer; i++) {
      for (let j = 0; j < inner; j++) {
        const base = i * dim * inner + j;
        let mx = -Infinity;
        for (let d = 0; d < dim; d++) mx = Math.max(mx, a[base + d * inner]);
        if (mx === -Infinity) mx = 0;
        let s = 0;
        for (let d = 0; d < dim; d++) s += Math.exp(a[base + d * inner] - mx);
        if (log) {
          const ls = Math.log(s);
          for (let d = 0; d < dim; d++) o[base + d * inner] = a[base + d * inner] - mx - ls;
        } else for (let d = 0; d < dim; d++) o[base + d * inner] = Math.exp(a[base + d * inner] - mx) / s;
      }
    }
  }

  softmaxGrad(y: Storage, gy: Storage, gx: Storage, outer: number, dim: number, inner: number, log: boolean): void {
    const Y = this.f(y),
      G = this.f(gy),
      O = this.f(gx);
    for (let i = 0; i < outer; i++) {
      for (let j = 0; j < inner; j++) {
        const base = i * dim * inner + j;
        let s = 0;
        if (log) {
          for (let d = 0; d < dim; d++) s += G[base + d * inner];
          for (let d = 0; d < dim; d++) {
            const p = base + d * inner;
            O[p] = G[p] - Math.exp(Y[p]) * s;
          }
        } else {
          for (let d = 0; d < dim; d++) {
            const p = base + d * inner;
            s += G[p] * Y[p];
          }
          for (let d = 0; d < dim; d++) {
            const p = base + d * inner;
            O[p] = Y[p] * (G[p] - s);
          }
        }
      }
    }
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
    const L = this.f(logp),
      T = this.i(target),
      W = weight ? this.f(weight) : null;
    const lo = this.f(loss),
      wo = this.f(wOut);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < inner; k++) {
        const i = n * inner + k,
          t = T[i];
        if (t === ignoreIndex) {
          lo[i] = 0;
          wo[i] = 0;
          continue;
        }
        if (t < 0 || t >= C) throw new RangeError(`nll_loss: target ${t} is out of bounds for ${C} classes`);
        const w = W ? W[t] : 1;
        lo[i] = -w * L[(n * C + t) * inner + k];
        wo[i] = w;
      }
    }
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
    const G = this.f(gLoss),
      T = this.i(target),
      W = weight ? this.f(weight) : null,
      O = this.f(gx);
    O.fill(0);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < inner; k++) {
        const i = n * inner + k,
          t = T[i];
        if (t === ignoreIndex) continue;
        O[(n * C + t) * inner + k] = -G[i] * (W ? W[t] : 1);
      }
    }
  }

  // ---------------------------------------------------------------- convolution (direct loops)
  conv(
    g: ConvGeom,
    x: Storage,
    w: Storage,
    bias: Storage | null,
    y: Storage,
    act?: ConvActivation | boolean | null,
    residual: Storage | null = null,
    // the reference reads w itself (no packed form: convPackedLen is 0)
    _packed: Storage | null = null,
  ): void {
    const X = this.f(x),
      Wt = this.f(w),
      B = bias ? this.f(bias) : null,
      R = residual ? this.f(residual) : null,
      Y = this.f(y);
    const a = convAct(act);
    const cg = g.C / g.groups,
      og = g.O / g.groups;
    const inS = g.inD * g.inH * g.inW,
      outS = g.outD * g.outH * g.outW,
      kS = g.kD * g.kH * g.kW;
    for (let n = 0; n < g.N; n++)
      for (let o = 0; o < g.O; o++) {
        const grp = Math.floor(o / og),
          yb = (n * g.O + o) * outS;
        for (let od = 0; od < g.outD; od++)
          for (let oh = 0; oh < g.outH; oh++)
            for (let ow = 0; ow < g.outW; ow++) {
              let acc = B ? B[o] : 0;
              for (let c = 0; c < cg; c++) {
                const xb = (n * g.C + grp * cg + c) * inS,
                  wb = (o * cg + c) * kS;
                for (let kd = 0; kd < g.kD; kd++) {
                  const id = od * g.sD - g.pD + kd * g.dD;
                  if (id < 0 || id >= g.inD) continue;
                  for (let kh = 0; kh < g.kH; kh++) {
                    const ih = oh * g.sH - g.pH + kh * g.dH;
                    if (ih < 0 || ih >= g.inH) continue;
                    for (let kw = 0; kw < g.kW; kw++) {
                      const iw = ow * g.sW - g.pW + kw * g.dW;
                      if (iw < 0 || iw >= g.inW) continue;
                      acc += X[xb + (id * g.inH + ih) * g.inW + iw] * Wt[wb + (kd * g.kH + kh) * g.kW + kw];
                    }
                  }
                }
              }
              const yi = yb + (od * g.outH + oh) * g.outW + ow;
              if (R) acc += R[yi];
              // relu as the relu kernel (NaN stays, the rest not above 0 is +0); relu6 as hardtanh(0, 6)
              if (a === "relu") acc = !(acc > 0) && acc === acc ? 0 : acc;
              else if (a === "relu6") acc = acc < 0 ? 0 : acc > 6 ? 6 : acc;
              Y[yi] = acc;
            }
      }
  }

  /** The reference packs nothing (its conv reads w directly). */
  convPackedLen(_g: ConvGeom, _hasBias: boolean): number {
    return 0;
  }
  convPack(_g: ConvGeom, _w: Storage, _bias: Storage | null, _out: Storage): void {
    throw new Error("convPack: the js backend has no packed conv weights (convPackedLen is 0)");
  }
  convGradInput(g: ConvGeom, gy: Storage, w: Storage, gx: Storage): void {
    const GY = this.f(gy),
      Wt = this.f(w),
      GX = this.f(gx);
    GX.fill(0);
    this.convScatter(g, (n, o, c, yi, xi, wi) => {
      GX[xi] += GY[yi] * Wt[wi];
    });
  }

  convGradWeight(g: ConvGeom, x: Storage, gy: Storage, gw: Storage, gb: Storage | null): void {
    const X = this.f(x),
      GY = this.f(gy),
      GW = this.f(gw);
    GW.fill(0);
    this.convScatter(g, (n, o, c, yi, xi, wi) => {
      GW[wi] += GY[yi] * X[xi];
    });
    if (gb) {
      const GB = this.f(gb),
        outS = g.outD * g.outH * g.outW;
      for (let o = 0; o < g.O; o++) {
        let s = 0;
        for (let n = 0; n < g.N; n++) for (let p = 0; p < outS; p++) s += GY[(n * g.O + o) * outS + p];
        GB[o] = s;
      }
    }
  }

  /** Visits every (output, input, weight) index triple that the convolution multiplies together. */
  protected convScatter(g: ConvGeom, f: (n: number, o: number, c: number, yi: number, xi: number, wi: number) => void) {
    const cg = g.C / g.groups,
      og = g.O / g.groups;
    const inS = g.inD * g.inH * g.inW,
      outS = g.outD * g.outH * g.outW,
      kS = g.kD * g.kH * g.kW;
    for (let n = 0; n < g.N; n++)
      for (let o = 0; o < g.O; o++) {
        const grp = Math.floor(o / og),
          yb = (n * g.O + o) * outS;
        for (let c = 0; c < cg; c++) {
          const xb = (n * g.C + grp * cg + c) * inS,
            wb = (o * cg + c) * kS;
          for (let od = 0; od < g.outD; od++)
            for (let oh = 0; oh < g.outH; oh++)
              for (let ow = 0; ow < g.outW; ow++) {
                const yi = yb + (od * g.outH + oh) * g.outW + ow;
                for (let kd = 0; kd < g.kD; kd++) {
                  const id = od * g.sD - g.pD + kd * g.dD;
                  if (id < 0 || id >= g.inD) continue;
                  for (let kh = 0; kh < g.kH; kh++) {
                    const ih = oh * g.sH - g.pH + kh * g.dH;
                    if (ih < 0 || ih >= g.inH) continue;
                    for (let kw = 0; kw < g.kW; kw++) {
                      const iw = ow * g.sW - g.pW + kw * g.dW;
                      if (iw < 0 || iw >= g.inW) continue;
                      f(n, o, c, yi, xb + (id * g.inH + ih) * g.inW + iw, wb + (kd * g.kH + kh) * g.kW + kw);
                    }
                  }
                }
              }
        }
      }
  }

  // ---------------------------------------------------------------- pooling
  maxPool2d(g: PoolGeom, x: Storage, y: Storage, idx: Storage | null): void {
    const X = this.f(x),
      Y = this.f(y),
      I = idx ? this.i(idx) : null;
    const inS = g.H * g.W,
      outS = g.oH * g.oW;
    for (let p = 0; p < g.NC; p++)
      for (let oh = 0; oh < g.oH; oh++)
        for (let ow = 0; ow < g.oW; ow++) {
          let best = -Infinity,
            bi = -1;
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.sH - g.pH + kh * g.dH;
            if (ih < 0 || ih >= g.H) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.sW - g.pW + kw * g.dW;
              if (iw < 0 || iw >= g.W) continue;
              const v = X[p * inS + ih * g.W + iw];
              if (v > best || v !== v || bi < 0) {
                best = v;
                bi = ih * g.W + iw;
                if (v !== v) {
                  kh = g.kH;
                  break;
                }
              }
            }
          }
          Y[p * outS + oh * g.oW + ow] = best;
          if (I) I[p * outS + oh * g.oW + ow] = bi;
        }
  }

  indexPoolGrad(gy: Storage, idx: Storage, gx: Storage, NC: number, inSize: number, outSize: number): void {
    const G = this.f(gy),
      I = this.i(idx),
      O = this.f(gx);
    O.fill(0);
    for (let p = 0; p < NC; p++)
      for (let k = 0; k < outSize; k++) {
        const j = I[p * outSize + k];
        if (j >= 0) O[p * inSize + j] += G[p * outSize + k];
      }
  }

  /** PyTorch's avg-pool window: clipped to the padded input for the divisor, to the input for the sum. */
  private avgWindow(g: PoolGeom, oh: number, ow: number, countIncludePad: boolean, divisorOverride: number) {
    let h0 = oh * g.sH - g.pH,
      w0 = ow * g.sW - g.pW;
    let h1 = Math.min(h0 + g.kH, g.H + g.pH),
      w1 = Math.min(w0 + g.kW, g.W + g.pW);
    const poolSize = (h1 - h0) * (w1 - w0);
    h0 = Math.max(h0, 0);
    w0 = Math.max(w0, 0);
    h1 = Math.min(h1, g.H);
    w1 = Math.min(w1, g.W);
    const div = divisorOverride > 0 ? divisorOverride : countIncludePad ? poolSize : (h1 - h0) * (w1 - w0);
    return { h0, h1, w0, w1, div };
  }

  avgPool2d(g: PoolGeom, x: Storage, y: Storage, countIncludePad: boolean, divisorOverride: number): void {
    const X = this.f(x),
      Y = this.f(y),
      inS = g.H * g.W,
      outS = g.oH * g.oW;
    for (let p = 0; p < g.NC; p++)
      for (let oh = 0; oh < g.oH; oh++)
        for (let ow = 0; ow < g.oW; ow++) {
          const { h0, h1, w0, w1, div } = this.avgWindow(g, oh, ow, countIncludePad, divisorOverride);
          let s = 0;
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += X[p * inS + h * g.W + w];
          Y[p * outS + oh * g.oW + ow] = s / div;
        }
  }

  avgPool2dGrad(g: PoolGeom, gy: Storage, gx: Storage, countIncludePad: boolean, divisorOverride: number): void {
    const G = this.f(gy),
      O = this.f(gx),
      inS = g.H * g.W,
      outS = g.oH * g.oW;
    O.fill(0);
    for (let p = 0; p < g.NC; p++)
      for (let oh = 0; oh < g.oH; oh++)
        for (let ow = 0; ow < g.oW; ow++) {
          const { h0, h1, w0, w1, div } = this.avgWindow(g, oh, ow, countIncludePad, divisorOverride);
          const v = G[p * outS + oh * g.oW + ow] / div;
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) O[p * inS + h * g.W + w] += v;
        }
  }

  // ---------------------------------------------------------------- padding, resampling (js-resize.ts)
  pad(g: PadGeom, x: Storage, y: Storage, mode: PadMode, value: number): void {
    resize.pad(g, this.f(x), this.f(y), mode, value);
  }
  padGrad(g: PadGeom, gy: Storage, gx: Storage, mode: PadMode): void {
    resize.padGrad(g, this.f(gy), this.f(gx), mode);
  }
  resample(g: ResampleGeom, x: Storage, y: Storage): void {
    resize.resample(g, this.f(x), this.f(y));
  }
  resampleGrad(g: ResampleGeom, gy: Storage, gx: Storage): void {
    resize.resampleGrad(g, this.f(gy), this.f(gx));
  }

  adaptiveAvgPool2d(NC: number, H: number, W: number, oH: number, oW: number, x: Storage, y: Storage): void {
    const X = this.f(x),
      Y = this.f(y);
    for (let p = 0; p < NC; p++)
      for (let oh = 0; oh < oH; oh++) {
        const [h0, h1] = adaptiveWindow(oh, H, oH);
        for (let ow = 0; ow < oW; ow++) {
          const [w0, w1] = adaptiveWindow(ow, W, oW);
          let s = 0;
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += X[p * H * W + h * W + w];
          Y[(p * oH + oh) * oW + ow] = s / ((h1 - h0) * (w1 - w0));
        }
      }
  }

  adaptiveAvgPool2dGrad(NC: number, H: number, W: number, oH: number, oW: number, gy: Storage, gx: Storage): void {
    const G = this.f(gy),
      O = this.f(gx);
    O.fill(0);
    for (let p = 0; p < NC; p++)
      for (let oh = 0; oh < oH; oh++) {
        const [h0, h1] = adaptiveWindow(oh, H, oH);
        for (let ow = 0; ow < oW; ow++) {
          const [w0, w1] = adaptiveWindow(ow, W, oW);
          const v = G[(p * oH + oh) * oW + ow] / ((h1 - h0) * (w1 - w0));
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) O[p * H * W + h * W + w] += v;
        }
      }
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
    const X = this.f(x),
      Y = this.f(y),
      I = this.i(idx);
    for (let p = 0; p < NC; p++)
      for (let oh = 0; oh < oH; oh++) {
        const [h0, h1] = adaptiveWindow(oh, H, oH);
        for (let ow = 0; ow < oW; ow++) {
          const [w0, w1] = adaptiveWindow(ow, W, oW);
          let best = -Infinity,
            bi = h0 * W + w0;
          for (let h = h0; h < h1; h++)
            for (let w = w0; w < w1; w++) {
              const v = X[p * H * W + h * W + w];
              if (v > best || v !== v) {
                best = v;
                bi = h * W + w;
                if (v !== v) {
                  h = h1;
                  break;
                }
              }
            }
          Y[(p * oH + oh) * oW + ow] = best;
          I[(p * oH + oh) * oW + ow] = bi;
        }
      }
  }

  // ---------------------------------------------------------------- normalisation
  channelStats(x: Storage, N: number, C: number, S: number, mean: Storage, variance: Storage): void {
    const X = this.f(x),
      M = this.f(mean),
      V = this.f(variance),
      cnt = N * S;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * S;
        for (let k = 0; k < S; k++) s += X[b + k];
      }
      const m = s / cnt;
      let q = 0;
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * S;
        for (let k = 0; k < S; k++) {
          const d = X[b + k] - m;
          q += d * d;
        }
      }
      M[c] = m;
      V[c] = q / cnt;
    }
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
    const X = this.f(x),
      M = this.f(mean),
      R = this.f(invstd),
      Y = this.f(y);
    const Wt = w ? this.f(w) : null,
      B = b ? this.f(b) : null;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const scale = R[c] * (Wt ? Wt[c] : 1),
          shift = (B ? B[c] : 0) - M[c] * scale,
          base = (n * C + c) * S;
        for (let k = 0; k < S; k++) Y[base + k] = X[base + k] * scale + shift;
      }
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
    const X = this.f(x),
      G = this.f(gy),
      M = this.f(mean),
      R = this.f(invstd),
      Wt = w ? this.f(w) : null;
    const GX = gx ? this.f(gx) : null,
      GW = gw ? this.f(gw) : null,
      GB = gb ? this.f(gb) : null,
      cnt = N * S;
    for (let c = 0; c < C; c++) {
      let sg = 0,
        sgx = 0;
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * S;
        for (let k = 0; k < S; k++) {
          sg += G[b + k];
          sgx += G[b + k] * (X[b + k] - M[c]);
        }
      }
      if (GB) GB[c] = sg;
      if (GW) GW[c] = sgx * R[c];
      if (!GX) continue;
      const wc = Wt ? Wt[c] : 1,
        r = R[c];
      for (let n = 0; n < N; n++) {
        const b = (n * C + c) * S;
        for (let k = 0; k < S; k++) {
          if (training) {
            const xh = (X[b + k] - M[c]) * r;
            GX[b + k] = ((wc * r) / cnt) * (cnt * G[b + k] - sg - xh * sgx * r);
          } else GX[b + k] = G[b + k] * wc * r;
        }
      }
    }
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
    const X = this.f(x),
      Y = this.f(y),
      M = this.f(mean),
      R = this.f(rstd);
    const Wt = w ? this.f(w) : null,
      B = b ? this.f(b) : null;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let s = 0;
      for (let k = 0; k < cols; k++) s += X[base + k];
      const m = s / cols;
      let q = 0;
      for (let k = 0; k < cols; k++) {
        const d = X[base + k] - m;
        q += d * d;
      }
      const rs = 1 / Math.sqrt(q / cols + eps);
      M[r] = m;
      R[r] = rs;
      for (let k = 0; k < cols; k++) Y[base + k] = (X[base + k] - m) * rs * (Wt ? Wt[k] : 1) + (B ? B[k] : 0);
    }
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
    const X = this.f(x),
      G = this.f(gy),
      M = this.f(mean),
      R = this.f(rstd),
      Wt = w ? this.f(w) : null;
    const GX = gx ? this.f(gx) : null,
      GW = gw ? this.f(gw) : null,
      GB = gb ? this.f(gb) : null;
    if (GW) GW.fill(0);
    if (GB) GB.fill(0);
    for (let r = 0; r < rows; r++) {
      const base = r * cols,
        m = M[r],
        rs = R[r];
      let s1 = 0,
        s2 = 0;
      for (let k = 0; k < cols; k++) {
        const xh = (X[base + k] - m) * rs,
          g = G[base + k];
        if (GW) GW[k] += g * xh;
        if (GB) GB[k] += g;
        const gxh = g * (Wt ? Wt[k] : 1);
        s1 += gxh;
        s2 += gxh * xh;
      }
      if (!GX) continue;
      for (let k = 0; k < cols; k++) {
        const xh = (X[base + k] - m) * rs,
          gxh = G[base + k] * (Wt ? Wt[k] : 1);
        GX[base + k] = (rs / cols) * (cols * gxh - s1 - xh * s2);
      }
    }
  }
  rmsNorm(x: Storage, rows: number, cols: number, eps: number, w: Storage | null, y: Storage, rstd: Storage): void {
    jsNorm.rmsNorm(this.f(x), rows, cols, eps, w ? this.f(w) : null, this.f(y), this.f(rstd));
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
    jsNorm.rmsNormGrad(
      this.f(x),
      this.f(gy),
      rows,
      cols,
      this.f(rstd),
      w ? this.f(w) : null,
      gx ? this.f(gx) : null,
      gw ? this.f(gw) : null,
    );
  }

  // ---------------------------------------------------------------- embedding
  embedding(weight: Storage, idx: Storage, out: Storage, n: number, dim: number, numEmbeddings: number): void {
    const Wt = this.f(weight),
      I = this.i(idx),
      O = this.f(out);
    for (let r = 0; r < n; r++) {
      const t = I[r];
      if (t < 0 || t >= numEmbeddings)
        throw new RangeError(`embedding: index ${t} is out of range for ${numEmbeddings} embeddings`);
      for (let k = 0; k < dim; k++) O[r * dim + k] = Wt[t * dim + k];
    }
  }

  embeddingGrad(gy: Storage, idx: Storage, gw: Storage, n: number, dim: number, paddingIdx: number): void {
    const G = this.f(gy),
      I = this.i(idx),
      O = this.f(gw);
    O.fill(0);
    for (let r = 0; r < n; r++) {
      const t = I[r];
      if (t === paddingIdx) continue;
      for (let k = 0; k < dim; k++) O[t * dim + k] += G[r * dim + k];
    }
  }

  // ---------------------------------------------------------------- recurrent cells
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
    const G = this.f(gates).subarray(gatesOff),
      CP = this.f(cPrev),
      HO = this.f(h),
      CO = this.f(c),
      A = this.f(act).subarray(actOff);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < H; j++) {
        const g0 = b * 4 * H + j;
        const ig = sigmoid(G[g0]),
          fg = sigmoid(G[g0 + H]),
          gg = Math.tanh(G[g0 + 2 * H]),
          og = sigmoid(G[g0 + 3 * H]);
        A[g0] = ig;
        A[g0 + H] = fg;
        A[g0 + 2 * H] = gg;
        A[g0 + 3 * H] = og;
        const cn = fg * CP[cPrevOff + b * H + j] + ig * gg;
        CO[cOff + b * H + j] = cn;
        HO[hOff + b * H + j] = og * Math.tanh(cn);
      }
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
    const A = this.f(act).subarray(actOff),
      CP = this.f(cPrev),
      CC = this.f(c),
      GH = this.f(gh),
      GC = this.f(gc);
    const GG = this.f(gGates).subarray(gGatesOff),
      GCP = this.f(gcPrev);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < H; j++) {
        const g0 = b * 4 * H + j,
          hj = b * H + j;
        const ig = A[g0],
          fg = A[g0 + H],
          gg = A[g0 + 2 * H],
          og = A[g0 + 3 * H];
        const tc = Math.tanh(CC[cOff + hj]);
        const dh = GH[ghOff + hj];
        const dc = GC[hj] + dh * og * (1 - tc * tc);
        GG[g0] = dc * gg * ig * (1 - ig);
        GG[g0 + H] = dc * CP[cPrevOff + hj] * fg * (1 - fg);
        GG[g0 + 2 * H] = dc * ig * (1 - gg * gg);
        GG[g0 + 3 * H] = dh * tc * og * (1 - og);
        GCP[hj] = dc * fg;
      }
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
    const GI = this.f(gi).subarray(giOff),
      GHh = this.f(gh),
      HP = this.f(hPrev),
      HO = this.f(h),
      A = this.f(act).subarray(actOff);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < H; j++) {
        const g0 = b * 3 * H + j,
          a0 = b * 4 * H + j;
        const r = sigmoid(GI[g0] + GHh[g0]);
        const z = sigmoid(GI[g0 + H] + GHh[g0 + H]);
        const ghn = GHh[g0 + 2 * H];
        const nn = Math.tanh(GI[g0 + 2 * H] + r * ghn);
        A[a0] = r;
        A[a0 + H] = z;
        A[a0 + 2 * H] = nn;
        A[a0 + 3 * H] = ghn;
        HO[hOff + b * H + j] = (1 - z) * nn + z * HP[hPrevOff + b * H + j];
      }
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
    const A = this.f(act).subarray(actOff),
      HP = this.f(hPrev),
      G = this.f(gH);
    const GI = this.f(gGi).subarray(gGiOff),
      GHh = this.f(gGh).subarray(gGhOff),
      GP = this.f(ghPrev);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < H; j++) {
        const g0 = b * 3 * H + j,
          a0 = b * 4 * H + j,
          hj = b * H + j;
        const r = A[a0],
          z = A[a0 + H],
          nn = A[a0 + 2 * H],
          ghn = A[a0 + 3 * H];
        const dh = G[gHOff + hj];
        const dn = dh * (1 - z) * (1 - nn * nn);
        const dz = dh * (HP[hPrevOff + hj] - nn) * z * (1 - z);
        const dr = dn * ghn * r * (1 - r);
        GI[g0] = dr;
        GI[g0 + H] = dz;
        GI[g0 + 2 * H] = dn;
        GHh[g0] = dr;
        GHh[g0 + H] = dz;
        GHh[g0 + 2 * H] = dn * r;
        GP[hj] = dh * z;
      }
  }

  // ---------------------------------------------------------------- attention (js-attention.ts)
  attention(g: AttnGeom, q: Storage, k: Storage, v: Storage, mask: Storage | null, out: Storage, lse: Storage): void {
    attn.attention(
      g,
      this.view(q),
      this.view(k),
      this.view(v),
      mask ? this.view(mask) : null,
      this.view(out),
      this.view(lse),
    );
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
    attn.attentionGrad(
      g,
      this.view(q),
      this.view(k),
      this.view(v),
      mask ? this.view(mask) : null,
      this.view(out),
      this.view(lse),
      this.view(gout),
      this.view(dq),
      this.view(dk),
      this.view(dv),
    );
  }

  // ---------------------------------------------------------------- optimisers (PyTorch's update rules)
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
    const P = this.f(p),
      G = this.f(g),
      Bf = buf ? this.f(buf) : null;
    for (let k = 0; k < P.length; k++) {
      let d = G[k];
      if (weightDecay !== 0) d += weightDecay * P[k];
      if (momentum !== 0 && Bf) {
        const b = firstStep ? d : momentum * Bf[k] + (1 - dampening) * d;
        Bf[k] = b;
        d = nesterov ? d + momentum * b : b;
      }
      P[k] -= lr * d;
    }
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
    const P = this.f(p),
      G = this.f(g),
      Mo = this.f(m),
      Vo = this.f(v);
    const bc1 = 1 - Math.pow(beta1, step),
      bc2 = 1 - Math.pow(beta2, step);
    const stepSize = lr / bc1,
      bc2s = Math.sqrt(bc2);
    for (let k = 0; k < P.length; k++) {
      let d = G[k];
      if (decoupled) P[k] *= 1 - lr * weightDecay;
      else if (weightDecay !== 0) d += weightDecay * P[k];
      Mo[k] = beta1 * Mo[k] + (1 - beta1) * d;
      Vo[k] = beta2 * Vo[k] + (1 - beta2) * d * d;
      const denom = Math.sqrt(Vo[k]) / bc2s + eps;
      P[k] -= stepSize * (Mo[k] / denom);
    }
  }

  // ---------------------------------------------------------------- indexing (js-index.ts)
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
    ix.gather(this.view(x), this.view(idx), this.view(out), outer, n, m, inner, rowIndex);
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
    ix.scatter(
      src ? this.view(src) : null,
      value,
      this.view(idx),
      this.view(out),
      outer,
      n,
      m,
      inner,
      rowIndex,
      accumulate,
    );
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
    ix.whereStrided(
      this.view(cond),
      cOff,
      cStrides,
      this.view(a),
      aOff,
      aStrides,
      this.view(b),
      bOff,
      bStrides,
      this.view(out),
      shape,
    );
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
    ix.scan(op, this.view(x), this.view(out), outer, n, inner, reverse, exclusive);
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
    ix.sort(this.view(x), this.view(vals), this.view(idx), outer, n, inner, k, descending);
  }
}

/** Input range [start, end) that adaptive pooling maps to output index o (PyTorch's start/end index). */
function adaptiveWindow(o: number, inSize: number, outSize: number): [number, number] {
  return [Math.floor((o * inSize) / outSize), Math.ceil(((o + 1) * inSize) / outSize)];
}

function binaryFn(op: BinaryOp | ScalarOp): (a: number, b: number) => number {
  switch (op) {
    case "add":
      return (a, b) => a + b;
    case "sub":
      return (a, b) => a - b;
    case "mul":
      return (a, b) => a * b;
    case "div":
      return (a, b) => a / b;
    case "pow":
      return (a, b) => Math.pow(a, b);
    case "maximum":
      return (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b);
    case "minimum":
      return (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b);
    case "gt":
      return (a, b) => (a > b ? 1 : 0);
    case "lt":
      return (a, b) => (a < b ? 1 : 0);
    case "eq":
      return (a, b) => (a === b ? 1 : 0);
    case "ne":
      return (a, b) => (a !== b ? 1 : 0);
    case "le":
      return (a, b) => (a <= b ? 1 : 0);
    case "ge":
      return (a, b) => (a >= b ? 1 : 0);
    case "rsub":
      return (a, b) => b - a;
    case "rdiv":
      return (a, b) => b / a;
    default: {
      const f = binaryMathFn(op);
      if (f) return f;
      throw new Error(`unknown binary op ${op}`);
    }
  }
}
