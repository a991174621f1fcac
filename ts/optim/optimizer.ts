// Optimisers: SGD (momentum, dampening, nesterov, weight decay), Adam and AdamW, step for step as
// PyTorch. Each update is one fused backend kernel per parameter.

import { backendImpl, keep } from "../runtime.js";
import { full } from "../ops.js";
import type { Tensor } from "../tensor.js";

export interface ParamGroup<O> { params: Tensor[]; options: O }

export abstract class Optimizer<O extends { lr: number }> {
  readonly paramGroups: ParamGroup<O>[];
  /** Per-parameter state (momentum buffers, moments, step counts). */
  readonly state = new Map<Tensor, Record<string, any>>();

  constructor(params: Iterable<Tensor> | { params: Iterable<Tensor>; [k: string]: unknown }[], defaults: O) {
    const list = [...(params as Iterable<any>)];
    if (!list.length) throw new RangeError("optimizer got an empty parameter list");
    const groups = list[0] && typeof list[0] === "object" && "params" in list[0] && !("shape" in list[0])
      ? (list as { params: Iterable<Tensor> }[]).map((g) => ({ params: [...g.params], options: { ...defaults, ...g, params: undefined } as O }))
      : [{ params: list as Tensor[], options: { ...defaults } }];
    for (const g of groups) {
      for (const p of g.params) if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
    }
    this.paramGroups = groups;
  }

  /** Clears the gradients (set to null, as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) for (const p of g.params) {
      if (!p.grad) continue;
      if (setToNone) { p.grad.dispose(); p.grad = null; } else p.grad.zero_();
    }
  }

  /** Applies one update. Checks every parameter first, so a failing step changes nothing. */
  step(): void {
    const work: [Tensor, O][] = [];
    for (const g of this.paramGroups) for (const p of g.params) {
      if (!p.grad) continue;
      if (p.isDisposed) throw new Error("optimizer step: a parameter has been disposed");
      if (p.grad.isDisposed) throw new Error("optimizer step: a gradient has been disposed");
      if (p.grad.shape.length !== p.shape.length || p.grad.shape.some((d, k) => d !== p.shape[k])) {
        throw new RangeError(`optimizer step: gradient of shape [${p.grad.shape.join(", ")}] does not match parameter of shape [${p.shape.join(", ")}] (assigned grad has data of a different size)`);
      }
      if (p.grad.dtype !== p.dtype) {
        throw new TypeError(`optimizer step: gradient has dtype ${p.grad.dtype} but the parameter is ${p.dtype} (assigned grad has data of a different type)`);
      }
      if (!p.isDense()) throw new Error("optimizer step: parameters must be contiguous");
      work.push([p, g.options]);
    }
    for (const [p, o] of work) {
      let st = this.state.get(p);
      if (!st) { st = {}; this.state.set(p, st); }
      const g = p.grad!.dense();
      this.update(p, g, o, st);
      if (g !== p.grad) g.dispose();
    }
  }

  protected abstract update(p: Tensor, g: Tensor, o: O, state: Record<string, any>): void;

  protected buffer(p: Tensor): Tensor { return keep(full(p.shape.slice(), 0)); }
}

export interface SGDOptions { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; maximize?: boolean }

/** `new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })`. */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    if (opts.lr === undefined || opts.lr < 0) throw new RangeError(`Invalid learning rate: ${opts.lr}`);
    if ((opts.momentum ?? 0) < 0) throw new RangeError(`Invalid momentum value: ${opts.momentum}`);
    if ((opts.weightDecay ?? 0) < 0) throw new RangeError(`Invalid weight_decay value: ${opts.weightDecay}`);
    if (opts.nesterov && (!(opts.momentum ?? 0) || (opts.dampening ?? 0) !== 0)) {
      throw new RangeError("Nesterov momentum requires a momentum and zero dampening");
    }
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...opts });
  }
  protected update(p: Tensor, g: Tensor, o: SGDOptions, st: Record<string, any>): void {
    const momentum = o.momentum ?? 0;
    let first = false;
    if (momentum !== 0 && !st.momentumBuffer) { st.momentumBuffer = this.buffer(p); first = true; }
    backendImpl().sgdStep(p.storage, g.storage, momentum !== 0 ? st.momentumBuffer.storage : null, o.lr,
      momentum, o.dampening ?? 0, o.weightDecay ?? 0, o.nesterov ?? false, first);
  }
}

export interface AdamOptions { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean }

function checkAdam(o: Partial<AdamOptions>) {
  if ((o.lr ?? 0) < 0) throw new RangeError(`Invalid learning rate: ${o.lr}`);
  if ((o.eps ?? 0) < 0) throw new RangeError(`Invalid epsilon value: ${o.eps}`);
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  if (!(b1 >= 0 && b1 < 1)) throw new RangeError(`Invalid beta parameter at index 0: ${b1}`);
  if (!(b2 >= 0 && b2 < 1)) throw new RangeError(`Invalid beta parameter at index 1: ${b2}`);
  if (o.amsgrad) throw new RangeError("amsgrad is not supported yet");
}

/** `new optim.Adam(model.parameters(), { lr: 1e-3 })` (L2 weight decay added to the gradient). */
export class Adam extends Optimizer<AdamOptions> {
  protected decoupled = false;
  constructor(params: Iterable<Tensor>, opts: Partial<AdamOptions> = {}) {
    checkAdam(opts);
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts } as AdamOptions);
  }
  protected update(p: Tensor, g: Tensor, o: AdamOptions, st: Record<string, any>): void {
    if (!st.expAvg) { st.step = 0; st.expAvg = this.buffer(p); st.expAvgSq = this.buffer(p); }
    st.step++;
    const [b1, b2] = o.betas!;
    backendImpl().adamStep(p.storage, g.storage, st.expAvg.storage, st.expAvgSq.storage, o.lr, b1, b2, o.eps!,
      o.weightDecay ?? 0, st.step, this.decoupled);
  }
}

/** Adam with decoupled weight decay (default 1e-2), as torch.optim.AdamW. */
export class AdamW extends Adam {
  constructor(params: Iterable<Tensor>, opts: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...opts });
    this.decoupled = true;
  }
}
