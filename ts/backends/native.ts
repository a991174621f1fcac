// The native backend: the Rust kernels as a Node addon (N-API), storages in the JS heap as
// Float32Array / Int32Array passed to Rust without copying. Node only.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { BackendName, DType, ElemArray, Storage } from "./types.js";
import { RustBackend } from "./rust.js";

interface Addon {
  call(id: number, ...args: unknown[]): void;
  isa(): string;
}

class NativeStorage implements Storage {
  freed = false;
  constructor(public data: Float32Array | Int32Array, public readonly dtype: DType, public readonly size: number) {}
}

const EMPTY = new Float32Array(0);

export class NativeBackend extends RustBackend {
  override readonly name: BackendName = "native";
  override readonly threads: number;

  constructor(private readonly addon: Addon, threads: number) {
    super();
    this.setPoolThreads(threads);
    this.threads = threads;
  }

  /** SIMD flavour the kernels run with ("avx2", "sse2", ...). */
  get isa(): string { return this.addon.isa(); }

  override alloc(size: number, dtype: DType): Storage {
    const data = dtype === "int64" ? new Int32Array(size) : new Float32Array(size);
    this.live += data.byteLength;
    return new NativeStorage(data, dtype, size);
  }
  override free(s: Storage): void {
    const n = s as NativeStorage;
    if (n.freed) return;
    n.freed = true;
    this.live -= n.data.byteLength;
    n.data = EMPTY;
  }
  override view(s: Storage): ElemArray { return (s as NativeStorage).data; }

  protected h(s: Storage | null | undefined, off = 0): unknown {
    if (!s) return null;
    const d = (s as NativeStorage).data;
    return off ? d.subarray(off) : d;
  }
  protected ints(a: readonly number[]): unknown { return Int32Array.from(a); }
  protected run(id: number, args: unknown[]): void { this.addon.call(id, ...args); }
}

/** Where the addon for this platform is built: build/torchlet.<platform>-<arch>.node. */
function addonPath(): string {
  const env = typeof process !== "undefined" ? process.env.TORCHLET_NATIVE : undefined;
  if (env) return env;
  return fileURLToPath(new URL(`../../build/torchlet.${process.platform}-${process.arch}.node`, import.meta.url));
}

/**
 * Loads the native addon (Node only). `threads` (default 1) is the number of compute threads.
 * @example
 *   const b = await createNativeBackend({ threads: 2 });
 */
export async function createNativeBackend(opts: { threads?: number } = {}): Promise<NativeBackend> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const path = addonPath();
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    throw new Error(`native addon ${path} could not be loaded (${why}); build it with \`npm run build\` ` +
      `(needs Rust), or point TORCHLET_NATIVE at a built torchlet .node file`);
  }
  if (typeof addon?.call !== "function") throw new Error(`${path} is not a torchlet native addon`);
  return new NativeBackend(addon, threads);
}
