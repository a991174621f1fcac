// Linear algebra: bmm baddbmm addmm mv outer dot, and torch.einsum lowered to batched GEMM
// (each pairwise contraction is one matmul over [batch, M, K] x [batch, K, N]).

import { Tensor, numelOf } from "../tensor.js";
import * as ops from "../ops.js";
import { A, parseArgs } from "../utils/args.js";

function need(x: Tensor, nd: number, name: string): void {
  if (x.dim() !== nd) throw new RangeError(`${name} must be a ${nd}D tensor`);
}

/** Batched matrix product [B, n, m] x [B, m, p] -> [B, n, p] (`torch.bmm`). */
export function bmm(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("bmm", args, { mat2: A.tensor });
  const y = o.mat2;
  need(x, 3, "batch1");
  need(y, 3, "batch2");
  if (x.shape[0] !== y.shape[0] || x.shape[2] !== y.shape[1]) {
    throw new RangeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${x.shape[0]}, ${x.shape[2]}] but got: [${y.shape[0]}, ${y.shape[1]}].`,
    );
  }
  return ops.matmul(x, y);
}
/** Matrix product [n, m] x [m, p] -> [n, p] (`torch.mm`). */
export function mm(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("mm", args, { mat2: A.tensor });
  if (x.dim() !== 2) throw new RangeError("self must be a matrix");
  if (o.mat2.dim() !== 2) throw new RangeError("mat2 must be a matrix");
  return ops.matmul(x, o.mat2);
}
/** Matrix-vector product [n, m] x [m] -> [n] (`torch.mv`). */
export function mv(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("mv", args, { vec: A.tensor });
  if (x.dim() !== 2 || o.vec.dim() !== 1)
    throw new RangeError(`vector + matrix @ vector expected, got 1, ${x.dim()}, ${o.vec.dim()}`);
  return ops.matmul(x, o.vec);
}

/** beta * input + alpha * (mat1 @ mat2). */
function addProduct(fn: string, input: Tensor, prod: Tensor, beta: number, alpha: number): Tensor {
  const p = alpha === 1 ? prod : ops.mul(prod, alpha);
  if (beta === 0) return ops.add(p, ops.mul(ops.expand(input, p.shape), 0)); // input ignored (NaN too), as PyTorch
  return ops.add(beta === 1 ? input : ops.mul(input, beta), p);
}
/** beta * input + alpha * (mat1 @ mat2) (`torch.addmm`). */
export function addmm(input: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("addmm", args, { mat1: A.tensor, mat2: A.tensor, beta: A.kw(A.num, 1), alpha: A.kw(A.num, 1) });
  return addProduct("addmm", input, mm(o.mat1, o.mat2), o.beta, o.alpha);
}
/** beta * input + alpha * bmm(batch1, batch2) (`torch.baddbmm`). */
export function baddbmm(input: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("baddbmm", args, {
    batch1: A.tensor,
    batch2: A.tensor,
    beta: A.kw(A.num, 1),
    alpha: A.kw(A.num, 1),
  });
  return addProduct("baddbmm", input, bmm(o.batch1, o.batch2), o.beta, o.alpha);
}
/** beta * input + alpha * the sum over the batch of bmm(batch1, batch2) (`torch.addbmm`). */
export function addbmm(input: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("addbmm", args, {
    batch1: A.tensor,
    batch2: A.tensor,
    beta: A.kw(A.num, 1),
    alpha: A.kw(A.num, 1),
  });
  return addProduct("addbmm", input, ops.sum(bmm(o.batch1, o.batch2), 0), o.beta, o.alpha);
}

/** Outer product of two vectors [n] x [m] -> [n, m] (`torch.outer`). */
export function outer(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("outer", args, { vec2: A.tensor });
  if (x.dim() !== 1 || o.vec2.dim() !== 1) throw new RangeError("outer: expected 1-D tensors");
  return ops.mul(ops.unsqueeze(x, 1), ops.unsqueeze(o.vec2, 0));
}
/** Dot product of two 1-d tensors, as a 0-d tensor (`torch.dot`). */
export function dot(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("dot", args, { tensor: A.tensor });
  const y = o.tensor;
  if (x.dim() !== 1 || y.dim() !== 1)
    throw new RangeError(`1D tensors expected, but got ${x.dim()}D and ${y.dim()}D tensors`);
  if (x.shape[0] !== y.shape[0]) {
    throw new RangeError(
      `inconsistent tensor size, expected tensor [${x.shape[0]}] and src [${y.shape[0]}] to have the same number of elements, but got ${x.shape[0]} and ${y.shape[0]} elements respectively`,
    );
  }
  return ops.sum(ops.mul(x, y));
}

// ------------------------------------------------------------------ einsum

interface Term {
  t: Tensor;
  labels: string[];
}

/** Parses one operand's subscripts (letters and at most one "...") into labels; the ellipsis
 *  dims get the labels "…k" aligned from the right over all operands (they broadcast). */
function parseTerm(s: string, nd: number, ell: number, which: string): string[] {
  const parts = s.split("...");
  if (parts.length > 2) throw new RangeError(`einsum(): found more than one ellipsis in ${which}`);
  const letters = (p: string) => {
    for (const c of p)
      if (!/[a-zA-Z]/.test(c))
        throw new RangeError(
          `einsum(): invalid subscript given at index ${s.indexOf(c)} in the equation string, subscripts must be in [a-zA-Z]`,
        );
    return [...p];
  };
  if (parts.length === 1) {
    const l = letters(parts[0]);
    if (l.length !== nd)
      throw new RangeError(
        `einsum(): the number of subscripts in the equation (${l.length}) does not match the number of dimensions (${nd}) for ${which} and no ellipsis was given`,
      );
    return l;
  }
  const a = letters(parts[0]),
    b = letters(parts[1]),
    e = nd - a.length - b.length;
  if (e < 0)
    throw new RangeError(
      `einsum(): the number of subscripts in the equation (${a.length + b.length}) is more than the number of dimensions (${nd}) for ${which}`,
    );
  return [...a, ...Array.from({ length: e }, (_, k) => `…${ell - e + k}`), ...b];
}

/** Takes diagonals until every label of the term is unique. */
function dedupe(term: Term): Term {
  let { t, labels } = term;
  for (;;) {
    const i = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (i < 0) return { t, labels };
    const j = labels.indexOf(labels[i]);
    const lab = labels[i];
    if (t.shape[i] !== t.shape[j])
      throw new RangeError(
        `einsum(): subscript ${lab} is repeated for operand but the sizes don't match, ${t.shape[j]} != ${t.shape[i]}`,
      );
    t = t.diagonal(0, j, i);
    labels = [...labels.filter((_, k) => k !== i && k !== j), lab];
  }
}
/** Sums the labels of term that are not in `keep`. */
function sumOut(term: Term, keep: Set<string>): Term {
  const dims = term.labels.map((l, k) => (keep.has(l) ? -1 : k)).filter((k) => k >= 0);
  if (!dims.length) return term;
  return { t: ops.sum(term.t, dims, false), labels: term.labels.filter((l) => keep.has(l)) };
}

/** A x B over shared labels: batch (kept) and contracted (summed) ones, as one batched matmul. */
function contract(a: Term, b: Term, keep: Set<string>, size: Map<string, number>): Term {
  const batch = a.labels.filter((l) => b.labels.includes(l) && keep.has(l));
  const con = a.labels.filter((l) => b.labels.includes(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !b.labels.includes(l)),
    bOnly = b.labels.filter((l) => !a.labels.includes(l));
  const arrange = (x: Term, order: string[], groups: string[][]) => {
    const perm = order.map((l) => x.labels.indexOf(l));
    let t = ops.permute(x.t, perm);
    const full = order.map((l) => size.get(l)!);
    if (t.shape.some((s, k) => s !== full[k])) t = ops.expand(t, full);
    return ops.reshape(
      t,
      groups.map((g) => numelOf(g.map((l) => size.get(l)!))),
    );
  };
  const A3 = arrange(a, [...batch, ...aOnly, ...con], [batch, aOnly, con]);
  const B3 = arrange(b, [...batch, ...con, ...bOnly], [batch, con, bOnly]);
  const C3 = ops.matmul(A3, B3);
  const labels = [...batch, ...aOnly, ...bOnly];
  return {
    t: ops.reshape(
      C3,
      labels.map((l) => size.get(l)!),
    ),
    labels,
  };
}

/** torch.einsum("bij,bjk->bik", a, b): any explicit (or implicit) equation, "..." included. */
export function einsum(equation: string, ...operands: (Tensor | Tensor[])[]): Tensor {
  const ts = operands.length === 1 && Array.isArray(operands[0]) ? (operands[0] as Tensor[]) : (operands as Tensor[]);
  if (typeof equation !== "string") throw new TypeError("einsum(): the equation must be a string");
  const eq = equation.replace(/\s+/g, "");
  const [lhs, rhs] = eq.includes("->") ? eq.split("->") : [eq, null];
  const specs = lhs.split(",");
  if (specs.length !== ts.length)
    throw new RangeError(
      `einsum(): more operands were provided than specified in the equation`.replace(
        "more",
        specs.length > ts.length ? "fewer" : "more",
      ),
    );
  const ellOf = (s: string, t: Tensor) => (s.includes("...") ? t.dim() - s.replace("...", "").length : 0);
  const ell = Math.max(0, ...specs.map((s, k) => ellOf(s, ts[k])));
  const raw = specs.map((s, k) => parseTerm(s, ts[k].dim(), ell, `operand ${k}`));
  const terms: Term[] = raw.map((labels, k) => dedupe({ t: ts[k], labels }));
  // sizes (broadcasting 1s)
  const size = new Map<string, number>();
  terms.forEach((tm, k) =>
    tm.labels.forEach((l, d) => {
      const s = tm.t.shape[d],
        prev = size.get(l);
      if (prev === undefined || prev === 1) size.set(l, s);
      else if (s !== prev && s !== 1)
        throw new RangeError(
          `einsum(): subscript ${l.startsWith("…") ? "..." : l} has size ${s} for operand ${k} which does not broadcast with previously seen size ${prev}`,
        );
    }),
  );
  let out: string[];
  if (rhs === null) {
    const cnt = new Map<string, number>();
    raw.forEach((labels) => labels.forEach((l) => cnt.set(l, (cnt.get(l) ?? 0) + 1)));
    out = [
      ...Array.from({ length: ell }, (_, k) => `…${k}`).filter((l) => size.has(l)),
      ...[...cnt.keys()].filter((l) => !l.startsWith("…") && cnt.get(l) === 1).sort(),
    ];
  } else {
    const ol = parseTerm(rhs, rhs.replace("...", "").length + (rhs.includes("...") ? ell : 0), ell, "the output");
    out = ol.filter((l) => !l.startsWith("…") || size.has(l));
    if (new Set(out).size !== out.length)
      throw new RangeError("einsum(): output subscript appears more than once in the output");
    for (const l of out)
      if (!size.has(l))
        throw new RangeError(`einsum(): output subscript ${l} does not appear in the equation for any input operand`);
  }
  const keepFrom = (k: number) => new Set([...out, ...terms.slice(k).flatMap((tm) => tm.labels)]);
  let acc = sumOut(terms[0], keepFrom(1));
  for (let k = 1; k < terms.length; k++) {
    const b = sumOut(terms[k], new Set([...keepFrom(k + 1), ...acc.labels]));
    acc = contract(acc, b, keepFrom(k + 1), size);
  }
  acc = sumOut(acc, new Set(out));
  return ops.permute(
    acc.t,
    out.map((l) => acc.labels.indexOf(l)),
  );
}
