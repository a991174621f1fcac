// Shared test helpers: run a suite once per backend, compare with PyTorch-style tolerances.

import { describe, beforeAll, expect } from "vitest";
import * as torch from "../ts/index.js";
import type { BackendName } from "../ts/index.js";

export const BACKENDS = (process.env.TORCHLET_BACKENDS ?? "js,wasm,native").split(",") as BackendName[];

/** Runs `body` inside a describe block per backend, with that backend active. */
export function describeBackends(title: string, body: (name: BackendName) => void, opts: { threads?: number } = {}) {
  for (const name of BACKENDS) {
    describe(`${title} [${name}]`, () => {
      beforeAll(async () => {
        await torch.init({ backend: name, threads: opts.threads });
      });
      body(name);
    });
  }
}

/** |a - b| <= atol + rtol * |b| elementwise; NaN only matches NaN, Inf only itself. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-4,
  rtol = 1e-4,
  what = "",
) {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let worst = -1,
    worstErr = 0;
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k],
      b = expected[k];
    let bad: boolean;
    if (Number.isNaN(b) || Number.isNaN(a)) bad = !(Number.isNaN(a) && Number.isNaN(b));
    else if (!Number.isFinite(b) || !Number.isFinite(a)) bad = a !== b;
    else bad = Math.abs(a - b) > atol + rtol * Math.abs(b);
    if (bad) {
      const err = Number.isFinite(a - b) ? Math.abs(a - b) : Infinity;
      if (worst < 0 || err > worstErr) {
        worst = k;
        worstErr = err;
      }
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what} mismatch at index ${worst}: got ${actual[worst]}, expected ${expected[worst]} (|diff| ${worstErr})`,
    );
  }
}

export function values(t: torch.Tensor): number[] {
  return Array.from(t.toFloat32Array());
}
