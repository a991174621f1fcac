// The vertical slice run both in the browser (wasm backend, built package) and in Node (js
// backend, TypeScript sources): a small MLP with fixed weights, forward, cross entropy, backward,
// one SGD step (momentum) and a second forward. `torch` is the torchlet module namespace.

/** Deterministic inputs and weights (no RNG, so every engine sees the same numbers). */
export function sliceSpec() {
  const f = (n, a, b) => Array.from({ length: n }, (_, i) => Math.sin(a * (i + 1)) * b);
  return {
    x: { shape: [6, 5], data: f(30, 0.7, 1.5) },
    y: [0, 2, 1, 1, 0, 2],
    w1: { shape: [8, 5], data: f(40, 1.3, 0.4) },
    b1: { shape: [8], data: f(8, 2.1, 0.1) },
    w2: { shape: [3, 8], data: f(24, 0.9, 0.35) },
    b2: { shape: [3], data: f(3, 1.7, 0.05) },
    lr: 0.1,
    momentum: 0.9,
    steps: 3,
  };
}

export async function runSlice(torch, spec, initOptions) {
  const backend = await torch.init(initOptions);
  const { nn, optim } = torch;
  const t = (o) => torch.tensor(new Float32Array(o.data), { shape: o.shape });
  const model = new nn.Sequential(new nn.Linear(5, 8), new nn.ReLU(), new nn.Linear(8, 3));
  model.loadStateDict({ "0.weight": t(spec.w1), "0.bias": t(spec.b1), "2.weight": t(spec.w2), "2.bias": t(spec.b2) });
  const x = t(spec.x);
  const y = torch.tensor(spec.y, { dtype: "int64" });
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new optim.SGD(model.parameters(), { lr: spec.lr, momentum: spec.momentum });
  const losses = [];
  let logits0 = null,
    grads0 = null;
  for (let s = 0; s < spec.steps; s++) {
    opt.zeroGrad();
    const logits = model.forward(x);
    const loss = lossFn.forward(logits, y);
    loss.backward();
    if (s === 0) {
      logits0 = Array.from(logits.toFloat32Array());
      grads0 = Object.fromEntries(model.namedParameters().map(([k, p]) => [k, Array.from(p.grad.toFloat32Array())]));
    }
    opt.step();
    losses.push(loss.item());
  }
  const state = Object.fromEntries(
    Object.entries(model.stateDict()).map(([k, v]) => [k, Array.from(v.toFloat32Array())]),
  );
  const probs = Array.from(torch.noGrad(() => model.forward(x).softmax(1)).toFloat32Array());
  return {
    backend: torch.backend(),
    initBackend: backend,
    losses,
    logits0,
    grads0,
    state,
    probs,
    memory: torch.memory(),
  };
}
