// Normalisation layers: BatchNorm1d/2d/3d (running stats as buffers, updated in train mode) and
// LayerNorm, with PyTorch's parameter/buffer names, defaults and print text.

import { noGrad } from "../runtime.js";
import { empty, tensor } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { batchNorm, groupNorm, instanceNorm, layerNorm, rmsNorm } from "./functional/norm.js";
import { A, parseArgs } from "../utils/args.js";
import { Module, Parameter, pyFloat, pyRepr } from "./module.js";
import { type ChannelAffine, type FoldableNorm, inheritsForward } from "./fusion.js";

export interface BatchNormOptions {
  eps?: number;
  /** null: cumulative moving average (factor 1 / num_batches_tracked). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** Shared body of BatchNorm1d/2d/3d (PyTorch's _BatchNorm). Mirrors `torch.nn.modules.batchnorm._BatchNorm`. */
export abstract class BatchNormBase extends Module implements FoldableNorm {
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
    if (!Number.isInteger(numFeatures) || numFeatures <= 0)
      throw new RangeError(`${new.target.name}: numFeatures must be a positive integer, got ${numFeatures}`);
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
      weight: this.weight,
      bias: this.bias,
      training: bnTraining,
      momentum: factor,
      eps: this.eps,
    });
    if (updating)
      noGrad(() => {
        const v = nbt!.backendView();
        v[nbt!.offset] += 1;
      });
    return y;
  }

  /** Fusion (nn/fusion.ts): in eval with running stats this is the per-channel affine map
   *  y = (x - mean) / sqrt(var + eps) * weight + bias, which a conv before it may fold into its
   *  weights; null in training, without running stats, for an input forward would refuse, or
   *  when forward is overridden. */
  asChannelAffine(dims: number, channels: number): ChannelAffine | null {
    const mean = this.running_mean,
      variance = this.running_var;
    if (this.training || mean === null || variance === null || channels !== this.numFeatures) return null;
    if (!this.acceptsDims(dims) || !inheritsForward(this, BatchNormBase)) return null;
    if (mean.numel() !== channels || variance.numel() !== channels) return null;
    const weight = this.weight,
      bias = this.bias,
      eps = this.eps;
    for (const t of [mean, variance, weight, bias]) if (t !== null && t.dtype !== "float32") return null;
    return {
      sources: [weight, bias, mean, variance],
      scalars: [eps],
      compute: () => {
        const m = mean.toFloat32Array(),
          v = variance.toFloat32Array();
        const g = weight ? weight.toFloat32Array() : null,
          b = bias ? bias.toFloat32Array() : null;
        const scale = new Float64Array(channels),
          shift = new Float64Array(channels);
        for (let c = 0; c < channels; c++) {
          const s = (g ? g[c] : 1) / Math.sqrt(v[c] + eps);
          scale[c] = s;
          shift[c] = (b ? b[c] : 0) - m[c] * s;
        }
        return { scale, shift };
      },
    };
  }
  /** Whether forward takes an input with this many dims. */
  protected abstract acceptsDims(dims: number): boolean;

  extraRepr(): string {
    const m = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyRepr(this.affine)}, track_running_stats=${pyRepr(this.trackRunningStats)}`;
  }
}

/** Batch norm over [N, C] or [N, C, L]: `new nn.BatchNorm1d(16).forward(torch.randn(8, 16))`. Mirrors `torch.nn.BatchNorm1d`. */
export class BatchNorm1d extends BatchNormBase {
  protected acceptsDims(dims: number): boolean {
    return dims === 2 || dims === 3;
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 2 && x.dim() !== 3) throw new RangeError(`expected 2D or 3D input (got ${x.dim()}D input)`);
  }
}

/** Batch norm over [N, C, H, W]: `new nn.BatchNorm2d(16).forward(torch.randn(8, 16, 5, 5))`. Mirrors `torch.nn.BatchNorm2d`. */
export class BatchNorm2d extends BatchNormBase {
  protected acceptsDims(dims: number): boolean {
    return dims === 4;
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 4) throw new RangeError(`expected 4D input (got ${x.dim()}D input)`);
  }
}

/** Batch norm over [N, C, D, H, W]: `new nn.BatchNorm3d(4).forward(torch.randn(2, 4, 3, 5, 5))`. Mirrors `torch.nn.BatchNorm3d`. */
export class BatchNorm3d extends BatchNormBase {
  protected acceptsDims(dims: number): boolean {
    return dims === 5;
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 5) throw new RangeError(`expected 5D input (got ${x.dim()}D input)`);
  }
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
}

/** Normalises over the trailing dims: `new nn.LayerNorm(10).forward(torch.randn(4, 10))`, or `new nn.LayerNorm([3, 4])`. Mirrors `torch.nn.LayerNorm`. */
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

/** Group norm over [N, C, *]: `new nn.GroupNorm(2, 6).forward(torch.randn(4, 6, 5))`; parameters
 *  `weight`/`bias` [C] when affine. Mirrors `torch.nn.GroupNorm`. */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.GroupNorm", args, {
      numGroups: A.posInt,
      numChannels: A.posInt,
      eps: [A.num, 1e-5],
      affine: [A.bool, true],
    });
    if (o.numChannels % o.numGroups !== 0) throw new RangeError("num_channels must be divisible by num_groups");
    this.numGroups = o.numGroups;
    this.numChannels = o.numChannels;
    this.eps = o.eps;
    this.affine = o.affine;
    this.weight = this.affine ? new Parameter(empty(o.numChannels).fill_(1)) : null;
    this.bias = this.affine ? new Parameter(empty(o.numChannels).fill_(0)) : null;
  }
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyRepr(this.affine)}`;
  }
}

/** Shared body of InstanceNorm1d/2d/3d (PyTorch's _InstanceNorm): affine and running stats off by
 *  default; unbatched inputs (one dim fewer) are accepted. Mirrors `torch.nn.modules.instancenorm._InstanceNorm`. */
export abstract class InstanceNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  /** Dims of an unbatched input ([C, L] for 1d). */
  protected abstract readonly noBatchDim: number;

  constructor(name: string, args: ArrayLike<unknown>) {
    super();
    const o = parseArgs(`nn.${name}`, args, {
      numFeatures: A.posInt,
      eps: [A.num, 1e-5],
      momentum: [A.num, 0.1],
      affine: [A.bool, false],
      trackRunningStats: [A.bool, false],
    });
    this.numFeatures = o.numFeatures;
    this.eps = o.eps;
    this.momentum = o.momentum;
    this.affine = o.affine;
    this.trackRunningStats = o.trackRunningStats;
    this.weight = this.affine ? new Parameter(empty(o.numFeatures).fill_(1)) : null;
    this.bias = this.affine ? new Parameter(empty(o.numFeatures).fill_(0)) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", empty(o.numFeatures).fill_(0));
      this.registerBuffer("running_var", empty(o.numFeatures).fill_(1));
      this.registerBuffer("num_batches_tracked", tensor([0], { dtype: "int64" }).reshape([]));
    } else {
      this.registerBuffer("running_mean", null);
      this.registerBuffer("running_var", null);
      this.registerBuffer("num_batches_tracked", null);
    }
  }

  forward(x: Tensor): Tensor {
    const nd = this.noBatchDim;
    if (x.dim() !== nd && x.dim() !== nd + 1)
      throw new RangeError(`expected ${nd}D or ${nd + 1}D input (got ${x.dim()}D input)`);
    const featureDim = x.dim() - nd;
    if (x.shape[featureDim] !== this.numFeatures && this.affine) {
      throw new RangeError(
        `expected input's size at dim=${featureDim} to match num_features (${this.numFeatures}), but got: ${x.shape[featureDim]}.`,
      );
    }
    const batched = x.dim() === nd + 1 ? x : x.unsqueeze(0);
    const y = instanceNorm(batched, {
      runningMean: this.running_mean,
      runningVar: this.running_var,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum,
      eps: this.eps,
    });
    return batched === x ? y : y.squeeze(0);
  }

  extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${pyRepr(this.affine)}, track_running_stats=${pyRepr(this.trackRunningStats)}`;
  }
}
/** Instance norm over [N, C, L] (or [C, L]). Mirrors `torch.nn.InstanceNorm1d`. */
export class InstanceNorm1d extends InstanceNormBase {
  protected readonly noBatchDim = 2;
  constructor(...args: unknown[]) {
    super("InstanceNorm1d", args);
  }
}
/** Instance norm over [N, C, H, W] (or [C, H, W]). Mirrors `torch.nn.InstanceNorm2d`. */
export class InstanceNorm2d extends InstanceNormBase {
  protected readonly noBatchDim = 3;
  constructor(...args: unknown[]) {
    super("InstanceNorm2d", args);
  }
}
/** Instance norm over [N, C, D, H, W] (or [C, D, H, W]). Mirrors `torch.nn.InstanceNorm3d`. */
export class InstanceNorm3d extends InstanceNormBase {
  protected readonly noBatchDim = 4;
  constructor(...args: unknown[]) {
    super("InstanceNorm3d", args);
  }
}

/** RMS norm over the trailing dims (PyTorch 2.4): `new nn.RMSNorm(16)` or `new nn.RMSNorm([4, 4], { eps: 1e-6 })`;
 *  parameter `weight` (ones) when elementwiseAffine. eps null = float32's machine epsilon. Mirrors `torch.nn.RMSNorm`. */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.RMSNorm", args, {
      normalizedShape: A.intOrTuple,
      eps: [A.nullable(A.num), null],
      elementwiseAffine: [A.bool, true],
    });
    this.normalizedShape = typeof o.normalizedShape === "number" ? [o.normalizedShape] : o.normalizedShape.slice();
    this.eps = o.eps;
    this.elementwiseAffine = o.elementwiseAffine;
    this.weight = this.elementwiseAffine ? new Parameter(empty(this.normalizedShape).fill_(1)) : null;
  }
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, { weight: this.weight, eps: this.eps });
  }
  extraRepr(): string {
    return `${pyRepr(this.normalizedShape)}, eps=${this.eps === null ? "None" : pyFloat(this.eps)}, elementwise_affine=${pyRepr(this.elementwiseAffine)}`;
  }
}
