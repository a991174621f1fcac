// GroupNorm, InstanceNorm1d/2d/3d and RMSNorm (PyTorch 2.4 semantics) against golden fixtures
// (test/fixtures/nn-extra/norms.json; RMSNorm from its formula in float64), plus float64 gradchecks.

import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { nn, F } from "../ts/index.js";
import { describeBackends } from "./util.js";
import { extraCases } from "./nn-extra-fixtures.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describeBackends("norms (PyTorch fixtures)", () => {
  extraCases(
    "norms.json",
    () => ({}),
    () => true,
    {
      F_groupNorm: ([x, w, b]) => F.groupNorm(x, 3, { weight: w, bias: b }),
      F_rmsNorm: ([x, w]) => F.rmsNorm(x, [4], { weight: w }),
    },
  );

  it("arguments, state-dict keys and errors", () => {
    expect(Object.keys(new nn.GroupNorm(2, 4).stateDict())).toEqual(["weight", "bias"]);
    expect(Object.keys(new nn.GroupNorm(2, 4, { affine: false }).stateDict())).toEqual([]);
    expect(Object.keys(new nn.InstanceNorm2d(3, { trackRunningStats: true }).stateDict())).toEqual([
      "running_mean",
      "running_var",
      "num_batches_tracked",
    ]);
    expect(Object.keys(new nn.RMSNorm(4).stateDict())).toEqual(["weight"]);
    expect(new nn.GroupNorm(2, 4, 1e-3, false).toString()).toBe("GroupNorm(2, 4, eps=0.001, affine=False)");
    expect(new nn.RMSNorm([2, 3], { eps: 1e-6 }).toString()).toBe(
      "RMSNorm((2, 3), eps=1e-06, elementwise_affine=True)",
    );
    expect(() => new nn.GroupNorm(3, 4)).toThrow(/divisible by num_groups/);
    expect(() => F.groupNorm(torch.randn(2, 6), 4)).toThrow(/divisible by num_groups/);
    expect(() => new nn.InstanceNorm2d(3).forward(torch.randn(2, 3))).toThrow(
      /expected 3D or 4D input \(got 2D input\)/,
    );
    expect(() => new nn.GroupNorm(2, 4, { eps: 1e-5, affin: false } as any)).toThrow(/did you mean "affine"/);
  });
});

describe("norms: float64 gradchecks", () => {
  beforeAll(() => useFloat64());
  const r = (...shape: number[]) => torch.randn(...shape).requiresGrad_();
  it("groupNorm (input, weight, bias)", () =>
    gradcheck((x, w, b) => F.groupNorm(x, 2, { weight: w, bias: b }), [r(2, 4, 3), r(4), r(4)]));
  it("instanceNorm (input, weight, bias)", () =>
    gradcheck((x, w, b) => F.instanceNorm(x, { weight: w, bias: b }), [r(2, 3, 4), r(3), r(3)]));
  it("rmsNorm (input, weight)", () =>
    gradcheck((x, w) => F.rmsNorm(x, [2, 3], { weight: w, eps: 1e-5 }), [r(2, 2, 3), r(2, 3)]));
});
