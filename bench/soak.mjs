// Soak (issue: memory plateau without dispose): `node bench/soak.mjs [--backend wasm|native|js] [--steps 20000] [--threads 1]`.
// A synchronous training loop that never disposes or awaits must plateau: RSS, JS heap and wasm memory
// between step 5,000 and 20,000 within 10%, the last 1,000 steps' time within 10% of steps 1,000-2,000,
// and run as fast as the same loop in tidy() (printed side by side). Exits 1 when a bound is broken.
import * as torch from "torchlet";
import { peak, soakLoop } from "./lib/soak-loop.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const backend = arg("backend", "wasm"),
  steps = +arg("steps", 20000),
  threads = +arg("threads", 1);
await torch.init({ backend, threads });
const every = Math.max(100, Math.floor(steps / 40));
const run = (tidy) => soakLoop(torch, { steps, every, tidy });
const tidied = run(true);
const plain = run(false);
const MB = (b) => (b / 2 ** 20).toFixed(1);
console.log(`soak: ${backend}, ${threads} thread(s), ${steps} steps, no dispose/tidy/await (tidy run for comparison)`);
console.table(
  plain.map((s, i) => ({
    step: s.step,
    "ms/step": s.msPerStep.toFixed(3),
    "tidy ms/step": tidied[i].msPerStep.toFixed(3),
    "RSS MB": MB(s.rss),
    "heap MB": MB(s.heapUsed),
    "wasm MB": MB(s.wasm),
    tensors: s.tensors,
    "held MB": MB(s.bytes),
  })),
);
const q = steps / 4,
  bad = [];
for (const key of ["rss", "heapUsed", "wasm"]) {
  const early = peak(plain, key, q, q * 2),
    late = peak(plain, key, q * 2, steps);
  console.log(`${key}: peak ${MB(early)} MB (steps ${q}-${2 * q}) -> ${MB(late)} MB (to ${steps})`);
  if (late > early * 1.1 + 4 * 2 ** 20) bad.push(`${key} grew ${MB(early)} -> ${MB(late)} MB`);
}
const avg = (ss, lo, hi) => {
  const w = ss.filter((s) => s.step > lo && s.step <= hi);
  return w.reduce((a, s) => a + s.msPerStep, 0) / w.length;
};
const first = avg(plain, steps * 0.05, steps * 0.1),
  last = avg(plain, steps * 0.95, steps);
const tidyAll = avg(tidied, steps * 0.05, steps),
  plainAll = avg(plain, steps * 0.05, steps);
console.log(
  `step time: ${first.toFixed(3)} ms (5-10%) -> ${last.toFixed(3)} ms (last 5%); no-tidy / tidy = ${(plainAll / tidyAll).toFixed(3)}`,
);
if (last > first * 1.1) bad.push(`step time grew ${first.toFixed(3)} -> ${last.toFixed(3)} ms`);
if (plainAll > tidyAll * 1.1) bad.push(`no-tidy loop ${(plainAll / tidyAll).toFixed(2)}x the tidy loop's step time`);
if (bad.length) {
  console.log(`FAIL: ${bad.join("; ")}`);
  process.exit(1);
}
console.log("OK: plateau reached, no slowdown");
