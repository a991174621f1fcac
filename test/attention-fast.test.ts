// The GEMM-based attention kernel (crates/kernels/src/attention.rs) against the js reference:
// odd sequence lengths (1, 7, 129, 300), head dims 8/64/80, kv length != q length, causal and
// every mask kind, batch 1, strided operands (MultiheadAttention's packed [B, T, 3E] in-projection
// read in place, out written as [B, T, E], the gradients into one packed buffer), 1 and 2 threads;
// then MultiheadAttention's packed self-attention path against its general path on every backend,
// and a float64 gradcheck of the packed path.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import type { AttnGeom, Storage } from "../ts/backends/types.js";
import { describeBackends, expectClose, BACKENDS } from "./util.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";
import { rand, same } from "./kernel-compare.js";
import { backendImpl } from "../ts/runtime.js";

type Lay = { sB: number; sH: number; sL: number };

/** A geometry over B x H items with the given layouts (offsets 0 unless set later). */
function geom(
  B: number,
  H: number,
  L: number,
  S: number,
  E: number,
  Ev: number,
  causal: boolean,
  lay: { q: Lay; k: Lay; v: Lay; o: Lay; dq: Lay; dk: Lay; dv: Lay },
): AttnGeom {
  const f = (p: string, l: Lay) => ({ [`${p}sB`]: l.sB, [`${p}sH`]: l.sH, [`${p}sL`]: l.sL });
  return {
    BH: B * H,
    heads: H,
    L,
    S,
    E,
    Ev,
    scale: 1 / Math.sqrt(Math.max(E, 1)),
    causal,
    ...(f("q", lay.q) as { qsB: number; qsH: number; qsL: number }),
    ...(f("k", lay.k) as { ksB: number; ksH: number; ksL: number }),
    ...(f("v", lay.v) as { vsB: number; vsH: number; vsL: number }),
    ...(f("o", lay.o) as { osB: number; osH: number; osL: number }),
    ...(f("dq", lay.dq) as { dqsB: number; dqsH: number; dqsL: number }),
    ...(f("dk", lay.dk) as { dksB: number; dksH: number; dksL: number }),
    ...(f("dv", lay.dv) as { dvsB: number; dvsH: number; dvsL: number }),
    qOff: 0,
    kOff: 0,
    vOff: 0,
    mOff: 0,
    msB: 0,
    msH: 0,
    msL: 0,
    msS: 0,
    oOff: 0,
    goOff: 0,
    dqOff: 0,
    dkOff: 0,
    dvOff: 0,
  };
}
const dense = (H: number, R: number, C: number): Lay => ({ sB: H * R * C, sH: R * C, sL: C });

const RUST = BACKENDS.filter((b) => b !== "js");
for (const name of RUST) {
  describe(`GEMM attention kernel [${name}] = js reference`, () => {
    for (const threads of [1, 2]) {
      it(`dense operands: odd lengths, head dims 8/64/80, S != L, masks, causal (${threads}T)`, async () => {
        await torch.init({ backend: name, threads });
        const b = backendImpl();
        const shapes: [number, number, number, number, number][] = [
          // B, H, L, S, E (= Ev)
          [1, 1, 1, 1, 8],
          [1, 2, 7, 7, 64],
          [2, 1, 129, 129, 80],
          [1, 1, 300, 300, 8],
          [1, 2, 7, 129, 64],
          [1, 1, 129, 7, 80],
          [2, 3, 1, 300, 8],
          [1, 1, 300, 129, 64],
        ];
        for (const [B, H, L, S, E] of shapes) {
          for (const mask of ["none", "float", "padding", "causal"] as const) {
            const lay = {
              q: dense(H, L, E),
              k: dense(H, S, E),
              v: dense(H, S, E),
              o: dense(H, L, E),
              dq: dense(H, L, E),
              dk: dense(H, S, E),
              dv: dense(H, S, E),
            };
            const g = geom(B, H, L, S, E, E, mask === "causal", lay);
            let mlen = 0;
            if (mask === "float") {
              // [B, H, L, S] with some -inf (column 0 kept so no row is fully masked)
              Object.assign(g, { msB: H * L * S, msH: L * S, msL: S, msS: 1 });
              mlen = B * H * L * S;
            } else if (mask === "padding") {
              // a key padding mask [B, S]: the last keys of batch 0 blocked
              Object.assign(g, { msB: S, msH: 0, msL: 0, msS: 1 });
              mlen = B * S;
            }
            const md =
              mask === "padding"
                ? Array.from({ length: mlen }, (_, i) => (i < S && i % S >= Math.max(1, S - 3) ? -Infinity : 0))
                : rand(mlen, L + S, -3, 1).map((x, i) => (x < -2.5 && i % S !== 0 ? -Infinity : x));
            same(
              b,
              `${B}x${H} L${L} S${S} E${E} ${mask}`,
              (be, mk) => {
                const q = mk(rand(B * H * L * E, 1)),
                  k = mk(rand(B * H * S * E, 2)),
                  v = mk(rand(B * H * S * E, 3));
                const m = mlen ? mk(md) : null;
                const out = mk(B * H * L * E),
                  lse = mk(B * H * L);
                be.attention(g, q, k, v, m, out, lse);
                const go = mk(rand(B * H * L * E, 4));
                const dq = mk(B * H * L * E),
                  dk = mk(B * H * S * E),
                  dv = mk(B * H * S * E);
                be.attentionGrad(g, q, k, v, m, out, lse, go, dq, dk, dv);
                return [out, lse, dq, dk, dv] as Storage[];
              },
              2e-4,
              2e-5,
            );
          }
        }
      });

      it(`packed [B, T, 3E] / [T, B, 3E] operands, out as [B, T, E], packed gradients (${threads}T)`, async () => {
        await torch.init({ backend: name, threads });
        const b = backendImpl();
        for (const [B, H, T, hd, batchFirst, causal] of [
          [2, 8, 33, 8, true, false],
          [1, 2, 129, 64, false, true],
          [3, 1, 7, 80, true, true],
        ] as [number, number, number, number, boolean, boolean][]) {
          const E = H * hd;
          const lay = (C: number): Lay => (batchFirst ? { sB: T * C, sH: hd, sL: C } : { sB: C, sH: hd, sL: B * C });
          const l3 = lay(3 * E);
          const g = geom(B, H, T, T, hd, hd, causal, { q: l3, k: l3, v: l3, o: lay(E), dq: l3, dk: l3, dv: l3 });
          Object.assign(g, { qOff: 0, kOff: E, vOff: 2 * E, dqOff: 0, dkOff: E, dvOff: 2 * E, oOff: 0, goOff: 0 });
          same(
            b,
            `packed B${B} H${H} T${T} hd${hd} batchFirst=${batchFirst} causal=${causal}`,
            (be, mk) => {
              const qkv = mk(rand(B * T * 3 * E, 5));
              const out = mk(B * T * E),
                lse = mk(B * H * T);
              be.attention(g, qkv, qkv, qkv, null, out, lse);
              const go = mk(rand(B * T * E, 6));
              const d = mk(B * T * 3 * E);
              be.attentionGrad(g, qkv, qkv, qkv, null, out, lse, go, d, d, d);
              return [out, lse, d] as Storage[];
            },
            2e-4,
            2e-5,
          );
        }
      });
    }

    it("refuses gradient layouts that overlap", async () => {
      await torch.init({ backend: name, threads: 1 });
      const be = backendImpl();
      const [B, H, T, hd] = [1, 2, 4, 4];
      const E = H * hd;
      const l3 = { sB: T * 3 * E, sH: hd, sL: 3 * E };
      const g = geom(B, H, T, T, hd, hd, false, {
        q: l3,
        k: l3,
        v: l3,
        o: { sB: T * E, sH: hd, sL: E },
        dq: l3,
        dk: l3,
        dv: l3,
      });
      Object.assign(g, { kOff: E, vOff: 2 * E, dkOff: E - 1, dvOff: 2 * E });
      const qkv = be.alloc(B * T * 3 * E, "float32"),
        out = be.alloc(B * T * E, "float32"),
        lse = be.alloc(B * H * T, "float32"),
        go = be.alloc(B * T * E, "float32"),
        d = be.alloc(B * T * 3 * E, "float32");
      be.fill(qkv, 0.5);
      be.fill(go, 1);
      be.attention(g, qkv, qkv, qkv, null, out, lse);
      expect(() => be.attentionGrad(g, qkv, qkv, qkv, null, out, lse, go, d, d, d)).toThrow(/overlap/);
      for (const s of [qkv, out, lse, go, d]) be.free(s);
    });
  });
}

// ------------------------------------------------------------------ MultiheadAttention's packed path
describeBackends("MultiheadAttention packed self-attention = the general path", () => {
  const cases: [string, boolean, boolean, (L: number, B: number, H: number) => Record<string, unknown>][] = [
    ["no mask", true, true, () => ({})],
    ["time-major, float attn mask", false, true, (L) => ({ attnMask: torch.randn(L, L) })],
    [
      "bool attn mask 3-D and bool key padding",
      true,
      true,
      (L, B, H) => ({
        attnMask: torch.rand(B * H, L, L).gt(0.8),
        keyPaddingMask: torch.tensor(
          Array.from({ length: B }, (_, b) => Array.from({ length: L }, (_, j) => b === 0 && j === L - 1)),
        ),
      }),
    ],
    [
      "float key padding only",
      false,
      true,
      (L, B) => ({
        keyPaddingMask: torch.tensor(
          Array.from({ length: B }, () => Array.from({ length: L }, (_, j) => (j % 3 === 1 ? -1.5 : 0))),
        ),
      }),
    ],
    [
      "isCausal with the causal mask",
      true,
      true,
      (L) => ({ attnMask: nn.Transformer.generateSquareSubsequentMask(L), isCausal: true }),
    ],
    ["unbatched", false, false, () => ({})],
  ];
  for (const [what, batchFirst, batched, masks] of cases) {
    it(what, () => {
      torch.manualSeed(7);
      const [L, B, E, H] = [13, 3, 32, 4];
      const mha = new nn.MultiheadAttention(E, H, { batchFirst });
      // non-zero biases so their gradients are checked too
      torch.noGrad(() => {
        mha.in_proj_bias!.copy_(torch.randn(3 * E).mul(0.1));
        mha.out_proj.bias!.copy_(torch.randn(E).mul(0.1));
      });
      const shape = batched ? (batchFirst ? [B, L, E] : [L, B, E]) : [L, E];
      const x0 = torch.randn(...shape);
      const m = masks(L, B, H);
      const run = (packed: boolean) => {
        const x = x0.clone();
        x.requiresGrad = true;
        mha.zeroGrad();
        // a distinct key tensor (equal values) takes the general path
        const k = packed ? x : x.mul(1);
        const [y] = mha.forward(x, k, k, { ...m, needWeights: false });
        const gy = torch.randn(...y.shape);
        torch.manualSeed(9);
        y.mul(gy).sum().backward();
        return [y, x.grad!, ...mha.parameters().map((p) => p.grad!)].map((t) => t.toFloat32Array());
      };
      torch.manualSeed(9);
      const a = run(true);
      torch.manualSeed(9);
      const b = run(false);
      a.forEach((t, i) => expectClose(t, b[i], 2e-5, 2e-4, `${what} [${i}]`));
    });
  }
});

describe("MultiheadAttention packed path gradcheck (float64)", () => {
  beforeAll(() => useFloat64());
  afterAll(async () => {
    await torch.init({ backend: "js" });
  });
  it("input and every parameter, batch-first and time-major, with masks", () => {
    torch.manualSeed(4);
    for (const batchFirst of [true, false]) {
      const mha = new nn.MultiheadAttention(6, 2, { batchFirst });
      const x = torch.randn(...(batchFirst ? [2, 5, 6] : [5, 2, 6]));
      x.requiresGrad = true;
      const kpm = torch.tensor([
        [false, false, false, false, true],
        [false, true, false, false, false],
      ]);
      const am = torch.randn(5, 5);
      const ps = mha.parameters();
      gradcheck((a) => mha.forward(a, a, a, { needWeights: false, keyPaddingMask: kpm, attnMask: am })[0], [x, ...ps]);
    }
  });
});

describeBackends("attention zero-size cases", () => {
  it("L = 0, S = 0, E = 0, Ev = 0 and batch 0 (forward and backward)", () => {
    const grads = (q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) => {
      for (const t of [q, k, v]) t.requiresGrad = true;
      const y = torch.F.scaledDotProductAttention(q, k, v);
      y.sum().backward();
      return [y, q.grad!, k.grad!, v.grad!];
    };
    // no queries / no batch: empty results
    for (const [qs, ks, vs] of [
      [
        [2, 0, 4],
        [2, 5, 4],
        [2, 5, 3],
      ],
      [
        [0, 3, 4],
        [0, 5, 4],
        [0, 5, 3],
      ],
    ]) {
      const [y, gq, gk, gv] = grads(torch.randn(...qs), torch.randn(...ks), torch.randn(...vs));
      expect(y.shape).toEqual([qs[0], qs[1], vs[2]]);
      expect(gq.shape).toEqual(qs);
      expect(Array.from(gk.toFloat32Array()).every((x) => x === 0)).toBe(true);
      expect(Array.from(gv.toFloat32Array()).every((x) => x === 0)).toBe(true);
    }
    // no keys: every row fully masked, NaN (as PyTorch's softmax of nothing)
    const y0 = torch.F.scaledDotProductAttention(torch.randn(2, 3, 4), torch.randn(2, 0, 4), torch.randn(2, 0, 3));
    expect(y0.shape).toEqual([2, 3, 3]);
    expect(Array.from(y0.toFloat32Array()).every((x) => Number.isNaN(x))).toBe(true);
    // E = 0: the default scale 1/sqrt(0) makes every score 0 * inf = NaN (as PyTorch); with scale 1
    // every score is 0, so out = the mean of v over the keys; q and k get no gradient
    const yn = torch.F.scaledDotProductAttention(torch.randn(2, 3, 0), torch.randn(2, 5, 0), torch.randn(2, 5, 3));
    expect(Array.from(yn.toFloat32Array()).every((x) => Number.isNaN(x))).toBe(true);
    const v = torch.randn(2, 5, 3);
    const q1 = torch.randn(2, 3, 0),
      k1 = torch.randn(2, 5, 0),
      v1 = v.clone();
    for (const t of [q1, k1, v1]) t.requiresGrad = true;
    const y1 = torch.F.scaledDotProductAttention(q1, k1, v1, { scale: 1 });
    y1.sum().backward();
    const [gq1, gk1] = [q1.grad!, k1.grad!];
    const mean = v.mean(1, true).expand(2, 3, 3);
    expectClose(y1.toFloat32Array(), mean.toFloat32Array(), 1e-6, 1e-5, "E = 0");
    expect(gq1.numel() + gk1.numel()).toBe(0);
    // Ev = 0: an empty output, zero gradients for q and k
    const [y2, gq2, gk2] = grads(torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 0));
    expect(y2.shape).toEqual([2, 3, 0]);
    expect(Array.from(gq2.toFloat32Array()).every((x) => x === 0)).toBe(true);
    expect(Array.from(gk2.toFloat32Array()).every((x) => x === 0)).toBe(true);
  });
});
