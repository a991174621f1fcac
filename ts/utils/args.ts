// One argument convention for every public constructor and function (API.md "Rule"): PyTorch's
// positional order, or the leading positional arguments plus one trailing options object.
//
//   const o = parseArgs("nn.Linear", arguments, { inFeatures: A.int, outFeatures: A.int, bias: [A.bool, true] });
//   new nn.Linear(3, 4, false) and new nn.Linear(3, 4, { bias: false }) both give o.bias === false;
//   new nn.Linear(3, 4, { biass: false }) throws `unknown option "biass" for nn.Linear; did you mean "bias"?`

import type { Tensor } from "../tensor.js";

// No runtime import of tensor.ts (it imports this file): the Tensor class registers itself here.
let TensorClass: (abstract new (...a: any[]) => Tensor) | null = null;
/** Called once by tensor.ts. */
export function setTensorClass(c: abstract new (...a: any[]) => Tensor): void {
  TensorClass = c;
}
const isTensor = (v: unknown): v is Tensor => TensorClass !== null && v instanceof TensorClass;

/** A value check with a description for error messages ("an int", "a tuple of ints", ...). */
export interface Check<T = unknown> {
  (v: unknown): boolean;
  desc: string;
  readonly __t?: T;
}
/** Keyword-only: cannot be given positionally (PyTorch's `*, dtype=...`). */
export interface KwOnly<T = unknown> {
  kw: true;
  check: Check<T>;
  dflt: T;
}

/** A spec entry: a check (required), [check, default] (optional), or A.kw(check, default). */
export type Entry = Check<any> | readonly [Check<any>, unknown] | KwOnly<any>;
export type Spec = Record<string, Entry>;

type ValueOf<E> =
  E extends KwOnly<infer T>
    ? T
    : E extends readonly [Check<infer T>, infer D]
      ? T | D
      : E extends Check<infer T>
        ? T
        : never;
export type Parsed<S extends Spec> = { [K in keyof S]: ValueOf<S[K]> };

function check<T>(desc: string, fn: (v: unknown) => boolean): Check<T> {
  const c = fn as Check<T>;
  Object.defineProperty(c, "desc", { value: desc });
  return c;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === "number" && !Number.isNaN(v);
const tupleOf = (v: unknown, el: (x: unknown) => boolean) => Array.isArray(v) && v.length > 0 && v.every(el);

/** The checks. Each names what it accepts in the TypeError it causes. */
export const A = {
  any: check<any>("any value", () => true),
  int: check<number>("an int", isInt),
  posInt: check<number>("a positive int", (v) => isInt(v) && v > 0),
  nonNegInt: check<number>("a non-negative int", (v) => isInt(v) && v >= 0),
  num: check<number>("a number", isNum),
  bool: check<boolean>("a boolean", (v) => typeof v === "boolean"),
  str: check<string>("a string", (v) => typeof v === "string"),
  func: check<(...a: any[]) => any>("a function", (v) => typeof v === "function"),
  intOrTuple: check<number | number[]>("an int or a tuple of ints", (v) => isInt(v) || tupleOf(v, isInt)),
  numOrTuple: check<number | number[]>("a number or a tuple of numbers", (v) => isNum(v) || tupleOf(v, isNum)),
  ints: check<number[]>("a tuple of ints", (v) => Array.isArray(v) && v.every(isInt)),
  /** Conv padding: int, tuple of ints, "same" or "valid". */
  padding: check<number | number[] | "same" | "valid">(
    `an int, a tuple of ints, "same" or "valid"`,
    (v) => isInt(v) || tupleOf(v, isInt) || v === "same" || v === "valid",
  ),
  tensor: check<Tensor>("a Tensor", (v) => isTensor(v)),
  optTensor: check<Tensor | null | undefined>("a Tensor or null", (v) => v == null || isTensor(v)),
  oneOf<const T extends readonly unknown[]>(...values: T): Check<T[number]> {
    return check<T[number]>(`one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, (v) => values.includes(v));
  },
  or<T, U>(a: Check<T>, b: Check<U>): Check<T | U> {
    return check<T | U>(`${a.desc} or ${b.desc}`, (v) => a(v) || b(v));
  },
  nullable<T>(c: Check<T>): Check<T | null> {
    return check<T | null>(`${c.desc} or null`, (v) => v === null || v === undefined || c(v));
  },
  /** A keyword-only option with its default. */
  kw<T>(c: Check<T>, dflt: T): KwOnly<T> {
    return { kw: true, check: c, dflt };
  },
};

/** A plain `{ ... }` object (not a Tensor, array, Map, class instance, ...): the options object. */
export function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

function show(v: unknown): string {
  if (isTensor(v)) return `a Tensor of shape [${v.shape.join(", ")}]`;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (v !== null && typeof v === "object") return `an object (${Object.prototype.toString.call(v)})`;
  return String(v);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}
const camel = (s: string) => s.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
const lower = (s: string) => s.toLowerCase().replace(/_/g, "");

/** The known name closest to `key` (snake_case, case or a small typo), if any is close. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const c = camel(key);
  if (known.includes(c)) return c;
  const l = lower(key);
  const same = known.find((k) => lower(k) === l);
  if (same) return same;
  let best: string | undefined,
    bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(l, lower(k));
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** Throws the TypeError for an option key that `fn` does not take. */
export function unknownOption(fn: string, key: string, known: readonly string[]): never {
  const s = suggest(key, known);
  throw new TypeError(
    `unknown option "${key}" for ${fn}${s ? `; did you mean "${s}"?` : ` (it takes ${known.map((k) => `"${k}"`).join(", ") || "no options"})`}`,
  );
}

/** Rejects keys of `opts` outside `known` (for functions that read their options by hand). */
export function checkOptions(fn: string, opts: object | undefined | null, known: readonly string[]): void {
  if (opts == null) return;
  if (!isOptionsObject(opts)) throw new TypeError(`${fn}: expected an options object, got ${show(opts)}`);
  for (const k of Object.keys(opts)) if (!known.includes(k)) unknownOption(fn, k, known);
}

const REQUIRED = Symbol("required");
function parts(e: Entry): { c: Check; dflt: unknown; kw: boolean } {
  if (typeof e === "function") return { c: e, dflt: REQUIRED, kw: false };
  if (Array.isArray(e)) return { c: e[0] as Check, dflt: e[1], kw: false };
  const k = e as KwOnly;
  return { c: k.check, dflt: k.dflt, kw: true };
}

/**
 * Reads `given` (a call's arguments: positional values in the spec's order, optionally followed by
 * one options object) against `spec`. Missing optional values take their defaults; `undefined`
 * counts as not given. Throws a TypeError naming `fn` and the argument for anything else.
 */
export function parseArgs<S extends Spec>(fn: string, given: ArrayLike<unknown>, spec: S): Parsed<S> {
  const names = Object.keys(spec);
  const entries = names.map((n) => parts(spec[n]));
  let list = Array.from(given);
  while (list.length && list[list.length - 1] === undefined) list.pop();
  let opts: Record<string, unknown> = {};
  const positionalMax = entries.filter((e) => !e.kw).length;
  // a trailing plain object is the options object, unless it is itself the value of a positional
  // argument whose check accepts objects (A.any)
  if (list.length && isOptionsObject(list[list.length - 1])) {
    const at = list.length - 1;
    const e = at < positionalMax ? entries[at] : undefined;
    if (!(e && e.c === A.any)) {
      opts = list[at] as Record<string, unknown>;
      list = list.slice(0, at);
    }
  }
  if (list.length > positionalMax) {
    throw new TypeError(
      `${fn}: takes at most ${positionalMax} positional argument${positionalMax === 1 ? "" : "s"} (${names.slice(0, positionalMax).join(", ")}) but ${list.length} were given; pass the others by name in an options object`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(opts)) {
    if (!names.includes(k)) unknownOption(fn, k, names);
  }
  names.forEach((n, i) => {
    const e = entries[i];
    const inList = i < list.length && list[i] !== undefined;
    const inOpts = Object.prototype.hasOwnProperty.call(opts, n) && opts[n] !== undefined;
    if (inList && inOpts) throw new TypeError(`${fn}: got multiple values for argument "${n}"`);
    if (!inList && !inOpts) {
      if (e.dflt === REQUIRED) throw new TypeError(`${fn}: missing required argument "${n}"`);
      out[n] = e.dflt;
      return;
    }
    const v = inList ? list[i] : opts[n];
    // None for an argument whose default is None is always fine (PyTorch's Optional[...] = None)
    if (!(v === null && e.dflt === null) && !e.c(v))
      throw new TypeError(`${fn}: argument "${n}" must be ${e.c.desc}, got ${show(v)}`);
    out[n] = v;
  });
  return out as Parsed<S>;
}
