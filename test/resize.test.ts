// Pooling (1-d, 3-d, indices, unpooling), resizing, padding, pixel shuffle and unfold/fold against
// PyTorch 1.13 (test/fixtures/resize, written by scripts/gen_resize_fixtures.py), on every backend.

import { describe, expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { F, nn } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { describeBackends, expectClose } from "./util.js";
import { backwardAndCheckInputs, buildModule, convertKwargs, loadFixture, toTensor, type FixCase } from "./fixtures.js";

function runCase(c: FixCase): void {
  const inputs = c.inputs.map((f) => toTensor(f, f.requiresGrad ?? false));
  let out: unknown;
  if (c.module.startsWith("functional:")) {
    const fn = (F as any)[c.module.slice("functional:".length)];
    const kw = convertKwargs(c.kwargs);
    out = Object.keys(kw).length ? fn(inputs[0], ...c.args, kw) : fn(inputs[0], ...c.args);
  } else {
    const m = buildModule(c.module, c.args, c.kwargs);
    if (c.print !== undefined) expect(m.toString(), `${c.name}: print`).toBe(c.print);
    // MaxUnpool with an explicit output size (the one case whose forward takes it)
    out = c.name === "maxunpool2d_s2_p1_size" ? (m as any).forward(inputs[0], inputs[1], [7, 7]) : m.forward(...inputs);
  }
  const flat: Tensor[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else flat.push(v as Tensor);
  };
  visit(out);
  expect(flat.length, `${c.name}: outputs`).toBe(c.outputs.length);
  flat.forEach((o, k) => {
    expect(o.shape, `${c.name}: output ${k} shape`).toEqual(c.outputs[k].shape);
    expect(o.dtype, `${c.name}: output ${k} dtype`).toBe(c.outputs[k].dtype ?? "float32");
    expectClose(o.toFloat32Array(), c.outputs[k].data, 1e-5, 1e-5, `${c.name}: output ${k}`);
  });
  if (inputs.some((t) => t.requiresGrad)) backwardAndCheckInputs(c, flat, inputs, 1e-5, 1e-5);
}

describeBackends("resize fixtures", () => {
  for (const file of ["resize/pool.json", "resize/resize.json", "resize/pad.json"]) {
    describe(file, () => {
      for (const c of loadFixture(file).cases as FixCase[]) it(c.name, () => runCase(c));
    });
  }

  it("print texts", () => {
    for (const c of loadFixture("resize/prints.json").cases as FixCase[]) {
      expect(
        buildModule(c.module, c.args, c.kwargs).toString(),
        `${c.module} ${JSON.stringify(c.args)} ${JSON.stringify(c.kwargs)}`,
      ).toBe(c.print);
    }
  });

  it("MaxPool2d with returnIndices feeds MaxUnpool2d (typed as a tuple)", () => {
    const x = torch.rand(1, 2, 6, 6).add(1);
    const [y, idx] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x);
    const u = new nn.MaxUnpool2d(2).forward(y, idx);
    expect(u.shape).toEqual([1, 2, 6, 6]);
    // every pooled maximum is back at its place, everything else is zero
    const back = F.maxPool2d(u, 2);
    expectClose(back.toFloat32Array(), y.toFloat32Array(), 0, 0);
  });

  it("channel dropout zeroes whole channels and scales the rest", () => {
    torch.manualSeed(3);
    const x = torch.ones(4, 16, 3, 3);
    const y = new nn.Dropout2d(0.5).forward(x).toFloat32Array();
    let zeros = 0;
    for (let c = 0; c < 64; c++) {
      const ch = y.subarray(c * 9, c * 9 + 9);
      expect(
        ch.every((v) => v === ch[0]),
        "one value per channel",
      ).toBe(true);
      expect(ch[0] === 0 || ch[0] === 2).toBe(true);
      if (ch[0] === 0) zeros++;
    }
    expect(zeros).toBeGreaterThan(12);
    expect(zeros).toBeLessThan(52);
    const m = new nn.Dropout1d(0.3).eval();
    expect(m.forward(x.reshape(4, 16, 9))).toBeTruthy();
    expectClose(
      new nn.Dropout3d()
        .eval()
        .forward(x.reshape(4, 16, 1, 3, 3))
        .toFloat32Array(),
      x.toFloat32Array(),
      0,
      0,
    );
  });

  it("errors in PyTorch's words", () => {
    const x = torch.randn(1, 2, 3, 4);
    expect(() => F.pad(x, [1, 1, 1])).toThrow("Padding length must be divisible by 2");
    expect(() => F.pad(x, [4, 1], { mode: "reflect" })).toThrow(
      "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now",
    );
    expect(() => F.pad(x, [4, 1, 0, 0], { mode: "reflect" })).toThrow(
      "Padding size should be less than the corresponding input dimension",
    );
    expect(() => F.pad(x, [1, 1, 0, 0], { mode: "reflect", value: 1 })).toThrow(
      `Padding mode "reflect" doesn't take in value argument`,
    );
    expect(() => F.pad(x, [5, 0, 0, 0], { mode: "circular" })).toThrow(
      "Padding value causes wrapping around more than once.",
    );
    expect(() => F.interpolate(x, { size: 4, scaleFactor: 2 })).toThrow(
      "only one of size or scale_factor should be defined",
    );
    expect(() => F.interpolate(x, { scaleFactor: 2, alignCorners: true })).toThrow(
      "align_corners option can only be set with the interpolating modes",
    );
    expect(() => F.interpolate(x, { scaleFactor: 2, mode: "linear" })).toThrow(
      "Got 4D input, but linear mode needs 3D input",
    );
    expect(() => F.interpolate(x, { size: [2, 3, 4] })).toThrow(
      "Input and output must have the same number of spatial dimensions",
    );
    expect(() => F.interpolate(x, { size: 3, mode: "bilinear", recomputeScaleFactor: true })).toThrow(
      "recompute_scale_factor is not meaningful with an explicit size.",
    );
    expect(() => new nn.Upsample({ scale_factor: 2 } as any)).toThrow(
      `unknown option "scale_factor" for nn.Upsample; did you mean "scaleFactor"?`,
    );
    expect(() => F.pixelShuffle(torch.randn(1, 6, 2, 2), 2)).toThrow("divisible by the square of upscale_factor");
    expect(() => F.fold(torch.randn(1, 8, 10), [4, 5], 2)).toThrow(
      "expected size of input's dimension 2 to match the calculated number of sliding blocks 3 * 4 = 12",
    );
  });

  it("positional PyTorch order for constructors", () => {
    expect(new nn.MaxPool1d(3, 2, 1).toString()).toBe(
      "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)",
    );
    expect(new nn.Upsample(null, 2, "bilinear").toString()).toBe("Upsample(scale_factor=2.0, mode=bilinear)");
    expect(new nn.AvgPool3d(2, null, 1).toString()).toBe("AvgPool3d(kernel_size=2, stride=2, padding=1)");
  });
});

describeBackends("pool functions in PyTorch's positional order", () => {
  it("F.maxPool2d(x, 3, 2, 1) is stride 2, padding 1; the options object means the same", () => {
    const x = torch.randn(1, 2, 7, 7);
    expectClose(
      F.maxPool2d(x, 3, 2, 1).toFloat32Array(),
      F.maxPool2d(x, 3, { stride: 2, padding: 1 }).toFloat32Array(),
      0,
      0,
    );
    const [y, i] = F.maxPool1d(torch.randn(1, 2, 9), 3, 2, 1, 1, false, true);
    expect(y.shape).toEqual([1, 2, 5]);
    expect(i.dtype).toBe("int64");
    expectClose(
      F.avgPool3d(torch.ones(1, 1, 4, 4, 4), 2, null, 1, false, false).toFloat32Array(),
      new Array(27).fill(1),
      1e-6,
      0,
    );
    expect(() => F.avgPool2d(x, 2, { strides: 1 } as any)).toThrow(
      `unknown option "strides" for F.avgPool2d; did you mean "stride"?`,
    );
  });
});
