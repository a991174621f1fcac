// Pooling: F.maxPool2d, F.avgPool2d, F.adaptiveAvgPool2d, F.adaptiveMaxPool2d over NC planes
// (batched [N, C, H, W] or unbatched [C, H, W]); max pools backpropagate through the saved argmax.

import type { PoolGeom } from "../../backends/types.js";
import { backendImpl, isGradEnabled } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, numelOf } from "../../tensor.js";
import { tensor } from "../../creation.js";
import { A, parseArgs, type Spec } from "../../utils/args.js";

const K = () => backendImpl();

export type IntOrPair = number | number[];
export interface MaxPool2dOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  ceilMode?: boolean;
  returnIndices?: boolean;
}
export interface AvgPool2dOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}
/** An adaptive pool's target: one size for both dims, or [H, W] where null keeps the input's size. */
export type AdaptiveSize = number | null | (number | null)[];

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

function pair(v: IntOrPair, name: string, op: string): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length === 1) return [a[0], a[0]];
  if (a.length !== 2 || a.some((x) => !Number.isInteger(x))) {
    throw new RangeError(
      `${op}: ${name} must either be a single int, or a tuple of two ints, but got ${Array.isArray(v) ? `(${v.join(", ")})` : v}`,
    );
  }
  return [a[0], a[1]];
}

// ------------------------------------------------------------------ PyTorch's positional order
// F.maxPool2d(x, 3, 2, 1) means stride 2, padding 1, as in PyTorch; or pass one options object.
const C = {
  stride: A.nullable(A.intOrTuple),
  padding: A.intOrTuple,
  dilation: A.intOrTuple,
  ceilMode: A.bool,
  returnIndices: A.bool,
  countIncludePad: A.bool,
  divisorOverride: A.nullable(A.int),
  outputSize: A.nullable(A.ints),
} as const;
type Key = keyof typeof C;
/** The options of a pool call given positionally (PyTorch's order `keys`) or as one trailing object. */
function posOpts<T>(fn: string, rest: unknown[], keys: Key[]): T {
  const spec = Object.fromEntries(keys.map((k) => [k, [C[k], undefined] as const])) as Spec;
  const o = parseArgs(fn, rest, spec) as Record<string, unknown>;
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o as T;
}
const MAXK: Key[] = ["stride", "padding", "dilation", "ceilMode", "returnIndices"];
const AVGK: Key[] = ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"];

/** PyTorch's pooling_output_shape: with ceilMode the last window must start inside the input or left padding. */
export function poolOutputSize(
  inSize: number,
  k: number,
  pad: number,
  stride: number,
  dilation: number,
  ceilMode: boolean,
): number {
  if (stride === 0) throw new RangeError("stride should not be zero");
  if (pad < 0) throw new RangeError(`pad must be non-negative, but got pad: ${pad}`);
  if (pad > Math.floor(((k - 1) * dilation + 1) / 2)) {
    throw new RangeError(
      `pad should be at most half of effective kernel size, but got pad=${pad}, kernel_size=${k} and dilation=${dilation}`,
    );
  }
  const num = inSize + 2 * pad - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(num / stride) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + pad) out--;
  return out;
}

/** Input [.., H, W] as NC planes; checks rank like PyTorch. */
function planes(x: Tensor, op: string): { NC: number; H: number; W: number; lead: number[] } {
  if (x.dtype !== "float32") throw new TypeError(`${op}: expected a float32 tensor but got ${x.dtype}`);
  if (x.dim() !== 3 && x.dim() !== 4) {
    throw new RangeError(
      `${op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ${fmt(x.shape)}`,
    );
  }
  const lead = x.shape.slice(0, -2);
  const [H, W] = x.shape.slice(-2);
  if (x.shape.slice(x.dim() - 3).some((d) => d === 0)) {
    throw new RangeError(
      `${op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ${fmt(x.shape)}`,
    );
  }
  return { NC: numelOf(lead), H, W, lead };
}

function poolGeom(
  x: Tensor,
  op: string,
  kernelSize: IntOrPair,
  stride: IntOrPair | null | undefined,
  padding: IntOrPair,
  dilation: IntOrPair,
  ceilMode: boolean,
): { g: PoolGeom; lead: number[] } {
  const { NC, H, W, lead } = planes(x, op);
  const [kH, kW] = pair(kernelSize, "kernel_size", op);
  const noStride = stride === undefined || stride === null || (Array.isArray(stride) && stride.length === 0);
  const [sH, sW] = noStride ? [kH, kW] : pair(stride!, "stride", op);
  const [pH, pW] = pair(padding, "padding", op);
  const [dH, dW] = pair(dilation, "dilation", op);
  if (kH <= 0 || kW <= 0) throw new RangeError(`kernel size should be greater than zero, but got kH: ${kH} kW: ${kW}`);
  if (sH <= 0 || sW <= 0) throw new RangeError(`stride should be greater than zero, but got dH: ${sH} dW: ${sW}`);
  if (dH <= 0 || dW <= 0)
    throw new RangeError(`dilation should be greater than zero, but got dilationH: ${dH} dilationW: ${dW}`);
  const oH = poolOutputSize(H, kH, pH, sH, dH, ceilMode),
    oW = poolOutputSize(W, kW, pW, sW, dW, ceilMode);
  if (Math.floor(kW / 2) < pW || Math.floor(kH / 2) < pH) {
    throw new RangeError(
      `pad should be smaller than or equal to half of kernel size, but got padW = ${pW}, padH = ${pH}, kW = ${kW}, kH = ${kH}`,
    );
  }
  if (oH < 1 || oW < 1) {
    throw new RangeError(
      `Given input size: (${lead.slice(-1)[0]}x${H}x${W}). Calculated output size: (${lead.slice(-1)[0]}x${oH}x${oW}). Output size is too small`,
    );
  }
  return { g: { NC, H, W, kH, kW, sH, sW, pH, pW, dH, dW, oH, oW }, lead };
}

/**
 * 2-d max pooling; with returnIndices also the flat h*W+w argmax per output (int64).
 * `F.maxPool2d(torch.randn(1, 3, 8, 8), 2)` has shape [1, 3, 4, 4].
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: IntOrPair,
  opts?: MaxPool2dOptions & { returnIndices?: false },
): Tensor;
export function maxPool2d(
  x: Tensor,
  kernelSize: IntOrPair,
  opts: MaxPool2dOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, opts?: MaxPool2dOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, ...rest: unknown[]): Tensor | [Tensor, Tensor] {
  const opts = posOpts<MaxPool2dOptions>("F.maxPool2d", rest, MAXK);
  const { g, lead } = poolGeom(
    x,
    "max_pool2d",
    kernelSize,
    opts.stride,
    opts.padding ?? 0,
    opts.dilation ?? 1,
    opts.ceilMode ?? false,
  );
  const xd = x.dense();
  const out = Tensor.empty([...lead, g.oH, g.oW], "float32", true);
  // the argmax is only needed for backward or when asked for
  const needIdx = opts.returnIndices || (isGradEnabled() && x.requiresGrad);
  const idx = needIdx ? Tensor.empty([...lead, g.oH, g.oW], "int64", true) : null;
  K().maxPool2d(g, xd.storage, out.storage, idx ? idx.storage : null);
  if (xd !== x) xd.dispose();
  if (idx)
    ops.record(out, "MaxPool2DWithIndicesBackward", [x], (gy) => [
      indexGrad(gy, idx, x.shape, g.NC, g.H * g.W, g.oH * g.oW),
    ]);
  return opts.returnIndices ? [out, idx!] : out;
}

function indexGrad(gy: Tensor, idx: Tensor, shape: number[], NC: number, inSize: number, outSize: number): Tensor {
  const gd = gy.dense();
  const gx = Tensor.empty(shape.slice(), "float32");
  K().indexPoolGrad(gd.storage, idx.storage, gx.storage, NC, inSize, outSize);
  if (gd !== gy) gd.dispose();
  return gx;
}

/**
 * 2-d average pooling (countIncludePad counts the zero padding in the divisor; divisorOverride replaces it).
 * `F.avgPool2d(torch.randn(1, 3, 8, 8), 3, { stride: 2, padding: 1 })` has shape [1, 3, 4, 4].
 */
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, opts?: AvgPool2dOptions): Tensor;
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, ...rest: unknown[]): Tensor {
  const opts = posOpts<AvgPool2dOptions>("F.avgPool2d", rest, AVGK);
  const { g, lead } = poolGeom(x, "avg_pool2d", kernelSize, opts.stride, opts.padding ?? 0, 1, opts.ceilMode ?? false);
  const cip = opts.countIncludePad ?? true;
  const div = opts.divisorOverride ?? 0;
  if (opts.divisorOverride !== undefined && opts.divisorOverride !== null && div === 0)
    throw new RangeError("divisor must be not zero");
  const xd = x.dense();
  const out = Tensor.empty([...lead, g.oH, g.oW], "float32", true);
  K().avgPool2d(g, xd.storage, out.storage, cip, div);
  if (xd !== x) xd.dispose();
  return ops.record(out, "AvgPool2DBackward", [x], (gy) => {
    const gd = gy.dense();
    const gx = Tensor.empty(x.shape.slice(), "float32");
    K().avgPool2dGrad(g, gd.storage, gx.storage, cip, div);
    if (gd !== gy) gd.dispose();
    return [gx];
  });
}

/** The adaptive target size with nulls replaced by the input size. */
export function adaptiveSize(outputSize: AdaptiveSize, H: number, W: number, op: string): [number, number] {
  const a = Array.isArray(outputSize) ? outputSize : [outputSize, outputSize];
  if (a.length !== 2) throw new RangeError(`${op}: output_size must be 2, but got ${a.length}`);
  const o: [number, number] = [a[0] ?? H, a[1] ?? W];
  if (o.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new RangeError(
      `${op}: elements of output_size must be greater than or equal to 0 but received {${o.join(", ")}}`,
    );
  }
  return o;
}

/**
 * Adaptive average pooling to a fixed output size (window h: floor(i*H/oH) .. ceil((i+1)*H/oH)).
 * `F.adaptiveAvgPool2d(torch.randn(2, 8, 7, 5), 1)` has shape [2, 8, 1, 1].
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const { NC, H, W, lead } = planes(x, "adaptive_avg_pool2d()");
  const [oH, oW] = adaptiveSize(outputSize, H, W, "adaptive_avg_pool2d");
  const xd = x.dense();
  const out = Tensor.empty([...lead, oH, oW], "float32");
  K().adaptiveAvgPool2d(NC, H, W, oH, oW, xd.storage, out.storage);
  if (xd !== x) xd.dispose();
  return ops.record(out, "AdaptiveAvgPool2DBackward", [x], (gy) => {
    const gd = gy.dense();
    const gx = Tensor.empty(x.shape.slice(), "float32");
    K().adaptiveAvgPool2dGrad(NC, H, W, oH, oW, gd.storage, gx.storage);
    if (gd !== gy) gd.dispose();
    return [gx];
  });
}

/**
 * Adaptive max pooling to a fixed output size; with returnIndices also the flat argmax (int64).
 * `F.adaptiveMaxPool2d(torch.randn(2, 8, 9, 8), [4, null])` has shape [2, 8, 4, 8].
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, opts?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, opts: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveSize,
  opts?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, ...rest: unknown[]): Tensor | [Tensor, Tensor] {
  const opts = posOpts<{ returnIndices?: boolean }>("F.adaptiveMaxPool2d", rest, ["returnIndices"]);
  const { NC, H, W, lead } = planes(x, "adaptive_max_pool2d()");
  const [oH, oW] = adaptiveSize(outputSize, H, W, "adaptive_max_pool2d");
  const xd = x.dense();
  const out = Tensor.empty([...lead, oH, oW], "float32");
  const idx = Tensor.empty([...lead, oH, oW], "int64");
  K().adaptiveMaxPool2d(NC, H, W, oH, oW, xd.storage, out.storage, idx.storage);
  if (xd !== x) xd.dispose();
  ops.record(out, "AdaptiveMaxPool2DBackward", [x], (gy) => [indexGrad(gy, idx, x.shape, NC, H * W, oH * oW)]);
  return opts.returnIndices ? [out, idx] : out;
}

// ------------------------------------------------------------------ 1-d and 3-d pools
// 1-d pools are the 2-d kernels with H = 1. 3-d pools are separable: the window's max (or sum, or
// count) over D x H x W is the one over D of the ones over H x W, so a 2-d pool over each depth
// slice followed by a (kD x 1) pool over depth gives the same numbers as PyTorch's 3-d kernel.

type Tuple = number | number[];
function ntuple(v: Tuple | null | undefined, n: number, name: string, op: string): number[] | null {
  if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) return null;
  const a = Array.isArray(v) ? v : new Array(n).fill(v);
  if (a.length === 1) return new Array(n).fill(a[0]);
  if (a.length !== n || a.some((x) => !Number.isInteger(x))) {
    throw new RangeError(`${op}: ${name} must either be a single int, or a tuple of ${n} ints`);
  }
  return a.slice();
}
function expectRank(x: Tensor, ranks: number[], op: string): void {
  if (x.dtype !== "float32") throw new TypeError(`${op}: expected a float32 tensor but got ${x.dtype}`);
  if (!ranks.includes(x.dim())) {
    throw new RangeError(
      `${op}: Expected ${ranks[0]}D or ${ranks[1]}D (batch mode) tensor with optional 0 dim batch size for input, but got: ${fmt(x.shape)}`,
    );
  }
}
/** x [..., L] as [..., 1, L] and back: the 1-d pools. */
const as2d = (x: Tensor) => ops.unsqueeze(x, -2);
const from2d = (y: Tensor) => ops.squeeze(y, -2);

export interface MaxPoolOptions {
  stride?: Tuple | null;
  padding?: Tuple;
  dilation?: Tuple;
  ceilMode?: boolean;
  returnIndices?: boolean;
}
export interface AvgPoolOptions {
  stride?: Tuple | null;
  padding?: Tuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/**
 * 1-d max pooling of [N, C, L] (or [C, L]); with returnIndices also the argmax positions.
 * `F.maxPool1d(torch.randn(1, 2, 9), 3)` has shape [1, 2, 3].
 */
export function maxPool1d(x: Tensor, kernelSize: Tuple, opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(
  x: Tensor,
  kernelSize: Tuple,
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: Tuple, opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: Tuple, ...rest: unknown[]): Tensor | [Tensor, Tensor] {
  const opts = posOpts<MaxPoolOptions>("F.maxPool1d", rest, MAXK);
  expectRank(x, [2, 3], "max_pool1d");
  const k = ntuple(kernelSize, 1, "kernel_size", "max_pool1d")!,
    s = ntuple(opts.stride, 1, "stride", "max_pool1d") ?? k;
  const p = ntuple(opts.padding ?? 0, 1, "padding", "max_pool1d")!,
    d = ntuple(opts.dilation ?? 1, 1, "dilation", "max_pool1d")!;
  const r = maxPool2d(as2d(x), [1, k[0]], {
    stride: [1, s[0]],
    padding: [0, p[0]],
    dilation: [1, d[0]],
    ceilMode: opts.ceilMode ?? false,
    returnIndices: opts.returnIndices ?? false,
  });
  return Array.isArray(r) ? [from2d(r[0]), from2d(r[1])] : from2d(r);
}

/**
 * 1-d average pooling of [N, C, L] (or [C, L]).
 * `F.avgPool1d(torch.randn(1, 2, 9), 3)` has shape [1, 2, 3].
 */
export function avgPool1d(x: Tensor, kernelSize: Tuple, opts?: Omit<AvgPoolOptions, "divisorOverride">): Tensor;
export function avgPool1d(x: Tensor, kernelSize: Tuple, ...rest: unknown[]): Tensor {
  const opts = posOpts<AvgPoolOptions>("F.avgPool1d", rest, ["stride", "padding", "ceilMode", "countIncludePad"]);
  expectRank(x, [2, 3], "avg_pool1d");
  const k = ntuple(kernelSize, 1, "kernel_size", "avg_pool1d")!,
    s = ntuple(opts.stride, 1, "stride", "avg_pool1d") ?? k;
  const p = ntuple(opts.padding ?? 0, 1, "padding", "avg_pool1d")!;
  return from2d(
    avgPool2d(as2d(x), [1, k[0]], {
      stride: [1, s[0]],
      padding: [0, p[0]],
      ceilMode: opts.ceilMode ?? false,
      countIncludePad: opts.countIncludePad ?? true,
    }),
  );
}

/** Adaptive average pooling of [N, C, L] (or [C, L]) to outputSize. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | number[]): Tensor {
  expectRank(x, [2, 3], "adaptive_avg_pool1d");
  const o = Array.isArray(outputSize) ? outputSize : [outputSize];
  if (o.length !== 1) throw new RangeError(`adaptive_avg_pool1d: output_size must be 1, but got ${o.length}`);
  return from2d(adaptiveAvgPool2d(as2d(x), [1, o[0]]));
}

/** Adaptive max pooling of [N, C, L] (or [C, L]) to outputSize; with returnIndices also the argmax. */
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: number | number[],
  opts?: { returnIndices?: boolean } & { returnIndices?: false },
): Tensor;
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: number | number[],
  opts: { returnIndices?: boolean } & { returnIndices: true },
): [Tensor, Tensor];
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: number | number[],
  opts?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: number | number[],
  ...rest: unknown[]
): Tensor | [Tensor, Tensor] {
  const opts = posOpts<{ returnIndices?: boolean }>("F.adaptiveMaxPool1d", rest, ["returnIndices"]);
  expectRank(x, [2, 3], "adaptive_max_pool1d");
  const o = Array.isArray(outputSize) ? outputSize : [outputSize];
  if (o.length !== 1) throw new RangeError(`adaptive_max_pool1d: output_size must be 1, but got ${o.length}`);
  const [y, i] = adaptiveMaxPool2d(as2d(x), [1, o[0]], { returnIndices: true });
  return opts.returnIndices ? [from2d(y), from2d(i)] : from2d(y);
}

/** x [..., D, H, W] as depth slices [P*D, H, W] (P = planes). */
function split3d(x: Tensor, op: string) {
  expectRank(x, [4, 5], op);
  const lead = x.shape.slice(0, -3),
    [D, H, W] = x.shape.slice(-3),
    P = numelOf(lead);
  if ([D, H, W].some((v) => v === 0))
    throw new RangeError(
      `${op}: Expected 4D or 5D (batch mode) tensor with optional 0 dim batch size for input, but got: ${fmt(x.shape)}`,
    );
  return { lead, D, H, W, P, slices: ops.reshape(x, [P * D, H, W]) };
}
/** The flat d*H*W + h*W + w index of a separable 3-d argmax from the two stages' indices. */
function compose3dIndices(
  i1: Tensor,
  i2: Tensor,
  P: number,
  D: number,
  H: number,
  W: number,
  oD: number,
  ohw: number,
  shape: number[],
): Tensor {
  const a = i1.dataSync(),
    b = i2.dataSync(),
    out = new Int32Array(P * oD * ohw);
  for (let p = 0; p < P; p++)
    for (let od = 0; od < oD; od++)
      for (let j = 0; j < ohw; j++) {
        const k = (p * oD + od) * ohw + j,
          d = Math.floor(b[k] / ohw);
        out[k] = d * H * W + a[(p * D + d) * ohw + j];
      }
  return tensor(out, { shape, dtype: "int64" });
}

/**
 * 3-d max pooling of [N, C, D, H, W] (or [C, D, H, W]); with returnIndices also the flat argmax.
 * `F.maxPool3d(torch.randn(1, 2, 4, 4, 4), 2)` has shape [1, 2, 2, 2, 2].
 */
export function maxPool3d(x: Tensor, kernelSize: Tuple, opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool3d(
  x: Tensor,
  kernelSize: Tuple,
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool3d(x: Tensor, kernelSize: Tuple, opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool3d(x: Tensor, kernelSize: Tuple, ...rest: unknown[]): Tensor | [Tensor, Tensor] {
  const opts = posOpts<MaxPoolOptions>("F.maxPool3d", rest, MAXK);
  const op = "max_pool3d";
  const k = ntuple(kernelSize, 3, "kernel_size", op)!,
    s = ntuple(opts.stride, 3, "stride", op) ?? k;
  const p = ntuple(opts.padding ?? 0, 3, "padding", op)!,
    d = ntuple(opts.dilation ?? 1, 3, "dilation", op)!;
  const ceilMode = opts.ceilMode ?? false;
  const { lead, D, H, W, P, slices } = split3d(x, op);
  const oD = poolOutputSize(D, k[0], p[0], s[0], d[0], ceilMode);
  if (oD < 1)
    throw new RangeError(
      `Given input size: (${lead.slice(-1)[0]}x${D}x${H}x${W}). Calculated output size is too small`,
    );
  const ri = opts.returnIndices ?? false;
  const r1 = maxPool2d(slices, [k[1], k[2]], {
    stride: [s[1], s[2]],
    padding: [p[1], p[2]],
    dilation: [d[1], d[2]],
    ceilMode,
    returnIndices: ri,
  });
  const y1 = Array.isArray(r1) ? r1[0] : r1,
    oH = y1.shape[1],
    oW = y1.shape[2];
  const r2 = maxPool2d(ops.reshape(y1, [P, D, oH * oW]), [k[0], 1], {
    stride: [s[0], 1],
    padding: [p[0], 0],
    dilation: [d[0], 1],
    ceilMode,
    returnIndices: ri,
  });
  const shape = [...lead, oD, oH, oW];
  if (!Array.isArray(r1) || !Array.isArray(r2)) return ops.reshape(r2 as Tensor, shape);
  return [ops.reshape(r2[0], shape), compose3dIndices(r1[1], r2[1], P, D, H, W, oD, oH * oW, shape)];
}

/**
 * 3-d average pooling of [N, C, D, H, W] (or [C, D, H, W]).
 * `F.avgPool3d(torch.randn(1, 2, 4, 4, 4), 2)` has shape [1, 2, 2, 2, 2].
 */
export function avgPool3d(x: Tensor, kernelSize: Tuple, opts?: AvgPoolOptions): Tensor;
export function avgPool3d(x: Tensor, kernelSize: Tuple, ...rest: unknown[]): Tensor {
  const opts = posOpts<AvgPoolOptions>("F.avgPool3d", rest, AVGK);
  const op = "avg_pool3d";
  const k = ntuple(kernelSize, 3, "kernel_size", op)!,
    s = ntuple(opts.stride, 3, "stride", op) ?? k;
  const p = ntuple(opts.padding ?? 0, 3, "padding", op)!;
  const ceilMode = opts.ceilMode ?? false,
    cip = opts.countIncludePad ?? true,
    div = opts.divisorOverride ?? null;
  if (div !== null && div === 0) throw new RangeError("divisor must be not zero");
  const { lead, D, P, slices } = split3d(x, op);
  // a divisor override divides the whole window's sum once: sums first (divisor 1), then divide
  const y1 = avgPool2d(slices, [k[1], k[2]], {
    stride: [s[1], s[2]],
    padding: [p[1], p[2]],
    ceilMode,
    countIncludePad: cip,
    divisorOverride: div === null ? null : 1,
  });
  const oH = y1.shape[1],
    oW = y1.shape[2];
  const y2 = avgPool2d(ops.reshape(y1, [P, D, oH * oW]), [k[0], 1], {
    stride: [s[0], 1],
    padding: [p[0], 0],
    ceilMode,
    countIncludePad: cip,
    divisorOverride: div,
  });
  return ops.reshape(y2, [...lead, y2.shape[1], oH, oW]);
}

type Size3 = number | null | (number | null)[];
function adaptive3(outputSize: Size3, D: number, H: number, W: number, op: string): number[] {
  const a = Array.isArray(outputSize) ? outputSize : [outputSize, outputSize, outputSize];
  if (a.length !== 3) throw new RangeError(`${op}: internal error: output_size.size() must be 3`);
  return [a[0] ?? D, a[1] ?? H, a[2] ?? W];
}

/** Adaptive average pooling of [N, C, D, H, W] (or [C, D, H, W]) to outputSize (null keeps a size). */
export function adaptiveAvgPool3d(x: Tensor, outputSize: Size3): Tensor {
  const { lead, D, H, W, P, slices } = split3d(x, "adaptive_avg_pool3d");
  const [oD, oH, oW] = adaptive3(outputSize, D, H, W, "adaptive_avg_pool3d");
  const y1 = adaptiveAvgPool2d(slices, [oH, oW]);
  const y2 = adaptiveAvgPool2d(ops.reshape(y1, [P, D, oH * oW]), [oD, oH * oW]);
  return ops.reshape(y2, [...lead, oD, oH, oW]);
}

/** Adaptive max pooling of [N, C, D, H, W] (or [C, D, H, W]); with returnIndices also the flat argmax. */
export function adaptiveMaxPool3d(
  x: Tensor,
  outputSize: Size3,
  opts?: { returnIndices?: boolean } & { returnIndices?: false },
): Tensor;
export function adaptiveMaxPool3d(
  x: Tensor,
  outputSize: Size3,
  opts: { returnIndices?: boolean } & { returnIndices: true },
): [Tensor, Tensor];
export function adaptiveMaxPool3d(
  x: Tensor,
  outputSize: Size3,
  opts?: { returnIndices?: boolean },
): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool3d(x: Tensor, outputSize: Size3, ...rest: unknown[]): Tensor | [Tensor, Tensor] {
  const opts = posOpts<{ returnIndices?: boolean }>("F.adaptiveMaxPool3d", rest, ["returnIndices"]);
  const { lead, D, H, W, P, slices } = split3d(x, "adaptive_max_pool3d");
  const [oD, oH, oW] = adaptive3(outputSize, D, H, W, "adaptive_max_pool3d");
  const [y1, i1] = adaptiveMaxPool2d(slices, [oH, oW], { returnIndices: true });
  const [y2, i2] = adaptiveMaxPool2d(ops.reshape(y1, [P, D, oH * oW]), [oD, oH * oW], { returnIndices: true });
  const shape = [...lead, oD, oH, oW],
    y = ops.reshape(y2, shape);
  return opts.returnIndices ? [y, compose3dIndices(i1, i2, P, D, H, W, oD, oH * oW, shape)] : y;
}

// ------------------------------------------------------------------ max unpooling

export interface MaxUnpoolOptions {
  stride?: Tuple | null;
  padding?: Tuple;
  outputSize?: number[] | null;
}

/**
 * The inverse of maxPool2d with returnIndices: x scattered to `indices` in a zero image.
 * `F.maxUnpool2d(...F.maxPool2d(x, 2, { returnIndices: true }), 2)` has x's shape (for even sizes).
 */
export function maxUnpool2d(x: Tensor, indices: Tensor, kernelSize: Tuple, opts?: MaxUnpoolOptions): Tensor;
export function maxUnpool2d(x: Tensor, indices: Tensor, kernelSize: Tuple, ...rest: unknown[]): Tensor {
  const opts = posOpts<MaxUnpoolOptions>("F.maxUnpool2d", rest, ["stride", "padding", "outputSize"]);
  return maxUnpoolNd(x, indices, kernelSize, opts, 2, "max_unpool2d");
}
/** 1-d max unpooling of [N, C, L] (or [C, L]). */
export function maxUnpool1d(x: Tensor, indices: Tensor, kernelSize: Tuple, opts?: MaxUnpoolOptions): Tensor;
export function maxUnpool1d(x: Tensor, indices: Tensor, kernelSize: Tuple, ...rest: unknown[]): Tensor {
  const opts = posOpts<MaxUnpoolOptions>("F.maxUnpool1d", rest, ["stride", "padding", "outputSize"]);
  return maxUnpoolNd(x, indices, kernelSize, opts, 1, "max_unpool1d");
}
/** 3-d max unpooling of [N, C, D, H, W] (or [C, D, H, W]). */
export function maxUnpool3d(x: Tensor, indices: Tensor, kernelSize: Tuple, opts?: MaxUnpoolOptions): Tensor;
export function maxUnpool3d(x: Tensor, indices: Tensor, kernelSize: Tuple, ...rest: unknown[]): Tensor {
  const opts = posOpts<MaxUnpoolOptions>("F.maxUnpool3d", rest, ["stride", "padding", "outputSize"]);
  return maxUnpoolNd(x, indices, kernelSize, opts, 3, "max_unpool3d");
}

function maxUnpoolNd(
  x: Tensor,
  indices: Tensor,
  kernelSize: Tuple,
  opts: MaxUnpoolOptions,
  n: number,
  op: string,
): Tensor {
  if (x.dim() !== n + 1 && x.dim() !== n + 2)
    throw new RangeError(`${op}: Expected ${n + 1}D or ${n + 2}D input, but got ${x.dim()}D`);
  if (indices.dtype !== "int64")
    throw new TypeError(`${op}: elements in indices should be type int64 but got: ${indices.dtype}`);
  if (indices.shape.join() !== x.shape.join())
    throw new RangeError(
      `Expected shape of indices to be same as that of the input tensor (${fmt(x.shape)}) but got indices tensor with shape: ${fmt(indices.shape)}`,
    );
  const k = ntuple(kernelSize, n, "kernel_size", op)!,
    s = ntuple(opts.stride, n, "stride", op) ?? k;
  const p = ntuple(opts.padding ?? 0, n, "padding", op)!;
  const inS = x.shape.slice(-n),
    lead = x.shape.slice(0, -n);
  const dflt = inS.map((v, i) => (v - 1) * s[i] - 2 * p[i] + k[i]);
  let out = dflt;
  if (opts.outputSize) {
    const os =
      opts.outputSize.length === n + 2 || opts.outputSize.length === n + 1
        ? opts.outputSize.slice(-n)
        : opts.outputSize;
    if (os.length !== n)
      throw new RangeError(
        `output_size should be a sequence containing ${n} or ${n + 2} elements, but it has a length of '${opts.outputSize.length}'`,
      );
    os.forEach((v, i) => {
      const lo = dflt[i] - s[i],
        hi = dflt[i] + s[i];
      if (v <= lo || v >= hi)
        throw new RangeError(`invalid output_size "${fmt(os)}" (dim ${i} must be between ${lo} and ${hi})`);
    });
    out = os;
  }
  const NC = numelOf(lead),
    inSize = numelOf(inS),
    outSize = numelOf(out);
  const I = indices.dataSync() as Int32Array;
  for (let j = 0; j < I.length; j++) {
    if (I[j] < 0 || I[j] >= outSize)
      throw new RangeError(`Found an invalid max index: ${I[j]} (output volumes are of size ${out.join("x")}`);
  }
  // a scatter that overwrites (overlapping windows can pick one position twice: the value is the
  // same max, as in PyTorch), so not the accumulating indexPoolGrad kernel
  const xv = x.dataSync(); // the storage's own precision (float64 in gradient checks)
  const y = Tensor.empty([...lead, ...out], "float32");
  const Y = y.backendView();
  for (let j = 0; j < I.length; j++) Y[Math.floor(j / inSize) * outSize + I[j]] = xv[j];
  return ops.record(y, `MaxUnpool${n}DBackward`, [x], (gy) => {
    // gx = gy gathered at the indices (one flat gather over all planes)
    const flat = new Int32Array(I.length);
    for (let j = 0; j < I.length; j++) flat[j] = Math.floor(j / inSize) * outSize + I[j];
    const fi = tensor(flat, { dtype: "int64" }),
      gd = gy.dense();
    const gx = Tensor.empty(x.shape.slice(), "float32");
    K().embedding(gd.storage, fi.storage, gx.storage, I.length, 1, NC * outSize);
    fi.dispose();
    if (gd !== gy) gd.dispose();
    return [gx];
  });
}
