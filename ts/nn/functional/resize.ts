// Resizing and padding: F.interpolate (PyTorch 1.13's index math), F.pad, F.pixelShuffle /
// F.pixelUnshuffle, F.unfold / F.fold (im2col and its adjoint) and the channel dropouts.

import type { PadGeom, PadMode, ResampleGeom, ResampleMode } from "../../backends/types.js";
import { backendImpl, random } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, numelOf } from "../../tensor.js";
import { tensor } from "../../creation.js";
import { A, parseArgs } from "../../utils/args.js";
import { conv2d, convTranspose2d } from "./conv.js";
import { adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d } from "./pool.js";

const K = () => backendImpl();
const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
const pyList = (s: readonly number[]) => `[${s.join(", ")}]`;

export type InterpolateMode = "nearest" | "nearest-exact" | "linear" | "bilinear" | "bicubic" | "trilinear" | "area";
export interface InterpolateOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
  antialias?: boolean;
}

const MODES = ["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"] as const;
const INTERP_SPEC = {
  input: A.tensor,
  size: [A.nullable(A.intOrTuple), null],
  scaleFactor: [A.nullable(A.numOrTuple), null],
  mode: [A.oneOf(...MODES), "nearest"],
  alignCorners: [A.nullable(A.bool), null],
  recomputeScaleFactor: [A.nullable(A.bool), null],
  antialias: [A.bool, false],
} as const;

/** Output size and the scale factors handed to the kernel (null: computed from the sizes). */
export function interpolateSizes(
  shape: number[],
  size: number | number[] | null,
  scaleFactor: number | number[] | null,
  recompute: boolean | null,
): { out: number[]; scales: number[] | null } {
  const dim = shape.length - 2,
    spatial = shape.slice(2);
  if (size !== null && scaleFactor !== null) throw new RangeError("only one of size or scale_factor should be defined");
  if (size !== null) {
    if (recompute) throw new RangeError("recompute_scale_factor is not meaningful with an explicit size.");
    if (Array.isArray(size) && size.length !== dim) {
      throw new RangeError(
        `Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyList(spatial)} and output size of ${pyList(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
      );
    }
    return { out: Array.isArray(size) ? size.slice() : new Array(dim).fill(size), scales: null };
  }
  if (scaleFactor === null) throw new RangeError("either size or scale_factor should be defined");
  if (Array.isArray(scaleFactor) && scaleFactor.length !== dim) {
    throw new RangeError(
      `Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyList(spatial)} and scale_factor of shape ${pyList(scaleFactor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.`,
    );
  }
  const sf = Array.isArray(scaleFactor) ? scaleFactor.slice() : new Array(dim).fill(scaleFactor);
  const out = spatial.map((n, i) => Math.floor(n * sf[i]));
  return { out, scales: recompute ? null : sf };
}

/**
 * Resizes [N, C, d1, (d2, (d3))] by `size` or `scaleFactor` with PyTorch's modes and index math
 * ("nearest" picks floor(dst * in/out), as PyTorch 1.13; "area" is adaptive average pooling).
 * `F.interpolate(torch.randn(1, 3, 4, 4), { scaleFactor: 2, mode: "bilinear" })` has shape [1, 3, 8, 8].
 */
export function interpolate(
  input: Tensor,
  size?: number | number[] | null | InterpolateOptions,
  scaleFactor?: number | number[] | null,
  mode?: InterpolateMode,
  alignCorners?: boolean | null,
  recomputeScaleFactor?: boolean | null,
  antialias?: boolean,
): Tensor;
export function interpolate(...args: unknown[]): Tensor {
  const o = parseArgs("F.interpolate", args, INTERP_SPEC);
  const x = o.input,
    mode = o.mode as InterpolateMode;
  let alignCorners = o.alignCorners as boolean | null;
  if (mode === "nearest" || mode === "area" || mode === "nearest-exact") {
    if (alignCorners !== null)
      throw new RangeError(
        "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
      );
  } else if (alignCorners === null) alignCorners = false;
  const nd = x.dim();
  if (nd < 3 || nd > 5) {
    throw new RangeError(
      `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${nd}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
    );
  }
  let recompute = o.recomputeScaleFactor as boolean | null;
  if (mode === "area" && o.size === null) recompute = true;
  const { out, scales } = interpolateSizes(x.shape, o.size as any, o.scaleFactor as any, recompute);
  if (o.antialias) {
    if (!((mode === "bilinear" || mode === "bicubic") && nd === 4))
      throw new RangeError("Anti-alias option is only supported for bilinear and bicubic modes");
    throw new Error("F.interpolate: antialias=True is not implemented in torchlet");
  }
  const need: Record<string, number> = { linear: 3, bilinear: 4, bicubic: 4, trilinear: 5 };
  if (mode in need && need[mode] !== nd) {
    throw new RangeError(`Got ${nd}D input, but ${mode} mode needs ${need[mode]}D input`);
  }
  if (mode === "area")
    return nd === 3 ? adaptiveAvgPool1d(x, out) : nd === 4 ? adaptiveAvgPool2d(x, out) : adaptiveAvgPool3d(x, out);
  const kmode: ResampleMode =
    mode === "nearest" || mode === "nearest-exact" ? mode : mode === "bicubic" ? "cubic" : "linear";
  return resampleNd(x, out, scales, kmode, alignCorners ?? false);
}

/** The resampling op over the last out.length dims of x (one kernel, backward its adjoint). */
function resampleNd(
  x: Tensor,
  out: number[],
  scales: number[] | null,
  mode: ResampleMode,
  alignCorners: boolean,
): Tensor {
  if (x.dtype !== "float32") throw new TypeError(`interpolate: expected a float32 tensor but got ${x.dtype}`);
  const k = out.length,
    lead = x.shape.slice(0, x.dim() - k),
    spatial = x.shape.slice(x.dim() - k);
  if (spatial.some((s) => s <= 0) || out.some((s) => !(s > 0))) {
    throw new RangeError(
      `Input and output sizes should be greater than 0, but got input (${spatial.map((s, i) => `${"DHW"[3 - k + i]}: ${s}`).join(", ")}) output (${out.map((s, i) => `${"DHW"[3 - k + i]}: ${s}`).join(", ")})`,
    );
  }
  const pad3 = (a: number[], v: number) => [...new Array(3 - a.length).fill(v), ...a];
  const [iD, iH, iW] = pad3(spatial, 1),
    [oD, oH, oW] = pad3(out, 1),
    [sD, sH, sW] = pad3(scales ?? out.map(() => 0), 0);
  const g: ResampleGeom = { NC: numelOf(lead), mode, alignCorners, iD, iH, iW, oD, oH, oW, sD, sH, sW };
  const xd = x.dense();
  const y = Tensor.empty([...lead, ...out], "float32", true);
  K().resample(g, xd.storage, y.storage);
  if (xd !== x) xd.dispose();
  const names: Record<ResampleMode, string> = {
    nearest: "UpsampleNearest",
    "nearest-exact": "UpsampleNearestExact",
    linear: k === 1 ? "UpsampleLinear1D" : k === 2 ? "UpsampleBilinear2D" : "UpsampleTrilinear3D",
    cubic: "UpsampleBicubic2D",
  };
  return ops.record(y, `${names[mode]}${mode.startsWith("nearest") ? `${k}D` : ""}Backward`, [x], (gy) => {
    const gd = gy.dense();
    const gx = Tensor.empty(x.shape.slice(), "float32", true);
    K().resampleGrad(g, gd.storage, gx.storage);
    if (gd !== gy) gd.dispose();
    return [gx];
  });
}

// ------------------------------------------------------------------ padding

export type PadModeName = PadMode;
const PAD_SPEC = {
  input: A.tensor,
  pad: A.ints,
  mode: [A.oneOf("constant", "reflect", "replicate", "circular"), "constant"],
  value: [A.nullable(A.num), null],
} as const;

/**
 * Pads the last pad.length / 2 dims of x: pad = [left, right, top, bottom, front, back] from the last
 * dim backwards (PyTorch's order). "constant" pads any dims (negative values crop); "reflect",
 * "replicate" and "circular" pad 1-3 trailing dims of a (batched or unbatched) input.
 * `F.pad(torch.ones(1, 1, 2, 2), [1, 1, 0, 0], { value: 9 })` has shape [1, 1, 2, 4].
 */
export function pad(
  input: Tensor,
  pad: number[],
  mode?: PadMode | { mode?: PadMode; value?: number | null },
  value?: number | null,
): Tensor;
export function pad(...args: unknown[]): Tensor {
  const o = parseArgs("F.pad", args, PAD_SPEC);
  const x = o.input,
    p = o.pad,
    mode = o.mode as PadMode,
    nd = x.dim();
  if (p.length % 2 !== 0) throw new RangeError("Padding length must be divisible by 2");
  if (p.length / 2 > nd) throw new RangeError("Padding length too large");
  if (mode === "constant") return constantPad(x, p, o.value ?? 0);
  if (o.value !== null) throw new RangeError(`Padding mode "${mode}" doesn't take in value argument`);
  const k = p.length / 2;
  if (
    !((k === 1 && (nd === 2 || nd === 3)) || (k === 2 && (nd === 3 || nd === 4)) || (k === 3 && (nd === 4 || nd === 5)))
  ) {
    throw new RangeError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
  }
  const spatial = x.shape.slice(nd - k);
  for (let i = 0; i < k; i++) {
    const dim = nd - 1 - i,
      n = x.shape[dim],
      l = p[2 * i],
      r = p[2 * i + 1];
    if (mode === "reflect" && (l >= n || r >= n)) {
      throw new RangeError(
        `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${dim} of input ${fmt(x.shape)}`,
      );
    }
    if (mode === "circular" && (l > n || r > n))
      throw new RangeError("Padding value causes wrapping around more than once.");
  }
  if (spatial.some((s) => s === 0))
    throw new RangeError(`${mode} padding: input ${fmt(x.shape)} has an empty spatial dimension`);
  return padKernel(x, p, mode, 0);
}

function constantPad(x: Tensor, p: number[], value: number): Tensor {
  const k = p.length / 2,
    nd = x.dim();
  for (let i = 0; i < k; i++) {
    const dim = nd - 1 - i,
      n = x.shape[dim] + p[2 * i] + p[2 * i + 1];
    if (n < 0) {
      throw new RangeError(
        `The input size ${x.shape[dim]}, plus negative padding ${p[2 * i]} and ${p[2 * i + 1]} resulted in a negative output size, which is invalid. Check dimension ${dim} of your input.`,
      );
    }
  }
  if (k === 0) return ops.clone(x);
  if (k > 3) {
    // more than three padded dims: pad the last three, then the rest with the leading dims moved last
    const inner = constantPad(x, p.slice(0, 6), value);
    const rest = p.slice(6),
      m = rest.length / 2;
    // move dims [nd-3-m, nd-3) to the end, pad them, move back
    const order = [
      ...Array.from({ length: nd - 3 - m }, (_, i) => i),
      ...Array.from({ length: 3 }, (_, i) => nd - 3 + i),
      ...Array.from({ length: m }, (_, i) => nd - 3 - m + i),
    ];
    const moved = ops.permute(inner, order);
    const padded = constantPad(moved, rest, value);
    const inv = new Array(nd);
    order.forEach((d, i) => (inv[d] = i));
    return ops.permute(padded, inv);
  }
  return padKernel(x, p, "constant", value);
}

function padKernel(x: Tensor, p: number[], mode: PadMode, value: number): Tensor {
  if (x.dtype !== "float32") throw new TypeError(`pad: expected a float32 tensor but got ${x.dtype}`);
  const k = p.length / 2,
    nd = x.dim(),
    lead = x.shape.slice(0, nd - k),
    spatial = x.shape.slice(nd - k);
  // pads of dims last-to-first, turned into [before, after] of dims first-to-last
  const befores = spatial.map((_, i) => p[2 * (k - 1 - i)]),
    afters = spatial.map((_, i) => p[2 * (k - 1 - i) + 1]);
  const out = spatial.map((n, i) => n + befores[i] + afters[i]);
  const pad3 = (a: number[], v: number) => [...new Array(3 - a.length).fill(v), ...a];
  const [iD, iH, iW] = pad3(spatial, 1),
    [oD, oH, oW] = pad3(out, 1),
    [pD, pH, pW] = pad3(befores, 0);
  const g: PadGeom = { NC: numelOf(lead), iD, iH, iW, oD, oH, oW, pD, pH, pW };
  const xd = x.dense();
  const y = Tensor.empty([...lead, ...out], "float32", true);
  if (y.numel() > 0) K().pad(g, xd.storage, y.storage, mode, value);
  if (xd !== x) xd.dispose();
  const name =
    mode === "constant"
      ? "ConstantPadNd"
      : mode === "reflect"
        ? `ReflectionPad${k}D`
        : mode === "replicate"
          ? `ReplicationPad${k}D`
          : "CircularPad";
  return ops.record(y, `${name}Backward`, [x], (gy) => {
    const gd = gy.dense();
    const gx = Tensor.empty(x.shape.slice(), "float32", true);
    K().padGrad(g, gd.storage, gx.storage, mode);
    if (gd !== gy) gd.dispose();
    return [gx];
  });
}

// ------------------------------------------------------------------ pixel shuffle

/**
 * [*, C*r*r, H, W] -> [*, C, H*r, W*r]. `F.pixelShuffle(torch.randn(1, 8, 3, 3), 2)` has shape [1, 2, 6, 6].
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const r = upscaleFactor;
  if (!(Number.isInteger(r) && r > 0))
    throw new RangeError(`pixel_shuffle expects a positive upscale_factor, but got ${r}`);
  if (x.dim() < 3)
    throw new RangeError(
      `pixel_shuffle expects input to have at least 3 dimensions, but got input with ${x.dim()} dimension(s)`,
    );
  const nd = x.dim(),
    [C, H, W] = x.shape.slice(nd - 3),
    lead = x.shape.slice(0, nd - 3);
  if (C % (r * r) !== 0)
    throw new RangeError(
      `pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${C} is not divisible by ${r * r}`,
    );
  const c = C / (r * r),
    L = lead.length;
  const v = ops.reshape(x, [...lead, c, r, r, H, W]);
  const t = ops.permute(v, [...lead.map((_, i) => i), L, L + 3, L + 1, L + 4, L + 2]);
  return ops.reshape(t, [...lead, c, H * r, W * r]);
}

/** [*, C, H*r, W*r] -> [*, C*r*r, H, W] (the inverse of pixelShuffle). */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const r = downscaleFactor;
  if (!(Number.isInteger(r) && r > 0))
    throw new RangeError(`pixel_unshuffle expects a positive downscale_factor, but got ${r}`);
  if (x.dim() < 3)
    throw new RangeError(
      `pixel_unshuffle expects input to have at least 3 dimensions, but got input with ${x.dim()} dimension(s)`,
    );
  const nd = x.dim(),
    [C, H, W] = x.shape.slice(nd - 3),
    lead = x.shape.slice(0, nd - 3);
  if (H % r !== 0)
    throw new RangeError(
      `pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=${H} is not divisible by ${r}`,
    );
  if (W % r !== 0)
    throw new RangeError(
      `pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=${W} is not divisible by ${r}`,
    );
  const L = lead.length;
  const v = ops.reshape(x, [...lead, C, H / r, r, W / r, r]);
  const t = ops.permute(v, [...lead.map((_, i) => i), L, L + 2, L + 4, L + 1, L + 3]);
  return ops.reshape(t, [...lead, C * r * r, H / r, W / r]);
}

// ------------------------------------------------------------------ unfold / fold

const pair = (v: number | number[], name: string, op: string): [number, number] => {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((e) => Number.isInteger(e)))
    throw new RangeError(`${op}: ${name} must be an int or a tuple of two ints, got ${JSON.stringify(v)}`);
  return [a[0], a[1]];
};

/** The [C*kH*kW, 1, kH, kW] one-hot weight that makes a grouped conv an im2col. */
function oneHotWeight(C: number, kH: number, kW: number): Tensor {
  const kk = kH * kW,
    data = new Float32Array(C * kk * kk);
  for (let c = 0; c < C; c++) for (let j = 0; j < kk; j++) data[(c * kk + j) * kk + j] = 1;
  return tensor(data, { shape: [C * kk, 1, kH, kW] });
}

export interface FoldOptions {
  dilation?: number | number[];
  padding?: number | number[];
  stride?: number | number[];
}
const UNFOLD_SPEC = {
  input: A.tensor,
  kernelSize: A.intOrTuple,
  dilation: [A.intOrTuple, 1],
  padding: [A.intOrTuple, 0],
  stride: [A.intOrTuple, 1],
} as const;

/**
 * Extracts sliding blocks: [N, C, H, W] -> [N, C*kH*kW, L] (im2col; unbatched [C, H, W] too).
 * `F.unfold(torch.randn(1, 2, 4, 4), 2)` has shape [1, 8, 9].
 */
export function unfold(input: Tensor, kernelSize: number | number[], opts?: FoldOptions): Tensor;
export function unfold(...args: unknown[]): Tensor {
  const o = parseArgs("F.unfold", args, UNFOLD_SPEC);
  const x = o.input;
  if (x.dim() !== 3 && x.dim() !== 4)
    throw new RangeError(`Input Error: Only 3D or 4D input Tensors are supported (got ${x.dim()}D)`);
  const batched = x.dim() === 4,
    xb = batched ? x : ops.unsqueeze(x, 0);
  const [kH, kW] = pair(o.kernelSize, "kernel_size", "unfold"),
    dil = pair(o.dilation, "dilation", "unfold");
  const padding = pair(o.padding, "padding", "unfold"),
    stride = pair(o.stride, "stride", "unfold");
  const C = xb.shape[1];
  const y = conv2d(xb, oneHotWeight(C, kH, kW), null, { stride, padding, dilation: dil, groups: C });
  const r = ops.reshape(y, [xb.shape[0], C * kH * kW, y.shape[2] * y.shape[3]]);
  return batched ? r : ops.squeeze(r, 0);
}

const FOLD_SPEC = {
  input: A.tensor,
  outputSize: A.intOrTuple,
  kernelSize: A.intOrTuple,
  dilation: [A.intOrTuple, 1],
  padding: [A.intOrTuple, 0],
  stride: [A.intOrTuple, 1],
} as const;

/**
 * Sums sliding blocks back into an image: [N, C*kH*kW, L] -> [N, C, outH, outW] (col2im, the adjoint of unfold).
 * `F.fold(torch.randn(1, 8, 9), [4, 4], 2)` has shape [1, 2, 4, 4].
 */
export function fold(
  input: Tensor,
  outputSize: number | number[],
  kernelSize: number | number[],
  opts?: FoldOptions,
): Tensor;
export function fold(...args: unknown[]): Tensor {
  const o = parseArgs("F.fold", args, FOLD_SPEC);
  const x = o.input;
  if (x.dim() !== 2 && x.dim() !== 3)
    throw new RangeError(
      `Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got ${x.dim()}D)`,
    );
  const batched = x.dim() === 3,
    xb = batched ? x : ops.unsqueeze(x, 0);
  const [oH, oW] = pair(o.outputSize, "output_size", "fold"),
    [kH, kW] = pair(o.kernelSize, "kernel_size", "fold");
  const [dH, dW] = pair(o.dilation, "dilation", "fold"),
    [pH, pW] = pair(o.padding, "padding", "fold"),
    [sH, sW] = pair(o.stride, "stride", "fold");
  const kk = kH * kW,
    [N, CK, L] = xb.shape;
  if (CK % kk !== 0) {
    throw new RangeError(
      `Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${CK} and kernel_size=(${kH}, ${kW})`,
    );
  }
  const nH = Math.floor((oH + 2 * pH - (dH * (kH - 1) + 1)) / sH) + 1,
    nW = Math.floor((oW + 2 * pW - (dW * (kW - 1) + 1)) / sW) + 1;
  if (nH < 1 || nW < 1 || nH * nW !== L) {
    throw new RangeError(
      `Given output_size=(${oH}, ${oW}), kernel_size=(${kH}, ${kW}), dilation=(${dH}, ${dW}), padding=(${pH}, ${pW}), stride=(${sH}, ${sW}), expected size of input's dimension 2 to match the calculated number of sliding blocks ${nH} * ${nW} = ${nH * nW}, but got input.size(2)=${L}.`,
    );
  }
  const C = CK / kk;
  const y4 = ops.reshape(xb, [N, CK, nH, nW]);
  const opH = oH + 2 * pH - dH * (kH - 1) - 1 - (nH - 1) * sH,
    opW = oW + 2 * pW - dW * (kW - 1) - 1 - (nW - 1) * sW;
  const r = convTranspose2d(y4, oneHotWeight(C, kH, kW), null, {
    stride: [sH, sW],
    padding: [pH, pW],
    dilation: [dH, dW],
    groups: C,
    outputPadding: [opH, opW],
  });
  return batched ? r : ops.squeeze(r, 0);
}

// ------------------------------------------------------------------ channel dropout

/** Zeroes whole channels (dims [0, 1) or [0, 2) of the shape) with probability p, scaling the rest. */
function channelDropout(x: Tensor, p: number, training: boolean, maskDims: number): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return ops.mul(x, 0);
  const mshape = x.shape.map((d, i) => (i < maskDims ? d : 1));
  const mask = Tensor.empty(mshape, "float32");
  const v = mask.backendView(),
    scale = 1 / (1 - p);
  for (let k = 0; k < v.length; k++) v[k] = random() < p ? 0 : scale;
  return ops.mul(x, mask);
}
const DROP_SPEC = { input: A.tensor, p: [A.num, 0.5], training: [A.bool, true], inplace: [A.bool, false] } as const;

/** Channel dropout of [N, C, L] (or unbatched [C, L]). */
export function dropout1d(
  input: Tensor,
  p?: number | { p?: number; training?: boolean; inplace?: boolean },
  training?: boolean,
): Tensor;
export function dropout1d(...args: unknown[]): Tensor {
  const o = parseArgs("F.dropout1d", args, DROP_SPEC),
    x = o.input;
  if (x.dim() !== 2 && x.dim() !== 3)
    throw new RangeError(
      `dropout1d: Expected 2D or 3D input, but received a ${x.dim()}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`,
    );
  return channelDropout(x, o.p, o.training, x.dim() - 1);
}
/** Channel dropout of [N, C, H, W] (a 3-d input is read as [N, C, L], as PyTorch 1.13 does). */
export function dropout2d(
  input: Tensor,
  p?: number | { p?: number; training?: boolean; inplace?: boolean },
  training?: boolean,
): Tensor;
export function dropout2d(...args: unknown[]): Tensor {
  const o = parseArgs("F.dropout2d", args, DROP_SPEC),
    x = o.input;
  // PyTorch 1.13 only warns for other ranks and zeroes per (dim 0, dim 1)
  return channelDropout(x, o.p, o.training, 2);
}
/** Channel dropout of [N, C, D, H, W] (or unbatched [C, D, H, W]). */
export function dropout3d(
  input: Tensor,
  p?: number | { p?: number; training?: boolean; inplace?: boolean },
  training?: boolean,
): Tensor;
export function dropout3d(...args: unknown[]): Tensor {
  const o = parseArgs("F.dropout3d", args, DROP_SPEC),
    x = o.input;
  // unbatched [C, D, H, W] zeroes per channel; other ranks (a warning in PyTorch) per (dim 0, dim 1)
  return channelDropout(x, o.p, o.training, x.dim() === 4 ? 1 : 2);
}
