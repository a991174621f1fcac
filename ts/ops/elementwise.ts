// Elementwise math as torch.* functions (and, through tensor.ts, as methods): the unary ones are
// one backend kernel each with its backward kernel (ops.unary); binary ones broadcast via binaryRaw.

import type { UnaryOp } from "../backends/types.js";
import * as ops from "../ops.js";
import { Tensor } from "../tensor.js";
import { A, parseArgs } from "../utils/args.js";

const FLOAT32_MAX = 3.4028234663852886e38;

/** int64 inputs of float math are promoted to float32 first (as PyTorch does). */
function asFloat(x: Tensor): Tensor {
  return x.dtype === "float32" ? x : ops.cast(x, "float32");
}
function checkTensor(fn: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new TypeError(`${fn}(): argument 'input' must be Tensor, not ${x === null ? "None" : typeof x}`);
}
const floatUnary =
  (op: UnaryOp, name: string) =>
  (x: Tensor): Tensor => {
    checkTensor(name, x);
    return ops.unary(op, asFloat(x));
  };
/** Ops whose result on an integer tensor is the same integers (PyTorch keeps the dtype). */
const intExact =
  (op: UnaryOp, name: string) =>
  (x: Tensor): Tensor => {
    checkTensor(name, x);
    if (x.dtype === "float32") return ops.unary(op, x);
    return ops.clone(x);
  };
/** Ops that keep an integer tensor's dtype but change its values (abs, sign, neg, square). */
const intKeep =
  (op: UnaryOp, name: string) =>
  (x: Tensor): Tensor => {
    checkTensor(name, x);
    if (x.dtype === "float32") return ops.unary(op, x);
    const f = ops.cast(x, "float32"),
      r = ops.unary(op, f),
      out = ops.cast(r, x.dtype);
    f.dispose();
    r.dispose();
    return out;
  };

export const abs = intKeep("abs", "abs");
export const absolute = abs;
export const sign = intKeep("sign", "sign");
export const neg = intKeep("neg", "neg");
export const negative = neg;
export const square = intKeep("square", "square");
export const floor = intExact("floor", "floor");
export const ceil = intExact("ceil", "ceil");
export const trunc = intExact("trunc", "trunc");
export const fix = trunc;
export const frac = floatUnary("frac", "frac");
export const sin = floatUnary("sin", "sin");
export const cos = floatUnary("cos", "cos");
export const tan = floatUnary("tan", "tan");
export const asin = floatUnary("asin", "asin");
export const acos = floatUnary("acos", "acos");
export const atan = floatUnary("atan", "atan");
export const arcsin = asin,
  arccos = acos,
  arctan = atan;
export const sinh = floatUnary("sinh", "sinh");
export const cosh = floatUnary("cosh", "cosh");
export const erf = floatUnary("erf", "erf");
export const erfinv = floatUnary("erfinv", "erfinv");
export const expm1 = floatUnary("expm1", "expm1");
export const log1p = floatUnary("log1p", "log1p");
export const log2 = floatUnary("log2", "log2");
export const log10 = floatUnary("log10", "log10");
export const exp2 = floatUnary("exp2", "exp2");
export const exp = floatUnary("exp", "exp");
export const log = floatUnary("log", "log");
export const sqrt = floatUnary("sqrt", "sqrt");
export const rsqrt = floatUnary("rsqrt", "rsqrt");
export const reciprocal = floatUnary("recip", "reciprocal");
export const sigmoid = floatUnary("sigmoid", "sigmoid");
export const tanh = floatUnary("tanh", "tanh");
/** max(x, 0) elementwise (`torch.relu`). */
export const relu = (x: Tensor): Tensor => {
  checkTensor("relu", x);
  if (x.dtype === "float32") return ops.unary("relu", x);
  const f = ops.cast(x, "float32"),
    r = ops.unary("relu", f),
    out = ops.cast(r, x.dtype);
  f.dispose();
  r.dispose();
  return out;
};

/** torch.round(x, { decimals = 0 }): half to even, as PyTorch. */
export function round(x: Tensor, ...rest: unknown[]): Tensor {
  checkTensor("round", x);
  const o = parseArgs("round", rest, { decimals: A.kw(A.int, 0) });
  if (x.dtype !== "float32") return ops.clone(x);
  if (o.decimals === 0) return ops.unary("round", x);
  const s = Math.pow(10, o.decimals);
  return ops.div(ops.unary("round", ops.mul(x, s)), s);
}

/** torch.nanToNum(x, nan = 0, posinf = float max, neginf = float min). */
export function nanToNum(x: Tensor, ...rest: unknown[]): Tensor {
  checkTensor("nan_to_num", x);
  const o = parseArgs("nan_to_num", rest, {
    nan: [A.num, 0],
    posinf: [A.nullable(A.num), null],
    neginf: [A.nullable(A.num), null],
  });
  if (x.dtype !== "float32") return ops.clone(x);
  return ops.unary("nanToNum", x, [o.nan, o.posinf ?? FLOAT32_MAX, o.neginf ?? -FLOAT32_MAX]);
}

// ------------------------------------------------------------------ binary

type TN = Tensor | number;
const toT = (v: TN, like: Tensor): Tensor =>
  typeof v === "number" ? ops.full([], v, like.dtype === "int64" && Number.isInteger(v) ? "int64" : "float32") : v;

/** A broadcasting binary op with its backward (gradients from public ops, reduced to each shape). */
function binaryOp(
  name: string,
  op: "atan2" | "remainder" | "fmod" | "hypot",
  grads: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null],
) {
  return (a: TN, b: TN): Tensor => {
    if (!(a instanceof Tensor) && !(b instanceof Tensor))
      throw new TypeError(`${name}(): expected at least one Tensor argument`);
    const ta = a instanceof Tensor ? a : toT(a, b as Tensor),
      tb = b instanceof Tensor ? b : toT(b, ta);
    const fa = op === "atan2" || op === "hypot" ? asFloat(ta) : ta,
      fb = op === "atan2" || op === "hypot" ? asFloat(tb) : tb;
    const out = ops.binaryRaw(op, fa, fb);
    return ops.record(out, name[0].toUpperCase() + name.slice(1) + "Backward", [fa, fb], (g) => {
      const [ga, gb] = grads(g, fa, fb, out);
      return [
        ga && fa.requiresGrad ? ops.sumTo(ga, fa.shape) : null,
        gb && fb.requiresGrad ? ops.sumTo(gb, fb.shape) : null,
      ];
    });
  };
}

/** torch.atan2(a, b): the angle of (b, a). */
export const atan2 = binaryOp("atan2", "atan2", (g, a, b) => {
  const den = ops.add(ops.mul(a, a), ops.mul(b, b));
  return [ops.div(ops.mul(g, b), den), ops.div(ops.mul(ops.unary("neg", g), a), den)];
});
export const arctan2 = atan2;
/** torch.remainder(a, b): Python's modulo (sign of b). */
export const remainder = binaryOp("remainder", "remainder", (g, a, b) => [
  g,
  ops.mul(ops.unary("neg", g), ops.unary("floor", ops.div(a, b))),
]);
/** torch.fmod(a, b): C's fmod (sign of a). */
export const fmod = binaryOp("fmod", "fmod", (g, a, b) => [
  g,
  ops.mul(ops.unary("neg", g), ops.unary("trunc", ops.div(a, b))),
]);
/** torch.hypot(a, b) = sqrt(a^2 + b^2). */
export const hypot = binaryOp("hypot", "hypot", (g, a, b, out) => [
  ops.div(ops.mul(g, a), out),
  ops.div(ops.mul(g, b), out),
]);

/** a + alpha * b, broadcast (`torch.add`). */
export function add(a: Tensor, b: TN, ...rest: unknown[]): Tensor {
  checkTensor("add", a);
  const o = parseArgs("add", rest, { alpha: A.kw(A.num, 1) });
  return ops.add(a, b, o.alpha);
}
/** a - alpha * b, broadcast (`torch.sub`). */
export function sub(a: Tensor, b: TN, ...rest: unknown[]): Tensor {
  checkTensor("sub", a);
  const o = parseArgs("sub", rest, { alpha: A.kw(A.num, 1) });
  return ops.sub(a, b, o.alpha);
}
export const subtract = sub;
/** a * b, broadcast (`torch.mul`). */
export function mul(a: Tensor, b: TN): Tensor {
  checkTensor("mul", a);
  return ops.mul(a, b);
}
export const multiply = mul;
/** a / b, broadcast; `{ roundingMode: "floor" | "trunc" }` rounds (`torch.div`). */
export function div(a: Tensor, b: TN, ...rest: unknown[]): Tensor {
  checkTensor("div", a);
  const o = parseArgs("div", rest, { roundingMode: A.kw(A.nullable(A.oneOf("trunc", "floor")), null) });
  const ta = a;
  const q = ops.div(ta, b);
  if (o.roundingMode === null) return q;
  const r = ops.unary(o.roundingMode, q);
  const ints = ta.dtype === "int64" && (typeof b === "number" ? Number.isInteger(b) : b.dtype === "int64");
  return ints ? ops.cast(r, "int64") : r;
}
export const divide = div,
  trueDivide = div;
/** a to the power e, either a tensor or a number (`torch.pow`). */
export function pow(a: TN, e: TN): Tensor {
  if (a instanceof Tensor) return ops.pow(a, e);
  // number ** tensor
  return ops.pow(ops.full([], a), e);
}
/** Elementwise maximum of two tensors, broadcast, NaN if either is (`torch.maximum`). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return ops.maximum(a, b);
}
/** Elementwise minimum of two tensors, broadcast, NaN if either is (`torch.minimum`). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return ops.minimum(a, b);
}
export const fmax = maximum,
  fmin = minimum;

/** clamp(x, min?, max?) with number or tensor bounds (broadcast), PyTorch's gradients. */
export function clamp(x: Tensor, ...rest: unknown[]): Tensor {
  checkTensor("clamp", x);
  const bound = A.nullable(A.or(A.num, A.tensor));
  const o = parseArgs("clamp", rest, { min: [bound, null], max: [bound, null] });
  const lo = o.min as TN | null,
    hi = o.max as TN | null;
  if (lo === null && hi === null) throw new RangeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  if (!(lo instanceof Tensor) && !(hi instanceof Tensor)) {
    if (x.dtype !== "float32") {
      const f = ops.cast(x, "float32"),
        r = ops.clamp(f, lo, hi);
      const ints = (lo === null || Number.isInteger(lo)) && (hi === null || Number.isInteger(hi));
      return ints ? ops.cast(r, x.dtype) : r;
    }
    return ops.clamp(x, lo, hi);
  }
  const tl = lo === null ? null : toT(lo, x),
    th = hi === null ? null : toT(hi, x);
  let out = x;
  const raw = () => {
    let r = x;
    if (tl) r = ops.binaryRaw("maximum", r, tl);
    if (th) {
      const t = ops.binaryRaw("minimum", r, th);
      if (r !== x) r.dispose();
      r = t;
    }
    return r === x ? ops.clone(x) : r;
  };
  out = raw();
  return ops.record(out, "ClampBackward", [x, tl, th], (g) => {
    const zero = ops.fullLike(g, 0);
    const and = (p: Tensor, q: Tensor) => ops.mul(p, q);
    const ge = (p: Tensor, q: Tensor) => ops.compare("eq", ops.compare("lt", p, q), 0);
    let gx: Tensor | null = null,
      gl: Tensor | null = null,
      gh: Tensor | null = null;
    if (x.requiresGrad) {
      let m: Tensor | null = null;
      if (tl) m = ge(x, tl);
      if (th) {
        const mh = ge(th, x);
        m = m ? and(m, mh) : mh;
      }
      gx = ops.sumTo(ops.where(m!, g, zero), x.shape);
    }
    if (tl && tl.requiresGrad) {
      let m = ops.compare("lt", x, tl);
      if (th) m = and(m, ops.compare("lt", tl, th));
      gl = ops.sumTo(ops.where(m, g, zero), tl.shape);
    }
    if (th && th.requiresGrad) {
      let m = ops.compare("gt", x, th);
      if (tl) {
        const inv = ops.compare("lt", th, tl);
        m = ops.compare("gt", ops.add(m, inv), 0);
      }
      gh = ops.sumTo(ops.where(m, g, zero), th.shape);
    }
    return [gx, gl, gh];
  });
}
export const clip = clamp;
/** max(x, min) elementwise (`torch.clamp_min`). */
export function clampMin(x: Tensor, min: TN): Tensor {
  return clamp(x, min, null);
}
/** min(x, max) elementwise (`torch.clamp_max`). */
export function clampMax(x: Tensor, max: TN): Tensor {
  return clamp(x, null, max);
}

/** torch.lerp(start, end, weight) = start + weight * (end - start). */
export function lerp(start: Tensor, end: Tensor, weight: TN): Tensor {
  checkTensor("lerp", start);
  return ops.add(start, ops.mul(ops.sub(end, start), weight as any));
}
/** torch.addcmul(x, t1, t2, { value = 1 }) = x + value * t1 * t2. */
export function addcmul(x: Tensor, t1: Tensor, t2: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("addcmul", rest, { value: A.kw(A.num, 1) });
  const p = ops.mul(t1, t2);
  return ops.add(x, o.value === 1 ? p : ops.mul(p, o.value));
}
/** torch.addcdiv(x, t1, t2, { value = 1 }) = x + value * t1 / t2. */
export function addcdiv(x: Tensor, t1: Tensor, t2: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("addcdiv", rest, { value: A.kw(A.num, 1) });
  const p = ops.div(t1, t2);
  return ops.add(x, o.value === 1 ? p : ops.mul(p, o.value));
}
