// Loss functions: cross entropy (fused log-softmax + NLL), NLL, MSE, BCE, BCE with logits.

import { backendImpl, noGrad } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor, normDim, numelOf } from "../../tensor.js";
import { tensor } from "../../creation.js";
import { A, parseArgs } from "../../utils/args.js";

export type Reduction = "mean" | "sum" | "none";
export interface NllOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}
export interface CrossEntropyOptions extends NllOptions {
  labelSmoothing?: number;
}

function checkReduction(r: string): asserts r is Reduction {
  if (r !== "mean" && r !== "sum" && r !== "none") throw new RangeError(`${r} is not a valid value for reduction`);
}

/** Per-element NLL [N, ...] with autograd, plus the per-element class weights (no grad). */
function nllElements(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): [Tensor, Tensor] {
  if (target.dtype !== "int64")
    throw new TypeError(`expected scalar type Long but found ${target.dtype === "float32" ? "Float" : target.dtype}`);
  let x = logp,
    t = target;
  if (x.dim() === 1) {
    x = ops.unsqueeze(x, 0);
    t = ops.unsqueeze(t, 0);
  }
  const N = x.shape[0],
    C = x.shape[1],
    rest = x.shape.slice(2);
  const expect = [N, ...rest];
  if (t.dim() !== expect.length || t.shape.some((d, k) => d !== expect[k])) {
    if (x.dim() === 2)
      throw new RangeError(`Expected input batch_size (${N}) to match target batch_size (${t.shape[0]}).`);
    throw new RangeError(`Expected target size [${expect.join(", ")}], got [${t.shape.join(", ")}]`);
  }
  if (weight && (weight.dim() !== 1 || weight.shape[0] !== C)) {
    throw new RangeError(
      `weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: [${weight.shape.join(", ")}]`,
    );
  }
  const inner = numelOf(rest);
  const xd = x.dense(),
    td = t.dense(),
    wd = weight ? weight.dense() : null;
  const loss = Tensor.empty(t.shape.slice(), "float32"),
    w = Tensor.empty(t.shape.slice(), "float32");
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
    throw new RangeError(
      `${name}: Using a target size ([${target.shape.join(", ")}]) that is different to the input size ([${input.shape.join(", ")}]) is not supported. Please ensure they have the same size.`,
    );
  }
}

/** F.mseLoss(input, target, { reduction = "mean" }). */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const d = ops.sub(input, target);
  return reduce(ops.mul(d, d), opts.reduction ?? "mean");
}

/** F.binaryCrossEntropy(probs, target, { weight, reduction }) with log clamped at -100 as PyTorch. */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  opts: { weight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  sameShapeOrThrow(input, target, "binary_cross_entropy");
  const v = input.dataSync();
  for (let k = 0; k < v.length; k++) {
    if (!(v[k] >= 0 && v[k] <= 1)) throw new RangeError("all elements of input should be between 0 and 1");
  }
  const weight = opts.weight ?? null;
  // -w (y log x + (1 - y) log(1 - x)), both logs clamped at -100; one autograd node whose input
  // gradient is PyTorch's w (x - y) / max(x (1 - x), 1e-12) (finite where x is exactly 0 or 1).
  const logs = () => [
    ops.clamp(ops.unary("log", input), -100),
    ops.clamp(ops.unary("log", ops.sub(ops.full([], 1), input)), -100),
  ];
  const loss = noGrad(() => {
    const [logx, log1mx] = logs();
    let l = ops.unary("neg", ops.add(ops.mul(target, logx), ops.mul(ops.sub(ops.full([], 1), target), log1mx)));
    if (weight) l = ops.mul(l, weight);
    return l;
  });
  ops.record(loss, "BinaryCrossEntropyBackward", [input, target], (g) => {
    const gw = weight ? ops.mul(g, weight) : g;
    let gx: Tensor | null = null,
      gt: Tensor | null = null;
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
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  sameShapeOrThrow(input, target, "binary_cross_entropy_with_logits");
  const maxVal = ops.unary("relu", ops.unary("neg", input));
  // log(exp(-maxVal) + exp(-x - maxVal)) + maxVal  ==  log(1 + exp(-x))
  const lse = ops.add(
    ops.unary(
      "log",
      ops.add(ops.unary("exp", ops.unary("neg", maxVal)), ops.unary("exp", ops.sub(ops.unary("neg", input), maxVal))),
    ),
    maxVal,
  );
  const oneMinusY = ops.sub(ops.full([], 1), target);
  let loss: Tensor;
  if (opts.posWeight) {
    const lw = ops.add(ops.mul(ops.sub(opts.posWeight, 1), target), 1);
    loss = ops.add(ops.mul(oneMinusY, input), ops.mul(lw, lse));
  } else loss = ops.add(ops.mul(oneMinusY, input), lse);
  if (opts.weight) loss = ops.mul(loss, opts.weight);
  return reduce(loss, opts.reduction ?? "mean");
}

// ------------------------------------------------------------------ more losses (PyTorch's formulas)

const red = (fn: string, r: unknown = "mean"): Reduction => {
  if (r !== "mean" && r !== "sum" && r !== "none")
    throw new RangeError(`${String(r)} is not a valid value for reduction`);
  return r;
};
const reductionArg = () => [A.oneOf("mean", "sum", "none"), "mean"] as const;
function checkSameSize(input: Tensor, target: Tensor, name: string) {
  if (input.shape.length !== target.shape.length || input.shape.some((d, k) => d !== target.shape[k])) {
    // PyTorch warns and broadcasts; the broadcast must still be valid
    ops.broadcastShapes(input.shape, target.shape);
    void name;
  }
}
const absT = (t: Tensor) => ops.unary("abs", t);
/** The reduction, or the one PyTorch's legacy sizeAverage / reduce arguments ask for. */
const R = (o: { sizeAverage?: boolean | null; reduce?: boolean | null; reduction: string }) =>
  legacyReduction(o.sizeAverage, o.reduce, o.reduction) as Reduction;
/** s - t (differentiable). */
const rsub = (t: Tensor, s: number) => ops.add(ops.unary("neg", t), s);
/** x log y with 0 where x == 0 (xlogy), differentiable in both where finite. */
function xlogy(x: Tensor, y: Tensor): Tensor {
  const pos = ops.compare("gt", x, 0);
  const safe = ops.where(pos, y, ops.fullLike(y, 1));
  return ops.where(pos, ops.mul(x, ops.unary("log", safe)), ops.fullLike(x, 0));
}

/** F.l1Loss(input, target, { reduction }) = |input - target|. */
export function l1Loss(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.l1Loss", rest, {
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  checkSameSize(input, target, "l1_loss");
  return reduce(absT(ops.sub(input, target)), red("l1_loss", R(o)));
}

/** F.smoothL1Loss(input, target, { reduction, beta = 1 }): 0.5 d^2 / beta below beta, |d| - beta/2 above. */
export function smoothL1Loss(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.smoothL1Loss", rest, {
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
    beta: [A.num, 1],
  });
  if (o.beta < 0) throw new RangeError("smooth_l1_loss does not support negative values for beta.");
  checkSameSize(input, target, "smooth_l1_loss");
  const d = ops.sub(input, target),
    ad = absT(d);
  if (o.beta === 0) return reduce(ad, R(o));
  const l = ops.where(ops.compare("lt", ad, o.beta), ops.mul(ops.mul(d, d), 0.5 / o.beta), ops.sub(ad, 0.5 * o.beta));
  return reduce(l, R(o));
}

/** F.huberLoss(input, target, { reduction, delta = 1 }): 0.5 d^2 below delta, delta (|d| - delta/2) above. */
export function huberLoss(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.huberLoss", rest, { reduction: reductionArg(), delta: [A.num, 1] });
  if (!(o.delta > 0)) throw new RangeError("huber_loss does not support non-positive values for delta.");
  checkSameSize(input, target, "huber_loss");
  const d = ops.sub(input, target),
    ad = absT(d);
  const l = ops.where(
    ops.compare("lt", ad, o.delta),
    ops.mul(ops.mul(d, d), 0.5),
    ops.mul(ops.sub(ad, 0.5 * o.delta), o.delta),
  );
  return reduce(l, o.reduction);
}

/** F.klDiv(input (log-probabilities), target, { reduction = "mean" | "batchmean" | "sum" | "none", logTarget = false }). */
export function klDiv(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.klDiv", rest, {
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: [A.oneOf("mean", "batchmean", "sum", "none"), "mean"],
    logTarget: [A.bool, false],
  });
  const reduction = legacyReduction(o.sizeAverage, o.reduce, o.reduction) as Reduction | "batchmean";
  const l = o.logTarget
    ? ops.mul(ops.unary("exp", target), ops.sub(target, input))
    : ops.sub(xlogy(target, target), ops.mul(target, input));
  if (reduction === "batchmean") return input.dim() === 0 ? ops.sum(l) : ops.div(ops.sum(l), input.shape[0]);
  return reduce(l, reduction);
}

/** PyTorch's legacy size_average / reduce arguments, when given, decide the reduction. */
export function legacyReduction(sizeAverage: unknown, reduceArg: unknown, reduction: string): string {
  if (sizeAverage == null && reduceArg == null) return reduction;
  const sa = sizeAverage ?? true,
    rd = reduceArg ?? true;
  return !rd ? "none" : sa ? "mean" : "sum";
}

/** F.marginRankingLoss(x1, x2, y, { margin = 0, reduction }) = max(0, -y (x1 - x2) + margin). */
export function marginRankingLoss(x1: Tensor, x2: Tensor, y: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.marginRankingLoss", rest, {
    margin: [A.num, 0],
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  if (x1.dim() !== x2.dim() || x1.dim() !== y.dim()) {
    throw new RangeError(
      `margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: [${x1.shape.join(", ")}], input2: [${x2.shape.join(", ")}], target: [${y.shape.join(", ")}] `,
    );
  }
  const l = ops.clamp(ops.add(ops.mul(ops.unary("neg", y), ops.sub(x1, x2)), o.margin), 0);
  return reduce(l, R(o));
}

/** F.hingeEmbeddingLoss(x, y, { margin = 1, reduction }): x where y == 1, max(0, margin - x) where y == -1. */
export function hingeEmbeddingLoss(x: Tensor, y: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.hingeEmbeddingLoss", rest, {
    margin: [A.num, 1],
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  const zeros = ops.fullLike(x, 0);
  const marginClamp = ops.clamp(rsub(x, o.margin), 0);
  const outMargin = ops.where(ops.compare("ne", y, 1), marginClamp, zeros);
  const outSelf = ops.where(ops.compare("ne", y, -1), x, zeros);
  return reduce(ops.add(outMargin, outSelf), R(o));
}

/** F.softMarginLoss(x, y, { reduction }) = log(1 + exp(-y x)). */
export function softMarginLoss(x: Tensor, y: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.softMarginLoss", rest, {
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  return reduce(ops.unary("softplus", ops.unary("neg", ops.mul(y, x)), [1, 20]), R(o));
}

/** F.multilabelSoftMarginLoss(x [N, C], y, { weight, reduction }): per-class BCE with logits, averaged over C. */
export function multilabelSoftMarginLoss(x: Tensor, y: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.multilabelSoftMarginLoss", rest, {
    weight: [A.optTensor, null],
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  let l = ops.unary(
    "neg",
    ops.add(ops.mul(y, ops.unary("logsigmoid", x)), ops.mul(rsub(y, 1), ops.unary("logsigmoid", ops.unary("neg", x)))),
  );
  if (o.weight) l = ops.mul(l, o.weight);
  const cd = x.dim() - 1;
  l = ops.div(ops.sum(l, cd), x.shape[cd]);
  return reduce(l, R(o));
}

/** F.poissonNllLoss(input, target, { logInput = true, full = false, eps = 1e-8, reduction }). */
export function poissonNllLoss(input: Tensor, target: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.poissonNllLoss", rest, {
    logInput: [A.bool, true],
    full: [A.bool, false],
    sizeAverage: [A.nullable(A.bool), null],
    eps: [A.num, 1e-8],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  let l = o.logInput
    ? ops.sub(ops.unary("exp", input), ops.mul(target, input))
    : ops.sub(input, ops.mul(target, ops.unary("log", ops.add(input, o.eps))));
  if (o.full) {
    const t = target.detach();
    const st = ops.add(
      ops.sub(xlogy(t, t), t),
      ops.mul(ops.unary("log", ops.mul(ops.where(ops.compare("gt", t, 0), t, ops.fullLike(t, 1)), 2 * Math.PI)), 0.5),
    );
    l = ops.add(l, ops.where(ops.compare("gt", t, 1), st, ops.fullLike(t, 0)));
  }
  return reduce(l, legacyReduction(o.sizeAverage, o.reduce, o.reduction) as Reduction);
}

/** F.gaussianNllLoss(input, target, var, { full = false, eps = 1e-6, reduction }). */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor | number, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.gaussianNllLoss", rest, {
    full: [A.bool, false],
    eps: [A.num, 1e-6],
    reduction: reductionArg(),
  });
  let v = typeof variance === "number" ? ops.full([], variance) : variance;
  if (!sameShapeArr(v.shape, input.shape)) {
    if (sameShapeArr(input.shape.slice(0, -1), v.shape)) v = ops.unsqueeze(v, -1);
    else if (
      !(sameShapeArr(input.shape.slice(0, -1), v.shape.slice(0, -1)) && v.shape[v.dim() - 1] === 1) &&
      v.dim() !== 0
    ) {
      throw new RangeError("var is of incorrect size");
    }
  }
  if (
    noGrad(() =>
      ops
        .compare("lt", v, 0)
        .toFloat32Array()
        .some((b) => b !== 0),
    )
  )
    throw new RangeError("var has negative entry/entries");
  // var clamped at eps without affecting its gradient (PyTorch clamps in place under no_grad)
  const vd = v.detach(),
    shift = noGrad(() => ops.sub(ops.clamp(vd, o.eps), vd));
  const vc = ops.add(v, shift);
  const d = ops.sub(input, target);
  let l = ops.mul(ops.add(ops.unary("log", vc), ops.div(ops.mul(d, d), vc)), 0.5);
  if (o.full) l = ops.add(l, 0.5 * Math.log(2 * Math.PI));
  return reduce(l, o.reduction);
}
function sameShapeArr(a: number[], b: number[]) {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

/** p-norm over dim (p = 2, 1, Infinity or any positive number). */
function pnorm(v: Tensor, p: number, dim: number, keepdim: boolean): Tensor {
  if (p === 2) return ops.unary("sqrt", ops.sum(ops.mul(v, v), dim, keepdim));
  if (p === 1) return ops.sum(absT(v), dim, keepdim);
  if (p === Infinity) return ops.maxDim(absT(v), dim, keepdim).values;
  if (p === 0) return ops.sum(ops.compare("ne", v, 0).to("float32"), dim, keepdim);
  return ops.pow(ops.sum(ops.pow(absT(v), p), dim, keepdim), 1 / p);
}

/** F.pairwiseDistance(x1, x2, { p = 2, eps = 1e-6, keepdim = false }) = ||x1 - x2 + eps||_p over the last dim. */
export function pairwiseDistance(x1: Tensor, x2: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.pairwiseDistance", rest, { p: [A.num, 2], eps: [A.num, 1e-6], keepdim: [A.bool, false] });
  const nd = Math.max(x1.dim(), x2.dim());
  const v = ops.add(ops.sub(x1, x2), o.eps);
  if (nd === 0) return absT(v);
  return pnorm(v, o.p, nd - 1, o.keepdim);
}

/** F.cosineSimilarity(x1, x2, { dim = 1, eps = 1e-8 }). */
export function cosineSimilarity(x1: Tensor, x2: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.cosineSimilarity", rest, { dim: [A.int, 1], eps: [A.num, 1e-8] });
  const shape = ops.broadcastShapes(x1.shape, x2.shape);
  const d = normDim(o.dim, shape.length);
  if (!sameShapeArr(x1.shape, shape)) x1 = ops.expand(x1, shape);
  if (!sameShapeArr(x2.shape, shape)) x2 = ops.expand(x2, shape);
  const n1 = ops.sum(ops.mul(x1, x1), d),
    n2 = ops.sum(ops.mul(x2, x2), d);
  const e2 = o.eps * o.eps;
  const den = ops.unary("sqrt", ops.mul(ops.clamp(n1, e2), ops.clamp(n2, e2)));
  return ops.div(ops.sum(ops.mul(x1, x2), d), den);
}

/** F.normalize(x, { p = 2, dim = 1, eps = 1e-12 }) = x / max(||x||_p, eps) along dim. */
export function normalize(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.normalize", rest, { p: [A.num, 2], dim: [A.int, 1], eps: [A.num, 1e-12] });
  const d = normDim(o.dim, x.dim());
  return ops.div(x, ops.clamp(pnorm(x, o.p, d, true), o.eps));
}

/** F.oneHot(t (int64), numClasses = -1 (max + 1)) -> int64 [..., numClasses]. */
export function oneHot(t: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.oneHot", rest, { numClasses: [A.int, -1] });
  if (t.dtype !== "int64") throw new TypeError("one_hot is only applicable to index tensor.");
  const v = t.toFloat32Array();
  let C = o.numClasses;
  if (C === -1) C = v.length ? Math.max(...v) + 1 : 0;
  for (const x of v) {
    if (x < 0) throw new RangeError("Class values must be non-negative.");
    if (x >= C) throw new RangeError("Class values must be smaller than num_classes.");
  }
  const data = new Array(v.length * C).fill(0);
  v.forEach((x, k) => {
    data[k * C + x] = 1;
  });
  return tensor(data, { shape: [...t.shape, C], dtype: "int64" });
}

/** F.cosineEmbeddingLoss(x1, x2, y, { margin = 0, reduction }): 1 - cos where y == 1, max(0, cos - margin) where y == -1. */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.cosineEmbeddingLoss", rest, {
    margin: [A.num, 0],
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  const td = x1.dim() === 1 ? 0 : 1;
  const EPS = 1e-12;
  const prod = ops.sum(ops.mul(x1, x2), td);
  const m1 = ops.add(ops.sum(ops.mul(x1, x1), td), EPS),
    m2 = ops.add(ops.sum(ops.mul(x2, x2), td), EPS);
  const cos = ops.div(prod, ops.unary("sqrt", ops.mul(m1, m2)));
  const zeros = ops.fullLike(cos, 0);
  const pos = rsub(cos, 1),
    neg = ops.clamp(ops.sub(cos, o.margin), 0);
  const l = ops.add(ops.where(ops.compare("eq", y, 1), pos, zeros), ops.where(ops.compare("eq", y, -1), neg, zeros));
  return reduce(l, R(o));
}

/** F.tripletMarginLoss(anchor, positive, negative, { margin = 1, p = 2, eps = 1e-6, swap = false, reduction }). */
export function tripletMarginLoss(a: Tensor, p: Tensor, n: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.tripletMarginLoss", rest, {
    margin: [A.num, 1],
    p: [A.num, 2],
    eps: [A.num, 1e-6],
    swap: [A.bool, false],
    sizeAverage: [A.nullable(A.bool), null],
    reduce: [A.nullable(A.bool), null],
    reduction: reductionArg(),
  });
  const dist = (u: Tensor, v: Tensor) => pairwiseDistance(u, v, { p: o.p, eps: o.eps });
  const dPos = dist(a, p);
  let dNeg = dist(a, n);
  if (o.swap) dNeg = ops.minimum(dNeg, dist(p, n));
  const l = ops.clamp(ops.add(ops.sub(dPos, dNeg), o.margin), 0);
  return reduce(l, legacyReduction(o.sizeAverage, o.reduce, o.reduction) as Reduction);
}

// ------------------------------------------------------------------ CTC

type Lengths = Tensor | number[];
const lengthsOf = (l: Lengths, what: string): number[] => {
  const v = l instanceof Tensor ? Array.from(l.toFloat32Array()) : l.slice();
  if (v.some((x) => !Number.isInteger(x) || x < 0))
    throw new RangeError(`ctc_loss: ${what} must be non-negative integers`);
  return v;
};
const logAdd = (a: number, b: number) => {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

/** Per-sample CTC negative log likelihood [N] with PyTorch's gradient (alpha-beta recursions in
 *  float64 over the host copy of logProbs [T, N, C]). */
function ctcNll(
  logProbs: Tensor,
  targets: Tensor,
  inLen: number[],
  tgtLen: number[],
  blank: number,
  zeroInfinity: boolean,
): Tensor {
  const [T, N, C] = logProbs.shape;
  const lp = logProbs.dataSync() as ArrayLike<number>,
    tg = Array.from(targets.dataSync() as ArrayLike<number>, Number);
  const concat = targets.dim() === 1;
  const offsets: number[] = [];
  let acc = 0;
  for (let n = 0; n < N; n++) {
    offsets.push(concat ? acc : n * (targets.dim() === 2 ? targets.shape[1] : 0));
    acc += tgtLen[n];
  }
  for (let n = 0; n < N; n++) {
    if (inLen[n] > T)
      throw new RangeError(
        `Expected input_lengths to have value at most ${T}, but got value ${inLen[n]} (while checking arguments for ctc_loss_cpu)`,
      );
    if (!concat && tgtLen[n] > targets.shape[1])
      throw new RangeError(
        `Expected tensor to have size at least ${tgtLen[n]} at dimension 1, but got size ${targets.shape[1]} for argument #2 'targets' (while checking arguments for ctc_loss_cpu)`,
      );
  }
  const at = (t: number, n: number, c: number) => lp[(t * N + n) * C + c];
  const nll = new Float64Array(N);
  const alphas: Float64Array[] = [],
    betas: Float64Array[] = [];
  for (let n = 0; n < N; n++) {
    const L = tgtLen[n],
      S = 2 * L + 1,
      Tn = inLen[n];
    const lab = (s: number) => (s % 2 === 0 ? blank : tg[offsets[n] + (s - 1) / 2]);
    const alpha = new Float64Array(Math.max(Tn, 1) * S).fill(-Infinity);
    const beta = new Float64Array(Math.max(Tn, 1) * S).fill(-Infinity);
    if (Tn > 0) {
      alpha[0] = at(0, n, blank);
      if (S > 1) alpha[1] = at(0, n, lab(1));
      for (let t = 1; t < Tn; t++) {
        for (let s = 0; s < S; s++) {
          const l = lab(s);
          let v = alpha[(t - 1) * S + s];
          if (s > 0) v = logAdd(v, alpha[(t - 1) * S + s - 1]);
          if (s > 1 && l !== blank && lab(s - 2) !== l) v = logAdd(v, alpha[(t - 1) * S + s - 2]);
          alpha[t * S + s] = v === -Infinity ? -Infinity : v + at(t, n, l);
        }
      }
      const e = (Tn - 1) * S;
      nll[n] = -logAdd(alpha[e + S - 1], S > 1 ? alpha[e + S - 2] : -Infinity);
      beta[e + S - 1] = at(Tn - 1, n, blank);
      if (S > 1) beta[e + S - 2] = at(Tn - 1, n, lab(S - 2));
      for (let t = Tn - 2; t >= 0; t--) {
        for (let s = 0; s < S; s++) {
          const l = lab(s);
          let v = beta[(t + 1) * S + s];
          if (s < S - 1) v = logAdd(v, beta[(t + 1) * S + s + 1]);
          if (s < S - 2 && l !== blank && lab(s + 2) !== l) v = logAdd(v, beta[(t + 1) * S + s + 2]);
          beta[t * S + s] = v === -Infinity ? -Infinity : v + at(t, n, l);
        }
      }
    } else nll[n] = L === 0 ? 0 : Infinity;
    alphas.push(alpha);
    betas.push(beta);
  }
  const out = tensor(
    Array.from(nll, (v) => (zeroInfinity && v === Infinity ? 0 : v)),
    { shape: [N] },
  );
  return ops.record(out, "CtcLossBackward", [logProbs], (g) => {
    const gv = g.dataSync() as ArrayLike<number>;
    const grad = new Float64Array(T * N * C);
    for (let n = 0; n < N; n++) {
      const L = tgtLen[n],
        S = 2 * L + 1,
        Tn = inLen[n];
      if (zeroInfinity && nll[n] === Infinity) continue;
      const lab = (s: number) => (s % 2 === 0 ? blank : tg[offsets[n] + (s - 1) / 2]);
      const lcab = new Float64Array(C);
      for (let t = 0; t < Tn; t++) {
        lcab.fill(-Infinity);
        for (let s = 0; s < S; s++) {
          const l = lab(s);
          lcab[l] = logAdd(lcab[l], alphas[n][t * S + s] + betas[n][t * S + s]);
        }
        for (let c = 0; c < C; c++) {
          const v = at(t, n, c);
          grad[(t * N + n) * C + c] = (Math.exp(v) - Math.exp(lcab[c] + nll[n] - v)) * gv[n];
        }
      }
    }
    return [tensor(grad, { shape: [T, N, C] })];
  });
}

/** F.ctcLoss(logProbs [T, N, C] (or [T, C]), targets [N, S] or concatenated 1-d, inputLengths,
 *  targetLengths, { blank = 0, reduction = "mean", zeroInfinity = false }) with PyTorch's semantics:
 *  "mean" divides each loss by its target length, then averages over the batch. */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Lengths,
  targetLengths: Lengths,
  ...rest: unknown[]
): Tensor {
  const o = parseArgs("F.ctcLoss", rest, {
    blank: [A.int, 0],
    reduction: reductionArg(),
    zeroInfinity: [A.bool, false],
  });
  const unbatched = logProbs.dim() === 2;
  const lp = unbatched ? ops.unsqueeze(logProbs, 1) : logProbs;
  const tg = unbatched && targets.dim() === 1 ? ops.unsqueeze(targets, 0) : targets;
  if (lp.dim() !== 3) throw new RangeError(`ctc_loss: expected log_probs to be 2-D or 3-D, got ${logProbs.dim()}-D`);
  const N = lp.shape[1],
    C = lp.shape[2];
  if (o.blank < 0 || o.blank >= C) throw new RangeError("blank must be in label range");
  const il = lengthsOf(inputLengths, "input_lengths"),
    tl = lengthsOf(targetLengths, "target_lengths");
  if (il.length !== N) throw new RangeError(`input_lengths must be of size batch_size`);
  if (tl.length !== N) throw new RangeError(`target_lengths must be of size batch_size`);
  let loss = ctcNll(lp, tg, il, tl, o.blank, o.zeroInfinity);
  if (o.reduction === "none") return unbatched ? ops.squeeze(loss, 0) : loss;
  if (o.reduction === "sum") return ops.sum(loss);
  loss = ops.div(
    loss,
    tensor(
      tl.map((v) => Math.max(v, 1)),
      { shape: [N] },
    ),
  );
  return ops.mean(loss);
}
