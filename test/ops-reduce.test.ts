// Reductions and scans (ts/ops/reduce.ts) against PyTorch 1.13 on every backend, float64 gradchecks,
// and the argument conventions (positional, options object, dim lists, negative dims, keepdim).
import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { opFixtureCases } from "./ops-fixtures.js";
import { describeBackends, expectClose, values } from "./util.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describeBackends("ops fixtures: reductions", () => {
  opFixtureCases("reduce.json");

  it("max(dim) destructures as [values, indices] and has .values/.indices", () => {
    const x = torch.tensor([
      [1, 5, 2],
      [7, 0, 3],
    ]);
    const [v, i] = x.max(1);
    expect(v.tolist()).toEqual([5, 7]);
    expect(i.tolist()).toEqual([1, 0]);
    expect(x.min({ dim: 0 }).indices.tolist()).toEqual([0, 1, 0]);
  });
  it("unknown options and bad dims throw", () => {
    const x = torch.ones(2, 3);
    expect(() => x.sum({ dims: 1 } as any)).toThrow(`unknown option "dims" for sum; did you mean "dim"?`);
    expect(() => x.sum([0, 0])).toThrow("dim 0 appears multiple times in the list of dims");
    expect(() => x.amax(-3)).toThrow("Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    expect(() => x.var(1, { unbiased: true, correction: 1 })).toThrow("either unbiased or correction");
  });
  it("cumsum of a long vector matches a running sum", () => {
    const n = 10000,
      x = torch.rand(n);
    const got = values(x.cumsum(0)),
      xv = values(x);
    let acc = 0;
    const want = xv.map((v) => (acc += v));
    expectClose(got, want, 1e-2, 1e-4);
  });
});

describe("gradcheck (float64): reductions", () => {
  beforeAll(() => useFloat64());
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  it("prod with and without zeros", () => {
    gradcheck((x) => x.prod(1), [r(3, 4)]);
    const z = torch
      .tensor([
        [1, 0, 2],
        [0, 0, 3],
        [2, 1, 4],
      ])
      .requiresGrad_();
    gradcheck((x) => x.prod(1), [z]);
    gradcheck((x) => x.prod(), [r(2, 3)]);
  });
  it("cumsum / cumprod (incl. zeros)", () => {
    gradcheck((x) => x.cumsum(-1), [r(3, 5)]);
    gradcheck((x) => x.cumprod(0), [r(4, 3)]);
    gradcheck(
      (x) => x.cumprod(1),
      [
        torch
          .tensor([
            [1, 0, 2, 3],
            [2, 3, 0, 0],
          ])
          .requiresGrad_(),
      ],
    );
  });
  it("amax/amin/max/min, logsumexp, norm, var, std over dim lists", () => {
    gradcheck((x) => x.amax([0, 2]), [r(2, 3, 4)]);
    gradcheck((x) => x.amin(1, true), [r(3, 4)]);
    gradcheck((x) => x.max(1).values, [r(3, 4)]);
    gradcheck((x) => x.min(0, true).values, [r(3, 4)]);
    gradcheck((x) => x.logsumexp([1, 2]), [r(2, 3, 4)]);
    gradcheck((x) => x.norm(2, 1), [r(3, 4)]);
    gradcheck((x) => x.norm(3), [r(3, 4)]);
    gradcheck((x) => x.var([0, 1], { correction: 0 }), [r(3, 4)]);
    gradcheck((x) => x.std(1, { keepdim: true }), [r(3, 4)]);
    gradcheck((x) => x.mean([-1, 0]), [r(2, 3, 4)]);
  });
  it("non-contiguous inputs", () => {
    gradcheck((x) => x.transpose(0, 1).cumsum(1), [r(4, 3)]);
    gradcheck((x) => x.transpose(0, 1).prod(0), [r(4, 3)]);
  });
});
