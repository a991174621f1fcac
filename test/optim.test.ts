// Optimisers against PyTorch (test/fixtures/optim.json): an MLP (Linear(5,7) ReLU Linear(7,3)) with
// cross entropy, two optimisation steps per configuration; compares the loss of each step and the
// state dict after each step. Plus: a failing step() leaves everything unchanged.

import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { nn, optim } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { buildModule, loadFixture, loadState, toTensor, type FixTensor } from "./fixtures.js";
import { describeBackends, expectClose, values } from "./util.js";

interface OptimCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW";
  options: Record<string, any>;
  modelBuild: unknown[];
  state0: Record<string, FixTensor>;
  inputs: FixTensor[];
  target: FixTensor;
  losses: number[];
  states: Record<string, FixTensor>[];
}

const fx = loadFixture("optim.json") as unknown as { torch: string; cases: OptimCase[] };

function makeOptimizer(c: OptimCase, params: Tensor[]) {
  const o = { ...c.options };
  if (o.betas) o.betas = [o.betas[0], o.betas[1]];
  switch (c.optimizer) {
    case "SGD":
      return new optim.SGD(params, o as any);
    case "Adam":
      return new optim.Adam(params, o);
    case "AdamW":
      return new optim.AdamW(params, o);
  }
}

function snapshot(m: nn.Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(m.stateDict())) out[k] = values(v);
  return out;
}

describeBackends("optim vs PyTorch", () => {
  for (const c of fx.cases) {
    it(`${c.name} (${c.optimizer} ${JSON.stringify(c.options)})`, () => {
      const model = buildModule("Sequential", [c.modelBuild], {});
      loadState(model, c.state0);
      const opt = makeOptimizer(c, model.parameters());
      const lossFn = new nn.CrossEntropyLoss();
      const x = toTensor(c.inputs[0]),
        y = toTensor(c.target);
      for (let step = 0; step < c.losses.length; step++) {
        opt.zeroGrad();
        const loss = lossFn.forward(model.forward(x), y);
        loss.backward();
        opt.step();
        expectClose([loss.item()], [c.losses[step]], 1e-5, 1e-5, `${c.name}: loss at step ${step}`);
        const sd = model.stateDict();
        expect(Object.keys(sd).sort()).toEqual(Object.keys(c.states[step]).sort());
        for (const [k, v] of Object.entries(c.states[step])) {
          expect(sd[k].shape, `${k} shape`).toEqual(v.shape);
          expectClose(values(sd[k]), v.data, 1e-5, 1e-4, `${c.name}: ${k} after step ${step + 1}`);
        }
      }
    });
  }
});

describeBackends("optim behaviour", () => {
  const mlp = () => {
    torch.manualSeed(7);
    return new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 3));
  };
  const data = () => {
    torch.manualSeed(8);
    return [torch.randn(6, 5), torch.tensor([0, 1, 2, 0, 1, 2], { dtype: "int64" })] as const;
  };

  const badGrads: [string, (p: Tensor) => Tensor][] = [
    ["more elements", (p) => torch.zeros(p.numel() + 1)],
    ["same numel, wrong shape", (p) => torch.zeros([1, ...p.shape])],
    ["int64", (p) => torch.zeros(p.shape, { dtype: "int64" })],
  ];
  for (const kind of ["SGD", "Adam", "AdamW"] as const)
    for (const [what, bad] of badGrads) {
      it(`${kind}: a failed step() (grad ${what}) leaves parameters and optimiser state unchanged`, () => {
        const model = mlp();
        const [x, y] = data();
        const opt =
          kind === "SGD"
            ? new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })
            : kind === "Adam"
              ? new optim.Adam(model.parameters(), { lr: 0.01 })
              : new optim.AdamW(model.parameters(), { lr: 0.01 });
        const lossFn = new nn.CrossEntropyLoss();
        // one good step so that momentum / moment buffers exist
        opt.zeroGrad();
        lossFn.forward(model.forward(x), y).backward();
        opt.step();
        opt.zeroGrad();
        lossFn.forward(model.forward(x), y).backward();
        const before = snapshot(model);
        const stateBefore = [...opt.state.values()].map((s) =>
          Object.fromEntries(
            Object.entries(s).map(([k, v]) => [
              k,
              v && typeof v === "object" && "shape" in v ? values(v as Tensor) : v,
            ]),
          ),
        );
        // the last parameter gets a gradient of the wrong shape: the whole step must be rejected
        const params = model.parameters();
        const last = params[params.length - 1];
        last.grad = bad(last);
        expect(() => opt.step()).toThrow(/gradient/);
        expect(snapshot(model)).toEqual(before);
        const stateAfter = [...opt.state.values()].map((s) =>
          Object.fromEntries(
            Object.entries(s).map(([k, v]) => [
              k,
              v && typeof v === "object" && "shape" in v ? values(v as Tensor) : v,
            ]),
          ),
        );
        expect(stateAfter).toEqual(stateBefore);
        // with the gradient repaired the step works again
        last.grad = torch.zeros(last.shape);
        opt.step();
        expect(snapshot(model)["0.weight"]).not.toEqual(before["0.weight"]);
      });
    }

  it("zeroGrad clears gradients; parameters without a gradient are skipped", () => {
    const model = mlp();
    const [x, y] = data();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    new nn.CrossEntropyLoss().forward(model.forward(x), y).backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    opt.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    const before = snapshot(model);
    opt.step();
    expect(snapshot(model)).toEqual(before);
  });

  it("rejects invalid hyper-parameters with PyTorch's wording", () => {
    const ps = mlp().parameters();
    expect(() => new optim.SGD(ps, { lr: -1 })).toThrow("Invalid learning rate: -1");
    expect(() => new optim.SGD(ps, { lr: 0.1, momentum: -0.5 })).toThrow("Invalid momentum value: -0.5");
    expect(() => new optim.SGD(ps, { lr: 0.1, nesterov: true })).toThrow(
      "Nesterov momentum requires a momentum and zero dampening",
    );
    expect(() => new optim.Adam(ps, { betas: [1.5, 0.999] })).toThrow("Invalid beta parameter at index 0: 1.5");
    expect(() => new optim.Adam(ps, { eps: -1 })).toThrow("Invalid epsilon value: -1");
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow("optimizer got an empty parameter list");
  });
});
