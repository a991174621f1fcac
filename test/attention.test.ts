// F.scaledDotProductAttention and nn.MultiheadAttention: golden values (PyTorch 2's formula in
// float64 for SDPA, PyTorch 1.13 for MHA), the fused kernel against the js reference on odd sizes,
// float64 gradchecks, errors.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as torch from "../ts/index.js";
import { F, nn } from "../ts/index.js";
import type { AttnGeom, Storage } from "../ts/backends/types.js";
import { describeBackends, expectClose, BACKENDS } from "./util.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";
import { rand, same } from "./kernel-compare.js";
import { floats, loadCases, runCase, toT } from "./attn-fixtures.js";
import { backendImpl } from "../ts/runtime.js";

const sdpa = loadCases("sdpa.json");
const mha = loadCases("mha.json");

describeBackends("F.scaledDotProductAttention fixtures", () => {
  for (const c of sdpa) {
    it(c.name, () => {
      const [q, k, v] = c.inputs.map((t) => toT(t, true));
      const opts: Record<string, unknown> = {};
      for (const [key, val] of Object.entries(c.options as Record<string, any>))
        opts[key] = typeof val === "object" ? toT(val) : val;
      const out = F.scaledDotProductAttention(q, k, v, opts);
      expect(out.shape).toEqual(c.outputs[0].shape);
      expectClose(out.toFloat32Array(), floats(c.outputs[0]), 1e-5, 1e-4, "output");
      out.mul(toT(c.gradOutputs[0])).sum().backward();
      [q, k, v].forEach((x, i) =>
        expectClose(x.grad!.toFloat32Array(), floats(c.inputGrads[i]!), 1e-4, 1e-3, `grad ${i}`),
      );
    });
  }

  it("dropoutP > 0 drops whole attention weights and keeps the expectation", () => {
    torch.manualSeed(3);
    const q = torch.randn(1, 64, 4),
      k = torch.randn(1, 64, 4),
      v = torch.ones(1, 64, 1);
    // with v = 1 every output is sum of the kept weights / (1 - p): mean 1 over many rows
    const out = F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 });
    const o = Array.from(out.toFloat32Array());
    const mean = o.reduce((a, b) => a + b, 0) / o.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.25);
    expect(o.some((x) => Math.abs(x - 1) > 1e-3)).toBe(true);
  });

  it("a fully masked row is NaN, as PyTorch's softmax of all -inf", () => {
    const q = torch.randn(3, 2),
      k = torch.randn(4, 2),
      v = torch.randn(4, 2);
    const m = torch.tensor(
      [
        [true, true, true, true],
        [false, false, false, false],
        [true, false, false, false],
      ] as any,
      { dtype: "bool" as any },
    );
    const o = F.scaledDotProductAttention(q, k, v, { attnMask: m }).toFloat32Array();
    expect(Number.isNaN(o[2]) && Number.isNaN(o[3])).toBe(true);
    expect([o[0], o[1], o[4], o[5]].every(Number.isFinite)).toBe(true);
  });

  it("errors in PyTorch's words", () => {
    const q = torch.randn(2, 3, 4),
      k = torch.randn(2, 5, 4),
      v = torch.randn(2, 5, 4);
    expect(() => F.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: torch.zeros(3, 5) })).toThrow(
      /Explicit attn_mask should not be set when is_causal=True/,
    );
    expect(() => F.scaledDotProductAttention(q, torch.randn(2, 5, 3), v)).toThrow(/same embedding size/);
    expect(() => F.scaledDotProductAttention(q, k, v, { is_causal: true } as any)).toThrow(
      /unknown option "is_causal".*did you mean "isCausal"/,
    );
  });
});

describeBackends("nn.MultiheadAttention fixtures", () => {
  for (const c of mha) it(c.name, () => runCase(c));

  it("constructor and forward errors", () => {
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(/embed_dim must be divisible by num_heads/);
    expect(() => new nn.MultiheadAttention(8, 2, { batch_first: true } as any)).toThrow(/did you mean "batchFirst"/);
    const m = new nn.MultiheadAttention(8, 2);
    const x = torch.randn(5, 3, 8);
    expect(() => m.forward(x, x, x, { attnMask: torch.zeros(4, 5) })).toThrow(
      /The shape of the 2D attn_mask is torch.Size\(\[4, 5\]\), but should be \(5, 5\)/,
    );
    expect(() => m.forward(x, x, x, { isCausal: true })).toThrow(/Need attn_mask if specifying the is_causal hint/);
    expect(() => m.forward(x, x, x, { keyPaddingMask: torch.zeros(3, 4) })).toThrow(
      /expecting key_padding_mask shape of \(3, 5\)/,
    );
  });

  it("parameters are PyTorch's and positional options follow PyTorch's order", () => {
    const m = new nn.MultiheadAttention(8, 2, 0.0, true, true);
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      "in_proj_weight",
      "in_proj_bias",
      "bias_k",
      "bias_v",
      "out_proj.weight",
      "out_proj.bias",
    ]);
    const s = new nn.MultiheadAttention(8, 2, { kdim: 3, vdim: 5, bias: false });
    expect(Object.entries(s.stateDict()).map(([n, t]) => [n, t.shape])).toEqual([
      ["q_proj_weight", [8, 8]],
      ["k_proj_weight", [8, 3]],
      ["v_proj_weight", [8, 5]],
      ["out_proj.weight", [8, 8]],
    ]);
  });
});

// ------------------------------------------------------------------ the fused kernel vs the js reference
const RUST = BACKENDS.filter((b) => b !== "js");
for (const name of RUST) {
  describe(`attention kernel [${name}] = js reference`, () => {
    for (const threads of [1, 2]) {
      it(`odd sizes, every mask kind, head dims 1..80 (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
        await torch.init({ backend: name, threads });
        const b = backendImpl();
        const shapes: [number, number, number, number, number, number][] = [
          // BH, heads, L, S, E, Ev
          [1, 1, 1, 1, 1, 1],
          [3, 3, 17, 65, 7, 5],
          [2, 2, 33, 129, 80, 80],
          [4, 2, 5, 200, 16, 3],
          [6, 3, 70, 70, 33, 1],
        ];
        for (const [BH, heads, L, S, E, Ev] of shapes) {
          for (const maskKind of ["none", "full", "row", "perHead", "causal"] as const) {
            const g: AttnGeom = {
              BH,
              heads,
              L,
              S,
              E,
              Ev,
              scale: 1 / Math.sqrt(E),
              causal: maskKind === "causal",
              qOff: 3,
              qsB: heads * L * E,
              qsH: L * E,
              qsL: E,
              kOff: 0,
              ksB: heads * S * E,
              ksH: S * E,
              ksL: E,
              vOff: 1,
              vsB: heads * Ev,
              vsH: Ev,
              vsL: BH * Ev,
              mOff: 2,
              msB: 0,
              msH: 0,
              msL: 0,
              msS: 1,
              oOff: 0,
              osB: heads * L * Ev,
              osH: L * Ev,
              osL: Ev,
              goOff: 0,
              dqOff: 0,
              dqsB: heads * L * E,
              dqsH: L * E,
              dqsL: E,
              dkOff: 0,
              dksB: heads * S * E,
              dksH: S * E,
              dksL: E,
              dvOff: 0,
              dvsB: heads * S * Ev,
              dvsH: S * Ev,
              dvsL: Ev,
            };
            let mlen = 0;
            if (maskKind === "full") {
              g.msB = heads * L * S;
              g.msH = L * S;
              g.msL = S;
              mlen = (BH / heads) * heads * L * S;
            }
            if (maskKind === "row") {
              g.msL = 0;
              mlen = S;
            }
            if (maskKind === "perHead") {
              g.msH = L * S;
              g.msL = S;
              mlen = heads * L * S;
            }
            const maskData = rand(mlen + 2, L + S, -3, 1).map((x, i) => (x < -2.6 && i % S !== 2 ? -Infinity : x));
            same(
              b,
              `attention ${BH}x${L}x${S}x${E}x${Ev} ${maskKind}`,
              (be, mk) => {
                const q = mk(rand(3 + BH * L * E, 1)),
                  k = mk(rand(BH * S * E, 2)),
                  v = mk(rand(1 + BH * S * Ev, 3));
                const m = mlen ? mk(maskData) : null;
                const out = mk(BH * L * Ev),
                  lse = mk(BH * L);
                be.attention(g, q, k, v, m, out, lse);
                const go = mk(rand(BH * L * Ev, 4));
                const dq = mk(BH * L * E),
                  dk = mk(BH * S * E),
                  dv = mk(BH * S * Ev);
                be.attentionGrad(g, q, k, v, m, out, lse, go, dq, dk, dv);
                return [out, lse, dq, dk, dv] as Storage[];
              },
              2e-4,
              2e-5,
            );
          }
        }
      });
    }
  });
}

// ------------------------------------------------------------------ float64 gradchecks
describe("attention gradchecks (float64)", () => {
  beforeAll(() => useFloat64());
  afterAll(async () => {
    await torch.init({ backend: "js" });
  });
  it("F.scaledDotProductAttention: q, k, v with float and bool masks, causal", () => {
    torch.manualSeed(1);
    const mk = (...s: number[]) => {
      const t = torch.randn(...s);
      t.requiresGrad = true;
      return t;
    };
    const q = mk(2, 3, 4),
      k = mk(2, 5, 4),
      v = mk(2, 5, 3);
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c), [q, k, v]);
    const fm = torch.randn(3, 5);
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c, { attnMask: fm, scale: 0.7 }), [q, k, v]);
    const q2 = mk(1, 2, 5, 3),
      k2 = mk(1, 2, 5, 3),
      v2 = mk(1, 2, 5, 2);
    gradcheck((a, b, c) => F.scaledDotProductAttention(a, b, c, { isCausal: true }), [q2, k2, v2]);
    // a float mask that requires grad gets its gradient (the op-composed path)
    const m2 = mk(3, 5);
    gradcheck((a, m) => F.scaledDotProductAttention(a, k, v, { attnMask: m }), [q, m2]);
  });
  it("nn.MultiheadAttention: inputs and every parameter, with masks, bias_kv, zero attn", () => {
    torch.manualSeed(2);
    const m = new nn.MultiheadAttention(4, 2, { addBiasKv: true, addZeroAttn: true });
    const q = torch.randn(3, 2, 4),
      k = torch.randn(4, 2, 4),
      v = torch.randn(4, 2, 4);
    for (const t of [q, k, v]) t.requiresGrad = true;
    const kpm = torch.tensor([
      [0, 0, 0, -1],
      [0, -2, 0, 0],
    ]);
    const ps = m.parameters();
    gradcheck((a, b, c) => m.forward(a, b, c, { keyPaddingMask: kpm, needWeights: false })[0], [q, k, v, ...ps]);
    const am = torch.randn(3, 4);
    gradcheck(
      (a, b, c) => m.forward(a, b, c, { attnMask: am, averageAttnWeights: false }) as torch.Tensor[],
      [q, k, v],
    );
  });
});
