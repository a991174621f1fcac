// optim.lrScheduler against PyTorch 1.13 (test/fixtures/optim/schedulers.json, scripts/gen_optim_fixtures.py):
// the learning rates (and momentum / beta1 where a scheduler cycles them) after construction and
// after each of 40 steps (or of step(epoch) calls, the closed forms), for two parameter groups,
// the scheduler's state dict under PyTorch's keys, the optimiser's param_groups (initial_lr, ...),
// and a state-dict round trip that resumes mid-schedule.

import { it, expect } from "vitest";
import { readFileSync } from "node:fs";
import * as torch from "../ts/index.js";
import { optim } from "../ts/index.js";
import { describeBackends } from "./util.js";

const L = optim.lrScheduler as Record<string, any>;
interface Desc {
  initialLr?: boolean;
  scheduler: string;
  args?: any[];
  kwargs?: Record<string, any>;
  sub?: Desc[];
  optimizer?: string;
  epochs?: number[];
  metrics?: number[];
}
interface Case extends Desc {
  name: string;
  lrs: number[][];
  momenta?: number[][];
  stateDict: Record<string, any>;
  groups?: Record<string, any>[];
}
const fx = JSON.parse(readFileSync(new URL("./fixtures/optim/schedulers.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

const LAMBDAS: Record<string, (e: number) => number> = {
  pow: (e) => 0.95 ** e,
  warmup: (e) => Math.min(1, (e + 1) / 5),
  const95: () => 0.95,
  half_every_3: (e) => (e % 3 === 0 ? 0.5 : 1),
};
const camel = (k: string) => k.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
const camelObj = (o: Record<string, any> = {}) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

function makeOpt(kind = "SGD") {
  const ps = [torch.zeros(2, { requiresGrad: true }), torch.zeros(3, { requiresGrad: true })];
  return kind === "Adam"
    ? new optim.Adam([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.05 }], { lr: 0.1 })
    : new optim.SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.05 }], { lr: 0.1, momentum: 0.9 });
}
function makeSched(opt: optim.Optimizer, d: Desc): any {
  const args = (d.args ?? []).map((a) =>
    a && typeof a === "object" && !Array.isArray(a) && "lambda" in a ? LAMBDAS[a.lambda] : a,
  );
  const kw = camelObj(d.kwargs);
  if (d.scheduler === "SequentialLR")
    return new L.SequentialLR(
      opt,
      d.sub!.map((s) => makeSched(opt, s)),
      kw,
    );
  if (d.scheduler === "ChainedScheduler") return new L.ChainedScheduler(d.sub!.map((s) => makeSched(opt, s)));
  return Object.keys(kw).length ? new L[d.scheduler](opt, ...args, kw) : new L[d.scheduler](opt, ...args);
}
const momenta = (opt: optim.Optimizer) => opt.paramGroups.map((g) => (g.betas ? g.betas[0] : g.momentum));
const close = (a: number[], b: number[], what: string) => {
  expect(a.length, what).toBe(b.length);
  a.forEach((x, i) => {
    if (typeof x !== "number" || !(Math.abs(x - b[i]) <= 1e-12 + 1e-10 * Math.abs(b[i])))
      expect.fail(`${what}[${i}]: got ${x}, expected ${b[i]}`);
  });
};
const unInf = (v: any): any =>
  v === "inf"
    ? Infinity
    : v === "-inf"
      ? -Infinity
      : Array.isArray(v)
        ? v.map(unInf)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unInf(x)]))
          : v;

/** Compares a state dict with PyTorch's, key for key (callables, which PyTorch stores and JSON cannot, skipped). */
function compareSd(mine: Record<string, any>, ref: Record<string, any>, what: string) {
  const skip = ["_scale_fn_ref", "anneal_func"];
  expect(Object.keys(mine).sort(), `${what} keys`).toEqual(
    Object.keys(ref)
      .filter((k) => !skip.includes(k))
      .sort(),
  );
  for (const [k, v0] of Object.entries(ref)) {
    if (skip.includes(k)) continue;
    const v = unInf(v0);
    if (k === "_schedulers") {
      v.forEach((s: any, i: number) => compareSd(mine[k][i], s, `${what}._schedulers[${i}]`));
      continue;
    }
    if (typeof v === "number") {
      if (Number.isFinite(v)) close([mine[k]], [v], `${what}.${k}`);
      else expect(mine[k], `${what}.${k}`).toBe(v);
    } else expect(mine[k], `${what}.${k}`).toEqual(v);
  }
}

describeBackends("lrScheduler vs PyTorch 1.13", () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const opt = makeOpt(c.optimizer);
      if (c.initialLr) for (const g of opt.paramGroups) g.initialLr = g.lr * 2;
      if (c.scheduler === "ReduceLROnPlateau") {
        const s = new L.ReduceLROnPlateau(opt, camelObj(c.kwargs));
        const lrs = [opt.paramGroups.map((g) => g.lr)];
        for (const m of c.metrics!) {
          s.step(m);
          lrs.push(s.getLastLr());
        }
        lrs.forEach((l, i) => close(l, c.lrs[i], `lr after step ${i}`));
        compareSd(s.stateDict(), c.stateDict, "stateDict");
        return;
      }
      const s = makeSched(opt, c);
      const lrs = [s.getLastLr()],
        moms = [momenta(opt)];
      for (const e of c.epochs ?? Array.from({ length: 40 }, () => undefined)) {
        opt.step();
        if (e === undefined) s.step();
        else s.step(e);
        lrs.push(s.getLastLr());
        moms.push(momenta(opt));
      }
      lrs.forEach((l, i) => close(l, c.lrs[i], `lr after step ${i}`));
      moms.forEach((m, i) => close(m, c.momenta![i], `momentum after step ${i}`));
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(s.getLastLr());
      compareSd(s.stateDict(), c.stateDict, "stateDict");
      const groups = opt.stateDict().param_groups;
      c.groups!.forEach((g, i) => {
        for (const [k, v] of Object.entries(g)) {
          if (typeof v === "number") close([groups[i][k]], [v], `param_groups[${i}].${k}`);
          else expect(groups[i][k], `param_groups[${i}].${k}`).toEqual(v);
        }
      });
    });
  }

  it("a state dict taken mid-schedule resumes the same sequence (and one from PyTorch loads)", () => {
    for (const c of fx.cases.filter((x) => !x.epochs && !x.metrics && !x.sub && !x.initialLr)) {
      const a = makeOpt(c.optimizer),
        sa = makeSched(a, c);
      for (let k = 0; k < 17; k++) {
        a.step();
        sa.step();
      }
      const b = makeOpt(c.optimizer),
        sb = makeSched(b, c);
      sb.loadStateDict(JSON.parse(JSON.stringify(sa.stateDict())));
      b.loadStateDict(a.stateDict());
      for (let k = 17; k < 40; k++) {
        b.step();
        sb.step();
        close(sb.getLastLr(), c.lrs[k + 1], `${c.name} resumed at step ${k + 1}`);
      }
      // PyTorch's final state dict loads and reports the same last lr
      const sc = makeSched(makeOpt(c.optimizer), c);
      sc.loadStateDict(unInf(c.stateDict));
      close(sc.getLastLr(), c.lrs[40], `${c.name} getLastLr after loading PyTorch's state dict`);
    }
  });

  it("arguments: positional as PyTorch, unknown keys, validation", () => {
    const opt = makeOpt();
    expect(new L.StepLR(opt, 3, 0.5).gamma).toBe(0.5);
    expect(new L.CosineAnnealingLR(makeOpt(), 10, 0.01).etaMin).toBe(0.01);
    expect(() => new L.StepLR(makeOpt(), 3, { step_size: 2 })).toThrow(
      'unknown option "step_size" for lrScheduler.StepLR; did you mean "stepSize"?',
    );
    expect(() => new L.StepLR({} as any, 3)).toThrow("is not an Optimizer");
    expect(() => new L.ConstantLR(makeOpt(), 2)).toThrow(
      "Constant multiplicative factor expected to be between 0 and 1.",
    );
    expect(() => new L.LinearLR(makeOpt(), { startFactor: -1 })).toThrow(
      "Starting multiplicative factor expected to be between 0 and 1.",
    );
    expect(() => new L.CosineAnnealingWarmRestarts(makeOpt(), 0)).toThrow("Expected positive integer T_0, but got 0");
    expect(() => new L.OneCycleLR(makeOpt(), 0.1)).toThrow(
      "You must define either total_steps OR (epochs AND steps_per_epoch)",
    );
    expect(() => new L.ReduceLROnPlateau(makeOpt(), { factor: 1 })).toThrow("Factor should be < 1.0.");
    expect(() => new L.ReduceLROnPlateau(makeOpt(), "median")).toThrow("mode median is unknown!");
    expect(() => new L.LambdaLR(makeOpt(), [LAMBDAS.pow])).toThrow("Expected 2 lr_lambdas, but got 1");
    expect(() => new L.StepLR(makeOpt(), 3, { lastEpoch: 4 })).toThrow(
      "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer",
    );
    const o2 = makeOpt();
    const one = new L.OneCycleLR(o2, 0.1, { totalSteps: 2 });
    one.step();
    one.step();
    expect(() => one.step()).toThrow("Tried to step 4 times. The specified number of total steps is 2");
  });
});
