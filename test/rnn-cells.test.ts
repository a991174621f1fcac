// nn.RNN, RNNCell, LSTMCell, GRUCell and dropout between RNN/LSTM/GRU layers against PyTorch 1.13
// (test/fixtures/attention/rnn.json from scripts/gen_attention_fixtures.py), print texts, errors.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import { describeBackends } from "./util.js";
import { loadCases, runCase } from "./attn-fixtures.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

const cases = loadCases("rnn.json");

describeBackends("recurrent layers and cells", () => {
  for (const c of cases) it(c.name, () => runCase(c));

  it("dropout between layers is active in training only, with PyTorch's scaling", () => {
    torch.manualSeed(0);
    for (const M of [nn.RNN, nn.LSTM, nn.GRU] as any[]) {
      const m = new M(3, 64, { numLayers: 2, dropout: 0.5 });
      const x = torch.randn(4, 2, 3);
      const y1 = m.forward(x)[0].toFloat32Array(),
        y2 = m.forward(x)[0].toFloat32Array();
      expect(y1.some((v: number, i: number) => Math.abs(v - y2[i]) > 1e-6)).toBe(true);
      m.eval();
      const e1 = m.forward(x)[0].toFloat32Array(),
        e2 = m.forward(x)[0].toFloat32Array();
      expect(Array.from(e1)).toEqual(Array.from(e2));
    }
  });

  it("positional arguments in PyTorch's order, options and errors", () => {
    const r = new nn.RNN(3, 4, 2, "relu", false, true);
    expect(r.toString()).toBe("RNN(3, 4, num_layers=2, bias=False, batch_first=True)");
    expect(r.nonlinearity).toBe("relu");
    expect(new nn.LSTM(3, 4, 2, true, false, 0.5).dropout).toBe(0.5);
    expect(() => new nn.RNN(3, 4, { nonlinearity: "sigmoid" } as any)).toThrow(/Unknown nonlinearity 'sigmoid'/);
    expect(() => new nn.GRUCell(3, 4, { batchFirst: true } as any)).toThrow(
      /unknown option "batchFirst" for nn.GRUCell/,
    );
    expect(new nn.RNNCell(3, 4, false, "relu").toString()).toBe("RNNCell(3, 4, bias=False, nonlinearity=relu)");
    expect(() => new nn.LSTMCell(3, 4).forward(torch.randn(2, 5))).toThrow(
      /input has inconsistent input_size: got 5 expected 3/,
    );
    expect(Object.keys(new nn.GRUCell(2, 3).stateDict())).toEqual(["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
  });
});

describe("recurrent gradchecks (float64)", () => {
  beforeAll(() => useFloat64());
  afterAll(async () => {
    await torch.init({ backend: "js" });
  });
  it("RNN (tanh, relu, 2 layers, bidirectional) and the three cells: inputs, states and every parameter", () => {
    torch.manualSeed(4);
    const req = (t: torch.Tensor) => {
      t.requiresGrad = true;
      return t;
    };
    const rnn = new nn.RNN(3, 4, { numLayers: 2, bidirectional: true });
    const x = req(torch.randn(3, 2, 3)),
      h0 = req(torch.randn(4, 2, 4));
    gradcheck((a, b) => rnn.forward(a, b), [x, h0, ...rnn.parameters()]);
    const relu = new nn.RNN(3, 4, { nonlinearity: "relu", batchFirst: true });
    gradcheck((a) => relu.forward(a)[0], [req(torch.randn(2, 3, 3)), ...relu.parameters()]);
    const xc = req(torch.randn(2, 3)),
      h = req(torch.randn(2, 4)),
      c = req(torch.randn(2, 4));
    const rc = new nn.RNNCell(3, 4),
      lc = new nn.LSTMCell(3, 4),
      gc = new nn.GRUCell(3, 4);
    gradcheck((a, b) => rc.forward(a, b), [xc, h, ...rc.parameters()]);
    gradcheck((a, b, d) => lc.forward(a, [b, d]), [xc, h, c, ...lc.parameters()]);
    gradcheck((a, b) => gc.forward(a, b), [xc, h, ...gc.parameters()]);
  });
});
