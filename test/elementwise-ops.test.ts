// Elementwise math (torch.* functions and Tensor methods) against PyTorch 1.13 fixtures
// (test/fixtures/nn-extra/elementwise.json), and float64 gradchecks of every differentiable op.

import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends } from "./util.js";
import { extraCases } from "./nn-extra-fixtures.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describeBackends("elementwise ops (PyTorch fixtures)", () => {
  extraCases("elementwise.json");

  it("errors and dtypes", () => {
    expect(() => torch.clamp(torch.ones(2))).toThrow(/At least one of 'min' or 'max'/);
    expect(torch.floor(torch.tensor([1, -2], { dtype: "int64" })).dtype).toBe("int64");
    expect(torch.sin(torch.tensor([1, -2], { dtype: "int64" })).dtype).toBe("float32");
    expect(() => torch.addcmul(torch.ones(2), torch.ones(2), torch.ones(2), { valu: 2 } as any)).toThrow(
      /did you mean "value"/,
    );
    const x = torch.tensor([1.5, -2.5]);
    expect(Array.from(x.clamp({ min: 0 } as any).toFloat32Array())).toEqual([1.5, 0]);
  });
});

describe("elementwise ops: float64 gradchecks", () => {
  beforeAll(() => useFloat64());
  const r = (...v: number[]) => torch.tensor(v).requiresGrad_();
  const x = () => r(-1.7, -0.9, -0.35, 0.3, 0.8, 1.6);
  const u = () => r(-0.8, -0.45, -0.1, 0.2, 0.55, 0.85);
  const p = () => r(0.3, 0.7, 1.2, 1.9, 2.6, 3.1);
  const U: [string, () => torch.Tensor, (t: torch.Tensor) => torch.Tensor][] = [
    ["abs", x, torch.abs],
    ["frac", x, torch.frac],
    ["sin", x, torch.sin],
    ["cos", x, torch.cos],
    ["tan", u, torch.tan],
    ["asin", u, torch.asin],
    ["acos", u, torch.acos],
    ["atan", x, torch.atan],
    ["sinh", x, torch.sinh],
    ["cosh", x, torch.cosh],
    ["erf", x, torch.erf],
    ["erfinv", u, torch.erfinv],
    ["expm1", x, torch.expm1],
    ["log1p", p, torch.log1p],
    ["log2", p, torch.log2],
    ["log10", p, torch.log10],
    ["exp2", x, torch.exp2],
    ["rsqrt", p, torch.rsqrt],
    ["reciprocal", p, torch.reciprocal],
    ["square", x, torch.square],
    ["nanToNum", x, (t) => torch.nanToNum(t)],
    ["clamp numbers", x, (t) => torch.clamp(t, -1, 1)],
    ["round (zero grad)", x, torch.round],
    ["sign (zero grad)", x, torch.sign],
    ["floor (zero grad)", x, torch.floor],
  ];
  for (const [name, mk, f] of U) it(name, () => gradcheck(f, [mk()]));
  const B: [string, (a: torch.Tensor, b: torch.Tensor) => torch.Tensor][] = [
    ["atan2", torch.atan2],
    ["hypot", torch.hypot],
    ["remainder", torch.remainder],
    ["fmod", torch.fmod],
    ["maximum", torch.maximum],
    ["minimum", torch.minimum],
  ];
  for (const [name, f] of B) {
    it(`${name} (broadcast)`, () =>
      gradcheck(f, [
        torch
          .tensor([
            [1.3, -2.2, 0.7],
            [-0.4, 2.9, -1.1],
          ])
          .requiresGrad_(),
        r(0.9, -1.7, 2.3),
      ]));
  }
  it("clamp with tensor bounds", () => {
    gradcheck((t, lo, hi) => torch.clamp(t, lo, hi), [x(), r(-0.5, -0.5, 0, 0, 0.5, 2), r(1, 1, -1, 0.5, 0.6, 1.2)]);
  });
  it("lerp / addcmul / addcdiv", () => {
    gradcheck((a, b, w) => torch.lerp(a, b, w), [x(), p(), u()]);
    gradcheck((a, b, c) => torch.addcmul(a, b, c, { value: 0.7 }), [x(), p(), u()]);
    gradcheck((a, b, c) => torch.addcdiv(a, b, c, { value: -1.3 }), [x(), u(), p()]);
  });
});
