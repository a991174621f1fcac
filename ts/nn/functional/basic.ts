// F.linear, activations, softmax family, dropout: thin wrappers over ops.

import * as ops from "../../ops.js";
import { random } from "../../runtime.js";
import { Tensor } from "../../tensor.js";
import { A, parseArgs } from "../../utils/args.js";

/** y = x W^T + b (F.linear(x, weight, bias?)). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor;
export function linear(...args: unknown[]): Tensor {
  const o = parseArgs("F.linear", args, { input: A.tensor, weight: A.tensor, bias: [A.optTensor, null] });
  return ops.linear(o.input, o.weight, o.bias);
}
/** max(x, 0) elementwise; `F.relu(x, true)` works in place (`F.relu`). */
export function relu(x: Tensor, inplace?: boolean | { inplace?: boolean }): Tensor;
export function relu(...args: unknown[]): Tensor {
  const o = parseArgs("F.relu", args, { input: A.tensor, inplace: [A.bool, false] });
  return o.inplace ? (o.input as Tensor & { relu_(): Tensor }).relu_() : ops.unary("relu", o.input);
}
/** 1 / (1 + exp(-x)) elementwise (`F.sigmoid`). */
export function sigmoid(x: Tensor): Tensor {
  return ops.unary("sigmoid", x);
}
/** Hyperbolic tangent elementwise (`F.tanh`). */
export function tanh(x: Tensor): Tensor {
  return ops.unary("tanh", x);
}
/** PyTorch's implicit softmax dim (deprecated there, accepted here the same way). */
function softmaxDim(x: Tensor, dim: number | null): number {
  if (dim !== null) return dim;
  return x.dim() === 0 || x.dim() === 1 || x.dim() === 3 ? 0 : 1;
}
const SOFTMAX_ARGS = {
  input: A.tensor,
  dim: [A.int, null],
  dtype: A.kw(A.nullable(A.oneOf("float32")), null),
} as const;
/** exp(x) / sum(exp(x)) along `dim` (`F.softmax`). */
export function softmax(x: Tensor, dim: number, opts?: { dtype?: "float32" | null }): Tensor;
export function softmax(...args: unknown[]): Tensor {
  const o = parseArgs("F.softmax", args, SOFTMAX_ARGS);
  return ops.softmax(o.input, softmaxDim(o.input, o.dim), false);
}
/** log(softmax(x)) along `dim`, computed stably (`F.log_softmax`). */
export function logSoftmax(x: Tensor, dim: number, opts?: { dtype?: "float32" | null }): Tensor;
export function logSoftmax(...args: unknown[]): Tensor {
  const o = parseArgs("F.logSoftmax", args, SOFTMAX_ARGS);
  return ops.softmax(o.input, softmaxDim(o.input, o.dim), true);
}

/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p?: number, opts?: { training?: boolean; inplace?: boolean }): Tensor;
export function dropout(...args: unknown[]): Tensor {
  const {
    input: x,
    p,
    training,
    inplace,
  } = parseArgs("F.dropout", args, {
    input: A.tensor,
    p: [A.num, 0.5],
    training: [A.bool, true],
    inplace: [A.bool, false],
  });
  if (inplace) throw new TypeError("F.dropout: inplace is not supported by torchlet (use the returned tensor)");
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return ops.mul(x, 0);
  const mask = Tensor.empty(x.shape.slice(), "float32");
  const v = mask.backendView();
  const scale = 1 / (1 - p);
  for (let k = 0; k < v.length; k++) v[k] = random() < p ? 0 : scale;
  const out = ops.mul(x, mask);
  return out;
}
