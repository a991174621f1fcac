// The Chromium side of `node bench/run.mjs --browser`: serves the repository on http://127.0.0.1
// with COOP same-origin + COEP require-corp (cross-origin isolation: SharedArrayBuffer, wasm
// threads), launches headless Chromium once per column (a fresh browser, so columns share no heap,
// workers or JIT state), loads bench/browser/index.html, starts the column's engine and times each
// workload in the page. Results have the shape of bench/lib/child.mjs's.
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ONNX_MODELS } from "../lib/workloads.mjs";
import { BROWSER_MIN_WARMUP } from "./engines.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
export const CHROMIUM = process.env.BENCH_CHROMIUM ?? "/usr/bin/chromium";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".map": "application/json",
};

/** The repository on http://127.0.0.1:<free port>, cross-origin isolated. */
export function startServer() {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = normalize(join(ROOT, path));
    if (file !== ROOT && !file.startsWith(ROOT + sep)) return res.writeHead(403).end("forbidden");
    let st;
    try {
      st = statSync(file);
    } catch {}
    if (!st?.isFile()) return res.writeHead(path === "/favicon.ico" ? 204 : 404).end();
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": st.size,
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

/** Exports the missing whole-model ONNX files (bench/models/cache) the ORT columns need, in Node,
 *  as bench/lib/engine-ort.mjs does on first use; returns {workload: error} for the failures. */
export function ensureModels(workloads, log) {
  const failed = {};
  for (const id of workloads) {
    const file = ONNX_MODELS[id];
    if (!file?.startsWith("cache/") || existsSync(resolve(ROOT, "bench/models", file))) continue;
    log(`  exporting bench/models/${file} (scripts/export_onnx.py --model ${id}) …`);
    const r = spawnSync("/usr/bin/python3", [resolve(ROOT, "scripts/export_onnx.py"), "--model", id], {
      encoding: "utf8",
      timeout: 600e3,
    });
    if (r.status !== 0)
      failed[id] = `export_onnx.py --model ${id} failed: ${(r.stderr || "").trim().split("\n").pop()}`;
  }
  return failed;
}

const fmt = (ms) => `${ms < 10 ? ms.toFixed(3) : ms.toFixed(1)} ms`;

/**
 * One column: a fresh headless Chromium, the page, the engine, every workload.
 * @returns {Promise<{info: object, error?: string, measurements: object[]}>}
 */
export async function runColumn(url, engine, workloads, timing, { timeoutS = 1800, log = console.error } = {}) {
  const { chromium } = await import("playwright-core");
  const t = { ...timing, warmup: Math.max(timing.warmup ?? 0, BROWSER_MIN_WARMUP) };
  const measurements = [];
  let info = {};
  let error;
  let browser;
  let timer;
  const say = (s) => log(`  [${engine.id}] ${s}`);
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
      ],
    });
    const timeout = new Promise((_, fail) => {
      timer = setTimeout(() => {
        fail(new Error(`timeout (${timeoutS} s)`));
        browser.close().catch(() => {});
      }, timeoutS * 1000);
    });
    const within = (p) => Promise.race([p, timeout]);
    const page = await browser.newPage();
    if (engine.reportCores)
      await page.addInitScript(
        (n) => Object.defineProperty(navigator, "hardwareConcurrency", { get: () => n }),
        engine.reportCores,
      );
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") say(`| ${m.text()}`);
    });
    page.on("pageerror", (e) => say(`| page error: ${e.message}`));
    await within(page.goto(`${url}/bench/browser/index.html`));
    await within(page.waitForFunction(() => globalThis.benchReady === true, null, { timeout: 60e3 }));
    info = await within(page.evaluate((e) => globalThis.bench.start(e), engine));
    info.browser = `Chromium ${browser.version()}`;
    if (engine.reportCores) info.hardwareConcurrency_reported = engine.reportCores;
    info.hardwareConcurrency = os.availableParallelism();
    say(`ready: ${JSON.stringify({ ...info, userAgent: undefined })}`);
    for (const id of workloads) {
      const m = await within(page.evaluate(([w, tm]) => globalThis.bench.run(w, tm), [id, t]));
      if (m.status === "ok")
        say(`${id}: ${fmt(m.median_ms)} (median of ${m.runs_ms.length}, ${m.warmup_runs} warm-up)`);
      else say(`${id}: ${m.status}${m.error ? `: ${m.error}` : m.skipped ? `: ${m.skipped}` : ""}`);
      measurements.push(m);
    }
  } catch (e) {
    error = String(e?.message ?? e)
      .split("\n")[0]
      .slice(0, 300);
    say(`error: ${error}`);
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
  }
  const have = new Set(measurements.map((m) => m.workload));
  for (const w of workloads)
    if (!have.has(w)) measurements.push({ engine: engine.id, workload: w, status: "error", error: error ?? "not run" });
  return { info, error, measurements };
}
