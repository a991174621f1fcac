// Differential op fuzzer: random shapes (zero sizes included), strided / transposed / broadcast
// views and random op chains with backward, run on js, wasm and native and compared. A fixed
// seed and a small case count in npm test; longer: `FUZZ_CASES=20000 FUZZ_SEED=7 npx vitest run test/op-fuzz.test.ts`.
// A failure prints the smallest chain that still fails, as code to paste.
import { expect, it } from "vitest";
import * as torch from "../ts/index.js";
import type { BackendName, Tensor } from "../ts/index.js";
import { BACKENDS } from "./util.js";

const CASES = Number(process.env.FUZZ_CASES ?? 250);
const SEED = Number(process.env.FUZZ_SEED ?? 1234);

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface View {
  kind: "plain" | "transpose" | "narrow" | "expand" | "step";
}
interface Case {
  shape: number[];
  data: number[];
  view: View["kind"];
  other: number[] | null;
  otherData: number[];
  ops: string[];
}

/** One op: the name and a function of (x, y); y is a second input broadcastable to x's shape. */
const OPS: Record<string, (x: Tensor, y: Tensor) => Tensor> = {
  add: (x, y) => x.add(y),
  sub: (x, y) => x.sub(y),
  mul: (x, y) => x.mul(y),
  div: (x, y) => x.div(y.abs().add(1)),
  maximum: (x, y) => x.maximum(y),
  neg: (x) => x.neg(),
  exp: (x) => x.clamp(-5, 5).exp(),
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  relu: (x) => x.relu(),
  abs: (x) => x.abs(),
  sqrt: (x) => x.abs().add(0.1).sqrt(),
  square: (x) => x.square(),
  sin: (x) => x.sin(),
  gelu: (x) => torch.F.gelu(x),
  silu: (x) => torch.F.silu(x),
  sumLast: (x) => (x.dim() ? x.sum(-1, true) : x),
  meanFirst: (x) => (x.dim() ? x.mean(0, true) : x),
  softmax: (x) => (x.dim() ? x.softmax(-1) : x),
  logSoftmax: (x) => (x.dim() ? x.logSoftmax(0) : x),
  amax: (x) => (x.dim() && x.shape[x.dim() - 1] > 0 ? x.amax(-1, true) : x),
  transpose: (x) => (x.dim() >= 2 ? x.transpose(0, x.dim() - 1) : x),
  flatten: (x) => x.flatten(),
  unsqueeze: (x) => x.unsqueeze(0),
  cumsum: (x) => (x.dim() ? x.cumsum(-1) : x),
  where: (x, y) => torch.where(x.gt(y), x, y),
  clampT: (x) => x.clamp(-0.5, 0.5),
  selfMatmul: (x) => (x.dim() === 2 ? x.matmul(x.transpose(0, 1)) : x),
};
const OP_NAMES = Object.keys(OPS);

function makeCase(r: () => number): Case {
  const rank = Math.floor(r() * 4);
  const shape = Array.from({ length: rank }, () => (r() < 0.1 ? 0 : 1 + Math.floor(r() * 5)));
  const n = shape.reduce((a, b) => a * b, 1);
  const view = (["plain", "transpose", "narrow", "expand", "step"] as const)[Math.floor(r() * 5)];
  // the second operand: same shape, a broadcastable shape (1s), or a scalar
  const k = r();
  const other = k < 0.4 ? shape.slice() : k < 0.8 ? shape.map((d) => (r() < 0.5 ? 1 : d)) : [];
  const m = other.reduce((a, b) => a * b, 1);
  const rnd = () => Math.round((r() * 4 - 2) * 1000) / 1000;
  const ops = Array.from({ length: 1 + Math.floor(r() * 4) }, () => OP_NAMES[Math.floor(r() * OP_NAMES.length)]);
  return { shape, data: Array.from({ length: n }, rnd), view, other, otherData: Array.from({ length: m }, rnd), ops };
}

/** The case's input as the view it asks for, with the leaf that requires grad. */
function inputs(c: Case): { leaf: Tensor; x: Tensor; y: Tensor; yLeaf: Tensor } {
  const leaf = torch.tensor(c.data, { shape: c.shape, requiresGrad: true } as any);
  let x: Tensor = leaf;
  const d = c.shape.length;
  if (c.view === "transpose" && d >= 2) x = leaf.transpose(0, d - 1).transpose(0, d - 1);
  else if (c.view === "narrow" && d >= 1 && c.shape[d - 1] > 1)
    x = torch.cat([leaf, leaf], d - 1).narrow(d - 1, 1, c.shape[d - 1]);
  else if (c.view === "expand" && d >= 1)
    x = leaf
      .unsqueeze(0)
      .expand(2, ...c.shape)
      .select(0, 1);
  else if (c.view === "step" && d >= 1)
    x = torch.cat([leaf, leaf], d - 1).index(...Array(d - 1).fill(":"), "::2") as Tensor;
  const yLeaf = torch.tensor(c.otherData, { shape: c.other ?? [], requiresGrad: true } as any);
  return { leaf, x, y: yLeaf, yLeaf };
}

type Result = { out: number[]; shape: number[]; gx: number[]; gy: number[] } | { error: string };

function run(c: Case, ops = c.ops): Result {
  try {
    const { leaf, x, y, yLeaf } = inputs(c);
    let t = x;
    for (const op of ops) t = OPS[op](t, y);
    t.sum().backward();
    return {
      out: Array.from(t.toFloat32Array()),
      shape: t.shape.slice(),
      gx: leaf.grad ? Array.from(leaf.grad.toFloat32Array()) : [],
      gy: yLeaf.grad ? Array.from(yLeaf.grad.toFloat32Array()) : [],
    };
  } catch (e) {
    return { error: String((e as Error).message).split("\n")[0] };
  }
}

const close = (a: number, b: number) =>
  Number.isNaN(a) || Number.isNaN(b)
    ? Number.isNaN(a) && Number.isNaN(b)
    : !Number.isFinite(a) || !Number.isFinite(b)
      ? a === b
      : Math.abs(a - b) <= 2e-4 + 2e-4 * Math.abs(b);
function differs(a: Result, b: Result): string | null {
  if ("error" in a || "error" in b)
    return "error" in a && "error" in b ? null : `one threw: ${"error" in a ? a.error : (b as any).error}`;
  if (a.shape.join() !== b.shape.join()) return `shape [${a.shape}] vs [${b.shape}]`;
  for (const key of ["out", "gx", "gy"] as const) {
    if (a[key].length !== b[key].length) return `${key} length ${a[key].length} vs ${b[key].length}`;
    const i = a[key].findIndex((v, k) => !close(v, b[key][k]));
    if (i >= 0) return `${key}[${i}]: ${a[key][i]} vs ${b[key][i]}`;
  }
  return null;
}

function reproducer(c: Case, ops: string[], names: BackendName[], why: string): string {
  return (
    `op fuzzer (seed ${SEED}): ${names.join(" vs ")} differ: ${why}\n` +
    `  input: shape [${c.shape}] view "${c.view}", data ${JSON.stringify(c.data)}\n` +
    `  other: shape [${c.other}] data ${JSON.stringify(c.otherData)}\n  chain: ${ops.join(" -> ")} -> sum().backward()`
  );
}

it(`js, wasm and native agree on ${CASES} random op chains (views, broadcasting, zero sizes, backward)`, async () => {
  const r = rng(SEED);
  const cases = Array.from({ length: CASES }, () => makeCase(r));
  const results = new Map<BackendName, Result[]>();
  for (const b of BACKENDS) {
    await torch.init({ backend: b, threads: 1 });
    results.set(
      b,
      cases.map((c) => run(c)),
    );
  }
  const [ref, ...rest] = BACKENDS;
  const failures: string[] = [];
  for (const b of rest) {
    for (let i = 0; i < cases.length && failures.length < 3; i++) {
      const why = differs(results.get(ref)![i], results.get(b)![i]);
      if (!why) continue;
      // shrink: drop ops while the two backends still differ
      let ops = cases[i].ops.slice();
      for (let k = ops.length - 1; k >= 0 && ops.length > 1; k--) {
        const fewer = ops.filter((_, j) => j !== k);
        await torch.init({ backend: ref, threads: 1 });
        const ra = run(cases[i], fewer);
        await torch.init({ backend: b, threads: 1 });
        const rb = run(cases[i], fewer);
        if (differs(ra, rb)) ops = fewer;
      }
      failures.push(reproducer(cases[i], ops, [ref, b], why));
    }
  }
  const threw = results.get(ref)!.filter((x) => "error" in x).length;
  if (process.env.FUZZ_VERBOSE)
    console.log(
      `${threw} of ${cases.length} threw on ${ref}:`,
      [
        ...new Set(
          results
            .get(ref)!
            .filter((x) => "error" in x)
            .map((x) => (x as { error: string }).error),
        ),
      ].slice(0, 8),
    );
  expect(threw, "most chains run (the generator makes valid cases)").toBeLessThan(cases.length * 0.2);
  expect(failures, failures.join("\n\n")).toEqual([]);
}, 600_000);

it("the comparison catches a wrong element, a NaN mismatch and a one-sided error", () => {
  const a: Result = { out: [1, 2, NaN], shape: [3], gx: [0.5], gy: [] };
  expect(differs(a, { ...a })).toBe(null);
  expect(differs(a, { ...a, out: [1, 2.01, NaN] })).toMatch(/out\[1\]/);
  expect(differs(a, { ...a, out: [1, 2, 0] })).toMatch(/out\[2\]/);
  expect(differs(a, { ...a, gx: [0.5, 0] })).toMatch(/gx length/);
  expect(differs(a, { error: "boom" })).toMatch(/one threw/);
});
