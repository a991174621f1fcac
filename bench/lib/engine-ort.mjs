// ONNX Runtime engines: onnxruntime-web (its wasm build, in Node) and onnxruntime-node (CPU EP).
// Each workload runs the ONNX model exported from PyTorch into bench/models.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { INPUT_SHAPES, ONNX_MODELS } from "./workloads.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PEERS = resolve(HERE, "../peers");
const MODELS = resolve(HERE, "../models");

function randomData(n, seed) {
  // cheap deterministic N(0,1)-ish data (sum of uniforms); values don't matter for speed
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296 - 0.5) * 3.4;
  }
  return a;
}

export async function createEngine(engine) {
  const req = createRequire(resolve(PEERS, "package.json"));
  let ort;
  const sessionOptions = { graphOptimizationLevel: "all", executionMode: "sequential" };
  if (engine.kind === "ort-web") {
    // its package.json is not in its "exports": locate the package folder directly
    const pkgDir = resolve(PEERS, "node_modules/onnxruntime-web");
    // in a browser page (bench/browser) its wasm-only browser build, in Node its Node build
    const entry = typeof window === "undefined" ? "dist/ort.node.min.mjs" : "dist/ort.wasm.min.mjs";
    ort = await import(pathToFileURL(resolve(pkgDir, entry)).href);
    ort.env.wasm.numThreads = engine.threads;
    ort.env.wasm.simd = true;
    sessionOptions.executionProviders = ["wasm"];
  } else {
    ort = req("onnxruntime-node");
    sessionOptions.executionProviders = ["cpu"];
    sessionOptions.intraOpNumThreads = engine.threads;
    sessionOptions.interOpNumThreads = 1;
  }
  const pkg = engine.kind === "ort-web" ? "onnxruntime-web" : "onnxruntime-node";
  const version = JSON.parse(readFileSync(resolve(PEERS, "node_modules", pkg, "package.json"), "utf8")).version;

  async function prepare(w) {
    const file = ONNX_MODELS[w.id];
    if (!file) return null; // e.g. training step: inference engine
    const path = resolve(MODELS, file);
    if (!existsSync(path) && file.startsWith("cache/")) {
      // whole models are large: exported from PyTorch on first use (scripts/export_onnx.py --model)
      const r = spawnSync("/usr/bin/python3", [resolve(HERE, "../../scripts/export_onnx.py"), "--model", w.id], {
        encoding: "utf8",
        timeout: 600e3,
      });
      if (r.status !== 0)
        throw new Error(`export_onnx.py --model ${w.id} failed: ${(r.stderr || "").trim().split("\n").pop()}`);
    }
    if (!existsSync(path)) throw new Error(`model bench/models/${file} missing`);
    const session = await ort.InferenceSession.create(path, sessionOptions);
    const meta = session.inputMetadata;
    const want = INPUT_SHAPES[w.id] ?? [];
    const feeds = {};
    const shapes = {};
    session.inputNames.forEach((name, i) => {
      const m = Array.isArray(meta) ? meta[i] : meta?.[name];
      let shape = m?.shape;
      if (!shape || shape.some((d) => typeof d !== "number" || d < 0)) {
        const def = want[i];
        if (!def || (shape && def.length !== shape.length)) {
          throw new Error(`cannot pick a shape for input "${name}" (model says ${JSON.stringify(shape)})`);
        }
        shape = shape ? shape.map((d, k) => (typeof d === "number" && d >= 0 ? d : def[k])) : def;
      }
      if (m?.type && m.type !== "float32") throw new Error(`input "${name}" is ${m.type}, expected float32`);
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor("float32", randomData(n, 1234 + i), shape);
      shapes[name] = shape;
    });
    // the data input must have the workload's size, else the numbers aren't comparable
    const n0 = (want[0] ?? []).reduce((a, b) => a * b, 1);
    const first = shapes[session.inputNames[0]];
    const note =
      first && want[0] && first.reduce((a, b) => a * b, 1) !== n0
        ? `model input ${JSON.stringify(first)} ≠ workload ${JSON.stringify(want[0])}`
        : undefined;
    return {
      run: async () => {
        const out = await session.run(feeds);
        for (const k in out) {
          out[k].data; // already on the CPU side; touch it
          out[k].dispose?.();
        }
      },
      cleanup: () => session.release?.(),
      inputs: shapes,
      note,
    };
  }

  return {
    info: { version: `${pkg} ${version}`, threads: engine.threads },
    prepare,
  };
}
