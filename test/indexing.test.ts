// t.index(...) / t.indexPut_(...) against PyTorch 1.13 (test/fixtures/tensor/indexing.json from
// scripts/gen_tensor_fixtures.py): values, gradients, views vs copies, errors, on every backend.
import { describe, expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends, expectClose } from "./util.js";
import { dec, expectTensor, fixture, part } from "./tensor-fixtures.js";

const F = fixture("indexing.json");

/** x with the fixture's values; for noncontig cases a transposed (non-contiguous) view of a leaf. */
function input(c: any): { x: torch.Tensor; leaf: torch.Tensor; grad: () => torch.Tensor } {
  if (!c.noncontig) {
    const leaf = dec(c.x, { requiresGrad: true });
    return { x: leaf, leaf, grad: () => leaf.grad! };
  }
  const nd = c.x.shape.length,
    rev = Array.from({ length: nd }, (_, k) => nd - 1 - k);
  const leaf = dec(c.x).permute(rev).contiguous().detach().requiresGrad_(true);
  const x = leaf.permute(rev);
  expect(x.isContiguous()).toBe(false);
  return { x, leaf, grad: () => leaf.grad!.permute(rev) };
}

describeBackends("indexing: PyTorch fixtures", () => {
  for (const c of F.index) {
    it(`x[${c.name}]`, () => {
      const { x, grad } = input(c);
      const parts = c.parts.map(part);
      const y = x.index(...parts);
      expectTensor(y, c.out, "value");
      if (y.numel() > 0) {
        y.mul(dec(c.gout)).sum().backward();
        expectClose(grad().contiguous().toFloat32Array(), dec(c.grad).toFloat32Array(), 1e-5, 1e-5, "grad");
      }
    });
  }
  for (const c of F.errors) {
    it(`error: x[${JSON.stringify(c.parts)}]`, () => {
      const x = torch.zeros(c.shape);
      expect(() => x.index(...c.parts.map(part))).toThrow(c.error);
    });
  }
  for (const c of F.put) {
    it(`x[${c.name}] = v${c.accumulate ? " (accumulate)" : ""}`, () => {
      const a = dec(c.x, { requiresGrad: true }),
        v = dec(c.v, { requiresGrad: true });
      const y = a.mul(1);
      const r = y.indexPut_(c.parts.map(part), v, { accumulate: c.accumulate });
      expect(r).toBe(y);
      expectTensor(y, c.out, "value");
      y.mul(dec(c.gout)).sum().backward();
      expectClose(a.grad!.toFloat32Array(), dec(c.gx).toFloat32Array(), 1e-5, 1e-5, "grad x");
      expectClose(v.grad!.toFloat32Array(), dec(c.gv).toFloat32Array(), 1e-5, 1e-5, "grad v");
    });
  }
});

describeBackends("indexing: views, copies, storage sharing", () => {
  it("basic indexing is a view: writes through it reach the base and vice versa", () => {
    const x = torch.arange(12).reshape(3, 4).float();
    const v = x.index(":", "1:4:2");
    expect(v.shape).toEqual([3, 2]);
    v.fill_(-1);
    expect(x.tolist()).toEqual([
      [0, -1, 2, -1],
      [4, -1, 6, -1],
      [8, -1, 10, -1],
    ]);
    x.index(0).add_(100);
    expect(v.tolist()).toEqual([
      [99, 99],
      [-1, -1],
      [-1, -1],
    ]);
  });
  it("advanced indexing copies", () => {
    const x = torch.arange(6).float();
    const c = x.index([1, 2]);
    c.fill_(7);
    expect(x.tolist()).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it("indexPut_ without autograd writes in place, bool and int64 tensors too", () => {
    const x = torch.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: "int64" },
    );
    x.indexPut_([x.gt(2)], 0);
    expect(x.tolist()).toEqual([
      [1, 2, 0],
      [0, 0, 0],
    ]);
    const m = torch.tensor([true, false, true]);
    m.indexPut_([1], 1);
    expect(m.tolist()).toEqual([true, true, true]);
    const big = torch.tensor([0, 0], { dtype: "int64" });
    big.indexPut_([torch.tensor([1], { dtype: "int64" })], 2 ** 52 + 1);
    expect(big.tolist()).toEqual([0, 2 ** 52 + 1]);
  });
  it("accumulate adds duplicates; large gathers go through the kernel", () => {
    const x = torch.zeros(5);
    x.indexPut_([[1, 1, 3, 1]], torch.tensor([1, 2, 3, 4]), { accumulate: true });
    expect(x.tolist()).toEqual([0, 7, 0, 3, 0]);
    const w = torch.randn(1000, 64);
    const ids = torch.randint(0, 1000, [4096]);
    const e = w.index(ids);
    const idv = ids.tolist() as number[];
    const wv = w.toFloat32Array(),
      ev = e.toFloat32Array();
    for (const k of [0, 17, 4095])
      expect(Array.from(ev.subarray(k * 64, k * 64 + 64))).toEqual(
        Array.from(wv.subarray(idv[k] * 64, idv[k] * 64 + 64)),
      );
  });
  it("index parts are validated in PyTorch's words", () => {
    const x = torch.zeros(2, 3);
    expect(() => x.index(torch.tensor([1.0]))).toThrow("tensors used as indices must be long, byte or bool tensors");
    expect(() => x.index("::-1")).toThrow("step must be greater than zero");
    expect(() => x.index("...", "...")).toThrow("an index can only have a single ellipsis");
    expect(() => x.indexPut_([0], torch.ones(4))).toThrow();
  });
  it("zero-size results and inputs", () => {
    const x = torch.zeros(0, 3, { requiresGrad: true });
    const y = x.index(":", 1);
    expect(y.shape).toEqual([0]);
    y.sum().backward();
    expect(x.grad!.shape).toEqual([0, 3]);
    const z = torch.ones(3, 2).index(torch.tensor([false, false, false]));
    expect(z.shape).toEqual([0, 2]);
  });
});

describe("indexing: fixture file", () => {
  it("has cases", () => {
    expect(F.index.length).toBeGreaterThan(20);
    expect(F.put.length).toBeGreaterThan(5);
  });
});
