// F.batchNorm and F.layerNorm: each one differentiable op over the backend's fused normalisation
// kernels (channelStats/channelNormalize/batchNormGrad, layerNorm/layerNormGrad).

import { backendImpl, noGrad } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, numelOf } from "../../tensor.js";
import { A, parseArgs } from "../../utils/args.js";

const K = () => backendImpl();

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

function checkFloat(t: Tensor, op: string) {
  if (t.dtype !== "float32") throw new TypeError(`${op}: expected a float32 tensor but got ${t.dtype}`);
}

/** A dense float copy of a per-channel vector that later in-place updates cannot change. */
function snapshot(t: Tensor): Tensor {
  const d = Tensor.empty(t.shape.slice(), "float32");
  K().copyStrided(t.storage, t.offset, t.shape.length ? t.shape : [1], t.shape.length ? t.strides : [1], d.storage);
  return d;
}

/** 1 / sqrt(variance + eps), per channel. */
function invStd(variance: Tensor, eps: number): Tensor {
  const tmp = Tensor.empty(variance.shape.slice(), "float32"),
    out = Tensor.empty(variance.shape.slice(), "float32");
  K().scalar("add", variance.storage, eps, tmp.storage);
  K().unary("rsqrt", tmp.storage, out.storage);
  tmp.dispose();
  return out;
}

/**
 * Batch normalisation over the channel dim (1) of x [N, C, *] (PyTorch's F.batch_norm).
 * training: normalises with the batch's mean and biased variance and, when running stats are
 * given, updates them in place: running = (1 - momentum) * running + momentum * stat (unbiased
 * variance). Otherwise normalises with runningMean / runningVar.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  opts: BatchNormOptions = {},
): Tensor {
  const training = opts.training ?? false,
    momentum = opts.momentum ?? 0.1,
    eps = opts.eps ?? 1e-5;
  const weight = opts.weight ?? null,
    bias = opts.bias ?? null;
  checkFloat(x, "batch_norm");
  if (x.dim() < 2)
    throw new RangeError(
      `batch_norm: expected input with at least 2 dimensions (N, C, ...), but got input of size [${x.shape.join(", ")}]`,
    );
  const N = x.shape[0],
    C = x.shape[1],
    S = numelOf(x.shape.slice(2));
  for (const [name, t] of [
    ["running_mean", runningMean],
    ["running_var", runningVar],
    ["weight", weight],
    ["bias", bias],
  ] as const) {
    if (t && t.numel() !== C) throw new RangeError(`${name} should contain ${C} elements not ${t.numel()}`);
  }
  if (!training && (!runningMean || !runningVar)) {
    throw new Error(
      "batch_norm: running_mean and running_var must be defined in evaluation mode (pass training: true to use batch statistics)",
    );
  }
  const cnt = N * S;
  if (training && cnt <= 1) {
    throw new RangeError(
      `Expected more than 1 value per channel when training, got input size [${x.shape.join(", ")}]`,
    );
  }
  const xd = x.dense();
  const wd = weight ? weight.dense() : null,
    bd = bias ? bias.dense() : null;
  let mean: Tensor, invstd: Tensor;
  if (training) {
    mean = Tensor.empty([C], "float32");
    const variance = Tensor.empty([C], "float32");
    K().channelStats(xd.storage, N, C, S, mean.storage, variance.storage);
    invstd = invStd(variance, eps);
    if (runningMean || runningVar) {
      noGrad(() => {
        if (runningMean) {
          const upd = ops.add(ops.mul(runningMean, 1 - momentum), ops.mul(mean, momentum));
          runningMean.copy_(upd);
          upd.dispose();
        }
        if (runningVar) {
          const unbiased = ops.mul(variance, cnt / (cnt - 1));
          const upd = ops.add(ops.mul(runningVar, 1 - momentum), ops.mul(unbiased, momentum));
          runningVar.copy_(upd);
          upd.dispose();
          unbiased.dispose();
        }
      });
    }
    variance.dispose();
  } else {
    mean = snapshot(runningMean!);
    const rv = snapshot(runningVar!);
    invstd = invStd(rv, eps);
    rv.dispose();
  }
  const y = Tensor.empty(x.shape.slice(), "float32");
  K().channelNormalize(
    xd.storage,
    N,
    C,
    S,
    mean.storage,
    invstd.storage,
    wd ? wd.storage : null,
    bd ? bd.storage : null,
    y.storage,
  );
  return ops.record(y, "NativeBatchNormBackward", [x, weight, bias], (g) => {
    const gd = g.dense();
    const gx = x.requiresGrad ? Tensor.empty(x.shape.slice(), "float32") : null;
    const gw = weight && weight.requiresGrad ? Tensor.empty(weight.shape.slice(), "float32") : null;
    const gb = bias && bias.requiresGrad ? Tensor.empty(bias.shape.slice(), "float32") : null;
    K().batchNormGrad(
      xd.storage,
      gd.storage,
      N,
      C,
      S,
      mean.storage,
      invstd.storage,
      wd ? wd.storage : null,
      training,
      gx ? gx.storage : null,
      gw ? gw.storage : null,
      gb ? gb.storage : null,
    );
    if (gd !== g) gd.dispose();
    return [gx, gw, gb];
  });
}

export interface LayerNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/** Layer normalisation over the trailing dims given by normalizedShape (PyTorch's F.layer_norm). */
export function layerNorm(x: Tensor, normalizedShape: number | number[], opts: LayerNormOptions = {}): Tensor {
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape.slice();
  const weight = opts.weight ?? null,
    bias = opts.bias ?? null,
    eps = opts.eps ?? 1e-5;
  checkFloat(x, "layer_norm");
  const k = ns.length;
  if (k === 0)
    throw new RangeError(
      "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []",
    );
  for (const [name, t] of [
    ["weight", weight],
    ["bias", bias],
  ] as const) {
    if (t && (t.dim() !== k || t.shape.some((d, i) => d !== ns[i]))) {
      throw new RangeError(
        `Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape [${t.shape.join(", ")}] and normalized_shape = [${ns.join(", ")}]`,
      );
    }
  }
  if (x.dim() < k || x.shape.slice(x.dim() - k).some((d, i) => d !== ns[i])) {
    throw new RangeError(
      `Given normalized_shape=[${ns.join(", ")}], expected input with shape [*, ${ns.join(", ")}], but got input of size[${x.shape.join(", ")}]`,
    );
  }
  const cols = numelOf(ns),
    rows = cols === 0 ? 0 : x.numel() / cols;
  const xd = x.dense(),
    wd = weight ? weight.dense() : null,
    bd = bias ? bias.dense() : null;
  const y = Tensor.empty(x.shape.slice(), "float32");
  const mean = Tensor.empty([rows], "float32"),
    rstd = Tensor.empty([rows], "float32");
  K().layerNorm(
    xd.storage,
    rows,
    cols,
    eps,
    wd ? wd.storage : null,
    bd ? bd.storage : null,
    y.storage,
    mean.storage,
    rstd.storage,
  );
  return ops.record(y, "NativeLayerNormBackward", [x, weight, bias], (g) => {
    const gd = g.dense();
    const gx = x.requiresGrad ? Tensor.empty(x.shape.slice(), "float32") : null;
    const gw = weight && weight.requiresGrad ? Tensor.empty(ns, "float32") : null;
    const gb = bias && bias.requiresGrad ? Tensor.empty(ns, "float32") : null;
    K().layerNormGrad(
      xd.storage,
      gd.storage,
      rows,
      cols,
      mean.storage,
      rstd.storage,
      wd ? wd.storage : null,
      gx ? gx.storage : null,
      gw ? gw.storage : null,
      gb ? gb.storage : null,
    );
    if (gd !== g) gd.dispose();
    return [gx, gw, gb];
  });
}

export interface GroupNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/** Per-channel affine y * w + b over x [N, C, *] (either may be null). */
function channelAffine(y: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  if (!weight && !bias) return y;
  const shape = y.shape.map((d, k) => (k === 1 ? d : 1));
  let out = y;
  if (weight) out = ops.mul(out, ops.reshape(weight, shape));
  if (bias) out = ops.add(out, ops.reshape(bias, shape));
  return out;
}

/** F.groupNorm(x, numGroups, { weight, bias, eps = 1e-5 }): x [N, C, *] normalised over each group of
 *  C / numGroups channels (and all of *), then the per-channel affine. One layer-norm kernel per
 *  group row (forward and backward). */
export function groupNorm(x: Tensor, numGroups: number, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.groupNorm", rest, {
    weight: [A.optTensor, null],
    bias: [A.optTensor, null],
    eps: [A.num, 1e-5],
  });
  checkFloat(x, "group_norm");
  if (x.dim() < 2) throw new RangeError(`Expected at least 2 dimensions for input tensor but received ${x.dim()}`);
  const N = x.shape[0],
    C = x.shape[1];
  if (!Number.isInteger(numGroups) || numGroups <= 0 || C % numGroups !== 0) {
    throw new RangeError(
      `Expected number of channels in input to be divisible by num_groups, but got input of shape [${x.shape.join(", ")}] and num_groups=${numGroups}`,
    );
  }
  for (const [name, t] of [
    ["weight", o.weight],
    ["bias", o.bias],
  ] as const) {
    if (t && t.numel() !== C)
      throw new RangeError(
        `Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape [${t.shape.join(", ")}] and input of shape [${x.shape.join(", ")}]`,
      );
  }
  const cols = (C / numGroups) * numelOf(x.shape.slice(2));
  const xr = ops.reshape(x, [N, numGroups, cols]);
  const y = ops.reshape(layerNorm(xr, [cols], { eps: o.eps }), x.shape);
  return channelAffine(y, o.weight ?? null, o.bias ?? null);
}

export interface InstanceNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

/** F.instanceNorm(x, runningMean?, runningVar?, { weight, bias, useInputStats = true, momentum = 0.1,
 *  eps = 1e-5 }): each (n, c) plane of x [N, C, *] normalised over *; with useInputStats and running
 *  stats, they are updated with the mean over the batch of the per-instance statistics (as PyTorch). */
export function instanceNorm(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.instanceNorm", rest, {
    runningMean: [A.optTensor, null],
    runningVar: [A.optTensor, null],
    weight: [A.optTensor, null],
    bias: [A.optTensor, null],
    useInputStats: [A.bool, true],
    momentum: [A.num, 0.1],
    eps: [A.num, 1e-5],
  });
  checkFloat(x, "instance_norm");
  if (x.dim() < 3)
    throw new RangeError(
      `instance_norm: expected input with at least 3 dimensions (N, C, L), but got input of size [${x.shape.join(", ")}]`,
    );
  const N = x.shape[0],
    C = x.shape[1],
    S = numelOf(x.shape.slice(2));
  const rm = o.runningMean ?? null,
    rv = o.runningVar ?? null;
  if (!o.useInputStats) {
    if (!rm || !rv)
      throw new Error("Expected running_mean and running_var to be defined when use_input_stats is false");
    return batchNorm(x, rm, rv, { weight: o.weight, bias: o.bias, training: false, eps: o.eps });
  }
  if (S <= 1)
    throw new RangeError(`Expected more than 1 spatial element when training, got input size [${x.shape.join(", ")}]`);
  const xr = ops.reshape(x, [1, N * C, S]);
  const rep = (t: Tensor | null) =>
    t
      ? ops.reshape(
          noGrad(() => ops.cat(new Array(N).fill(ops.reshape(t, [C])), 0)),
          [N * C],
        )
      : null;
  const rmr = rep(rm),
    rvr = rep(rv);
  const y = ops.reshape(batchNorm(xr, rmr, rvr, { training: true, momentum: o.momentum, eps: o.eps }), x.shape);
  noGrad(() => {
    if (rm && rmr) {
      const m = ops.mean(ops.reshape(rmr, [N, C]), 0);
      rm.copy_(m);
      m.dispose();
    }
    if (rv && rvr) {
      const m = ops.mean(ops.reshape(rvr, [N, C]), 0);
      rv.copy_(m);
      m.dispose();
    }
  });
  return channelAffine(y, o.weight ?? null, o.bias ?? null);
}

export interface RmsNormOptions {
  weight?: Tensor | null;
  eps?: number | null;
}

/** F.rmsNorm(x, normalizedShape, { weight, eps = float32 eps }) (PyTorch 2.4):
 *  x / sqrt(mean(x^2 over the trailing normalizedShape dims) + eps) * weight, one kernel each way. */
export function rmsNorm(x: Tensor, normalizedShape: number | number[], ...rest: unknown[]): Tensor {
  const o = parseArgs("F.rmsNorm", rest, { weight: [A.optTensor, null], eps: [A.nullable(A.num), null] });
  checkFloat(x, "rms_norm");
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape.slice();
  const k = ns.length;
  if (x.dim() < k || x.shape.slice(x.dim() - k).some((d, i) => d !== ns[i])) {
    throw new RangeError(
      `Given normalized_shape=[${ns.join(", ")}], expected input with shape [*, ${ns.join(", ")}], but got input of size[${x.shape.join(", ")}]`,
    );
  }
  const w = o.weight ?? null;
  if (w && (w.dim() !== k || w.shape.some((d, i) => d !== ns[i]))) {
    throw new RangeError(
      `Expected weight to be of same shape as normalized_shape, but got weight of shape [${w.shape.join(", ")}] and normalized_shape = [${ns.join(", ")}]`,
    );
  }
  const eps = o.eps ?? 1.1920928955078125e-7;
  const cols = numelOf(ns),
    rows = cols === 0 ? 0 : x.numel() / cols;
  const xd = x.dense(),
    wd = w ? w.dense() : null;
  const y = Tensor.empty(x.shape.slice(), "float32", true),
    rstd = Tensor.empty([rows], "float32", true);
  K().rmsNorm(xd.storage, rows, cols, eps, wd ? wd.storage : null, y.storage, rstd.storage);
  return ops.record(y, "RmsNormBackward", [x, w], (g) => {
    const gd = g.dense();
    const gx = x.requiresGrad ? Tensor.empty(x.shape.slice(), "float32", true) : null;
    const gw = w && w.requiresGrad ? Tensor.empty(ns, "float32", true) : null;
    K().rmsNormGrad(
      xd.storage,
      gd.storage,
      rows,
      cols,
      rstd.storage,
      wd ? wd.storage : null,
      gx ? gx.storage : null,
      gw ? gw.storage : null,
    );
    if (gd !== g) gd.dispose();
    return [gx, gw];
  });
}
