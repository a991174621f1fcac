// Convolutions: F.conv1d/2d/3d and F.convTranspose1d/2d/3d over the backend's 3-d conv kernels
// (every conv is written as 3-d: conv1d/conv2d set the leading sizes to 1), plus the non-zero padding modes.

import type { ConvActivation, ConvGeom } from "../../backends/types.js";
import { backendImpl, keep } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, contiguousStrides, numelOf } from "../../tensor.js";
import { A, parseArgs } from "../../utils/args.js";

const K = () => backendImpl();

export type IntOrTuple = number | number[];
export type ConvPadding = IntOrTuple | "same" | "valid";
export interface ConvOptions {
  stride?: IntOrTuple;
  padding?: ConvPadding;
  dilation?: IntOrTuple;
  groups?: number;
  /** torchlet extension: an activation applied to the result, in the conv kernel when no gradient
   *  is recorded: "relu" (the same numbers as F.relu(F.conv2d(...))), "relu6" (as F.relu6, i.e.
   *  hardtanh(0, 6)); null/undefined for none. */
  activation?: Exclude<ConvActivation, "none"> | null;
  /** torchlet extension: a tensor of the output's shape added before the activation, in the
   *  kernel when no gradient is recorded: act(conv(x) + bias + residual) (ResNet's
   *  `out += identity; relu`). null/undefined for none. */
  residual?: Tensor | null;
}
export interface ConvTransposeOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  dilation?: IntOrTuple;
}
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** PyTorch's positional order of F.conv*d (input, weight, bias, stride, padding, dilation, groups). */
const CONV_ARGS = {
  input: A.tensor,
  weight: A.tensor,
  bias: [A.optTensor, null],
  stride: [A.intOrTuple, 1],
  padding: [A.padding, 0],
  dilation: [A.intOrTuple, 1],
  groups: [A.posInt, 1],
  activation: A.kw(A.nullable(A.oneOf("relu", "relu6")), null),
  residual: A.kw(A.optTensor, null),
} as const;
/** F.conv_transpose*d: (input, weight, bias, stride, padding, output_padding, groups, dilation). */
const CONV_T_ARGS = {
  input: A.tensor,
  weight: A.tensor,
  bias: [A.optTensor, null],
  stride: [A.intOrTuple, 1],
  padding: [A.intOrTuple, 0],
  outputPadding: [A.intOrTuple, 0],
  groups: [A.posInt, 1],
  dilation: [A.intOrTuple, 1],
} as const;

/** An int or an n-tuple as n ints (PyTorch's _single/_pair/_triple plus its length check). */
export function ntuple(
  v: IntOrTuple | undefined | null,
  n: number,
  name: string,
  dflt: number,
  op = "convolution",
): number[] {
  if (v === undefined || v === null) return new Array(n).fill(dflt);
  const arr = Array.isArray(v) ? v.slice() : new Array(n).fill(v);
  if (arr.length === 1 && n > 1) return new Array(n).fill(arr[0]);
  if (arr.length !== n) {
    throw new RangeError(
      `${op}: expected ${name} to be a single integer value or a list of ${n} values to match the convolution dimensions, but got ${name}=${fmt(arr)}`,
    );
  }
  for (const x of arr) {
    if (!Number.isInteger(x))
      throw new TypeError(`${op}: ${name} must be an integer or a tuple of integers, but got ${name}=${fmt(arr)}`);
  }
  return arr;
}

function checkFloat(t: Tensor, what: string, op: string) {
  if (t.dtype !== "float32") throw new TypeError(`${op}: expected ${what} to be a float32 tensor but got ${t.dtype}`);
}

/** Adds the batch dim to an unbatched input, checking the rank as PyTorch does. */
function batched(x: Tensor, nd: number, op: string): [Tensor, boolean] {
  if (x.dim() === nd + 2) return [x, false];
  if (x.dim() === nd + 1) return [ops.unsqueeze(x, 0), true];
  throw new RangeError(
    `Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input to ${op}, but got input of size: ${fmt(x.shape)}`,
  );
}

/** Geometry with the spatial sizes padded to 3 (leading 1s). */
function geom3(
  N: number,
  C: number,
  O: number,
  groups: number,
  inS: number[],
  k: number[],
  s: number[],
  p: number[],
  d: number[],
  outS: number[],
): ConvGeom {
  const L = (a: number[], fill: number) => [...new Array(3 - a.length).fill(fill), ...a];
  const [inD, inH, inW] = L(inS, 1),
    [kD, kH, kW] = L(k, 1),
    [sD, sH, sW] = L(s, 1);
  const [pD, pH, pW] = L(p, 0),
    [dD, dH, dW] = L(d, 1),
    [outD, outH, outW] = L(outS, 1);
  return { N, C, O, groups, inD, inH, inW, kD, kH, kW, sD, sH, sW, pD, pH, pW, dD, dH, dW, outD, outH, outW };
}

/** gb[c] = sum of g [N, C, S] over N and S (two reductions). */
function channelSum(g: Tensor, N: number, C: number, S: number): Tensor {
  const gb = Tensor.empty([C], "float32");
  if (N === 1) {
    K().sum(g.storage, gb.storage, C, S, 1);
    return gb;
  }
  const t = Tensor.empty([N, C], "float32");
  K().sum(g.storage, t.storage, N * C, S, 1);
  K().sum(t.storage, gb.storage, 1, N, C);
  t.dispose();
  return gb;
}

function checkCommon(nd: number, stride: number[], dilation: number[], groups: number) {
  if (stride.some((v) => v <= 0)) throw new RangeError("non-positive stride is not supported");
  if (dilation.some((v) => v <= 0)) throw new RangeError("dilation should be greater than zero");
  if (!Number.isInteger(groups) || groups <= 0) throw new RangeError("non-positive groups is not supported");
  void nd;
}

/** Where a caller that runs the same weights again keeps them packed for the backend's conv
 *  (`Backend.convPack`): `packed` is undefined until the first call packs them (null when the
 *  backend reads no packed form); the owner frees it when the weights change. */
export interface ConvPackSlot {
  packed: Tensor | null | undefined;
}

/** The N-d convolution behind conv1d/conv2d/conv3d; `opts.residual` is added to and
 *  `opts.activation` ("relu" / "relu6") applied to the result (fused into the kernel when no
 *  gradient is recorded). With `slot`, the weights are packed once into it and the packed form
 *  is used while the slot holds it (nn modules in inference; the arguments are not parsed again). */
export function convNd(
  nd: number,
  op: string,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  opts: ConvOptions,
  slot: ConvPackSlot | null = null,
): Tensor {
  const act = opts.activation ?? null;
  if (act !== null && act !== "relu" && act !== "relu6") {
    throw new TypeError(`${op}: unknown activation "${String(act)}" (supported: "relu", "relu6")`);
  }
  const residual = opts.residual ?? null;
  if (residual !== null && !(residual instanceof Tensor)) {
    throw new TypeError(`${op}: residual must be a Tensor or null`);
  }
  // with autograd the residual add and the activation are their own recorded ops
  if ((act !== null || residual !== null) && ops.willRecord([input, weight, bias ?? null, residual])) {
    let y = convNd(nd, op, input, weight, bias, { ...opts, activation: null, residual: null });
    if (residual !== null) y = ops.add(y, residual);
    if (act === "relu") return ops.unary("relu", y);
    if (act === "relu6") return ops.unary("hardtanh", y, [0, 6]);
    return y;
  }
  checkFloat(input, "input", op);
  checkFloat(weight, "weight", op);
  if (bias) checkFloat(bias, "bias", op);
  const [x, unbatched] = batched(input, nd, op);
  if (weight.dim() !== nd + 2) {
    throw new RangeError(
      `Expected ${weight.dim()}-dimensional input for ${weight.dim()}-dimensional weight ${fmt(weight.shape)}, but got ${x.dim()}-dimensional input of size ${fmt(x.shape)} instead`,
    );
  }
  const stride = ntuple(opts.stride, nd, "stride", 1, op);
  const dilation = ntuple(opts.dilation, nd, "dilation", 1, op);
  const groups = opts.groups ?? 1;
  checkCommon(nd, stride, dilation, groups);
  const k = weight.shape.slice(2);
  // padding: left pads and total pads per dim ("same" puts the odd extra on the right, as PyTorch)
  let padL: number[], padT: number[];
  const pad = opts.padding ?? 0;
  if (pad === "same") {
    if (stride.some((v) => v !== 1)) throw new RangeError("padding='same' is not supported for strided convolutions");
    padT = k.map((kk, i) => dilation[i] * (kk - 1));
    padL = padT.map((t) => Math.floor(t / 2));
  } else if (pad === "valid") {
    padL = new Array(nd).fill(0);
    padT = padL.slice();
  } else if (typeof pad === "string") {
    throw new RangeError(`Invalid padding string '${pad}', should be one of {'valid', 'same'}`);
  } else {
    padL = ntuple(pad, nd, "padding", 0, op);
    if (padL.some((v) => v < 0)) throw new RangeError("negative padding is not supported");
    padT = padL.map((v) => 2 * v);
  }
  const [N, C] = x.shape,
    O = weight.shape[0],
    inS = x.shape.slice(2);
  if (O % groups !== 0) {
    throw new RangeError(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmt(weight.shape)} instead`,
    );
  }
  if (C !== weight.shape[1] * groups) {
    throw new RangeError(
      `Given groups=${groups}, weight of size ${fmt(weight.shape)}, expected input${fmt(x.shape)} to have ${weight.shape[1] * groups} channels, but got ${C} channels instead`,
    );
  }
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== O)) {
    throw new RangeError(
      `Given weight of size ${fmt(weight.shape)}, expected bias to be 1-dimensional with ${O} elements, but got bias of size ${fmt(bias.shape)} instead`,
    );
  }
  const padded = inS.map((v, i) => v + padT[i]);
  const eff = k.map((kk, i) => dilation[i] * (kk - 1) + 1);
  if (padded.some((v, i) => v < eff[i])) {
    throw new RangeError(
      `Calculated padded input size per channel: (${padded.join(" x ")}). Kernel size: (${eff.join(" x ")}). Kernel size can't be greater than actual input size`,
    );
  }
  const outS = padded.map((v, i) => Math.floor((v - eff[i]) / stride[i]) + 1);
  const g = geom3(N, C, O, groups, inS, k, stride, padL, dilation, outS);

  const xd = x.dense(),
    wd = weight.dense(),
    bd = bias ? bias.dense() : null;
  let rd: Tensor | null = null;
  if (residual !== null) {
    checkFloat(residual, "residual", op);
    const want = unbatched ? [O, ...outS] : [N, O, ...outS];
    if (residual.shape.length !== want.length || residual.shape.some((v, i) => v !== want[i])) {
      throw new RangeError(
        `${op}: residual of size ${fmt(residual.shape)} does not match the output size ${fmt(want)}`,
      );
    }
    rd = residual.dense();
  }
  const out = Tensor.empty([N, O, ...outS], "float32", true);
  let packed: Tensor | null = null;
  if (slot !== null) {
    if (slot.packed === undefined) {
      const n = K().convPackedLen(g, bd !== null);
      slot.packed = n > 0 ? keep(Tensor.empty([n], "float32")) : null;
      if (slot.packed) K().convPack(g, wd.storage, bd ? bd.storage : null, slot.packed.storage);
    }
    packed = slot.packed ?? null;
  }
  K().conv(
    g,
    xd.storage,
    wd.storage,
    bd ? bd.storage : null,
    out.storage,
    act,
    rd ? rd.storage : null,
    packed ? packed.storage : null,
  );
  if (bd && bd !== bias) bd.dispose();
  if (rd && rd !== residual) rd.dispose();
  const b = bias ?? null;
  ops.record(out, "ConvolutionBackward", [x, weight, b], (gy) => {
    const gd = gy.dense();
    let gx: Tensor | null = null,
      gw: Tensor | null = null,
      gb: Tensor | null = null;
    if (x.requiresGrad) {
      gx = Tensor.empty(x.shape.slice(), "float32");
      K().convGradInput(g, gd.storage, wd.storage, gx.storage);
    }
    if (weight.requiresGrad) {
      gw = Tensor.empty(weight.shape.slice(), "float32");
      gb = b && b.requiresGrad ? Tensor.empty([O], "float32") : null;
      K().convGradWeight(g, xd.storage, gd.storage, gw.storage, gb ? gb.storage : null);
    } else if (b && b.requiresGrad) {
      gb = channelSum(gd, N, O, numelOf(outS));
    }
    if (gd !== gy) gd.dispose();
    return [gx, gw, gb];
  });
  return unbatched ? ops.squeeze(out, 0) : out;
}

/**
 * 1-d convolution over [N, C, L] (or unbatched [C, L]); weight [O, C/groups, k].
 * `F.conv1d(torch.randn(2, 3, 10), torch.randn(5, 3, 3), null, { padding: "same" })` has shape [2, 5, 10].
 */

export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor;
export function conv1d(...args: unknown[]): Tensor {
  const { input, weight, bias, ...opts } = parseArgs("F.conv1d", args, CONV_ARGS);
  return convNd(1, "conv1d", input, weight, bias, opts);
}
/**
 * 2-d convolution over [N, C, H, W] (or unbatched [C, H, W]); weight [O, C/groups, kH, kW].
 * `F.conv2d(torch.randn(1, 3, 28, 28), torch.randn(16, 3, 3, 3), null, { padding: 1 })` has shape [1, 16, 28, 28].
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor;
export function conv2d(...args: unknown[]): Tensor {
  const { input, weight, bias, ...opts } = parseArgs("F.conv2d", args, CONV_ARGS);
  return convNd(2, "conv2d", input, weight, bias, opts);
}
/**
 * 3-d convolution over [N, C, D, H, W] (or unbatched [C, D, H, W]); weight [O, C/groups, kD, kH, kW].
 * `F.conv3d(torch.randn(1, 2, 4, 4, 4), torch.randn(3, 2, 3, 3, 3), null, { stride: 2 })` has shape [1, 3, 1, 1, 1].
 */
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor;
export function conv3d(...args: unknown[]): Tensor {
  const { input, weight, bias, ...opts } = parseArgs("F.conv3d", args, CONV_ARGS);
  return convNd(3, "conv3d", input, weight, bias, opts);
}

/** The output size of a transposed conv per spatial dim (before output padding). */
export function convTransposeMinSize(
  inS: number[],
  k: number[],
  stride: number[],
  padding: number[],
  dilation: number[],
): number[] {
  return inS.map((v, i) => (v - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1) + 1);
}

/**
 * The transposed convolution: the conv's gradient w.r.t. its input (convGradInput with the
 * roles swapped). Weight [Cin, Cout/groups, k...]; its backward is the conv forward (input grad)
 * and convGradWeight with input and output swapped (weight grad).
 */
function convTransposeNd(
  nd: number,
  op: string,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  opts: ConvTransposeOptions,
): Tensor {
  checkFloat(input, "input", op);
  checkFloat(weight, "weight", op);
  if (bias) checkFloat(bias, "bias", op);
  const [x, unbatched] = batched(input, nd, op);
  if (weight.dim() !== nd + 2) {
    throw new RangeError(
      `Expected ${weight.dim()}-dimensional input for ${weight.dim()}-dimensional weight ${fmt(weight.shape)}, but got ${x.dim()}-dimensional input of size ${fmt(x.shape)} instead`,
    );
  }
  if (typeof (opts.padding as unknown) === "string") {
    throw new TypeError(`${op}: padding must be an int or a tuple of ints, but got '${opts.padding}'`);
  }
  const stride = ntuple(opts.stride, nd, "stride", 1, op);
  const dilation = ntuple(opts.dilation, nd, "dilation", 1, op);
  const padding = ntuple(opts.padding, nd, "padding", 0, op);
  const outPad = ntuple(opts.outputPadding, nd, "output_padding", 0, op);
  const groups = opts.groups ?? 1;
  checkCommon(nd, stride, dilation, groups);
  if (padding.some((v) => v < 0)) throw new RangeError("negative padding is not supported");
  if (outPad.some((v) => v < 0)) throw new RangeError("negative output_padding is not supported");
  if (outPad.some((v, i) => v >= stride[i] && v >= dilation[i])) {
    const names = nd === 1 ? ["width"] : nd === 2 ? ["height", "width"] : ["depth", "height", "width"];
    const part = (what: string, a: number[]) => names.map((n, i) => `${what}_${n}: ${a[i]}`).join(" ");
    throw new RangeError(
      `output padding must be smaller than either stride or dilation, but got ${part("output_padding", outPad)} ${part("stride", stride)} ${part("dilation", dilation)}`,
    );
  }
  const [N, Cin] = x.shape,
    k = weight.shape.slice(2),
    inS = x.shape.slice(2);
  if (weight.shape[0] % groups !== 0) {
    throw new RangeError(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmt(weight.shape)} instead`,
    );
  }
  if (Cin !== weight.shape[0]) {
    throw new RangeError(
      `Given transposed=1, weight of size ${fmt(weight.shape)}, expected input${fmt(x.shape)} to have ${weight.shape[0]} channels, but got ${Cin} channels instead`,
    );
  }
  const Cout = weight.shape[1] * groups;
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== Cout)) {
    throw new RangeError(
      `Given transposed=1, weight of size ${fmt(weight.shape)}, expected bias to be 1-dimensional with ${Cout} elements, but got bias of size ${fmt(bias.shape)} instead`,
    );
  }
  const outS = convTransposeMinSize(inS, k, stride, padding, dilation).map((v, i) => v + outPad[i]);
  if (outS.some((v) => v < 1)) {
    throw new RangeError(
      `Given input size per channel: (${inS.join(" x ")}). Calculated output size per channel: (${outS.join(" x ")}). Output size is too small`,
    );
  }
  // as a conv: input = this op's output [N, Cout, outS], output = this op's input [N, Cin, inS]
  const g = geom3(N, Cout, Cin, groups, outS, k, stride, padding, dilation, inS);

  const xd = x.dense(),
    wd = weight.dense();
  const outShape = [N, Cout, ...outS];
  const out = Tensor.empty(outShape, "float32");
  K().convGradInput(g, xd.storage, wd.storage, out.storage);
  if (bias) {
    const bd = bias.dense();
    const bStrides = outShape.map((_, i) => (i === 1 ? 1 : 0));
    K().binary("add", out.storage, contiguousStrides(outShape), bd.storage, bStrides, out.storage, outShape);
    if (bd !== bias) bd.dispose();
  }
  const b = bias ?? null;
  ops.record(out, "ConvolutionBackward", [x, weight, b], (gy) => {
    const gd = gy.dense();
    let gx: Tensor | null = null,
      gw: Tensor | null = null,
      gb: Tensor | null = null;
    if (x.requiresGrad) {
      gx = Tensor.empty(x.shape.slice(), "float32");
      K().conv(g, gd.storage, wd.storage, null, gx.storage);
    }
    if (weight.requiresGrad) {
      gw = Tensor.empty(weight.shape.slice(), "float32");
      K().convGradWeight(g, gd.storage, xd.storage, gw.storage, null);
    }
    if (b && b.requiresGrad) gb = channelSum(gd, N, Cout, numelOf(outS));
    if (gd !== gy) gd.dispose();
    return [gx, gw, gb];
  });
  return unbatched ? ops.squeeze(out, 0) : out;
}

/**
 * Transposed 1-d convolution ("deconvolution"); weight [Cin, Cout/groups, k].
 * `F.convTranspose1d(torch.randn(1, 4, 5), torch.randn(4, 2, 3), null, { stride: 2 })` has shape [1, 2, 11].
 */
export function convTranspose1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor;
export function convTranspose1d(...args: unknown[]): Tensor {
  const { input, weight, bias, ...opts } = parseArgs("F.convTranspose1d", args, CONV_T_ARGS);
  return convTransposeNd(1, "conv_transpose1d", input, weight, bias, opts);
}
/**
 * Transposed 2-d convolution; weight [Cin, Cout/groups, kH, kW]. Output size per dim is
 * (H-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1.
 * `F.convTranspose2d(torch.randn(1, 8, 4, 4), torch.randn(8, 3, 4, 4), null, { stride: 2, padding: 1 })` has shape [1, 3, 8, 8].
 */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor;
export function convTranspose2d(...args: unknown[]): Tensor {
  const { input, weight, bias, ...opts } = parseArgs("F.convTranspose2d", args, CONV_T_ARGS);
  return convTransposeNd(2, "conv_transpose2d", input, weight, bias, opts);
}
/**
 * Transposed 3-d convolution; weight [Cin, Cout/groups, kD, kH, kW].
 * `F.convTranspose3d(torch.randn(1, 2, 2, 2, 2), torch.randn(2, 1, 2, 2, 2), null, { stride: 2 })` has shape [1, 1, 4, 4, 4].
 */
export function convTranspose3d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor;
export function convTranspose3d(...args: unknown[]): Tensor {
  const { input, weight, bias, ...opts } = parseArgs("F.convTranspose3d", args, CONV_T_ARGS);
  return convTransposeNd(3, "conv_transpose3d", input, weight, bias, opts);
}

// ------------------------------------------------------------------ non-zero padding modes

/**
 * Pads the last pads.length spatial dims of x [N, C, ...] with mode reflect/replicate/circular
 * (pads[i] = [left, right] for spatial dim i, first dim first). Used by Conv modules whose
 * paddingMode is not "zeros"; backward scatters the gradient back through the same index map.
 */
export function padSpatial(x: Tensor, pads: [number, number][], mode: Exclude<PaddingMode, "zeros">): Tensor {
  const nd = pads.length,
    lead = x.shape.slice(0, x.dim() - nd),
    inS = x.shape.slice(x.dim() - nd);
  const maps = inS.map((n, i) => {
    const [l, r] = pads[i];
    const dim = lead.length + i;
    if (mode === "reflect" && (l >= n || r >= n)) {
      throw new RangeError(
        `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${dim} of input ${fmt(x.shape)}`,
      );
    }
    if (mode === "circular" && (l > n || r > n))
      throw new RangeError("Padding value causes wrapping around more than once.");
    if (n === 0) throw new RangeError(`${mode} padding: input dimension ${dim} of size 0 cannot be padded`);
    const m = new Int32Array(n + l + r);
    for (let j = 0; j < m.length; j++) {
      const p = j - l;
      m[j] =
        mode === "replicate"
          ? Math.min(Math.max(p, 0), n - 1)
          : mode === "circular"
            ? ((p % n) + n) % n
            : p < 0
              ? -p
              : p >= n
                ? 2 * (n - 1) - p
                : p;
    }
    return m;
  });
  const outS = maps.map((m) => m.length);
  // flat index map of one output plane into the input plane
  const inStr = contiguousStrides(inS),
    outSize = numelOf(outS),
    inSize = numelOf(inS);
  const map = new Int32Array(outSize);
  const idx = new Array(nd).fill(0);
  for (let k = 0; k < outSize; k++) {
    let src = 0;
    for (let i = 0; i < nd; i++) src += maps[i][idx[i]] * inStr[i];
    map[k] = src;
    for (let i = nd - 1; i >= 0; i--) {
      if (++idx[i] < outS[i]) break;
      idx[i] = 0;
    }
  }
  const planes = numelOf(lead);
  const xd = x.dense();
  const out = Tensor.empty([...lead, ...outS], x.dtype);
  {
    const X = xd.backendView(),
      Y = out.backendView();
    for (let p = 0; p < planes; p++) {
      const xb = p * inSize,
        yb = p * outSize;
      for (let k = 0; k < outSize; k++) Y[yb + k] = X[xb + map[k]];
    }
  }
  if (xd !== x) xd.dispose();
  return ops.record(out, "ReflectionPadBackward", [x], (gy) => {
    const gd = gy.dense();
    const gx = Tensor.empty(x.shape.slice(), "float32");
    K().fill(gx.storage, 0);
    const G = gd.backendView(),
      GX = gx.backendView();
    for (let p = 0; p < planes; p++) {
      const xb = p * inSize,
        yb = p * outSize;
      for (let k = 0; k < outSize; k++) GX[xb + map[k]] += G[yb + k];
    }
    if (gd !== gy) gd.dispose();
    return [gx];
  });
}
