// torchlet: PyTorch's torch / torch.nn / torch.optim for JavaScript.
//   import * as torch from "torchlet"; await torch.init(); const x = torch.randn(2, 3);

import type { Backend, BackendName } from "./backends/types.js";
import { JsBackend } from "./backends/js.js";
import { backendImpl, live, setBackend } from "./runtime.js";

export { Tensor, type NestedArray } from "./tensor.js";
export type { DType, BackendName } from "./backends/types.js";
export {
  tensor, zeros, ones, empty, full, rand, randn, randint, arange, zerosLike, onesLike, type TensorOptions,
} from "./creation.js";
export { noGrad, enableGrad, tidy, keep, manualSeed } from "./runtime.js";
export { cat, stack, where, matmul, broadcastShapes } from "./ops.js";
export { save, load } from "./io/safetensors.js";
export * as nn from "./nn/index.js";
export * as F from "./nn/functional/index.js";
export * as optim from "./optim/index.js";

export interface InitOptions {
  /** Force a backend; by default the fastest that loads: native (Node) > wasm > js. */
  backend?: BackendName;
  /** Compute threads for wasm/native (default 1). */
  threads?: number;
  /** Where the wasm backend finds its .wasm files (a directory URL/path or a file). */
  wasmUrl?: string | URL;
}

const isNode = typeof process !== "undefined" && !!process.versions?.node;

async function create(name: BackendName, opts: InitOptions): Promise<Backend> {
  // wasm / js in Node: the native backend's malloc tuning still applies to read-back arrays
  if (isNode && name !== "native") await (await import("./backends/native.js")).tuneNodeMalloc();
  switch (name) {
    case "js": return new JsBackend();
    case "wasm": return (await import("./backends/wasm.js")).createWasmBackend({ threads: opts.threads, wasmUrl: opts.wasmUrl });
    case "native": {
      if (!isNode) throw new Error("the native backend needs Node.js");
      return (await import("./backends/native.js")).createNativeBackend({ threads: opts.threads });
    }
    default: throw new RangeError(`unknown backend "${name}" (expected "native", "wasm" or "js")`);
  }
}

/** Loads a backend and makes it the active one; resolves to its name. */
export async function init(opts: InitOptions = {}): Promise<BackendName> {
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw new RangeError(`init: threads must be a positive integer, got ${opts.threads}`);
  }
  const order: BackendName[] = opts.backend ? [opts.backend] : isNode ? ["native", "wasm", "js"] : ["wasm", "js"];
  const errors: string[] = [];
  for (const name of order) {
    try {
      setBackend(await create(name, opts));
      return name;
    } catch (e) {
      errors.push(`  ${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`torchlet.init: could not load ${opts.backend ? `the ${opts.backend} backend` : "any backend"}:\n${errors.join("\n")}`);
}

/** The active backend: "native" | "wasm" | "js". */
export function backend(): BackendName { return backendImpl().name; }
/** Threads the active backend computes with. */
export function threads(): number { return backendImpl().threads; }

/** Live tensor storages and the bytes they hold on the active backend. */
export function memory(): { numTensors: number; numBytes: number; backend: BackendName } {
  return { numTensors: live.tensors, numBytes: backendImpl().bytesInUse(), backend: backendImpl().name };
}

/** Internal hooks for tests (float64 js backend for gradient checks). */
export const _internal = {
  useBackend(b: Backend) { setBackend(b); },
  JsBackend,
};
