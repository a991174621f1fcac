// wasm memory (issue 9): pointers are unsigned end to end, so the whole 4 GiB address space is
// usable; a tensor that cannot fit is a RangeError saying how much was asked and what wasm allows
// (suggesting the native backend in Node); a failed allocation leaves the backend fully usable.

import { describe, it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { BACKENDS } from "./util.js";
import { createWasmBackend, type WasmBackend } from "../ts/backends/wasm.js";

const GiB = 2 ** 30;
const run = BACKENDS.includes("wasm") ? describe : describe.skip;

/** A small kernel round trip on backend b: (x + y) summed, on fresh storages. */
function works(b: WasmBackend): number {
  const x = b.alloc(5, "float32"),
    y = b.alloc(5, "float32"),
    o = b.alloc(5, "float32"),
    s = b.alloc(1, "float32");
  b.view(x).set([1, 2, 3, 4, 5]);
  b.view(y).set([10, 20, 30, 40, 50]);
  b.binary("add", x, [1], y, [1], o, [5]);
  b.sum(o, s, 1, 5, 1);
  const r = b.view(s)[0];
  for (const t of [x, y, o, s]) b.free(t);
  return r;
}

run("wasm memory", () => {
  it("a tensor larger than a wasm block is a RangeError naming the size and the limit, at once", async () => {
    const b = await createWasmBackend();
    const before = b.bytesInUse(),
      pages = b.memory.buffer.byteLength;
    const t0 = performance.now();
    let err: unknown;
    try {
      b.alloc(2 ** 30, "float32");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    const msg = (err as Error).message;
    expect(msg).toContain("4.00 GiB"); // asked: 2^30 float32 elements
    expect(msg).toMatch(/at most 2\.00 GiB/); // one block
    expect(msg).toMatch(/4\.00 GiB in all/); // the address space
    expect(msg).toMatch(/native/);
    expect(performance.now() - t0).toBeLessThan(1000); // refused before allocating anything
    expect(b.memory.buffer.byteLength).toBe(pages);
    expect(b.bytesInUse()).toBe(before);
    // nonsense sizes too
    expect(() => b.alloc(1e12, "float32")).toThrow(RangeError);
    expect(() => b.alloc(-1, "float32")).toThrow(RangeError);
    expect(() => b.alloc(0.5, "float32")).toThrow(RangeError);
    expect(works(b)).toBe(165);
  });

  it("after a failed huge allocation every later allocation and op works (torch API)", async () => {
    await torch.init({ backend: "wasm" });
    const live = torch.memory().numBytes;
    expect(() => new torch.nn.Linear(1e6, 1e6)).toThrow(RangeError);
    expect(() => torch.zeros([2 ** 31])).toThrow(/wasm/);
    const a = torch.tensor([1, 2, 3]);
    expect(Array.from(a.add(1).toFloat32Array())).toEqual([2, 3, 4]);
    const m = new torch.nn.Linear(4, 3);
    expect(m.forward(torch.ones([2, 4])).shape).toEqual([2, 3]);
    expect(torch.memory().numBytes).toBeLessThan(live + 1e6);
  });

  it("pointers past 2 GiB are unsigned: storages there work like any other", async () => {
    // the threaded build's shared memory grows in place; growing it past 2 GiB first (cheap: the
    // pages stay untouched) puts every later block at an address >= 2 GiB, as after big tensors
    const b = await createWasmBackend({ threads: 2 });
    try {
      const page = 65536,
        target = 2 * GiB + 64 * 2 ** 20;
      const have = b.memory.buffer.byteLength;
      if (have < target) b.memory.grow(Math.ceil((target - have) / page));
      const ptr = (s: unknown) => (s as { ptr: number }).ptr;
      // keep every block resident (no spilling to JS while this test holds them)
      (b as unknown as { budget: number }).budget = Infinity;
      const n = (16 * 2 ** 20) / 4; // 16 MiB blocks
      const x = b.alloc(n, "float32"),
        y = b.alloc(n, "float32"),
        o = b.alloc(n, "float32"),
        s = b.alloc(1, "float32");
      // blocks this large cannot come from the small free space below: they are past the grown pages
      for (const t of [x, y, o]) expect(ptr(t)).toBeGreaterThanOrEqual(2 * GiB);
      b.fill(x, 0.5);
      const yv = b.view(y);
      yv.fill(2);
      yv[n - 1] = 6;
      b.binary("mul", x, [1], y, [1], o, [n]);
      const ov = b.view(o);
      expect([ov[0], ov[n - 1]]).toEqual([1, 3]);
      b.sum(o, s, 1, n, 1);
      expect(b.view(s)[0]).toBe(n + 2);
      // int arrays (strides) and error messages live in the scratch blocks: a strided copy
      const ix = b.alloc(6, "float32"),
        iy = b.alloc(6, "float32");
      b.view(ix).set([0, 1, 2, 3, 4, 5]);
      b.copyStrided(ix, 0, [3, 2], [1, 3], iy);
      expect(Array.from(b.view(iy))).toEqual([0, 3, 1, 4, 2, 5]);
      for (const t of [x, y, o, s, ix, iy]) b.free(t);
      expect(b.bytesInUse()).toBe(0);
      expect(works(b)).toBe(165);
    } finally {
      await b.dispose();
    }
  }, 60_000);
});
