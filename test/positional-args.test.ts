// PyTorch code ported as is: positional arguments mean what they meant in Python; anything else
// is a TypeError naming the function and the argument (issue: "never silently differently").
import { describe, expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { nn, optim, F } from "../ts/index.js";

describe("positional arguments in PyTorch's order", () => {
  it("modules", () => {
    expect((new nn.Conv2d(3, 6, 5, 2) as any).stride).toEqual([2, 2]);
    const c = new nn.Conv2d(3, 6, 3, 1, 1, 1, 3, false);
    expect([c.padding, c.groups, c.bias]).toEqual([[1, 1], 3, null]);
    expect(new nn.Linear(3, 4, false).bias).toBe(null);
    expect(String(new nn.ConvTranspose2d(4, 2, 3, 2, 1, 1))).toBe(
      "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))",
    );
    expect(new nn.Embedding(10, 3, 0).paddingIdx).toBe(0);
    expect(new nn.Dropout(0.2).p).toBe(0.2);
    expect(new nn.Softmax(1).dim).toBe(1);
    expect(new nn.Flatten(0, 1).endDim).toBe(1);
  });
  it("optimisers", () => {
    const p = [new nn.Parameter(torch.zeros(2))];
    expect((new optim.Adam(p, 0.01) as any).paramGroups[0].lr).toBe(0.01);
  });
  it("functions", () => {
    const x = torch.randn(1, 2, 5, 5),
      w = torch.randn(4, 2, 3, 3);
    expect(F.conv2d(x, w, null, 2).shape).toEqual([1, 4, 2, 2]);
    expect(F.conv2d(x, w, null, 1, 1).shape).toEqual([1, 4, 5, 5]);
    expect(
      F.softmax(torch.randn(2, 3), 0)
        .sum(0)
        .toFloat32Array()
        .every((v) => Math.abs(v - 1) < 1e-6),
    ).toBe(true);
    expect(F.dropout(torch.ones(4), 0.5, false).toFloat32Array()).toEqual(new Float32Array([1, 1, 1, 1]));
  });
  it("misspelt or snake_case options and wrong types throw, naming the function and the right name", () => {
    expect(() => new nn.LSTM(32, 64, { batch_first: true } as any)).toThrow(
      `unknown option "batch_first" for nn.LSTM; did you mean "batchFirst"?`,
    );
    expect(() => new nn.Conv2d(3, 6, 3, { strides: 2 } as any)).toThrow(
      `unknown option "strides" for nn.Conv2d; did you mean "stride"?`,
    );
    expect(() => new optim.SGD([new nn.Parameter(torch.zeros(1))], { lr: 0.1, weight_decay: 1 } as any)).toThrow(
      /unknown option "weight_decay" .*did you mean "weightDecay"\?/,
    );
    expect(() => new nn.Linear(3, "4" as any)).toThrow(/nn.Linear: argument "outFeatures" must be/);
    expect(() => new nn.Conv2d(3, 6, 0)).toThrow(/kernel_size must be positive/);
    expect(() => F.conv2d(x0(), torch.randn(1, 1, 1, 1), null, { stride: "2" } as any)).toThrow(
      /F.conv2d: argument "stride"/,
    );
  });
});
const x0 = () => torch.randn(1, 1, 3, 3);
