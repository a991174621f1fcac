// torchlet: PyTorch's torch / torch.nn / torch.optim for JavaScript.
//   import * as torch from "torchlet"; await torch.init(); const x = torch.randn(2, 3);

import type { Backend, BackendName } from "./backends/types.js";
import { JsBackend } from "./backends/js.js";
import { activeBackend, backendImpl, live, setAutoInit, setBackend } from "./runtime.js";
import { checkOptions } from "./utils/args.js";
import * as nativeMod from "./backends/native.js";
import * as wasmMod from "./backends/wasm.js";

export { Tensor, type NestedArray } from "./tensor.js";
export type { DType, BackendName } from "./backends/types.js";
export {
  tensor,
  zeros,
  ones,
  empty,
  full,
  rand,
  randn,
  randint,
  arange,
  zerosLike,
  onesLike,
  type TensorOptions,
} from "./creation.js";
export { noGrad, enableGrad, tidy, keep, manualSeed } from "./runtime.js";
export { matmul, broadcastShapes } from "./ops.js";
// reductions, shape, indexing, linear algebra, creation/random as torch.* (ts/ops/torch.ts)
export {
  sum,
  mean,
  prod,
  amax,
  amin,
  max,
  min,
  argmax,
  argmin,
  var,
  std,
  logsumexp,
  norm,
  cumsum,
  cumprod,
  any,
  all,
  countNonzero,
  split,
  chunk,
  unbind,
  flip,
  roll,
  tile,
  broadcastTo,
  movedim,
  moveaxis,
  unflatten,
  squeeze,
  unsqueeze,
  tril,
  triu,
  diagonal,
  diag,
  cat,
  concat,
  stack,
  hstack,
  vstack,
  gather,
  scatter,
  scatterAdd,
  indexSelect,
  maskedFill,
  maskedSelect,
  where,
  nonzero,
  topk,
  sort,
  argsort,
  unique,
  bmm,
  baddbmm,
  addmm,
  addbmm,
  mm,
  mv,
  outer,
  dot,
  einsum,
  eye,
  linspace,
  logspace,
  fullLike,
  emptyLike,
  randLike,
  randnLike,
  randintLike,
  randperm,
  multinomial,
  bernoulli,
  normal,
  flatten,
  reshape,
  permute,
  transpose,
  t,
  narrow,
  select,
  clone,
  softmax,
  logSoftmax,
  numel,
} from "./ops/torch.js";
export { save, load, LoadError, consumePrefixInStateDictIfPresent } from "./io/index.js";
// bool dtype: comparisons and logical ops (ts/logical.ts); in-place twins of elementwise ops (ts/inplace.ts)
export {
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  greater,
  less,
  greaterEqual,
  lessEqual,
  notEqual,
  isnan,
  isinf,
  isfinite,
  logicalAnd,
  logicalOr,
  logicalXor,
  logicalNot,
} from "./logical.js";
export { promoteTypes, canCast } from "./dtypes.js";
import "./inplace.js";
// elementwise math as torch.* (ts/ops/elementwise.ts)
export {
  abs,
  absolute,
  sign,
  neg,
  negative,
  square,
  floor,
  ceil,
  trunc,
  fix,
  frac,
  round,
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  arcsin,
  arccos,
  arctan,
  sinh,
  cosh,
  erf,
  erfinv,
  expm1,
  log1p,
  log2,
  log10,
  exp2,
  exp,
  log,
  sqrt,
  rsqrt,
  reciprocal,
  sigmoid,
  tanh,
  relu,
  nanToNum,
  atan2,
  arctan2,
  remainder,
  fmod,
  hypot,
  add,
  sub,
  subtract,
  mul,
  multiply,
  div,
  divide,
  trueDivide,
  pow,
  maximum,
  minimum,
  fmax,
  fmin,
  clamp,
  clip,
  clampMin,
  clampMax,
  lerp,
  addcmul,
  addcdiv,
} from "./ops/elementwise.js";
export * as nn from "./nn/index.js";
/** torch.nn.functional (each function's intermediates belong to the graph, see runtime.inForward). */
export { functional as F } from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as vision from "./vision/index.js";
export * as utils from "./utils/torch_utils.js";
export { Generator } from "./utils/data.js";
// the option and result types the public functions and modules take and return
export type { Shape, MaxResult, GradFn } from "./tensor.js";
export type { IndexPart } from "./indexing.js";
export type { Disposable } from "./runtime.js";
export type { Loaded, LoadedDict } from "./io/index.js";
export type {
  ConvOptions,
  ConvTransposeOptions,
  ConvPadding,
  PaddingMode,
  IntOrTuple,
} from "./nn/functional/conv.js";
export type {
  AdaptiveSize,
  AvgPoolOptions,
  AvgPool2dOptions,
  IntOrPair,
  MaxPool2dOptions,
  MaxPoolOptions,
  MaxUnpoolOptions,
} from "./nn/functional/pool.js";
export type { BatchNormOptions, LayerNormOptions } from "./nn/functional/norm.js";
export type { CrossEntropyOptions, NllOptions, Reduction } from "./nn/functional/loss.js";
export type { EmbeddingOptions } from "./nn/functional/embedding.js";
export type { FoldOptions, InterpolateMode, InterpolateOptions } from "./nn/functional/resize.js";
export type { MultiHeadAttentionOptions } from "./nn/functional/attention.js";
export type { FusedActivation } from "./nn/fusion.js";

export interface InitOptions {
  /** Force a backend; by default the fastest that loads: native (Node) > wasm > js. */
  backend?: BackendName;
  /** Compute threads for wasm/native (default: the machine's available parallelism; 1 opts out). */
  threads?: number;
  /** Where the wasm backend finds its .wasm files (a directory URL/path or a file). */
  wasmUrl?: string | URL;
}

const isNode = typeof process !== "undefined" && !!process.versions?.node;
const getBuiltin = isNode
  ? (process as unknown as { getBuiltinModule?: (m: string) => any }).getBuiltinModule
  : undefined;

/** The machine's available parallelism: Node's os.availableParallelism(); in browsers
 *  navigator.hardwareConcurrency when crossOriginIsolated (wasm threads need it), else 1. */
export function availableParallelism(): number {
  if (isNode) {
    const os = getBuiltin?.("node:os");
    return Math.max(1, os?.availableParallelism?.() ?? os?.cpus?.().length ?? 1);
  }
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return g.crossOriginIsolated ? Math.max(1, g.navigator?.hardwareConcurrency ?? 1) : 1;
}

/** Threads for backend `name`: the request (clamped to 4x the available parallelism, with a
 *  warning) or the machine's available parallelism; 1 on js. */
function resolveThreads(name: BackendName, requested: number | undefined): number {
  if (name === "js") return 1;
  const p = availableParallelism();
  if (requested === undefined) return p;
  const cap = Math.max(4, 4 * p);
  if (requested > cap) {
    console.warn(`torchlet.init: threads: ${requested} is more than 4x the ${p} available core(s); using ${cap}`);
    return cap;
  }
  return requested;
}

let inForce: { backend: Backend; threads: number; wasmUrl: string } | null = null;

async function create(name: BackendName, threads: number, opts: InitOptions): Promise<Backend> {
  // wasm / js in Node: the native backend's malloc tuning still applies to read-back arrays
  if (isNode && name !== "native") await nativeMod.tuneNodeMalloc();
  switch (name) {
    case "js":
      return new JsBackend();
    case "wasm":
      return wasmMod.createWasmBackend({ threads, wasmUrl: opts.wasmUrl });
    case "native": {
      if (!isNode) throw new Error("the native backend needs Node.js");
      return nativeMod.createNativeBackend({ threads });
    }
  }
}

/** Makes b the active backend: tensors of the previous one move to b on first use; the previous
 *  backend's workers are released now, its memory as its tensors move or go. */
function activate(b: Backend, threads: number, opts: { wasmUrl?: string | URL }): void {
  const prev = activeBackend();
  setBackend(b);
  inForce = { backend: b, threads, wasmUrl: String(opts.wasmUrl ?? "") };
  if (prev && prev !== b) void Promise.resolve(prev.dispose?.()).catch(() => {});
}

/**
 * Loads a backend and makes it the active one; resolves to its name. Calling it again with the
 * options in force does nothing; switching backends moves every existing tensor to the new one.
 * @example
 *   await torch.init();                                  // native (Node) > wasm > js, all cores
 *   await torch.init({ backend: "wasm", threads: 1 });
 */
export async function init(opts: InitOptions = {}): Promise<BackendName> {
  checkOptions("torch.init", opts, ["backend", "threads", "wasmUrl"]);
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw new RangeError(`init: threads must be a positive integer, got ${opts.threads}`);
  }
  if (opts.backend !== undefined && !["native", "wasm", "js"].includes(opts.backend)) {
    throw new RangeError(`init: unknown backend "${opts.backend}" (expected "native", "wasm" or "js")`);
  }
  const order: BackendName[] = opts.backend ? [opts.backend] : isNode ? ["native", "wasm", "js"] : ["wasm", "js"];
  const errors: string[] = [];
  for (const name of order) {
    const threads = resolveThreads(name, opts.threads);
    if (
      inForce &&
      activeBackend() === inForce.backend &&
      inForce.backend.name === name &&
      inForce.threads === threads &&
      inForce.wasmUrl === String(opts.wasmUrl ?? "")
    ) {
      return name;
    }
    try {
      const b = await create(name, threads, opts);
      if (b.threads < threads && opts.threads !== undefined) {
        console.warn(
          `torchlet.init: the ${name} backend runs on ${b.threads} thread(s), not the ${threads} asked for` +
            (name === "wasm" ? " (wasm threads need SharedArrayBuffer: in browsers a crossOriginIsolated page)" : ""),
        );
      }
      activate(b, threads, opts);
      return name;
    } catch (e) {
      errors.push(`  ${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(
    `torchlet.init: could not load ${opts.backend ? `the ${opts.backend} backend` : "any backend"}:\n${errors.join("\n")}`,
  );
}

/** The first op before init(): in Node, the backend init() would pick, loaded synchronously; in
 *  browsers, an error that says to await init(). */
function initSync(): Backend {
  if (!isNode) {
    throw new Error(
      "torchlet: no backend is loaded yet: `await torch.init()` before the first tensor operation " +
        "(in browsers the wasm backend can only load asynchronously)",
    );
  }
  const errors: string[] = [];
  try {
    const b = nativeMod.createNativeBackendSync({ threads: resolveThreads("native", undefined) });
    inForce = { backend: b, threads: resolveThreads("native", undefined), wasmUrl: "" };
    return b;
  } catch (e) {
    errors.push(`native: ${(e as Error).message}`);
  }
  try {
    const b = wasmMod.createWasmBackendSync();
    inForce = { backend: b, threads: 1, wasmUrl: "" };
    if (availableParallelism() > 1) {
      console.warn(
        `torchlet: the first operation ran before init(), so the wasm backend was loaded synchronously with 1 thread; ` +
          `\`await torch.init()\` first to use ${availableParallelism()} threads (${errors[0]})`,
      );
    }
    return b;
  } catch (e) {
    errors.push(`wasm: ${(e as Error).message}`);
  }
  throw new Error(
    `torchlet: an operation ran before init() and no fast backend loads synchronously (${errors.join("; ")}); ` +
      "`await torch.init()` to use the js backend explicitly",
  );
}
setAutoInit(initSync);

/** The active backend: "native" | "wasm" | "js". */
export function backend(): BackendName {
  return backendImpl().name;
}
/** Threads the active backend computes with. */
export function threads(): number {
  return backendImpl().threads;
}

/** The wasm builds the wasm backend can load (`"mt-relaxed"`, `"mt"`, `"relaxed"`, `"simd"`): build/torchlet-<variant>.wasm. */
export type WasmVariant = wasmMod.WasmBackend["variant"];

/** What {@link backendInfo} reports about the active backend. */
export interface BackendInfo {
  /** The active backend. */
  backend: BackendName;
  /** Threads its kernels compute with (1 on js, and on wasm without shared memory). */
  threads: number;
  /** The kernels run explicit SIMD code: wasm simd128 (every wasm build), native AVX2 / AVX-512. */
  simd: boolean;
  /** The loaded wasm build uses relaxed SIMD (fused multiply-add, relaxed lane ops). */
  relaxedSimd: boolean;
  /** The loaded wasm build is a threaded one (shared memory + atomics, a worker per extra thread). */
  wasmThreads: boolean;
  /** wasm only: which build loaded (torchlet-<variant>.wasm). */
  variant?: WasmVariant;
  /** The kernels' instruction set: native "avx512" | "avx2" | "sse2" (x86-64) or "scalar", as the
   *  addon detects it at load; wasm "relaxed-simd" | "simd128" (the build's target features). */
  isa?: string;
  /** Browsers only: whether the page (or worker) is crossOriginIsolated, which wasm threads need. */
  crossOriginIsolated?: boolean;
}

/**
 * Which backend and which build of its kernels are running: backend name, threads, SIMD flavour,
 * the wasm file that loaded. Loads the default backend like any first operation if none is yet.
 * @example
 *   await torch.init();
 *   torch.backendInfo(); // { backend: "wasm", threads: 4, simd: true, relaxedSimd: false, wasmThreads: true, variant: "mt", isa: "simd128", crossOriginIsolated: true }
 */
export function backendInfo(): BackendInfo {
  const b = backendImpl();
  const info: BackendInfo = {
    backend: b.name,
    threads: b.threads,
    simd: false,
    relaxedSimd: false,
    wasmThreads: false,
  };
  if (b instanceof wasmMod.WasmBackend) {
    const v: WasmVariant = b.variant;
    info.variant = v;
    info.simd = true;
    info.relaxedSimd = v.includes("relaxed");
    info.wasmThreads = v.startsWith("mt");
    info.isa = info.relaxedSimd ? "relaxed-simd" : "simd128";
  } else if (b instanceof nativeMod.NativeBackend) {
    info.isa = b.isa;
    info.simd = info.isa !== "scalar" && info.isa !== "sse2";
  }
  const iso = (globalThis as { crossOriginIsolated?: unknown }).crossOriginIsolated;
  if (!isNode && typeof iso === "boolean") info.crossOriginIsolated = iso;
  return info;
}

/** Live tensor storages and the bytes they hold on the active backend. */
export function memory(): { numTensors: number; numBytes: number; backend: BackendName } {
  return { numTensors: live.tensors, numBytes: backendImpl().bytesInUse(), backend: backendImpl().name };
}

/** Internal hooks for tests (float64 js backend for gradient checks). */
export const _internal = {
  useBackend(b: Backend) {
    setBackend(b);
  },
  /** The active backend object, if any (tests and benches read e.g. wasm memory sizes). */
  activeBackend(): Backend | null {
    return activeBackend();
  },
  JsBackend,
};
