// One engine, in its own process: `node bench/lib/child.mjs '<json config>'`.
// Writes its results (JSON) to config.out after every workload, so a crash or a timeout
// still leaves what was measured. Progress goes to stderr.
import { writeFileSync } from "node:fs";
import { measure } from "./timing.mjs";
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
  for (const id of cfg.workloads) {
    const w = WORKLOAD_BY_ID[id];
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
        const r = await measure(prepared.run, cfg.timing);
        Object.assign(m, { status: "ok" }, r);
        if (prepared.inputs) m.inputs = prepared.inputs;
        if (prepared.note) m.note = prepared.note;
        log(`${id}: ${fmt(w, r.median_ms)} (median of ${r.runs_ms.length})${m.note ? " — " + m.note : ""}`);
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
