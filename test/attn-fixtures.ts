// Helpers for the attention / Transformer / recurrent-cell fixtures of
// scripts/gen_attention_fixtures.py (test/fixtures/attention/*.json): tensors whose data may hold
// "-inf" / "inf" strings and bool masks, modules built from a case, forward + backward + compare.

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { expectClose } from "./util.js";

export interface ATensor {
  shape: number[];
  dtype: "float32" | "int64" | "bool";
  data: (number | string | boolean)[];
}
export interface ACase {
  name: string;
  module: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  train: boolean;
  sameQkv: boolean;
  inputs: ATensor[];
  forward: Record<string, ATensor | boolean>;
  state: Record<string, ATensor>;
  outputs: ATensor[];
  gradOutputs: ATensor[];
  inputGrads: (ATensor | null)[];
  paramGrads: Record<string, ATensor>;
  print: string;
  build?: string;
  inference?: boolean;
  stateAsTuple?: boolean;
  torchletForward?: Record<string, unknown>;
}

export function loadCases(file: string): ACase[] {
  return JSON.parse(readFileSync(new URL(`./fixtures/attention/${file}`, import.meta.url), "utf8")).cases;
}

const num = (v: number | string | boolean) => (v === "-inf" ? -Infinity : v === "inf" ? Infinity : Number(v));
export function floats(t: ATensor): Float32Array {
  return Float32Array.from(t.data, num);
}

export function toT(t: ATensor, requiresGrad = false): Tensor {
  if (t.dtype === "bool") return torch.tensor(t.data.map(Boolean) as any, { dtype: "bool" as any }).reshape(t.shape);
  const x = torch.tensor(floats(t), { shape: t.shape, dtype: t.dtype });
  if (requiresGrad) x.requiresGrad = true;
  return x;
}

/** The module of a case: nn[module](...args, kwargs), or one of the named custom builds. */
export function build(c: ACase): nn.Module {
  switch (c.build) {
    case "encoder_norm":
      return new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), 2, {
        norm: new nn.LayerNorm(8),
      });
    case "encoder_fast":
      return new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true }),
        2,
        { norm: new nn.LayerNorm(8) },
      );
    case "encoder_plain":
      return new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true }),
        3,
      );
    case "decoder_norm":
      return new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 }), 2, {
        norm: new nn.LayerNorm(8),
      });
    default: {
      const Ctor = (nn as any)[c.module];
      return Object.keys(c.kwargs).length ? new Ctor(...c.args, c.kwargs) : new Ctor(...c.args);
    }
  }
}

export function loadState(m: nn.Module, state: Record<string, ATensor>): void {
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(state)) sd[k] = toT(v);
  m.loadStateDict(sd);
}

/** Flattens a forward result to the list of tensors the fixture recorded (nulls dropped). */
function flat(out: unknown): Tensor[] {
  if (out instanceof torch.Tensor) return [out];
  if (Array.isArray(out)) return out.flatMap((o) => (o === null ? [] : flat(o)));
  throw new Error("unexpected forward result");
}

/** Runs the case: state dict keys, print text, forward, backward; compares everything. */
export function runCase(c: ACase, tol = { atol: 1e-4, rtol: 1e-4 }, gradTol = { atol: 2e-4, rtol: 1e-3 }): void {
  const m = build(c);
  expect([...Object.keys(m.stateDict())]).toEqual(Object.keys(c.state));
  expect(m.toString()).toBe(c.print);
  loadState(m, c.state);
  m.train(c.train);
  const xs = c.inputs.map((t) => toT(t, true));
  const fwd: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.forward)) fwd[k] = typeof v === "boolean" ? v : toT(v);
  Object.assign(fwd, c.torchletForward ?? {});
  let args: unknown[] = c.sameQkv ? [xs[0], xs[0], xs[0]] : xs;
  if (c.module === "LSTMCell" && xs.length === 3) args = [xs[0], [xs[1], xs[2]]];
  const call = () => flat((m as any).forward(...args, ...(Object.keys(fwd).length ? [fwd] : [])));
  const out = c.inference ? torch.noGrad(call) : call();
  expect(out.length, "number of outputs").toBe(c.outputs.length);
  out.forEach((o, i) => {
    expect(o.shape, `${c.name} output ${i} shape`).toEqual(c.outputs[i].shape);
    expectClose(o.toFloat32Array(), floats(c.outputs[i]), tol.atol, tol.rtol, `${c.name} output ${i}`);
  });
  if (c.inference) return;
  const loss = out.map((o, i) => o.mul(toT(c.gradOutputs[i])).sum()).reduce((a, b) => a.add(b));
  loss.backward();
  c.inputGrads.forEach((g, i) => {
    if (!g || (c.sameQkv && i > 0)) return;
    expect(xs[i].grad, `${c.name} input ${i} grad`).not.toBeNull();
    expectClose(xs[i].grad!.toFloat32Array(), floats(g), gradTol.atol, gradTol.rtol, `${c.name} input ${i} grad`);
  });
  const params = Object.fromEntries(m.namedParameters());
  for (const [k, g] of Object.entries(c.paramGrads)) {
    expect(params[k]?.grad, `${c.name} grad of ${k}`).toBeTruthy();
    expectClose(params[k].grad!.toFloat32Array(), floats(g), gradTol.atol, gradTol.rtol, `${c.name} grad of ${k}`);
  }
}
