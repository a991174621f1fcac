// The file fuzzer (issues 9.7 / 13.7): seeded mutants of safetensors files and PyTorch checkpoints
// (zip and legacy), made by byte flips, truncation, splices, length-field corruption, zip header
// corruption (with and without re-computed CRCs), pickle opcode/argument corruption (re-packed so
// the pickle reaches the interpreter) and safetensors header JSON edits. Every mutant must load
// correctly or throw torch.LoadError; never another error (a raw TypeError/RangeError from JS
// internals), a hang, or tensors beyond the file's size. A failure prints a minimised reproducer
// (seed, iteration, base file, the mutation steps) and writes the mutant to a temp file.
//
// npm test runs a few seconds per backend with the fixed seed; longer runs:
//   node scripts/fuzz-files.mjs --seconds 600 [--seed 7] [--backends js,wasm,native]
//   (env: TORCHLET_FUZZ_SECONDS, TORCHLET_FUZZ_SEED, TORCHLET_FUZZ_MIN)

import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends } from "./util.js";
import { readZip, writeZip, zipData } from "../ts/io/zip.js";

const SECONDS = Number(process.env.TORCHLET_FUZZ_SECONDS ?? 2);
const SEED = Number(process.env.TORCHLET_FUZZ_SEED ?? 1234);
const MIN_MUTANTS = Number(process.env.TORCHLET_FUZZ_MIN ?? 1500);
const SLOW_MS = 2000;

const DIR = new URL("./fixtures/pt/", import.meta.url);
const fixture = (n: string) => new Uint8Array(readFileSync(new URL(n, DIR)));

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const mix = (a: number, b: number) => {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
};

interface Base {
  name: string;
  bytes: Uint8Array;
  kind: "zip" | "legacy" | "safetensors";
}
function bases(): Base[] {
  const names = [
    "tied_zip.pt",
    "tied_legacy.pt",
    "views_zip.pt",
    "views_legacy.pt",
    "dtypes_zip.pt",
    "dtypes_legacy.pt",
    "checkpoint_legacy_proto4.pt",
    "checkpoint_proto5.pt",
    "parameters_zip.pt",
    "model_legacy.pt",
    "dtypes.safetensors",
    "tied_deflate.pt",
    "single_tensor.pt",
  ];
  const out: Base[] = names.map((name) => {
    const bytes = fixture(name);
    return { name, bytes, kind: name.endsWith(".safetensors") ? "safetensors" : bytes[0] === 0x50 ? "zip" : "legacy" };
  });
  // torchlet-written files too
  const w = torch.arange(6).reshape(2, 3).float();
  out.push({
    name: "torchlet.safetensors",
    kind: "safetensors",
    bytes: torch.save({ w, b: torch.tensor([1, 2], { dtype: "int64" }), e: torch.zeros(0) }, { metadata: { a: "b" } }),
  });
  out.push({
    name: "torchlet.pt",
    kind: "zip",
    bytes: torch.save({ m: { w, t: w.t() }, l: [1, "x", null, 2.5, 2n ** 70n], f: true }, { format: "pt" }),
  });
  return out;
}

type Step = { op: string; at: number; len: number; val: number[] };
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40];
const INT32S = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff, 0x10000, 8, 64];
const OPCODES = [
  0x28, 0x2e, 0x30, 0x31, 0x32, 0x46, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56,
  0x58, 0x61, 0x62, 0x63, 0x64, 0x7d, 0x65, 0x67, 0x68, 0x69, 0x6a, 0x6c, 0x5d, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74,
  0x29, 0x75, 0x47, 0x80, 0x81, 0x82, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x42, 0x43, 0x8c, 0x8d, 0x8e, 0x8f,
  0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x00, 0xff,
];

/** Applies steps to bytes (each step is replayable on its own). */
function apply(b: Uint8Array, steps: Step[]): Uint8Array {
  let x = b.slice();
  for (const s of steps) {
    const at = Math.min(s.at, x.length);
    switch (s.op) {
      case "set": {
        for (let k = 0; k < s.val.length && at + k < x.length; k++) x[at + k] = s.val[k];
        break;
      }
      case "xor": {
        if (at < x.length) x[at] ^= s.val[0];
        break;
      }
      case "truncate":
        x = x.slice(0, at);
        break;
      case "delete":
        x = new Uint8Array([...x.subarray(0, at), ...x.subarray(Math.min(x.length, at + s.len))]);
        break;
      case "insert":
        x = new Uint8Array([...x.subarray(0, at), ...s.val, ...x.subarray(at)]);
        break;
      case "dup":
        x = new Uint8Array([
          ...x.subarray(0, Math.min(x.length, at + s.len)),
          ...x.subarray(at, Math.min(x.length, at + s.len)),
          ...x.subarray(Math.min(x.length, at + s.len)),
        ]);
        break;
      case "u32": {
        if (at + 4 <= x.length) new DataView(x.buffer).setUint32(at, s.val[0] >>> 0, true);
        break;
      }
      case "u64": {
        if (at + 8 <= x.length) new DataView(x.buffer).setBigUint64(at, BigInt(s.val[0]), true);
        break;
      }
      case "u16": {
        if (at + 2 <= x.length) new DataView(x.buffer).setUint16(at, s.val[0] & 0xffff, true);
        break;
      }
      case "rezip":
        x = rezip(x);
        break; // re-computes every CRC (and moves nothing else) so content edits reach the parser
      default:
        throw new Error(`bad step ${s.op}`);
    }
  }
  return x;
}

/** Rewrites a zip with fresh CRCs over its (possibly mutated) stored records; unreadable zips stay as they are. */
function rezip(x: Uint8Array): Uint8Array {
  try {
    const e = readZip(x);
    const files: [string, Uint8Array][] = [];
    for (const en of e.values()) {
      const start = (en as unknown as { start: number }).start;
      files.push([en.name, en.method === 0 ? x.subarray(start, start + en.compSize) : zipData(x, en)]);
    }
    return writeZip(files);
  } catch {
    return x;
  }
}

/** Where the pickle bytes of a base are (zip: data.pkl's data; legacy: the whole file). */
function pickleRange(base: Base): [number, number] {
  if (base.kind === "legacy") return [0, base.bytes.length];
  if (base.kind === "zip") {
    for (const en of readZip(base.bytes).values()) {
      if (en.name.endsWith("/data.pkl") && en.method === 0) {
        const s = (en as unknown as { start: number }).start;
        return [s, s + en.compSize];
      }
    }
  }
  const n = Number(new DataView(base.bytes.buffer).getBigUint64(0, true));
  return [8, 8 + n]; // safetensors: the JSON header
}
/** Offsets of zip record signatures (local, central, end records). */
function zipHeaders(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let k = 0; k + 4 <= b.length; k++)
    if (b[k] === 0x50 && b[k + 1] === 0x4b && b[k + 2] <= 7 && b[k + 3] <= 8 && b[k + 2] >= 1) out.push(k);
  return out;
}

function mutate(base: Base, r: () => number): Step[] {
  const n = base.bytes.length;
  const int = (k: number) => Math.floor(r() * k);
  const pick = <T>(a: T[]) => a[int(a.length)];
  const steps: Step[] = [];
  const count = 1 + int(r() < 0.7 ? 2 : 6);
  const [ps, pe] = pickleRange(base);
  const inPickle = () => ps + int(Math.max(1, pe - ps));
  let rezipAfter = false;
  for (let i = 0; i < count; i++) {
    const kind = int(10);
    if (kind === 0) steps.push({ op: "xor", at: int(n), len: 1, val: [1 << int(8)] });
    else if (kind === 1) steps.push({ op: "set", at: int(n), len: 1, val: [pick(INTERESTING)] });
    else if (kind === 2) steps.push({ op: "truncate", at: int(n), len: 0, val: [] });
    else if (kind === 3) {
      const o = int(3);
      if (o === 0) steps.push({ op: "delete", at: int(n), len: 1 + int(16), val: [] });
      else if (o === 1)
        steps.push({ op: "insert", at: int(n), len: 0, val: Array.from({ length: 1 + int(8) }, () => int(256)) });
      else steps.push({ op: "dup", at: int(n), len: 1 + int(64), val: [] });
    } else if (kind === 4 || kind === 5) {
      // length fields: safetensors header length, zip sizes/offsets/name lengths
      if (base.kind === "safetensors")
        steps.push({
          op: "u64",
          at: 0,
          len: 8,
          val: [
            pick([
              0,
              1,
              2,
              n,
              n - 8,
              n - 7,
              2 ** 40,
              100_000_001,
              Number(new DataView(base.bytes.buffer).getBigUint64(0, true)) + pick([-1, 1, 8]),
            ]),
          ],
        });
      else if (base.kind === "zip") {
        const hs = zipHeaders(base.bytes);
        const h = hs.length ? pick(hs) : 0;
        const field = pick([8, 10, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 42, 12, 40, 48, 4, 6]);
        if (r() < 0.5) steps.push({ op: "u32", at: h + field, len: 4, val: [pick(INT32S)] });
        else steps.push({ op: "u16", at: h + field, len: 2, val: [pick([0, 1, 0xffff, 0x8000, 46, 30])] });
        if (r() < 0.5) rezipAfter = true;
      } else {
        // legacy: a BINUNICODE/BININT/LONG length or the storages' 8-byte counts
        const at = inPickle();
        steps.push(
          r() < 0.5
            ? { op: "u32", at, len: 4, val: [pick(INT32S)] }
            : { op: "u64", at: int(n), len: 8, val: [pick([0, 1, 2 ** 32, 2 ** 50, 7])] },
        );
      }
    } else if (kind === 6 || kind === 7) {
      // pickle opcode / argument corruption (safetensors: JSON header characters)
      const at = inPickle();
      if (base.kind === "safetensors")
        steps.push({
          op: "set",
          at,
          len: 1,
          val: [pick([0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x3a, 0x2c, 0x30, 0x31, 0x39, 0x2d, 0x20, 0x5c, 0x65, 0x2e, 0x41])],
        });
      else steps.push({ op: "set", at, len: 1, val: [pick(OPCODES)] });
      if (base.kind === "zip") rezipAfter = true;
    } else if (kind === 8) {
      // zip header corruption: bytes of a header record
      if (base.kind === "zip") {
        const hs = zipHeaders(base.bytes);
        const h = hs.length ? pick(hs) : 0;
        steps.push({ op: "set", at: h + int(46), len: 1, val: [int(256)] });
      } else steps.push({ op: "set", at: int(n), len: 1, val: [int(256)] });
    } else {
      // the pickle/header with several bytes replaced at once
      const at = inPickle();
      steps.push({
        op: "set",
        at,
        len: 4,
        val: Array.from({ length: 1 + int(4) }, () => (r() < 0.5 ? pick(OPCODES) : int(256))),
      });
      if (base.kind === "zip") rezipAfter = true;
    }
  }
  if (rezipAfter) steps.push({ op: "rezip", at: 0, len: 0, val: [] });
  return steps;
}

const STATS = process.env.TORCHLET_FUZZ_STATS ? new Map<string, number>() : null;
const count = (k: string) => STATS?.set(k, (STATS.get(k) ?? 0) + 1);

/** Loads one mutant; returns a problem description, or null when it is a clean error or a sound load. */
function probe(bytes: Uint8Array): string | null {
  const t0 = performance.now();
  let out: unknown;
  try {
    out = torch.load(bytes);
  } catch (e) {
    const ms = performance.now() - t0;
    if (ms > SLOW_MS) return `slow error (${ms.toFixed(0)} ms)`;
    if (e instanceof torch.LoadError && e.message.startsWith("torch.load: ")) {
      count(
        e.message
          .replace(/\d+/g, "N")
          .replace(/"[^"]*"/g, "S")
          .slice(0, 90),
      );
      return null;
    }
    return `not a LoadError: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack?.split("\n").slice(1, 4).join("\n")}`;
  }
  const ms = performance.now() - t0;
  if (ms > SLOW_MS) return `slow load (${ms.toFixed(0)} ms)`;
  // a sound load: every tensor is in bounds of its storage, readable, and all storages together
  // are within a small multiple of the file's size (int8 -> int64 is the largest widening: 8x)
  const storages = new Set<object>();
  let bytesHeld = 0;
  const seen = new Set<object>();
  const tensors: torch.Tensor[] = [];
  const walk = (v: unknown, depth: number): string | null => {
    if (v === null || typeof v !== "object" || seen.has(v)) return null;
    seen.add(v);
    if (v instanceof torch.Tensor) {
      tensors.push(v);
      const s = v.storage;
      if (!storages.has(s)) {
        storages.add(s);
        bytesHeld += s.size * 8;
      }
      if (v.numel() > 0) {
        let last = v.offset;
        v.shape.forEach((d, k) => {
          last += (d - 1) * v.strides[k];
        });
        if (last >= s.size || v.offset < 0)
          return `tensor view out of bounds (offset ${v.offset}, shape [${v.shape}], strides [${v.strides}], storage ${s.size})`;
        if (v.numel() <= 1 << 16) v.tolist();
      }
      return null;
    }
    if (v instanceof Uint8Array) return null;
    for (const x of v instanceof Set ? [...v] : Object.values(v as object)) {
      const p = walk(x, depth + 1);
      if (p) return p;
    }
    return null;
  };
  try {
    const p = walk(out, 0);
    if (p) return p;
  } catch (e) {
    return `reading the loaded tensors failed: ${(e as Error).message}`;
  } finally {
    for (const t of tensors) t.dispose();
  }
  if (bytesHeld > 8 * bytes.length + 64) return `tensors hold ${bytesHeld} bytes for a ${bytes.length}-byte file`;
  count("(loaded)");
  return null;
}

const show = (steps: Step[]) =>
  steps
    .map((s) => `${s.op}@${s.at}${s.len ? `+${s.len}` : ""}${s.val.length ? `=[${s.val.join(",")}]` : ""}`)
    .join(" ");

describeBackends("io: file fuzzer", (backend) => {
  it(
    `seeded mutants of safetensors, zip and legacy .pt files load or fail with a LoadError (seed ${SEED}, ${SECONDS}s, >= ${MIN_MUTANTS} mutants)`,
    () => {
      const bs = bases();
      for (const b of bs) expect(probe(b.bytes), `${b.name} loads unmutated`).toBeNull();
      const t0 = performance.now();
      let iter = 0;
      const failures: string[] = [];
      while ((performance.now() - t0 < SECONDS * 1000 || iter < MIN_MUTANTS) && failures.length < 5) {
        const r = rng(mix(SEED, iter));
        const base = bs[Math.floor(r() * bs.length)];
        let steps = mutate(base, r);
        const problem = probe(apply(base.bytes, steps));
        if (problem === null) {
          iter++;
          continue;
        }
        // minimise: drop steps while it still fails the same way
        const kind = problem.split(":")[0];
        for (let k = steps.length - 1; k >= 0; k--) {
          const fewer = steps.filter((_, j) => j !== k);
          const p = probe(apply(base.bytes, fewer));
          if (p !== null && p.split(":")[0] === kind) steps = fewer;
        }
        const mutant = apply(base.bytes, steps);
        const path = join(mkdtempSync(join(tmpdir(), "torchlet-fuzz-")), `mutant-${SEED}-${iter}.bin`);
        writeFileSync(path, mutant);
        failures.push(
          `[${backend}] seed ${SEED} iteration ${iter}: base ${base.name}, steps: ${show(steps)}\n  ${problem}\n  mutant written to ${path} (torch.load(fs.readFileSync(path)) reproduces it)`,
        );
        iter++;
      }
      if (STATS)
        console.log(
          [...STATS.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${String(v).padStart(6)}  ${k}`)
            .join("\n"),
        );
      if (failures.length) console.error(failures.join("\n"));
      expect(failures, failures.join("\n")).toEqual([]);
      console.log(
        `[${backend}] file fuzzer: ${iter} mutants in ${((performance.now() - t0) / 1000).toFixed(1)} s, seed ${SEED}`,
      );
      expect(iter).toBeGreaterThanOrEqual(MIN_MUTANTS);
    },
    (SECONDS + 120) * 1000,
  );
});
