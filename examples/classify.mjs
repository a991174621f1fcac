#!/usr/bin/env node
// Classifies an image with a torchvision model: decodes a PNG or JPEG (pure-JS pngjs / jpeg-js),
// applies torchvision's ImageNet preprocessing (Resize 256, CenterCrop 224, ToTensor, Normalize)
// and prints the top-5 ImageNet classes with their names.
//
//   node examples/classify.mjs cat.jpg                                   # resnet18, random weights
//   node examples/classify.mjs cat.jpg --model mobilenetV3Large --weights mobilenet_v3_large-8738ca79.pth
//   options: --model NAME (resnet18, resnet34, resnet50, resnext50_32x4d, mobilenetV2, mobilenetV3Small,
//            mobilenetV3Large, squeezenet1_1, shufflenetV2X1_0, efficientnetB0, densenet121, vgg11)
//            --weights FILE (.pth from torchvision, or safetensors)  --backend js|wasm|native  --topk N
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { die, parseCli } from "./lib/cli.mjs";
// the built package; TORCHLET_ENTRY points elsewhere (test/classify.test.ts runs the TypeScript sources)
const torch = await import(process.env.TORCHLET_ENTRY ?? "../dist/esm/index.js");

const require = createRequire(import.meta.url);
const { models, transforms: T, IMAGENET_CLASSES } = torch.vision;
const HELP =
  "usage: node examples/classify.mjs IMAGE [--model resnet18] [--weights FILE.pth] [--backend js|wasm|native] [--topk 5]";

function parseArgs(argv) {
  const o = parseCli(
    argv,
    HELP,
    { model: ["string", "resnet18"], weights: ["string", null], backend: ["string", undefined], topk: ["int", 5] },
    { positional: true },
  );
  if (o._.length > 1) die(`one image at a time, got ${o._.length}\n${HELP}`);
  o.image = o._[0];
  if (!o.image) die(HELP);
  if (typeof models[o.model] !== "function" || !(o.model in models.WEIGHT_URLS)) {
    die(`unknown model "${o.model}"; one of: ${Object.keys(models.WEIGHT_URLS).join(", ")}`);
  }
  return o;
}

/** PNG or JPEG bytes -> { data: RGBA bytes, width, height } (ImageData-like). */
function decode(buf, file) {
  if (buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) {
    const { PNG } = require("pngjs");
    const png = PNG.sync.read(buf);
    return { data: png.data, width: png.width, height: png.height };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const jpeg = require("jpeg-js");
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { data: img.data, width: img.width, height: img.height };
  }
  die(`${file}: not a PNG or JPEG file`);
}

const o = parseArgs(process.argv.slice(2));
const backend = await torch.init(o.backend ? { backend: o.backend } : {});
const model = models[o.model]();
if (o.weights) {
  let sd = torch.load(readFileSync(o.weights));
  if (sd && typeof sd === "object" && sd.state_dict && !(sd.state_dict instanceof torch.Tensor)) sd = sd.state_dict;
  model.loadStateDict(sd);
  console.log(`${o.model}: weights from ${o.weights}`);
} else {
  console.log(
    `${o.model}: random weights (no --weights given). torchvision's ImageNet weights for this model are\n` +
      `  ${models.WEIGHT_URLS[o.model]}\n` +
      `(torchvision's weight URL pattern https://download.pytorch.org/models/<name>-<hash>.pth; download it yourself\n` +
      ` and pass --weights FILE: torchlet never fetches anything). The classes below are meaningless without them.`,
  );
}
model.eval();

const img = decode(readFileSync(o.image), o.image);
const preprocess = new T.Compose([
  new T.ToTensor(),
  new T.Resize(256),
  new T.CenterCrop(224),
  new T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
]);
const x = preprocess.call(img).unsqueeze(0);
const t0 = performance.now();
const probs = torch.noGrad(() => model.forward(x).softmax(1));
const ms = performance.now() - t0;
const p = probs.toFloat32Array();
const order = Array.from(p.keys())
  .sort((a, b) => p[b] - p[a])
  .slice(0, o.topk);
console.log(`${o.image}: ${img.width}x${img.height}, ${o.model} on ${backend} in ${ms.toFixed(0)} ms; top-${o.topk}:`);
for (const [r, k] of order.entries()) {
  console.log(
    `  ${String(r + 1).padStart(2)}. ${(100 * p[k]).toFixed(2).padStart(6)}%  ${String(k).padStart(3)}  ${IMAGENET_CLASSES[k]}`,
  );
}
