// nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d and nn.AdaptiveMaxPool2d: PyTorch's pooling
// modules (options and print text) over the functional pools in functional/pool.ts.

import type { Tensor } from "../tensor.js";
import * as F from "./functional/pool.js";
import type { AdaptiveSize, IntOrPair } from "./functional/pool.js";
import { Module, pyRepr } from "./module.js";

/**
 * 2-d max pooling (stride defaults to the kernel size). With returnIndices, forward returns [output, indices].
 * `new nn.MaxPool2d(2).forward(torch.randn(1, 16, 28, 28))` has shape [1, 16, 14, 14].
 */
export class MaxPool2d extends Module {
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly dilation: IntOrPair;
  readonly ceilMode: boolean;
  readonly returnIndices: boolean;
  constructor(kernelSize: IntOrPair, opts: { stride?: IntOrPair | null; padding?: IntOrPair; dilation?: IntOrPair;
    ceilMode?: boolean; returnIndices?: boolean } = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.ceilMode = opts.ceilMode ?? false;
    this.returnIndices = opts.returnIndices ?? false;
  }
  forward(x: Tensor): any {
    return F.maxPool2d(x, this.kernelSize, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode, returnIndices: this.returnIndices,
    });
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}, dilation=${pyRepr(this.dilation)}, ceil_mode=${pyRepr(this.ceilMode)}`;
  }
}

/**
 * 2-d average pooling (stride defaults to the kernel size; countIncludePad = true counts zero padding).
 * `new nn.AvgPool2d(3, { stride: 2, padding: 1 }).forward(torch.randn(1, 4, 8, 8))` has shape [1, 4, 4, 4].
 */
export class AvgPool2d extends Module {
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(kernelSize: IntOrPair, opts: { stride?: IntOrPair | null; padding?: IntOrPair; ceilMode?: boolean;
    countIncludePad?: boolean; divisorOverride?: number | null } = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  /** PyTorch prints only kernel_size, stride and padding for AvgPool2d. */
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}`;
  }
}

/**
 * Adaptive average pooling to outputSize (an int, or [H, W] where null keeps the input size).
 * `new nn.AdaptiveAvgPool2d(1).forward(torch.randn(2, 64, 7, 7))` has shape [2, 64, 1, 1].
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) { super(); }
  forward(x: Tensor): Tensor { return F.adaptiveAvgPool2d(x, this.outputSize); }
  extraRepr(): string { return `output_size=${pyRepr(this.outputSize)}`; }
}

/**
 * Adaptive max pooling to outputSize; with returnIndices, forward returns [output, indices].
 * `new nn.AdaptiveMaxPool2d([2, 3]).forward(torch.randn(1, 4, 9, 8))` has shape [1, 4, 2, 3].
 */
export class AdaptiveMaxPool2d extends Module {
  readonly returnIndices: boolean;
  constructor(readonly outputSize: AdaptiveSize, opts: { returnIndices?: boolean } = {}) {
    super();
    this.returnIndices = opts.returnIndices ?? false;
  }
  forward(x: Tensor): any { return F.adaptiveMaxPool2d(x, this.outputSize, { returnIndices: this.returnIndices }); }
  extraRepr(): string { return `output_size=${pyRepr(this.outputSize)}`; }
}
