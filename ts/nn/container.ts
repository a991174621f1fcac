// Containers: ModuleList, ModuleDict, ParameterList, ParameterDict (PyTorch 1.13's methods, child
// names and print text), and the list helpers Sequential shares (at/set/insert/pop/extend with
// negative indices from the end).

import { Tensor } from "../tensor.js";
import { Module, Parameter, pyRepr } from "./module.js";
import { parseArgs, A } from "../utils/args.js";

// ------------------------------------------------------------------ list helpers (ModuleList, Sequential)

/** PyTorch's _get_abs_string_index: -n <= i < n, negative from the end. */
export function absIndex(i: number, n: number): number {
  if (!Number.isInteger(i)) throw new TypeError(`index must be an integer, got ${String(i)}`);
  if (!(-n <= i && i < n)) throw new RangeError(`index ${i} is out of range`);
  return i < 0 ? i + n : i;
}
function checkModule(m: unknown, what: string): asserts m is Module {
  if (!(m instanceof Module))
    throw new TypeError(
      `${what}: ${m === null ? "None" : typeof m === "object" ? (m as object).constructor?.name : typeof m} is not a Module subclass`,
    );
}
/** Replaces the module fields of `owner` by `mods` named "0", "1", ... */
function renumber(owner: Module, mods: Module[]): void {
  for (const [k] of owner._moduleEntries()) delete (owner as any)[k];
  mods.forEach((m, i) => owner.addModule(String(i), m));
}
export const moduleListOps = {
  length: (o: Module) => o._moduleEntries().length,
  at: (o: Module, i: number): Module => {
    const e = o._moduleEntries();
    return e[absIndex(i, e.length)][1];
  },
  set: (o: Module, i: number, m: Module): void => {
    checkModule(m, "set");
    const e = o._moduleEntries();
    (o as any)[e[absIndex(i, e.length)][0]] = m;
  },
  append: (o: Module, m: Module): void => {
    checkModule(m, "append");
    o.addModule(String(o._moduleEntries().length), m);
  },
  extend: (o: Module, ms: Iterable<Module>): void => {
    if (
      ms == null ||
      typeof (ms as any)[Symbol.iterator] !== "function" ||
      (ms instanceof Module && !(Symbol.iterator in ms))
    ) {
      throw new TypeError(
        `${o.constructor.name}.extend should be called with an iterable, but got ${ms === null ? "None" : typeof ms}`,
      );
    }
    for (const m of [...ms]) moduleListOps.append(o, m);
  },
  insert: (o: Module, i: number, m: Module): void => {
    checkModule(m, "insert");
    const mods = o._moduleEntries().map(([, v]) => v);
    const n = mods.length;
    if (!Number.isInteger(i) || !(-n <= i && i <= n)) throw new RangeError(`Index out of range: ${i}`);
    mods.splice(i < 0 ? i + n : i, 0, m);
    renumber(o, mods);
  },
  pop: (o: Module, i = -1): Module => {
    const mods = o._moduleEntries().map(([, v]) => v);
    const j = absIndex(i, mods.length);
    const [m] = mods.splice(j, 1);
    renumber(o, mods);
    return m;
  },
  values: (o: Module): Module[] => o._moduleEntries().map(([, v]) => v),
};

// ------------------------------------------------------------------ ModuleList

/** Holds submodules in a list, named "0", "1", ...: `new nn.ModuleList([a, b])`, `list.at(-1)`, `for (const m of list)`. Mirrors `torch.nn.ModuleList`. */
export class ModuleList extends Module implements Iterable<Module> {
  constructor(modules: Iterable<Module> | null = null) {
    super();
    if (modules != null) this.extend(modules);
  }
  forward(..._args: unknown[]): never {
    throw new Error('Module [ModuleList] is missing the required "forward" function');
  }
  get length(): number {
    return moduleListOps.length(this);
  }
  /** The i-th module (negative from the end). */
  at(i: number): Module {
    return moduleListOps.at(this, i);
  }
  set(i: number, m: Module): this {
    moduleListOps.set(this, i, m);
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
  insert(i: number, m: Module): this {
    moduleListOps.insert(this, i, m);
    return this;
  }
  pop(i = -1): Module {
    return moduleListOps.pop(this, i);
  }
  /** A new ModuleList with the modules from start to end (Python's list[start:end]). */
  slice(start?: number, end?: number): ModuleList {
    return new ModuleList(moduleListOps.values(this).slice(start, end));
  }
  /** PyTorch's list + other. */
  concat(other: Iterable<Module>): ModuleList {
    return new ModuleList([...moduleListOps.values(this), ...other]);
  }
  [Symbol.iterator](): Iterator<Module> {
    return moduleListOps.values(this)[Symbol.iterator]();
  }
}

// ------------------------------------------------------------------ ModuleDict

type Entries<V> = Record<string, V> | Map<string, V> | Iterable<readonly [string, V]>;
function entriesOf<V>(src: Entries<V>, what: string, sortPlain: boolean): [string, V][] {
  if (src instanceof Map) return [...src.entries()];
  if (src && typeof src === "object" && !(Symbol.iterator in src)) {
    const e = Object.entries(src as Record<string, V>);
    return sortPlain ? e.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : e;
  }
  if (src == null || typeof (src as any)[Symbol.iterator] !== "function") {
    throw new TypeError(
      `${what}.update should be called with an iterable of key/value pairs, but got ${src === null ? "None" : typeof src}`,
    );
  }
  return [...(src as Iterable<readonly [string, V]>)].map((p, j) => {
    if (!Array.isArray(p))
      throw new TypeError(`${what} update sequence element #${j} should be Iterable; is ${typeof p}`);
    if (p.length !== 2)
      throw new RangeError(`${what} update sequence element #${j} has length ${p.length}; 2 is required`);
    return [p[0], p[1]] as [string, V];
  });
}

/** Submodules by name, in insertion order: `dict.get("fc")`, `dict.set("act", new nn.ReLU())`, `for (const k of dict)`. Mirrors `torch.nn.ModuleDict`. */
export class ModuleDict extends Module implements Iterable<string> {
  private _keys: string[] = [];
  constructor(modules: Entries<Module> | null = null) {
    super();
    if (modules != null) this.update(modules);
  }
  protected _memberNames(): string[] {
    return [...this._keys, ...Object.keys(this).filter((k) => !this._keys.includes(k))];
  }
  forward(..._args: unknown[]): never {
    throw new Error('Module [ModuleDict] is missing the required "forward" function');
  }
  get length(): number {
    return this._keys.length;
  }
  get(key: string): Module {
    if (!this._keys.includes(key)) throw new RangeError(`ModuleDict has no key "${key}"`);
    return (this as any)[key];
  }
  set(key: string, module: Module): this {
    checkModule(module, "ModuleDict.set");
    this.addModule(key, module);
    if (!this._keys.includes(key)) this._keys.push(key);
    return this;
  }
  has(key: string): boolean {
    return this._keys.includes(key);
  }
  delete(key: string): boolean {
    if (!this._keys.includes(key)) return false;
    this._keys = this._keys.filter((k) => k !== key);
    delete (this as any)[key];
    return true;
  }
  pop(key: string): Module {
    const m = this.get(key);
    this.delete(key);
    return m;
  }
  clear(): void {
    for (const k of [...this._keys]) this.delete(k);
  }
  keys(): string[] {
    return this._keys.slice();
  }
  values(): Module[] {
    return this._keys.map((k) => (this as any)[k]);
  }
  entries(): [string, Module][] {
    return this._keys.map((k) => [k, (this as any)[k]]);
  }
  /** PyTorch's items(). */
  items(): [string, Module][] {
    return this.entries();
  }
  update(modules: Entries<Module> | ModuleDict): this {
    const e = modules instanceof ModuleDict ? modules.entries() : entriesOf(modules, "ModuleDict", false);
    for (const [k, m] of e) this.set(k, m);
    return this;
  }
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}

// ------------------------------------------------------------------ ParameterList, ParameterDict

const asParam = (v: unknown) => (v instanceof Tensor && !(v instanceof Parameter) ? new Parameter(v) : v);
const TYPENAME: Record<string, string> = {
  float32: "torch.FloatTensor",
  int64: "torch.LongTensor",
  bool: "torch.BoolTensor",
  float64: "torch.DoubleTensor",
};
function paramLine(k: string, p: unknown, typeStyle: "dtype" | "typename"): string {
  if (p instanceof Tensor) {
    const size = p.shape.join("x");
    const kind = p instanceof Parameter ? "Parameter" : "Tensor";
    const dt = typeStyle === "dtype" ? `torch.${p.dtype}` : (TYPENAME[p.dtype] ?? `torch.${p.dtype}`);
    return `  (${k}): ${kind} containing: [${dt} of size ${size}]`;
  }
  return `  (${k}): Object of type: ${p === null ? "NoneType" : typeof p === "object" ? (p as object).constructor?.name : typeof p}`;
}

/** Parameters in a list, named "0", "1", ... (tensors are wrapped as Parameters). Mirrors `torch.nn.ParameterList`. */
export class ParameterList extends Module implements Iterable<Parameter> {
  private _size = 0;
  constructor(values: Iterable<Tensor | unknown> | null = null) {
    super();
    if (values != null) this.extend(values);
  }
  forward(..._args: unknown[]): never {
    throw new Error("ParameterList should not be called.");
  }
  get length(): number {
    return this._size;
  }
  at(i: number): Parameter {
    return (this as any)[String(absIndex(i, this._size))];
  }
  set(i: number, v: Tensor | unknown): this {
    const k = String(absIndex(i, this._size));
    const p = asParam(v);
    if (p instanceof Parameter) this.registerParameter(k, p);
    else (this as any)[k] = p;
    return this;
  }
  append(v: Tensor | unknown): this {
    this._size += 1;
    return this.set(this._size - 1, v);
  }
  extend(values: Iterable<Tensor | unknown>): this {
    if (values == null || values instanceof Tensor || typeof (values as any)[Symbol.iterator] !== "function") {
      throw new TypeError(
        `ParameterList.extend should be called with an iterable, but got ${values instanceof Tensor ? "Tensor" : typeof values}`,
      );
    }
    for (const v of [...values]) this.append(v);
    return this;
  }
  /** Inserts before index i (negative from the end), renumbering the ones after. */
  insert(i: number, v: Tensor | unknown): this {
    const n = this._size;
    if (!Number.isInteger(i) || !(-n <= i && i <= n)) throw new RangeError(`Index out of range: ${i}`);
    const items: unknown[] = [...this];
    items.splice(i < 0 ? i + n : i, 0, v);
    this.replaceAll(items);
    return this;
  }
  /** Removes and returns the i-th entry (default the last), renumbering the ones after. */
  pop(i = -1): Parameter {
    const items = [...this];
    const [v] = items.splice(absIndex(i, items.length), 1);
    this.replaceAll(items);
    return v as Parameter;
  }
  private replaceAll(items: unknown[]): void {
    for (let k = 0; k < this._size; k++) delete (this as any)[String(k)];
    this._size = 0;
    for (const v of items) this.append(v);
  }
  *[Symbol.iterator](): Iterator<Parameter> {
    for (let i = 0; i < this._size; i++) yield (this as any)[String(i)];
  }
  extraRepr(): string {
    return [...this].map((p, k) => paramLine(String(k), p, "dtype")).join("\n");
  }
}

/** Parameters by name; from a plain object the keys are sorted (as PyTorch does for a dict), from a Map or pairs in order. Mirrors `torch.nn.ParameterDict`. */
export class ParameterDict extends Module implements Iterable<string> {
  private _keys: string[] = [];
  constructor(parameters: Entries<Tensor | unknown> | null = null) {
    super();
    if (parameters != null) this.update(parameters);
  }
  protected _memberNames(): string[] {
    return [...this._keys, ...Object.keys(this).filter((k) => !this._keys.includes(k))];
  }
  forward(..._args: unknown[]): never {
    throw new Error("ParameterDict should not be called.");
  }
  get length(): number {
    return this._keys.length;
  }
  get(key: string): Parameter;
  get<D>(key: string, dflt: D): Parameter | D;
  get(key: string, dflt?: unknown): unknown {
    if (!this._keys.includes(key)) {
      if (arguments.length > 1) return dflt;
      throw new RangeError(`ParameterDict has no key "${key}"`);
    }
    return (this as any)[key];
  }
  set(key: string, v: Tensor | unknown): this {
    if (typeof key !== "string")
      throw new TypeError(
        `Index given to ParameterDict cannot be used as a key as it is not a string (type is '${typeof key}').`,
      );
    const p = asParam(v);
    if (p instanceof Parameter) this.registerParameter(key, p);
    else {
      if (key in this && !this._keys.includes(key)) throw new RangeError(`attribute '${key}' already exists`);
      (this as any)[key] = p;
    }
    if (!this._keys.includes(key)) this._keys.push(key);
    return this;
  }
  has(key: string): boolean {
    return this._keys.includes(key);
  }
  delete(key: string): boolean {
    if (!this._keys.includes(key)) return false;
    this._keys = this._keys.filter((k) => k !== key);
    delete (this as any)[key];
    return true;
  }
  pop(key: string): Parameter {
    const v = this.get(key);
    this.delete(key);
    return v;
  }
  setdefault(key: string, dflt: Tensor | unknown = null): Parameter {
    if (!this.has(key)) this.set(key, dflt);
    return this.get(key);
  }
  clear(): void {
    for (const k of [...this._keys]) this.delete(k);
  }
  keys(): string[] {
    return this._keys.slice();
  }
  values(): Parameter[] {
    return this._keys.map((k) => (this as any)[k]);
  }
  entries(): [string, Parameter][] {
    return this._keys.map((k) => [k, (this as any)[k]]);
  }
  items(): [string, Parameter][] {
    return this.entries();
  }
  copy(): ParameterDict {
    return new ParameterDict(new Map(this.entries()));
  }
  update(parameters: Entries<Tensor | unknown> | ParameterDict): this {
    const e = parameters instanceof ParameterDict ? parameters.entries() : entriesOf(parameters, "ParameterDict", true);
    for (const [k, v] of e) this.set(k, v);
    return this;
  }
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
  extraRepr(): string {
    return this.entries()
      .map(([k, p]) => paramLine(k, p, "typename"))
      .join("\n");
  }
}

// ------------------------------------------------------------------ Unflatten

/** Splits dimension `dim` into `unflattenedSize` (the inverse of Flatten): `new nn.Unflatten(1, [2, 5])`. Mirrors `torch.nn.Unflatten`. */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: number[];
  constructor(dim: number, unflattenedSize: number[]);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Unflatten", args, { dim: A.int, unflattenedSize: A.ints });
    if (!o.unflattenedSize.length) throw new RangeError("unflattened_size must be a non-empty list of ints");
    this.dim = o.dim;
    this.unflattenedSize = o.unflattenedSize.slice();
  }
  forward(x: Tensor): Tensor {
    return x.unflatten(this.dim, this.unflattenedSize);
  }
  extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyRepr(this.unflattenedSize)}`;
  }
}
