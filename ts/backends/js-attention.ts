// The js reference of the fused attention kernels (crates/kernels/src/attention.rs): the documented
// formula softmax(scale * q k^T + mask) v, one full score row at a time, and its backward.

import type { AttnGeom, ElemArray } from "./types.js";

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
  const qb = g.qOff + bh * g.qsB + i * g.qsL;
  const mb = g.mOff + Math.floor(bh / g.heads) * g.msB + (bh % g.heads) * g.msH + i * g.msL;
  for (let j = 0; j < g.S; j++) {
    const kb = g.kOff + bh * g.ksB + j * g.ksL;
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
    for (let i = 0; i < g.L; i++) {
      scoreRow(g, q, k, m, bh, i, row);
      lse[bh * g.L + i] = g.S === 0 ? NaN : softmaxRow(row);
      const ob = (bh * g.L + i) * g.Ev;
      for (let t = 0; t < g.Ev; t++) {
        let acc = g.S === 0 ? NaN : 0;
        for (let j = 0; j < g.S; j++) acc += row[j] * v[g.vOff + bh * g.vsB + j * g.vsL + t];
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
  dq.fill(0, 0, g.BH * L * E);
  dk.fill(0, 0, g.BH * S * E);
  dv.fill(0, 0, g.BH * S * Ev);
  const row = new Float64Array(S);
  for (let bh = 0; bh < g.BH; bh++) {
    for (let i = 0; i < L; i++) {
      scoreRow(g, q, k, m, bh, i, row);
      const li = lse[bh * L + i],
        ob = (bh * L + i) * Ev;
      let di = 0;
      for (let t = 0; t < Ev; t++) di += gout[ob + t] * out[ob + t];
      const qb = g.qOff + bh * g.qsB + i * g.qsL;
      for (let j = 0; j < S; j++) {
        const p = Number.isNaN(li) ? NaN : row[j] === -Infinity ? 0 : Math.exp(row[j] - li);
        if (p === 0) continue;
        const vb = g.vOff + bh * g.vsB + j * g.vsL,
          kb = g.kOff + bh * g.ksB + j * g.ksL;
        let dp = 0;
        for (let t = 0; t < Ev; t++) {
          dp += gout[ob + t] * v[vb + t];
          dv[(bh * S + j) * Ev + t] += p * gout[ob + t];
        }
        const ds = p * (dp - di) * g.scale;
        for (let t = 0; t < E; t++) {
          dq[(bh * L + i) * E + t] += ds * k[kb + t];
          dk[(bh * S + j) * E + t] += ds * q[qb + t];
        }
      }
    }
  }
}
