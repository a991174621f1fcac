// Kernel-level comparison helpers shared by the Rust-backend suites: run the same kernel calls on
// the js reference and on another backend and compare every output (NaN-filled outputs must be overwritten).
import { JsBackend } from "../ts/backends/js.js";
import type { Backend, ConvGeom, DType, Storage } from "../ts/backends/types.js";
import { expectClose } from "./util.js";

const ref = new JsBackend();

export type Maker = (data: ArrayLike<number> | number, dtype?: DType) => Storage;
/** Runs `f` on the reference and on `b` with the same inputs; compares every storage it returns. */
export function same(
  b: Backend,
  what: string,
  f: (b: Backend, mk: Maker) => (Storage | null)[],
  rtol = 1e-5,
  atol = 1e-6,
) {
  const run = (be: Backend) => {
    const made: Storage[] = [];
    const mk: Maker = (data, dtype = "float32") => {
      const n = typeof data === "number" ? data : data.length;
      const s = be.alloc(n, dtype);
      made.push(s);
      if (typeof data === "number") be.fill(s, dtype === "int64" ? 0 : NaN);
      else be.view(s).set(data as ArrayLike<number>);
      return s;
    };
    const outs = f(be, mk).map((s) => (s ? Array.from(be.view(s)) : []));
    for (const s of made) be.free(s);
    return outs;
  };
  const want = run(ref),
    got = run(b);
  want.forEach((w, i) => expectClose(got[i], w, atol, rtol, `${what} [output ${i}]`));
}

export function convGeom(
  N: number,
  C: number,
  O: number,
  groups: number,
  inp: number[],
  k: number[],
  s: number[],
  p: number[],
  d: number[],
): ConvGeom {
  const out = inp.map((n, i) => Math.floor((n + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1);
  return {
    N,
    C,
    O,
    groups,
    inD: inp[0],
    inH: inp[1],
    inW: inp[2],
    kD: k[0],
    kH: k[1],
    kW: k[2],
    sD: s[0],
    sH: s[1],
    sW: s[2],
    pD: p[0],
    pH: p[1],
    pW: p[2],
    dD: d[0],
    dH: d[1],
    dW: d[2],
    outD: out[0],
    outH: out[1],
    outW: out[2],
  };
}

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
/** n floats uniform in [lo, hi) from a fixed seed. */
export function rand(n: number, seed = n, lo = -2, hi = 2): number[] {
  const r = rng(seed * 7919 + 17);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}
/** n integers uniform in [0, hi) from a fixed seed. */
export function randInt(n: number, hi: number, seed = n): number[] {
  const r = rng(seed * 104729 + 3);
  return Array.from({ length: n }, () => Math.floor(r() * hi));
}
/** Element counts of a conv's x, w and y. */
export const numel = (g: ConvGeom) => ({
  x: g.N * g.C * g.inD * g.inH * g.inW,
  w: g.O * (g.C / g.groups) * g.kD * g.kH * g.kW,
  y: g.N * g.O * g.outD * g.outH * g.outW,
});
