// torch.vision.models: torchvision 0.14's classification models with its module trees, state-dict
// keys and print text, so torchvision's .pth weights load with model.loadStateDict(torch.load(f)).
export {
  resnet18,
  resnet34,
  resnet50,
  resnext50_32x4d,
  ResNet,
  BasicBlock,
  Bottleneck,
  type ResNetOptions,
} from "./resnet.js";
export {
  mobilenetV2,
  mobilenetV3Large,
  mobilenetV3Small,
  MobileNetV2,
  MobileNetV3,
  InvertedResidualConfig,
} from "./mobilenet.js";
export {
  squeezenet1_1,
  shufflenetV2X1_0,
  efficientnetB0,
  densenet121,
  vgg11,
  SqueezeNet,
  ShuffleNetV2,
  EfficientNet,
  DenseNet,
  VGG,
  MBConvConfig,
  channelShuffle,
  makeVggLayers,
} from "./others.js";
export { WEIGHT_URLS } from "./common.js";
