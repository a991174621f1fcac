#!/usr/bin/env node
// The file fuzzer of test/io-fuzz.test.ts for longer runs:
//   node scripts/fuzz-files.mjs [--seconds 600] [--seed 1234] [--backends js,wasm,native] [--stats]
// Mutants of safetensors files and PyTorch checkpoints (zip, legacy): each must load correctly or
// throw torch.LoadError. A failure prints the seed, iteration, base file and minimised mutation
// steps, and writes the mutant to a temp file.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const known = new Set(["--seconds", "--seed", "--backends", "--stats", "--min"]);
for (const a of args)
  if (a.startsWith("--") && !known.has(a)) {
    console.error(`unknown option ${a}; use --seconds N --seed N --backends js,wasm,native --min N --stats`);
    process.exit(2);
  }
const seconds = Number(opt("seconds", "60"));
const seed = Number(opt("seed", String(Date.now() % 1e9)));
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
  console.error("--seconds must be > 0 and --seed an integer");
  process.exit(2);
}
const backends = opt("backends", "js,wasm,native");
const perBackend = seconds / backends.split(",").length;
console.log(`file fuzzer: seed ${seed}, ${seconds} s over ${backends}`);
const root = fileURLToPath(new URL("..", import.meta.url));
const r = spawnSync(
  "npx",
  ["vitest", "run", "test/io-fuzz.test.ts", `--testTimeout=${Math.ceil((perBackend + 120) * 1000)}`],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      TORCHLET_BACKENDS: backends,
      TORCHLET_FUZZ_SECONDS: String(perBackend),
      TORCHLET_FUZZ_SEED: String(seed),
      TORCHLET_FUZZ_MIN: opt("min", "0"),
      ...(args.includes("--stats") ? { TORCHLET_FUZZ_STATS: "1" } : {}),
    },
  },
);
process.exit(r.status ?? 1);
