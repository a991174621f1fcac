// Whole models against PyTorch (test/fixtures/models.json): the glossary's SimpleCNN (weights and
// parameter gradients in safetensors files written by PyTorch), the inline Sequential cases, and
// print(model) text for every entry of `prints`. Plus: the same MLP training run on js, wasm and
// native agrees to 1e-4.

import { readFileSync } from "node:fs";
import { it, expect, describe } from "vitest";
import * as torch from "../ts/index.js";
import { nn, optim } from "../ts/index.js";
import type { BackendName } from "../ts/index.js";
import { buildModule, loadFixture, runModuleCase, toTensor } from "./fixtures.js";
import { BACKENDS, describeBackends, expectClose, values } from "./util.js";
import { SimpleCNN } from "./simple-cnn.js";

type Spec = [string, unknown[], Record<string, unknown>];
/** Builds a module from a fixture spec; "Sequential" specs list their children (and may nest). */
function build(spec: Spec): nn.Module {
  const [name, args, kwargs] = spec;
  if (name === "Sequential") return new nn.Sequential(...(args as Spec[]).map(build));
  if (name === "SimpleCNN") return new SimpleCNN(args[0] as number);
  return buildModule(name, args, kwargs);
}

const fx = loadFixture("models.json");
const readFixture = (f: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${f}`, import.meta.url)));

describeBackends("models: glossary SimpleCNN vs PyTorch", () => {
  const c = fx.cases.find((k) => k.name === "simple_cnn_glossary")!;
  it("loads PyTorch's weights and matches outputs, input grad and parameter grads", () => {
    const model = new SimpleCNN(10);
    const sd = torch.load(readFixture(c.stateFile as string));
    for (const [k, shape] of Object.entries(c.stateShapes as Record<string, number[]>)) {
      expect(sd[k].shape, k).toEqual(shape);
      const sum = values(sd[k]).reduce((p, v) => p + v, 0);
      expectClose([sum], [(c.stateSums as Record<string, number>)[k]], 1e-3, 1e-5, `stateSum ${k}`);
    }
    model.loadStateDict(sd);
    model.train(c.train);
    const x = toTensor(c.inputs[0], true);
    const out = model.forward(x);
    expect(out.shape).toEqual(c.outputs[0].shape);
    expectClose(values(out), c.outputs[0].data, 1e-5, 1e-4, "output");
    out.mul(toTensor(c.gradOutputs[0])).sum().backward();
    expectClose(values(x.grad!), c.inputGrads[0]!.data, 1e-6, 1e-3, "input grad");
    const grads = torch.load(readFixture(c.paramGradsFile as string));
    const named = new Map(model.namedParameters());
    expect([...named.keys()].sort()).toEqual(Object.keys(grads).sort());
    for (const [k, g] of Object.entries(grads)) {
      const p = named.get(k)!;
      expect(p.grad, `grad of ${k}`).toBeTruthy();
      const ref = values(g);
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(values(p.grad!), ref, 1e-5 * Math.max(1, scale), 1e-3, `grad of ${k}`);
    }
  });
  it("prints like PyTorch", () => {
    expect(new SimpleCNN(10).toString()).toBe(c.print);
  });
});

describeBackends("models: inline Sequential cases", () => {
  for (const c of fx.cases.filter((k) => k.build)) it(c.name, () => runModuleCase(c, { atol: 1e-4, rtol: 1e-4 }));
});

describe("models: print(model) text", () => {
  for (const p of fx.prints as { name: string; build?: Spec[]; module?: Spec; print: string }[]) {
    it(p.name, () => {
      const m = p.module ? build(p.module) : new nn.Sequential(...p.build!.map(build));
      expect(m.toString()).toBe(p.print);
    });
  }
});

describe("models: the same training run on every backend", () => {
  it(`a two-layer MLP trained with SGD agrees across ${BACKENDS.join(", ")} (1e-4)`, async () => {
    const results: Record<string, { losses: number[]; state: Record<string, number[]> }> = {};
    for (const name of BACKENDS as BackendName[]) {
      await torch.init({ backend: name });
      expect(torch.backend()).toBe(name);
      torch.manualSeed(42);
      const model = new nn.Sequential(new nn.Linear(10, 32), new nn.ReLU(), new nn.Linear(32, 4));
      const x = torch.randn(64, 10);
      const y = torch.tensor(
        Array.from({ length: 64 }, (_, k) => (k * 7) % 4),
        { dtype: "int64" },
      );
      const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const lossFn = new nn.CrossEntropyLoss();
      const losses: number[] = [];
      for (let s = 0; s < 25; s++) {
        opt.zeroGrad();
        const loss = lossFn.forward(model.forward(x), y);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      const state: Record<string, number[]> = {};
      for (const [k, v] of Object.entries(model.stateDict())) state[k] = values(v);
      results[name] = { losses, state };
    }
    const ref = results[BACKENDS[0]];
    expect(ref.losses[24]).toBeLessThan(ref.losses[0]);
    for (const name of BACKENDS.slice(1)) {
      expectClose(results[name].losses, ref.losses, 1e-4, 1e-4, `${name} losses vs ${BACKENDS[0]}`);
      for (const k of Object.keys(ref.state))
        expectClose(results[name].state[k], ref.state[k], 1e-4, 1e-4, `${name} ${k}`);
    }
  });
});
