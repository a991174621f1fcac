// torch.optim.lr_scheduler (PyTorch 1.13): the same learning rates step for step, including the
// chainable (recursive) forms that step() uses and the closed forms that step(epoch) uses, and
// state dicts with PyTorch's keys (T_max, eta_min, last_epoch, base_lrs, _last_lr, ...).

import { Optimizer } from "./optimizer.js";
import { parseArgs, A, type Check } from "../utils/args.js";

const jsKey = (k: string) => {
  if (k === "T_i") return "Ti";
  const lead = /^_*/.exec(k)![0];
  return lead + k.slice(lead.length).replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
};
/** Python's "{:.4e}". */
const e4 = (v: number) => v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
const copyVal = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(copyVal)
    : v && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyVal(x)]))
      : v;

const num = Object.assign((v: unknown) => typeof v === "number" && !Number.isNaN(v), {
  desc: "a number",
}) as Check<number>;
const numOrList = Object.assign(
  (v: unknown) =>
    (typeof v === "number" && !Number.isNaN(v)) || (Array.isArray(v) && v.every((x) => typeof x === "number")),
  { desc: "a number or a list of numbers (one per parameter group)" },
) as Check<number | number[]>;
const fnOrList = Object.assign(
  (v: unknown) => typeof v === "function" || (Array.isArray(v) && v.every((x) => typeof x === "function")),
  { desc: "a function or a list of functions (one per parameter group)" },
) as Check<((e: number) => number) | ((e: number) => number)[]>;

function checkOptimizer(name: string, o: unknown): asserts o is Optimizer {
  if (!(o instanceof Optimizer)) {
    throw new TypeError(
      `${o === null || o === undefined ? String(o) : ((o as object).constructor?.name ?? typeof o)} is not an Optimizer (${name})`,
    );
  }
}
function perGroup<T>(name: string, opt: Optimizer, v: T | T[]): T[] {
  if (Array.isArray(v)) {
    if (v.length !== opt.paramGroups.length)
      throw new RangeError(`expected ${opt.paramGroups.length} values for ${name}, got ${v.length}`);
    return v.slice();
  }
  return opt.paramGroups.map(() => v);
}

/** The base of the epoch-driven schedulers (PyTorch's _LRScheduler). */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  baseLrs: number[] = [];
  lastEpoch = -1;
  verbose = false;
  _stepCount = 0;
  _getLrCalledWithinStep = false;
  _lastLr: number[] = [];
  /** The PyTorch __dict__ keys of the subclass (before the base ones), for stateDict. */
  protected abstract ownKeys(): string[];

  protected constructor(name: string, optimizer: Optimizer) {
    checkOptimizer(name, optimizer);
    this.optimizer = optimizer;
  }

  /** PyTorch's _LRScheduler.__init__ tail: initial_lr, base_lrs, then the initial step. */
  protected init(lastEpoch: number, verbose: boolean): void {
    if (lastEpoch === -1) {
      for (const g of this.optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      this.optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined)
          throw new RangeError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
      });
    }
    this.baseLrs = this.optimizer.paramGroups.map((g) => g.initialLr);
    this.lastEpoch = lastEpoch;
    this.verbose = verbose;
    this._initialStep();
  }
  _initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** The learning rates of the chainable form (called by step()). */
  abstract getLr(): number[];
  protected closedFormLr?(): number[];

  getLastLr(): number[] {
    return this._lastLr.slice();
  }

  /** Advances one epoch (or, deprecated as in PyTorch, jumps to `epoch` using the closed form where there is one). */
  step(epoch?: number): void {
    this._stepCount += 1;
    this._getLrCalledWithinStep = true;
    let values: number[];
    try {
      if (epoch === undefined || epoch === null) {
        this.lastEpoch += 1;
        values = this.getLr();
      } else {
        if (typeof epoch !== "number" || Number.isNaN(epoch))
          throw new TypeError(`${this.constructor.name}.step: epoch must be a number, got ${String(epoch)}`);
        this.lastEpoch = epoch;
        values = this.closedFormLr ? this.closedFormLr() : this.getLr();
      }
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
      if (this.verbose) console.log(`Adjusting learning rate of group ${i} to ${e4(values[i])}.`);
    });
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  protected baseKeys(): string[] {
    return ["base_lrs", "last_epoch", "verbose", "_step_count", "_get_lr_called_within_step", "_last_lr"];
  }

  /** Everything but the optimizer, under PyTorch's keys. */
  stateDict(): Record<string, any> {
    const out: Record<string, any> = {};
    for (const k of [...this.ownKeys(), ...this.baseKeys()]) out[k] = copyVal((this as any)[jsKey(k)]);
    return out;
  }
  /** Restores a state dict from stateDict() here or PyTorch's scheduler.state_dict(). Unknown keys are ignored. */
  loadStateDict(sd: Record<string, any>): void {
    if (!sd || typeof sd !== "object")
      throw new TypeError(`${this.constructor.name}.loadStateDict: expected an object`);
    const known = new Set([...this.ownKeys(), ...this.baseKeys()]);
    for (const [k, v] of Object.entries(sd)) if (known.has(k)) (this as any)[jsKey(k)] = copyVal(v);
  }
}

// ------------------------------------------------------------------ simple multiplicative schedules

/** lr = base_lr * lrLambda(epoch). */
export class LambdaLR extends LRScheduler {
  lrLambdas: ((e: number) => number)[];
  constructor(
    optimizer: Optimizer,
    lrLambda: ((e: number) => number) | ((e: number) => number)[],
    lastEpoch?: number | { lastEpoch?: number; verbose?: boolean },
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("LambdaLR", optimizer);
    const o = parseArgs("lrScheduler.LambdaLR", args, {
      lrLambda: fnOrList,
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    if (Array.isArray(o.lrLambda) && o.lrLambda.length !== optimizer.paramGroups.length) {
      throw new RangeError(`Expected ${optimizer.paramGroups.length} lr_lambdas, but got ${o.lrLambda.length}`);
    }
    this.lrLambdas = perGroup("lr_lambda", optimizer, o.lrLambda as any);
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return [];
  }
  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch));
  }
  stateDict(): Record<string, any> {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

/** lr = lr * lrLambda(epoch) each step (from epoch 1). */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: ((e: number) => number)[];
  constructor(
    optimizer: Optimizer,
    lrLambda: ((e: number) => number) | ((e: number) => number)[],
    lastEpoch?: number | { lastEpoch?: number; verbose?: boolean },
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("MultiplicativeLR", optimizer);
    const o = parseArgs("lrScheduler.MultiplicativeLR", args, {
      lrLambda: fnOrList,
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    if (Array.isArray(o.lrLambda) && o.lrLambda.length !== optimizer.paramGroups.length) {
      throw new RangeError(`Expected ${optimizer.paramGroups.length} lr_lambdas, but got ${o.lrLambda.length}`);
    }
    this.lrLambdas = perGroup("lr_lambda", optimizer, o.lrLambda as any);
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return [];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups;
    return this.lastEpoch > 0 ? gs.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch)) : gs.map((g) => g.lr);
  }
  stateDict(): Record<string, any> {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

/** Decays lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(
    optimizer: Optimizer,
    stepSize: number,
    gamma?: number | { gamma?: number; lastEpoch?: number; verbose?: boolean },
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("StepLR", optimizer);
    const o = parseArgs("lrScheduler.StepLR", args, {
      stepSize: A.posInt,
      gamma: [num, 0.1],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    this.stepSize = o.stepSize;
    this.gamma = o.gamma;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["step_size", "gamma"];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return gs.map((g) => g.lr);
    return gs.map((g) => g.lr * this.gamma);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Decays lr by gamma at each milestone (a milestone listed twice decays twice). */
export class MultiStepLR extends LRScheduler {
  /** PyTorch's Counter: milestone -> count. */
  milestones: Record<number, number>;
  gamma: number;
  constructor(
    optimizer: Optimizer,
    milestones: number[],
    gamma?: number | { gamma?: number; lastEpoch?: number; verbose?: boolean },
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("MultiStepLR", optimizer);
    const o = parseArgs("lrScheduler.MultiStepLR", args, {
      milestones: A.ints,
      gamma: [num, 0.1],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    this.milestones = {};
    for (const m of o.milestones) this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    this.gamma = o.gamma;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["milestones", "gamma"];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups;
    const c = this.milestones[this.lastEpoch];
    if (!c) return gs.map((g) => g.lr);
    return gs.map((g) => g.lr * this.gamma ** c);
  }
  protected closedFormLr(): number[] {
    let n = 0;
    for (const [m, c] of Object.entries(this.milestones)) if (Number(m) <= this.lastEpoch) n += c;
    return this.baseLrs.map((b) => b * this.gamma ** n);
  }
}

/** lr * factor until totalIters, then lr. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(
    optimizer: Optimizer,
    factor?: number | { factor?: number; totalIters?: number; lastEpoch?: number; verbose?: boolean },
    totalIters?: number,
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("ConstantLR", optimizer);
    const o = parseArgs("lrScheduler.ConstantLR", args, {
      factor: [num, 1 / 3],
      totalIters: [A.int, 5],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    if (o.factor > 1 || o.factor < 0)
      throw new RangeError("Constant multiplicative factor expected to be between 0 and 1.");
    this.factor = o.factor;
    this.totalIters = o.totalIters;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["factor", "total_iters"];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return gs.map((g) => g.lr * this.factor);
    if (this.lastEpoch > this.totalIters || this.lastEpoch !== this.totalIters) return gs.map((g) => g.lr);
    return gs.map((g) => g.lr * (1 / this.factor));
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
}

/** Linear warm-up (or decay) of the factor from startFactor to endFactor over totalIters. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(
    optimizer: Optimizer,
    startFactor?:
      | number
      | { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number; verbose?: boolean },
    endFactor?: number,
    totalIters?: number,
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("LinearLR", optimizer);
    const o = parseArgs("lrScheduler.LinearLR", args, {
      startFactor: [num, 1 / 3],
      endFactor: [num, 1],
      totalIters: [A.int, 5],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    if (o.startFactor > 1 || o.startFactor < 0)
      throw new RangeError("Starting multiplicative factor expected to be between 0 and 1.");
    if (o.endFactor > 1 || o.endFactor < 0)
      throw new RangeError("Ending multiplicative factor expected to be between 0 and 1.");
    this.startFactor = o.startFactor;
    this.endFactor = o.endFactor;
    this.totalIters = o.totalIters;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["start_factor", "end_factor", "total_iters"];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return gs.map((g) => g.lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return gs.map((g) => g.lr);
    const d = this.endFactor - this.startFactor;
    return gs.map((g) => g.lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) =>
        b *
        (this.startFactor +
          ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }
}

/** lr * gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(
    optimizer: Optimizer,
    gamma: number,
    lastEpoch?: number | { lastEpoch?: number; verbose?: boolean },
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("ExponentialLR", optimizer);
    const o = parseArgs("lrScheduler.ExponentialLR", args, {
      gamma: num,
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    this.gamma = o.gamma;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["gamma"];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups;
    return this.lastEpoch === 0 ? gs.map((g) => g.lr) : gs.map((g) => g.lr * this.gamma);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** Polynomial decay to 0 over totalIters (PyTorch 1.13). */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(
    optimizer: Optimizer,
    totalIters?: number | { totalIters?: number; power?: number; lastEpoch?: number; verbose?: boolean },
    power?: number,
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("PolynomialLR", optimizer);
    const o = parseArgs("lrScheduler.PolynomialLR", args, {
      totalIters: [A.int, 5],
      power: [num, 1],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    this.totalIters = o.totalIters;
    this.power = o.power;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["total_iters", "power"];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return gs.map((g) => g.lr);
    const f = ((1 - this.lastEpoch / this.totalIters) / (1 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return gs.map((g) => g.lr * f);
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

/** Cosine annealing to etaMin over T_max epochs: PyTorch 1.13's recursive form under step(). */
export class CosineAnnealingLR extends LRScheduler {
  TMax: number;
  etaMin: number;
  constructor(
    optimizer: Optimizer,
    TMax: number,
    etaMin?: number | { etaMin?: number; lastEpoch?: number; verbose?: boolean },
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("CosineAnnealingLR", optimizer);
    const o = parseArgs("lrScheduler.CosineAnnealingLR", args, {
      TMax: num,
      etaMin: [num, 0],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    this.TMax = o.TMax;
    this.etaMin = o.etaMin;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["T_max", "eta_min"];
  }
  getLr(): number[] {
    const gs = this.optimizer.paramGroups,
      e = this.lastEpoch,
      T = this.TMax,
      m = this.etaMin;
    if (e === 0) return gs.map((g) => g.lr);
    if (this._stepCount === 1 && e > 0)
      return this.baseLrs.map((b) => m + ((b - m) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    if (pyMod(e - 1 - T, 2 * T) === 0)
      return gs.map((g, i) => g.lr + ((this.baseLrs[i] - m) * (1 - Math.cos(Math.PI / T))) / 2);
    return gs.map(
      (g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - m) + m,
    );
  }
  protected closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.TMax))) / 2,
    );
  }
}

/** Python's % (the sign of the divisor). */
function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** Cosine annealing with warm restarts every T_i epochs (T_i = T_0 * T_mult^k). */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T0: number;
  Ti: number;
  TMult: number;
  etaMin: number;
  TCur: number;
  constructor(
    optimizer: Optimizer,
    T0: number,
    TMult?: number | { TMult?: number; etaMin?: number; lastEpoch?: number; verbose?: boolean },
    etaMin?: number,
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("CosineAnnealingWarmRestarts", optimizer);
    const o = parseArgs("lrScheduler.CosineAnnealingWarmRestarts", args, {
      T0: num,
      TMult: [num, 1],
      etaMin: [num, 0],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    if (!(Number.isInteger(o.T0) && o.T0 > 0)) throw new RangeError(`Expected positive integer T_0, but got ${o.T0}`);
    if (!(Number.isInteger(o.TMult) && o.TMult >= 1))
      throw new RangeError(`Expected integer T_mult >= 1, but got ${o.TMult}`);
    this.T0 = o.T0;
    this.Ti = o.T0;
    this.TMult = o.TMult;
    this.etaMin = o.etaMin;
    this.TCur = o.lastEpoch;
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["T_0", "T_i", "T_mult", "eta_min", "T_cur"];
  }
  getLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.TCur) / this.Ti))) / 2,
    );
  }
  step(epoch?: number): void {
    if ((epoch === undefined || epoch === null) && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined || epoch === null) {
      epoch = this.lastEpoch + 1;
      this.TCur = this.TCur + 1;
      if (this.TCur >= this.Ti) {
        this.TCur = this.TCur - this.Ti;
        this.Ti = this.Ti * this.TMult;
      }
    } else {
      if (epoch < 0) throw new RangeError(`Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.T0) {
        if (this.TMult === 1) this.TCur = epoch % this.T0;
        else {
          const n = Math.trunc(Math.log((epoch / this.T0) * (this.TMult - 1) + 1) / Math.log(this.TMult));
          this.TCur = epoch - (this.T0 * (this.TMult ** n - 1)) / (this.TMult - 1);
          this.Ti = this.T0 * this.TMult ** n;
        }
      } else {
        this.Ti = this.T0;
        this.TCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    this._getLrCalledWithinStep = true;
    let values: number[];
    try {
      values = this.getLr();
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
    });
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}

// ------------------------------------------------------------------ cyclic schedules

/** Cyclical learning rates (triangular, triangular2, exp_range or a custom scaleFn), cycling momentum too. */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: string;
  gamma: number;
  _scaleFnCustom: ((x: number) => number) | null;
  scaleMode: string;
  cycleMomentum: boolean;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  constructor(
    optimizer: Optimizer,
    baseLr: number | number[],
    maxLr: number | number[],
    opts?: {
      stepSizeUp?: number;
      stepSizeDown?: number | null;
      mode?: "triangular" | "triangular2" | "exp_range";
      gamma?: number;
      scaleFn?: ((x: number) => number) | null;
      scaleMode?: "cycle" | "iterations";
      cycleMomentum?: boolean;
      baseMomentum?: number | number[];
      maxMomentum?: number | number[];
      lastEpoch?: number;
      verbose?: boolean;
    },
  );
  constructor(optimizer: Optimizer, ...rest: unknown[]);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("CyclicLR", optimizer);
    const o = parseArgs("lrScheduler.CyclicLR", args, {
      baseLr: numOrList,
      maxLr: numOrList,
      stepSizeUp: [num, 2000],
      stepSizeDown: [A.nullable(num), null],
      mode: [A.str, "triangular"],
      gamma: [num, 1],
      scaleFn: [A.nullable(A.func), null],
      scaleMode: [A.oneOf("cycle", "iterations"), "cycle"],
      cycleMomentum: [A.bool, true],
      baseMomentum: [numOrList, 0.8],
      maxMomentum: [numOrList, 0.9],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    const baseLrs = perGroup("base_lr", optimizer, o.baseLr);
    if (o.lastEpoch === -1)
      baseLrs.forEach((lr, i) => {
        optimizer.paramGroups[i].lr = lr;
      });
    this.maxLrs = perGroup("max_lr", optimizer, o.maxLr);
    const up = o.stepSizeUp,
      down = o.stepSizeDown ?? up;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    if (!["triangular", "triangular2", "exp_range"].includes(o.mode) && !o.scaleFn)
      throw new RangeError("mode is invalid and scale_fn is None");
    this.mode = o.mode;
    this.gamma = o.gamma;
    this._scaleFnCustom = o.scaleFn as any;
    this.scaleMode = o.scaleFn ? o.scaleMode : o.mode === "exp_range" ? "iterations" : "cycle";
    this.cycleMomentum = o.cycleMomentum;
    if (o.cycleMomentum) {
      if (!("momentum" in optimizer.defaults))
        throw new RangeError("optimizer must support momentum with `cycle_momentum` option enabled");
      const bm = perGroup("base_momentum", optimizer, o.baseMomentum);
      if (o.lastEpoch === -1)
        bm.forEach((m, i) => {
          optimizer.paramGroups[i].momentum = m;
        });
      this.baseMomentums = optimizer.paramGroups.map((g) => g.momentum);
      this.maxMomentums = perGroup("max_momentum", optimizer, o.maxMomentum);
    }
    this.init(o.lastEpoch, o.verbose);
    this.baseLrs = baseLrs;
  }
  protected ownKeys() {
    return [
      "max_lrs",
      "total_size",
      "step_ratio",
      "mode",
      "gamma",
      "_scale_fn_custom",
      "scale_mode",
      "cycle_momentum",
      ...(this.cycleMomentum ? ["base_momentums", "max_momentums"] : []),
    ];
  }
  stateDict(): Record<string, any> {
    const sd = super.stateDict();
    if (sd._scale_fn_custom) sd._scale_fn_custom = null;
    return sd;
  }
  scaleFn(x: number): number {
    if (this._scaleFnCustom) return this._scaleFnCustom(x);
    if (this.mode === "triangular") return 1;
    if (this.mode === "triangular2") return 1 / 2 ** (x - 1);
    return this.gamma ** x;
  }
  getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scale = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const at = this.scaleMode === "cycle" ? cycle : this.lastEpoch;
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * scale * this.scaleFn(at));
    if (this.cycleMomentum) {
      this.baseMomentums.forEach((bm, i) => {
        const mm = this.maxMomentums[i];
        this.optimizer.paramGroups[i].momentum = mm - (mm - bm) * scale * this.scaleFn(at);
      });
    }
    return lrs;
  }
}

interface Phase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}
const groupKey: Record<string, string> = {
  initial_lr: "initialLr",
  max_lr: "maxLr",
  min_lr: "minLr",
  max_momentum: "maxMomentum",
  base_momentum: "baseMomentum",
};

/** The 1cycle policy (warm-up to maxLr, then annealing to maxLr / divFactor / finalDivFactor), cycling momentum or beta1. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  _schedulePhases: Phase[];
  annealStrategy: "cos" | "linear";
  cycleMomentum: boolean;
  useBeta1 = false;
  constructor(
    optimizer: Optimizer,
    maxLr: number | number[],
    opts?: {
      totalSteps?: number | null;
      epochs?: number | null;
      stepsPerEpoch?: number | null;
      pctStart?: number;
      annealStrategy?: "cos" | "linear";
      cycleMomentum?: boolean;
      baseMomentum?: number | number[];
      maxMomentum?: number | number[];
      divFactor?: number;
      finalDivFactor?: number;
      threePhase?: boolean;
      lastEpoch?: number;
      verbose?: boolean;
    },
  );
  constructor(optimizer: Optimizer, ...rest: unknown[]);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    super("OneCycleLR", optimizer);
    const o = parseArgs("lrScheduler.OneCycleLR", args, {
      maxLr: numOrList,
      totalSteps: [A.nullable(A.any), null],
      epochs: [A.nullable(A.any), null],
      stepsPerEpoch: [A.nullable(A.any), null],
      pctStart: [num, 0.3],
      annealStrategy: [A.str, "cos"],
      cycleMomentum: [A.bool, true],
      baseMomentum: [numOrList, 0.85],
      maxMomentum: [numOrList, 0.95],
      divFactor: [num, 25],
      finalDivFactor: [num, 1e4],
      threePhase: [A.bool, false],
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
    if (o.totalSteps == null && o.epochs == null && o.stepsPerEpoch == null)
      throw new RangeError("You must define either total_steps OR (epochs AND steps_per_epoch)");
    if (o.totalSteps != null) {
      if (!posInt(o.totalSteps)) throw new RangeError(`Expected positive integer total_steps, but got ${o.totalSteps}`);
      this.totalSteps = o.totalSteps;
    } else {
      if (!posInt(o.epochs)) throw new RangeError(`Expected positive integer epochs, but got ${o.epochs}`);
      if (!posInt(o.stepsPerEpoch))
        throw new RangeError(`Expected positive integer steps_per_epoch, but got ${o.stepsPerEpoch}`);
      this.totalSteps = o.epochs * o.stepsPerEpoch;
    }
    const T = this.totalSteps,
      pct = o.pctStart;
    this._schedulePhases = o.threePhase
      ? [
          {
            end_step: pct * T - 1,
            start_lr: "initial_lr",
            end_lr: "max_lr",
            start_momentum: "max_momentum",
            end_momentum: "base_momentum",
          },
          {
            end_step: 2 * pct * T - 2,
            start_lr: "max_lr",
            end_lr: "initial_lr",
            start_momentum: "base_momentum",
            end_momentum: "max_momentum",
          },
          {
            end_step: T - 1,
            start_lr: "initial_lr",
            end_lr: "min_lr",
            start_momentum: "max_momentum",
            end_momentum: "max_momentum",
          },
        ]
      : [
          {
            end_step: pct * T - 1,
            start_lr: "initial_lr",
            end_lr: "max_lr",
            start_momentum: "max_momentum",
            end_momentum: "base_momentum",
          },
          {
            end_step: T - 1,
            start_lr: "max_lr",
            end_lr: "min_lr",
            start_momentum: "base_momentum",
            end_momentum: "max_momentum",
          },
        ];
    if (pct < 0 || pct > 1) throw new RangeError(`Expected float between 0 and 1 pct_start, but got ${pct}`);
    if (o.annealStrategy !== "cos" && o.annealStrategy !== "linear")
      throw new RangeError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${o.annealStrategy}`);
    this.annealStrategy = o.annealStrategy;
    const maxLrs = perGroup("max_lr", optimizer, o.maxLr);
    if (o.lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / o.divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / o.finalDivFactor;
      });
    }
    this.cycleMomentum = o.cycleMomentum;
    if (o.cycleMomentum) {
      if (!("momentum" in optimizer.defaults) && !("betas" in optimizer.defaults))
        throw new RangeError("optimizer must support momentum with `cycle_momentum` option enabled");
      this.useBeta1 = "betas" in optimizer.defaults;
      const mm = perGroup("max_momentum", optimizer, o.maxMomentum),
        bm = perGroup("base_momentum", optimizer, o.baseMomentum);
      if (o.lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (this.useBeta1) g.betas = [mm[i], ...g.betas.slice(1)];
          else g.momentum = mm[i];
          g.maxMomentum = mm[i];
          g.baseMomentum = bm[i];
        });
      }
    }
    this.init(o.lastEpoch, o.verbose);
  }
  protected ownKeys() {
    return ["total_steps", "_schedule_phases", "cycle_momentum", ...(this.cycleMomentum ? ["use_beta1"] : [])];
  }
  private anneal(start: number, end: number, pct: number): number {
    return this.annealStrategy === "cos"
      ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
      : (end - start) * pct + start;
  }
  getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps)
      throw new RangeError(
        `Tried to step ${step + 1} times. The specified number of total steps is ${this.totalSteps}`,
      );
    return this.optimizer.paramGroups.map((g) => {
      let start = 0,
        lr = 0,
        mom = 0;
      for (let i = 0; i < this._schedulePhases.length; i++) {
        const ph = this._schedulePhases[i];
        if (step <= ph.end_step || i === this._schedulePhases.length - 1) {
          const pct = (step - start) / (ph.end_step - start);
          lr = this.anneal(g[groupKey[ph.start_lr]], g[groupKey[ph.end_lr]], pct);
          if (this.cycleMomentum) mom = this.anneal(g[groupKey[ph.start_momentum]], g[groupKey[ph.end_momentum]], pct);
          break;
        }
        start = ph.end_step;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [mom, ...g.betas.slice(1)];
        else g.momentum = mom;
      }
      return lr;
    });
  }
}

// ------------------------------------------------------------------ composition

/** Runs schedulers one after another, switching at the milestones (PyTorch 1.13's SequentialLR). */
export class SequentialLR {
  readonly optimizer: Optimizer;
  _schedulers: LRScheduler[];
  _milestones: number[];
  lastEpoch: number;
  _lastLr: number[];
  constructor(
    optimizer: Optimizer,
    schedulers: LRScheduler[],
    milestones: number[],
    lastEpoch?: number | { lastEpoch?: number; verbose?: boolean },
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    checkOptimizer("SequentialLR", optimizer);
    const o = parseArgs("lrScheduler.SequentialLR", args, {
      schedulers: A.any,
      milestones: A.ints,
      lastEpoch: [A.int, -1],
      verbose: [A.bool, false],
    });
    const scheds = o.schedulers as LRScheduler[];
    if (!Array.isArray(scheds) || !scheds.length)
      throw new TypeError("SequentialLR: schedulers must be a non-empty list of schedulers");
    scheds.forEach((s, i) => {
      if (s.optimizer !== optimizer)
        throw new RangeError(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
    });
    if (o.milestones.length !== scheds.length - 1) {
      throw new RangeError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${scheds.length} and the number of milestones to be equal to ${o.milestones.length}`,
      );
    }
    this._schedulers = scheds;
    this._milestones = o.milestones.slice();
    this.lastEpoch = o.lastEpoch + 1;
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr;
    for (const s of scheds) s.lastEpoch -= 1;
    scheds[0]._initialStep();
    this._lastLr = scheds[0].getLastLr();
  }
  step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this._milestones, this.lastEpoch);
    const s = this._schedulers[idx];
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }
  getLastLr(): number[] {
    return this._lastLr.slice();
  }
  stateDict(): Record<string, any> {
    return {
      _milestones: this._milestones.slice(),
      last_epoch: this.lastEpoch,
      _last_lr: this._lastLr.slice(),
      _schedulers: this._schedulers.map((s) => s.stateDict()),
    };
  }
  loadStateDict(sd: Record<string, any>): void {
    if ("_milestones" in sd) this._milestones = sd._milestones.slice();
    if ("last_epoch" in sd) this.lastEpoch = sd.last_epoch;
    if ("_last_lr" in sd) this._lastLr = sd._last_lr.slice();
    (sd._schedulers ?? []).forEach((s: Record<string, any>, i: number) => this._schedulers[i]?.loadStateDict(s));
  }
}

function bisectRight(a: number[], x: number): number {
  let lo = 0,
    hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < a[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Steps every scheduler at each step (their factors multiply). */
export class ChainedScheduler {
  readonly optimizer: Optimizer;
  _schedulers: LRScheduler[];
  _lastLr: number[];
  constructor(schedulers: LRScheduler[]) {
    if (!Array.isArray(schedulers) || !schedulers.length)
      throw new TypeError("ChainedScheduler: schedulers must be a non-empty list of schedulers");
    for (let i = 1; i < schedulers.length; i++) {
      if (schedulers[i].optimizer !== schedulers[0].optimizer) {
        throw new RangeError(
          `ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different`,
        );
      }
    }
    this._schedulers = schedulers.slice();
    this.optimizer = schedulers[0].optimizer;
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  step(): void {
    for (const s of this._schedulers) s.step();
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  getLastLr(): number[] {
    return this._lastLr.slice();
  }
  stateDict(): Record<string, any> {
    return { _last_lr: this._lastLr.slice(), _schedulers: this._schedulers.map((s) => s.stateDict()) };
  }
  loadStateDict(sd: Record<string, any>): void {
    if ("_last_lr" in sd) this._lastLr = sd._last_lr.slice();
    (sd._schedulers ?? []).forEach((s: Record<string, any>, i: number) => this._schedulers[i]?.loadStateDict(s));
  }
}

// ------------------------------------------------------------------ ReduceLROnPlateau

/** Reduces lr by `factor` when a metric has stopped improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  verbose: boolean;
  cooldown: number;
  cooldownCounter = 0;
  mode: "min" | "max";
  threshold: number;
  thresholdMode: "rel" | "abs";
  best = Infinity;
  numBadEpochs = 0;
  modeWorse = Infinity;
  eps: number;
  lastEpoch = 0;
  _lastLr: number[];
  constructor(
    optimizer: Optimizer,
    mode?:
      | "min"
      | "max"
      | {
          mode?: "min" | "max";
          factor?: number;
          patience?: number;
          threshold?: number;
          thresholdMode?: "rel" | "abs";
          cooldown?: number;
          minLr?: number | number[];
          eps?: number;
          verbose?: boolean;
        },
    ...rest: unknown[]
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = parseArgs("lrScheduler.ReduceLROnPlateau", args, {
      mode: [A.str, "min"],
      factor: [num, 0.1],
      patience: [A.int, 10],
      threshold: [num, 1e-4],
      thresholdMode: [A.str, "rel"],
      cooldown: [A.int, 0],
      minLr: [numOrList, 0],
      eps: [num, 1e-8],
      verbose: [A.bool, false],
    });
    if (o.factor >= 1) throw new RangeError("Factor should be < 1.0.");
    this.factor = o.factor;
    checkOptimizer("ReduceLROnPlateau", optimizer);
    this.optimizer = optimizer;
    if (Array.isArray(o.minLr) && o.minLr.length !== optimizer.paramGroups.length) {
      throw new RangeError(`expected ${optimizer.paramGroups.length} min_lrs, got ${o.minLr.length}`);
    }
    this.minLrs = perGroup("min_lr", optimizer, o.minLr);
    this.patience = o.patience;
    this.verbose = o.verbose;
    this.cooldown = o.cooldown;
    this.mode = o.mode as "min";
    this.threshold = o.threshold;
    this.thresholdMode = o.thresholdMode as "rel";
    this.eps = o.eps;
    this.initIsBetter();
    this.reset();
    this._lastLr = optimizer.paramGroups.map((g) => g.lr);
  }
  private reset(): void {
    this.best = this.modeWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }
  private initIsBetter(): void {
    if (this.mode !== "min" && this.mode !== "max") throw new RangeError(`mode ${this.mode} is unknown!`);
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs")
      throw new RangeError(`threshold mode ${this.thresholdMode} is unknown!`);
    this.modeWorse = this.mode === "min" ? Infinity : -Infinity;
  }
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }
  isBetter(a: number, best: number): boolean {
    if (this.mode === "min" && this.thresholdMode === "rel") return a < best * (1 - this.threshold);
    if (this.mode === "min") return a < best - this.threshold;
    if (this.thresholdMode === "rel") return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }
  /** One epoch's metric (a number or a one-element tensor). */
  step(metrics: number | { item(): number | bigint }, epoch?: number): void {
    const current = typeof metrics === "number" ? metrics : Number(metrics.item());
    this.lastEpoch = epoch ?? this.lastEpoch + 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const old = g.lr,
          nw = Math.max(old * this.factor, this.minLrs[i]);
        if (old - nw > this.eps) {
          g.lr = nw;
          if (this.verbose)
            console.log(
              `Epoch ${String(this.lastEpoch).padStart(5, "0")}: reducing learning rate of group ${i} to ${e4(nw)}.`,
            );
        }
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  getLastLr(): number[] {
    return this._lastLr.slice();
  }
  private static readonly KEYS = [
    "factor",
    "min_lrs",
    "patience",
    "verbose",
    "cooldown",
    "cooldown_counter",
    "mode",
    "threshold",
    "threshold_mode",
    "best",
    "num_bad_epochs",
    "mode_worse",
    "eps",
    "last_epoch",
    "_last_lr",
  ];
  stateDict(): Record<string, any> {
    const out: Record<string, any> = {};
    for (const k of ReduceLROnPlateau.KEYS) out[k] = copyVal((this as any)[jsKey(k)]);
    return out;
  }
  loadStateDict(sd: Record<string, any>): void {
    for (const [k, v] of Object.entries(sd))
      if (ReduceLROnPlateau.KEYS.includes(k)) (this as any)[jsKey(k)] = copyVal(v);
    this.initIsBetter();
  }
}

/** PyTorch 1.13's name of the scheduler base class. */
export { LRScheduler as _LRScheduler };
