// Linear, activations, Softmax/LogSoftmax, Identity, Flatten, Dropout and Sequential.

import * as ops from "../ops.js";
import { empty } from "../creation.js";
import { Tensor } from "../tensor.js";
import { isGradEnabled } from "../runtime.js";
import * as F from "./functional/basic.js";
import { defaultLayerInit } from "./init.js";
import { Module, Parameter, pyFloat, pyRepr } from "./module.js";
import { moduleListOps } from "./container.js";
import { type FusableActivation, type FusedActivation, fuseChain, inheritsForward } from "./fusion.js";
import { A, parseArgs } from "../utils/args.js";

/** y = x W^T + b. `new nn.Linear(784, 10).forward(torch.randn(32, 784))` has shape [32, 10]. Mirrors `torch.nn.Linear`. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, opts?: { bias?: boolean });
  constructor(...args: unknown[]) {
    super();
    const { inFeatures, outFeatures, ...opts } = parseArgs("nn.Linear", args, {
      inFeatures: A.nonNegInt,
      outFeatures: A.nonNegInt,
      bias: [A.bool, true],
    });
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(empty(outFeatures, inFeatures));
    this.bias = (opts.bias ?? true) ? new Parameter(empty(outFeatures)) : null;
    defaultLayerInit(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
  extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyRepr(this.bias !== null)}`;
  }
}

/** max(x, 0): `new nn.ReLU()` or `new nn.ReLU(true)` (in place). Mirrors `torch.nn.ReLU`. */
export class ReLU extends Module implements FusableActivation {
  readonly inplace: boolean;
  constructor(...args: unknown[]) {
    super();
    this.inplace = parseArgs("nn.ReLU", args, { inplace: [A.bool, false] }).inplace;
  }
  forward(x: Tensor): Tensor {
    return this.inplace ? x.relu_() : F.relu(x);
  }
  /** Fusion (nn/fusion.ts): a preceding conv may apply this ReLU in its kernel, unless forward is overridden. */
  asActivation(): FusedActivation | null {
    return inheritsForward(this, ReLU) ? "relu" : null;
  }
  extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}
/** 1 / (1 + exp(-x)). Mirrors `torch.nn.Sigmoid`. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}
/** Hyperbolic tangent. Mirrors `torch.nn.Tanh`. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}
/** Returns its input; like PyTorch's it accepts and ignores any constructor arguments. Mirrors `torch.nn.Identity`. */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Softmax along `dim`: `new nn.Softmax(1)`. Mirrors `torch.nn.Softmax`. */
export class Softmax extends Module {
  readonly dim: number | null;
  constructor(dim?: number | null | { dim?: number | null });
  constructor(...args: unknown[]) {
    super();
    this.dim = parseArgs("nn.Softmax", args, { dim: [A.int, null] }).dim;
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, implicitDim(this.dim, x));
  }
  extraRepr(): string {
    return `dim=${pyRepr(this.dim)}`;
  }
}
/** log(softmax(x)) along `dim`: `new nn.LogSoftmax(1)`. Mirrors `torch.nn.LogSoftmax`. */
export class LogSoftmax extends Module {
  readonly dim: number | null;
  constructor(dim?: number | null | { dim?: number | null });
  constructor(...args: unknown[]) {
    super();
    this.dim = parseArgs("nn.LogSoftmax", args, { dim: [A.int, null] }).dim;
  }
  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, implicitDim(this.dim, x));
  }
  extraRepr(): string {
    return `dim=${pyRepr(this.dim)}`;
  }
}
/** PyTorch's _get_softmax_dim for a missing dim. */
function implicitDim(dim: number | null, x: Tensor): number {
  if (dim !== null) return dim;
  return x.dim() === 0 || x.dim() === 1 || x.dim() === 3 ? 0 : 1;
}

/** Flattens dims `startDim`..`endDim` (default 1..-1) into one: `new nn.Flatten()`. Mirrors `torch.nn.Flatten`. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim?: number | { startDim?: number; endDim?: number }, endDim?: number);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Flatten", args, { startDim: [A.int, 1], endDim: [A.int, -1] });
    this.startDim = o.startDim;
    this.endDim = o.endDim;
  }
  forward(x: Tensor): Tensor {
    return ops.flatten(x, this.startDim, this.endDim);
  }
  extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Zeroes elements with probability p while training and scales the rest by 1 / (1 - p): `new nn.Dropout(0.5)`. Mirrors `torch.nn.Dropout`. */
export class Dropout extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(p?: number | { p?: number; inplace?: boolean }, inplace?: boolean);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Dropout", args, { p: [A.num, 0.5], inplace: [A.bool, false] });
    if (o.p < 0 || o.p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${o.p}`);
    this.p = o.p;
    this.inplace = o.inplace;
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, { training: this.training });
  }
  extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyRepr(this.inplace)}`;
  }
}

/** Runs children "0", "1", ... in order: `new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU())`. Mirrors `torch.nn.Sequential`. */
export class Sequential extends Module {
  constructor(...mods: Module[] | [Map<string, Module>]) {
    super();
    // new nn.Sequential(new Map([["conv", c], ["relu", r]])) names the children (PyTorch's OrderedDict form)
    if (mods.length === 1 && mods[0] instanceof Map) for (const [k, m] of mods[0]) this.addModule(k, m);
    else
      (mods as Module[]).forEach((m, k) => {
        if (!(m instanceof Module)) throw new TypeError(`nn.Sequential: argument ${k} is not a Module`);
        this.addModule(String(k), m);
      });
  }
  /** Runs the children in order on x (typed for the usual Tensor-to-Tensor chain). */
  forward(x: Tensor): Tensor;
  forward(x: any): unknown {
    return this.runChain(x, null);
  }
  /** forward(x) + residual (a residual block's `x + block(x)`), the add done in the last step's
   *  kernel when it can be (nn/fusion.ts), else by ops.add. */
  forwardAdd(x: Tensor, residual: Tensor): Tensor {
    return this.runChain(x, residual) as Tensor;
  }
  private runChain(x: any, residual: Tensor | null): unknown {
    // Without autograd nothing else holds the intermediates: free each as soon as the next exists
    // (as PyTorch's refcounting would), so inference does not wait for the GC.
    const free = !isGradEnabled();
    const input = x;
    const mods = moduleListOps.values(this);
    let added = false;
    for (let k = 0; k < mods.length; k++) {
      const m = mods[k];
      // a module that absorbs the next ones (nn/fusion.ts, e.g. conv + BatchNorm + ReLU in one
      // kernel) runs them all, unless the step declines at this call (then m runs alone); the
      // last step may take the residual add too
      const step = fuseChain(mods, k);
      let fused: Tensor | null = null;
      if (step) {
        if (residual !== null && step.runAdd && k + step.n === mods.length) {
          fused = step.runAdd(x, residual);
          added = fused !== null;
        }
        if (fused === null) fused = step.run(x);
      }
      let next: unknown;
      if (fused !== null) {
        next = fused;
        k += step!.n - 1;
      } else if (
        residual !== null &&
        k === mods.length - 1 &&
        m instanceof Sequential &&
        inheritsForward(m, Sequential)
      ) {
        next = m.forwardAdd(x, residual);
        added = true;
      } else next = m.forward(x);
      if (free && x !== input && x !== next && x instanceof Tensor) x.dispose();
      x = next;
    }
    if (residual === null || added) return x;
    const y = ops.add(x, residual);
    if (free && x !== input && x !== y && x instanceof Tensor) x.dispose();
    return y;
  }
  // list methods shared with ModuleList (ts/nn/container.ts): negative indices from the end
  get length(): number {
    return moduleListOps.length(this);
  }
  at(k: number): Module {
    return moduleListOps.at(this, k);
  }
  set(k: number, m: Module): this {
    moduleListOps.set(this, k, m);
    return this;
  }
  append(m: Module): this {
    moduleListOps.append(this, m);
    return this;
  }
  extend(ms: Iterable<Module>): this {
    moduleListOps.extend(this, ms);
    return this;
  }
  insert(k: number, m: Module): this {
    moduleListOps.insert(this, k, m);
    return this;
  }
  pop(k = -1): Module {
    return moduleListOps.pop(this, k);
  }
  [Symbol.iterator](): Iterator<Module> {
    return moduleListOps.values(this)[Symbol.iterator]();
  }
}

export { ModuleList } from "./container.js";
