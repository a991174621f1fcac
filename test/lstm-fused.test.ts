// The fused LSTM layer-direction kernel (lstmSeq on the Rust backends) against the js backend's
// step-by-step path, through nn.LSTM: odd sizes (hidden sizes across the gemm panel widths),
// batchFirst, bidirectional, 2 layers, initial states, noGrad and the gradient path; native with
// 1 and 2 threads (the kernel splits each step's gemm + cell by hidden columns).
import { describe, it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { BACKENDS, expectClose, values } from "./util.js";

type Cfg = {
  T: number;
  B: number;
  I: number;
  H: number;
  layers: number;
  bidir: boolean;
  batchFirst: boolean;
  state: boolean;
  bias: boolean;
};
const CFGS: Cfg[] = [
  { T: 1, B: 1, I: 1, H: 1, layers: 1, bidir: false, batchFirst: false, state: false, bias: true },
  { T: 5, B: 3, I: 7, H: 9, layers: 2, bidir: true, batchFirst: false, state: true, bias: true },
  { T: 4, B: 2, I: 5, H: 33, layers: 1, bidir: true, batchFirst: true, state: false, bias: false },
  { T: 3, B: 17, I: 6, H: 70, layers: 1, bidir: false, batchFirst: true, state: true, bias: true },
  { T: 6, B: 16, I: 12, H: 128, layers: 1, bidir: true, batchFirst: false, state: true, bias: true },
];

function rnd(n: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return ((s % 20001) / 10000 - 1) * scale;
  });
}

/** Forward outputs (out, hn, cn) and grads (x, h0, c0, every parameter) of one config. */
function runCase(c: Cfg, grad: boolean): number[][] {
  const m = new torch.nn.LSTM(c.I, c.H, {
    numLayers: c.layers,
    bidirectional: c.bidir,
    batchFirst: c.batchFirst,
    bias: c.bias,
  });
  const sd = m.stateDict();
  let seed = 1;
  const params: [string, torch.Tensor][] = Object.entries(sd).map(([k, t]) => [
    k,
    torch.tensor(rnd(t.numel(), seed++, 0.6)).reshape(t.shape),
  ]);
  m.loadStateDict(Object.fromEntries(params));
  const D = c.bidir ? 2 : 1;
  const xs = c.batchFirst ? [c.B, c.T, c.I] : [c.T, c.B, c.I];
  const x = torch.tensor(rnd(c.T * c.B * c.I, 99, 2)).reshape(xs);
  const h0 = torch.tensor(rnd(c.layers * D * c.B * c.H, 7)).reshape([c.layers * D, c.B, c.H]);
  const c0 = torch.tensor(rnd(c.layers * D * c.B * c.H, 8)).reshape([c.layers * D, c.B, c.H]);
  const leaves = [x, ...(c.state ? [h0, c0] : []), ...m.parameters()];
  if (grad) for (const t of leaves) t.requiresGrad = true;
  const fwd = () => m.forward(x, c.state ? [h0, c0] : undefined);
  const [out, [hn, cn]] = grad ? fwd() : torch.noGrad(fwd);
  const res = [values(out), values(hn), values(cn)];
  if (grad) {
    // a loss touching every output, with uneven weights so every gradient path matters
    const w = torch.tensor(rnd(out.numel(), 5)).reshape(out.shape);
    out.mul(w).sum().add(hn.mul(hn).sum()).add(cn.sum()).backward();
    for (const t of leaves) res.push(values(t.grad!));
  }
  return res;
}

describe("fused LSTM (lstmSeq) vs the js step loop", () => {
  const want = new Map<string, number[][]>();
  it("js reference", async () => {
    await torch.init({ backend: "js" });
    for (const [i, c] of CFGS.entries()) for (const g of [false, true]) want.set(`${i}${g}`, runCase(c, g));
  });
  const targets = BACKENDS.filter((b) => b !== "js").flatMap(
    (b) =>
      (b === "native"
        ? [
            [b, 1],
            [b, 2],
          ]
        : [[b, 1]]) as [typeof b, number][],
  );
  for (const [name, threads] of targets) {
    it(`${name} ${threads}T`, async () => {
      await torch.init({ backend: name, threads });
      for (const [i, c] of CFGS.entries()) {
        for (const g of [false, true]) {
          const got = runCase(c, g),
            exp = want.get(`${i}${g}`)!;
          expect(got.length).toBe(exp.length);
          got.forEach((v, k) =>
            expectClose(v, exp[k], 2e-5, 2e-4, `${name} ${threads}T cfg ${i} grad ${g} output ${k}`),
          );
        }
      }
    });
  }
});
