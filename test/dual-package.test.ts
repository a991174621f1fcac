// One library state whether torchlet is imported or required (dist/node wraps the CJS build).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const PROGRAM = `
import * as esm from "torchlet";
import { createRequire } from "node:module";
const cjs = createRequire(import.meta.url)("torchlet");
const out = { sameTensor: esm.Tensor === cjs.Tensor, sameNn: esm.nn.Linear === cjs.nn.Linear };
await esm.init({ backend: "wasm", threads: 1 });
out.cjsBackend = cjs.backend();
const t = cjs.tensor([1, 2, 3]);
out.instance = t instanceof esm.Tensor;
out.sum = esm.tensor([4]).add(t).sum().item();
const m = new cjs.nn.Linear(3, 2);
out.print = String(new esm.nn.Sequential(m));
console.log(JSON.stringify(out));
`;

describe.skipIf(!existsSync(join(ROOT, "dist/node/index.mjs")))(
  "dual package: import and require share one state",
  () => {
    it("a program that both imports and requires torchlet sees one Tensor class and one backend", () => {
      // inside the package folder, so "torchlet" resolves to this package (self-reference)
      const dir = mkdtempSync(join(ROOT, "dist/.dual-"));
      try {
        writeFileSync(join(dir, "both.mjs"), PROGRAM);
        const out = JSON.parse(
          execFileSync(process.execPath, [join(dir, "both.mjs")], { encoding: "utf8" })
            .trim()
            .split("\n")
            .pop()!,
        );
        expect(out).toEqual({
          sameTensor: true,
          sameNn: true,
          cjsBackend: "wasm",
          instance: true,
          sum: 18,
          print: "Sequential(\n  (0): Linear(in_features=3, out_features=2, bias=True)\n)",
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
