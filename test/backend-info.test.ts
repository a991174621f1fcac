// torch.backendInfo(): which backend and which build of its kernels run, per backend.
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { WasmBackend, wasmFeatures } from "../ts/backends/wasm.js";
import { NativeBackend } from "../ts/backends/native.js";
import { describeBackends } from "./util.js";

describeBackends("backendInfo", (name) => {
  it("names the active backend, its threads and its kernels' build", () => {
    const info = torch.backendInfo();
    expect(info.backend).toBe(name);
    expect(info.backend).toBe(torch.backend());
    expect(info.threads).toBe(torch.threads());
    expect(info.crossOriginIsolated).toBeUndefined(); // Node: not a browser page
    const b = torch._internal.activeBackend();
    if (name === "js") {
      expect(info).toEqual({ backend: "js", threads: 1, simd: false, relaxedSimd: false, wasmThreads: false });
    } else if (name === "wasm") {
      expect(b).toBeInstanceOf(WasmBackend);
      const variant = (b as WasmBackend).variant;
      expect(info.variant).toBe(variant);
      expect(info.simd).toBe(true);
      expect(info.relaxedSimd).toBe(variant.includes("relaxed"));
      expect(info.wasmThreads).toBe(variant.startsWith("mt"));
      expect(info.isa).toBe(info.relaxedSimd ? "relaxed-simd" : "simd128");
      // the best build this engine runs: threaded when shared memory works, relaxed-simd when it validates
      const f = wasmFeatures();
      if (f.threads) expect(info.wasmThreads).toBe(true);
      if (f.relaxedSimd && !info.wasmThreads) expect(info.relaxedSimd).toBe(true);
    } else {
      expect(b).toBeInstanceOf(NativeBackend);
      expect(info.variant).toBeUndefined();
      expect(info.isa).toBe((b as NativeBackend).isa);
      expect(["avx512", "avx2", "sse2", "scalar"]).toContain(info.isa);
      expect(info.simd).toBe(info.isa === "avx512" || info.isa === "avx2");
      expect(info.relaxedSimd).toBe(false);
      expect(info.wasmThreads).toBe(false);
    }
  });
});

it("wasm with threads: 1 still reports the build that loaded", async () => {
  await torch.init({ backend: "wasm", threads: 1 });
  const info = torch.backendInfo();
  expect(info.backend).toBe("wasm");
  expect(info.threads).toBe(1);
  expect(typeof info.variant).toBe("string");
  expect(info.wasmThreads).toBe(info.variant!.startsWith("mt"));
});
