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
/** Flattens dims `startDim`..`endDim` into one (`torch.flatten`). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  return ops.flatten(x, startDim, endDim);
}
/** x with a new shape (one dim may be -1), a view when the strides allow (`torch.reshape`). */
export function reshape(x: Tensor, ...shape: (number | number[])[]): Tensor {
  return x.reshape(flat(shape));
}
/** x with its dims reordered, as a view (`torch.permute`). */
export function permute(x: Tensor, ...dims: (number | number[])[]): Tensor {
  return ops.permute(x, flat(dims));
}
/** x with dims `dim0` and `dim1` swapped, as a view (`torch.transpose`). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  return ops.transpose(x, dim0, dim1);
}
/** The transpose of a matrix (a 0-d or 1-d tensor as is) (`torch.t`). */
export function t(x: Tensor): Tensor {
  return x.t();
}
/** `length` elements of `dim` from `start`, as a view (`torch.narrow`). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  return ops.narrow(x, dim, start, length);
}
/** The slice at `index` of `dim`, that dim removed, as a view (`torch.select`). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  return ops.select(x, dim, index);
}
/** A copy of x with its own storage, in the autograd graph (`torch.clone`). */
export function clone(x: Tensor): Tensor {
  return ops.clone(x);
}
/** exp(x) / sum(exp(x)) along `dim` (`torch.softmax`). */
export function softmax(x: Tensor, dim: number): Tensor {
  return ops.softmax(x, dim, false);
}
/** log(softmax(x)) along `dim`, computed stably (`torch.log_softmax`). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return ops.softmax(x, dim, true);
}
/** Number of elements of x (`torch.numel`). */
export function numel(x: Tensor): number {
  return x.numel();
}
export type { MaxResult };
