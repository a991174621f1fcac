// The conv fast paths of the Rust kernels (crates/kernels/src/conv.rs) against the js reference:
// implicit GEMM into packed panels (stride 1, same width, K >= 256), L2-sized column blocks that
// split output rows, the bias folded into the GEMM, stride-2 inputs split into even/odd columns,
// channel-chunked grad-input (few images), grad-weight blocks spanning images, on odd sizes,
// padding, dilation and groups, with 1 and 2 threads on wasm and native.

import { describe, it, beforeAll, afterAll } from "vitest";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import type { Backend, ConvGeom } from "../ts/backends/types.js";
import { convGeom, numel, rand, same } from "./kernel-compare.js";

const one = [1, 1, 1];

const GEOMS: [string, ConvGeom][] = [
  // packed implicit GEMM (K = 32*9 >= 256), several L2 blocks splitting rows, odd O
  ["3x3 p1 K288 blocks", convGeom(2, 32, 17, 1, [1, 29, 31], [1, 3, 3], one, [0, 1, 1], one)],
  ["3x3 p1 K630 O129", convGeom(1, 70, 129, 1, [1, 13, 13], [1, 3, 3], one, [0, 1, 1], one)],
  ["3x3 p1 groups 2 K288", convGeom(2, 64, 6, 2, [1, 9, 17], [1, 3, 3], one, [0, 1, 1], one)],
  ["dilated 3x3 d2 p2 K288", convGeom(1, 32, 5, 1, [1, 11, 10], [1, 3, 3], one, [0, 2, 2], [1, 2, 2])],
  ["5x5 p2 K300", convGeom(3, 12, 3, 1, [1, 7, 5], [1, 5, 5], one, [0, 2, 2], one)],
  ["1-wide 3x1", convGeom(2, 30, 4, 1, [1, 17, 1], [1, 3, 1], one, [0, 1, 0], one)],
  ["padding beyond reach", convGeom(1, 32, 3, 1, [1, 3, 3], [1, 3, 3], one, [0, 3, 1], one)],
  // row-contiguous blocks: shallow K, SimpleCNN-like
  ["simplecnn conv1", convGeom(5, 1, 16, 1, [1, 28, 28], [1, 3, 3], one, [0, 1, 1], one)],
  ["simplecnn conv2", convGeom(3, 16, 32, 1, [1, 14, 14], [1, 3, 3], one, [0, 1, 1], one)],
  ["asymmetric pad (height shrinks)", convGeom(2, 4, 5, 1, [1, 11, 10], [1, 3, 3], one, [0, 0, 1], one)],
  // stride 2 (stem-like, even/odd split), stride 3, odd sizes
  ["stem-like 7x7 s2 p3", convGeom(1, 3, 64, 1, [1, 37, 41], [1, 7, 7], [1, 2, 2], [0, 3, 3], one)],
  ["7x7 s2 p3 odd width", convGeom(2, 3, 17, 1, [1, 30, 29], [1, 7, 7], [1, 2, 2], [0, 3, 3], one)],
  ["3x4 s3x2 d2x1", convGeom(2, 5, 7, 1, [1, 13, 17], [1, 3, 4], [1, 3, 2], [0, 1, 2], [1, 2, 1])],
  ["1x1 s2 groups", convGeom(2, 8, 12, 2, [1, 9, 9], [1, 1, 1], [1, 2, 2], [0, 0, 0], one)],
  // 3-d, many tiny images (grad-weight blocks span images), degenerate
  ["3-d", convGeom(2, 3, 4, 1, [4, 5, 6], [2, 3, 3], one, [1, 1, 1], one)],
  ["9 tiny images", convGeom(9, 2, 3, 1, [1, 5, 5], [1, 3, 3], one, [0, 1, 1], one)],
  ["1x1 image 3x3", convGeom(1, 1, 1, 1, [1, 1, 1], [1, 3, 3], one, [0, 1, 1], one)],
];

const variants: [string, () => Promise<Backend>][] = [
  ["wasm", () => createWasmBackend({})],
  ["wasm simd128", () => createWasmBackend({ wasmUrl: new URL("../build/torchlet-simd.wasm", import.meta.url) })],
  ["wasm threads=2", () => createWasmBackend({ threads: 2 })],
  ["native", () => createNativeBackend({})],
  ["native threads=2", () => createNativeBackend({ threads: 2 })],
];

for (const [title, create] of variants) {
  describe(`conv fast paths: ${title}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await create();
    });
    afterAll(async () => {
      await (b as any)?.dispose?.();
    });

    for (const [name, g] of GEOMS) {
      it(name, () => {
        const n = numel(g);
        const x = rand(n.x, n.x),
          w = rand(n.w, n.w + 1),
          bias = rand(g.O, 3),
          gy = rand(n.y, n.y + 2);
        const K = (g.C / g.groups) * g.kD * g.kH * g.kW;
        for (const withBias of [true, false]) {
          same(
            b,
            `${name} bias=${withBias}`,
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
          `${name} gradInput`,
          (be, mk) => {
            const gg = mk(gy),
              ww = mk(w),
              gx = mk(n.x);
            be.convGradInput(g, gg, ww, gx);
            return [gx];
          },
          1e-4,
          1e-5 * g.O * g.kH * g.kW,
        );
        same(
          b,
          `${name} gradWeight`,
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
      });
    }
  });
}
