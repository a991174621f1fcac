// nn.init: PyTorch's default initialisations (kaiming_uniform with a = sqrt(5) and friends).

import { noGrad } from "../runtime.js";
import { normal_ as normalFill, uniform_ as uniformFill } from "../creation.js";
import type { Tensor } from "../tensor.js";

/** fan_in, fan_out as PyTorch's _calculate_fan_in_and_fan_out. */
export function fans(t: Tensor): [number, number] {
  if (t.dim() < 2) throw new RangeError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  const recept = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return [t.shape[1] * recept, t.shape[0] * recept];
}
export function uniform_(t: Tensor, a = 0, b = 1): Tensor { return noGrad(() => uniformFill(t, a, b)); }
export function normal_(t: Tensor, mean = 0, std = 1): Tensor { return noGrad(() => normalFill(t, mean, std)); }
export function zeros_(t: Tensor): Tensor { return t.fill_(0); }
export function ones_(t: Tensor): Tensor { return t.fill_(1); }
export function constant_(t: Tensor, v: number): Tensor { return t.fill_(v); }
/** kaiming_uniform_(t, a, mode "fan_in", nonlinearity "leaky_relu"). */
export function kaimingUniform_(t: Tensor, a = 0): Tensor {
  const [fanIn] = fans(t);
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = Math.sqrt(3) * gain / Math.sqrt(fanIn);
  return uniform_(t, -bound, bound);
}
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fi, fo] = fans(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a);
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
