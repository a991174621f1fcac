// torchvision 0.14's MobileNetV2 and MobileNetV3 (small, large): module trees, state-dict keys and
// print text of torchvision.models.mobilenetv2 / mobilenetv3.

import type { Tensor } from "../../tensor.js";
import * as ops from "../../ops.js";
import * as nn from "../../nn/index.js";
import { adaptiveAvgPool2d } from "../../nn/functional/pool.js";
import { Module } from "../../nn/module.js";
import { A, parseArgs } from "../../utils/args.js";
import {
  Conv2dNormActivation,
  SqueezeExcitation,
  batchNorm2d,
  hardsigmoid,
  hardswish,
  initModel,
  kaimingNormal,
  makeDivisible,
  normal_,
  relu,
  relu6,
  type ActivationLayer,
  type NormLayer,
  zeros_,
} from "../ops.js";
import { checkNoWeights, freeIntermediate } from "./common.js";
import { inheritsForward } from "../../nn/fusion.js";

const linearInit = (l: nn.Linear) => {
  normal_(l.weight, 0, 0.01);
  if (l.bias) zeros_(l.bias);
};
const convInit = (c: nn.Conv2d) => {
  kaimingNormal(c.weight, "fan_out");
  if (c.bias) zeros_(c.bias);
};

/** MobileNetV2's inverted residual block (torchvision.models.mobilenetv2.InvertedResidual). */
export class InvertedResidual extends Module {
  readonly useResConnect: boolean;
  conv: nn.Sequential;
  readonly outChannels: number;
  constructor(
    inp: number,
    oup: number,
    readonly stride: number,
    expandRatio: number,
    normLayer: NormLayer = batchNorm2d,
  ) {
    super();
    if (stride !== 1 && stride !== 2) throw new RangeError(`stride should be 1 or 2 instead of ${stride}`);
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const layers: Module[] = [];
    if (expandRatio !== 1)
      layers.push(new Conv2dNormActivation(inp, hidden, { kernelSize: 1, normLayer, activationLayer: relu6 }));
    layers.push(
      new Conv2dNormActivation(hidden, hidden, { stride, groups: hidden, normLayer, activationLayer: relu6 }),
      new nn.Conv2d(hidden, oup, 1, { stride: 1, padding: 0, bias: false }),
      normLayer(oup),
    );
    this.conv = new nn.Sequential(...layers);
    this.outChannels = oup;
  }
  forward(x: Tensor): Tensor {
    if (!this.useResConnect) return this.conv.forward(x);
    // x + conv(x), the add in the last conv's kernel in inference (Sequential.forwardAdd)
    if (inheritsForward(this.conv, nn.Sequential)) return this.conv.forwardAdd(x, x);
    const y = this.conv.forward(x);
    const out = ops.add(x, y);
    freeIntermediate(y, x, out);
    return out;
  }
}

export interface MobileNetV2Options {
  numClasses?: number;
  widthMult?: number;
  invertedResidualSetting?: number[][] | null;
  roundNearest?: number;
  block?: unknown;
  normLayer?: NormLayer | null;
  dropout?: number;
  weights?: null;
  progress?: boolean;
}

/** MobileNetV2 as in torchvision: inverted residual blocks; `mobilenetV2()`. Mirrors `torchvision.models.MobileNetV2`. */
export class MobileNetV2 extends Module {
  readonly lastChannel: number;
  features: nn.Sequential;
  classifier: nn.Sequential;
  constructor(opts: MobileNetV2Options = {}) {
    super();
    const o = parseArgs("vision.models.MobileNetV2", [opts], {
      numClasses: [A.posInt, 1000],
      widthMult: [A.num, 1.0],
      invertedResidualSetting: [A.nullable(A.any), null],
      roundNearest: [A.posInt, 8],
      block: [A.nullable(A.func), null],
      normLayer: [A.nullable(A.func), null],
      dropout: [A.num, 0.2],
      weights: [A.any, null],
      progress: [A.bool, true],
    });
    const block = (o.block as typeof InvertedResidual | null) ?? InvertedResidual;
    const norm = (o.normLayer as NormLayer | null) ?? batchNorm2d;
    const setting = (o.invertedResidualSetting as number[][] | null) ?? [
      [1, 16, 1, 1],
      [6, 24, 2, 2],
      [6, 32, 3, 2],
      [6, 64, 4, 2],
      [6, 96, 3, 1],
      [6, 160, 3, 2],
      [6, 320, 1, 1],
    ];
    if (setting.length === 0 || setting[0].length !== 4) {
      throw new RangeError(
        `inverted_residual_setting should be non-empty or a 4-element list, got ${JSON.stringify(setting)}`,
      );
    }
    let input = makeDivisible(32 * o.widthMult, o.roundNearest);
    this.lastChannel = makeDivisible(1280 * Math.max(1.0, o.widthMult), o.roundNearest);
    const features: Module[] = [
      new Conv2dNormActivation(3, input, { stride: 2, normLayer: norm, activationLayer: relu6 }),
    ];
    for (const [t, c, n, s] of setting) {
      const out = makeDivisible(c * o.widthMult, o.roundNearest);
      for (let i = 0; i < n; i++) {
        features.push(new block(input, out, i === 0 ? s : 1, t, norm));
        input = out;
      }
    }
    features.push(
      new Conv2dNormActivation(input, this.lastChannel, { kernelSize: 1, normLayer: norm, activationLayer: relu6 }),
    );
    this.features = new nn.Sequential(...features);
    this.classifier = new nn.Sequential(new nn.Dropout(o.dropout), new nn.Linear(this.lastChannel, o.numClasses));
    initModel(this, { conv: convInit, linear: linearInit });
  }
  forward(x: Tensor): Tensor {
    const f = this.features.forward(x);
    const pooled = adaptiveAvgPool2d(f, [1, 1]);
    freeIntermediate(f, x, pooled);
    const flat = ops.flatten(pooled, 1);
    const y = this.classifier.forward(flat);
    freeIntermediate(flat, x, y);
    freeIntermediate(pooled, x, y);
    return y;
  }
}

/** torchvision.models.mobilenet_v2: `mobilenetV2({ numClasses: 10, widthMult: 0.5 })`. */
export function mobilenetV2(opts: MobileNetV2Options = {}): MobileNetV2 {
  return new MobileNetV2(checkNoWeights("mobilenetV2", opts));
}

// ------------------------------------------------------------------ MobileNetV3

/** One row of MobileNetV3's table (torchvision's InvertedResidualConfig). */
export class InvertedResidualConfig {
  readonly inputChannels: number;
  readonly expandedChannels: number;
  readonly outChannels: number;
  readonly useHs: boolean;
  constructor(
    inputChannels: number,
    readonly kernel: number,
    expandedChannels: number,
    outChannels: number,
    readonly useSe: boolean,
    activation: "RE" | "HS",
    readonly stride: number,
    readonly dilation: number,
    widthMult: number,
  ) {
    this.inputChannels = InvertedResidualConfig.adjustChannels(inputChannels, widthMult);
    this.expandedChannels = InvertedResidualConfig.adjustChannels(expandedChannels, widthMult);
    this.outChannels = InvertedResidualConfig.adjustChannels(outChannels, widthMult);
    this.useHs = activation === "HS";
  }
  static adjustChannels(channels: number, widthMult: number): number {
    return makeDivisible(channels * widthMult, 8);
  }
}

const seHardsigmoid = (i: number, s: number) => new SqueezeExcitation(i, s, { scaleActivation: hardsigmoid });

/** MobileNetV3's block: expand, depthwise, squeeze-excitation, project (torchvision's InvertedResidual). */
export class InvertedResidualV3 extends Module {
  readonly useResConnect: boolean;
  block: nn.Sequential;
  readonly outChannels: number;
  constructor(
    cnf: InvertedResidualConfig,
    normLayer: NormLayer,
    seLayer: (i: number, s: number) => Module = seHardsigmoid,
  ) {
    super();
    if (!(cnf.stride >= 1 && cnf.stride <= 2)) throw new RangeError("illegal stride value");
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const act: ActivationLayer = cnf.useHs ? hardswish : relu;
    const layers: Module[] = [];
    if (cnf.expandedChannels !== cnf.inputChannels) {
      layers.push(
        new Conv2dNormActivation(cnf.inputChannels, cnf.expandedChannels, {
          kernelSize: 1,
          normLayer,
          activationLayer: act,
        }),
      );
    }
    const stride = cnf.dilation > 1 ? 1 : cnf.stride;
    layers.push(
      new Conv2dNormActivation(cnf.expandedChannels, cnf.expandedChannels, {
        kernelSize: cnf.kernel,
        stride,
        dilation: cnf.dilation,
        groups: cnf.expandedChannels,
        normLayer,
        activationLayer: act,
      }),
    );
    if (cnf.useSe) layers.push(seLayer(cnf.expandedChannels, makeDivisible(Math.floor(cnf.expandedChannels / 4), 8)));
    layers.push(
      new Conv2dNormActivation(cnf.expandedChannels, cnf.outChannels, {
        kernelSize: 1,
        normLayer,
        activationLayer: null,
      }),
    );
    this.block = new nn.Sequential(...layers);
    this.outChannels = cnf.outChannels;
  }
  forward(x: Tensor): Tensor {
    if (!this.useResConnect) return this.block.forward(x);
    if (inheritsForward(this.block, nn.Sequential)) return this.block.forwardAdd(x, x);
    const r = this.block.forward(x);
    const out = ops.add(r, x);
    freeIntermediate(r, x, out);
    return out;
  }
}
// torchvision's class is also called InvertedResidual: print(model) shows that name
Object.defineProperty(InvertedResidualV3, "name", { value: "InvertedResidual" });

export interface MobileNetV3Options {
  numClasses?: number;
  widthMult?: number;
  reducedTail?: boolean;
  dilated?: boolean;
  dropout?: number;
  normLayer?: NormLayer | null;
  block?: unknown;
  weights?: null;
  progress?: boolean;
}

/** MobileNetV3 (large or small) as in torchvision: build it with `mobilenetV3Large()` / `mobilenetV3Small()`. Mirrors `torchvision.models.MobileNetV3`. */
export class MobileNetV3 extends Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;
  constructor(
    setting: InvertedResidualConfig[],
    lastChannel: number,
    opts: { numClasses?: number; dropout?: number; normLayer?: NormLayer | null; block?: unknown } = {},
  ) {
    super();
    const o = parseArgs("vision.models.MobileNetV3", [opts], {
      numClasses: [A.posInt, 1000],
      dropout: [A.num, 0.2],
      normLayer: [A.nullable(A.func), null],
      block: [A.nullable(A.func), null],
    });
    if (!setting.length) throw new RangeError("The inverted_residual_setting should not be empty");
    const block = (o.block as typeof InvertedResidualV3 | null) ?? InvertedResidualV3;
    const norm =
      (o.normLayer as NormLayer | null) ?? ((c: number) => new nn.BatchNorm2d(c, { eps: 0.001, momentum: 0.01 }));
    const layers: Module[] = [
      new Conv2dNormActivation(3, setting[0].inputChannels, {
        kernelSize: 3,
        stride: 2,
        normLayer: norm,
        activationLayer: hardswish,
      }),
    ];
    for (const cnf of setting) layers.push(new block(cnf, norm));
    const lastIn = setting[setting.length - 1].outChannels,
      lastOut = 6 * lastIn;
    layers.push(
      new Conv2dNormActivation(lastIn, lastOut, { kernelSize: 1, normLayer: norm, activationLayer: hardswish }),
    );
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Linear(lastOut, lastChannel),
      hardswish({ inplace: true }),
      new nn.Dropout(o.dropout, true),
      new nn.Linear(lastChannel, o.numClasses),
    );
    initModel(this, { conv: convInit, linear: linearInit });
  }
  forward(x: Tensor): Tensor {
    const f = this.features.forward(x);
    const pooled = this.avgpool.forward(f);
    freeIntermediate(f, x, pooled);
    const flat = ops.flatten(pooled, 1);
    const y = this.classifier.forward(flat);
    freeIntermediate(flat, x, y);
    freeIntermediate(pooled, x, y);
    return y;
  }
}

function v3conf(
  arch: "large" | "small",
  widthMult: number,
  reducedTail: boolean,
  dilated: boolean,
): [InvertedResidualConfig[], number] {
  const rd = reducedTail ? 2 : 1,
    dil = dilated ? 2 : 1;
  const b = (i: number, k: number, e: number, o: number, se: boolean, a: "RE" | "HS", s: number, d: number) =>
    new InvertedResidualConfig(i, k, e, o, se, a, s, d, widthMult);
  const f = (v: number) => Math.floor(v / rd);
  if (arch === "large") {
    return [
      [
        b(16, 3, 16, 16, false, "RE", 1, 1),
        b(16, 3, 64, 24, false, "RE", 2, 1),
        b(24, 3, 72, 24, false, "RE", 1, 1),
        b(24, 5, 72, 40, true, "RE", 2, 1),
        b(40, 5, 120, 40, true, "RE", 1, 1),
        b(40, 5, 120, 40, true, "RE", 1, 1),
        b(40, 3, 240, 80, false, "HS", 2, 1),
        b(80, 3, 200, 80, false, "HS", 1, 1),
        b(80, 3, 184, 80, false, "HS", 1, 1),
        b(80, 3, 184, 80, false, "HS", 1, 1),
        b(80, 3, 480, 112, true, "HS", 1, 1),
        b(112, 3, 672, 112, true, "HS", 1, 1),
        b(112, 5, 672, f(160), true, "HS", 2, dil),
        b(f(160), 5, f(960), f(160), true, "HS", 1, dil),
        b(f(160), 5, f(960), f(160), true, "HS", 1, dil),
      ],
      InvertedResidualConfig.adjustChannels(f(1280), widthMult),
    ];
  }
  return [
    [
      b(16, 3, 16, 16, true, "RE", 2, 1),
      b(16, 3, 72, 24, false, "RE", 2, 1),
      b(24, 3, 88, 24, false, "RE", 1, 1),
      b(24, 5, 96, 40, true, "HS", 2, 1),
      b(40, 5, 240, 40, true, "HS", 1, 1),
      b(40, 5, 240, 40, true, "HS", 1, 1),
      b(40, 5, 120, 48, true, "HS", 1, 1),
      b(48, 5, 144, 48, true, "HS", 1, 1),
      b(48, 5, 288, f(96), true, "HS", 2, dil),
      b(f(96), 5, f(576), f(96), true, "HS", 1, dil),
      b(f(96), 5, f(576), f(96), true, "HS", 1, dil),
    ],
    InvertedResidualConfig.adjustChannels(f(1024), widthMult),
  ];
}

function buildV3(arch: "large" | "small", name: string, opts: MobileNetV3Options): MobileNetV3 {
  checkNoWeights(name, opts);
  const { widthMult = 1.0, reducedTail = false, dilated = false, weights, progress, ...rest } = opts;
  void weights;
  void progress;
  const [setting, last] = v3conf(arch, widthMult, reducedTail, dilated);
  return new MobileNetV3(setting, last, rest);
}
/** torchvision.models.mobilenet_v3_large. */
export function mobilenetV3Large(opts: MobileNetV3Options = {}): MobileNetV3 {
  return buildV3("large", "mobilenetV3Large", opts);
}
/** torchvision.models.mobilenet_v3_small. */
export function mobilenetV3Small(opts: MobileNetV3Options = {}): MobileNetV3 {
  return buildV3("small", "mobilenetV3Small", opts);
}
