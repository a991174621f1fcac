// Activation modules beyond ReLU/Sigmoid/Tanh (GELU, SiLU, ReLU6, Hardswish, LeakyReLU, PReLU, ...),
// with PyTorch's constructor arguments, defaults, parameter names and print text.
//   new nn.Sequential(new nn.Linear(4, 8), new nn.GELU({ approximate: "tanh" })).toString()

import { empty } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { A, parseArgs } from "../utils/args.js";
import * as F from "./functional/activation.js";
import * as ops from "../ops.js";
import { Module, Parameter, pyFloat, pyRepr } from "./module.js";
import { type FusableActivation, type FusedActivation, inheritsForward } from "./fusion.js";

const inplaceRepr = (inplace: boolean, lead = "") =>
  inplace ? (lead ? `${lead}, inplace=True` : "inplace=True") : lead;

/** Modules whose only argument is `inplace` (SiLU, Mish, Hardswish, ...). */
abstract class InplaceActivation extends Module {
  readonly inplace: boolean;
  constructor(name: string, args: ArrayLike<unknown>) {
    super();
    this.inplace = parseArgs(`nn.${name}`, args, { inplace: [A.bool, false] }).inplace;
  }
}

/** x * Φ(x): `new nn.GELU()` or `new nn.GELU({ approximate: "tanh" })`. Mirrors `torch.nn.GELU`. */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(...args: unknown[]) {
    super();
    this.approximate = parseArgs("nn.GELU", args, { approximate: [A.oneOf("none", "tanh"), "none"] }).approximate as
      | "none"
      | "tanh";
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
  extraRepr(): string {
    return `approximate=${pyRepr(this.approximate)}`;
  }
}

/** x * sigmoid(x) (swish). Mirrors `torch.nn.SiLU`. */
export class SiLU extends InplaceActivation {
  constructor(...args: unknown[]) {
    super("SiLU", args);
  }
  forward(x: Tensor): Tensor {
    return F.silu(x, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}
/** x * tanh(softplus(x)). Mirrors `torch.nn.Mish`. */
export class Mish extends InplaceActivation {
  constructor(...args: unknown[]) {
    super("Mish", args);
  }
  forward(x: Tensor): Tensor {
    return F.mish(x, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}
/** x * relu6(x + 3) / 6 (MobileNetV3). Mirrors `torch.nn.Hardswish`. */
export class Hardswish extends InplaceActivation {
  constructor(...args: unknown[]) {
    super("Hardswish", args);
  }
  forward(x: Tensor): Tensor {
    return F.hardswish(x, this.inplace);
  }
}
/** relu6(x + 3) / 6. Mirrors `torch.nn.Hardsigmoid`. */
export class Hardsigmoid extends InplaceActivation {
  constructor(...args: unknown[]) {
    super("Hardsigmoid", args);
  }
  forward(x: Tensor): Tensor {
    return F.hardsigmoid(x, this.inplace);
  }
}
/** scale * elu(x, alpha) with the self-normalising constants. Mirrors `torch.nn.SELU`. */
export class SELU extends InplaceActivation {
  constructor(...args: unknown[]) {
    super("SELU", args);
  }
  forward(x: Tensor): Tensor {
    return F.selu(x, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

/** clamp(x, minVal, maxVal): `new nn.Hardtanh(-2, 2)`. Mirrors `torch.nn.Hardtanh`. */
export class Hardtanh extends Module implements FusableActivation {
  readonly minVal: number;
  readonly maxVal: number;
  readonly inplace: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Hardtanh", args, { minVal: [A.num, -1], maxVal: [A.num, 1], inplace: [A.bool, false] });
    if (o.maxVal <= o.minVal) throw new RangeError("max_val must be larger than min_val");
    this.minVal = o.minVal;
    this.maxVal = o.maxVal;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.minVal, this.maxVal, this.inplace);
  }
  /** Fusion (nn/fusion.ts): hardtanh(0, 6) is relu6, which a preceding conv may apply in its
   *  kernel, unless forward is overridden. */
  asActivation(): FusedActivation | null {
    return this.minVal === 0 && this.maxVal === 6 && inheritsForward(this, Hardtanh) ? "relu6" : null;
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace, `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}`).replace(
      /^, /,
      "",
    );
  }
}
/** min(max(x, 0), 6) (MobileNetV2). Mirrors `torch.nn.ReLU6`. */
export class ReLU6 extends Module implements FusableActivation {
  readonly inplace: boolean;
  readonly minVal = 0;
  readonly maxVal = 6;
  constructor(...args: unknown[]) {
    super();
    this.inplace = parseArgs("nn.ReLU6", args, { inplace: [A.bool, false] }).inplace;
  }
  forward(x: Tensor): Tensor {
    return F.relu6(x, this.inplace);
  }
  /** Fusion (nn/fusion.ts): a preceding conv may apply this ReLU6 in its kernel, unless forward
   *  is overridden. */
  asActivation(): FusedActivation | null {
    return inheritsForward(this, ReLU6) ? "relu6" : null;
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

/** x if x > 0 else negativeSlope * x: `new nn.LeakyReLU(0.2)`. Mirrors `torch.nn.LeakyReLU`. */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  readonly inplace: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.LeakyReLU", args, { negativeSlope: [A.num, 0.01], inplace: [A.bool, false] });
    this.negativeSlope = o.negativeSlope;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace, `negative_slope=${pyFloat(this.negativeSlope)}`);
  }
}

/** x if x > 0 else alpha * (exp(x) - 1). Mirrors `torch.nn.ELU`. */
export class ELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.ELU", args, { alpha: [A.num, 1], inplace: [A.bool, false] });
    this.alpha = o.alpha;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace, `alpha=${pyFloat(this.alpha)}`);
  }
}
/** max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). Mirrors `torch.nn.CELU`. */
export class CELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.CELU", args, { alpha: [A.num, 1], inplace: [A.bool, false] });
    this.alpha = o.alpha;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor {
    return F.celu(x, this.alpha, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace, `alpha=${pyFloat(this.alpha)}`);
  }
}

/** log(1 + exp(beta x)) / beta, linear above threshold: `new nn.Softplus({ beta: 2 })`. Mirrors `torch.nn.Softplus`. */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Softplus", args, { beta: [A.num, 1], threshold: [A.num, 20] });
    this.beta = o.beta;
    this.threshold = o.threshold;
  }
  forward(x: Tensor): Tensor {
    return F.softplus(x, this.beta, this.threshold);
  }
  extraRepr(): string {
    return `beta=${pyRepr(this.beta)}, threshold=${pyRepr(this.threshold)}`;
  }
}

/** x / (1 + |x|). Mirrors `torch.nn.Softsign`. */
export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return F.softsign(x);
  }
}
/** log(sigmoid(x)), computed stably. Mirrors `torch.nn.LogSigmoid`. */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.logsigmoid(x);
  }
}
/** x - tanh(x). Mirrors `torch.nn.Tanhshrink`. */
export class Tanhshrink extends Module {
  forward(x: Tensor): Tensor {
    return F.tanhshrink(x);
  }
}

/** x - lambd above lambd, x + lambd below -lambd, 0 between. Mirrors `torch.nn.Softshrink`. */
export class Softshrink extends Module {
  readonly lambd: number;
  constructor(...args: unknown[]) {
    super();
    this.lambd = parseArgs("nn.Softshrink", args, { lambd: [A.num, 0.5] }).lambd;
  }
  forward(x: Tensor): Tensor {
    return F.softshrink(x, this.lambd);
  }
  extraRepr(): string {
    return pyFloat(this.lambd);
  }
}
/** x where |x| > lambd, else 0. Mirrors `torch.nn.Hardshrink`. */
export class Hardshrink extends Module {
  readonly lambd: number;
  constructor(...args: unknown[]) {
    super();
    this.lambd = parseArgs("nn.Hardshrink", args, { lambd: [A.num, 0.5] }).lambd;
  }
  forward(x: Tensor): Tensor {
    return F.hardshrink(x, this.lambd);
  }
  extraRepr(): string {
    return pyFloat(this.lambd);
  }
}
/** x where x > threshold, else value: `new nn.Threshold(0.1, 20)`. Mirrors `torch.nn.Threshold`. */
export class Threshold extends Module {
  readonly threshold: number;
  readonly value: number;
  readonly inplace: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Threshold", args, { threshold: A.num, value: A.num, inplace: [A.bool, false] });
    this.threshold = o.threshold;
    this.value = o.value;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor {
    return F.threshold(x, this.threshold, this.value, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace, `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}`);
  }
}
/** Randomised leaky ReLU: random slopes in [lower, upper] when training, their mean in eval. Mirrors `torch.nn.RReLU`. */
export class RReLU extends Module {
  readonly lower: number;
  readonly upper: number;
  readonly inplace: boolean;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.RReLU", args, { lower: [A.num, 1 / 8], upper: [A.num, 1 / 3], inplace: [A.bool, false] });
    this.lower = o.lower;
    this.upper = o.upper;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor {
    return F.rrelu(x, this.lower, this.upper, this.training, this.inplace);
  }
  extraRepr(): string {
    return inplaceRepr(this.inplace, `lower=${pyFloat(this.lower)}, upper=${pyFloat(this.upper)}`);
  }
}

/** Leaky ReLU with a learnt slope per channel (or one shared): parameter `weight` [numParameters]. Mirrors `torch.nn.PReLU`. */
export class PReLU extends Module {
  readonly numParameters: number;
  weight: Parameter;
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.PReLU", args, { numParameters: [A.posInt, 1], init: [A.num, 0.25] });
    this.numParameters = o.numParameters;
    this.weight = new Parameter(empty(o.numParameters).fill_(o.init));
  }
  forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }
  extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

/** softmax(-x, dim). Mirrors `torch.nn.Softmin`. */
export class Softmin extends Module {
  readonly dim: number | null;
  constructor(...args: unknown[]) {
    super();
    this.dim = parseArgs("nn.Softmin", args, { dim: [A.nullable(A.int), null] }).dim;
  }
  forward(x: Tensor): Tensor {
    const d = this.dim ?? (x.dim() === 0 || x.dim() === 1 || x.dim() === 3 ? 0 : 1);
    return F.softmin(x, d);
  }
  extraRepr(): string {
    return `dim=${pyRepr(this.dim)}`;
  }
}

/** a * sigmoid(b) for the halves of x along dim (default -1). Mirrors `torch.nn.GLU`. */
export class GLU extends Module {
  readonly dim: number;
  constructor(...args: unknown[]) {
    super();
    this.dim = parseArgs("nn.GLU", args, { dim: [A.int, -1] }).dim;
  }
  forward(x: Tensor): Tensor {
    return F.glu(x, this.dim);
  }
  extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** softmax over the channel dim of [N, C, H, W] or [C, H, W]. Mirrors `torch.nn.Softmax2d`. */
export class Softmax2d extends Module {
  forward(x: Tensor): Tensor {
    if (x.dim() !== 3 && x.dim() !== 4)
      throw new RangeError(`Softmax2d: expected input to be 3D or 4D, got ${x.dim()}D instead`);
    return ops.softmax(x, -3, false);
  }
}
