// The Rust kernels of the elementwise math and activation ops (crates/kernels/src/activation.rs via
// elementwise::unary_p / unary_grad_p) against the js reference, forward and gradient, on odd sizes
// (SIMD bodies and tails), special values, and with non-default parameters.

import { describe, it, beforeAll, afterAll } from "vitest";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import type { Backend, UnaryOp } from "../ts/backends/types.js";
import { rand, same } from "./kernel-compare.js";

const SIZES = [1, 7, 16, 17, 63, 257, 1001];
const SPECIAL = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 3, -3, 6, 20, -20, 88, -88, 0.5, -0.5];

/** op, input range, parameter sets ([] = the op's defaults). */
const OPS: [UnaryOp, [number, number], number[][]][] = [
  ["gelu", [-6, 6], [[]]],
  ["geluTanh", [-6, 6], [[]]],
  ["silu", [-10, 10], [[]]],
  ["mish", [-10, 10], [[]]],
  ["hardswish", [-5, 5], [[]]],
  ["hardsigmoid", [-5, 5], [[]]],
  ["softsign", [-5, 5], [[]]],
  ["logsigmoid", [-30, 30], [[]]],
  ["tanhshrink", [-4, 4], [[]]],
  ["leakyRelu", [-3, 3], [[], [0.2], [-1.5]]],
  ["elu", [-5, 3], [[], [0.5, 1, 1], [1.6732632423543772, 1.0507009873554805, 1], [2, 1, 0.5]]],
  ["hardtanh", [-8, 8], [[], [0, 6], [-2, 0.5]]],
  ["softplus", [-30, 30], [[], [2, 5], [0.5, 10]]],
  ["softshrink", [-2, 2], [[], [1]]],
  ["hardshrink", [-2, 2], [[], [0.3]]],
  [
    "threshold",
    [-2, 2],
    [
      [0.1, 20],
      [-1, -5],
    ],
  ],
  ["nanToNum", [-3, 3], [[], [1, 100, -100]]],
  ["sign", [-3, 3], [[]]],
  ["floor", [-5, 5], [[]]],
  ["ceil", [-5, 5], [[]]],
  ["round", [-5, 5], [[]]],
  ["trunc", [-5, 5], [[]]],
  ["frac", [-5, 5], [[]]],
  ["sin", [-10, 10], [[]]],
  ["cos", [-10, 10], [[]]],
  ["tan", [-1.5, 1.5], [[]]],
  ["asin", [-1, 1], [[]]],
  ["acos", [-1, 1], [[]]],
  ["atan", [-10, 10], [[]]],
  ["sinh", [-5, 5], [[]]],
  ["cosh", [-5, 5], [[]]],
  ["erf", [-5, 5], [[]]],
  ["erfinv", [-1, 1], [[]]],
  ["expm1", [-5, 5], [[]]],
  ["log1p", [-0.99, 10], [[]]],
  ["log2", [1e-3, 100], [[]]],
  ["log10", [1e-3, 100], [[]]],
  ["exp2", [-20, 20], [[]]],
];

const variants: [string, () => Promise<Backend>][] = [
  ["wasm", () => createWasmBackend({})],
  ["native", () => createNativeBackend({})],
];

for (const [title, create] of variants) {
  describe(`elementwise kernels: ${title} vs js`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await create();
    });
    afterAll(async () => {
      await (b as any)?.dispose?.();
    });

    it("binary atan2 / remainder / fmod / hypot (broadcast) and scalar remainder / fmod", () => {
      for (const op of ["atan2", "remainder", "fmod", "hypot"] as const) {
        for (const [m, n] of [
          [1, 1],
          [3, 17],
          [5, 33],
        ]) {
          const a = rand(m * n, m * 7 + n, -5, 5),
            bb = rand(n, n * 3 + 1, -3, 3).map((v) => (Math.abs(v) < 0.1 ? 0.5 : v));
          same(
            b,
            `${op} [${m},${n}] + [${n}]`,
            (be, mk) => {
              const x = mk(a),
                y = mk(bb),
                o = mk(m * n);
              be.binary(op, x, [n, 1], y, [0, 1], o, [m, n]);
              return [o];
            },
            2e-6,
            2e-6,
          );
        }
      }
      for (const op of ["remainder", "fmod"] as const) {
        for (const s of [1.5, -1.5, 0.3]) {
          same(
            b,
            `${op} scalar ${s}`,
            (be, mk) => {
              const x = mk(rand(1001, 9, -10, 10)),
                o = mk(1001);
              be.scalar(op, x, s, o);
              return [o];
            },
            2e-6,
            2e-6,
          );
        }
      }
    });

    it("rmsNorm / rmsNormGrad (with and without weight, odd row lengths)", () => {
      for (const [rows, cols] of [
        [1, 1],
        [3, 7],
        [5, 64],
        [2, 129],
        [4, 1000],
      ]) {
        for (const withW of [true, false]) {
          const x = rand(rows * cols, rows + cols),
            w = rand(cols, cols + 2),
            gy = rand(rows * cols, rows * 3 + cols);
          same(
            b,
            `rmsNorm ${rows}x${cols} w=${withW}`,
            (be, mk) => {
              const xs = mk(x),
                ws = withW ? mk(w) : null,
                y = mk(rows * cols),
                r = mk(rows);
              be.rmsNorm(xs, rows, cols, 1e-6, ws, y, r);
              return [y, r];
            },
            2e-5,
            2e-6,
          );
          same(
            b,
            `rmsNormGrad ${rows}x${cols} w=${withW}`,
            (be, mk) => {
              const xs = mk(x),
                ws = withW ? mk(w) : null,
                y = mk(rows * cols),
                r = mk(rows),
                g = mk(gy);
              const gx = mk(rows * cols),
                gw = mk(cols);
              be.rmsNorm(xs, rows, cols, 1e-6, ws, y, r);
              be.rmsNormGrad(xs, g, rows, cols, r, ws, gx, gw);
              return [gx, gw];
            },
            1e-4,
            1e-5,
          );
        }
      }
    });

    for (const [op, [lo, hi], params] of OPS) {
      it(`${op}: forward and gradient, odd sizes and parameters`, () => {
        for (const p of params) {
          for (const n of SIZES) {
            const x = rand(n, n * 31 + op.length, lo, hi),
              gy = rand(n, n + 5);
            // forward, then the gradient from the same x and the reference's y
            same(
              b,
              `${op}(${p}) n=${n}`,
              (be, mk) => {
                const xs = mk(x),
                  y = mk(n);
                be.unary(op, xs, y, p);
                return [y];
              },
              2e-6,
              2e-6,
            );
            same(
              b,
              `${op}'(${p}) n=${n}`,
              (be, mk) => {
                const xs = mk(x),
                  y = mk(n),
                  g = mk(gy),
                  gx = mk(n);
                be.unary(op, xs, y, p);
                be.unaryGrad(op, xs, y, g, gx, p);
                return [gx];
              },
              2e-5,
              2e-6,
            );
          }
          same(
            b,
            `${op}(${p}) special values`,
            (be, mk) => {
              const xs = mk(SPECIAL),
                y = mk(SPECIAL.length);
              be.unary(op, xs, y, p);
              return [y];
            },
            2e-6,
            2e-6,
          );
        }
      });
    }
  });
}
