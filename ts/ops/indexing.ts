// Indexing ops: gather scatter scatterAdd indexSelect maskedFill maskedSelect where nonzero
// topk sort argsort unique. The ones a training step calls run as one kernel each (Backend
// gather/scatter/whereStrided/sort); the data-dependent ones (nonzero, maskedSelect's positions,
// unique) read the mask or values back, as PyTorch does.

import { Tensor, type MaxResult, makeMaxResult, normDim, numelOf } from "../tensor.js";
import { noGrad } from "../runtime.js";
import * as ops from "../ops.js";
import { A, parseArgs } from "../utils/args.js";
import { K, checkIndexDtype, geom, indexTensor, indexValues, maskFloat, scalarLike, withIndexError } from "./util.js";
import { maskedWhere } from "./shape.js";
import { scatterGrad } from "./reduce.js";

/** x narrowed to index's sizes in every dim but d (PyTorch lets the index be smaller there). */
function fitTo(x: Tensor, index: Tensor, d: number): Tensor {
  let v = x;
  for (let k = 0; k < x.dim(); k++) {
    if (k !== d && index.shape[k] !== x.shape[k])
      v = v._viewAs(
        v.shape.map((s, j) => (j === k ? index.shape[k] : s)),
        v.strides.slice(),
        v.offset,
      );
  }
  return v;
}
function checkGatherShapes(fn: string, x: Tensor, index: Tensor, d: number, other?: Tensor, otherName = "src"): void {
  if (index.dim() !== x.dim() && !(index.dim() <= 1 && x.dim() <= 1)) {
    throw new RangeError(
      `Index tensor must have the same number of dimensions as ${fn === "gather" ? "input" : "self"} tensor`,
    );
  }
  for (let k = 0; k < x.dim(); k++) {
    if (k !== d && index.shape[k] > x.shape[k]) {
      throw new RangeError(
        `Size does not match at dimension ${k} expected index [${index.shape.join(", ")}] to be smaller than self [${x.shape.join(", ")}] apart from dimension ${d}`,
      );
    }
    if (other && index.shape[k] > other.shape[k]) {
      throw new RangeError(
        `Size does not match at dimension ${k} expected index [${index.shape.join(", ")}] to be smaller than ${otherName} [${other.shape.join(", ")}] apart from dimension ${d}`,
      );
    }
  }
}

/** out[i][j][k] = x[index[i][j][k]][j][k] (dim 0), and so on: out has index's shape. */
export function gather(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("gather", args, { dim: A.int, index: A.tensor, sparseGrad: A.kw(A.bool, false) });
  const index = o.index;
  checkIndexDtype(index, "gather");
  const d = normDim(o.dim, x.dim());
  checkGatherShapes("gather", x, index, d);
  const xv = fitTo(x, index, d),
    xd = xv.dense();
  const [outer, n, inner] = geom(xv.shape, d),
    m = x.dim() ? index.shape[d] : index.numel();
  const out = Tensor.empty(index.shape.slice(), x.dtype, true);
  const id = index.dense();
  if (out.numel()) withIndexError(() => K().gather(xd.storage, id.storage, out.storage, outer, n, m, inner, false), d);
  if (xd !== xv) xd.dispose();
  if (xv !== x) xv.dispose();
  return ops.record(out, "GatherBackward", [x], (g) => [scatterAddRaw(ops.full(x.shape.slice(), 0), d, id, g)]);
}

/** self (owned, dense, modified) with src (or value) scattered at index along d. */
function scatterInto(
  self: Tensor,
  d: number,
  index: Tensor,
  src: Tensor | null,
  value: number,
  accumulate: boolean,
): Tensor {
  if (!index.numel()) return self;
  const id = index.dense();
  const region = fitTo(self, index, d);
  const [outer, n, inner] = geom(region.shape, d),
    m = self.dim() ? index.shape[d] : index.numel();
  let sd: Tensor | null = null;
  if (src) {
    const sv = fitTo(src, index, -1);
    sd = sv.dense();
    if (sd !== sv && sv !== src) sv.dispose();
  }
  if (region.isDense() || region === self) {
    withIndexError(
      () => K().scatter(sd ? sd.storage : null, value, id.storage, self.storage, outer, n, m, inner, false, accumulate),
      d,
    );
  } else {
    // index smaller than self outside d: scatter into a dense copy of the region, then write it back
    const rd = region.dense();
    withIndexError(
      () => K().scatter(sd ? sd.storage : null, value, id.storage, rd.storage, outer, n, m, inner, false, accumulate),
      d,
    );
    writeStrided(region, rd);
    rd.dispose();
  }
  if (region !== self) region.dispose();
  if (sd && sd !== src) sd.dispose();
  if (id !== index) id.dispose();
  return self;
}
/** Copies dense src into the strided view dst (host loop; only for the rare uneven-index scatter). */
function writeStrided(dst: Tensor, src: Tensor): void {
  const D = dst.backendView(),
    S = src.backendView(),
    nd = dst.dim(),
    ix = new Array(nd).fill(0);
  for (let k = 0; k < S.length; k++) {
    let p = dst.offset;
    for (let j = 0; j < nd; j++) p += ix[j] * dst.strides[j];
    D[p] = S[k];
    for (let j = nd - 1; j >= 0; j--) {
      if (++ix[j] < dst.shape[j]) break;
      ix[j] = 0;
    }
  }
}
function scatterAddRaw(base: Tensor, d: number, index: Tensor, g: Tensor): Tensor {
  return scatterInto(base, d, index, g, 0, true);
}

/** A copy of x with src (a tensor, or a number) written at index along dim; reduce "add"/"multiply" as PyTorch. */
export function scatter(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("scatter", args, {
    dim: A.int,
    index: A.tensor,
    src: A.or(A.tensor, A.num),
    reduce: A.kw(A.nullable(A.oneOf("add", "multiply")), null),
  });
  const { index, src } = o;
  checkIndexDtype(index, "scatter");
  const d = normDim(o.dim, x.dim());
  checkGatherShapes("scatter", x, index, d, src instanceof Tensor ? src : undefined);
  if (o.reduce === "multiply") return scatterMultiply(x, d, index, src);
  const srcT = src instanceof Tensor ? (src.dtype === x.dtype ? src : ops.cast(src, x.dtype)) : null;
  const out = scatterInto(
    noGrad(() => ops.clone(x)),
    d,
    index,
    srcT,
    typeof src === "number" ? src : 0,
    o.reduce === "add",
  );
  return ops.record(out, "ScatterBackward", [x, srcT], (g) => [
    x.requiresGrad ? (o.reduce === "add" ? g : scatterInto(ops.clone(g), d, index, null, 0, false)) : null,
    srcT && srcT.requiresGrad ? gatherRaw(g, d, index, srcT.shape) : null,
  ]);
}
/** Dense elements as JS numbers (int64 beyond 2^53 loses precision, as every host-side index op). */
function numbersOf(t: Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number | bigint>, Number);
}
/** scatter(reduce="multiply"): out[...index...] *= src, read back and computed on the host (PyTorch has
 *  no derivative for it either: backward throws its message). */
function scatterMultiply(x: Tensor, d: number, index: Tensor, src: Tensor | number): Tensor {
  const out = noGrad(() => ops.clone(x));
  const xs = numbersOf(out),
    idx = indexValues(index);
  const sv = src instanceof Tensor ? numbersOf(src) : null;
  const nd = Math.max(index.dim(), 1);
  const ishape = index.dim() ? index.shape : [1];
  const xshape = x.dim() ? x.shape : [1];
  const sshape = src instanceof Tensor ? (src.dim() ? src.shape : [1]) : ishape;
  const stride = (shape: number[]) => {
    const st = new Array(shape.length).fill(1);
    for (let k = shape.length - 2; k >= 0; k--) st[k] = st[k + 1] * shape[k + 1];
    return st;
  };
  const xst = stride(xshape),
    sst = stride(sshape);
  const pos = new Array(nd).fill(0);
  for (let e = 0; e < idx.length; e++) {
    const j = idx[e];
    if (j < -xshape[d] || j >= xshape[d])
      throw new RangeError(`index ${j} is out of bounds for dimension ${d} with size ${xshape[d]}`);
    let xo = 0,
      so = 0;
    for (let k = 0; k < nd; k++) {
      xo += (k === d ? (j < 0 ? j + xshape[d] : j) : pos[k]) * xst[k];
      so += pos[k] * sst[k];
    }
    xs[xo] *= sv ? sv[so] : (src as number);
    for (let k = nd - 1; k >= 0; k--) {
      if (++pos[k] < ishape[k]) break;
      pos[k] = 0;
    }
  }
  const v = out.backendView() as unknown as { [k: number]: number | bigint; length: number };
  const big = v instanceof BigInt64Array;
  for (let k = 0; k < xs.length; k++) v[k] = big ? BigInt(Math.trunc(xs[k])) : xs[k];
  return ops.record(out, "ScatterBackward", [x, src instanceof Tensor ? src : null], () => {
    throw new Error("derivative for aten::scatter is not implemented");
  });
}
/** The source's gradient: g gathered at index, placed in a zero tensor of the source's shape
 *  (the source may be larger than the index outside its first index.shape elements). */
function gatherRaw(g: Tensor, d: number, index: Tensor, srcShape?: number[]): Tensor {
  const part = noGrad(() => gather(g, d, index));
  if (!srcShape || srcShape.every((s, k) => s === index.shape[k])) return part;
  const full = ops.full(srcShape.slice(), 0),
    region = fitTo(full, index, -1);
  writeStrided(region, part);
  region.dispose();
  part.dispose();
  return full;
}

/** A copy of x with src added at index along dim (several src elements may hit one place). */
export function scatterAdd(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("scatterAdd", args, { dim: A.int, index: A.tensor, src: A.tensor });
  const { index, src } = o;
  checkIndexDtype(index, "scatter_add");
  const d = normDim(o.dim, x.dim());
  checkGatherShapes("scatter_add", x, index, d, src);
  const srcT = src.dtype === x.dtype ? src : ops.cast(src, x.dtype);
  const out = scatterInto(
    noGrad(() => ops.clone(x)),
    d,
    index,
    srcT,
    0,
    true,
  );
  return ops.record(out, "ScatterAddBackward", [x, srcT], (g) => [
    x.requiresGrad ? g : null,
    srcT.requiresGrad ? gatherRaw(g, d, index, srcT.shape) : null,
  ]);
}

/** The rows (along dim) of x at a 1-d int64 index. */
export function indexSelect(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("indexSelect", args, { dim: A.int, index: A.tensor });
  const index = o.index;
  if (index.dim() > 1) throw new RangeError("index_select(): Index is supposed to be a vector");
  if (index.dtype !== "int64") throw new TypeError("index_select(): Expected dtype int64 for index");
  const d = normDim(o.dim, x.dim());
  const [outer, n, inner] = geom(x.shape, d),
    m = index.numel();
  const shape = x.dim() ? x.shape.map((s, k) => (k === d ? m : s)) : index.shape.slice();
  const out = Tensor.empty(shape, x.dtype, true);
  const xd = x.dense(),
    id = index.dense();
  if (out.numel() || (m && n === 0)) {
    withIndexError(
      () => K().gather(xd.storage, id.storage, out.storage, outer, n, m, inner, true),
      d,
      d === 0 ? "index out of range in self" : (v) => `INDICES element is out of DATA bounds, id=${v} axis_dim=${n}`,
    );
  }
  if (xd !== x) xd.dispose();
  return ops.record(out, "IndexSelectBackward", [x], (g) => {
    const gx = ops.full(x.shape.slice(), 0),
      gd = g.dense();
    if (gd.numel()) K().scatter(gd.storage, 0, id.storage, gx.storage, outer, n, m, inner, true, true);
    if (gd !== g) gd.dispose();
    return [gx];
  });
}

/** x with value where mask (bool, broadcast to x's shape) is true. */
export function maskedFill(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("maskedFill", args, { mask: A.tensor, value: A.or(A.num, A.tensor) });
  const mask = o.mask;
  // (PyTorch 1.13 also takes float and int64 masks, nonzero meaning true)
  const shape = ops.broadcastShapes(mask.shape, x.shape);
  if (shape.length !== x.dim() || shape.some((s, k) => s !== x.shape[k])) {
    throw new RangeError(
      `The size of tensor a (${x.shape[x.dim() - 1]}) must match the size of tensor b (${mask.shape[mask.dim() - 1]}) at non-singleton dimension ${x.dim() - 1}`,
    );
  }
  let v: Tensor;
  if (o.value instanceof Tensor) {
    if (o.value.dim() !== 0)
      throw new RangeError(
        `masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${o.value.dim()} dimension(s).`,
      );
    v = o.value.dtype === x.dtype ? o.value : ops.cast(o.value, x.dtype);
  } else v = scalarLike(o.value, x.dtype);
  return maskedWhere(mask, v, x);
}

/** cond ? a : b, broadcast; a and b may be numbers. where(cond) alone is nonzero(cond, { asTuple }). */
export function where(cond: Tensor, ...args: unknown[]): Tensor | Tensor[] {
  if (args.length === 0) return nonzero(cond, { asTuple: true });
  const o = parseArgs("where", args, { input: A.or(A.tensor, A.num), other: A.or(A.tensor, A.num) });
  // a number takes the other operand's dtype, unless it is fractional next to an integer tensor
  const toT = (v: Tensor | number, peer: Tensor | number) => {
    if (v instanceof Tensor) return v;
    const dt =
      peer instanceof Tensor
        ? Number.isInteger(v)
          ? peer.dtype
          : "float32"
        : Number.isInteger(v) && Number.isInteger(peer)
          ? "int64"
          : "float32";
    return scalarLike(v, dt);
  };
  const a = toT(o.input, o.other),
    b = toT(o.other, o.input);
  const c = cond.dtype === "float32" || cond.dtype === ("bool" as any) ? cond : maskFloat(cond);
  return maskedWhere(c, a, b);
}

/** Indices of the nonzero elements: [n, dim] int64, or (asTuple) one 1-d tensor per dim. */
export function nonzero(x: Tensor, ...args: unknown[]): Tensor | Tensor[] {
  const o = parseArgs("nonzero", args, { asTuple: A.kw(A.bool, false) });
  const xd = x.dense(),
    v = xd.backendView() as ArrayLike<number>,
    nd = x.dim();
  const hits: number[] = [];
  for (let k = 0; k < v.length; k++) if (v[k] !== 0) hits.push(k);
  if (xd !== x) xd.dispose();
  const coords = new Array(hits.length * nd);
  const st = x.shape.map((_, k) => numelOf(x.shape.slice(k + 1)));
  hits.forEach((h, r) => {
    for (let j = 0; j < nd; j++) coords[r * nd + j] = Math.floor(h / st[j]) % x.shape[j];
  });
  if (!o.asTuple) return indexTensor(coords, [hits.length, nd]);
  if (nd === 0)
    return [
      indexTensor(
        hits.map(() => 0),
        [hits.length],
      ),
    ];
  return Array.from({ length: nd }, (_, j) =>
    indexTensor(
      hits.map((_, r) => coords[r * nd + j]),
      [hits.length],
    ),
  );
}

/** The elements of x where mask (broadcast together) is true, as a 1-d tensor. */
export function maskedSelect(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("maskedSelect", args, { mask: A.tensor });
  const shape = ops.broadcastShapes(o.mask.shape, x.shape);
  const xe = ops.reshape(ops.expand(x, shape), [numelOf(shape)]);
  const me = noGrad(() => ops.reshape(ops.contiguous(ops.expand(maskFloat(o.mask), shape)), [numelOf(shape)]));
  const pos = nonzero(me) as Tensor;
  const flat = ops.reshape(pos, [pos.shape[0]]);
  return indexSelect(xe, 0, flat);
}

// ------------------------------------------------------------------ sort, topk, argsort, unique

function sortRaw(x: Tensor, d: number, k: number, descending: boolean): MaxResult {
  const [outer, n, inner] = geom(x.shape, d);
  const shape = x.dim() ? x.shape.map((s, j) => (j === d ? k : s)) : [];
  const values = Tensor.empty(shape, x.dtype, true),
    indices = Tensor.empty(shape.slice(), "int64", true);
  const xd = x.dense();
  if (values.numel()) K().sort(xd.storage, values.storage, indices.storage, outer, n, inner, k, descending);
  if (xd !== x) xd.dispose();
  ops.record(values, descending ? "SortBackward" : "SortBackward", [x], (g) => [
    scatterGrad(g, indices, x.shape, d, outer, n, inner),
  ]);
  return makeMaxResult(values, indices);
}

/** { values, indices } sorted along dim (stable: equal values keep their order). */
export function sort(x: Tensor, ...args: unknown[]): MaxResult {
  const o = parseArgs("sort", args, {
    dim: [A.int, -1],
    descending: [A.bool, false],
    stable: A.kw(A.nullable(A.bool), null),
  });
  const d = x.dim() ? normDim(o.dim, x.dim()) : (normDim(o.dim, 1), 0);
  return sortRaw(x, d, x.dim() ? x.shape[d] : 1, o.descending);
}
/** The indices that sort x along `dim` (default -1), ascending unless `descending` (`torch.argsort`). */
export function argsort(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("argsort", args, { dim: [A.int, -1], descending: [A.bool, false], stable: A.kw(A.bool, false) });
  const r = noGrad(() => sort(x, o.dim, o.descending));
  r.values.dispose();
  return r.indices;
}
/** The k largest (or smallest) elements along dim, in order: { values, indices }. */
export function topk(x: Tensor, ...args: unknown[]): MaxResult {
  const o = parseArgs("topk", args, {
    k: A.nonNegInt,
    dim: [A.int, -1],
    largest: [A.bool, true],
    sorted: [A.bool, true],
  });
  const d = x.dim() ? normDim(o.dim, x.dim()) : (normDim(o.dim, 1), 0);
  const n = x.dim() ? x.shape[d] : 1;
  if (o.k > n) throw new RangeError("selected index k out of range");
  return sortRaw(x, d, o.k, o.largest);
}

/** The sorted unique values; [values, inverse?, counts?] when returnInverse / returnCounts. */
export function unique(x: Tensor, ...args: unknown[]): Tensor | Tensor[] {
  const o = parseArgs("unique", args, {
    sorted: [A.bool, true],
    returnInverse: [A.bool, false],
    returnCounts: [A.bool, false],
    dim: [A.nullable(A.int), null],
  });
  if (o.dim !== null) return uniqueDim(x, normDim(o.dim, Math.max(x.dim(), 1)), o.returnInverse, o.returnCounts);
  const vals = x.dtype === "int64" ? indexValues(x) : Array.from(x.toFloat32Array());
  const order = vals
    .map((_, k) => k)
    .sort((p, q) => {
      const a = vals[p],
        b = vals[q];
      if (a !== a || b !== b) return a !== a ? (b !== b ? p - q : 1) : -1;
      return a - b || p - q;
    });
  const uniq: number[] = [],
    counts: number[] = [],
    inverse = new Array(vals.length);
  for (const k of order) {
    const v = vals[k],
      last = uniq.length - 1;
    if (last >= 0 && uniq[last] === v) {
      counts[last]++;
      inverse[k] = last;
    } else {
      uniq.push(v);
      counts.push(1);
      inverse[k] = uniq.length - 1;
    }
  }
  const out = x.dtype === "int64" ? indexTensor(uniq, [uniq.length]) : ops.cast(ops.full([uniq.length], 0), x.dtype);
  if (x.dtype !== "int64") out.backendView().set(uniq);
  if (!o.returnInverse && !o.returnCounts) return out;
  const res = [out];
  if (o.returnInverse) res.push(indexTensor(inverse, x.shape.slice()));
  if (o.returnCounts) res.push(indexTensor(counts, [counts.length]));
  return res;
}

/** unique(dim): the distinct slices along dim, sorted lexicographically (as torch.unique(dim=d)). */
function uniqueDim(x: Tensor, d: number, returnInverse: boolean, returnCounts: boolean): Tensor | Tensor[] {
  if (x.dim() === 0) throw new RangeError("unique: dim out of range for a 0-d tensor");
  const n = x.shape[d];
  const vals = numbersOf(x);
  const inner = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const outer = x.shape.slice(0, d).reduce((a, b) => a * b, 1);
  if (x.shape.some((s, k) => k !== d && s === 0))
    throw new RangeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied");
  const slice = (i: number) => {
    const out: number[] = [];
    for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) out.push(vals[(o * n + i) * inner + k]);
    return out;
  };
  const slices = Array.from({ length: n }, (_, i) => slice(i));
  const cmp = (p: number, q: number) => {
    const a = slices[p],
      b = slices[q];
    for (let k = 0; k < a.length; k++) {
      const u = a[k],
        v = b[k];
      if (u === v) continue;
      if (u !== u) return v !== v ? 0 : 1;
      if (v !== v) return -1;
      return u < v ? -1 : 1;
    }
    return 0;
  };
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => cmp(p, q) || p - q);
  const keep: number[] = [],
    counts: number[] = [],
    inverse = new Array(n);
  for (const i of order) {
    // equal slices merge; NaN equals nothing, so slices holding NaN stay apart (as PyTorch)
    if (keep.length && slices[keep[keep.length - 1]].every((u, k) => u === slices[i][k])) {
      counts[counts.length - 1]++;
    } else {
      keep.push(i);
      counts.push(1);
    }
    inverse[i] = keep.length - 1;
  }
  const sel = indexTensor(keep, [keep.length]);
  const out = noGrad(() => indexSelect(x, d, sel));
  sel.dispose();
  if (!returnInverse && !returnCounts) return out;
  const res = [out];
  if (returnInverse) res.push(indexTensor(inverse, [n]));
  if (returnCounts) res.push(indexTensor(counts, [counts.length]));
  return res;
}
