// nn.Conv1d/Conv2d/Conv3d and nn.ConvTranspose1d/2d/3d: PyTorch's parameter layouts, default
// initialisation and print text, over F.conv*/F.convTranspose* (functional/conv.ts).

import { empty, tensor } from "../creation.js";
import { Tensor, versionOf } from "../tensor.js";
import * as ops from "../ops.js";
import { keep, noGrad } from "../runtime.js";
import * as F from "./functional/conv.js";
import type { ConvPadding, IntOrTuple, PaddingMode } from "./functional/conv.js";
import { defaultLayerInit } from "./init.js";
import { Module, Parameter, pyRepr } from "./module.js";
import { A, parseArgs } from "../utils/args.js";
import {
  type ChannelAffine,
  type FoldableNorm,
  type FusableProducer,
  type FusedActivation,
  type NormFusableProducer,
  type NormStep,
  inheritsForward,
} from "./fusion.js";

/** PyTorch's positional order of Conv1d/2d/3d (in_channels, out_channels, kernel_size, stride, ...). */
const CONV_ARGS = {
  inChannels: A.posInt,
  outChannels: A.posInt,
  kernelSize: A.intOrTuple,
  stride: [A.intOrTuple, 1],
  padding: [A.or(A.intOrTuple, A.str), 0],
  dilation: [A.intOrTuple, 1],
  groups: [A.posInt, 1],
  bias: [A.bool, true],
  paddingMode: [A.str, "zeros"],
} as const;
/** ConvTranspose1d/2d/3d: (in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode). */
const CONV_T_ARGS = {
  inChannels: A.posInt,
  outChannels: A.posInt,
  kernelSize: A.intOrTuple,
  stride: [A.intOrTuple, 1],
  padding: [A.intOrTuple, 0],
  outputPadding: [A.intOrTuple, 0],
  groups: [A.posInt, 1],
  bias: [A.bool, true],
  dilation: [A.intOrTuple, 1],
  paddingMode: [A.str, "zeros"],
} as const;
type ConvCtor = [inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts?: ConvModuleOptions] | unknown[];
type ConvTCtor =
  | [inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts?: ConvTransposeModuleOptions]
  | unknown[];
function convArgs(name: string, args: unknown[], transposed: boolean) {
  const o = parseArgs(name, args, transposed ? CONV_T_ARGS : CONV_ARGS) as Record<string, any>;
  const { inChannels, outChannels, kernelSize, ...opts } = o;
  if ((Array.isArray(kernelSize) ? kernelSize : [kernelSize]).some((k: number) => k <= 0)) {
    throw new RangeError(`${name}: kernel_size must be positive, got ${pyRepr(kernelSize)}`);
  }
  return [inChannels as number, outChannels as number, kernelSize as IntOrTuple, opts] as const;
}

export interface ConvModuleOptions {
  stride?: IntOrTuple;
  padding?: ConvPadding;
  dilation?: IntOrTuple;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}
export interface ConvTransposeModuleOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  bias?: boolean;
  dilation?: IntOrTuple;
  paddingMode?: PaddingMode;
}

const PADDING_MODES = ["zeros", "reflect", "replicate", "circular"];

/** Shared state of every conv module (PyTorch's _ConvNd). Mirrors `torch.nn.modules.conv._ConvNd`. */
export abstract class ConvNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | "same" | "valid";
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: IntOrTuple,
    readonly transposed: boolean,
    nd: number,
    opts: ConvModuleOptions & { outputPadding?: IntOrTuple },
  ) {
    super();
    const name = this.constructor.name;
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new RangeError("groups must be a positive integer");
    if (inChannels % groups !== 0) throw new RangeError("in_channels must be divisible by groups");
    if (outChannels % groups !== 0) throw new RangeError("out_channels must be divisible by groups");
    const paddingMode = opts.paddingMode ?? "zeros";
    if (!PADDING_MODES.includes(paddingMode)) {
      throw new RangeError(
        `padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='${paddingMode}'`,
      );
    }
    if (transposed && paddingMode !== "zeros")
      throw new RangeError(`Only "zeros" padding mode is supported for ${name}`);
    this.kernelSize = F.ntuple(kernelSize, nd, "kernel_size", 1, name);
    this.stride = F.ntuple(opts.stride, nd, "stride", 1, name);
    this.dilation = F.ntuple(opts.dilation, nd, "dilation", 1, name);
    const pad = opts.padding ?? 0;
    if (typeof pad === "string") {
      if (pad !== "same" && pad !== "valid")
        throw new RangeError(`Invalid padding string '${pad}', should be one of {'valid', 'same'}`);
      if (transposed) throw new TypeError(`${name}: padding must be an int or a tuple of ints, but got '${pad}'`);
      if (pad === "same" && this.stride.some((s) => s !== 1))
        throw new RangeError("padding='same' is not supported for strided convolutions");
      this.padding = pad;
    } else this.padding = F.ntuple(pad, nd, "padding", 0, name);
    this.outputPadding = F.ntuple(opts.outputPadding, nd, "output_padding", 0, name);
    this.groups = groups;
    this.paddingMode = paddingMode;
    const wShape = transposed
      ? [inChannels, outChannels / groups, ...this.kernelSize]
      : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = new Parameter(empty(wShape));
    this.bias = (opts.bias ?? true) ? new Parameter(empty(outChannels)) : null;
    defaultLayerInit(this.weight, this.bias);
  }

  /** [left, right] padding per spatial dim, for the non-zero padding modes (PyTorch's _reversed_padding_repeated_twice). */
  protected sidePads(): [number, number][] {
    if (this.padding === "valid") return this.kernelSize.map(() => [0, 0]);
    if (this.padding === "same") {
      return this.kernelSize.map((k, i) => {
        const total = this.dilation[i] * (k - 1),
          left = Math.floor(total / 2);
        return [left, total - left];
      });
    }
    return this.padding.map((p) => [p, p]);
  }

  extraRepr(): string {
    const nd = this.kernelSize.length;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyRepr(this.kernelSize)}, stride=${pyRepr(this.stride)}`;
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyRepr(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyRepr(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyRepr(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    void nd;
    return s;
  }
}

/** Tensors a cache was computed from, each with its storage and version counter then. */
interface Sources {
  tensors: (Tensor | null)[];
  refs: unknown[];
  versions: number[];
}
const refOf = (t: Tensor | null): unknown => (t ? (t as unknown as { _ref: unknown })._ref : null);
function sourcesOf(tensors: (Tensor | null)[]): Sources {
  return { tensors, refs: tensors.map(refOf), versions: tensors.map((t) => (t ? versionOf(t) : 0)) };
}
/** Whether `tensors` are the same tensors as `s`'s, on the same storages, unchanged since. */
function sameSources(s: Sources, tensors: (Tensor | null)[]): boolean {
  return (
    s.tensors.length === tensors.length &&
    tensors.every(
      (t, i) => s.tensors[i] === t && (t === null || (s.refs[i] === refOf(t) && s.versions[i] === versionOf(t))),
    )
  );
}

/** The weights of a conv with a norm folded in, and what they were computed from. */
interface FoldCache extends Sources {
  // tensors: conv.weight, conv.bias and the norm's sources
  scalars: readonly number[];
  weight: Tensor;
  bias: Tensor;
  /** weight and bias packed for the backend's conv on the first fused call (see F.convNd). */
  slot: F.ConvPackSlot;
}

/** Shared forward of Conv1d/2d/3d: zero padding inside the kernel, other modes by an explicit pad. Mirrors the forward of `torch.nn.Conv1d` / `torch.nn.Conv2d` / `torch.nn.Conv3d` (no class of its own in PyTorch). */
export abstract class ConvForward extends ConvNd implements FusableProducer, NormFusableProducer {
  protected abstract get fn(): typeof F.conv2d;
  /** The folded weights of the last norm fused into this conv (see withNorm); not state. */
  private _fold: FoldCache | null = null;
  /** The module's own weights packed for the backend's conv (inference without autograd), and
   *  what they were packed from; not state. */
  private _pack: (Sources & { slot: F.ConvPackSlot }) | null = null;
  forward(x: Tensor): Tensor {
    return this.convForward(x, null, this.weight, this.bias, null, this.ownSlot(x));
  }
  /** The packing slot of the module's own weights when this call records no gradient (else null:
   *  training runs F.conv* as written); a new slot when the weight or bias was replaced or changed. */
  private ownSlot(x: Tensor): F.ConvPackSlot | null {
    const tensors = [this.weight, this.bias];
    if (!(x instanceof Tensor) || tensors.some((t) => t?.isDisposed) || ops.willRecord([x, ...tensors])) return null;
    if (this._pack !== null && sameSources(this._pack, tensors)) return this._pack.slot;
    this.dropPack();
    this._pack = { ...sourcesOf(tensors), slot: { packed: undefined } };
    return this._pack.slot;
  }
  /** Frees the packed copy of the module's own weights (made again on the next inference call). */
  dropPack(): void {
    this._pack?.slot.packed?.dispose();
    this._pack = null;
  }
  /** Fusion (nn/fusion.ts): the conv applies a following activation in its kernel (F.conv*'s
   *  `activation` option), unless forward is overridden. */
  withActivation(act: FusedActivation): ((x: Tensor) => Tensor) | null {
    return inheritsForward(this, ConvForward)
      ? (x) => this.convForward(x, act, this.weight, this.bias, null, this.ownSlot(x))
      : null;
  }
  /** Fusion (nn/fusion.ts): a following norm that is a per-channel affine map now (BatchNorm in
   *  eval) folded into the weights, w' = w * scale and b' = b * scale + shift per output channel,
   *  then `act` (and a residual) in the kernel: one conv. Only when no gradient is recorded (else
   *  the step returns null and the modules run as themselves). The folded weights are cached on
   *  this conv until a tensor they come from is replaced or changed in place (version counter). */
  withNorm(norm: FoldableNorm, act: FusedActivation | null): NormStep | null {
    if (!inheritsForward(this, ConvForward) || this.transposed) return null;
    const nd = this.kernelSize.length;
    return (x, residual = null) => {
      if (x.dim() !== nd + 2) return null;
      const aff = norm.asChannelAffine(nd + 2, this.outChannels);
      if (aff === null) return null;
      if (ops.willRecord([x, this.weight, this.bias, residual, ...aff.sources])) return null;
      const f = this.folded(aff);
      if (f === null) return null;
      return this.convForward(x, act, f.weight, f.bias, residual, f.slot);
    };
  }
  /** The cached folded weights for `aff`, recomputed when a source changed; null when a source
   *  is disposed (the modules then run and report it). */
  private folded(aff: ChannelAffine): FoldCache | null {
    const tensors = [this.weight, this.bias, ...aff.sources];
    for (const t of tensors) if (t !== null && t.isDisposed) return null;
    const c = this._fold;
    if (
      c !== null &&
      sameSources(c, tensors) &&
      c.scalars.length === aff.scalars.length &&
      aff.scalars.every((v, i) => Object.is(c.scalars[i], v))
    ) {
      return c;
    }
    this.dropFold();
    const { scale, shift } = aff.compute();
    const O = this.outChannels;
    const w = this.weight.toFloat32Array(),
      b = this.bias ? this.bias.toFloat32Array() : null;
    const per = w.length / O,
      bf = new Float32Array(O);
    for (let o = 0; o < O; o++) {
      const s = scale[o];
      for (let i = o * per, e = i + per; i < e; i++) w[i] *= s;
      bf[o] = (b ? b[o] : 0) * s + shift[o];
    }
    const weight = keep(noGrad(() => tensor(w, { shape: this.weight.shape.slice() }))),
      bias = keep(noGrad(() => tensor(bf, { shape: [O] })));
    this._fold = {
      ...sourcesOf(tensors),
      scalars: aff.scalars.slice(),
      weight,
      bias,
      slot: { packed: undefined },
    };
    return this._fold;
  }
  /** Frees the folded weights (recomputed on the next fused call). */
  dropFold(): void {
    if (this._fold === null) return;
    this._fold.weight.dispose();
    this._fold.bias.dispose();
    this._fold.slot.packed?.dispose();
    this._fold = null;
  }
  private convForward(
    x: Tensor,
    activation: FusedActivation | null,
    weight: Tensor,
    bias: Tensor | null,
    residual: Tensor | null,
    slot: F.ConvPackSlot | null = null,
  ): Tensor {
    const o = {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      activation,
      residual,
    };
    if (this.paddingMode !== "zeros") {
      const padded = F.padSpatial(x, this.sidePads(), this.paddingMode);
      return this.fn(padded, weight, bias, { ...o, padding: 0 });
    }
    // folded weights (inference): the internal entry, with the packed weights of the fold
    if (slot !== null && x instanceof Tensor) {
      const nd = this.kernelSize.length;
      return F.convNd(nd, `conv${nd}d`, x, weight, bias, o, slot);
    }
    return this.fn(x, weight, bias, o);
  }
}
/**
 * 1-d convolution over [N, C, L]; weight [out, in/groups, k].
 * `new nn.Conv1d(3, 8, 5, { padding: "same" }).forward(torch.randn(2, 3, 20))` has shape [2, 8, 20]. Mirrors `torch.nn.Conv1d`.
 */
export class Conv1d extends ConvForward {
  protected get fn() {
    return F.conv1d;
  }
  constructor(...args: ConvCtor) {
    const [i, o, k, opts] = convArgs("nn.Conv1d", args, false);
    super(i, o, k, false, 1, opts);
  }
}
/**
 * 2-d convolution over [N, C, H, W]; weight [out, in/groups, kH, kW].
 * `new nn.Conv2d(3, 16, 3, { padding: 1 }).forward(torch.randn(1, 3, 28, 28))` has shape [1, 16, 28, 28]. Mirrors `torch.nn.Conv2d`.
 */
export class Conv2d extends ConvForward {
  protected get fn() {
    return F.conv2d;
  }
  constructor(...args: ConvCtor) {
    const [i, o, k, opts] = convArgs("nn.Conv2d", args, false);
    super(i, o, k, false, 2, opts);
  }
}
/**
 * 3-d convolution over [N, C, D, H, W]; weight [out, in/groups, kD, kH, kW].
 * `new nn.Conv3d(2, 4, 3, { stride: 2, padding: 1 }).forward(torch.randn(1, 2, 8, 8, 8))` has shape [1, 4, 4, 4, 4]. Mirrors `torch.nn.Conv3d`.
 */
export class Conv3d extends ConvForward {
  protected get fn() {
    return F.conv3d;
  }
  constructor(...args: ConvCtor) {
    const [i, o, k, opts] = convArgs("nn.Conv3d", args, false);
    super(i, o, k, false, 3, opts);
  }
}

/** Shared forward of the transposed convs: forward(x, outputSize?) as PyTorch. */
abstract class ConvTransposeForward extends ConvNd {
  protected abstract get fn(): typeof F.convTranspose2d;
  /** outputSize (spatial sizes, optionally with N and C in front) picks the output padding, as PyTorch. */
  forward(x: Tensor, outputSize?: number[] | null): Tensor {
    const outputPadding = this.outputPaddingFor(x, outputSize ?? null);
    return this.fn(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding as number[],
      outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }
  private outputPaddingFor(x: Tensor, outputSize: number[] | null): number[] {
    if (outputSize === null) return this.outputPadding;
    const nd = this.kernelSize.length,
      nonSpatial = x.dim() === nd + 2 ? 2 : 1;
    let size = outputSize.slice();
    if (size.length === nd + nonSpatial) size = size.slice(nonSpatial);
    if (size.length !== nd) {
      throw new RangeError(
        `ConvTranspose${nd}D: for ${x.dim()}D input, output_size must have ${nd} or ${nd + nonSpatial} elements (got ${outputSize.length})`,
      );
    }
    const inS = x.shape.slice(nonSpatial);
    const min = F.convTransposeMinSize(inS, this.kernelSize, this.stride, this.padding as number[], this.dilation);
    const max = min.map((m, i) => m + this.stride[i] - 1);
    if (size.some((s, i) => s < min[i] || s > max[i])) {
      throw new RangeError(
        `requested an output size of [${size.join(", ")}], but valid sizes range from [${min.join(", ")}] to [${max.join(", ")}] (for an input of [${inS.join(", ")}])`,
      );
    }
    return size.map((s, i) => s - min[i]);
  }
}

/**
 * Transposed 1-d convolution; weight [in, out/groups, k].
 * `new nn.ConvTranspose1d(4, 2, 3, { stride: 2 }).forward(torch.randn(1, 4, 5))` has shape [1, 2, 11]. Mirrors `torch.nn.ConvTranspose1d`.
 */
export class ConvTranspose1d extends ConvTransposeForward {
  protected get fn() {
    return F.convTranspose1d;
  }
  constructor(...args: ConvTCtor) {
    const [i, o, k, opts] = convArgs("nn.ConvTranspose1d", args, true);
    super(i, o, k, true, 1, opts);
  }
}
/**
 * Transposed 2-d convolution ("deconvolution"); weight [in, out/groups, kH, kW]. Output size per dim
 * is (H-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1.
 * `new nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1 }).forward(torch.randn(1, 8, 7, 7))` has shape [1, 4, 14, 14]. Mirrors `torch.nn.ConvTranspose2d`.
 */
export class ConvTranspose2d extends ConvTransposeForward {
  protected get fn() {
    return F.convTranspose2d;
  }
  constructor(...args: ConvTCtor) {
    const [i, o, k, opts] = convArgs("nn.ConvTranspose2d", args, true);
    super(i, o, k, true, 2, opts);
  }
}
/**
 * Transposed 3-d convolution; weight [in, out/groups, kD, kH, kW].
 * `new nn.ConvTranspose3d(2, 1, 2, { stride: 2 }).forward(torch.randn(1, 2, 3, 3, 3))` has shape [1, 1, 6, 6, 6]. Mirrors `torch.nn.ConvTranspose3d`.
 */
export class ConvTranspose3d extends ConvTransposeForward {
  protected get fn() {
    return F.convTranspose3d;
  }
  constructor(...args: ConvTCtor) {
    const [i, o, k, opts] = convArgs("nn.ConvTranspose3d", args, true);
    super(i, o, k, true, 3, opts);
  }
}
