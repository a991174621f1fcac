// torch.load of files written by Debian's torch 1.13 (scripts/gen_pt_fixtures.py -> test/fixtures/pt):
// zip and legacy formats, pickle protocols 2/4/5, full checkpoints with optimizer state, tied
// weights, strided and offset views, every dtype, parameters, re-packed archives (deflate, another
// folder name, big-endian), hostile pickles (os.system, builtins.eval) refused without side
// effects; and torch.save(obj, { format: "pt" }) read back by PyTorch with weights_only=True.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it, expect, afterAll } from "vitest";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import { describeBackends, expectClose, values } from "./util.js";
import { writeZip, readZip, zipData } from "../ts/io/zip.js";

const PY = "/usr/bin/python3";
const torchCheck = spawnSync(PY, ["-c", "import torch"], { encoding: "utf8" });
const HAS_TORCH = torchCheck.status === 0;
const NO_TORCH = HAS_TORCH
  ? ""
  : ` [SKIPPED: ${PY} cannot import torch (install python3-torch): ${(torchCheck.stderr || torchCheck.error?.message || "").trim().split("\n").pop()}]`;

const DIR = new URL("./fixtures/pt/", import.meta.url);
const file = (name: string) => readFileSync(new URL(name, DIR));
const EXPECTED = JSON.parse(readFileSync(new URL("expected.json", DIR), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "torchlet-io-pt-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LOADS_AS: Record<string, string> = {
  float32: "float32",
  float64: "float32",
  float16: "float32",
  bfloat16: "float32",
  int64: "int64",
  int32: "int64",
  int16: "int64",
  int8: "int64",
  uint8: "int64",
  bool: "bool",
};
const num = (v: number | string) =>
  v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number);
const flat = (x: unknown): unknown[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

/** Compares a loaded value with gen_pt_fixtures.py's encoding of the saved one. */
function check(actual: unknown, exp: any, path: string): void {
  if (exp === null || typeof exp !== "object") {
    expect(actual, path).toBe(exp);
    return;
  }
  if ("tensor" in exp) {
    expect(actual, path).toBeInstanceOf(torch.Tensor);
    const t = actual as torch.Tensor;
    expect(t.dtype, `${path} dtype (saved as ${exp.tensor})`).toBe(LOADS_AS[exp.tensor]);
    expect(t.shape, `${path} shape`).toEqual(exp.shape);
    if (exp.shape.every((d: number) => d > 0)) {
      expect(t.stride(), `${path} stride`).toEqual(exp.stride);
      expect(t.offset, `${path} offset`).toBe(exp.offset);
    }
    const got = flat(t.tolist()).map(Number);
    const want = (exp.values as (number | string)[]).map(num);
    if (t.dtype === "float32") {
      expect(got.length, `${path} numel`).toBe(want.length);
      got.forEach((g, k) => {
        const w = Math.fround(want[k]);
        if (Number.isNaN(w)) expect(Number.isNaN(g), `${path}[${k}] NaN`).toBe(true);
        else expect(g, `${path}[${k}]`).toBe(w);
      });
    } else {
      expect(got, `${path} values`).toEqual(want);
    }
    if (t.dtype === "float32") expect(t.requiresGrad, `${path} requiresGrad`).toBe(exp.requiresGrad);
    return;
  }
  if ("dict" in exp) {
    expect(actual !== null && typeof actual === "object" && !Array.isArray(actual), `${path} is a dict`).toBe(true);
    const a = actual as Record<string, unknown>;
    expect(Object.keys(a), `${path} keys`).toEqual(exp.dict.map((kv: [string, unknown]) => kv[0]));
    for (const [k, v] of exp.dict) check(a[k], v, `${path}.${k}`);
    return;
  }
  if ("list" in exp) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    expect((actual as unknown[]).length, `${path} length`).toBe(exp.list.length);
    exp.list.forEach((v: unknown, k: number) => check((actual as unknown[])[k], v, `${path}[${k}]`));
    return;
  }
  if ("int" in exp) {
    expect(String(actual), path).toBe(exp.int);
    expect(typeof actual === "number" || typeof actual === "bigint", path).toBe(true);
    return;
  }
  if ("float" in exp) {
    const w = num(exp.float);
    if (Number.isNaN(w)) expect(Number.isNaN(actual), path).toBe(true);
    else expect(actual, path).toBe(w);
    return;
  }
  throw new Error(`bad expectation at ${path}`);
}

const ALL = [
  "model_zip.pt",
  "model_legacy.pt",
  "checkpoint_zip.pt",
  "checkpoint_legacy.pt",
  "checkpoint_proto4.pt",
  "checkpoint_proto5.pt",
  "checkpoint_legacy_proto4.pt",
  "prefixed_module.pt",
  "prefixed_orig_mod.pt",
  "tied_zip.pt",
  "tied_legacy.pt",
  "views_zip.pt",
  "views_legacy.pt",
  "dtypes_zip.pt",
  "dtypes_legacy.pt",
  "parameters_zip.pt",
  "parameters_legacy.pt",
  "single_tensor.pt",
  "tied_deflate.pt",
  "tied_prefix.pt",
  "tied_bigendian.pt",
  "dtypes.safetensors",
  "numpy_scalars_zip.pt",
  "numpy_scalars_legacy.pt",
];

function makeModel(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(3, 4, 3),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(64, 5),
  );
}
const fromExp = (e: any) => torch.tensor(new Float32Array(e.values.map(num)), { shape: e.shape });

describeBackends("io: torch.load of PyTorch 1.13 files", () => {
  for (const name of ALL) {
    it(`${name} loads with the saved values, dtypes, shapes, strides and offsets`, () => {
      check(torch.load(file(name)), EXPECTED[name], name);
    });
  }

  it("accepts a Node Buffer, a Uint8Array view at an odd offset, an ArrayBuffer and a path", () => {
    const buf = file("checkpoint_zip.pt");
    const padded = new Uint8Array(buf.length + 13);
    padded.set(buf, 7);
    const view = padded.subarray(7, 7 + buf.length);
    const legacy = file("dtypes_legacy.pt");
    const lpad = new Uint8Array(legacy.length + 5);
    lpad.set(legacy, 3);
    for (const input of [buf, view, view.slice().buffer, new URL("checkpoint_zip.pt", DIR).pathname]) {
      check(torch.load(input), EXPECTED["checkpoint_zip.pt"], "checkpoint");
    }
    check(torch.load(lpad.subarray(3, 3 + legacy.length)), EXPECTED["dtypes_legacy.pt"], "legacy view");
    const st = torch.save({ a: torch.tensor([1, 2, 3]) });
    const spad = new Uint8Array(st.length + 3);
    spad.set(st, 1);
    expect(torch.load(spad.subarray(1, 1 + st.length)).a.tolist()).toEqual([1, 2, 3]);
  });

  it("a model's state dict (zip and legacy) loads into the same architecture and reproduces PyTorch's output", () => {
    const io = EXPECTED.model_io;
    for (const name of ["model_zip.pt", "model_legacy.pt"]) {
      const m = makeModel();
      m.loadStateDict(torch.load(file(name)));
      m.eval();
      const y = torch.noGrad(() => m.forward(fromExp(io.input)));
      expectClose(values(y), io.output.values.map(num), 1e-5, 1e-4, name);
      expect(m.stateDict()["1.num_batches_tracked"].item()).toBe(2);
    }
  });

  it("a full checkpoint resumes: model.loadStateDict(ck.model) and opt.loadStateDict(ck.optimizer)", () => {
    for (const name of ["checkpoint_zip.pt", "checkpoint_legacy.pt", "checkpoint_proto5.pt"]) {
      const ck = torch.load(file(name));
      const m = makeModel();
      m.loadStateDict(ck.model);
      const opt = new torch.optim.Adam(m.parameters(), { lr: 1e-3 });
      opt.loadStateDict(ck.optimizer);
      const st = opt.stateDict();
      expect(Object.keys(st.state).length).toBe(6);
      expectClose(values(st.state[0].exp_avg), values(ck.optimizer.state["0"].exp_avg), 0, 0, "exp_avg");
      expect(ck.epoch).toBe(7);
      expect(ck.huge).toBe(2n ** 70n);
      expect(Object.keys(ck.intkeys)).toEqual(["0", "1", "10"]);
    }
  });

  it("tied weights stay one storage; views of it keep their offsets and strides", () => {
    for (const name of ["tied_zip.pt", "tied_legacy.pt", "tied_deflate.pt", "tied_prefix.pt", "tied_bigendian.pt"]) {
      const sd = torch.load(file(name));
      expect(sd.a, name).toBe(sd.b);
      for (const k of ["row", "col", "t"]) expect(sd[k].storage, `${name} ${k}`).toBe(sd.a.storage);
      // writing through one view shows in the others, as in PyTorch
      sd.a.fill_(0);
      expect(sd.row.tolist()).toEqual([0, 0, 0, 0]);
    }
  });

  it("stripPrefix and consumePrefixInStateDictIfPresent remove DataParallel's module. and torch.compile's _orig_mod.", () => {
    const plain = Object.keys(torch.load(file("model_zip.pt")));
    const a = torch.load(file("prefixed_module.pt"), { stripPrefix: "module." });
    expect(Object.keys(a)).toEqual(plain);
    const b = torch.load(file("prefixed_orig_mod.pt"), { stripPrefix: ["_orig_mod.", "module."] });
    expect(Object.keys(b)).toEqual(plain);
    const c = torch.consumePrefixInStateDictIfPresent(torch.load(file("prefixed_module.pt")), "module.");
    expect(Object.keys(c)).toEqual(plain);
    makeModel().loadStateDict(c);
    // nested state dicts in a checkpoint are stripped too; other keys are left alone
    const ck = torch.load(torch.save({ model: a, epoch: 1, "module.x": 3 }, { format: "pt" }), { stripPrefix: "0." });
    expect(Object.keys(ck.model)).toContain("weight");
    expect(Object.keys(ck.model)).not.toContain("0.weight");
    expect(ck["module.x"]).toBe(3);
    expect(() => torch.load(file("model_zip.pt"), { strip_prefix: "x" })).toThrow(
      /unknown option "strip_prefix" for torch.load; did you mean "stripPrefix"/,
    );
    // PyTorch's other arguments are accepted: map_location (positional or by name; tensors go to the
    // active backend) and weights_only (loading is always weights-only)
    for (const extra of [
      ["cpu"],
      [{ mapLocation: "cpu" }],
      [{ mapLocation: (s: unknown) => s, weightsOnly: true }],
      [null, { weightsOnly: false }],
    ]) {
      expect(Object.keys(torch.load(file("model_zip.pt"), ...extra))).toEqual(plain);
    }
    expect(() => torch.load(file("model_zip.pt"), { mapLocation: 3 })).toThrow(
      /argument "mapLocation" must be a string or a function or null/,
    );
    expect(() => torch.save({ a: 1 }, { format: "pt", metadata: { x: "y" } })).toThrow(
      /metadata is only stored by the safetensors format/,
    );
  });

  it("files whose pickle names os.system or builtins.eval are refused, naming the global, and nothing runs", () => {
    for (const tag of ["os_system", "builtins_eval", "handmade_os_system", "handmade_builtins_eval"]) {
      const e = EXPECTED[`evil_${tag}`];
      if (existsSync(e.marker)) rmSync(e.marker);
      for (const form of ["zip", "legacy"]) {
        let err: unknown;
        try {
          torch.load(file(`evil_${tag}_${form}.pt`));
        } catch (x) {
          err = x;
        }
        expect(err).toBeInstanceOf(torch.LoadError);
        expect((err as Error).message).toBe(
          `torch.load: the file names the global ${e.global}, which is not allowed (only tensors and containers can be loaded)`,
        );
        expect(existsSync(e.marker)).toBe(false);
      }
    }
  });

  it("a dict key __proto__ is an ordinary key (no prototype change)", () => {
    // a computed key makes an own property named __proto__, as a pickle dict key would
    const d = { ["__proto__"]: torch.tensor([1, 2]), x: 5 } as Record<string, unknown>;
    expect(Object.keys(d)).toEqual(["__proto__", "x"]);
    const back = torch.load(torch.save(d, { format: "pt" }));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(["__proto__", "x"]);
    expect((Object.getOwnPropertyDescriptor(back, "__proto__")!.value as torch.Tensor).tolist()).toEqual([1, 2]);
    expect(back.x).toBe(5);
  });
});

describeBackends("io: torch.save(obj, { format: 'pt' })", () => {
  it("round-trips nested checkpoints, shared storages, views, int64 and bool tensors", () => {
    const w = torch.arange(12).reshape(3, 4).float();
    const obj = {
      model: { w, wt: w.t(), row: w.select(0, 1), ids: torch.tensor([1, -2, 3], { dtype: "int64" }) },
      list: [1, "two", null, true, [3.5, -0.25]],
      epoch: 3,
      big: 2n ** 64n,
      neg: -7,
      s: "ü✓",
    };
    const back = torch.load(torch.save(obj, { format: "pt" }));
    expect(back.model.wt.storage).toBe(back.model.w.storage);
    expect(back.model.row.storage).toBe(back.model.w.storage);
    expect(back.model.wt.tolist()).toEqual(w.t().tolist());
    expect(back.model.row.tolist()).toEqual([4, 5, 6, 7]);
    expect(back.model.ids.dtype).toBe("int64");
    expect(back.model.ids.tolist()).toEqual([1, -2, 3]);
    expect(back.list).toEqual([1, "two", null, true, [3.5, -0.25]]);
    expect(back.epoch).toBe(3);
    expect(back.big).toBe(2n ** 64n);
    expect(back.s).toBe("ü✓");
    // a flat state dict stays safetensors by default; format "pt" or a .pt path chooses the zip format
    expect(torch.save({ w })[8]).toBe(0x7b);
    expect(Array.from(torch.save({ w }, { format: "pt" }).subarray(0, 4))).toEqual([0x50, 0x4b, 3, 4]);
    expect(Array.from(torch.save({ w, epoch: 1 }).subarray(0, 2))).toEqual([0x50, 0x4b]);
    const p = join(tmp, `sd-${torch.backend()}.pth`);
    torch.save({ w }, p);
    expect(torch.load(p).w.tolist()).toEqual(w.tolist());
    expect(() => torch.save(new nn.Linear(2, 2), { format: "pt" })).toThrow(/cannot save a Linear .*stateDict\(\)/);
    const cyc: unknown[] = [];
    cyc.push(cyc);
    expect(() => torch.save(cyc, { format: "pt" })).toThrow(/cycle/);
    expect(() => torch.save({ w }, { format: "zip" })).toThrow(/argument "format" must be one of "safetensors", "pt"/);
  });

  it("zip64 extra fields are read (forced in a small archive)", () => {
    const real = file("tied_zip.pt");
    const entries = readZip(real);
    expect(entries.size).toBeGreaterThan(2);
    const pt = torch.save({ a: torch.tensor([1.5, 2.5]), n: 4 }, { format: "pt" });
    // re-pack the same records with zip64 sizes and offsets
    const recs = readZip(pt);
    const files: [string, Uint8Array][] = [...recs.values()].map((e) => [e.name, zipData(pt, e)]);
    const z64 = writeZip(files, { zip64: true });
    const back = torch.load(z64);
    expect(back.a.tolist()).toEqual([1.5, 2.5]);
    expect(back.n).toBe(4);
  });

  it(`PyTorch reads torchlet's file with torch.load(f, weights_only=True) and sees the same values and sharing${NO_TORCH}`, (ctx) => {
    if (!HAS_TORCH) {
      ctx.skip();
      return;
    }
    torch.manualSeed(4);
    const m = makeModel();
    m.train();
    m.forward(torch.randn(2, 3, 6, 6));
    const w = torch.randn(3, 4);
    const obj = {
      model: m.stateDict(),
      tied: { a: w, b: w.t(), c: w.select(1, 2) },
      epoch: 12,
      names: ["x", "y"],
      flag: true,
      none: null,
      ints: torch.tensor([5, -6, 2 ** 40], { dtype: "int64" }),
      nested: [[1, 2], { k: torch.ones(2, 2) }],
      mask: torch.tensor([true, false, true]),
    };
    const f = join(tmp, `from-torchlet-${torch.backend()}.pt`);
    writeFileSync(f, torch.save(obj, { format: "pt" }));
    const script = `
import json, sys, torch
ck = torch.load(sys.argv[1], weights_only=True)
def enc(v):
    if isinstance(v, torch.Tensor): return {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.reshape(-1).tolist()}
    if isinstance(v, dict): return {"dict": [[str(k), enc(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)): return [enc(x) for x in v]
    return v
t = ck["tied"]
print(json.dumps({"obj": enc(ck), "shared": t["a"].storage().data_ptr() == t["b"].storage().data_ptr() == t["c"].storage().data_ptr(),
  "bstride": list(t["b"].stride()), "coff": t["c"].storage_offset()}))
`;
    const r = spawnSync(PY, ["-c", script, f], { encoding: "utf8", maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.shared).toBe(true);
    expect(res.bstride).toEqual([1, 4]);
    expect(res.coff).toBe(2);
    const enc = (v: unknown): unknown => {
      if (v instanceof torch.Tensor) return { dtype: `torch.${v.dtype}`, shape: v.shape, values: flat(v.tolist()) };
      if (Array.isArray(v)) return v.map(enc);
      if (v !== null && typeof v === "object") return { dict: Object.entries(v).map(([k, x]) => [k, enc(x)]) };
      return v;
    };
    const want = enc(obj) as any;
    const got = res.obj;
    // floats: PyTorch sees the same float32 values
    expect(JSON.stringify(got)).toBe(JSON.stringify(want));
    // and a model in PyTorch loads the state dict strictly
    const script2 = `
import sys, torch, torch.nn as nn
m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 5))
m.load_state_dict(torch.load(sys.argv[1], weights_only=True)["model"])
print(int(m[1].num_batches_tracked))
`;
    const r2 = spawnSync(PY, ["-c", script2, f], { encoding: "utf8" });
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stdout.trim()).toBe("1");
  });

  it(`float scalars are written as pickle floats (PyTorch reads them; 1.13's weights_only unpickler lacks BINFLOAT)${NO_TORCH}`, (ctx) => {
    if (!HAS_TORCH) {
      ctx.skip();
      return;
    }
    const f = join(tmp, `floats-${torch.backend()}.pt`);
    writeFileSync(
      f,
      torch.save({ lr: 0.125, x: -1e-300, inf: Infinity, n: 3, t: torch.tensor([0.5]) }, { format: "pt" }),
    );
    const r = spawnSync(
      PY,
      [
        "-c",
        "import sys, torch; ck = torch.load(sys.argv[1]); print(repr([ck['lr'], ck['x'], ck['inf'], ck['n'], ck['t'].tolist()]))",
        f,
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("[0.125, -1e-300, inf, 3, [0.5]]");
  });
});
