// nn.init (PyTorch 1.13): uniform_ normal_ truncNormal_ constant_ ones_ zeros_ eye_ dirac_
// xavierUniform_ xavierNormal_ kaimingUniform_ kaimingNormal_ orthogonal_ calculateGain, with
// PyTorch's arguments (positional or in an options object) and messages; and the Linear/Conv
// default initialisation. Every function fills the tensor in place (without autograd) and returns it.

import { noGrad, random, randomNormal } from "../runtime.js";
import { normal_ as normalFill, uniform_ as uniformFill, tensor } from "../creation.js";
import { Tensor } from "../tensor.js";
import { parseArgs, A, type Check } from "../utils/args.js";

const anyNum = Object.assign((v: unknown) => typeof v === "number" && !Number.isNaN(v), {
  desc: "a number",
}) as Check<number>;
function checkTensor(fn: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor))
    throw new TypeError(`nn.init.${fn}: expected a Tensor, got ${t === null ? "null" : typeof t}`);
  if (t.isDisposed) throw new Error(`nn.init.${fn}: the tensor has been disposed`);
}
/** Writes JS values into t (dense) without autograd. */
function fill(t: Tensor, v: Float32Array): Tensor {
  noGrad(() => {
    const src = tensor(v, { shape: t.shape.slice() });
    t.copy_(t.dtype === "float32" ? src : src.to(t.dtype));
    src.dispose();
  });
  return t;
}

/** fan_in, fan_out as PyTorch's _calculate_fan_in_and_fan_out. */
export function fans(t: Tensor): [number, number] {
  if (t.dim() < 2)
    throw new RangeError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  const recept = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return [t.shape[1] * recept, t.shape[0] * recept];
}
function correctFan(t: Tensor, mode: string): number {
  if (mode !== "fan_in" && mode !== "fan_out")
    throw new RangeError(`Mode ${mode} not supported, please use one of fan_in, fan_out`);
  const [fi, fo] = fans(t);
  return mode === "fan_in" ? fi : fo;
}

/** The recommended gain for a nonlinearity (PyTorch's calculate_gain). */
export function calculateGain(nonlinearity: string, param?: number | null | { param?: number | null }): number {
  const o = parseArgs("nn.init.calculateGain", [nonlinearity, param], {
    nonlinearity: A.str,
    param: [A.nullable(A.num), null],
  });
  const nl = o.nonlinearity,
    p = o.param as unknown;
  const linear = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"];
  if (linear.includes(nl) || nl === "sigmoid") return 1;
  if (nl === "tanh") return 5 / 3;
  if (nl === "relu") return Math.sqrt(2);
  if (nl === "leaky_relu") {
    let slope: number;
    if (p === null || p === undefined) slope = 0.01;
    else if (typeof p === "number" && !Number.isNaN(p)) slope = p;
    else throw new RangeError(`negative_slope ${String(p)} not a valid number`);
    return Math.sqrt(2 / (1 + slope * slope));
  }
  if (nl === "selu") return 3 / 4;
  throw new RangeError(`Unsupported nonlinearity ${nl}`);
}

/** U(a, b): `uniform_(t, 0, 1)` or `uniform_(t, { a, b })`. */
export function uniform_(t: Tensor, a?: number | { a?: number; b?: number }, b?: number): Tensor {
  checkTensor("uniform_", t);
  const o = parseArgs("nn.init.uniform_", [a, b], { a: [anyNum, 0], b: [anyNum, 1] });
  return noGrad(() => uniformFill(t, o.a, o.b));
}
/** N(mean, std²): `normal_(t, 0, 0.02)` or `normal_(t, { mean, std })`. */
export function normal_(t: Tensor, mean?: number | { mean?: number; std?: number }, std?: number): Tensor {
  checkTensor("normal_", t);
  const o = parseArgs("nn.init.normal_", [mean, std], { mean: [anyNum, 0], std: [anyNum, 1] });
  return noGrad(() => normalFill(t, o.mean, o.std));
}
/** N(mean, std²) truncated to [a, b] (PyTorch's inverse-CDF method). */
export function truncNormal_(
  t: Tensor,
  mean?: number | { mean?: number; std?: number; a?: number; b?: number },
  std?: number,
  a?: number,
  b?: number,
): Tensor {
  checkTensor("truncNormal_", t);
  const o = parseArgs("nn.init.truncNormal_", [mean, std, a, b], {
    mean: [anyNum, 0],
    std: [anyNum, 1],
    a: [anyNum, -2],
    b: [anyNum, 2],
  });
  if (!(o.std > 0) || o.a >= o.b)
    throw new RangeError(`nn.init.truncNormal_: needs std > 0 and a < b, got std=${o.std}, a=${o.a}, b=${o.b}`);
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((o.a - o.mean) / o.std),
    u = cdf((o.b - o.mean) / o.std);
  const v = new Float32Array(t.numel());
  for (let k = 0; k < v.length; k++) {
    const p = 2 * l - 1 + (2 * u - 2 * l) * random();
    const x = erfinv(p) * o.std * Math.SQRT2 + o.mean;
    v[k] = Math.min(o.b, Math.max(o.a, x));
  }
  return fill(t, v);
}
/** Fills `t` with `val` in place, outside autograd (`nn.init.constant_`). */
export function constant_(t: Tensor, val: number | { val: number }): Tensor {
  checkTensor("constant_", t);
  const o = parseArgs("nn.init.constant_", [val], { val: A.num });
  return noGrad(() => t.fill_(o.val));
}
/** Fills `t` with 1 in place, outside autograd (`nn.init.ones_`). */
export function ones_(t: Tensor): Tensor {
  checkTensor("ones_", t);
  return noGrad(() => t.fill_(1));
}
/** Fills `t` with 0 in place, outside autograd (`nn.init.zeros_`). */
export function zeros_(t: Tensor): Tensor {
  checkTensor("zeros_", t);
  return noGrad(() => t.fill_(0));
}

/** The identity matrix (2-D tensors). */
export function eye_(t: Tensor): Tensor {
  checkTensor("eye_", t);
  if (t.dim() !== 2) throw new RangeError("Only tensors with 2 dimensions are supported");
  const [r, c] = t.shape,
    v = new Float32Array(r * c);
  for (let i = 0; i < Math.min(r, c); i++) v[i * c + i] = 1;
  return fill(t, v);
}
/** The Dirac delta (identity convolution) for 3-, 4- and 5-D tensors, per group. */
export function dirac_(t: Tensor, groups: number | { groups?: number } = 1): Tensor {
  checkTensor("dirac_", t);
  const o = parseArgs("nn.init.dirac_", [groups], { groups: [A.posInt, 1] });
  const d = t.dim();
  if (d < 3 || d > 5) throw new RangeError("Only tensors with 3, 4, or 5 dimensions are supported");
  const sz = t.shape;
  if (sz[0] % o.groups !== 0) throw new RangeError("dim 0 must be divisible by groups");
  const outPerGroup = sz[0] / o.groups,
    minDim = Math.min(outPerGroup, sz[1]);
  const spatial = sz.slice(2),
    strides: number[] = [];
  let s = 1;
  for (let k = sz.length - 1; k >= 0; k--) {
    strides[k] = s;
    s *= sz[k];
  }
  const v = new Float32Array(t.numel());
  for (let g = 0; g < o.groups; g++) {
    for (let i = 0; i < minDim; i++) {
      let off = (g * outPerGroup + i) * strides[0] + i * strides[1];
      spatial.forEach((n, k) => {
        off += Math.floor(n / 2) * strides[k + 2];
      });
      v[off] = 1;
    }
  }
  return fill(t, v);
}

/** Glorot uniform: U(±gain·sqrt(6 / (fan_in + fan_out))). */
export function xavierUniform_(t: Tensor, gain: number | { gain?: number } = 1): Tensor {
  checkTensor("xavierUniform_", t);
  const o = parseArgs("nn.init.xavierUniform_", [gain], { gain: [anyNum, 1] });
  const [fi, fo] = fans(t);
  const a = o.gain * Math.sqrt(6 / (fi + fo));
  return noGrad(() => uniformFill(t, -a, a));
}
/** Glorot normal: N(0, gain²·2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain: number | { gain?: number } = 1): Tensor {
  checkTensor("xavierNormal_", t);
  const o = parseArgs("nn.init.xavierNormal_", [gain], { gain: [anyNum, 1] });
  const [fi, fo] = fans(t);
  return noGrad(() => normalFill(t, 0, o.gain * Math.sqrt(2 / (fi + fo))));
}

type KaimingOpts = { a?: number; mode?: "fan_in" | "fan_out"; nonlinearity?: string };
const kaimingSpec = { a: [anyNum, 0], mode: [A.str, "fan_in"], nonlinearity: [A.str, "leaky_relu"] } as const;
/** He uniform: U(±gain·sqrt(3 / fan)); `kaimingUniform_(t, { a, mode, nonlinearity })` or positionally. */
export function kaimingUniform_(
  t: Tensor,
  a?: number | KaimingOpts,
  mode?: "fan_in" | "fan_out",
  nonlinearity?: string,
): Tensor {
  checkTensor("kaimingUniform_", t);
  const o = parseArgs("nn.init.kaimingUniform_", [a, mode, nonlinearity], kaimingSpec);
  if (t.shape.includes(0)) return t;
  const fan = correctFan(t, o.mode);
  const bound = (Math.sqrt(3) * calculateGain(o.nonlinearity, o.a)) / Math.sqrt(fan);
  return noGrad(() => uniformFill(t, -bound, bound));
}
/** He normal: N(0, gain² / fan). */
export function kaimingNormal_(
  t: Tensor,
  a?: number | KaimingOpts,
  mode?: "fan_in" | "fan_out",
  nonlinearity?: string,
): Tensor {
  checkTensor("kaimingNormal_", t);
  const o = parseArgs("nn.init.kaimingNormal_", [a, mode, nonlinearity], kaimingSpec);
  if (t.shape.includes(0)) return t;
  const fan = correctFan(t, o.mode);
  return noGrad(() => normalFill(t, 0, calculateGain(o.nonlinearity, o.a) / Math.sqrt(fan)));
}

/** A (semi-)orthogonal matrix (tensors with 2+ dims are viewed as [size0, rest]), scaled by gain. */
export function orthogonal_(t: Tensor, gain: number | { gain?: number } = 1): Tensor {
  checkTensor("orthogonal_", t);
  const o = parseArgs("nn.init.orthogonal_", [gain], { gain: [anyNum, 1] });
  if (t.dim() < 2) throw new RangeError("Only tensors with 2 or more dimensions are supported");
  if (t.numel() === 0) return t;
  const rows = t.shape[0],
    cols = t.numel() / rows;
  // QR of a Gaussian (rows x cols), transposed first when rows < cols; q's columns sign-fixed by diag(r)
  const m = Math.max(rows, cols),
    n = Math.min(rows, cols);
  const A2 = Array.from({ length: m }, () => Array.from({ length: n }, () => randomNormal()));
  const Q = householderQ(A2, m, n);
  const v = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) v[i * cols + j] = o.gain * (rows < cols ? Q[j][i] : Q[i][j]);
  return fill(t, v);
}

/** Thin Q (m x n, m >= n) of A by Householder reflections, columns signed so that diag(R) > 0. */
function householderQ(A0: number[][], m: number, n: number): number[][] {
  const R = A0.map((r) => r.slice());
  const vs: number[][] = [];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += R[i][k] * R[i][k];
    norm = Math.sqrt(norm);
    const alpha = R[k][k] > 0 ? -norm : norm;
    const v = new Array(m).fill(0);
    for (let i = k; i < m; i++) v[i] = R[i][k];
    v[k] -= alpha;
    let vn = 0;
    for (let i = k; i < m; i++) vn += v[i] * v[i];
    vn = Math.sqrt(vn);
    if (vn > 0) for (let i = k; i < m; i++) v[i] /= vn;
    vs.push(v);
    for (let j = k; j < n; j++) {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i] * R[i][j];
      for (let i = k; i < m; i++) R[i][j] -= 2 * v[i] * d;
    }
  }
  // Q = H_0 ... H_{n-1} applied to the first n columns of the identity
  const Q: number[][] = Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i] * Q[i][j];
      for (let i = k; i < m; i++) Q[i][j] -= 2 * v[i] * d;
    }
  }
  for (let j = 0; j < n; j++) if (R[j][j] < 0) for (let i = 0; i < m; i++) Q[i][j] = -Q[i][j];
  return Q;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 refined by one Newton step is not needed for sampling bounds; use a
  // high-precision series / continued fraction split
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x,
      term = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return x > 0 ? 1 - erfc : erfc - 1;
}
function erfinv(y: number): number {
  if (y <= -1) return -Infinity;
  if (y >= 1) return Infinity;
  // Giles' approximation, then two Newton steps
  let w = -Math.log((1 - y) * (1 + y)),
    x: number;
  if (w < 5) {
    w -= 2.5;
    x = 2.81022636e-8;
    for (const c of [
      3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
      1.50140941,
    ])
      x = c + x * w;
  } else {
    w = Math.sqrt(w) - 3;
    x = -0.000200214257;
    for (const c of [
      0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
      2.83297682,
    ])
      x = c + x * w;
  }
  x *= y;
  for (let k = 0; k < 2; k++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}

/** The Linear/Conv default: weight ~ kaiming_uniform(a=√5), bias ~ U(±1/√fan_in). */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, fanIn?: number): void {
  kaimingUniform_(weight, Math.sqrt(5));
  if (bias) {
    const fi = fanIn ?? fans(weight)[0];
    const bound = fi > 0 ? 1 / Math.sqrt(fi) : 0;
    uniform_(bias, -bound, bound);
  }
}
