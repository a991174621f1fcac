// torch.save / torch.load (safetensors): round trips (F32 and I64), PyTorch-written files, a
// torchlet-written file validated and run by PyTorch (scripts/check_safetensors.py), malformed
// files, and loadStateDict failures that leave the model as it was (with PyTorch's wording).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { it, expect, afterAll } from "vitest";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import { loadFixture, toTensor } from "./fixtures.js";
import { describeBackends, expectClose, values } from "./util.js";
import { SimpleCNN } from "./simple-cnn.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PY = "/usr/bin/python3";
const torchCheck = spawnSync(PY, ["-c", "import torch, numpy"], { encoding: "utf8" });
const HAS_TORCH = torchCheck.status === 0;
const NO_TORCH_REASON = HAS_TORCH
  ? ""
  : ` [SKIPPED: ${PY} cannot import torch: ${(torchCheck.stderr || torchCheck.error?.message || "").trim().split("\n").pop()}]`;

const models = loadFixture("models.json");
const cnnCase = models.cases.find((c) => c.name === "simple_cnn_glossary")!;
const fixtureBytes = (f: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${f}`, import.meta.url)));
const tmp = mkdtempSync(join(tmpdir(), "torchlet-io-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function snapshot(m: nn.Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(m.stateDict())) out[k] = values(v);
  return out;
}
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}
/** A safetensors file from a header object and a data section. */
function rawFile(header: unknown, data = new Uint8Array(0), headerText?: string): Uint8Array {
  const h = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
function parseHeader(bytes: Uint8Array): Record<string, any> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

describeBackends("io: save / load", () => {
  it("round-trips F32 and I64 tensors (any shape, 0-d included)", () => {
    const sd = {
      w: torch.tensor([
        [1.5, -2.25, 3],
        [4, 5e-8, -6e7],
      ]),
      b: torch.tensor([0.1, 0.2, 0.3]),
      s: torch.tensor(7.5),
      num_batches_tracked: torch.tensor(12, { dtype: "int64" }),
      ids: torch.tensor([0, -3, 2147483647, -2147483648], { dtype: "int64" }),
      empty: torch.zeros(0, 4),
    };
    const bytes = torch.save(sd);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const h = parseHeader(bytes);
    expect(h.w).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: expect.any(Array) });
    expect(h.num_batches_tracked.dtype).toBe("I64");
    expect(h.num_batches_tracked.shape).toEqual([]);
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0);
    const back = torch.load(bytes);
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const [k, t] of Object.entries(sd)) {
      expect(back[k].shape, k).toEqual(t.shape);
      expect(back[k].dtype, k).toBe(t.dtype);
      expect(back[k].tolist(), k).toEqual(t.tolist());
    }
    // I64 is stored as little-endian 64-bit two's complement
    const off = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)) + h.ids.data_offsets[0];
    const i64 = new BigInt64Array(bytes.slice(off, off + 32).buffer);
    expect(Array.from(i64, Number)).toEqual([0, -3, 2147483647, -2147483648]);
    // load accepts an ArrayBuffer too
    expect(torch.load(bytes.slice().buffer).w.tolist()).toEqual(sd.w.tolist());
  });

  it("round-trips a model with BatchNorm buffers (num_batches_tracked is I64)", () => {
    torch.manualSeed(3);
    const make = () =>
      new nn.Sequential(new (nn as any).Conv2d(2, 3, 3), new (nn as any).BatchNorm2d(3), new nn.ReLU());
    const a = make();
    a.train();
    a.forward(torch.randn(4, 2, 5, 5));
    a.forward(torch.randn(4, 2, 5, 5));
    const bytes = torch.save(a.stateDict());
    const h = parseHeader(bytes);
    expect(h["1.num_batches_tracked"]).toMatchObject({ dtype: "I64", shape: [] });
    expect(h["1.running_mean"]).toMatchObject({ dtype: "F32", shape: [3] });
    const b = make();
    b.loadStateDict(torch.load(bytes));
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(b.stateDict()["1.num_batches_tracked"].dtype).toBe("int64");
    expect(b.stateDict()["1.num_batches_tracked"].item()).toBe(2);
    a.eval();
    b.eval();
    const x = torch.randn(2, 2, 5, 5);
    expect(values(b.forward(x))).toEqual(values(a.forward(x)));
  });

  it("loads PyTorch's safetensors into the SimpleCNN and reproduces PyTorch's output", () => {
    const sd = torch.load(fixtureBytes("simple_cnn.safetensors"));
    const model = new SimpleCNN(10);
    expect(Object.keys(sd).sort()).toEqual(Object.keys(model.stateDict()).sort());
    model.loadStateDict(sd);
    const out = torch.noGrad(() => model.forward(toTensor(cnnCase.inputs[0])));
    expect(out.shape).toEqual([2, 10]);
    expectClose(values(out), cnnCase.outputs[0].data, 1e-5, 1e-4, "SimpleCNN output");
  });

  it(`a file written by torchlet is accepted by PyTorch (scripts/check_safetensors.py) and gives the same output${NO_TORCH_REASON}`, (ctx) => {
    if (!HAS_TORCH) {
      ctx.skip();
      return;
    }
    torch.manualSeed(11);
    const model = new SimpleCNN(10);
    model.eval();
    const file = join(tmp, `simplecnn-${torch.backend()}.safetensors`);
    writeFileSync(file, torch.save(model.stateDict(), { metadata: { format: "pt", writer: "torchlet", epoch: 3 } }));
    const r = spawnSync(PY, [join(ROOT, "scripts/check_safetensors.py"), file, "--model", "simplecnn"], {
      encoding: "utf8",
      cwd: ROOT,
    });
    expect(r.status, `check_safetensors failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    const res = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(res.ok).toBe(true);
    // metadata values must be strings in safetensors: numbers are saved as their String()
    expect(res.metadata).toEqual({ format: "pt", writer: "torchlet", epoch: "3" });
    expect(res.keys.sort()).toEqual(Object.keys(model.stateDict()).sort());
    expect(res.outputShape).toEqual([2, 10]);
    // the script's fixed input: torch.manual_seed(0); torch.randn(2, 3, 32, 32)
    const gen = spawnSync(
      PY,
      [
        "-c",
        "import torch, json; torch.manual_seed(0); print(json.dumps(torch.randn(2, 3, 32, 32).reshape(-1).tolist()))",
      ],
      { encoding: "utf8", maxBuffer: 1 << 26 },
    );
    expect(gen.status, gen.stderr).toBe(0);
    const x = torch.tensor(new Float32Array(JSON.parse(gen.stdout)), { shape: [2, 3, 32, 32] });
    const out = torch.noGrad(() => model.forward(x));
    expectClose(res.output, values(out), 1e-5, 1e-4, "PyTorch output of torchlet's file vs torchlet");
  });

  it(`a small MLP file written by torchlet also passes the strict checker${NO_TORCH_REASON}`, (ctx) => {
    if (!HAS_TORCH) {
      ctx.skip();
      return;
    }
    torch.manualSeed(5);
    const mlp = new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 3));
    const file = join(tmp, `mlp-${torch.backend()}.safetensors`);
    writeFileSync(file, torch.save(mlp.stateDict()));
    const r = spawnSync(PY, [join(ROOT, "scripts/check_safetensors.py"), file, "--model", "mlp"], { encoding: "utf8" });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const res = JSON.parse(r.stdout);
    const gen = spawnSync(
      PY,
      ["-c", "import torch, json; torch.manual_seed(0); print(json.dumps(torch.randn(4, 5).reshape(-1).tolist()))"],
      { encoding: "utf8" },
    );
    const out = torch.noGrad(() =>
      mlp.forward(torch.tensor(new Float32Array(JSON.parse(gen.stdout)), { shape: [4, 5] })),
    );
    expectClose(res.output, values(out), 1e-5, 1e-4, "mlp output");
  });

  it("malformed files throw clear errors", () => {
    const good = torch.save({ a: torch.tensor([1, 2, 3]) });
    expect(() => torch.load(new Uint8Array(4))).toThrow(/safetensors|header/i);
    const tooLong = good.slice();
    new DataView(tooLong.buffer).setBigUint64(0, BigInt(1e6), true);
    expect(() => torch.load(tooLong)).toThrow(/header length .* exceeds file size/);
    expect(() => torch.load(rawFile(null, new Uint8Array(0), "{not json"))).toThrow(/not valid JSON/);
    const f12 = new Uint8Array(12);
    expect(() => torch.load(rawFile({ a: { dtype: "F8_E4M3", shape: [12], data_offsets: [0, 12] } }, f12))).toThrow(
      /dtype F8_E4M3, which torchlet does not load/,
    );
    expect(() => torch.load(rawFile({ a: { dtype: "F32", shape: [4], data_offsets: [0, 12] } }, f12))).toThrow(
      /data_offsets/,
    );
    expect(() => torch.load(rawFile({ a: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, f12))).toThrow(
      /data_offsets/,
    );
    expect(() => torch.load(good.slice(0, good.length - 4))).toThrow(/data_offsets|file size/);
  });
});

describeBackends("io: safetensors is parsed strictly (issue 9.5)", () => {
  const f12 = new Uint8Array(12);
  const t3 = { dtype: "F32", shape: [3], data_offsets: [0, 12] };
  const refuse = (bytes: Uint8Array, re: RegExp) => {
    const e = errorOf(() => torch.load(bytes));
    expect(e, String(re)).toBeInstanceOf(torch.LoadError);
    expect(e.message).toMatch(/^torch\.load: /);
    expect(e.message).toMatch(re);
  };
  it("the header must be a JSON object starting with '{', valid UTF-8, without duplicate keys, at most 100 MB", () => {
    refuse(rawFile(null, f12, "5"), /does not start with '\{'/);
    refuse(rawFile(null, f12, "[]"), /does not start with '\{'/);
    refuse(rawFile(null, new Uint8Array(0), '{"a":1}x'), /trailing characters/);
    refuse(rawFile(null, f12, `{"a":${JSON.stringify(t3)},"a":${JSON.stringify(t3)}}`), /the key "a" twice/);
    refuse(
      rawFile(null, f12, `{"a":{"dtype":"F32","dtype":"F32","shape":[3],"data_offsets":[0,12]}}`),
      /the key "dtype" twice/,
    );
    const bad = rawFile(null, f12, `{"a\u00ff":${JSON.stringify(t3)}}`);
    bad[10] = 0xff; // inside the key: an invalid UTF-8 byte
    refuse(bad, /not valid UTF-8/);
    refuse(rawFile(null, f12, `{"\\ud800":${JSON.stringify(t3)}}`), /lone surrogate/);
    const big = rawFile({}, new Uint8Array(0));
    new DataView(big.buffer).setBigUint64(0, 100_000_001n, true);
    refuse(big, /more than the format's limit of 100 MB/);
    refuse(rawFile(null, f12, "{" + "[".repeat(100)), /not valid JSON/);
  });

  it("dtype, shape and data_offsets types are checked, and every rejection names the tensor", () => {
    refuse(rawFile({ w: { dtype: 5, shape: [3], data_offsets: [0, 12] } }, f12), /tensor "w" has no dtype string/);
    refuse(
      rawFile({ w: { dtype: "F33", shape: [3], data_offsets: [0, 12] } }, f12),
      /tensor "w" has an unknown dtype "F33"/,
    );
    refuse(
      rawFile({ w: { dtype: "F32", shape: "3", data_offsets: [0, 12] } }, f12),
      /tensor "w": shape must be an array of non-negative integers/,
    );
    refuse(rawFile({ w: { dtype: "F32", shape: [-3], data_offsets: [0, 12] } }, f12), /"w": shape must be/);
    refuse(rawFile({ w: { dtype: "F32", shape: [1.5, 2], data_offsets: [0, 12] } }, f12), /"w": shape must be/);
    refuse(
      rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [12] } }, f12),
      /"w": data_offsets must be an array of two/,
    );
    refuse(rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, "12"] } }, f12), /"w": data_offsets must be/);
    refuse(
      rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, 12], extra: 1 } }, f12),
      /"w" has the unknown field "extra"/,
    );
    refuse(rawFile({ w: [1, 2] }, f12), /tensor "w" is a JSON array, not an object/);
    refuse(
      rawFile({ w: { dtype: "F32", shape: [2 ** 40, 2 ** 40], data_offsets: [0, 12] } }, f12),
      /"w".*more than 2\^53|"w": data_offsets/,
    );
  });

  it("offsets are contiguous, non-overlapping and cover the data exactly", () => {
    const f24 = new Uint8Array(24);
    const a = { dtype: "F32", shape: [3], data_offsets: [0, 12] };
    refuse(
      rawFile({ a, b: { dtype: "F32", shape: [3], data_offsets: [8, 20] } }, f24),
      /"b": data_offsets \[8, 20\] overlap/,
    );
    refuse(
      rawFile({ a, b: { dtype: "F32", shape: [2], data_offsets: [16, 24] } }, f24),
      /"b": .* leave bytes \[12, 16\) unused/,
    );
    refuse(
      rawFile({ a: { dtype: "F32", shape: [3], data_offsets: [12, 24] } }, f24),
      /"a": .*leave bytes \[0, 12\) unused/,
    );
    refuse(rawFile({ a }, f24), /data is 24 bytes but the tensors cover 12/);
    refuse(rawFile({ a, b: { ...a } }, f24), /"b": data_offsets \[0, 12\] overlap/);
    // empty tensors take no bytes and may sit anywhere in the sequence
    const ok = torch.load(rawFile({ e: { dtype: "F32", shape: [0, 4], data_offsets: [12, 12] }, a }, f12));
    expect(Object.keys(ok)).toEqual(["e", "a"]);
    expect(ok.e.shape).toEqual([0, 4]);
  });

  it("__metadata__ maps strings to strings; __proto__ is an ordinary key", () => {
    expect(Object.keys(torch.load(rawFile({ __metadata__: { format: "pt" }, a: t3 }, f12)))).toEqual(["a"]);
    expect(Object.keys(torch.load(rawFile({ __metadata__: null, a: t3 }, f12)))).toEqual(["a"]);
    refuse(
      rawFile({ __metadata__: { epoch: 3 }, a: t3 }, f12),
      /__metadata__ "epoch" is a JSON number; metadata values must be strings/,
    );
    refuse(rawFile({ __metadata__: ["x"], a: t3 }, f12), /__metadata__ is a JSON array/);
    const sd = torch.load(rawFile(null, f12, `{"__proto__":${JSON.stringify(t3)}}`));
    expect(Object.getPrototypeOf(sd)).toBe(Object.prototype);
    expect(Object.keys(sd)).toEqual(["__proto__"]);
    expect(Object.getOwnPropertyDescriptor(sd, "__proto__")!.value.shape).toEqual([3]);
    // and torch.save writes such a key back as a key
    const again = torch.load(torch.save(sd));
    expect(Object.keys(again)).toEqual(["__proto__"]);
  });

  it("torch.save writes only what Python's safetensors reads: metadata strings (numbers/booleans converted), others refused", () => {
    const sd = { w: torch.tensor([1, 2]) };
    const h = parseHeader(torch.save(sd, { metadata: { epoch: 3, best: 0.5, ok: true, note: "x" } }));
    expect(h.__metadata__).toEqual({ epoch: "3", best: "0.5", ok: "true", note: "x" });
    expect(() => torch.save(sd, { metadata: { nested: { a: 1 } } })).toThrow(/metadata "nested" must be a string/);
    expect(() => torch.save(sd, { metadata: { n: null } })).toThrow(/metadata "n" must be a string/);
    expect(() => torch.save(sd, { epoch: 3 } as never)).toThrow(/unknown option "epoch" for torch.save/);
    expect(() => torch.save({ w: torch.tensor([1]), n: 3 }, { format: "safetensors" })).toThrow(
      /value for "n" is not a Tensor/,
    );
    // bool and int64 tensors
    const b = torch.load(
      torch.save({ m: torch.tensor([1, 0, 1], { dtype: "bool" }), i: torch.tensor([2 ** 40, -5], { dtype: "int64" }) }),
    );
    expect(b.m.dtype).toBe("bool");
    expect(b.m.tolist()).toEqual([true, false, true]);
    expect(b.i.tolist()).toEqual([2 ** 40, -5]);
  });
});

describeBackends("io: loadStateDict failures leave the model unchanged", () => {
  it("wrong shape", () => {
    torch.manualSeed(1);
    const m = new nn.Linear(3, 4);
    const before = snapshot(m);
    const e = errorOf(() => m.loadStateDict({ weight: torch.randn(4, 2), bias: torch.randn(4) }));
    expect(e.message).toBe(
      "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param with shape torch.Size([4, 2]) from checkpoint, the shape in current model is torch.Size([4, 3]).",
    );
    expect(snapshot(m)).toEqual(before);
  });

  it("missing key / unexpected key (strict)", () => {
    const m = new nn.Linear(3, 4);
    const before = snapshot(m);
    const e1 = errorOf(() => m.loadStateDict({ weight: torch.randn(4, 3) }));
    expect(e1.message).toBe('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". ');
    expect(snapshot(m)).toEqual(before);
    const e2 = errorOf(() => m.loadStateDict({ weight: torch.randn(4, 3), bias: torch.randn(4), foo: torch.randn(1) }));
    expect(e2.message).toBe('Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: "foo". ');
    expect(snapshot(m)).toEqual(before);
    // non-strict loads what matches and reports the rest
    const w = torch.randn(4, 3);
    const r = m.loadStateDict({ weight: w, foo: torch.randn(1) }, { strict: false });
    expect(r).toEqual({ missingKeys: ["bias"], unexpectedKeys: ["foo"] });
    expect(values(m.weight)).toEqual(values(w));
    expect(values(m.bias!)).toEqual(before.bias);
  });

  it("a SimpleCNN checkpoint with one bad tensor changes nothing (the good ones are not copied either)", () => {
    torch.manualSeed(2);
    const model = new SimpleCNN(10);
    const before = snapshot(model);
    const sd = torch.load(fixtureBytes("simple_cnn.safetensors"));
    sd["fc2.weight"] = torch.randn(10, 64);
    const e = errorOf(() => model.loadStateDict(sd));
    expect(e.message).toBe(
      "Error(s) in loading state_dict for SimpleCNN:\n\tsize mismatch for fc2.weight: copying a param with shape torch.Size([10, 64]) from checkpoint, the shape in current model is torch.Size([10, 128]).",
    );
    expect(snapshot(model)).toEqual(before);
  });
});
