// Shape and dtype errors carry PyTorch's wording (checked against PyTorch 1.13's messages) and
// are real Error objects (TypeError/RangeError/Error), on every backend.

import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { nn, F } from "../ts/index.js";
import { describeBackends } from "./util.js";

/** Runs fn, expects it to throw an Error whose message contains `msg` (string: verbatim). */
function throwsWith(fn: () => unknown, msg: string | RegExp): Error {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error matching ${msg}`).toBeInstanceOf(Error);
  const m = (err as Error).message;
  if (typeof msg === "string") expect(m).toContain(msg);
  else expect(m).toMatch(msg);
  return err as Error;
}

describeBackends("errors", () => {
  it("matmul / linear shape mismatch", () => {
    throwsWith(
      () => torch.randn(2, 3).matmul(torch.randn(4, 5)),
      "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
    );
    throwsWith(
      () => F.linear(torch.randn(2, 3), torch.randn(5, 4)),
      "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
    );
    throwsWith(
      () => new nn.Linear(3, 4).forward(torch.randn(2, 5)),
      "mat1 and mat2 shapes cannot be multiplied (2x5 and 3x4)",
    );
    throwsWith(
      () => torch.randn(3).matmul(torch.randn(4)),
      "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively",
    );
    throwsWith(
      () => torch.randn(2, 3, 4).matmul(torch.randn(2, 5, 4)),
      "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].",
    );
  });

  it("broadcasting mismatch", () => {
    throwsWith(
      () => torch.randn(2, 3).add(torch.randn(4, 3)),
      "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0",
    );
    throwsWith(
      () => torch.randn(2, 3).mul(torch.randn(2, 4)),
      "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
    );
    throwsWith(
      () => torch.randn(2, 3).expand(4, 3),
      "The expanded size of the tensor (4) must match the existing size (2) at non-singleton dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]",
    );
  });

  it("view errors", () => {
    throwsWith(
      () => torch.randn(2, 3).t().view(6),
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
    throwsWith(() => torch.randn(2, 3).view(4), "shape '[4]' is invalid for input of size 6");
    throwsWith(() => torch.randn(3).reshape(-1, -1), "only one dimension can be inferred");
    throwsWith(
      () => torch.randn(2, 3).flatten(1, 0),
      "flatten() has invalid args: start_dim cannot come after end_dim",
    );
    throwsWith(
      () => torch.randn(2, 3).permute(0),
      "number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = 2 is not equal to len(dims) = 1",
    );
    throwsWith(() => torch.randn(2, 3).narrow(1, 2, 2), "start (2) + length (2) exceeds dimension size (3).");
  });

  it("dimension out of range", () => {
    throwsWith(
      () => torch.randn(2, 3).sum(2),
      "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    );
    throwsWith(
      () => torch.randn(2, 3).softmax(2),
      "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    );
    throwsWith(
      () => torch.randn(2, 3).transpose(0, 2),
      "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    );
    throwsWith(
      () => torch.randn(2, 3).mean(-3),
      "Dimension out of range (expected to be in range of [-2, 1], but got -3)",
    );
  });

  it("cross entropy / nll with bad targets", () => {
    const logits = torch.randn(3, 4);
    throwsWith(() => F.crossEntropy(logits, torch.tensor([0, 1, 2])), "expected scalar type Long but found Float");
    throwsWith(
      () => new nn.CrossEntropyLoss().forward(logits, torch.tensor([0, 1, 2])),
      "expected scalar type Long but found Float",
    );
    throwsWith(() => F.nllLoss(logits, torch.tensor([0, 1, 2])), "expected scalar type Long but found Float");
    throwsWith(
      () => F.crossEntropy(logits, torch.tensor([0, 1], { dtype: "int64" })),
      "Expected input batch_size (3) to match target batch_size (2).",
    );
    throwsWith(
      () => F.crossEntropy(logits, torch.tensor([0, 1, 2], { dtype: "int64" }), { weight: torch.ones(3) }),
      "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]",
    );
    throwsWith(
      () => F.binaryCrossEntropy(torch.tensor([0.5, 1.5]), torch.tensor([0, 1])),
      "all elements of input should be between 0 and 1",
    );
  });

  it("autograd misuse", () => {
    throwsWith(
      () => torch.randn(2, 3).sum().backward(),
      "element 0 of tensors does not require grad and does not have a grad_fn",
    );
    throwsWith(
      () => torch.randn(2, 3, { requiresGrad: true }).mul(2).backward(),
      "grad can be implicitly created only for scalar outputs",
    );
    throwsWith(
      () => torch.tensor([1, 2], { requiresGrad: true }).mul(2).backward(torch.ones(3)),
      /Mismatch in shape: grad_output\[0\] has a shape of (torch\.Size\(\[3\]\)|\[3\]) and output\[0\] has a shape of (torch\.Size\(\[2\]\)|\[2\])/,
    );
    throwsWith(
      () => torch.tensor([1, 2], { dtype: "int64" }).requiresGrad_(),
      "only Tensors of floating point dtype can require gradients",
    );
  });

  it("creation and conversion", () => {
    throwsWith(() => torch.tensor([[1, 2], [3]]), "expected sequence of length 2 at dim 1 (got 1)");
    throwsWith(() => torch.zeros(-1), /Trying to create tensor with negative/);
    throwsWith(
      () => torch.randn(2, 3).item(),
      /cannot be converted to Scalar|only one element tensors can be converted/,
    );
    throwsWith(
      () => torch.cat([torch.randn(2, 3), torch.randn(2, 4)]),
      "Sizes of tensors must match except in dimension 0",
    );
  });

  it("errors are Error subclasses (TypeError/RangeError or Error)", () => {
    const e = throwsWith(() => torch.randn(2, 3).matmul(torch.randn(4, 5)), "mat1 and mat2");
    expect(e instanceof RangeError || e instanceof TypeError || e.constructor === Error || e.name.length > 0).toBe(
      true,
    );
    const d = throwsWith(() => F.nllLoss(torch.randn(3, 4), torch.tensor([0, 1, 2])), "expected scalar type Long");
    expect(d).toBeInstanceOf(TypeError);
  });

  it("init() with a bad backend name or thread count", async () => {
    await expect(torch.init({ backend: "gpu" as any })).rejects.toThrow(/unknown backend "gpu"/);
    await expect(torch.init({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});
