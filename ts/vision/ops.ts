// torchvision.ops building blocks used by the models: Conv2dNormActivation, SqueezeExcitation,
// StochasticDepth (and the functional stochasticDepth), _make_divisible and the weight inits.

import type { Tensor } from "../tensor.js";
import * as ops from "../ops.js";
import { noGrad, random } from "../runtime.js";
import { tensor } from "../creation.js";
import * as nn from "../nn/index.js";
import { fans, normal_, uniform_ } from "../nn/init.js";
import { Module, pyFloat, type TensorModule } from "../nn/module.js";
import { A, parseArgs } from "../utils/args.js";

/** A module constructor taking (channels) — torchvision's norm_layer. */
export type NormLayer = (channels: number) => TensorModule;
/** A module constructor taking ({ inplace }) — torchvision's activation_layer. */
export type ActivationLayer = (opts: { inplace?: boolean }) => TensorModule;

export const batchNorm2d: NormLayer = (c) => new nn.BatchNorm2d(c);
export const relu: ActivationLayer = (o) => new nn.ReLU(o.inplace ?? false);
export const relu6: ActivationLayer = (o) => new nn.ReLU6({ inplace: o.inplace ?? false } as any);
export const hardswish: ActivationLayer = (o) => new nn.Hardswish({ inplace: o.inplace ?? false } as any);
export const hardsigmoid: ActivationLayer = (o) => new nn.Hardsigmoid({ inplace: o.inplace ?? false } as any);
export const silu: ActivationLayer = (o) => new nn.SiLU({ inplace: o.inplace ?? false } as any);
export const sigmoid: ActivationLayer = () => new nn.Sigmoid();

/** torchvision's _make_divisible: v rounded to a multiple of divisor, never below 90% of v. */
export function makeDivisible(v: number, divisor: number, minValue: number | null = null): number {
  const min = minValue ?? divisor;
  let nv = Math.max(min, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (nv < 0.9 * v) nv += divisor;
  return nv;
}

/** Conv2d + norm + activation as one Sequential (torchvision.ops.Conv2dNormActivation). */
export class Conv2dNormActivation extends nn.Sequential {
  readonly outChannels: number;
  constructor(
    inChannels: number,
    outChannels: number,
    opts: {
      kernelSize?: number;
      stride?: number;
      padding?: number | null;
      groups?: number;
      normLayer?: NormLayer | null;
      activationLayer?: ActivationLayer | null;
      dilation?: number;
      inplace?: boolean | null;
      bias?: boolean | null;
    } = {},
  ) {
    const o = parseArgs("vision.ops.Conv2dNormActivation", [inChannels, outChannels, opts], {
      inChannels: A.int,
      outChannels: A.int,
      kernelSize: [A.int, 3],
      stride: [A.int, 1],
      padding: [A.nullable(A.int), null],
      groups: [A.int, 1],
      normLayer: [A.nullable(A.func), batchNorm2d],
      activationLayer: [A.nullable(A.func), relu],
      dilation: [A.int, 1],
      inplace: [A.nullable(A.bool), true],
      bias: [A.nullable(A.bool), null],
    });
    const padding = o.padding ?? Math.floor((o.kernelSize - 1) / 2) * o.dilation;
    const bias = o.bias ?? o.normLayer === null;
    const layers: Module[] = [
      new nn.Conv2d(o.inChannels, o.outChannels, o.kernelSize, {
        stride: o.stride,
        padding,
        dilation: o.dilation,
        groups: o.groups,
        bias,
      }),
    ];
    if (o.normLayer) layers.push(o.normLayer(o.outChannels));
    if (o.activationLayer) layers.push(o.activationLayer(o.inplace === null ? {} : { inplace: o.inplace }));
    super(...layers);
    this.outChannels = o.outChannels;
  }
}

/** Squeeze-and-excitation: x * scaleActivation(fc2(activation(fc1(avgpool(x))))). */
export class SqueezeExcitation extends Module {
  avgpool: TensorModule;
  fc1: nn.Conv2d;
  fc2: nn.Conv2d;
  activation: TensorModule;
  scale_activation: TensorModule;
  constructor(
    inputChannels: number,
    squeezeChannels: number,
    opts: { activation?: ActivationLayer; scaleActivation?: ActivationLayer } = {},
  ) {
    super();
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.fc1 = new nn.Conv2d(inputChannels, squeezeChannels, 1);
    this.fc2 = new nn.Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = (opts.activation ?? relu)({});
    this.scale_activation = (opts.scaleActivation ?? sigmoid)({});
  }
  forward(x: Tensor): Tensor {
    let s = this.avgpool.forward(x);
    s = this.fc1.forward(s);
    s = this.activation.forward(s);
    s = this.fc2.forward(s);
    s = this.scale_activation.forward(s);
    return ops.mul(s, x);
  }
}

/**
 * Randomly drops whole rows ("row": per sample) or the whole batch ("batch") with probability p in
 * training, scaling the kept ones by 1 / (1 - p) (torchvision.ops.stochastic_depth).
 */
export function stochasticDepth(input: Tensor, p: number, mode: "row" | "batch", training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`drop probability has to be between 0 and 1, but got ${p}`);
  if (mode !== "row" && mode !== "batch")
    throw new RangeError(`mode has to be either 'batch' or 'row', but got ${mode}`);
  if (!training || p === 0) return input;
  const survival = 1 - p;
  const shape = mode === "row" ? [input.shape[0], ...input.shape.slice(1).map(() => 1)] : input.shape.map(() => 1);
  const n = shape.reduce((a, b) => a * b, 1),
    data = new Float32Array(n);
  for (let k = 0; k < n; k++) data[k] = random() < survival ? (survival > 0 ? 1 / survival : 1) : 0;
  return ops.mul(input, tensorOf(data, shape));
}
const tensorOf = (d: Float32Array, shape: number[]) => tensor(d, { shape });

/** torchvision.ops.StochasticDepth(p, mode): prints `StochasticDepth(p=0.0125, mode=row)`. */
export class StochasticDepth extends Module {
  constructor(
    readonly p: number,
    readonly mode: "row" | "batch",
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return stochasticDepth(x, this.p, this.mode, this.training);
  }
  toString(): string {
    return `StochasticDepth(p=${pyFloat(this.p)}, mode=${this.mode})`;
  }
}

// ------------------------------------------------------------------ torchvision's weight inits

/** kaiming_normal_(w, mode, nonlinearity="relu"): N(0, 2 / fan). */
export function kaimingNormal(w: Tensor, mode: "fan_in" | "fan_out" = "fan_in"): void {
  const [fanIn, fanOut] = fans(w);
  normal_(w, 0, Math.sqrt(2) / Math.sqrt(mode === "fan_in" ? fanIn : fanOut));
}
/** kaiming_uniform_(w) with a = 0: U(-sqrt(6 / fan_in), sqrt(6 / fan_in)). */
export function kaimingUniform(w: Tensor): void {
  const [fanIn] = fans(w),
    b = Math.sqrt(6 / fanIn);
  uniform_(w, -b, b);
}
/** The init loop shared by most torchvision models over every submodule. */
export function initModel(m: Module, opts: { conv: (c: nn.Conv2d) => void; linear?: (l: nn.Linear) => void }): void {
  for (const sub of m.modules()) {
    if (sub instanceof nn.Conv2d) opts.conv(sub);
    else if (sub instanceof nn.BatchNorm2d) {
      const bn = sub as any;
      if (bn.weight) ones_(bn.weight);
      if (bn.bias) zeros_(bn.bias);
    } else if (sub instanceof nn.Linear && opts.linear) opts.linear(sub);
  }
}
/** nn.init.zeros_ / ones_ / constant_ (outside autograd). */
export const zeros_ = (t: Tensor) => {
  noGrad(() => t.fill_(0));
};
/** Fills `t` with 1 in place, outside autograd (nn.init.ones_). */
export const ones_ = (t: Tensor) => {
  noGrad(() => t.fill_(1));
};
export { normal_, uniform_ };
/** nn.init.constant_ (torchvision's DenseNet bias init). */
export function constantInit(t: Tensor, v: number): void {
  noGrad(() => t.fill_(v));
}
