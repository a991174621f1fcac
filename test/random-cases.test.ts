// Randomised PyTorch cases (test/fixtures/random.json, written by scripts/gen_random_cases.py):
// every layer/option of the API contract plus tensor ops, run on every backend.
// Module cases use runModuleCase; "op" cases (tensor ops / functional-only) are run by runOpCase.
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { F } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import {
  backwardAndCheckInputs,
  loadFixture,
  runModuleCase,
  toTensor,
  type FixTensor,
  type Tolerance,
} from "./fixtures.js";
import { describeBackends, expectClose } from "./util.js";

type P = Record<string, any>;

/** torchlet implementation of each op of scripts/gen_random_cases.py (op_fn). */
function applyOp(op: string, p: P, x: Tensor[]): Tensor | Tensor[] {
  const [a, b] = x;
  switch (op) {
    case "add":
      return a.add(b);
    case "sub":
      return a.sub(b);
    case "mul":
      return a.mul(b);
    case "div":
      return a.div(b);
    case "add_scalar":
      return a.add(p.s);
    case "sub_scalar":
      return a.sub(p.s);
    case "mul_scalar":
      return a.mul(p.s);
    case "div_scalar":
      return a.div(p.s);
    case "pow_scalar":
      return a.pow(p.s);
    case "matmul":
      return a.matmul(b);
    case "matmul_transposed":
      return a.transpose(-1, -2).matmul(b);
    case "sum":
      return p.dim === null ? a.sum() : a.sum(p.dim, p.keepdim);
    case "mean":
      return p.dim === null ? a.mean() : a.mean(p.dim, p.keepdim);
    case "var":
      return p.dim === null
        ? a.var({ unbiased: p.unbiased })
        : a.var(p.dim, { unbiased: p.unbiased, keepdim: p.keepdim });
    case "max":
    case "min": {
      const r = (a as any)[op](p.dim, p.keepdim);
      return [r.values, r.indices];
    }
    case "maxAll":
      return a.max() as Tensor;
    case "minAll":
      return a.min() as Tensor;
    case "argmax":
      return a.argmax(p.dim, p.keepdim);
    case "permute":
      return a.permute(p.dims).contiguous();
    case "permute_mul":
      return a.permute(p.dims).mul(b);
    case "transpose":
      return a.transpose(p.d0, p.d1).contiguous();
    case "transpose_sum":
      return a.transpose(p.d0, p.d1).sum(p.dim, p.keepdim);
    case "softmax":
      return F.softmax(a, p.dim);
    case "logSoftmax":
      return F.logSoftmax(a, p.dim);
    case "softmax_permuted":
      return F.softmax(a.permute(p.dims), p.dim);
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
    case "sigmoid":
    case "relu":
    case "neg":
    case "abs":
    case "square":
    case "rsqrt":
    case "reciprocal":
      return (a as any)[op]();
    case "flatten":
      return a.flatten(p.start, p.end);
    case "reshape":
      return a.reshape(p.shape);
    case "unsqueeze":
      return a.unsqueeze(p.dim);
    case "squeeze":
      return a.squeeze(p.dim);
    case "expand":
      return a.expand(p.shape).mul(1);
    case "narrow":
      return a.narrow(p.dim, p.start, p.length);
    case "select":
      return a.select(p.dim, p.index);
    case "cat":
      return torch.cat(x, p.dim);
    case "stack":
      return torch.stack(x, p.dim);
    case "clamp":
      return a.clamp(p.min, p.max);
    case "linear":
      return F.linear(a, b, x[2] ?? null);
    case "layerNorm":
      return F.layerNorm(a, p.shape, { weight: x[1] ?? null, bias: x[2] ?? null, eps: p.eps });
    case "batchNorm": {
      const [xx, rm, rv, w, bb] = x;
      const y = F.batchNorm(xx, rm, rv, {
        weight: w,
        bias: bb,
        training: p.training,
        momentum: p.momentum,
        eps: p.eps,
      });
      return [y, rm, rv];
    }
    // reduction / shape / indexing ops (ts/ops); masks are 0/1 float inputs read as m > 0.5
    case "gather":
      return a.gather(p.dim, b);
    case "scatterAdd":
      return a.scatterAdd(p.dim, b, x[2]);
    case "indexSelect":
      return a.indexSelect(p.dim, b);
    case "maskedFill":
      return a.maskedFill(b.gt(0.5), p.value);
    case "where":
      return torch.where(a.gt(0.5), b, x[2]) as Tensor;
    case "cumsum":
    case "cumprod":
      return (a as any)[op](p.dim);
    case "topk": {
      const r = a.topk(p.k, p.dim, p.largest);
      return [r.values, r.indices];
    }
    case "sort": {
      const r = a.sort(p.dim, p.descending);
      return [r.values, r.indices];
    }
    case "amax":
    case "amin":
    case "logsumexp":
      return (a as any)[op](p.dim, p.keepdim);
    case "prod":
      return a.prod(p.dim, p.keepdim);
    case "norm":
      return a.norm(p.p, p.dim, p.keepdim);
    case "flip":
      return a.flip(p.dims);
    case "roll":
      return a.roll(p.shifts, p.dims);
    case "tril":
    case "triu":
      return (a as any)[op](p.diagonal);
    case "einsum":
      return torch.einsum(p.eq, ...x);
    default:
      throw new Error(`unknown op ${op}`);
  }
}

interface OpCase {
  name: string;
  op: string;
  params: P;
  inputs: (FixTensor & { requiresGrad?: boolean })[];
  outputs: FixTensor[];
  gradOutputs: FixTensor[];
  inputGrads: (FixTensor | null)[];
}

function runOpCase(c: OpCase, tol: Tolerance = {}): void {
  const atol = tol.atol ?? 1e-4,
    rtol = tol.rtol ?? 1e-4;
  const inputs = c.inputs.map((f) => toTensor(f, f.requiresGrad ?? false));
  const res = applyOp(c.op, c.params, inputs);
  const outs = Array.isArray(res) ? res : [res];
  expect(outs.length, `${c.name}: number of outputs`).toBe(c.outputs.length);
  outs.forEach((o, k) => {
    expect(o.shape, `${c.name}: output ${k} shape`).toEqual(c.outputs[k].shape);
    expect(o.dtype, `${c.name}: output ${k} dtype`).toBe(c.outputs[k].dtype ?? "float32");
    expectClose(o.toFloat32Array(), c.outputs[k].data, atol, rtol, `${c.name}: output ${k}`);
  });
  if (!inputs.some((t) => t.requiresGrad)) return;
  backwardAndCheckInputs(c, outs, inputs, atol, rtol);
}

// Every case (LSTM/GRU stacks included) passes at the default abs 1e-4 + rel 1e-4: no looser tolerances.
const fx = loadFixture("random.json");

describeBackends("random PyTorch cases", () => {
  for (const c of fx.cases) {
    if (c.op) it(c.name, () => runOpCase(c as unknown as OpCase));
    else it(c.name, () => runModuleCase(c));
  }
});

it("random.json covers every module of the API contract", () => {
  const mods = new Set(fx.cases.map((c) => c.module ?? `op:${c.op}`));
  for (const m of [
    "Linear",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "Softmax",
    "LogSoftmax",
    "Flatten",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "Embedding",
    "LSTM",
    "GRU",
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "op:matmul",
    "op:var",
    "op:sum",
  ]) {
    expect(mods.has(m), m).toBe(true);
  }
  expect(fx.cases.length).toBeGreaterThanOrEqual(300);
});
