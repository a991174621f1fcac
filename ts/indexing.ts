// Python-style indexing: t.index(...parts) is t[parts] and t.indexPut_(parts, v) is t[parts] = v
// (API.md "Indexing"). Basic parts (numbers, "start:stop:step" slices, null, "...", true/false)
// give a view that shares storage; advanced parts (int64 tensors, number[], bool masks) give a copy
// through the indexGather kernel, with PyTorch's rule for where the broadcast index dims go. Both
// are differentiable (indexPut kernel with accumulate for the gradient).

import { backendImpl } from "./runtime.js";
import * as ops from "./ops.js";
import { Tensor, checkInplace, contiguousStrides, markModified, numelOf, writeInto } from "./tensor.js";
import { parseArgs, A } from "./utils/args.js";

export type IndexPart = number | string | null | boolean | Tensor | number[] | boolean[] | NestedIndex;
type NestedIndex = (number | boolean | NestedIndex)[];

const K = () => backendImpl();

/** A strided window: shape/strides/offset over some storage. */
interface Geo {
  shape: number[];
  strides: number[];
  offset: number;
}
/** The basic-indexed view of x, in two coordinate systems: `st` over x's storage (the forward
 *  view) and `lg` over a dense contiguous tensor of x's shape (where gradients live); `adv` are the
 *  advanced indices with the view dim each applies to. */
interface Parsed {
  st: Geo;
  lg: Geo;
  adv: { dim: number; t: Tensor }[];
  owned: Tensor[];
}

function indexError(v: number, dim: number, size: number): RangeError {
  return new RangeError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);
}

function parseSlice(s: string, size: number): [number, number, number] {
  const m = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/.exec(s);
  if (!m)
    throw new TypeError(
      `index: cannot read the slice "${s}" (expected Python's "start:stop:step", e.g. "1:5:2", ":", "::2", "-1:")`,
    );
  const step = m[3] !== undefined ? parseInt(m[3], 10) : 1;
  if (step <= 0) throw new RangeError("step must be greater than zero");
  const norm = (v: string | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    let k = parseInt(v, 10);
    if (k < 0) k += size;
    return Math.min(Math.max(k, 0), size);
  };
  const start = norm(m[1], 0),
    stop = Math.max(norm(m[2], size), start);
  return [start, Math.ceil((stop - start) / step), step];
}

/** Leaves of a nested JS array (for number[] / boolean[] index parts). */
function flatLeaves(a: unknown[]): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(v);
  };
  walk(a);
  return out;
}

/** A tensor index part (int64 or bool) from a Tensor or a (nested) JS array. */
function indexTensor(p: Tensor | unknown[], owned: Tensor[]): Tensor {
  if (p instanceof Tensor) {
    if (p.dtype === "float32") throw new TypeError("tensors used as indices must be long, byte or bool tensors");
    return p;
  }
  const leaves = flatLeaves(p);
  const isBool = leaves.length > 0 && leaves.every((v) => typeof v === "boolean");
  if (!isBool && leaves.some((v) => typeof v !== "number" || !Number.isInteger(v))) {
    throw new TypeError("index: an index list must hold integers or booleans only");
  }
  const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...(v.length ? shapeOf(v[0]) : [])] : []);
  const shape = shapeOf(p);
  if (numelOf(shape) !== leaves.length) throw new RangeError("index: a nested index list must be rectangular");
  const t = Tensor.empty(shape, isBool ? "bool" : "int64");
  const v = t.backendView();
  leaves.forEach((x, k) => {
    v[k] = Number(x);
  });
  owned.push(t);
  return t;
}

/** The dims a part consumes of the indexed tensor. */
function consumes(p: IndexPart): number {
  if (p === null || p === "..." || typeof p === "boolean") return 0;
  if (p instanceof Tensor) return p.dtype === "bool" ? p.dim() : 1;
  if (Array.isArray(p)) {
    const leaves = flatLeaves(p);
    if (leaves.length && leaves.every((v) => typeof v === "boolean")) {
      let d = 0,
        cur: unknown = p;
      while (Array.isArray(cur)) {
        d++;
        cur = cur[0];
      }
      return d;
    }
    return 1;
  }
  return 1;
}

function parse(x: Tensor, parts: IndexPart[]): Parsed {
  const owned: Tensor[] = [];
  const ell = parts.filter((p) => p === "...").length;
  if (ell > 1) throw new RangeError("an index can only have a single ellipsis ('...')");
  const used = parts.reduce((n: number, p) => n + consumes(p), 0);
  if (used > x.dim()) throw new RangeError(`too many indices for tensor of dimension ${x.dim()}`);
  const st: Geo = { shape: [], strides: [], offset: x.offset };
  const lstr = contiguousStrides(x.shape);
  const lg: Geo = { shape: [], strides: [], offset: 0 };
  const adv: { dim: number; t: Tensor }[] = [];
  let d = 0; // next dim of x
  const keep = (n: number) => {
    for (let k = 0; k < n; k++, d++) {
      st.shape.push(x.shape[d]);
      st.strides.push(x.strides[d]);
      lg.shape.push(x.shape[d]);
      lg.strides.push(lstr[d]);
    }
  };
  const newAxis = (size: number) => {
    st.shape.push(size);
    st.strides.push(0);
    lg.shape.push(size);
    lg.strides.push(0);
  };
  for (let p of parts) {
    if (p instanceof Tensor && p.dim() === 0 && p.dtype === "bool") p = p.item() as unknown as boolean;
    if (p === "...") {
      keep(x.dim() - used);
      continue;
    }
    if (p === null) {
      newAxis(1);
      continue;
    }
    if (typeof p === "boolean") {
      newAxis(p ? 1 : 0);
      continue;
    }
    if (typeof p === "number") {
      if (!Number.isInteger(p)) throw new TypeError(`index: ${p} is not an integer index`);
      const n = x.shape[d];
      if (p < -n || p >= n) throw indexError(p, d, n);
      const i = p < 0 ? p + n : p;
      st.offset += i * x.strides[d];
      lg.offset += i * lstr[d];
      d++;
      continue;
    }
    if (typeof p === "string") {
      const [start, len, step] = parseSlice(p, x.shape[d]);
      st.shape.push(len);
      st.strides.push(x.strides[d] * step);
      st.offset += start * x.strides[d];
      lg.shape.push(len);
      lg.strides.push(lstr[d] * step);
      lg.offset += start * lstr[d];
      d++;
      continue;
    }
    if (p instanceof Tensor || Array.isArray(p)) {
      const t = indexTensor(p as Tensor | unknown[], owned);
      if (t.dtype === "bool") {
        // a mask of k dims: its nonzero coordinates index k consecutive dims
        for (let k = 0; k < t.dim(); k++) {
          if (t.shape[k] !== x.shape[d + k]) {
            throw new RangeError(
              `The shape of the mask [${t.shape.join(", ")}] at index ${k} does not match the shape of the indexed tensor [${x.shape.join(", ")}] at index ${d + k}`,
            );
          }
        }
        const coords = maskCoords(t);
        owned.push(coords);
        for (let k = 0; k < t.dim(); k++) {
          const row = coords._viewAs([coords.shape[1]], [1], k * coords.shape[1]);
          owned.push(row);
          adv.push({ dim: st.shape.length, t: row });
          keep(1);
        }
        continue;
      }
      adv.push({ dim: st.shape.length, t });
      keep(1);
      continue;
    }
    throw new TypeError(
      `index: unsupported index part ${typeof p === "object" ? Object.prototype.toString.call(p) : JSON.stringify(p)}`,
    );
  }
  keep(x.dim() - d);
  return { st, lg, adv, owned };
}

/** The [ndim, count] int64 coordinates of a bool mask's true elements (maskIndices kernel). */
function maskCoords(mask: Tensor): Tensor {
  const m = mask.dense();
  const cnt = ops.sum(m);
  const count = Number(cnt.item());
  cnt.dispose();
  const out = Tensor.empty([mask.dim(), count], "int64", true);
  if (count > 0) K().maskIndices(m.storage, mask.shape.slice(), out.storage, count);
  if (m !== mask) m.dispose();
  return out;
}

/** The geometry of an advanced gather/put: the index rows, the dims before/after, the result shape. */
interface AdvPlan {
  idx: Tensor;
  k: number;
  m: number;
  bshape: number[];
  advDims: number[];
  pre: number[];
  post: number[];
  outShape: number[];
}
function plan(p: Parsed): AdvPlan {
  const bshape = p.adv.map((a) => a.t.shape).reduce((s, t) => ops.broadcastShapes(s, t), [] as number[]);
  const m = numelOf(bshape),
    k = p.adv.length;
  const idx = Tensor.empty([k, m], "int64", true);
  p.adv.forEach((a, j) => {
    const row = idx._viewAs(bshape.slice(), bshapeStrides(bshape), j * m);
    writeInto(row, a.t.dtype === "int64" ? a.t : ops.cast(a.t, "int64"));
    row.dispose();
  });
  const advDims = p.adv.map((a) => a.dim);
  const adjacent = advDims.every((d, j) => j === 0 || d === advDims[j - 1] + 1);
  const rest = p.st.shape.map((_, d) => d).filter((d) => !advDims.includes(d));
  const pre = adjacent ? rest.filter((d) => d < advDims[0]) : [];
  const post = adjacent ? rest.filter((d) => d > advDims[0]) : rest;
  const outShape = [...pre.map((d) => p.st.shape[d]), ...bshape, ...post.map((d) => p.st.shape[d])];
  return { idx, k, m, bshape, advDims, pre, post, outShape };
}
function bshapeStrides(s: number[]): number[] {
  return contiguousStrides(s);
}

function gatherRaw(src: Tensor, g: Geo, pl: AdvPlan, dims: number[]): Tensor {
  const out = Tensor.empty(pl.outShape, src.dtype, true);
  K().indexGather(
    src.storage,
    g.offset,
    pl.idx.storage,
    pl.k,
    pl.m,
    pl.advDims.map((d) => g.shape[d]),
    pl.advDims.map((d) => g.strides[d]),
    dims,
    pl.pre.map((d) => g.shape[d]),
    pl.pre.map((d) => g.strides[d]),
    pl.post.map((d) => g.shape[d]),
    pl.post.map((d) => g.strides[d]),
    out.storage,
  );
  return out;
}
/** dst[geometry g, advanced plan] = v (+= when accumulate); v broadcast to the plan's outShape. */
function putRaw(dst: Tensor, g: Geo, pl: AdvPlan, dims: number[], v: Tensor, accumulate: boolean): void {
  const n = pl.outShape.length,
    off = n - v.dim();
  if (off < 0)
    throw new RangeError(
      `shape mismatch: value tensor of shape [${v.shape.join(", ")}] cannot be broadcast to indexing result of shape [${pl.outShape.join(", ")}]`,
    );
  const vs = pl.outShape.map((d, k) => {
    if (k < off) return 0;
    const sd = v.shape[k - off];
    if (sd === d) return sd === 1 ? 0 : v.strides[k - off];
    if (sd === 1) return 0;
    throw new RangeError(
      `shape mismatch: value tensor of shape [${v.shape.join(", ")}] cannot be broadcast to indexing result of shape [${pl.outShape.join(", ")}]`,
    );
  });
  // collapse the broadcast index dims to one (the kernel walks [pre, m, post])
  const np = pl.pre.length,
    nb = pl.bshape.length;
  const bStr = pl.bshape.length ? vs.slice(np, np + nb) : [];
  let mStride = 0;
  if (nb) {
    // v's strides over the B dims must be expressible as one stride over the flattened m
    const cs = contiguousStrides(pl.bshape);
    const zero = bStr.every((s) => s === 0);
    const lin = bStr.every((s, j) => pl.bshape[j] === 1 || s === cs[j] * (bStr[nb - 1] || 0));
    if (zero) mStride = 0;
    else if (lin && bStr[nb - 1] !== 0) mStride = bStr[nb - 1];
    else {
      const e = ops.expand(v, pl.outShape),
        c = ops.contiguous(e);
      putRaw(dst, g, pl, dims, c, accumulate);
      if (c !== e) c.dispose();
      e.dispose();
      return;
    }
  }
  const vStrides = [...vs.slice(0, np), mStride, ...vs.slice(np + nb)];
  K().indexPut(
    dst.storage,
    g.offset,
    pl.idx.storage,
    pl.k,
    pl.m,
    pl.advDims.map((d) => g.shape[d]),
    pl.advDims.map((d) => g.strides[d]),
    dims,
    pl.pre.map((d) => g.shape[d]),
    pl.pre.map((d) => g.strides[d]),
    pl.post.map((d) => g.shape[d]),
    pl.post.map((d) => g.strides[d]),
    v.storage,
    v.offset,
    vStrides,
    accumulate,
  );
}

function disposeAll(ts: Tensor[]): void {
  for (const t of ts) if (!t.isDisposed) t.dispose();
}

/** x[parts]: a view for basic parts, a copy for advanced ones; differentiable. */
export function index(x: Tensor, parts: IndexPart[]): Tensor {
  const p = parse(x, parts);
  const shapeX = x.shape.slice();
  if (!p.adv.length) {
    disposeAll(p.owned);
    const out = x._viewAs(p.st.shape, p.st.strides, p.st.offset);
    const lg = p.lg;
    return ops.record(out, "SliceBackward", [x], (g) => {
      const gx = ops.full(shapeX, 0);
      const region = gx._viewAs(lg.shape, lg.strides, lg.offset);
      writeInto(region, g);
      region.dispose();
      return [gx];
    });
  }
  const pl = plan(p);
  const dims = p.adv.map((_, j) => j);
  const out = gatherRaw(x, p.st, pl, dims);
  disposeAll(p.owned);
  if (!ops.willRecord([x])) {
    pl.idx.dispose();
    return out;
  }
  const lg = p.lg;
  return ops.record(out, "IndexBackward", [x], (g) => {
    const gx = ops.full(shapeX, 0);
    const gd = g.dense();
    putRaw(gx, lg, pl, dims, gd, true);
    if (gd !== g) gd.dispose();
    return [gx];
  });
}

/** x[parts] = v in place (v broadcast; `accumulate` adds, duplicates included); returns x. */
export function indexPut_(
  x: Tensor,
  indices: IndexPart[],
  v: Tensor | number,
  opts?: { accumulate?: boolean } | boolean,
): Tensor {
  if (!Array.isArray(indices))
    throw new TypeError("indexPut_(): argument 'indices' must be a list of index parts, e.g. [mask] or [\":\", 0]");
  const o =
    typeof opts === "boolean"
      ? { accumulate: opts }
      : parseArgs("indexPut_", [opts ?? {}], { accumulate: [A.bool, false] });
  const accumulate = o.accumulate as boolean;
  const val = v instanceof Tensor ? v : ops.full([], v, x.dtype);
  if (!x.needsRecord([val])) {
    // no history to record: one kernel writes straight into x's storage
    checkInplace(x);
    const p = parse(x, indices);
    const vv = val.dtype === x.dtype ? val : ops.cast(val, x.dtype);
    try {
      if (!p.adv.length) {
        const r = x._viewAs(p.st.shape, p.st.strides, p.st.offset);
        if (accumulate) {
          const sm = ops.add(r, vv);
          writeInto(r, sm);
          sm.dispose();
        } else writeInto(r, vv);
        r.dispose();
      } else {
        const pl = plan(p);
        putRaw(
          x,
          p.st,
          pl,
          p.adv.map((_, j) => j),
          vv,
          accumulate,
        );
        pl.idx.dispose();
      }
    } finally {
      disposeAll(p.owned);
      if (vv !== val) vv.dispose();
      if (val !== v) val.dispose();
    }
    markModified(x);
    return x;
  }
  return x._inplace("indexPut", false, [val], (s) => indexPutOutOfPlace(s, indices, val, accumulate));
}

/** torch.index_put(x, indices, v, accumulate) (out of place; differentiable in x and v). */
export function indexPutOutOfPlace(x: Tensor, indices: IndexPart[], v: Tensor, accumulate: boolean): Tensor {
  const p = parse(x, indices);
  const out = ops.clone(x);
  const vv = v.dtype === x.dtype ? v : ops.cast(v, x.dtype);
  if (!p.adv.length) {
    // out is a dense clone: the logical geometry is its storage geometry
    const r = out._viewAs(p.lg.shape, p.lg.strides, p.lg.offset);
    if (accumulate) {
      const s = ops.add(r, vv);
      writeInto(r, s);
      s.dispose();
    } else writeInto(r, vv);
    r.dispose();
    disposeAll(p.owned);
    if (vv !== v) vv.dispose();
    const lg = p.lg,
      shapeV = v.shape.slice();
    return ops.record(noRecordGradFn(out), "IndexPutBackward", [x, v], (g) => {
      const gd = g.dense();
      const gr = gd._viewAs(lg.shape, lg.strides, lg.offset);
      let gv: Tensor | null = null;
      if (v.requiresGrad) {
        const c = ops.clone(gr);
        gv = ops.sumTo(c, shapeV);
        if (gv !== c) c.dispose();
      }
      let gx: Tensor | null = null;
      if (x.requiresGrad) {
        gx = ops.clone(gd);
        if (!accumulate) {
          const z = ops.full([], 0);
          const rr = gx._viewAs(lg.shape, lg.strides, lg.offset);
          writeInto(rr, z);
          rr.dispose();
          z.dispose();
        }
      }
      gr.dispose();
      if (gd !== g) gd.dispose();
      return [gx, gv];
    });
  }
  const pl = plan(p);
  const dims = p.adv.map((_, j) => j);
  putRaw(out, p.lg, pl, dims, vv, accumulate);
  disposeAll(p.owned);
  if (vv !== v) vv.dispose();
  const lg = p.lg,
    shapeV = v.shape.slice();
  return ops.record(noRecordGradFn(out), "IndexPutBackward", [x, v], (g) => {
    const gd = g.dense();
    let gx: Tensor | null = null,
      gv: Tensor | null = null;
    if (x.requiresGrad) {
      gx = ops.clone(gd);
      if (!accumulate) {
        const z = ops.full([], 0);
        putRaw(gx, lg, pl, dims, z, false);
        z.dispose();
      }
    }
    if (v.requiresGrad) {
      const gg = gatherRaw(gd, lg, pl, dims);
      gv = ops.sumTo(gg, shapeV);
      if (gv !== gg) gg.dispose();
    }
    if (gd !== g) gd.dispose();
    return [gx, gv];
  });
}
/** out came from clone (recorded CloneBackward): indexPut's node replaces it. */
function noRecordGradFn(t: Tensor): Tensor {
  t.gradFn = null;
  (t as any)._requiresGrad = false;
  return t;
}
