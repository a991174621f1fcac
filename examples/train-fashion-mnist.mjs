#!/usr/bin/env node
// The main job: trains the glossary's SimpleCNN (or a 784-256-10 MLP with --model mlp) on
// Fashion-MNIST with SGD, shows a progress bar, prints test accuracy per epoch, saves safetensors.
//
//   npm start                                  # SimpleCNN, 2 epochs, fastest backend
//   npm start -- --model mlp --backend wasm    # options: --backend js|wasm|native --threads N
//                                              #   --epochs N --limit N --data DIR --out FILE
//                                              #   --no-normalize (raw [0, 1] pixels instead of standardised)
import { writeFileSync } from "node:fs";
import * as torch from "../dist/esm/index.js";
import { nn, optim } from "../dist/esm/index.js";
import { die, parseCli } from "./lib/cli.mjs";

const HELP = `usage: npm start -- [--model cnn|mlp] [--backend js|wasm|native] [--threads N] [--epochs N]
                      [--batch N] [--lr X] [--limit N] [--data DIR] [--out FILE] [--seed N] [--no-normalize]`;

function parseArgs(argv) {
  const o = parseCli(argv, HELP, {
    model: ["string", "cnn"],
    backend: ["string", undefined],
    threads: ["int", 1],
    epochs: ["int", undefined],
    batch: ["int", 64],
    lr: ["float", undefined],
    limit: ["int", 0],
    data: ["string", "/usr/share/datasets/fashion-mnist"],
    out: ["string", undefined],
    seed: ["int", 0],
    normalize: ["bool", true],
  });
  o.momentum = 0.9;
  if (!["cnn", "mlp"].includes(o.model)) die(`--model must be cnn or mlp, got ${o.model}`);
  o.epochs ??= o.model === "cnn" ? 2 : 1;
  o.lr ??= o.model === "cnn" ? 0.01 : 0.02;
  o.out ??= `fashion-mnist-${o.model}.safetensors`;
  return o;
}

// ---------------------------------------------------------------- data (IDX, gzip: torch.vision.datasets' reader)
function readIdx(dir, base) {
  const file = torch.vision.datasets.findIdx([dir], base);
  if (!file) {
    die(
      `Fashion-MNIST file ${base}(.gz) not found in ${dir}.\n` +
        `Install it with: apt-get install dataset-fashion-mnist  (or pass --data DIR with the four IDX files)`,
    );
  }
  try {
    return torch.vision.datasets.readIdx(file);
  } catch (e) {
    die(e.message);
  }
}
function loadSplit(dir, prefix, limit, normalize) {
  const img = readIdx(dir, `${prefix}-images-idx3-ubyte`),
    lab = readIdx(dir, `${prefix}-labels-idx1-ubyte`);
  const n = limit > 0 ? Math.min(limit, img.dims[0]) : img.dims[0];
  const x = new Float32Array(n * 784);
  // standardised with the training set's mean and std (torchvision's Normalize((0.2860,), (0.3530,)))
  const [mean, std] = normalize ? [0.286, 0.353] : [0, 1];
  for (let k = 0; k < n * 784; k++) x[k] = (img.data[k] / 255 - mean) / std;
  return { n, x, y: Int32Array.from(lab.data.subarray(0, n)) };
}

// ---------------------------------------------------------------- models
class SimpleCNN extends nn.Module {
  constructor(numClasses = 10) {
    super();
    this.conv1 = new nn.Conv2d(1, 16, 3, { padding: 1 });
    this.pool = new nn.MaxPool2d(2, { stride: 2 });
    this.conv2 = new nn.Conv2d(16, 32, 3, { padding: 1 });
    this.fc1 = new nn.Linear(32 * 7 * 7, 128);
    this.fc2 = new nn.Linear(128, numClasses);
  }
  forward(x) {
    x = this.pool.forward(torch.F.relu(this.conv1.forward(x)));
    x = this.pool.forward(torch.F.relu(this.conv2.forward(x)));
    x = x.view(-1, 32 * 7 * 7);
    return this.fc2.forward(torch.F.relu(this.fc1.forward(x)));
  }
}

function buildModel(kind) {
  if (kind === "mlp")
    return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
  return new SimpleCNN(10);
}

// ---------------------------------------------------------------- progress bar
function progress(label, done, total, t0, loss) {
  const secs = (performance.now() - t0) / 1000,
    rate = done / Math.max(secs, 1e-9);
  const width = 28,
    fill = Math.round((done / total) * width);
  const eta = rate > 0 ? (total - done) / rate : 0;
  return (
    `${label} [${"#".repeat(fill)}${".".repeat(width - fill)}] ${String(done).padStart(String(total).length)}/${total}` +
    `  ${rate.toFixed(0)} img/s  loss ${loss.toFixed(4)}  ${secs.toFixed(1)}s elapsed, ${eta.toFixed(0)}s left`
  );
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const name = await torch.init({ backend: o.backend, threads: o.threads });
  torch.manualSeed(o.seed);
  console.log(
    `torchlet ${name} backend, ${torch.threads()} thread(s); model ${o.model}; SGD lr ${o.lr} momentum ${o.momentum}; batch ${o.batch}; ${o.epochs} epoch(s); inputs ${o.normalize ? "standardised" : "raw [0, 1]"}`,
  );
  const train = loadSplit(o.data, "train", o.limit, o.normalize);
  const test = loadSplit(o.data, "t10k", o.limit ? Math.max(1000, (o.limit / 6) | 0) : 0, o.normalize);
  console.log(`data: ${train.n} training and ${test.n} test images from ${o.data}`);

  const model = buildModel(o.model);
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new optim.SGD(model.parameters(), { lr: o.lr, momentum: o.momentum });
  const tty = process.stderr.isTTY;
  let seed = (o.seed * 2654435761 + 1) >>> 0; // shuffling RNG (mulberry32), reproducible with --seed
  const rng = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = new Int32Array(train.n);
  const xb = new Float32Array(o.batch * 784),
    yb = new Int32Array(o.batch);
  let totalImgs = 0,
    totalSecs = 0;

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    model.train();
    for (let k = 0; k < train.n; k++) order[k] = k;
    for (let k = train.n - 1; k > 0; k--) {
      const j = Math.floor(rng() * (k + 1));
      [order[k], order[j]] = [order[j], order[k]];
    }
    const t0 = performance.now();
    let running = 0,
      seen = 0,
      lastDraw = 0,
      nextLine = 0.1;
    const label = `epoch ${epoch}/${o.epochs}`;
    for (let start = 0; start < train.n; start += o.batch) {
      const bs = Math.min(o.batch, train.n - start);
      for (let b = 0; b < bs; b++) {
        const i = order[start + b];
        xb.set(train.x.subarray(i * 784, i * 784 + 784), b * 784);
        yb[b] = train.y[i];
      }
      const lossVal = torch.tidy(() => {
        const x = torch.tensor(xb.subarray(0, bs * 784), { shape: [bs, 1, 28, 28] });
        const y = torch.tensor(yb.subarray(0, bs), { shape: [bs], dtype: "int64" });
        const loss = lossFn.forward(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item();
      });
      if (!Number.isFinite(lossVal)) die(`training diverged: loss is ${lossVal} at epoch ${epoch}, image ${start}`);
      seen += bs;
      running = seen === bs ? lossVal : 0.98 * running + 0.02 * lossVal;
      const now = performance.now();
      if (tty && (now - lastDraw > 100 || seen === train.n)) {
        process.stderr.write("\r" + progress(label, seen, train.n, t0, running));
        lastDraw = now;
      } else if (!tty && seen / train.n >= nextLine) {
        process.stderr.write(progress(label, seen, train.n, t0, running) + "\n");
        nextLine += 0.1;
      }
    }
    const secs = (performance.now() - t0) / 1000;
    totalImgs += train.n;
    totalSecs += secs;
    if (tty) process.stderr.write("\n");
    const acc = evaluate(model, test);
    console.log(
      `epoch ${epoch}: train loss ${running.toFixed(4)}, ${(train.n / secs).toFixed(0)} img/s, test accuracy ${(acc * 100).toFixed(2)}%`,
    );
  }
  writeFileSync(o.out, torch.save(model.stateDict()));
  console.log(
    `training: ${(totalImgs / totalSecs).toFixed(0)} img/s on ${name} (${torch.threads()} thread(s)); weights saved to ${o.out} (safetensors, PyTorch key names)`,
  );
}

function evaluate(model, test) {
  model.eval();
  let correct = 0;
  const bs = 1000;
  torch.noGrad(() => {
    for (let s = 0; s < test.n; s += bs) {
      const n = Math.min(bs, test.n - s);
      torch.tidy(() => {
        const x = torch.tensor(test.x.subarray(s * 784, (s + n) * 784), { shape: [n, 1, 28, 28] });
        const pred = model.forward(x).argmax(1).dataSync();
        for (let k = 0; k < n; k++) if (pred[k] === test.y[s + k]) correct++;
      });
    }
  });
  return correct / test.n;
}

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
