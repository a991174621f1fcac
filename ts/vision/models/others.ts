// torchvision 0.14's SqueezeNet 1.1, ShuffleNetV2 x1.0, EfficientNet-B0, DenseNet-121 and VGG-11:
// module trees, state-dict keys and print text of the torchvision.models files of the same names.

import type { Tensor } from "../../tensor.js";
import * as ops from "../../ops.js";
import * as nn from "../../nn/index.js";
import { dropout, relu as reluFn } from "../../nn/functional/basic.js";
import { adaptiveAvgPool2d } from "../../nn/functional/pool.js";
import { Module } from "../../nn/module.js";
import { A, parseArgs } from "../../utils/args.js";
import {
  Conv2dNormActivation,
  SqueezeExcitation,
  StochasticDepth,
  batchNorm2d,
  constantInit,
  initModel,
  kaimingNormal,
  kaimingUniform,
  makeDivisible,
  normal_,
  silu,
  uniform_,
  zeros_,
  type NormLayer,
} from "../ops.js";
import { checkNoWeights } from "./common.js";
import { inheritsForward } from "../../nn/fusion.js";

/** A Sequential whose children have names (PyTorch's Sequential(OrderedDict(...))). */
function namedSequential(entries: [string, Module][]): nn.Sequential {
  const s = new nn.Sequential();
  for (const [k, m] of entries) s.registerModule(k, m);
  return s;
}

// ------------------------------------------------------------------ SqueezeNet

export class Fire extends Module {
  squeeze: nn.Conv2d;
  squeeze_activation: nn.ReLU;
  expand1x1: nn.Conv2d;
  expand1x1_activation: nn.ReLU;
  expand3x3: nn.Conv2d;
  expand3x3_activation: nn.ReLU;
  constructor(
    readonly inplanes: number,
    squeezePlanes: number,
    expand1x1Planes: number,
    expand3x3Planes: number,
  ) {
    super();
    this.squeeze = new nn.Conv2d(inplanes, squeezePlanes, 1);
    this.squeeze_activation = new nn.ReLU(true);
    this.expand1x1 = new nn.Conv2d(squeezePlanes, expand1x1Planes, 1);
    this.expand1x1_activation = new nn.ReLU(true);
    this.expand3x3 = new nn.Conv2d(squeezePlanes, expand3x3Planes, 3, { padding: 1 });
    this.expand3x3_activation = new nn.ReLU(true);
  }
  forward(x: Tensor): Tensor {
    x = this.squeeze_activation.forward(this.squeeze.forward(x));
    return ops.cat(
      [
        this.expand1x1_activation.forward(this.expand1x1.forward(x)),
        this.expand3x3_activation.forward(this.expand3x3.forward(x)),
      ],
      1,
    );
  }
}

/** SqueezeNet as in torchvision: fire modules; `squeezenet1_1()`. Mirrors `torchvision.models.SqueezeNet`. */
export class SqueezeNet extends Module {
  features: nn.Sequential;
  classifier: nn.Sequential;
  constructor(opts: { version?: "1_0" | "1_1"; numClasses?: number; dropout?: number } = {}) {
    super();
    const o = parseArgs("vision.models.SqueezeNet", [opts], {
      version: [A.oneOf("1_0", "1_1"), "1_0"],
      numClasses: [A.posInt, 1000],
      dropout: [A.num, 0.5],
    });
    const pool = () => new nn.MaxPool2d(3, { stride: 2, ceilMode: true });
    if (o.version === "1_0") {
      this.features = new nn.Sequential(
        new nn.Conv2d(3, 96, 7, { stride: 2 }),
        new nn.ReLU(true),
        pool(),
        new Fire(96, 16, 64, 64),
        new Fire(128, 16, 64, 64),
        new Fire(128, 32, 128, 128),
        pool(),
        new Fire(256, 32, 128, 128),
        new Fire(256, 48, 192, 192),
        new Fire(384, 48, 192, 192),
        new Fire(384, 64, 256, 256),
        pool(),
        new Fire(512, 64, 256, 256),
      );
    } else {
      this.features = new nn.Sequential(
        new nn.Conv2d(3, 64, 3, { stride: 2 }),
        new nn.ReLU(true),
        pool(),
        new Fire(64, 16, 64, 64),
        new Fire(128, 16, 64, 64),
        pool(),
        new Fire(128, 32, 128, 128),
        new Fire(256, 32, 128, 128),
        pool(),
        new Fire(256, 48, 192, 192),
        new Fire(384, 48, 192, 192),
        new Fire(384, 64, 256, 256),
        new Fire(512, 64, 256, 256),
      );
    }
    const finalConv = new nn.Conv2d(512, o.numClasses, 1);
    this.classifier = new nn.Sequential(
      new nn.Dropout(o.dropout),
      finalConv,
      new nn.ReLU(true),
      new nn.AdaptiveAvgPool2d([1, 1]),
    );
    for (const m of this.modules()) {
      if (!(m instanceof nn.Conv2d)) continue;
      if (m === finalConv) normal_(m.weight, 0, 0.01);
      else kaimingUniform(m.weight);
      if (m.bias) zeros_(m.bias);
    }
  }
  forward(x: Tensor): Tensor {
    return ops.flatten(this.classifier.forward(this.features.forward(x)), 1);
  }
}

/** torchvision.models.squeezenet1_1. */
export function squeezenet1_1(
  opts: { numClasses?: number; dropout?: number; weights?: null; progress?: boolean } = {},
): SqueezeNet {
  const { weights, progress, ...rest } = checkNoWeights("squeezenet1_1", opts);
  void weights;
  void progress;
  return new SqueezeNet({ version: "1_1", ...rest });
}

// ------------------------------------------------------------------ ShuffleNetV2

/** [N, C, H, W] with the channels of `groups` groups interleaved. */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const [n, c, h, w] = x.shape;
  const v = ops.view(x, [n, groups, Math.floor(c / groups), h, w]);
  return ops.reshape(ops.contiguous(ops.transpose(v, 1, 2)), [n, -1, h, w]);
}

const depthwise = (i: number, o: number, k: number, stride = 1, padding = 0, bias = false) =>
  new nn.Conv2d(i, o, k, { stride, padding, bias, groups: i });

export class ShuffleInvertedResidual extends Module {
  branch1: nn.Sequential;
  branch2: nn.Sequential;
  constructor(
    inp: number,
    oup: number,
    readonly stride: number,
  ) {
    super();
    if (!(stride >= 1 && stride <= 3)) throw new RangeError("illegal stride value");
    const bf = Math.floor(oup / 2);
    if (stride === 1 && inp !== bf << 1) {
      throw new RangeError(
        `Invalid combination of stride ${stride}, inp ${inp} and oup ${oup} values. If stride == 1 then inp should be equal to oup // 2 << 1.`,
      );
    }
    this.branch1 =
      stride > 1
        ? new nn.Sequential(
            depthwise(inp, inp, 3, stride, 1),
            new nn.BatchNorm2d(inp),
            new nn.Conv2d(inp, bf, 1, { bias: false }),
            new nn.BatchNorm2d(bf),
            new nn.ReLU(true),
          )
        : new nn.Sequential();
    this.branch2 = new nn.Sequential(
      new nn.Conv2d(stride > 1 ? inp : bf, bf, 1, { bias: false }),
      new nn.BatchNorm2d(bf),
      new nn.ReLU(true),
      depthwise(bf, bf, 3, stride, 1),
      new nn.BatchNorm2d(bf),
      new nn.Conv2d(bf, bf, 1, { bias: false }),
      new nn.BatchNorm2d(bf),
      new nn.ReLU(true),
    );
  }
  forward(x: Tensor): Tensor {
    let out: Tensor;
    if (this.stride === 1) {
      const half = x.shape[1] / 2;
      out = ops.cat([ops.narrow(x, 1, 0, half), this.branch2.forward(ops.narrow(x, 1, half, half))], 1);
    } else {
      out = ops.cat([this.branch1.forward(x), this.branch2.forward(x)], 1);
    }
    return channelShuffle(out, 2);
  }
}
Object.defineProperty(ShuffleInvertedResidual, "name", { value: "InvertedResidual" });

/** ShuffleNetV2 as in torchvision: channel split and shuffle blocks; `shufflenetV2X1_0()`. Mirrors `torchvision.models.ShuffleNetV2`. */
export class ShuffleNetV2 extends Module {
  conv1: nn.Sequential;
  maxpool: nn.MaxPool2d;
  stage2: nn.Sequential;
  stage3: nn.Sequential;
  stage4: nn.Sequential;
  conv5: nn.Sequential;
  fc: nn.Linear;
  constructor(stagesRepeats: number[], stagesOutChannels: number[], opts: { numClasses?: number } = {}) {
    super();
    const o = parseArgs("vision.models.ShuffleNetV2", [opts], { numClasses: [A.posInt, 1000] });
    if (stagesRepeats.length !== 3) throw new RangeError("expected stages_repeats as list of 3 positive ints");
    if (stagesOutChannels.length !== 5) throw new RangeError("expected stages_out_channels as list of 5 positive ints");
    let input = 3,
      output = stagesOutChannels[0];
    this.conv1 = new nn.Sequential(
      new nn.Conv2d(input, output, 3, { stride: 2, padding: 1, bias: false }),
      new nn.BatchNorm2d(output),
      new nn.ReLU(true),
    );
    input = output;
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    const stages: nn.Sequential[] = [];
    stagesRepeats.forEach((repeats, i) => {
      output = stagesOutChannels[i + 1];
      const seq: Module[] = [new ShuffleInvertedResidual(input, output, 2)];
      for (let k = 0; k < repeats - 1; k++) seq.push(new ShuffleInvertedResidual(output, output, 1));
      stages.push(new nn.Sequential(...seq));
      input = output;
    });
    [this.stage2, this.stage3, this.stage4] = stages;
    output = stagesOutChannels[4];
    this.conv5 = new nn.Sequential(
      new nn.Conv2d(input, output, 1, { bias: false }),
      new nn.BatchNorm2d(output),
      new nn.ReLU(true),
    );
    this.fc = new nn.Linear(output, o.numClasses);
  }
  forward(x: Tensor): Tensor {
    x = this.maxpool.forward(this.conv1.forward(x));
    x = this.conv5.forward(this.stage4.forward(this.stage3.forward(this.stage2.forward(x))));
    return this.fc.forward(ops.mean(x, [2, 3]));
  }
}

/** torchvision.models.shufflenet_v2_x1_0. */
export function shufflenetV2X1_0(opts: { numClasses?: number; weights?: null; progress?: boolean } = {}): ShuffleNetV2 {
  const { weights, progress, ...rest } = checkNoWeights("shufflenetV2X1_0", opts);
  void weights;
  void progress;
  return new ShuffleNetV2([4, 8, 4], [24, 116, 232, 464, 1024], rest);
}

// ------------------------------------------------------------------ EfficientNet

/** One stage of EfficientNet's table (torchvision's MBConvConfig). */
export class MBConvConfig {
  inputChannels: number;
  outChannels: number;
  numLayers: number;
  constructor(
    readonly expandRatio: number,
    readonly kernel: number,
    public stride: number,
    inputChannels: number,
    outChannels: number,
    numLayers: number,
    widthMult = 1.0,
    depthMult = 1.0,
  ) {
    this.inputChannels = MBConvConfig.adjustChannels(inputChannels, widthMult);
    this.outChannels = MBConvConfig.adjustChannels(outChannels, widthMult);
    this.numLayers = Math.ceil(numLayers * depthMult);
  }
  static adjustChannels(channels: number, widthMult: number, minValue: number | null = null): number {
    return makeDivisible(channels * widthMult, 8, minValue);
  }
}

export class MBConv extends Module {
  readonly useResConnect: boolean;
  block: nn.Sequential;
  stochastic_depth: StochasticDepth;
  readonly outChannels: number;
  constructor(cnf: MBConvConfig, stochasticDepthProb: number, normLayer: NormLayer) {
    super();
    if (!(cnf.stride >= 1 && cnf.stride <= 2)) throw new RangeError("illegal stride value");
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const layers: Module[] = [];
    const expanded = MBConvConfig.adjustChannels(cnf.inputChannels, cnf.expandRatio);
    if (expanded !== cnf.inputChannels)
      layers.push(
        new Conv2dNormActivation(cnf.inputChannels, expanded, { kernelSize: 1, normLayer, activationLayer: silu }),
      );
    layers.push(
      new Conv2dNormActivation(expanded, expanded, {
        kernelSize: cnf.kernel,
        stride: cnf.stride,
        groups: expanded,
        normLayer,
        activationLayer: silu,
      }),
    );
    const squeeze = Math.max(1, Math.floor(cnf.inputChannels / 4));
    layers.push(new SqueezeExcitation(expanded, squeeze, { activation: () => silu({ inplace: true }) }));
    layers.push(
      new Conv2dNormActivation(expanded, cnf.outChannels, { kernelSize: 1, normLayer, activationLayer: null }),
    );
    this.block = new nn.Sequential(...layers);
    this.stochastic_depth = new StochasticDepth(stochasticDepthProb, "row");
    this.outChannels = cnf.outChannels;
  }
  forward(x: Tensor): Tensor {
    // in eval stochastic depth is the identity: x + block(x), the add in the last conv's kernel
    // in inference (Sequential.forwardAdd)
    const sd = this.stochastic_depth;
    if (
      this.useResConnect &&
      (!sd.training || sd.p === 0) &&
      inheritsForward(sd, StochasticDepth) &&
      inheritsForward(this.block, nn.Sequential)
    )
      return this.block.forwardAdd(x, x);
    const r = this.block.forward(x);
    return this.useResConnect ? ops.add(sd.forward(r), x) : r;
  }
}

/** EfficientNet as in torchvision: MBConv blocks with squeeze-excitation; `efficientnetB0()`. Mirrors `torchvision.models.EfficientNet`. */
export class EfficientNet extends Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;
  constructor(
    setting: MBConvConfig[],
    dropoutP: number,
    opts: {
      stochasticDepthProb?: number;
      numClasses?: number;
      normLayer?: NormLayer | null;
      lastChannel?: number | null;
    } = {},
  ) {
    super();
    const o = parseArgs("vision.models.EfficientNet", [opts], {
      stochasticDepthProb: [A.num, 0.2],
      numClasses: [A.posInt, 1000],
      normLayer: [A.nullable(A.func), null],
      lastChannel: [A.nullable(A.posInt), null],
    });
    if (!setting.length) throw new RangeError("The inverted_residual_setting should not be empty");
    const norm = (o.normLayer as NormLayer | null) ?? batchNorm2d;
    const layers: Module[] = [
      new Conv2dNormActivation(3, setting[0].inputChannels, {
        kernelSize: 3,
        stride: 2,
        normLayer: norm,
        activationLayer: silu,
      }),
    ];
    const total = setting.reduce((a, c) => a + c.numLayers, 0);
    let id = 0;
    for (const cnf of setting) {
      const stage: Module[] = [];
      for (let k = 0; k < cnf.numLayers; k++) {
        const b = Object.assign(Object.create(MBConvConfig.prototype), cnf) as MBConvConfig;
        if (stage.length) {
          b.inputChannels = b.outChannels;
          b.stride = 1;
        }
        stage.push(new MBConv(b, (o.stochasticDepthProb * id) / total, norm));
        id++;
      }
      layers.push(new nn.Sequential(...stage));
    }
    const lastIn = setting[setting.length - 1].outChannels,
      lastOut = o.lastChannel ?? 4 * lastIn;
    layers.push(new Conv2dNormActivation(lastIn, lastOut, { kernelSize: 1, normLayer: norm, activationLayer: silu }));
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(new nn.Dropout(dropoutP, true), new nn.Linear(lastOut, o.numClasses));
    initModel(this, {
      conv: (c) => {
        kaimingNormal(c.weight, "fan_out");
        if (c.bias) zeros_(c.bias);
      },
      linear: (l) => {
        const r = 1 / Math.sqrt(l.outFeatures);
        uniform_(l.weight, -r, r);
        if (l.bias) zeros_(l.bias);
      },
    });
  }
  forward(x: Tensor): Tensor {
    x = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(ops.flatten(x, 1));
  }
}

/** torchvision.models.efficientnet_b0. */
export function efficientnetB0(
  opts: {
    numClasses?: number;
    stochasticDepthProb?: number;
    normLayer?: NormLayer | null;
    weights?: null;
    progress?: boolean;
  } = {},
): EfficientNet {
  const { weights, progress, ...rest } = checkNoWeights("efficientnetB0", opts);
  void weights;
  void progress;
  const b = (e: number, k: number, s: number, i: number, o: number, n: number) =>
    new MBConvConfig(e, k, s, i, o, n, 1.0, 1.0);
  const setting = [
    b(1, 3, 1, 32, 16, 1),
    b(6, 3, 2, 16, 24, 2),
    b(6, 5, 2, 24, 40, 2),
    b(6, 3, 2, 40, 80, 3),
    b(6, 5, 1, 80, 112, 3),
    b(6, 5, 2, 112, 192, 4),
    b(6, 3, 1, 192, 320, 1),
  ];
  return new EfficientNet(setting, 0.2, rest);
}

// ------------------------------------------------------------------ DenseNet

export class _DenseLayer extends Module {
  norm1: nn.BatchNorm2d;
  relu1: nn.ReLU;
  conv1: nn.Conv2d;
  norm2: nn.BatchNorm2d;
  relu2: nn.ReLU;
  conv2: nn.Conv2d;
  readonly dropRate: number;
  constructor(
    numInputFeatures: number,
    growthRate: number,
    bnSize: number,
    dropRate: number,
    readonly memoryEfficient = false,
  ) {
    super();
    this.norm1 = new nn.BatchNorm2d(numInputFeatures);
    this.relu1 = new nn.ReLU(true);
    this.conv1 = new nn.Conv2d(numInputFeatures, bnSize * growthRate, 1, { stride: 1, bias: false });
    this.norm2 = new nn.BatchNorm2d(bnSize * growthRate);
    this.relu2 = new nn.ReLU(true);
    this.conv2 = new nn.Conv2d(bnSize * growthRate, growthRate, 3, { stride: 1, padding: 1, bias: false });
    this.dropRate = dropRate;
  }
  forward(input: Tensor | Tensor[]): Tensor {
    const prev = Array.isArray(input) ? input : [input];
    const cat = prev.length === 1 ? prev[0] : ops.cat(prev, 1);
    const bottleneck = this.conv1.forward(this.relu1.forward(this.norm1.forward(cat)));
    let out = this.conv2.forward(this.relu2.forward(this.norm2.forward(bottleneck)));
    if (this.dropRate > 0) out = dropout(out, this.dropRate, { training: this.training });
    return out;
  }
}

export class _DenseBlock extends Module {
  constructor(
    numLayers: number,
    numInputFeatures: number,
    bnSize: number,
    growthRate: number,
    dropRate: number,
    memoryEfficient = false,
  ) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.registerModule(
        `denselayer${i + 1}`,
        new _DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, dropRate, memoryEfficient),
      );
    }
  }
  forward(init: Tensor): Tensor {
    const features = [init];
    for (const layer of this.children()) features.push(layer.forward(features) as Tensor);
    return ops.cat(features, 1);
  }
}

export class _Transition extends nn.Sequential {
  constructor(numInputFeatures: number, numOutputFeatures: number) {
    super();
    this.registerModule("norm", new nn.BatchNorm2d(numInputFeatures));
    this.registerModule("relu", new nn.ReLU(true));
    this.registerModule("conv", new nn.Conv2d(numInputFeatures, numOutputFeatures, 1, { stride: 1, bias: false }));
    this.registerModule("pool", new nn.AvgPool2d(2, { stride: 2 }));
  }
}

export interface DenseNetOptions {
  growthRate?: number;
  blockConfig?: number[];
  numInitFeatures?: number;
  bnSize?: number;
  dropRate?: number;
  numClasses?: number;
  memoryEfficient?: boolean;
}
/** DenseNet as in torchvision: dense blocks and transitions; `densenet121()`. Mirrors `torchvision.models.DenseNet`. */
export class DenseNet extends Module {
  features: nn.Sequential;
  classifier: nn.Linear;
  constructor(opts: DenseNetOptions = {}) {
    super();
    const o = parseArgs("vision.models.DenseNet", [opts], {
      growthRate: [A.posInt, 32],
      blockConfig: [A.ints, [6, 12, 24, 16]],
      numInitFeatures: [A.posInt, 64],
      bnSize: [A.posInt, 4],
      dropRate: [A.num, 0],
      numClasses: [A.posInt, 1000],
      memoryEfficient: [A.bool, false],
    });
    this.features = namedSequential([
      ["conv0", new nn.Conv2d(3, o.numInitFeatures, 7, { stride: 2, padding: 3, bias: false })],
      ["norm0", new nn.BatchNorm2d(o.numInitFeatures)],
      ["relu0", new nn.ReLU(true)],
      ["pool0", new nn.MaxPool2d(3, { stride: 2, padding: 1 })],
    ]);
    let nf = o.numInitFeatures;
    o.blockConfig.forEach((numLayers, i) => {
      this.features.registerModule(
        `denseblock${i + 1}`,
        new _DenseBlock(numLayers, nf, o.bnSize, o.growthRate, o.dropRate, o.memoryEfficient),
      );
      nf += numLayers * o.growthRate;
      if (i !== o.blockConfig.length - 1) {
        this.features.registerModule(`transition${i + 1}`, new _Transition(nf, Math.floor(nf / 2)));
        nf = Math.floor(nf / 2);
      }
    });
    this.features.registerModule("norm5", new nn.BatchNorm2d(nf));
    this.classifier = new nn.Linear(nf, o.numClasses);
    initModel(this, {
      conv: (c) => kaimingNormal(c.weight, "fan_in"),
      linear: (l) => {
        if (l.bias) constantInit(l.bias, 0);
      },
    });
  }
  forward(x: Tensor): Tensor {
    let out = reluFn(this.features.forward(x));
    out = adaptiveAvgPool2d(out, [1, 1]);
    return this.classifier.forward(ops.flatten(out, 1));
  }
}

/** torchvision.models.densenet121. */
export function densenet121(
  opts: Omit<DenseNetOptions, "growthRate" | "blockConfig" | "numInitFeatures"> & {
    weights?: null;
    progress?: boolean;
  } = {},
): DenseNet {
  const { weights, progress, ...rest } = checkNoWeights("densenet121", opts);
  void weights;
  void progress;
  return new DenseNet({ growthRate: 32, blockConfig: [6, 12, 24, 16], numInitFeatures: 64, ...rest });
}

// ------------------------------------------------------------------ VGG

/** VGG as in torchvision: 3x3 conv stacks and a 3-layer classifier; `vgg11()`. Mirrors `torchvision.models.VGG`. */
export class VGG extends Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;
  constructor(features: nn.Sequential, opts: { numClasses?: number; initWeights?: boolean; dropout?: number } = {}) {
    super();
    const o = parseArgs("vision.models.VGG", [opts], {
      numClasses: [A.posInt, 1000],
      initWeights: [A.bool, true],
      dropout: [A.num, 0.5],
    });
    this.features = features;
    this.avgpool = new nn.AdaptiveAvgPool2d([7, 7]);
    this.classifier = new nn.Sequential(
      new nn.Linear(512 * 7 * 7, 4096),
      new nn.ReLU(true),
      new nn.Dropout(o.dropout),
      new nn.Linear(4096, 4096),
      new nn.ReLU(true),
      new nn.Dropout(o.dropout),
      new nn.Linear(4096, o.numClasses),
    );
    if (o.initWeights) {
      initModel(this, {
        conv: (c) => {
          kaimingNormal(c.weight, "fan_out");
          if (c.bias) zeros_(c.bias);
        },
        linear: (l) => {
          normal_(l.weight, 0, 0.01);
          if (l.bias) zeros_(l.bias);
        },
      });
    }
  }
  forward(x: Tensor): Tensor {
    x = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(ops.flatten(x, 1));
  }
}

/** torchvision's make_layers for a VGG configuration ("M" = 2x2 max pool). */
export function makeVggLayers(cfg: (number | "M")[], batchNorm = false): nn.Sequential {
  const layers: Module[] = [];
  let inC = 3;
  for (const v of cfg) {
    if (v === "M") {
      layers.push(new nn.MaxPool2d(2, { stride: 2 }));
      continue;
    }
    layers.push(new nn.Conv2d(inC, v, 3, { padding: 1 }));
    if (batchNorm) layers.push(new nn.BatchNorm2d(v));
    layers.push(new nn.ReLU(true));
    inC = v;
  }
  return new nn.Sequential(...layers);
}

/** torchvision.models.vgg11. */
export function vgg11(
  opts: { numClasses?: number; initWeights?: boolean; dropout?: number; weights?: null; progress?: boolean } = {},
): VGG {
  const { weights, progress, ...rest } = checkNoWeights("vgg11", opts);
  void weights;
  void progress;
  return new VGG(makeVggLayers([64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]), rest);
}
