// nn.Module and nn.Parameter: registration by field assignment (in assignment order, like PyTorch's
// __setattr__), state dicts with PyTorch's key names, train/eval and print(model)-style toString.

import { Tensor } from "../tensor.js";
import { noGrad } from "../runtime.js";

/** A tensor that is a module parameter (requires grad by default). */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    const r = data.ref;
    r.retain();
    super(r, data.shape.slice(), data.dtype, data.strides.slice(), data.offset);
    if (requiresGrad) this.requiresGrad = true;
  }
  toString(): string { return "Parameter containing:\n" + super.toString(); }
}

export type StateDict = Record<string, Tensor>;

export abstract class Module {
  /** console.log / util.inspect print what toString() prints (PyTorch's print(model)). */
  [Symbol.for("nodejs.util.inspect.custom")](): string { return this.toString(); }
  training = true;
  /** Names registered with registerBuffer (their values are plain tensors, or null). */
  private readonly _bufferNames = new Set<string>();
  private readonly _nonPersistent = new Set<string>();

  abstract forward(...args: any[]): any;
  /** Same as forward (PyTorch's module(x)). */
  call(...args: any[]): any { return this.forward(...args); }

  // -------------------------------------------------------------- registration
  registerBuffer(name: string, t: Tensor | null, persistent = true): void {
    this._bufferNames.add(name);
    if (!persistent) this._nonPersistent.add(name);
    (this as any)[name] = t;
  }
  registerParameter(name: string, p: Parameter | null): void { (this as any)[name] = p; }
  registerModule(name: string, m: Module | null): void { (this as any)[name] = m; }

  private *_entries(): Generator<[string, unknown]> {
    for (const k of Object.keys(this)) {
      if (k === "training" || k.startsWith("_")) continue;
      yield [k, (this as any)[k]];
    }
  }
  *namedChildren(): Generator<[string, Module]> {
    for (const [k, v] of this._entries()) if (v instanceof Module) yield [k, v];
  }
  *children(): Generator<Module> { for (const [, m] of this.namedChildren()) yield m; }
  *namedModules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k);
  }
  *modules(): Generator<Module> { for (const [, m] of this.namedModules()) yield m; }
  /** Own parameters (not recursive), in registration order. */
  *_ownParameters(): Generator<[string, Parameter]> {
    for (const [k, v] of this._entries()) if (v instanceof Parameter) yield [k, v];
  }
  *_ownBuffers(persistentOnly = false): Generator<[string, Tensor]> {
    for (const [k, v] of this._entries()) {
      if (this._bufferNames.has(k) && v instanceof Tensor && !(persistentOnly && this._nonPersistent.has(k))) yield [k, v];
    }
  }
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = [], seen = new Set<Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [k, p] of m._ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([mp ? `${mp}.${k}` : k, p]);
      }
    }
    return out;
  }
  parameters(): Parameter[] { return this.namedParameters().map(([, p]) => p); }
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [mp, m] of this.namedModules()) for (const [k, b] of m._ownBuffers()) out.push([mp ? `${mp}.${k}` : k, b]);
    return out;
  }
  buffers(): Tensor[] { return this.namedBuffers().map(([, b]) => b); }

  // -------------------------------------------------------------- modes and grads
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this { return this.train(false); }
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) { p.grad.dispose(); p.grad = null; } else p.grad.zero_();
    }
  }
  requiresGrad_(v = true): this { for (const p of this.parameters()) p.requiresGrad = v; return this; }
  /** Applies fn to every submodule (children first) and to this module. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // -------------------------------------------------------------- state dict
  /** Parameters and persistent buffers under PyTorch's dotted key names (detached, sharing data). */
  stateDict(): StateDict {
    const sd: StateDict = {};
    const visit = (m: Module, prefix: string) => {
      for (const [k, p] of m._ownParameters()) sd[prefix + k] = p.detach();
      for (const [k, b] of m._ownBuffers(true)) sd[prefix + k] = b.detach();
      for (const [k, c] of m.namedChildren()) visit(c, `${prefix}${k}.`);
    };
    visit(this, "");
    return sd;
  }

  /** Copies values from sd. Validates everything first, so a failed load changes nothing. */
  loadStateDict(sd: StateDict | Map<string, Tensor>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = opts.strict ?? true;
    const src = sd instanceof Map ? Object.fromEntries(sd) : sd;
    const own = new Map<string, Tensor>();
    const visit = (m: Module, prefix: string) => {
      for (const [k, p] of m._ownParameters()) own.set(prefix + k, p);
      for (const [k, b] of m._ownBuffers(true)) own.set(prefix + k, b);
      for (const [k, c] of m.namedChildren()) visit(c, `${prefix}${k}.`);
    };
    visit(this, "");
    const missingKeys = [...own.keys()].filter((k) => !(k in src));
    const unexpectedKeys = Object.keys(src).filter((k) => !own.has(k));
    const errors: string[] = [];
    if (strict && unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}. `);
    if (strict && missingKeys.length) errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}. `);
    for (const [k, t] of own) {
      const v = src[k];
      if (!v) continue;
      if (!(v instanceof Tensor)) { errors.push(`While copying the parameter named "${k}", expected a Tensor.`); continue; }
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
        errors.push(`size mismatch for ${k}: copying a param with shape torch.Size([${v.shape.join(", ")}]) from checkpoint, the shape in current model is torch.Size([${t.shape.join(", ")}]).`);
      }
    }
    if (errors.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join("\n\t")}`);
    }
    noGrad(() => {
      for (const [k, t] of own) {
        const v = src[k];
        if (!v) continue;
        const conv = v.dtype === t.dtype ? v : v.to(t.dtype);
        t.copy_(conv);
        if (conv !== v) conv.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // -------------------------------------------------------------- printing
  /** The text inside the parentheses of this module's line (PyTorch's extra_repr). */
  extraRepr(): string { return ""; }
  toString(): string {
    const children = [...this.namedChildren()];
    const extra = this.extraRepr();
    const lines: string[] = extra ? extra.split("\n") : [];
    for (const [k, c] of children) lines.push(`(${k}): ${indent(c.toString(), 2)}`);
    const name = this.constructor.name;
    if (!lines.length) return `${name}()`;
    if (!children.length && lines.length === 1) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }
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
