// The Module API (registerBuffer, registerParameter, addModule, modules, namedModules,
// namedChildren, namedBuffers, apply, requiresGrad_, loadStateDict's result and PyTorch's errors,
// all-or-nothing loads), the containers (ModuleList, ModuleDict, ParameterList, ParameterDict,
// Sequential list methods) with PyTorch 1.13's print texts (test/fixtures/optim/misc.json), and
// nn.utils (clipGradNorm_, clipGradValue_, parametersToVector, vectorToParameters).

import { it, expect } from "vitest";
import { readFileSync } from "node:fs";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";
import { describeBackends, expectClose, values } from "./util.js";

const misc = JSON.parse(readFileSync(new URL("./fixtures/optim/misc.json", import.meta.url), "utf8")) as {
  prints: Record<string, string>;
};

class Net extends nn.Module {
  fc1 = new nn.Linear(3, 4);
  act = new nn.ReLU();
  fc2 = new nn.Linear(4, 2);
  constructor() {
    super();
    this.registerBuffer("scale", torch.ones(2));
    this.registerBuffer("tmp", torch.zeros(1), { persistent: false });
    this.registerBuffer("cache", torch.zeros(1), false);
    this.registerBuffer("none", null);
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x))).mul(this.scale as unknown as Tensor);
  }
}

describeBackends("Module API", () => {
  it("registerBuffer: persistent option (object or positional), null buffers, names", () => {
    torch.manualSeed(0);
    const m = new Net();
    // PyTorch's order: own parameters, own buffers, then the children's
    expect(Object.keys(m.stateDict())).toEqual(["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(["scale", "tmp", "cache"]);
    expect(m.buffers().length).toBe(3);
    expect(() => m.registerBuffer("a.b", torch.zeros(1))).toThrow(`buffer name can't contain ".", got: a.b`);
    expect(() => m.registerBuffer("", torch.zeros(1))).toThrow(`buffer name can't be empty string ""`);
    expect(() => m.registerBuffer("fc1", torch.zeros(1))).toThrow("attribute 'fc1' already exists");
    expect(() => m.registerBuffer("forward", torch.zeros(1))).toThrow("attribute 'forward' already exists");
    expect(() => m.registerBuffer("x", 3 as any)).toThrow(
      "cannot assign 'number' object to buffer 'x' (torch Tensor or None required)",
    );
    expect(() => m.registerBuffer("y", torch.zeros(1), { persistant: true } as any)).toThrow(
      'did you mean "persistent"?',
    );
  });

  it("registerParameter, addModule, Parameter", () => {
    const m = new Net();
    m.registerParameter("alpha", new nn.Parameter(torch.ones(1)));
    m.registerParameter("beta", null);
    expect(m.namedParameters().map(([k]) => k)).toEqual(["alpha", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(() => m.registerParameter("gamma", torch.ones(1) as any)).toThrow(
      "cannot assign 'Tensor' object to parameter 'gamma' (torch.nn.Parameter or None required)",
    );
    expect(() => m.registerParameter("scale", new nn.Parameter(torch.ones(1)))).toThrow(
      "attribute 'scale' already exists",
    );
    m.addModule("extra", new nn.Tanh());
    expect([...m.namedChildren()].map(([k]) => k)).toEqual(["fc1", "act", "fc2", "extra"]);
    expect(() => m.addModule("bad.name", new nn.Tanh())).toThrow(`module name can't contain "."`);
    expect(() => m.addModule("x", {} as any)).toThrow("is not a Module subclass");
    const p = new nn.Parameter(torch.zeros(2), false);
    expect(p.requiresGrad).toBe(false);
    expect(new nn.Parameter(torch.zeros(2)).requiresGrad).toBe(true);
  });

  it("modules, namedModules (shared modules once), namedChildren, apply, requiresGrad_, train", () => {
    const shared = new nn.Linear(2, 2);
    const seq = new nn.Sequential(shared, new nn.ReLU(), shared);
    expect([...seq.namedModules()].map(([k]) => k)).toEqual(["", "0", "1"]);
    expect([...seq.namedModules({ prefix: "net" })].map(([k]) => k)).toEqual(["net", "net.0", "net.1"]);
    expect([...seq.namedModules("", false)].map(([k]) => k)).toEqual(["", "0", "1", "2"]);
    expect([...seq.modules()].length).toBe(3);
    expect(seq.parameters().length).toBe(2);
    expect(seq.length).toBe(3);
    // forward runs the shared module twice
    const x = torch.randn(1, 2);
    const ref = shared.forward(shared.forward(x).relu());
    expectClose(values(seq.forward(x)), values(ref), 1e-6, 1e-6);
    const order: string[] = [];
    const m = new Net();
    m.apply((mod) => order.push(mod.constructor.name));
    expect(order).toEqual(["Linear", "ReLU", "Linear", "Net"]);
    m.requiresGrad_(false);
    expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
    m.requiresGrad_();
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    m.eval();
    expect([...m.modules()].every((q) => !q.training)).toBe(true);
    expect(() => m.train("yes" as any)).toThrow("training mode is expected to be boolean");
    expect(m.namedParameters({ recurse: false })).toEqual([]);
    expect(m.fc1.namedParameters({ prefix: "fc1" }).map(([k]) => k)).toEqual(["fc1.weight", "fc1.bias"]);
  });

  it("loadStateDict: result object, PyTorch's messages, strict and non-strict", () => {
    const lin = new nn.Linear(2, 3);
    const sd = lin.stateDict();
    expect(new nn.Linear(2, 3).loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(() => new nn.Linear(2, 3).loadStateDict({ weight: sd.weight })).toThrow(
      'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". ',
    );
    expect(() => new nn.Linear(2, 3).loadStateDict({ ...sd, extra: torch.zeros(1) })).toThrow(
      'Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: "extra". ',
    );
    expect(() => new nn.Linear(2, 3).loadStateDict({ weight: sd.weight, extra: torch.zeros(1) })).toThrow(
      'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". \n\tUnexpected key(s) in state_dict: "extra". ',
    );
    const r = new nn.Linear(2, 3).loadStateDict({ weight: sd.weight, extra: torch.zeros(1) }, { strict: false });
    expect(r).toEqual({ missingKeys: ["bias"], unexpectedKeys: ["extra"] });
    expect(new nn.Linear(2, 3).loadStateDict(new Map([["weight", sd.weight]]), false).missingKeys).toEqual(["bias"]);
    expect(() => new nn.Linear(2, 3).loadStateDict({ ...sd, weight: torch.zeros(3, 3) })).toThrow(
      "size mismatch for weight: copying a param with shape torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([3, 2]).",
    );
  });

  it("loadStateDict is all-or-nothing: a disposed, null, misshapen or mistyped entry anywhere changes nothing", () => {
    torch.manualSeed(1);
    const src = new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 3), new nn.Linear(3, 3), new nn.Linear(3, 2));
    const good = src.stateDict();
    const bads: [string, (sd: Record<string, any>) => void, RegExp][] = [
      [
        "disposed",
        (sd) => {
          const t = torch.zeros(3, 3);
          t.dispose();
          sd["2.weight"] = t;
        },
        /disposed/,
      ],
      [
        "null",
        (sd) => {
          sd["2.weight"] = null;
        },
        /expected torch.Tensor or Tensor-like object from checkpoint but received None/,
      ],
      [
        "shape",
        (sd) => {
          sd["3.bias"] = torch.zeros(5);
        },
        /size mismatch for 3.bias/,
      ],
      [
        "dtype",
        (sd) => {
          sd["2.bias"] = torch.zeros([3], { dtype: "bool" as any });
        },
        /can't copy a bool tensor into a float32 one/,
      ],
      [
        "not a tensor",
        (sd) => {
          sd["1.bias"] = [1, 2, 3];
        },
        /received Array/,
      ],
    ];
    for (const [what, spoil, msg] of bads) {
      torch.manualSeed(2);
      const dst = new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 3), new nn.Linear(3, 3), new nn.Linear(3, 2));
      const before = dst.parameters().map(values);
      const sd: Record<string, any> = { ...good };
      spoil(sd);
      expect(() => dst.loadStateDict(sd), what).toThrow(msg);
      expect(() => dst.loadStateDict(sd, { strict: false }), what).toThrow(msg);
      expect(dst.parameters().map(values), `${what}: nothing copied`).toEqual(before);
    }
  });

  it("getSubmodule, getParameter, getBuffer", () => {
    const m = new nn.Sequential(new Net(), new nn.ReLU());
    expect(m.getSubmodule("0.fc2")).toBe((m.at(0) as Net).fc2);
    expect(m.getSubmodule("")).toBe(m);
    expect(m.getParameter("0.fc1.bias")).toBe((m.at(0) as Net).fc1.bias);
    expect(values(m.getBuffer("0.scale"))).toEqual([1, 1]);
    expect(() => m.getSubmodule("0.fc3")).toThrow("Net has no attribute `fc3`");
    expect(() => m.getParameter("0.scale")).toThrow("`scale` is not an nn.Parameter");
    expect(() => m.getBuffer("0.fc1.weight")).toThrow("`weight` is not a buffer");
  });

  it("stateDict keepVars and prefix", () => {
    const lin = new nn.Linear(2, 3);
    expect(lin.stateDict({ keepVars: true }).weight).toBe(lin.weight);
    expect(Object.keys(lin.stateDict({ prefix: "m." }))).toEqual(["m.weight", "m.bias"]);
  });
});

describeBackends("containers", () => {
  it("print texts as PyTorch 1.13", () => {
    expect(new nn.ModuleList([new nn.Linear(2, 3), new nn.ReLU(), new nn.ModuleList([new nn.Tanh()])]).toString()).toBe(
      misc.prints.ModuleList,
    );
    expect(new nn.ModuleDict({ fc: new nn.Linear(2, 3), act: new nn.ReLU() }).toString()).toBe(misc.prints.ModuleDict);
    expect(
      new nn.ParameterList([new nn.Parameter(torch.zeros(3, 4)), new nn.Parameter(torch.zeros(4))]).toString(),
    ).toBe(misc.prints.ParameterList);
    expect(
      new nn.ParameterDict({ w: new nn.Parameter(torch.zeros(2, 3)), b: new nn.Parameter(torch.zeros(3)) }).toString(),
    ).toBe(misc.prints.ParameterDict);
    expect(
      new nn.Sequential(new nn.Linear(2, 3), new nn.Sequential(new nn.ReLU(), new nn.Linear(3, 1))).toString(),
    ).toBe(misc.prints.SequentialNested);
    expect(new nn.ModuleList().toString()).toBe(misc.prints.Empty);
    expect(new nn.Unflatten(1, [2, 5]).toString()).toBe(misc.prints.Unflatten);
    expect(new (nn as any).Identity(3, { foo: 1 }).toString()).toBe(misc.prints.Identity);
  });

  it("ModuleList: at (negative), append, extend, insert, pop, set, iteration, state-dict names", () => {
    const a = new nn.Linear(1, 1),
      b = new nn.ReLU(),
      c = new nn.Tanh(),
      d = new nn.Sigmoid();
    const l = new nn.ModuleList([a, b]);
    expect(l.length).toBe(2);
    expect(l.at(-1)).toBe(b);
    expect(() => l.at(2)).toThrow("index 2 is out of range");
    l.append(c).extend([d]);
    expect([...l]).toEqual([a, b, c, d]);
    l.insert(1, new nn.Identity());
    expect(l.at(1)).toBeInstanceOf(nn.Identity);
    expect(l.at(2)).toBe(b);
    expect(l.pop(1)).toBeInstanceOf(nn.Identity);
    expect(l.pop()).toBe(d);
    l.set(-1, d);
    expect([...l]).toEqual([a, b, d]);
    expect(Object.keys(new nn.ModuleList([new nn.Linear(1, 2), new nn.Linear(2, 1)]).stateDict())).toEqual([
      "0.weight",
      "0.bias",
      "1.weight",
      "1.bias",
    ]);
    expect(() => l.forward()).toThrow('Module [ModuleList] is missing the required "forward" function');
    expect(l.slice(1).length).toBe(2);
    expect(() => l.append({} as any)).toThrow("is not a Module subclass");
  });

  it("Sequential list methods and named children", () => {
    const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    s.append(new nn.Linear(3, 1));
    s.insert(0, new nn.Identity());
    expect([...s].map((m) => m.constructor.name)).toEqual(["Identity", "Linear", "ReLU", "Linear"]);
    expect(s.at(-1)).toBeInstanceOf(nn.Linear);
    expect(s.forward(torch.ones(4, 2)).shape).toEqual([4, 1]);
    s.pop(0);
    expect(Object.keys(s.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    const named = new nn.Sequential(
      new Map<string, nn.Module>([
        ["conv", new nn.Linear(2, 2)],
        ["act", new nn.ReLU()],
      ]),
    );
    expect(Object.keys(named.stateDict())).toEqual(["conv.weight", "conv.bias"]);
    expect(named.at(1)).toBeInstanceOf(nn.ReLU);
    expect(named.toString()).toBe(
      "Sequential(\n  (conv): Linear(in_features=2, out_features=2, bias=True)\n  (act): ReLU()\n)",
    );
  });

  it("ModuleDict and ParameterDict: order, get/set/has/delete/pop, iteration over keys", () => {
    const md = new nn.ModuleDict({ z: new nn.ReLU(), a: new nn.Linear(1, 1) });
    expect(md.keys()).toEqual(["z", "a"]);
    md.set("m", new nn.Tanh());
    expect([...md]).toEqual(["z", "a", "m"]);
    expect(md.has("a")).toBe(true);
    expect(md.get("z")).toBeInstanceOf(nn.ReLU);
    expect(() => md.get("q")).toThrow(/no key "q"/);
    expect(Object.keys(md.stateDict())).toEqual(["a.weight", "a.bias"]);
    expect(md.pop("z")).toBeInstanceOf(nn.ReLU);
    expect(md.length).toBe(2);
    expect(() => md.set("keys", new nn.ReLU())).toThrow("attribute 'keys' already exists");
    expect(md.entries().map(([k]) => k)).toEqual(["a", "m"]);
    const pd = new nn.ParameterDict({ w: torch.zeros(2), b: torch.ones(1) });
    expect(pd.keys()).toEqual(["b", "w"]); // a dict's keys are sorted, as in PyTorch 1.13
    expect(pd.get("w")).toBeInstanceOf(nn.Parameter);
    expect(pd.namedParameters().map(([k]) => k)).toEqual(["b", "w"]);
    const pd2 = new nn.ParameterDict(
      new Map([
        ["w", torch.zeros(2)],
        ["b", torch.ones(1)],
      ]),
    );
    expect(pd2.keys()).toEqual(["w", "b"]);
    expect(pd2.get("zz", null)).toBe(null);
    const pl = new nn.ParameterList([torch.zeros(2)]);
    pl.append(torch.ones(3));
    expect(pl.length).toBe(2);
    expect(pl.at(-1).shape).toEqual([3]);
    expect(pl.parameters().length).toBe(2);
    expect(Object.keys(pl.stateDict())).toEqual(["0", "1"]);
    const mid = torch.full([1], 7);
    pl.insert(1, mid);
    expect(pl.length).toBe(3);
    expect(values(pl.at(1))).toEqual([7]);
    expect(pl.at(2).shape).toEqual([3]);
    expect(values(pl.pop(1))).toEqual([7]);
    expect(pl.length).toBe(2);
    expect(Object.keys(pl.stateDict())).toEqual(["0", "1"]);
    expect(pl.parameters().length).toBe(2);
  });

  it("Unflatten", () => {
    const u = new nn.Unflatten(1, [2, 5]);
    expect(u.forward(torch.zeros(3, 10)).shape).toEqual([3, 2, 5]);
    expect(new nn.Unflatten(-1, { unflattenedSize: [2, 2] } as any).forward(torch.zeros(4)).shape).toEqual([2, 2]);
  });
});

describeBackends("nn.utils", () => {
  const withGrads = () => {
    const a = torch.tensor([3, 4], { requiresGrad: true }),
      b = torch.tensor([[12]], { requiresGrad: true });
    a.grad = torch.tensor([3, 4]);
    b.grad = torch.tensor([[12]]);
    return [a, b];
  };
  it("clipGradNorm_: total norm as a tensor, gradients scaled in place (PyTorch's coefficient)", () => {
    const ps = withGrads();
    const n = nn.utils.clipGradNorm_(ps, 1);
    expect(n).toBeInstanceOf(torch.Tensor);
    expect(n.item()).toBeCloseTo(13, 5);
    const coef = 1 / (13 + 1e-6);
    expectClose(values(ps[0].grad!), [3 * coef, 4 * coef], 1e-7, 1e-6);
    expectClose(values(ps[1].grad!), [12 * coef], 1e-7, 1e-6);
    // a large max norm leaves them
    const qs = withGrads();
    nn.utils.clipGradNorm_(qs, 100);
    expect(values(qs[0].grad!)).toEqual([3, 4]);
    // other norms
    expect(nn.utils.clipGradNorm_(withGrads(), 100, 1).item()).toBeCloseTo(19, 5);
    expect(nn.utils.clipGradNorm_(withGrads(), 100, { normType: "inf" }).item()).toBeCloseTo(12, 5);
    expect(nn.utils.clipGradNorm_(withGrads(), 100, Infinity).item()).toBeCloseTo(12, 5);
    expect(nn.utils.clipGradNorm_(withGrads(), 100, 3).item()).toBeCloseTo(Math.cbrt(27 + 64 + 1728), 4);
    const single = withGrads()[0];
    expect(nn.utils.clipGradNorm_(single, 100).item()).toBeCloseTo(5, 5);
    expect(nn.utils.clipGradNorm_([torch.zeros(2, { requiresGrad: true })], 1).item()).toBe(0);
    const nanp = torch.zeros(2, { requiresGrad: true });
    nanp.grad = torch.tensor([NaN, 1]);
    expect(() => nn.utils.clipGradNorm_([nanp], 1, { errorIfNonfinite: true })).toThrow(
      "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped.",
    );
    expect(() => nn.utils.clipGradNorm_(withGrads(), 1, { norm_type: 2 } as any)).toThrow('did you mean "normType"?');
  });
  it("clipGradValue_, parametersToVector, vectorToParameters", () => {
    const ps = withGrads();
    nn.utils.clipGradValue_(ps, 3.5);
    expect(values(ps[0].grad!)).toEqual([3, 3.5]);
    expect(values(ps[1].grad!)).toEqual([3.5]);
    const lin = new nn.Linear(2, 2);
    const v = nn.utils.parametersToVector(lin.parameters());
    expect(v.shape).toEqual([6]);
    expect(values(v)).toEqual([...values(lin.weight), ...values(lin.bias!)]);
    nn.utils.vectorToParameters(torch.arange(0, 6).float(), lin.parameters());
    expect(values(lin.weight)).toEqual([0, 1, 2, 3]);
    expect(values(lin.bias!)).toEqual([4, 5]);
    expect(() => nn.utils.vectorToParameters(torch.zeros(5), lin.parameters())).toThrow(/6 elements/);
    // differentiable
    v.sum().backward();
    expect(values(lin.weight.grad!)).toEqual([1, 1, 1, 1]);
  });
});
