// PyTorch fixtures for Conv1d/2d/3d, ConvTranspose2d and the 2-d pools on every backend, plus the
// module behaviour the golden files do not cover (prints, errors, unbatched inputs, init, padding modes).
import { describe, it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { F, nn } from "../ts/index.js";
import { buildModule, fixtureCases, loadFixture } from "./fixtures.js";
import { describeBackends, values } from "./util.js";

describeBackends("fixtures: conv", () => fixtureCases("conv.json"));
describeBackends("fixtures: conv_transpose", () => fixtureCases("conv_transpose.json"));
describeBackends("fixtures: pool", () => fixtureCases("pool.json"));

// ---- backend-independent module behaviour (runs on whichever backend is active: js by default)

const OURS = new Set([
  "Conv1d",
  "Conv2d",
  "Conv3d",
  "ConvTranspose2d",
  "MaxPool2d",
  "AvgPool2d",
  "AdaptiveAvgPool2d",
  "AdaptiveMaxPool2d",
]);

describe("conv/pool modules", () => {
  it("print exactly like PyTorch (models.json prints)", () => {
    const fx = loadFixture("models.json");
    let checked = 0;
    for (const p of fx.prints as { build?: [string, unknown[], Record<string, unknown>][]; print: string }[]) {
      if (!p.build) continue;
      const lines = p.print.split("\n").slice(1, -1);
      p.build.forEach(([name, args, kw], k) => {
        if (!OURS.has(name)) return;
        expect(`  (${k}): ${buildModule(name, args, kw).toString()}`).toBe(lines[k]);
        checked++;
      });
    }
    expect(checked).toBeGreaterThanOrEqual(20);
    expect(new nn.Conv2d(3, 16, 3, { padding: 1, paddingMode: "reflect" }).toString()).toBe(
      "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)",
    );
    expect(new nn.AdaptiveMaxPool2d([null, 3]).toString()).toBe("AdaptiveMaxPool2d(output_size=(None, 3))");
  });

  it("parameters in PyTorch layout with PyTorch's default init bounds", () => {
    const c = new nn.Conv2d(4, 6, [3, 2], { groups: 2 });
    expect(c.weight.shape).toEqual([6, 2, 3, 2]);
    expect(c.namedParameters().map(([k]) => k)).toEqual(["weight", "bias"]);
    const fanIn = 2 * 3 * 2,
      bound = 1 / Math.sqrt(fanIn); // kaiming_uniform(a=√5) bound = 1/√fan_in as well
    for (const v of [...values(c.weight), ...values(c.bias!)]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    const t = new nn.ConvTranspose2d(8, 4, 3, { groups: 2 });
    expect(t.weight.shape).toEqual([8, 2, 3, 3]);
    expect(t.bias!.shape).toEqual([4]);
    const tb = 1 / Math.sqrt(2 * 9); // fan_in = weight.size(1) * receptive field
    expect(Math.max(...values(t.bias!).map(Math.abs))).toBeLessThanOrEqual(tb);
    expect(Math.max(...values(t.weight).map(Math.abs))).toBeGreaterThan(tb * 0.8);
    expect(Object.keys(new nn.Conv1d(2, 2, 3, { bias: false }).stateDict())).toEqual(["weight"]);
  });

  it("unbatched inputs give the batched result without the batch dim", () => {
    const c = new nn.Conv2d(2, 3, 3, { padding: "same" }),
      x = torch.randn(2, 5, 4);
    const y = c.forward(x),
      yb = c.forward(x.unsqueeze(0));
    expect(y.shape).toEqual([3, 5, 4]);
    expect(values(y)).toEqual(values(yb));
    expect(new nn.ConvTranspose2d(2, 3, 3, { stride: 2 }).forward(x).shape).toEqual([3, 11, 9]);
    expect(F.maxPool2d(x, 2).shape).toEqual([2, 2, 2]);
    expect(F.conv1d(torch.randn(2, 7), torch.randn(4, 2, 3)).shape).toEqual([4, 5]);
  });

  it("padding modes match PyTorch's F.pad semantics", () => {
    const x = torch.tensor([[[1, 2, 3]]]);
    const run = (paddingMode: "reflect" | "replicate" | "circular") => {
      const c = new nn.Conv1d(1, 1, 5, { padding: 2, paddingMode, bias: false });
      // a 5-tap sum of the padded input [p, p, 1, 2, 3, p, p]
      c.weight = new nn.Parameter(torch.ones(1, 1, 5));
      return values(c.forward(x));
    };
    expect(run("reflect")).toEqual([3 + 2 + 1 + 2 + 3, 2 + 1 + 2 + 3 + 2, 1 + 2 + 3 + 2 + 1]);
    expect(run("replicate")).toEqual([1 + 1 + 1 + 2 + 3, 1 + 1 + 2 + 3 + 3, 1 + 2 + 3 + 3 + 3]);
    expect(run("circular")).toEqual([2 + 3 + 1 + 2 + 3, 3 + 1 + 2 + 3 + 1, 1 + 2 + 3 + 1 + 2]);
  });

  it("ConvTranspose2d forward(x, outputSize) picks the output padding", () => {
    const t = new nn.ConvTranspose2d(2, 2, 3, { stride: 2, padding: 1 });
    const x = torch.randn(1, 2, 4, 4);
    expect(t.forward(x).shape).toEqual([1, 2, 7, 7]);
    expect(t.forward(x, [8, 7]).shape).toEqual([1, 2, 8, 7]);
    expect(t.forward(x, [1, 2, 8, 8]).shape).toEqual([1, 2, 8, 8]);
    expect(() => t.forward(x, [9, 7])).toThrow(
      "requested an output size of [9, 7], but valid sizes range from [7, 7] to [8, 8] (for an input of [4, 4])",
    );
  });

  it("pools: returnIndices, ceil-mode output sizes, stride defaults to the kernel", () => {
    const x = torch.tensor([
      [
        [
          [1, 5, 2],
          [3, 4, 9],
          [0, 8, 7],
        ],
      ],
    ]);
    const [y, idx] = F.maxPool2d(x, 2, { stride: 1, returnIndices: true });
    expect(values(y)).toEqual([5, 9, 8, 9]);
    expect(idx.dtype).toBe("int64");
    expect(values(idx)).toEqual([1, 5, 7, 5]);
    expect(new nn.MaxPool2d(2, { returnIndices: true }).forward(x)[1].tolist()).toEqual([[[[1]]]]);
    expect(F.maxPool2d(torch.randn(1, 1, 5, 5), 2, { ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    // the last window would start in the right padding: dropped
    expect(F.avgPool2d(torch.randn(1, 1, 4, 4), 2, { stride: 2, padding: 1, ceilMode: true }).shape).toEqual([
      1, 1, 3, 3,
    ]);
    expect(F.avgPool2d(torch.randn(1, 1, 6, 6), [3, 2]).shape).toEqual([1, 1, 2, 3]);
    expect(values(F.avgPool2d(torch.ones(1, 1, 2, 2), 2, { divisorOverride: 3 }))[0]).toBeCloseTo(4 / 3, 6);
    const [ay, ai] = F.adaptiveMaxPool2d(x, 1, { returnIndices: true });
    expect(values(ay)).toEqual([9]);
    expect(values(ai)).toEqual([5]);
  });

  it("errors in PyTorch's words", () => {
    const c = new nn.Conv2d(3, 16, 3);
    expect(() => c.forward(torch.randn(4, 28, 28))).toThrow(
      "Given groups=1, weight of size [16, 3, 3, 3], expected input[1, 4, 28, 28] to have 3 channels, but got 4 channels instead",
    );
    expect(() => c.forward(torch.randn(28, 28))).toThrow(
      "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [28, 28]",
    );
    expect(() => c.forward(torch.randn(1, 3, 2, 2))).toThrow(
      "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than actual input size",
    );
    expect(() => F.conv2d(torch.randn(1, 4, 5, 5), torch.randn(3, 2, 3, 3), null, { groups: 2 })).toThrow(
      "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [3, 2, 3, 3] instead",
    );
    expect(() => F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), torch.randn(5))).toThrow(
      "Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, but got bias of size [5] instead",
    );
    expect(() =>
      F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), null, { padding: "same", stride: 2 }),
    ).toThrow("padding='same' is not supported for strided convolutions");
    expect(() => new nn.Conv2d(3, 16, 3, { padding: "full" as any })).toThrow(
      "Invalid padding string 'full', should be one of {'valid', 'same'}",
    );
    expect(() => new nn.Conv2d(3, 16, 3, { groups: 2 })).toThrow("in_channels must be divisible by groups");
    expect(() => new nn.Conv2d(4, 6, 3, { groups: 4 })).toThrow("out_channels must be divisible by groups");
    expect(() => new nn.Conv2d(4, 6, 3, { paddingMode: "mirror" as any })).toThrow("padding_mode must be one of");
    expect(() => new nn.ConvTranspose2d(4, 6, 3, { paddingMode: "reflect" })).toThrow(
      'Only "zeros" padding mode is supported for ConvTranspose2d',
    );
    expect(() => new nn.Conv1d(1, 1, 4, { padding: 3, paddingMode: "reflect" }).forward(torch.randn(1, 1, 3))).toThrow(
      "Padding size should be less than the corresponding input dimension",
    );
    const t = new nn.ConvTranspose2d(3, 4, 3);
    expect(() => t.forward(torch.randn(2, 5, 4, 5))).toThrow(
      "Given transposed=1, weight of size [3, 4, 3, 3], expected input[2, 5, 4, 5] to have 3 channels, but got 5 channels instead",
    );
    expect(() =>
      F.convTranspose2d(torch.randn(1, 3, 4, 4), torch.randn(3, 4, 3, 3), null, { stride: 2, outputPadding: 2 }),
    ).toThrow(
      "output padding must be smaller than either stride or dilation, but got output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1",
    );
    expect(() => F.convTranspose2d(torch.randn(1, 3, 1, 1), torch.randn(3, 4, 1, 1), null, { padding: 1 })).toThrow(
      "Given input size per channel: (1 x 1). Calculated output size per channel: (-1 x -1). Output size is too small",
    );
    expect(() => F.maxPool2d(torch.randn(1, 1, 8, 8), 3, { padding: 2 })).toThrow(
      "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1",
    );
    expect(() => F.maxPool2d(torch.randn(1, 1, 8, 8), 2, { padding: 2, dilation: 3 })).toThrow(
      "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 2, kH = 2",
    );
    expect(() => F.avgPool2d(torch.randn(1, 3, 2, 2), 3)).toThrow(
      "Given input size: (3x2x2). Calculated output size: (3x0x0). Output size is too small",
    );
    expect(() => F.maxPool2d(torch.randn(2, 2), 2)).toThrow("Expected 3D or 4D (batch mode) tensor");
    expect(() => F.adaptiveAvgPool2d(torch.randn(1, 2, 4, 4), [-1, 2])).toThrow(
      "elements of output_size must be greater than or equal to 0",
    );
  });
});
