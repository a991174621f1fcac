// The js reference of the indexing kernels (gather, scatter, strided where, scans, sort): the
// semantics the Rust kernels (crates/kernels/src/{gather,scan,sort}.rs) are tested against.

import type { ElemArray } from "./types.js";

/** Element k of an index storage as a JS number: the one place that knows how int64 is stored
 *  (Int32Array today; a 64-bit array later: Number() also reads a BigInt64Array). */
export function idxAt(v: ArrayLike<number | bigint>, k: number): number {
  return Number(v[k]);
}
/** Writes index n into element k of an index storage (BigInt64Array needs a bigint). */
export function idxSet(v: ElemArray | BigInt64Array, k: number, n: number): void {
  if (v instanceof BigInt64Array) v[k] = BigInt(n);
  else v[k] = n;
}

/** The error a kernel throws for an index outside [0, size) (ops add the dimension). */
export function indexError(v: number, size: number): RangeError {
  return new RangeError(`index ${v} is out of bounds for size ${size}`);
}

/** out[o, j, i] = x[o, idx[o, j, i], i] (idx [outer, m, inner]); rowIndex: idx is [m] (index_select). */
export function gather(
  x: ElemArray,
  idx: ArrayLike<number | bigint>,
  out: ElemArray,
  outer: number,
  n: number,
  m: number,
  inner: number,
  rowIndex: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const ob = (o * m + j) * inner,
        xb = o * n * inner;
      if (rowIndex) {
        const r = idxAt(idx, j);
        if (r < 0 || r >= n || !Number.isInteger(r)) throw indexError(r, n);
        out.set(x.subarray(xb + r * inner, xb + r * inner + inner) as any, ob);
        continue;
      }
      for (let i = 0; i < inner; i++) {
        const r = idxAt(idx, ob + i);
        if (r < 0 || r >= n) throw indexError(r, n);
        out[ob + i] = x[xb + r * inner + i];
      }
    }
  }
}

/** out[o, idx[o, j, i], i] = src[o, j, i] (+= when accumulate); src null: `value` everywhere.
 *  out holds the tensor being scattered into ([outer, n, inner]). rowIndex: idx is [m]. */
export function scatter(
  src: ElemArray | null,
  value: number,
  idx: ArrayLike<number | bigint>,
  out: ElemArray,
  outer: number,
  n: number,
  m: number,
  inner: number,
  rowIndex: boolean,
  accumulate: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const sb = (o * m + j) * inner,
        ob = o * n * inner;
      for (let i = 0; i < inner; i++) {
        const r = rowIndex ? idxAt(idx, j) : idxAt(idx, sb + i);
        if (r < 0 || r >= n) throw indexError(r, n);
        const v = src ? src[sb + i] : value,
          at = ob + r * inner + i;
        out[at] = accumulate ? out[at] + v : v;
      }
    }
  }
}

/** out = cond != 0 ? a : b over `shape`, each operand read from its offset with its strides
 *  (0 on broadcast dims), so strided and broadcast inputs are never materialised. */
export function whereStrided(
  c: ElemArray,
  cOff: number,
  cs: number[],
  a: ElemArray,
  aOff: number,
  as: number[],
  b: ElemArray,
  bOff: number,
  bs: number[],
  out: ElemArray,
  shape: number[],
): void {
  const nd = shape.length,
    n = out.length;
  if (n === 0) return;
  if (nd === 0) {
    out[0] = c[cOff] !== 0 ? a[aOff] : b[bOff];
    return;
  }
  const last = nd - 1,
    L = shape[last],
    sc = cs[last],
    sa = as[last],
    sb = bs[last];
  const ix = new Array(nd).fill(0);
  let pc = cOff,
    pa = aOff,
    pb = bOff,
    k = 0;
  while (k < n) {
    for (let j = 0, ic = pc, ia = pa, ib = pb; j < L; j++, ic += sc, ia += sa, ib += sb)
      out[k++] = c[ic] !== 0 ? a[ia] : b[ib];
    let d = last - 1;
    while (d >= 0) {
      ix[d]++;
      pc += cs[d];
      pa += as[d];
      pb += bs[d];
      if (ix[d] < shape[d]) break;
      pc -= cs[d] * shape[d];
      pa -= as[d] * shape[d];
      pb -= bs[d] * shape[d];
      ix[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
}

/** Cumulative sum or product along the middle axis of [outer, n, inner]; reverse runs from the
 *  end; exclusive leaves out the element itself (the first output is the identity). */
export function scan(
  op: "sum" | "prod",
  x: ElemArray,
  out: ElemArray,
  outer: number,
  n: number,
  inner: number,
  reverse: boolean,
  exclusive: boolean,
): void {
  const prod = op === "prod";
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = prod ? 1 : 0;
      for (let t = 0; t < n; t++) {
        const r = reverse ? n - 1 - t : t,
          at = (o * n + r) * inner + i,
          v = x[at];
        if (exclusive) {
          out[at] = acc;
          acc = prod ? acc * v : acc + v;
        } else {
          acc = prod ? acc * v : acc + v;
          out[at] = acc;
        }
      }
    }
  }
}

/** Sorts each [outer, ·, inner] line of n values and writes its first k (values and int64
 *  positions) to [outer, k, inner]. Stable; NaN counts as larger than every number (PyTorch). */
export function sort(
  x: ElemArray,
  vals: ElemArray,
  idx: ElemArray | BigInt64Array,
  outer: number,
  n: number,
  inner: number,
  k: number,
  descending: boolean,
): void {
  const line = new Float64Array(n),
    order = Array.from({ length: n }, (_, t) => t);
  const cmp = (p: number, q: number) => {
    const a = line[p],
      b = line[q];
    const an = a !== a,
      bn = b !== b;
    let c: number;
    if (an || bn) c = an && bn ? 0 : an ? 1 : -1;
    else c = a < b ? -1 : a > b ? 1 : 0;
    return (descending ? -c : c) || p - q;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let t = 0; t < n; t++) {
        line[t] = x[(o * n + t) * inner + i];
        order[t] = t;
      }
      order.sort(cmp);
      for (let t = 0; t < k; t++) {
        const at = (o * k + t) * inner + i;
        vals[at] = line[order[t]];
        idxSet(idx, at, order[t]);
      }
    }
  }
}
