// Short runs of examples/gpt.mjs and examples/char-lstm.mjs with node (they import the built
// package, dist/ from `npm run build`): progress lines, the loss going below the unigram baseline,
// and a sample of the requested length; the js backend gets a shorter run (it is ~50x slower).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { runProcess } from "./run-process.js";
import { BACKENDS } from "./util.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist/esm/index.js");

async function run(file: string, args: string[]): Promise<string> {
  const r = await runProcess(process.execPath, [join(ROOT, "examples", file), ...args], {
    cwd: ROOT,
    timeout: 300_000,
  });
  if (r.status !== 0)
    throw new Error(`node examples/${file} ${args.join(" ")} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const num = (out: string, re: RegExp) => {
  const m = re.exec(out);
  if (!m) throw new Error(`no ${re} in:\n${out}`);
  return parseFloat(m[1]);
};

/** Common checks: progress lines with falling loss, the baseline line, a sample of n characters. */
function check(out: string, backend: string, n: number, mustBeat: boolean) {
  expect(out).toContain(`backend ${backend}`);
  const losses = [...out.matchAll(/^step +\d+ +loss (\S+)/gm)].map((m) => parseFloat(m[1]));
  expect(losses.length).toBeGreaterThan(3);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
  const baseline = num(out, /unigram baseline: (\S+) nats/);
  expect(baseline).toBeGreaterThan(2.5);
  expect(baseline).toBeLessThan(4);
  const val = num(out, /validation loss (\S+) vs unigram baseline/);
  if (mustBeat) {
    expect(val).toBeLessThan(baseline);
    expect(out).toMatch(/the average training loss \S+ is below the unigram baseline/);
  }
  const sample = /sample \([^)]*\):\n([\s\S]*)$/.exec(out)![1].replace(/\n$/, "");
  expect([...sample].length).toBe(8 + n);
}

describe("sequence examples", () => {
  beforeAll(() => {
    if (!existsSync(DIST))
      throw new Error(`${DIST} is missing: run \`npm run build\` first (the examples import the built package)`);
  });
  for (const backend of BACKENDS) {
    const fast = backend !== "js";
    it(`gpt.mjs trains below the unigram baseline and samples with temperature and top-k (${backend})`, async () => {
      const out = await run("gpt.mjs", [
        "--backend",
        backend,
        "--steps",
        fast ? "120" : "8",
        "--sample",
        "40",
        "--threads",
        "2",
        ...(fast ? [] : ["--batch", "4", "--block", "32"]),
      ]);
      check(out, backend, 40, fast);
      expect(out).toMatch(/lr \S+e-\d/);
      expect(out).toContain("top-10");
    }, 600_000);
    it(`char-lstm.mjs trains below the unigram baseline with truncated BPTT and samples (${backend})`, async () => {
      const out = await run("char-lstm.mjs", [
        "--backend",
        backend,
        "--steps",
        fast ? "60" : "8",
        "--sample",
        "40",
        ...(fast ? [] : ["--batch", "4", "--hidden", "32"]),
      ]);
      check(out, backend, 40, fast);
    }, 600_000);
  }
});
