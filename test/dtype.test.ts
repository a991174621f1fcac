// dtypes against PyTorch 1.13 (test/fixtures/tensor/dtype.json from scripts/gen_tensor_fixtures.py):
// bool results of comparisons and logical ops, type promotion (bool < int64 < float32), casts,
// printing, and exact int64 (every integer up to 2^53) through tensor/tolist/item/arithmetic/files.
import { describe, expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends } from "./util.js";
import { dec, expectTensor, fixture } from "./tensor-fixtures.js";

const F = fixture("dtype.json");
const METHOD: Record<string, string> = {
  add: "add",
  mul: "mul",
  sub: "sub",
  div: "div",
  maximum: "maximum",
  minimum: "minimum",
  eq: "eq",
  ne: "ne",
  lt: "lt",
  le: "le",
  gt: "gt",
  ge: "ge",
  logical_and: "logicalAnd",
  logical_or: "logicalOr",
  logical_xor: "logicalXor",
  isnan: "isnan",
  isinf: "isinf",
  isfinite: "isfinite",
  logical_not: "logicalNot",
  sum: "sum",
};

function label(c: any): string {
  const rhs = c.b ? c.b.dtype : c.to ? `-> ${c.to}` : c.scalar !== undefined ? `scalar ${c.scalar}` : "";
  return `${c.op}(${c.a.dtype}${rhs ? ", " + rhs : ""})`;
}

describeBackends("dtype: PyTorch promotion and bool results", () => {
  const seen = new Set<string>();
  for (const c of F.ops) {
    let name = label(c);
    while (seen.has(name)) name += "'";
    seen.add(name);
    it(name, () => {
      const a = dec(c.a);
      const run = () => {
        if (c.op === "to") return a.to(c.to);
        const m = (a as any)[METHOD[c.op]];
        if (c.b) return m.call(a, dec(c.b));
        if (c.scalar !== undefined) return m.call(a, c.scalar);
        return m.call(a);
      };
      if (c.error) {
        expect(run).toThrow(c.error);
        return;
      }
      expectTensor(run(), c.out, name);
    });
  }
  for (const r of F.repr) {
    it(`prints ${r.name} as PyTorch`, () => {
      expect(dec(r.x).toString()).toBe(r.repr);
    });
  }
});

describeBackends("dtype: int64 is 64-bit", () => {
  it("integers up to 2^53 round-trip through tensor, tolist, item", () => {
    const vals = [2 ** 40, -(2 ** 40), 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 0];
    const t = torch.tensor(vals, { dtype: "int64" });
    expect(t.tolist()).toEqual(vals);
    expect(t.index(0).item()).toBe(2 ** 40);
    expect(
      torch
        .tensor([2 ** 31 - 1], { dtype: "int64" })
        .add(1)
        .item(),
    ).toBe(2 ** 31);
    expect(
      torch
        .tensor([2 ** 40], { dtype: "int64" })
        .mul(1024)
        .item(),
    ).toBe(2 ** 50);
    expect(
      torch
        .tensor([2 ** 52], { dtype: "int64" })
        .add(torch.tensor([2 ** 52 - 1], { dtype: "int64" }))
        .item(),
    ).toBe(2 ** 53 - 1);
    expect(
      torch
        .tensor([3 * 2 ** 40], { dtype: "int64" })
        .sum()
        .item(),
    ).toBe(3 * 2 ** 40);
  });
  it("BigInt inputs: exact ones are accepted, others refused (never wrapped); beyond 2^53 comes back as BigInt", () => {
    const t = torch.tensor([2n ** 60n, -5n]);
    expect(t.dtype).toBe("int64");
    expect(t.tolist()).toEqual([2n ** 60n, -5]);
    expect(t.index(0).item()).toBe(2n ** 60n);
    expect(() => torch.tensor([2n ** 53n + 1n])).toThrow(/cannot be stored exactly/);
    expect(() => torch.tensor([Infinity], { dtype: "int64" })).toThrow(/cannot convert/);
    expect(torch.tensor(new BigInt64Array([123n, -(2n ** 50n)])).tolist()).toEqual([123, -(2 ** 50)]);
  });
  it("int64 division is true division; float -> int64 truncates toward zero", () => {
    const a = torch.tensor([7, -7], { dtype: "int64" });
    expect(a.div(2).dtype).toBe("float32");
    expect(a.div(2).tolist()).toEqual([3.5, -3.5]);
    expect(
      torch
        .tensor([1.9, -1.9, 2 ** 40 + 0.5])
        .to("int64")
        .tolist(),
    ).toEqual([1, -1, 2 ** 40]);
  });
  it("int64 survives save/load bit-exactly", () => {
    const sd = { big: torch.tensor([2 ** 53, -(2 ** 41) - 3, 7], { dtype: "int64" }) };
    const back = torch.load(torch.save(sd)) as Record<string, torch.Tensor>;
    expect(back.big.dtype).toBe("int64");
    expect(back.big.tolist()).toEqual([2 ** 53, -(2 ** 41) - 3, 7]);
  });
  it("bool tensors: creation, casts, sum, where masks, save/load", () => {
    const m = torch.tensor([
      [true, false],
      [false, true],
    ]);
    expect(m.dtype).toBe("bool");
    expect(m.sum().dtype).toBe("int64");
    expect(m.sum().item()).toBe(2);
    expect(m.long().tolist()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(m.float().tolist()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(torch.tensor([0, 2.5, -1, NaN]).bool().tolist()).toEqual([false, true, true, true]);
    expect(m.logicalNot().tolist()).toEqual([
      [false, true],
      [true, false],
    ]);
    expect(m.index(0, 0).item()).toBe(true);
    const x = torch.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(torch.where(m, x, torch.zeros(2, 2)).tolist()).toEqual([
      [1, 0],
      [0, 4],
    ]);
    expect(x.maskedFill(m, -1).tolist()).toEqual([
      [-1, 2],
      [3, -1],
    ]);
    const back = torch.load(torch.save({ m })) as Record<string, torch.Tensor>;
    expect(back.m.dtype).toBe("bool");
    expect(back.m.tolist()).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(() => torch.tensor([1, 2], { dtype: "float16" as any })).toThrow(/unsupported dtype/);
    expect(() => torch.tensor(["a" as any])).toThrow(/must be numbers/);
    expect(() => torch.tensor([null as any])).toThrow(/must be numbers/);
  });
  it("bool and int64 tensors cannot require grad; comparisons are not differentiable", () => {
    expect(() => torch.tensor([true]).requiresGrad_()).toThrow(
      "only Tensors of floating point dtype can require gradients",
    );
    const x = torch.randn(3, { requiresGrad: true });
    const m = x.gt(0);
    expect(m.requiresGrad).toBe(false);
  });
});

describe("dtype: fixture file", () => {
  it("has cases", () => {
    expect(F.ops.length).toBeGreaterThan(100);
  });
});
