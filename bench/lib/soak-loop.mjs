// The soak loop: a small CNN trained the way users write it — no dispose(), no tidy(), no await —
// sampling RSS, JS heap, wasm memory, torch.memory() and step time. Used by bench/soak.mjs (the full
// 20,000 steps) and test/soak.test.ts (a shorter run in npm test). `torch` is the library object.

/** A full garbage collection before each sample, so heap figures are what is reachable, not how
 *  far the collector has got (V8's flag set at run time, then its gc() from a fresh context). */
export function forcedGc() {
  const v8 = process.getBuiltinModule?.("node:v8"),
    vm = process.getBuiltinModule?.("node:vm");
  if (!v8 || !vm) return () => {};
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc");
}

/** Runs `steps` synchronous training steps; returns a sample every `every` steps. */
export function soakLoop(torch, { steps = 20000, every = 500, batch = 16, tidy = false, gc = forcedGc() } = {}) {
  const { nn, optim, F } = torch;
  torch.manualSeed(0);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 7 * 7, 10),
  );
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn(batch, 1, 28, 28),
    y = torch.randint(0, 10, [batch]);
  const wasmBytes = () => {
    const b = torch._internal?.activeBackend?.();
    return b?.memory?.buffer?.byteLength ?? 0;
  };
  const samples = [];
  let t0 = performance.now();
  for (let s = 1; s <= steps; s++) {
    const step = () => {
      const out = model.forward(x);
      const loss = F.crossEntropy(out, y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss;
    };
    if (tidy) torch.tidy(step);
    else step();
    if (s % every === 0) {
      const t = performance.now();
      gc();
      const m = process.memoryUsage(),
        tm = torch.memory();
      samples.push({
        step: s,
        msPerStep: (t - t0) / every,
        rss: m.rss,
        heapUsed: m.heapUsed,
        wasm: wasmBytes(),
        tensors: tm.numTensors,
        bytes: tm.numBytes,
      });
      t0 = performance.now();
    }
  }
  return samples;
}

/** The largest value of `key` among samples with step in (lo, hi]. */
export function peak(samples, key, lo, hi) {
  return Math.max(...samples.filter((s) => s.step > lo && s.step <= hi).map((s) => s[key]));
}
