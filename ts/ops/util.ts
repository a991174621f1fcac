// Helpers shared by the op groups in ts/ops/*.ts: dim lists, [outer, n, inner] geometry, masks,
// strided operands for the kernels, and the int64/bool conversions in one place.

import type { DType, Storage } from "../backends/types.js";
import { backendImpl } from "../runtime.js";
import { Tensor, contiguousStrides, normDim, numelOf } from "../tensor.js";
import { idxAt } from "../backends/js-index.js";
import { A } from "../utils/args.js";
import * as ops from "../ops.js";

export const K = () => backendImpl();

/** A dim argument: one dim, a list of dims, or null/undefined for all. */
export const DIMS = () => A.nullable(A.or(A.int, A.ints));

/** Sorted unique non-negative dims; null/undefined or [] mean every dim (PyTorch's dim=None / []). */
export function normDims(dim: number | number[] | null | undefined, nd: number): number[] {
  if (dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0))
    return Array.from({ length: nd }, (_, k) => k);
  const list = Array.isArray(dim) ? dim : [dim];
  const ds = list.map((d) => normDim(d, nd));
  if (new Set(ds).size !== ds.length) {
    const d = ds.find((x, k) => ds.indexOf(x) !== k);
    throw new RangeError(`dim ${d} appears multiple times in the list of dims`);
  }
  return ds.sort((x, y) => x - y);
}
export function reducedShape(shape: readonly number[], dims: number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, k) => {
    if (!dims.includes(k)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}
/** shape with the reduced dims set to 1. */
export function keptShape(shape: readonly number[], dims: number[]): number[] {
  return shape.map((d, k) => (dims.includes(k) ? 1 : d));
}

/** [outer, n, inner] of dim d of shape (a 0-d tensor is one element of a 1-long dim). */
export function geom(shape: readonly number[], d: number): [number, number, number] {
  if (shape.length === 0) return [1, 1, 1];
  return [numelOf(shape.slice(0, d)), shape[d], numelOf(shape.slice(d + 1))];
}

/** Strides of t read as `shape` (t broadcast to it): 0 on broadcast dims. */
export function bstrides(t: Tensor, shape: readonly number[]): number[] {
  const off = shape.length - t.dim();
  return shape.map((s, k) => (k < off || t.shape[k - off] === 1 ? 0 : t.strides[k - off]));
}

/** A 0-d tensor holding v with t's dtype (a kernel operand). */
export function scalarLike(v: number, dtype: DType = "float32"): Tensor {
  return ops.full([], v, dtype);
}

/** The result dtype of two operands (PyTorch's promotion, bool < int64 < float32). */
export function promote(a: DType, b: DType): DType {
  const rank = (d: DType) => (d === "float32" ? 2 : d === "int64" ? 1 : 0);
  return rank(a) >= rank(b) ? a : b;
}

/** The dtype comparisons produce: bool once the backends have it, float32 before. */
export const BOOL: DType = "bool" as DType;
let boolOk: boolean | null = null;
export function hasBool(): boolean {
  if (boolOk === null) {
    // bool has landed when comparisons return it
    const t = ops.full([1], 0),
      c = ops.compare("eq", t, 0);
    boolOk = c.dtype === BOOL;
    t.dispose();
    c.dispose();
  }
  return boolOk;
}
/** A 0/1 float mask as the bool tensor PyTorch returns (float32 while bool is not there). */
export function asBool(mask: Tensor): Tensor {
  if (!hasBool() || mask.dtype === BOOL) return mask;
  const r = ops.cast(mask, BOOL);
  if (r !== mask) mask.dispose();
  return r;
}
/** 1 where t != 0 (NaN counts as nonzero), as float32 (no autograd). */
export function nonzeroMask(t: Tensor): Tensor {
  const tf = t.dtype === "float32" ? t : ops.cast(t, "float32");
  const z = ops.compare("eq", tf, 0),
    zf = maskFloat(z),
    m = ops.scalarRaw("rsub", zf, 1);
  z.dispose();
  if (zf !== z) zf.dispose();
  if (tf !== t) tf.dispose();
  return m;
}
/** A float32 0/1 copy of a mask (bool, int64 or float). */
export function maskFloat(m: Tensor): Tensor {
  return m.dtype === "float32" ? m : ops.cast(m, "float32");
}

export function checkIndexDtype(idx: Tensor, fn: string, what = "index"): void {
  if (idx.dtype !== "int64") throw new TypeError(`${fn}(): Expected dtype int64 for ${what}`);
}
/** The elements of an int64 tensor as JS numbers. */
export function indexValues(t: Tensor): number[] {
  const d = t.dense(),
    v = d.backendView() as ArrayLike<number>;
  const out = new Array(d.numel());
  for (let k = 0; k < out.length; k++) out[k] = idxAt(v, k);
  if (d !== t) d.dispose();
  return out;
}
/** An int64 tensor of `shape` from JS numbers. */
export function indexTensor(values: ArrayLike<number>, shape: number[]): Tensor {
  const t = Tensor.empty(shape, "int64");
  const v = t.backendView() as any;
  const big = v instanceof BigInt64Array;
  for (let k = 0; k < values.length; k++) v[k] = big ? BigInt(values[k]) : values[k];
  return t;
}

/** Runs a kernel that may throw the kernels' index error, rethrowing it in PyTorch's words. */
export function withIndexError<T>(fn: () => T, dim: number, custom?: string | ((v: string) => string)): T {
  try {
    return fn();
  } catch (e) {
    const m = /index (-?[\d.e+]+) is out of bounds for size (\d+)/.exec(String((e as Error)?.message ?? e));
    if (!m) throw e;
    const msg = typeof custom === "function" ? custom(m[1]) : custom;
    throw new RangeError(msg ?? `index ${m[1]} is out of bounds for dimension ${dim} with size ${m[2]}`);
  }
}

export { contiguousStrides, numelOf, normDim };
export type { Storage };
