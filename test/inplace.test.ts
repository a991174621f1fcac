// In-place ops and autograd safety against PyTorch 1.13 (test/fixtures/tensor/inplace.json from
// scripts/gen_tensor_fixtures.py): the same programs, values, gradients and PyTorch's errors;
// version counters, views of bases and vice versa, views by PyTorch's stride rule.
import { describe, expect, it } from "vitest";
import * as torch from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { describeBackends, expectClose } from "./util.js";
import { dec, expectTensor, fixture } from "./tensor-fixtures.js";

const F = fixture("inplace.json");
const P = F.programs;

// the programs of scripts/gen_tensor_fixtures.py (inplace_cases), one for one
const PROGRAMS: Record<string, (a: Tensor, b: Tensor, c: Tensor) => Tensor> = {
  p1: (a, b) => {
    const x = a.mul(2);
    x.add_(b);
    return x.mul(x);
  },
  p2: (a, b) => {
    const x = a.mul(1);
    x.mul_(b);
    return x;
  },
  p3: (a) => {
    const x = a.mul(1);
    x.pow_(2);
    return x;
  },
  p4: (a) => {
    const x = a.exp();
    x.add_(1);
    return x;
  },
  p5: (a) => {
    const x = a.mul(2);
    x.exp_();
    return x;
  },
  p6: (a) => {
    const x = a.mul(1);
    x.sigmoid_();
    x.mul_(2);
    return x;
  },
  p7: (a) => {
    const x = a.mul(1);
    x.index(1).mul_(3);
    return x;
  },
  p8: (a, b, c) => {
    const x = a.mul(1);
    x.index(":", "1:3").add_(c.index("1:3"));
    return x;
  },
  p9: (a, b, c) => {
    const x = a.mul(1);
    x.add_(c);
    x.relu_();
    return x;
  },
  p10: (a, b, c) => {
    const x = torch.zeros(3, 4);
    x.indexPut_([1], c);
    return x.mul(b);
  },
  p11: (a) => {
    const x = a.mul(1);
    const y = x.mul(x);
    x.add_(1);
    return y;
  },
  p12: (a, b) => {
    const x = a.clone();
    x.clamp_(-0.5, 0.5);
    x.div_(b);
    return x;
  },
  p13: (a, b) => {
    const x = a.mul(1);
    const v = x.t();
    v.sub_(b.t());
    return x;
  },
  p14: (a, b) => {
    const x = a.mul(1);
    x.maskedFill_(b.gt(0), 0);
    return x;
  },
  p15: (a, b, c) => {
    const x = a.mul(1);
    x.copy_(c);
    return x.mul(b);
  },
  p16: (a) => {
    const x = a.mul(1);
    x.tanh_();
    x.fill_(2);
    return x;
  },
  p17: (a) => {
    const x = a.mul(1);
    x.index(":", 0).zero_();
    return x.mul(a);
  },
  p18: (a) => {
    const x = a.mul(1);
    x.mul_(x);
    return x;
  },
  p19: (a, b) => {
    const x = a.clone();
    x.indexPut_([b.gt(0)], 0);
    return x;
  },
  p20: (a, b, c) => {
    const x = a.mul(1);
    x.indexPut_([torch.tensor([0, 2, 0], { dtype: "int64" })], c, { accumulate: true });
    return x;
  },
};

describeBackends("inplace: PyTorch programs", () => {
  for (const c of P.cases) {
    it(`${c.name}${c.error ? " (error)" : ""}`, () => {
      const a = dec(P.a, { requiresGrad: true }),
        b = dec(P.b, { requiresGrad: true }),
        cc = dec(P.c, { requiresGrad: true });
      const run = () => {
        const y = PROGRAMS[c.name](a, b, cc);
        y.sum().backward();
        return y;
      };
      if (c.error) {
        // PyTorch's message up to its "Hint:" sentence
        expect(run).toThrow(c.error.replace(/ Hint:.*$/, ""));
        return;
      }
      const y = run();
      expectTensor(y, c.out, "value");
      const z = (t: Tensor, n: number[]) => (t.grad ?? torch.zeros(n)).toFloat32Array();
      expectClose(z(a, [3, 4]), dec(c.ga).toFloat32Array(), 1e-5, 1e-5, "grad a");
      expectClose(z(b, [3, 4]), dec(c.gb).toFloat32Array(), 1e-5, 1e-5, "grad b");
      expectClose(z(cc, [4]), dec(c.gc).toFloat32Array(), 1e-5, 1e-5, "grad c");
    });
  }
});

describeBackends("inplace: view follows PyTorch's stride rule", () => {
  for (const c of F.views) {
    it(`${c.src.join(" ")} [${c.shape}] -> view(${c.new})${c.error ? " (error)" : ""}`, () => {
      const x = torch
        .arange(c.shape.reduce((p: number, d: number) => p * d, 1))
        .float()
        .reshape(c.shape);
      const [kind, ...args] = c.src;
      const v =
        kind === "narrow"
          ? x.narrow(args[0], args[1], args[2])
          : kind === "t"
            ? x.t()
            : kind === "permute"
              ? x.permute(args)
              : kind === "step"
                ? x.index("::2")
                : x.expand(args);
      if (c.error) {
        expect(() => v.view(c.new)).toThrow("view size is not compatible with input tensor's size and stride");
        return;
      }
      const r = v.view(c.new);
      expect(r.stride()).toEqual(c.strides);
      expectTensor(r, c.out);
      r.fill_(-1); // a view: the base and the source view see it
      expect(Array.from(v.contiguous().toFloat32Array()).every((q) => q === -1)).toBe(true);
      expect(x.toFloat32Array().includes(-1)).toBe(true);
    });
  }
  it("qkv.narrow(2, 0, C).view(B, T, nh, hs) is a view with gradients", () => {
    const qkv = torch.randn(2, 5, 12, { requiresGrad: true });
    const q = qkv.narrow(2, 0, 4).view(2, 5, 2, 2);
    expect(q.stride()).toEqual([60, 12, 2, 1]);
    q.sum().backward();
    const g = qkv.grad!.tolist() as number[][][];
    expect(g[1][3].slice(0, 5)).toEqual([1, 1, 1, 1, 0]);
  });
});

describeBackends("inplace: version counters and autograd safety", () => {
  it("in-place ops return this and bump the storage version shared by views", () => {
    const x = torch.zeros(4);
    const v = x.index("1:3");
    expect(x._version).toBe(0);
    expect(x.add_(1)).toBe(x);
    expect(x._version).toBe(1);
    expect(v._version).toBe(1);
    v.mul_(5);
    expect(x._version).toBe(2);
    expect(x.tolist()).toEqual([1, 5, 5, 1]);
  });
  it("leaf that requires grad: PyTorch's error; under noGrad it works", () => {
    const w = torch.randn(3, { requiresGrad: true });
    expect(() => w.add_(1)).toThrow("a leaf Variable that requires grad is being used in an in-place operation.");
    expect(() => w.index(0).fill_(1)).toThrow(
      "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
    torch.noGrad(() => w.sub_(w.mul(0.1)));
    expect(w.requiresGrad).toBe(true);
  });
  it("modifying an op's saved output: PyTorch's error at backward", () => {
    const a = torch.randn(2, 2, { requiresGrad: true });
    const o = a.tanh();
    o.add_(1);
    expect(() => o.sum().backward()).toThrow(/output 0 of TanhBackward0, is at version 1; expected version 0 instead/);
  });
  it("an input the gradient does not read may change in place (exp saves its output only); log's input may not", () => {
    const a = torch.randn(3, { requiresGrad: true });
    const y = a.mul(1),
      e = y.exp();
    y.add_(1);
    e.sum().backward();
    expectClose(a.grad!.toFloat32Array(), e.detach().toFloat32Array(), 1e-6, 1e-6);
    const b = torch.rand(3, { requiresGrad: true });
    const z = b.mul(1),
      l = z.log();
    z.add_(1);
    expect(() => l.sum().backward()).toThrow(
      "one of the variables needed for gradient computation has been modified by an inplace operation",
    );
  });
  it("every elementwise op has a twin, and dtype/shape rules are PyTorch's", () => {
    const x = torch.tensor([0.25, -1, 4]);
    expect(x.clone().sqrt_().isnan().tolist()).toEqual([false, true, false]);
    expect(x.clone().abs_().tolist()).toEqual([0.25, 1, 4]);
    expect(x.clone().neg_().tolist()).toEqual([-0.25, 1, -4]);
    expect(x.clone().clamp_(0, 1).tolist()).toEqual([0.25, 0, 1]);
    expect(() => torch.ones(2).add_(torch.ones(2, 2))).toThrow(
      "output with shape [2] doesn't match the broadcast shape [2, 2]",
    );
    expect(() => torch.ones(2, { dtype: "int64" }).add_(1.5)).toThrow(
      "result type Float can't be cast to the desired output type Long",
    );
    const i = torch.tensor([1, 2, 3], { dtype: "int64" });
    i.mul_(2 ** 40);
    expect(i.tolist()).toEqual([2 ** 40, 2 ** 41, 3 * 2 ** 40]);
    const m = torch.tensor([1, 5, 3]);
    m.gt_(2);
    expect(m.tolist()).toEqual([0, 1, 1]);
  });
  it("fill_/copy_/zero_ write non-contiguous views (one strided kernel)", () => {
    const x = torch.arange(12).float().reshape(3, 4);
    x.t().index(1).fill_(-1); // column 1
    x.index(":", "::3").zero_(); // columns 0 and 3
    expect(x.tolist()).toEqual([
      [0, -1, 2, 0],
      [0, -1, 6, 0],
      [0, -1, 10, 0],
    ]);
    const y = torch.zeros(2, 3);
    y.t().copy_(
      torch.tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    expect(y.tolist()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    y.copy_(torch.tensor([7, 8, 9])); // broadcast
    expect(y.tolist()).toEqual([
      [7, 8, 9],
      [7, 8, 9],
    ]);
  });
  it("out += identity (a residual block) trains: gradients match the out-of-place version", () => {
    const mk = () =>
      torch.tensor(
        [
          [0.5, -1],
          [2, 0.25],
        ],
        { requiresGrad: true },
      );
    const a1 = mk(),
      a2 = mk();
    // (mul saves its inputs, not its output, as BatchNorm in a ResNet block)
    const o1 = a1.mul(3);
    o1.add_(a1);
    o1.relu_();
    o1.sum().backward();
    const o2 = a2.mul(3).add(a2).relu();
    o2.sum().backward();
    expectClose(a1.grad!.toFloat32Array(), a2.grad!.toFloat32Array(), 1e-6, 1e-6);
    expect(o1.gradFn!.name).toBe("ReluBackward");
  });
  it("zero-size tensors: forward and backward of in-place and indexing ops", () => {
    const a = torch.zeros(0, 3, { requiresGrad: true });
    const x = a.mul(2);
    x.add_(1);
    x.index(":", "1:").mul_(2);
    x.sum().backward();
    expect(a.grad!.shape).toEqual([0, 3]);
    const e = torch.empty(0);
    e.fill_(3);
    expect(e.tolist()).toEqual([]);
  });
  it("zero-size batches through layers, forward and backward (issue 9.6)", () => {
    const F = torch.nn.functional;
    const conv = new torch.nn.Conv2d(2, 4, 3);
    const x = torch.randn(0, 2, 5, 5, { requiresGrad: true });
    const y = conv.forward(x);
    expect(y.shape).toEqual([0, 4, 3, 3]);
    F.maxPool2d(y, 2).sum().add(F.avgPool2d(y, 1).sum()).backward();
    expect(x.grad!.shape).toEqual([0, 2, 5, 5]);
    expect(Array.from(conv.weight.grad!.toFloat32Array()).every((v) => v === 0)).toBe(true);
    const lin = new torch.nn.Linear(3, 2);
    const z = torch.randn(0, 3, { requiresGrad: true });
    const out = lin.forward(z).relu().softmax(-1);
    out.sum().backward();
    expect(lin.weight.grad!.tolist()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const emb = new torch.nn.Embedding(5, 3);
    emb
      .forward(torch.zeros([0], { dtype: "int64" }))
      .sum()
      .backward();
    expect(emb.weight.grad!.shape).toEqual([5, 3]);
    const l = F.crossEntropy(torch.randn(0, 4, { requiresGrad: true }), torch.zeros([0], { dtype: "int64" }));
    expect(Number.isNaN(l.item())).toBe(true); // PyTorch: mean over no elements
  });
});

describe("inplace: fixture file", () => {
  it("has cases", () => {
    expect(P.cases.length).toBe(20);
    expect(F.views.length).toBeGreaterThan(10);
  });
});
