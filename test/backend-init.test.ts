// init(): an op before init() loads the fastest backend synchronously (Node); init() with the
// options in force is a no-op; switching backends moves existing tensors and models.
import { describe, expect, it, vi } from "vitest";
import * as torch from "../ts/index.js";
import { values } from "./util.js";

const backendOf = (t: torch.Tensor) => (t as any).ref.backend;

describe("init", () => {
  it("an op before init() runs on the backend init() would pick (native in Node), with every core", () => {
    const t = torch.tensor([1, 2, 3]).add(1);
    expect(values(t)).toEqual([2, 3, 4]);
    expect(torch.backend()).toBe("native");
    expect(torch.threads()).toBe(torch.availableParallelism());
  });
  it("init() again with the options in force is a no-op", async () => {
    const t = torch.tensor([1, 2, 3]);
    const b = backendOf(t);
    for (let k = 0; k < 10; k++) await torch.init();
    await torch.init({ backend: "native" });
    expect(backendOf(t)).toBe(b);
    expect(values(t)).toEqual([1, 2, 3]);
  });
  it("switching backends keeps tensors, views, gradients and models usable", async () => {
    const lin = new torch.nn.Linear(3, 2);
    const x = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const view = x.transpose(0, 1);
    const before = values(lin.forward(x));
    const w = lin.weight;
    lin.forward(x).sum().backward();
    const g = values(w.grad!);
    for (const name of ["wasm", "js", "native", "wasm"] as const) {
      await torch.init({ backend: name, threads: 2 });
      expect(torch.backend()).toBe(name);
      expect(values(view)).toEqual([1, 4, 2, 5, 3, 6]);
      expect(values(lin.forward(x))).toEqual(before.map((v) => expect.closeTo(v, 5)));
      expect(values(w.grad!)).toEqual(g.map((v) => expect.closeTo(v, 5)));
    }
    // ten identical inits keep the one wasm backend (and its workers)
    const b = backendOf(x);
    for (let k = 0; k < 10; k++) await torch.init({ backend: "wasm", threads: 2 });
    expect(backendOf(x)).toBe(b);
    expect(torch.threads()).toBe(2);
  });
  it("threads beyond 4x the available parallelism are clamped with a warning, never a hang", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await torch.init({ backend: "native", threads: 1000 });
    expect(torch.threads()).toBe(Math.max(4, 4 * torch.availableParallelism()));
    expect(warn.mock.calls.some((c) => /threads: 1000 is more than 4x/.test(String(c[0])))).toBe(true);
    warn.mockRestore();
    expect(values(torch.ones(3).mul(2))).toEqual([2, 2, 2]);
    await torch.init({ backend: "native", threads: 1 });
    expect(torch.threads()).toBe(1);
  });
  it("bad options are refused by name", async () => {
    await expect(torch.init({ backend: "gpu" as any })).rejects.toThrow(/unknown backend "gpu"/);
    await expect(torch.init({ thread: 2 } as any)).rejects.toThrow(
      `unknown option "thread" for torch.init; did you mean "threads"?`,
    );
    await expect(torch.init({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});
