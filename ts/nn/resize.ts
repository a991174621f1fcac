// nn.Upsample (and UpsamplingNearest2d / UpsamplingBilinear2d), PixelShuffle, PixelUnshuffle, Unfold,
// Fold and the channel dropouts Dropout1d/2d/3d: PyTorch's modules over functional/resize.ts.

import type { Tensor } from "../tensor.js";
import * as F from "./functional/resize.js";
import type { InterpolateMode } from "./functional/resize.js";
import { Module, pyFloat, pyRepr } from "./module.js";
import { A, parseArgs } from "../utils/args.js";

type Tuple = number | number[];
const floatRepr = (v: Tuple) =>
  Array.isArray(v) ? (v.length === 1 ? `(${pyFloat(v[0])},)` : `(${v.map(pyFloat).join(", ")})`) : pyFloat(v);

export interface UpsampleOptions {
  size?: Tuple | null;
  scaleFactor?: Tuple | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}
const UPSAMPLE = {
  size: [A.nullable(A.intOrTuple), null],
  scaleFactor: [A.nullable(A.numOrTuple), null],
  mode: [A.oneOf("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"), "nearest"],
  alignCorners: [A.nullable(A.bool), null],
  recomputeScaleFactor: [A.nullable(A.bool), null],
} as const;

/**
 * Resizes [N, C, (D, (H,)) W] by size or scaleFactor (F.interpolate).
 * `new nn.Upsample({ scaleFactor: 2, mode: "bilinear" }).forward(torch.randn(1, 3, 4, 4))` has shape [1, 3, 8, 8]. Mirrors `torch.nn.Upsample`.
 */
export class Upsample extends Module {
  readonly size: Tuple | null;
  readonly scaleFactor: Tuple | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;
  constructor(opts?: UpsampleOptions);
  constructor(
    size?: Tuple | null,
    scaleFactor?: Tuple | null,
    mode?: InterpolateMode,
    alignCorners?: boolean | null,
    recomputeScaleFactor?: boolean | null,
  );
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs(
      (this.constructor as any).name === "Upsample" ? "nn.Upsample" : `nn.${this.constructor.name}`,
      args,
      UPSAMPLE,
    );
    this.size = o.size;
    this.scaleFactor = o.scaleFactor;
    this.mode = o.mode;
    this.alignCorners = o.alignCorners;
    this.recomputeScaleFactor = o.recomputeScaleFactor;
  }
  forward(x: Tensor): Tensor {
    return F.interpolate(x, {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }
  extraRepr(): string {
    const info =
      this.scaleFactor !== null ? `scale_factor=${floatRepr(this.scaleFactor)}` : `size=${pyRepr(this.size)}`;
    return `${info}, mode=${this.mode}`;
  }
}

/** Nearest upsampling of [N, C, H, W] (Upsample with mode "nearest"). Mirrors `torch.nn.UpsamplingNearest2d`. */
export class UpsamplingNearest2d extends Upsample {
  constructor(opts?: { size?: Tuple | null; scaleFactor?: Tuple | null });
  constructor(size?: Tuple | null, scaleFactor?: Tuple | null);
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.UpsamplingNearest2d", args, {
      size: [A.nullable(A.intOrTuple), null],
      scaleFactor: [A.nullable(A.numOrTuple), null],
    });
    super({ size: o.size, scaleFactor: o.scaleFactor, mode: "nearest" });
  }
}
/** Bilinear upsampling of [N, C, H, W] with alignCorners = true (as PyTorch's UpsamplingBilinear2d). Mirrors `torch.nn.UpsamplingBilinear2d`. */
export class UpsamplingBilinear2d extends Upsample {
  constructor(opts?: { size?: Tuple | null; scaleFactor?: Tuple | null });
  constructor(size?: Tuple | null, scaleFactor?: Tuple | null);
  constructor(...args: unknown[]) {
    const o = parseArgs("nn.UpsamplingBilinear2d", args, {
      size: [A.nullable(A.intOrTuple), null],
      scaleFactor: [A.nullable(A.numOrTuple), null],
    });
    super({ size: o.size, scaleFactor: o.scaleFactor, mode: "bilinear", alignCorners: true });
  }
}

/** [*, C*r*r, H, W] -> [*, C, H*r, W*r]: `new nn.PixelShuffle(2).forward(torch.randn(1, 8, 3, 3))` has shape [1, 2, 6, 6]. Mirrors `torch.nn.PixelShuffle`. */
export class PixelShuffle extends Module {
  readonly upscaleFactor: number;
  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = parseArgs("nn.PixelShuffle", [upscaleFactor], { upscaleFactor: A.int }).upscaleFactor;
  }
  forward(x: Tensor): Tensor {
    return F.pixelShuffle(x, this.upscaleFactor);
  }
  extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}
/** [*, C, H*r, W*r] -> [*, C*r*r, H, W] (the inverse of PixelShuffle). Mirrors `torch.nn.PixelUnshuffle`. */
export class PixelUnshuffle extends Module {
  readonly downscaleFactor: number;
  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = parseArgs("nn.PixelUnshuffle", [downscaleFactor], {
      downscaleFactor: A.int,
    }).downscaleFactor;
  }
  forward(x: Tensor): Tensor {
    return F.pixelUnshuffle(x, this.downscaleFactor);
  }
  extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}

const FOLD_OPTS = { dilation: [A.intOrTuple, 1], padding: [A.intOrTuple, 0], stride: [A.intOrTuple, 1] } as const;

/** Sliding blocks of [N, C, H, W] as columns [N, C*kH*kW, L] (im2col). Mirrors `torch.nn.Unfold`. */
export class Unfold extends Module {
  readonly kernelSize: Tuple;
  readonly dilation: Tuple;
  readonly padding: Tuple;
  readonly stride: Tuple;
  constructor(kernelSize: Tuple, opts?: F.FoldOptions);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Unfold", args, { kernelSize: A.intOrTuple, ...FOLD_OPTS });
    this.kernelSize = o.kernelSize;
    this.dilation = o.dilation;
    this.padding = o.padding;
    this.stride = o.stride;
  }
  forward(x: Tensor): Tensor {
    return F.unfold(x, this.kernelSize, { dilation: this.dilation, padding: this.padding, stride: this.stride });
  }
  extraRepr(): string {
    return `kernel_size=${pyRepr(this.kernelSize)}, dilation=${pyRepr(this.dilation)}, padding=${pyRepr(this.padding)}, stride=${pyRepr(this.stride)}`;
  }
}
/** Columns [N, C*kH*kW, L] summed back into [N, C, outH, outW] (col2im). Mirrors `torch.nn.Fold`. */
export class Fold extends Module {
  readonly outputSize: Tuple;
  readonly kernelSize: Tuple;
  readonly dilation: Tuple;
  readonly padding: Tuple;
  readonly stride: Tuple;
  constructor(outputSize: Tuple, kernelSize: Tuple, opts?: F.FoldOptions);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Fold", args, { outputSize: A.intOrTuple, kernelSize: A.intOrTuple, ...FOLD_OPTS });
    this.outputSize = o.outputSize;
    this.kernelSize = o.kernelSize;
    this.dilation = o.dilation;
    this.padding = o.padding;
    this.stride = o.stride;
  }
  forward(x: Tensor): Tensor {
    return F.fold(x, this.outputSize, this.kernelSize, {
      dilation: this.dilation,
      padding: this.padding,
      stride: this.stride,
    });
  }
  extraRepr(): string {
    return `output_size=${pyRepr(this.outputSize)}, kernel_size=${pyRepr(this.kernelSize)}, dilation=${pyRepr(this.dilation)}, padding=${pyRepr(this.padding)}, stride=${pyRepr(this.stride)}`;
  }
}

/** Shared by Dropout1d/2d/3d (PyTorch's _DropoutNd). */
abstract class ChannelDropout extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(name: string, args: unknown[]) {
    super();
    const o = parseArgs(name, args, { p: [A.num, 0.5], inplace: [A.bool, false] });
    if (o.p < 0 || o.p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${o.p}`);
    this.p = o.p;
    this.inplace = o.inplace;
  }
  extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyRepr(this.inplace)}`;
  }
}
type DropCtor = [p?: number | { p?: number; inplace?: boolean }, inplace?: boolean];
/** Zeroes whole channels of [N, C, L] with probability p in training. Mirrors `torch.nn.Dropout1d`. */
export class Dropout1d extends ChannelDropout {
  constructor(...args: DropCtor) {
    super("nn.Dropout1d", args);
  }
  forward(x: Tensor): Tensor {
    return F.dropout1d(x, this.p, this.training);
  }
}
/** Zeroes whole channels of [N, C, H, W] with probability p in training. Mirrors `torch.nn.Dropout2d`. */
export class Dropout2d extends ChannelDropout {
  constructor(...args: DropCtor) {
    super("nn.Dropout2d", args);
  }
  forward(x: Tensor): Tensor {
    return F.dropout2d(x, this.p, this.training);
  }
}
/** Zeroes whole channels of [N, C, D, H, W] with probability p in training. Mirrors `torch.nn.Dropout3d`. */
export class Dropout3d extends ChannelDropout {
  constructor(...args: DropCtor) {
    super("nn.Dropout3d", args);
  }
  forward(x: Tensor): Tensor {
    return F.dropout3d(x, this.p, this.training);
  }
}
