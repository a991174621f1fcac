// One engine, in its own process: `node bench/lib/child.mjs '<json config>'`.
// Writes its results (JSON) to config.out after every workload, so a crash or a timeout
// still leaves what was measured. Progress goes to stderr.
//
// Peak-memory rows (workloads with `memoryOf`, unit MB): each is run in a fresh process of its own
// (this script again, with cfg.memory = true), so the process's peak RSS belongs to that workload
// alone: baseline = RSS after the engine's init, before the model is made; then the workload
// w.memoryOf is prepared and run (1 warm-up + 3 runs); peak = VmHWM from /proc/self/status.
import { spawnSync } from "node:child_process";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { measure, median } from "./timing.mjs";
import { ENGINE_BY_ID, WORKLOAD_BY_ID } from "./workloads.mjs";

const cfg = JSON.parse(process.argv[2]);
const engine = ENGINE_BY_ID[cfg.engine];
const result = { engine: engine.id, info: {}, status: "starting", measurements: [] };
const save = () => writeFileSync(cfg.out, JSON.stringify(result, null, 1));
const log = (s) => process.stderr.write(`  [${engine.id}] ${s}\n`);
const msg = (e) =>
  String(e?.message ?? e)
    .split("\n")[0]
    .slice(0, 200);

const fmt = (w, ms) => {
  let s = `${ms < 10 ? ms.toFixed(3) : ms.toFixed(1)} ms`;
  if (w.flops) s += `, ${(w.flops / ms / 1e6).toFixed(2)} GFLOPS`;
  if (w.unit === "tok/s") s += `, ${((w.images * 1000) / ms).toFixed(1)} tok/s`;
  if (w.unit === "img/s") s += `, ${((w.images * 1000) / ms).toFixed(1)} img/s`;
  return s;
};

const MB = 2 ** 20;
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);
/** RSS now and its peak so far (VmHWM), MB; off Linux only the current RSS */
function rss() {
  try {
    const s = readFileSync("/proc/self/status", "utf8");
    const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s*(\\d+)\\s*kB`, "m"))?.[1]) * 1024;
    return { now: kb("VmRSS") / MB, peak: kb("VmHWM") / MB, source: "VmHWM" };
  } catch {
    return { now: process.memoryUsage().rss / MB, peak: null, source: "process.memoryUsage" };
  }
}

/** a peak-memory row, measured in a fresh child process (this script with cfg.memory) */
function measureMemoryInChild(w) {
  const out = `${cfg.out}.${w.id}.json`;
  const sub = { ...cfg, workloads: [w.id], memory: true, out };
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), JSON.stringify(sub)], {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 1200e3,
    killSignal: "SIGKILL",
  });
  let res = {};
  try {
    res = JSON.parse(readFileSync(out, "utf8"));
    unlinkSync(out);
  } catch {}
  const m = res.measurements?.[0];
  if (m) return m;
  const why =
    res.error ?? (r.error ? String(r.error.message) : `memory child exited with ${r.signal ?? `code ${r.status}`}`);
  return { engine: engine.id, workload: w.id, status: "error", error: why };
}

/**
 * "… (tidy)" rows: the tidy step and the no-tidy step (a second instance of the workload w.tidyOf)
 * alternate run by run, the order flipped every pair, so a change of load on the machine hits both
 * alike; same warm-up / run-count rules as measure(), the time budget counting both. Returns
 * measure()'s fields for the tidy runs plus the no-tidy runs' median.
 */
async function measurePaired(tidyRun, plainRun, opt) {
  const call = async (fn) => {
    const t0 = performance.now();
    const r = fn();
    if (r && typeof r.then === "function") await r;
    return performance.now() - t0;
  };
  const warm = [];
  let warmTotal = 0;
  while (
    warm.length < opt.warmup ||
    (warmTotal < 2 * (opt.warmupTimeMs ?? 0) && Math.min(...warm) <= opt.slowMs && warm.length < 1000)
  ) {
    const a = await call(tidyRun);
    const b = await call(plainRun);
    warm.push(a);
    warmTotal += a + b;
  }
  const slow = Math.min(...warm) > opt.slowMs;
  const tidy = [];
  const plain = [];
  let total = 0;
  while (
    tidy.length < opt.minRuns ||
    (!slow && total < 2 * opt.minTimeMs && tidy.length < opt.maxRuns && total < 2 * opt.maxTimeMs)
  ) {
    let a, b;
    if (tidy.length % 2 === 0) {
      a = await call(tidyRun);
      b = await call(plainRun);
    } else {
      b = await call(plainRun);
      a = await call(tidyRun);
    }
    tidy.push(a);
    plain.push(b);
    total += a + b;
  }
  const r4 = (x) => Math.round(x * 1e4) / 1e4;
  return {
    median_ms: median(tidy),
    runs_ms: tidy.map(r4),
    warmup_runs: warm.length,
    warmup_ms: warm.slice(0, 20).map(r4),
    paired_no_tidy_ms: median(plain),
    paired_no_tidy_runs_ms: plain.map(r4),
  };
}

/** in the fresh process: baseline, prepare + run w.memoryOf, peak */
async function measureMemory(eng, w) {
  const m = { engine: engine.id, workload: w.id };
  const base = rss();
  const mem0 = eng.memory?.() ?? {};
  const prepared = await eng.prepare(WORKLOAD_BY_ID[w.memoryOf]);
  if (!prepared || prepared.skip) {
    m.status = "n/a";
    if (prepared?.skip) m.skipped = prepared.skip;
    log(`${w.id}: ${prepared?.skip ?? "n/a"}`);
    return m;
  }
  const parent = process.ppid;
  const run = () => {
    if (process.ppid !== parent) process.exit(3); // the bench child was killed (timeout): stop too
    return prepared.run();
  };
  const quick = cfg.timing.maxRuns <= 3;
  const t = await measure(run, {
    warmup: 1,
    minRuns: quick ? 1 : 3,
    minTimeMs: 0,
    maxRuns: 3,
    maxTimeMs: 0,
    slowMs: 0,
  });
  const end = rss();
  const mem1 = eng.memory?.() ?? {};
  Object.assign(m, {
    status: "ok",
    peak_rss_mb: r1(end.peak ?? end.now),
    baseline_rss_mb: r1(base.now),
    delta_rss_mb: r1((end.peak ?? end.now) - base.now),
    rss_source: end.source,
    runs: t.warmup_runs + t.runs_ms.length,
    run_ms: t.median_ms,
  });
  if (mem1.wasm_bytes != null) {
    m.wasm_mb = r1(mem1.wasm_bytes / MB);
    m.wasm_baseline_mb = r1((mem0.wasm_bytes ?? 0) / MB);
  }
  if (mem1.tensor_bytes != null) m.tensor_mb_after = r1(mem1.tensor_bytes / MB);
  log(
    `${w.id}: peak RSS ${m.peak_rss_mb} MB (baseline ${m.baseline_rss_mb}, Δ ${m.delta_rss_mb})` +
      (m.wasm_mb != null ? `, wasm memory ${m.wasm_mb} MB` : "") +
      ` after ${m.runs} runs of ${w.memoryOf}`,
  );
  try {
    await prepared.cleanup?.();
  } catch {}
  return m;
}

async function main() {
  save();
  let eng;
  try {
    const mod = await import(
      {
        torchlet: "./engine-torchlet.mjs",
        tfjs: "./engine-tfjs.mjs",
        "ort-web": "./engine-ort.mjs",
        "ort-node": "./engine-ort.mjs",
      }[engine.kind]
    );
    eng = await mod.createEngine(engine);
    result.info = eng.info;
    result.status = "ok";
    log(`ready: ${JSON.stringify(eng.info)}`);
  } catch (e) {
    result.status = "error";
    result.error = msg(e);
    log(`cannot start: ${result.error}`);
    for (const id of cfg.workloads) {
      result.measurements.push({ engine: engine.id, workload: id, status: "error", error: result.error });
    }
    save();
    return;
  }
  if (cfg.memory) {
    const w = WORKLOAD_BY_ID[cfg.workloads[0]];
    let m;
    try {
      m = await measureMemory(eng, w);
    } catch (e) {
      m = { engine: engine.id, workload: w.id, status: "error", error: msg(e) };
      log(`${w.id}: error: ${m.error}`);
    }
    result.measurements.push(m);
    result.status = "done";
    save();
    return;
  }
  for (const id of cfg.workloads) {
    const w = WORKLOAD_BY_ID[id];
    if (w.memoryOf) {
      result.measurements.push(measureMemoryInChild(w));
      save();
      continue;
    }
    const m = { engine: engine.id, workload: id };
    let prepared;
    try {
      prepared = await eng.prepare(w);
      if (!prepared) {
        m.status = "n/a";
        log(`${id}: n/a`);
      } else if (prepared.skip) {
        m.status = "n/a";
        m.skipped = prepared.skip;
        log(`${id}: ${prepared.skip}`);
      } else {
        let r;
        if (w.tidyOf) {
          // "… (tidy)" rows: paired with the no-tidy step; no_tidy_vs_tidy = no-tidy / tidy throughput
          const plain = await eng.prepare(WORKLOAD_BY_ID[w.tidyOf]);
          try {
            r = await measurePaired(prepared.run, plain.run, cfg.timing);
          } finally {
            await plain.cleanup?.();
          }
          m.no_tidy_vs_tidy = Math.round((r.median_ms / r.paired_no_tidy_ms) * 1000) / 1000;
        } else r = await measure(prepared.run, cfg.timing);
        Object.assign(m, { status: "ok" }, r);
        if (prepared.inputs) m.inputs = prepared.inputs;
        if (prepared.note) m.note = prepared.note;
        log(
          `${id}: ${fmt(w, r.median_ms)} (median of ${r.runs_ms.length})` +
            (m.no_tidy_vs_tidy != null
              ? `, no-tidy ${fmt(w, r.paired_no_tidy_ms)} in the same alternation: no-tidy/tidy ${m.no_tidy_vs_tidy}×`
              : "") +
            (m.note ? ` — ${m.note}` : ""),
        );
      }
    } catch (e) {
      m.status = "error";
      m.error = msg(e);
      log(`${id}: error: ${m.error}`);
    }
    try {
      await prepared?.cleanup?.();
    } catch {}
    result.measurements.push(m);
    save();
  }
  result.status = "done";
  save();
}

main().then(
  () => process.exit(0),
  (e) => {
    result.status = "error";
    result.error = msg(e);
    save();
    process.exit(1);
  },
);
