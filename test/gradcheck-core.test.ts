import { describe, it, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { F } from "../ts/index.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describe("gradcheck: core ops (float64, js)", () => {
  beforeAll(() => {
    useFloat64();
    torch.manualSeed(1);
  });
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  const pos = (...s: number[]) =>
    torch
      .rand(...s)
      .add(0.5)
      .detach()
      .requiresGrad_();
  it("add/sub/mul/div with broadcasting", () => {
    gradcheck((a, b) => a.add(b).mul(a).sub(b.mul(2)).div(b.abs().add(1)), [r(3, 4), r(4)]);
    gradcheck((a, b) => a.div(b), [r(2, 1, 3), pos(4, 1)]);
  });
  it("pow, exp, log, sqrt, rsqrt, square, reciprocal, abs, neg", () => {
    gradcheck((a) => a.pow(3).add(a.exp()).neg(), [r(5)]);
    gradcheck((a) => a.log().add(a.sqrt()).add(a.rsqrt()).add(a.reciprocal()).add(a.square()), [pos(6)]);
    gradcheck((a, b) => a.pow(b), [pos(4), r(4)]);
  });
  it("relu, sigmoid, tanh, softmax, logSoftmax", () => {
    gradcheck((a) => [a.relu(), a.sigmoid(), a.tanh()], [r(7)]);
    gradcheck((a) => [a.softmax(1), a.logSoftmax(0), F.softmax(a, -1)], [r(3, 4, 2)]);
  });
  it("matmul: 2d, batched with broadcast, vector", () => {
    gradcheck((a, b) => a.matmul(b), [r(3, 5), r(5, 2)]);
    gradcheck((a, b) => a.matmul(b), [r(2, 3, 4), r(4, 5)]);
    gradcheck((a, b) => a.matmul(b), [r(2, 1, 3, 4), r(3, 4, 2)]);
    gradcheck((a, b) => a.matmul(b), [r(4), r(4, 3)]);
    gradcheck((a, b) => a.matmul(b), [r(4), r(4)]);
    gradcheck((a, b) => a.matmul(b.t()), [r(3, 4), r(2, 4)]);
  });
  it("linear", () => {
    gradcheck((x, w, b) => F.linear(x, w, b), [r(2, 3, 4), r(5, 4), r(5)]);
  });
  it("sum, mean, var, max, min over dims", () => {
    gradcheck((a) => [a.sum(), a.sum(1), a.sum([0, 2], true), a.mean(), a.mean(-1)], [r(2, 3, 4)]);
    gradcheck((a) => [a.var(), a.var(1, { unbiased: false }), a.std(0)], [r(3, 4)]);
    gradcheck((a) => [a.max(), a.max(1).values, a.min(0).values], [r(3, 4)]);
  });
  it("views: view, reshape, permute, transpose, flatten, squeeze, expand, narrow, select, cat, stack", () => {
    gradcheck((a) => a.view(4, 3).permute(1, 0).contiguous().mul(a.reshape(3, 4)), [r(2, 6)]);
    gradcheck((a) => a.transpose(0, 2).flatten(1).unsqueeze(0).squeeze(0), [r(2, 3, 4)]);
    gradcheck((a) => a.expand(3, 4, 2), [r(4, 1)]);
    gradcheck((a) => [a.narrow(1, 1, 2), a.select(0, 1)], [r(3, 4)]);
    gradcheck((a, b) => [torch.cat([a, b], 1), torch.stack([a, a], 0)], [r(2, 3), r(2, 2)]);
  });
  it("maximum, minimum, clamp, where", () => {
    gradcheck((a, b) => [a.maximum(b), a.minimum(b)], [r(5), r(5)]);
    gradcheck((a) => a.clamp(-0.5, 0.5), [r(8)]);
    gradcheck((a, b) => torch.where(a.gt(0), a, b), [r(6), r(6)]);
  });
  it("losses: cross entropy (all options), nll, mse, bce, bce with logits", () => {
    const t = torch.tensor([0, 2, 1, 2], { dtype: "int64" });
    const w = torch.tensor([0.5, 1.5, 1]);
    gradcheck((x) => F.crossEntropy(x, t), [r(4, 3)]);
    gradcheck((x) => F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.2, ignoreIndex: 1 }), [r(4, 3)]);
    gradcheck(
      (x) =>
        F.crossEntropy(
          x,
          torch.tensor(
            [
              [0, 1],
              [2, 2],
            ],
            { dtype: "int64" },
          ),
          { reduction: "sum" },
        ),
      [r(2, 3, 2)],
    );
    gradcheck((x) => F.nllLoss(x.logSoftmax(1), t, { reduction: "none" }), [r(4, 3)]);
    gradcheck((x, y) => F.mseLoss(x, y), [r(3, 2), r(3, 2)]);
    const y = torch.rand(5),
      pw = torch.rand(5).add(0.5);
    gradcheck((x) => F.binaryCrossEntropy(x.sigmoid(), y, { weight: pw }), [r(5)]);
    gradcheck((x) => F.binaryCrossEntropyWithLogits(x, y, { posWeight: pw }), [r(5)]);
    gradcheck((x) => F.binaryCrossEntropyWithLogits(x, y, { reduction: "sum" }), [r(5)]);
  });
});
