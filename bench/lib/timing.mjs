// Warm-up + timed runs + median. `fn` may return a promise (ORT's session.run does).

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * @param {() => unknown} fn one complete run, result forced/read back inside
 * @param {{warmup:number,warmupTimeMs?:number,minRuns:number,minTimeMs:number,maxRuns:number,maxTimeMs:number,slowMs:number}} opt
 */
export async function measure(fn, opt) {
  // Warm-up: at least `warmup` runs, and more until `warmupTimeMs` has passed (JITs tier up
  // and allocator pools fill during the first few hundred runs of a fast workload), unless one
  // run is slow (then the minimum is enough).
  const warmupMs = [];
  let warmTotal = 0,
    warmMin = Infinity;
  while (
    warmupMs.length < opt.warmup ||
    (warmTotal < (opt.warmupTimeMs ?? 0) && warmMin <= opt.slowMs && warmupMs.length < 100000)
  ) {
    const t0 = performance.now();
    const r = fn();
    if (r && typeof r.then === "function") await r;
    const dt = performance.now() - t0;
    warmupMs.push(dt);
    warmTotal += dt;
    warmMin = Math.min(warmMin, dt);
  }
  // Very slow workloads (e.g. the pure-JS baseline on big convolutions): keep the
  // run count at the minimum instead of chasing minTimeMs.
  const runsMs = [];
  let total = 0;
  const slow = warmupMs.length > 0 && warmMin > opt.slowMs;
  while (
    runsMs.length < opt.minRuns ||
    (!slow && total < opt.minTimeMs && runsMs.length < opt.maxRuns && total < opt.maxTimeMs)
  ) {
    const t0 = performance.now();
    const r = fn();
    if (r && typeof r.then === "function") await r;
    const dt = performance.now() - t0;
    runsMs.push(dt);
    total += dt;
  }
  const r4 = (x) => Math.round(x * 1e4) / 1e4;
  return {
    median_ms: median(runsMs),
    runs_ms: runsMs.map(r4),
    warmup_runs: warmupMs.length,
    warmup_ms: warmupMs.slice(0, 20).map(r4),
  };
}
