// Process-wide state: the active backend, grad mode, tidy scopes, the GC safety net and the RNG.
// Everything that allocates tensor memory goes through here, so torch.memory() can count it.

import type { ArrayCtor, Backend, BackendName, DType, Storage } from "./backends/types.js";
import { JsBackend } from "./backends/js.js";

let active: Backend | null = null;

export function setBackend(b: Backend): void {
  active = b;
}

/** Set once glibc's malloc was tuned (backends/native.ts): large read-back arrays then come
 *  from already-mapped heap pages, and skipping their zero-fill pays. */
let mallocTuned = false;
export function setMallocTuned(): void {
  mallocTuned = true;
}
type NodeBuffer = { allocUnsafeSlow(n: number): { buffer: ArrayBuffer } };
/** Read-backs from this size on skip the zero-fill when malloc is tuned. */
const UNINIT_MIN_BYTES = 1 << 16;

/** A fresh array of n elements that the caller overwrites in full (a tensor read-back). */
export function readbackArray<C extends ArrayCtor>(ctor: C, n: number): InstanceType<C> {
  const bytes = n * ctor.BYTES_PER_ELEMENT;
  const buf = (globalThis as { Buffer?: NodeBuffer }).Buffer;
  if (mallocTuned && buf && bytes >= UNINIT_MIN_BYTES)
    return new ctor(buf.allocUnsafeSlow(bytes).buffer, 0, n) as InstanceType<C>;
  return new ctor(n) as InstanceType<C>;
}

/** How the first op before init() gets a backend (set by index.ts: in Node the fastest backend,
 *  loaded synchronously; in browsers an error saying to `await torch.init()`). */
let autoInit: (() => Backend) | null = null;
export function setAutoInit(fn: () => Backend): void {
  autoInit = fn;
}

/** The active backend (initialised on first use when init() was not awaited; see setAutoInit). */
export function backendImpl(): Backend {
  if (!active) active = autoInit ? autoInit() : new JsBackend();
  return active;
}
/** The active backend if there is one (never initialises). */
export function activeBackend(): Backend | null {
  return active;
}

export function backendName(): BackendName {
  return backendImpl().name;
}

// ------------------------------------------------------------------ storage ownership

/** The part of a storage's ownership the GC safety net holds: a view count and a release hook that
 *  does not reference the data, so an unreachable tensor's data can be collected right away. */
interface Cell {
  refs: number;
  done: boolean;
  release: () => void;
  counted: boolean;
}

/** A storage shared by a tensor and its views; freed when the last owner lets go. */
export class StorageRef {
  readonly cell: Cell;
  constructor(
    public storage: Storage,
    public backend: Backend,
  ) {
    live.tensors++;
    this.cell = { refs: 1, done: false, release: backend.finalizer(storage), counted: true };
  }
  retain(): void {
    this.cell.refs++;
  }
  /** Whether the data is long-lived state (a parameter, an optimizer buffer): see keepResident. */
  kept = false;
  /** Marks the data as long-lived state that every step uses (module parameters, optimizer
   *  buffers): the backend keeps it in its own memory (Backend.keepResident), also after a move. */
  keepResident(): void {
    this.kept = true;
    this.backend.keepResident?.(this.storage);
  }
  release(): void {
    const c = this.cell;
    if (c.refs <= 0) return;
    if (--c.refs === 0 && !c.done) {
      c.done = true;
      if (c.counted) live.tensors--;
      this.backend.free(this.storage);
    }
  }
  /** Moves the data to backend `to` (the same elements in a new storage there): a tensor made
   *  before init() switched backends moves on its first use. Every view shares this ref, so all
   *  of them move together. (No registry of live storages: a WeakRef per storage would keep every
   *  storage made in a synchronous loop alive until the loop ends.) */
  moveTo(to: Backend): void {
    if (to === this.backend || this.cell.done) return;
    const from = this.backend,
      old = this.storage;
    const s = to.alloc(old.size, old.dtype, true);
    if (old.size > 0) to.view(s).set(from.view(old) as any);
    from.free(old);
    this.storage = s;
    this.backend = to;
    this.cell.release = to.finalizer(s);
    if (this.kept) to.keepResident?.(s);
  }
}

export const live = { tensors: 0 };

// A tensor that is garbage-collected without dispose() gives its storage back here. The registry
// holds only the Cell: holding the StorageRef would keep every dead tensor's data alive until the
// event loop turns (finalizers never run inside a synchronous training loop).
const registry = new FinalizationRegistry<Cell>((c) => {
  if (c.refs <= 0) return;
  if (--c.refs === 0 && !c.done) {
    c.done = true;
    if (c.counted) live.tensors--;
    c.release();
  }
});

export function allocRef(size: number, dtype: DType, uninit = false): StorageRef {
  const b = backendImpl();
  return new StorageRef(b.alloc(size, dtype, uninit), b);
}

/**
 * Registrations since the event loop last reached its task queue. The registry's cleanup runs only
 * there, so inside one long synchronous run (a training loop that never awaits) V8 keeps every dead
 * cell and scans the growing list at each GC (step time grew 4x in 3,000 steps). Past the cap, storages
 * whose data the GC reclaims by itself (js and native: JS typed arrays) are no longer registered: they
 * leave torch.memory()'s accounting at once and the GC frees their data as usual. wasm storages are
 * always registered (wasm memory is not the GC's; its LRU spill bounds it).
 */
const SYNC_REGISTRATION_CAP = 20_000;
let syncRegistrations = 0;
const nextTask: (fn: () => void) => void =
  typeof setImmediate === "function" ? setImmediate : (fn) => setTimeout(fn, 0);
function resetSyncRegistrations(): void {
  syncRegistrations = 0;
}

export function trackOwner(owner: object, ref: StorageRef): void {
  if (syncRegistrations >= SYNC_REGISTRATION_CAP) {
    // a new storage (not a view of a registered one) leaves the accounting: its data is the GC's
    // (js, native) or goes with the wasm backend's LRU spill; dispose() still frees it at once
    const c = ref.cell;
    if (c.refs === 1 && c.counted && !c.done) {
      c.counted = false;
      live.tensors--;
      ref.backend.untrack?.(ref.storage);
    }
    return;
  }
  registry.register(owner, ref.cell, owner);
  if (syncRegistrations++ === 0) nextTask(resetSyncRegistrations);
}
export function untrackOwner(owner: object): void {
  registry.unregister(owner);
}

// ------------------------------------------------------------------ grad mode

let gradEnabled = true;
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with autograd recording off (torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs `fn` with gradient tracking on, also inside `noGrad` (`torch.enable_grad`). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

// ------------------------------------------------------------------ tidy scopes

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}
const scopes: Set<Disposable>[] = [];

export function trackInScope(t: Disposable): void {
  if (scopes.length) scopes[scopes.length - 1].add(t);
  if (forward) forward.tensors.push(t);
}

// ------------------------------------------------------------------ forward scopes
// The intermediates of a Module's forward() belong to the graph, as in PyTorch: a tensor made
// inside the outermost forward() call that is neither reachable from what it returns nor stored on
// the module tree is "internal". Internal tensors are released when backward() frees the graph they
// belong to, or at the end of the forward() when nothing is recorded (inference). So a training loop
// written as users write it (no dispose, no tidy, no await) frees each step's intermediates at once
// instead of waiting for the garbage collector, whose finalizers never run in a synchronous loop.

/** The internal tensors of one outermost forward() call. */
export interface ForwardScope {
  tensors: Disposable[];
  released: boolean;
}
let forward: ForwardScope | null = null;
let forwardDepth = 0;

/** Runs fn (a module's forward) in a forward scope; the outermost call settles the scope:
 *  `keepRoots` (the module) and the result stay, the other tensors made inside become internal. */
export function inForward<T>(keepRoot: object, fn: () => T): T {
  if (forwardDepth > 0) {
    forwardDepth++;
    try {
      return fn();
    } finally {
      forwardDepth--;
    }
  }
  const scope: ForwardScope = { tensors: [], released: false };
  forward = scope;
  forwardDepth = 1;
  let out: T;
  try {
    out = fn();
  } finally {
    forwardDepth = 0;
    forward = null;
  }
  if (scope.tensors.length) settleForward(scope, keepRoot, out);
  return out;
}

function settleForward(scope: ForwardScope, keepRoot: object, out: unknown): void {
  const reach = new Set<Disposable>();
  collectDisposables(out, reach);
  let internal: Disposable[] = [];
  for (const t of scope.tensors) if (!t.isDisposed && !reach.has(t) && !keptInForward.has(t)) internal.push(t);
  // the module tree is walked only when some tensor could be stored on it (inference forwards
  // that free their intermediates leave none)
  if (internal.length) {
    const onTree = new Set<Disposable>();
    collectDisposables(keepRoot, onTree);
    internal = internal.filter((t) => !onTree.has(t));
  }
  scope.tensors = internal;
  if (!isGradEnabled()) {
    releaseForward(scope);
    return;
  }
  for (const t of internal) (t as { _forward?: ForwardScope })._forward = scope;
}

/** A namespace whose functions each run in a forward scope (torch.nn.functional: the
 *  intermediates of F.crossEntropy, F.multiHeadAttention... go with the graph too). */
export function scopedNamespace<N extends object>(ns: N): N {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ns)) {
    out[k] =
      typeof v === "function" && !/^[A-Z]/.test(k)
        ? Object.defineProperty(
            (...args: unknown[]) => inForward(NO_ROOT, () => (v as (...a: unknown[]) => unknown)(...args)),
            "name",
            { value: k },
          )
        : v;
  }
  return Object.freeze(out) as N;
}
const NO_ROOT = Object.freeze({});

/** Disposes a forward scope's internal tensors (once). */
export function releaseForward(scope: ForwardScope): void {
  if (scope.released) return;
  scope.released = true;
  for (const t of scope.tensors) if (!t.isDisposed) t.dispose();
  scope.tensors = [];
}
/** Removes t from every open scope: it outlives the tidy call (gradients, optimiser state). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  if (forward) keptInForward.add(t);
  return t;
}
/** Tensors keep()-ed inside a forward scope (never internal). */
const keptInForward = new WeakSet<Disposable>();

/** Runs fn and disposes every tensor created inside it except those it returns. */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t.isDisposed) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result && typeof (result as any).then === "function") {
    throw new TypeError("tidy: fn must be synchronous (it returned a Promise)");
  }
  const kept = new Set<Disposable>();
  collectDisposables(result, kept);
  for (const t of scope) {
    if (kept.has(t)) {
      trackInScope(t);
      continue;
    }
    if (!t.isDisposed) t.dispose();
  }
  return result;
}

/** Every disposable reachable from v: arrays, Maps (keys and values), Sets, plain objects and the
 *  own fields of class instances (Modules, max/topk results, ...), at any depth, cycles allowed. */
function collectDisposables(root: unknown, out: Set<Disposable>): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (!v || (typeof v !== "object" && typeof v !== "function") || seen.has(v as object)) continue;
    seen.add(v as object);
    if (typeof (v as any).dispose === "function" && "isDisposed" in (v as any)) {
      out.add(v as Disposable);
      // a tensor's .grad is reachable from it too
      const g = (v as any).grad;
      if (g) stack.push(g);
      continue;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || typeof v === "function") continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        stack.push(k);
        stack.push(x);
      }
      continue;
    }
    if (v instanceof Set) {
      for (const x of v) stack.push(x);
      continue;
    }
    for (const x of Object.values(v as object)) stack.push(x);
  }
}

// ------------------------------------------------------------------ RNG (xoshiro128**, seedable)

let rs = new Uint32Array(4);
/** The second draw of a Box–Muller pair (manualSeed drops it, so seeded runs repeat). */
let spare: number | null = null;
/** Seeds torchlet's random number generator, so runs repeat (`torch.manual_seed`). */
export function manualSeed(seed: number): void {
  // splitmix32 to spread the seed over the state
  let x = seed >>> 0;
  for (let k = 0; k < 4; k++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    rs[k] = (z ^ (z >>> 16)) >>> 0;
  }
  if (!(rs[0] | rs[1] | rs[2] | rs[3])) rs[0] = 1;
  spare = null;
}
manualSeed(Date.now() & 0x7fffffff);

function nextU32(): number {
  const r = Math.imul(rotl(Math.imul(rs[1], 5), 7), 9) >>> 0;
  const t = rs[1] << 9;
  rs[2] ^= rs[0];
  rs[3] ^= rs[1];
  rs[1] ^= rs[2];
  rs[0] ^= rs[3];
  rs[2] ^= t;
  rs[3] = rotl(rs[3], 11);
  return r;
}
function rotl(x: number, k: number) {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Uniform in [0, 1) with 53 random bits. */
export function random(): number {
  return (nextU32() * 2 ** 21 + (nextU32() >>> 11)) / 2 ** 53;
}
/** Standard normal (Box–Muller). */
export function randomNormal(): number {
  if (spare !== null) {
    const s = spare;
    spare = null;
    return s;
  }
  let u = 0;
  while (u === 0) u = random();
  const v = random(),
    r = Math.sqrt(-2 * Math.log(u));
  spare = r * Math.sin(2 * Math.PI * v);
  return r * Math.cos(2 * Math.PI * v);
}
