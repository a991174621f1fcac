// The index kernels of the Rust backends (gather, scatter, whereStrided, scan, sort) against the js
// reference, call by call, on odd sizes, with outputs pre-filled with NaN (an unwritten element
// fails), on wasm and native with 1 and 2 threads.
import { describe, it, expect, beforeAll } from "vitest";
import type { Backend } from "../ts/backends/types.js";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import { BACKENDS } from "./util.js";
import { rand, randInt, same } from "./kernel-compare.js";

const makers: [string, () => Promise<Backend>][] = [];
for (const threads of [1, 2]) {
  if (BACKENDS.includes("wasm")) makers.push([`wasm ${threads}t`, () => createWasmBackend({ threads })]);
  if (BACKENDS.includes("native")) makers.push([`native ${threads}t`, () => createNativeBackend({ threads })]);
}

for (const [name, make] of makers) {
  describe(`index kernels [${name}]`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await make();
    });
    const geoms: [number, number, number, number][] = [
      [1, 5, 3, 1],
      [3, 7, 4, 5],
      [2, 1, 6, 3],
      [5, 33, 17, 9],
      [64, 40, 50, 16],
    ];

    it("gather (full and row index), float32 / int64 / bool values", () => {
      for (const [o, n, m, i] of geoms) {
        const x = rand(o * n * i, o + n),
          ix = randInt(o * m * i, n, m),
          rows = randInt(m, n, m + 1);
        same(
          b,
          `gather ${o},${n},${m},${i}`,
          (be, mk) => {
            const xs = mk(x),
              idx = mk(ix, "int64"),
              r = mk(rows, "int64"),
              out = mk(o * m * i),
              out2 = mk(o * m * i);
            be.gather(xs, idx, out, o, n, m, i, false);
            be.gather(xs, r, out2, o, n, m, i, true);
            const xi = mk(randInt(o * n * i, 1000, 7), "int64"),
              oi = mk(o * m * i, "int64");
            const xb = mk(randInt(o * n * i, 2, 8), "bool"),
              ob = mk(o * m * i, "bool");
            be.gather(xb, idx, ob, o, n, m, i, false);
            be.gather(xi, idx, oi, o, n, m, i, false);
            return [out, out2, oi, ob];
          },
          0,
          0,
        );
      }
      const x = b.alloc(4, "float32"),
        ix = b.alloc(1, "int64"),
        out = b.alloc(1, "float32");
      b.view(ix).set([4]);
      expect(() => b.gather(x, ix, out, 1, 4, 1, 1, false)).toThrow("index 4 is out of bounds for size 4");
      for (const s of [x, ix, out]) b.free(s);
    });
    it("scatter: accumulate, set, scalar value, row index", () => {
      for (const [o, n, m, i] of geoms) {
        const base = rand(o * n * i, 3),
          src = rand(o * m * i, 4),
          ix = randInt(o * m * i, n, 5),
          rows = randInt(m, n, 6);
        same(
          b,
          `scatter ${o},${n},${m},${i}`,
          (be, mk) => {
            const s = mk(src),
              idx = mk(ix, "int64"),
              r = mk(rows, "int64");
            const a = mk(base),
              c = mk(base),
              d = mk(base);
            be.scatter(s, 0, idx, a, o, n, m, i, false, true);
            be.scatter(null, -2.5, idx, c, o, n, m, i, false, false);
            be.scatter(s, 0, r, d, o, n, m, i, true, true);
            return [a, c, d];
          },
          1e-5,
          1e-5,
        );
      }
    });
    it("whereStrided over broadcast, transposed and offset operands", () => {
      const shape = [3, 4, 5],
        n = 60;
      const cond = randInt(20, 2, 1),
        a = rand(70, 2),
        bb = rand(5, 3);
      same(
        b,
        "whereStrided",
        (be, mk) => {
          const c = mk(cond, "bool"),
            x = mk(a),
            y = mk(bb),
            out = mk(n),
            out2 = mk(n);
          // cond [4, 5] broadcast over dim 0; a read transposed from offset 3; b [5] broadcast
          be.whereStrided(c, 0, [0, 5, 1], x, 3, [1, 3, 12], y, 0, [0, 0, 1], out, shape);
          be.whereStrided(c, 0, [0, 5, 1], y, 2, [0, 0, 0], x, 0, [20, 5, 1], out2, shape);
          return [out, out2];
        },
        0,
        0,
      );
    });
    it("scan: sum / prod, forward / reverse, inclusive / exclusive", () => {
      for (const [o, n, , i] of geoms) {
        const x = rand(o * n * i, 9, -1.2, 1.2);
        same(
          b,
          `scan ${o},${n},${i}`,
          (be, mk) => {
            const xs = mk(x),
              outs = [];
            for (const op of ["sum", "prod"] as const)
              for (const rev of [false, true])
                for (const ex of [false, true]) {
                  const out = mk(o * n * i);
                  be.scan(op, xs, out, o, n, i, rev, ex);
                  outs.push(out);
                }
            return outs;
          },
          1e-6,
          1e-6,
        );
      }
    });
    it("sort and topk (ties, NaN, descending) with int64 positions", () => {
      for (const [o, n, , i] of geoms) {
        const x = randInt(o * n * i, 7, 2).map((v) => (v === 6 ? NaN : v - 3));
        for (const k of [n, Math.max(1, n >> 1), 1]) {
          same(
            b,
            `sort ${o},${n},${i} k${k}`,
            (be, mk) => {
              const xs = mk(x),
                v1 = mk(o * k * i),
                i1 = mk(o * k * i, "int64"),
                v2 = mk(o * k * i),
                i2 = mk(o * k * i, "int64");
              be.sort(xs, v1, i1, o, n, i, k, false);
              be.sort(xs, v2, i2, o, n, i, k, true);
              return [v1, i1, v2, i2];
            },
            0,
            0,
          );
        }
      }
    });
  });
}
