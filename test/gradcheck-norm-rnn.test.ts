// Float64 finite-difference checks of the fused batch norm, layer norm, embedding, LSTM and GRU ops.
import { describe, it, beforeAll, expect } from "vitest";
import * as torch from "../ts/index.js";
import { F, nn } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describe("gradcheck: norm, embedding, rnn (float64, js)", () => {
  beforeAll(() => {
    useFloat64();
    torch.manualSeed(3);
  });
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  const pos = (...s: number[]) =>
    torch
      .rand(...s)
      .add(0.5)
      .detach();

  it("batchNorm training: 2-d, 3-d, 4-d, affine on and off, with and without running stats", () => {
    for (const shape of [
      [5, 3],
      [4, 3, 5],
      [2, 3, 3, 2],
    ]) {
      const rm = torch.zeros(3),
        rv = torch.ones(3);
      gradcheck((x, w, b) => F.batchNorm(x, rm, rv, { weight: w, bias: b, training: true }), [r(...shape), r(3), r(3)]);
      gradcheck((x) => F.batchNorm(x, null, null, { training: true, eps: 1e-3 }), [r(...shape)]);
    }
  });

  it("batchNorm training updates running stats with the unbiased variance", () => {
    const x = torch.randn(4, 2, 3),
      rm = torch.zeros(2),
      rv = torch.ones(2);
    F.batchNorm(x, rm, rv, { training: true, momentum: 0.25 });
    const mean = x.mean([0, 2]),
      uvar = x.permute(1, 0, 2).reshape(2, -1).var(1);
    const em = mean.mul(0.25),
      ev = uvar.mul(0.25).add(0.75);
    expect(Array.from(rm.dataSync())).toEqual(Array.from(em.dataSync()).map((v) => expect.closeTo(v, 10)));
    expect(Array.from(rv.dataSync())).toEqual(Array.from(ev.dataSync()).map((v) => expect.closeTo(v, 10)));
  });

  it("batchNorm eval: 2-d, 3-d, 4-d, affine on and off", () => {
    for (const shape of [
      [5, 3],
      [4, 3, 5],
      [2, 3, 3, 2],
    ]) {
      const rm = torch.randn(3),
        rv = pos(3);
      gradcheck(
        (x, w, b) => F.batchNorm(x, rm, rv, { weight: w, bias: b, training: false }),
        [r(...shape), r(3), r(3)],
      );
      gradcheck((x) => F.batchNorm(x, rm, rv, { training: false }), [r(...shape)]);
    }
  });

  it("batchNorm errors", () => {
    expect(() => F.batchNorm(torch.randn(1, 3), null, null, { training: true })).toThrow(
      "Expected more than 1 value per channel when training, got input size [1, 3]",
    );
    expect(() => new nn.BatchNorm1d(3).forward(torch.randn(2, 3, 4, 4))).toThrow(
      "expected 2D or 3D input (got 4D input)",
    );
    expect(() => new nn.BatchNorm2d(3).forward(torch.randn(2, 3, 4))).toThrow("expected 4D input (got 3D input)");
  });

  it("layerNorm: 1 and 2 trailing dims, affine on and off", () => {
    gradcheck((x, w, b) => F.layerNorm(x, [5], { weight: w, bias: b }), [r(3, 5), r(5), r(5)]);
    gradcheck((x) => F.layerNorm(x, 5), [r(2, 3, 5)]);
    gradcheck((x, w, b) => F.layerNorm(x, [3, 4], { weight: w, bias: b, eps: 1e-3 }), [r(2, 3, 4), r(3, 4), r(3, 4)]);
    gradcheck((x) => F.layerNorm(x, [3, 4]), [r(2, 2, 3, 4)]);
    expect(() => F.layerNorm(torch.randn(3, 5), [4])).toThrow("expected input with shape [*, 4]");
  });

  it("embedding: weight grad with repeated indices, paddingIdx row gets none", () => {
    const idx = torch.tensor(
      [
        [0, 2, 2],
        [4, 1, 0],
      ],
      { dtype: "int64" },
    );
    gradcheck((w) => F.embedding(idx, w), [r(5, 3)]);
    // paddingIdx = 3 with indices that avoid it: every other row is checked numerically
    gradcheck((w) => F.embedding(idx, w, { paddingIdx: 3 }), [r(5, 3)]);
    const w = r(5, 3);
    const pidx = torch.tensor([3, 1, 3, -0], { dtype: "int64" });
    F.embedding(pidx, w, { paddingIdx: -2 }).mul(torch.randn(4, 3)).sum().backward();
    const g = w.grad!.tolist() as number[][];
    expect(g[3]).toEqual([0, 0, 0]);
    expect(g[1].some((v) => v !== 0)).toBe(true);
    const emb = new nn.Embedding(6, 2, { paddingIdx: -1 });
    expect(emb.paddingIdx).toBe(5);
    expect(emb.weight.tolist()).toContainEqual([0, 0]);
  });

  const rnnCase = (
    Ctor: typeof nn.LSTM | typeof nn.GRU,
    opts: Record<string, unknown>,
    x: number[],
    withState: boolean,
  ) => {
    const isLstm = Ctor === nn.LSTM;
    const m = new Ctor(3, 2, opts);
    const L = ((opts.numLayers as number) ?? 1) * (opts.bidirectional ? 2 : 1);
    const batched = x.length === 3;
    const B = batched ? x[opts.batchFirst ? 0 : 1] : 0;
    const st = () => (batched ? r(L, B, 2) : r(L, 2));
    const xs = r(...x);
    const states = withState ? (isLstm ? [st(), st()] : [st()]) : [];
    const params = m.parameters() as Tensor[];
    const nState = states.length;
    gradcheck(
      (...ins: Tensor[]) => {
        const [xx, ...rest] = ins;
        if (isLstm) {
          const [o, [h, c]] = (m as nn.LSTM).forward(xx, nState ? [rest[0], rest[1]] : undefined);
          return [o, h, c];
        }
        const [o, h] = (m as nn.GRU).forward(xx, nState ? rest[0] : undefined);
        return [o, h];
      },
      [xs, ...states, ...params],
    );
  };

  it("LSTM/GRU under noGrad give the same outputs as with autograd recording", () => {
    for (const m of [
      new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }),
      new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }),
    ]) {
      const x = torch.randn(5, 2, 3);
      const flat = (o: any): number[] => (Array.isArray(o) ? o.flatMap(flat) : Array.from((o as Tensor).dataSync()));
      const a = flat(m.forward(x)),
        b = flat(torch.noGrad(() => m.forward(x)));
      expect(b).toEqual(a);
    }
  });

  for (const [name, Ctor] of [
    ["LSTM", nn.LSTM],
    ["GRU", nn.GRU],
  ] as const) {
    it(`${name}: 2 layers, bidirectional, batchFirst, initial states (grads of x, states, all weights)`, () => {
      rnnCase(Ctor, { numLayers: 2, bidirectional: true, batchFirst: true }, [2, 3, 3], true);
    });
    it(`${name}: 2 layers, seq-first, no bias, zero initial state`, () => {
      rnnCase(Ctor, { numLayers: 2, bias: false }, [4, 2, 3], false);
    });
    it(`${name}: 1 layer, bidirectional, seq-first, initial states`, () => {
      rnnCase(Ctor, { bidirectional: true }, [3, 2, 3], true);
    });
    it(`${name}: unbatched input with initial states`, () => {
      rnnCase(Ctor, {}, [4, 3], true);
    });
  }
});
