// In-place twins: for every elementwise op `name` in the list below, Tensor.prototype gets
// `name_` (PyTorch's trailing underscore) that runs the out-of-place method and writes the result
// into the tensor itself (Tensor._inplace: version counter, leaf check, history rebased). A method
// added to the list works as soon as its out-of-place twin exists on Tensor.

import { Tensor } from "./tensor.js";

/** Ops whose backward never reads the old value of self: they run on an alias of it (no copy). */
const NO_SELF = new Set([
  "add",
  "sub",
  "subtract",
  "neg",
  "negative",
  "exp",
  "sigmoid",
  "tanh",
  "sqrt",
  "rsqrt",
  "reciprocal",
  "div",
  "divide",
  "fill",
  "zero",
  "copy",
  "maskedFill",
  "exp2",
  "expm1",
]);
/** Ops whose result dtype may differ from self's (comparisons, logical ops): written converted. */
const CASTS = new Set([
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "logicalAnd",
  "logicalOr",
  "logicalXor",
  "logicalNot",
  "greater",
  "less",
  "greaterEqual",
  "lessEqual",
  "notEqual",
]);

/** Every elementwise op with an in-place twin (PyTorch's method names in camelCase). */
export const INPLACE_OPS = [
  "add",
  "sub",
  "subtract",
  "mul",
  "multiply",
  "div",
  "divide",
  "pow",
  "clamp",
  "clip",
  "clampMin",
  "clampMax",
  "relu",
  "sigmoid",
  "tanh",
  "exp",
  "neg",
  "negative",
  "log",
  "sqrt",
  "rsqrt",
  "abs",
  "absolute",
  "square",
  "reciprocal",
  "sign",
  "floor",
  "ceil",
  "round",
  "trunc",
  "fix",
  "frac",
  "sin",
  "cos",
  "tan",
  "asin",
  "acos",
  "atan",
  "arcsin",
  "arccos",
  "arctan",
  "sinh",
  "cosh",
  "erf",
  "erfinv",
  "expm1",
  "log1p",
  "log2",
  "log10",
  "exp2",
  "nanToNum",
  "atan2",
  "arctan2",
  "remainder",
  "fmod",
  "hypot",
  "lerp",
  "addcmul",
  "addcdiv",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "greater",
  "less",
  "greaterEqual",
  "lessEqual",
  "notEqual",
  "logicalAnd",
  "logicalOr",
  "logicalXor",
  "logicalNot",
  "sigmoid",
  "hardtanh",
  "leakyRelu",
  "elu",
  "silu",
  "gelu",
  "mish",
  "hardswish",
  "hardsigmoid",
  "softplus",
  "threshold",
  "celu",
  "selu",
  "relu6",
  "tril",
  "triu",
] as const;

for (const name of new Set(INPLACE_OPS)) {
  const twin = `${name}_`;
  if (Object.prototype.hasOwnProperty.call(Tensor.prototype, twin)) continue;
  Object.defineProperty(Tensor.prototype, twin, {
    configurable: true,
    writable: true,
    value: function (this: Tensor, ...args: unknown[]): Tensor {
      const f = (Tensor.prototype as any)[name];
      if (typeof f !== "function") throw new TypeError(`${twin}: there is no out-of-place ${name}() on Tensor`);
      return this._inplace(name, !NO_SELF.has(name), args, (s) => f.apply(s, args), CASTS.has(name));
    },
  });
}

declare module "./tensor.js" {
  interface Tensor {
    add_(o: Tensor | number, alpha?: number | { alpha?: number }): this;
    sub_(o: Tensor | number, alpha?: number | { alpha?: number }): this;
    mul_(o: Tensor | number): this;
    div_(o: Tensor | number, opts?: unknown): this;
    pow_(e: Tensor | number): this;
    clamp_(min?: number | Tensor | null, max?: number | Tensor | null): this;
    relu_(): this;
    sigmoid_(): this;
    tanh_(): this;
    exp_(): this;
    neg_(): this;
    log_(): this;
    sqrt_(): this;
    rsqrt_(): this;
    abs_(): this;
    square_(): this;
    reciprocal_(): this;
    sign_(): this;
    floor_(): this;
    ceil_(): this;
    round_(opts?: unknown): this;
    trunc_(): this;
    frac_(): this;
    sin_(): this;
    cos_(): this;
    tan_(): this;
    erf_(): this;
    expm1_(): this;
    log1p_(): this;
    eq_(o: Tensor | number): this;
    ne_(o: Tensor | number): this;
    lt_(o: Tensor | number): this;
    le_(o: Tensor | number): this;
    gt_(o: Tensor | number): this;
    ge_(o: Tensor | number): this;
    logicalNot_(): this;
    logicalAnd_(o: Tensor): this;
    logicalOr_(o: Tensor): this;
    logicalXor_(o: Tensor): this;
    [k: `${string}_`]: any;
  }
}
