// Tensor factories: torch.tensor, zeros, ones, full, arange, rand, randn (seeded by manualSeed).

import type { DType } from "./backends/types.js";
import { backendImpl, random, randomNormal } from "./runtime.js";
import { Tensor, type NestedArray, numelOf } from "./tensor.js";
import { full as fullRaw } from "./ops.js";

export interface TensorOptions { dtype?: DType; requiresGrad?: boolean; shape?: number[] }
type Sizes = (number | number[])[];

function sizesOf(args: Sizes): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as number[]).slice();
  return args as number[];
}
function splitOpts(args: unknown[]): [Sizes, TensorOptions] {
  const last = args[args.length - 1];
  if (last && typeof last === "object" && !Array.isArray(last)) return [args.slice(0, -1) as Sizes, last as TensorOptions];
  return [args as Sizes, {}];
}

function inferNested(data: NestedArray): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) { shape.push(cur.length); cur = cur[0]; }
  const flat: number[] = [];
  const walk = (v: NestedArray, d: number) => {
    if (d === shape.length) {
      if (Array.isArray(v)) throw new TypeError(`tensor(): inconsistent nesting at depth ${d}`);
      flat.push(typeof v === "boolean" ? (v ? 1 : 0) : v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new RangeError(`expected sequence of length ${shape[d]} at dim ${d} (got ${Array.isArray(v) ? v.length : "a scalar"})`);
    }
    for (const x of v) walk(x, d + 1);
  };
  walk(data, 0);
  return { shape, flat };
}

/** Builds a tensor from nested arrays, a number, or a typed array (with opts.shape). */
export function tensor(data: NestedArray | ArrayLike<number> | ArrayBufferView, opts: TensorOptions = {}): Tensor {
  let shape: number[], values: ArrayLike<number>;
  if (ArrayBuffer.isView(data)) {
    values = data as unknown as ArrayLike<number>;
    if ((data as any).BYTES_PER_ELEMENT === 8 && (data as any) instanceof BigInt64Array) {
      values = Array.from(data as unknown as BigInt64Array, (v) => Number(v));
    }
    shape = opts.shape ? opts.shape.slice() : [values.length];
  } else if (Array.isArray(data)) {
    const r = inferNested(data as NestedArray);
    shape = r.shape; values = r.flat;
    if (opts.shape) shape = opts.shape.slice();
  } else if (typeof data === "number" || typeof data === "boolean") {
    values = [Number(data)]; shape = opts.shape ? opts.shape.slice() : [];
  } else throw new TypeError("tensor(): data must be a number, a (nested) array or a typed array");
  if (numelOf(shape) !== values.length) {
    throw new RangeError(`tensor(): shape [${shape.join(", ")}] needs ${numelOf(shape)} elements but data has ${values.length}`);
  }
  const dtype: DType = opts.dtype ?? (data instanceof Int32Array || data instanceof BigInt64Array ? "int64" : "float32");
  const t = Tensor.empty(shape, dtype);
  const v = t.backendView();
  if (dtype === "int64") for (let k = 0; k < values.length; k++) v[k] = Math.trunc(values[k]);
  else v.set(values as any);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function make(args: unknown[], fillv: number | null, gen?: () => number): Tensor {
  const [sz, opts] = splitOpts(args);
  const shape = sizesOf(sz);
  const t = fillv !== null ? fullRaw(shape, fillv, opts.dtype ?? "float32") : Tensor.empty(shape, opts.dtype ?? "float32");
  if (gen) { const v = t.backendView(); for (let k = 0; k < v.length; k++) v[k] = gen(); }
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

export function zeros(...args: (number | number[] | TensorOptions)[]): Tensor { return make(args, 0); }
export function ones(...args: (number | number[] | TensorOptions)[]): Tensor { return make(args, 1); }
export function empty(...args: (number | number[] | TensorOptions)[]): Tensor { return make(args, null); }
export function rand(...args: (number | number[] | TensorOptions)[]): Tensor { return make(args, null, random); }
export function randn(...args: (number | number[] | TensorOptions)[]): Tensor { return make(args, null, randomNormal); }
export function full(shape: number[], value: number, opts: TensorOptions = {}): Tensor {
  const t = fullRaw(shape.slice(), value, opts.dtype ?? "float32");
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}
export function zerosLike(t: Tensor): Tensor { return fullRaw(t.shape.slice(), 0, t.dtype); }
export function onesLike(t: Tensor): Tensor { return fullRaw(t.shape.slice(), 1, t.dtype); }
/** Random integers in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: TensorOptions = {}): Tensor {
  return make([shape, { dtype: opts.dtype ?? "int64" }], null, () => low + Math.floor(random() * (high - low)));
}

/** arange(end) or arange(start, end, step); int64 when all arguments are integers (as PyTorch). */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
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
