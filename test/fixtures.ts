// Runs PyTorch golden fixtures (test/fixtures/*.json, written by scripts/gen_fixtures.py):
// build the module, load PyTorch's state dict, forward, backward with the same upstream
// gradient, and compare outputs, input gradients, parameter gradients and buffers.

import { readFileSync } from "node:fs";
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { expectClose } from "./util.js";

export interface FixTensor {
  shape: number[];
  dtype?: "float32" | "int64";
  data: number[];
  requiresGrad?: boolean;
}
export interface FixCase {
  name: string;
  module: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  train: boolean;
  inputs: FixTensor[];
  state: Record<string, FixTensor>;
  outputs: FixTensor[];
  gradOutputs: FixTensor[];
  inputGrads: (FixTensor | null)[];
  paramGrads: Record<string, FixTensor>;
  stateAfter?: Record<string, FixTensor>;
  stateAsTuple?: boolean;
  build?: unknown[];
  print?: string;
  [k: string]: unknown;
}

export function loadFixture(file: string): { torch: string; cases: FixCase[]; [k: string]: any } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8"));
}

export function toTensor(f: FixTensor, requiresGrad = false): Tensor {
  const t = torch.tensor(f.dtype === "int64" ? new Int32Array(f.data) : new Float32Array(f.data), {
    shape: f.shape,
    dtype: f.dtype ?? "float32",
  });
  if (requiresGrad && (f.dtype ?? "float32") === "float32") t.requiresGrad = true;
  return t;
}

function isFixTensor(v: unknown): v is FixTensor {
  return !!v && typeof v === "object" && Array.isArray((v as any).shape) && Array.isArray((v as any).data);
}
/** kwargs with tensor-valued options ({shape, data}) turned into tensors. */
export function convertKwargs(kw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kw)) out[k] = isFixTensor(v) ? toTensor(v) : v;
  return out;
}

/** new nn[name](...args, kwargs), or a Sequential from a nested build list. */
export function buildModule(name: string, args: unknown[], kwargs: Record<string, unknown>): nn.Module {
  if (name === "Sequential") {
    const children = (args[0] as [string, unknown[], Record<string, unknown>][]).map(([n, a, k]) =>
      buildModule(n, a, k),
    );
    return new nn.Sequential(...children);
  }
  const Ctor = (nn as any)[name];
  if (typeof Ctor !== "function") throw new Error(`nn.${name} does not exist`);
  const kw = convertKwargs(kwargs);
  return Object.keys(kw).length ? new Ctor(...args, kw) : new Ctor(...args);
}

/** Loads a fixture state dict into m (non-strict for loss-module buffers). */
export function loadState(m: nn.Module, state: Record<string, FixTensor>): void {
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(state)) sd[k] = toTensor(v);
  m.loadStateDict(sd);
}

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** Runs one module case; tol may be tightened/loosened per case by the caller. */
export function runModuleCase(c: FixCase, tol: Tolerance = {}): void {
  const atol = tol.atol ?? 1e-4,
    rtol = tol.rtol ?? 1e-4;
  const m = c.build ? buildModule("Sequential", [c.build], {}) : buildModule(c.module, c.args, c.kwargs);
  loadState(m, c.state);
  m.train(c.train);
  const inputs = c.inputs.map((f) => toTensor(f, f.requiresGrad ?? false));
  let outs: unknown;
  if (c.stateAsTuple) outs = m.forward(inputs[0], [inputs[1], inputs[2]]);
  else outs = m.forward(...inputs);
  const flat: Tensor[] = [];
  const flatten = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(flatten);
    else flat.push(v as Tensor);
  };
  flatten(outs);
  expect(flat.length, `${c.name}: number of outputs`).toBe(c.outputs.length);
  flat.forEach((o, k) => {
    expect(o.shape, `${c.name}: output ${k} shape`).toEqual(c.outputs[k].shape);
    expectClose(o.toFloat32Array(), c.outputs[k].data, atol, rtol, `${c.name}: output ${k}`);
  });
  if (c.stateAfter) {
    const sd = m.stateDict();
    for (const [k, v] of Object.entries(c.stateAfter)) {
      expect(sd[k]?.shape, `${c.name}: state ${k} shape`).toEqual(v.shape);
      expectClose(sd[k].toFloat32Array(), v.data, atol, rtol, `${c.name}: stateAfter ${k}`);
    }
  }
  const needGrad = inputs.some((t) => t.requiresGrad) || Object.keys(c.paramGrads ?? {}).length > 0;
  if (!needGrad) return;
  backwardAndCheckInputs(c, flat, inputs, atol, rtol);
  const params = new Map(m.namedParameters());
  for (const [k, g] of Object.entries(c.paramGrads ?? {})) {
    const p = params.get(k);
    expect(p, `${c.name}: parameter ${k}`).toBeTruthy();
    expect(p!.grad, `${c.name}: grad of ${k}`).toBeTruthy();
    expectClose(p!.grad!.toFloat32Array(), g.data, atol, rtol, `${c.name}: grad of ${k}`);
  }
}

/** Backward of sum(out_k * gradOutputs_k) over the outputs that require grad, then each input's
 *  gradient against the fixture. */
export function backwardAndCheckInputs(
  c: Pick<FixCase, "name" | "gradOutputs" | "inputGrads">,
  outs: Tensor[],
  inputs: Tensor[],
  atol: number,
  rtol: number,
): void {
  let objective: Tensor | null = null;
  outs.forEach((o, k) => {
    if (!o.requiresGrad) return;
    const term = o.mul(toTensor(c.gradOutputs[k])).sum();
    objective = objective ? objective.add(term) : term;
  });
  if (!objective) throw new Error(`${c.name}: no output requires grad`);
  (objective as Tensor).backward();
  c.inputGrads.forEach((g, k) => {
    if (!g) return;
    expect(inputs[k].grad, `${c.name}: grad of input ${k}`).toBeTruthy();
    expectClose(inputs[k].grad!.toFloat32Array(), g.data, atol, rtol, `${c.name}: grad of input ${k}`);
  });
}

/** One `it` per case of a fixture file (call inside describeBackends). */
export function fixtureCases(
  file: string,
  tol: (c: FixCase) => Tolerance = () => ({}),
  filter: (c: FixCase) => boolean = () => true,
): void {
  const fx = loadFixture(file);
  for (const c of fx.cases.filter(filter)) it(c.name, () => runModuleCase(c, tol(c)));
}
