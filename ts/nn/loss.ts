// Loss modules (PyTorch's constructor arguments in their positional order, or an options object,
// including the legacy sizeAverage / reduce): CrossEntropyLoss, NLLLoss, MSELoss, BCELoss,
// BCEWithLogitsLoss, L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, MarginRankingLoss,
// CosineEmbeddingLoss, TripletMarginLoss, CTCLoss, HingeEmbeddingLoss, SoftMarginLoss,
// MultiLabelSoftMarginLoss, PoissonNLLLoss, GaussianNLLLoss; and CosineSimilarity, PairwiseDistance.
//   new nn.SmoothL1Loss({ beta: 0.5 }).forward(input, target)

import type { Tensor } from "../tensor.js";
import { A, parseArgs } from "../utils/args.js";
import * as L from "./functional/loss.js";
import { Module, pyFloat } from "./module.js";

const RED = () => [A.oneOf("mean", "sum", "none"), "mean"] as const;
const LEGACY = () => [A.nullable(A.bool), null] as const;
const reductionOf = (o: { sizeAverage?: unknown; reduce?: unknown; reduction: string }) =>
  L.legacyReduction(o.sizeAverage, o.reduce, o.reduction) as L.Reduction;

abstract class Loss extends Module {
  readonly reduction: L.Reduction;
  constructor(reduction: L.Reduction = "mean") {
    super();
    if (!["mean", "sum", "none"].includes(reduction))
      throw new RangeError(`${reduction} is not a valid value for reduction`);
    this.reduction = reduction;
  }
  abstract forward(...args: Tensor[]): Tensor;
}

/** `new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits [N, C, ...], target)`: int64 class
 *  indices [N, ...] or class probabilities (float, same shape as logits). Mirrors `torch.nn.CrossEntropyLoss`. */
export class CrossEntropyLoss extends Loss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  declare weight: Tensor | null;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.CrossEntropyLoss", args, {
      weight: [A.optTensor, null],
      sizeAverage: LEGACY(),
      ignoreIndex: [A.int, -100],
      reduce: LEGACY(),
      reduction: RED(),
      labelSmoothing: [A.num, 0],
    });
    super(reductionOf(o));
    this.registerBuffer("weight", o.weight ?? null);
    this.ignoreIndex = o.ignoreIndex;
    this.labelSmoothing = o.labelSmoothing;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/** Negative log-likelihood of log-probabilities [N, C] (or [N, C, d1, ...]) at class targets: `new nn.NLLLoss({ ignoreIndex: -100 })`. Mirrors `torch.nn.NLLLoss`. */
export class NLLLoss extends Loss {
  readonly ignoreIndex: number;
  declare weight: Tensor | null;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.NLLLoss", args, {
      weight: [A.optTensor, null],
      sizeAverage: LEGACY(),
      ignoreIndex: [A.int, -100],
      reduce: LEGACY(),
      reduction: RED(),
    });
    super(reductionOf(o));
    this.registerBuffer("weight", o.weight ?? null);
    this.ignoreIndex = o.ignoreIndex;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** Losses whose only arguments are (sizeAverage, reduce, reduction). */
abstract class PlainLoss extends Loss {
  constructor(name: string, args: ArrayLike<unknown>) {
    super(reductionOf(parseArgs(`nn.${name}`, args, { sizeAverage: LEGACY(), reduce: LEGACY(), reduction: RED() })));
  }
}
/** Mean squared error: `new nn.MSELoss().forward(input, target)`. Mirrors `torch.nn.MSELoss`. */
export class MSELoss extends PlainLoss {
  constructor(...args: unknown[]) {
    super("MSELoss", args);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.mseLoss(input, target, { reduction: this.reduction });
  }
}
/** Mean absolute error: `new nn.L1Loss().forward(input, target)`. Mirrors `torch.nn.L1Loss`. */
export class L1Loss extends PlainLoss {
  constructor(...args: unknown[]) {
    super("L1Loss", args);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.l1Loss(input, target, { reduction: this.reduction });
  }
}
/** Two-class logistic loss log(1 + exp(-y x)) for targets y in {-1, 1}. Mirrors `torch.nn.SoftMarginLoss`. */
export class SoftMarginLoss extends PlainLoss {
  constructor(...args: unknown[]) {
    super("SoftMarginLoss", args);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** Losses with a `weight` buffer first: (weight, sizeAverage, reduce, reduction). */
abstract class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(name: string, args: ArrayLike<unknown>) {
    const o = parseArgs(`nn.${name}`, args, {
      weight: [A.optTensor, null],
      sizeAverage: LEGACY(),
      reduce: LEGACY(),
      reduction: RED(),
    });
    super(reductionOf(o));
    this.registerBuffer("weight", o.weight ?? null);
  }
}
/** Binary cross-entropy of probabilities in [0, 1] against targets, optionally weighted. Mirrors `torch.nn.BCELoss`. */
export class BCELoss extends WeightedLoss {
  constructor(...args: unknown[]) {
    super("BCELoss", args);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}
/** Multi-label one-versus-all loss over logits [N, C] and 0/1 targets. Mirrors `torch.nn.MultiLabelSoftMarginLoss`. */
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  constructor(...args: unknown[]) {
    super("MultiLabelSoftMarginLoss", args);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** `new nn.BCEWithLogitsLoss({ posWeight })`: buffers `weight` and `pos_weight`. Mirrors `torch.nn.BCEWithLogitsLoss`. */
export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.BCEWithLogitsLoss", args, {
      weight: [A.optTensor, null],
      sizeAverage: LEGACY(),
      reduce: LEGACY(),
      reduction: RED(),
      posWeight: [A.optTensor, null],
    });
    super(reductionOf(o));
    this.registerBuffer("weight", o.weight ?? null);
    this.registerBuffer("pos_weight", o.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.pos_weight,
      reduction: this.reduction,
    });
  }
}

/** L1 loss that is quadratic below `beta`: `new nn.SmoothL1Loss({ beta: 1 })`. Mirrors `torch.nn.SmoothL1Loss`. */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.SmoothL1Loss", args, {
      sizeAverage: LEGACY(),
      reduce: LEGACY(),
      reduction: RED(),
      beta: [A.num, 1],
    });
    super(reductionOf(o));
    this.beta = o.beta;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}
/** Huber loss: quadratic below `delta`, linear above: `new nn.HuberLoss({ delta: 1 })`. Mirrors `torch.nn.HuberLoss`. */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.HuberLoss", args, { reduction: RED(), delta: [A.num, 1] });
    super(o.reduction);
    this.delta = o.delta;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** `new nn.KLDivLoss({ reduction: "batchmean", logTarget: true })`. Mirrors `torch.nn.KLDivLoss`. */
export class KLDivLoss extends Module {
  readonly reduction: L.Reduction | "batchmean";
  readonly logTarget: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.KLDivLoss", args, {
      sizeAverage: LEGACY(),
      reduce: LEGACY(),
      reduction: [A.oneOf("mean", "batchmean", "sum", "none"), "mean"],
      logTarget: [A.bool, false],
    });
    this.reduction = L.legacyReduction(o.sizeAverage, o.reduce, o.reduction) as L.Reduction | "batchmean";
    this.logTarget = o.logTarget;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** Losses with (margin, sizeAverage, reduce, reduction). */
abstract class MarginLoss extends Loss {
  readonly margin: number;
  constructor(name: string, args: ArrayLike<unknown>, dflt: number) {
    const o = parseArgs(`nn.${name}`, args, {
      margin: [A.num, dflt],
      sizeAverage: LEGACY(),
      reduce: LEGACY(),
      reduction: RED(),
    });
    super(reductionOf(o));
    this.margin = o.margin;
  }
}
/** max(0, -y (x1 - x2) + margin) for targets y in {-1, 1}. Mirrors `torch.nn.MarginRankingLoss`. */
export class MarginRankingLoss extends MarginLoss {
  constructor(...args: unknown[]) {
    super("MarginRankingLoss", args, 0);
  }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return L.marginRankingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }
}
/** 1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1. Mirrors `torch.nn.CosineEmbeddingLoss`. */
export class CosineEmbeddingLoss extends MarginLoss {
  constructor(...args: unknown[]) {
    super("CosineEmbeddingLoss", args, 0);
  }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return L.cosineEmbeddingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }
}
/** x for y = 1, max(0, margin - x) for y = -1. Mirrors `torch.nn.HingeEmbeddingLoss`. */
export class HingeEmbeddingLoss extends MarginLoss {
  constructor(...args: unknown[]) {
    super("HingeEmbeddingLoss", args, 1);
  }
  forward(x: Tensor, y: Tensor): Tensor {
    return L.hingeEmbeddingLoss(x, y, { margin: this.margin, reduction: this.reduction });
  }
}

/** max(d(anchor, positive) - d(anchor, negative) + margin, 0) with the p-norm distance. Mirrors `torch.nn.TripletMarginLoss`. */
export class TripletMarginLoss extends Loss {
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.TripletMarginLoss", args, {
      margin: [A.num, 1],
      p: [A.num, 2],
      eps: [A.num, 1e-6],
      swap: [A.bool, false],
      sizeAverage: LEGACY(),
      reduce: LEGACY(),
      reduction: RED(),
    });
    super(reductionOf(o));
    this.margin = o.margin;
    this.p = o.p;
    this.eps = o.eps;
    this.swap = o.swap;
  }
  forward(a: Tensor, p: Tensor, n: Tensor): Tensor {
    return L.tripletMarginLoss(a, p, n, {
      margin: this.margin,
      p: this.p,
      eps: this.eps,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

/** Negative log-likelihood of a Poisson target (input as log-rate by default). Mirrors `torch.nn.PoissonNLLLoss`. */
export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.PoissonNLLLoss", args, {
      logInput: [A.bool, true],
      full: [A.bool, false],
      sizeAverage: LEGACY(),
      eps: [A.num, 1e-8],
      reduce: LEGACY(),
      reduction: RED(),
    });
    super(reductionOf(o));
    this.logInput = o.logInput;
    this.full = o.full;
    this.eps = o.eps;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.poissonNllLoss(input, target, {
      logInput: this.logInput,
      full: this.full,
      eps: this.eps,
      reduction: this.reduction,
    });
  }
}

/** `new nn.GaussianNLLLoss({ full, eps, reduction })` (keyword-only in PyTorch): forward(input, target, var). Mirrors `torch.nn.GaussianNLLLoss`. */
export class GaussianNLLLoss extends Loss {
  readonly full: boolean;
  readonly eps: number;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.GaussianNLLLoss", args, {
      full: A.kw(A.bool, false),
      eps: A.kw(A.num, 1e-6),
      reduction: A.kw(A.oneOf("mean", "sum", "none"), "mean"),
    });
    super(o.reduction);
    this.full = o.full;
    this.eps = o.eps;
  }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return L.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/** `new nn.CTCLoss({ blank, reduction, zeroInfinity })`: forward(logProbs [T, N, C], targets, inputLengths, targetLengths). Mirrors `torch.nn.CTCLoss`. */
export class CTCLoss extends Loss {
  readonly blank: number;
  readonly zeroInfinity: boolean;
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.CTCLoss", args, {
      blank: [A.nonNegInt, 0],
      reduction: RED(),
      zeroInfinity: [A.bool, false],
    });
    super(o.reduction);
    this.blank = o.blank;
    this.zeroInfinity = o.zeroInfinity;
  }
  forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Tensor | number[],
    targetLengths: Tensor | number[],
  ): Tensor {
    return L.ctcLoss(logProbs, targets, inputLengths, targetLengths, {
      blank: this.blank,
      reduction: this.reduction,
      zeroInfinity: this.zeroInfinity,
    });
  }
}

/** Cosine similarity along dim: `new nn.CosineSimilarity({ dim: 1, eps: 1e-8 })`. Mirrors `torch.nn.CosineSimilarity`. */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.CosineSimilarity", args, { dim: [A.int, 1], eps: [A.num, 1e-8] });
    this.dim = o.dim;
    this.eps = o.eps;
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return L.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps });
  }
}
/** p-norm distance of x1 - x2 over the last dim: `new nn.PairwiseDistance({ p: 1 })`. Mirrors `torch.nn.PairwiseDistance`. */
export class PairwiseDistance extends Module {
  readonly norm: number;
  readonly eps: number;
  readonly keepdim: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.PairwiseDistance", args, { p: [A.num, 2], eps: [A.num, 1e-6], keepdim: [A.bool, false] });
    this.norm = o.p;
    this.eps = o.eps;
    this.keepdim = o.keepdim;
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return L.pairwiseDistance(x1, x2, { p: this.norm, eps: this.eps, keepdim: this.keepdim });
  }
}
export { pyFloat };
