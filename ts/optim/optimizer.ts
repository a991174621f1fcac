// torch.optim's Optimizer base: parameter groups (paramGroups[i].lr readable and settable,
// addParamGroup), PyTorch's argument convention and validation, state dicts in PyTorch's layout
// (state keyed by parameter index, param_groups with params as indices, snake_case keys), and an
// all-or-nothing step(): every parameter, gradient, state tensor and hyper-parameter is checked
// before the first parameter changes.

import type { Loaded } from "../io/index.js";
import { keep, noGrad, enableGrad } from "../runtime.js";
import { Tensor } from "../tensor.js";
import { tensor as makeTensor, full } from "../creation.js";
import { parseArgs, suggest, isOptionsObject, type Spec, type Check } from "../utils/args.js";

/** One parameter group: its parameters and its hyper-parameters (camelCase, read and write). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [option: string]: any;
  /** The group itself (older spelling: `paramGroups[i].options.lr`). */
  readonly options: ParamGroup;
}

/** What optimiser constructors take as `params`: tensors, or parameter groups. */
export type ParamsArg = Iterable<Tensor> | Iterable<{ params: Iterable<Tensor> | Tensor; [option: string]: unknown }>;

/** Marker for PyTorch's `required` default (SGD's lr). */
export const REQUIRED: unique symbol = Symbol("required") as any;

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A check for any number (NaN included, so that validation can answer in PyTorch's words). */
export const anyNum = Object.assign((v: unknown) => typeof v === "number", { desc: "a number" }) as Check<number>;
/** (beta1, beta2). */
export const betasCheck = Object.assign(
  (v: unknown) => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number"),
  { desc: "a pair of numbers [beta1, beta2]" },
) as Check<[number, number]>;
export const optBool = Object.assign((v: unknown) => v === null || typeof v === "boolean", {
  desc: "a boolean or null",
}) as Check<boolean | null>;

/** PyTorch-style hyper-parameter checks (ValueError in PyTorch, RangeError here). */
export function checkNonNeg(name: string, v: unknown): void {
  if (!(typeof v === "number" && v >= 0)) throw new RangeError(`Invalid ${name}: ${v}`);
}
export function checkBetas(betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2)
    throw new TypeError(`betas must be a pair of numbers, got ${JSON.stringify(betas)}`);
  betas.forEach((b, i) => {
    if (!(typeof b === "number" && b >= 0 && b < 1)) throw new RangeError(`Invalid beta parameter at index ${i}: ${b}`);
  });
}

function isParamGroupLike(v: unknown): v is { params: unknown } {
  return v !== null && typeof v === "object" && !(v instanceof Tensor) && "params" in (v as object);
}

/** PyTorch group keys (any version) that do not change the numbers. */
const NO_EFFECT = ["foreach", "capturable", "differentiable", "fused"];
/** PyTorch group keys (any version) that change the update when set. */
const CHANGES_MATH = ["maximize", "amsgrad", "decoupled_weight_decay", "nesterov", "centered"];
/** Option keys of groups that hold state of other components (schedulers), not hyper-parameters. */
const PASS_THROUGH = new Set(["initialLr", "maxLr", "minLr", "baseLr", "maxMomentum", "baseMomentum"]);

export class Optimizer {
  /** Default hyper-parameters (camelCase), as given to the constructor. */
  readonly defaults: Record<string, any>;
  readonly paramGroups: ParamGroup[] = [];
  /** Per-parameter state (camelCase keys: momentumBuffer, expAvg, expAvgSq, step, ...). */
  readonly state = new Map<Tensor, Record<string, any>>();
  /** The constructor's name in messages ("optim.Adam"). */
  protected readonly fnName: string;

  /**
   * `super(params, defaults)` as PyTorch's Optimizer(params, defaults) (custom optimisers override
   * step() or update()); the built-in ones pass their name first for messages.
   */
  constructor(params: ParamsArg, defaults: Record<string, any>);
  constructor(fnName: string, params: ParamsArg, defaults: Record<string, any>);
  constructor(...a: unknown[]) {
    const [fnName, params, defaults] = (typeof a[0] === "string" ? a : [`optim.${new.target.name}`, a[0], a[1]]) as [
      string,
      ParamsArg,
      Record<string, any>,
    ];
    if (defaults === null || typeof defaults !== "object")
      throw new TypeError(`${fnName}: defaults must be an object of hyper-parameters`);
    this.fnName = fnName;
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new TypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got a Tensor`,
      );
    }
    if (params == null || typeof (params as any)[Symbol.iterator] !== "function") {
      throw new TypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${String(params)}`,
      );
    }
    let groups = [...(params as Iterable<any>)];
    if (!groups.length) throw new RangeError("optimizer got an empty parameter list");
    if (!isParamGroupLike(groups[0])) groups = [{ params: groups }];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a parameter group (PyTorch's add_param_group): missing options take the defaults. */
  addParamGroup(group: { params: Iterable<Tensor> | Tensor; [option: string]: unknown }): void {
    if (!isParamGroupLike(group)) throw new TypeError("param group must be a dict (an object with a params key)");
    const raw = group.params as unknown;
    const params: unknown[] =
      raw instanceof Tensor
        ? [raw]
        : raw != null && typeof (raw as any)[Symbol.iterator] === "function"
          ? [...(raw as Iterable<unknown>)]
          : [raw];
    for (const p of params) {
      if (!(p instanceof Tensor))
        throw new TypeError(
          `optimizer can only optimize Tensors, but one of the params is ${p === null ? "null" : typeof p}`,
        );
      if (!p.isLeaf) throw new RangeError("can't optimize a non-leaf Tensor");
      if (p.isDisposed) throw new Error("optimizer: one of the params has been disposed");
    }
    const known = Object.keys(this.defaults);
    const g: Record<string, any> = {};
    for (const [k, v] of Object.entries(group)) {
      if (k === "params") continue;
      if (!known.includes(k) && !PASS_THROUGH.has(k)) {
        const s = suggest(k, known);
        if (s)
          throw new TypeError(`unknown option "${k}" in a parameter group of ${this.fnName}; did you mean "${s}"?`);
      }
      g[k] = Array.isArray(v) ? v.slice() : v;
    }
    for (const k of known) {
      if (!(k in g)) {
        if (this.defaults[k] === REQUIRED)
          throw new TypeError(`parameter group didn't specify a value of required optimization parameter ${snake(k)}`);
        g[k] = Array.isArray(this.defaults[k]) ? this.defaults[k].slice() : this.defaults[k];
      }
    }
    this.validateGroup(g);
    const ps = params as Tensor[];
    if (new Set(ps).size !== ps.length) {
      throw new RangeError("optimizer contains a parameter group with duplicate parameters");
    }
    for (const other of this.paramGroups) {
      if (other.params.some((p) => ps.includes(p)))
        throw new RangeError("some parameters appear in more than one parameter group");
    }
    const out = { params: ps, ...g } as ParamGroup;
    Object.defineProperty(out, "options", {
      get() {
        return out;
      },
      enumerable: false,
    });
    this.paramGroups.push(out);
  }

  /** Throws PyTorch's `Invalid ...` error for a bad hyper-parameter of group g (none checked by default). */
  protected validateGroup(_g: Record<string, any>): void {}
  /** One parameter's update (inside noGrad). g is dense, same shape and dtype as p. */
  protected update(_p: Tensor, _g: Tensor, _group: ParamGroup, _state: Record<string, any>): void {
    throw new Error(`${this.fnName}: an Optimizer subclass overrides step() or update(p, grad, group, state)`);
  }
  /** State keys PyTorch stores as 0-dim tensors in its state dict (Adam's step, NAdam's mu_product). */
  protected tensorScalars(): string[] {
    return [];
  }
  /** Keys PyTorch 1.13 has in this optimiser's param_groups that have no effect here. */
  protected pyExtraGroupKeys(): Record<string, unknown> {
    return {};
  }

  /** Clears the gradients (set to null by default, as PyTorch 2's zero_grad). */
  zeroGrad(setToNone: boolean | { setToNone?: boolean } = true): void {
    const none =
      typeof setToNone === "object"
        ? parseArgs("Optimizer.zeroGrad", [setToNone], { setToNone: [anyBool, true] }).setToNone
        : setToNone;
    for (const g of this.paramGroups)
      for (const p of g.params) {
        if (!p.grad) continue;
        if (none) {
          p.grad.dispose();
          p.grad = null;
        } else p.grad.zero_();
      }
  }

  /**
   * Applies one update to every parameter that has a gradient. Everything is validated first
   * (hyper-parameters, disposed tensors, gradient shapes and dtypes, state shapes), so a step that
   * throws changes nothing. With a closure, it is called (with grad enabled) first and its result returned.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    let loss: T | undefined;
    if (closure !== undefined) {
      if (typeof closure !== "function") throw new TypeError(`${this.fnName}.step: closure must be a function`);
      loss = enableGrad(closure);
    }
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) {
      this.validateGroup(g);
      for (const p of g.params) {
        if (seen.has(p)) throw new RangeError("some parameters appear in more than one parameter group");
        seen.add(p);
        if (!p.grad) continue;
        if (p.isDisposed) throw new Error("optimizer step: a parameter has been disposed");
        if (p.grad.isDisposed) throw new Error("optimizer step: a gradient has been disposed");
        if (p.grad.shape.length !== p.shape.length || p.grad.shape.some((d, k) => d !== p.shape[k])) {
          throw new RangeError(
            `optimizer step: gradient of shape [${p.grad.shape.join(", ")}] does not match parameter of shape [${p.shape.join(", ")}] (assigned grad has data of a different size)`,
          );
        }
        if (p.grad.dtype !== p.dtype) {
          throw new TypeError(
            `optimizer step: gradient has dtype ${p.grad.dtype} but the parameter is ${p.dtype} (assigned grad has data of a different type)`,
          );
        }
        if (p.dtype !== "float32")
          throw new TypeError(`optimizer step: only float32 parameters can be optimized, got ${p.dtype}`);
        if (!p.isDense()) throw new Error("optimizer step: parameters must be contiguous");
        const st = this.state.get(p);
        if (st)
          for (const [k, v] of Object.entries(st)) {
            if (!(v instanceof Tensor) || this.tensorScalars().includes(k)) continue;
            if (v.isDisposed)
              throw new Error(`optimizer step: the state tensor "${snake(k)}" of a parameter has been disposed`);
            if (
              v.shape.length !== p.shape.length ||
              v.shape.some((d, i) => d !== p.shape[i]) ||
              !v.isDense() ||
              v.dtype !== "float32"
            ) {
              throw new RangeError(
                `optimizer step: state "${snake(k)}" of shape [${v.shape.join(", ")}] does not match parameter of shape [${p.shape.join(", ")}]`,
              );
            }
          }
      }
    }
    noGrad(() => {
      for (const [p, group] of this.collect()) {
        let st = this.state.get(p);
        if (!st) {
          st = {};
          this.state.set(p, st);
        }
        const g = p.grad!.dense();
        this.update(p, g, group, st);
        if (g !== p.grad) g.dispose();
      }
    });
    return loss;
  }

  private collect(): [Tensor, ParamGroup][] {
    const out: [Tensor, ParamGroup][] = [];
    for (const g of this.paramGroups) for (const p of g.params) if (p.grad) out.push([p, g]);
    return out;
  }

  /** A zero-filled state tensor like p, outside any tidy scope. */
  protected buffer(p: Tensor, value = 0): Tensor {
    const t = keep(full(p.shape.slice(), value, { dtype: "float32" }));
    t.ref.keepResident();
    return t;
  }

  // ------------------------------------------------------------------ state dicts
  /**
   * PyTorch's layout: `{ state: { 0: { exp_avg, exp_avg_sq, step }, ... }, param_groups: [{ lr, betas,
   * ..., params: [0, 1] }] }`. Tensors in `state` are the optimiser's own (not copies), as in PyTorch.
   */
  stateDict(): { state: Record<number, Record<string, any>>; param_groups: Record<string, any>[] } {
    const index = new Map<Tensor, number>();
    let start = 0;
    const extra = this.pyExtraGroupKeys();
    const groups = this.paramGroups.map((g) => {
      const packed: Record<string, any> = {};
      for (const [k, v] of Object.entries(g)) if (k !== "params") packed[snake(k)] = Array.isArray(v) ? v.slice() : v;
      for (const [k, v] of Object.entries(extra)) if (!(k in packed)) packed[k] = v;
      for (const p of g.params) if (!index.has(p)) index.set(p, start++);
      packed.params = g.params.map((p) => index.get(p)!);
      return packed;
    });
    const scalars = this.tensorScalars();
    const state: Record<number, Record<string, any>> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const o: Record<string, any> = {};
      for (const [k, v] of Object.entries(st)) {
        o[snake(k)] = scalars.includes(k) && typeof v === "number" ? makeTensor(v) : v;
      }
      state[i] = o;
    }
    return { state, param_groups: groups };
  }

  /**
   * Loads a state dict in PyTorch's layout (from stateDict() here, or from PyTorch's
   * `optimizer.state_dict()` via torch.load): `step` may be a number or a tensor. Validated in full
   * before anything changes; tensors are copied.
   */
  loadStateDict(
    sdIn:
      | {
          state: Record<string | number, Record<string, any>> | Map<unknown, Record<string, any>>;
          param_groups: Record<string, any>[];
        }
      | Loaded,
  ): void {
    // checked at run time below, whatever its static type (e.g. straight from torch.load)
    const sd = sdIn as {
      state: Record<string | number, Record<string, any>> | Map<unknown, Record<string, any>>;
      param_groups: Record<string, any>[];
    };
    const fn = `${this.fnName}.loadStateDict`;
    if (!sd || typeof sd !== "object" || !("param_groups" in sd) || !("state" in sd)) {
      throw new TypeError(
        `${fn}: expected an object with "state" and "param_groups" (PyTorch's optimizer state_dict layout)`,
      );
    }
    const saved = sd.param_groups;
    if (!Array.isArray(saved)) throw new TypeError(`${fn}: "param_groups" must be a list`);
    if (saved.length !== this.paramGroups.length)
      throw new RangeError("loaded state dict has a different number of parameter groups");
    saved.forEach((sg, i) => {
      if (!sg || typeof sg !== "object" || !Array.isArray(sg.params))
        throw new TypeError(`${fn}: param_groups[${i}].params must be a list of indices`);
      if (sg.params.length !== this.paramGroups[i].params.length) {
        throw new RangeError(
          "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
        );
      }
    });
    const idMap = new Map<string, Tensor>();
    saved.forEach((sg, gi) =>
      sg.params.forEach((id: unknown, j: number) => idMap.set(String(id), this.paramGroups[gi].params[j])),
    );
    // groups: snake_case -> camelCase, defaults for keys the file lacks, then validation
    const newGroups = saved.map((sg, gi) => {
      const g: Record<string, any> = {};
      for (const [k, v] of Object.entries(sg)) {
        if (k === "params") continue;
        g[camel(k)] = Array.isArray(v) ? v.slice() : v instanceof Tensor ? v.item() : v;
      }
      for (const k of Object.keys(this.defaults)) if (!(k in g)) g[k] = this.paramGroups[gi][k];
      for (const k of [...Object.keys(this.pyExtraGroupKeys()), ...NO_EFFECT])
        if (!(camel(k) in this.defaults)) delete g[camel(k)];
      // options of other PyTorch versions that change the update: refused when on, dropped when off
      for (const k of CHANGES_MATH) {
        const ck = camel(k);
        if (ck in g && !(ck in this.defaults)) {
          if (g[ck])
            throw new RangeError(
              `${fn}: param_groups[${gi}] has ${k}=${pyValue(g[ck])}, which ${this.fnName} (PyTorch 1.13's) does not have`,
            );
          delete g[ck];
        }
      }
      try {
        this.validateGroup(g);
      } catch (e) {
        throw new RangeError(`${fn}: param_groups[${gi}]: ${(e as Error).message}`);
      }
      return g;
    });
    // state: indices -> parameters, validated, then copied
    const entries: [string, Record<string, any>][] =
      sd.state instanceof Map
        ? [...sd.state.entries()].map(([k, v]) => [String(k), v])
        : Object.entries(sd.state ?? {});
    const scalars = this.tensorScalars();
    for (const [id, st] of entries) {
      const p = idMap.get(id);
      if (!p)
        throw new RangeError(
          `${fn}: state for parameter index ${id}, but the optimizer's groups have ${idMap.size} parameters`,
        );
      if (!st || typeof st !== "object") throw new TypeError(`${fn}: state[${id}] must be an object`);
      for (const [k, v] of Object.entries(st)) {
        if (v instanceof Tensor) {
          if (v.isDisposed) throw new Error(`${fn}: state[${id}].${k} has been disposed`);
          if (scalars.includes(camel(k)) || k === "step") {
            if (v.numel() !== 1)
              throw new RangeError(`${fn}: state[${id}].${k} must hold one number, got shape [${v.shape.join(", ")}]`);
          } else if (v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
            throw new RangeError(
              `${fn}: state[${id}].${k} has shape [${v.shape.join(", ")}] but the parameter has shape [${p.shape.join(", ")}]`,
            );
          }
        } else if (!(v === null || typeof v === "number" || typeof v === "boolean")) {
          throw new TypeError(`${fn}: state[${id}].${k} must be a tensor, a number or null`);
        }
      }
    }
    // commit
    const newState = new Map<Tensor, Record<string, any>>();
    noGrad(() => {
      for (const [id, st] of entries) {
        const p = idMap.get(id)!;
        const o: Record<string, any> = {};
        for (const [k, v] of Object.entries(st)) {
          const ck = camel(k);
          if (v instanceof Tensor) {
            if (scalars.includes(ck) || ck === "step") o[ck] = Number(v.item());
            else {
              const f = v.dtype === "float32" ? v : v.to("float32");
              o[ck] = keep(f.contiguous().clone());
              if (f !== v) f.dispose();
            }
          } else o[ck] = v;
        }
        newState.set(p, o);
      }
    });
    this.state.clear();
    for (const [p, o] of newState) this.state.set(p, o);
    newGroups.forEach((g, i) => {
      const cur = this.paramGroups[i];
      for (const k of Object.keys(cur)) if (k !== "params") delete cur[k];
      Object.assign(cur, g);
    });
  }

  toString(): string {
    const lines = [`${this.constructor.name} (`];
    this.paramGroups.forEach((g, i) => {
      lines.push(`Parameter Group ${i}`);
      for (const k of Object.keys(g)
        .filter((k) => k !== "params")
        .sort((a, b) => (snake(a) < snake(b) ? -1 : 1))) {
        lines.push(`    ${snake(k)}: ${pyValue(g[k])}`);
      }
    });
    lines.push(")");
    return lines.join("\n");
  }
}

const anyBool = Object.assign((v: unknown) => typeof v === "boolean", { desc: "a boolean" }) as Check<boolean>;

function pyValue(v: unknown): string {
  if (v === true) return "True";
  if (v === false) return "False";
  if (v === null || v === undefined) return "None";
  if (Array.isArray(v)) return `(${v.map(pyValue).join(", ")})`;
  return String(v);
}

/** Parses an optimiser's hyper-parameters (PyTorch's positional order after params, or options). */
export function optimArgs<S extends Spec>(fn: string, args: ArrayLike<unknown>, spec: S) {
  // a lone options object whose values are all undefined is fine; arrays are betas, not options
  const list = Array.from(args);
  if (
    list.length &&
    list[list.length - 1] != null &&
    typeof list[list.length - 1] === "object" &&
    !Array.isArray(list[list.length - 1]) &&
    !isOptionsObject(list[list.length - 1])
  ) {
    throw new TypeError(
      `${fn}: expected hyper-parameters or an options object, got ${Object.prototype.toString.call(list[list.length - 1])}`,
    );
  }
  return parseArgs(fn, list, spec) as Record<string, any>;
}
