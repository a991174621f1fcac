// Tensor.toString(): PyTorch's repr, e.g. tensor([[1., 2.], [3., 4.]], requires_grad=True).

import type { Tensor } from "./tensor.js";

const EDGE = 3, THRESHOLD = 1000;

function fmtScalar(v: number, mode: "int" | "float" | "sci" | "long"): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  switch (mode) {
    case "long": return String(v);
    case "int": return (Object.is(v, -0) ? "-0" : v.toFixed(0)) + ".";
    case "float": return v.toFixed(4);
    default: {
      const [m, e] = v.toExponential(4).split("e");
      const ev = parseInt(e, 10);
      return `${m}e${ev < 0 ? "-" : "+"}${String(Math.abs(ev)).padStart(2, "0")}`;
    }
  }
}

export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return "tensor(<disposed>)";
  const data = Array.from(t.dataSync() as ArrayLike<number>);
  const shape = t.shape;
  const summarize = data.length > THRESHOLD;
  let mode: "int" | "float" | "sci" | "long" = "long";
  if (t.dtype === "float32") {
    const finite = data.filter((v) => Number.isFinite(v));
    const allInt = finite.every((v) => Number.isInteger(v));
    const abs = finite.map(Math.abs).filter((v) => v > 0);
    const mx = abs.length ? Math.max(...abs) : 0, mn = abs.length ? Math.min(...abs) : 0;
    if (allInt) mode = mx >= 1e8 ? "sci" : "int";
    else mode = mx / mn > 1000 || mx >= 1e8 || mn < 1e-4 ? "sci" : "float";
  }
  const strs = data.map((v) => fmtScalar(v, mode));
  const width = Math.max(1, ...strs.map((s) => s.length));
  const pad = (s: string) => s.padStart(width);
  const prefix = "tensor(";
  const strides: number[] = [];
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) { strides[k] = acc; acc *= shape[k]; }

  const rec = (dim: number, off: number, indent: number): string => {
    if (dim === shape.length) return pad(strs[off]);
    const n = shape[dim];
    const idx: (number | null)[] = summarize && n > 2 * EDGE
      ? [...Array.from({ length: EDGE }, (_, k) => k), null, ...Array.from({ length: EDGE }, (_, k) => n - EDGE + k)]
      : Array.from({ length: n }, (_, k) => k);
    if (dim === shape.length - 1) {
      return "[" + idx.map((k) => (k === null ? "..." : pad(strs[off + k]))).join(", ") + "]";
    }
    const sep = ",\n" + "\n".repeat(shape.length - dim - 2) + " ".repeat(indent + 1);
    return "[" + idx.map((k) => (k === null ? "..." : rec(dim + 1, off + k * strides[dim], indent + 1))).join(sep) + "]";
  };
  let body = shape.length === 0 ? strs[0] : rec(0, 0, prefix.length);
  if (shape.length > 0 && data.length === 0) body = "[]";
  const extras: string[] = [];
  if (t.dtype === "int64" && data.length === 0) extras.push("dtype=torch.int64");
  if (t.dtype === "float32" && data.length === 0 && shape.length > 0 && shape.some((d) => d !== 0)) extras.push(`size=(${shape.join(", ")})`);
  if (t.gradFn) extras.push(`grad_fn=<${t.gradFn.name}0>`);
  else if (t.requiresGrad) extras.push("requires_grad=True");
  return prefix + body + (extras.length ? ", " + extras.join(", ") : "") + ")";
}
