// Indexing ops (ts/ops/indexing.ts) against PyTorch 1.13 on every backend, gradchecks, errors.
import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { opFixtureCases } from "./ops-fixtures.js";
import { describeBackends, expectClose, values } from "./util.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

const long = (d: number[] | number[][]) => torch.tensor(d, { dtype: "int64" });

describeBackends("ops fixtures: indexing", () => {
  opFixtureCases("index.json");

  it("topk and sort on long lines agree with a JS sort", () => {
    const x = torch.randn(3, 1000);
    const t = x.topk(10, 1),
      s = x.sort(1, true);
    const rows = x.tolist() as number[][];
    rows.forEach((row, r) => {
      const want = row.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
      expect((t.indices.tolist() as number[][])[r]).toEqual(want.slice(0, 10).map((p) => p[1]));
      expect((s.indices.tolist() as number[][])[r]).toEqual(want.map((p) => p[1]));
    });
  });
  it("gather / scatterAdd over a large inner dim (kernel paths)", () => {
    const x = torch.randn(4, 50, 33),
      idx = torch.randint(0, 50, [4, 20, 33]);
    const g = x.gather(1, idx);
    const xv = x.tolist() as number[][][],
      iv = idx.tolist() as number[][][];
    const want: number[] = [];
    for (let a = 0; a < 4; a++)
      for (let j = 0; j < 20; j++) for (let c = 0; c < 33; c++) want.push(xv[a][iv[a][j][c]][c]);
    expectClose(values(g), want, 0, 0);
    const s = torch.zeros(4, 50, 33).scatterAdd(1, idx, torch.ones(4, 20, 33));
    expect(values(s.sum())[0]).toBe(4 * 20 * 33);
  });
  it("index dtype and where with scalars", () => {
    const x = torch.randn(2, 3);
    expect(() => x.gather(1, torch.zeros(2, 3))).toThrow("gather(): Expected dtype int64 for index");
    expect(() => x.indexSelect(0, long([[0]]))).toThrow("index_select(): Index is supposed to be a vector");
    const w = torch.where(x.gt(0), 1, -1) as torch.Tensor;
    expect(w.dtype).toBe("int64");
    expect(values(w)).toEqual(values(x).map((v) => (v > 0 ? 1 : -1)));
  });
});

describe("gradcheck (float64): indexing", () => {
  beforeAll(() => useFloat64());
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  it("gather, scatter, scatterAdd, indexSelect", () => {
    const idx = long([
        [0, 2, 2],
        [1, 1, 0],
      ]),
      perm = long([
        [3, 0, 2],
        [1, 2, 0],
      ]);
    gradcheck((x) => x.gather(1, idx), [r(2, 4)]);
    gradcheck((x, s) => x.scatter(1, perm, s), [r(2, 4), r(2, 3)]);
    gradcheck((x, s) => x.scatterAdd(1, idx, s), [r(2, 4), r(2, 3)]);
    gradcheck(
      (x, s) =>
        x.scatterAdd(
          0,
          long([
            [0, 2],
            [1, 1],
          ]),
          s,
        ),
      [r(3, 3), r(3, 4)],
    ); // src larger than index
    gradcheck((x) => x.indexSelect(0, long([2, 0, 2])), [r(3, 2)]);
    gradcheck((x) => x.indexSelect(1, long([1, 1])), [r(2, 3, 2)]);
  });
  it("maskedFill, maskedSelect, where", () => {
    const m = torch.tensor(
      [
        [true, false, true],
        [false, false, true],
      ],
      { dtype: "bool" },
    );
    gradcheck((x) => x.maskedFill(m, 0.5), [r(2, 3)]);
    gradcheck((x) => x.maskedSelect(m), [r(2, 3)]);
    gradcheck((a, b) => torch.where(m, a, b) as torch.Tensor, [r(1, 3), r(2, 1)]);
  });
  it("topk, sort", () => {
    gradcheck((x) => x.topk(2, 0).values, [r(4, 3)]);
    gradcheck((x) => x.sort(1, true).values, [r(2, 5)]);
  });
});
