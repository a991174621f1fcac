// Inference fusion (ts/nn/fusion.ts): in eval with no gradient recorded, conv -> BatchNorm (->
// activation) runs as one conv with the BatchNorm folded into its weights, in nn.Sequential and in
// the torchvision blocks. Every case is compared with the same modules run one by one
// (setFusionEnabled(false)), and the kernel calls show which path ran.

import { afterEach, expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { backendImpl } from "../ts/runtime.js";
import { isFusionEnabled, setFusionEnabled } from "../ts/nn/fusion.js";
import { describeBackends, expectClose } from "./util.js";

const { nn, F } = torch;
const vm = torch.vision.models;

/** Runs fn and counts the backend's calls of the named kernels. */
function kernelCalls(fn: () => void, names = ["conv", "channelNormalize", "channelStats", "assignStrided", "unary"]) {
  const b = backendImpl() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const orig = new Map(names.map((n) => [n, b[n]]));
  const count: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const n of names) {
    const f = orig.get(n)!;
    b[n] = function (this: unknown, ...a: unknown[]) {
      count[n]++;
      return f.apply(this, a);
    };
  }
  try {
    fn();
  } finally {
    for (const n of names) b[n] = orig.get(n)!;
  }
  return count;
}

/** BatchNorm stats and affine parameters away from the defaults (which would fold to identity). */
function randomizeNorms(m: torch.nn.Module) {
  torch.noGrad(() => {
    for (const s of m.modules()) {
      if (!(s instanceof nn.BatchNorm1d || s instanceof nn.BatchNorm2d || s instanceof nn.BatchNorm3d)) continue;
      const c = s.numFeatures;
      s.running_mean!.copy_(torch.randn(c).mul(0.3));
      s.running_var!.copy_(torch.rand(c).add(0.3));
      if (s.weight) s.weight.copy_(torch.rand(c).add(0.5));
      if (s.bias) s.bias.copy_(torch.randn(c).mul(0.2));
    }
  });
}

/** forward(x) with fusion off, as the modules compute it one by one. */
function unfused<T>(fn: () => T): T {
  const prev = setFusionEnabled(false);
  try {
    return fn();
  } finally {
    setFusionEnabled(prev);
  }
}

const ev = (m: torch.nn.Module, x: torch.Tensor) => torch.noGrad(() => (m as any).forward(x) as torch.Tensor);

afterEach(() => {
  setFusionEnabled(true);
});

describeBackends("inference fusion", (backend) => {
  const tol = (got: torch.Tensor, want: torch.Tensor, what: string) => {
    expect(got.shape).toEqual(want.shape);
    expectClose(got.toFloat32Array(), want.toFloat32Array(), 1e-4, 1e-4, what);
  };

  it("Sequential(conv, bn, relu) in eval is one conv (no BatchNorm kernel), equal to the modules", () => {
    torch.manualSeed(1);
    const seq = new nn.Sequential(
      new nn.Conv2d(3, 5, 3, { stride: 2, padding: 1 }),
      new nn.BatchNorm2d(5),
      new nn.ReLU(true),
    );
    randomizeNorms(seq);
    seq.eval();
    const x = torch.randn(1, 3, 9, 7);
    const want = unfused(() => ev(seq, x));
    let got!: torch.Tensor;
    const k = kernelCalls(() => {
      got = ev(seq, x);
    });
    expect(k).toEqual({ conv: 1, channelNormalize: 0, channelStats: 0, assignStrided: 0, unary: 0 });
    tol(got, want, "conv-bn-relu");
    expect(got.min().item()).toBeGreaterThanOrEqual(0);
    // the unfused run really did run the BatchNorm
    expect(unfused(() => kernelCalls(() => ev(seq, x))).channelNormalize).toBe(1);
  });

  it("ReLU6 and Hardtanh(0, 6) after conv + bn are applied by the conv kernel; other hardtanh ranges are not", () => {
    torch.manualSeed(11);
    for (const [act, fusedAct] of [
      [new nn.ReLU6(true), true],
      [new nn.Hardtanh(0, 6), true],
      [new nn.Hardtanh(-1, 1), false],
    ] as const) {
      const seq = new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), act);
      randomizeNorms(seq);
      // large values, so that the clamp at 6 matters
      torch.noGrad(() => (seq.at(0) as torch.nn.Conv2d).weight.mul_(8));
      seq.eval();
      const x = torch.randn(1, 3, 7, 6);
      const want = unfused(() => ev(seq, x));
      let got!: torch.Tensor;
      const k = kernelCalls(() => {
        got = ev(seq, x);
      });
      expect(k.conv).toBe(1);
      expect(k.channelNormalize).toBe(0);
      expect(k.unary, act.toString()).toBe(fusedAct ? 0 : 1);
      tol(got, want, act.toString());
      if (fusedAct) expect(got.max().item()).toBe(6);
    }
  });

  it("Sequential.forwardAdd: x + seq(x) with the add in the last conv's kernel (conv + bn at the end)", () => {
    torch.manualSeed(12);
    const seq = new nn.Sequential(
      new nn.Conv2d(4, 8, 1, { bias: false }),
      new nn.BatchNorm2d(8),
      new nn.ReLU6(),
      new nn.Conv2d(8, 4, 1, { bias: false }),
      new nn.BatchNorm2d(4),
    );
    randomizeNorms(seq);
    seq.eval();
    const x = torch.randn(1, 4, 5, 7);
    const want = unfused(() => torch.noGrad(() => torch.add(x, seq.forward(x))));
    let got!: torch.Tensor;
    const k = kernelCalls(() => {
      got = torch.noGrad(() => seq.forwardAdd(x, x));
    }, ["conv", "binary", "channelNormalize"]);
    expect(k).toEqual({ conv: 2, binary: 0, channelNormalize: 0 });
    tol(got, want, "forwardAdd");
    // the same values without fusion, and with autograd
    tol(
      unfused(() => torch.noGrad(() => seq.forwardAdd(x, x))),
      want,
      "forwardAdd unfused",
    );
    const xg = x.detach().requiresGrad_();
    const y = seq.forwardAdd(xg, xg);
    tol(y, want, "forwardAdd with grad");
    y.sum().backward();
    const xu = x.detach().requiresGrad_();
    torch.add(xu, seq.forward(xu)).sum().backward();
    expectClose(xg.grad!.toFloat32Array(), xu.grad!.toFloat32Array(), 1e-5, 1e-5, "forwardAdd grad");
    // a chain ending in an activation: the add comes after it, as an op
    const seq2 = new nn.Sequential(new nn.Conv2d(4, 4, 1), new nn.BatchNorm2d(4), new nn.ReLU()).eval();
    tol(
      torch.noGrad(() => seq2.forwardAdd(x, x)),
      torch.noGrad(() =>
        torch.add(
          x,
          unfused(() => seq2.forward(x)),
        ),
      ),
      "act last",
    );
  });

  it("odd shapes: no bias, affine=false, depthwise and grouped, dilation, padding modes, batch 0 and 3, 1-d and 3-d", () => {
    torch.manualSeed(2);
    const cases: [string, torch.nn.Module[], number[]][] = [
      ["no bias", [new nn.Conv2d(4, 6, 3, { bias: false, padding: 1 }), new nn.BatchNorm2d(6)], [1, 4, 7, 5]],
      [
        "affine=false",
        [new nn.Conv2d(3, 4, [3, 1], { stride: [2, 1] }), new nn.BatchNorm2d(4, { affine: false }), new nn.ReLU()],
        [3, 3, 11, 6],
      ],
      [
        "depthwise",
        [new nn.Conv2d(6, 6, 3, { groups: 6, padding: 1, bias: false }), new nn.BatchNorm2d(6), new nn.ReLU6()],
        [1, 6, 8, 9],
      ],
      [
        "groups=2, dilation 2",
        [new nn.Conv2d(4, 6, 3, { groups: 2, dilation: 2, padding: 2 }), new nn.BatchNorm2d(6), new nn.ReLU()],
        [2, 4, 10, 7],
      ],
      [
        "reflect padding",
        [new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: "reflect" }), new nn.BatchNorm2d(3), new nn.ReLU()],
        [1, 2, 6, 5],
      ],
      ["batch 0", [new nn.Conv2d(2, 3, 3), new nn.BatchNorm2d(3), new nn.ReLU()], [0, 2, 6, 5]],
      ["1-d", [new nn.Conv1d(3, 4, 5, { padding: 2 }), new nn.BatchNorm1d(4), new nn.ReLU()], [2, 3, 13]],
      ["3-d", [new nn.Conv3d(2, 3, 3, { stride: 2 }), new nn.BatchNorm3d(3), new nn.ReLU()], [1, 2, 5, 6, 7]],
      ["eps", [new nn.Conv2d(2, 3, 1), new nn.BatchNorm2d(3, { eps: 0.5 })], [1, 2, 4, 4]],
    ];
    for (const [what, mods, shape] of cases) {
      const seq = new nn.Sequential(...mods);
      randomizeNorms(seq);
      seq.eval();
      const x = torch.randn(...shape);
      const want = unfused(() => ev(seq, x));
      let got!: torch.Tensor;
      const k = kernelCalls(() => {
        got = ev(seq, x);
      });
      expect(k.channelNormalize, what).toBe(0);
      expect(k.conv, what).toBe(1);
      tol(got, want, what);
    }
  });

  it("unfusable chains run as modules: BatchNorm without running stats, channel mismatch errors, overridden forwards", () => {
    torch.manualSeed(3);
    const noStats = new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.BatchNorm2d(3, { trackRunningStats: false }));
    noStats.eval();
    const x = torch.randn(2, 2, 5, 5);
    const k = kernelCalls(() => ev(noStats, x));
    expect(k.channelStats).toBe(1); // batch statistics, as PyTorch in eval without running stats
    // a BatchNorm for other channels: the module's own error
    const bad = new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.BatchNorm2d(4)).eval();
    expect(() => ev(bad, x)).toThrow(/running_mean should contain 3 elements not 4/);
    // a BatchNorm2d after an unbatched conv: the module's own error
    const unb = new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.BatchNorm2d(3)).eval();
    expect(() => ev(unb, torch.randn(2, 5, 5))).toThrow(/expected 4D input/);
    class MyBN extends nn.BatchNorm2d {
      forward(t: torch.Tensor) {
        return torch.mul(super.forward(t), 2);
      }
    }
    const mine = new nn.Sequential(new nn.Conv2d(2, 3, 3), new MyBN(3)).eval();
    const want = unfused(() => ev(mine, x));
    const k2 = kernelCalls(() => tol(ev(mine, x), want, "overridden bn"));
    expect(k2.channelNormalize).toBe(1);
  });

  it("train mode never folds; eval with autograd runs the modules and gradients reach the parameters", () => {
    torch.manualSeed(4);
    const seq = new nn.Sequential(new nn.Conv2d(3, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU());
    randomizeNorms(seq);
    const x = torch.randn(2, 3, 6, 5);
    // train: batch statistics
    seq.train();
    const kt = kernelCalls(() => ev(seq, x));
    expect(kt.channelStats).toBe(1);
    // eval with autograd: same values as the fused inference, gradients as the unfused modules
    seq.eval();
    const inf = ev(seq, x);
    const xg = x.detach().requiresGrad_();
    const y = (seq as any).forward(xg) as torch.Tensor;
    tol(y, inf, "eval with grad");
    torch
      .mul(y, torch.randn(...y.shape))
      .sum()
      .backward();
    const conv = seq.at(0) as torch.nn.Conv2d,
      bn = seq.at(1) as torch.nn.BatchNorm2d;
    const grads = [xg.grad!, conv.weight.grad!, conv.bias!.grad!, bn.weight!.grad!, bn.bias!.grad!].map((g) =>
      g.toFloat32Array(),
    );
    expect(grads.every((g) => g.some((v) => v !== 0))).toBe(true);
    // the same with fusion off
    seq.zeroGrad();
    torch.manualSeed(5);
    const g2 = torch.randn(...y.shape);
    torch.manualSeed(5);
    const xg2 = x.detach().requiresGrad_();
    const y2 = unfused(() => (seq as any).forward(xg2) as torch.Tensor);
    torch.mul(y2, g2).sum().backward();
    seq.zeroGrad();
    const xg3 = x.detach().requiresGrad_();
    const y3 = (seq as any).forward(xg3) as torch.Tensor;
    torch.mul(y3, g2).sum().backward();
    expectClose(xg3.grad!.toFloat32Array(), xg2.grad!.toFloat32Array(), 1e-5, 1e-5, "x grad");
    void grads;
    // eval, frozen parameters, an input that requires grad: still recorded (gradient w.r.t. x)
    seq.requiresGrad_(false);
    const xg4 = x.detach().requiresGrad_();
    const y4 = (seq as any).forward(xg4) as torch.Tensor;
    expect(y4.requiresGrad).toBe(true);
    torch.mul(y4, g2).sum().backward();
    expectClose(xg4.grad!.toFloat32Array(), xg2.grad!.toFloat32Array(), 1e-5, 1e-5, "x grad, frozen");
    // eval, frozen parameters, no grad anywhere: fused even with grad mode on
    const k = kernelCalls(() => {
      const y5 = (seq as any).forward(x) as torch.Tensor;
      tol(y5, inf, "frozen, grad mode on");
    });
    expect(k.channelNormalize).toBe(0);
  });

  it("the folded weights follow every change of the tensors they come from", () => {
    torch.manualSeed(6);
    const conv = new nn.Conv2d(3, 4, 3),
      bn = new nn.BatchNorm2d(4);
    const seq = new nn.Sequential(conv, bn, new nn.ReLU());
    randomizeNorms(seq);
    seq.eval();
    const x = torch.randn(1, 3, 6, 6);
    const check = (what: string) => {
      const got = ev(seq, x);
      tol(
        got,
        unfused(() => ev(seq, x)),
        what,
      );
      return got.toFloat32Array();
    };
    let last = check("first");
    const changed = (what: string) => {
      const now = check(what);
      expect(
        now.some((v, i) => v !== last[i]),
        `${what} changed the output`,
      ).toBe(true);
      last = now;
    };
    torch.noGrad(() => bn.running_var!.mul_(2));
    changed("running_var in place");
    torch.noGrad(() => bn.running_mean!.add_(0.5));
    changed("running_mean in place");
    torch.noGrad(() => bn.weight!.mul_(-1));
    changed("bn.weight in place");
    torch.noGrad(() => bn.bias!.add_(1));
    changed("bn.bias in place");
    torch.noGrad(() => conv.weight.mul_(0.5));
    changed("conv.weight in place");
    torch.noGrad(() => conv.bias!.sub_(0.3));
    changed("conv.bias in place");
    conv.weight = new nn.Parameter(torch.randn(4, 3, 3, 3));
    changed("conv.weight reassigned");
    bn.running_mean = torch.randn(4);
    changed("running_mean reassigned");
    (bn as any).eps = 0.25;
    changed("eps");
    // loadStateDict copies in place
    const other = new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU());
    randomizeNorms(other);
    seq.loadStateDict(other.stateDict());
    changed("loadStateDict");
    // a training step updates the running stats; an optimizer step updates the weights
    seq.train();
    const opt = new torch.optim.SGD(seq.parameters(), { lr: 0.1 });
    (seq as any)
      .forward(torch.randn(4, 3, 6, 6))
      .sum()
      .backward();
    opt.step();
    seq.eval();
    changed("train step");
    // an optimizer step in eval mode (frozen BatchNorm fine-tuning)
    opt.zeroGrad();
    (seq as any)
      .forward(torch.randn(2, 3, 6, 6))
      .pow(2)
      .sum()
      .backward();
    opt.step();
    changed("optimizer step in eval");
    const adam = new torch.optim.Adam(seq.parameters(), { lr: 0.1 });
    (seq as any)
      .forward(torch.randn(2, 3, 6, 6))
      .pow(2)
      .sum()
      .backward();
    adam.step();
    changed("Adam step in eval");
  });

  it("folded weights are packed once for the backend's conv (native/wasm), repacked when they change, freed with the fold", () => {
    torch.manualSeed(16);
    const seq = new nn.Sequential(
      new nn.Conv2d(64, 40, 3, { padding: 1 }),
      new nn.BatchNorm2d(40),
      new nn.ReLU(),
      new nn.Conv2d(40, 40, 3, { padding: 1, groups: 40 }),
      new nn.BatchNorm2d(40),
      new nn.Conv2d(40, 24, 1),
      new nn.BatchNorm2d(24),
      new nn.Conv2d(24, 32, 3, { stride: 2, padding: 1 }),
      new nn.BatchNorm2d(32),
    );
    randomizeNorms(seq);
    seq.eval();
    const x = torch.randn(2, 64, 7, 9);
    const b = backendImpl() as unknown as Record<string, (...a: unknown[]) => unknown>;
    const packedArgs: unknown[] = [];
    const conv0 = b.conv;
    b.conv = function (this: unknown, ...a: unknown[]) {
      packedArgs.push(a[7] ?? null);
      return conv0.apply(this, a);
    };
    let counts: Record<string, number>;
    try {
      counts = kernelCalls(() => {
        for (let i = 0; i < 3; i++)
          tol(
            ev(seq, x),
            unfused(() => ev(seq, x)),
            `call ${i}`,
          );
      }, ["convPack", "convPackedLen"]);
    } finally {
      b.conv = conv0;
    }
    // 4 convs per forward, fused (folded weights) and unfused (the modules' own weights): each
    // weight set is packed once; the depthwise conv reads w itself
    const rust = backend !== "js";
    expect(counts.convPackedLen).toBe(8);
    expect(counts.convPack).toBe(rust ? 6 : 0);
    expect(packedArgs.length).toBe(24);
    expect(packedArgs.filter((p) => p !== null).length).toBe(rust ? 18 : 0);
    // a changed weight: its conv folds and packs again (folded and own weights), the others keep theirs
    torch.noGrad(() => (seq.at(0) as torch.nn.Conv2d).weight.mul_(0.5));
    const again = kernelCalls(
      () =>
        tol(
          ev(seq, x),
          unfused(() => ev(seq, x)),
          "after the change",
        ),
      ["convPack"],
    );
    expect(again.convPack).toBe(rust ? 2 : 0);
    // dropping the fold frees its packed weights
    const conv = seq.at(0) as unknown as { _fold: { slot: { packed: torch.Tensor | null } } | null; dropFold(): void };
    const packed = conv._fold!.slot.packed;
    expect(packed === null).toBe(!rust);
    conv.dropFold();
    if (packed) expect(packed.isDisposed).toBe(true);
  });

  it("a conv without a norm packs its own weights once in inference, again after a change, never with autograd", () => {
    torch.manualSeed(17);
    const conv = new nn.Conv2d(24, 40, 3, { padding: 1, stride: 2 });
    const x = torch.randn(2, 24, 9, 11);
    const ref = () => F.conv2d(x, conv.weight, conv.bias, { padding: 1, stride: 2 });
    const rust = backend !== "js";
    for (let i = 0; i < 3; i++) {
      const n = kernelCalls(() => tol(ev(conv, x), torch.noGrad(ref), `call ${i}`), ["convPack"]);
      expect(n.convPack).toBe(rust && i === 0 ? 1 : 0);
    }
    torch.noGrad(() => conv.weight.add_(0.25));
    const n = kernelCalls(() => tol(ev(conv, x), torch.noGrad(ref), "after weight.add_"), ["convPack"]);
    expect(n.convPack).toBe(rust ? 1 : 0);
    conv.bias = new nn.Parameter(torch.randn(40));
    tol(ev(conv, x), torch.noGrad(ref), "after a new bias");
    // with autograd: F.conv2d as written, gradients reach the weights, no packing
    const g = kernelCalls(() => {
      const y = (conv as any).forward(x) as torch.Tensor;
      y.sum().backward();
    }, ["convPack"]);
    expect(g.convPack).toBe(0);
    expect(conv.weight.grad).not.toBeNull();
    conv.dropPack();
    tol(ev(conv, x), torch.noGrad(ref), "after dropPack");
  });

  it("the module tree, state dict and print text are unchanged by fused forwards", () => {
    torch.manualSeed(7);
    const m = vm.resnet18({ numClasses: 10 });
    m.eval();
    const keys = Object.keys(m.stateDict()),
      text = m.toString(),
      names = [...m.namedModules()].map(([n]) => n),
      params = m.parameters().length;
    ev(m, torch.randn(1, 3, 32, 32));
    expect(Object.keys(m.stateDict())).toEqual(keys);
    expect(m.toString()).toBe(text);
    expect([...m.namedModules()].map(([n]) => n)).toEqual(names);
    expect(m.parameters().length).toBe(params);
    expect(m.buffers().length).toBe(60);
  });

  it("torchvision models in eval: fused equals unfused, no BatchNorm kernels, no in-place copies", () => {
    torch.manualSeed(8);
    const models: [string, () => torch.nn.Module, number][] = [
      ["resnet18", () => vm.resnet18({ numClasses: 10 }), 32],
      ["mobilenetV2", () => vm.mobilenetV2({ numClasses: 10, widthMult: 0.5 }), 32],
    ];
    if (backend !== "js") {
      models.push(
        ["resnet50", () => vm.resnet50({ numClasses: 10 }), 32],
        ["mobilenetV3Small", () => vm.mobilenetV3Small({ numClasses: 10 }), 32],
        ["shufflenetV2X1_0", () => vm.shufflenetV2X1_0({ numClasses: 10 }), 32],
        ["efficientnetB0", () => vm.efficientnetB0({ numClasses: 10 }), 32],
      );
    }
    for (const [name, mk, size] of models) {
      const m = mk();
      randomizeNorms(m);
      m.eval();
      const x = torch.randn(1, 3, size, size);
      const want = unfused(() => ev(m, x));
      let got!: torch.Tensor;
      const k = kernelCalls(() => {
        got = ev(m, x);
      });
      expect(k.channelNormalize, name).toBe(0);
      if (name.startsWith("resnet") || name === "mobilenetV2") {
        // every ReLU / ReLU6 (and ResNet's residual add + ReLU) in a conv's epilogue
        expect(k.assignStrided, name).toBe(0);
        expect(k.unary, name).toBe(0);
      }
      tol(got, want, name);
    }
  });

  it("BasicBlock / Bottleneck with a downsample: fused in eval without grad, the modules with grad", () => {
    torch.manualSeed(9);
    for (const block of [
      new vm.BasicBlock(
        4,
        6,
        2,
        new nn.Sequential(new nn.Conv2d(4, 6, 1, { stride: 2, bias: false }), new nn.BatchNorm2d(6)),
      ),
      new vm.BasicBlock(6, 6),
      new vm.Bottleneck(8, 3, 1, new nn.Sequential(new nn.Conv2d(8, 12, 1, { bias: false }), new nn.BatchNorm2d(12))),
    ]) {
      randomizeNorms(block);
      block.eval();
      const x = torch.randn(2, (block as any).conv1.inChannels, 7, 9);
      const want = unfused(() => ev(block, x));
      let got!: torch.Tensor;
      const k = kernelCalls(() => {
        got = ev(block, x);
      });
      expect(k.channelNormalize).toBe(0);
      tol(got, want, block.constructor.name);
      // x is untouched (the residual add happens in fresh memory)
      expect(x.isDisposed).toBe(false);
      const xg = x.detach().requiresGrad_();
      const y = (block as any).forward(xg) as torch.Tensor;
      tol(y, want, "with grad");
      y.sum().backward();
      const xu = x.detach().requiresGrad_();
      unfused(() => ((block as any).forward(xu) as torch.Tensor).sum().backward());
      expectClose(xg.grad!.toFloat32Array(), xu.grad!.toFloat32Array(), 1e-5, 1e-5, "x grad");
    }
  });

  it("in-place ops without autograd write without a copy kernel, and views see the new values", () => {
    const t = torch.tensor([-1, 2, -3, 4, -5, 6]).reshape([2, 3]);
    const row = t.select(0, 1);
    const v0 = t._version;
    const k = kernelCalls(() => {
      torch.noGrad(() => t.relu_());
    });
    expect(k.assignStrided).toBe(0);
    expect(t._version).toBe(v0 + 1);
    expect(t.tolist()).toEqual([
      [0, 2, 0],
      [4, 0, 6],
    ]);
    expect(row.tolist()).toEqual([4, 0, 6]);
    // a view written in place: the copy into the base's storage
    torch.noGrad(() => row.neg_());
    expect(t.tolist()).toEqual([
      [0, 2, 0],
      [-4, -0, -6],
    ]);
    // a result that another tensor also holds (copy_ of an expanded source) is copied, not taken
    const src = torch.tensor([1, 2, 3]);
    torch.noGrad(() => t.copy_(src));
    expect(src.tolist()).toEqual([1, 2, 3]);
    expect(t.tolist()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    src.add_(1);
    expect(t.tolist()[0]).toEqual([1, 2, 3]);
  });
});

it("fusion is on by default", () => {
  expect(isFusionEnabled()).toBe(true);
});
