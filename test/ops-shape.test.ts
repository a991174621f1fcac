// Shape ops (ts/ops/shape.ts) against PyTorch 1.13 on every backend, views vs copies, gradchecks.
import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { opFixtureCases } from "./ops-fixtures.js";
import { describeBackends } from "./util.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describeBackends("ops fixtures: shape", () => {
  opFixtureCases("shape.json");

  it("split, chunk, unbind, diagonal and movedim return views that share storage", () => {
    const x = torch.arange(12).reshape(3, 4).float();
    const parts = x.split(2, 1),
      d = x.diagonal(),
      m = x.movedim(0, 1),
      u = x.unbind(0);
    x.add_(1);
    expect(parts[1].tolist()).toEqual([
      [3, 4],
      [7, 8],
      [11, 12],
    ]);
    expect(d.tolist()).toEqual([1, 6, 11]);
    expect(m.shape).toEqual([4, 3]);
    expect(u[2].tolist()).toEqual([9, 10, 11, 12]);
  });
  it("flip, roll, repeat, tril and cat copy", () => {
    const x = torch.arange(6).reshape(2, 3).float();
    const f = x.flip(1),
      r = x.roll(1, 1),
      t = x.tril();
    x.mul_(0);
    expect(f.tolist()).toEqual([
      [2, 1, 0],
      [5, 4, 3],
    ]);
    expect(r.tolist()).toEqual([
      [2, 0, 1],
      [5, 3, 4],
    ]);
    expect(t.tolist()).toEqual([
      [0, 0, 0],
      [3, 4, 0],
    ]);
  });
  it("the causal mask of attention: tril of ones, maskedFill with -inf, softmax", () => {
    const T = 4,
      att = torch.zeros(T, T);
    const mask = torch.ones(T, T).tril().eq(0);
    const w = att.maskedFill(mask, -Infinity).softmax(-1);
    expect(w.tolist()[0]).toEqual([1, 0, 0, 0]);
    expect(w.tolist()[3]).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
});

describe("gradcheck (float64): shape", () => {
  beforeAll(() => useFloat64());
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  it("flip, roll, repeat, tile", () => {
    gradcheck((x) => x.flip(0, 1), [r(2, 3)]);
    gradcheck((x) => x.roll([1, -1], [0, 1]), [r(3, 4)]);
    gradcheck((x) => x.repeat(2, 1, 2), [r(2, 3)]);
    gradcheck((x) => x.tile([2]), [r(3)]);
  });
  it("tril, triu, diagonal, diag", () => {
    gradcheck((x) => x.tril(-1), [r(3, 4)]);
    gradcheck((x) => x.triu(1), [r(2, 3, 3)]);
    gradcheck((x) => x.diagonal(1, 0, 2), [r(3, 2, 4)]);
    gradcheck((x) => x.diagonal(-1), [r(4, 3)]);
    gradcheck((x) => x.diag(1), [r(3)]);
    gradcheck((x) => x.diag(-1), [r(3, 3)]);
  });
  it("split, chunk, cat, stack, hstack, vstack", () => {
    gradcheck((x) => x.split([1, 3], 1), [r(2, 4)]);
    gradcheck((x) => x.chunk(3, 0), [r(5, 2)]);
    gradcheck((x, y) => torch.cat([x, y], -1), [r(2, 3), r(2, 2)]);
    gradcheck((x, y) => torch.stack([x, y], 1), [r(2, 3), r(2, 3)]);
    gradcheck((x, y) => torch.vstack([x, y]), [r(3), r(2, 3)]);
  });
});
