// torch.optim against PyTorch 1.13 (test/fixtures/optim/optimizers.json, scripts/gen_optim_fixtures.py):
// every optimiser and option over 8 steps with seeded gradients (one parameter without a gradient at
// step 2), parameter groups, PyTorch's state dict after 3 steps resumed here, our state dict in
// PyTorch's layout; plus argument handling, validation messages and the all-or-nothing step().

import { it, expect } from "vitest";
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import * as torch from "../ts/index.js";
import { nn, optim } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { describeBackends, expectClose, values } from "./util.js";

interface FT {
  __tensor__: true;
  shape: number[];
  dtype: string;
  data: number[];
}
interface Case {
  name: string;
  optimizer: keyof typeof OPTS;
  groups: Record<string, any>[] | null;
  kwargs: Record<string, any>;
  params0: FT[];
  grads: FT[][];
  noGrad: [number, number];
  after: FT[][];
  resumeAt: number;
  stateDict: any;
}
const OPTS = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  RMSprop: optim.RMSprop,
  Adagrad: optim.Adagrad,
  Adamax: optim.Adamax,
  NAdam: optim.NAdam,
  RAdam: optim.RAdam,
};
const fx = JSON.parse(readFileSync(new URL("./fixtures/optim/optimizers.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelObj = (o: Record<string, any>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));
const tt = (f: FT) => torch.tensor(f.data, { shape: f.shape });
/** JSON from the fixture with {__tensor__} objects made tensors (PyTorch's state dict as torch.load would give it). */
function revive(v: any): any {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object")
    return v.__tensor__ ? tt(v) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  return v;
}

function build(c: Case, start: FT[]) {
  const params = start.map((f) => {
    const t = tt(f);
    t.requiresGrad = true;
    return t;
  });
  const spec = c.groups
    ? c.groups.map((g) => ({ ...camelObj(g), params: g.params.map((i: number) => params[i]) }))
    : params;
  const opt = new OPTS[c.optimizer](spec as any, camelObj(c.kwargs));
  return { params, opt };
}
function stepOnce(c: Case, params: Tensor[], opt: optim.Optimizer, s: number) {
  params.forEach((p, i) => {
    p.grad = s === c.noGrad[0] && i === c.noGrad[1] ? null : tt(c.grads[s][i]);
  });
  opt.step();
}

describeBackends("optimisers vs PyTorch 1.13", () => {
  for (const c of fx.cases) {
    it(`${c.name}: 8 steps`, () => {
      const { params, opt } = build(c, c.params0);
      for (let s = 0; s < c.after.length; s++) {
        stepOnce(c, params, opt, s);
        params.forEach((p, i) =>
          expectClose(values(p), c.after[s][i].data, 1e-5, 1e-4, `${c.name} param ${i} after step ${s + 1}`),
        );
        if (s + 1 === c.resumeAt) {
          // our state dict in PyTorch's layout, against PyTorch's
          const sd = opt.stateDict(),
            ref = c.stateDict;
          expect(sd.param_groups.map((g) => Object.keys(g).sort())).toEqual(
            ref.param_groups.map((g: any) => Object.keys(g).sort()),
          );
          sd.param_groups.forEach((g, gi) => {
            for (const [k, v] of Object.entries(ref.param_groups[gi])) {
              if (typeof v === "number") expect(g[k], k).toBeCloseTo(v as number, 12);
              else expect(g[k], k).toEqual(v);
            }
          });
          expect(Object.keys(sd.state).sort()).toEqual(Object.keys(ref.state).sort());
          for (const [i, st] of Object.entries(ref.state as Record<string, Record<string, any>>)) {
            const mine = (sd.state as any)[i];
            expect(Object.keys(mine).sort(), `state ${i} keys`).toEqual(Object.keys(st).sort());
            for (const [k, v] of Object.entries(st)) {
              if (v && v.__tensor__) {
                expect(mine[k].shape, `${k} shape`).toEqual(v.shape);
                expectClose(values(mine[k]), v.data, 1e-6, 1e-4, `${c.name} state ${i}.${k}`);
              } else expect(mine[k], `${c.name} state ${i}.${k}`).toEqual(v);
            }
          }
        }
      }
    });
    it(`${c.name}: resumes from PyTorch's state dict after ${c.resumeAt} steps`, () => {
      const { params, opt } = build(c, c.after[c.resumeAt - 1]);
      opt.loadStateDict(revive(c.stateDict));
      for (let s = c.resumeAt; s < c.after.length; s++) {
        stepOnce(c, params, opt, s);
        params.forEach((p, i) =>
          expectClose(values(p), c.after[s][i].data, 1e-5, 1e-4, `${c.name} resumed, param ${i} after step ${s + 1}`),
        );
      }
    });
  }

  it("round trip: stateDict() of one optimiser resumes another", () => {
    const c = fx.cases.find((x) => x.optimizer === "Adam" && x.kwargs.amsgrad)!;
    const a = build(c, c.params0);
    for (let s = 0; s < 3; s++) stepOnce(c, a.params, a.opt, s);
    const b = build(c, c.after[2]);
    b.opt.loadStateDict(a.opt.stateDict());
    for (let s = 3; s < 8; s++) {
      stepOnce(c, b.params, b.opt, s);
      b.params.forEach((p, i) => expectClose(values(p), c.after[s][i].data, 1e-5, 1e-4, `param ${i} step ${s + 1}`));
    }
    // the loaded state is a copy: stepping b does not touch a's state
    const sa = a.opt.stateDict().state[0].exp_avg as Tensor,
      sb = b.opt.stateDict().state[0].exp_avg as Tensor;
    expect(values(sa)).not.toEqual(values(sb));
  });
});

describeBackends("optimiser API", () => {
  const ps = () => {
    torch.manualSeed(1);
    return [torch.randn(3, 2, { requiresGrad: true }), torch.randn(2, { requiresGrad: true })];
  };

  it("positional hyper-parameters in PyTorch's order", () => {
    const p = ps();
    expect(new optim.Adam(p, 0.01).paramGroups[0].lr).toBe(0.01);
    const sgd = new optim.SGD(p, 0.1, 0.9);
    expect(sgd.paramGroups[0].momentum).toBe(0.9);
    expect(new optim.SGD(p, 0.1, 0.9, 0, 0.01, true).paramGroups[0]).toMatchObject({
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 0.01,
      nesterov: true,
    });
    expect(new optim.Adam(p, 0.01, [0.8, 0.9]).paramGroups[0].betas).toEqual([0.8, 0.9]);
    expect(new optim.RMSprop(p, 0.02, 0.9).paramGroups[0].alpha).toBe(0.9);
    expect(new optim.Adagrad(p, 0.1, 0.01).paramGroups[0].lrDecay).toBe(0.01);
    expect(new optim.SGD(p, 0.1, { momentum: 0.5 }).paramGroups[0].momentum).toBe(0.5);
    expect(() => new optim.SGD(p, 0.1, { momentum: 0.5 }, 1 as any)).toThrow(TypeError);
    expect(() => new optim.Adam(p, 0.1, { lr: 0.2 })).toThrow('got multiple values for argument "lr"');
  });

  it("unknown option keys throw with a suggestion", () => {
    const p = ps();
    expect(() => new optim.Adam(p, { weight_decay: 0.1 } as any)).toThrow(
      'unknown option "weight_decay" for optim.Adam; did you mean "weightDecay"?',
    );
    expect(() => new optim.SGD(p, { lr: 0.1, momentun: 0.9 } as any)).toThrow('did you mean "momentum"?');
    expect(() => new optim.SGD([{ params: p, weight_decay: 0 }], { lr: 0.1 })).toThrow('did you mean "weightDecay"?');
    expect(() => new optim.SGD(p)).toThrow("required optimization parameter lr");
  });

  it("PyTorch's validation messages; NaN refused", () => {
    const p = ps();
    expect(() => new optim.SGD(p, -1)).toThrow("Invalid learning rate: -1");
    expect(() => new optim.SGD(p, NaN)).toThrow("Invalid learning rate: NaN");
    expect(() => new optim.Adam(p, { lr: NaN })).toThrow("Invalid learning rate: NaN");
    expect(() => new optim.Adam(p, { betas: [1.5, 0.9] })).toThrow("Invalid beta parameter at index 0: 1.5");
    expect(() => new optim.Adam(p, { betas: [0.9, 1] })).toThrow("Invalid beta parameter at index 1: 1");
    expect(() => new optim.AdamW(p, { eps: -1 })).toThrow("Invalid epsilon value: -1");
    expect(() => new optim.Adam(p, { weightDecay: -0.1 })).toThrow("Invalid weight_decay value: -0.1");
    expect(() => new optim.RMSprop(p, { alpha: -1 })).toThrow("Invalid alpha value: -1");
    expect(() => new optim.RMSprop(p, { momentum: NaN })).toThrow("Invalid momentum value: NaN");
    expect(() => new optim.Adagrad(p, { lrDecay: -1 })).toThrow("Invalid lr_decay value: -1");
    expect(() => new optim.Adagrad(p, { initialAccumulatorValue: -1 })).toThrow(
      "Invalid initial_accumulator_value value: -1",
    );
    expect(() => new optim.NAdam(p, { momentumDecay: -1 })).toThrow("Invalid momentum_decay value: -1");
    expect(() => new optim.SGD(p, { lr: 0.1, nesterov: true })).toThrow(
      "Nesterov momentum requires a momentum and zero dampening",
    );
    expect(() => new optim.SGD([{ params: p, lr: -2 }], { lr: 0.1 })).toThrow("Invalid learning rate: -2");
    expect(() => new optim.SGD([], 0.1)).toThrow("optimizer got an empty parameter list");
    expect(() => new optim.SGD(p[0] as any, 0.1)).toThrow("should be an iterable of Tensors or dicts");
    expect(() => new optim.SGD([p[0].mul(2)], 0.1)).toThrow("can't optimize a non-leaf Tensor");
  });

  it("a parameter in two groups, or twice in one group, is refused", () => {
    const [a, b] = ps();
    expect(() => new optim.SGD([{ params: [a, b] }, { params: [a] }], 0.1)).toThrow(
      "some parameters appear in more than one parameter group",
    );
    expect(() => new optim.SGD([a, b, a], 0.1)).toThrow("duplicate parameters");
    const opt = new optim.SGD([a], 0.1);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow("some parameters appear in more than one parameter group");
    expect(opt.paramGroups.length).toBe(1);
  });

  it("param groups: defaults fill in, lr readable and settable (also via .options), addParamGroup", () => {
    const [a, b] = ps();
    const opt = new optim.SGD(
      [
        { params: a, lr: 0.1 },
        { params: [b], weightDecay: 0 },
      ],
      { lr: 0.01, weightDecay: 0.5 },
    );
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.1, weightDecay: 0.5, momentum: 0 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.01, weightDecay: 0 });
    const a0 = values(a);
    a.grad = torch.ones(3, 2);
    opt.paramGroups[0].lr = 0.5;
    opt.step();
    expectClose(
      values(a),
      a0.map((v) => v - 0.5 * (1 + 0.5 * v)),
      1e-6,
      1e-6,
      "lr set on the group",
    );
    opt.paramGroups[0].options.lr = 0.25;
    expect(opt.paramGroups[0].lr).toBe(0.25);
    const c = torch.zeros(2, { requiresGrad: true });
    opt.addParamGroup({ params: [c], lr: 1 });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 1, weightDecay: 0.5 });
    c.grad = torch.ones(2);
    opt.step();
    expect(values(c)).toEqual([-1, -1]);
    expect(opt.stateDict().param_groups.map((g) => g.params)).toEqual([[0], [1], [2]]);
  });

  it("step() is all-or-nothing: a bad hyper-parameter, disposed or misshapen gradient throws before any update", () => {
    for (const make of [
      (p: Tensor[]) => new optim.Adam(p, 0.1),
      (p: Tensor[]) => new optim.RMSprop(p, 0.1, { momentum: 0.9 }),
      (p: Tensor[]) => new optim.SGD(p, 0.1, 0.9),
    ]) {
      const p = ps();
      const opt = make(p);
      p.forEach((t) => {
        t.grad = torch.onesLike(t);
      });
      opt.step();
      const before = p.map(values);
      const stBefore = JSON.stringify(
        [...opt.state.values()].map((s) =>
          Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v && typeof v === "object" ? values(v) : v])),
        ),
      );
      opt.paramGroups[0].lr = NaN;
      expect(() => opt.step()).toThrow("Invalid learning rate: NaN");
      opt.paramGroups[0].lr = 0.1;
      p[1].grad = torch.ones(3);
      expect(() => opt.step()).toThrow(/does not match parameter/);
      p[1].grad = torch.ones(2);
      p[1].grad.dispose();
      expect(() => opt.step()).toThrow(/disposed/);
      expect(p.map(values)).toEqual(before);
      const stAfter = JSON.stringify(
        [...opt.state.values()].map((s) =>
          Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v && typeof v === "object" ? values(v) : v])),
        ),
      );
      expect(stAfter).toEqual(stBefore);
      p[1].grad = torch.ones(2);
      opt.step();
      expect(p.map(values)).not.toEqual(before);
    }
  });

  it("loadStateDict validates everything before changing anything", () => {
    const p = ps();
    const opt = new optim.Adam(p, 0.1);
    p.forEach((t) => {
      t.grad = torch.onesLike(t);
    });
    opt.step();
    const sd = opt.stateDict();
    const other = new optim.Adam(ps(), 0.5);
    const bad = {
      state: { 0: sd.state[0], 1: { ...sd.state[1], exp_avg: torch.zeros(5) } },
      param_groups: sd.param_groups,
    };
    expect(() => other.loadStateDict(bad)).toThrow(/exp_avg has shape \[5\]/);
    expect(other.paramGroups[0].lr).toBe(0.5);
    expect(other.state.size).toBe(0);
    expect(() => other.loadStateDict({ state: {}, param_groups: [...sd.param_groups, ...sd.param_groups] })).toThrow(
      "different number of parameter groups",
    );
    expect(() => other.loadStateDict({ state: {}, param_groups: [{ ...sd.param_groups[0], params: [0] }] })).toThrow(
      "doesn't match the size of optimizer's group",
    );
    expect(() => other.loadStateDict({ state: {}, param_groups: [{ ...sd.param_groups[0], lr: -1 }] })).toThrow(
      "Invalid learning rate: -1",
    );
    other.loadStateDict(sd);
    expect(other.paramGroups[0].lr).toBe(0.1);
    expect(other.state.size).toBe(2);
    // options of other PyTorch versions: refused when they change the update, dropped when off
    const nadam = new optim.NAdam(ps(), 0.1);
    const nsd = nadam.stateDict();
    expect(() =>
      nadam.loadStateDict({ state: {}, param_groups: [{ ...nsd.param_groups[0], decoupled_weight_decay: true }] }),
    ).toThrow("has decoupled_weight_decay=True, which optim.NAdam (PyTorch 1.13's) does not have");
    nadam.loadStateDict({
      state: {},
      param_groups: [{ ...nsd.param_groups[0], decoupled_weight_decay: false, maximize: false, capturable: true }],
    });
    expect(Object.keys(nadam.stateDict().param_groups[0]).sort()).toEqual(Object.keys(nsd.param_groups[0]).sort());
    // step as a plain number (older PyTorch checkpoints) is accepted
    const sd2 = { ...sd, state: { 0: { ...sd.state[0], step: 1 }, 1: { ...sd.state[1], step: 1 } } };
    const third = new optim.Adam(ps(), 0.5);
    third.loadStateDict(sd2);
    expect([...third.state.values()][0].step).toBe(1);
  });

  it("zeroGrad, closures, toString", () => {
    const p = ps();
    const opt = new optim.SGD(p, 0.1);
    p.forEach((t) => {
      t.grad = torch.onesLike(t);
    });
    opt.zeroGrad({ setToNone: false });
    expect(values(p[0].grad!)).toEqual([0, 0, 0, 0, 0, 0]);
    opt.zeroGrad();
    expect(p[0].grad).toBe(null);
    const loss = opt.step(() => {
      const l = p[0].sum();
      l.backward();
      return l;
    });
    expect(typeof (loss as Tensor).item()).toBe("number");
    expect(p[0].grad).not.toBe(null);
    expect(String(opt)).toBe(
      "SGD (\nParameter Group 0\n    dampening: 0\n    foreach: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)",
    );
  });
});

// A real PyTorch training checkpoint (torch.save of { model, optimizer, scheduler, epoch } after 3
// AdamW steps with two param groups and amsgrad, CosineAnnealingLR) resumes here step for step; and
// our own checkpoint, written with torch.save(..., { format: "pt" }), resumes in PyTorch itself.
const ck = JSON.parse(readFileSync(new URL("./fixtures/optim/checkpoint.json", import.meta.url), "utf8")) as {
  grads: FT[][];
  after: FT[][];
  lrs: number[][];
};
const PY = "/usr/bin/python3";

function resumeSetup() {
  const lin = new nn.Linear(4, 3);
  const opt = new optim.AdamW([{ params: [lin.weight] }, { params: [lin.bias!], weightDecay: 0, lr: 0.05 }], {
    lr: 0.02,
    amsgrad: true,
  });
  const sched = new optim.lrScheduler.CosineAnnealingLR(opt, 5, { etaMin: 0.001 });
  return { lin, opt, sched };
}
function continueSteps(lin: nn.Linear, opt: optim.Optimizer, sched: optim.lrScheduler.LRScheduler, what: string) {
  for (let s = 3; s < 7; s++) {
    lin.weight.grad = tt(ck.grads[s][0]);
    lin.bias!.grad = tt(ck.grads[s][1]);
    opt.step();
    sched.step();
    expectClose(values(lin.weight), ck.after[s - 3][0].data, 1e-5, 1e-4, `${what}: weight after step ${s + 1}`);
    expectClose(values(lin.bias!), ck.after[s - 3][1].data, 1e-5, 1e-4, `${what}: bias after step ${s + 1}`);
    expectClose(sched.getLastLr(), ck.lrs[s - 3], 1e-12, 1e-10, `${what}: lr after step ${s + 1}`);
  }
}

describeBackends("PyTorch training checkpoints", () => {
  it("torch.load(PyTorch's checkpoint) resumes model, optimizer and scheduler", () => {
    const c = torch.load(readFileSync(new URL("./fixtures/optim/adamw_checkpoint.pt", import.meta.url)));
    expect(c.epoch).toBe(3);
    const { lin, opt, sched } = resumeSetup();
    lin.loadStateDict(c.model);
    opt.loadStateDict(c.optimizer);
    sched.loadStateDict(c.scheduler);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual(sched.getLastLr());
    continueSteps(lin, opt, sched, "resumed from PyTorch");
  });

  it.skipIf(!existsSync(PY))("our checkpoint (torch.save format pt) resumes in PyTorch 1.13", () => {
    const c = torch.load(readFileSync(new URL("./fixtures/optim/adamw_checkpoint.pt", import.meta.url)));
    const { lin, opt, sched } = resumeSetup();
    lin.loadStateDict(c.model);
    opt.loadStateDict(c.optimizer);
    sched.loadStateDict(c.scheduler);
    const dir = mkdtempSync(join(tmpdir(), "torchlet-ck-"));
    const file = join(dir, "ck.pt");
    writeFileSync(
      file,
      torch.save(
        { model: lin.stateDict(), optimizer: opt.stateDict(), scheduler: sched.stateDict(), epoch: 3 },
        { format: "pt" },
      ),
    );
    const script = `
import json, sys, torch
from torch import nn
ck = torch.load(sys.argv[1])  # (1.13's weights_only unpickler lacks BINFLOAT, which torchlet's writer uses for floats)
lin = nn.Linear(4, 3)
opt = torch.optim.AdamW([{"params": [lin.weight]}, {"params": [lin.bias], "weight_decay": 0.0, "lr": 0.05}], lr=0.02, amsgrad=True)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.001)
lin.load_state_dict(ck["model"]); opt.load_state_dict(ck["optimizer"]); sched.load_state_dict(ck["scheduler"])
grads = json.loads(sys.stdin.read())
out = []
for gw, gb in grads:
    lin.weight.grad = torch.tensor(gw["data"]).reshape(gw["shape"]); lin.bias.grad = torch.tensor(gb["data"]).reshape(gb["shape"])
    opt.step(); sched.step()
    out.append([lin.weight.detach().reshape(-1).tolist(), lin.bias.detach().tolist(), sched.get_last_lr()])
print(json.dumps(out))
`;
    const r = spawnSync(PY, ["-c", script, file], { input: JSON.stringify(ck.grads.slice(3)), encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const py = JSON.parse(r.stdout) as [number[], number[], number[]][];
    py.forEach(([w, b, lr], k) => {
      expectClose(w, ck.after[k][0].data, 1e-6, 1e-5, `PyTorch resumed from ours: weight after step ${k + 4}`);
      expectClose(b, ck.after[k][1].data, 1e-6, 1e-5, `PyTorch resumed from ours: bias after step ${k + 4}`);
      expectClose(lr, ck.lrs[k], 1e-12, 1e-10, `PyTorch resumed from ours: lr after step ${k + 4}`);
    });
  });
});

describeBackends("custom optimisers", () => {
  it("subclass Optimizer with super(params, defaults) and update(); groups, validation and state dicts come for free", () => {
    class SignSGD extends optim.Optimizer {
      constructor(params: optim.ParamsArg, lr = 0.1) {
        super(params, { lr });
      }
      protected update(p: Tensor, g: Tensor, group: optim.ParamGroup, st: Record<string, any>) {
        st.step = (st.step ?? 0) + 1;
        p.copy_(p.sub(g.sign(), group.lr));
      }
    }
    const p = torch.tensor([1, -1], { requiresGrad: true });
    const opt = new SignSGD([p], 0.5);
    p.grad = torch.tensor([3, -0.1]);
    opt.step();
    expect(values(p)).toEqual([0.5, -0.5]);
    expect(opt.stateDict()).toMatchObject({ state: { 0: { step: 1 } }, param_groups: [{ lr: 0.5, params: [0] }] });
    expect(() => opt.addParamGroup({ params: [p] })).toThrow("some parameters appear in more than one parameter group");
  });
});

describeBackends("optimiser memory", () => {
  it("steps without tidy leave no tensors behind (every optimiser and option)", () => {
    const configs: [keyof typeof OPTS, Record<string, any>][] = [
      ["SGD", { lr: 0.1, momentum: 0.9, maximize: true }],
      ["Adam", { amsgrad: true }],
      ["Adam", {}],
      ["AdamW", { amsgrad: true, maximize: true }],
      ["RMSprop", { centered: true, momentum: 0.5, weightDecay: 0.1 }],
      ["Adagrad", { weightDecay: 0.1 }],
      ["Adamax", { weightDecay: 0.1 }],
      ["NAdam", { weightDecay: 0.1 }],
      ["RAdam", { weightDecay: 0.1 }],
    ];
    for (const [name, kw] of configs) {
      const p = [torch.randn(4, 3, { requiresGrad: true }), torch.randn(3, { requiresGrad: true })];
      p.forEach((t) => {
        t.grad = torch.randn(t.shape);
      });
      const opt = new OPTS[name](p, kw);
      opt.step();
      opt.step();
      const n0 = torch.memory().numTensors;
      for (let k = 0; k < 20; k++) opt.step();
      expect(torch.memory().numTensors, `${name} ${JSON.stringify(kw)}`).toBe(n0);
    }
  });
});

// clip_grad_norm_ against PyTorch for several norm types, and an end-to-end run: an MLP trained 12
// steps with AdamW (weight decay only on weights), a LambdaLR warm-up then decay and clipGradNorm_(1.0)
const tr = JSON.parse(readFileSync(new URL("./fixtures/optim/training.json", import.meta.url), "utf8")) as {
  clip: { normType: number | "inf"; maxNorm: number; grads: FT[]; total: number; clipped: FT[] }[];
  train: {
    state0: Record<string, FT>;
    x: FT;
    y: FT;
    losses: number[];
    norms: number[];
    lrs: number[][];
    final: Record<string, FT>;
  };
};

describeBackends("clipGradNorm_ and a training run vs PyTorch 1.13", () => {
  for (const c of tr.clip) {
    it(`clipGradNorm_(maxNorm ${c.maxNorm}, normType ${c.normType})`, () => {
      const ps = c.grads.map((g) => {
        const p = torch.zeros(g.shape, { requiresGrad: true });
        p.grad = tt(g);
        return p;
      });
      const total = nn.utils.clipGradNorm_(ps, c.maxNorm, { normType: c.normType === "inf" ? "inf" : c.normType });
      expectClose([total.item() as number], [c.total], 1e-6, 1e-5, "total norm");
      ps.forEach((p, i) => expectClose(values(p.grad!), c.clipped[i].data, 1e-6, 1e-5, `clipped grad ${i}`));
    });
  }
  it("MLP + AdamW param groups + LambdaLR + clipGradNorm_: losses, norms, lrs and final weights", () => {
    const model = new nn.Sequential(new nn.Linear(5, 8), new nn.Tanh(), new nn.Linear(8, 3));
    model.loadStateDict(Object.fromEntries(Object.entries(tr.train.state0).map(([k, v]) => [k, tt(v)])));
    const x = tt(tr.train.x),
      y = torch.tensor(tr.train.y.data, { dtype: "int64" });
    const named = model.namedParameters();
    const opt = new optim.AdamW(
      [
        { params: named.filter(([n]) => n.endsWith("weight")).map(([, p]) => p), weightDecay: 0.1 },
        { params: named.filter(([n]) => n.endsWith("bias")).map(([, p]) => p), weightDecay: 0 },
      ],
      { lr: 0.05 },
    );
    const sched = new optim.lrScheduler.LambdaLR(
      opt,
      (s: number) => Math.min(1, (s + 1) / 4) * 0.9 ** Math.max(0, s - 3),
    );
    for (let step = 0; step < 12; step++) {
      opt.zeroGrad();
      const loss = torch.F.crossEntropy(model.forward(x), y);
      loss.backward();
      const norm = nn.utils.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      sched.step();
      expectClose([loss.item() as number], [tr.train.losses[step]], 1e-5, 1e-4, `loss at step ${step}`);
      expectClose([norm.item() as number], [tr.train.norms[step]], 1e-5, 1e-4, `grad norm at step ${step}`);
      expectClose(sched.getLastLr(), tr.train.lrs[step], 1e-12, 1e-10, `lr after step ${step}`);
    }
    const sd = model.stateDict();
    for (const [k, v] of Object.entries(tr.train.final)) expectClose(values(sd[k]), v.data, 1e-5, 1e-4, `final ${k}`);
  });
});
