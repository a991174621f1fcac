// Module Web Worker: loads the packed Fashion-MNIST subset and trains SimpleCNN with torchlet.
import * as torch from "torchlet";
import { backendLine, makeSimpleCNN } from "./demos.js";

let stop = false;
self.onmessage = async ({ data }) => {
  if (data.stop) {
    stop = true;
    return;
  }
  try {
    await train(data);
  } catch (e) {
    self.postMessage({ type: "error", error: String(e?.stack ?? e) });
  }
};
const yieldNow = () => new Promise((r) => setTimeout(r, 0)); // lets the stop message in

async function load(split) {
  const get = async (f) => {
    const r = await fetch(new URL(`./data/fmnist-${split}-${f}`, self.__root));
    if (!r.ok) throw new Error(`${f}: HTTP ${r.status} (run npm run site:build, which packs the data)`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const px = await get("images.u8"),
    y = await get("labels.u8");
  const x = new Float32Array(px.length);
  for (let k = 0; k < px.length; k++) x[k] = (px[k] / 255 - 0.286) / 0.353;
  return { n: y.length, x, y: Int32Array.from(y), px };
}

async function train({ epochs = 2, batch = 64, lr = 0.01 }) {
  self.__root = new URL("..", self.location.href); // the worker lives in assets/; data/ is beside it
  const threads = self.crossOriginIsolated ? Math.min(navigator.hardwareConcurrency || 1, 2) : 1;
  await torch.init({ backend: "wasm", threads });
  const info = torch.backendInfo();
  self.postMessage({ type: "env", info, line: backendLine(info) });
  const train = await load("train"),
    test = await load("test");
  torch.manualSeed(0);
  const model = makeSimpleCNN(torch, 10, 1, 28);
  const opt = new torch.optim.SGD(model.parameters(), { lr, momentum: 0.9 });
  const xb = new Float32Array(batch * 784),
    yb = new Int32Array(batch);
  let step = 0,
    running = 0,
    acc = 0;
  const t0 = performance.now();
  let seenAll = 0;
  for (let ep = 1; ep <= epochs && !stop; ep++) {
    // seeded (manualSeed above): the same data order, so the same run, on every visit
    const order = Int32Array.from(torch.randperm(train.n).dataSync(), Number);
    model.train();
    for (let s = 0; s < train.n && !stop; s += batch) {
      const bs = Math.min(batch, train.n - s);
      for (let b = 0; b < bs; b++) {
        const i = order[s + b];
        xb.set(train.x.subarray(i * 784, i * 784 + 784), b * 784);
        yb[b] = train.y[i];
      }
      const l = torch.tidy(() => {
        const loss = torch.F.crossEntropy(
          model.forward(torch.tensor(xb.subarray(0, bs * 784), { shape: [bs, 1, 28, 28] })),
          torch.tensor(yb.subarray(0, bs), { shape: [bs], dtype: "int64" }),
        );
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item();
      });
      running = step === 0 ? l : 0.95 * running + 0.05 * l;
      step++;
      seenAll += bs;
      if (step % 5 === 0) {
        self.postMessage({
          type: "progress",
          step,
          loss: running,
          epoch: ep,
          seen: s + bs,
          total: train.n,
          rate: seenAll / ((performance.now() - t0) / 1000),
        });
        await yieldNow();
      }
    }
    acc = evaluate(model, test).acc;
    self.postMessage({ type: "eval", step, epoch: ep, accuracy: acc });
  }
  const { acc: fin, pred } = evaluate(model, test);
  const samples = Array.from({ length: 24 }, (_, k) => ({
    pixels: Array.from(test.px.subarray(k * 784, k * 784 + 784)),
    pred: pred[k],
    label: test.y[k],
  }));
  self.postMessage({ type: "done", accuracy: fin, nTest: test.n, samples, stopped: stop });
}

function evaluate(model, test) {
  model.eval();
  const pred = new Int32Array(test.n);
  let correct = 0;
  torch.noGrad(() => {
    for (let s = 0; s < test.n; s += 500) {
      const n = Math.min(500, test.n - s);
      torch.tidy(() => {
        const p = model
          .forward(torch.tensor(test.x.subarray(s * 784, (s + n) * 784), { shape: [n, 1, 28, 28] }))
          .argmax(1)
          .dataSync();
        for (let k = 0; k < n; k++) {
          pred[s + k] = Number(p[k]);
          if (pred[s + k] === test.y[s + k]) correct++;
        }
      });
    }
  });
  return { acc: correct / test.n, pred };
}
