// Float64 finite-difference gradient checks (js backend) for resizing, padding, pixel shuffle,
// unfold/fold, the 1-d/3-d pools, max unpooling and torchvision's stochastic depth (p = 0).
import { describe, it, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { F } from "../ts/index.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describe("gradcheck: resizing, padding, 1-d/3-d pools (float64, js)", () => {
  beforeAll(() => {
    useFloat64();
    torch.manualSeed(5);
  });
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  const distinct = (...s: number[]) => {
    const n = s.reduce((p, d) => p * d, 1);
    const v = Array.from({ length: n }, (_, k) => ((k * 0.37) % 1) + k * 1e-3);
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(torch.rand(1).item() * (k + 1));
      [v[k], v[j]] = [v[j], v[k]];
    }
    return torch.tensor(new Float32Array(v), { shape: s }).requiresGrad_();
  };

  it("interpolate: every mode, sizes and scale factors, align corners", () => {
    gradcheck((x) => F.interpolate(x, { scaleFactor: 2.3 }), [r(1, 2, 5)]);
    gradcheck((x) => F.interpolate(x, { size: [3, 7], mode: "nearest-exact" }), [r(1, 2, 4, 5)]);
    gradcheck((x) => F.interpolate(x, { size: 9, mode: "linear", alignCorners: true }), [r(2, 1, 4)]);
    gradcheck((x) => F.interpolate(x, { scaleFactor: [1.5, 0.7], mode: "bilinear" }), [r(1, 2, 4, 6)]);
    gradcheck((x) => F.interpolate(x, { size: [6, 3], mode: "bicubic" }), [r(1, 1, 4, 5)]);
    gradcheck((x) => F.interpolate(x, { size: [2, 5, 3], mode: "trilinear", alignCorners: true }), [r(1, 1, 3, 3, 4)]);
    gradcheck((x) => F.interpolate(x, { size: [2, 3], mode: "area" }), [r(1, 2, 5, 7)]);
  });

  it("pad: constant (crop too), reflect, replicate, circular; pixel shuffle; unfold/fold", () => {
    gradcheck((x) => F.pad(x, [1, -1, 2, 0], { value: 3 }), [r(1, 2, 3, 4)]);
    gradcheck((x) => F.pad(x, [2, 1, 1, 2], { mode: "reflect" }), [r(1, 2, 3, 4)]);
    gradcheck((x) => F.pad(x, [3, 1], { mode: "replicate" }), [r(2, 3)]);
    gradcheck((x) => F.pad(x, [1, 2, 2, 0, 1, 1], { mode: "circular" }), [r(1, 1, 2, 3, 3)]);
    gradcheck((x) => F.pixelShuffle(x, 2), [r(1, 8, 2, 3)]);
    gradcheck((x) => F.pixelUnshuffle(x, 2), [r(1, 1, 4, 6)]);
    gradcheck((x) => F.unfold(x, [2, 3], { stride: [1, 2], padding: 1, dilation: [2, 1] }), [r(1, 2, 5, 6)]);
    gradcheck((x) => F.fold(x, [5, 6], 2, { stride: 2, padding: 1 }), [r(1, 8, 12)]);
  });

  it("1-d and 3-d pools, adaptive pools, max unpooling", () => {
    gradcheck((x) => F.maxPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [distinct(2, 2, 8)]);
    gradcheck((x) => F.avgPool1d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [r(2, 2, 8)]);
    gradcheck((x) => F.maxPool3d(x, [2, 3, 2], { stride: [1, 2, 2], padding: [1, 1, 0] }), [distinct(1, 2, 3, 5, 4)]);
    gradcheck(
      (x) => F.avgPool3d(x, 3, { stride: 2, padding: 1, ceilMode: true, divisorOverride: 5 }),
      [r(1, 1, 4, 5, 5)],
    );
    gradcheck((x) => F.adaptiveAvgPool3d(x, [2, null, 3]), [r(1, 2, 3, 4, 5)]);
    gradcheck((x) => F.adaptiveMaxPool3d(x, [2, 2, 3]), [distinct(1, 1, 3, 4, 5)]);
    gradcheck((x) => F.adaptiveMaxPool1d(x, 3), [distinct(2, 7)]);
    const [, idx] = F.maxPool2d(torch.randn(1, 2, 6, 6), 2, { returnIndices: true });
    gradcheck((y) => F.maxUnpool2d(y, idx, 2), [r(1, 2, 3, 3)]);
  });

  it("torchvision ops: SqueezeExcitation-style scaling and stochastic depth with p = 0 in training", () => {
    gradcheck((x) => torch.vision.ops.stochasticDepth(x, 0, "row", true), [r(2, 3)]);
  });
});
