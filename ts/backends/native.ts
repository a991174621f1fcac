// The native backend: the Rust kernels as a Node addon (N-API), storages in the JS heap as
// Float32Array / Int32Array passed to Rust without copying. Node only.

import type { BackendName, DType, ElemArray, Storage } from "./types.js";
import { dtypeBytes, storageArray } from "./types.js";
import { setMallocTuned } from "../runtime.js";
import { K, RustBackend } from "./rust.js";

interface Addon {
  call(id: number, ...args: unknown[]): void;
  isa(): string;
  tuneMalloc?(mmapThreshold: number, trimThreshold: number): boolean;
}

class NativeStorage implements Storage {
  freed = false;
  /** Left the accounting (Backend.untrack). */
  untracked = false;
  constructor(
    public data: Float32Array | Float64Array | Uint8Array,
    public readonly dtype: DType,
    public readonly size: number,
  ) {}
}

const EMPTY = new Float32Array(0);

/** Bytes of freed storages the recycling pool may hold (the oldest are dropped past it): at
 *  least this, and up to the most bytes ever in use at once (capped at POOL_MAX), so a training
 *  step that needs more than 256 MiB of activations and gradients finds all of them recycled
 *  at the next step (fresh buffers page-fault on every 4 KiB). */
const POOL_CAP = 256 << 20;
const POOL_MAX = 1 << 30;
/** Storages below this many bytes are not pooled (small typed arrays are cheap to make). */
const POOL_MIN = 256;

/** Bucket of a request: bytes rounded up to 4 steps per power of two (<= 19% slack). */
function bucketBytes(bytes: number): number {
  if (bytes <= POOL_MIN) return POOL_MIN;
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

export class NativeBackend extends RustBackend {
  override readonly name: BackendName = "native";
  override readonly threads: number;
  /** Freed ArrayBuffers by bucket size, for reuse: a fresh zero-filled buffer costs a page fault
   *  per 4 KiB on first touch, a recycled one only a memset. */
  private pool = new Map<number, ArrayBuffer[]>();
  /** Pooled buffers, oldest first (for eviction). */
  private poolAge = new Set<ArrayBuffer>();
  private poolBytes = 0;
  /** Bytes of the ArrayBuffers behind live storages (bucket sizes), and their most so far (the
   *  pool's cap). */
  private liveBuf = 0;
  private peakLive = 0;
  /** Pool diagnostics: allocations served from the pool / freshly made. */
  readonly poolStats = { hits: 0, misses: 0 };

  constructor(
    private readonly addon: Addon,
    threads: number,
  ) {
    super();
    this.setPoolThreads(threads);
    this.threads = threads;
  }

  /** SIMD flavour the kernels run with ("avx2", "sse2", ...). */
  get isa(): string {
    return this.addon.isa();
  }

  override alloc(size: number, dtype: DType, uninit = false): Storage {
    const bytes = size * dtypeBytes(dtype),
      Arr = storageArray(dtype);
    let data: Float32Array | Float64Array | Uint8Array;
    if (bytes < POOL_MIN || bytes > POOL_CAP / 2) {
      data = new Arr(size);
    } else {
      const bb = bucketBytes(bytes);
      const list = this.pool.get(bb);
      const old = list?.pop();
      const buf = old ?? new ArrayBuffer(bb);
      data = new Arr(buf, 0, size);
      if (old) {
        this.poolAge.delete(old);
        this.poolBytes -= bb;
        this.poolStats.hits++;
        // zero-filled unless the caller overwrites it all (a memset over already mapped pages)
        if (!uninit) data.fill(0);
      } else {
        this.poolStats.misses++;
      }
    }
    this.live += data.byteLength;
    this.liveBuf += (data.buffer as ArrayBuffer).byteLength;
    if (this.liveBuf > this.peakLive) this.peakLive = this.liveBuf;
    return new NativeStorage(data, dtype, size);
  }
  override free(s: Storage): void {
    const n = s as NativeStorage;
    if (n.freed) return;
    n.freed = true;
    if (!n.untracked) this.live -= n.data.byteLength;
    const buf = n.data.buffer as ArrayBuffer;
    n.data = EMPTY;
    const bb = buf.byteLength;
    this.liveBuf -= bb;
    const nb = n.size * dtypeBytes(n.dtype);
    if (nb < POOL_MIN || nb > POOL_CAP / 2 || bb !== bucketBytes(nb)) return;
    const cap = Math.min(POOL_MAX, Math.max(POOL_CAP, this.peakLive));
    let list = this.pool.get(bb);
    if (!list) this.pool.set(bb, (list = []));
    list.push(buf);
    this.poolAge.add(buf);
    this.poolBytes += bb;
    while (this.poolBytes > cap) {
      const old = this.poolAge.values().next().value as ArrayBuffer;
      this.poolAge.delete(old);
      const l = this.pool.get(old.byteLength)!;
      l.splice(l.indexOf(old), 1);
      this.poolBytes -= old.byteLength;
    }
  }
  /** Never finalized (runtime's synchronous-run cap): out of bytesInUse now, not again at free(). */
  untrack(s: Storage): void {
    const n = s as NativeStorage;
    if (n.untracked || n.freed) return;
    n.untracked = true;
    this.live -= n.data.byteLength;
  }
  /** Drops every pooled buffer (the GC then reclaims them). */
  trimPool(): void {
    this.pool.clear();
    this.poolAge.clear();
    this.poolBytes = 0;
  }
  override view(s: Storage): ElemArray {
    return (s as NativeStorage).data;
  }
  /** The data is in the JS heap, reclaimed by the GC itself: only the accounting is left to do. */
  override finalizer(s: Storage): () => void {
    const bytes = (s as NativeStorage).data.byteLength;
    return () => {
      this.live -= bytes;
    };
  }
  readInto(s: Storage, out: ElemArray): void {
    const d = (s as NativeStorage).data;
    // small copies: a call into the addon costs more than it saves
    if (this.threads > 1 && d.byteLength >= 1 << 20 && d instanceof Float32Array)
      this.addon.call(K.copy, d, out, d.length);
    else out.set(d as Float32Array & Int32Array);
  }

  protected h(s: Storage | null | undefined, off = 0): unknown {
    if (!s) return null;
    const d = (s as NativeStorage).data;
    return off ? d.subarray(off) : d;
  }
  protected ints(a: readonly number[]): unknown {
    return Int32Array.from(a);
  }
  protected run(id: number, args: unknown[]): void {
    this.addon.call(id, ...args);
  }
}

/** Where the addon for this platform is built: build/torchlet.<platform>-<arch>.node. */
function addonPath(): string {
  const env = typeof process !== "undefined" ? process.env.TORCHLET_NATIVE : undefined;
  if (env) return env;
  return decodeURIComponent(
    new URL(/* @vite-ignore */ `../../build/torchlet.${process.platform}-${process.arch}.node`, import.meta.url)
      .pathname,
  );
}

/** Loads the addon (Node only, synchronously: an op before init() loads it); throws a message
 *  saying how to get one. */
function loadAddonSync(): Addon {
  const path = addonPath();
  let addon: Addon;
  try {
    // node:module through process.getBuiltinModule (Node >= 20.16), hidden from bundlers, so
    // browser builds never see it
    const getBuiltin = (process as unknown as { getBuiltinModule?: (m: string) => any }).getBuiltinModule;
    if (!getBuiltin)
      throw new Error(`Node ${process.versions.node} lacks process.getBuiltinModule (needs Node >= 20.16)`);
    const { createRequire } = getBuiltin("node:module");
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    throw new Error(
      `native addon ${path} could not be loaded (${why}); build it with \`npm run build\` ` +
        `(needs Rust), or point TORCHLET_NATIVE at a built torchlet .node file`,
    );
  }
  if (typeof addon?.call !== "function") throw new Error(`${path} is not a torchlet native addon`);
  return addon;
}
async function loadAddon(): Promise<Addon> {
  return loadAddonSync();
}

/**
 * glibc (Node on Linux): large typed arrays (every read-back copy of a tensor, e.g.
 * toFloat32Array) come from the malloc heap instead of fresh mmap()s that page-fault on every
 * 4 KiB at first touch (~1 ms for a 6 MB read-back here); freed memory up to 128 MiB stays mapped
 * for reuse. Process-wide, so it is done once, by whichever backend loads first; a no-op without
 * the addon or off glibc. TORCHLET_MALLOC_TUNE=0 leaves malloc alone.
 */
let tuneTried = false;
function tuneMalloc(addon: Addon): void {
  if (tuneTried) return;
  tuneTried = true;
  if (process.env.TORCHLET_MALLOC_TUNE === "0") return;
  if (addon.tuneMalloc?.(32 << 20, 128 << 20)) setMallocTuned();
}

/** The malloc tuning of the native backend for the wasm and js backends in Node (best effort:
 *  nothing happens when the addon is not built). */
export async function tuneNodeMalloc(): Promise<void> {
  if (tuneTried) return;
  try {
    tuneMalloc(await loadAddon());
  } catch {
    tuneTried = true;
  }
}

/**
 * Loads the native addon (Node only). `threads` (default 1) is the number of compute threads.
 * @example
 *   const b = await createNativeBackend({ threads: 2 });
 */
export async function createNativeBackend(opts: { threads?: number } = {}): Promise<NativeBackend> {
  return createNativeBackendSync(opts);
}
/** createNativeBackend, synchronously (the addon loads with require). */
export function createNativeBackendSync(opts: { threads?: number } = {}): NativeBackend {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const addon = loadAddonSync();
  tuneMalloc(addon);
  return new NativeBackend(addon, threads);
}
