// F.gelu, F.silu, F.leakyRelu, ...: the activation functions, each one elementwise kernel with its
// backward (ops.unary), except the few that are compositions (prelu, glu, softmin, rrelu in eval).

import type { UnaryOp } from "../../backends/types.js";
import * as ops from "../../ops.js";
import { Tensor, normDim } from "../../tensor.js";
import { A, parseArgs } from "../../utils/args.js";
import { random } from "../../runtime.js";

function checkInput(fn: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new TypeError(`${fn}(): argument 'input' must be Tensor, not ${x === null ? "None" : typeof x}`);
  if (x.dtype !== "float32") throw new TypeError(`${fn}: expected a floating point tensor but got ${x.dtype}`);
}

/** y = op(x), or with `inplace` written into x through the in-place machinery (version counter,
 *  PyTorch's leaf error, history rebased), as PyTorch's inplace=True. */
function applyInplace(x: Tensor, inplace: boolean, name: string, compute: (s: Tensor) => Tensor): Tensor {
  return inplace ? x._inplace(name, true, [], compute) : compute(x);
}

function act(fn: string, op: UnaryOp, x: Tensor, p: number[], inplace: boolean): Tensor {
  checkInput(fn, x);
  return applyInplace(x, inplace, op, (s) => ops.unary(op, s, p));
}
/** (a getter: args.ts may still be loading when this module is, through import cycles) */
const inplaceSpec = () => ({ inplace: [A.bool, false] as const });

/** F.gelu(x, { approximate = "none" | "tanh" }). */
export function gelu(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.gelu", rest, { approximate: A.kw(A.oneOf("none", "tanh"), "none") });
  return act("gelu", o.approximate === "tanh" ? "geluTanh" : "gelu", x, [], false);
}
/** F.silu(x, { inplace }) = x * sigmoid(x). */
export function silu(x: Tensor, ...rest: unknown[]): Tensor {
  return act("silu", "silu", x, [], parseArgs("F.silu", rest, inplaceSpec()).inplace);
}
/** F.mish(x, { inplace }) = x * tanh(softplus(x)). */
export function mish(x: Tensor, ...rest: unknown[]): Tensor {
  return act("mish", "mish", x, [], parseArgs("F.mish", rest, inplaceSpec()).inplace);
}
/** F.relu6(x, { inplace }) = min(max(x, 0), 6). */
export function relu6(x: Tensor, ...rest: unknown[]): Tensor {
  return act("relu6", "hardtanh", x, [0, 6], parseArgs("F.relu6", rest, inplaceSpec()).inplace);
}
/** F.hardtanh(x, minVal = -1, maxVal = 1, { inplace }). */
export function hardtanh(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.hardtanh", rest, { minVal: [A.num, -1], maxVal: [A.num, 1], inplace: [A.bool, false] });
  if (o.minVal > o.maxVal) throw new RangeError("max_val must be greater or equal to min_val");
  return act("hardtanh", "hardtanh", x, [o.minVal, o.maxVal], o.inplace);
}
/** F.hardswish(x, { inplace }) = x * relu6(x + 3) / 6. */
export function hardswish(x: Tensor, ...rest: unknown[]): Tensor {
  return act("hardswish", "hardswish", x, [], parseArgs("F.hardswish", rest, inplaceSpec()).inplace);
}
/** F.hardsigmoid(x, { inplace }) = relu6(x + 3) / 6. */
export function hardsigmoid(x: Tensor, ...rest: unknown[]): Tensor {
  return act("hardsigmoid", "hardsigmoid", x, [], parseArgs("F.hardsigmoid", rest, inplaceSpec()).inplace);
}
/** F.leakyRelu(x, negativeSlope = 0.01, { inplace }). */
export function leakyRelu(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.leakyRelu", rest, { negativeSlope: [A.num, 0.01], inplace: [A.bool, false] });
  return act("leaky_relu", "leakyRelu", x, [o.negativeSlope], o.inplace);
}
/** F.elu(x, alpha = 1, { inplace }). */
export function elu(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.elu", rest, { alpha: [A.num, 1], inplace: [A.bool, false] });
  return act("elu", "elu", x, [o.alpha, 1, 1], o.inplace);
}
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
/** F.selu(x, { inplace }) = scale * elu(x, alpha) with PyTorch's constants. */
export function selu(x: Tensor, ...rest: unknown[]): Tensor {
  return act("selu", "elu", x, [SELU_ALPHA, SELU_SCALE, 1], parseArgs("F.selu", rest, inplaceSpec()).inplace);
}
/** F.celu(x, alpha = 1, { inplace }) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). */
export function celu(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.celu", rest, { alpha: [A.num, 1], inplace: [A.bool, false] });
  if (o.alpha === 0) throw new RangeError("ZeroDivisionError");
  return act("celu", "elu", x, [o.alpha, 1, 1 / o.alpha], o.inplace);
}
/** F.softplus(x, beta = 1, threshold = 20) = log(1 + exp(beta x)) / beta (x where beta x > threshold). */
export function softplus(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.softplus", rest, { beta: [A.num, 1], threshold: [A.num, 20] });
  return act("softplus", "softplus", x, [o.beta, o.threshold], false);
}
/** F.softsign(x) = x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  return act("softsign", "softsign", x, [], false);
}
/** F.logsigmoid(x) = log(sigmoid(x)), stable. */
export function logsigmoid(x: Tensor): Tensor {
  return act("log_sigmoid", "logsigmoid", x, [], false);
}
/** F.tanhshrink(x) = x - tanh(x). */
export function tanhshrink(x: Tensor): Tensor {
  return act("tanhshrink", "tanhshrink", x, [], false);
}
/** F.softshrink(x, lambd = 0.5). */
export function softshrink(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.softshrink", rest, { lambd: [A.num, 0.5] });
  if (o.lambd < 0) throw new RangeError(`lambda must be greater or equal to 0, but found to be ${o.lambd}.`);
  return act("softshrink", "softshrink", x, [o.lambd], false);
}
/** F.hardshrink(x, lambd = 0.5). */
export function hardshrink(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.hardshrink", rest, { lambd: [A.num, 0.5] });
  return act("hardshrink", "hardshrink", x, [o.lambd], false);
}
/** F.threshold(x, threshold, value, { inplace }): x where x > threshold, else value. */
export function threshold(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.threshold", rest, { threshold: A.num, value: A.num, inplace: [A.bool, false] });
  return act("threshold", "threshold", x, [o.threshold, o.value], o.inplace);
}
/** F.rrelu(x, lower = 1/8, upper = 1/3, training = false, { inplace }): in eval mode a leaky ReLU
 *  with slope (lower + upper) / 2; in training each negative element gets a random slope. */
export function rrelu(x: Tensor, ...rest: unknown[]): Tensor {
  const o = parseArgs("F.rrelu", rest, {
    lower: [A.num, 1 / 8],
    upper: [A.num, 1 / 3],
    training: [A.bool, false],
    inplace: [A.bool, false],
  });
  checkInput("rrelu", x);
  if (!o.training) return act("rrelu", "leakyRelu", x, [(o.lower + o.upper) / 2], o.inplace);
  const xv = x.toFloat32Array(),
    slope = Tensor.empty(x.shape.slice(), "float32"),
    v = slope.backendView();
  for (let k = 0; k < v.length; k++) v[k] = xv[k] >= 0 ? 1 : o.lower + (o.upper - o.lower) * random();
  return applyInplace(x, o.inplace, "rrelu", (s) => ops.mul(s, slope));
}

/** F.prelu(x, weight): x where x > 0, else weight * x, weight per channel (dim 1) or one value. */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  checkInput("prelu", x);
  const C = x.dim() >= 2 ? x.shape[1] : 1;
  if (weight.numel() !== 1 && weight.numel() !== C) {
    throw new RangeError(
      `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${weight.numel()} and channel size = ${C}.`,
    );
  }
  let w = weight;
  if (weight.numel() !== 1) w = ops.reshape(weight, [C, ...new Array(Math.max(x.dim() - 2, 0)).fill(1)]);
  else if (weight.dim() !== 0) w = ops.reshape(weight, []);
  return ops.where(ops.compare("gt", x, 0), x, ops.mul(x, w));
}

/** F.softmin(x, dim) = softmax(-x, dim). */
export function softmin(x: Tensor, dim: number): Tensor {
  checkInput("softmin", x);
  return ops.softmax(ops.unary("neg", x), dim, false);
}

/** F.glu(x, dim = -1) = a * sigmoid(b) for the two halves a, b of x along dim. */
export function glu(x: Tensor, ...rest: unknown[]): Tensor {
  checkInput("glu", x);
  const o = parseArgs("F.glu", rest, { dim: [A.int, -1] });
  if (x.dim() === 0) throw new RangeError("glu does not support scalars because halving size must be even");
  const d = normDim(o.dim, x.dim()),
    n = x.shape[d];
  if (n % 2 !== 0) throw new RangeError(`Halving dimension must be even, but dimension ${d} is size ${n}`);
  const a = ops.narrow(x, d, 0, n / 2),
    b = ops.narrow(x, d, n / 2, n / 2);
  return ops.mul(a, ops.unary("sigmoid", b));
}

// ---- PyTorch's in-place functional forms (F.elu_ etc.): the op written into x
/** F.relu_(x): relu written into x. */
export function relu_(x: Tensor): Tensor {
  checkInput("relu_", x);
  return x._inplace("relu", true, [], (s) => ops.unary("relu", s));
}
/** F.elu_(x, alpha = 1). */
export function elu_(x: Tensor, ...rest: unknown[]): Tensor {
  return elu(x, { ...parseArgs("F.elu_", rest, { alpha: [A.num, 1] }), inplace: true });
}
/** F.leakyRelu_(x, negativeSlope = 0.01). */
export function leakyRelu_(x: Tensor, ...rest: unknown[]): Tensor {
  return leakyRelu(x, { ...parseArgs("F.leakyRelu_", rest, { negativeSlope: [A.num, 0.01] }), inplace: true });
}
/** F.hardtanh_(x, minVal = -1, maxVal = 1). */
export function hardtanh_(x: Tensor, ...rest: unknown[]): Tensor {
  return hardtanh(x, { ...parseArgs("F.hardtanh_", rest, { minVal: [A.num, -1], maxVal: [A.num, 1] }), inplace: true });
}
/** F.threshold_(x, threshold, value). */
export function threshold_(x: Tensor, ...rest: unknown[]): Tensor {
  return threshold(x, { ...parseArgs("F.threshold_", rest, { threshold: A.num, value: A.num }), inplace: true });
}
/** F.celu_(x, alpha = 1). */
export function celu_(x: Tensor, ...rest: unknown[]): Tensor {
  return celu(x, { ...parseArgs("F.celu_", rest, { alpha: [A.num, 1] }), inplace: true });
}
/** F.selu_(x). */
export function selu_(x: Tensor): Tensor {
  return selu(x, { inplace: true });
}
/** F.rrelu_(x, lower = 1/8, upper = 1/3, training = false). */
export function rrelu_(x: Tensor, ...rest: unknown[]): Tensor {
  return rrelu(x, {
    ...parseArgs("F.rrelu_", rest, { lower: [A.num, 1 / 8], upper: [A.num, 1 / 3], training: [A.bool, false] }),
    inplace: true,
  });
}
