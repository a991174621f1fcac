// Loss modules: CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss.

import type { Tensor } from "../tensor.js";
import * as L from "./functional/loss.js";
import { Module, pyFloat } from "./module.js";

abstract class Loss extends Module {
  readonly reduction: L.Reduction;
  constructor(reduction: L.Reduction = "mean") {
    super();
    if (!["mean", "sum", "none"].includes(reduction)) throw new RangeError(`${reduction} is not a valid value for reduction`);
    this.reduction = reduction;
  }
  abstract forward(input: Tensor, target: Tensor): Tensor;
}

/** `new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits [N, C], target int64 [N])`. */
export class CrossEntropyLoss extends Loss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: { weight?: Tensor | null; reduction?: L.Reduction; ignoreIndex?: number; labelSmoothing?: number } = {}) {
    super(opts.reduction);
    this.registerBuffer("weight", opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.crossEntropy(input, target, { weight: (this as any).weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

export class NLLLoss extends Loss {
  readonly ignoreIndex: number;
  constructor(opts: { weight?: Tensor | null; reduction?: L.Reduction; ignoreIndex?: number } = {}) {
    super(opts.reduction);
    this.registerBuffer("weight", opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.nllLoss(input, target, { weight: (this as any).weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class MSELoss extends Loss {
  constructor(opts: { reduction?: L.Reduction } = {}) { super(opts.reduction); }
  forward(input: Tensor, target: Tensor): Tensor { return L.mseLoss(input, target, { reduction: this.reduction }); }
}

export class BCELoss extends Loss {
  constructor(opts: { weight?: Tensor | null; reduction?: L.Reduction } = {}) {
    super(opts.reduction);
    this.registerBuffer("weight", opts.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropy(input, target, { weight: (this as any).weight, reduction: this.reduction });
  }
}

export class BCEWithLogitsLoss extends Loss {
  constructor(opts: { weight?: Tensor | null; reduction?: L.Reduction; posWeight?: Tensor | null } = {}) {
    super(opts.reduction);
    this.registerBuffer("weight", opts.weight ?? null);
    this.registerBuffer("pos_weight", opts.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropyWithLogits(input, target, { weight: (this as any).weight, posWeight: (this as any).pos_weight, reduction: this.reduction });
  }
}
export { pyFloat };
