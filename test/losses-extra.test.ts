// The extra losses (L1, SmoothL1, Huber, KLDiv, MarginRanking, CosineEmbedding, TripletMargin, CTC,
// HingeEmbedding, SoftMargin, MultiLabelSoftMargin, PoissonNLL, GaussianNLL), cross entropy with
// probability targets and (N, C, d1, ...) inputs, BCEWithLogits posWeight, CosineSimilarity /
// PairwiseDistance and F.normalize / F.oneHot against PyTorch 1.13 fixtures, plus gradchecks.

import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { nn, F } from "../ts/index.js";
import { describeBackends } from "./util.js";
import { extraCases } from "./nn-extra-fixtures.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describeBackends("losses (PyTorch fixtures)", () => {
  extraCases("losses.json");

  it("arguments, legacy reduction, print and errors", () => {
    expect(new nn.L1Loss().toString()).toBe("L1Loss()");
    expect(new nn.SmoothL1Loss({ beta: 0.5 }).beta).toBe(0.5);
    expect(new nn.L1Loss(null, false).reduction).toBe("none");
    expect(new nn.L1Loss(false).reduction).toBe("sum");
    expect(new nn.MarginRankingLoss(0.3).margin).toBe(0.3);
    expect(new nn.KLDivLoss({ reduction: "batchmean" }).reduction).toBe("batchmean");
    expect(() => new nn.HuberLoss({ reduction: "avg" } as any)).toThrow(TypeError);
    expect(() => new nn.CTCLoss({ zero_infinity: true } as any)).toThrow(/did you mean "zeroInfinity"/);
    expect(() => new nn.GaussianNLLLoss(true as any)).toThrow(TypeError);
    expect(Object.keys(new nn.MultiLabelSoftMarginLoss(torch.ones(3)).stateDict())).toEqual(["weight"]);
    expect(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: torch.ones(3) }).stateDict())).toEqual(["pos_weight"]);
    expect(() => F.oneHot(torch.tensor([0, 3], { dtype: "int64" }), 3)).toThrow(/smaller than num_classes/);
  });
});

describe("losses: float64 gradchecks", () => {
  beforeAll(() => useFloat64());
  const r = (...shape: number[]) => torch.randn(...shape).requiresGrad_();
  const sign = (n: number) => torch.tensor(Array.from({ length: n }, (_, k) => (k % 3 === 0 ? -1 : 1)));
  it("l1 / smoothL1 / huber", () => {
    gradcheck((a, b) => F.l1Loss(a, b), [r(3, 4), r(3, 4)]);
    gradcheck((a, b) => F.smoothL1Loss(a, b, { beta: 0.7 }), [r(3, 4), r(3, 4)]);
    gradcheck((a, b) => F.huberLoss(a, b, { delta: 0.6, reduction: "sum" }), [r(3, 4), r(3, 4)]);
  });
  it("klDiv (both log-target forms)", () => {
    const t = torch.softmax(torch.randn(3, 4), 1).requiresGrad_();
    gradcheck((a, b) => F.klDiv(a, b, { reduction: "batchmean" }), [r(3, 4), t]);
    gradcheck((a, b) => F.klDiv(a, b, { reduction: "sum", logTarget: true }), [r(3, 4), r(3, 4)]);
  });
  it("margin ranking / cosine embedding / triplet / hinge / soft margin", () => {
    gradcheck((a, b) => F.marginRankingLoss(a, b, sign(6), { margin: 0.1 }), [r(6), r(6)]);
    gradcheck((a, b) => F.cosineEmbeddingLoss(a, b, sign(4), { margin: -0.5 }), [r(4, 5), r(4, 5)]);
    gradcheck((a, p, n) => F.tripletMarginLoss(a, p, n, { margin: 3 }), [r(4, 5), r(4, 5), r(4, 5)]);
    gradcheck((a, p, n) => F.tripletMarginLoss(a, p, n, { margin: 3, p: 1, swap: true }), [r(4, 5), r(4, 5), r(4, 5)]);
    gradcheck((a) => F.hingeEmbeddingLoss(a, sign(6), { margin: 3 }), [r(6)]);
    gradcheck((a) => F.softMarginLoss(a, sign(6)), [r(6)]);
  });
  it("multilabel soft margin / poisson / gaussian NLL", () => {
    gradcheck(
      (a) =>
        F.multilabelSoftMarginLoss(
          a,
          torch.tensor([
            [1, 0, 1],
            [0, 0, 1],
          ]),
          { weight: torch.tensor([0.5, 1, 2]) },
        ),
      [r(2, 3)],
    );
    gradcheck((a) => F.poissonNllLoss(a, torch.tensor([0, 1, 3, 2, 5, 1])), [r(6)]);
    gradcheck(
      (a, b, v) => F.gaussianNllLoss(a, b, v, { full: true }),
      [r(2, 3), r(2, 3), torch.rand(2, 3).add(0.5).requiresGrad_()],
    );
  });
  it("cosine similarity / pairwise distance / normalize", () => {
    gradcheck((a, b) => F.cosineSimilarity(a, b), [r(3, 4), r(3, 4)]);
    gradcheck((a, b) => F.pairwiseDistance(a, b, { p: 3 }), [r(3, 4), r(3, 4)]);
    gradcheck((a) => F.normalize(a, { dim: 1 }), [r(3, 4)]);
  });
  it("cross entropy with probability targets on (N, C, d1)", () => {
    const t = torch.softmax(torch.randn(2, 3, 4), 1);
    gradcheck((a) => F.crossEntropy(a, t, { labelSmoothing: 0.1 }), [r(2, 3, 4)]);
  });
  it("CTC (PyTorch's gradient with respect to log-softmax outputs)", () => {
    const x = r(6, 2, 4);
    const tg = torch.tensor(
      [
        [1, 2, 2],
        [3, 1, 0],
      ],
      { dtype: "int64" },
    );
    gradcheck((a) => F.ctcLoss(a.logSoftmax(2), tg, [6, 5], [3, 2]), [x]);
  });
});
