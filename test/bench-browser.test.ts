// `node bench/run.mjs --browser`: two Chromium columns on one small workload, into a temporary
// BENCH_RESULTS_DIR; the JSON/markdown get the columns, with numbers, the wasm build each forced and
// crossOriginIsolated true (the threaded column needs it).
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const CHROMIUM = process.env.BENCH_CHROMIUM ?? "/usr/bin/chromium";
const ready =
  existsSync(CHROMIUM) &&
  existsSync(join(ROOT, "dist/esm/index.js")) &&
  existsSync(join(ROOT, "dist/build/torchlet-simd.wasm")) &&
  existsSync(join(ROOT, "dist/build/torchlet-mt-relaxed.wasm"));

describe.skipIf(!ready)("bench --browser", () => {
  it("runs wasm-simd-1t and wasm-relaxed-2t in Chromium into latest.json/md", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-browser-"));
    try {
      const cols = ["wasm-simd-1t@chromium", "wasm-relaxed-2t@chromium"];
      const args = ["bench/run.mjs", "--browser", "--quick", "--workloads", "gemm128"];
      args.push("--engines", "wasm-simd-1t,wasm-relaxed-2t", "--no-install", "--timeout", "50");
      execFileSync(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, BENCH_RESULTS_DIR: dir },
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 100_000,
      });
      const res = JSON.parse(readFileSync(join(dir, "latest.json"), "utf8"));
      expect(res.engines).toEqual(cols);
      for (const id of cols) {
        const m = res.measurements.find((x: { engine: string }) => x.engine === id);
        expect(m.status, `${id}: ${m.error}`).toBe("ok");
        expect(m.median_ms).toBeGreaterThan(0);
        expect(m.gflops).toBeGreaterThan(0);
        expect(m.warmup_runs).toBeGreaterThanOrEqual(15);
      }
      const simd = res.meta.engines["wasm-simd-1t@chromium"];
      expect([simd.variant, simd.threads]).toEqual(["simd", 1]);
      const mt = res.meta.engines["wasm-relaxed-2t@chromium"];
      expect([mt.variant, mt.isa, mt.threads, mt.crossOriginIsolated]).toEqual(["mt-relaxed", "relaxed-simd", 2, true]);
      expect(res.meta.browser.version).toMatch(/^Chromium \d+/);
      const md = readFileSync(join(dir, "latest.md"), "utf8");
      expect(md).toContain("| workload | wasm-simd-1t@chromium | wasm-relaxed-2t@chromium |");
      expect(md).toContain("torchlet-mt-relaxed.wasm (relaxed-simd), threads 2, crossOriginIsolated true");
      expect(readFileSync(join(dir, "latest.svg"), "utf8")).toContain("<svg");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
