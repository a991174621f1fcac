// nn.init: distributions checked statistically (10,000+ samples, bounds exact, moments within a few
// standard errors), exact results where deterministic (eye_, dirac_, constant_, orthogonal_ is
// orthogonal), calculateGain against PyTorch 1.13 (test/fixtures/optim/misc.json), PyTorch's
// arguments (positional or options) and errors.

import { it, expect } from "vitest";
import { readFileSync } from "node:fs";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { describeBackends, values } from "./util.js";

const misc = JSON.parse(readFileSync(new URL("./fixtures/optim/misc.json", import.meta.url), "utf8")) as {
  gains: Record<string, number>;
};
const init = nn.init;

function moments(t: Tensor) {
  const v = values(t);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { v, mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v), n: v.length };
}
/** mean within 5 standard errors, std within 5% */
function expectMoments(t: Tensor, mean: number, std: number, what: string) {
  const m = moments(t);
  expect(Math.abs(m.mean - mean), `${what} mean ${m.mean}`).toBeLessThan((5 * std) / Math.sqrt(m.n) + 1e-7);
  expect(Math.abs(m.std - std) / std, `${what} std ${m.std} vs ${std}`).toBeLessThan(0.05);
  return m;
}

describeBackends("nn.init", () => {
  it("calculateGain matches PyTorch", () => {
    for (const [k, g] of Object.entries(misc.gains)) {
      const [nl, p] = k.split(":");
      expect(init.calculateGain(nl, p === undefined ? undefined : Number(p)), k).toBeCloseTo(g, 14);
    }
    expect(init.calculateGain("leaky_relu", { param: 0.2 })).toBeCloseTo(misc.gains["leaky_relu:0.2"], 14);
    expect(() => init.calculateGain("swish")).toThrow("Unsupported nonlinearity swish");
  });

  it("uniform_ and normal_: positional and options forms", () => {
    torch.manualSeed(0);
    const a = init.uniform_(torch.empty(100, 100), -2, 3);
    const m = expectMoments(a, 0.5, 5 / Math.sqrt(12), "uniform_(-2, 3)");
    expect(m.min).toBeGreaterThanOrEqual(-2);
    expect(m.max).toBeLessThan(3);
    const b = init.uniform_(torch.empty(10000), { a: 1, b: 2 });
    expectMoments(b, 1.5, 1 / Math.sqrt(12), "uniform_({ a: 1, b: 2 })");
    expectMoments(init.uniform_(torch.empty(10000)), 0.5, 1 / Math.sqrt(12), "uniform_ default");
    expectMoments(init.normal_(torch.empty(20000), 1, 0.5), 1, 0.5, "normal_(1, 0.5)");
    expectMoments(init.normal_(torch.empty(20000), { mean: -1, std: 2 }), -1, 2, "normal_({ mean, std })");
    expectMoments(init.normal_(torch.empty(20000), { std: 0.02 }), 0, 0.02, "normal_({ std })");
    expect(() => init.uniform_(torch.empty(3), { low: 0 } as any)).toThrow('unknown option "low" for nn.init.uniform_');
  });

  it("truncNormal_: inside [a, b], the truncated normal's moments", () => {
    torch.manualSeed(1);
    const t = init.truncNormal_(torch.empty(30000), { mean: 0, std: 1, a: -1, b: 2 });
    const m = moments(t);
    expect(m.min).toBeGreaterThanOrEqual(-1);
    expect(m.max).toBeLessThanOrEqual(2);
    // moments of N(0,1) truncated to [-1, 2] by numeric integration
    let z = 0,
      s1 = 0,
      s2 = 0;
    for (let x = -1; x <= 2; x += 1e-4) {
      const w = Math.exp((-x * x) / 2);
      z += w;
      s1 += w * x;
      s2 += w * x * x;
    }
    const mean = s1 / z,
      std = Math.sqrt(s2 / z - mean * mean);
    expectMoments(t, mean, std, "truncNormal_");
    const d = moments(init.truncNormal_(torch.empty(20000), 0.5, 0.1));
    expect(d.min).toBeGreaterThanOrEqual(-2);
    expect(Math.abs(d.mean - 0.5)).toBeLessThan(0.01);
  });

  it("constant_, ones_, zeros_, eye_, dirac_ exactly", () => {
    expect(values(init.constant_(torch.empty(2, 2), 0.25))).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(values(init.ones_(torch.empty(3)))).toEqual([1, 1, 1]);
    expect(values(init.zeros_(torch.ones(3)))).toEqual([0, 0, 0]);
    expect(values(init.eye_(torch.empty(2, 3)))).toEqual([1, 0, 0, 0, 1, 0]);
    expect(values(init.eye_(torch.empty(3, 2)))).toEqual([1, 0, 0, 1, 0, 0]);
    expect(() => init.eye_(torch.empty(2, 2, 2))).toThrow("Only tensors with 2 dimensions are supported");
    // dirac_ on a conv weight: the convolution is the identity on the first channels
    const w = init.dirac_(torch.empty(4, 3, 3, 3));
    const x = torch.randn(1, 3, 5, 5);
    const y = torch.F.conv2d(x, w, null, { padding: 1 });
    expect(values(y.narrow(1, 0, 3))).toEqual(values(x));
    expect(values(y.narrow(1, 3, 1)).every((v) => v === 0)).toBe(true);
    const g = init.dirac_(torch.empty(4, 2, 3), 2);
    const gv = values(g);
    expect(gv.reduce((a, b) => a + b, 0)).toBe(4);
    // [o, i, k] = 1 at o = g*2 + i, k = 1
    for (const [o, i] of [
      [0, 0],
      [1, 1],
      [2, 0],
      [3, 1],
    ])
      expect(gv[o * 6 + i * 3 + 1]).toBe(1);
    expect(() => init.dirac_(torch.empty(3, 3))).toThrow("Only tensors with 3, 4, or 5 dimensions are supported");
  });

  it("xavier and kaiming: bounds and spreads from fan_in / fan_out and the gain", () => {
    torch.manualSeed(2);
    const t = torch.empty(200, 100);
    let m = moments(init.xavierUniform_(t));
    const a = Math.sqrt(6 / 300);
    expect(m.max).toBeLessThanOrEqual(a);
    expect(m.min).toBeGreaterThanOrEqual(-a);
    expectMoments(t, 0, a / Math.sqrt(3), "xavierUniform_");
    expectMoments(init.xavierUniform_(t, 2), 0, (2 * a) / Math.sqrt(3), "xavierUniform_(gain 2)");
    expectMoments(init.xavierNormal_(t, { gain: 0.5 }), 0, 0.5 * Math.sqrt(2 / 300), "xavierNormal_");
    const conv = torch.empty(64, 16, 3, 3); // fan_in 144, fan_out 576
    m = moments(init.kaimingUniform_(conv));
    const b = (Math.sqrt(3) * Math.sqrt(2)) / Math.sqrt(144);
    expect(m.max).toBeLessThanOrEqual(b);
    expectMoments(conv, 0, b / Math.sqrt(3), "kaimingUniform_ default");
    const b2 = (Math.sqrt(3) * Math.sqrt(2 / (1 + 5))) / Math.sqrt(144);
    expectMoments(init.kaimingUniform_(conv, Math.sqrt(5)), 0, b2 / Math.sqrt(3), "kaimingUniform_(a=sqrt 5)");
    expectMoments(
      init.kaimingUniform_(conv, { mode: "fan_out", nonlinearity: "relu" }),
      0,
      Math.sqrt(2) / Math.sqrt(576),
      "kaimingUniform_ fan_out relu",
    );
    expectMoments(
      init.kaimingNormal_(conv, 0, "fan_out", "relu"),
      0,
      Math.sqrt(2) / Math.sqrt(576),
      "kaimingNormal_ positional",
    );
    expectMoments(
      init.kaimingNormal_(conv, { a: 0.1, nonlinearity: "leaky_relu" }),
      0,
      Math.sqrt(2 / 1.01) / 12,
      "kaimingNormal_ leaky",
    );
    expect(() => init.kaimingUniform_(conv, { mode: "fan_avg" as any })).toThrow(
      "Mode fan_avg not supported, please use one of fan_in, fan_out",
    );
    expect(() => init.xavierUniform_(torch.empty(5))).toThrow(
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    );
    expect(() => init.kaimingNormal_(conv, { nonlinearity: "swish" })).toThrow("Unsupported nonlinearity swish");
  });

  it("orthogonal_: rows or columns orthonormal, times the gain", () => {
    torch.manualSeed(3);
    for (const [shape, gain] of [
      [[6, 4], 1],
      [[4, 9], 2],
      [[5, 5], 1],
      [[3, 2, 4], 0.5],
    ] as [number[], number][]) {
      const t = init.orthogonal_(torch.empty(...shape), gain);
      const rows = shape[0],
        cols = t.numel() / rows;
      const w = t.reshape(rows, cols);
      const g = rows < cols ? w.matmul(w.t()) : w.t().matmul(w);
      const n = Math.min(rows, cols),
        gv = values(g);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          expect(Math.abs(gv[i * n + j] - (i === j ? gain * gain : 0)), `${shape} (${i}, ${j})`).toBeLessThan(1e-5);
        }
    }
    expect(() => init.orthogonal_(torch.empty(4))).toThrow("Only tensors with 2 or more dimensions are supported");
  });

  it("initialisers fill in place without autograd and return the tensor", () => {
    const p = new nn.Parameter(torch.zeros(3, 3));
    expect(init.kaimingUniform_(p)).toBe(p);
    expect(p.requiresGrad).toBe(true);
    expect(p.gradFn ?? null).toBe(null);
    const lin = new nn.Linear(4, 2);
    init.zeros_(lin.weight);
    expect(values(lin.weight).every((v) => v === 0)).toBe(true);
  });
});
