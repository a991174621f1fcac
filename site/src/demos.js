// The computations behind every page, written against torchlet's public API only, so the page
// (torchlet's ESM build in the browser) and the test (torchlet in Node) run exactly the same code.
// Each function takes the torchlet module and the page's inputs and returns plain numbers.

/** One line about the running backend from torch.backendInfo(): "backend wasm (torchlet-mt.wasm: SIMD + threads), 2 thread(s)". */
export function backendLine(info) {
  const flavour = info.relaxedSimd ? "relaxed SIMD" : info.simd ? "SIMD" : "no SIMD";
  const build = info.variant ? `torchlet-${info.variant}.wasm: ` : info.isa ? `${info.isa}: ` : "";
  return `backend ${info.backend} (${build}${flavour}${info.wasmThreads ? " + threads" : ""}), ${info.threads} thread(s)`;
}

/** Deterministic inputs: sin-based ramps (no RNG so Node and browser agree bit for bit). */
export const ramp = (torch, shape, s = 0.7, off = 0) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return torch.tensor(
    Float32Array.from({ length: n }, (_, k) => Math.sin(k * s + off)),
    { shape },
  );
};
const arr = (t) => Array.from(t.toFloat32Array());

/** A procedural 32x32 "image": rings and a diagonal bar, RGB. */
export function image(torch, size = 32) {
  const d = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - size * 0.4, y - size * 0.45);
      const ring = 0.5 + 0.5 * Math.cos(r * 0.9);
      const bar = Math.abs(x - y) < 3 ? 1 : 0;
      d[y * size + x] = ring;
      d[size * size + y * size + x] = bar;
      d[2 * size * size + y * size + x] = x / size;
    }
  return torch.tensor(d, { shape: [1, 3, size, size] });
}

export function linear(torch, { inF = 6, outF = 4, x = null }) {
  const lin = new torch.nn.Linear(inF, outF);
  lin.loadStateDict({ weight: ramp(torch, [outF, inF], 0.9), bias: ramp(torch, [outF], 1.3) });
  const xin = x ? torch.tensor(x, { shape: [1, inF] }) : ramp(torch, [1, inF], 0.37);
  const y = torch.noGrad(() => lin.forward(xin));
  return { weight: arr(lin.weight), bias: arr(lin.bias), x: arr(xin), y: arr(y), shape: [outF, inF] };
}

export function conv2d(torch, { k = 3, stride = 1, padding = 1, dilation = 1, groups = 1, outC = 6 }) {
  const x = image(torch);
  const conv = new torch.nn.Conv2d(3, outC, k, { stride, padding, dilation, groups });
  const w = ramp(torch, conv.weight.shape, 0.53);
  conv.loadStateDict({ weight: w, bias: torch.zeros([outC]) });
  const y = torch.noGrad(() => conv.forward(x));
  return {
    input: arr(x),
    inShape: x.shape,
    weight: arr(w),
    weightShape: conv.weight.shape,
    out: arr(y),
    outShape: y.shape,
    numParams: conv.weight.numel() + outC,
  };
}

export function convTranspose(torch, { input = [0, 1, 2, 3], kernel = [0, 1, 2, 3] }) {
  const x = torch.tensor(input, { shape: [1, 1, 2, 2] }),
    w = torch.tensor(kernel, { shape: [1, 1, 2, 2] });
  const y = torch.F.convTranspose2d(x, w);
  return { out: arr(y), outShape: y.shape };
}

export function oneByOne(torch, { inC = 8, outC = 3, dilation = 2 }) {
  const x = ramp(torch, [1, inC, 9, 9], 0.31);
  const w1 = ramp(torch, [outC, inC, 1, 1], 0.77);
  const y1 = torch.F.conv2d(x, w1);
  const w3 = ramp(torch, [1, 1, 3, 3], 0.5);
  const xa = ramp(torch, [1, 1, 15, 15], 0.21);
  const ya = torch.F.conv2d(xa, w3, null, { dilation });
  return { oneOut: arr(y1), oneShape: y1.shape, atrousOut: arr(ya), atrousShape: ya.shape, rf: 2 * dilation + 1 };
}

export function conv3d(torch, { k = 3, depth = 6 }) {
  const x = ramp(torch, [1, 1, depth, 8, 8], 0.13);
  const w = ramp(torch, [2, 1, k, k, k], 0.61);
  const y = torch.F.conv3d(x, w);
  return { out: arr(y), outShape: y.shape };
}

export function pooling(torch, { k = 2 }) {
  const x = image(torch).narrow(1, 0, 1);
  const mx = torch.F.maxPool2d(x, k),
    av = torch.F.avgPool2d(x, k);
  const gx = torch.F.adaptiveMaxPool2d ? torch.F.adaptiveMaxPool2d(image(torch), 1) : image(torch).amax([2, 3], true);
  const ga = torch.F.adaptiveAvgPool2d(image(torch), 1);
  return { input: arr(x), max: arr(mx), avg: arr(av), outShape: mx.shape, globalMax: arr(gx), globalAvg: arr(ga) };
}

export const ACTIVATIONS = ["relu", "sigmoid", "tanh", "leakyRelu", "gelu", "elu", "silu", "softplus"];
export function activation(torch, { name = "relu", n = 81, lo = -4, hi = 4 }) {
  const xs = Array.from({ length: n }, (_, k) => lo + ((hi - lo) * k) / (n - 1));
  const x = torch.tensor(xs, { requiresGrad: true });
  const y = torch.F[name](x);
  y.sum().backward();
  return { x: xs, y: arr(y), dy: arr(x.grad) };
}

export class SimpleCNN {
  // Built in makeSimpleCNN (needs the torch module to subclass nn.Module).
}
export function makeSimpleCNN(torch, numClasses = 10, inC = 1, side = 28) {
  const { nn, F } = torch;
  const flat = 32 * (side / 4) * (side / 4);
  class Net extends nn.Module {
    constructor() {
      super();
      this.conv1 = new nn.Conv2d(inC, 16, 3, { padding: 1 });
      this.pool = new nn.MaxPool2d(2, { stride: 2, padding: 0 });
      this.conv2 = new nn.Conv2d(16, 32, 3, { padding: 1 });
      this.fc1 = new nn.Linear(flat, 128);
      this.fc2 = new nn.Linear(128, numClasses);
    }
    forward(x, trace) {
      // read each output when it is made (the model may free intermediates afterwards)
      const t = (name, v) => {
        if (trace) trace.push([name, v.shape, trace.length === 0 ? Array.from(v.toFloat32Array()) : null]);
        return v;
      };
      x = t("conv1", this.conv1.forward(x));
      x = t("relu", F.relu(x));
      x = t("pool", this.pool.forward(x));
      x = t("conv2", this.conv2.forward(x));
      x = t("relu", F.relu(x));
      x = t("pool", this.pool.forward(x));
      x = t("view", x.view(-1, flat));
      x = t("fc1", this.fc1.forward(x));
      x = t("relu", F.relu(x));
      return t("fc2", this.fc2.forward(x));
    }
  }
  return new Net();
}
export function simpleCNN(torch, _opts) {
  torch.manualSeed(0);
  const m = makeSimpleCNN(torch, 10, 3, 32);
  const sd = {};
  let s = 0.1;
  for (const [k, v] of Object.entries(m.stateDict())) {
    sd[k] = ramp(torch, v.shape, (s += 0.13)).mul(0.1);
  }
  m.loadStateDict(sd);
  const trace = [];
  return torch.noGrad(() => {
    const y = m.forward(image(torch), trace);
    return {
      text: String(m),
      shapes: trace.map(([n, sh]) => [n, sh]),
      logits: arr(y),
      maps: { conv1: trace[0][2], conv1Shape: trace[0][1] },
    };
  });
}

export function norms(torch, { batch = 4, train = true }) {
  const x = ramp(torch, [batch, 3, 2, 2], 0.9, 0.3).mul(3).add(1);
  const bn = new torch.nn.BatchNorm2d(3),
    ln = new torch.nn.LayerNorm([3, 2, 2]);
  if (train) bn.train();
  else bn.eval();
  let yb,
    err = null;
  try {
    yb = arr(torch.noGrad(() => bn.forward(x)));
  } catch (e) {
    err = String(e.message ?? e);
    yb = null;
  }
  const yl = arr(torch.noGrad(() => ln.forward(x)));
  return {
    x: arr(x),
    bn: yb,
    bnError: err,
    ln: yl,
    runningMean: arr(bn.running_mean),
    runningVar: arr(bn.running_var),
  };
}

export function embedding(torch, { steps = 150 }) {
  // 8 tokens in two groups of 4 (0-3, 4-7); train a 2-D embedding so a linear classifier separates the groups.
  torch.manualSeed(1);
  const emb = new torch.nn.Embedding(8, 2),
    head = new torch.nn.Linear(2, 2);
  emb.loadStateDict({ weight: ramp(torch, [8, 2], 1.7) });
  head.loadStateDict({ weight: ramp(torch, [2, 2], 0.4), bias: torch.zeros([2]) });
  const opt = new torch.optim.SGD([...emb.parameters(), ...head.parameters()], { lr: 0.5 });
  const ids = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7], { dtype: "int64" }),
    lab = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1], { dtype: "int64" });
  const losses = [];
  for (let s = 0; s < steps; s++) {
    const loss = torch.F.crossEntropy(head.forward(emb.forward(ids)), lab);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return { weight: arr(emb.weight), losses };
}

export function recurrent(torch, { kind = "LSTM", T = 12 }) {
  // One LSTM/GRU cell unrolled by hand with the cell module, gates recomputed from the weights.
  const H = 3,
    I = 1;
  const cell = kind === "LSTM" ? new torch.nn.LSTMCell(I, H) : new torch.nn.GRUCell(I, H);
  const sd = {};
  let s = 0.3;
  for (const [k, v] of Object.entries(cell.stateDict())) sd[k] = ramp(torch, v.shape, (s += 0.41));
  cell.loadStateDict(sd);
  const xs = Array.from({ length: T }, (_, t) => Math.sin(t * 0.6));
  let h = torch.zeros([1, H]),
    c = torch.zeros([1, H]);
  const hs = [],
    gates = [];
  const Wi = cell.weight_ih ?? cell.weightIh,
    Wh = cell.weight_hh ?? cell.weightHh,
    bi = cell.bias_ih ?? cell.biasIh,
    bh = cell.bias_hh ?? cell.biasHh;
  torch.noGrad(() => {
    for (const xv of xs) {
      const x = torch.tensor([[xv]]);
      const gi = torch.F.linear(x, Wi, bi),
        gh = torch.F.linear(h, Wh, bh);
      if (kind === "LSTM") {
        const g = gi.add(gh);
        const [i, f, gg, o] = g.chunk(4, 1);
        gates.push({ i: arr(i.sigmoid()), f: arr(f.sigmoid()), g: arr(gg.tanh()), o: arr(o.sigmoid()) });
        [h, c] = cell.forward(x, [h, c]);
      } else {
        const [ri, zi] = gi.chunk(3, 1),
          [rh, zh] = gh.chunk(3, 1);
        gates.push({ r: arr(ri.add(rh).sigmoid()), z: arr(zi.add(zh).sigmoid()) });
        h = cell.forward(x, h);
      }
      hs.push(arr(h));
    }
  });
  return { xs, hs, gates };
}

export function lastLayer(torch, { logits = [2, 1, 0.1, -1] }) {
  const z = torch.tensor(logits);
  return {
    softmax: arr(torch.F.softmax(z, 0)),
    logSoftmax: arr(torch.F.logSoftmax(z, 0)),
    sigmoid: arr(z.sigmoid()),
    tanh: arr(z.tanh()),
    identity: arr(new torch.nn.Identity().forward(z)),
  };
}

export function losses(torch, { n = 41 }) {
  const ps = Array.from({ length: n }, (_, k) => 0.01 + (0.98 * k) / (n - 1));
  const p = torch.tensor(ps, { requiresGrad: true });
  const bce = torch.F.binaryCrossEntropy(p, torch.ones([n]), { reduction: "none" });
  bce.sum().backward();
  const zs = Array.from({ length: n }, (_, k) => -4 + (8 * k) / (n - 1));
  const z = torch.tensor(zs, { requiresGrad: true });
  const mse = torch.F.mseLoss(z, torch.zeros([n]), { reduction: "none" });
  mse.sum().backward();
  // cross-entropy of logits [z, 0, 0] against class 0, as a function of z
  const zc = torch.tensor(zs, { requiresGrad: true });
  const logits = torch.stack([zc, torch.zeros([n]), torch.zeros([n])], 1);
  const ce = torch.F.crossEntropy(logits, torch.zeros([n], { dtype: "int64" }), { reduction: "none" });
  ce.sum().backward();
  return {
    p: ps,
    bce: arr(bce),
    dbce: arr(p.grad),
    z: zs,
    mse: arr(mse),
    dmse: arr(z.grad),
    ce: arr(ce),
    dce: arr(zc.grad),
  };
}
