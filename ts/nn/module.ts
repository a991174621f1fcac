// nn.Module and nn.Parameter: registration by field assignment (in assignment order, like PyTorch's
// __setattr__), state dicts with PyTorch's key names, train/eval and print(model)-style toString.

import { Tensor } from "../tensor.js";
import type { Loaded } from "../io/index.js";
import { inForward, noGrad } from "../runtime.js";
import { parseArgs, A } from "../utils/args.js";

/** A tensor that is a module parameter (requires grad by default). */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    const r = data.ref;
    r.retain();
    r.keepResident();
    super(r, data.shape.slice(), data.dtype, data.strides.slice(), data.offset);
    if (requiresGrad) this.requiresGrad = true;
  }
  toString(): string {
    return "Parameter containing:\n" + super.toString();
  }
}

export type StateDict = Record<string, Tensor>;

/** Names PyTorch's Module API forbids for members (they would shadow methods or internals). */
function checkName(
  m: Module,
  kind: string,
  name: unknown,
  allowExisting: (v: unknown) => boolean,
): asserts name is string {
  if (typeof name !== "string") throw new TypeError(`${kind} name should be a string. Got ${typeof name}`);
  if (name.includes(".")) throw new RangeError(`${kind} name can't contain ".", got: ${name}`);
  if (name === "") throw new RangeError(`${kind} name can't be empty string ""`);
  if (name === "training") throw new RangeError(`attribute '${name}' already exists`);
  if (name.startsWith("_"))
    throw new RangeError(
      `${kind} name "${name}": names starting with "_" are reserved for internal fields of torchlet modules`,
    );
  if (name in m) {
    const own = Object.prototype.hasOwnProperty.call(m, name);
    if (!own || !allowExisting((m as any)[name])) throw new RangeError(`attribute '${name}' already exists`);
  }
}
const typeName = (v: unknown) =>
  v === null
    ? "None"
    : v instanceof Tensor
      ? "Tensor"
      : typeof v === "object"
        ? ((v as object).constructor?.name ?? "object")
        : typeof v;

/** The base class of every layer and model: parameters, buffers and submodules as properties, `forward`, `train()` / `eval()`, `stateDict()` / `loadStateDict()`. Mirrors `torch.nn.Module`. */
export abstract class Module {
  /** console.log / util.inspect print what toString() prints (PyTorch's print(model)). */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
  training = true;
  /** Names registered with registerBuffer (their values are plain tensors, or null). */
  private readonly _bufferNames = new Set<string>();
  private readonly _nonPersistent = new Set<string>();

  /** The computation; subclasses declare their own argument and result types. */
  abstract forward(...args: any[]): unknown;

  constructor() {
    // forward() runs in a forward scope (runtime.inForward): its intermediates are released with
    // the graph after backward(), or at once when nothing is recorded. Installed per instance
    // (non-enumerable) over the subclass's own forward method.
    const f = (this as { forward: (...a: unknown[]) => unknown }).forward;
    if (typeof f === "function") {
      const self = this;
      Object.defineProperty(this, "forward", {
        value: function forward(...args: unknown[]) {
          return inForward(self, () => f.apply(self, args));
        },
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
  }
  /** Same as forward (PyTorch's module(x)). */
  call(...args: Parameters<this["forward"]>): ReturnType<this["forward"]> {
    return this.forward(...args) as ReturnType<this["forward"]>;
  }

  // -------------------------------------------------------------- registration
  /**
   * Registers a buffer (a tensor that is state but not a parameter, e.g. running_mean; null to
   * declare it without a value): `registerBuffer(name, t, { persistent = true })` or PyTorch's
   * positional `registerBuffer(name, t, false)`. Non-persistent buffers are not in stateDict().
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent: boolean | { persistent?: boolean } = true): void {
    const o = parseArgs("Module.registerBuffer", [persistent], { persistent: [A.bool, true] });
    checkName(this, "buffer", name, (v) => v == null || (v instanceof Tensor && !(v instanceof Parameter)));
    if (tensor !== null && tensor !== undefined && !(tensor instanceof Tensor)) {
      throw new TypeError(
        `cannot assign '${typeName(tensor)}' object to buffer '${name}' (torch Tensor or None required)`,
      );
    }
    this._bufferNames.add(name);
    if (o.persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    (this as any)[name] = tensor ?? null;
  }
  /** Registers a parameter (null declares it without a value, as PyTorch's register_parameter(name, None)). */
  registerParameter(name: string, param: Parameter | null): void {
    checkName(this, "parameter", name, (v) => v == null || v instanceof Parameter);
    if (param !== null && param !== undefined && !(param instanceof Parameter)) {
      throw new TypeError(
        `cannot assign '${typeName(param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`,
      );
    }
    if (this._bufferNames.has(name)) throw new RangeError(`attribute '${name}' already exists`);
    (this as any)[name] = param ?? null;
  }
  /** Registers a submodule under `name` (PyTorch's add_module). */
  addModule(name: string, module: Module | null): void {
    checkName(this, "module", name, (v) => v == null || v instanceof Module);
    if (module !== null && module !== undefined && !(module instanceof Module))
      throw new TypeError(`${typeName(module)} is not a Module subclass`);
    (this as any)[name] = module ?? null;
  }
  /** Same as addModule. */
  registerModule(name: string, module: Module | null): void {
    this.addModule(name, module);
  }

  /** Member names in registration order (containers with their own key order override this). */
  protected _memberNames(): string[] {
    return Object.keys(this);
  }
  private *_entries(): Generator<[string, unknown]> {
    for (const k of this._memberNames()) {
      if (k === "training" || k.startsWith("_")) continue;
      yield [k, (this as any)[k]];
    }
  }
  /** Every submodule field in order, a module held twice listed twice (PyTorch's _modules.items()). */
  _moduleEntries(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of this._entries()) if (v instanceof Module) out.push([k, v]);
    return out;
  }
  /** Direct submodules with their names (each module once). */
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [k, v] of this._entries())
      if (v instanceof Module && !seen.has(v)) {
        seen.add(v);
        yield [k, v];
      }
  }
  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }
  /** This module and every submodule, depth first, with dotted names (a shared module once, unless removeDuplicate is false). */
  *namedModules(
    prefix: string | { prefix?: string; removeDuplicate?: boolean } = "",
    removeDuplicate = true,
  ): Generator<[string, Module]> {
    const o = parseArgs("Module.namedModules", arguments, { prefix: [A.str, ""], removeDuplicate: [A.bool, true] });
    const memo = new Set<Module>();
    function* walk(m: Module, p: string): Generator<[string, Module]> {
      if (o.removeDuplicate) {
        if (memo.has(m)) return;
        memo.add(m);
      }
      yield [p, m];
      for (const [k, v] of m._entries()) if (v instanceof Module) yield* walk(v, p ? `${p}.${k}` : k);
    }
    yield* walk(this, o.prefix);
  }
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }
  /** Own parameters (not recursive), in registration order. */
  *_ownParameters(): Generator<[string, Parameter]> {
    for (const [k, v] of this._entries()) if (v instanceof Parameter) yield [k, v];
  }
  *_ownBuffers(persistentOnly = false): Generator<[string, Tensor]> {
    for (const [k, v] of this._entries()) {
      if (this._bufferNames.has(k) && v instanceof Tensor && !(persistentOnly && this._nonPersistent.has(k)))
        yield [k, v];
    }
  }
  /** Parameters with dotted names (each parameter once): `namedParameters(prefix = "", recurse = true)`. */
  namedParameters(prefix: string | { prefix?: string; recurse?: boolean } = "", recurse = true): [string, Parameter][] {
    const o = parseArgs("Module.namedParameters", arguments, { prefix: [A.str, ""], recurse: [A.bool, true] });
    const out: [string, Parameter][] = [],
      seen = new Set<Tensor>();
    const mods: [string, Module][] = o.recurse ? [...this.namedModules(o.prefix)] : [[o.prefix, this]];
    for (const [mp, m] of mods) {
      for (const [k, p] of m._ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([mp ? `${mp}.${k}` : k, p]);
      }
    }
    return out;
  }
  parameters(recurse: boolean | { recurse?: boolean } = true): Parameter[] {
    const o = parseArgs("Module.parameters", [recurse], { recurse: [A.bool, true] });
    return this.namedParameters("", o.recurse).map(([, p]) => p);
  }
  /** Buffers (persistent or not) with dotted names: `namedBuffers(prefix = "", recurse = true)`. */
  namedBuffers(prefix: string | { prefix?: string; recurse?: boolean } = "", recurse = true): [string, Tensor][] {
    const o = parseArgs("Module.namedBuffers", arguments, { prefix: [A.str, ""], recurse: [A.bool, true] });
    const out: [string, Tensor][] = [],
      seen = new Set<Tensor>();
    const mods: [string, Module][] = o.recurse ? [...this.namedModules(o.prefix)] : [[o.prefix, this]];
    for (const [mp, m] of mods) {
      for (const [k, b] of m._ownBuffers()) {
        if (seen.has(b)) continue;
        seen.add(b);
        out.push([mp ? `${mp}.${k}` : k, b]);
      }
    }
    return out;
  }
  buffers(recurse: boolean | { recurse?: boolean } = true): Tensor[] {
    const o = parseArgs("Module.buffers", [recurse], { recurse: [A.bool, true] });
    return this.namedBuffers("", o.recurse).map(([, b]) => b);
  }

  /** The submodule at a dotted path ("" is this module), as PyTorch's get_submodule. */
  getSubmodule(target: string): Module {
    if (typeof target !== "string") throw new TypeError("getSubmodule: target must be a string");
    let m: Module = this;
    if (target === "") return m;
    for (const item of target.split(".")) {
      const v = (m as any)[item];
      if (!Object.prototype.hasOwnProperty.call(m, item) || v === undefined)
        throw new RangeError(`${m.constructor.name} has no attribute \`${item}\``);
      if (!(v instanceof Module)) throw new TypeError(`\`${item}\` is not an nn.Module`);
      m = v;
    }
    return m;
  }
  /** The parameter at a dotted path, as PyTorch's get_parameter. */
  getParameter(target: string): Parameter {
    const i = target.lastIndexOf(".");
    const mod = this.getSubmodule(i < 0 ? "" : target.slice(0, i)),
      name = target.slice(i + 1);
    if (!Object.prototype.hasOwnProperty.call(mod, name))
      throw new RangeError(`${mod.constructor.name} has no attribute \`${name}\``);
    const p = (mod as any)[name];
    if (!(p instanceof Parameter)) throw new TypeError(`\`${name}\` is not an nn.Parameter`);
    return p;
  }
  /** The buffer at a dotted path, as PyTorch's get_buffer. */
  getBuffer(target: string): Tensor {
    const i = target.lastIndexOf(".");
    const mod = this.getSubmodule(i < 0 ? "" : target.slice(0, i)),
      name = target.slice(i + 1);
    if (!Object.prototype.hasOwnProperty.call(mod, name))
      throw new RangeError(`${mod.constructor.name} has no attribute \`${name}\``);
    if (!mod._bufferNames.has(name)) throw new TypeError(`\`${name}\` is not a buffer`);
    return (mod as any)[name];
  }

  // -------------------------------------------------------------- modes and grads
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new TypeError("training mode is expected to be boolean");
    for (const m of this.modules()) {
      m.training = mode;
      // weights folded for inference (nn/fusion.ts) are not kept through training
      if (mode) (m as { dropFold?: () => void }).dropFold?.();
    }
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  zeroGrad(setToNone: boolean | { setToNone?: boolean } = true): void {
    const o = parseArgs("Module.zeroGrad", [setToNone], { setToNone: [A.bool, true] });
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (o.setToNone) {
        p.grad.dispose();
        p.grad = null;
      } else p.grad.zero_();
    }
  }
  /** Sets requiresGrad on every parameter (PyTorch's requires_grad_). */
  requiresGrad_(requiresGrad: boolean | { requiresGrad?: boolean } = true): this {
    const o = parseArgs("Module.requiresGrad_", [requiresGrad], { requiresGrad: [A.bool, true] });
    for (const p of this.parameters()) p.requiresGrad = o.requiresGrad;
    return this;
  }
  /** Applies fn to every submodule (children first, depth first) and then to this module. */
  apply(fn: (m: Module) => void): this {
    if (typeof fn !== "function") throw new TypeError("Module.apply: fn must be a function");
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // -------------------------------------------------------------- state dict
  /** Parameters and persistent buffers under PyTorch's dotted key names (detached, sharing data). */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    const o = parseArgs("Module.stateDict", [opts], { prefix: [A.str, ""], keepVars: [A.bool, false] });
    const sd: StateDict = {};
    const seen = new Set<Module>();
    const visit = (m: Module, prefix: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const [k, p] of m._ownParameters()) sd[prefix + k] = o.keepVars ? p : p.detach();
      for (const [k, b] of m._ownBuffers(true)) sd[prefix + k] = o.keepVars ? b : b.detach();
      for (const [k, c] of m.namedChildren()) visit(c, `${prefix}${k}.`);
    };
    visit(this, o.prefix);
    return sd;
  }

  /**
   * Copies values from sd (an object or a Map). Returns `{ missingKeys, unexpectedKeys }`; with
   * strict (the default) either throws PyTorch's `Error(s) in loading state_dict for ...`. Every
   * entry is validated (tensor, not disposed, shape, dtype) before the first copy, so a failed
   * load changes nothing.
   */
  loadStateDict(
    sd: StateDict | Map<string, Tensor> | Loaded,
    strict: boolean | { strict?: boolean } = true,
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    const o = parseArgs("Module.loadStateDict", [strict], { strict: [A.bool, true] });
    if (!(sd instanceof Map) && (sd === null || typeof sd !== "object"))
      throw new TypeError(`Expected state_dict to be dict-like, got ${typeName(sd)}.`);
    const src = new Map<string, unknown>(sd instanceof Map ? sd : Object.entries(sd));
    const own = new Map<string, Tensor>();
    const seen = new Set<Module>();
    const visit = (m: Module, prefix: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const [k, p] of m._ownParameters()) own.set(prefix + k, p);
      for (const [k, b] of m._ownBuffers(true)) own.set(prefix + k, b);
      for (const [k, c] of m.namedChildren()) visit(c, `${prefix}${k}.`);
    };
    visit(this, "");
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    const errors: string[] = [];
    if (o.strict && missingKeys.length)
      errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}. `);
    if (o.strict && unexpectedKeys.length)
      errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}. `);
    const copies: [Tensor, Tensor][] = [];
    for (const [k, t] of own) {
      if (!src.has(k)) continue;
      const v = src.get(k);
      if (!(v instanceof Tensor)) {
        errors.push(
          `While copying the parameter named "${k}", expected torch.Tensor or Tensor-like object from checkpoint but received ${typeName(v)}`,
        );
        continue;
      }
      if (v.isDisposed) {
        errors.push(`While copying the parameter named "${k}", the tensor from the checkpoint has been disposed.`);
        continue;
      }
      if (t.isDisposed) {
        errors.push(`While copying the parameter named "${k}", the module's tensor has been disposed.`);
        continue;
      }
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
        errors.push(
          `size mismatch for ${k}: copying a param with shape torch.Size([${v.shape.join(", ")}]) from checkpoint, the shape in current model is torch.Size([${t.shape.join(", ")}]).`,
        );
        continue;
      }
      if (!t.isDense()) {
        errors.push(`While copying the parameter named "${k}", the module's tensor is not contiguous.`);
        continue;
      }
      if (v.dtype !== t.dtype && (t.dtype === "bool") !== (v.dtype === "bool")) {
        errors.push(
          `While copying the parameter named "${k}", whose dimensions in the model are torch.Size([${t.shape.join(", ")}]) and whose dimensions in the checkpoint are torch.Size([${v.shape.join(", ")}]), an exception occurred : (can't copy a ${v.dtype} tensor into a ${t.dtype} one).`,
        );
        continue;
      }
      copies.push([t, v]);
    }
    if (errors.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join("\n\t")}`);
    }
    noGrad(() => {
      for (const [t, v] of copies) {
        const conv = v.dtype === t.dtype ? v : v.to(t.dtype);
        t.copy_(conv);
        if (conv !== v) conv.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // -------------------------------------------------------------- printing
  /** The text inside the parentheses of this module's line (PyTorch's extra_repr). */
  extraRepr(): string {
    return "";
  }
  toString(): string {
    const children = [...this._entries()].filter(([, v]) => v instanceof Module) as [string, Module][];
    const extra = this.extraRepr();
    const lines: string[] = extra ? extra.split("\n") : [];
    for (const [k, c] of children) lines.push(`(${k}): ${indent(c.toString(), 2)}`);
    const name = this.constructor.name;
    if (!lines.length) return `${name}()`;
    if (!children.length && lines.length === 1) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }
}

/** A module whose forward maps a Tensor (and options) to a Tensor: the type for layers held
 *  generically (a norm or activation layer, a downsample branch). */
export interface TensorModule extends Module {
  forward(x: Tensor, ...rest: any[]): Tensor;
}

function indent(s: string, n: number): string {
  const parts = s.split("\n");
  return [parts[0], ...parts.slice(1).map((l) => " ".repeat(n) + l)].join("\n");
}

/** PyTorch's Python repr of an option value: True/False/None, tuples as (a, b). */
export function pyRepr(v: unknown): string {
  if (v === true) return "True";
  if (v === false) return "False";
  if (v === null || v === undefined) return "None";
  if (Array.isArray(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(", ")})`;
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloat(v);
  return String(v);
}
/** Python's float repr (shortest round-trip, e.g. 1e-05, 0.1, 1.0). */
export function pyFloat(v: number): string {
  if (Number.isInteger(v)) return v.toFixed(1);
  let s = String(v);
  const m = /^(-?)(\d(?:\.\d+)?)e([+-])(\d+)$/.exec(s);
  if (m) s = `${m[1]}${m[2]}e${m[3]}${m[4].padStart(2, "0")}`;
  else if (Math.abs(v) < 1e-4 && v !== 0) {
    const [mm, e] = v.toExponential().split("e");
    s = `${mm}e${e[0]}${e.slice(1).padStart(2, "0")}`;
  }
  return s;
}
