#!/usr/bin/env node
// torchlet benchmark runner: `npm run bench` (= node bench/run.mjs) — see bench/README.md.
//
// Every engine runs in its own child process (bench/lib/child.mjs), one after another.
// Results: bench/results/latest.{json,md,svg}; the markdown table is printed on stdout,
// progress on stderr.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BROWSER_ENGINES, BROWSER_MIN_WARMUP } from "./browser/engines.mjs";
import { markdown, svg } from "./lib/report.mjs";
import { BASELINE, ENGINES, QUICK_WORKLOADS, WORKLOADS, WORKLOAD_BY_ID } from "./lib/workloads.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, "..");
const PEERS = resolve(BENCH, "peers");
// BENCH_RESULTS_DIR=/tmp/x writes latest.* there instead (partial runs without touching bench/results)
const RESULTS = process.env.BENCH_RESULTS_DIR ? resolve(process.env.BENCH_RESULTS_DIR) : resolve(BENCH, "results");
const TMP = resolve(RESULTS, "tmp");
// every column latest.json may hold: the Node engines, then the Chromium ones (--browser)
const ALL_ENGINES = [...ENGINES, ...BROWSER_ENGINES];
const ENGINE_BY_ID = Object.fromEntries(ALL_ENGINES.map((e) => [e.id, e]));

const USAGE = `usage: node bench/run.mjs [options]
  --quick               smoke test: ${QUICK_WORKLOADS.join(" + ")}, 3 timed runs
  --engines a,b         engines (or groups: torchlet, peers, tfjs, ort) — default all:
                        ${ENGINES.map((e) => e.id).join(", ")}
  --browser             run the Chromium columns instead (headless /usr/bin/chromium, a cross-origin
                        isolated page, ≥ ${BROWSER_MIN_WARMUP} warm-up runs) and merge them into latest.json
                        (implies --merge); --engines then picks among (the "@chromium" may be left off):
                        ${BROWSER_ENGINES.map((e) => e.id).join(", ")}
  --workloads x,y       workloads — default all: ${WORKLOADS.map((w) => w.id).join(", ")}
  --runs N              minimum timed runs (default 5; 3 with --quick)
  --min-time S          keep running until S seconds of timed runs (default 1)
  --timeout S           per-engine time limit in seconds (default 1800)
  --merge               keep measurements of bench/results/latest.json that this run does not redo
  --render              only re-render latest.md/latest.svg from bench/results/latest.json
  --no-install          do not npm-install bench/peers (peer engines then fail if missing)
  -h, --help`;

function parseArgs(argv) {
  const o = { quick: false, merge: false, browser: false, install: true, timeout: 1800 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [k, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const val = () => inline ?? argv[++i];
    switch (k) {
      case "--quick":
        o.quick = true;
        break;
      case "--merge":
        o.merge = true;
        break;
      case "--browser":
        o.browser = true;
        o.merge = true;
        break;
      case "--no-install":
        o.install = false;
        break;
      case "--render":
        o.render = true;
        break;
      case "--engines":
        o.engines = val();
        break;
      case "--workloads":
        o.workloads = val();
        break;
      case "--runs":
        o.runs = +val();
        break;
      case "--min-time":
        o.minTime = +val();
        break;
      case "--timeout":
        o.timeout = +val();
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        process.exit(0);
      default:
        console.error(`unknown option ${a}\n${USAGE}`);
        process.exit(2);
    }
  }
  return o;
}

const log = (s) => process.stderr.write(s + "\n");

function selectEngines(spec, catalogue) {
  if (!spec) return catalogue.map((e) => e.id);
  const want = new Set();
  for (const raw of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const s = raw.toLowerCase().replace(/^torchlet-/, "");
    const hits = catalogue.filter(
      (e) =>
        e.id.toLowerCase() === s ||
        e.id.toLowerCase() === `${s}@chromium` ||
        e.group === s ||
        (s === "tfjs" && e.kind === "tfjs") ||
        (s === "ort" && e.kind.startsWith("ort")) ||
        (s === e.kind && s !== "torchlet") ||
        (s === "pytorch" && e.kind === "pytorch"),
    );
    if (!hits.length) {
      console.error(`unknown engine "${raw}"; known: ${catalogue.map((e) => e.id).join(", ")}`);
      process.exit(2);
    }
    hits.forEach((e) => want.add(e.id));
  }
  return catalogue.map((e) => e.id).filter((id) => want.has(id));
}

function selectWorkloads(spec, quick) {
  if (!spec) return quick ? [...QUICK_WORKLOADS] : WORKLOADS.map((w) => w.id);
  const ids = spec
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out = [];
  for (const id of ids) {
    const hits =
      id === "gemm" ? WORKLOADS.filter((w) => w.id.startsWith("gemm")) : WORKLOADS.filter((w) => w.id === id);
    if (!hits.length) {
      console.error(`unknown workload "${id}"; known: ${WORKLOADS.map((w) => w.id).join(", ")}`);
      process.exit(2);
    }
    hits.forEach((w) => out.includes(w.id) || out.push(w.id));
  }
  return WORKLOADS.map((w) => w.id).filter((id) => out.includes(id));
}

// ---------- peers (tfjs, onnxruntime) live in bench/peers, never in the root ----------
function peersInstalled() {
  const pkg = JSON.parse(readFileSync(resolve(PEERS, "package.json"), "utf8"));
  for (const [name, version] of Object.entries(pkg.dependencies)) {
    const p = resolve(PEERS, "node_modules", name, "package.json");
    if (!existsSync(p)) return false;
    if (JSON.parse(readFileSync(p, "utf8")).version !== version) return false;
  }
  return true;
}

function ensurePeers(install) {
  if (peersInstalled()) return null;
  if (!install) return "bench/peers not installed (--no-install)";
  log("• installing peers in bench/peers (npm install --ignore-scripts) …");
  // --ignore-scripts: onnxruntime-node's postinstall downloads from a host we cannot reach;
  // its CPU binary is already inside the npm package.
  const r = spawnSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: PEERS,
    stdio: ["ignore", 2, 2],
  });
  if (r.status !== 0 || !peersInstalled()) return `npm install in bench/peers failed (exit ${r.status})`;
  return null;
}

// ---------- single-core FMA peak (C probe, compiled at bench time) ----------
function fmaPeak() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const flags = new Set((cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? "").trim().split(/\s+/));
  const cc = spawnSync("sh", ["-c", "command -v cc"], { encoding: "utf8" }).stdout.trim();
  if (!cc) return { error: "no C compiler (cc)" };
  if (!flags.has("fma") || !flags.has("avx2")) return { error: "CPU has no AVX2+FMA" };
  mkdirSync(TMP, { recursive: true });
  const run = (isa) => {
    const exe = resolve(TMP, `fma_peak_${isa}`);
    const c = spawnSync(cc, ["-O2", `-m${isa}`, "-mfma", resolve(BENCH, "peak/fma_peak.c"), "-o", exe], {
      encoding: "utf8",
    });
    if (c.status !== 0) return { error: `cc failed: ${c.stderr.split("\n")[0]}` };
    const r = spawnSync(exe, [], { encoding: "utf8", timeout: 10000 });
    try {
      return JSON.parse(r.stdout);
    } catch {
      return { error: `probe failed: ${r.stderr || r.stdout}`.slice(0, 200) };
    }
  };
  const avx2 = run("avx2");
  const best = flags.has("avx512f") ? run("avx512f") : avx2;
  return { ...best, avx2_gflops: avx2.gflops };
}

// ---------- one engine in a child process ----------
function runChild(engine, workloads, timing, timeoutS) {
  return new Promise((done) => {
    mkdirSync(TMP, { recursive: true });
    const out = resolve(TMP, `${engine}.json`);
    writeFileSync(out, "{}");
    const cfg = { engine, workloads, timing, out };
    const child = spawn(
      process.execPath,
      ["--max-old-space-size=8192", resolve(BENCH, "lib/child.mjs"), JSON.stringify(cfg)],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const relay = (stream) => {
      let buf = "";
      stream.on("data", (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (/^=+$|looks like you are running TensorFlow\.js in Node/.test(line.trim())) continue; // tfjs banner
          if (line.trim()) log(line.startsWith("  [") ? line : `  [${engine}] | ${line}`);
        }
      });
    };
    relay(child.stdout);
    relay(child.stderr);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`  [${engine}] timeout after ${timeoutS} s — killing pid ${child.pid}`);
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      let res = {};
      try {
        res = JSON.parse(readFileSync(out, "utf8"));
      } catch {}
      const ms = res.measurements ?? [];
      const have = new Set(ms.map((m) => m.workload));
      const why = timedOut
        ? `timeout (${timeoutS} s)`
        : (res.error ?? (code !== 0 ? `child exited with ${signal ?? `code ${code}`}` : "not run"));
      for (const w of workloads) {
        if (!have.has(w)) ms.push({ engine, workload: w, status: "error", error: why });
      }
      done({ info: res.info ?? {}, error: res.status === "done" ? undefined : why, measurements: ms });
    });
  });
}

// ---------- PyTorch reference (scripts/torch_bench.py, another engineer's script) ----------
// Its JSON: { torch, blas, results: { threads_1: { simplecnn_train: {median_ms, images_per_s},
// gemm_1024: {median_ms, gflops}, gemm_1024_onednn, conv3x3, stem, lstm_fwd } } }
const PYTORCH_KEYS = {
  gemm128: "gemm_128",
  gemm256: "gemm_256",
  gemm512: "gemm_512",
  gemm1024: "gemm_1024",
  conv3x3: "conv3x3",
  stem: "stem",
  simplecnn_fwd: "simplecnn_fwd",
  simplecnn_train: "simplecnn_train",
  lstm: "lstm_fwd",
  relu: "relu",
  maxpool: "maxpool",
  batchnorm: "batchnorm",
  resnet18_b1: "resnet18_b1",
  resnet18_b8: "resnet18_b8",
  mobilenetv2_b1: "mobilenetv2_b1",
  encoder_b8: "encoder_b8",
  resnet18_train: "resnet18_train",
  gpt_train: "gpt_train",
  charlstm_train: "charlstm_train",
  resnet18_b8_mem: "resnet18_b8_mem", // peak memory, each in a fresh python process (torch_bench.py --memory)
  resnet18_train_mem: "resnet18_train_mem",
};
const PYTORCH_MEASURES = new Set([
  "gemm1024",
  "conv3x3",
  "stem",
  "simplecnn_train",
  "lstm",
  "resnet18_b1",
  "resnet18_b8",
  "mobilenetv2_b1",
  "encoder_b8",
  "resnet18_train",
  "gpt_train",
  "charlstm_train",
  "resnet18_b8_mem",
  "resnet18_train_mem",
]);

function runPytorch(workloads, quick) {
  const py = "/usr/bin/python3";
  const script = resolve(ROOT, "scripts/torch_bench.py");
  const na = (error, status = "not measured") => ({
    info: {},
    error,
    measurements: workloads.map((w) => ({ engine: "pytorch-1T", workload: w, status, error })),
  });
  const chk = spawnSync(py, ["-c", "import torch, sys; sys.stdout.write(torch.__version__)"], { encoding: "utf8" });
  if (chk.status !== 0) return na("python3 cannot import torch");
  if (!existsSync(script)) return na("scripts/torch_bench.py missing");
  if (!workloads.some((w) => PYTORCH_MEASURES.has(w))) return na("torch_bench.py does not measure these workloads");
  const args = [script, "--threads", "1", ...(quick ? ["--quick"] : [])];
  log(`  [pytorch-1T] ${py} scripts/torch_bench.py ${args.slice(1).join(" ")} (torch ${chk.stdout})`);
  const r = spawnSync(py, args, {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 1200 * 1000,
    maxBuffer: 64 << 20,
    env: { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  if (r.stderr)
    r.stderr
      .trim()
      .split("\n")
      .slice(-5)
      .forEach((l) => l && log(`  [pytorch-1T] | ${l}`));
  let obj;
  try {
    const text = r.stdout.trim();
    obj = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1));
  } catch {
    return na(`torch_bench.py gave no JSON (exit ${r.status}${r.signal ? ", " + r.signal : ""})`, "error");
  }
  const res1 = obj.results?.threads_1 ?? Object.values(obj.results ?? {})[0] ?? obj;
  const measurements = workloads.map((wid) => {
    const m = { engine: "pytorch-1T", workload: wid };
    const v = res1[PYTORCH_KEYS[wid]];
    const w = WORKLOAD_BY_ID[wid];
    if (w.tidyOf) return Object.assign(m, { status: "n/a", error: "torch.tidy rows are torchlet's" });
    if (w.unit === "MB") {
      if (v?.peak_rss_mb == null) return Object.assign(m, { status: "not measured", error: v?.error ?? "no peak" });
      const { peak_rss_mb, baseline_rss_mb, delta_rss_mb, rss_source } = v;
      return Object.assign(m, { status: "ok", peak_rss_mb, baseline_rss_mb, delta_rss_mb, rss_source, source: v });
    }
    let ms = typeof v === "number" ? v : v?.median_ms;
    if (ms == null && v?.images_per_s && w.images) ms = (w.images * 1000) / v.images_per_s;
    if (ms == null && v?.gflops && w.flops) ms = w.flops / v.gflops / 1e6;
    if (ms == null) return Object.assign(m, { status: "not measured", error: "not in torch_bench.py output" });
    Object.assign(m, { status: "ok", median_ms: ms, runs_ms: [], source: v });
    if (wid === "gemm1024" && obj.blas && obj.blas !== "unknown") {
      const od = res1.gemm_1024_onednn;
      m.note =
        `torch.matmul with BLAS=${obj.blas}` +
        (od?.gflops ? `; same GEMM as oneDNN 1×1 conv: ${od.gflops} GFLOPS` : "");
    }
    return m;
  });
  return {
    info: { version: `torch ${obj.torch ?? chk.stdout}`, threads: 1, blas: obj.blas, mkldnn: obj.mkldnn },
    measurements,
    raw: obj,
  };
}

// ---------- main ----------
const opts = parseArgs(process.argv.slice(2));
if (opts.render) {
  const results = JSON.parse(readFileSync(resolve(RESULTS, "latest.json"), "utf8"));
  const md = markdown(results);
  writeFileSync(resolve(RESULTS, "latest.md"), md);
  writeFileSync(resolve(RESULTS, "latest.svg"), svg(results));
  log("• re-rendered bench/results/latest.md, latest.svg from latest.json");
  process.stdout.write(md);
  process.exit(0);
}
const engines = selectEngines(opts.engines, opts.browser ? BROWSER_ENGINES : ENGINES);
const workloads = selectWorkloads(opts.workloads, opts.quick);
const timing = opts.quick
  ? {
      warmup: 2,
      minRuns: opts.runs ?? 3,
      minTimeMs: (opts.minTime ?? 0) * 1000,
      maxRuns: opts.runs ?? 3,
      maxTimeMs: 5000,
      slowMs: 2000,
    }
  : {
      warmup: 2,
      warmupTimeMs: 300,
      minRuns: opts.runs ?? 5,
      minTimeMs: (opts.minTime ?? 1) * 1000,
      maxRuns: 500,
      maxTimeMs: 10000,
      slowMs: 2000,
    };

const cpu = os.cpus()[0]?.model?.trim() ?? "?";
const meta = {
  date: new Date().toISOString(),
  node: process.versions.node,
  platform: `${process.platform}-${process.arch}`,
  cpu,
  cores: os.cpus().length,
  quick: opts.quick,
  argv: process.argv.slice(2),
  timing,
  baseline: BASELINE,
  loadavg_before: os.loadavg().map((x) => +x.toFixed(2)),
  versions: {},
  engines: {},
};

log(`torchlet bench: ${engines.length} engine(s) × ${workloads.length} workload(s)${opts.quick ? " (--quick)" : ""}`);
log(`  engines:   ${engines.join(", ")}`);
log(`  workloads: ${workloads.join(", ")}`);

const peak = fmaPeak();
if (peak.error) {
  meta.peak_error = peak.error;
  log(`• FMA peak: ${peak.error}`);
} else {
  meta.peak = peak;
  meta.peak_1t_gflops = peak.gflops;
  meta.peak_avx2_gflops = peak.avx2_gflops;
  log(
    `• single-core FMA peak: ${peak.gflops} GFLOPS (${peak.isa})${peak.isa !== "avx2" ? `, AVX2 ${peak.avx2_gflops}` : ""}`,
  );
}

let peersError = null;
if (engines.some((e) => ENGINE_BY_ID[e].group === "peers")) peersError = ensurePeers(opts.install);

// --browser: one server for every column; the whole-model ONNX files exported (in Node) up front
let browserRun = null;
if (opts.browser) {
  const drv = await import("./browser/driver.mjs");
  const { server, url } = await drv.startServer();
  server.unref();
  const modelErrors = engines.some((id) => ENGINE_BY_ID[id].kind === "ort-web") ? drv.ensureModels(workloads, log) : {};
  browserRun = { drv, url, modelErrors };
  meta.browser = { executable: drv.CHROMIUM, url, min_warmup: BROWSER_MIN_WARMUP };
  log(`• serving the repository on ${url} (COOP same-origin, COEP require-corp) for ${drv.CHROMIUM}`);
}

let measurements = [];
const t0 = Date.now();
for (const [i, id] of engines.entries()) {
  const e = ENGINE_BY_ID[id];
  const tE = Date.now();
  log(`• [${i + 1}/${engines.length}] ${id} …`);
  let res;
  if (e.kind === "pytorch") res = runPytorch(workloads, opts.quick);
  else if (e.group === "peers" && peersError)
    res = {
      info: {},
      error: peersError,
      measurements: workloads.map((w) => ({ engine: id, workload: w, status: "error", error: peersError })),
    };
  else if (e.browser) {
    res = await browserRun.drv.runColumn(browserRun.url, e, workloads, timing, { timeoutS: opts.timeout, log });
    for (const m of res.measurements) {
      const why = browserRun.modelErrors[m.workload];
      if (why && e.kind === "ort-web" && m.status === "error") m.error = why;
    }
    if (res.info.browser) meta.browser.version = res.info.browser;
  } else res = await runChild(id, workloads, timing, opts.timeout);
  meta.engines[id] = { ...res.info, ...(res.error ? { error: res.error } : {}) };
  if (res.raw) meta.engines[id].raw = res.raw;
  if (res.info?.version) meta.versions[id] = res.info.version;
  measurements.push(...res.measurements);
  const ok = res.measurements.filter((m) => m.status === "ok").length;
  log(
    `• [${i + 1}/${engines.length}] ${id} done in ${((Date.now() - tE) / 1000).toFixed(1)} s: ${ok}/${workloads.length} ok${res.error ? ` (${res.error})` : ""}`,
  );
}
meta.loadavg_after = os.loadavg().map((x) => +x.toFixed(2));
log(`• all engines done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

let allEngines = engines;
let allWorkloads = workloads;
const latestJson = resolve(RESULTS, "latest.json");
if (opts.merge && existsSync(latestJson)) {
  try {
    const prev = JSON.parse(readFileSync(latestJson, "utf8"));
    const have = new Set(measurements.map((m) => `${m.engine}|${m.workload}`));
    const kept = (prev.measurements ?? []).filter(
      (m) => ENGINE_BY_ID[m.engine] && WORKLOAD_BY_ID[m.workload] && !have.has(`${m.engine}|${m.workload}`),
    );
    measurements.push(...kept.map((m) => ({ ...m, merged_from: prev.meta?.date })));
    allEngines = ALL_ENGINES.map((e) => e.id).filter((id) => engines.includes(id) || kept.some((m) => m.engine === id));
    allWorkloads = WORKLOADS.map((w) => w.id).filter(
      (id) => workloads.includes(id) || kept.some((m) => m.workload === id),
    );
    for (const [k, v] of Object.entries(prev.meta?.engines ?? {})) if (!engines.includes(k)) meta.engines[k] = v;
    for (const [k, v] of Object.entries(prev.meta?.versions ?? {})) if (!engines.includes(k)) meta.versions[k] = v;
    meta.merged_from = prev.meta?.date;
    log(`• --merge: kept ${kept.length} measurement(s) from ${prev.meta?.date}`);
  } catch (e) {
    log(`• --merge: cannot read previous latest.json (${e.message})`);
  }
}

// derived numbers and ratios vs the baseline (MB rows: the baseline's peak RSS / the engine's, >1 = less memory)
const cost = (m) => (WORKLOAD_BY_ID[m.workload].unit === "MB" ? m.peak_rss_mb : m.median_ms);
const base = new Map(
  measurements.filter((m) => m.engine === BASELINE && m.status === "ok").map((m) => [m.workload, cost(m)]),
);
for (const m of measurements) {
  const w = WORKLOAD_BY_ID[m.workload];
  m.label = w.label;
  m.unit = w.unit;
  if (m.status !== "ok") continue;
  m.gflops = w.flops ? w.flops / m.median_ms / 1e6 : null;
  m.gbps = w.bytes ? w.bytes / m.median_ms / 1e6 : null;
  m.img_per_s = w.images ? (w.images * 1000) / m.median_ms : null;
  m.ratio = base.has(m.workload) ? base.get(m.workload) / cost(m) : null;
}
const order = (m) => allEngines.indexOf(m.engine) * 100 + allWorkloads.indexOf(m.workload);
measurements.sort((a, b) => order(a) - order(b));

const results = {
  meta,
  peak_1t_gflops: meta.peak_1t_gflops ?? null,
  engines: allEngines,
  workloads: allWorkloads,
  measurements,
};
mkdirSync(RESULTS, { recursive: true });
writeFileSync(latestJson, JSON.stringify(results, null, 1) + "\n");
const md = markdown(results);
writeFileSync(resolve(RESULTS, "latest.md"), md);
writeFileSync(resolve(RESULTS, "latest.svg"), svg(results));
log(`• wrote bench/results/latest.json, latest.md, latest.svg`);
process.stdout.write("\n" + md);
