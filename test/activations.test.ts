// Activation modules and F.* against PyTorch 1.13 fixtures (test/fixtures/nn-extra/activations.json),
// their print texts, argument handling, and float64 gradchecks of every activation.

import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { nn, F } from "../ts/index.js";
import { describeBackends } from "./util.js";
import { extraCases } from "./nn-extra-fixtures.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describeBackends("activations (PyTorch fixtures)", () => {
  extraCases("activations.json");

  it("arguments: PyTorch's positional order or an options object; unknown keys throw", () => {
    expect(new nn.LeakyReLU(0.2, true).toString()).toBe("LeakyReLU(negative_slope=0.2, inplace=True)");
    expect(new nn.LeakyReLU({ negativeSlope: 0.2 }).toString()).toBe("LeakyReLU(negative_slope=0.2)");
    expect(new nn.Softplus(2, 10).toString()).toBe("Softplus(beta=2, threshold=10)");
    expect(new nn.ReLU6({ inplace: true }).toString()).toBe("ReLU6(inplace=True)");
    expect(() => new nn.GELU({ approximate: "fast" } as any)).toThrow(TypeError);
    expect(() => new nn.LeakyReLU({ negative_slope: 0.1 } as any)).toThrow(/did you mean "negativeSlope"/);
    expect(() => new nn.Hardtanh(1, -1)).toThrow(/max_val/);
    expect(() => F.glu(torch.randn(2, 3))).toThrow(/Halving dimension must be even/);
    expect(() => F.prelu(torch.randn(2, 3), torch.ones(2))).toThrow(/channel size = 3/);
  });

  it("inplace modules write into their input (PyTorch's in-place rules)", () => {
    const x = torch.tensor([-2, -0.5, 0.5, 7]);
    const y = new nn.ReLU6({ inplace: true }).forward(x);
    expect(y).toBe(x);
    expect(Array.from(x.toFloat32Array())).toEqual([0, 0, 0.5, 6]);
    const z = torch.tensor([-1, 2]);
    expect(new nn.LeakyReLU(0.5, true).forward(z)).toBe(z);
    expect(Array.from(z.toFloat32Array())).toEqual([-0.5, 2]);
    const r = torch.tensor([-1, 3]);
    expect(new nn.ReLU(true).forward(r)).toBe(r);
    expect(Array.from(r.toFloat32Array())).toEqual([0, 3]);
    const leaf = torch.tensor([1, -1], { requiresGrad: true });
    expect(() => new nn.SiLU({ inplace: true }).forward(leaf)).toThrow(/leaf Variable that requires grad/);
    // on a non-leaf the gradient flows through the in-place op
    const a = torch.tensor([-2, 0.5, 3], { requiresGrad: true });
    const h = a.mul(2);
    new nn.Hardtanh(-1, 2, true).forward(h).sum().backward();
    expect(Array.from(a.grad!.toFloat32Array())).toEqual([0, 2, 0]);
  });

  it("F's in-place forms (elu_, leakyRelu_, hardtanh_, threshold_, celu_, selu_, relu_)", () => {
    const vals = [-2, -0.5, 0.25, 3];
    const cases: [(t: torch.Tensor) => torch.Tensor, (t: torch.Tensor) => torch.Tensor][] = [
      [(t) => F.elu_(t, 0.5), (t) => F.elu(t, 0.5)],
      [(t) => F.leakyRelu_(t, 0.2), (t) => F.leakyRelu(t, 0.2)],
      [(t) => F.hardtanh_(t, -1, 2), (t) => F.hardtanh(t, -1, 2)],
      [(t) => F.threshold_(t, 0, 7), (t) => F.threshold(t, 0, 7)],
      [(t) => F.celu_(t), (t) => F.celu(t)],
      [(t) => F.selu_(t), (t) => F.selu(t)],
      [(t) => F.relu_(t), (t) => F.relu(t)],
    ];
    for (const [inp, out] of cases) {
      const a = torch.tensor(vals),
        want = out(torch.tensor(vals));
      expect(inp(a)).toBe(a);
      expect(Array.from(a.toFloat32Array())).toEqual(Array.from(want.toFloat32Array()));
    }
  });

  it("PReLU: parameter `weight`, state dict and gradient", () => {
    const m = new nn.PReLU(3);
    expect(Object.keys(m.stateDict())).toEqual(["weight"]);
    expect(Array.from(m.weight.toFloat32Array())).toEqual([0.25, 0.25, 0.25]);
  });
});

describe("activations: float64 gradchecks", () => {
  beforeAll(() => useFloat64());
  // values away from the kinks (|x| far from 0, ±3, 6, the thresholds)
  const x = () => torch.tensor([-4.3, -2.6, -1.7, -0.9, -0.35, 0.3, 0.8, 1.6, 2.7, 4.4, 6.5]).requiresGrad_();
  const cases: [string, (t: torch.Tensor) => torch.Tensor][] = [
    ["gelu", (t) => F.gelu(t)],
    ["gelu tanh", (t) => F.gelu(t, { approximate: "tanh" })],
    ["silu", (t) => F.silu(t)],
    ["mish", (t) => F.mish(t)],
    ["relu6", (t) => F.relu6(t)],
    ["hardtanh", (t) => F.hardtanh(t, -2, 2)],
    ["hardswish", (t) => F.hardswish(t)],
    ["hardsigmoid", (t) => F.hardsigmoid(t)],
    ["leakyRelu", (t) => F.leakyRelu(t, 0.2)],
    ["elu", (t) => F.elu(t, 0.7)],
    ["selu", (t) => F.selu(t)],
    ["celu", (t) => F.celu(t, 1.5)],
    ["softplus", (t) => F.softplus(t, 2, 5)],
    ["softsign", (t) => F.softsign(t)],
    ["logsigmoid", (t) => F.logsigmoid(t)],
    ["tanhshrink", (t) => F.tanhshrink(t)],
    ["softshrink", (t) => F.softshrink(t, 0.5)],
    ["hardshrink", (t) => F.hardshrink(t, 0.5)],
    ["threshold", (t) => F.threshold(t, 0.1, -3)],
    ["softmin", (t) => F.softmin(t.reshape(1, 11), 1)],
    ["glu", (t) => F.glu(t.narrow(0, 0, 10).reshape(2, 5), 0)],
  ];
  for (const [name, f] of cases) it(name, () => gradcheck(f, [x()]));
  it("prelu (input and weight)", () => {
    const w = torch.tensor([0.2, -0.4, 0.3]).requiresGrad_();
    gradcheck(
      (t, ww) => F.prelu(t, ww),
      [
        torch
          .tensor([
            [-1.2, 0.7, -0.4],
            [2.1, -3.3, 0.9],
            [-0.6, -1.9, 1.4],
          ])
          .requiresGrad_(),
        w,
      ],
    );
  });
});
