// bool-valued ops: isnan/isinf/isfinite and the logical ops (PyTorch's names as torch.* functions
// and, through tensor.ts, methods). Each is one or two comparison kernels; none is differentiable.

import * as ops from "./ops.js";
import { Tensor } from "./tensor.js";

function asTensor(fn: string, x: unknown): Tensor {
  if (!(x instanceof Tensor))
    throw new TypeError(`${fn}(): argument 'input' must be Tensor, not ${x === null ? "None" : typeof x}`);
  return x;
}
/** x != 0 as bool (x itself when it is bool already). */
function truth(x: Tensor): Tensor {
  return x.dtype === "bool" ? x : ops.compare("ne", x, 0);
}
function then(tmp: Tensor[], keep: Tensor[], out: Tensor): Tensor {
  for (const t of tmp) if (!keep.includes(t) && t !== out) t.dispose();
  return out;
}

/** Elementwise `x != x`: true where x is NaN (`torch.isnan`). */
export function isnan(x: Tensor): Tensor {
  asTensor("isnan", x);
  return x.dtype === "float32" ? ops.compare("ne", x, x) : ops.full(x.shape.slice(), 0, "bool");
}
/** Elementwise: true where x is +Inf or -Inf (`torch.isinf`). */
export function isinf(x: Tensor): Tensor {
  asTensor("isinf", x);
  if (x.dtype !== "float32") return ops.full(x.shape.slice(), 0, "bool");
  const a = ops.compare("eq", x, Infinity),
    b = ops.compare("eq", x, -Infinity);
  return then([a, b], [], ops.binaryRaw("maximum", a, b));
}
/** Elementwise: true where x is neither NaN nor infinite (`torch.isfinite`). */
export function isfinite(x: Tensor): Tensor {
  asTensor("isfinite", x);
  if (x.dtype !== "float32") return ops.full(x.shape.slice(), 1, "bool");
  // |x| < inf is false for NaN and +-inf
  const a = ops.compare("lt", x, Infinity),
    b = ops.compare("gt", x, -Infinity);
  return then([a, b], [], ops.binaryRaw("minimum", a, b));
}
/** Elementwise NOT, as a bool tensor (`torch.logical_not`). */
export function logicalNot(x: Tensor): Tensor {
  asTensor("logical_not", x);
  return ops.compare("eq", x, 0);
}
/** Elementwise AND of two tensors (nonzero is true), broadcast, as a bool tensor (`torch.logical_and`). */
export function logicalAnd(x: Tensor, y: Tensor): Tensor {
  asTensor("logical_and", x);
  asTensor("logical_and", y);
  const a = truth(x),
    b = truth(y);
  return then([a, b], [x, y], ops.binaryRaw("minimum", a, b));
}
/** Elementwise OR of two tensors (nonzero is true), broadcast, as a bool tensor (`torch.logical_or`). */
export function logicalOr(x: Tensor, y: Tensor): Tensor {
  asTensor("logical_or", x);
  asTensor("logical_or", y);
  const a = truth(x),
    b = truth(y);
  return then([a, b], [x, y], ops.binaryRaw("maximum", a, b));
}
/** Elementwise XOR of two tensors (nonzero is true), broadcast, as a bool tensor (`torch.logical_xor`). */
export function logicalXor(x: Tensor, y: Tensor): Tensor {
  asTensor("logical_xor", x);
  asTensor("logical_xor", y);
  const a = truth(x),
    b = truth(y);
  return then([a, b], [x, y], ops.binaryRaw("ne", a, b));
}

// torch.eq(a, b) ... (comparisons of a tensor with a tensor or a number; bool results)
/** Elementwise `a == b` (broadcast), as a bool tensor (`torch.eq`). */
export const eq = (a: Tensor, b: Tensor | number) => ops.compare("eq", asTensor("eq", a), b);
/** Elementwise `a != b` (broadcast), as a bool tensor (`torch.ne`). */
export const ne = (a: Tensor, b: Tensor | number) => ops.compare("ne", asTensor("ne", a), b);
/** Elementwise `a < b` (broadcast), as a bool tensor (`torch.lt`). */
export const lt = (a: Tensor, b: Tensor | number) => ops.compare("lt", asTensor("lt", a), b);
/** Elementwise `a <= b` (broadcast), as a bool tensor (`torch.le`). */
export const le = (a: Tensor, b: Tensor | number) => ops.compare("le", asTensor("le", a), b);
/** Elementwise `a > b` (broadcast), as a bool tensor (`torch.gt`). */
export const gt = (a: Tensor, b: Tensor | number) => ops.compare("gt", asTensor("gt", a), b);
/** Elementwise `a >= b` (broadcast), as a bool tensor (`torch.ge`). */
export const ge = (a: Tensor, b: Tensor | number) => ops.compare("ge", asTensor("ge", a), b);
export { eq as equalElementwise, gt as greater, lt as less, ge as greaterEqual, le as lessEqual, ne as notEqual };
