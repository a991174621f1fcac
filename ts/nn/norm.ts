// Normalisation layers: BatchNorm1d/2d/3d (running stats as buffers, updated in train mode) and
// LayerNorm, with PyTorch's parameter/buffer names, defaults and print text.

import { noGrad } from "../runtime.js";
import { empty, tensor } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { batchNorm, layerNorm } from "./functional/norm.js";
import { Module, Parameter, pyFloat, pyRepr } from "./module.js";

export interface BatchNormOptions {
  eps?: number;
  /** null: cumulative moving average (factor 1 / num_batches_tracked). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** Shared body of BatchNorm1d/2d/3d (PyTorch's _BatchNorm). */
export abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new RangeError(`${new.target.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? new Parameter(empty(numFeatures).fill_(1)) : null;
    this.bias = this.affine ? new Parameter(empty(numFeatures).fill_(0)) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", empty(numFeatures).fill_(0));
      this.registerBuffer("running_var", empty(numFeatures).fill_(1));
      this.registerBuffer("num_batches_tracked", tensor([0], { dtype: "int64" }).reshape([]));
    } else {
      this.registerBuffer("running_mean", null);
      this.registerBuffer("running_var", null);
      this.registerBuffer("num_batches_tracked", null);
    }
  }

  /** Throws PyTorch's error for an input of the wrong rank. */
  protected abstract checkInputDim(x: Tensor): void;

  /** Sets the running stats back to mean 0, variance 1 and zero batches. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    this.running_mean!.fill_(0);
    this.running_var!.fill_(1);
    this.num_batches_tracked!.fill_(0);
  }

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`running_mean should contain ${x.shape[1]} elements not ${this.numFeatures}`);
    }
    const nbt = this.num_batches_tracked;
    const updating = this.training && this.trackRunningStats && nbt !== null;
    let factor = this.momentum ?? 0;
    if (updating && this.momentum === null) factor = 1 / (nbt!.item() + 1);
    const bnTraining = this.training || (this.running_mean === null && this.running_var === null);
    const useRunning = !this.training || this.trackRunningStats;
    const y = batchNorm(x, useRunning ? this.running_mean : null, useRunning ? this.running_var : null, {
      weight: this.weight, bias: this.bias, training: bnTraining, momentum: factor, eps: this.eps,
    });
    if (updating) noGrad(() => { const v = nbt!.backendView(); v[nbt!.offset] += 1; });
    return y;
  }

  extraRepr(): string {
    const m = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyRepr(this.affine)}, track_running_stats=${pyRepr(this.trackRunningStats)}`;
  }
}

/** Batch norm over [N, C] or [N, C, L]: `new nn.BatchNorm1d(16).forward(torch.randn(8, 16))`. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 2 && x.dim() !== 3) throw new RangeError(`expected 2D or 3D input (got ${x.dim()}D input)`);
  }
}

/** Batch norm over [N, C, H, W]: `new nn.BatchNorm2d(16).forward(torch.randn(8, 16, 5, 5))`. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 4) throw new RangeError(`expected 4D input (got ${x.dim()}D input)`);
  }
}

/** Batch norm over [N, C, D, H, W]: `new nn.BatchNorm3d(4).forward(torch.randn(2, 4, 3, 5, 5))`. */
export class BatchNorm3d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 5) throw new RangeError(`expected 5D input (got ${x.dim()}D input)`);
  }
}

export interface LayerNormOptions { eps?: number; elementwiseAffine?: boolean; bias?: boolean }

/** Normalises over the trailing dims: `new nn.LayerNorm(10).forward(torch.randn(4, 10))`, or `new nn.LayerNorm([3, 4])`. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape.slice();
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const withBias = opts.bias ?? true;
    this.weight = this.elementwiseAffine ? new Parameter(empty(this.normalizedShape).fill_(1)) : null;
    this.bias = this.elementwiseAffine && withBias ? new Parameter(empty(this.normalizedShape).fill_(0)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  extraRepr(): string {
    return `${pyRepr(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyRepr(this.elementwiseAffine)}`;
  }
}
