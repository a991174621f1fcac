// torch.utils.data: default collate against PyTorch 1.13's default_collate
// (test/fixtures/optim/collate.json, scripts/gen_optim_fixtures.py), datasets, samplers, randomSplit
// and DataLoader behaviour (batching, dropLast, shuffling with a seeded Generator, length).

import { it, expect } from "vitest";
import { readFileSync } from "node:fs";
import * as torch from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { describeBackends, values } from "./util.js";

const {
  DataLoader,
  Dataset,
  TensorDataset,
  Subset,
  ConcatDataset,
  randomSplit,
  defaultCollate,
  RandomSampler,
  SequentialSampler,
  BatchSampler,
} = torch.utils.data;
const fx = JSON.parse(readFileSync(new URL("./fixtures/optim/collate.json", import.meta.url), "utf8")) as {
  cases: { name: string; batch: any; out: any }[];
};

function revive(v: any): any {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object") {
    if (v.__tuple__) return v.__tuple__.map(revive);
    if (v.__tensor__)
      return torch.tensor(v.data, {
        shape: v.shape,
        dtype: v.dtype === "int64" ? "int64" : v.dtype === "bool" ? ("bool" as any) : "float32",
      });
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}
/** Compares collate output with PyTorch's (float64 from Python floats is float32 here, as API.md says). */
function same(mine: any, ref: any, path: string) {
  if (ref && ref.__tensor__) {
    expect(mine instanceof torch.Tensor, `${path} is a tensor`).toBe(true);
    expect(mine.shape, `${path} shape`).toEqual(ref.shape);
    expect(mine.dtype, `${path} dtype`).toBe(ref.dtype === "float64" ? "float32" : ref.dtype);
    expect(values(mine).map(Number), `${path} values`).toEqual(ref.data.map(Number));
  } else if (Array.isArray(ref)) {
    expect(Array.isArray(mine), `${path} is an array`).toBe(true);
    expect(mine.length).toBe(ref.length);
    ref.forEach((r, i) => same(mine[i], r, `${path}[${i}]`));
  } else if (ref && typeof ref === "object") {
    expect(Object.keys(mine)).toEqual(Object.keys(ref));
    for (const k of Object.keys(ref)) same(mine[k], ref[k], `${path}.${k}`);
  } else expect(mine, path).toEqual(ref);
}

describeBackends("utils.data", () => {
  for (const c of fx.cases) {
    it(`defaultCollate matches PyTorch: ${c.name}`, () => {
      same(defaultCollate(revive(c.batch)), c.out, c.name);
    });
  }

  it("defaultCollate errors", () => {
    expect(() => defaultCollate([[1, 2], [3]])).toThrow("each element in list of batch should be of equal size");
    expect(() => defaultCollate([torch.zeros(2), torch.zeros(3)])).toThrow(
      "stack expects each tensor to be equal size",
    );
    expect(() => defaultCollate([null, null])).toThrow("default_collate: batch must contain tensors");
  });

  const xy = () => [torch.arange(0, 20).reshape(10, 2).float(), torch.arange(0, 10)] as const;

  it("TensorDataset and DataLoader: batches, last partial batch, dropLast, length", () => {
    const [x, y] = xy();
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(10);
    expect(values(ds.get(3)[0])).toEqual([6, 7]);
    expect(ds.get(-1)[1].item()).toBe(9);
    expect(() => ds.get(10)).toThrow(/out of range/);
    expect(() => new TensorDataset(x, torch.zeros(3))).toThrow("Size mismatch between tensors");
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = [...loader];
    expect(batches.map(([bx]) => bx.shape)).toEqual([
      [4, 2],
      [4, 2],
      [2, 2],
    ]);
    const ys: number[] = [];
    for (const [bx, by] of loader) {
      expect(by.dtype).toBe("int64");
      ys.push(...values(by));
      expect(bx.shape[1]).toBe(2);
    }
    expect(ys).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const dl = new DataLoader(ds, 4, false, { dropLast: true });
    expect(dl.length).toBe(2);
    expect([...dl].length).toBe(2);
    expect(new DataLoader(ds).length).toBe(10);
    expect(() => new DataLoader(ds, { batch_size: 2 } as any)).toThrow('did you mean "batchSize"?');
  });

  it("shuffle: a permutation per epoch, reproducible with a seeded Generator", () => {
    const [x, y] = xy();
    const ds = new TensorDataset(x, y);
    const epoch = (l: InstanceType<typeof DataLoader>) => [...l].flatMap(([, by]: Tensor[]) => values(by));
    const l1 = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new torch.Generator().manualSeed(5) });
    const l2 = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new torch.Generator().manualSeed(5) });
    const e1 = epoch(l1),
      e2 = epoch(l2),
      e3 = epoch(l1);
    expect(e1).toEqual(e2);
    expect([...e1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...e3].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e3).not.toEqual(e1);
    torch.manualSeed(3);
    const a = epoch(new DataLoader(ds, { batchSize: 3, shuffle: true }));
    torch.manualSeed(3);
    const b = epoch(new DataLoader(ds, { batchSize: 3, shuffle: true }));
    expect(a).toEqual(b);
  });

  it("a Dataset subclass with objects as samples; custom collateFn", () => {
    class Squares extends Dataset<{ x: number; y: number[] }> {
      get length() {
        return 5;
      }
      get(i: number) {
        return { x: i, y: [i * i, 0.5] };
      }
    }
    const batches = [...new DataLoader(new Squares(), { batchSize: 2 })];
    expect(batches.length).toBe(3);
    expect(values(batches[1].x)).toEqual([2, 3]);
    expect(batches[1].x.dtype).toBe("int64");
    expect(values(batches[1].y[0])).toEqual([4, 9]);
    expect(batches[1].y[1].dtype).toBe("float32");
    const sums = [...new DataLoader(new Squares(), { batchSize: 5, collateFn: (b) => b.reduce((s, v) => s + v.x, 0) })];
    expect(sums).toEqual([10]);
  });

  it("Subset, ConcatDataset, randomSplit (lengths and fractions)", () => {
    const [x, y] = xy();
    const ds = new TensorDataset(x, y);
    const sub = new Subset(ds, [9, 0, 4]);
    expect(sub.length).toBe(3);
    expect(sub.get(0)[1].item()).toBe(9);
    const cat = new ConcatDataset([sub, ds]);
    expect(cat.length).toBe(13);
    expect(cat.get(3)[1].item()).toBe(0);
    expect(cat.get(-1)[1].item()).toBe(9);
    const parts = randomSplit(ds, [7, 3], new torch.Generator().manualSeed(1));
    expect(parts.map((p) => p.length)).toEqual([7, 3]);
    const all = parts.flatMap((p) => p.indices).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // fractions: floor, then the remainder round-robin (PyTorch 1.13)
    expect(randomSplit(ds, [0.33, 0.33, 0.34]).map((p) => p.length)).toEqual([4, 3, 3]);
    expect(randomSplit(ds, [0.5, 0.5]).map((p) => p.length)).toEqual([5, 5]);
    expect(() => randomSplit(ds, [5, 4])).toThrow(
      "Sum of input lengths does not equal the length of the input dataset!",
    );
    const again = randomSplit(ds, [7, 3], new torch.Generator().manualSeed(1));
    expect(again[0].indices).toEqual(parts[0].indices);
  });

  it("samplers", () => {
    const ds = { length: 5 };
    expect([...new SequentialSampler(ds)]).toEqual([0, 1, 2, 3, 4]);
    const r = [...new RandomSampler(ds, { generator: new torch.Generator().manualSeed(0) })];
    expect([...r].sort()).toEqual([0, 1, 2, 3, 4]);
    const rr = [...new RandomSampler(ds, { replacement: true, numSamples: 20 })];
    expect(rr.length).toBe(20);
    expect(rr.every((i) => i >= 0 && i < 5)).toBe(true);
    const bs = new BatchSampler(new SequentialSampler(ds), 2, false);
    expect([...bs]).toEqual([[0, 1], [2, 3], [4]]);
    expect(bs.length).toBe(3);
    expect([...new BatchSampler(new SequentialSampler(ds), { batchSize: 2, dropLast: true })]).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const loader = new DataLoader(new TensorDataset(torch.arange(0, 5)), { batchSampler: bs });
    expect([...loader].map(([t]) => values(t))).toEqual([[0, 1], [2, 3], [4]]);
  });
});

describeBackends("utils.data: IterableDataset and ported options", () => {
  it("an IterableDataset is batched in order; shuffle is refused as in PyTorch", () => {
    class Counter extends torch.utils.data.IterableDataset<number> {
      *[Symbol.iterator]() {
        for (let i = 0; i < 7; i++) yield i;
      }
    }
    const batches = [...new DataLoader(new Counter(), { batchSize: 3 })].map((b: Tensor) => values(b));
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect([...new DataLoader(new Counter(), { batchSize: 3, dropLast: true })].length).toBe(2);
    expect(() => new DataLoader(new Counter(), { shuffle: true })).toThrow("expected unspecified shuffle option");
  });
  it("numWorkers, pinMemory, persistentWorkers are accepted (loaded in the calling thread, same batches)", () => {
    const ds = new TensorDataset(torch.arange(0, 6));
    const a = [...new DataLoader(ds, { batchSize: 2, numWorkers: 4, pinMemory: true, persistentWorkers: true })].map(
      ([t]) => values(t),
    );
    expect(a).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(() => new DataLoader(ds, { numWorkers: 2, workerInitFn: () => {} })).toThrow(/workerInitFn/);
  });
});

describeBackends("utils.data: WeightedRandomSampler", () => {
  it("draws in proportion to the weights; without replacement each index once", () => {
    const { WeightedRandomSampler } = torch.utils.data;
    const counts = [0, 0, 0, 0];
    for (const i of new WeightedRandomSampler([1, 0, 3, 6], 20000, true, new torch.Generator().manualSeed(4)))
      counts[i]++;
    expect(counts[1]).toBe(0);
    [0.1, 0, 0.3, 0.6].forEach((p, i) => expect(Math.abs(counts[i] / 20000 - p)).toBeLessThan(0.015));
    const once = [...new WeightedRandomSampler(torch.tensor([1, 2, 3, 4]), { numSamples: 4, replacement: false })];
    expect([...once].sort()).toEqual([0, 1, 2, 3]);
    expect(() => new WeightedRandomSampler([1, 0], 2, false)).toThrow(
      "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
    );
  });
});
