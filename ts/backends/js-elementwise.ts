// The js reference of the elementwise math and activation kernels (ops in MathUnaryOp /
// ActivationOp, and the binary atan2/remainder/fmod/hypot), computed in float64 as PyTorch's formulas.

import type { BinaryOp, FloatArray, ScalarOp, UnaryOp } from "./types.js";

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const K_BETA = Math.sqrt(2 / Math.PI);
const K_KAPPA = 0.044715;

/** erf(x) to ~1e-15: Taylor series near 0, erfc's continued fraction beyond. */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x,
      sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return (sum * 2) / SQRT_PI;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  let f = ax;
  for (let k = 80; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / (SQRT_PI * f);
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** erfinv: Giles' approximation refined by Newton steps on erf. */
export function erfinv(x: number): number {
  if (x !== x || x < -1 || x > 1) return NaN;
  if (x === 1) return Infinity;
  if (x === -1) return -Infinity;
  let w = -Math.log((1 - x) * (1 + x)),
    p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [
      3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
      1.50140941,
    ])
      p = c + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [
      0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
      2.83297682,
    ])
      p = c + p * w;
  }
  let y = p * x;
  for (let k = 0; k < 3; k++) {
    const d = (2 / SQRT_PI) * Math.exp(-y * y);
    if (!(d > 0)) break;
    y -= (erf(y) - x) / d;
  }
  return y;
}

/** Round half to even (PyTorch's round / nearbyint). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
}
const softplus1 = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v)));
const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

const F32_MAX = 3.4028234663852886e38;
/** PyTorch's defaults of the parameterised ops (used when a caller passes no parameters). */
const DEFAULT_PARAMS: Partial<Record<UnaryOp, readonly number[]>> = {
  leakyRelu: [0.01],
  elu: [1, 1, 1],
  hardtanh: [-1, 1],
  softplus: [1, 20],
  softshrink: [0.5],
  hardshrink: [0.5],
  threshold: [0, 0],
  nanToNum: [0, F32_MAX, -F32_MAX],
};
/** The op's three parameters as the Rust kernels take them: p, else the defaults, padded with 0. */
export function unaryParams(op: UnaryOp, p: readonly number[]): [number, number, number] {
  const q = p.length ? p : (DEFAULT_PARAMS[op] ?? []);
  return [q[0] ?? 0, q[1] ?? 0, q[2] ?? 0];
}

/** Parameters of each parameterised op, in order (and their PyTorch meaning):
 *  leakyRelu [negativeSlope]; elu [alpha, scale, inputScale] (SELU and CELU are ELUs);
 *  hardtanh [minVal, maxVal]; softplus [beta, threshold]; softshrink / hardshrink [lambd];
 *  threshold [threshold, value]; nanToNum [nan, posinf, neginf]. */
export function unaryMath(op: UnaryOp, a: FloatArray, o: FloatArray, p0: readonly number[]): boolean {
  const n = o.length,
    p = unaryParams(op, p0);
  const map = (f: (v: number) => number) => {
    for (let k = 0; k < n; k++) o[k] = f(a[k]);
  };
  switch (op) {
    case "sign":
      map((v) => (v > 0 ? 1 : v < 0 ? -1 : 0));
      break;
    case "floor":
      map(Math.floor);
      break;
    case "ceil":
      map(Math.ceil);
      break;
    case "round":
      map(roundHalfEven);
      break;
    case "trunc":
      map(Math.trunc);
      break;
    case "frac":
      map((v) => v - Math.trunc(v));
      break;
    case "sin":
      map(Math.sin);
      break;
    case "cos":
      map(Math.cos);
      break;
    case "tan":
      map(Math.tan);
      break;
    case "asin":
      map(Math.asin);
      break;
    case "acos":
      map(Math.acos);
      break;
    case "atan":
      map(Math.atan);
      break;
    case "sinh":
      map(Math.sinh);
      break;
    case "cosh":
      map(Math.cosh);
      break;
    case "erf":
      map(erf);
      break;
    case "erfinv":
      map(erfinv);
      break;
    case "expm1":
      map(Math.expm1);
      break;
    case "log1p":
      map(Math.log1p);
      break;
    case "log2":
      map(Math.log2);
      break;
    case "log10":
      map(Math.log10);
      break;
    case "exp2":
      map((v) => Math.pow(2, v));
      break;
    case "nanToNum": {
      const [nan, pos, neg] = p;
      map((v) => (v !== v ? nan : v === Infinity ? pos : v === -Infinity ? neg : v));
      break;
    }
    case "gelu":
      map((v) => 0.5 * v * (1 + erf(v * SQRT1_2)));
      break;
    case "geluTanh":
      map((v) => 0.5 * v * (1 + Math.tanh(K_BETA * (v + K_KAPPA * v * v * v))));
      break;
    case "silu":
      map((v) => v * sigmoid(v));
      break;
    case "mish":
      map((v) => v * Math.tanh(softplus1(v)));
      break;
    case "hardswish":
      map((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6);
      break;
    case "hardsigmoid":
      map((v) => Math.min(Math.max(v + 3, 0), 6) / 6);
      break;
    case "softsign":
      map((v) => v / (1 + Math.abs(v)));
      break;
    case "logsigmoid":
      map((v) => Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))));
      break;
    case "tanhshrink":
      map((v) => v - Math.tanh(v));
      break;
    case "leakyRelu": {
      const s = p[0];
      map((v) => (v > 0 ? v : v * s));
      break;
    }
    case "elu": {
      const [alpha, scale, is] = p;
      map((v) => (v > 0 ? scale * v : scale * alpha * Math.expm1(v * is)));
      break;
    }
    case "hardtanh": {
      const [lo, hi] = p;
      map((v) => (v < lo ? lo : v > hi ? hi : v));
      break;
    }
    case "softplus": {
      const [beta, th] = p;
      map((v) => (v * beta > th ? v : Math.log1p(Math.exp(v * beta)) / beta));
      break;
    }
    case "softshrink": {
      const l = p[0];
      map((v) => (v > l ? v - l : v < -l ? v + l : 0));
      break;
    }
    case "hardshrink": {
      const l = p[0];
      map((v) => (v >= -l && v <= l ? 0 : v));
      break;
    }
    case "threshold": {
      const [th, val] = p;
      map((v) => (v > th ? v : v !== v ? v : val));
      break;
    }
    default:
      return false;
  }
  return true;
}

/** gx = gy * d op / dx from the input a and output r. */
export function unaryMathGrad(
  op: UnaryOp,
  a: FloatArray,
  r: FloatArray,
  g: FloatArray,
  o: FloatArray,
  p0: readonly number[],
): boolean {
  const n = o.length,
    p = unaryParams(op, p0);
  const withX = (f: (g: number, x: number) => number) => {
    for (let k = 0; k < n; k++) o[k] = f(g[k], a[k]);
  };
  const withY = (f: (g: number, y: number) => number) => {
    for (let k = 0; k < n; k++) o[k] = f(g[k], r[k]);
  };
  switch (op) {
    case "sign":
    case "floor":
    case "ceil":
    case "round":
    case "trunc":
      o.fill(0);
      break;
    case "frac":
      for (let k = 0; k < n; k++) o[k] = g[k];
      break;
    case "sin":
      withX((gv, x) => gv * Math.cos(x));
      break;
    case "cos":
      withX((gv, x) => -gv * Math.sin(x));
      break;
    case "tan":
      withY((gv, y) => gv * (1 + y * y));
      break;
    case "asin":
      withX((gv, x) => gv / Math.sqrt(1 - x * x));
      break;
    case "acos":
      withX((gv, x) => -gv / Math.sqrt(1 - x * x));
      break;
    case "atan":
      withX((gv, x) => gv / (1 + x * x));
      break;
    case "sinh":
      withX((gv, x) => gv * Math.cosh(x));
      break;
    case "cosh":
      withX((gv, x) => gv * Math.sinh(x));
      break;
    case "erf":
      withX((gv, x) => gv * (2 / SQRT_PI) * Math.exp(-x * x));
      break;
    case "erfinv":
      withY((gv, y) => gv * (SQRT_PI / 2) * Math.exp(y * y));
      break;
    case "expm1":
      withY((gv, y) => gv * (y + 1));
      break;
    case "log1p":
      withX((gv, x) => gv / (1 + x));
      break;
    case "log2":
      withX((gv, x) => gv / (x * Math.LN2));
      break;
    case "log10":
      withX((gv, x) => gv / (x * Math.LN10));
      break;
    case "exp2":
      withY((gv, y) => gv * y * Math.LN2);
      break;
    case "nanToNum":
      withX((gv, x) => (Number.isFinite(x) ? gv : 0));
      break;
    case "gelu":
      withX((gv, x) => gv * (0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x)));
      break;
    case "geluTanh":
      withX((gv, x) => {
        const x2 = x * x,
          t = Math.tanh(K_BETA * (x + K_KAPPA * x2 * x));
        return gv * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K_BETA * (1 + 3 * K_KAPPA * x2));
      });
      break;
    case "silu":
      withX((gv, x) => {
        const s = sigmoid(x);
        return gv * s * (1 + x * (1 - s));
      });
      break;
    case "mish":
      withX((gv, x) => {
        const t = Math.tanh(softplus1(x));
        return gv * (t + x * sigmoid(x) * (1 - t * t));
      });
      break;
    case "hardswish":
      withX((gv, x) => (x < -3 ? 0 : x <= 3 ? gv * (x / 3 + 0.5) : gv));
      break;
    case "hardsigmoid":
      withX((gv, x) => (x > -3 && x < 3 ? gv / 6 : 0));
      break;
    case "softsign":
      withX((gv, x) => {
        const d = 1 + Math.abs(x);
        return gv / (d * d);
      });
      break;
    case "logsigmoid":
      withX((gv, x) => {
        const z = Math.exp(-Math.abs(x));
        return x < 0 ? gv * (1 - z / (1 + z)) : gv * (z / (1 + z));
      });
      break;
    case "tanhshrink":
      withX((gv, x) => {
        const t = Math.tanh(x);
        return gv * t * t;
      });
      break;
    case "leakyRelu": {
      const s = p[0];
      withX((gv, x) => (x > 0 ? gv : gv * s));
      break;
    }
    case "elu": {
      const [alpha, scale, is] = p;
      withX((gv, x) => (x <= 0 ? gv * is * alpha * scale * Math.exp(x * is) : gv * scale));
      break;
    }
    case "hardtanh": {
      const [lo, hi] = p;
      withX((gv, x) => (x <= lo || x >= hi ? 0 : gv));
      break;
    }
    case "softplus": {
      const [beta, th] = p;
      withX((gv, x) => {
        if (x * beta > th) return gv;
        const z = Math.exp(x * beta);
        return (gv * z) / (z + 1);
      });
      break;
    }
    case "softshrink":
    case "hardshrink": {
      const l = p[0];
      withX((gv, x) => (x >= -l && x <= l ? 0 : gv));
      break;
    }
    case "threshold": {
      const th = p[0];
      withX((gv, x) => (x <= th ? 0 : gv));
      break;
    }
    default:
      return false;
  }
  return true;
}

/** Python's float modulo: the result has the sign of b. */
export function remainder(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && b < 0 !== m < 0 ? m + b : m;
}

/** The binary (and scalar) ops beyond the arithmetic ones, or undefined. */
export function binaryMathFn(op: BinaryOp | ScalarOp): ((a: number, b: number) => number) | undefined {
  switch (op) {
    case "atan2":
      return Math.atan2;
    case "remainder":
      return remainder;
    case "fmod":
      return (a, b) => a % b;
    case "hypot":
      return Math.hypot;
    default:
      return undefined;
  }
}
