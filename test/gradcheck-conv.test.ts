// Float64 finite-difference gradient checks (js backend) for convolutions, transposed
// convolutions, the padding modes and every 2-d pool.
import { describe, it, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { F, nn } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describe("gradcheck: conv and pool (float64, js)", () => {
  beforeAll(() => {
    useFloat64();
    torch.manualSeed(3);
  });
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  /** Distinct values (a shuffled ramp) so max-pool argmaxes are never tied within eps. */
  const distinct = (...s: number[]) => {
    const n = s.reduce((p, d) => p * d, 1);
    const v = Array.from({ length: n }, (_, k) => ((k * 0.37) % 1) + k * 1e-3);
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(torch.rand(1).item() * (k + 1));
      [v[k], v[j]] = [v[j], v[k]];
    }
    return torch.tensor(new Float32Array(v), { shape: s }).requiresGrad_();
  };

  it("conv1d: stride, padding, dilation, groups, same (odd and even kernels), unbatched", () => {
    gradcheck((x, w, b) => F.conv1d(x, w, b), [r(2, 3, 7), r(4, 3, 3), r(4)]);
    gradcheck((x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 2, dilation: 2 }), [r(2, 2, 9), r(3, 2, 3), r(3)]);
    gradcheck((x, w, b) => F.conv1d(x, w, b, { groups: 2, padding: 1 }), [r(1, 4, 6), r(6, 2, 3), r(6)]);
    gradcheck((x, w) => F.conv1d(x, w, null, { padding: "same" }), [r(2, 2, 7), r(3, 2, 4)]);
    gradcheck((x, w) => F.conv1d(x, w, null, { padding: "same", dilation: 3 }), [r(1, 2, 8), r(2, 2, 2)]);
    gradcheck((x, w, b) => F.conv1d(x, w, b, { padding: "valid" }), [r(3, 6), r(2, 3, 2), r(2)]);
  });

  it("conv2d: stride, padding, dilation, groups, depthwise, same, tuples, unbatched", () => {
    gradcheck((x, w, b) => F.conv2d(x, w, b), [r(2, 2, 5, 4), r(3, 2, 3, 2), r(3)]);
    gradcheck(
      (x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }),
      [r(1, 2, 6, 5), r(2, 2, 3, 2), r(2)],
    );
    gradcheck(
      (x, w, b) => F.conv2d(x, w, b, { groups: 2, stride: 2, padding: 1 }),
      [r(2, 4, 5, 5), r(4, 2, 3, 3), r(4)],
    );
    gradcheck((x, w) => F.conv2d(x, w, null, { groups: 3, padding: 1 }), [r(1, 3, 4, 4), r(6, 1, 3, 3)]);
    gradcheck((x, w, b) => F.conv2d(x, w, b, { padding: "same" }), [r(1, 2, 5, 4), r(2, 2, 4, 2), r(2)]);
    gradcheck((x, w) => F.conv2d(x, w, null, { padding: "same", dilation: 2 }), [r(1, 1, 6, 5), r(2, 1, 2, 3)]);
    gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: 3, padding: 1 }), [r(2, 4, 4), r(2, 2, 2, 2), r(2)]);
  });

  it("conv2d: bias-only and input-only gradients", () => {
    const x = torch.randn(2, 2, 4, 4),
      w = torch.randn(3, 2, 3, 3);
    gradcheck((b) => F.conv2d(x, w, b, { padding: 1 }), [r(3)]);
    gradcheck((xx) => F.conv2d(xx, w, null, { stride: 2 }), [r(1, 2, 5, 5)]);
  });

  it("conv3d: stride, padding, dilation, groups, same", () => {
    gradcheck(
      (x, w, b) => F.conv3d(x, w, b, { stride: [1, 2, 1], padding: [1, 0, 1] }),
      [r(1, 2, 3, 4, 3), r(2, 2, 2, 3, 2), r(2)],
    );
    gradcheck((x, w) => F.conv3d(x, w, null, { groups: 2, dilation: 2 }), [r(1, 4, 4, 5, 4), r(2, 2, 2, 2, 2)]);
    gradcheck((x, w, b) => F.conv3d(x, w, b, { padding: "same" }), [r(1, 1, 3, 4, 3), r(2, 1, 2, 3, 2), r(2)]);
  });

  it("convTranspose2d: stride, padding, outputPadding, groups, dilation, unbatched", () => {
    gradcheck((x, w, b) => F.convTranspose2d(x, w, b), [r(2, 2, 3, 3), r(2, 3, 3, 2), r(3)]);
    gradcheck(
      (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
      [r(1, 2, 3, 4), r(2, 2, 3, 3), r(2)],
    );
    gradcheck(
      (x, w, b) => F.convTranspose2d(x, w, b, { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2] }),
      [r(1, 2, 2, 3), r(2, 3, 3, 2), r(3)],
    );
    gradcheck((x, w, b) => F.convTranspose2d(x, w, b, { groups: 2, stride: 2 }), [r(2, 4, 2, 3), r(4, 3, 3, 3), r(6)]);
    gradcheck(
      (x, w) => F.convTranspose2d(x, w, null, { dilation: 2, stride: 2, outputPadding: 1 }),
      [r(1, 2, 3, 3), r(2, 2, 3, 3)],
    );
    gradcheck(
      (x, w, b) => F.convTranspose2d(x, w, b, { groups: 2, dilation: 2, padding: 2, stride: 3, outputPadding: 2 }),
      [r(1, 4, 3, 3), r(4, 2, 3, 3), r(4)],
    );
    gradcheck((x, w, b) => F.convTranspose2d(x, w, b, { stride: 2 }), [r(2, 3, 3), r(2, 2, 2, 2), r(2)]);
    // outputPadding >= stride is allowed when it is < dilation
    gradcheck(
      (x, w, b) => F.convTranspose2d(x, w, b, { dilation: 3, outputPadding: [2, 1] }),
      [r(1, 2, 3, 2), r(2, 1, 2, 2), r(1)],
    );
  });

  it("convTranspose1d/3d", () => {
    gradcheck(
      (x, w, b) => F.convTranspose1d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
      [r(2, 2, 4), r(2, 3, 3), r(3)],
    );
    gradcheck((x, w, b) => F.convTranspose3d(x, w, b, { stride: 2 }), [r(1, 2, 2, 2, 2), r(2, 1, 2, 2, 2), r(1)]);
  });

  it("Conv2d padding modes reflect, replicate, circular (incl. same)", () => {
    for (const paddingMode of ["reflect", "replicate", "circular"] as const) {
      const m = new nn.Conv2d(2, 3, 3, { padding: [1, 2], paddingMode });
      gradcheck(
        (x, w, b) => {
          m.weight = w as any;
          m.bias = b as any;
          return m.forward(x);
        },
        [r(1, 2, 4, 5), r(3, 2, 3, 3), r(3)],
      );
      const s = new nn.Conv1d(2, 2, 4, { padding: "same", paddingMode, bias: false });
      gradcheck((x) => s.forward(x), [r(2, 2, 6)]);
    }
  });

  it("maxPool2d: stride, padding, dilation, ceilMode, non-square, unbatched", () => {
    gradcheck((x) => F.maxPool2d(x, 2), [distinct(2, 2, 4, 6)]);
    gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [distinct(1, 2, 7, 6)]);
    gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, dilation: 2 }), [distinct(1, 2, 9, 8)]);
    gradcheck((x) => F.maxPool2d(x, 2, { ceilMode: true }), [distinct(1, 2, 5, 7)]);
    gradcheck((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [distinct(1, 1, 8, 6)]);
    gradcheck(
      (x) => F.maxPool2d(x, [3, 2], { stride: [2, 1], padding: [1, 0], ceilMode: true }),
      [distinct(1, 2, 8, 5)],
    );
    gradcheck((x) => F.maxPool2d(x, 2, { stride: 1 }), [distinct(2, 5, 4)]);
  });

  it("avgPool2d: countIncludePad, ceilMode, divisorOverride, non-square, unbatched", () => {
    gradcheck((x) => F.avgPool2d(x, 2), [r(2, 2, 4, 6)]);
    gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }), [r(1, 2, 7, 8)]);
    gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [r(1, 2, 7, 8)]);
    gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [r(1, 2, 8, 6)]);
    gradcheck(
      (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      [r(1, 2, 8, 6)],
    );
    gradcheck((x) => F.avgPool2d(x, 2, { ceilMode: true }), [r(1, 1, 5, 7)]);
    gradcheck((x) => F.avgPool2d(x, [3, 2], { stride: [2, 1], padding: [1, 1], divisorOverride: 5 }), [r(1, 2, 7, 5)]);
    gradcheck((x) => F.avgPool2d(x, 2, { stride: 1 }), [r(2, 4, 3)]);
  });

  it("adaptive pools: global, divisible, non-divisible, upsampling, null entries", () => {
    gradcheck((x) => F.adaptiveAvgPool2d(x, 1), [r(2, 2, 5, 7)]);
    gradcheck((x) => F.adaptiveAvgPool2d(x, [3, 2]), [r(1, 2, 5, 7)]);
    gradcheck((x) => F.adaptiveAvgPool2d(x, [5, 4]), [r(1, 2, 3, 3)]);
    gradcheck((x) => F.adaptiveAvgPool2d(x, [null, 3]), [r(2, 4, 5)]);
    gradcheck((x) => F.adaptiveMaxPool2d(x, 1), [distinct(2, 2, 5, 7)]);
    gradcheck((x) => F.adaptiveMaxPool2d(x, [3, 2]), [distinct(1, 2, 5, 7)]);
    gradcheck((x) => F.adaptiveMaxPool2d(x, 4), [distinct(1, 2, 9, 8)]);
    gradcheck((x) => F.adaptiveMaxPool2d(x, [4, null]), [distinct(2, 5, 3)]);
  });

  it("a small conv net end to end (conv, pool, convT, adaptive pool)", () => {
    const c1 = new nn.Conv2d(1, 2, 3, { padding: 1 }),
      ct = new nn.ConvTranspose2d(2, 2, 2, { stride: 2 });
    gradcheck(
      (x: Tensor) => F.adaptiveAvgPool2d(ct.forward(F.maxPool2d(c1.forward(x).tanh(), 2)), [3, 2]),
      [distinct(2, 1, 6, 6)],
    );
  });
});
