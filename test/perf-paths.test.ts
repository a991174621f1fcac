// The fast paths: max pooling without indices and the 2x2/stride-2 SIMD rows, the LSTM/GRU
// forward without per-step copies (gate/activation offsets, transposed-in-place weights), and
// the native backend's recycling pool of freed storages. Each is checked against the js
// reference (or against the recorded path) on odd sizes and strides.

import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { F } from "../ts/index.js";
import { JsBackend } from "../ts/backends/js.js";
import { createNativeBackend } from "../ts/backends/native.js";
import type { PoolGeom } from "../ts/backends/types.js";
import { BACKENDS, describeBackends, expectClose, values } from "./util.js";

const ref = new JsBackend();

function seeded(n: number, seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, (_, i) => {
    a = (Math.imul(a ^ (a >>> 15), 2246822519) + 0x9e3779b9) >>> 0;
    // ties, signed zeros and NaNs among uniform values
    if (i % 17 === 3) return 0;
    if (i % 17 === 4) return -0;
    if (i % 31 === 7) return NaN;
    if (i % 13 === 2) return 1;
    return (a / 4294967296) * 4 - 2;
  });
}

/** Max pool by the js reference kernel (values and flat argmax). */
function refPool(
  x: number[],
  lead: number[],
  H: number,
  W: number,
  k: [number, number],
  s: [number, number],
  p: [number, number],
  d: [number, number],
  ceil: boolean,
): { y: number[]; idx: number[] } {
  const o = (n: number, kk: number, ss: number, pp: number, dd: number) => {
    let v = Math.floor((n + 2 * pp - dd * (kk - 1) - 1 + (ceil ? ss - 1 : 0)) / ss) + 1;
    if (ceil && (v - 1) * ss >= n + pp) v--;
    return v;
  };
  const NC = lead.reduce((a, b) => a * b, 1);
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
    oH: o(H, k[0], s[0], p[0], d[0]),
    oW: o(W, k[1], s[1], p[1], d[1]),
  };
  const xs = ref.alloc(x.length, "float32"),
    ys = ref.alloc(NC * g.oH * g.oW, "float32"),
    is = ref.alloc(NC * g.oH * g.oW, "int64");
  ref.view(xs).set(x);
  ref.maxPool2d(g, xs, ys, is);
  return { y: Array.from(ref.view(ys)), idx: Array.from(ref.view(is)) };
}

const CASES: {
  shape: number[];
  k: [number, number];
  s?: [number, number];
  p?: [number, number];
  d?: [number, number];
  ceil?: boolean;
}[] = [
  { shape: [2, 3, 8, 8], k: [2, 2] },
  { shape: [1, 2, 7, 37], k: [2, 2] },
  { shape: [3, 1, 9, 35], k: [2, 2] },
  { shape: [2, 16, 28, 28], k: [2, 2] },
  { shape: [1, 1, 2, 2], k: [2, 2] },
  { shape: [2, 5, 13], k: [2, 2] },
  { shape: [1, 2, 11, 19], k: [3, 3], s: [1, 1] },
  { shape: [2, 2, 13, 17], k: [3, 3], s: [2, 2] },
  { shape: [1, 3, 12, 21], k: [3, 2], s: [3, 1], d: [2, 1] },
  { shape: [1, 2, 9, 23], k: [2, 3], s: [1, 2] },
  { shape: [2, 2, 8, 9], k: [3, 3], s: [2, 2], p: [1, 1] },
  { shape: [1, 2, 7, 9], k: [2, 2], ceil: true },
];

describeBackends("fast paths", (name) => {
  it("Sequential conv + ReLU: the fused kernel gives relu(conv) exactly, and autograd still records both", () => {
    const { nn } = torch;
    const shapes: [number[], number, number, object][] = [
      [[2, 1, 9, 11], 1, 16, { padding: 1 }], // shallow (block path)
      [[2, 16, 14, 14], 16, 32, { padding: 1 }], // deep shifted rows (fused im2col on AVX-512)
      [[1, 3, 23, 23], 3, 32, { stride: 2, padding: 3 }], // 7x7/2 stem-like (panel path)
      [[2, 8, 6, 6], 8, 12, { padding: 1, groups: 4 }], // groups
      [[1, 4, 5, 5], 4, 6, {}], // 1x1 below (pointwise)
    ];
    for (const [shape, cin, cout, opts] of shapes) {
      torch.manualSeed(shape.length * 31 + cin);
      const k = Object.keys(opts).length === 0 ? 1 : (opts as { stride?: number }).stride ? 7 : 3;
      const conv = new nn.Conv2d(cin, cout, k, opts as any),
        relu = new nn.ReLU();
      const seq = new nn.Sequential(conv, relu);
      const data = seeded(
        shape.reduce((a, b) => a * b, 1),
        cin * 7 + cout,
      ).map((v, i) => (i % 41 === 5 ? NaN : v));
      const x = torch.tensor(data).reshape(shape);
      const want = torch.noGrad(() => F.relu(conv.forward(x)));
      const got = torch.noGrad(() => seq.forward(x));
      const w = values(want),
        g = values(got);
      expect(g.length).toBe(w.length);
      for (let i = 0; i < w.length; i++) {
        if (!(Object.is(g[i], w[i]) || (Number.isNaN(g[i]) && Number.isNaN(w[i])))) {
          expect.fail(`${name} conv ${shape} k${k}: element ${i} fused ${g[i]} vs unfused ${w[i]}`);
        }
      }
      // with grad: the same value and a gradient through both ops
      const xg = torch
        .tensor(data.map((v) => (Number.isNaN(v) ? 0.25 : v)))
        .reshape(shape)
        .requiresGrad_();
      const y = seq.forward(xg);
      expect(y.gradFn?.name).toBe("ReluBackward");
      y.sum().backward();
      expect(xg.grad!.shape).toEqual(shape);
      expectClose(values(y), values(torch.noGrad(() => F.relu(conv.forward(xg)))), 0, 0, `${name} recorded conv+relu`);
    }
  });

  it("maxPool2d: values (and indices when asked) match the js reference, with and without grad", () => {
    for (const c of CASES) {
      const { shape, k } = c,
        s = c.s ?? k,
        p = c.p ?? [0, 0],
        d = c.d ?? [1, 1];
      const [H, W] = shape.slice(-2),
        lead = shape.slice(0, -2);
      const data = seeded(
        shape.reduce((a, b) => a * b, 1),
        shape.length * 7 + H * 31 + W,
      );
      const want = refPool(data, lead, H, W, k, s, p, d, !!c.ceil);
      const tag = `${name} ${shape} k${k} s${s} p${p} d${d}`;
      const x = torch.tensor(data).reshape(shape);
      const opts = { stride: s, padding: p, dilation: d, ceilMode: !!c.ceil };
      const y0 = torch.noGrad(() => F.maxPool2d(x, k, opts));
      expectClose(values(y0), want.y, 0, 0, `noGrad ${tag}`);
      const [y1, i1] = torch.noGrad(() => F.maxPool2d(x, k, { ...opts, returnIndices: true }));
      expectClose(values(y1), want.y, 0, 0, `indices ${tag}`);
      expect(Array.from(i1.toFloat32Array()), `indices ${tag}`).toEqual(want.idx);
      // with grad: the backward scatters to the argmax
      const xg = torch.tensor(data.map((v) => (Number.isNaN(v) ? 0.5 : v))).reshape(shape);
      xg.requiresGrad = true;
      const yg = F.maxPool2d(xg, k, opts);
      yg.sum().backward();
      const wantG = refPool(
        data.map((v) => (Number.isNaN(v) ? 0.5 : v)),
        lead,
        H,
        W,
        k,
        s,
        p,
        d,
        !!c.ceil,
      );
      const gx = new Array(data.length).fill(0),
        plane = H * W,
        outPlane = wantG.y.length / lead.reduce((a, b) => a * b, 1);
      wantG.idx.forEach((j, o) => {
        if (j >= 0) gx[Math.floor(o / outPlane) * plane + j] += 1;
      });
      expectClose(values(xg.grad!), gx, 0, 0, `grad ${tag}`);
      for (const t of [x, y0, y1, i1, xg, yg]) t.dispose();
    }
  });

  it("LSTM / GRU forward under noGrad equals the recorded forward (odd sizes, reverse, 2 layers)", () => {
    torch.manualSeed(3);
    for (const Mod of [torch.nn.LSTM, torch.nn.GRU]) {
      for (const [T, B, I, H, bidir] of [
        [5, 3, 7, 9, true],
        [1, 1, 3, 1, false],
        [4, 2, 5, 17, false],
      ] as [number, number, number, number, boolean][]) {
        const m = new Mod(I, H, { numLayers: 2, bidirectional: bidir });
        const x = torch.randn(T, B, I);
        const fwd = () => {
          const r = m.forward(x) as any;
          return [r[0], ...(Array.isArray(r[1]) ? r[1] : [r[1]])] as torch.Tensor[];
        };
        const a = torch.noGrad(fwd);
        x.requiresGrad = true;
        const b = fwd();
        a.forEach((t, i) =>
          expectClose(values(t), values(b[i]), 1e-6, 1e-5, `${Mod.name} ${T},${B},${I},${H} output ${i}`),
        );
        b[0].sum().backward();
        expect(x.grad).toBeTruthy();
        x.requiresGrad = false;
      }
    }
  });
});

describe.runIf(BACKENDS.includes("native"))("native storage pool", () => {
  beforeAll(async () => {
    await torch.init({ backend: "native" });
  });
  it("recycles freed buffers zero-filled, keeps accounting exact, and caps what it holds", async () => {
    const b = await createNativeBackend({});
    const before = b.bytesInUse();
    const s = b.alloc(1000, "float32");
    b.view(s).fill(7);
    b.free(s);
    const t = b.alloc(999, "float32"); // same bucket: reused
    expect(b.poolStats.hits).toBe(1);
    expect(Array.from(b.view(t)).every((v) => v === 0)).toBe(true);
    expect(b.view(t).length).toBe(999);
    expect(b.bytesInUse()).toBe(before + 999 * 4);
    b.free(t);
    expect(b.bytesInUse()).toBe(before);
    // a freed storage's old view is not the new one's: use after free is an error, not aliasing
    const u = b.alloc(1000, "float32");
    expect(() => b.unary("relu", s, u)).toThrow();
    b.free(u);
    // the pool holds at most its cap: 256 MiB, or the most bytes in use at once (up to 1 GiB), so
    // a training step that needs more than 256 MiB finds all its buffers again at the next step
    const big: ReturnType<typeof b.alloc>[] = [];
    const sizes = Array.from({ length: 12 }, (_, k) => (32 << 20) / 4 + k * 1024);
    for (const n of sizes) big.push(b.alloc(n, "float32"));
    for (const x of big) b.free(x);
    const peak = (b as any).peakLive as number;
    expect(peak).toBeGreaterThan(12 * (32 << 20));
    expect((b as any).poolBytes).toBeLessThanOrEqual(Math.max(256 << 20, peak));
    expect((b as any).poolBytes).toBeGreaterThan(256 << 20);
    const misses = b.poolStats.misses;
    big.length = 0;
    for (const n of sizes) big.push(b.alloc(n, "float32"));
    expect(b.poolStats.misses).toBe(misses);
    for (const x of big) b.free(x);
    // never above 1 GiB, whatever was in use
    for (let k = 0; k < 36; k++) big.push(b.alloc((32 << 20) / 4 + k * 4096, "float32"));
    for (const x of big) b.free(x);
    expect((b as any).poolBytes).toBeLessThanOrEqual(1 << 30);
    b.trimPool();
  });
});

describeBackends(
  "read-backs (2 threads)",
  (name) => {
    it("toFloat32Array / dataSync of tensors past the threaded-copy size equal the elements", () => {
      // 1.5 M floats (6 MB): the native backend copies it with both threads
      const n = 3 * (1 << 19);
      const x = torch.arange(0, n, 1, { dtype: "float32" }).mul(torch.tensor(0.5)).sub(torch.tensor(7));
      const got = x.toFloat32Array();
      expect(got.length).toBe(n);
      for (const i of [0, 1, 12345, n >> 1, (n >> 1) + 1, n - 2, n - 1])
        expect(got[i], `${name} element ${i}`).toBe(i * 0.5 - 7);
      let bad = -1;
      for (let i = 0; i < n && bad < 0; i++) if (got[i] !== i * 0.5 - 7) bad = i;
      expect(bad, `${name}: first wrong element`).toBe(-1);
      const ints = torch.arange(n);
      const di = ints.dataSync();
      expect(di instanceof Float64Array).toBe(true); // int64 storage: exact to 2^53
      expect([di[0], di[n >> 1], di[n - 1]]).toEqual([0, n >> 1, n - 1]);
      const fi = ints.toFloat32Array(); // int64 -> float32 conversion, not a bit copy
      expect([fi[1], fi[n - 1]]).toEqual([1, n - 1]);
      for (const t of [x, ints]) t.dispose();
    });
  },
  { threads: 2 },
);
