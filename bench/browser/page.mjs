// The bench page: loads one engine column through the same adapters as the Node bench
// (bench/lib/engine-{torchlet,tfjs,ort}.mjs, their node: imports mapped to ./shims by the page's
// import map) and times workloads with the same measure() (bench/lib/timing.mjs).
// Driven by bench/browser/driver.mjs: `await bench.start(engine)`, then `await bench.run(id, timing)`
// per workload; each returns plain JSON.
import { measure } from "../lib/timing.mjs";
import { WORKLOAD_BY_ID } from "../lib/workloads.mjs";

const PEERS = "/bench/peers/node_modules";
let eng = null;
let engine = null;
let torch = null;
let ort = null;

const msg = (e) =>
  String(e?.message ?? e)
    .split("\n")[0]
    .slice(0, 300);

function script(src) {
  return new Promise((ok, fail) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = ok;
    s.onerror = () => fail(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

async function start(e) {
  engine = e;
  const page = {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer !== "undefined",
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
  };
  let mod;
  if (e.kind === "torchlet") {
    // the column's build, forced (no fallback): dist/build/torchlet-<wasm>.wasm
    const wasmUrl = new URL(`/dist/build/torchlet-${e.wasm}.wasm`, location.origin).href;
    globalThis.__benchInit = { wasmUrl };
    // engine-torchlet.mjs reads process.env.TORCHLET_ENTRY once, when it is evaluated
    globalThis.process = { env: { TORCHLET_ENTRY: "/bench/browser/torchlet-entry.mjs" } };
    try {
      mod = await import("../lib/engine-torchlet.mjs");
    } finally {
      delete globalThis.process;
    }
    torch = await import("./torchlet-entry.mjs");
    eng = await mod.createEngine(e);
    // torch.backendInfo() where the build has it, else the backend object itself
    const bi = typeof torch.backendInfo === "function" ? torch.backendInfo() : {};
    const rt = await import("../../dist/esm/runtime.js");
    const variant = bi.variant ?? rt.backendImpl().variant;
    Object.assign(eng.info, {
      wasmUrl: `/dist/build/torchlet-${e.wasm}.wasm`,
      variant,
      isa: bi.isa ?? (String(variant).includes("relaxed") ? "relaxed-simd" : "simd128"),
      threads: torch.threads(),
      requested_threads: e.threads,
    });
    if (variant !== undefined && variant !== e.wasm)
      throw new Error(`asked for torchlet-${e.wasm}.wasm, loaded variant "${variant}"`);
    if (torch.threads() !== e.threads) throw new Error(`asked for ${e.threads} threads, got ${torch.threads()}`);
  } else if (e.kind === "tfjs") {
    await script(`${PEERS}/@tensorflow/tfjs-core/dist/tf-core.min.js`);
    await script(`${PEERS}/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`);
    // without threads: tfjs would pick its threaded build whenever the page is cross-origin isolated
    if (!e.mt) globalThis.tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    mod = await import("../lib/engine-tfjs.mjs");
    eng = await mod.createEngine(e);
    eng.info.threads = globalThis.tf.wasm.getThreadsCount?.() ?? e.threads;
    if (e.mt && !eng.info.multithread) throw new Error("tfjs-wasm did not load its threaded build");
    if (eng.info.threads !== e.threads) throw new Error(`tfjs-wasm runs ${eng.info.threads} threads, not ${e.threads}`);
  } else if (e.kind === "ort-web") {
    mod = await import("../lib/engine-ort.mjs");
    eng = await mod.createEngine(e);
    ort = await import(`${PEERS}/onnxruntime-web/dist/ort.wasm.min.mjs`);
  } else {
    throw new Error(`engine kind "${e.kind}" does not run in the browser`);
  }
  eng.info = { ...eng.info, ...page };
  return eng.info;
}

async function run(id, timing) {
  const w = WORKLOAD_BY_ID[id];
  const m = { engine: engine.id, workload: id };
  let prepared;
  try {
    // peak-RSS rows (unit MB) are measured per process in Node only
    if (w.unit === "MB" || w.memoryOf)
      return Object.assign(m, { status: "n/a", error: "peak-RSS rows run in Node only" });
    prepared = await eng.prepare(w);
    if (!prepared) m.status = "n/a";
    else if (prepared.skip) Object.assign(m, { status: "n/a", skipped: prepared.skip });
    else {
      const r = await measure(prepared.run, timing);
      Object.assign(m, { status: "ok" }, r);
      if (prepared.inputs) m.inputs = prepared.inputs;
      if (prepared.note) m.note = prepared.note;
    }
  } catch (e) {
    m.status = "error";
    m.error = msg(e);
  }
  try {
    await prepared?.cleanup?.();
  } catch {}
  if (engine.kind === "ort-web" && ort) m.ort_num_threads = ort.env.wasm.numThreads;
  return m;
}

globalThis.bench = { start, run };
document.getElementById("log").textContent += "\nready";
globalThis.benchReady = true;
