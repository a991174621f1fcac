// Runs the PyTorch 1.13 op cases of test/fixtures/ops/*.json (scripts/gen_ops_fixtures.py): builds
// the inputs (with their non-contiguous / broadcast views), calls the method or torch.* function,
// compares every output (shape, dtype, values), then backpropagates the fixture's upstream
// gradients and compares the input gradients. Error cases must throw PyTorch's message.

import { readFileSync } from "node:fs";
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { expectClose } from "./util.js";

type Num = number | "Infinity" | "-Infinity" | "NaN";
export interface OpTensor {
  shape: number[];
  dtype: "float32" | "int64" | "bool";
  data: Num[];
  requiresGrad?: boolean;
  view?: { t?: boolean; expand?: number[]; slice?: [number, number, number] };
}
export interface OpCase {
  name: string;
  call: "method" | "torch";
  op: string;
  args: unknown[];
  inputs: OpTensor[];
  outputs?: OpTensor[];
  gradOutputs?: OpTensor[];
  inputGrads?: (OpTensor | null)[];
  error?: string;
}

export function loadOpCases(file: string): OpCase[] {
  return JSON.parse(readFileSync(new URL(`./fixtures/ops/${file}`, import.meta.url), "utf8")).cases;
}
const num = (v: unknown) => (v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v === "NaN" ? NaN : v);
export function nums(f: OpTensor): number[] {
  return f.data.map((v) => num(v) as number);
}

export function fixTensor(f: OpTensor, requiresGrad = false): Tensor {
  const t = torch.tensor(nums(f), { shape: f.shape, dtype: f.dtype });
  if (requiresGrad) t.requiresGrad = true;
  return t;
}
function viewOf(base: Tensor, v: OpTensor["view"]): Tensor {
  if (!v) return base;
  if (v.t) return base.transpose(-1, -2);
  if (v.expand) return base.expand(v.expand);
  if (v.slice) return base.narrow(v.slice[0], v.slice[1], v.slice[2]);
  return base;
}
function resolve(a: unknown, views: Tensor[]): unknown {
  if (Array.isArray(a)) return a.map((x) => resolve(x, views));
  if (a && typeof a === "object") {
    const o = a as Record<string, unknown>;
    if ("$t" in o) return views[o.$t as number];
    if ("$ts" in o) return (o.$ts as number[]).map((k) => views[k]);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, views)]));
  }
  return num(a);
}
function flat(r: unknown): Tensor[] {
  if (r instanceof torch.Tensor) return [r];
  if (r && typeof r === "object" && Symbol.iterator in (r as object))
    return [...(r as Iterable<unknown>)].flatMap(flat);
  throw new Error(`unexpected result ${String(r)}`);
}

export function callCase(c: OpCase, views: Tensor[]): Tensor[] {
  const args = resolve(c.args, views) as unknown[];
  const fn = c.call === "method" ? (views[0] as any)[c.op] : (torch as any)[c.op];
  if (typeof fn !== "function") throw new Error(`${c.call === "method" ? "Tensor." : "torch."}${c.op} does not exist`);
  return flat(c.call === "method" ? fn.apply(views[0], args) : fn(...args));
}

export function runOpCase(c: OpCase, tol: { atol?: number; rtol?: number } = {}): void {
  const atol = tol.atol ?? 1e-4,
    rtol = tol.rtol ?? 1e-4;
  const bases = c.inputs.map((f) => fixTensor(f, f.requiresGrad ?? false));
  const views = bases.map((b, k) => viewOf(b, c.inputs[k].view));
  if (c.error !== undefined) {
    expect(() => callCase(c, views), c.name).toThrow(c.error);
    return;
  }
  const outs = callCase(c, views);
  expect(outs.length, `${c.name}: number of outputs`).toBe(c.outputs!.length);
  outs.forEach((o, k) => {
    const e = c.outputs![k];
    expect(o.shape, `${c.name}: output ${k} shape`).toEqual(e.shape);
    expect(o.dtype, `${c.name}: output ${k} dtype`).toBe(e.dtype);
    expectClose(Array.from(o.toFloat32Array()), nums(e), atol, rtol, `${c.name}: output ${k}`);
  });
  const floatOuts = outs.filter((o) => o.dtype === "float32");
  const terms = floatOuts.map((o, k) => ({ o, g: fixTensor(c.gradOutputs![k]) })).filter(({ o }) => o.requiresGrad);
  if (!terms.length) {
    c.inputGrads?.forEach((g, k) => {
      if (g)
        expect(
          nums(g).every((v) => v === 0),
          `${c.name}: input ${k} expects a gradient but no output requires grad`,
        ).toBe(true);
    });
    return;
  }
  const total = terms.map(({ o, g }) => o.mul(g).sum()).reduce((a, b) => a.add(b));
  total.backward();
  c.inputGrads!.forEach((g, k) => {
    if (!g) return;
    const got = bases[k].grad;
    const want = nums(g);
    if (!got) {
      expect(
        want.every((v) => v === 0),
        `${c.name}: input ${k} got no gradient`,
      ).toBe(true);
      return;
    }
    expect(got.shape, `${c.name}: grad ${k} shape`).toEqual(g.shape);
    expectClose(Array.from(got.toFloat32Array()), want, atol, rtol, `${c.name}: grad ${k}`);
  });
}

/** One `it` per case of file (optionally filtered). */
export function opFixtureCases(file: string, filter: (c: OpCase) => boolean = () => true, tol = {}): void {
  for (const c of loadOpCases(file).filter(filter)) it(c.name, () => torch.tidy(() => runOpCase(c, tol)));
}
