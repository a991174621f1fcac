// Shared by the torchvision model builders: the `weights` keyword (never downloaded here) and the
// URLs where torchvision's weight files come from (printed by examples/classify.mjs, never fetched).

import type { Tensor } from "../../tensor.js";
import { isGradEnabled } from "../../runtime.js";

/** Frees an intermediate of a model's forward at once when no gradient is recorded (nothing else
 *  reads it then; the forward scope would free it at the end otherwise). The forward's `input`
 *  and the tensor made from t (`next`, which may be t itself) are never freed. */
export function freeIntermediate(t: Tensor, input: Tensor, next: Tensor | null = null): void {
  if (t !== input && t !== next && !isGradEnabled()) t.dispose();
}

/** torchvision 0.14's default (IMAGENET1K_V1) weight file of each model. */
export const WEIGHT_URLS: Record<string, string> = {
  resnet18: "https://download.pytorch.org/models/resnet18-f37072fd.pth",
  resnet34: "https://download.pytorch.org/models/resnet34-b627a593.pth",
  resnet50: "https://download.pytorch.org/models/resnet50-0676ba61.pth",
  resnext50_32x4d: "https://download.pytorch.org/models/resnext50_32x4d-7cdf4587.pth",
  mobilenetV2: "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
  mobilenetV3Small: "https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth",
  mobilenetV3Large: "https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth",
  squeezenet1_1: "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth",
  shufflenetV2X1_0: "https://download.pytorch.org/models/shufflenetv2_x1-5666bf0f80.pth",
  efficientnetB0: "https://download.pytorch.org/models/efficientnet_b0_rwightman-3dd342df.pth",
  densenet121: "https://download.pytorch.org/models/densenet121-a639ec97.pth",
  vgg11: "https://download.pytorch.org/models/vgg11-8a719046.pth",
};

/** torchvision's `weights=` downloads; here weights are loaded with model.loadStateDict(torch.load(file)). */
export function checkNoWeights<T extends { weights?: unknown }>(name: string, opts: T): T {
  if (opts.weights !== undefined && opts.weights !== null) {
    throw new TypeError(
      `vision.models.${name}: weights are not downloaded by torchlet; fetch ${WEIGHT_URLS[name] ?? "the .pth file"} yourself and call model.loadStateDict(torch.load(path))`,
    );
  }
  return opts;
}
