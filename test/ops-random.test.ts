// Creation and random ops (ts/ops/random.ts): deterministic ones against PyTorch 1.13, random ones
// for reproducibility under manualSeed and for their distributions (PyTorch's numbers are not required).
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { opFixtureCases } from "./ops-fixtures.js";
import { describeBackends, values } from "./util.js";

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
};

describeBackends("ops: creation and random", () => {
  opFixtureCases("creation.json");

  it("manualSeed makes every random function repeat", () => {
    const draw = () => {
      torch.manualSeed(42);
      const x = torch.zeros(3, 4);
      return [
        torch.rand(5),
        torch.randn(5),
        torch.randint(0, 9, [5]),
        torch.randperm(7),
        torch.randLike(x),
        torch.randnLike(x),
        torch.randintLike(x, 3, 8),
        torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 6, true),
        torch.bernoulli(torch.full([6], 0.5)),
        torch.normal(torch.zeros(4), torch.ones(4)),
        torch.normal(2, 3, [4]),
        x.bernoulli(0.3),
      ].map(values);
    };
    expect(draw()).toEqual(draw());
  });
  it("distributions: rand, randn, normal, randint, bernoulli", () => {
    torch.manualSeed(0);
    const u = values(torch.randLike(torch.zeros(20000)));
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.02);
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    const n = values(torch.normal(torch.full([20000], 3), torch.full([20000], 2)));
    expect(Math.abs(mean(n) - 3)).toBeLessThan(0.06);
    expect(Math.abs(sd(n) - 2)).toBeLessThan(0.06);
    const ri = values(torch.randintLike(torch.zeros(5000), 2, 5));
    expect(new Set(ri)).toEqual(new Set([2, 3, 4]));
    const b = values(torch.bernoulli(torch.full([20000], 0.25)));
    expect(Math.abs(mean(b) - 0.25)).toBeLessThan(0.02);
  });
  it("randperm is a permutation; multinomial follows its weights, without replacement draws distinct", () => {
    torch.manualSeed(1);
    const p = values(torch.randperm(50));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => k));
    const m = values(torch.multinomial(torch.tensor([1, 0, 3]), 8000, { replacement: true }));
    expect(m.includes(1)).toBe(false);
    expect(Math.abs(m.filter((v) => v === 2).length / 8000 - 0.75)).toBeLessThan(0.03);
    const rows = torch.multinomial(
      torch.tensor([
        [1, 1, 1, 1],
        [0, 1, 1, 0],
      ]),
      2,
    );
    expect(rows.shape).toEqual([2, 2]);
    const r = rows.tolist() as number[][];
    expect(r[0][0]).not.toBe(r[0][1]);
    expect(new Set(r[1])).toEqual(new Set([1, 2]));
    expect(() => torch.multinomial(torch.tensor([1, 0]), 3)).toThrow(
      "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
    );
  });
  it("eye, linspace, logspace, fullLike, emptyLike options", () => {
    expect(torch.eye(2, { dtype: "int64" }).dtype).toBe("int64");
    expect(torch.linspace(0, 1, 3, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(torch.emptyLike(torch.zeros(2, 3)).shape).toEqual([2, 3]);
    expect(torch.fullLike(torch.zeros(2), 1.5, { dtype: "float32" }).tolist()).toEqual([1.5, 1.5]);
    expect(() => torch.eye(2, { dtyp: "int64" } as any)).toThrow(
      `unknown option "dtyp" for eye; did you mean "dtype"?`,
    );
  });
});
