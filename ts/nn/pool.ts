// nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d and nn.AdaptiveMaxPool2d: PyTorch's pooling
// modules (options and print text) over the functional pools in functional/pool.ts.

import type { Tensor } from "../tensor.js";
import * as F from "./functional/pool.js";
import type { AdaptiveSize, IntOrPair } from "./functional/pool.js";
import { Module, pyRepr } from "./module.js";
import { A, parseArgs } from "../utils/args.js";

const MAXPOOL = (_: number) =>
  ({
    kernelSize: A.intOrTuple,
    stride: [A.nullable(A.intOrTuple), null],
    padding: [A.intOrTuple, 0],
    dilation: [A.intOrTuple, 1],
    returnIndices: [A.bool, false],
    ceilMode: [A.bool, false],
  }) as const;
/** What a max pool's forward returns: [values, indices] with returnIndices, else the values. */
export type PoolResult<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

const AVGPOOL = {
  kernelSize: A.intOrTuple,
  stride: [A.nullable(A.intOrTuple), null],
  padding: [A.intOrTuple, 0],
  ceilMode: [A.bool, false],
  countIncludePad: [A.bool, true],
  divisorOverride: [A.nullable(A.int), null],
} as const;

/**
 * 2-d max pooling (stride defaults to the kernel size). With returnIndices, forward returns [output, indices].
 * `new nn.MaxPool2d(2).forward(torch.randn(1, 16, 28, 28))` has shape [1, 16, 14, 14]. Mirrors `torch.nn.MaxPool2d`.
 */
export class MaxPool2d<R extends boolean = false> extends Module {
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly dilation: IntOrPair;
  readonly ceilMode: boolean;
  readonly returnIndices: boolean;
  constructor(
    kernelSize: IntOrPair,
    opts?: {
      stride?: IntOrPair | null;
      padding?: IntOrPair;
      dilation?: IntOrPair;
      ceilMode?: boolean;
      returnIndices?: R;
    },
  );
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.MaxPool2d", args, MAXPOOL(0));
    this.kernelSize = o.kernelSize;
    this.stride = o.stride ?? o.kernelSize;
    this.padding = o.padding;
    this.dilation = o.dilation;
    this.ceilMode = o.ceilMode;
    this.returnIndices = o.returnIndices;
  }
  forward(x: Tensor): PoolResult<R> {
    return F.maxPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    }) as PoolResult<R>;
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}, dilation=${pyRepr(this.dilation)}, ceil_mode=${pyRepr(this.ceilMode)}`;
  }
}

/**
 * 2-d average pooling (stride defaults to the kernel size; countIncludePad = true counts zero padding).
 * `new nn.AvgPool2d(3, { stride: 2, padding: 1 }).forward(torch.randn(1, 4, 8, 8))` has shape [1, 4, 4, 4]. Mirrors `torch.nn.AvgPool2d`.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(
    kernelSize: IntOrPair,
    opts?: {
      stride?: IntOrPair | null;
      padding?: IntOrPair;
      ceilMode?: boolean;
      countIncludePad?: boolean;
      divisorOverride?: number | null;
    },
  );
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.AvgPool2d", args, AVGPOOL);
    this.kernelSize = o.kernelSize;
    this.stride = o.stride ?? o.kernelSize;
    this.padding = o.padding;
    this.ceilMode = o.ceilMode;
    this.countIncludePad = o.countIncludePad;
    this.divisorOverride = o.divisorOverride;
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
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
 * `new nn.AdaptiveAvgPool2d(1).forward(torch.randn(2, 64, 7, 7))` has shape [2, 64, 1, 1]. Mirrors `torch.nn.AdaptiveAvgPool2d`.
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: AdaptiveSize;
  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = parseArgs("nn.AdaptiveAvgPool2d", [outputSize], { outputSize: A.any }).outputSize;
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  extraRepr(): string {
    return `output_size=${pyRepr(this.outputSize)}`;
  }
}

/**
 * Adaptive max pooling to outputSize; with returnIndices, forward returns [output, indices].
 * `new nn.AdaptiveMaxPool2d([2, 3]).forward(torch.randn(1, 4, 9, 8))` has shape [1, 4, 2, 3]. Mirrors `torch.nn.AdaptiveMaxPool2d`.
 */
export class AdaptiveMaxPool2d<R extends boolean = false> extends Module {
  readonly returnIndices: boolean;
  readonly outputSize: AdaptiveSize;
  constructor(outputSize: AdaptiveSize, opts?: { returnIndices?: R });
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.AdaptiveMaxPool2d", args, { outputSize: A.any, returnIndices: [A.bool, false] });
    this.outputSize = o.outputSize;
    this.returnIndices = o.returnIndices;
  }
  forward(x: Tensor): PoolResult<R> {
    return F.adaptiveMaxPool2d(x, this.outputSize, { returnIndices: this.returnIndices }) as PoolResult<R>;
  }
  extraRepr(): string {
    return `output_size=${pyRepr(this.outputSize)}`;
  }
}

// ------------------------------------------------------------------ 1-d and 3-d pools, unpooling

type Tuple = number | number[];
const single = (v: Tuple): number[] => (Array.isArray(v) ? v.slice() : [v]);
const ntup = (v: Tuple, n: number): number[] => (Array.isArray(v) ? v.slice() : new Array(n).fill(v));

/** Shared by MaxPool1d/3d: PyTorch's _MaxPoolNd (sizes kept as given, stride defaults to the kernel size). */
abstract class MaxPoolNd<R extends boolean> extends Module {
  readonly kernelSize: Tuple;
  readonly stride: Tuple;
  readonly padding: Tuple;
  readonly dilation: Tuple;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(name: string, args: unknown[]) {
    super();
    const o = parseArgs(name, args, MAXPOOL(0));
    this.kernelSize = o.kernelSize;
    this.stride = o.stride ?? o.kernelSize;
    this.padding = o.padding;
    this.dilation = o.dilation;
    this.returnIndices = o.returnIndices;
    this.ceilMode = o.ceilMode;
  }
  protected get opts() {
    return {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    };
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}, dilation=${pyRepr(this.dilation)}, ceil_mode=${pyRepr(this.ceilMode)}`;
  }
}

/** 1-d max pooling of [N, C, L]: `new nn.MaxPool1d(3, { stride: 2 }).forward(torch.randn(1, 4, 9))` has shape [1, 4, 4]. Mirrors `torch.nn.MaxPool1d`. */
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(
    kernelSize: Tuple,
    opts?: { stride?: Tuple | null; padding?: Tuple; dilation?: Tuple; returnIndices?: R; ceilMode?: boolean },
  );
  constructor(...args: unknown[]) {
    super("nn.MaxPool1d", args);
  }
  forward(x: Tensor): PoolResult<R> {
    return F.maxPool1d(x, this.kernelSize, this.opts) as PoolResult<R>;
  }
}
/** 3-d max pooling of [N, C, D, H, W]: `new nn.MaxPool3d(2).forward(torch.randn(1, 2, 4, 4, 4))` has shape [1, 2, 2, 2, 2]. Mirrors `torch.nn.MaxPool3d`. */
export class MaxPool3d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(
    kernelSize: Tuple,
    opts?: { stride?: Tuple | null; padding?: Tuple; dilation?: Tuple; returnIndices?: R; ceilMode?: boolean },
  );
  constructor(...args: unknown[]) {
    super("nn.MaxPool3d", args);
  }
  forward(x: Tensor): PoolResult<R> {
    return F.maxPool3d(x, this.kernelSize, this.opts) as PoolResult<R>;
  }
}

/** 1-d average pooling of [N, C, L] (PyTorch keeps its sizes as 1-tuples: prints kernel_size=(3,)). Mirrors `torch.nn.AvgPool1d`. */
export class AvgPool1d extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  constructor(
    kernelSize: Tuple,
    opts?: { stride?: Tuple | null; padding?: Tuple; ceilMode?: boolean; countIncludePad?: boolean },
  );
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.AvgPool1d", args, {
      kernelSize: A.intOrTuple,
      stride: [A.nullable(A.intOrTuple), null],
      padding: [A.intOrTuple, 0],
      ceilMode: [A.bool, false],
      countIncludePad: [A.bool, true],
    });
    this.kernelSize = single(o.kernelSize);
    this.stride = single(o.stride ?? o.kernelSize);
    this.padding = single(o.padding);
    this.ceilMode = o.ceilMode;
    this.countIncludePad = o.countIncludePad;
  }
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}`;
  }
}

/** 3-d average pooling of [N, C, D, H, W]. Mirrors `torch.nn.AvgPool3d`. */
export class AvgPool3d extends Module {
  readonly kernelSize: Tuple;
  readonly stride: Tuple;
  readonly padding: Tuple;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(
    kernelSize: Tuple,
    opts?: {
      stride?: Tuple | null;
      padding?: Tuple;
      ceilMode?: boolean;
      countIncludePad?: boolean;
      divisorOverride?: number | null;
    },
  );
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.AvgPool3d", args, AVGPOOL);
    this.kernelSize = o.kernelSize;
    this.stride = o.stride ?? o.kernelSize;
    this.padding = o.padding;
    this.ceilMode = o.ceilMode;
    this.countIncludePad = o.countIncludePad;
    this.divisorOverride = o.divisorOverride;
  }
  forward(x: Tensor): Tensor {
    return F.avgPool3d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}`;
  }
}

/** Adaptive average pooling of [N, C, L] to outputSize. Mirrors `torch.nn.AdaptiveAvgPool1d`. */
export class AdaptiveAvgPool1d extends Module {
  readonly outputSize: Tuple;
  constructor(outputSize: Tuple) {
    super();
    this.outputSize = parseArgs("nn.AdaptiveAvgPool1d", [outputSize], { outputSize: A.intOrTuple }).outputSize;
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool1d(x, this.outputSize);
  }
  extraRepr(): string {
    return `output_size=${pyRepr(this.outputSize)}`;
  }
}
/** Adaptive average pooling of [N, C, D, H, W] to outputSize (an int, or [D, H, W] with nulls kept). Mirrors `torch.nn.AdaptiveAvgPool3d`. */
export class AdaptiveAvgPool3d extends Module {
  readonly outputSize: AdaptiveSize;
  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = parseArgs("nn.AdaptiveAvgPool3d", [outputSize], { outputSize: A.any }).outputSize;
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool3d(x, this.outputSize);
  }
  extraRepr(): string {
    return `output_size=${pyRepr(this.outputSize)}`;
  }
}
/** Adaptive max pooling of [N, C, L]; with returnIndices, forward returns [output, indices]. Mirrors `torch.nn.AdaptiveMaxPool1d`. */
export class AdaptiveMaxPool1d<R extends boolean = false> extends Module {
  readonly outputSize: Tuple;
  readonly returnIndices: boolean;
  constructor(outputSize: Tuple, opts?: { returnIndices?: R });
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.AdaptiveMaxPool1d", args, { outputSize: A.intOrTuple, returnIndices: [A.bool, false] });
    this.outputSize = o.outputSize;
    this.returnIndices = o.returnIndices;
  }
  forward(x: Tensor): PoolResult<R> {
    return F.adaptiveMaxPool1d(x, this.outputSize, { returnIndices: this.returnIndices }) as PoolResult<R>;
  }
  extraRepr(): string {
    return `output_size=${pyRepr(this.outputSize)}`;
  }
}
/** Adaptive max pooling of [N, C, D, H, W]; with returnIndices, forward returns [output, indices]. Mirrors `torch.nn.AdaptiveMaxPool3d`. */
export class AdaptiveMaxPool3d<R extends boolean = false> extends Module {
  readonly outputSize: AdaptiveSize;
  readonly returnIndices: boolean;
  constructor(outputSize: AdaptiveSize, opts?: { returnIndices?: R });
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.AdaptiveMaxPool3d", args, { outputSize: A.any, returnIndices: [A.bool, false] });
    this.outputSize = o.outputSize;
    this.returnIndices = o.returnIndices;
  }
  forward(x: Tensor): PoolResult<R> {
    return F.adaptiveMaxPool3d(x, this.outputSize, { returnIndices: this.returnIndices }) as PoolResult<R>;
  }
  extraRepr(): string {
    return `output_size=${pyRepr(this.outputSize)}`;
  }
}

/** PyTorch's _MaxUnpoolNd: sizes stored as n-tuples; forward(x, indices, outputSize?). */
abstract class MaxUnpoolNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  constructor(name: string, n: number, args: unknown[]) {
    super();
    const o = parseArgs(name, args, {
      kernelSize: A.intOrTuple,
      stride: [A.nullable(A.intOrTuple), null],
      padding: [A.intOrTuple, 0],
    });
    this.kernelSize = ntup(o.kernelSize, n);
    this.stride = ntup(o.stride ?? o.kernelSize, n);
    this.padding = ntup(o.padding, n);
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}, padding=${pyRepr(this.padding)}`;
  }
}
type UnpoolCtor = [kernelSize: Tuple, opts?: { stride?: Tuple | null; padding?: Tuple }];
/** Inverse of MaxPool1d: `unpool.forward(y, indices, outputSize?)`. Mirrors `torch.nn.MaxUnpool1d`. */
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(...args: UnpoolCtor) {
    super("nn.MaxUnpool1d", 1, args);
  }
  forward(x: Tensor, indices: Tensor, outputSize?: number[] | null): Tensor {
    return F.maxUnpool1d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
/** Inverse of MaxPool2d: `new nn.MaxUnpool2d(2).forward(...new nn.MaxPool2d(2, { returnIndices: true }).forward(x))`. Mirrors `torch.nn.MaxUnpool2d`. */
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(...args: UnpoolCtor) {
    super("nn.MaxUnpool2d", 2, args);
  }
  forward(x: Tensor, indices: Tensor, outputSize?: number[] | null): Tensor {
    return F.maxUnpool2d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
/** Inverse of MaxPool3d. Mirrors `torch.nn.MaxUnpool3d`. */
export class MaxUnpool3d extends MaxUnpoolNd {
  constructor(...args: UnpoolCtor) {
    super("nn.MaxUnpool3d", 3, args);
  }
  forward(x: Tensor, indices: Tensor, outputSize?: number[] | null): Tensor {
    return F.maxUnpool3d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
