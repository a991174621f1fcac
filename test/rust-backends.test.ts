// The Rust backends (wasm single/multi-threaded, native single/multi-threaded) against the js
// reference, kernel by kernel, on odd sizes, strides, broadcasts and geometries.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import type { Backend, ConvGeom, PoolGeom, Storage } from "../ts/backends/types.js";
import { convGeom, numel, rand, randInt, same } from "./kernel-compare.js";
import { expectClose as expectNear } from "./util.js";

// ---------------------------------------------------------------- helpers

const SPECIAL = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 88, -88, 100, -100, 0.5, 1e30];

function poolGeom(
  NC: number,
  H: number,
  W: number,
  k: number,
  s: number,
  p: number,
  d: number,
  ceil: boolean,
): PoolGeom {
  const o = (n: number) => {
    const num = n + 2 * p - d * (k - 1) - 1;
    let v = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
    if (ceil && (v - 1) * s >= n + p) v--;
    return v;
  };
  return { NC, H, W, kH: k, kW: k, sH: s, sW: s, pH: p, pW: p, dH: d, dW: d, oH: o(H), oW: o(W) };
}

const UNARY = ["neg", "exp", "log", "sqrt", "relu", "sigmoid", "tanh", "abs", "square", "recip", "rsqrt"] as const;
const BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "gt", "lt", "eq"] as const;
const SCALAR = ["add", "mul", "pow", "rsub", "rdiv", "maximum", "minimum", "gt", "lt", "eq"] as const;
const SIZES = [1, 3, 17, 129, 1000];

// ---------------------------------------------------------------- loaders

describe("rust backend loaders", () => {
  it("wasm: loads one given file, and explains every failed candidate", async () => {
    const file = new URL("../build/torchlet-simd.wasm", import.meta.url);
    const b = await createWasmBackend({ wasmUrl: file });
    expect(b.variant).toBe("simd");
    const mt = await createWasmBackend({ wasmUrl: new URL("../build/torchlet-mt.wasm", import.meta.url), threads: 2 });
    expect([mt.variant, mt.threads]).toEqual(["mt", 2]);
    await mt.dispose();
    const err = await createWasmBackend({ wasmUrl: "/nonexistent-dir", threads: 2 }).catch((e) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/torchlet-mt\.wasm/);
    expect((err as Error).message).toMatch(/torchlet-simd\.wasm/);
    expect((err as Error).message).toMatch(/npm run build/);
  });
  it("native: a clear error when the addon is missing", async () => {
    const prev = process.env.TORCHLET_NATIVE;
    process.env.TORCHLET_NATIVE = "/nonexistent/torchlet.node";
    try {
      await expect(createNativeBackend({})).rejects.toThrow(/TORCHLET_NATIVE/);
    } finally {
      if (prev === undefined) delete process.env.TORCHLET_NATIVE;
      else process.env.TORCHLET_NATIVE = prev;
    }
  });
});

// ---------------------------------------------------------------- the suite, per Rust backend

const variants: [string, () => Promise<Backend>][] = [
  ["wasm", () => createWasmBackend({})],
  ["wasm threads=2", () => createWasmBackend({ threads: 2 })],
  ["native", () => createNativeBackend({})],
  ["native threads=2", () => createNativeBackend({ threads: 2 })],
];

for (const [title, create] of variants) {
  describe(`rust backend: ${title}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await create();
    });
    afterAll(async () => {
      await (b as any)?.dispose?.();
    });

    it("loads with the requested threads", () => {
      expect(b.threads).toBe(title.includes("threads=2") ? 2 : 1);
    });

    it("alloc/free/view and bytesInUse", () => {
      const before = b.bytesInUse();
      // storage per dtype: float32 4 bytes, int64 8 bytes (Float64Array), bool 1 byte (Uint8Array)
      const s = b.alloc(129, "float32"),
        t = b.alloc(3, "int64"),
        m = b.alloc(5, "bool");
      expect(b.bytesInUse()).toBe(before + 129 * 4 + 3 * 8 + 5);
      expect(b.view(s)).toBeInstanceOf(Float32Array);
      expect(b.view(t)).toBeInstanceOf(Float64Array);
      expect(b.view(m)).toBeInstanceOf(Uint8Array);
      expect(Array.from(b.view(s)).every((v) => v === 0)).toBe(true);
      b.free(s);
      b.free(t);
      b.free(t);
      b.free(m);
      expect(b.bytesInUse()).toBe(before);
    });

    it("keeps data and views right when wasm memory grows", () => {
      const small = b.alloc(17, "float32");
      b.view(small).set(rand(17, 1));
      const big = b.alloc(24 << 20, "float32"); // 96 MiB: grows wasm memory
      b.view(big)[(24 << 20) - 1] = 5;
      expectNear(b.view(small), new Float32Array(rand(17, 1)), 0, 0, "after growth");
      b.unary("neg", small, small);
      expect(b.view(small)[0]).toBe(-Math.fround(rand(17, 1)[0]));
      expect(b.view(big)[(24 << 20) - 1]).toBe(5);
      b.free(big);
      b.free(small);
    });

    it.runIf(title.startsWith("wasm"))(
      "spills least recently used storages past its budget and restores them intact",
      () => {
        const wb = b as any;
        const n = 4096,
          count = 400; // 6.4 MiB of never-freed storages vs a 1 MiB minimum budget
        const all: Storage[] = [];
        for (let k = 0; k < count; k++) {
          const s = b.alloc(n, k % 2 ? "int64" : "float32");
          b.fill(s, k);
          all.push(s);
        }
        expect(b.bytesInUse()).toBeLessThan(count * n * 4);
        expect(wb.spillStats.spilled).toBeGreaterThan(0);
        const out = b.alloc(1, "float32");
        for (let k = 0; k < count; k++) {
          expect(b.view(all[k])[n - 1], `view of storage ${k}`).toBe(k);
          b.sum(all[k], out, 1, n, 1);
          expect(b.view(out)[0], `kernel on storage ${k}`).toBe(k * n);
        }
        expect(wb.spillStats.restored).toBeGreaterThan(0);
        for (const s of [...all, out]) b.free(s);
      },
    );

    it("repeated threaded kernels give identical results (pool stress)", () => {
      const g = convGeom(4, 8, 16, 1, [1, 12, 12], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 1, 1]);
      const n = numel(g);
      const x = b.alloc(n.x, "float32"),
        w = b.alloc(n.w, "float32"),
        y = b.alloc(n.y, "float32"),
        gw = b.alloc(n.w, "float32");
      b.view(x).set(rand(n.x, 3));
      b.view(w).set(rand(n.w, 4));
      b.conv(g, x, w, null, y);
      b.convGradWeight(g, x, y, gw, null);
      const y0 = Array.from(b.view(y)),
        gw0 = Array.from(b.view(gw));
      for (let i = 0; i < 100; i++) {
        b.conv(g, x, w, null, y);
        b.convGradWeight(g, x, y, gw, null);
        expectNear(b.view(y), y0, 0, 0, `conv run ${i}`);
        expectNear(b.view(gw), gw0, 0, 0, `convGradWeight run ${i}`);
      }
      for (const s of [x, w, y, gw]) b.free(s);
    });

    it("fill, cast, copyStrided", () => {
      same(b, "fill", (be, mk) => {
        const f = mk(17),
          i = mk(5, "int64");
        be.fill(f, -1.25);
        be.fill(i, 2.7);
        return [f, i];
      });
      const x = [...rand(20, 1, -5, 5), 2.5, -2.5, 3e9, -0.7];
      same(b, "cast f->i->f", (be, mk) => {
        const a = mk(x),
          i = mk(x.length, "int64"),
          f = mk(x.length);
        be.cast(a, i);
        be.cast(i, f);
        return [i, f];
      });
      const src = rand(3 * 17 * 5, 2);
      const cases: [number, number[], number[]][] = [
        [0, [17, 3], [1, 17]],
        [4, [3, 5], [20, 1]],
        [0, [3, 17, 5], [85, 5, 1]],
        [7, [5, 3, 2], [1, 17, 0]],
        [0, [], []],
        [2, [129], [1]],
        [0, [5, 17, 3], [1, 5, 85]],
        [10, [4], [-2]],
      ];
      for (const [off, shape, strides] of cases) {
        const n = shape.reduce((p, v) => p * v, 1);
        same(b, `copyStrided ${shape}/${strides}+${off}`, (be, mk) => {
          const a = mk(src),
            o = mk(n);
          be.copyStrided(a, off, shape, strides, o);
          return [o];
        });
        same(b, `copyStrided int ${shape}`, (be, mk) => {
          const a = mk(randInt(src.length, 1000), "int64"),
            o = mk(n, "int64");
          be.copyStrided(a, off, shape, strides, o);
          return [o];
        });
      }
    });

    it("unary and unaryGrad, every op, odd sizes and special values", () => {
      for (const n of SIZES) {
        const x = n === 1 ? [0.3] : [...SPECIAL, ...rand(n, n, -6, 6)].slice(0, Math.max(n, SPECIAL.length));
        const pos = x.map((v) => Math.abs(v) + 0.01);
        for (const op of UNARY) {
          const data = op === "log" || op === "sqrt" || op === "rsqrt" ? (n > 3 ? x : pos) : x;
          same(b, `unary ${op} n=${n}`, (be, mk) => {
            const a = mk(data),
              o = mk(data.length);
            be.unary(op, a, o);
            return [o];
          });
          const xs = rand(data.length, n + 1, -3, 3).map(
            (v, i) => (op === "log" || op === "sqrt" || op === "rsqrt" ? Math.abs(v) + 0.1 : v) + (i === 0 ? 0 : 0),
          );
          same(b, `unaryGrad ${op} n=${n}`, (be, mk) => {
            const a = mk(xs),
              y = mk(xs.length),
              g = mk(rand(xs.length, n + 2)),
              gx = mk(xs.length);
            be.unary(op, a, y);
            be.unaryGrad(op, a, y, g, gx);
            return [gx];
          });
        }
      }
    });

    it("unary/binary/scalar in place (out aliases an input)", () => {
      const x = rand(129, 5);
      same(b, "unary in place", (be, mk) => {
        const a = mk(x);
        be.unary("tanh", a, a);
        return [a];
      });
      same(b, "binary in place", (be, mk) => {
        const a = mk(x),
          c = mk(rand(129, 6));
        be.binary("mul", a, [1], c, [1], a, [129]);
        return [a];
      });
      same(b, "scalar in place", (be, mk) => {
        const a = mk(x);
        be.scalar("add", a, 0.1, a);
        return [a];
      });
    });

    it("binary with broadcasting, strides and dtypes", () => {
      const shapes: [number[], number[], number[]][] = [
        [[129], [1], [1]],
        [
          [3, 17],
          [17, 1],
          [0, 1],
        ],
        [
          [3, 17],
          [1, 0],
          [0, 1],
        ],
        [
          [2, 3, 5],
          [15, 5, 1],
          [15, 5, 1],
        ],
        [
          [2, 3, 5],
          [1, 2, 6],
          [0, 5, 1],
        ],
        [
          [1, 1, 7],
          [0, 0, 1],
          [7, 7, 1],
        ],
        [
          [4, 1, 33],
          [33, 0, 1],
          [0, 0, 0],
        ],
        [[], [], []],
      ];
      for (const [shape, sa, sb] of shapes) {
        const n = shape.reduce((p, v) => p * v, 1);
        const ext = (st: number[]) => shape.reduce((m, s, i) => m + (s - 1) * st[i], 0) + 1;
        const a = rand(ext(sa), 11, -3, 3).map((v, i) => (i % 7 === 3 ? NaN : v)),
          c = rand(ext(sb), 12, -3, 3);
        for (const op of BINARY) {
          same(b, `binary ${op} ${shape}`, (be, mk) => {
            const x = mk(a),
              y = mk(c),
              o = mk(n);
            be.binary(op, x, sa, y, sb, o, shape);
            return [o];
          });
        }
        const ai = randInt(ext(sa), 4, 3),
          ci = randInt(ext(sb), 4, 4);
        for (const op of ["eq", "add", "mul", "gt"] as const) {
          same(b, `binary int ${op} ${shape}`, (be, mk) => {
            const x = mk(ai, "int64"),
              y = mk(ci, "int64"),
              o = mk(n, "int64"),
              of = mk(n);
            be.binary(op, x, sa, y, sb, o, shape);
            be.binary(op, x, sa, y, sb, of, shape);
            return [o, of];
          });
        }
      }
    });

    it("scalar ops and where", () => {
      for (const n of [1, 17, 1000]) {
        const x = [...SPECIAL, ...rand(n, n, -3, 3)];
        for (const op of SCALAR)
          for (const s of [0.3, 2, -1.5, 0]) {
            same(b, `scalar ${op} ${s} n=${n}`, (be, mk) => {
              const a = mk(x),
                o = mk(x.length);
              be.scalar(op, a, s, o);
              return [o];
            });
          }
        same(b, `scalar int n=${n}`, (be, mk) => {
          const a = mk(randInt(n, 9), "int64"),
            o = mk(n, "int64"),
            f = mk(n);
          be.scalar("mul", a, 3, o);
          be.scalar("eq", a, 4, f);
          return [o, f];
        });
        const cond = randInt(x.length, 2, 5),
          p = rand(x.length, 6),
          q = rand(x.length, 7);
        same(b, `where n=${n}`, (be, mk) => {
          const c = mk(cond),
            y = mk(p),
            z = mk(q),
            o = mk(x.length);
          be.where(c, y, z, o);
          return [o];
        });
        same(b, `where int cond n=${n}`, (be, mk) => {
          const c = mk(cond, "int64"),
            y = mk(p),
            z = mk(q),
            o = mk(x.length);
          be.where(c, y, z, o);
          return [o];
        });
      }
    });

    it("sum and max over the middle axis", () => {
      for (const [outer, red, inner] of [
        [1, 129, 1],
        [3, 17, 5],
        [2, 1, 3],
        [5, 1000, 1],
        [1, 3, 129],
        [7, 33, 2],
      ]) {
        const x = rand(outer * red * inner, red + inner);
        same(
          b,
          `sum ${outer},${red},${inner}`,
          (be, mk) => {
            const a = mk(x),
              o = mk(outer * inner);
            be.sum(a, o, outer, red, inner);
            return [o];
          },
          1e-5,
          1e-5,
        );
        const xm = x.map((v, i) => (i % 53 === 7 ? NaN : i % 41 === 3 ? -Infinity : v));
        same(b, `max ${outer},${red},${inner}`, (be, mk) => {
          const a = mk(xm),
            o = mk(outer * inner),
            ix = mk(outer * inner, "int64");
          be.max(a, o, ix, outer, red, inner);
          return [o, ix];
        });
        same(b, `max no idx`, (be, mk) => {
          const a = mk(xm),
            o = mk(outer * inner);
          be.max(a, o, null, outer, red, inner);
          return [o];
        });
        const xi = randInt(outer * red * inner, 50);
        same(b, `sum/max int`, (be, mk) => {
          const a = mk(xi, "int64"),
            o = mk(outer * inner, "int64"),
            m = mk(outer * inner, "int64"),
            ix = mk(outer * inner, "int64");
          be.sum(a, o, outer, red, inner);
          be.max(a, m, ix, outer, red, inner);
          return [o, m, ix];
        });
      }
    });

    it("gemm: transposes, batch, broadcast, bias, beta, offsets", () => {
      const dims = [
        [1, 1, 1],
        [3, 17, 5],
        [17, 3, 129],
        [129, 65, 33],
        [2, 1, 7],
        [64, 100, 70],
      ];
      for (const [M, N, K] of dims)
        for (const transA of [false, true])
          for (const transB of [false, true]) {
            for (const [batch, aS, bS] of [
              [1, M * K, K * N],
              [3, M * K, K * N],
              [3, 0, K * N],
              [2, M * K, 0],
            ]) {
              for (const [beta, withBias] of [
                [0, false],
                [1, true],
                [0, true],
              ] as [0 | 1, boolean][]) {
                const aOff = 3,
                  bOff = 1,
                  cOff = 2;
                const A = rand(aOff + (batch - 1) * aS + M * K, M + K),
                  B = rand(bOff + (batch - 1) * bS + K * N, K + N + 1);
                const C0 = rand(cOff + batch * M * N, 5),
                  bias = rand(N, 9);
                same(
                  b,
                  `gemm ${batch}x${M}x${N}x${K} tA=${transA} tB=${transB} beta=${beta} bias=${withBias} aS=${aS} bS=${bS}`,
                  (be, mk) => {
                    const a = mk(A),
                      bb = mk(B),
                      c = mk(C0),
                      bi = withBias ? mk(bias) : null;
                    be.gemm({
                      batch,
                      M,
                      N,
                      K,
                      a,
                      aOff,
                      aStride: aS,
                      transA,
                      b: bb,
                      bOff,
                      bStride: bS,
                      transB,
                      c,
                      cOff,
                      cStride: M * N,
                      beta,
                      bias: bi,
                    });
                    return [c];
                  },
                  1e-4,
                  1e-4 * Math.sqrt(K),
                );
              }
            }
          }
    });

    it("softmax / logSoftmax and their gradients", () => {
      for (const [outer, dim, inner] of [
        [3, 17, 1],
        [2, 5, 7],
        [1, 129, 1],
        [4, 1, 3],
        [1, 10, 33],
      ]) {
        const n = outer * dim * inner;
        const x = rand(n, dim * 3 + inner, -8, 8).map((v, i) => (i === 2 ? -Infinity : v));
        for (const log of [false, true]) {
          same(
            b,
            `softmax log=${log} ${outer},${dim},${inner}`,
            (be, mk) => {
              const a = mk(x),
                y = mk(n),
                g = mk(rand(n, 4)),
                gx = mk(n);
              be.softmax(a, y, outer, dim, inner, log);
              be.softmaxGrad(y, g, gx, outer, dim, inner, log);
              return [y, gx];
            },
            1e-5,
            1e-6,
          );
        }
      }
      same(b, "softmax NaN row", (be, mk) => {
        const a = mk([1, NaN, 2, 3, 4, 5]),
          y = mk(6);
        be.softmax(a, y, 2, 3, 1, false);
        return [y];
      });
    });

    it("nll and nllGrad (weights, ignoreIndex, inner > 1)", () => {
      for (const [N, C, inner] of [
        [5, 3, 1],
        [17, 10, 1],
        [2, 4, 7],
      ]) {
        const logp = rand(N * C * inner, C, -4, 0);
        const t = randInt(N * inner, C, N).map((v, i) => (i % 5 === 1 ? -100 : v));
        const w = rand(C, 3, 0.1, 2);
        for (const weighted of [false, true]) {
          same(b, `nll ${N},${C},${inner} w=${weighted}`, (be, mk) => {
            const lp = mk(logp),
              tt = mk(t, "int64"),
              ww = weighted ? mk(w) : null,
              l = mk(N * inner),
              wo = mk(N * inner),
              g = mk(rand(N * inner, 8)),
              gx = mk(N * C * inner);
            be.nll(lp, tt, ww, l, wo, N, C, inner, -100);
            be.nllGrad(g, tt, ww, gx, N, C, inner, -100);
            return [l, wo, gx];
          });
        }
      }
      const lp = b.alloc(6, "float32"),
        t = b.alloc(2, "int64"),
        l = b.alloc(2, "float32"),
        wo = b.alloc(2, "float32");
      (b.view(t) as Int32Array).set([1, 3]);
      expect(() => b.nll(lp, t, null, l, wo, 2, 3, 1, -100)).toThrow(RangeError);
      expect(() => b.nll(lp, t, null, l, wo, 2, 3, 1, -100)).toThrow(/target 3 is out of bounds/);
      for (const s of [lp, t, l, wo]) b.free(s);
    });

    it("conv, convGradInput, convGradWeight: stride, padding, dilation, groups, 1-d/2-d/3-d", () => {
      const geoms: ConvGeom[] = [
        convGeom(2, 3, 4, 1, [1, 7, 9], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 1, 1]),
        convGeom(3, 4, 6, 2, [1, 8, 7], [1, 3, 2], [1, 2, 3], [0, 2, 1], [1, 1, 2]),
        convGeom(1, 6, 6, 6, [1, 5, 5], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 2, 2]),
        convGeom(4, 5, 3, 1, [1, 6, 6], [1, 1, 1], [1, 1, 1], [0, 0, 0], [1, 1, 1]),
        convGeom(2, 4, 6, 2, [1, 5, 3], [1, 1, 1], [1, 1, 1], [0, 0, 0], [1, 1, 1]),
        convGeom(2, 3, 5, 1, [1, 1, 17], [1, 1, 3], [1, 1, 2], [0, 0, 1], [1, 1, 1]),
        convGeom(2, 2, 3, 1, [5, 4, 6], [3, 2, 3], [2, 1, 2], [1, 1, 0], [1, 2, 1]),
        convGeom(1, 3, 2, 1, [1, 4, 4], [1, 2, 2], [1, 3, 3], [0, 0, 0], [1, 1, 1]),
        convGeom(3, 16, 17, 1, [1, 12, 11], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 1, 1]),
        convGeom(1, 8, 33, 1, [1, 16, 16], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 1, 1]),
      ];
      for (const g of geoms) {
        const n = numel(g);
        const x = rand(n.x, n.x),
          w = rand(n.w, n.w + 1),
          bias = rand(g.O, 3),
          gy = rand(n.y, n.y + 2);
        const tag = `conv N${g.N} C${g.C} O${g.O} g${g.groups} in ${g.inD}x${g.inH}x${g.inW} k ${g.kD}x${g.kH}x${g.kW} s ${g.sD}${g.sH}${g.sW} p ${g.pD}${g.pH}${g.pW} d ${g.dD}${g.dH}${g.dW}`;
        const K = (g.C / g.groups) * g.kD * g.kH * g.kW;
        for (const withBias of [true, false]) {
          same(
            b,
            `${tag} bias=${withBias}`,
            (be, mk) => {
              const xx = mk(x),
                ww = mk(w),
                bb = withBias ? mk(bias) : null,
                y = mk(n.y);
              be.conv(g, xx, ww, bb, y);
              return [y];
            },
            1e-4,
            1e-5 * K,
          );
        }
        same(
          b,
          `${tag} gradInput`,
          (be, mk) => {
            const gg = mk(gy),
              ww = mk(w),
              gx = mk(n.x);
            be.convGradInput(g, gg, ww, gx);
            return [gx];
          },
          1e-4,
          1e-5 * g.O,
        );
        same(
          b,
          `${tag} gradWeight`,
          (be, mk) => {
            const xx = mk(x),
              gg = mk(gy),
              gw = mk(n.w),
              gb = mk(g.O);
            be.convGradWeight(g, xx, gg, gw, gb);
            return [gw, gb];
          },
          1e-4,
          1e-5 * g.N * g.outH * g.outW * g.outD,
        );
        same(
          b,
          `${tag} gradWeight no bias`,
          (be, mk) => {
            const xx = mk(x),
              gg = mk(gy),
              gw = mk(n.w);
            be.convGradWeight(g, xx, gg, gw, null);
            return [gw];
          },
          1e-4,
          1e-5 * g.N * g.outH * g.outW * g.outD,
        );
      }
    });

    it("pooling: max, avg (countIncludePad, divisorOverride, ceil mode), adaptive, gradients", () => {
      const geoms: PoolGeom[] = [
        poolGeom(3, 7, 9, 2, 2, 0, 1, false),
        poolGeom(2, 8, 8, 3, 2, 1, 1, false),
        poolGeom(5, 7, 7, 3, 2, 1, 1, true),
        poolGeom(1, 9, 11, 3, 1, 1, 2, false),
        poolGeom(4, 5, 5, 2, 3, 0, 1, true),
        poolGeom(64, 24, 24, 2, 2, 0, 1, false),
        poolGeom(2, 1, 1, 1, 1, 0, 1, false),
        // 2x2/2 rows of 3, 7, 14 and 15 outputs (scalar, 4-wide, 8-wide + overlapping tails)
        poolGeom(2, 4, 6, 2, 2, 0, 1, false),
        poolGeom(3, 14, 14, 2, 2, 0, 1, false),
        poolGeom(2, 6, 28, 2, 2, 0, 1, false),
        poolGeom(2, 5, 31, 2, 2, 0, 1, true),
      ];
      for (const g of geoms) {
        const ni = g.NC * g.H * g.W,
          no = g.NC * g.oH * g.oW;
        const x = rand(ni, ni).map((v, i) => (i % 37 === 5 ? NaN : v)),
          gy = rand(no, no);
        const tag = `pool NC${g.NC} ${g.H}x${g.W} k${g.kH} s${g.sH} p${g.pH} d${g.dH} -> ${g.oH}x${g.oW}`;
        same(b, `maxPool2d ${tag}`, (be, mk) => {
          const xx = mk(x),
            y = mk(no),
            ix = mk(no, "int64"),
            gg = mk(gy),
            gx = mk(ni);
          be.maxPool2d(g, xx, y, ix);
          be.indexPoolGrad(gg, ix, gx, g.NC, g.H * g.W, g.oH * g.oW);
          return [y, ix, gx];
        });
        same(b, `maxPool2d without indices ${tag}`, (be, mk) => {
          const xx = mk(x),
            y = mk(no);
          be.maxPool2d(g, xx, y, null);
          return [y];
        });
        if (g.dH !== 1) continue;
        const xf = rand(ni, ni + 1);
        for (const [cip, div] of [
          [true, 0],
          [false, 0],
          [true, 3],
        ] as [boolean, number][]) {
          same(b, `avgPool2d ${tag} cip=${cip} div=${div}`, (be, mk) => {
            const xx = mk(xf),
              y = mk(no),
              gg = mk(gy),
              gx = mk(ni);
            be.avgPool2d(g, xx, y, cip, div);
            be.avgPool2dGrad(g, gg, gx, cip, div);
            return [y, gx];
          });
        }
      }
      for (const [NC, H, W, oH, oW] of [
        [3, 7, 9, 3, 4],
        [2, 5, 5, 1, 1],
        [1, 4, 6, 4, 6],
        [2, 3, 3, 5, 4],
        [64, 10, 10, 3, 3],
      ]) {
        const ni = NC * H * W,
          no = NC * oH * oW;
        const x = rand(ni, ni + 3),
          gy = rand(no, no + 3);
        same(b, `adaptive ${NC} ${H}x${W}->${oH}x${oW}`, (be, mk) => {
          const xx = mk(x),
            y = mk(no),
            gg = mk(gy),
            gx = mk(ni),
            ym = mk(no),
            ix = mk(no, "int64");
          be.adaptiveAvgPool2d(NC, H, W, oH, oW, xx, y);
          be.adaptiveAvgPool2dGrad(NC, H, W, oH, oW, gg, gx);
          be.adaptiveMaxPool2d(NC, H, W, oH, oW, xx, ym, ix);
          return [y, gx, ym, ix];
        });
      }
    });

    it("batch norm: channelStats, channelNormalize, batchNormGrad", () => {
      for (const [N, C, S] of [
        [4, 3, 17],
        [1, 5, 1],
        [17, 2, 3],
        [8, 16, 64],
      ]) {
        const n = N * C * S,
          x = rand(n, n, -1, 3),
          gy = rand(n, n + 1);
        const w = rand(C, 4, 0.5, 1.5),
          bb = rand(C, 5);
        for (const affine of [true, false])
          for (const training of [true, false]) {
            same(
              b,
              `bn ${N},${C},${S} affine=${affine} training=${training}`,
              (be, mk) => {
                const xx = mk(x),
                  m = mk(C),
                  v = mk(C),
                  r = mk(C),
                  y = mk(n),
                  ww = affine ? mk(w) : null,
                  b2 = affine ? mk(bb) : null;
                be.channelStats(xx, N, C, S, m, v);
                const inv = be.view(r),
                  vv = be.view(v);
                for (let c = 0; c < C; c++) inv[c] = 1 / Math.sqrt(vv[c] + 1e-5);
                be.channelNormalize(xx, N, C, S, m, r, ww, b2, y);
                const g = mk(gy),
                  gx = mk(n),
                  gw = mk(C),
                  gb = mk(C);
                be.batchNormGrad(xx, g, N, C, S, m, r, ww, training, gx, affine ? gw : null, affine ? gb : null);
                const gx2 = mk(n);
                be.batchNormGrad(xx, g, N, C, S, m, r, ww, training, gx2, null, null);
                return [m, v, y, gx, gw, gb, gx2];
              },
              1e-4,
              1e-5,
            );
          }
      }
    });

    it("layerNorm and layerNormGrad", () => {
      for (const [rows, cols] of [
        [3, 17],
        [1, 129],
        [17, 1],
        [64, 100],
      ]) {
        const n = rows * cols,
          x = rand(n, n, -2, 4),
          gy = rand(n, n + 1),
          w = rand(cols, 3),
          bb = rand(cols, 4);
        for (const affine of [true, false]) {
          same(
            b,
            `layerNorm ${rows}x${cols} affine=${affine}`,
            (be, mk) => {
              const xx = mk(x),
                y = mk(n),
                m = mk(rows),
                r = mk(rows),
                ww = affine ? mk(w) : null,
                b2 = affine ? mk(bb) : null;
              be.layerNorm(xx, rows, cols, 1e-5, ww, b2, y, m, r);
              const g = mk(gy),
                gx = mk(n),
                gw = mk(cols),
                gb = mk(cols);
              be.layerNormGrad(xx, g, rows, cols, m, r, ww, gx, affine ? gw : null, affine ? gb : null);
              return [y, m, r, gx, gw, gb];
            },
            1e-4,
            1e-5,
          );
        }
      }
    });

    it("embedding and embeddingGrad (paddingIdx, range errors)", () => {
      for (const [n, dim, ne] of [
        [5, 3, 7],
        [129, 17, 10],
        [1, 1, 1],
      ]) {
        const w = rand(ne * dim, ne + dim),
          idx = randInt(n, ne, n + 1),
          gy = rand(n * dim, n);
        for (const pad of [-1, 0, 2]) {
          same(b, `embedding ${n},${dim},${ne} pad=${pad}`, (be, mk) => {
            const ww = mk(w),
              ix = mk(idx, "int64"),
              o = mk(n * dim),
              g = mk(gy),
              gw = mk(ne * dim);
            be.embedding(ww, ix, o, n, dim, ne);
            be.embeddingGrad(g, ix, gw, n, dim, pad);
            return [o, gw];
          });
        }
      }
      const w = b.alloc(6, "float32"),
        ix = b.alloc(2, "int64"),
        o = b.alloc(6, "float32");
      (b.view(ix) as Int32Array).set([0, 3]);
      expect(() => b.embedding(w, ix, o, 2, 3, 2)).toThrow(RangeError);
      for (const s of [w, ix, o]) b.free(s);
    });

    it("LSTM and GRU cells with offsets, and their gradients", () => {
      for (const [B, H] of [
        [1, 1],
        [3, 17],
        [2, 64],
      ]) {
        const off = 5,
          go = 3,
          ao = 7; // offsets of the states, gates and activations
        const gates = rand(go + B * 4 * H, B + H, -3, 3),
          cPrev = rand(off + B * H, 7),
          gh = rand(off + B * H, 8),
          gc = rand(B * H, 9);
        same(
          b,
          `lstm ${B}x${H}`,
          (be, mk) => {
            const g = mk(gates),
              cp = mk(cPrev),
              h = mk(off + B * H),
              c = mk(off + B * H),
              act = mk(ao + B * 4 * H);
            be.lstmCell(g, go, cp, off, h, off, c, off, act, ao, B, H);
            const ghh = mk(gh),
              gcc = mk(gc),
              gg = mk(go + B * 4 * H),
              gcp = mk(B * H);
            be.lstmCellGrad(act, ao, cp, off, c, off, ghh, off, gcc, gg, go, gcp, B, H);
            return [h, c, act, gg, gcp];
          },
          1e-5,
          1e-6,
        );
        const gi = rand(go + B * 3 * H, 11, -3, 3),
          ghv = rand(B * 3 * H, 12, -3, 3),
          hPrev = rand(off + B * H, 13),
          gH = rand(off + B * H, 14);
        same(
          b,
          `gru ${B}x${H}`,
          (be, mk) => {
            const a = mk(gi),
              c = mk(ghv),
              hp = mk(hPrev),
              h = mk(off + B * H),
              act = mk(ao + B * 4 * H);
            be.gruCell(a, go, c, hp, off, h, off, act, ao, B, H);
            const g = mk(gH),
              ggi = mk(go + B * 3 * H),
              ggh = mk(ao + B * 3 * H),
              ghp = mk(B * H);
            be.gruCellGrad(act, ao, hp, off, g, off, ggi, go, ggh, ao, ghp, B, H);
            return [h, act, ggi, ggh, ghp];
          },
          1e-5,
          1e-6,
        );
      }
    });

    it("optimiser steps: SGD (momentum, dampening, nesterov, decay) and Adam/AdamW", () => {
      for (const n of [1, 17, 1000]) {
        const p = rand(n, n),
          g = rand(n, n + 1),
          buf = rand(n, n + 2);
        for (const [mom, damp, wd, nest, first] of [
          [0, 0, 0, false, false],
          [0.9, 0, 1e-2, false, true],
          [0.9, 0.1, 0, false, false],
          [0.9, 0, 1e-4, true, false],
        ] as [number, number, number, boolean, boolean][]) {
          same(b, `sgd n=${n} ${mom},${damp},${wd},${nest},${first}`, (be, mk) => {
            const pp = mk(p),
              gg = mk(g),
              bb = mom ? mk(buf) : null;
            be.sgdStep(pp, gg, bb, 0.1, mom, damp, wd, nest, first);
            be.sgdStep(pp, gg, bb, 0.1, mom, damp, wd, nest, false);
            return [pp, bb];
          });
        }
        for (const [wd, dec] of [
          [0, false],
          [1e-2, false],
          [1e-2, true],
        ] as [number, boolean][]) {
          same(
            b,
            `adam n=${n} wd=${wd} decoupled=${dec}`,
            (be, mk) => {
              const pp = mk(p),
                gg = mk(g),
                m = mk(n),
                v = mk(n);
              be.fill(m, 0);
              be.fill(v, 0);
              for (let step = 1; step <= 3; step++) be.adamStep(pp, gg, m, v, 1e-3, 0.9, 0.999, 1e-8, wd, step, dec);
              return [pp, m, v];
            },
            1e-5,
            1e-7,
          );
        }
      }
    });
  });
}
