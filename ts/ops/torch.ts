// torch.* forms of the reductions, shape, indexing, linear-algebra and random ops, and of the
// older methods (torch.flatten, torch.sum, torch.max, ...): each is the same function the Tensor
// method calls, with the tensor first, so `torch.sum(x, 1, true)` is `x.sum(1, true)`.

import { Tensor, type MaxResult } from "../tensor.js";
import * as ops from "../ops.js";

export {
  sum,
  mean,
  prod,
  amax,
  amin,
  max,
  min,
  argmax,
  argmin,
  std,
  logsumexp,
  norm,
  cumsum,
  cumprod,
  any,
  all,
  countNonzero,
  variance as var,
} from "./reduce.js";
export {
  split,
  chunk,
  unbind,
  flip,
  roll,
  tile,
  broadcastTo,
  movedim,
  movedim as moveaxis,
  unflatten,
  squeeze,
  unsqueeze,
  tril,
  triu,
  diagonal,
  diag,
  cat,
  cat as concat,
  stack,
  hstack,
  vstack,
} from "./shape.js";
export {
  gather,
  scatter,
  scatterAdd,
  indexSelect,
  maskedFill,
  maskedSelect,
  where,
  nonzero,
  topk,
  sort,
  argsort,
  unique,
} from "./indexing.js";
export { bmm, baddbmm, addmm, addbmm, mm, mv, outer, dot, einsum } from "./linalg.js";
export {
  eye,
  linspace,
  logspace,
  fullLike,
  emptyLike,
  randLike,
  randnLike,
  randintLike,
  randperm,
  multinomial,
  bernoulli,
  normal,
} from "./random.js";

const flat = (a: unknown[]): number[] => (a.length === 1 && Array.isArray(a[0]) ? (a[0] as number[]) : (a as number[]));
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  return ops.flatten(x, startDim, endDim);
}
export function reshape(x: Tensor, ...shape: (number | number[])[]): Tensor {
  return x.reshape(flat(shape));
}
export function permute(x: Tensor, ...dims: (number | number[])[]): Tensor {
  return ops.permute(x, flat(dims));
}
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  return ops.transpose(x, dim0, dim1);
}
export function t(x: Tensor): Tensor {
  return x.t();
}
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  return ops.narrow(x, dim, start, length);
}
export function select(x: Tensor, dim: number, index: number): Tensor {
  return ops.select(x, dim, index);
}
export function clone(x: Tensor): Tensor {
  return ops.clone(x);
}
export function softmax(x: Tensor, dim: number): Tensor {
  return ops.softmax(x, dim, false);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return ops.softmax(x, dim, true);
}
export function numel(x: Tensor): number {
  return x.numel();
}
export type { MaxResult };
