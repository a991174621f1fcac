// F.batchNorm and F.layerNorm: each one differentiable op over the backend's fused normalisation
// kernels (channelStats/channelNormalize/batchNormGrad, layerNorm/layerNormGrad).

import { backendImpl, noGrad } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, numelOf } from "../../tensor.js";

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
  const tmp = Tensor.empty(variance.shape.slice(), "float32"), out = Tensor.empty(variance.shape.slice(), "float32");
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
export function batchNorm(x: Tensor, runningMean: Tensor | null | undefined, runningVar: Tensor | null | undefined,
                          opts: BatchNormOptions = {}): Tensor {
  const training = opts.training ?? false, momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  const weight = opts.weight ?? null, bias = opts.bias ?? null;
  checkFloat(x, "batch_norm");
  if (x.dim() < 2) throw new RangeError(`batch_norm: expected input with at least 2 dimensions (N, C, ...), but got input of size [${x.shape.join(", ")}]`);
  const N = x.shape[0], C = x.shape[1], S = numelOf(x.shape.slice(2));
  for (const [name, t] of [["running_mean", runningMean], ["running_var", runningVar], ["weight", weight], ["bias", bias]] as const) {
    if (t && t.numel() !== C) throw new RangeError(`${name} should contain ${C} elements not ${t.numel()}`);
  }
  if (!training && (!runningMean || !runningVar)) {
    throw new Error("batch_norm: running_mean and running_var must be defined in evaluation mode (pass training: true to use batch statistics)");
  }
  const cnt = N * S;
  if (training && cnt <= 1) {
    throw new RangeError(`Expected more than 1 value per channel when training, got input size [${x.shape.join(", ")}]`);
  }
  const xd = x.dense();
  const wd = weight ? weight.dense() : null, bd = bias ? bias.dense() : null;
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
  K().channelNormalize(xd.storage, N, C, S, mean.storage, invstd.storage, wd ? wd.storage : null, bd ? bd.storage : null, y.storage);
  return ops.record(y, "NativeBatchNormBackward", [x, weight, bias], (g) => {
    const gd = g.dense();
    const gx = x.requiresGrad ? Tensor.empty(x.shape.slice(), "float32") : null;
    const gw = weight && weight.requiresGrad ? Tensor.empty(weight.shape.slice(), "float32") : null;
    const gb = bias && bias.requiresGrad ? Tensor.empty(bias.shape.slice(), "float32") : null;
    K().batchNormGrad(xd.storage, gd.storage, N, C, S, mean.storage, invstd.storage, wd ? wd.storage : null, training,
      gx ? gx.storage : null, gw ? gw.storage : null, gb ? gb.storage : null);
    if (gd !== g) gd.dispose();
    return [gx, gw, gb];
  });
}

export interface LayerNormOptions { weight?: Tensor | null; bias?: Tensor | null; eps?: number }

/** Layer normalisation over the trailing dims given by normalizedShape (PyTorch's F.layer_norm). */
export function layerNorm(x: Tensor, normalizedShape: number | number[], opts: LayerNormOptions = {}): Tensor {
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape.slice();
  const weight = opts.weight ?? null, bias = opts.bias ?? null, eps = opts.eps ?? 1e-5;
  checkFloat(x, "layer_norm");
  const k = ns.length;
  if (k === 0) throw new RangeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []");
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && (t.dim() !== k || t.shape.some((d, i) => d !== ns[i]))) {
      throw new RangeError(`Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape [${t.shape.join(", ")}] and normalized_shape = [${ns.join(", ")}]`);
    }
  }
  if (x.dim() < k || x.shape.slice(x.dim() - k).some((d, i) => d !== ns[i])) {
    throw new RangeError(`Given normalized_shape=[${ns.join(", ")}], expected input with shape [*, ${ns.join(", ")}], but got input of size[${x.shape.join(", ")}]`);
  }
  const cols = numelOf(ns), rows = cols === 0 ? 0 : x.numel() / cols;
  const xd = x.dense(), wd = weight ? weight.dense() : null, bd = bias ? bias.dense() : null;
  const y = Tensor.empty(x.shape.slice(), "float32");
  const mean = Tensor.empty([rows], "float32"), rstd = Tensor.empty([rows], "float32");
  K().layerNorm(xd.storage, rows, cols, eps, wd ? wd.storage : null, bd ? bd.storage : null, y.storage, mean.storage, rstd.storage);
  return ops.record(y, "NativeLayerNormBackward", [x, weight, bias], (g) => {
    const gd = g.dense();
    const gx = x.requiresGrad ? Tensor.empty(x.shape.slice(), "float32") : null;
    const gw = weight && weight.requiresGrad ? Tensor.empty(ns, "float32") : null;
    const gb = bias && bias.requiresGrad ? Tensor.empty(ns, "float32") : null;
    K().layerNormGrad(xd.storage, gd.storage, rows, cols, mean.storage, rstd.storage, wd ? wd.storage : null,
      gx ? gx.storage : null, gw ? gw.storage : null, gb ? gb.storage : null);
    if (gd !== g) gd.dispose();
    return [gx, gw, gb];
  });
}
