// The kernel ABI has one source: the abi_enum!/abi_struct! declarations in crates/kernels/src.
// ts/backends/abi.gen.ts is generated from them; this suite fails when it is stale, and runs
// every declared op code on the Rust backends against the js reference (so a Rust op whose
// TypeScript name means something else, or a js formula that is missing, fails here).

import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { JsBackend } from "../ts/backends/js.js";
import { createWasmBackend } from "../ts/backends/wasm.js";
import { createNativeBackend } from "../ts/backends/native.js";
import {
  BINARY_NAMES,
  CONV_GEOM_FIELDS,
  KERNEL_CODE,
  KERNEL_NAMES,
  POOL_GEOM_FIELDS,
  UNARY_NAMES,
  convGeomInts,
  poolGeomInts,
} from "../ts/backends/abi.gen.js";
import type { Backend } from "../ts/backends/types.js";
import { BACKENDS } from "./util.js";
import { rand, same } from "./kernel-compare.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("kernel ABI", () => {
  it("ts/backends/abi.gen.ts is what scripts/gen-abi.mjs generates from the Rust declarations", () => {
    let msg = "";
    try {
      execFileSync(process.execPath, ["scripts/gen-abi.mjs", "--check"], { cwd: root, stdio: "pipe" });
    } catch (e) {
      msg = String((e as { stderr?: Buffer }).stderr ?? e);
    }
    expect(msg, "run `node scripts/gen-abi.mjs`").toBe("");
  });

  it("ids, codes and geometry encoders are consistent", () => {
    KERNEL_NAMES.forEach((n, i) => {
      expect(KERNEL_CODE[n]).toBe(i);
    });
    expect(new Set(KERNEL_NAMES).size).toBe(KERNEL_NAMES.length);
    const conv = Object.fromEntries(CONV_GEOM_FIELDS.map((f, i) => [f, i + 1])) as never;
    expect(convGeomInts(conv)).toEqual(CONV_GEOM_FIELDS.map((_, i) => i + 1));
    const pool = Object.fromEntries(POOL_GEOM_FIELDS.map((f, i) => [f, i + 1])) as never;
    expect(poolGeomInts(pool)).toEqual(POOL_GEOM_FIELDS.map((_, i) => i + 1));
  });

  it("the js reference implements every op that has a Rust kernel", () => {
    const js = new JsBackend();
    const x = js.alloc(4, "float32"),
      y = js.alloc(4, "float32"),
      o = js.alloc(4, "float32");
    js.view(x).set([0.5, 1.5, 2, 3]);
    js.view(y).set([0.25, 0.75, 0.5, 2]);
    for (const op of UNARY_NAMES) {
      expect(() => js.unary(op, x, o), op).not.toThrow();
      expect(() => js.unaryGrad(op, x, y, y, o), op).not.toThrow();
    }
    for (const op of BINARY_NAMES) {
      if (op !== "rsub" && op !== "rdiv")
        expect(() => js.binary(op as never, x, [1], y, [1], o, [4]), op).not.toThrow();
      if (op !== "sub" && op !== "div") expect(() => js.scalar(op as never, x, 0.7, o), op).not.toThrow();
    }
  });
});

const makers: Record<string, () => Promise<Backend>> = {
  wasm: () => createWasmBackend(),
  native: () => createNativeBackend(),
};

for (const name of BACKENDS.filter((b) => b in makers)) {
  describe(`every declared op code on ${name} matches the js reference`, () => {
    let b: Backend;
    it("loads", async () => {
      b = await makers[name]();
    });
    const n = 37;
    const xs = rand(n, 1).map((v) => v * 2),
      ys = rand(n, 2).map((v) => Math.abs(v) + 0.1);
    for (const op of UNARY_NAMES) {
      it(`unary ${op} and its gradient`, () => {
        const pos = ["log", "sqrt", "rsqrt"].includes(op) ? xs.map((v) => Math.abs(v) + 0.05) : xs;
        same(
          b,
          `unary ${op}`,
          (be, mk) => {
            const x = mk(pos),
              y = mk(n),
              g = mk(ys),
              gx = mk(n);
            be.unary(op, x, y);
            be.unaryGrad(op, x, y, g, gx);
            return [y, gx];
          },
          1e-5,
          1e-6,
        );
      });
    }
    for (const op of BINARY_NAMES) {
      it(`binary/scalar ${op}`, () => {
        same(
          b,
          `binary ${op}`,
          (be, mk) => {
            const x = mk(xs),
              y = mk(ys),
              o = mk(n),
              s = mk(n);
            if (op !== "rsub" && op !== "rdiv") be.binary(op as never, x, [1], y, [1], o, [n]);
            else be.fill(o, 0);
            if (op !== "sub" && op !== "div") be.scalar(op as never, x, 0.7, s);
            else be.fill(s, 0);
            return [o, s];
          },
          1e-5,
          1e-6,
        );
      });
    }
  });
}
