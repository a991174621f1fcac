// torch.utils.data: Dataset, TensorDataset, Subset, ConcatDataset, randomSplit, samplers, DataLoader
// and PyTorch's default_collate; torch.Generator for reproducible shuffles and splits.
//
//   const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true });
//   for (const [xb, yb] of loader) { ... }

import { Tensor } from "../tensor.js";
import { tensor } from "../creation.js";
import { stack } from "../ops.js";
import { random as globalRandom } from "../runtime.js";
import { parseArgs, A, type Check } from "./args.js";

// ------------------------------------------------------------------ Generator

/** A seedable random generator (torch.Generator): `new Generator().manualSeed(0)`. */
export class Generator {
  private s = new Uint32Array(4);
  private seed0 = 0;
  constructor() {
    this.manualSeed(Math.floor(globalRandom() * 2 ** 31));
  }
  manualSeed(seed: number | bigint): this {
    let x = Number(BigInt.asUintN(32, BigInt(seed))) >>> 0;
    this.seed0 = Number(seed);
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[k] = (z ^ (z >>> 16)) >>> 0;
    }
    if (!(this.s[0] | this.s[1] | this.s[2] | this.s[3])) this.s[0] = 1;
    return this;
  }
  initialSeed(): number {
    return this.seed0;
  }
  private next(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }
  /** Uniform in [0, 1). */
  random(): number {
    return (this.next() * 2 ** 21 + (this.next() >>> 11)) / 2 ** 53;
  }
  getState(): Uint32Array {
    return this.s.slice();
  }
  setState(st: Uint32Array): this {
    this.s.set(st);
    return this;
  }
}
function rotl(x: number, k: number) {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const rand = (g?: Generator | null) => (g ? g.random() : globalRandom());
/** A random permutation of 0..n-1 (Fisher–Yates). */
export function randperm(n: number, generator?: Generator | null): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand(generator) * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

// ------------------------------------------------------------------ datasets

/** A map-style dataset: subclasses implement `get length()` and `get(i)`. */
export abstract class Dataset<T = unknown> {
  abstract get length(): number;
  abstract get(index: number): T;
  /** PyTorch's `dataset + other`. */
  concat(other: Dataset<T>): ConcatDataset<T> {
    return new ConcatDataset([this, other]);
  }
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}

/** An iterable-style dataset: subclasses implement `[Symbol.iterator]()` (PyTorch's IterableDataset). */
export abstract class IterableDataset<T = unknown> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
}

function checkIndex(i: number, n: number, what: string): number {
  if (!Number.isInteger(i)) throw new TypeError(`${what}: index must be an integer, got ${String(i)}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new RangeError(`${what}: index ${i} is out of range for a dataset of length ${n}`);
  return j;
}

/** Samples are the i-th rows of each tensor (all tensors have the same first dimension). */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (!tensors.length) throw new TypeError("TensorDataset: needs at least one tensor");
    for (const t of tensors)
      if (!(t instanceof Tensor)) throw new TypeError("TensorDataset: every argument must be a Tensor");
    for (const t of tensors) {
      if (t.dim() === 0) throw new RangeError("TensorDataset: tensors must have at least one dimension");
      if (t.shape[0] !== tensors[0].shape[0]) throw new RangeError("Size mismatch between tensors");
    }
    this.tensors = tensors;
  }
  get length(): number {
    return this.tensors[0].shape[0];
  }
  get(i: number): Tensor[] {
    const j = checkIndex(i, this.length, "TensorDataset");
    return this.tensors.map((t) => t.select(0, j));
  }
}

/** The samples of `dataset` at `indices`. */
export class Subset<T = unknown> extends Dataset<T> {
  constructor(
    readonly dataset: Dataset<T>,
    readonly indices: number[],
  ) {
    super();
  }
  get length(): number {
    return this.indices.length;
  }
  get(i: number): T {
    return this.dataset.get(this.indices[checkIndex(i, this.indices.length, "Subset")]);
  }
}

/** Datasets one after another. */
export class ConcatDataset<T = unknown> extends Dataset<T> {
  readonly datasets: Dataset<T>[];
  readonly cumulativeSizes: number[];
  constructor(datasets: Iterable<Dataset<T>>) {
    super();
    this.datasets = [...datasets];
    if (!this.datasets.length) throw new RangeError("datasets should not be an empty iterable");
    let s = 0;
    this.cumulativeSizes = this.datasets.map((d) => (s += d.length));
  }
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }
  get(i: number): T {
    const j = checkIndex(i, this.length, "ConcatDataset");
    const d = this.cumulativeSizes.findIndex((c) => j < c);
    return this.datasets[d].get(d === 0 ? j : j - this.cumulativeSizes[d - 1]);
  }
}

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths, or of the given
 * fractions (summing to 1; PyTorch's rounding: floor, then the remainder one by one round-robin).
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: number[], generator?: Generator | null): Subset<T>[] {
  const n = dataset.length;
  let lens = lengths.slice();
  const sum = lens.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) <= 1e-9 && sum <= 1) {
    lens = lens.map((f) => Math.floor(n * f));
    let rem = n - lens.reduce((a, b) => a + b, 0);
    for (let i = 0; rem > 0; i = (i + 1) % lens.length, rem--) lens[i] += 1;
  }
  if (lens.some((l) => !Number.isInteger(l) || l < 0))
    throw new RangeError(
      `randomSplit: lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(", ")}]`,
    );
  if (lens.reduce((a, b) => a + b, 0) !== n)
    throw new RangeError("Sum of input lengths does not equal the length of the input dataset!");
  const perm = randperm(n, generator);
  let off = 0;
  return lens.map((l) => {
    const s = new Subset(dataset, perm.slice(off, off + l));
    off += l;
    return s;
  });
}

// ------------------------------------------------------------------ samplers

/** Yields indices. */
export abstract class Sampler implements Iterable<number> {
  abstract [Symbol.iterator](): Iterator<number>;
  abstract get length(): number;
}
export class SequentialSampler extends Sampler {
  constructor(readonly dataSource: { length: number }) {
    super();
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.dataSource.length; i++) yield i;
  }
  get length(): number {
    return this.dataSource.length;
  }
}
/** Random order (a fresh permutation per pass), or `numSamples` draws with replacement. */
export class RandomSampler extends Sampler {
  readonly replacement: boolean;
  readonly generator: Generator | null;
  private readonly _numSamples: number | null;
  constructor(
    readonly dataSource: { length: number },
    opts: { replacement?: boolean; numSamples?: number | null; generator?: Generator | null } = {},
  ) {
    super();
    const o = parseArgs("utils.data.RandomSampler", [opts], {
      replacement: [A.bool, false],
      numSamples: [A.nullable(A.posInt), null],
      generator: [A.nullable(A.any), null],
    });
    this.replacement = o.replacement;
    this._numSamples = o.numSamples;
    this.generator = o.generator as Generator | null;
  }
  get numSamples(): number {
    return this._numSamples ?? this.dataSource.length;
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    if (this.replacement) {
      for (let k = 0; k < this.numSamples; k++) yield Math.floor(rand(this.generator) * n);
      return;
    }
    for (let done = 0; done < this.numSamples; ) {
      for (const i of randperm(n, this.generator)) {
        if (done++ >= this.numSamples) return;
        yield i;
      }
    }
  }
}
/** Random order of the given indices. */
export class SubsetRandomSampler extends Sampler {
  constructor(
    readonly indices: number[],
    readonly generator: Generator | null = null,
  ) {
    super();
  }
  get length(): number {
    return this.indices.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    for (const i of randperm(this.indices.length, this.generator)) yield this.indices[i];
  }
}
/** Indices drawn with probabilities proportional to `weights` (with replacement by default). */
export class WeightedRandomSampler extends Sampler {
  readonly weights: number[];
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: Generator | null;
  constructor(
    weights: ArrayLike<number> | Tensor,
    numSamples: number | { numSamples: number; replacement?: boolean; generator?: Generator | null },
    replacement?: boolean,
    generator?: Generator | null,
  ) {
    super();
    const o = parseArgs("utils.data.WeightedRandomSampler", [numSamples, replacement, generator], {
      numSamples: A.posInt,
      replacement: [A.bool, true],
      generator: [A.nullable(A.any), null],
    });
    const w =
      weights instanceof Tensor ? Array.from(weights.toFloat32Array()) : Array.from(weights as ArrayLike<number>);
    if (!w.length || w.some((x) => !(x >= 0) || !Number.isFinite(x)))
      throw new RangeError("WeightedRandomSampler: weights must be finite and non-negative");
    if (!w.some((x) => x > 0))
      throw new RangeError("WeightedRandomSampler: invalid multinomial distribution (sum of probabilities <= 0)");
    if (!o.replacement && o.numSamples > w.filter((x) => x > 0).length)
      throw new RangeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement");
    this.weights = w;
    this.numSamples = o.numSamples;
    this.replacement = o.replacement;
    this.generator = o.generator as Generator | null;
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    const w = this.weights.slice();
    for (let k = 0; k < this.numSamples; k++) {
      const total = w.reduce((a, b) => a + b, 0);
      let r = rand(this.generator) * total,
        i = 0;
      while (i < w.length - 1 && (r >= w[i] || w[i] === 0)) {
        r -= w[i];
        i++;
      }
      while (w[i] === 0) i--;
      yield i;
      if (!this.replacement) w[i] = 0;
    }
  }
}

/** Groups a sampler's indices into batches. */
export class BatchSampler implements Iterable<number[]> {
  readonly batchSize: number;
  readonly dropLast: boolean;
  constructor(
    readonly sampler: Iterable<number> & { length?: number },
    batchSize: number | { batchSize: number; dropLast?: boolean },
    dropLast?: boolean,
  ) {
    const o = parseArgs("utils.data.BatchSampler", [batchSize, dropLast], {
      batchSize: A.posInt,
      dropLast: [A.bool, false],
    });
    this.batchSize = o.batchSize;
    this.dropLast = o.dropLast;
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let b: number[] = [];
    for (const i of this.sampler) {
      b.push(i);
      if (b.length === this.batchSize) {
        yield b;
        b = [];
      }
    }
    if (b.length && !this.dropLast) yield b;
  }
  get length(): number {
    const n = this.sampler.length ?? [...this.sampler].length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}

// ------------------------------------------------------------------ collate

/** What defaultCollate makes of a batch of samples of type T. */
export type Collated<T> = T extends Tensor | number | bigint | boolean
  ? Tensor
  : T extends string
    ? string[]
    : T extends Map<infer K, infer V>
      ? Map<K, Collated<V>>
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : never;

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
};

/**
 * PyTorch's default_collate: tensors are stacked (a new first dimension); numbers become an int64
 * tensor when all are integers, else float32; booleans a bool tensor; strings stay a list; arrays
 * are transposed and collated element-wise; objects key by key; Maps likewise.
 */
export function defaultCollate<T>(batch: T[]): Collated<T>;
export function defaultCollate(batch: unknown[]): unknown {
  if (!Array.isArray(batch)) throw new TypeError("defaultCollate: batch must be an array of samples");
  if (!batch.length) throw new RangeError("defaultCollate: empty batch");
  const elem = batch[0];
  if (elem instanceof Tensor) {
    for (const b of batch)
      if (!(b instanceof Tensor)) throw new TypeError("defaultCollate: a batch mixes tensors and other values");
    const shape = elem.shape.join(",");
    for (const b of batch as Tensor[])
      if (b.shape.join(",") !== shape)
        throw new RangeError(
          `stack expects each tensor to be equal size, but got [${elem.shape.join(", ")}] at entry 0 and [${b.shape.join(", ")}] at entry ${batch.indexOf(b)}`,
        );
    return stack(batch as Tensor[], 0);
  }
  if (typeof elem === "number" || typeof elem === "bigint") {
    if (!batch.every((b) => typeof b === "number" || typeof b === "bigint"))
      throw new TypeError("defaultCollate: a batch mixes numbers and other values");
    const ints = batch.every((b) => typeof b === "bigint" || Number.isInteger(b));
    return ints ? tensor((batch as (number | bigint)[]).map(Number), { dtype: "int64" }) : tensor(batch as number[]);
  }
  if (typeof elem === "boolean")
    return tensor(
      (batch as boolean[]).map((b) => (b ? 1 : 0)),
      { dtype: "bool" as any },
    );
  if (typeof elem === "string") return batch.slice();
  if (elem instanceof Map) {
    return new Map(
      [...elem.keys()].map((k) => [k, defaultCollate(batch.map((b) => (b as Map<unknown, unknown>).get(k)))]),
    );
  }
  if (isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(elem)) out[k] = defaultCollate(batch.map((b) => (b as Record<string, unknown>)[k]));
    return out;
  }
  if (Array.isArray(elem)) {
    const n = elem.length;
    if (!batch.every((b) => Array.isArray(b) && b.length === n))
      throw new RangeError("each element in list of batch should be of equal size");
    return elem.map((_, i) => defaultCollate(batch.map((b) => (b as unknown[])[i])));
  }
  throw new TypeError(
    `default_collate: batch must contain tensors, numbers, dicts or lists; found ${elem === null ? "null" : typeof elem}`,
  );
}

// ------------------------------------------------------------------ DataLoader

export interface DataLoaderOptions<T, B = Collated<T>> {
  batchSize?: number | null;
  shuffle?: boolean;
  sampler?: Iterable<number> | null;
  batchSampler?: Iterable<number[]> | null;
  /** Accepted for ported code: samples are loaded in the calling thread (the same batches in the same order). */
  numWorkers?: number;
  collateFn?: ((batch: T[]) => B) | null;
  pinMemory?: boolean;
  dropLast?: boolean;
  timeout?: number;
  workerInitFn?: ((id: number) => void) | null;
  multiprocessingContext?: unknown;
  generator?: Generator | null;
  prefetchFactor?: number | null;
  persistentWorkers?: boolean;
  pinMemoryDevice?: string;
}

const optIter = Object.assign(
  (v: unknown) => v == null || (typeof v === "object" && typeof (v as any)[Symbol.iterator] === "function"),
  { desc: "an iterable of indices or null" },
) as Check<Iterable<any> | null>;

/** Batches of a dataset, in order or shuffled: `for (const [x, y] of loader)`. */
export class DataLoader<T = unknown, B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T> | { length: number; get(i: number): T };
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly sampler: Iterable<number> & { length?: number };
  readonly batchSampler: (Iterable<number[]> & { length?: number }) | null;
  readonly collateFn: (batch: T[]) => B;
  readonly generator: Generator | null;
  readonly numWorkers: number;
  private readonly iterable: boolean;
  constructor(
    dataset: Dataset<T> | IterableDataset<T> | { length: number; get(i: number): T },
    batchSize?: number | null | DataLoaderOptions<T, B>,
    shuffle?: boolean | DataLoaderOptions<T, B>,
    opts?: DataLoaderOptions<T, B>,
  );
  constructor(dataset: Dataset<T> | IterableDataset<T> | { length: number; get(i: number): T }, ...args: unknown[]) {
    const o = parseArgs("utils.data.DataLoader", args, {
      batchSize: [A.nullable(A.posInt), 1],
      shuffle: [A.bool, false],
      sampler: [optIter, null],
      batchSampler: [optIter, null],
      numWorkers: [A.nonNegInt, 0],
      collateFn: [A.nullable(A.func), null],
      pinMemory: [A.bool, false],
      dropLast: [A.bool, false],
      timeout: [A.num, 0],
      workerInitFn: [A.nullable(A.func), null],
      multiprocessingContext: [A.any, null],
      generator: [A.nullable(A.any), null],
      prefetchFactor: A.kw(A.nullable(A.posInt), null),
      persistentWorkers: A.kw(A.bool, false),
      pinMemoryDevice: A.kw(A.str, ""),
    });
    if (o.workerInitFn && o.numWorkers > 0)
      throw new RangeError(
        "DataLoader: workerInitFn needs worker processes, and samples are loaded in the calling thread here (use numWorkers: 0)",
      );
    const iterable = dataset instanceof IterableDataset;
    if (
      !iterable &&
      (!dataset || typeof (dataset as any).get !== "function" || typeof (dataset as any).length !== "number")
    ) {
      throw new TypeError(
        "DataLoader: dataset must have a numeric `length` and a `get(i)` method (subclass utils.data.Dataset), or be an IterableDataset",
      );
    }
    if (iterable && o.shuffle)
      throw new RangeError(
        `DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${o.shuffle}`,
      );
    if (iterable && o.sampler)
      throw new RangeError("DataLoader with IterableDataset: expected unspecified sampler option");
    if (iterable && o.batchSampler)
      throw new RangeError("DataLoader with IterableDataset: expected unspecified batch_sampler option");
    // numWorkers: samples are always loaded in the calling thread (the same batches, in the same order)
    this.numWorkers = o.numWorkers;
    if (o.sampler && o.shuffle) throw new RangeError("sampler option is mutually exclusive with shuffle");
    if (o.batchSampler && (o.batchSize !== 1 || o.shuffle || o.sampler || o.dropLast)) {
      throw new RangeError(
        "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
      );
    }
    this.dataset = dataset as any;
    this.iterable = iterable;
    this.generator = o.generator as Generator | null;
    this.sampler =
      (o.sampler as any) ??
      (o.shuffle
        ? new RandomSampler(dataset as any, { generator: this.generator })
        : new SequentialSampler(dataset as any));
    this.batchSize = o.batchSampler ? null : o.batchSize;
    this.dropLast = o.dropLast;
    this.batchSampler =
      (o.batchSampler as any) ??
      (this.batchSize !== null ? new BatchSampler(this.sampler, this.batchSize, this.dropLast) : null);
    this.collateFn = (o.collateFn as any) ?? (this.batchSampler ? defaultCollate : (x: T) => x);
  }
  /** The number of batches (samples when batchSize is null). */
  get length(): number {
    if (this.iterable) {
      const n = (this.dataset as any).length;
      if (typeof n !== "number")
        throw new TypeError("DataLoader over an IterableDataset without a length has no length");
      return this.batchSize === null
        ? n
        : this.dropLast
          ? Math.floor(n / this.batchSize)
          : Math.ceil(n / this.batchSize);
    }
    if (this.batchSampler) return this.batchSampler.length ?? [...this.batchSampler].length;
    return this.sampler.length ?? this.dataset.length;
  }
  *[Symbol.iterator](): Iterator<B> {
    if (this.iterable) {
      if (this.batchSize === null) {
        for (const x of this.dataset as unknown as Iterable<T>) yield (this.collateFn as any)(x);
        return;
      }
      let b: T[] = [];
      for (const x of this.dataset as unknown as Iterable<T>) {
        b.push(x);
        if (b.length === this.batchSize) {
          yield this.collateFn(b);
          b = [];
        }
      }
      if (b.length && !this.dropLast) yield this.collateFn(b);
      return;
    }
    if (this.batchSampler) {
      for (const idx of this.batchSampler) yield this.collateFn(idx.map((i) => this.dataset.get(i)));
    } else {
      for (const i of this.sampler) yield (this.collateFn as any)(this.dataset.get(i));
    }
  }
}
