// F.linear, activations, softmax family, dropout: thin wrappers over ops.

import * as ops from "../../ops.js";
import { random } from "../../runtime.js";
import { Tensor } from "../../tensor.js";

/** y = x W^T + b (F.linear(x, weight, bias?)). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor { return ops.linear(x, weight, bias); }
export function relu(x: Tensor): Tensor { return ops.unary("relu", x); }
export function sigmoid(x: Tensor): Tensor { return ops.unary("sigmoid", x); }
export function tanh(x: Tensor): Tensor { return ops.unary("tanh", x); }
export function softmax(x: Tensor, dim: number): Tensor { return ops.softmax(x, dim, false); }
export function logSoftmax(x: Tensor, dim: number): Tensor { return ops.softmax(x, dim, true); }

/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, opts: { training?: boolean } = {}): Tensor {
  const training = opts.training ?? true;
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
