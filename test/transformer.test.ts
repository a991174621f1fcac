// The Transformer family against PyTorch 1.13 (test/fixtures/attention/transformer.json): state-dict
// keys, print text, outputs, input and parameter gradients with every mask kind; module API details.

import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import { describeBackends, expectClose } from "./util.js";
import { loadCases, runCase } from "./attn-fixtures.js";

const cases = loadCases("transformer.json");

describeBackends("Transformer family", () => {
  for (const c of cases) it(c.name, () => runCase(c, { atol: 2e-4, rtol: 2e-4 }, { atol: 5e-4, rtol: 2e-3 }));

  it("generateSquareSubsequentMask is PyTorch's float mask", () => {
    const m = nn.Transformer.generateSquareSubsequentMask(3);
    expect(m.tolist()).toEqual([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
  });

  it("encoder layers are independent deep copies; isCausal with the causal mask gives the same numbers", () => {
    torch.manualSeed(0);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true });
    const enc = new nn.TransformerEncoder(layer, 2);
    const [a, b] = [...enc.layers] as any[];
    expect(a.linear1.weight).not.toBe(b.linear1.weight);
    expect(Array.from(a.linear1.weight.toFloat32Array())).toEqual(Array.from(b.linear1.weight.toFloat32Array()));
    const x = torch.randn(2, 7, 8),
      mask = nn.Transformer.generateSquareSubsequentMask(7);
    const y1 = enc.forward(x, { mask }),
      y2 = enc.forward(x, { mask, isCausal: true });
    expectClose(y2.toFloat32Array(), y1.toFloat32Array(), 1e-5, 1e-5, "causal hint");
  });

  it("options in PyTorch's words", () => {
    expect(() => new nn.TransformerEncoderLayer(8, 2, { activation: "tanh" } as any)).toThrow(/activation/);
    expect(() => new nn.TransformerEncoderLayer(8, 2, { norm_first: true } as any)).toThrow(/did you mean "normFirst"/);
    const t = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8 });
    expect(() => t.forward(torch.randn(3, 2, 8), torch.randn(4, 3, 8))).toThrow(
      /the batch number of src and tgt must be equal/,
    );
    const withModule = new nn.TransformerEncoderLayer(8, 2, { activation: new nn.GELU() });
    expect(withModule.toString()).toMatch(/\(activation\): GELU\(approximate='none'\)\n\)$/);
  });
});
