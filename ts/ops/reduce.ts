// Reductions and scans: sum mean prod amax amin max min argmax argmin var std logsumexp norm
// cumsum cumprod any all countNonzero, over all dims, one dim or a list, with keepdim.
// Each public function takes PyTorch's arguments (x.sum(dim, keepdim) or x.sum({ dim, keepdim }))
// and serves as the Tensor method and as torch.name.

import { Tensor, type MaxResult, makeMaxResult, normDim, numelOf } from "../tensor.js";
import { noGrad } from "../runtime.js";
import * as ops from "../ops.js";
import { A, parseArgs } from "../utils/args.js";
import { maskedWhere } from "./shape.js";
import { DIMS, K, asBool, geom, keptShape, maskFloat, nonzeroMask, normDims, reducedShape } from "./util.js";

function noInt(x: Tensor, fn: string): void {
  if (x.dtype !== "float32") {
    throw new TypeError(
      `${fn}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype === "int64" ? "Long" : "Bool"}`,
    );
  }
}

/** x with the reduced dims moved last and flattened: [outer, R] as a dense tensor (no autograd). */
function toRows(x: Tensor, dims: number[]): { rows: Tensor; outer: number; R: number } {
  const nd = x.dim(),
    keep = Array.from({ length: nd }, (_, k) => k).filter((k) => !dims.includes(k));
  const R = dims.reduce((p, d) => p * x.shape[d], 1),
    outer = numelOf(keep.map((k) => x.shape[k]));
  const p =
    nd === 0
      ? x
      : x._viewAs(
          [...keep, ...dims].map((k) => x.shape[k]),
          [...keep, ...dims].map((k) => x.strides[k]),
          x.offset,
        );
  const d = p.dense();
  if (p !== x && d !== p) p.dispose();
  return { rows: d, outer, R };
}

// ------------------------------------------------------------------ sum, mean, prod

/** Sum of all elements, or along `dim` (keepdim optional) (`torch.sum`). */
export function sum(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("sum", args, {
    dim: [DIMS(), null],
    keepdim: [A.bool, false],
    dtype: A.kw(A.nullable(A.str), null),
  });
  let xx = x;
  if (o.dtype && o.dtype !== x.dtype) xx = ops.cast(x, o.dtype as any);
  else if (x.dtype !== "float32" && x.dtype !== "int64") xx = ops.cast(x, "int64"); // bool sums to int64
  return ops.sum(xx, normDims(o.dim, x.dim()), o.keepdim);
}

/** Mean of all elements, or along `dim` (keepdim optional) (`torch.mean`). */
export function mean(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("mean", args, {
    dim: [DIMS(), null],
    keepdim: [A.bool, false],
    dtype: A.kw(A.nullable(A.str), null),
  });
  const xx = o.dtype ? ops.cast(x, o.dtype as any) : x;
  noInt(xx, "mean");
  return ops.mean(xx, normDims(o.dim, x.dim()), o.keepdim);
}

/** Product over one dim (or all): the backward is g * (product of the others), from two
 *  exclusive scans, so zeros in the input get PyTorch's gradient too. */
export function prod(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("prod", args, {
    dim: [A.nullable(A.int), null],
    keepdim: [A.bool, false],
    dtype: A.kw(A.nullable(A.str), null),
  });
  const xx = o.dtype ? ops.cast(x, o.dtype as any) : x;
  const all = o.dim === null;
  const d = all ? 0 : normDim(o.dim as number, x.dim());
  const [outer, n, inner] = all ? [1, x.numel(), 1] : geom(x.shape, d);
  const xd = xx.dense();
  const sc = Tensor.empty([outer, n, inner], xx.dtype, true);
  K().scan("prod", xd.storage, sc.storage, outer, n, inner, false, false);
  let out: Tensor;
  if (n === 0) {
    sc.dispose();
    out = ops.full([outer * inner], 1, xx.dtype);
  } else {
    const last = ops.narrow(sc, 1, n - 1, 1);
    out = last.dense();
    if (out !== last) last.dispose();
    sc.dispose();
  }
  const shape = all ? (o.keepdim ? x.shape.map(() => 1) : []) : reducedShape(x.shape, [d], o.keepdim);
  const r = ops.reshape(out, shape);
  if (r !== out) out.dispose();
  return ops.record(r, "ProdBackward", [xx], (g) => {
    const fwd = Tensor.empty([outer, n, inner], "float32", true),
      rev = Tensor.empty([outer, n, inner], "float32", true);
    K().scan("prod", xd.storage, fwd.storage, outer, n, inner, false, true);
    K().scan("prod", xd.storage, rev.storage, outer, n, inner, true, true);
    const others = ops.mul(fwd, rev);
    fwd.dispose();
    rev.dispose();
    const gk = ops.reshape(g, [outer, 1, inner]);
    const gx = ops.mul(others, gk);
    others.dispose();
    const res = ops.reshape(gx, x.shape);
    return [res];
  });
}

// ------------------------------------------------------------------ amax, amin, max, min, argmax, argmin

/** max over dims; the gradient is shared evenly between the elements equal to the max (PyTorch's amax). */
function amaxRaw(x: Tensor, dims: number[], keepdim: boolean, fn: string): Tensor {
  for (const d of dims) {
    if (x.shape[d] === 0) throw new RangeError(`${fn}(): Expected reduction dim ${d} to have non-zero size.`);
  }
  const { rows, outer, R } = toRows(x, dims);
  const out = Tensor.empty(reducedShape(x.shape, dims, keepdim), x.dtype, true);
  K().max(rows.storage, out.storage, null, outer, R, 1);
  if (rows !== x) rows.dispose();
  return ops.record(out, "AmaxBackward", [x], (g) => {
    const ok = ops.reshape(out, keptShape(x.shape, dims)),
      gk = ops.reshape(g, keptShape(x.shape, dims));
    const mask = maskFloat(ops.compare("eq", x, ok)),
      cnt = ops.sum(mask, dims, true);
    const w = ops.div(gk, cnt),
      gx = ops.mul(mask, w);
    mask.dispose();
    cnt.dispose();
    w.dispose();
    return [gx];
  });
}
const negate = (x: Tensor) => ops.mul(x, -1);

/** Maximum along `dim` (all dims by default), values only (`torch.amax`). */
export function amax(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("amax", args, { dim: [DIMS(), null], keepdim: [A.bool, false] });
  return amaxRaw(x, normDims(o.dim, x.dim()), o.keepdim, "amax");
}
/** Minimum along `dim` (all dims by default), values only (`torch.amin`). */
export function amin(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("amin", args, { dim: [DIMS(), null], keepdim: [A.bool, false] });
  return negate(amaxRaw(negate(x), normDims(o.dim, x.dim()), o.keepdim, "amin"));
}

/** max along one dim: values and int64 indices (the first maximum); the gradient goes to the index. */
function maxDim(x: Tensor, dim: number, keepdim: boolean, fn: string): MaxResult {
  const d = normDim(dim, x.dim());
  const [outer, n, inner] = geom(x.shape, d);
  if (n === 0) throw new RangeError(`${fn}(): Expected reduction dim ${d} to have non-zero size.`);
  const xd = x.dense();
  const shape = reducedShape(x.shape, x.dim() ? [d] : [], keepdim);
  const values = Tensor.empty(shape, x.dtype, true),
    indices = Tensor.empty(shape.slice(), "int64", true);
  K().max(xd.storage, values.storage, indices.storage, outer, n, inner);
  if (xd !== x) xd.dispose();
  ops.record(values, "MaxBackward", [x], (g) => [scatterGrad(g, indices, x.shape, d, outer, n, inner)]);
  return makeMaxResult(values, indices);
}
/** A zero tensor of `shape` with g written at idx along d (the backward of max/topk/sort). */
export function scatterGrad(
  g: Tensor,
  idx: Tensor,
  shape: number[],
  d: number,
  outer: number,
  n: number,
  inner: number,
): Tensor {
  const m = idx.numel() / Math.max(outer * inner, 1);
  const gx = Tensor.empty(shape.slice(), "float32");
  if (!idx.numel()) return gx;
  const gd = g.dense(),
    id = idx.dense();
  K().scatter(gd.storage, 0, id.storage, gx.storage, outer, n, m, inner, false, true);
  if (gd !== g) gd.dispose();
  if (id !== idx) id.dispose();
  return gx;
}

function maxMin(fn: "max" | "min", x: Tensor, args: unknown[]): Tensor | MaxResult {
  if (args[0] instanceof Tensor) return fn === "max" ? ops.maximum(x, args[0]) : ops.minimum(x, args[0]);
  const o = parseArgs(fn, args, { dim: [A.nullable(A.int), null], keepdim: [A.bool, false] });
  if (o.dim === null) {
    if (x.numel() === 0)
      throw new RangeError(
        `${fn}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
      );
    return fn === "max"
      ? amaxRaw(x, normDims(null, x.dim()), false, fn)
      : negate(amaxRaw(negate(x), normDims(null, x.dim()), false, fn));
  }
  if (fn === "max") return maxDim(x, o.dim, o.keepdim, fn);
  const r = maxDim(negate(x), o.dim, o.keepdim, fn);
  return makeMaxResult(negate(r.values), r.indices);
}
/** x.max() → the max; x.max(dim, keepdim?) → { values, indices } (also [values, indices]); x.max(other) → maximum. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): MaxResult;
export function max(x: Tensor, opts: { dim: number; keepdim?: boolean }): MaxResult;
export function max(x: Tensor, ...args: unknown[]): Tensor | MaxResult {
  return maxMin("max", x, args);
}
/** Minimum of all elements; along `dim`, `{ values, indices }`; of two tensors, elementwise (`torch.min`). */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): MaxResult;
export function min(x: Tensor, opts: { dim: number; keepdim?: boolean }): MaxResult;
export function min(x: Tensor, ...args: unknown[]): Tensor | MaxResult {
  return maxMin("min", x, args);
}

function argExt(fn: "argmax" | "argmin", x: Tensor, args: unknown[]): Tensor {
  const o = parseArgs(fn, args, { dim: [A.nullable(A.int), null], keepdim: [A.bool, false] });
  return noGrad(() => {
    const xx = fn === "argmax" ? x : negate(x);
    if (o.dim === null) {
      if (x.numel() === 0)
        throw new RangeError(`${fn}(): Expected reduction dim to be specified for input.numel() == 0.`);
      const flat = ops.reshape(xx, [x.numel()]);
      const r = maxDim(flat, 0, false, fn);
      r.values.dispose();
      if (!o.keepdim) return r.indices;
      const k = ops.reshape(
        r.indices,
        x.shape.map(() => 1),
      );
      return k;
    }
    const r = maxDim(xx, o.dim, o.keepdim, fn);
    r.values.dispose();
    return r.indices;
  });
}
/** Index of the maximum, flat or along `dim` (`torch.argmax`). */
export function argmax(x: Tensor, ...args: unknown[]): Tensor {
  return argExt("argmax", x, args);
}
/** Index of the minimum, flat or along `dim` (`torch.argmin`). */
export function argmin(x: Tensor, ...args: unknown[]): Tensor {
  return argExt("argmin", x, args);
}

// ------------------------------------------------------------------ var, std, logsumexp, norm

function varArgs(fn: string, x: Tensor, args: unknown[]) {
  // var(unbiased) / var(dim, unbiased, keepdim) / var(dim, { correction, keepdim })
  if (typeof args[0] === "boolean") args = [null, ...args];
  const o = parseArgs(fn, args, {
    dim: [DIMS(), null],
    unbiased: [A.nullable(A.bool), null],
    keepdim: [A.bool, false],
    correction: A.kw(A.nullable(A.num), null),
  });
  if (o.unbiased !== null && o.correction !== null)
    throw new TypeError(`${fn}(): pass either unbiased or correction, not both`);
  noInt(x, fn);
  const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
  return { dims: normDims(o.dim, x.dim()), correction, keepdim: o.keepdim };
}
/** Variance with Bessel's correction (correction = 1, i.e. unbiased) by default. */
export function variance(x: Tensor, ...args: unknown[]): Tensor {
  const o = varArgs("var", x, args);
  return ops.variance(x, o.dims, { correction: o.correction, keepdim: o.keepdim });
}
/** Standard deviation over all elements or along `dim`, with Bessel's correction by default (`torch.std`). */
export function std(x: Tensor, ...args: unknown[]): Tensor {
  const o = varArgs("std", x, args);
  return ops.unary("sqrt", ops.variance(x, o.dims, { correction: o.correction, keepdim: o.keepdim }));
}

/** log(sum(exp(x))) over dims, computed around the max (infinite maxima are taken as 0). */
export function logsumexp(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("logsumexp", args, { dim: DIMS(), keepdim: [A.bool, false] });
  const xx = x.dtype === "float32" ? x : ops.cast(x, "float32");
  const dims = normDims(o.dim, x.dim());
  if (xx.numel() === 0) {
    return ops.unary("log", ops.sum(ops.unary("exp", xx), dims, o.keepdim));
  }
  const m = noGrad(() => {
    const mx = amaxRaw(xx, dims, true, "logsumexp");
    const inf = ops.add(maskFloat(ops.compare("eq", mx, Infinity)), maskFloat(ops.compare("eq", mx, -Infinity)));
    const fin = ops.scalarRaw("rsub", inf, 1);
    return maskedWhere(fin, mx, ops.full([], 0));
  });
  const s = ops.sum(ops.unary("exp", ops.sub(xx, m)), dims, o.keepdim);
  const mr = o.keepdim ? m : ops.reshape(m, reducedShape(x.shape, dims, false));
  return ops.add(ops.unary("log", s), mr);
}

/** The p-norm over dims (p = 2 | 1 | Infinity | -Infinity | 0 | any number | "fro"). */
export function norm(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("norm", args, {
    p: [A.nullable(A.or(A.num, A.oneOf("fro"))), "fro"],
    dim: [DIMS(), null],
    keepdim: [A.bool, false],
    dtype: A.kw(A.nullable(A.str), null),
  });
  noInt(x, "norm");
  const p: number = o.p === null || o.p === "fro" ? 2 : (o.p as number);
  const dims = normDims(o.dim, x.dim());
  if (p === 2) {
    const sq = ops.mul(x, x);
    const out = ops.unary(
      "sqrt",
      noGrad(() => ops.sum(sq, dims, o.keepdim)),
    );
    sq.dispose();
    // d|x|/dx = x / |x|, and 0 where |x| = 0 (PyTorch's masked gradient, not 0/0)
    return ops.record(out, "NormBackward", [x], (g) => {
      const ok = ops.reshape(out, keptShape(x.shape, dims)),
        gk = ops.reshape(g, keptShape(x.shape, dims));
      const zero = maskFloat(ops.compare("eq", ok, 0)),
        safe = ops.add(ok, zero);
      const w = ops.div(gk, safe),
        w2 = ops.mul(w, ops.scalarRaw("rsub", zero, 1));
      return [ops.mul(x, w2)];
    });
  }
  const ax = ops.unary("abs", x);
  if (p === Infinity) return amaxRaw(ax, dims, o.keepdim, "norm");
  if (p === -Infinity) return negate(amaxRaw(negate(ax), dims, o.keepdim, "norm"));
  if (p === 0) return noGrad(() => ops.sum(nonzeroMask(x), dims, o.keepdim));
  if (p === 1) return ops.sum(ax, dims, o.keepdim);
  return ops.pow(ops.sum(ops.pow(ax, p), dims, o.keepdim), 1 / p);
}

// ------------------------------------------------------------------ cumsum, cumprod

function scanArgs(fn: string, x: Tensor, args: unknown[]) {
  const o = parseArgs(fn, args, { dim: A.int, dtype: A.kw(A.nullable(A.str), null) });
  const xx = o.dtype
    ? ops.cast(x, o.dtype as any)
    : x.dtype === "float32" || x.dtype === "int64"
      ? x
      : ops.cast(x, "int64");
  const d = x.dim() === 0 ? (normDim(o.dim, 1), 0) : normDim(o.dim, x.dim());
  return { xx, d, g: geom(x.shape, d) };
}
function scanRaw(
  op: "sum" | "prod",
  x: Tensor,
  g: [number, number, number],
  reverse: boolean,
  exclusive: boolean,
): Tensor {
  const xd = x.dense();
  const out = Tensor.empty(x.shape.slice(), x.dtype, true);
  K().scan(op, xd.storage, out.storage, g[0], g[1], g[2], reverse, exclusive);
  if (xd !== x) xd.dispose();
  return out;
}

/** Cumulative sum along `dim` (`torch.cumsum`). */
export function cumsum(x: Tensor, ...args: unknown[]): Tensor {
  const { xx, g } = scanArgs("cumsum", x, args);
  const out = scanRaw("sum", xx, g, false, false);
  return ops.record(out, "CumsumBackward", [xx], (gy) => [scanRaw("sum", gy, g, true, false)]);
}

/** Cumulative product along `dim` (`torch.cumprod`). */
export function cumprod(x: Tensor, ...args: unknown[]): Tensor {
  const { xx, g } = scanArgs("cumprod", x, args);
  const out = scanRaw("prod", xx, g, false, false);
  return ops.record(out, "CumprodBackward", [xx], (gy) => [cumprodGrad(xx, out, gy, g)]);
}
/** d cumprod: without zeros, revcumsum(g * out) / x; lines with a zero use the exact sum over
 *  the products that leave x_i out. */
function cumprodGrad(x: Tensor, out: Tensor, gy: Tensor, [outer, n, inner]: [number, number, number]): Tensor {
  const xd = x.dense(),
    od = out.dense(),
    gd = gy.dense();
  const hasZero = noGrad(() => {
    const z = maskFloat(ops.compare("eq", xd, 0)),
      s = ops.sum(z).item();
    z.dispose();
    return s > 0;
  });
  if (!hasZero) {
    const go = ops.mul(gd, od),
      rc = scanRaw("sum", go, [outer, n, inner], true, false);
    go.dispose();
    return ops.div(rc, xd);
  }
  const gx = Tensor.empty(x.shape.slice(), "float32");
  const X = xd.backendView(),
    G = gd.backendView(),
    O = gx.backendView();
  for (let a = 0; a < outer; a++)
    for (let c = 0; c < inner; c++) {
      const at = (t: number) => (a * n + t) * inner + c;
      for (let i = 0; i < n; i++) {
        let acc = 0,
          pre = 1;
        for (let j = 0; j < i; j++) pre *= X[at(j)];
        let run = pre;
        for (let k = i; k < n; k++) {
          if (k > i) run *= X[at(k)];
          acc += G[at(k)] * run;
        }
        O[at(i)] = acc;
      }
    }
  return gx;
}

// ------------------------------------------------------------------ any, all, countNonzero

function boolReduce(fn: "any" | "all", x: Tensor, args: unknown[]): Tensor {
  const o = parseArgs(fn, args, { dim: [DIMS(), null], keepdim: [A.bool, false] });
  return noGrad(() => {
    const dims = normDims(o.dim, x.dim());
    const m = nonzeroMask(x);
    let r: Tensor;
    if (x.numel() === 0 || dims.some((d) => x.shape[d] === 0)) {
      r = ops.full(reducedShape(x.shape, dims, o.keepdim), fn === "all" ? 1 : 0);
    } else r = fn === "any" ? amaxRaw(m, dims, o.keepdim, fn) : negate(amaxRaw(negate(m), dims, o.keepdim, fn));
    m.dispose();
    return asBool(r);
  });
}
/** Whether any element is nonzero, overall or along `dim`, as a bool tensor (`torch.any`). */
export function any(x: Tensor, ...args: unknown[]): Tensor {
  return boolReduce("any", x, args);
}
/** Whether every element is nonzero, overall or along `dim`, as a bool tensor (`torch.all`). */
export function all(x: Tensor, ...args: unknown[]): Tensor {
  return boolReduce("all", x, args);
}

/** Number of nonzero elements, overall or along `dim` (`torch.count_nonzero`). */
export function countNonzero(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("countNonzero", args, { dim: [DIMS(), null] });
  return noGrad(() => {
    const m = nonzeroMask(x),
      s = ops.sum(m, normDims(o.dim, x.dim()), false);
    m.dispose();
    const r = ops.cast(s, "int64");
    if (r !== s) s.dispose();
    return r;
  });
}
