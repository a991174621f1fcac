// Shape ops: split chunk unbind flip roll repeat tile expandAs broadcastTo movedim unflatten
// squeeze unsqueeze tril triu diagonal diag, and torch.cat stack hstack vstack. Views where
// PyTorch returns views (split, chunk, unbind, movedim, unflatten, diagonal, expand), copies otherwise.

import { Tensor, normDim, numelOf } from "../tensor.js";
import * as ops from "../ops.js";
import { A, parseArgs } from "../utils/args.js";
import { K, bstrides, promote, scalarLike } from "./util.js";

const sizesOf = (args: unknown[]): number[] =>
  args.length === 1 && Array.isArray(args[0]) ? (args[0] as number[]).slice() : (args as number[]);

/** Views of x split along dim into pieces of `size` (the last may be shorter) or of the given sizes. */
export function split(x: Tensor, ...args: unknown[]): Tensor[] {
  const o = parseArgs("split", args, { splitSizeOrSections: A.or(A.nonNegInt, A.ints), dim: [A.int, 0] });
  const d = normDim(o.dim, x.dim()),
    n = x.shape[d];
  let sizes: number[];
  if (Array.isArray(o.splitSizeOrSections)) {
    sizes = o.splitSizeOrSections;
    const tot = sizes.reduce((p, s) => p + s, 0);
    if (tot !== n)
      throw new RangeError(
        `split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=[${sizes.join(", ")}]`,
      );
  } else {
    const s = o.splitSizeOrSections;
    if (s === 0 && n !== 0)
      throw new RangeError(`split_size can only be 0 if dimension size is 0, but got dimension size of ${n}`);
    const cnt = s === 0 ? 1 : Math.max(1, Math.ceil(n / s));
    sizes = Array.from({ length: cnt }, (_, k) => Math.min(s, n - k * s));
  }
  let at = 0;
  return sizes.map((s) => {
    const v = ops.narrow(x, d, at, s);
    at += s;
    return v;
  });
}

/** n views along dim of ceil(size / n) elements each (fewer when the size does not allow n). */
export function chunk(x: Tensor, ...args: unknown[]): Tensor[] {
  const o = parseArgs("chunk", args, { chunks: A.int, dim: [A.int, 0] });
  if (o.chunks <= 0) throw new RangeError("chunk expects `chunks` to be greater than 0, got: " + o.chunks);
  const d = normDim(o.dim, x.dim()),
    n = x.shape[d];
  const s = Math.ceil(n / o.chunks);
  if (n === 0) return Array.from({ length: o.chunks }, () => ops.narrow(x, d, 0, 0));
  return split(x, s, d);
}

/** Splits x along `dim` (default 0) into the slices, that dim removed (`torch.unbind`). */
export function unbind(x: Tensor, ...args: unknown[]): Tensor[] {
  const o = parseArgs("unbind", args, { dim: [A.int, 0] });
  const d = normDim(o.dim, x.dim());
  return Array.from({ length: x.shape[d] }, (_, k) => ops.select(x, d, k));
}

/** Reverses the order along dims (a copy, as PyTorch's flip). */
export function flip(x: Tensor, ...args: unknown[]): Tensor {
  const dims = [...new Set(sizesOf(args).map((d) => normDim(d, x.dim())))];
  const strides = x.strides.slice();
  let off = x.offset;
  for (const d of dims) {
    if (x.shape[d] > 0) off += (x.shape[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  const out = Tensor.empty(x.shape.slice(), x.dtype, true);
  if (x.numel())
    K().copyStrided(x.storage, off, x.shape.length ? x.shape : [1], x.shape.length ? strides : [1], out.storage);
  return ops.record(out, "FlipBackward", [x], (g) => [flip(g, dims)]);
}

/** Shifts elements along dims with wrap-around; without dims the flattened tensor is rolled. */
export function roll(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("roll", args, { shifts: A.intOrTuple, dims: [A.nullable(A.intOrTuple), null] });
  const shifts = Array.isArray(o.shifts) ? o.shifts : [o.shifts];
  if (o.dims === null) {
    if (shifts.length !== 1) throw new RangeError(`shifts and dimensions must align. shifts: ${shifts.length}, dims:0`);
    const f = ops.reshape(x, [x.numel()]);
    return ops.reshape(roll(f, shifts[0], 0), x.shape);
  }
  const dims = Array.isArray(o.dims) ? o.dims : [o.dims];
  if (dims.length !== shifts.length)
    throw new RangeError(`shifts and dimensions must align. shifts: ${shifts.length}, dims:${dims.length}`);
  let cur = x;
  dims.forEach((dim, k) => {
    const d = normDim(dim, x.dim()),
      n = x.shape[d];
    if (n === 0) return;
    const s = ((shifts[k] % n) + n) % n;
    if (s === 0) return;
    cur = ops.cat([ops.narrow(cur, d, n - s, s), ops.narrow(cur, d, 0, n - s)], d);
  });
  return cur === x ? ops.clone(x) : cur;
}

/** Repeats the tensor along each dim (leading new dims when more repeats than dims): expand + reshape. */
export function repeat(x: Tensor, ...args: unknown[]): Tensor {
  const reps = sizesOf(args);
  if (reps.length < x.dim())
    throw new RangeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  const shape = [...new Array(reps.length - x.dim()).fill(1), ...x.shape];
  const inter: number[] = [],
    target: number[] = [],
    final: number[] = [];
  shape.forEach((s, k) => {
    inter.push(1, s);
    target.push(reps[k], s);
    final.push(reps[k] * s);
  });
  const v = ops.reshape(x, inter);
  const e = ops.expand(v, target);
  return ops.reshape(ops.contiguous(e), final);
}
/** repeat with the repeats padded by leading 1s to the tensor's dims (numpy's tile). */
export function tile(x: Tensor, ...args: unknown[]): Tensor {
  const reps = sizesOf(args);
  return repeat(x, [...new Array(Math.max(0, x.dim() - reps.length)).fill(1), ...reps]);
}

export function expandAs(x: Tensor, other: Tensor): Tensor {
  return ops.expand(x, other.shape);
}
/** x broadcast to `shape`, as a view (`torch.broadcast_to`). */
export function broadcastTo(x: Tensor, ...args: unknown[]): Tensor {
  return ops.expand(x, sizesOf(args));
}

/** Moves dims `source` to positions `destination` (the others keep their order): a permute view. */
export function movedim(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("movedim", args, { source: A.intOrTuple, destination: A.intOrTuple });
  const nd = x.dim();
  const src = (Array.isArray(o.source) ? o.source : [o.source]).map((d) => normDim(d, nd));
  const dst = (Array.isArray(o.destination) ? o.destination : [o.destination]).map((d) => normDim(d, nd));
  if (src.length !== dst.length)
    throw new RangeError(
      `movedim: Invalid source or destination dims: source (${JSON.stringify(o.source)} dims) should contain the same number of dims as destination (${JSON.stringify(o.destination)} dims)`,
    );
  if (new Set(src).size !== src.length)
    throw new RangeError(`movedim: repeated dim in \`source\` (${JSON.stringify(o.source)})`);
  if (new Set(dst).size !== dst.length)
    throw new RangeError(`movedim: repeated dim in \`destination\` (${JSON.stringify(o.destination)})`);
  const perm = new Array(nd).fill(-1);
  src.forEach((s, k) => (perm[dst[k]] = s));
  const rest = Array.from({ length: nd }, (_, k) => k).filter((k) => !src.includes(k));
  let r = 0;
  for (let k = 0; k < nd; k++) if (perm[k] < 0) perm[k] = rest[r++];
  return ops.permute(x, perm);
}

/** Splits dim into `sizes` (one of them may be -1). */
export function unflatten(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("unflatten", args, { dim: A.int, sizes: A.ints });
  const d = normDim(o.dim, x.dim());
  const sizes = o.sizes.slice(),
    n = x.shape[d];
  const neg = sizes.indexOf(-1);
  if (neg >= 0) {
    const rest = sizes.reduce((p, s, k) => (k === neg ? p : p * s), 1);
    sizes[neg] = rest ? n / rest : 0;
  }
  if (numelOf(sizes) !== n || !sizes.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new RangeError(
      `unflatten: Provided sizes [${o.sizes.join(", ")}] don't multiply up to the size of dim ${o.dim} (${n}) in the input tensor`,
    );
  }
  return ops.reshape(x, [...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
}

/** Removes size-1 dims (all, or the given `dim`s) (`torch.squeeze`). */
export function squeeze(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("squeeze", args, { dim: [A.nullable(A.intOrTuple), null] });
  if (o.dim === null) return ops.squeeze(x);
  const ds = (Array.isArray(o.dim) ? o.dim : [o.dim]).map((d) => normDim(d, x.dim()));
  return ops.reshape(
    x,
    x.shape.filter((s, k) => !(ds.includes(k) && s === 1)),
  );
}
/** Inserts a size-1 dim at `dim` (`torch.unsqueeze`). */
export function unsqueeze(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("unsqueeze", args, { dim: A.int });
  return ops.unsqueeze(x, o.dim);
}

// ------------------------------------------------------------------ triangles and diagonals

/** A [R, C] 0/1 mask of the lower (tril) or upper (triu) triangle from `diagonal`. */
function triMask(R: number, C: number, diagonal: number, lower: boolean): Tensor {
  const m = Tensor.empty([R, C], "float32");
  const v = m.backendView();
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) v[r * C + c] = (lower ? c - r <= diagonal : c - r >= diagonal) ? 1 : 0;
  return m;
}
function tri(fn: "tril" | "triu", x: Tensor, args: unknown[]): Tensor {
  const o = parseArgs(fn, args, { diagonal: [A.int, 0] });
  if (x.dim() < 2) throw new RangeError(`${fn}: input tensor must have at least 2 dimensions`);
  const R = x.shape[x.dim() - 2],
    C = x.shape[x.dim() - 1];
  const mask = triMask(R, C, o.diagonal, fn === "tril");
  const zero = scalarLike(0, x.dtype);
  return maskedWhere(mask, x, zero); // mask stays alive: the backward reads it
}
/** The lower triangle of the last two dims (on and below `diagonal`), the rest zero (`torch.tril`). */
export function tril(x: Tensor, ...args: unknown[]): Tensor {
  return tri("tril", x, args);
}
/** The upper triangle of the last two dims (on and above `diagonal`), the rest zero (`torch.triu`). */
export function triu(x: Tensor, ...args: unknown[]): Tensor {
  return tri("triu", x, args);
}

/** cond ? a : b for a constant (non-differentiable) mask, broadcast, with autograd to a and b. */
export function maskedWhere(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = ops.broadcastShapes(ops.broadcastShapes(cond.shape, a.shape), b.shape);
  const dt = promote(a.dtype, b.dtype);
  const aa = a.dtype === dt ? a : ops.cast(a, dt),
    bb = b.dtype === dt ? b : ops.cast(b, dt);
  const out = Tensor.empty(shape, dt, true);
  if (out.numel()) {
    K().whereStrided(
      cond.storage,
      cond.offset,
      bstrides(cond, shape),
      aa.storage,
      aa.offset,
      bstrides(aa, shape),
      bb.storage,
      bb.offset,
      bstrides(bb, shape),
      out.storage,
      shape,
    );
  }
  return ops.record(out, "WhereBackward", [aa, bb], (g) => {
    const z = scalarLike(0);
    const pick = (first: boolean, t: Tensor) => {
      if (!t.requiresGrad) return null;
      const r = Tensor.empty(shape, "float32", true);
      if (r.numel()) {
        K().whereStrided(
          cond.storage,
          cond.offset,
          bstrides(cond, shape),
          first ? g.storage : z.storage,
          first ? g.offset : 0,
          first ? bstrides(g, shape) : shape.map(() => 0),
          first ? z.storage : g.storage,
          first ? 0 : g.offset,
          first ? shape.map(() => 0) : bstrides(g, shape),
          r.storage,
          shape,
        );
      }
      const s = ops.sumTo(r, t.shape);
      if (s !== r) r.dispose();
      return s;
    };
    const res = [pick(true, aa), pick(false, bb)];
    z.dispose();
    return res;
  });
}

/** The diagonal (offset, between dim1 and dim2) as a view; it becomes the last dim. */
export function diagonal(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("diagonal", args, { offset: [A.int, 0], dim1: [A.int, 0], dim2: [A.int, 1] });
  const nd = x.dim(),
    d1 = normDim(o.dim1, nd),
    d2 = normDim(o.dim2, nd);
  if (d1 === d2) throw new RangeError(`diagonal dimensions cannot be identical ${o.dim1}, ${o.dim2}`);
  const off = o.offset;
  const L = Math.max(0, off >= 0 ? Math.min(x.shape[d1], x.shape[d2] - off) : Math.min(x.shape[d1] + off, x.shape[d2]));
  const start = L === 0 ? x.offset : x.offset + (off >= 0 ? off * x.strides[d2] : -off * x.strides[d1]);
  const keep = Array.from({ length: nd }, (_, k) => k).filter((k) => k !== d1 && k !== d2);
  const out = x._viewAs(
    [...keep.map((k) => x.shape[k]), L],
    [...keep.map((k) => x.strides[k]), x.strides[d1] + x.strides[d2]],
    start,
  );
  return ops.record(out, "DiagonalBackward", [x], (g) => [diagonalGrad(g, x.shape, off, d1, d2)]);
}
/** A zero tensor of `shape` with g on its (off, d1, d2) diagonal. */
function diagonalGrad(g: Tensor, shape: number[], off: number, d1: number, d2: number): Tensor {
  const nd = shape.length,
    R = shape[d1],
    C = shape[d2];
  const keep = Array.from({ length: nd }, (_, k) => k).filter((k) => k !== d1 && k !== d2);
  const L = g.shape[g.dim() - 1];
  // gm [..., R, C]: g[..., i] at (i, i + off) (off >= 0) or (i - off, i)
  const mask = triMask(R, C, off, true),
    up = triMask(R, C, off, false),
    m = ops.mul(mask, up);
  mask.dispose();
  up.dispose();
  let line: Tensor; // [..., R, 1] (off >= 0: value by row) or [..., 1, C] (by column)
  if (off >= 0) {
    const padded = L < R ? ops.cat([g, ops.full([...g.shape.slice(0, -1), R - L], 0)], -1) : g;
    line = ops.unsqueeze(padded, -1);
  } else {
    const padded = L < C ? ops.cat([g, ops.full([...g.shape.slice(0, -1), C - L], 0)], -1) : g;
    line = ops.unsqueeze(padded, -2);
  }
  const gm = maskedWhere(m, line, scalarLike(0));
  // gm's dims are [keep..., d1, d2]: move them back
  const perm = new Array(nd);
  keep.forEach((k, j) => (perm[k] = j));
  perm[d1] = nd - 2;
  perm[d2] = nd - 1;
  return ops.contiguous(ops.permute(gm, perm));
}

/** diag(vector) → a matrix with it on the `diagonal`; diag(matrix) → its diagonal (a copy). */
export function diag(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("diag", args, { diagonal: [A.int, 0] });
  if (x.dim() === 2) return ops.clone(diagonal(x, o.diagonal));
  if (x.dim() !== 1) throw new RangeError("diag(): Supports 1D or 2D tensors. Got " + x.dim() + "D");
  const n = x.shape[0] + Math.abs(o.diagonal);
  const m1 = triMask(n, n, o.diagonal, true),
    m2 = triMask(n, n, o.diagonal, false),
    m = ops.mul(m1, m2);
  m1.dispose();
  m2.dispose();
  const pad = ops.full([Math.abs(o.diagonal)], 0, x.dtype);
  const line = o.diagonal >= 0 ? ops.unsqueeze(ops.cat([x, pad], 0), 1) : ops.unsqueeze(ops.cat([x, pad], 0), 0);
  return maskedWhere(m, line, scalarLike(0, x.dtype));
}

// ------------------------------------------------------------------ cat, stack, hstack, vstack

/** Concatenates along dim (1-d empty tensors are skipped, as PyTorch's legacy rule; dtypes promote). */
export function cat(tensors: Tensor[], ...args: unknown[]): Tensor {
  const o = parseArgs("cat", args, { dim: [A.int, 0] });
  if (!Array.isArray(tensors) || !tensors.length)
    throw new RangeError("torch.cat(): expected a non-empty list of Tensors");
  const ts = tensors.filter((t) => !(t.dim() === 1 && t.shape[0] === 0));
  if (!ts.length) return ops.clone(tensors[0]);
  if (ts.some((t) => t.dim() === 0))
    throw new RangeError(
      `zero-dimensional tensor (at position ${tensors.findIndex((t) => t.dim() === 0)}) cannot be concatenated`,
    );
  const dt = ts.map((t) => t.dtype).reduce(promote);
  const cast = ts.map((t) => (t.dtype === dt ? t : ops.cast(t, dt)));
  const d = normDim(o.dim, cast[0].dim());
  const base = cast[0].shape;
  cast.forEach((t, k) => {
    if (t.dim() !== base.length)
      throw new RangeError(`Tensors must have same number of dimensions: got ${base.length} and ${t.dim()}`);
    const j = t.shape.findIndex((s, q) => q !== d && s !== base[q]);
    if (j >= 0)
      throw new RangeError(
        `Sizes of tensors must match except in dimension ${d}. Expected size ${base[j]} but got size ${t.shape[j]} for tensor number ${k} in the list.`,
      );
  });
  return ops.cat(cast, d);
}
/** Joins same-shape tensors along a new dim (`torch.stack`). */
export function stack(tensors: Tensor[], ...args: unknown[]): Tensor {
  const o = parseArgs("stack", args, { dim: [A.int, 0] });
  if (!Array.isArray(tensors) || !tensors.length) throw new RangeError("stack expects a non-empty TensorList");
  const s = tensors[0].shape;
  tensors.forEach((t, k) => {
    if (t.dim() !== s.length || t.shape.some((v, j) => v !== s[j])) {
      throw new RangeError(
        `stack expects each tensor to be equal size, but got [${s.join(", ")}] at entry 0 and [${t.shape.join(", ")}] at entry ${k}`,
      );
    }
  });
  const d = normDim(o.dim, s.length + 1);
  return cat(
    tensors.map((t) => ops.unsqueeze(t, d)),
    d,
  );
}
/** Concatenates along dim 1 (dim 0 for 1-d tensors) (`torch.hstack`). */
export function hstack(tensors: Tensor[]): Tensor {
  const ts = tensors.map((t) => (t.dim() === 0 ? ops.reshape(t, [1]) : t));
  return cat(ts, ts[0].dim() === 1 ? 0 : 1);
}
/** Concatenates along dim 0, 1-d tensors as rows (`torch.vstack`). */
export function vstack(tensors: Tensor[]): Tensor {
  return cat(
    tensors.map((t) => (t.dim() === 0 ? ops.reshape(t, [1, 1]) : t.dim() === 1 ? ops.unsqueeze(t, 0) : t)),
    0,
  );
}
