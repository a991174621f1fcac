// torch.vision: torchvision's models, transforms, datasets and ops.
export * as models from "./models/index.js";
export * as transforms from "./transforms.js";
export * as datasets from "./datasets.js";
export * as ops from "./ops.js";
export { IMAGENET_CLASSES } from "./imagenet-classes.js";
