// Loss functions: cross entropy (fused log-softmax + NLL), NLL, MSE, BCE, BCE with logits.

import { backendImpl, noGrad } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, numelOf } from "../../tensor.js";

export type Reduction = "mean" | "sum" | "none";
export interface NllOptions { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction }
export interface CrossEntropyOptions extends NllOptions { labelSmoothing?: number }

function checkReduction(r: string): asserts r is Reduction {
  if (r !== "mean" && r !== "sum" && r !== "none") throw new RangeError(`${r} is not a valid value for reduction`);
}

/** Per-element NLL [N, ...] with autograd, plus the per-element class weights (no grad). */
function nllElements(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): [Tensor, Tensor] {
  if (target.dtype !== "int64") throw new TypeError(`expected scalar type Long but found ${target.dtype === "float32" ? "Float" : target.dtype}`);
  let x = logp, t = target;
  if (x.dim() === 1) { x = ops.unsqueeze(x, 0); t = ops.unsqueeze(t, 0); }
  const N = x.shape[0], C = x.shape[1], rest = x.shape.slice(2);
  const expect = [N, ...rest];
  if (t.dim() !== expect.length || t.shape.some((d, k) => d !== expect[k])) {
    if (x.dim() === 2) throw new RangeError(`Expected input batch_size (${N}) to match target batch_size (${t.shape[0]}).`);
    throw new RangeError(`Expected target size [${expect.join(", ")}], got [${t.shape.join(", ")}]`);
  }
  if (weight && (weight.dim() !== 1 || weight.shape[0] !== C)) {
    throw new RangeError(`weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: [${weight.shape.join(", ")}]`);
  }
  const inner = numelOf(rest);
  const xd = x.dense(), td = t.dense(), wd = weight ? weight.dense() : null;
  const loss = Tensor.empty(t.shape.slice(), "float32"), w = Tensor.empty(t.shape.slice(), "float32");
  backendImpl().nll(xd.storage, td.storage, wd ? wd.storage : null, loss.storage, w.storage, N, C, inner, ignoreIndex);
  const shapeOut = logp.dim() === 1 ? [] : t.shape.slice();
  ops.record(loss, "NllLossBackward", [x], (g) => {
    const gd = g.dense();
    const gx = Tensor.empty(x.shape.slice(), "float32");
    backendImpl().nllGrad(gd.storage, td.storage, wd ? wd.storage : null, gx.storage, N, C, inner, ignoreIndex);
    if (gd !== g) gd.dispose();
    return [gx];
  });
  if (logp.dim() === 1) return [ops.reshape(loss, shapeOut), ops.reshape(w, shapeOut)];
  return [loss, w];
}

function reduceWeighted(loss: Tensor, w: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return loss;
  if (reduction === "sum") return ops.sum(loss);
  return ops.div(ops.sum(loss), ops.sum(w));
}

/** F.nllLoss(logProbs, target, { weight, ignoreIndex = -100, reduction = "mean" }). */
export function nllLoss(input: Tensor, target: Tensor, opts: NllOptions = {}): Tensor {
  const reduction = opts.reduction ?? "mean";
  checkReduction(reduction);
  const [loss, w] = nllElements(input, target, opts.weight ?? null, opts.ignoreIndex ?? -100);
  return reduceWeighted(loss, w, reduction);
}

/** F.crossEntropy(logits, target, { weight, ignoreIndex = -100, reduction = "mean", labelSmoothing = 0 }).
 *  target holds class indices (int64), or class probabilities (float32, same shape as logits). */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const reduction = opts.reduction ?? "mean";
  checkReduction(reduction);
  const eps = opts.labelSmoothing ?? 0;
  if (eps < 0 || eps > 1) throw new RangeError(`label_smoothing must be between 0.0 and 1.0. Got: ${eps}`);
  const classDim = input.dim() === 1 ? 0 : 1;
  const logp = ops.softmax(input, classDim, true);
  const weight = opts.weight ?? null;
  const C = input.shape[classDim];
  const wShape = input.shape.map((_, k) => (k === classDim ? C : 1));
  if (target.dtype === "float32") {
    // probabilities as targets, when the shapes match; otherwise PyTorch expects class indices
    if (target.shape.length !== input.shape.length || target.shape.some((d, k) => d !== input.shape[k])) {
      throw new TypeError("expected scalar type Long but found Float");
    }
    let tgt = target;
    if (eps > 0) tgt = ops.add(ops.mul(target, 1 - eps), eps / C);
    let prod = ops.mul(logp, tgt);
    if (weight) prod = ops.mul(prod, ops.reshape(weight, wShape));
    const per = ops.unary("neg", ops.sum(prod, classDim));
    if (reduction === "none") return per;
    if (reduction === "sum") return ops.sum(per);
    return ops.div(ops.sum(per), input.dim() === 1 ? 1 : numelOf(per.shape));
  }
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const [loss, w] = nllElements(logp, target, weight, ignoreIndex);
  const nll = reduceWeighted(loss, w, reduction);
  if (eps === 0) return nll;
  // label smoothing (as PyTorch's cross_entropy_loss_label_smoothing)
  const lw = weight ? ops.mul(logp, ops.reshape(weight, wShape)) : logp;
  let smooth = ops.unary("neg", ops.sum(lw, classDim));
  const keepMask = ops.compare("eq", ops.compare("eq", target.to("float32"), ignoreIndex), 0);
  smooth = ops.mul(smooth, keepMask);
  let ret: Tensor;
  if (reduction === "mean") ret = ops.div(ops.sum(smooth), weight ? ops.sum(w) : ops.sum(keepMask));
  else if (reduction === "sum") ret = ops.sum(smooth);
  else ret = smooth;
  return ops.add(ops.mul(nll, 1 - eps), ops.mul(ret, eps / C));
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  checkReduction(reduction);
  return reduction === "none" ? loss : reduction === "sum" ? ops.sum(loss) : ops.mean(loss);
}
function sameShapeOrThrow(input: Tensor, target: Tensor, name: string) {
  if (input.shape.length !== target.shape.length || input.shape.some((d, k) => d !== target.shape[k])) {
    throw new RangeError(`${name}: Using a target size ([${target.shape.join(", ")}]) that is different to the input size ([${input.shape.join(", ")}]) is not supported. Please ensure they have the same size.`);
  }
}

/** F.mseLoss(input, target, { reduction = "mean" }). */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const d = ops.sub(input, target);
  return reduce(ops.mul(d, d), opts.reduction ?? "mean");
}

/** F.binaryCrossEntropy(probs, target, { weight, reduction }) with log clamped at -100 as PyTorch. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  sameShapeOrThrow(input, target, "binary_cross_entropy");
  const v = input.dataSync();
  for (let k = 0; k < v.length; k++) {
    if (!(v[k] >= 0 && v[k] <= 1)) throw new RangeError("all elements of input should be between 0 and 1");
  }
  const weight = opts.weight ?? null;
  // -w (y log x + (1 - y) log(1 - x)), both logs clamped at -100; one autograd node whose input
  // gradient is PyTorch's w (x - y) / max(x (1 - x), 1e-12) (finite where x is exactly 0 or 1).
  const logs = () => [ops.clamp(ops.unary("log", input), -100), ops.clamp(ops.unary("log", ops.sub(ops.full([], 1), input)), -100)];
  const loss = noGrad(() => {
    const [logx, log1mx] = logs();
    let l = ops.unary("neg", ops.add(ops.mul(target, logx), ops.mul(ops.sub(ops.full([], 1), target), log1mx)));
    if (weight) l = ops.mul(l, weight);
    return l;
  });
  ops.record(loss, "BinaryCrossEntropyBackward", [input, target], (g) => {
    const gw = weight ? ops.mul(g, weight) : g;
    let gx: Tensor | null = null, gt: Tensor | null = null;
    if (input.requiresGrad) {
      const den = ops.clamp(ops.mul(input, ops.sub(ops.full([], 1), input)), 1e-12);
      gx = ops.sumTo(ops.div(ops.mul(gw, ops.sub(input, target)), den), input.shape);
    }
    if (target.requiresGrad) {
      const [logx, log1mx] = logs();
      gt = ops.sumTo(ops.mul(gw, ops.sub(log1mx, logx)), target.shape);
    }
    return [gx, gt];
  });
  return reduce(loss, opts.reduction ?? "mean");
}

/** F.binaryCrossEntropyWithLogits(logits, target, { weight, posWeight, reduction }), numerically stable. */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  sameShapeOrThrow(input, target, "binary_cross_entropy_with_logits");
  const maxVal = ops.unary("relu", ops.unary("neg", input));
  // log(exp(-maxVal) + exp(-x - maxVal)) + maxVal  ==  log(1 + exp(-x))
  const lse = ops.add(ops.unary("log", ops.add(ops.unary("exp", ops.unary("neg", maxVal)),
    ops.unary("exp", ops.sub(ops.unary("neg", input), maxVal)))), maxVal);
  const oneMinusY = ops.sub(ops.full([], 1), target);
  let loss: Tensor;
  if (opts.posWeight) {
    const lw = ops.add(ops.mul(ops.sub(opts.posWeight, 1), target), 1);
    loss = ops.add(ops.mul(oneMinusY, input), ops.mul(lw, lse));
  } else loss = ops.add(ops.mul(oneMinusY, input), lse);
  if (opts.weight) loss = ops.mul(loss, opts.weight);
  return reduce(loss, opts.reduction ?? "mean");
}
