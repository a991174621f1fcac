// The wasm backend: the Rust kernels compiled to WebAssembly SIMD, storages in wasm linear memory.
// Picks the best build the engine runs (threaded > relaxed-simd > simd128) and explains failures.

import type { BackendName, DType, ElemArray, Storage } from "./types.js";
import { dtypeBytes, storageArray } from "./types.js";
import { RustBackend } from "./rust.js";
import { WORKER_SOURCE } from "./wasm-worker.js";

type Variant = "mt-relaxed" | "mt" | "relaxed" | "simd";
const FILES: Record<Variant, string> = {
  "mt-relaxed": "torchlet-mt-relaxed.wasm",
  mt: "torchlet-mt.wasm",
  relaxed: "torchlet-relaxed.wasm",
  simd: "torchlet-simd.wasm",
};
/** Pages of the threaded build's shared memory: initial (= its --initial-memory) and maximum (4 GiB). */
const MT_PAGES = { initial: 256, maximum: 65536 };
const WORKER_STACK = 1 << 20;
/** wasm32 memory: 4 GiB of addresses; one block (one tensor) at most isize::MAX bytes, rounded
 *  to the 16-byte alignment (a Rust allocation or slice cannot be larger). */
const WASM_MEMORY_BYTES = 2 ** 32;
const MAX_BLOCK_BYTES = 2 ** 31 - 16;

const fmtBytes = (n: number): string => {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let k = 0;
  while (n >= 1024 && k < units.length - 1) {
    n /= 1024;
    k++;
  }
  return k === 0 ? `${n} bytes` : `${n.toFixed(2)} ${units[k]}`;
};

/** The exports with every pointer they return read unsigned: wasm32 addresses go up to 4 GiB, and
 *  an i32 result at or past 2 GiB would otherwise arrive in JS as a negative number. */
function unsignedPtrs(ex: Exports): Exports {
  return {
    ...ex,
    tl_alloc: (bytes: number) => ex.tl_alloc(bytes) >>> 0,
    tl_args: () => ex.tl_args() >>> 0,
    tl_ints: () => ex.tl_ints() >>> 0,
    tl_err: () => ex.tl_err() >>> 0,
    tl_err_len: () => ex.tl_err_len() >>> 0,
  };
}

interface Exports {
  memory?: WebAssembly.Memory;
  tl_alloc(bytes: number): number;
  tl_free(ptr: number, bytes: number): void;
  tl_args(): number;
  tl_ints(): number;
  tl_err(): number;
  tl_err_len(): number;
  tl_call(id: number, nargs: number): number;
  tl_threads(): number;
  __tls_base?: WebAssembly.Global;
  __tls_size?: WebAssembly.Global;
  __tls_align?: WebAssembly.Global;
  __wasm_init_tls?: (ptr: number) => void;
}

class WasmStorage implements Storage {
  freed = false;
  cache: ElemArray | null = null;
  /** The elements while spilled out of wasm memory (ptr is then 0). */
  spill: Float32Array | Float64Array | Uint8Array | null = null;
  /** Last working-set window this storage was used in. */
  win = 0;
  /** Where the data is in wasm memory (ptr 0 while spilled), and whether it is kept resident
   *  (keepResident). The GC finalizer holds only this record. */
  readonly rec: { ptr: number; bytes: number; pinned: boolean };
  constructor(
    ptr: number,
    public readonly size: number,
    public readonly dtype: DType,
    public readonly bytes: number,
  ) {
    this.rec = { ptr, bytes, pinned: false };
  }
  get ptr(): number {
    return this.rec.ptr;
  }
  set ptr(p: number) {
    this.rec.ptr = p;
  }
}

const INT_SCRATCH = 4096;
/** Wasm bytes that live storages may hold before the least recently used ones are spilled. */
const MIN_BUDGET = 1 << 20;
/** Kernel calls per working-set window (the budget is twice the bytes one window touches). */
const WINDOW = 256;
/** Windows without use after which a storage counts as idle, and the resident bytes idle storages may
 *  keep in wasm memory (see spillIdle). */
const IDLE_WINDOWS = 4;
const IDLE_FLOOR = 256 << 10;

/**
 * Storages live in wasm memory while in use. Tensors that are never disposed are only freed by
 * the GC's finalizers, which cannot run inside a synchronous loop; so when live wasm bytes pass a
 * budget (2x the recent working set, at least 1 MiB), the least recently used storages are
 * spilled to JS arrays (which the GC reclaims by itself) and copied back when a kernel needs them.
 */
export class WasmBackend extends RustBackend {
  override readonly name: BackendName = "wasm";
  override readonly threads: number;
  private buf: ArrayBufferLike;
  private args!: Float64Array;
  private intScratch!: Int32Array;
  private intCursor = 0;
  /** Resident storages by their records, least recently used first (Map keeps insertion order). */
  private resident = new Map<WasmStorage["rec"], WasmStorage>();
  private residentBytes = 0;
  /** Resident storages kept out of the spill order (keepResident), and their bytes (part of
   *  residentBytes; the working-set budget governs the rest). */
  private pinned = new Map<WasmStorage["rec"], WasmStorage>();
  private pinnedBytes = 0;
  private budget = MIN_BUDGET;
  private calls = 0;
  private win = 1;
  private winBytes = 0;
  private prevWinBytes = 0;
  /** Bytes of the storages passed to the kernel call being prepared / to the previous one. */
  private callBytes = 0;
  private prevCallBytes = 0;
  /** Storages spilled to JS arrays and bytes copied back, since load (diagnostics). */
  readonly spillStats = { spilled: 0, restored: 0 };

  constructor(
    private readonly ex: Exports,
    readonly memory: WebAssembly.Memory,
    readonly variant: Variant,
    threads: number,
    private readonly workers: { terminate(): unknown }[] = [],
  ) {
    super();
    this.buf = memory.buffer;
    this.refresh();
    this.threads = threads;
  }

  /** Re-creates the views over wasm memory after it grew. */
  private refresh(): void {
    this.buf = this.memory.buffer;
    this.args = new Float64Array(this.buf, this.ex.tl_args(), 64);
    this.intScratch = new Int32Array(this.buf, this.ex.tl_ints(), INT_SCRATCH);
  }
  private fresh(): void {
    const b = this.memory.buffer;
    if (b !== this.buf || this.args.byteLength === 0 || b.byteLength !== this.buf.byteLength) this.refresh();
  }

  /** Bytes live storages hold in wasm memory (spilled ones excluded). */
  override bytesInUse(): number {
    return this.residentBytes;
  }

  override alloc(size: number, dtype: DType): Storage {
    const bytes = size * dtypeBytes(dtype);
    // nothing is registered before the block exists: a failed allocation leaves the backend as it was
    if (!(Number.isSafeInteger(size) && size >= 0) || bytes > MAX_BLOCK_BYTES) throw this.tooLarge(size, dtype, bytes);
    this.makeRoom(bytes);
    let ptr = this.ex.tl_alloc(bytes);
    if (!ptr) {
      this.makeRoom(Infinity);
      ptr = this.ex.tl_alloc(bytes);
    }
    if (!ptr) throw this.outOfMemory(size, dtype, bytes);
    this.live += bytes;
    const s = new WasmStorage(ptr, size, dtype, bytes);
    this.residentBytes += bytes;
    this.touch(s);
    return s;
  }
  /** A tensor larger than one wasm block may be (under 2 GiB), whatever is free. */
  private tooLarge(size: number, dtype: DType, bytes: number): RangeError {
    return new RangeError(
      `wasm backend: a ${dtype} tensor of ${size} elements needs ${fmtBytes(bytes)}, but one wasm ` +
        `tensor can hold at most ${fmtBytes(MAX_BLOCK_BYTES)} (wasm memory is ${fmtBytes(WASM_MEMORY_BYTES)} in all, ` +
        `${fmtBytes(this.residentBytes)} held by live tensors). ${this.bigger()}`,
    );
  }
  /** The 4 GiB of wasm memory are full (after spilling every storage that could be). */
  private outOfMemory(size: number, dtype: DType, bytes: number): RangeError {
    return new RangeError(
      `wasm backend: out of memory: a ${dtype} tensor of ${size} elements needs ${fmtBytes(bytes)}, ` +
        `and wasm memory allows ${fmtBytes(WASM_MEMORY_BYTES)} in all (${fmtBytes(this.memory.buffer.byteLength)} ` +
        `reserved, ${fmtBytes(this.residentBytes)} held by live tensors). ${this.bigger()}`,
    );
  }
  private bigger(): string {
    return isNode
      ? 'In Node the native backend has no such limit: `await torch.init({ backend: "native" })`.'
      : "Dispose tensors you no longer need (dispose/tidy) or use smaller tensors.";
  }

  override free(s: Storage): void {
    const w = s as WasmStorage;
    if (w.freed) return;
    w.freed = true;
    this.live -= w.bytes;
    if (w.ptr) {
      this.ex.tl_free(w.ptr, w.bytes);
      this.dropResident(w.rec);
      w.ptr = 0;
    }
    w.spill = null;
    w.cache = null;
  }
  override view(s: Storage): ElemArray {
    const w = s as WasmStorage;
    if (w.freed) throw new Error("wasm backend: storage used after it was freed");
    if (w.spill) return w.spill;
    this.touch(w);
    this.fresh();
    const c = w.cache;
    if (c && c.buffer === this.buf && c.length === w.size) return c;
    const v = new (storageArray(w.dtype))(this.buf as ArrayBuffer, w.ptr, w.size);
    w.cache = v;
    return v;
  }

  /** Frees the wasm block of a storage whose tensors were garbage-collected (spilled data is
   *  collected with the storage object itself). */
  override finalizer(s: Storage): () => void {
    const rec = (s as WasmStorage).rec;
    return () => {
      this.live -= rec.bytes;
      if (!rec.ptr) return;
      this.ex.tl_free(rec.ptr, rec.bytes);
      this.dropResident(rec);
      rec.ptr = 0;
    };
  }
  /** Accounting of a resident block that leaves wasm memory (freed or spilled). */
  private dropResident(rec: WasmStorage["rec"]): void {
    this.residentBytes -= rec.bytes;
    if (rec.pinned) {
      this.pinnedBytes -= rec.bytes;
      this.pinned.delete(rec);
    } else this.resident.delete(rec);
  }

  /** Parameters and optimizer state stay in wasm memory: spilling them to relieve the budget (while
   *  a model is built, say) would copy each one out and back on its first use, and for a while hold
   *  it twice, in a JS array and in wasm memory. Only a full wasm memory spills them (makeRoom). */
  keepResident(s: Storage): void {
    const w = s as WasmStorage;
    if (w.freed || w.rec.pinned) return;
    if (w.ptr) {
      this.resident.delete(w.rec);
      this.pinned.set(w.rec, w);
      this.pinnedBytes += w.bytes;
    }
    w.rec.pinned = true;
  }
  /** Resident bytes under the working-set budget (all but the kept-resident ones). */
  private looseBytes(): number {
    return this.residentBytes - this.pinnedBytes;
  }

  /** Marks a resident storage most recently used and counts it in the working-set window. */
  private touch(w: WasmStorage): void {
    if (w.rec.pinned) return;
    this.resident.delete(w.rec);
    this.resident.set(w.rec, w);
    if (w.win !== this.win) {
      w.win = this.win;
      this.winBytes += w.bytes;
    }
  }
  /** Spills least recently used storages until `extra` more bytes fit in the budget. */
  private makeRoom(extra: number): void {
    // what the last kernel call used (typically the next op's inputs) plus the new block always
    // fits: else big tensors would be spilled and restored on every op while the budget still
    // reflects an earlier, smaller working set
    const budget = extra === Infinity ? this.budget : Math.max(this.budget, 2 * (this.prevCallBytes + extra));
    if (this.looseBytes() + extra <= budget) return;
    const target = extra === Infinity ? 0 : Math.max(0, budget * 0.75 - extra);
    for (const w of this.resident.values()) {
      if (this.looseBytes() <= target) break;
      this.spillOut(w);
    }
    // wasm memory is full: the kept-resident storages go too (restored when next used)
    if (extra === Infinity) for (const w of [...this.pinned.values()]) this.spillOut(w);
  }
  /** Storages idle for IDLE_WINDOWS windows are spilled once resident bytes pass IDLE_FLOOR: what a
   *  loop leaves behind each step (its outputs and losses, held by user variables until the GC takes
   *  them, and the GC's finalizers cannot run inside a synchronous loop) moves to JS arrays while it is
   *  small, instead of piling up to the budget. Arguments of the call being made were just touched. */
  private spillIdle(): void {
    if (this.looseBytes() <= IDLE_FLOOR) return;
    for (const w of this.resident.values()) {
      if (this.win - w.win < IDLE_WINDOWS || this.looseBytes() <= IDLE_FLOOR) break;
      this.spillOut(w);
    }
  }
  private spillOut(w: WasmStorage): void {
    this.fresh();
    const src = new (storageArray(w.dtype))(this.buf as ArrayBuffer, w.ptr, w.size);
    w.spill = src.slice();
    this.ex.tl_free(w.ptr, w.bytes);
    this.dropResident(w.rec);
    w.ptr = 0;
    w.cache = null;
    this.spillStats.spilled++;
  }
  private restore(w: WasmStorage): void {
    // a storage needed again soon after it was spilled: the working set is larger than the budget
    // (e.g. a few big tensors used by every op between two window ends), so the budget grows now
    // instead of thrashing until the next window end
    if (!w.rec.pinned && this.win - w.win <= 1) this.budget = Math.max(this.budget, 2 * (this.looseBytes() + w.bytes));
    const ptr = this.ex.tl_alloc(w.bytes);
    if (!ptr) throw this.outOfMemory(w.size, w.dtype, w.bytes);
    this.fresh();
    new (storageArray(w.dtype))(this.buf as ArrayBuffer, ptr, w.size).set(w.spill!);
    w.ptr = ptr;
    w.spill = null;
    this.residentBytes += w.bytes;
    if (w.rec.pinned) {
      this.pinned.set(w.rec, w);
      this.pinnedBytes += w.bytes;
    }
    this.spillStats.restored++;
  }

  protected h(s: Storage | null | undefined, off = 0): unknown {
    if (!s) return 0;
    const w = s as WasmStorage;
    if (w.freed) throw new Error("wasm backend: storage used after it was freed");
    if (w.spill) this.restore(w);
    if (!w.rec.pinned) {
      this.touch(w);
      this.callBytes += w.bytes;
    }
    return w.ptr + dtypeBytes(w.dtype) * off;
  }
  protected ints(a: readonly number[]): unknown {
    this.fresh();
    const at = this.intCursor;
    if (at + a.length > INT_SCRATCH) throw new RangeError(`wasm backend: too many dimensions (${a.length})`);
    this.intScratch.set(a, at);
    this.intCursor = at + a.length;
    return this.ex.tl_ints() + 4 * at;
  }
  protected run(id: number, args: unknown[]): void {
    if (++this.calls % WINDOW === 0) {
      this.budget = Math.max(MIN_BUDGET, 2 * Math.max(this.winBytes, this.prevWinBytes));
      this.prevWinBytes = this.winBytes;
      this.winBytes = 0;
      this.win++;
      this.spillIdle();
    }
    this.fresh();
    const A = this.args;
    const n = args.length;
    for (let i = 0; i < n; i++) {
      const v = args[i];
      A[i] = typeof v === "number" ? v : v ? 1 : 0;
    }
    this.intCursor = 0;
    this.prevCallBytes = this.callBytes;
    this.callBytes = 0;
    const rc = this.ex.tl_call(id, n);
    if (rc !== 0) {
      this.fresh();
      const bytes = new Uint8Array(this.buf, this.ex.tl_err(), this.ex.tl_err_len()).slice();
      const msg = new TextDecoder().decode(bytes);
      if (rc === 1) throw new RangeError(msg);
      throw new Error(`torchlet wasm: ${msg}`);
    }
  }

  /** Stops the thread workers (threaded build); the backend must not be used afterwards. */
  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ------------------------------------------------------------------ feature detection

// Tiny modules that only validate when the engine has the feature.
const PROBE_SIMD = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);
const PROBE_RELAXED = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15,
  253, 128, 2, 11,
]);
const PROBE_THREADS = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0,
  26, 11,
]);

const validate = (b: Uint8Array) => {
  try {
    return WebAssembly.validate(b as BufferSource);
  } catch {
    return false;
  }
};
const isNode = typeof process !== "undefined" && !!process.versions?.node;

/** What this engine supports: simd128, relaxed-simd, threads (shared memory usable here). */
export function wasmFeatures(): { simd: boolean; relaxedSimd: boolean; threads: boolean; threadsWhy?: string } {
  const simd = validate(PROBE_SIMD);
  const relaxedSimd = validate(PROBE_RELAXED);
  let threadsWhy: string | undefined;
  if (typeof SharedArrayBuffer === "undefined")
    threadsWhy = "SharedArrayBuffer is unavailable (browsers: serve the page crossOriginIsolated)";
  else if (!isNode && (globalThis as any).crossOriginIsolated === false)
    threadsWhy = "the page is not crossOriginIsolated (COOP/COEP headers)";
  else if (!validate(PROBE_THREADS)) threadsWhy = "this engine lacks wasm threads (shared memory + atomics)";
  return { simd, relaxedSimd, threads: !threadsWhy, threadsWhy };
}

// ------------------------------------------------------------------ loading

async function readBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === "file:") {
    const fs = "node:fs/promises";
    const { readFile } = await import(/* @vite-ignore */ fs);
    return new Uint8Array(await readFile(url));
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`HTTP ${r.status} fetching ${url}`);
  return new Uint8Array(await r.arrayBuffer());
}

function toUrl(u: string | URL): URL {
  if (u instanceof URL) return u;
  if (/^[a-z][a-z0-9+.-]*:/i.test(u) && !/^[a-z]:[\\/]/i.test(u)) return new URL(u);
  if (isNode) {
    // a filesystem path, relative to the working directory
    const abs = u.startsWith("/") ? u : `${process.cwd()}/${u}`;
    return new URL(`file://${abs.split("/").map(encodeURIComponent).join("/")}`);
  }
  return new URL(u, (globalThis as any).location?.href);
}

/** Where the .wasm files are: opts.wasmUrl > env TORCHLET_WASM > build/ next to the package. */
function location(opt?: string | URL): { dir?: URL; file?: URL } {
  const env = isNode ? process.env.TORCHLET_WASM : undefined;
  const o = opt ?? env;
  if (o !== undefined && o !== "") {
    const u = toUrl(typeof o === "string" && !/\.wasm$/i.test(o) && !o.endsWith("/") ? `${o}/` : o);
    return /\.wasm$/i.test(u.pathname) ? { file: u } : { dir: u };
  }
  // ts/backends/wasm.ts and dist/esm/backends/wasm.js both sit two levels above build/
  return { dir: new URL(/* @vite-ignore */ "../../build/", import.meta.url) };
}

/** The packaged .wasm files, each as a static `new URL(literal, import.meta.url)` so bundlers
 *  (Vite, webpack 5, esbuild with asset loaders) see and emit them. */
function packagedUrl(variant: Variant): URL {
  switch (variant) {
    case "mt-relaxed":
      return new URL("../../build/torchlet-mt-relaxed.wasm", import.meta.url);
    case "mt":
      return new URL("../../build/torchlet-mt.wasm", import.meta.url);
    case "relaxed":
      return new URL("../../build/torchlet-relaxed.wasm", import.meta.url);
    default:
      return new URL("../../build/torchlet-simd.wasm", import.meta.url);
  }
}

async function spawnWorker(): Promise<{
  post(m: unknown): void;
  once(cb: (m: any) => void): void;
  terminate(): unknown;
}> {
  if (isNode) {
    const wt = "node:worker_threads";
    const { Worker } = await import(/* @vite-ignore */ wt);
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    return { post: (m) => w.postMessage(m), once: (cb) => w.once("message", cb), terminate: () => w.terminate() };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const w = new Worker(url);
  return {
    post: (m) => w.postMessage(m),
    once: (cb) => {
      w.onmessage = (e) => {
        w.onmessage = null;
        cb(e.data);
      };
    },
    terminate: () => w.terminate(),
  };
}

async function instantiate(module: WebAssembly.Module, variant: Variant, threads: number): Promise<WasmBackend> {
  if (variant !== "mt" && variant !== "mt-relaxed") {
    const inst = await WebAssembly.instantiate(module, {});
    const ex = unsignedPtrs(inst.exports as unknown as Exports);
    return new WasmBackend(ex, ex.memory!, variant, 1);
  }
  const memory = new WebAssembly.Memory({ ...MT_PAGES, shared: true });
  const inst = await WebAssembly.instantiate(module, { env: { memory } });
  const ex = unsignedPtrs(inst.exports as unknown as Exports);
  const tlsSize = Number(ex.__tls_size!.value),
    tlsAlign = Math.max(16, Number(ex.__tls_align!.value));
  if (!Number(ex.__tls_base!.value)) ex.__wasm_init_tls!(ex.tl_alloc(tlsSize + tlsAlign));
  const workers: Awaited<ReturnType<typeof spawnWorker>>[] = [];
  try {
    const ready: Promise<void>[] = [];
    for (let i = 1; i < threads; i++) {
      const w = await spawnWorker();
      workers.push(w);
      const stack = ex.tl_alloc(WORKER_STACK);
      const tls = ex.tl_alloc(tlsSize + tlsAlign);
      if (!stack || !tls) throw new Error("out of memory for worker stacks");
      ready.push(new Promise((res, rej) => w.once((m) => (m && m.ok ? res() : rej(new Error(`worker: ${m?.error}`))))));
      // addresses stay unsigned (>>> 0): a bitwise & alone would make one past 2 GiB negative
      w.post({
        module,
        memory,
        stackTop: ((stack + WORKER_STACK) & ~15) >>> 0,
        tls: ((tls + tlsAlign - 1) & ~(tlsAlign - 1)) >>> 0,
      });
    }
    await Promise.all(ready);
    const b = new WasmBackend(ex, memory, variant, threads, workers);
    (b as any).setPoolThreads(threads);
    // workers register with the pool right after reporting ready
    for (let t = 0; ex.tl_threads() < threads && t < 200; t++) await new Promise((r) => setTimeout(r, 5));
    if (ex.tl_threads() < threads) throw new Error(`only ${ex.tl_threads()} of ${threads} threads joined`);
    return b;
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  }
}

/**
 * Loads the wasm backend. With `threads > 1` it uses the threaded build when the engine allows
 * (SharedArrayBuffer; browsers need crossOriginIsolated), else the single-threaded one.
 * `wasmUrl` (or env TORCHLET_WASM) overrides where the .wasm files are: a directory or one file.
 * @example
 *   const b = await createWasmBackend({ threads: 2 });
 */
export async function createWasmBackend(opts: { threads?: number; wasmUrl?: string | URL } = {}): Promise<WasmBackend> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const feats = wasmFeatures();
  const loc = location(opts.wasmUrl);
  const custom = opts.wasmUrl !== undefined || (isNode && !!process.env.TORCHLET_WASM);
  const at = (v: Variant) => (custom ? new URL(FILES[v], loc.dir) : packagedUrl(v));
  const reasons: string[] = [];
  const candidates: { variant: Variant; url: URL }[] = [];
  if (loc.file) {
    const f = loc.file.pathname;
    const variant: Variant = /mt-relaxed\.wasm$/i.test(f)
      ? "mt-relaxed"
      : /mt\.wasm$/i.test(f)
        ? "mt"
        : /relaxed\.wasm$/i.test(f)
          ? "relaxed"
          : "simd";
    candidates.push({ variant, url: loc.file });
  } else {
    if (threads > 1) {
      // threads + relaxed-simd first; the plain threaded build when that file is missing or fails
      if (feats.threads && feats.relaxedSimd) candidates.push({ variant: "mt-relaxed", url: at("mt-relaxed") });
      if (feats.threads) candidates.push({ variant: "mt", url: at("mt") });
      else reasons.push(`${FILES.mt}: ${feats.threadsWhy}`);
    }
    if (feats.relaxedSimd) candidates.push({ variant: "relaxed", url: at("relaxed") });
    else reasons.push(`${FILES.relaxed}: this engine lacks relaxed-simd`);
    if (feats.simd) candidates.push({ variant: "simd", url: at("simd") });
    else reasons.push(`${FILES.simd}: this engine lacks wasm SIMD (simd128)`);
  }
  for (const c of candidates) {
    try {
      const bytes = await readBytes(c.url);
      const module = await WebAssembly.compile(bytes as BufferSource);
      const shared = WebAssembly.Module.imports(module).some((i) => i.kind === "memory");
      const variant: Variant = shared ? (c.variant === "mt-relaxed" ? "mt-relaxed" : "mt") : c.variant;
      return await instantiate(module, variant, shared ? threads : 1);
    } catch (e) {
      reasons.push(`${c.url}: ${(e as Error).message}`);
    }
  }
  throw new Error(
    `wasm backend could not be loaded:\n  - ${reasons.join("\n  - ")}\n` +
      `Build the .wasm files with \`npm run build\`, or point opts.wasmUrl / TORCHLET_WASM at them.`,
  );
}

/**
 * The single-threaded wasm backend, loaded synchronously (Node only: the first op before init()
 * uses it when the native addon is missing). Same candidates as createWasmBackend, without "mt"
 * (its workers start asynchronously).
 */
export function createWasmBackendSync(opts: { wasmUrl?: string | URL } = {}): WasmBackend {
  if (!isNode) throw new Error("the wasm backend loads synchronously only in Node; `await torch.init()` in browsers");
  const getBuiltin = (process as unknown as { getBuiltinModule?: (m: string) => any }).getBuiltinModule;
  if (!getBuiltin)
    throw new Error(`Node ${process.versions.node} lacks process.getBuiltinModule (needs Node >= 20.16)`);
  const { readFileSync } = getBuiltin("node:fs");
  const feats = wasmFeatures();
  const loc = location(opts.wasmUrl);
  const custom = opts.wasmUrl !== undefined || !!process.env.TORCHLET_WASM;
  const at = (v: Variant) => (custom ? new URL(FILES[v], loc.dir) : packagedUrl(v));
  const candidates: URL[] = loc.file
    ? [loc.file]
    : [...(feats.relaxedSimd ? [at("relaxed")] : []), ...(feats.simd ? [at("simd")] : [])];
  const reasons: string[] = [];
  for (const url of candidates) {
    try {
      const module = new WebAssembly.Module(new Uint8Array(readFileSync(url)) as BufferSource);
      if (WebAssembly.Module.imports(module).some((i) => i.kind === "memory"))
        throw new Error("the threaded build cannot load synchronously");
      const ex = unsignedPtrs(new WebAssembly.Instance(module, {}).exports as unknown as Exports);
      return new WasmBackend(ex, ex.memory!, /relaxed/.test(url.pathname) ? "relaxed" : "simd", 1);
    } catch (e) {
      reasons.push(`${url}: ${(e as Error).message}`);
    }
  }
  throw new Error(
    `wasm backend could not be loaded synchronously:\n  - ${reasons.join("\n  - ") || "this engine lacks wasm SIMD"}`,
  );
}
