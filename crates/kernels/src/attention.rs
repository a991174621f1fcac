//! Fused scaled-dot-product attention (flash-attention style): softmax(scale * Q K^T + mask) V
//! computed one block of queries x one block of keys at a time with an online softmax, so no
//! thread ever holds more than a BR x BC block of the score matrix; the backward recomputes the
//! scores block-wise from the saved log-sum-exp of each query row. Threaded over batch * heads.
use crate::linalg::SendPtr;
use crate::{par, simd, simd_fn};

/// Query rows per block.
const BR: usize = 16;
/// Key columns per block.
const BC: usize = 64;

/// Geometry of one attention call. q is [bh, l, e], k [bh, s, e], v [bh, s, ev], each row
/// contiguous (element stride 1) with its own batch stride (`*_sb`) and row stride (`*_sl`), so
/// e.g. MultiheadAttention's [L, B*H, hd] projections are read in place. The additive float mask
/// (optional) is read at `b*m_sb + h*m_sh + i*m_sl + j*m_ss` with bh = b*heads + h (stride 0 on
/// broadcast dims). `causal` masks key j > query i (top-left aligned, as PyTorch's is_causal).
/// Outputs are dense: out [bh, l, ev], lse [bh, l].
#[derive(Clone, Copy, Debug)]
pub struct Attn {
    pub bh: usize,
    pub heads: usize,
    pub l: usize,
    pub s: usize,
    pub e: usize,
    pub ev: usize,
    pub scale: f32,
    pub causal: bool,
    pub q_sb: usize,
    pub q_sl: usize,
    pub k_sb: usize,
    pub k_sl: usize,
    pub v_sb: usize,
    pub v_sl: usize,
    pub m_sb: usize,
    pub m_sh: usize,
    pub m_sl: usize,
    pub m_ss: usize,
}

crate::abi_struct! {
    /// The integer part of an attention call's geometry as the ABI passes it (scale and causal
    /// follow as numbers): sizes, then the batch and row strides of q, k, v and the mask strides.
    pub struct AttnDims {
        bh = "BH", heads = "heads", l = "L", s = "S", e = "E", ev = "Ev",
        q_sb = "qsB", q_sl = "qsL", k_sb = "ksB", k_sl = "ksL", v_sb = "vsB", v_sl = "vsL",
        m_sb = "msB", m_sh = "msH", m_sl = "msL", m_ss = "msS",
    }
}

impl Attn {
    pub fn from_dims(d: &AttnDims, scale: f32, causal: bool) -> Attn {
        Attn {
            bh: d.bh,
            heads: d.heads,
            l: d.l,
            s: d.s,
            e: d.e,
            ev: d.ev,
            scale,
            causal,
            q_sb: d.q_sb,
            q_sl: d.q_sl,
            k_sb: d.k_sb,
            k_sl: d.k_sl,
            v_sb: d.v_sb,
            v_sl: d.v_sl,
            m_sb: d.m_sb,
            m_sh: d.m_sh,
            m_sl: d.m_sl,
            m_ss: d.m_ss,
        }
    }
    /// Elements of q, k, v and the mask that the strides reach (for bounds checks).
    pub fn q_len(&self) -> usize {
        span(self.bh, self.q_sb, self.l, self.q_sl, self.e)
    }
    pub fn k_len(&self) -> usize {
        span(self.bh, self.k_sb, self.s, self.k_sl, self.e)
    }
    pub fn v_len(&self) -> usize {
        span(self.bh, self.v_sb, self.s, self.v_sl, self.ev)
    }
    pub fn mask_len(&self) -> usize {
        if self.bh == 0 || self.l == 0 || self.s == 0 {
            return 0;
        }
        let heads = self.heads.max(1);
        let nb = self.bh.div_ceil(heads);
        (nb - 1) * self.m_sb + (heads - 1) * self.m_sh + (self.l - 1) * self.m_sl + (self.s - 1) * self.m_ss + 1
    }
    #[inline(always)]
    fn mask_base(&self, bh: usize) -> usize {
        let heads = self.heads.max(1);
        (bh / heads) * self.m_sb + (bh % heads) * self.m_sh
    }
}

fn span(n: usize, sb: usize, rows: usize, sl: usize, cols: usize) -> usize {
    if n == 0 || rows == 0 || cols == 0 {
        0
    } else {
        (n - 1) * sb + (rows - 1) * sl + cols
    }
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for t in 0..8 {
            acc[t] += x[t] * y[t];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// y += a * x
#[inline(always)]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (p, &v) in y.iter_mut().zip(x) {
        *p += a * v;
    }
}

/// dst[t * BC + jj] = src[base + (c0 + jj) * sl + t] for jj < c1 - c0, t < n: a block of rows
/// (keys or values) transposed, so a query row's products with the whole block are axpys over BC.
#[inline(always)]
fn pack_t(src: &[f32], base: usize, sl: usize, c0: usize, c1: usize, n: usize, dst: &mut [f32]) {
    for jj in 0..c1 - c0 {
        let r = &src[base + (c0 + jj) * sl..base + (c0 + jj) * sl + n];
        for (t, &x) in r.iter().enumerate() {
            dst[t * BC + jj] = x;
        }
    }
}

/// row[..nc] = a . bt (bt: n rows of BC, packed by `pack_t`).
#[inline(always)]
fn row_times(a: &[f32], bt: &[f32], nc: usize, row: &mut [f32]) {
    let row = &mut row[..nc];
    row.fill(0.0);
    for (t, &x) in a.iter().enumerate() {
        axpy(row, x, &bt[t * BC..t * BC + nc]);
    }
}

/// exp(x - m) for a score x and a finite row max m: 0 for a masked (-inf) score, and the argument
/// kept above -87 so no subnormal intermediate slows the vector exp (exp(-87) ~ 1.6e-38).
#[inline(always)]
fn exp_shift(x: f32, m: f32) -> f32 {
    let d = x - m;
    let e = simd::exp(if d < -87.0 { -87.0 } else { d });
    if x == f32::NEG_INFINITY {
        0.0
    } else {
        e
    }
}

/// Scores of query rows [r0, r1) against the packed key block kt (keys [c0, c1)) into sc (row
/// stride BC): scale * q.k + mask, -inf where causal masks them.
#[inline(always)]
fn scores(
    g: &Attn,
    q: &[f32],
    kt: &[f32],
    mask: Option<&[f32]>,
    bh: usize,
    r0: usize,
    r1: usize,
    c0: usize,
    c1: usize,
    sc: &mut [f32],
) {
    let qb = bh * g.q_sb;
    let mb = g.mask_base(bh);
    let nc = c1 - c0;
    for i in r0..r1 {
        let qi = &q[qb + i * g.q_sl..qb + i * g.q_sl + g.e];
        let row = &mut sc[(i - r0) * BC..(i - r0) * BC + nc];
        row_times(qi, kt, nc, row);
        for x in row.iter_mut() {
            *x *= g.scale;
        }
        if let Some(m) = mask {
            let mr = mb + i * g.m_sl;
            for (jj, x) in row.iter_mut().enumerate() {
                *x += m[mr + (c0 + jj) * g.m_ss];
            }
        }
        if g.causal && c1 > i + 1 {
            for x in row[(i + 1).max(c0) - c0..].iter_mut() {
                *x = f32::NEG_INFINITY;
            }
        }
    }
}

/// Keys [0, c_end) can matter to query rows [r0, r1) (causal: j <= i < r1).
#[inline(always)]
fn key_end(g: &Attn, r1: usize) -> usize {
    if g.causal {
        g.s.min(r1)
    } else {
        g.s
    }
}

simd_fn! {
/// Query rows [rb, re) of one batch*head item of the forward: their out rows [re - rb, ev] and lse.
fn forward_item(g: &Attn, q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, bh: usize, rb: usize, re: usize,
                out: &mut [f32], lse: &mut [f32]) {
    let ev = g.ev;
    let mut sc = vec![0f32; BR * BC];
    let mut kt = vec![0f32; g.e * BC];
    let mut mx = [0f32; BR];
    let mut sum = [0f32; BR];
    let (kb, vb) = (bh * g.k_sb, bh * g.v_sb);
    let mut r0 = rb;
    while r0 < re {
        let r1 = (r0 + BR).min(re);
        let acc = &mut out[(r0 - rb) * ev..(r1 - rb) * ev];
        acc.fill(0.0);
        mx.fill(f32::NEG_INFINITY);
        sum.fill(0.0);
        let cend = key_end(g, r1);
        let mut c0 = 0;
        while c0 < cend {
            let c1 = (c0 + BC).min(cend);
            pack_t(k, kb, g.k_sl, c0, c1, g.e, &mut kt);
            scores(g, q, &kt, mask, bh, r0, r1, c0, c1, &mut sc);
            for i in 0..r1 - r0 {
                let row = &mut sc[i * BC..i * BC + (c1 - c0)];
                let mut m = mx[i];
                for &x in row.iter() { m = if x > m || x.is_nan() { x } else { m }; }
                if m == f32::NEG_INFINITY { continue; } // every key so far masked
                let alpha = if mx[i] == f32::NEG_INFINITY { 0.0 } else { exp_shift(mx[i], m) };
                let mut s = 0f32;
                for x in row.iter_mut() { *x = exp_shift(*x, m); s += *x; }
                sum[i] = sum[i] * alpha + s;
                mx[i] = m;
                let ai = &mut acc[i * ev..(i + 1) * ev];
                if alpha != 1.0 { for p in ai.iter_mut() { *p *= alpha; } }
                for (jj, &p) in row.iter().enumerate() {
                    if p == 0.0 { continue; }
                    let j = c0 + jj;
                    axpy(ai, p, &v[vb + j * g.v_sl..vb + j * g.v_sl + ev]);
                }
            }
            c0 = c1;
        }
        for i in 0..r1 - r0 {
            let ai = &mut acc[i * ev..(i + 1) * ev];
            if mx[i] == f32::NEG_INFINITY {
                // a row whose keys are all masked: softmax of all -inf is NaN (as PyTorch)
                ai.fill(f32::NAN);
                lse[r0 - rb + i] = f32::NAN;
            } else {
                let inv = 1.0 / sum[i];
                for p in ai.iter_mut() { *p *= inv; }
                lse[r0 - rb + i] = mx[i] + sum[i].ln();
            }
        }
        r0 = r1;
    }
}
}

/// out = softmax(scale * q k^T + mask) v, lse = log-sum-exp of each row's scores.
pub fn attention(g: &Attn, q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, out: &mut [f32], lse: &mut [f32]) {
    let (l, ev) = (g.l, g.ev);
    if g.bh == 0 || l == 0 {
        return;
    }
    assert!(out.len() >= g.bh * l * ev && lse.len() >= g.bh * l);
    if g.s == 0 || ev == 0 {
        // no keys: every row is fully masked
        out[..g.bh * l * ev].fill(f32::NAN);
        lse[..g.bh * l].fill(f32::NAN);
        return;
    }
    // few batch*head items (a long sequence, one head): the query rows split across tasks too
    let threads = par::threads();
    let parts = if g.bh >= 2 * threads { 1 } else { (2 * threads).div_ceil(g.bh).min(l.div_ceil(BR)).max(1) };
    let (op, lp) = (SendPtr(out.as_mut_ptr()), SendPtr(lse.as_mut_ptr()));
    par::run(g.bh * parts, &|task, _| {
        let (bh, (rb, re)) = (task / parts, par::split(l, parts, BR, task % parts));
        if rb >= re {
            return;
        }
        // SAFETY: task (bh, part) writes only rows [rb, re) of item bh in out and lse.
        let o = unsafe { core::slice::from_raw_parts_mut(op.get().add((bh * l + rb) * ev), (re - rb) * ev) };
        let ls = unsafe { core::slice::from_raw_parts_mut(lp.get().add(bh * l + rb), re - rb) };
        forward_item(g, q, k, v, mask, bh, rb, re, o, ls);
    });
}

simd_fn! {
/// One batch*head item of the backward: dq [l, e], dk [s, e], dv [s, ev] (dense, overwritten).
fn backward_item(g: &Attn, q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, out: &[f32], lse: &[f32], gout: &[f32],
                 bh: usize, dq: &mut [f32], dk: &mut [f32], dv: &mut [f32]) {
    let (e, ev) = (g.e, g.ev);
    dq.fill(0.0); dk.fill(0.0); dv.fill(0.0);
    let mut ds = vec![0f32; BR * BC];
    let mut pb = vec![0f32; BR * BC];
    let mut kt = vec![0f32; e * BC];
    let mut vt = vec![0f32; ev * BC];
    let mut dp = vec![0f32; BC];
    let mut dd = [0f32; BR];
    let (qb, kb, vb) = (bh * g.q_sb, bh * g.k_sb, bh * g.v_sb);
    let mut r0 = 0;
    while r0 < g.l {
        let r1 = (r0 + BR).min(g.l);
        // D_i = dO_i . O_i (the softmax backward's row term)
        for i in r0..r1 { dd[i - r0] = dot(&gout[i * ev..(i + 1) * ev], &out[i * ev..(i + 1) * ev]); }
        let cend = key_end(g, r1);
        let mut c0 = 0;
        while c0 < cend {
            let c1 = (c0 + BC).min(cend);
            let nc = c1 - c0;
            pack_t(k, kb, g.k_sl, c0, c1, e, &mut kt);
            pack_t(v, vb, g.v_sl, c0, c1, ev, &mut vt);
            scores(g, q, &kt, mask, bh, r0, r1, c0, c1, &mut pb);
            for i in r0..r1 {
                let (li, di) = (lse[i], dd[i - r0]);
                let goi = &gout[i * ev..(i + 1) * ev];
                let (pr, dr) = (&mut pb[(i - r0) * BC..(i - r0) * BC + nc], &mut ds[(i - r0) * BC..(i - r0) * BC + nc]);
                // P_ij recomputed from the saved log-sum-exp (NaN for a fully masked row)
                if li.is_nan() { pr.fill(f32::NAN); } else { for x in pr.iter_mut() { *x = exp_shift(*x, li); } }
                row_times(goi, &vt, nc, &mut dp);
                for ((d, &p), &x) in dr.iter_mut().zip(pr.iter()).zip(dp.iter()) { *d = p * (x - di) * g.scale; }
            }
            // dV_j += sum_i P_ij dO_i, dK_j += sum_i dS_ij Q_i (rows of this key block)
            for jj in 0..nc {
                let j = c0 + jj;
                let (dvj, dkj) = (&mut dv[j * ev..(j + 1) * ev], &mut dk[j * e..(j + 1) * e]);
                for i in r0..r1 {
                    let (p, d) = (pb[(i - r0) * BC + jj], ds[(i - r0) * BC + jj]);
                    if p != 0.0 { axpy(dvj, p, &gout[i * ev..(i + 1) * ev]); }
                    if d != 0.0 { axpy(dkj, d, &q[qb + i * g.q_sl..qb + i * g.q_sl + e]); }
                }
            }
            // dQ_i += sum_j dS_ij K_j
            for i in r0..r1 {
                let dqi = &mut dq[i * e..(i + 1) * e];
                for (jj, &d) in ds[(i - r0) * BC..(i - r0) * BC + nc].iter().enumerate() {
                    if d == 0.0 { continue; }
                    let j = c0 + jj;
                    axpy(dqi, d, &k[kb + j * g.k_sl..kb + j * g.k_sl + e]);
                }
            }
            c0 = c1;
        }
        r0 = r1;
    }
}
}

/// Gradients of `attention` given its saved out/lse and the output gradient gout (dense [bh, l, ev]):
/// dq [bh, l, e], dk [bh, s, e], dv [bh, s, ev], dense and overwritten. The mask gets no gradient.
#[allow(clippy::too_many_arguments)]
pub fn attention_grad(
    g: &Attn,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: Option<&[f32]>,
    out: &[f32],
    lse: &[f32],
    gout: &[f32],
    dq: &mut [f32],
    dk: &mut [f32],
    dv: &mut [f32],
) {
    let (l, s, e, ev) = (g.l, g.s, g.e, g.ev);
    if g.bh == 0 {
        return;
    }
    assert!(dq.len() >= g.bh * l * e && dk.len() >= g.bh * s * e && dv.len() >= g.bh * s * ev);
    let (qp, kp, vp) = (SendPtr(dq.as_mut_ptr()), SendPtr(dk.as_mut_ptr()), SendPtr(dv.as_mut_ptr()));
    par::run(g.bh, &|bh, _| {
        // SAFETY: task bh writes only its own blocks of dq, dk and dv.
        let (dqs, dks, dvs) = unsafe {
            (
                core::slice::from_raw_parts_mut(qp.get().add(bh * l * e), l * e),
                core::slice::from_raw_parts_mut(kp.get().add(bh * s * e), s * e),
                core::slice::from_raw_parts_mut(vp.get().add(bh * s * ev), s * ev),
            )
        };
        backward_item(
            g,
            q,
            k,
            v,
            mask,
            &out[bh * l * ev..(bh + 1) * l * ev],
            &lse[bh * l..(bh + 1) * l],
            &gout[bh * l * ev..(bh + 1) * l * ev],
            bh,
            dqs,
            dks,
            dvs,
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rnd(n: usize, seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// The documented formula in float64, materialising every score (dense q, k, v).
    fn reference(
        g: &Attn,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        mask: Option<&[f32]>,
    ) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let (l, s, e, ev) = (g.l, g.s, g.e, g.ev);
        let mut out = vec![0f64; g.bh * l * ev];
        let mut lse = vec![0f64; g.bh * l];
        let mut probs = vec![];
        for b in 0..g.bh {
            let mut pm = vec![0f64; l * s];
            for i in 0..l {
                let mut sc: Vec<f64> = (0..s)
                    .map(|j| {
                        let mut x: f64 = (0..e)
                            .map(|t| q[b * g.q_sb + i * g.q_sl + t] as f64 * k[b * g.k_sb + j * g.k_sl + t] as f64)
                            .sum::<f64>()
                            * g.scale as f64;
                        if let Some(m) = mask {
                            x += m[g.mask_base(b) + i * g.m_sl + j * g.m_ss] as f64;
                        }
                        if g.causal && j > i {
                            x = f64::NEG_INFINITY;
                        }
                        x
                    })
                    .collect();
                let m = sc.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = sc.iter().map(|x| (x - m).exp()).sum();
                lse[b * l + i] = m + z.ln();
                for x in sc.iter_mut() {
                    *x = (*x - m).exp() / z;
                }
                for j in 0..s {
                    pm[i * s + j] = sc[j];
                }
                for t in 0..ev {
                    out[(b * l + i) * ev + t] = (0..s).map(|j| sc[j] * v[b * g.v_sb + j * g.v_sl + t] as f64).sum();
                }
            }
            probs.push(pm);
        }
        (out, lse, probs)
    }

    fn geom(bh: usize, l: usize, s: usize, e: usize, ev: usize, causal: bool) -> Attn {
        Attn {
            bh,
            heads: 1,
            l,
            s,
            e,
            ev,
            scale: 1.0 / (e as f32).sqrt(),
            causal,
            q_sb: l * e,
            q_sl: e,
            k_sb: s * e,
            k_sl: e,
            v_sb: s * ev,
            v_sl: ev,
            m_sb: 0,
            m_sh: 0,
            m_sl: s,
            m_ss: 1,
        }
    }

    #[test]
    fn forward_matches_formula_on_odd_sizes() {
        for &(bh, l, s, e, ev, causal, masked) in &[
            (1, 1, 1, 1, 1, false, false),
            (2, 17, 70, 5, 3, false, true),
            (3, 33, 33, 80, 80, true, false),
            (1, 65, 130, 7, 9, true, true),
            (2, 5, 200, 16, 16, false, true),
        ] {
            let g = geom(bh, l, s, e, ev, causal);
            let (q, k, v) = (rnd(bh * l * e, 1), rnd(bh * s * e, 2), rnd(bh * s * ev, 3));
            let mask: Vec<f32> = rnd(l * s, 4).iter().map(|x| if *x > 0.8 { f32::NEG_INFINITY } else { *x }).collect();
            // keep the diagonal allowed so no row is fully masked
            let mut mask = mask;
            for i in 0..l.min(s) {
                mask[i * s + i] = 0.0;
            }
            let m = if masked { Some(&mask[..]) } else { None };
            let mut out = vec![f32::NAN; bh * l * ev];
            let mut lse = vec![f32::NAN; bh * l];
            attention(&g, &q, &k, &v, m, &mut out, &mut lse);
            let (ro, rl, _) = reference(&g, &q, &k, &v, m);
            for (a, b) in out.iter().zip(&ro) {
                assert!((*a as f64 - b).abs() < 1e-5 + 1e-4 * b.abs(), "{a} vs {b} ({bh},{l},{s},{e},{ev})");
            }
            for (a, b) in lse.iter().zip(&rl) {
                assert!((*a as f64 - b).abs() < 1e-4 + 1e-5 * b.abs(), "lse {a} vs {b}");
            }
        }
    }

    #[test]
    fn backward_matches_formula() {
        for &(bh, l, s, e, ev, causal) in &[(1, 3, 4, 2, 3, false), (2, 19, 70, 5, 6, true), (1, 40, 17, 33, 1, false)]
        {
            let g = geom(bh, l, s, e, ev, causal);
            let (q, k, v, go) = (rnd(bh * l * e, 5), rnd(bh * s * e, 6), rnd(bh * s * ev, 7), rnd(bh * l * ev, 8));
            let mut out = vec![0f32; bh * l * ev];
            let mut lse = vec![0f32; bh * l];
            attention(&g, &q, &k, &v, None, &mut out, &mut lse);
            let (mut dq, mut dk, mut dv) =
                (vec![f32::NAN; bh * l * e], vec![f32::NAN; bh * s * e], vec![f32::NAN; bh * s * ev]);
            attention_grad(&g, &q, &k, &v, None, &out, &lse, &go, &mut dq, &mut dk, &mut dv);
            // reference gradients from the materialised probabilities
            let (_, _, probs) = reference(&g, &q, &k, &v, None);
            let sc = g.scale as f64;
            for b in 0..bh {
                let p = &probs[b];
                let gor = |i: usize, t: usize| go[(b * l + i) * ev + t] as f64;
                let mut ds = vec![0f64; l * s];
                for i in 0..l {
                    let dp: Vec<f64> =
                        (0..s).map(|j| (0..ev).map(|t| gor(i, t) * v[(b * s + j) * ev + t] as f64).sum()).collect();
                    let dsum: f64 = (0..s).map(|j| p[i * s + j] * dp[j]).sum();
                    for j in 0..s {
                        ds[i * s + j] = p[i * s + j] * (dp[j] - dsum) * sc;
                    }
                }
                let close = |a: f32, r: f64, what: &str| {
                    assert!((a as f64 - r).abs() < 1e-4 + 1e-3 * r.abs(), "{what} {a} vs {r}")
                };
                for j in 0..s {
                    for t in 0..ev {
                        close(dv[(b * s + j) * ev + t], (0..l).map(|i| p[i * s + j] * gor(i, t)).sum(), "dv");
                    }
                    for t in 0..e {
                        close(
                            dk[(b * s + j) * e + t],
                            (0..l).map(|i| ds[i * s + j] * q[(b * l + i) * e + t] as f64).sum(),
                            "dk",
                        );
                    }
                }
                for i in 0..l {
                    for t in 0..e {
                        close(
                            dq[(b * l + i) * e + t],
                            (0..s).map(|j| ds[i * s + j] * k[(b * s + j) * e + t] as f64).sum(),
                            "dq",
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fully_masked_rows_are_nan_and_threads_agree() {
        let mut g = geom(6, 9, 11, 4, 4, false);
        let (q, k, v) = (rnd(6 * 9 * 4, 9), rnd(6 * 11 * 4, 10), rnd(6 * 11 * 4, 11));
        let mut mask = vec![0f32; 9 * 11];
        for j in 0..11 {
            mask[2 * 11 + j] = f32::NEG_INFINITY;
        }
        let run = |g: &Attn| {
            let mut out = vec![0f32; 6 * 9 * 4];
            let mut lse = vec![0f32; 6 * 9];
            attention(g, &q, &k, &v, Some(&mask), &mut out, &mut lse);
            (out, lse)
        };
        let (o1, _) = run(&g);
        assert!(o1[2 * 4..3 * 4].iter().all(|x| x.is_nan()) && o1[..2 * 4].iter().all(|x| x.is_finite()));
        crate::par::set_threads(3);
        let (o3, _) = run(&g);
        crate::par::set_threads(1);
        for (a, b) in o1.iter().zip(&o3) {
            assert!(a.to_bits() == b.to_bits());
        }
        // one item, many rows: split across tasks, the same bits as one thread
        let g1 = geom(1, 150, 90, 8, 5, true);
        let (q1, k1, v1) = (rnd(150 * 8, 12), rnd(90 * 8, 13), rnd(90 * 5, 14));
        let one = |t: usize| {
            crate::par::set_threads(t);
            let (mut o, mut l) = (vec![0f32; 150 * 5], vec![0f32; 150]);
            attention(&g1, &q1, &k1, &v1, None, &mut o, &mut l);
            crate::par::set_threads(1);
            (o, l)
        };
        let (a1, l1) = one(1);
        let (a3, l3) = one(3);
        assert!(
            a1.iter().zip(&a3).all(|(x, y)| x.to_bits() == y.to_bits())
                && l1.iter().zip(&l3).all(|(x, y)| x.to_bits() == y.to_bits())
        );
        // strided: q, k, v in MultiheadAttention's [len, B*H, hd] layout give the dense results
        let tr = |x: &[f32], n: usize| {
            let mut t = vec![0f32; x.len()];
            for b in 0..6 {
                for i in 0..n {
                    for c in 0..4 {
                        t[(i * 6 + b) * 4 + c] = x[(b * n + i) * 4 + c];
                    }
                }
            }
            t
        };
        let (qt, kt, vt) = (tr(&q, 9), tr(&k, 11), tr(&v, 11));
        g.q_sb = 4;
        g.q_sl = 24;
        g.k_sb = 4;
        g.k_sl = 24;
        g.v_sb = 4;
        g.v_sl = 24;
        let mut out = vec![0f32; 6 * 9 * 4];
        let mut lse = vec![0f32; 6 * 9];
        attention(&g, &qt, &kt, &vt, Some(&mask), &mut out, &mut lse);
        for (a, b) in o1.iter().zip(&out) {
            assert!(a.to_bits() == b.to_bits());
        }
    }
}

#[cfg(test)]
mod bench {
    #[test]
    #[ignore]
    fn attention_speed() {
        use super::*;
        let (bh, l, e) = (64usize, 64usize, 16usize);
        let g = Attn {
            bh,
            heads: 1,
            l,
            s: l,
            e,
            ev: e,
            scale: 0.25,
            causal: true,
            q_sb: l * e,
            q_sl: e,
            k_sb: l * e,
            k_sl: e,
            v_sb: l * e,
            v_sl: e,
            m_sb: 0,
            m_sh: 0,
            m_sl: 0,
            m_ss: 0,
        };
        let x: Vec<f32> = (0..bh * l * e).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
        let mut out = vec![0f32; bh * l * e];
        let mut lse = vec![0f32; bh * l];
        let t = std::time::Instant::now();
        for _ in 0..20 {
            attention(&g, &x, &x, &x, None, &mut out, &mut lse);
        }
        eprintln!("attention fwd: {:?} per call", t.elapsed() / 20);
        let (mut dq, mut dk, mut dv) = (out.clone(), out.clone(), out.clone());
        let t = std::time::Instant::now();
        for _ in 0..20 {
            attention_grad(&g, &x, &x, &x, None, &out, &lse, &x, &mut dq, &mut dk, &mut dv);
        }
        eprintln!("attention bwd: {:?} per call", t.elapsed() / 20);
    }
}
