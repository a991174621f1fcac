// torchvision 0.14's ResNet family (resnet18/34/50, resnext50_32x4d): the same module tree,
// state-dict keys, print text and numbers as torchvision.models.resnet.

import type { Tensor } from "../../tensor.js";
import * as ops from "../../ops.js";
import * as nn from "../../nn/index.js";
import { Module, type TensorModule } from "../../nn/module.js";
import { A, parseArgs } from "../../utils/args.js";
import { batchNorm2d, initModel, kaimingNormal, type NormLayer, zeros_ } from "../ops.js";
import { checkNoWeights, freeIntermediate } from "./common.js";
import { convNormAct } from "../../nn/fusion.js";

/** relu(bn(conv(x))) as one folded conv in inference, else the three modules. */
const convBnRelu = (conv: nn.Conv2d, bn: TensorModule, relu: nn.ReLU | null, x: Tensor): Tensor => {
  const y = convNormAct(conv, bn, relu, x);
  if (y !== null) return y;
  const z = bn.forward(conv.forward(x));
  return relu ? relu.forward(z) : z;
};
/**
 * The block's tail relu(bn(conv(out)) + identity): in inference one folded conv with the residual
 * add and the ReLU in its epilogue, else the modules and ops. The fused form frees `out` and a
 * downsampled `identity` (nothing else reads them).
 */
function residualTail(
  conv: nn.Conv2d,
  bn: TensorModule,
  relu: nn.ReLU,
  out: Tensor,
  identity: Tensor,
  input: Tensor,
): Tensor {
  const y = convNormAct(conv, bn, relu, out, identity);
  if (y !== null) {
    // the fused conv recorded nothing: out and a downsampled identity have no other reader
    if (out !== input) out.dispose();
    if (identity !== input) identity.dispose();
    return y;
  }
  const z = bn.forward(conv.forward(out));
  return relu.forward(ops.add(z, identity));
}

const conv3x3 = (i: number, o: number, stride = 1, groups = 1, dilation = 1) =>
  new nn.Conv2d(i, o, 3, { stride, padding: dilation, groups, bias: false, dilation });
const conv1x1 = (i: number, o: number, stride = 1) => new nn.Conv2d(i, o, 1, { stride, bias: false });

interface BlockCtor {
  expansion: number;
  new (
    inplanes: number,
    planes: number,
    stride: number,
    downsample: TensorModule | null,
    groups: number,
    baseWidth: number,
    dilation: number,
    normLayer: NormLayer,
  ): Module;
}

/** The two 3x3 conv residual block of ResNet-18/34. Mirrors `torchvision.models.resnet.BasicBlock`. */
export class BasicBlock extends Module {
  static expansion = 1;
  conv1: nn.Conv2d;
  bn1: TensorModule;
  relu: nn.ReLU;
  conv2: nn.Conv2d;
  bn2: TensorModule;
  downsample: TensorModule | null;
  constructor(
    inplanes: number,
    planes: number,
    readonly stride = 1,
    downsample: TensorModule | null = null,
    groups = 1,
    baseWidth = 64,
    dilation = 1,
    normLayer: NormLayer = batchNorm2d,
  ) {
    super();
    if (groups !== 1 || baseWidth !== 64) throw new RangeError("BasicBlock only supports groups=1 and base_width=64");
    if (dilation > 1) throw new Error("Dilation > 1 not supported in BasicBlock");
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = normLayer(planes);
    this.relu = new nn.ReLU(true);
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = normLayer(planes);
    this.downsample = downsample;
  }
  forward(x: Tensor): Tensor {
    const out = convBnRelu(this.conv1, this.bn1, this.relu, x);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return residualTail(this.conv2, this.bn2, this.relu, out, identity, x);
  }
}

/** The 1x1-3x3-1x1 residual block of ResNet-50 and deeper. Mirrors `torchvision.models.resnet.Bottleneck`. */
export class Bottleneck extends Module {
  static expansion = 4;
  conv1: nn.Conv2d;
  bn1: TensorModule;
  conv2: nn.Conv2d;
  bn2: TensorModule;
  conv3: nn.Conv2d;
  bn3: TensorModule;
  relu: nn.ReLU;
  downsample: TensorModule | null;
  constructor(
    inplanes: number,
    planes: number,
    readonly stride = 1,
    downsample: TensorModule | null = null,
    groups = 1,
    baseWidth = 64,
    dilation = 1,
    normLayer: NormLayer = batchNorm2d,
  ) {
    super();
    const width = Math.trunc(planes * (baseWidth / 64)) * groups;
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = normLayer(width);
    this.conv2 = conv3x3(width, width, stride, groups, dilation);
    this.bn2 = normLayer(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = normLayer(planes * Bottleneck.expansion);
    this.relu = new nn.ReLU(true);
    this.downsample = downsample;
  }
  forward(x: Tensor): Tensor {
    const out1 = convBnRelu(this.conv1, this.bn1, this.relu, x);
    const out = convBnRelu(this.conv2, this.bn2, this.relu, out1);
    freeIntermediate(out1, x, out);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return residualTail(this.conv3, this.bn3, this.relu, out, identity, x);
  }
}

export interface ResNetOptions {
  numClasses?: number;
  zeroInitResidual?: boolean;
  groups?: number;
  widthPerGroup?: number;
  replaceStrideWithDilation?: boolean[] | null;
  normLayer?: NormLayer | null;
}
const RESNET_OPTS = {
  numClasses: [A.posInt, 1000],
  zeroInitResidual: [A.bool, false],
  groups: [A.posInt, 1],
  widthPerGroup: [A.posInt, 64],
  replaceStrideWithDilation: [A.nullable(A.any), null],
  normLayer: [A.nullable(A.func), null],
} as const;

/** ResNet as in torchvision, from a block class and layer counts; `resnet18()`, `resnet34()`, `resnet50()`, `resnext50_32x4d()`. Mirrors `torchvision.models.ResNet`. */
export class ResNet extends Module {
  conv1: nn.Conv2d;
  bn1: TensorModule;
  relu: nn.ReLU;
  maxpool: nn.MaxPool2d;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  layer4: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  fc: nn.Linear;
  private _inplanes = 64;
  private _dilation = 1;
  private _groups: number;
  private _baseWidth: number;
  private _norm: NormLayer;
  constructor(block: BlockCtor, layers: number[], opts: ResNetOptions = {}) {
    super();
    const o = parseArgs("vision.models.ResNet", [opts], RESNET_OPTS);
    this._norm = (o.normLayer as NormLayer | null) ?? batchNorm2d;
    const rswd = (o.replaceStrideWithDilation as boolean[] | null) ?? [false, false, false];
    if (rswd.length !== 3)
      throw new RangeError(
        `replace_stride_with_dilation should be null or a 3-element tuple, got [${rswd.join(", ")}]`,
      );
    this._groups = o.groups;
    this._baseWidth = o.widthPerGroup;
    this.conv1 = new nn.Conv2d(3, this._inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = this._norm(this._inplanes);
    this.relu = new nn.ReLU(true);
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0]);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2, rswd[0]);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2, rswd[1]);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2, rswd[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, o.numClasses);
    initModel(this, { conv: (c) => kaimingNormal(c.weight, "fan_out") });
    if (o.zeroInitResidual) {
      for (const m of this.modules()) {
        if (m instanceof Bottleneck && (m.bn3 as any).weight) zeros_((m.bn3 as any).weight);
        else if (m instanceof BasicBlock && (m.bn2 as any).weight) zeros_((m.bn2 as any).weight);
      }
    }
  }
  private makeLayer(block: BlockCtor, planes: number, blocks: number, stride = 1, dilate = false): nn.Sequential {
    let downsample: TensorModule | null = null;
    const previousDilation = this._dilation;
    if (dilate) {
      this._dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this._inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(
        conv1x1(this._inplanes, planes * block.expansion, stride),
        this._norm(planes * block.expansion),
      );
    }
    const layers: Module[] = [
      new block(
        this._inplanes,
        planes,
        stride,
        downsample,
        this._groups,
        this._baseWidth,
        previousDilation,
        this._norm,
      ),
    ];
    this._inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) {
      layers.push(
        new block(this._inplanes, planes, 1, null, this._groups, this._baseWidth, this._dilation, this._norm),
      );
    }
    return new nn.Sequential(...layers);
  }
  forward(x: Tensor): Tensor {
    const input = x;
    let t = convBnRelu(this.conv1, this.bn1, this.relu, x);
    for (const m of [this.maxpool, this.layer1, this.layer2, this.layer3, this.layer4, this.avgpool]) {
      const next = m.forward(t);
      freeIntermediate(t, input, next);
      t = next;
    }
    const flat = ops.flatten(t, 1);
    const y = this.fc.forward(flat);
    freeIntermediate(flat, input, y);
    freeIntermediate(t, input, y);
    return y;
  }
}

type Opts = ResNetOptions & { weights?: null; progress?: boolean };
const build =
  (name: string, block: BlockCtor, layers: number[], extra: Partial<ResNetOptions> = {}) =>
  (opts: Opts = {}) => {
    const { weights, progress, ...rest } = checkNoWeights(name, opts);
    void weights;
    void progress;
    return new ResNet(block, layers, { ...extra, ...rest });
  };
/** torchvision.models.resnet18: `resnet18({ numClasses: 10 })`. */
export const resnet18 = build("resnet18", BasicBlock, [2, 2, 2, 2]);
export const resnet34 = build("resnet34", BasicBlock, [3, 4, 6, 3]);
export const resnet50 = build("resnet50", Bottleneck, [3, 4, 6, 3]);
export const resnext50_32x4d = build("resnext50_32x4d", Bottleneck, [3, 4, 6, 3], { groups: 32, widthPerGroup: 4 });
