// The js reference of the tensor-core kernels (crates/kernels/src/index.rs): strided assignment
// (fill_/copy_/in-place ops into views), advanced-index gather and put, and mask coordinates.

import type { ElemArray } from "./types.js";

/** Calls f(xPos, outPos) for every index over shape, positions advanced by the two stride sets. */
function forEachIndex(
  shape: number[],
  xOff: number,
  xs: number[],
  oOff: number,
  os: number[],
  f: (xp: number, op: number) => void,
): void {
  const nd = shape.length;
  for (const d of shape) if (d === 0) return;
  if (nd === 0) {
    f(xOff, oOff);
    return;
  }
  const idx = new Array(nd).fill(0);
  const last = nd - 1,
    lastN = shape[last],
    lx = xs[last],
    lo = os[last];
  let px = xOff,
    po = oOff;
  for (;;) {
    for (let j = 0, a = px, b = po; j < lastN; j++, a += lx, b += lo) f(a, b);
    let d = last - 1;
    while (d >= 0) {
      idx[d]++;
      px += xs[d];
      po += os[d];
      if (idx[d] < shape[d]) break;
      px -= xs[d] * shape[d];
      po -= os[d] * shape[d];
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

export function assignStrided(
  x: ElemArray,
  xOff: number,
  xStrides: number[],
  out: ElemArray,
  outOff: number,
  outStrides: number[],
  shape: number[],
): void {
  forEachIndex(shape, xOff, xStrides, outOff, outStrides, (a, b) => {
    out[b] = x[a];
  });
}

export function indexOutOfBounds(v: number, dim: number, size: number): RangeError {
  return new RangeError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);
}

/** Element offsets (relative to xOff) of the m advanced positions; validates every index. */
function advOffsets(
  idx: ElemArray,
  k: number,
  m: number,
  sizes: number[],
  strides: number[],
  dims: number[],
): Float64Array {
  const off = new Float64Array(m);
  for (let j = 0; j < k; j++) {
    const n = sizes[j],
      st = strides[j];
    for (let b = 0; b < m; b++) {
      let v = idx[j * m + b];
      if (v < -n || v >= n) throw indexOutOfBounds(v, dims[j], n);
      if (v < 0) v += n;
      off[b] += v * st;
    }
  }
  return off;
}

export function indexGather(
  x: ElemArray,
  xOff: number,
  idx: ElemArray,
  k: number,
  m: number,
  sizes: number[],
  strides: number[],
  dims: number[],
  pre: number[],
  preS: number[],
  post: number[],
  postS: number[],
  out: ElemArray,
): void {
  const off = advOffsets(idx, k, m, sizes, strides, dims);
  const postN = post.reduce((p, d) => p * d, 1);
  const postOff: number[] = [];
  forEachIndex(
    post,
    0,
    postS,
    0,
    post.map(() => 0),
    (a) => {
      postOff.push(a);
    },
  );
  let o = 0;
  const preShape = pre.length ? pre : [1],
    preStr = pre.length ? preS : [0];
  forEachIndex(
    preShape,
    xOff,
    preStr,
    0,
    preShape.map(() => 0),
    (p) => {
      for (let b = 0; b < m; b++) {
        const base = p + off[b];
        for (let i = 0; i < postN; i++) out[o++] = x[base + postOff[i]];
      }
    },
  );
}

export function indexPut(
  x: ElemArray,
  xOff: number,
  idx: ElemArray,
  k: number,
  m: number,
  sizes: number[],
  strides: number[],
  dims: number[],
  pre: number[],
  preS: number[],
  post: number[],
  postS: number[],
  v: ElemArray,
  vOff: number,
  vS: number[],
  accumulate: boolean,
): void {
  const off = advOffsets(idx, k, m, sizes, strides, dims);
  const np = pre.length;
  const postOff: number[] = [],
    postV: number[] = [];
  forEachIndex(post, 0, postS, 0, vS.slice(np + 1), (a, c) => {
    postOff.push(a);
    postV.push(c);
  });
  const preShape = np ? pre : [1],
    preX = np ? preS : [0],
    preV = np ? vS.slice(0, np) : [0];
  const vb = vS[np];
  forEachIndex(preShape, xOff, preX, vOff, preV, (px, pv) => {
    for (let b = 0; b < m; b++) {
      const xb = px + off[b],
        vbb = pv + b * vb;
      for (let i = 0; i < postOff.length; i++) {
        const at = xb + postOff[i],
          val = v[vbb + postV[i]];
        x[at] = accumulate ? x[at] + val : val;
      }
    }
  });
}

export function maskIndices(mask: ElemArray, shape: number[], out: ElemArray, count: number): void {
  const nd = shape.length,
    n = mask.length;
  let c = 0;
  const coord = new Array(nd).fill(0);
  for (let p = 0; p < n; p++) {
    if (mask[p] !== 0) {
      if (c >= count) throw new Error("maskIndices: more nonzeros than counted");
      for (let d = 0; d < nd; d++) out[d * count + c] = coord[d];
      c++;
    }
    for (let d = nd - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}
