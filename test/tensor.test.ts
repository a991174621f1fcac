// Tensor basics on every backend: creation, dtypes, views, broadcasting, reductions, batched
// matmul, autograd bookkeeping and PyTorch's repr. Expected values come from PyTorch 1.13
// (/usr/bin/python3) and are written out inline.

import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends, expectClose, values } from "./util.js";

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

describeBackends("tensor creation", () => {
  it("tensor() from nested arrays, typed arrays and scalars", () => {
    const a = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe("float32");
    expect(a.numel()).toBe(6);
    expect(a.dim()).toBe(2);
    expect(a.tolist()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = torch.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2], requiresGrad: true });
    expect(b.shape).toEqual([3, 2]);
    expect(b.requiresGrad).toBe(true);
    expect(b.tolist()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const s = torch.tensor(2.5);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(2.5);
    expect(() => torch.tensor([[1, 2], [3]])).toThrow(/expected sequence of length 2 at dim 1 \(got 1\)/);
  });

  it("zeros / ones / full / arange", () => {
    expect(torch.zeros(2, 3).tolist()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(torch.ones([2, 2]).tolist()).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(torch.full([3], 7).tolist()).toEqual([7, 7, 7]);
    const r = torch.arange(0, 10);
    expect(r.dtype).toBe("int64");
    expect(r.tolist()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(torch.arange(5).tolist()).toEqual([0, 1, 2, 3, 4]);
    const f = torch.arange(0, 1, 0.25);
    expect(f.dtype).toBe("float32");
    expect(f.tolist()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(torch.zeros(2, 2, { dtype: "int64" }).dtype).toBe("int64");
  });

  it("rand / randn are reproducible under manualSeed and have sane statistics", () => {
    torch.manualSeed(123);
    const a = values(torch.randn(1000)),
      u = values(torch.rand(2, 50));
    torch.manualSeed(123);
    const b = values(torch.randn(1000)),
      v = values(torch.rand(2, 50));
    expect(a).toEqual(b);
    expect(u).toEqual(v);
    torch.manualSeed(124);
    expect(values(torch.randn(1000))).not.toEqual(a);
    const mean = a.reduce((p, x) => p + x, 0) / a.length;
    const sd = Math.sqrt(a.reduce((p, x) => p + (x - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
    expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("int64 tensors", () => {
    const t = torch.tensor([0, 2, 1], { dtype: "int64" });
    expect(t.dtype).toBe("int64");
    expect(t.tolist()).toEqual([0, 2, 1]);
    expect(torch.tensor([1.7, -1.7], { dtype: "int64" }).tolist()).toEqual([1, -1]); // truncation, as .long()
    const f = t.float();
    expect(f.dtype).toBe("float32");
    expect(f.tolist()).toEqual([0, 2, 1]);
    expect(torch.tensor([2.9, -2.9]).long().tolist()).toEqual([2, -2]);
    expect(() => {
      t.requiresGrad = true;
    }).toThrow("only Tensors of floating point dtype can require gradients");
  });
});

describeBackends("views", () => {
  it("view / reshape / flatten share or copy as PyTorch", () => {
    const x = torch.arange(0, 24, 1, { dtype: "float32" });
    const v = x.view(2, 3, 4);
    expect(v.shape).toEqual([2, 3, 4]);
    expect(x.view(-1, 8).shape).toEqual([3, 8]);
    expect(v.flatten(1).shape).toEqual([2, 12]);
    expect(v.flatten().shape).toEqual([24]);
    expect(v.flatten(0, 1).shape).toEqual([6, 4]);
    expect(v.reshape([4, -1]).shape).toEqual([4, 6]);
    expect(flat(v.reshape(4, 6).tolist())).toEqual(flat(x.tolist()));
  });

  it("permute / transpose / contiguous", () => {
    const x = torch.arange(0, 24, 1, { dtype: "float32" }).view(2, 3, 4);
    const p = x.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.isContiguous()).toBe(false);
    // p[k][i][j] = x[i][j][k]
    const xl = x.tolist() as number[][][],
      pl = p.tolist() as number[][][];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(pl[k][i][j]).toBe(xl[i][j][k]);
    const t = x.transpose(0, 2);
    expect(t.shape).toEqual([4, 3, 2]);
    const c = t.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.tolist()).toEqual(t.tolist());
    expect(t.reshape(-1).shape).toEqual([24]);
    expect(() => t.view(-1)).toThrow(/view size is not compatible with input tensor's size and stride/);
    const m = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(m.transpose(0, 1).tolist()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(m.permute(1, 0).contiguous().view(6).tolist()).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it("gradients flow through views", () => {
    const x = torch.arange(0, 6, 1, { dtype: "float32" }).requiresGrad_();
    const y = x.view(2, 3).transpose(0, 1).reshape(6);
    y.mul(torch.tensor([1, 2, 3, 4, 5, 6]))
      .sum()
      .backward();
    // y = [x0, x3, x1, x4, x2, x5]
    expect(x.grad!.tolist()).toEqual([1, 3, 5, 2, 4, 6]);
  });
});

describeBackends("broadcasting and elementwise", () => {
  it("broadcasts like PyTorch", () => {
    const a = torch.tensor([[1], [2], [3]]); // 3x1
    const b = torch.tensor([10, 20, 30, 40]); // 4
    expect(a.add(b).tolist()).toEqual([
      [11, 21, 31, 41],
      [12, 22, 32, 42],
      [13, 23, 33, 43],
    ]);
    expect(a.mul(b).shape).toEqual([3, 4]);
    expect(b.sub(a).tolist()[2]).toEqual([7, 17, 27, 37]);
    expect(a.div(torch.tensor([2])).tolist()).toEqual([[0.5], [1], [1.5]]);
    const c = torch.ones(2, 1, 3).add(torch.zeros(4, 1));
    expect(c.shape).toEqual([2, 4, 3]);
    expect(torch.broadcastShapes([5, 1, 3], [4, 1])).toEqual([5, 4, 3]);
  });

  it("unary and scalar ops", () => {
    const x = torch.tensor([-1, 0, 0.5, 2]);
    expectClose(values(x.neg()), [1, -0, -0.5, -2]);
    expectClose(values(x.exp()), [Math.exp(-1), 1, Math.exp(0.5), Math.exp(2)], 1e-6, 1e-6);
    expectClose(values(x.relu()), [0, 0, 0.5, 2]);
    expectClose(values(x.pow(2)), [1, 0, 0.25, 4]);
    expectClose(values(x.mul(2).add(1)), [-1, 1, 2, 5]);
    expectClose(values(torch.tensor([1, 4, 9]).sqrt()), [1, 2, 3], 1e-6, 1e-6);
    expectClose(values(torch.tensor([1, Math.E]).log()), [0, 1], 1e-6, 1e-6);
    expectClose(
      values(x.sigmoid()),
      [-1, 0, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v))),
      1e-6,
      1e-6,
    );
    expectClose(values(x.tanh()), [-1, 0, 0.5, 2].map(Math.tanh), 1e-6, 1e-6);
    const sm = torch.tensor([[1, 2, 3]]).softmax(1);
    const e = [1, 2, 3].map(Math.exp),
      z = e[0] + e[1] + e[2];
    expectClose(
      values(sm),
      e.map((v) => v / z),
      1e-6,
      1e-6,
    );
    expectClose(
      values(torch.tensor([[1, 2, 3]]).logSoftmax(-1)),
      e.map((v) => Math.log(v / z)),
      1e-6,
      1e-6,
    );
  });
});

describeBackends("reductions", () => {
  const a = () =>
    torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  const x = () => torch.arange(0, 24, 1, { dtype: "float32" }).reshape(2, 3, 4);
  it("sum / mean", () => {
    expect(a().sum().item()).toBe(21);
    expect(a().sum().shape).toEqual([]);
    expect(a().sum(0).tolist()).toEqual([5, 7, 9]);
    expect(a().sum(1, true).tolist()).toEqual([[6], [15]]);
    expect(x().sum(1).tolist()).toEqual([
      [12, 15, 18, 21],
      [48, 51, 54, 57],
    ]);
    expect(a().mean().item()).toBe(3.5);
    expectClose(values(x().mean([0, 2])), [7.5, 11.5, 15.5]);
    expect(x().mean([0, 2], true).shape).toEqual([1, 3, 1]);
  });
  it("max / argmax", () => {
    expect(a().max().item()).toBe(6);
    const [v, i] = x().max(2);
    expect(v.tolist()).toEqual([
      [3, 7, 11],
      [15, 19, 23],
    ]);
    expect(i.dtype).toBe("int64");
    expect(i.tolist()).toEqual([
      [3, 3, 3],
      [3, 3, 3],
    ]);
    const b = torch.tensor([
      [3, 1, 4],
      [1, 5, 9],
      [2, 6, 5],
    ]);
    expect(b.max(0).values.tolist()).toEqual([3, 6, 9]);
    expect(b.max(0).indices.tolist()).toEqual([0, 2, 1]);
    expect(b.argmax(1).tolist()).toEqual([2, 2, 1]);
    expect(b.argmax().item()).toBe(5);
  });
  it("var is unbiased by default (as PyTorch)", () => {
    expectClose([a().var().item()], [3.5]);
    expectClose(values(a().var(1)), [1, 1]);
    expectClose(values(a().var(0, { unbiased: false })), [2.25, 2.25, 2.25]);
    expect(a().var(1, { keepdim: true }).shape).toEqual([2, 1]);
  });
});

describeBackends("matmul", () => {
  it("2-d, batched and broadcast-batched", () => {
    const m = torch
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .matmul(
        torch.tensor([
          [5, 6],
          [7, 8],
        ]),
      );
    expect(m.tolist()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    const A = torch.arange(0, 12, 1, { dtype: "float32" }).reshape(2, 2, 3);
    const B = torch.arange(0, 18, 1, { dtype: "float32" }).reshape(2, 3, 3).mul(0.5);
    expect(A.matmul(B).tolist()).toEqual([
      [
        [7.5, 9, 10.5],
        [21, 27, 33],
      ],
      [
        [129, 139.5, 150],
        [183, 198, 213],
      ],
    ]);
    const W = torch.arange(0, 6, 1, { dtype: "float32" }).reshape(3, 2);
    expect(A.matmul(W).tolist()).toEqual([
      [
        [10, 13],
        [28, 40],
      ],
      [
        [46, 67],
        [64, 94],
      ],
    ]);
    expect(
      torch
        .tensor([1, 2, 3])
        .matmul(torch.tensor([4, 5, 6]))
        .item(),
    ).toBe(32);
  });
  it("batched matmul backward", () => {
    const A = torch.arange(0, 12, 1, { dtype: "float32" }).reshape(2, 2, 3).mul(0.1).detach().requiresGrad_();
    const B = torch.arange(0, 18, 1, { dtype: "float32" }).reshape(2, 3, 3).mul(0.05).detach().requiresGrad_();
    A.matmul(B).sum().backward();
    // dA = 1 @ B^T  -> each row of dA[b] = row sums of B[b]; dB = A^T @ 1 -> each column = column sums of A[b]
    const Bl = B.tolist() as number[][][],
      Al = A.tolist() as number[][][];
    const dA = [0, 1].map((b) => [0, 1].map(() => Bl[b].map((row) => row.reduce((p, q) => p + q, 0))));
    const dB = [0, 1].map((b) => [0, 1, 2].map((k) => [0, 1, 2].map(() => Al[b][0][k] + Al[b][1][k])));
    expectClose(values(A.grad!), flat(dA), 1e-5, 1e-5);
    expectClose(values(B.grad!), flat(dB), 1e-5, 1e-5);
  });
});

describeBackends("autograd bookkeeping", () => {
  it("accumulates gradients over two backward calls", () => {
    const w = torch.tensor([1, 2, 3], { requiresGrad: true });
    w.mul(w).sum().backward(); // 2w
    expect(w.grad!.tolist()).toEqual([2, 4, 6]);
    w.mul(3).sum().backward(); // + 3
    expect(w.grad!.tolist()).toEqual([5, 7, 9]);
    w.grad = null;
    w.sum().backward();
    expect(w.grad!.tolist()).toEqual([1, 1, 1]);
  });

  it("a tensor used twice gets the sum of both paths", () => {
    const x = torch.tensor([2], { requiresGrad: true });
    const y = x.mul(x).add(x.mul(3)); // x^2 + 3x -> 2x + 3 = 7
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([7]);
  });

  it("detach / noGrad / requiresGrad", () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d.tolist()).toEqual([1, 2]);
    const y = torch.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = x.mul(2);
    expect(z.requiresGrad).toBe(true);
    expect(z.isLeaf).toBe(false);
    expect(x.isLeaf).toBe(true);
    const plain = torch.tensor([1, 2]);
    expect(plain.requiresGrad).toBe(false);
    expect(plain.mul(2).requiresGrad).toBe(false);
    plain.requiresGrad = true;
    plain.mul(x.detach()).sum().backward();
    expect(plain.grad!.tolist()).toEqual([1, 2]);
    expect(x.grad).toBeNull();
    expect(() => torch.tensor([1, 2]).sum().backward()).toThrow(
      "element 0 of tensors does not require grad and does not have a grad_fn",
    );
    expect(() => x.mul(2).backward()).toThrow("grad can be implicitly created only for scalar outputs");
  });

  it("backward with an explicit gradient", () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).backward(torch.tensor([1, 0.5, 2]));
    expect(x.grad!.tolist()).toEqual([2, 2, 12]);
  });
});

describeBackends("toString is PyTorch's repr", () => {
  const f32 = (n: number) => torch.arange(0, n, 1, { dtype: "float32" });
  const cases: [string, () => torch.Tensor, string][] = [
    [
      "2x2 float",
      () =>
        torch.tensor([
          [1, 2],
          [3, 4],
        ]),
      "tensor([[1., 2.],\n        [3., 4.]])",
    ],
    [
      "requires_grad",
      () => torch.tensor([0.12345, 2.0], { requiresGrad: true }),
      "tensor([0.1235, 2.0000], requires_grad=True)",
    ],
    [
      "int64",
      () =>
        torch.tensor(
          [
            [1, -2],
            [30, 4],
          ],
          { dtype: "int64" },
        ),
      "tensor([[ 1, -2],\n        [30,  4]])",
    ],
    ["grad_fn", () => torch.tensor([1, 2], { requiresGrad: true }).add(1), "tensor([2., 3.], grad_fn=<AddBackward0>)"],
    [
      "sum grad_fn",
      () =>
        torch
          .tensor(
            [
              [1, 2],
              [3, 4],
            ],
            { requiresGrad: true },
          )
          .sum(),
      "tensor(10., grad_fn=<SumBackward0>)",
    ],
    ["scalar", () => torch.tensor(3.5), "tensor(3.5000)"],
    ["int64 scalar", () => torch.tensor(5, { dtype: "int64" }), "tensor(5)"],
    ["sci small", () => torch.tensor([1e-5, 1]), "tensor([1.0000e-05, 1.0000e+00])"],
    ["sci large", () => torch.tensor([123456, 1.5]), "tensor([1.2346e+05, 1.5000e+00])"],
    ["sci int range", () => torch.tensor([1, 123445]), "tensor([1.0000e+00, 1.2344e+05])"],
    [
      "sci signs",
      () =>
        torch.tensor([
          [0.5, -1.25],
          [1000, 2],
        ]),
      "tensor([[ 5.0000e-01, -1.2500e+00],\n        [ 1.0000e+03,  2.0000e+00]])",
    ],
    ["padding", () => torch.tensor([-1.5, 0.25, 100]), "tensor([ -1.5000,   0.2500, 100.0000])"],
    ["round half even", () => torch.tensor([0.03125, 0.5]), "tensor([0.0312, 0.5000])"],
    [
      "3-d",
      () => torch.zeros(2, 2, 2),
      "tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])",
    ],
    ["empty int64", () => torch.tensor([], { dtype: "int64" }), "tensor([], dtype=torch.int64)"],
    ["empty 2-d", () => torch.zeros(0, 3), "tensor([], size=(0, 3))"],
    ["empty 2-d int64", () => torch.zeros(2, 0, { dtype: "int64" }), "tensor([], size=(2, 0), dtype=torch.int64)"],
    ["nan/inf", () => torch.tensor([NaN, Infinity, 1.5]), "tensor([   nan,    inf, 1.5000])"],
    ["nan width", () => torch.tensor([NaN, 1]), "tensor([nan, 1.])"],
    ["negative zero", () => torch.tensor([-0, 1]), "tensor([-0., 1.])"],
    [
      "line wrap",
      () => f32(30).mul(1.5),
      "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])",
    ],
    [
      "suffix wrap",
      () => f32(9).mul(1.25).detach().requiresGrad_(),
      "tensor([ 0.0000,  1.2500,  2.5000,  3.7500,  5.0000,  6.2500,  7.5000,  8.7500,\n        10.0000], requires_grad=True)",
    ],
    [
      "int64 wrap",
      () => torch.arange(0, 100).reshape(4, 25),
      "tensor([[ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n         18, 19, 20, 21, 22, 23, 24],\n        [25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,\n         43, 44, 45, 46, 47, 48, 49],\n        [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,\n         68, 69, 70, 71, 72, 73, 74],\n        [75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92,\n         93, 94, 95, 96, 97, 98, 99]])",
    ],
    [
      "summarized 1-d",
      () => f32(2000),
      "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
    ],
    [
      "summarized 2-d int64",
      () => torch.arange(0, 1200).reshape(30, 40),
      "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n        [  40,   41,   42,  ...,   77,   78,   79],\n        [  80,   81,   82,  ...,  117,  118,  119],\n        ...,\n        [1080, 1081, 1082,  ..., 1117, 1118, 1119],\n        [1120, 1121, 1122,  ..., 1157, 1158, 1159],\n        [1160, 1161, 1162,  ..., 1197, 1198, 1199]])",
    ],
    [
      "summarized 3-d",
      () => f32(2400).reshape(2, 3, 400),
      "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 3.9700e+02,\n          3.9800e+02, 3.9900e+02],\n         [4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 7.9700e+02,\n          7.9800e+02, 7.9900e+02],\n         [8.0000e+02, 8.0100e+02, 8.0200e+02,  ..., 1.1970e+03,\n          1.1980e+03, 1.1990e+03]],\n\n        [[1.2000e+03, 1.2010e+03, 1.2020e+03,  ..., 1.5970e+03,\n          1.5980e+03, 1.5990e+03],\n         [1.6000e+03, 1.6010e+03, 1.6020e+03,  ..., 1.9970e+03,\n          1.9980e+03, 1.9990e+03],\n         [2.0000e+03, 2.0010e+03, 2.0020e+03,  ..., 2.3970e+03,\n          2.3980e+03, 2.3990e+03]]])",
    ],
  ];
  for (const [name, make, expected] of cases) it(name, () => expect(make().toString()).toBe(expected));

  it("Parameter", () => {
    const p = new torch.nn.Parameter(torch.tensor([1, 2]));
    expect(p.toString()).toBe("Parameter containing:\ntensor([1., 2.], requires_grad=True)");
  });
});
