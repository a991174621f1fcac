// Checks the tfjs whole models of the bench (bench/lib/engine-tfjs.mjs buildModel) against torchlet's
// torch.vision.models.resnet18 / mobilenetV2 and nn.TransformerEncoderLayer: the same random weights
// (BatchNorm statistics randomised too) are loaded into both, the same input is run through both
// (NCHW for torchlet, NHWC for tfjs), and the outputs must agree within float32 tolerance.
//
//   node bench/lib/check-tfjs-models.mjs [wasm|cpu] [torchlet backend: native|wasm]
//
// Exits 1 on a mismatch. Also checks the parameter counts against torchvision's (11689512,
// 3504872) and torch.nn's (3152384), and the convs' + matmuls' FLOPs counted during the tfjs forward
// against the workloads' FLOP counts (within 1%).
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildModel } from "./engine-tfjs.mjs";
import { WORKLOAD_BY_ID } from "./workloads.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = process.env.TORCHLET_ENTRY
  ? resolve(process.env.TORCHLET_ENTRY)
  : resolve(HERE, "../../dist/esm/index.js");
const [tfBackend = "wasm", tlBackend = "native"] = process.argv.slice(2);

const req = createRequire(resolve(HERE, "../peers/package.json"));
const tf = req("@tensorflow/tfjs-core");
if (tfBackend === "wasm") {
  const tfw = req("@tensorflow/tfjs-backend-wasm");
  tfw.setWasmPaths(`${dirname(req.resolve("@tensorflow/tfjs-backend-wasm/package.json"))}/dist/`);
  tfw.setThreadsCount(1);
} else req("@tensorflow/tfjs-backend-cpu");
await tf.setBackend(tfBackend);
await tf.ready();

const torch = await import(pathToFileURL(DIST).href);
await torch.init({ backend: tlBackend, threads: 1 });
torch.manualSeed(1);

const PARAMS = { resnet18: 11689512, mobilenet_v2: 3504872, encoder: 3152384 };
// the bench's FLOP counts per sample (bench/lib/workloads.mjs), to compare with the MACs counted in tfjs
const FLOPS = {
  resnet18: WORKLOAD_BY_ID.resnet18_b1.flops,
  mobilenet_v2: WORKLOAD_BY_ID.mobilenetv2_b1.flops,
  encoder: WORKLOAD_BY_ID.encoder_b8.flops / 8,
};
const cases = [
  ["resnet18", 2, () => torch.vision.models.resnet18(), [3, 224, 224]],
  ["mobilenet_v2", 1, () => torch.vision.models.mobilenetV2(), [3, 224, 224]],
  [
    "encoder",
    2,
    () => new torch.nn.TransformerEncoderLayer(512, 8, { dimFeedforward: 2048, dropout: 0, batchFirst: true }),
    [128, 512],
  ],
];

let failed = 0;
for (const [id, B, make, inShape] of cases) {
  const model = make();
  model.eval();
  // randomise the BatchNorm / LayerNorm affine parameters and BN running statistics so eval-mode
  // normalisation is not the identity
  const sd = model.stateDict();
  const fresh = {};
  for (const [k, t] of Object.entries(sd)) {
    if (k.endsWith("num_batches_tracked") || t.dim() !== 1) {
      fresh[k] = t;
      continue;
    }
    const n = t.shape[0];
    const leaf = k.split(".").pop();
    if (leaf === "running_var") fresh[k] = torch.rand(n).add(0.5);
    else if (leaf === "running_mean") fresh[k] = torch.randn(n).mul(0.1);
    else if (leaf === "weight") fresh[k] = torch.rand(n).add(0.5);
    else fresh[k] = torch.randn(n).mul(0.1);
  }
  model.loadStateDict(fresh);
  const src = (name, shape) => {
    const t = fresh[name];
    if (!t) throw new Error(`torchlet's ${id} has no ${name}`);
    return tf.tensor(t.toFloat32Array(), shape);
  };
  const m = buildModel(tf, id, src);
  const x = torch.randn(B, ...inShape);
  const want = torch.noGrad(() => model.forward(x));
  const xt = tf.tidy(() => {
    const t = tf.tensor(x.toFloat32Array(), [B, ...inShape]);
    return inShape.length === 3 ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
  m.macs.on = true;
  const y = tf.tidy(() => m.forward(xt));
  m.macs.on = false;
  const flops = (2 * m.macs.n) / B;
  const flopsOk = Math.abs(flops / FLOPS[id] - 1) < 0.01;
  const a = want.toFloat32Array();
  const b = y.dataSync();
  let maxDiff = 0,
    maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxAbs = Math.max(maxAbs, Math.abs(a[i]));
  }
  const rel = maxDiff / maxAbs;
  const shapeOk = y.shape.join() === want.shape.join();
  const ok = shapeOk && a.length === b.length && rel < 1e-4 && m.numel === PARAMS[id] && flopsOk;
  if (!ok) failed++;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${id} b${B}: out [${y.shape}] (torchlet [${want.shape}]), params ${m.numel} ` +
      `(expected ${PARAMS[id]}), ${(flops / 1e9).toFixed(3)} GFLOP per sample (workloads.mjs: ${(FLOPS[id] / 1e9).toFixed(3)}), ` +
      `max |diff| ${maxDiff.toExponential(2)} / max |y| ${maxAbs.toFixed(3)} = ${rel.toExponential(2)}`,
  );
  tf.dispose([xt, y, ...m.params]);
}
process.exit(failed ? 1 : 0);
