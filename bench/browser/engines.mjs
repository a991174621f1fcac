// The columns `node bench/run.mjs --browser` adds: the same workloads, run inside headless Chromium
// (bench/browser/driver.mjs), one fresh browser per column. kind/backend/threads as in
// bench/lib/workloads.mjs's ENGINES (the page reuses bench/lib/engine-*.mjs); `wasm` is the
// torchlet build the column forces (dist/build/torchlet-<wasm>.wasm), `mt` whether tfjs-wasm may
// use its threaded build.
export const BROWSER_ENGINES = [
  { id: "wasm-simd-1t@chromium", kind: "torchlet", backend: "wasm", wasm: "simd", threads: 1 },
  { id: "wasm-simd-2t@chromium", kind: "torchlet", backend: "wasm", wasm: "mt", threads: 2 },
  { id: "wasm-relaxed-1t@chromium", kind: "torchlet", backend: "wasm", wasm: "relaxed", threads: 1 },
  { id: "wasm-relaxed-2t@chromium", kind: "torchlet", backend: "wasm", wasm: "mt-relaxed", threads: 2 },
  { id: "tfjs-wasm@chromium", kind: "tfjs", backend: "wasm", threads: 1, mt: false },
  // tfjs-wasm's threaded build sizes its pthread pool to navigator.hardwareConcurrency / 2 (1 worker
  // on 2 cores, so XNNPACK gets 1 thread whatever setThreadsCount says): this page reports 4 cores
  { id: "tfjs-wasm-mt@chromium", kind: "tfjs", backend: "wasm", threads: 2, mt: true, reportCores: 4 },
  { id: "ort-web-1t@chromium", kind: "ort-web", threads: 1 },
  { id: "ort-web-2t@chromium", kind: "ort-web", threads: 2 },
].map((e) => ({ ...e, group: e.kind === "torchlet" ? "torchlet" : "peers", browser: "chromium" }));

/** Untimed runs before timing, at least (V8 and Liftoff -> TurboFan tier-up: with fewer than
 *  ~15 runs a model's JS/wasm stays on the baseline tier in Chromium). */
export const BROWSER_MIN_WARMUP = 15;
