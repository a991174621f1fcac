// The public types: a user file written against the built declarations compiles in strict mode
// (test/types/user-api.ts, which asserts the result types it relies on), and no public declaration
// returns `any`.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const DTS = join(ROOT, "dist/esm");

function* dtsFiles(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* dtsFiles(p);
    else if (f.endsWith(".d.ts")) yield p;
  }
}

describe.skipIf(!existsSync(join(DTS, "index.d.ts")))("public types", () => {
  it("a strict user program using the public API type-checks against dist/esm/*.d.ts", () => {
    let out = "";
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "test/types/tsconfig.json")],
        { encoding: "utf8" },
      );
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out).toBe("");
  }, 120_000);
  it("no public function or method is declared to return any", () => {
    const bad: string[] = [];
    for (const f of dtsFiles(DTS)) {
      readFileSync(f, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (/^\s*(\/\/|\/\*|\*)/.test(line)) return; // doc comments
          // `): any`, `): any[]`, `=> any`, a getter `get x(): any` — return positions only
          if (/\)\s*:\s*any\b(?!\s*\[\s*\]\s*=>)/.test(line) || /=>\s*any\s*[;,)]/.test(line))
            bad.push(`${f.slice(DTS.length + 1)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad).toEqual([]);
  });
});
