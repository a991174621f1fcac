// Runner for test/fixtures/nn-extra/*.json (scripts/gen_nn_extra_fixtures.py): module cases (the
// schema of fixtures.ts plus the print text) and function cases (torch.<fn> / F.<fn> / methods).

import { readFileSync } from "node:fs";
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { F } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import {
  backwardAndCheckInputs,
  buildModule,
  loadState,
  runModuleCase,
  toTensor,
  type FixCase,
  type Tolerance,
} from "./fixtures.js";
import { expectClose } from "./util.js";

export interface XTensor {
  shape: number[];
  dtype?: "float32" | "int64" | "bool";
  data: (number | string)[];
}
export interface FnCase {
  name: string;
  fn: string;
  ns: "torch" | "F";
  args: unknown[];
  kwargs: Record<string, unknown>;
  inputs: XTensor[];
  outputs: XTensor[];
  gradOutputs: (XTensor | null)[];
  inputGrads: (XTensor | null)[];
}

export function loadExtra(file: string): { cases: any[] } {
  return JSON.parse(readFileSync(new URL(`./fixtures/nn-extra/${file}`, import.meta.url), "utf8"));
}
const num = (v: number | string) =>
  typeof v === "number" ? v : v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity;
export const nums = (t: XTensor) => t.data.map(num);

export function xt(t: XTensor, requiresGrad = false): Tensor {
  const dtype = t.dtype ?? "float32";
  const r = torch.tensor(dtype === "float32" ? new Float32Array(nums(t)) : nums(t), {
    shape: t.shape,
    dtype: dtype as any,
  });
  if (requiresGrad && dtype === "float32") r.requiresGrad = true;
  return r;
}

/** Case name -> how to call it, for functions whose torchlet spelling differs from the generic
 *  fn(...inputs, ...args, kwargs). */
export type Calls = Record<string, (ins: Tensor[]) => Tensor | Tensor[]>;

function callFn(c: FnCase, ins: Tensor[], calls: Calls = {}): Tensor[] {
  if (calls[c.name]) {
    const r = calls[c.name](ins);
    return Array.isArray(r) ? r : [r];
  }
  const ns: any = c.ns === "F" ? F : torch;
  const f = ns[c.fn];
  if (typeof f !== "function") throw new Error(`${c.ns}.${c.fn} does not exist`);
  const extra = Object.keys(c.kwargs).length ? [c.kwargs] : [];
  const out = f(...ins, ...c.args, ...extra);
  return Array.isArray(out) ? out : [out];
}

/** Runs one function case: outputs, then the input gradients of sum(out * gradOut). */
export function runFnCase(c: FnCase, tol: Tolerance = {}, calls: Calls = {}): void {
  const atol = tol.atol ?? 1e-4,
    rtol = tol.rtol ?? 1e-4;
  const wantGrad = c.inputGrads.some((g) => g !== null);
  const ins = c.inputs.map((t) => xt(t, wantGrad));
  const outs = callFn(c, ins, calls);
  expect(outs.length, `${c.name}: outputs`).toBe(c.outputs.length);
  outs.forEach((o, k) => {
    expect(o.shape, `${c.name}: output ${k} shape`).toEqual(c.outputs[k].shape);
    expectClose(
      Array.from(o.dataSync() as ArrayLike<number>, Number),
      nums(c.outputs[k]),
      atol,
      rtol,
      `${c.name}: output ${k}`,
    );
  });
  // the Tensor method, where the torch function has one
  if (c.ns === "torch" && !calls[c.name] && typeof (ins[0] as any)[c.fn] === "function") {
    const extra = Object.keys(c.kwargs).length ? [c.kwargs] : [];
    const m = torch.noGrad(() => (ins[0] as any)[c.fn](...ins.slice(1), ...c.args, ...extra) as Tensor);
    expectClose(
      Array.from(m.dataSync() as ArrayLike<number>, Number),
      nums(c.outputs[0]),
      atol,
      rtol,
      `${c.name}: method`,
    );
  }
  if (!wantGrad) return;
  let obj: Tensor | null = null;
  outs.forEach((o, k) => {
    if (!o.requiresGrad || !c.gradOutputs[k]) return;
    const term = o.mul(xt(c.gradOutputs[k]!)).sum();
    obj = obj ? obj.add(term) : term;
  });
  expect(obj, `${c.name}: an output requires grad`).toBeTruthy();
  (obj as unknown as Tensor).backward();
  c.inputGrads.forEach((g, k) => {
    if (!g) return;
    expect(ins[k].grad, `${c.name}: grad of input ${k}`).toBeTruthy();
    expectClose(ins[k].grad!.toFloat32Array(), nums(g), atol, rtol, `${c.name}: grad of input ${k}`);
  });
}

/** A module built with inplace: true runs on x * 1 (a non-leaf), as its PyTorch fixture did. */
function runInplaceModuleCase(c: FixCase, tol: Tolerance): void {
  const atol = tol.atol ?? 1e-4,
    rtol = tol.rtol ?? 1e-4;
  const m = buildModule(c.module, c.args, c.kwargs);
  loadState(m, c.state);
  m.train(c.train);
  const ins = c.inputs.map((f) => toTensor(f, f.requiresGrad ?? false));
  const x = ins[0].mul(1);
  const out = m.forward(x) as Tensor;
  expect(out, `${c.name}: in place`).toBe(x);
  expectClose(out.toFloat32Array(), c.outputs[0].data, atol, rtol, `${c.name}: output`);
  backwardAndCheckInputs(c, [out], ins, atol, rtol);
}

/** A module case plus its print text. */
export function runModuleCaseWithPrint(c: FixCase & { print?: string }, tol: Tolerance = {}): void {
  if (c.kwargs?.inplace === true && !c.build) runInplaceModuleCase(c, tol);
  else runModuleCase(c, tol);
  if (c.print !== undefined) {
    const m = c.build ? buildModule("Sequential", [c.build], {}) : buildModule(c.module, c.args, c.kwargs);
    expect(m.toString(), `${c.name}: print`).toBe(c.print);
  }
}

/** One `it` per case of an nn-extra fixture file. */
export function extraCases(
  file: string,
  tol: (c: any) => Tolerance = () => ({}),
  filter: (c: any) => boolean = () => true,
  calls: Calls = {},
): void {
  for (const c of loadExtra(file).cases.filter(filter)) {
    it(c.name, () => (c.fn ? runFnCase(c, tol(c), calls) : runModuleCaseWithPrint(c, tol(c))));
  }
}
