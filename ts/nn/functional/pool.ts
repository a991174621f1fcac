// Pooling: F.maxPool2d, F.avgPool2d, F.adaptiveAvgPool2d, F.adaptiveMaxPool2d over NC planes
// (batched [N, C, H, W] or unbatched [C, H, W]); max pools backpropagate through the saved argmax.

import type { PoolGeom } from "../../backends/types.js";
import { backendImpl, isGradEnabled } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, numelOf } from "../../tensor.js";

const K = () => backendImpl();

export type IntOrPair = number | number[];
export interface MaxPool2dOptions {
  stride?: IntOrPair | null; padding?: IntOrPair; dilation?: IntOrPair; ceilMode?: boolean; returnIndices?: boolean;
}
export interface AvgPool2dOptions {
  stride?: IntOrPair | null; padding?: IntOrPair; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null;
}
/** An adaptive pool's target: one size for both dims, or [H, W] where null keeps the input's size. */
export type AdaptiveSize = number | null | (number | null)[];

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

function pair(v: IntOrPair, name: string, op: string): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length === 1) return [a[0], a[0]];
  if (a.length !== 2 || a.some((x) => !Number.isInteger(x))) {
    throw new RangeError(`${op}: ${name} must either be a single int, or a tuple of two ints, but got ${Array.isArray(v) ? `(${v.join(", ")})` : v}`);
  }
  return [a[0], a[1]];
}

/** PyTorch's pooling_output_shape: with ceilMode the last window must start inside the input or left padding. */
export function poolOutputSize(inSize: number, k: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  if (stride === 0) throw new RangeError("stride should not be zero");
  if (pad < 0) throw new RangeError(`pad must be non-negative, but got pad: ${pad}`);
  if (pad > Math.floor(((k - 1) * dilation + 1) / 2)) {
    throw new RangeError(`pad should be at most half of effective kernel size, but got pad=${pad}, kernel_size=${k} and dilation=${dilation}`);
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
    throw new RangeError(`${op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ${fmt(x.shape)}`);
  }
  const lead = x.shape.slice(0, -2);
  const [H, W] = x.shape.slice(-2);
  if (x.shape.slice(x.dim() - 3).some((d) => d === 0)) {
    throw new RangeError(`${op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ${fmt(x.shape)}`);
  }
  return { NC: numelOf(lead), H, W, lead };
}

function poolGeom(x: Tensor, op: string, kernelSize: IntOrPair, stride: IntOrPair | null | undefined, padding: IntOrPair,
  dilation: IntOrPair, ceilMode: boolean): { g: PoolGeom; lead: number[] } {
  const { NC, H, W, lead } = planes(x, op);
  const [kH, kW] = pair(kernelSize, "kernel_size", op);
  const noStride = stride === undefined || stride === null || (Array.isArray(stride) && stride.length === 0);
  const [sH, sW] = noStride ? [kH, kW] : pair(stride!, "stride", op);
  const [pH, pW] = pair(padding, "padding", op);
  const [dH, dW] = pair(dilation, "dilation", op);
  if (kH <= 0 || kW <= 0) throw new RangeError(`kernel size should be greater than zero, but got kH: ${kH} kW: ${kW}`);
  if (sH <= 0 || sW <= 0) throw new RangeError(`stride should be greater than zero, but got dH: ${sH} dW: ${sW}`);
  if (dH <= 0 || dW <= 0) throw new RangeError(`dilation should be greater than zero, but got dilationH: ${dH} dilationW: ${dW}`);
  const oH = poolOutputSize(H, kH, pH, sH, dH, ceilMode), oW = poolOutputSize(W, kW, pW, sW, dW, ceilMode);
  if (Math.floor(kW / 2) < pW || Math.floor(kH / 2) < pH) {
    throw new RangeError(`pad should be smaller than or equal to half of kernel size, but got padW = ${pW}, padH = ${pH}, kW = ${kW}, kH = ${kH}`);
  }
  if (oH < 1 || oW < 1) {
    throw new RangeError(`Given input size: (${lead.slice(-1)[0]}x${H}x${W}). Calculated output size: (${lead.slice(-1)[0]}x${oH}x${oW}). Output size is too small`);
  }
  return { g: { NC, H, W, kH, kW, sH, sW, pH, pW, dH, dW, oH, oW }, lead };
}

/**
 * 2-d max pooling; with returnIndices also the flat h*W+w argmax per output (int64).
 * `F.maxPool2d(torch.randn(1, 3, 8, 8), 2)` has shape [1, 3, 4, 4].
 */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, opts?: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, opts: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, opts?: MaxPool2dOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, opts: MaxPool2dOptions = {}): Tensor | [Tensor, Tensor] {
  const { g, lead } = poolGeom(x, "max_pool2d", kernelSize, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, opts.ceilMode ?? false);
  const xd = x.dense();
  const out = Tensor.empty([...lead, g.oH, g.oW], "float32", true);
  // the argmax is only needed for backward or when asked for
  const needIdx = opts.returnIndices || (isGradEnabled() && x.requiresGrad);
  const idx = needIdx ? Tensor.empty([...lead, g.oH, g.oW], "int64", true) : null;
  K().maxPool2d(g, xd.storage, out.storage, idx ? idx.storage : null);
  if (xd !== x) xd.dispose();
  if (idx) ops.record(out, "MaxPool2DWithIndicesBackward", [x], (gy) => [indexGrad(gy, idx, x.shape, g.NC, g.H * g.W, g.oH * g.oW)]);
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
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, opts: AvgPool2dOptions = {}): Tensor {
  const { g, lead } = poolGeom(x, "avg_pool2d", kernelSize, opts.stride, opts.padding ?? 0, 1, opts.ceilMode ?? false);
  const cip = opts.countIncludePad ?? true;
  const div = opts.divisorOverride ?? 0;
  if (opts.divisorOverride !== undefined && opts.divisorOverride !== null && div === 0) throw new RangeError("divisor must be not zero");
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
    throw new RangeError(`${op}: elements of output_size must be greater than or equal to 0 but received {${o.join(", ")}}`);
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
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, opts?: { returnIndices?: boolean }): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, opts: { returnIndices?: boolean } = {}): Tensor | [Tensor, Tensor] {
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
