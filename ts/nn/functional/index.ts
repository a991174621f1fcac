// torch.nn.functional (F): every layer's functional form.
export * from "./basic.js";
export * from "./loss.js";
export {
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  type ConvOptions,
  type ConvTransposeOptions,
  type ConvPadding,
  type PaddingMode,
} from "./conv.js";
export {
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
  type AdaptiveSize,
} from "./pool.js";
export {
  maxPool1d,
  maxPool3d,
  avgPool1d,
  avgPool3d,
  adaptiveAvgPool1d,
  adaptiveAvgPool3d,
  adaptiveMaxPool1d,
  adaptiveMaxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  type MaxPoolOptions,
  type AvgPoolOptions,
  type MaxUnpoolOptions,
} from "./pool.js";
export * from "./resize.js";
export * from "./norm.js";
export * from "./embedding.js";
export * from "./activation.js";
export { scaledDotProductAttention, multiHeadAttentionForward, type MultiHeadAttentionOptions } from "./attention.js";
