// Tensor.toString(): PyTorch's repr (torch/_tensor_str.py with the default print options:
// precision 4, threshold 1000, edgeitems 3, linewidth 80), e.g.
//   tensor([[1., 2.],
//           [3., 4.]], requires_grad=True)

import type { Tensor } from "./tensor.js";

const PRECISION = 4,
  THRESHOLD = 1000,
  EDGE = 3,
  LINEWIDTH = 80;

// ------------------------------------------------------------------ Python-exact number formatting
// JS's toFixed/toExponential round exact ties away from zero; Python's format() rounds them to
// even. A double x = M * 2^E (M odd) is an exact tie at q decimals iff 2 * x * 10^q is an odd integer.

function isTieAt(x: number, q: number): boolean {
  const ax = Math.abs(x);
  if (q >= 0) {
    const z = ax * 2 ** (q + 1); // exact (power-of-two scaling)
    return Number.isInteger(z) && z % 2 === 1;
  }
  const z = ax * 2 ** (q + 1),
    p5 = 5 ** -q;
  if (!Number.isInteger(z) || z >= 2 ** 53 || z % p5 !== 0) return false;
  return (z / p5) % 2 === 1;
}

/** Python's '{:.{p}f}'.format(x). */
export function pyFixed(x: number, p: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  let s = x.toFixed(p);
  if (Math.abs(x) < 1e21 && isTieAt(x, p)) {
    const exact = x.toFixed(p + 1); // ends in "5"
    const down = p === 0 ? exact.slice(0, -2) : exact.slice(0, -1);
    const last = down.charCodeAt(down.length - 1) - 48;
    if (last % 2 === 0) s = down;
  }
  if (Object.is(x, -0) || (x < 0 && /^-?[0.]+$/.test(s) && !s.startsWith("-"))) s = "-" + s.replace(/^-/, "");
  return s;
}

/** Python's '{:.{p}e}'.format(x) (exponent with at least two digits). */
export function pyExp(x: number, p: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  let s = x.toExponential(p);
  if (x !== 0) {
    const e = Math.floor(Math.log10(Math.abs(x)));
    // the decimal exponent of x itself (log10 may be off by one near powers of ten)
    let ee = e;
    if (Math.abs(x) >= 10 ** (e + 1)) ee = e + 1;
    else if (Math.abs(x) < 10 ** e) ee = e - 1;
    if (isTieAt(x, p - ee)) {
      const exact = x.toExponential(p + 1);
      const [m, ex] = exact.split("e");
      const down = m.slice(0, -1).replace(/\.$/, "");
      const last = down.charCodeAt(down.length - 1) - 48;
      if (last % 2 === 0) s = `${down}e${ex}`;
    }
  }
  const [m, e] = s.split("e");
  const ev = parseInt(e, 10);
  const mant = Object.is(x, -0) ? "-" + m : m;
  return `${mant}e${ev < 0 ? "-" : "+"}${String(Math.abs(ev)).padStart(2, "0")}`;
}

// ------------------------------------------------------------------ the formatter (_Formatter)

class Formatter {
  intMode = true;
  sciMode = false;
  maxWidth = 1;
  constructor(
    private readonly floating: boolean,
    values: number[],
    private readonly isBool = false,
  ) {
    if (!floating) {
      for (const v of values) this.maxWidth = Math.max(this.maxWidth, this.str(v).length);
      return;
    }
    const nz = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (!nz.length) return;
    const abs = nz.map(Math.abs);
    let mn = Infinity,
      mx = 0;
    for (const a of abs) {
      if (a < mn) mn = a;
      if (a > mx) mx = a;
    }
    for (const v of nz)
      if (v !== Math.ceil(v)) {
        this.intMode = false;
        break;
      }
    if (this.intMode) {
      if (mx / mn > 1000 || mx > 1e8) {
        this.sciMode = true;
        for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyExp(v, PRECISION).length);
      } else {
        for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyFixed(v, 0).length + 1);
      }
    } else if (mx / mn > 1000 || mx > 1e8 || mn < 1e-4) {
      this.sciMode = true;
      for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyExp(v, PRECISION).length);
    } else {
      for (const v of nz) this.maxWidth = Math.max(this.maxWidth, pyFixed(v, PRECISION).length);
    }
  }
  width(): number {
    return this.maxWidth;
  }
  format(v: number): string {
    let s: string;
    if (this.floating) {
      if (this.sciMode) s = pyExp(v, PRECISION);
      else if (this.intMode) {
        s = pyFixed(v, 0);
        if (Number.isFinite(v)) s += ".";
      } else s = pyFixed(v, PRECISION);
    } else s = this.str(v);
    return s.padStart(this.maxWidth);
  }
  /** An integer or bool element as Python prints it. */
  private str(v: number): string {
    return this.isBool ? (v ? "True" : "False") : String(v);
  }
}

// ------------------------------------------------------------------ nested arrays

type Nested = number | Nested[];

function build(data: ArrayLike<number>, shape: number[]): Nested {
  if (shape.length === 0) return data[0];
  const strides: number[] = [];
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = acc;
    acc *= shape[k];
  }
  const rec = (d: number, off: number): Nested[] =>
    Array.from({ length: shape[d] }, (_, k) =>
      d === shape.length - 1 ? data[off + k] : rec(d + 1, off + k * strides[d]),
    );
  return rec(0, 0);
}

/** get_summarized_data: the first and last EDGE entries of every dimension. */
function summarized(t: Nested): Nested {
  if (!Array.isArray(t)) return t;
  const pick = t.length > 2 * EDGE ? [...t.slice(0, EDGE), ...t.slice(t.length - EDGE)] : t;
  return pick.map(summarized);
}
function flat(t: Nested, out: number[] = []): number[] {
  if (Array.isArray(t)) for (const x of t) flat(x, out);
  else out.push(t);
  return out;
}

function vectorStr(v: number[], indent: number, summarize: boolean, f: Formatter): string {
  const elementLength = f.width() + 2;
  const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / elementLength));
  const data =
    summarize && v.length > 2 * EDGE
      ? [...v.slice(0, EDGE).map((x) => f.format(x)), " ...", ...v.slice(v.length - EDGE).map((x) => f.format(x))]
      : v.map((x) => f.format(x));
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

function tensorStr(t: Nested, dim: number, indent: number, summarize: boolean, f: Formatter): string {
  if (dim === 0) return f.format(t as number);
  const arr = t as Nested[];
  if (dim === 1) return vectorStr(arr as number[], indent, summarize, f);
  const sub = (x: Nested) => tensorStr(x, dim - 1, indent + 1, summarize, f);
  const slices =
    summarize && arr.length > 2 * EDGE
      ? [...arr.slice(0, EDGE).map(sub), "...", ...arr.slice(arr.length - EDGE).map(sub)]
      : arr.map(sub);
  return "[" + slices.join("," + "\n".repeat(dim - 1) + " ".repeat(indent + 1)) + "]";
}

function addSuffixes(tensorString: string, suffixes: string[], indent: number): string {
  const parts = [tensorString];
  let lastLineLen = tensorString.length - tensorString.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > LINEWIDTH) {
      parts.push(",\n" + " ".repeat(indent) + s);
      lastLineLen = indent + s.length;
    } else {
      parts.push(", " + s);
      lastLineLen += s.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return "tensor(<disposed>)";
  const prefix = "tensor(";
  const indent = prefix.length;
  const shape = t.shape;
  const numel = shape.reduce((p, d) => p * d, 1);
  const suffixes: string[] = [];
  let body: string;
  if (numel === 0) {
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(", ")}${shape.length === 1 ? "," : ""})`);
    if (t.dtype !== "float32") suffixes.push(`dtype=torch.${t.dtype}`);
    body = "[]";
  } else {
    const data = t.dataSync() as ArrayLike<number>;
    const nested = build(data, shape);
    const summarize = numel > THRESHOLD;
    const f = new Formatter(t.dtype === "float32", flat(summarize ? summarized(nested) : nested), t.dtype === "bool");
    body = tensorStr(nested, shape.length, indent, summarize, f);
  }
  if (t.gradFn) suffixes.push(`grad_fn=<${t.gradFn.name}0>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + body, suffixes, indent);
}
