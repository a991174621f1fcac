// Shared helpers of the tensor-core tests (dtype, indexing, inplace): reading the PyTorch 1.13
// fixtures of scripts/gen_tensor_fixtures.py (test/fixtures/tensor/*.json).

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as torch from "../ts/index.js";
import type { IndexPart } from "../ts/indexing.js";
import { expectClose } from "./util.js";

export interface Enc {
  shape: number[];
  dtype: "float32" | "int64" | "bool";
  data: (number | boolean | string)[];
}

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/tensor/${name}`, import.meta.url), "utf8"));
}

/** A fixture number: non-finite floats are the strings "nan", "inf", "-inf". */
export function num(v: unknown): number | boolean {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v as number | boolean;
}
/** A tensor from its fixture encoding. */
export function dec(e: Enc, opts: { requiresGrad?: boolean } = {}): torch.Tensor {
  return torch.tensor(e.data.map(num) as number[], { shape: e.shape, dtype: e.dtype, ...opts });
}

/** An index part from its fixture encoding. */
export function part(p: any): IndexPart {
  if (p !== null && typeof p === "object") {
    if ("t" in p) return dec(p.t);
    return p.list;
  }
  return p;
}

/** Checks dtype, shape and values of t against a fixture tensor (floats within 1e-4). */
export function expectTensor(t: torch.Tensor, e: Enc, what = ""): void {
  expect(t.dtype, `${what} dtype`).toBe(e.dtype);
  expect(t.shape, `${what} shape`).toEqual(e.shape);
  const want = e.data.map((v) => Number(num(v)));
  if (e.dtype === "float32") expectClose(t.toFloat32Array(), want, 1e-4, 1e-4, what);
  else expect(flat(t.tolist()), what).toEqual(e.data);
}
function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}
