// The training-step paths of the Rust kernels and the autograd engine against the js reference:
// conv grad-input (blocks of several images when the output is small, row blocks of W^T, the
// per-ISA col2im) and grad-weight on resnet-like and odd geometries (batch 1, stride 2, 1x1
// downsample, groups, dilation, 3-d, zero-size), 1 and 2 threads; BatchNorm in train mode
// (batch 1 with spatial > 1, eps, momentum null = cumulative average, affine false) forward,
// running stats and gradients on each backend vs js; and the engine's gradient ownership
// (a gradient handed to .grad without a copy is never shared or freed under the caller).

import { describe, it, beforeAll, afterAll, expect } from "vitest";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import type { Backend, ConvGeom } from "../ts/backends/types.js";
import { convGeom, numel, rand, same } from "./kernel-compare.js";
import * as torch from "../ts/index.js";
import { describeBackends, expectClose, values } from "./util.js";

const { nn } = torch;
const one = [1, 1, 1];

const GRAD_GEOMS: [string, ConvGeom][] = [
  ["resnet 3x3 4x4 many images", convGeom(16, 40, 24, 1, [1, 4, 4], [1, 3, 3], one, [0, 1, 1], one)],
  ["3x3 7x7 partial image block", convGeom(13, 70, 33, 1, [1, 7, 7], [1, 3, 3], one, [0, 1, 1], one)],
  ["3x3 s2 downsample", convGeom(5, 16, 24, 1, [1, 9, 9], [1, 3, 3], [1, 2, 2], [0, 1, 1], one)],
  ["1x1 s2 downsample", convGeom(6, 16, 32, 1, [1, 7, 7], [1, 1, 1], [1, 2, 2], [0, 0, 0], one)],
  ["pointwise", convGeom(3, 8, 12, 1, [1, 5, 7], [1, 1, 1], one, [0, 0, 0], one)],
  ["batch 1 odd 28x28-like", convGeom(1, 9, 11, 1, [1, 19, 17], [1, 3, 3], one, [0, 1, 1], one)],
  ["stem 7x7 s2 p3", convGeom(2, 3, 16, 1, [1, 23, 21], [1, 7, 7], [1, 2, 2], [0, 3, 3], one)],
  ["groups 3 stride 2", convGeom(7, 9, 39, 3, [1, 5, 7], [1, 3, 3], [1, 2, 2], [0, 1, 1], one)],
  ["dilation 2", convGeom(9, 6, 10, 1, [1, 6, 6], [1, 3, 3], one, [0, 2, 2], [1, 2, 2])],
  ["3-d", convGeom(4, 3, 5, 1, [3, 4, 4], [3, 3, 3], one, [1, 1, 1], one)],
  ["1x1 image", convGeom(5, 4, 6, 1, [1, 1, 1], [1, 3, 3], one, [0, 1, 1], one)],
  ["zero batch", convGeom(0, 3, 4, 1, [1, 5, 5], [1, 3, 3], one, [0, 1, 1], one)],
];

const variants: [string, () => Promise<Backend>][] = [
  ["wasm", () => createWasmBackend({})],
  ["wasm threads=2", () => createWasmBackend({ threads: 2 })],
  ["native", () => createNativeBackend({})],
  ["native threads=2", () => createNativeBackend({ threads: 2 })],
];

for (const [title, create] of variants) {
  describe(`train paths, conv gradients: ${title}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await create();
    });
    afterAll(async () => {
      await (b as any)?.dispose?.();
    });
    for (const [name, g] of GRAD_GEOMS) {
      it(name, () => {
        const n = numel(g);
        const K = g.O * g.kD * g.kH * g.kW + g.N * g.outD * g.outH * g.outW;
        const x = rand(n.x, n.x + 1),
          w = rand(n.w, n.w + 2),
          gy = rand(n.y, n.y + 3);
        same(
          b,
          `${name} gradInput`,
          (be, mk) => {
            const gx = mk(n.x);
            be.convGradInput(g, mk(gy), mk(w), gx);
            return [gx];
          },
          1e-4,
          1e-5 * K,
        );
        same(
          b,
          `${name} gradWeight`,
          (be, mk) => {
            const gw = mk(n.w),
              gb = mk(g.O);
            be.convGradWeight(g, mk(x), mk(gy), gw, gb);
            return [gw, gb];
          },
          1e-4,
          1e-5 * K,
        );
      });
    }
  });
}

/** A small conv -> BN -> relu -> residual block and its parameter gradients after one step. */
function bnStep(opts: { batch: number; hw: number; eps?: number; momentum?: number | null; affine?: boolean }) {
  torch.manualSeed(7);
  const conv = new nn.Conv2d(3, 5, 3, { padding: 1, bias: false });
  const bn = new nn.BatchNorm2d(5, { eps: opts.eps, momentum: opts.momentum, affine: opts.affine });
  const conv2 = new nn.Conv2d(5, 5, 3, { stride: 2, padding: 1 });
  const x = torch.randn([opts.batch, 3, opts.hw, opts.hw + 1]);
  bn.train();
  const outs: number[][] = [];
  for (let step = 0; step < 2; step++) {
    const h = bn.forward(conv.forward(x));
    const r = torch.F.relu(h).add(h.mul(0.5));
    const y = conv2.forward(r);
    const loss = y.mul(y).sum();
    loss.backward();
    outs.push(values(h), values(y));
  }
  outs.push(values(bn.running_mean!), values(bn.running_var!));
  for (const p of [conv.weight, bn.weight, bn.bias, conv2.weight, conv2.bias]) if (p) outs.push(values(p.grad!));
  return outs;
}

const BN_CASES: [string, Parameters<typeof bnStep>[0]][] = [
  ["batch 1, spatial > 1", { batch: 1, hw: 5 }],
  ["batch 4, eps 1e-3", { batch: 4, hw: 4, eps: 1e-3 }],
  ["momentum null (cumulative average)", { batch: 3, hw: 3, momentum: null }],
  ["affine false", { batch: 2, hw: 6, affine: false }],
  ["large: channels and rows split across threads", { batch: 3, hw: 48 }],
  ["large, affine false, momentum null", { batch: 2, hw: 64, affine: false, momentum: null }],
];

describe("train paths: BatchNorm train step vs js", () => {
  const want = new Map<string, number[][]>();
  beforeAll(async () => {
    await torch.init({ backend: "js" });
    for (const [name, o] of BN_CASES) want.set(name, bnStep(o));
  });
  for (const backend of ["wasm", "native"] as const)
    for (const threads of [1, 2])
      describe(`${backend} threads=${threads}`, () => {
        beforeAll(async () => {
          await torch.init({ backend, threads });
        });
        for (const [name, o] of BN_CASES)
          it(name, () => {
            const got = bnStep(o);
            const ref = want.get(name)!;
            expect(got.length).toBe(ref.length);
            got.forEach((g, i) => expectClose(g, ref[i], 2e-3, 2e-3, `${name} output ${i}`));
          });
      });
});

describeBackends("train paths: gradient ownership", () => {
  it("leaf gradients are their own storages (x + x, shared pass-through, accumulation)", () => {
    const a = torch.tensor([1, 2, 3]).requiresGrad_(),
      b = torch.tensor([4, 5, 6]).requiresGrad_();
    // add's backward passes g through to both inputs: each leaf gets its own tensor
    a.add(b).sum().backward();
    expect(a.grad).not.toBe(b.grad);
    a.grad!.mul_(10);
    expect(values(b.grad!)).toEqual([1, 1, 1]);
    expect(values(a.grad!)).toEqual([10, 10, 10]);
    // accumulates into the existing gradient
    a.mul(a).sum().backward();
    expect(values(a.grad!)).toEqual([12, 14, 16]);
    // x + x: one leaf reached twice
    const c = torch.tensor([1, -1]).requiresGrad_();
    c.add(c).mul(3).sum().backward();
    expect(values(c.grad!)).toEqual([6, 6]);
  });
  it("a gradient passed to backward() stays the caller's; retainGrad keeps its own copy", () => {
    const x = torch.tensor([1, 2]).requiresGrad_();
    const seed = torch.tensor([3, 4]);
    const h = x.mul(1);
    h.retainGrad();
    const y = h.add(0);
    y.backward(seed);
    expect(x.grad).not.toBe(seed);
    expect(h.grad).not.toBe(seed);
    expect(seed.isDisposed).toBe(false);
    expect(values(seed)).toEqual([3, 4]);
    expect(values(x.grad!)).toEqual([3, 4]);
    expect(values(h.grad!)).toEqual([3, 4]);
    x.grad!.zero_();
    expect(values(h.grad!)).toEqual([3, 4]);
    expect(values(seed)).toEqual([3, 4]);
  });
  it("views handed back by a backward are copied, not adopted (reshape, expand)", () => {
    const x = torch.tensor([1, 2, 3, 4]).requiresGrad_();
    const w = torch.tensor([1, 1]).requiresGrad_();
    // reshape's backward returns a view of g; the expand of w sums
    const y = x.reshape([2, 2]).mul(w.reshape([1, 2]).expand([2, 2]));
    y.sum().backward();
    expect(values(x.grad!)).toEqual([1, 1, 1, 1]);
    expect(values(w.grad!)).toEqual([4, 6]);
    x.grad!.add_(1);
    expect(values(w.grad!)).toEqual([4, 6]);
    expect(x.grad!.isContiguous()).toBe(true);
  });
  it("a small CNN step: gradients equal a second identical run, and .grad survives the graph", () => {
    torch.manualSeed(1);
    const m = new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.Conv2d(4, 3, 1, { stride: 2 }),
    );
    m.train();
    const x = torch.randn([2, 2, 5, 5]);
    const run = () => {
      for (const p of m.parameters()) p.grad = null;
      m.forward(x).square().sum().backward();
      return m.parameters().map((p) => values(p.grad!));
    };
    const g1 = run();
    const g2 = run();
    g1.forEach((g, i) => expectClose(g2[i], g, 1e-5, 1e-5, `param ${i}`));
    for (const p of m.parameters()) expect(p.grad!.isDisposed).toBe(false);
  });
});
