// Every Backend method (read from the interface in ts/backends/types.ts with the TypeScript
// compiler) on the Rust backends is either forwarded to a Rust kernel or declared as a js fallback
// with a reason (JS_FALLBACKS / JS_OP_FALLBACKS in ts/backends/rust.ts); nothing inherits the js
// reference silently.

import { describe, it, expect } from "vitest";
import { BACKENDS } from "./util.js"; // first: loads the package in its usual order
import { readFileSync } from "node:fs";
import ts from "typescript";
import { JsBackend } from "../ts/backends/js.js";
import { JS_FALLBACK, JS_FALLBACKS, JS_OP_FALLBACKS, RustBackend } from "../ts/backends/rust.js";
import { WasmBackend, createWasmBackend } from "../ts/backends/wasm.js";
import { NativeBackend, createNativeBackend } from "../ts/backends/native.js";

/** The members of `interface Backend`: name, whether optional, whether a method, and whether it
 *  is declared before the kernels (the memory / lifetime members each backend implements itself:
 *  alloc, free, view, untrack, dispose, ...). */
function backendMembers(): { name: string; optional: boolean; method: boolean; memory: boolean }[] {
  const file = new URL("../ts/backends/types.ts", import.meta.url);
  const text = readFileSync(file, "utf8");
  const src = ts.createSourceFile("types.ts", text, ts.ScriptTarget.ES2022, true);
  const out: { name: string; optional: boolean; method: boolean; memory: boolean }[] = [];
  src.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n) && n.name.text === "Backend") {
      // the kernels start at the first section comment after "// ---- memory"
      const mem = text.indexOf("// ---- memory", n.pos);
      const kernels = text.indexOf("// ---- ", mem + 1);
      for (const m of n.members) {
        if (!m.name || !ts.isIdentifier(m.name)) continue;
        const memory = m.getStart(src) < kernels;
        out.push({ name: m.name.text, optional: !!m.questionToken, method: ts.isMethodSignature(m), memory });
      }
    }
  });
  return out;
}

const members = backendMembers();
const methods = members.filter((m) => m.method);
/** Memory and lifetime methods: implemented by each backend itself (no kernel call). */
const MEMORY = new Set(members.filter((m) => m.memory).map((m) => m.name));

describe("Rust backends implement Backend by composition", () => {
  it("reads the Backend interface", () => {
    expect(methods.length).toBeGreaterThan(40);
    for (const m of ["alloc", "free", "view", "bytesInUse", "finalizer"]) expect(MEMORY.has(m), m).toBe(true);
    for (const m of ["fill", "gemm", "conv"]) expect(MEMORY.has(m), m).toBe(false);
    for (const m of ["alloc", "gemm", "conv", "unary"]) expect(methods.map((x) => x.name)).toContain(m);
  });

  for (const [label, cls] of [
    ["wasm", WasmBackend],
    ["native", NativeBackend],
  ] as const) {
    it(`${label}: no js reference in the prototype chain`, () => {
      expect(cls.prototype instanceof JsBackend).toBe(false);
      expect(cls.prototype instanceof RustBackend).toBe(true);
    });

    it(`${label}: every Backend method is forwarded to Rust or a declared js fallback`, () => {
      const problems: string[] = [];
      const fallbacks: string[] = [];
      for (const { name, optional } of methods) {
        const f = (cls.prototype as unknown as Record<string, unknown>)[name];
        if (typeof f !== "function") {
          if (!optional) problems.push(`${name}: missing`);
          continue;
        }
        const reason = (f as unknown as Record<symbol, string>)[JS_FALLBACK];
        if (reason !== undefined) {
          if (!(name in JS_FALLBACKS)) problems.push(`${name}: runs the js reference but is not in JS_FALLBACKS`);
          fallbacks.push(`${name} (${reason})`);
          continue;
        }
        if (MEMORY.has(name)) continue;
        const body = String(f);
        // a forwarded method calls its kernel; only the declared per-op fallbacks may also call js
        if (!/this\.run\(K\./.test(body))
          problems.push(`${name}: neither calls a Rust kernel (this.run(K.…)) nor is a declared fallback`);
        if (/this\.js\(/.test(body) && !(name in JS_OP_FALLBACKS))
          problems.push(`${name}: calls the js reference without a JS_OP_FALLBACKS entry`);
      }
      for (const name of Object.keys(JS_FALLBACKS)) {
        if (!methods.some((m) => m.name === name)) problems.push(`JS_FALLBACKS.${name}: not a Backend method`);
        const f = (cls.prototype as unknown as Record<string, unknown>)[name] as Record<symbol, string> | undefined;
        if (f && f[JS_FALLBACK] === undefined)
          problems.push(`JS_FALLBACKS.${name}: now forwarded to Rust, remove the entry`);
      }
      for (const name of Object.keys(JS_OP_FALLBACKS)) {
        if (!methods.some((m) => m.name === name)) problems.push(`JS_OP_FALLBACKS.${name}: not a Backend method`);
      }
      for (const [name, why] of [...Object.entries(JS_FALLBACKS), ...Object.entries(JS_OP_FALLBACKS)]) {
        if (!why.trim()) problems.push(`${name}: fallback without a reason`);
      }
      expect(problems, problems.join("\n")).toEqual([]);
      // the declared list, for the record
      console.log(
        `${label}: js fallbacks: ${fallbacks.join("; ") || "none"}; per-op: ${Object.keys(JS_OP_FALLBACKS).join(", ")}`,
      );
    });
  }
});

const makers = { wasm: () => createWasmBackend(), native: () => createNativeBackend() } as const;
for (const name of BACKENDS.filter((b): b is keyof typeof makers => b in makers)) {
  describe(`${name}: the js reference is reachable only for declared fallbacks`, () => {
    it("refuses a method that is not declared", async () => {
      const b = await makers[name]();
      const js = (m: string) => (b as unknown as { js(m: string): unknown }).js(m);
      expect(() => js("gemm")).toThrow(/gemm is not a declared js fallback/);
      expect(() => js("conv")).toThrow(/not a declared js fallback/);
      for (const m of Object.keys(JS_FALLBACKS)) expect(() => js(m)).not.toThrow();
    });
    it("a declared fallback runs over the backend's own storages", async () => {
      const b = await makers[name]();
      // scan (cumsum) is a js fallback today; when it gets its kernel this still checks the result
      const x = b.alloc(4, "float32"),
        y = b.alloc(4, "float32");
      b.view(x).set([1, 2, 3, 4]);
      b.scan("sum", x, y, 1, 4, 1, false, false);
      expect(Array.from(b.view(y))).toEqual([1, 3, 6, 10]);
      b.free(x);
      b.free(y);
    });
  });
}
