// The js reference of the fused attention kernels (crates/kernels/src/attention.rs): the documented
// formula softmax(scale * q k^T + mask) v, one full score row at a time, and its backward. Every
// operand is read / written at off + b*sB + h*sH + row*sL + col (bh = b*heads + h).

import type { AttnGeom, ElemArray } from "./types.js";

/** Element offset of (item bh, row 0, col 0) of an operand. */
function base(g: AttnGeom, bh: number, off: number, sB: number, sH: number): number {
  return off + Math.floor(bh / g.heads) * sB + (bh % g.heads) * sH;
}

/** Score row i of item bh (every key j), causal and mask applied. */
function scoreRow(
  g: AttnGeom,
  q: ElemArray,
  k: ElemArray,
  m: ElemArray | null,
  bh: number,
  i: number,
  row: Float64Array,
): void {
  const qb = base(g, bh, g.qOff, g.qsB, g.qsH) + i * g.qsL;
  const mb = base(g, bh, g.mOff, g.msB, g.msH) + i * g.msL;
  const kb0 = base(g, bh, g.kOff, g.ksB, g.ksH);
  for (let j = 0; j < g.S; j++) {
    const kb = kb0 + j * g.ksL;
    let d = 0;
    for (let t = 0; t < g.E; t++) d += q[qb + t] * k[kb + t];
    let x = g.scale * d;
    if (m) x += m[mb + j * g.msS];
    if (g.causal && j > i) x = -Infinity;
    row[j] = x;
  }
}

/** Softmax of row in place; returns its log-sum-exp (NaN when every entry is -inf). */
function softmaxRow(row: Float64Array): number {
  let mx = -Infinity;
  for (const x of row) if (x > mx || Number.isNaN(x)) mx = x;
  if (mx === -Infinity) {
    row.fill(NaN);
    return NaN;
  }
  let s = 0;
  for (let j = 0; j < row.length; j++) {
    row[j] = Math.exp(row[j] - mx);
    s += row[j];
  }
  for (let j = 0; j < row.length; j++) row[j] /= s;
  return mx + Math.log(s);
}

export function attention(
  g: AttnGeom,
  q: ElemArray,
  k: ElemArray,
  v: ElemArray,
  m: ElemArray | null,
  out: ElemArray,
  lse: ElemArray,
): void {
  const row = new Float64Array(g.S);
  for (let bh = 0; bh < g.BH; bh++) {
    const vb = base(g, bh, g.vOff, g.vsB, g.vsH);
    for (let i = 0; i < g.L; i++) {
      scoreRow(g, q, k, m, bh, i, row);
      lse[bh * g.L + i] = g.S === 0 ? NaN : softmaxRow(row);
      const ob = base(g, bh, g.oOff, g.osB, g.osH) + i * g.osL;
      for (let t = 0; t < g.Ev; t++) {
        let acc = g.S === 0 ? NaN : 0;
        for (let j = 0; j < g.S; j++) acc += row[j] * v[vb + j * g.vsL + t];
        out[ob + t] = acc;
      }
    }
  }
}

export function attentionGrad(
  g: AttnGeom,
  q: ElemArray,
  k: ElemArray,
  v: ElemArray,
  m: ElemArray | null,
  out: ElemArray,
  lse: ElemArray,
  gout: ElemArray,
  dq: ElemArray,
  dk: ElemArray,
  dv: ElemArray,
): void {
  const { L, S, E, Ev } = g;
  const zero = (a: ElemArray, bh: number, off: number, sB: number, sH: number, sL: number, rows: number, n: number) => {
    const b0 = base(g, bh, off, sB, sH);
    for (let r = 0; r < rows; r++) a.fill(0, b0 + r * sL, b0 + r * sL + n);
  };
  const row = new Float64Array(S);
  for (let bh = 0; bh < g.BH; bh++) {
    zero(dq, bh, g.dqOff, g.dqsB, g.dqsH, g.dqsL, L, E);
    zero(dk, bh, g.dkOff, g.dksB, g.dksH, g.dksL, S, E);
    zero(dv, bh, g.dvOff, g.dvsB, g.dvsH, g.dvsL, S, Ev);
  }
  for (let bh = 0; bh < g.BH; bh++) {
    const qb0 = base(g, bh, g.qOff, g.qsB, g.qsH),
      kb0 = base(g, bh, g.kOff, g.ksB, g.ksH),
      vb0 = base(g, bh, g.vOff, g.vsB, g.vsH);
    const dqb = base(g, bh, g.dqOff, g.dqsB, g.dqsH),
      dkb = base(g, bh, g.dkOff, g.dksB, g.dksH),
      dvb = base(g, bh, g.dvOff, g.dvsB, g.dvsH);
    for (let i = 0; i < L; i++) {
      scoreRow(g, q, k, m, bh, i, row);
      const li = lse[bh * L + i];
      const orow = base(g, bh, 0, g.osB, g.osH) + i * g.osL,
        ob = g.oOff + orow,
        gb = g.goOff + orow;
      let di = 0;
      for (let t = 0; t < Ev; t++) di += gout[gb + t] * out[ob + t];
      const qb = qb0 + i * g.qsL;
      for (let j = 0; j < S; j++) {
        const p = Number.isNaN(li) ? NaN : row[j] === -Infinity ? 0 : Math.exp(row[j] - li);
        if (p === 0) continue;
        const vb = vb0 + j * g.vsL,
          kb = kb0 + j * g.ksL;
        let dp = 0;
        for (let t = 0; t < Ev; t++) {
          dp += gout[gb + t] * v[vb + t];
          dv[dvb + j * g.dvsL + t] += p * gout[gb + t];
        }
        const ds = p * (dp - di) * g.scale;
        for (let t = 0; t < E; t++) {
          dq[dqb + i * g.dqsL + t] += ds * k[kb + t];
          dk[dkb + j * g.dksL + t] += ds * q[qb + t];
        }
      }
    }
  }
}
