// The optimisers of torch.optim (PyTorch 1.13's update rules, defaults, validation messages and
// state-dict keys): SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam, RAdam. SGD and Adam/AdamW
// (without amsgrad) run one fused backend kernel per parameter; the others, and amsgrad, are
// composed from tensor ops (float32, in PyTorch's order of operations).

import { backendImpl, keep, tidy } from "../runtime.js";
import { type Tensor, markModified } from "../tensor.js";
import { A } from "../utils/args.js";
import {
  Optimizer,
  REQUIRED,
  anyNum,
  betasCheck,
  optBool,
  checkNonNeg,
  checkBetas,
  optimArgs,
  type ParamGroup,
  type ParamsArg,
} from "./optimizer.js";

/** Replaces the contents of a state tensor (or parameter) by `v`, computed inside a tidy scope. */
function set(dst: Tensor, v: Tensor): void {
  dst.copy_(v);
}
const kwBool = (d: boolean) => A.kw(A.bool, d);
const foreach = () => [optBool, null] as const;
const f32 = Math.fround;

function checkNum(name: string, v: unknown): void {
  if (typeof v !== "number" || Number.isNaN(v)) throw new RangeError(`Invalid ${name}: ${v}`);
}

// ------------------------------------------------------------------ SGD

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  foreach?: boolean | null;
}

/** `new optim.SGD(params, { lr: 0.01, momentum: 0.9 })` or `new optim.SGD(params, 0.01, 0.9)`. */
export class SGD extends Optimizer {
  constructor(
    params: ParamsArg,
    lr?: number | SGDOptions,
    momentum?: number | SGDOptions,
    dampening?: number | SGDOptions,
    weightDecay?: number | SGDOptions,
    nesterov?: boolean | SGDOptions,
    opts?: SGDOptions,
  );
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.SGD", args, {
      lr: [anyNum, REQUIRED],
      momentum: [anyNum, 0],
      dampening: [anyNum, 0],
      weightDecay: [anyNum, 0],
      nesterov: [A.bool, false],
      maximize: kwBool(false),
      foreach: A.kw(optBool, null),
    });
    super("optim.SGD", params, o);
  }
  protected validateGroup(g: Record<string, any>): void {
    if (g.lr !== REQUIRED) checkNonNeg("learning rate", g.lr);
    checkNonNeg("momentum value", g.momentum);
    checkNonNeg("weight_decay value", g.weightDecay);
    checkNum("dampening value", g.dampening);
    if (g.nesterov && (!(g.momentum > 0) || g.dampening !== 0))
      throw new RangeError("Nesterov momentum requires a momentum and zero dampening");
  }
  protected pyExtraGroupKeys() {
    return { differentiable: false };
  }
  protected update(p: Tensor, grad: Tensor, o: ParamGroup, st: Record<string, any>): void {
    tidy(() => {
      const g = o.maximize ? grad.neg() : grad;
      let first = false;
      if (o.momentum !== 0 && !st.momentumBuffer) {
        st.momentumBuffer = this.buffer(p);
        first = true;
      }
      if (o.momentum === 0) st.momentumBuffer = null;
      backendImpl().sgdStep(
        p.storage,
        g.storage,
        o.momentum !== 0 ? st.momentumBuffer.storage : null,
        o.lr,
        o.momentum,
        o.dampening,
        o.weightDecay,
        o.nesterov,
        first,
      );
      // the kernel wrote p in place: its version moves on, as an in-place op's would
      markModified(p);
    });
  }
}

// ------------------------------------------------------------------ Adam, AdamW

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  foreach?: boolean | null;
}

function validateAdam(g: Record<string, any>): void {
  checkNonNeg("learning rate", g.lr);
  checkNonNeg("epsilon value", g.eps);
  checkBetas(g.betas);
  checkNonNeg("weight_decay value", g.weightDecay);
}

/** Adam / AdamW step for one parameter (kernel unless amsgrad). */
function adamUpdate(
  buffer: (p: Tensor) => Tensor,
  p: Tensor,
  grad: Tensor,
  o: ParamGroup,
  st: Record<string, any>,
  decoupled: boolean,
) {
  if (st.step === undefined) {
    st.step = 0;
    st.expAvg = buffer(p);
    st.expAvgSq = buffer(p);
    if (o.amsgrad) st.maxExpAvgSq = buffer(p);
  }
  if (o.amsgrad && !st.maxExpAvgSq) st.maxExpAvgSq = buffer(p);
  st.step++;
  const [b1, b2] = o.betas as [number, number];
  tidy(() => {
    const g0 = o.maximize ? grad.neg() : grad;
    if (!o.amsgrad) {
      backendImpl().adamStep(
        p.storage,
        g0.storage,
        st.expAvg.storage,
        st.expAvgSq.storage,
        o.lr,
        b1,
        b2,
        o.eps,
        o.weightDecay,
        st.step,
        decoupled,
      );
      markModified(p);
      return;
    }
    let g = g0,
      pv: Tensor = p;
    if (decoupled) pv = p.mul(1 - o.lr * o.weightDecay);
    else if (o.weightDecay !== 0) g = g.add(p, o.weightDecay);
    const m = st.expAvg.mul(b1).add(g, 1 - b1);
    const v = st.expAvgSq.mul(b2).add(g.mul(g), 1 - b2);
    const vmax = st.maxExpAvgSq.maximum(v);
    const bc1 = 1 - Math.pow(b1, st.step),
      bc2 = 1 - Math.pow(b2, st.step);
    const denom = vmax.sqrt().div(Math.sqrt(bc2)).add(o.eps);
    const np = pv.sub(m.div(denom), o.lr / bc1);
    set(st.expAvg, m);
    set(st.expAvgSq, v);
    set(st.maxExpAvgSq, vmax);
    set(p, np);
  });
}

/** `new optim.Adam(params, { lr: 1e-3 })` or `new optim.Adam(params, 0.01)` (L2 weight decay added to the gradient). */
export class Adam extends Optimizer {
  constructor(
    params: ParamsArg,
    lr?: number | AdamOptions,
    betas?: [number, number] | AdamOptions,
    eps?: number | AdamOptions,
    weightDecay?: number | AdamOptions,
    amsgrad?: boolean | AdamOptions,
    opts?: AdamOptions,
  );
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.Adam", args, {
      lr: [anyNum, 1e-3],
      betas: [betasCheck, [0.9, 0.999]],
      eps: [anyNum, 1e-8],
      weightDecay: [anyNum, 0],
      amsgrad: [A.bool, false],
      foreach: A.kw(optBool, null),
      maximize: kwBool(false),
    });
    super("optim.Adam", params, o);
  }
  protected validateGroup(g: Record<string, any>): void {
    validateAdam(g);
  }
  protected tensorScalars() {
    return ["step"];
  }
  protected pyExtraGroupKeys(): Record<string, unknown> {
    return { capturable: false, differentiable: false, fused: false };
  }
  protected update(p: Tensor, g: Tensor, o: ParamGroup, st: Record<string, any>): void {
    adamUpdate((t) => this.buffer(t), p, g, o, st, false);
  }
}

/** Adam with decoupled weight decay (default 1e-2), as torch.optim.AdamW. */
export class AdamW extends Optimizer {
  constructor(
    params: ParamsArg,
    lr?: number | AdamOptions,
    betas?: [number, number] | AdamOptions,
    eps?: number | AdamOptions,
    weightDecay?: number | AdamOptions,
    amsgrad?: boolean | AdamOptions,
    opts?: AdamOptions,
  );
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.AdamW", args, {
      lr: [anyNum, 1e-3],
      betas: [betasCheck, [0.9, 0.999]],
      eps: [anyNum, 1e-8],
      weightDecay: [anyNum, 1e-2],
      amsgrad: [A.bool, false],
      maximize: kwBool(false),
      foreach: A.kw(optBool, null),
    });
    super("optim.AdamW", params, o);
  }
  protected validateGroup(g: Record<string, any>): void {
    validateAdam(g);
  }
  protected tensorScalars() {
    return ["step"];
  }
  protected pyExtraGroupKeys(): Record<string, unknown> {
    return { capturable: false };
  }
  protected update(p: Tensor, g: Tensor, o: ParamGroup, st: Record<string, any>): void {
    adamUpdate((t) => this.buffer(t), p, g, o, st, true);
  }
}

// ------------------------------------------------------------------ RMSprop

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  foreach?: boolean | null;
  maximize?: boolean;
}

/** torch.optim.RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, foreach, maximize). */
export class RMSprop extends Optimizer {
  constructor(params: ParamsArg, lr?: number | RMSpropOptions, ...rest: unknown[]);
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.RMSprop", args, {
      lr: [anyNum, 1e-2],
      alpha: [anyNum, 0.99],
      eps: [anyNum, 1e-8],
      weightDecay: [anyNum, 0],
      momentum: [anyNum, 0],
      centered: [A.bool, false],
      foreach: foreach(),
      maximize: [A.bool, false],
    });
    // PyTorch's group key order: lr, momentum, alpha, eps, centered, weight_decay, foreach, maximize
    const { lr, momentum, alpha, eps, centered, weightDecay, foreach: fe, maximize } = o;
    super("optim.RMSprop", params, { lr, momentum, alpha, eps, centered, weightDecay, foreach: fe, maximize });
  }
  protected validateGroup(g: Record<string, any>): void {
    checkNonNeg("learning rate", g.lr);
    checkNonNeg("epsilon value", g.eps);
    checkNonNeg("momentum value", g.momentum);
    checkNonNeg("weight_decay value", g.weightDecay);
    checkNonNeg("alpha value", g.alpha);
  }
  protected pyExtraGroupKeys() {
    return { differentiable: false };
  }
  protected update(p: Tensor, grad: Tensor, o: ParamGroup, st: Record<string, any>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.squareAvg = this.buffer(p);
      if (o.momentum > 0) st.momentumBuffer = this.buffer(p);
      if (o.centered) st.gradAvg = this.buffer(p);
    }
    if (o.momentum > 0 && !st.momentumBuffer) st.momentumBuffer = this.buffer(p);
    if (o.centered && !st.gradAvg) st.gradAvg = this.buffer(p);
    st.step++;
    tidy(() => {
      let g = o.maximize ? grad.neg() : grad;
      if (o.weightDecay !== 0) g = g.add(p, o.weightDecay);
      const sq = st.squareAvg.mul(o.alpha).add(g.mul(g), 1 - o.alpha);
      let avg: Tensor;
      if (o.centered) {
        const ga = st.gradAvg.mul(o.alpha).add(g, 1 - o.alpha);
        avg = sq.sub(ga.mul(ga)).sqrt();
        set(st.gradAvg, ga);
      } else avg = sq.sqrt();
      avg = avg.add(o.eps);
      set(st.squareAvg, sq);
      if (o.momentum > 0) {
        const buf = st.momentumBuffer.mul(o.momentum).add(g.div(avg));
        set(st.momentumBuffer, buf);
        set(p, p.sub(buf, o.lr));
      } else set(p, p.sub(g.div(avg), o.lr));
    });
  }
}

// ------------------------------------------------------------------ Adagrad

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  foreach?: boolean | null;
  maximize?: boolean;
}

/** torch.optim.Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, foreach, *, maximize). */
export class Adagrad extends Optimizer {
  constructor(params: ParamsArg, lr?: number | AdagradOptions, ...rest: unknown[]);
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.Adagrad", args, {
      lr: [anyNum, 1e-2],
      lrDecay: [anyNum, 0],
      weightDecay: [anyNum, 0],
      initialAccumulatorValue: [anyNum, 0],
      eps: [anyNum, 1e-10],
      foreach: foreach(),
      maximize: kwBool(false),
    });
    const { lr, lrDecay, eps, weightDecay, initialAccumulatorValue, foreach: fe, maximize } = o;
    super("optim.Adagrad", params, { lr, lrDecay, eps, weightDecay, initialAccumulatorValue, foreach: fe, maximize });
    // PyTorch 1.13 creates the state of the constructor's groups here, with the constructor's
    // initial_accumulator_value (not a group's own); groups added later get theirs on first step
    for (const g of this.paramGroups)
      for (const p of g.params) this.state.set(p, { step: 0, sum: this.buffer(p, initialAccumulatorValue) });
  }
  protected validateGroup(g: Record<string, any>): void {
    checkNonNeg("learning rate", g.lr);
    checkNonNeg("lr_decay value", g.lrDecay);
    checkNonNeg("weight_decay value", g.weightDecay);
    checkNonNeg("initial_accumulator_value value", g.initialAccumulatorValue);
    checkNonNeg("epsilon value", g.eps);
  }
  protected tensorScalars() {
    return ["step"];
  }
  protected update(p: Tensor, grad: Tensor, o: ParamGroup, st: Record<string, any>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.sum = this.buffer(p, o.initialAccumulatorValue);
    }
    st.step++;
    tidy(() => {
      let g = o.maximize ? grad.neg() : grad;
      if (o.weightDecay !== 0) g = g.add(p, o.weightDecay);
      const clr = o.lr / (1 + (st.step - 1) * o.lrDecay);
      const sum = st.sum.add(g.mul(g));
      const std = sum.sqrt().add(o.eps);
      set(st.sum, sum);
      set(p, p.sub(g.div(std), clr));
    });
  }
}

// ------------------------------------------------------------------ Adamax

export interface AdamaxOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  foreach?: boolean | null;
  maximize?: boolean;
}

/** torch.optim.Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach, *, maximize). */
export class Adamax extends Optimizer {
  constructor(params: ParamsArg, lr?: number | AdamaxOptions, ...rest: unknown[]);
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.Adamax", args, {
      lr: [anyNum, 2e-3],
      betas: [betasCheck, [0.9, 0.999]],
      eps: [anyNum, 1e-8],
      weightDecay: [anyNum, 0],
      foreach: foreach(),
      maximize: kwBool(false),
    });
    super("optim.Adamax", params, o);
  }
  protected validateGroup(g: Record<string, any>): void {
    validateAdam(g);
  }
  protected tensorScalars() {
    return ["step"];
  }
  protected update(p: Tensor, grad: Tensor, o: ParamGroup, st: Record<string, any>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.expAvg = this.buffer(p);
      st.expInf = this.buffer(p);
    }
    st.step++;
    const [b1, b2] = o.betas as [number, number];
    tidy(() => {
      let g = o.maximize ? grad.neg() : grad;
      if (o.weightDecay !== 0) g = g.add(p, o.weightDecay);
      const m = st.expAvg.mul(b1).add(g, 1 - b1);
      const inf = st.expInf.mul(b2).maximum(g.abs().add(o.eps));
      const clr = o.lr / (1 - Math.pow(b1, st.step));
      set(st.expAvg, m);
      set(st.expInf, inf);
      set(p, p.sub(m.div(inf), clr));
    });
  }
}

// ------------------------------------------------------------------ NAdam, RAdam

export interface NAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  momentumDecay?: number;
  foreach?: boolean | null;
}

/** torch.optim.NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, foreach) (PyTorch 1.13: no maximize, no decoupled weight decay). */
export class NAdam extends Optimizer {
  constructor(params: ParamsArg, lr?: number | NAdamOptions, ...rest: unknown[]);
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.NAdam", args, {
      lr: [anyNum, 2e-3],
      betas: [betasCheck, [0.9, 0.999]],
      eps: [anyNum, 1e-8],
      weightDecay: [anyNum, 0],
      momentumDecay: [anyNum, 4e-3],
      foreach: foreach(),
    });
    super("optim.NAdam", params, o);
  }
  protected validateGroup(g: Record<string, any>): void {
    validateAdam(g);
    checkNonNeg("momentum_decay value", g.momentumDecay);
  }
  protected tensorScalars() {
    return ["step", "muProduct"];
  }
  protected update(p: Tensor, grad: Tensor, o: ParamGroup, st: Record<string, any>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.muProduct = 1;
      st.expAvg = this.buffer(p);
      st.expAvgSq = this.buffer(p);
    }
    st.step++;
    const step = st.step;
    const [b1, b2] = o.betas as [number, number];
    const bc2 = 1 - Math.pow(b2, step);
    const mu = b1 * (1 - 0.5 * Math.pow(0.96, step * o.momentumDecay));
    const muNext = b1 * (1 - 0.5 * Math.pow(0.96, (step + 1) * o.momentumDecay));
    // mu_product is a float32 tensor in PyTorch
    st.muProduct = f32(f32(st.muProduct) * f32(mu));
    const muProductNext = f32(f32(st.muProduct * f32(mu)) * f32(muNext));
    tidy(() => {
      let g = grad;
      if (o.weightDecay !== 0) g = g.add(p, o.weightDecay);
      const m = st.expAvg.mul(b1).add(g, 1 - b1);
      const v = st.expAvgSq.mul(b2).add(g.mul(g), 1 - b2);
      const denom = v.div(bc2).sqrt().add(o.eps);
      const p1 = p.sub(g.div(denom), (o.lr * (1 - mu)) / (1 - st.muProduct));
      const p2 = p1.sub(m.div(denom), (o.lr * muNext) / (1 - muProductNext));
      set(st.expAvg, m);
      set(st.expAvgSq, v);
      set(p, p2);
    });
  }
}

export interface RAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  foreach?: boolean | null;
}

/** torch.optim.RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach) (PyTorch 1.13). */
export class RAdam extends Optimizer {
  constructor(params: ParamsArg, lr?: number | RAdamOptions, ...rest: unknown[]);
  constructor(params: ParamsArg, ...args: unknown[]) {
    const o = optimArgs("optim.RAdam", args, {
      lr: [anyNum, 1e-3],
      betas: [betasCheck, [0.9, 0.999]],
      eps: [anyNum, 1e-8],
      weightDecay: [anyNum, 0],
      foreach: foreach(),
    });
    super("optim.RAdam", params, o);
  }
  protected validateGroup(g: Record<string, any>): void {
    validateAdam(g);
  }
  protected tensorScalars() {
    return ["step"];
  }
  protected update(p: Tensor, grad: Tensor, o: ParamGroup, st: Record<string, any>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.expAvg = this.buffer(p);
      st.expAvgSq = this.buffer(p);
    }
    st.step++;
    const step = st.step;
    const [b1, b2] = o.betas as [number, number];
    const bc1 = 1 - Math.pow(b1, step),
      bc2 = 1 - Math.pow(b2, step);
    tidy(() => {
      let g = grad;
      if (o.weightDecay !== 0) g = g.add(p, o.weightDecay);
      const m = st.expAvg.mul(b1).add(g, 1 - b1);
      const v = st.expAvgSq.mul(b2).add(g.mul(g), 1 - b2);
      const bcm = m.div(bc1);
      const rhoInf = 2 / (1 - b2) - 1;
      const rhoT = rhoInf - (2 * step * Math.pow(b2, step)) / bc2;
      let np: Tensor;
      if (rhoT > 5) {
        const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        const adaptive = v.sqrt().add(o.eps).reciprocal().mul(Math.sqrt(bc2));
        np = p.sub(bcm.mul(o.lr).mul(adaptive).mul(rect));
      } else np = p.sub(bcm.mul(o.lr));
      set(st.expAvg, m);
      set(st.expAvgSq, v);
      set(p, np);
    });
  }
}
