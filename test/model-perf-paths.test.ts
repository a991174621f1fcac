// The whole-model inference fast paths of the Rust kernels against the js reference, on every
// backend: the fused conv epilogue (activation none / relu / relu6 and a residual input, incl.
// NaN), the direct depthwise conv (groups == C, any channel multiplier; forward and backward),
// and max / avg pooling with padding, dilation and ceil_mode (interior windows on the SIMD rows,
// borders scalar), with and without indices, forward and backward. Odd sizes, batch 1 and 3,
// zero-size; 1 and 2 threads.

import { describe, it, beforeAll, afterAll, expect } from "vitest";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import { JsBackend } from "../ts/backends/js.js";
import type { Backend, ConvActivation, ConvGeom, PoolGeom } from "../ts/backends/types.js";
import { convGeom, numel, rand, same } from "./kernel-compare.js";
import * as torch from "../ts/index.js";
import { describeBackends, expectClose, values } from "./util.js";

const { F } = torch;

const one = [1, 1, 1];

/** Conv geometries taking each forward strategy: pointwise, row blocks, packed panels, the stem
 *  panels, depthwise (multiplier 1 and 2), a grouped non-depthwise conv. */
const EPI_GEOMS: [string, ConvGeom][] = [
  ["pointwise 1x1", convGeom(2, 12, 7, 1, [1, 9, 11], [1, 1, 1], one, [0, 0, 0], one)],
  ["3x3 p1 blocks", convGeom(1, 5, 9, 1, [1, 13, 11], [1, 3, 3], one, [0, 1, 1], one)],
  ["3x3 p1 K288 packed", convGeom(1, 32, 17, 1, [1, 15, 13], [1, 3, 3], one, [0, 1, 1], one)],
  ["stem 7x7 s2 p3", convGeom(1, 3, 16, 1, [1, 29, 31], [1, 7, 7], [1, 2, 2], [0, 3, 3], one)],
  ["depthwise 3x3", convGeom(3, 6, 6, 6, [1, 11, 13], [1, 3, 3], one, [0, 1, 1], one)],
  ["depthwise x2 s2", convGeom(1, 5, 10, 5, [1, 12, 9], [1, 3, 3], [1, 2, 2], [0, 1, 1], one)],
  ["groups 2", convGeom(1, 8, 6, 2, [1, 7, 9], [1, 3, 3], one, [0, 1, 1], one)],
  ["1-d", convGeom(2, 4, 5, 1, [1, 1, 17], [1, 1, 3], one, [0, 0, 1], one)],
  // few positions, many channels: the turned GEMM (positions as rows) on wide x86 panels, and
  // for convs that need an im2col on wasm's 8-wide panels
  ["3x3 on 6x6 40 ch (positions as rows)", convGeom(1, 24, 40, 1, [1, 6, 6], [1, 3, 3], one, [0, 1, 1], one)],
  ["7x7 64 ch b3 (positions as rows)", convGeom(3, 16, 64, 1, [1, 7, 7], [1, 3, 3], one, [0, 1, 1], one)],
  ["1x1 on 7x7 96 ch (positions as rows)", convGeom(1, 40, 96, 1, [1, 7, 7], [1, 1, 1], one, [0, 0, 0], one)],
  [
    "3x3 s2 d2 to 7x7 (positions as rows)",
    convGeom(2, 12, 32, 1, [1, 13, 14], [1, 3, 3], [1, 2, 2], [0, 2, 2], [1, 2, 2]),
  ],
  // strided 1x1 (ResNet's downsample): the read positions gathered, then the pointwise GEMM
  ["1x1 s2 subsampled", convGeom(2, 12, 7, 1, [1, 9, 12], [1, 1, 1], [1, 2, 2], [0, 0, 0], one)],
  ["1x1 s3x2 3-d subsampled", convGeom(1, 6, 9, 1, [3, 7, 8], [1, 1, 1], [2, 3, 2], [0, 0, 0], one)],
];

/** Depthwise geometries (groups == C; O = C * multiplier). */
const DW_GEOMS: [string, ConvGeom][] = [
  ["3x3 s1 p1 m1 b1", convGeom(1, 7, 7, 7, [1, 13, 17], [1, 3, 3], one, [0, 1, 1], one)],
  ["3x3 s1 p1 m1 b3 wide", convGeom(3, 4, 4, 4, [1, 9, 45], [1, 3, 3], one, [0, 1, 1], one)],
  ["3x3 s2 p1 m1 even", convGeom(1, 6, 6, 6, [1, 16, 16], [1, 3, 3], [1, 2, 2], [0, 1, 1], one)],
  ["3x3 s2 p1 m1 odd", convGeom(3, 5, 5, 5, [1, 15, 37], [1, 3, 3], [1, 2, 2], [0, 1, 1], one)],
  ["3x3 s1 p0 m2", convGeom(1, 3, 6, 3, [1, 10, 11], [1, 3, 3], one, [0, 0, 0], one)],
  ["3x3 s2 p2 m2", convGeom(3, 3, 6, 3, [1, 13, 21], [1, 3, 3], [1, 2, 2], [0, 2, 2], one)],
  ["3x3 d2 p2 m1", convGeom(1, 5, 5, 5, [1, 14, 19], [1, 3, 3], one, [0, 2, 2], [1, 2, 2])],
  ["5x5 s1 p2 m1", convGeom(1, 9, 9, 9, [1, 12, 23], [1, 5, 5], one, [0, 2, 2], one)],
  ["5x5 s2 p2 m1 b3", convGeom(3, 4, 4, 4, [1, 17, 19], [1, 5, 5], [1, 2, 2], [0, 2, 2], one)],
  ["5x5 d2 p1 m2", convGeom(1, 2, 4, 2, [1, 15, 16], [1, 5, 5], one, [0, 1, 1], [1, 2, 2])],
  ["3x5 s2x1 p1x2", convGeom(1, 3, 3, 3, [1, 11, 14], [1, 3, 5], [1, 2, 1], [0, 1, 2], one)],
  ["7x7 image 3x3", convGeom(1, 32, 32, 32, [1, 7, 7], [1, 3, 3], one, [0, 1, 1], one)],
  ["padding beyond reach", convGeom(1, 2, 2, 2, [1, 3, 4], [1, 3, 3], one, [0, 3, 2], one)],
  ["1x1 image", convGeom(2, 3, 3, 3, [1, 1, 1], [1, 3, 3], one, [0, 1, 1], one)],
  ["1x1 kernel", convGeom(1, 4, 8, 4, [1, 5, 6], [1, 1, 1], one, [0, 0, 0], one)],
  ["1-d k5", convGeom(2, 6, 6, 6, [1, 1, 29], [1, 1, 5], one, [0, 0, 2], one)],
  ["3-d", convGeom(1, 3, 3, 3, [4, 5, 6], [3, 3, 3], one, [1, 1, 1], one)],
  ["many channels 2 threads", convGeom(1, 96, 96, 96, [1, 21, 21], [1, 3, 3], [1, 2, 2], [0, 1, 1], one)],
  ["zero batch", convGeom(0, 3, 3, 3, [1, 5, 5], [1, 3, 3], one, [0, 1, 1], one)],
];

function poolGeom(NC: number, H: number, W: number, k: number[], s: number[], p: number[], d: number[], ceil = false) {
  const out = (n: number, i: number) => {
    const eff = d[i] * (k[i] - 1) + 1;
    let o = (ceil ? Math.ceil : Math.floor)((n + 2 * p[i] - eff) / s[i]) + 1;
    // PyTorch: the last window must start inside the input or the left padding
    if (ceil && (o - 1) * s[i] >= n + p[i]) o--;
    return Math.max(o, 0);
  };
  const g: PoolGeom = {
    NC,
    H,
    W,
    kH: k[0],
    kW: k[1],
    sH: s[0],
    sW: s[1],
    pH: p[0],
    pW: p[1],
    dH: d[0],
    dW: d[1],
    oH: out(H, 0),
    oW: out(W, 1),
  };
  return g;
}

const POOL_GEOMS: [string, PoolGeom][] = [
  ["resnet stem 3x3 s2 p1", poolGeom(5, 36, 38, [3, 3], [2, 2], [1, 1], [1, 1])],
  ["3x3 s2 p1 odd", poolGeom(3, 37, 41, [3, 3], [2, 2], [1, 1], [1, 1])],
  ["3x3 s1 p1", poolGeom(2, 19, 23, [3, 3], [1, 1], [1, 1], [1, 1])],
  ["2x2 s2 p1", poolGeom(3, 17, 20, [2, 2], [2, 2], [1, 1], [1, 1])],
  ["3x3 s2 p1 ceil", poolGeom(3, 20, 22, [3, 3], [2, 2], [1, 1], [1, 1], true)],
  ["3x3 s2 p0 ceil", poolGeom(2, 21, 24, [3, 3], [2, 2], [0, 0], [1, 1], true)],
  ["3x3 s2 p1 d2", poolGeom(2, 23, 27, [3, 3], [2, 2], [1, 1], [2, 2])],
  ["5x3 s3x2 p2x1", poolGeom(2, 25, 26, [5, 3], [3, 2], [2, 1], [1, 1])],
  ["4x4 s1 p2 wide", poolGeom(1, 9, 70, [4, 4], [1, 1], [2, 2], [1, 1])],
  ["small 2x3", poolGeom(2, 2, 3, [3, 3], [2, 2], [1, 1], [1, 1])],
  ["1x1 plane", poolGeom(3, 1, 1, [3, 3], [1, 1], [1, 1], [1, 1])],
  ["zero planes", poolGeom(0, 8, 8, [3, 3], [2, 2], [1, 1], [1, 1])],
];

const variants: [string, () => Promise<Backend>][] = [
  ["js", async () => new JsBackend()],
  ["wasm", () => createWasmBackend({})],
  ["wasm threads=2", () => createWasmBackend({ threads: 2 })],
  ["native", () => createNativeBackend({})],
  ["native threads=2", () => createNativeBackend({ threads: 2 })],
];

/** x with NaN at a few positions (every 97th element) when `nan`. */
function withNaN(v: number[], nan: boolean): number[] {
  if (!nan) return v;
  return v.map((a, i) => (i % 97 === 13 ? Number.NaN : a));
}

const ACTS: ConvActivation[] = ["none", "relu", "relu6"];

for (const [title, create] of variants) {
  describe(`model fast paths: ${title}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await create();
    });
    afterAll(async () => {
      await (b as any)?.dispose?.();
    });

    describe("depthwise conv", () => {
      for (const [name, g] of DW_GEOMS) {
        it(name, () => {
          const n = numel(g);
          const K = g.kD * g.kH * g.kW;
          const x = withNaN(rand(n.x, n.x + 7), name.includes("wide")),
            w = rand(n.w, n.w + 8),
            bias = rand(g.O, 9),
            gy = rand(n.y, n.y + 10),
            res = rand(n.y, n.y + 11, -3, 9);
          for (const [act, withRes, withBias] of [
            ["none", false, false],
            ["none", false, true],
            ["relu6", true, true],
            ["relu", false, true],
          ] as [ConvActivation, boolean, boolean][]) {
            same(
              b,
              `${name} act=${act} res=${withRes} bias=${withBias}`,
              (be, mk) => {
                const y = mk(n.y);
                be.conv(g, mk(x), mk(w), withBias ? mk(bias) : null, y, act, withRes ? mk(res) : null);
                return [y];
              },
              1e-4,
              1e-5 * K,
            );
          }
          // backward (MobileNet training): grad input, grad weight and bias
          same(
            b,
            `${name} backward`,
            (be, mk) => {
              const gx = mk(n.x),
                gw = mk(n.w),
                gb = mk(g.O);
              be.convGradInput(g, mk(gy), mk(w), gx);
              be.convGradWeight(g, mk(x.map((v) => (Number.isNaN(v) ? 0.5 : v))), mk(gy), gw, gb);
              return [gx, gw, gb];
            },
            1e-4,
            1e-4 * Math.max(K, g.N * g.outD * g.outH * g.outW),
          );
        });
      }
    });

    describe("pooling", () => {
      for (const [name, g] of POOL_GEOMS) {
        it(name, () => {
          const nin = g.NC * g.H * g.W,
            nout = g.NC * g.oH * g.oW;
          // ties (rounded values), signed zeros and NaN
          const x = rand(nin, nin + 3).map((v, i) =>
            i % 31 === 5 ? Number.NaN : i % 13 === 3 ? 0 : i % 13 === 4 ? -0 : Math.round(v * 4) / 4,
          );
          const gy = rand(nout, nout + 4);
          same(b, `${name} max`, (be, mk) => {
            const y = mk(nout);
            be.maxPool2d(g, mk(x), y, null);
            return [y];
          });
          same(b, `${name} max with indices + backward`, (be, mk) => {
            const y = mk(nout),
              ix = mk(nout, "int64"),
              gx = mk(nin);
            be.maxPool2d(g, mk(x), y, ix);
            be.indexPoolGrad(mk(gy), ix, gx, g.NC, g.H * g.W, g.oH * g.oW);
            return [y, ix, gx];
          });
          // avg pools take no dilation
          if (g.dH === 1 && g.dW === 1 && 2 * g.pH <= g.kH && 2 * g.pW <= g.kW) {
            for (const [cip, div] of [
              [true, 0],
              [false, 0],
              [true, 3],
            ] as [boolean, number][]) {
              same(b, `${name} avg cip=${cip} div=${div}`, (be, mk) => {
                const y = mk(nout),
                  gx = mk(nin);
                be.avgPool2d(g, mk(x.map((v) => (Number.isNaN(v) ? 1 : v))), y, cip, div);
                be.avgPool2dGrad(g, mk(gy), gx, cip, div);
                return [y, gx];
              });
            }
          }
        });
      }
    });

    describe("conv epilogue", () => {
      for (const [name, g] of EPI_GEOMS) {
        it(name, () => {
          const n = numel(g);
          const K = (g.C / g.groups) * g.kD * g.kH * g.kW;
          // wide values so outputs cross both 0 and 6
          for (const nan of [false, true]) {
            const x = withNaN(rand(n.x, n.x, -3, 3), nan),
              w = rand(n.w, n.w + 1, -1.5, 1.5),
              bias = rand(g.O, 3, -2, 2),
              res = withNaN(rand(n.y, n.y + 5, -4, 8), nan);
            for (const act of ACTS)
              for (const withRes of [false, true])
                for (const withBias of [false, true])
                  for (const pack of [false, true]) {
                    same(
                      b,
                      `${name} act=${act} res=${withRes} bias=${withBias} nan=${nan} packed=${pack}`,
                      (be, mk) => {
                        const y = mk(n.y);
                        const ws = mk(w),
                          bs = withBias ? mk(bias) : null;
                        // the weights packed once (convPack), as the eval fusion passes them
                        const len = pack ? be.convPackedLen(g, withBias) : 0;
                        const packed = len > 0 ? be.alloc(len, "float32") : null;
                        if (packed) be.convPack(g, ws, bs, packed);
                        be.conv(g, mk(x), ws, bs, y, act, withRes ? mk(res) : null, packed);
                        if (packed) be.free(packed);
                        return [y];
                      },
                      1e-4,
                      1e-5 * K,
                    );
                  }
          }
        });
      }
      it("relu6 clamps to [0, 6] and keeps NaN (as hardtanh(0, 6))", () => {
        // 1x1 conv of weight 1: y = x (+ residual)
        const g = convGeom(1, 1, 1, 1, [1, 1, 7], [1, 1, 1], one, [0, 0, 0], one);
        const x = b.alloc(7, "float32"),
          w = b.alloc(1, "float32"),
          y = b.alloc(7, "float32"),
          r = b.alloc(7, "float32");
        b.view(x).set([-1, 0, 3, 6, 7, Number.NaN, 100]);
        b.view(w).set([1]);
        b.view(r).set([0, 0, 0, 0, 0, 0, -97]);
        b.conv(g, x, w, null, y, "relu6");
        expect(Array.from(b.view(y))).toEqual([0, 0, 3, 6, 6, Number.NaN, 6]);
        b.conv(g, x, w, null, y, "relu6", r);
        expect(Array.from(b.view(y))).toEqual([0, 0, 3, 6, 6, Number.NaN, 3]);
        b.conv(g, x, w, null, y, "relu");
        expect(Array.from(b.view(y))).toEqual([0, 0, 3, 6, 7, Number.NaN, 100]);
        b.conv(g, x, w, null, y, true);
        expect(Array.from(b.view(y))).toEqual([0, 0, 3, 6, 7, Number.NaN, 100]);
        for (const s of [x, w, y, r]) b.free(s);
      });
    });
  });
}

describeBackends("F.conv* activation / residual", () => {
  it("relu6 and residual fused without grad equal the separate ops", () => {
    torch.manualSeed(11);
    const x = torch.randn(3, 4, 9, 11).mul(3),
      w = torch.randn(6, 4, 3, 3),
      bias = torch.randn(6),
      r = torch.randn(3, 6, 5, 6).mul(4);
    const o = { stride: 2, padding: 1 } as const;
    const want = torch.noGrad(() => F.relu6(F.conv2d(x, w, bias, o).add(r)));
    const got = torch.noGrad(() => F.conv2d(x, w, bias, { ...o, activation: "relu6", residual: r }));
    expectClose(values(got), values(want), 1e-4, 1e-5);
    // depthwise (groups == C, multiplier 2) with relu6, conv1d / conv3d take it too
    const wd = torch.randn(8, 1, 3, 3);
    expectClose(
      values(torch.noGrad(() => F.conv2d(x, wd, null, { padding: 1, groups: 4, activation: "relu6" }))),
      values(torch.noGrad(() => F.relu6(F.conv2d(x, wd, null, { padding: 1, groups: 4 })))),
      1e-4,
      1e-5,
    );
    const x1 = torch.randn(2, 3, 11).mul(4),
      w1 = torch.randn(4, 3, 3);
    expectClose(
      values(torch.noGrad(() => F.conv1d(x1, w1, null, { activation: "relu6" }))),
      values(torch.noGrad(() => F.relu6(F.conv1d(x1, w1)))),
      1e-4,
      1e-5,
    );
    const x3 = torch.randn(1, 2, 4, 5, 6),
      w3 = torch.randn(3, 2, 2, 3, 3),
      r3 = torch.randn(1, 3, 3, 3, 4);
    expectClose(
      values(torch.noGrad(() => F.conv3d(x3, w3, null, { activation: "relu", residual: r3 }))),
      values(torch.noGrad(() => F.relu(F.conv3d(x3, w3).add(r3)))),
      1e-4,
      1e-5,
    );
    // unbatched input with an unbatched residual
    const xu = torch.randn(4, 7, 7),
      ru = torch.randn(6, 7, 7);
    expectClose(
      values(torch.noGrad(() => F.conv2d(xu, w, null, { padding: 1, residual: ru }))),
      values(torch.noGrad(() => F.conv2d(xu, w, null, { padding: 1 }).add(ru))),
      1e-4,
      1e-5,
    );
  });

  it("with autograd the residual add and relu6 are recorded ops with the same values and grads", () => {
    torch.manualSeed(12);
    const x = torch.randn(1, 2, 6, 6).mul(3).requiresGrad_(),
      w = torch.randn(3, 2, 3, 3).requiresGrad_(),
      r = torch.randn(1, 3, 4, 4).mul(4).requiresGrad_();
    const y = F.conv2d(x, w, null, { activation: "relu6", residual: r });
    expect(y.gradFn?.name).toBe("HardtanhBackward");
    y.sum().backward();
    const [x2, w2, r2] = [x, w, r].map((t) => t.detach().requiresGrad_());
    const y2 = F.relu6(F.conv2d(x2, w2).add(r2));
    y2.sum().backward();
    expect(values(y)).toEqual(values(y2));
    for (const [a, c] of [
      [x, x2],
      [w, w2],
      [r, r2],
    ])
      expect(values(a.grad!)).toEqual(values(c.grad!));
  });

  it("a residual of the wrong shape is refused", () => {
    const x = torch.randn(1, 2, 6, 6),
      w = torch.randn(3, 2, 3, 3);
    expect(() => torch.noGrad(() => F.conv2d(x, w, null, { residual: torch.randn(1, 3, 4, 5) }))).toThrow(RangeError);
    expect(() => F.conv2d(x, w, null, { activation: "relu7" as never })).toThrow(TypeError);
  });
});
