// Creation and random: eye linspace logspace fullLike emptyLike zerosLike onesLike randLike
// randnLike randintLike randperm multinomial bernoulli normal. Every draw comes from the one
// generator that torch.manualSeed seeds (runtime.ts), so a seeded program repeats exactly.

import type { DType } from "../backends/types.js";
import { Tensor } from "../tensor.js";
import { random, randomNormal } from "../runtime.js";
import * as ops from "../ops.js";
import { A, parseArgs } from "../utils/args.js";
import { indexTensor } from "./util.js";

const DTYPE = () => A.nullable(A.oneOf("float32", "int64", "bool"));
const finish = (t: Tensor, requiresGrad: boolean) => {
  if (requiresGrad) t.requiresGrad = true;
  return t;
};
function filled(shape: number[], dtype: DType, gen: (k: number) => number): Tensor {
  const t = Tensor.empty(shape, dtype, true),
    v = t.backendView();
  for (let k = 0; k < v.length; k++) v[k] = gen(k);
  return t;
}

/** The n x m identity. */
export function eye(...args: unknown[]): Tensor {
  const o = parseArgs("eye", args, {
    n: A.nonNegInt,
    m: [A.nullable(A.nonNegInt), null],
    dtype: A.kw(DTYPE(), null),
    requiresGrad: A.kw(A.bool, false),
  });
  const m = o.m ?? o.n;
  return finish(
    filled([o.n, m], (o.dtype ?? "float32") as DType, (k) => (Math.floor(k / m) === k % m ? 1 : 0)),
    o.requiresGrad,
  );
}

/** `steps` evenly spaced values from start to end (both included). */
export function linspace(...args: unknown[]): Tensor {
  const o = parseArgs("linspace", args, {
    start: A.num,
    end: A.num,
    steps: A.nonNegInt,
    dtype: A.kw(DTYPE(), null),
    requiresGrad: A.kw(A.bool, false),
  });
  const { start, end, steps } = o,
    step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the second half from the end, so the last value is exactly `end`
  const half = Math.floor(steps / 2);
  return finish(
    filled([steps], (o.dtype ?? "float32") as DType, (k) =>
      steps === 1 ? start : k < half ? start + step * k : end - step * (steps - 1 - k),
    ),
    o.requiresGrad,
  );
}
/** `steps` values base ** linspace(start, end) (`torch.logspace`). */
export function logspace(...args: unknown[]): Tensor {
  const o = parseArgs("logspace", args, {
    start: A.num,
    end: A.num,
    steps: A.nonNegInt,
    base: [A.num, 10],
    dtype: A.kw(DTYPE(), null),
    requiresGrad: A.kw(A.bool, false),
  });
  const lin = linspace(o.start, o.end, o.steps, { dtype: "float32" });
  const v = lin.backendView();
  for (let k = 0; k < v.length; k++) v[k] = Math.pow(o.base, v[k]);
  const r = o.dtype && o.dtype !== "float32" ? ops.cast(lin, o.dtype as DType) : lin;
  return finish(r, o.requiresGrad);
}

function likeArgs(fn: string, args: unknown[], extra = {}) {
  return parseArgs(fn, args, { ...extra, dtype: A.kw(DTYPE(), null), requiresGrad: A.kw(A.bool, false) });
}
/** A tensor shaped like x filled with `value` (`torch.full_like`). */
export function fullLike(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("fullLike", args, {
    fillValue: A.num,
    dtype: A.kw(DTYPE(), null),
    requiresGrad: A.kw(A.bool, false),
  });
  return finish(ops.full(x.shape.slice(), o.fillValue, (o.dtype ?? x.dtype) as DType), o.requiresGrad);
}
/** An uninitialised tensor shaped like x (`torch.empty_like`). */
export function emptyLike(x: Tensor, ...args: unknown[]): Tensor {
  const o = likeArgs("emptyLike", args);
  return finish(Tensor.empty(x.shape.slice(), (o.dtype ?? x.dtype) as DType), o.requiresGrad);
}
/** Uniform [0, 1) random numbers shaped like x (`torch.rand_like`). */
export function randLike(x: Tensor, ...args: unknown[]): Tensor {
  const o = likeArgs("randLike", args);
  return finish(
    filled(x.shape.slice(), (o.dtype ?? x.dtype) as DType, () => random()),
    o.requiresGrad,
  );
}
/** Standard normal random numbers shaped like x (`torch.randn_like`). */
export function randnLike(x: Tensor, ...args: unknown[]): Tensor {
  const o = likeArgs("randnLike", args);
  return finish(
    filled(x.shape.slice(), (o.dtype ?? x.dtype) as DType, () => randomNormal()),
    o.requiresGrad,
  );
}
/** randintLike(x, high) or randintLike(x, low, high): integers in [low, high) with x's shape. */
export function randintLike(x: Tensor, ...args: unknown[]): Tensor {
  if (typeof args[1] !== "number") args = [0, ...args];
  const o = parseArgs("randintLike", args, {
    low: A.int,
    high: A.int,
    dtype: A.kw(DTYPE(), null),
    requiresGrad: A.kw(A.bool, false),
  });
  if (o.high <= o.low)
    throw new RangeError(`random_ expects 'from' to be less than 'to', but got from=${o.low} >= to=${o.high}`);
  return finish(
    filled(x.shape.slice(), (o.dtype ?? x.dtype) as DType, () => o.low + Math.floor(random() * (o.high - o.low))),
    o.requiresGrad,
  );
}

/** A random permutation of 0..n-1 (int64; Fisher-Yates). */
export function randperm(...args: unknown[]): Tensor {
  const o = parseArgs("randperm", args, {
    n: A.nonNegInt,
    dtype: A.kw(DTYPE(), null),
    requiresGrad: A.kw(A.bool, false),
  });
  const p = Array.from({ length: o.n }, (_, k) => k);
  for (let k = o.n - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [p[k], p[j]] = [p[j], p[k]];
  }
  const t = indexTensor(p, [o.n]);
  return finish(o.dtype && o.dtype !== "int64" ? ops.cast(t, o.dtype as DType) : t, o.requiresGrad);
}

/** numSamples category indices per row of (unnormalised, non-negative) probs [C] or [R, C]. */
export function multinomial(probs: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("multinomial", args, { numSamples: A.posInt, replacement: [A.bool, false] });
  if (probs.dim() < 1 || probs.dim() > 2) throw new RangeError("prob_dist must be 1 or 2 dim");
  const C = probs.shape[probs.dim() - 1],
    R = probs.dim() === 2 ? probs.shape[0] : 1,
    n = o.numSamples;
  if (!o.replacement && n > C)
    throw new RangeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  const p = Array.from(probs.toFloat32Array());
  const out: number[] = [];
  for (let r = 0; r < R; r++) {
    const w = p.slice(r * C, (r + 1) * C);
    if (w.some((v) => v < 0 || !Number.isFinite(v)))
      throw new RangeError("probability tensor contains either `inf`, `nan` or element < 0");
    if (!w.some((v) => v > 0)) throw new RangeError("invalid multinomial distribution (sum of probabilities <= 0)");
    for (let s = 0; s < n; s++) {
      const tot = w.reduce((a, b) => a + b, 0);
      if (tot <= 0)
        throw new RangeError(
          "invalid multinomial distribution (with replacement=False, not enough non-negative category to sample)",
        );
      let u = random() * tot,
        pick = C - 1;
      for (let c = 0; c < C; c++) {
        if (w[c] > 0 && u < w[c]) {
          pick = c;
          break;
        }
        u -= w[c];
      }
      while (w[pick] <= 0) pick--;
      out.push(pick);
      if (!o.replacement) w[pick] = 0;
    }
  }
  return indexTensor(out, probs.dim() === 2 ? [R, n] : [n]);
}

/** 0/1 draws with probability x (elementwise), or with probability p when given. */
export function bernoulli(x: Tensor, ...args: unknown[]): Tensor {
  const o = parseArgs("bernoulli", args, { p: [A.nullable(A.num), null] });
  const pv = o.p === null ? Array.from(x.toFloat32Array()) : null;
  if (pv && pv.some((v) => !(v >= 0 && v <= 1)))
    throw new RangeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
  return filled(x.shape.slice(), x.dtype === "int64" ? "int64" : "float32", (k) =>
    random() < (pv ? pv[k] : o.p!) ? 1 : 0,
  );
}

/** normal(mean, std): tensors (broadcast) or numbers with a size. */
export function normal(...args: unknown[]): Tensor {
  const o = parseArgs("normal", args, {
    mean: A.or(A.tensor, A.num),
    std: [A.or(A.tensor, A.num), 1],
    size: [A.nullable(A.ints), null],
    requiresGrad: A.kw(A.bool, false),
  });
  const { mean, std } = o;
  if (!(mean instanceof Tensor) && !(std instanceof Tensor)) {
    if (!o.size) throw new TypeError("normal(): with a number mean and std, the size argument is required");
    if (std < 0) throw new RangeError(`normal expects std >= 0.0, but found std ${std}`);
    return finish(
      filled(o.size, "float32", () => mean + std * randomNormal()),
      o.requiresGrad,
    );
  }
  const shape = ops.broadcastShapes(mean instanceof Tensor ? mean.shape : [], std instanceof Tensor ? std.shape : []);
  const z = filled(shape, "float32", () => randomNormal());
  if (std instanceof Tensor && Array.from(std.toFloat32Array()).some((v) => v < 0))
    throw new RangeError("normal expects all elements of std >= 0.0");
  return ops.add(
    ops.mul(z, std instanceof Tensor ? std : ops.full([], std)),
    mean instanceof Tensor ? mean : ops.full([], mean),
  );
}
