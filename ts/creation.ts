// Tensor factories: torch.tensor, zeros, ones, full, arange, rand, randn (seeded by manualSeed).

import type { DType } from "./backends/types.js";
import { checkDType } from "./dtypes.js";
import { checkOptions } from "./utils/args.js";
import { backendImpl, random, randomNormal } from "./runtime.js";
import { Tensor, type NestedArray, numelOf } from "./tensor.js";
import { full as fullRaw } from "./ops.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  shape?: number[];
}
type Sizes = (number | number[])[];

function sizesOf(args: Sizes): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as number[]).slice();
  return args as number[];
}
function splitOpts(args: unknown[]): [Sizes, TensorOptions] {
  const last = args[args.length - 1];
  if (last && typeof last === "object" && !Array.isArray(last))
    return [args.slice(0, -1) as Sizes, last as TensorOptions];
  return [args as Sizes, {}];
}

/** The element kinds seen in the data (what tensor() infers the dtype from). */
interface Kinds {
  bool: boolean;
  num: boolean;
  big: boolean;
}

function leafValue(v: unknown, kinds: Kinds): number | bigint {
  if (typeof v === "boolean") {
    kinds.bool = true;
    return v ? 1 : 0;
  }
  if (typeof v === "number") {
    kinds.num = true;
    return v;
  }
  if (typeof v === "bigint") {
    kinds.big = true;
    return v;
  }
  throw new TypeError(
    `tensor(): elements must be numbers, booleans or BigInts, got ${v === null ? "null" : v === undefined ? "undefined" : typeof v === "string" ? `the string ${JSON.stringify(v)}` : typeof v}`,
  );
}

function inferNested(data: NestedArray, kinds: Kinds): { shape: number[]; flat: (number | bigint)[] } {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const flat: (number | bigint)[] = [];
  const walk = (v: NestedArray, d: number) => {
    if (d === shape.length) {
      if (Array.isArray(v)) throw new TypeError(`tensor(): inconsistent nesting at depth ${d}`);
      flat.push(leafValue(v, kinds));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new RangeError(
        `expected sequence of length ${shape[d]} at dim ${d} (got ${Array.isArray(v) ? v.length : "a scalar"})`,
      );
    }
    for (const x of v) walk(x, d + 1);
  };
  walk(data, 0);
  return { shape, flat };
}

/** An int64 element from a number or BigInt: exact, or a RangeError (never a wrap). */
function int64Of(v: number | bigint): number {
  if (typeof v === "bigint") {
    const n = Number(v);
    if (BigInt(n) !== v) {
      throw new RangeError(
        `tensor(): ${v} cannot be stored exactly: int64 tensors hold integers up to 2^53 in magnitude exactly (and larger ones that a JS number represents exactly)`,
      );
    }
    return n;
  }
  if (!Number.isFinite(v)) throw new RangeError(`tensor(): cannot convert ${v} to int64`);
  if (Math.abs(v) >= 2 ** 63) throw new RangeError(`tensor(): value ${v} is out of range for int64`);
  return Math.trunc(v) + 0;
}

/** Builds a tensor from nested arrays, a number, or a typed array (with opts.shape). The dtype is
 *  opts.dtype, else bool for booleans, int64 for BigInts and integer typed arrays, else float32. */
export function tensor(
  data: NestedArray | ArrayLike<number> | ArrayBufferView | bigint,
  opts: TensorOptions = {},
): Tensor {
  checkOptions("tensor", opts, ["dtype", "requiresGrad", "shape"]);
  let shape: number[], values: ArrayLike<number | bigint>;
  const kinds: Kinds = { bool: false, num: false, big: false };
  let inferred: DType = "float32";
  if (ArrayBuffer.isView(data)) {
    values = data as unknown as ArrayLike<number>;
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) inferred = "int64";
    else if (
      data instanceof Int32Array ||
      data instanceof Int16Array ||
      data instanceof Int8Array ||
      data instanceof Uint16Array ||
      data instanceof Uint32Array
    )
      inferred = "int64";
    else if (data instanceof Uint8Array && !(data instanceof Uint8ClampedArray)) inferred = "float32";
    if (data instanceof DataView) throw new TypeError("tensor(): a DataView is not a typed array of elements");
    shape = opts.shape ? opts.shape.slice() : [values.length];
  } else if (Array.isArray(data)) {
    const r = inferNested(data as NestedArray, kinds);
    shape = r.shape;
    values = r.flat;
    if (opts.shape) shape = opts.shape.slice();
    inferred = kinds.num ? (kinds.big ? "int64" : "float32") : kinds.big ? "int64" : kinds.bool ? "bool" : "float32";
  } else if (typeof data === "number" || typeof data === "boolean" || typeof data === "bigint") {
    values = [leafValue(data, kinds)];
    shape = opts.shape ? opts.shape.slice() : [];
    inferred = kinds.bool ? "bool" : kinds.big ? "int64" : "float32";
  } else throw new TypeError("tensor(): data must be a number, a (nested) array or a typed array");
  if (numelOf(shape) !== values.length) {
    throw new RangeError(
      `tensor(): shape [${shape.join(", ")}] needs ${numelOf(shape)} elements but data has ${values.length}`,
    );
  }
  const dtype: DType = opts.dtype === undefined ? inferred : checkDType(opts.dtype, "tensor");
  const t = Tensor.empty(shape, dtype);
  const v = t.backendView();
  const n = values.length;
  if (dtype === "int64") for (let k = 0; k < n; k++) v[k] = int64Of(values[k]);
  else if (dtype === "bool") for (let k = 0; k < n; k++) v[k] = Number(values[k]) !== 0 ? 1 : 0;
  else if (kinds.big || values instanceof BigInt64Array || values instanceof BigUint64Array)
    for (let k = 0; k < n; k++) v[k] = Number(values[k]);
  else v.set(values as ArrayLike<number>);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function make(args: unknown[], fillv: number | null, gen?: () => number): Tensor {
  const [sz, opts] = splitOpts(args);
  const shape = sizesOf(sz);
  const t =
    fillv !== null ? fullRaw(shape, fillv, opts.dtype ?? "float32") : Tensor.empty(shape, opts.dtype ?? "float32");
  if (gen) {
    const v = t.backendView();
    for (let k = 0; k < v.length; k++) v[k] = gen();
  }
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor of zeros (`torch.zeros`): `torch.zeros(2, 3)`, `torch.zeros([2, 3], { dtype: "int64" })`. */
export function zeros(...args: (number | number[] | TensorOptions)[]): Tensor {
  return make(args, 0);
}
/** A tensor of ones (`torch.ones`): `torch.ones(2, 3)`. */
export function ones(...args: (number | number[] | TensorOptions)[]): Tensor {
  return make(args, 1);
}
/** An uninitialised tensor (`torch.empty`): `torch.empty(2, 3)`. */
export function empty(...args: (number | number[] | TensorOptions)[]): Tensor {
  return make(args, null);
}
/** Uniform random numbers in [0, 1) (`torch.rand`): `torch.rand(2, 3)`. */
export function rand(...args: (number | number[] | TensorOptions)[]): Tensor {
  return make(args, null, random);
}
/** Standard normal random numbers (`torch.randn`): `torch.randn(2, 3)`. */
export function randn(...args: (number | number[] | TensorOptions)[]): Tensor {
  return make(args, null, randomNormal);
}
/** A tensor filled with `value` (`torch.full`): `torch.full([2, 3], 0.5)`. */
export function full(shape: number[], value: number, opts: TensorOptions = {}): Tensor {
  const t = fullRaw(shape.slice(), value, opts.dtype ?? "float32");
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}
/** Zeros with the shape and dtype of `t` (`torch.zeros_like`). */
export function zerosLike(t: Tensor): Tensor {
  return fullRaw(t.shape.slice(), 0, t.dtype);
}
/** Ones with the shape and dtype of `t` (`torch.ones_like`). */
export function onesLike(t: Tensor): Tensor {
  return fullRaw(t.shape.slice(), 1, t.dtype);
}
/** Random integers in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: TensorOptions = {}): Tensor {
  return make([shape, { dtype: opts.dtype ?? "int64" }], null, () => low + Math.floor(random() * (high - low)));
}

/** arange(end) or arange(start, end, step); int64 when all arguments are integers (as PyTorch). */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new RangeError("arange: step must be nonzero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype: DType = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? "int64" : "float32");
  const t = Tensor.empty([n], dtype);
  const v = t.backendView();
  for (let k = 0; k < n; k++) v[k] = start + k * step;
  return t;
}

/** Fills t in place with U(low, high) (nn.init.uniform_). */
export function uniform_(t: Tensor, low: number, high: number): Tensor {
  const v = t.backendView();
  for (let k = 0; k < v.length; k++) v[k] = low + (high - low) * random();
  return t;
}
/** Fills t in place with N(mean, std) (nn.init.normal_). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  const v = t.backendView();
  for (let k = 0; k < v.length; k++) v[k] = mean + std * randomNormal();
  return t;
}
export { backendImpl };
