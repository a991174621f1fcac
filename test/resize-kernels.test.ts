// The Rust pad / resample kernels (crates/kernels/src/resize.rs) against the js reference
// (ts/backends/js-resize.ts) on wasm and native, 1 and 2 threads, odd sizes, outputs pre-filled
// with NaN (kernel-compare.ts's `same`), every mode, forward and adjoint.

import { afterAll, beforeAll, describe, it } from "vitest";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import type { Backend, PadGeom, PadMode, ResampleGeom, ResampleMode } from "../ts/backends/types.js";
import { rand, same } from "./kernel-compare.js";

const variants: [string, () => Promise<Backend>][] = [
  ["wasm", () => createWasmBackend({})],
  ["wasm threads=2", () => createWasmBackend({ threads: 2 })],
  ["native", () => createNativeBackend({})],
  ["native threads=2", () => createNativeBackend({ threads: 2 })],
];

const padCases: [PadMode, number[], number[], number][] = [
  // [mode, input D,H,W, pads before D,H,W (after = out - in - before), NC]
  ["constant", [1, 5, 7], [0, 2, -1], 3],
  ["reflect", [1, 6, 9], [0, 3, 4], 5],
  ["replicate", [3, 4, 5], [2, 1, 3], 2],
  ["circular", [2, 5, 3], [1, 4, 2], 7],
];
const out = (i: number[], p: number[], extra: number[]) => i.map((n, k) => n + p[k] + extra[k]);

for (const [title, create] of variants) {
  describe(`resize kernels: ${title}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await create();
    });
    afterAll(async () => {
      await (b as any)?.dispose?.();
    });

    it("pad and padGrad, every mode (large enough to run threaded)", () => {
      for (const [mode, i, p, nc] of padCases) {
        for (const NC of [nc, 64]) {
          const [oD, oH, oW] = out(i, p, mode === "constant" ? [0, 1, 3] : [0, 2, 1]);
          const g: PadGeom = { NC, iD: i[0], iH: i[1], iW: i[2], oD, oH, oW, pD: p[0], pH: p[1], pW: p[2] };
          const ni = NC * i[0] * i[1] * i[2],
            no = NC * oD * oH * oW;
          same(b, `pad ${mode} NC=${NC}`, (be, mk) => {
            const y = mk(no);
            be.pad(g, mk(rand(ni, 1)), y, mode, 0.75);
            return [y];
          });
          same(b, `padGrad ${mode} NC=${NC}`, (be, mk) => {
            const gx = mk(ni);
            be.padGrad(g, mk(rand(no, 2)), gx, mode);
            return [gx];
          });
        }
      }
    });

    it("resample and resampleGrad, every mode, with and without scale factors and align_corners", () => {
      const modes: ResampleMode[] = ["nearest", "nearest-exact", "linear", "cubic"];
      const shapes: [number[], number[], number[]][] = [
        [
          [1, 1, 7],
          [1, 1, 17],
          [0, 0, 2.5],
        ],
        [
          [1, 5, 6],
          [1, 11, 3],
          [0, 0, 0],
        ],
        [
          [3, 4, 5],
          [7, 2, 9],
          [2.4, 0.6, 1.9],
        ],
      ];
      for (const mode of modes) {
        for (const [i, o, s] of shapes) {
          if (mode === "cubic" && i[0] > 1) continue;
          for (const alignCorners of mode.startsWith("nearest") ? [false] : [false, true]) {
            for (const NC of [3, 48]) {
              const g: ResampleGeom = {
                NC,
                mode,
                alignCorners,
                iD: i[0],
                iH: i[1],
                iW: i[2],
                oD: o[0],
                oH: o[1],
                oW: o[2],
                sD: s[0],
                sH: s[1],
                sW: s[2],
              };
              const ni = NC * i[0] * i[1] * i[2],
                no = NC * o[0] * o[1] * o[2];
              const tag = `${mode} ${i}->${o} s=${s} ac=${alignCorners} NC=${NC}`;
              same(
                b,
                `resample ${tag}`,
                (be, mk) => {
                  const y = mk(no);
                  be.resample(g, mk(rand(ni, 3)), y);
                  return [y];
                },
                1e-5,
                1e-5,
              );
              same(
                b,
                `resampleGrad ${tag}`,
                (be, mk) => {
                  const gx = mk(ni);
                  be.resampleGrad(g, mk(rand(no, 4)), gx);
                  return [gx];
                },
                1e-5,
                1e-5,
              );
            }
          }
        }
      }
    });
  });
}
