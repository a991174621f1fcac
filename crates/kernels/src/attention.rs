//! Fused scaled-dot-product attention (flash-attention style): softmax(scale * Q K^T + mask) V
//! for one block of queries x one block of keys at a time with an online softmax, so the score
//! matrix is never materialised beyond a BR x BC block. Both products run on the GEMM
//! microkernels (crates/kernels/src/gemm: Q and K packed once per task, the probabilities
//! packed per block), the row max / exp / sum pass in between is vectorised (`simd_fn!`).
//! The backward recomputes the probabilities block-wise from the saved log-sum-exp of each
//! query row and forms dV, dK, dQ with five GEMMs per block pair. Threaded over batch * heads
//! (and over query-row ranges when there are few items).
use crate::gemm;
use crate::linalg::SendPtr;
use crate::{par, simd, simd_fn};

/// Query rows per block.
const BR: usize = 64;
/// Key columns per block.
const BC: usize = 128;
/// A forward task packs all its keys and values once when they take at most this many floats
/// (else per key block, for every query block: memory O(block) for long sequences).
const FULL_KV_MAX: usize = 1 << 19;

/// Geometry of one attention call over bh = b * heads + h items: q [bh, l, e], k [bh, s, e],
/// v [bh, s, ev], out [bh, l, ev] and (backward) dq, dk, dv like q, k, v. Every operand has
/// contiguous rows (element stride 1) and is addressed as `b*sb + h*sh + row*sl + col` with its
/// own strides (stride 0 on broadcast dims), so e.g. MultiheadAttention's packed in-projection
/// [B, T, 3E] is read in place (sb = T*3E, sh = hd, sl = 3E) and out is written straight into
/// [B, T, E]. The backward reads the output gradient with out's strides. The additive float mask
/// (optional) is read at `b*m_sb + h*m_sh + i*m_sl + j*m_ss`. `causal` masks key j > query i
/// (top-left aligned, as PyTorch's is_causal). lse [bh, l] is dense.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attn {
    pub bh: usize,
    pub heads: usize,
    pub l: usize,
    pub s: usize,
    pub e: usize,
    pub ev: usize,
    pub scale: f32,
    pub causal: bool,
    pub q: Lay,
    pub k: Lay,
    pub v: Lay,
    pub m_sb: usize,
    pub m_sh: usize,
    pub m_sl: usize,
    pub m_ss: usize,
    pub o: Lay,
    pub dq: Lay,
    pub dk: Lay,
    pub dv: Lay,
}

/// Batch, head and row strides of one operand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lay {
    pub sb: usize,
    pub sh: usize,
    pub sl: usize,
}

impl Lay {
    pub const fn new(sb: usize, sh: usize, sl: usize) -> Lay {
        Lay { sb, sh, sl }
    }
    /// Dense [bh, rows, cols] (with heads = 1: the item stride is sb).
    pub const fn dense(rows: usize, cols: usize) -> Lay {
        Lay { sb: rows * cols, sh: 0, sl: cols }
    }
}

crate::abi_struct! {
    /// The integer part of an attention call's geometry as the ABI passes it (scale and causal
    /// follow as numbers): sizes, then the batch / head / row strides of q, k, v, the mask
    /// strides, and the strides of out (and the output gradient) and of dq, dk, dv.
    pub struct AttnDims {
        bh = "BH", heads = "heads", l = "L", s = "S", e = "E", ev = "Ev",
        q_sb = "qsB", q_sh = "qsH", q_sl = "qsL", k_sb = "ksB", k_sh = "ksH", k_sl = "ksL",
        v_sb = "vsB", v_sh = "vsH", v_sl = "vsL",
        m_sb = "msB", m_sh = "msH", m_sl = "msL", m_ss = "msS",
        o_sb = "osB", o_sh = "osH", o_sl = "osL",
        dq_sb = "dqsB", dq_sh = "dqsH", dq_sl = "dqsL", dk_sb = "dksB", dk_sh = "dksH", dk_sl = "dksL",
        dv_sb = "dvsB", dv_sh = "dvsH", dv_sl = "dvsL",
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
            q: Lay::new(d.q_sb, d.q_sh, d.q_sl),
            k: Lay::new(d.k_sb, d.k_sh, d.k_sl),
            v: Lay::new(d.v_sb, d.v_sh, d.v_sl),
            m_sb: d.m_sb,
            m_sh: d.m_sh,
            m_sl: d.m_sl,
            m_ss: d.m_ss,
            o: Lay::new(d.o_sb, d.o_sh, d.o_sl),
            dq: Lay::new(d.dq_sb, d.dq_sh, d.dq_sl),
            dk: Lay::new(d.dk_sb, d.dk_sh, d.dk_sl),
            dv: Lay::new(d.dv_sb, d.dv_sh, d.dv_sl),
        }
    }
    /// Elements an operand's strides reach (for bounds checks).
    pub fn span(&self, lay: Lay, rows: usize, cols: usize) -> usize {
        if self.bh == 0 || rows == 0 || cols == 0 {
            return 0;
        }
        let heads = self.heads.max(1);
        let (nb, nh) = ((self.bh - 1) / heads + 1, heads.min(self.bh));
        (nb - 1) * lay.sb + (nh - 1) * lay.sh + (rows - 1) * lay.sl + cols
    }
    pub fn q_len(&self) -> usize {
        self.span(self.q, self.l, self.e)
    }
    pub fn k_len(&self) -> usize {
        self.span(self.k, self.s, self.e)
    }
    pub fn v_len(&self) -> usize {
        self.span(self.v, self.s, self.ev)
    }
    pub fn o_len(&self) -> usize {
        self.span(self.o, self.l, self.ev)
    }
    pub fn dq_len(&self) -> usize {
        self.span(self.dq, self.l, self.e)
    }
    pub fn dk_len(&self) -> usize {
        self.span(self.dk, self.s, self.e)
    }
    pub fn dv_len(&self) -> usize {
        self.span(self.dv, self.s, self.ev)
    }
    pub fn mask_len(&self) -> usize {
        if self.bh == 0 || self.l == 0 || self.s == 0 {
            return 0;
        }
        let heads = self.heads.max(1);
        let (nb, nh) = ((self.bh - 1) / heads + 1, heads.min(self.bh));
        (nb - 1) * self.m_sb + (nh - 1) * self.m_sh + (self.l - 1) * self.m_sl + (self.s - 1) * self.m_ss + 1
    }
    /// Why the rows of an operand cannot be read as GEMM operands (a row stride below the row
    /// length while there are several rows), if they cannot.
    pub fn check_rows(&self) -> Result<(), &'static str> {
        let ok = |lay: Lay, rows: usize, cols: usize| rows <= 1 || cols == 0 || lay.sl >= cols;
        if !ok(self.q, self.l, self.e) || !ok(self.k, self.s, self.e) || !ok(self.v, self.s, self.ev) {
            return Err("attention: q, k and v rows must not overlap (row stride >= row length)");
        }
        if !ok(self.o, self.l, self.ev) {
            return Err("attention: out rows must not overlap");
        }
        Ok(())
    }
    #[inline(always)]
    fn base(&self, lay: Lay, bh: usize) -> usize {
        let heads = self.heads.max(1);
        (bh / heads) * lay.sb + (bh % heads) * lay.sh
    }
    #[inline(always)]
    fn mask_base(&self, bh: usize) -> usize {
        let heads = self.heads.max(1);
        (bh / heads) * self.m_sb + (bh % heads) * self.m_sh
    }
}

thread_local! {
    /// Grow-only per-thread scratch for the packed operands and score blocks (no allocation per
    /// task in steady state).
    static WS: core::cell::RefCell<Vec<f32>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Runs f with this thread's scratch cut into slices of the given lengths (contents unspecified).
fn with_ws<const N: usize, R>(lens: [usize; N], f: impl FnOnce([&mut [f32]; N]) -> R) -> R {
    WS.with(|ws| {
        let mut ws = ws.borrow_mut();
        let total: usize = lens.iter().sum();
        if ws.len() < total {
            ws.resize(total, 0.0);
        }
        let mut rest: &mut [f32] = &mut ws[..];
        let parts = lens.map(|n| {
            let (a, b) = core::mem::take(&mut rest).split_at_mut(n);
            rest = b;
            a
        });
        f(parts)
    })
}

/// The leading dimension to hand the GEMM packers for `rows` rows of `cols` at row stride sl.
#[inline(always)]
fn ld(sl: usize, rows: usize, cols: usize) -> usize {
    if rows <= 1 {
        sl.max(cols)
    } else {
        sl
    }
}

/// float32 sum with 8 independent accumulators (vectorises).
#[inline(always)]
fn sum8(x: &[f32]) -> f32 {
    crate::softmax::sum8(x)
}

/// Max with 8 independent lanes (vectorises); NaNs are not propagated (the exp pass does that).
#[inline(always)]
fn max8(x: &[f32], init: f32) -> f32 {
    let mut acc = [init; 8];
    let mut ch = x.chunks_exact(8);
    for c in &mut ch {
        for l in 0..8 {
            acc[l] = if c[l] > acc[l] { c[l] } else { acc[l] };
        }
    }
    let mut m = init;
    for &a in acc.iter().chain(ch.remainder()) {
        m = if a > m { a } else { m };
    }
    m
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

/// Every x of `row` to `exp_shift(x, m)` in place; returns the row's sum. AVX-512 (16 lanes, FMA)
/// where the CPU has it, else the slice loop the caller's `simd_fn!` twin vectorises.
#[inline(always)]
fn exp_shift_row(row: &mut [f32], m: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if simd::has_avx512() {
        // SAFETY: the CPU has AVX-512F (checked at run time).
        return unsafe { exp_shift_row512(row, m) };
    }
    for x in row.iter_mut() {
        *x = exp_shift(*x, m);
    }
    sum8(row)
}

/// `exp_shift_row` on AVX-512F: the same clamp at -87, 0 for a -inf score, NaN kept.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn exp_shift_row512(row: &mut [f32], m: f32) -> f32 {
    use core::arch::x86_64::*;
    let (n, p) = (row.len(), row.as_mut_ptr());
    let (mv, lo, ninf) = (_mm512_set1_ps(m), _mm512_set1_ps(-87.0), _mm512_set1_ps(f32::NEG_INFINITY));
    let mut acc = _mm512_setzero_ps();
    let mut j = 0;
    while j < n {
        let k = simd::v512::first_lanes(n - j);
        let x = _mm512_maskz_loadu_ps(k, p.add(j));
        // max returns its second operand when either is NaN: a NaN score stays NaN
        let e = simd::v512::exp(_mm512_max_ps(lo, _mm512_sub_ps(x, mv)));
        // lanes past the row and -inf scores give 0 (NaN compares unequal: kept)
        let e = _mm512_maskz_mov_ps(_mm512_mask_cmp_ps_mask::<_CMP_NEQ_UQ>(k, x, ninf), e);
        _mm512_mask_storeu_ps(p.add(j), k, e);
        acc = _mm512_add_ps(acc, e);
        j += 16;
    }
    _mm512_reduce_add_ps(acc)
}

/// Keys [0, c_end) can matter to query rows [.., r1) (causal: j <= i < r1).
#[inline(always)]
fn key_end(g: &Attn, r1: usize) -> usize {
    if g.causal {
        g.s.min(r1)
    } else {
        g.s
    }
}

simd_fn! {
/// Raw scores sc (rows [r0, r0 + nr) x keys [c0, c0 + nc), row stride BC) to scale * s + mask,
/// -inf where causal masks them.
fn finish_scores(g: &Attn, sc: &mut [f32], mask: Option<&[f32]>, mb: usize, r0: usize, nr: usize, c0: usize, nc: usize) {
    let scale = g.scale;
    for ii in 0..nr {
        let i = r0 + ii;
        let row = &mut sc[ii * BC..ii * BC + nc];
        if let Some(m) = mask {
            let mr = mb + i * g.m_sl;
            if g.m_ss == 1 {
                for (x, &y) in row.iter_mut().zip(&m[mr + c0..mr + c0 + nc]) { *x = *x * scale + y; }
            } else {
                for (jj, x) in row.iter_mut().enumerate() { *x = *x * scale + m[mr + (c0 + jj) * g.m_ss]; }
            }
        } else {
            for x in row.iter_mut() { *x *= scale; }
        }
        if g.causal && c0 + nc > i + 1 {
            for x in row[(i + 1).max(c0) - c0..].iter_mut() { *x = f32::NEG_INFINITY; }
        }
    }
}
}

simd_fn! {
/// The online-softmax step of a block: per row, the new running max, exp(score - max) in place,
/// the running sum, and alpha[ii] = the factor the row's accumulator must be scaled by.
fn online_softmax(sc: &mut [f32], nr: usize, nc: usize, mx: &mut [f32], sum: &mut [f32], alpha: &mut [f32]) {
    for ii in 0..nr {
        let row = &mut sc[ii * BC..ii * BC + nc];
        let m = max8(row, mx[ii]);
        if m == f32::NEG_INFINITY {
            // every key so far masked: this block adds nothing
            row.fill(0.0);
            alpha[ii] = 1.0;
            continue;
        }
        let a = if mx[ii] == f32::NEG_INFINITY { 0.0 } else { exp_shift(mx[ii], m) };
        sum[ii] = sum[ii] * a + exp_shift_row(row, m);
        mx[ii] = m;
        alpha[ii] = a;
    }
}
}

simd_fn! {
/// acc rows (stride ev) scaled by alpha (skipped where 1).
fn scale_rows(acc: &mut [f32], ev: usize, nr: usize, alpha: &[f32]) {
    for ii in 0..nr {
        let a = alpha[ii];
        if a != 1.0 {
            for p in acc[ii * ev..(ii + 1) * ev].iter_mut() { *p *= a; }
        }
    }
}
}

simd_fn! {
/// out row = acc row / sum (NaN for a row whose keys are all masked: softmax of all -inf, as
/// PyTorch), lse = max + ln(sum).
fn write_rows(acc: &[f32], ev: usize, nr: usize, mx: &[f32], sum: &[f32], out: *mut f32, osl: usize, lse: &mut [f32]) {
    for ii in 0..nr {
        // SAFETY: the caller owns these out rows (ev floats each, osl apart).
        let o = unsafe { core::slice::from_raw_parts_mut(out.add(ii * osl), ev) };
        if mx[ii] == f32::NEG_INFINITY {
            o.fill(f32::NAN);
            lse[ii] = f32::NAN;
        } else {
            let inv = 1.0 / sum[ii];
            for (p, &x) in o.iter_mut().zip(&acc[ii * ev..(ii + 1) * ev]) { *p = x * inv; }
            lse[ii] = mx[ii] + sum[ii].ln();
        }
    }
}
}

/// C (m x n, stride ldc) [+]= A @ B over the first `k` rows of B panels packed with depth `kp`
/// >= k (a causal block uses only the keys up to its last query row): one call per NR-wide panel,
/// which reads its rows depth-major from the panel's start.
///
/// # Safety
/// `c` is valid for m rows of n floats at stride ldc and no other thread touches them.
unsafe fn gemm_depth(
    m: usize,
    n: usize,
    k: usize,
    kp: usize,
    ap: &[f32],
    bp: &[f32],
    c: *mut f32,
    ldc: usize,
    accum: bool,
) {
    if k == kp {
        return gemm::sgemm_packed_raw(m, n, k, ap.as_ptr(), bp.as_ptr(), c, ldc, accum);
    }
    let nr = gemm::panel_dims().1;
    let mut j = 0;
    while j < n {
        let w = nr.min(n - j);
        gemm::sgemm_packed_raw(m, w, k, ap.as_ptr(), bp[j * kp..].as_ptr(), c.add(j), ldc, accum);
        j += nr;
    }
}

/// Packed key (as B, transposed: e x nc) and value (as B: nc x ev) panels of key block [c0, c1).
fn pack_kv(g: &Attn, k: &[f32], v: &[f32], bh: usize, c0: usize, c1: usize, kp: &mut [f32], vp: &mut [f32]) {
    let nc = c1 - c0;
    let (kb, vb) = (g.base(g.k, bh) + c0 * g.k.sl, g.base(g.v, bh) + c0 * g.v.sl);
    gemm::pack_b_panels(g.e, nc, &k[kb..], ld(g.k.sl, nc, g.e), true, kp);
    gemm::pack_b_panels(nc, g.ev, &v[vb..], ld(g.v.sl, nc, g.ev), false, vp);
}

/// Query rows [rb, re) of item bh: out rows (at `out`, o.sl apart) and lse[rb..re].
fn forward_item(
    g: &Attn,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: Option<&[f32]>,
    bh: usize,
    rb: usize,
    re: usize,
    out: *mut f32,
    lse: &mut [f32],
) {
    let (e, ev) = (g.e, g.ev);
    let nkb = key_end(g, re).div_ceil(BC);
    let (kpl, vpl) = (gemm::packed_b_len(e, BC), gemm::packed_b_len(BC, ev));
    let full = nkb * (kpl + vpl) <= FULL_KV_MAX;
    let nbuf = if full { nkb } else { 1 };
    let lens = [nbuf * kpl, nbuf * vpl, BR * BC, BR * ev];
    with_ws(lens, |[kp, vp, sc, acc]| forward_block_rows(g, q, k, v, mask, bh, rb, re, out, lse, full, kp, vp, sc, acc))
}

/// `forward_item` over its scratch slices.
fn forward_block_rows(
    g: &Attn,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: Option<&[f32]>,
    bh: usize,
    rb: usize,
    re: usize,
    out: *mut f32,
    lse: &mut [f32],
    full: bool,
    kp: &mut [f32],
    vp: &mut [f32],
    sc: &mut [f32],
    acc: &mut [f32],
) {
    let (e, ev) = (g.e, g.ev);
    let nkb = key_end(g, re).div_ceil(BC);
    let (kpl, vpl) = (gemm::packed_b_len(e, BC), gemm::packed_b_len(BC, ev));
    if full {
        for b in 0..nkb {
            let (c0, c1) = (b * BC, ((b + 1) * BC).min(g.s));
            pack_kv(g, k, v, bh, c0, c1, &mut kp[b * kpl..], &mut vp[b * vpl..]);
        }
    }
    let (mut mx, mut sum, mut alpha) = ([0f32; BR], [0f32; BR], [0f32; BR]);
    let (qb, mb) = (g.base(g.q, bh), g.mask_base(bh));
    let mut r0 = rb;
    while r0 < re {
        let r1 = (r0 + BR).min(re);
        let nr = r1 - r0;
        let qr = &q[qb + r0 * g.q.sl..];
        assert!(qr.len() >= (nr - 1) * g.q.sl + e, "attention: q too short");
        mx.fill(f32::NEG_INFINITY);
        sum.fill(0.0);
        // key blocks are packed whole
        let cend = key_end(g, r1);
        let mut c0 = 0;
        while c0 < cend {
            let c1 = (c0 + BC).min(g.s);
            let b = c0 / BC;
            let (kb, vb) = if full {
                (&kp[b * kpl..(b + 1) * kpl], &vp[b * vpl..(b + 1) * vpl])
            } else {
                pack_kv(g, k, v, bh, c0, c1, kp, vp);
                (&kp[..], &vp[..])
            };
            // causal: the keys past the block's last query row score -inf for every row: skip them
            let nc = c1.min(cend) - c0;
            assert!(kb.len() >= gemm::packed_b_len(e, nc) && vb.len() >= gemm::packed_b_len(c1 - c0, ev));
            // SAFETY: q rows checked above, kb holds the e x nc key panels, sc BR x BC
            unsafe {
                gemm::sgemm_bpacked_raw(nr, nc, e, qr.as_ptr(), g.q.sl, kb.as_ptr(), e, sc.as_mut_ptr(), BC, false)
            };
            finish_scores(g, sc, mask, mb, r0, nr, c0, nc);
            online_softmax(sc, nr, nc, &mut mx, &mut sum, &mut alpha);
            if c0 > 0 {
                scale_rows(acc, ev, nr, &alpha);
            }
            // SAFETY: sc holds nr rows of nc probabilities (BC apart), vb the value panels of
            // depth c1 - c0 >= nc, acc nr rows of ev
            unsafe {
                let (p, a) = (sc.as_ptr(), acc.as_mut_ptr());
                gemm::sgemm_bpacked_raw(nr, ev, nc, p, BC, vb.as_ptr(), c1 - c0, a, ev, c0 > 0)
            };
            c0 = c1;
        }
        // SAFETY: rows [r0, r1) of this task's out rows
        let o = unsafe { out.add((r0 - rb) * g.o.sl) };
        write_rows(acc, ev, nr, &mx, &sum, o, g.o.sl, &mut lse[r0 - rb..]);
        r0 = r1;
    }
}

/// out = softmax(scale * q k^T + mask) v (written in out's layout `g.o`), lse = log-sum-exp of
/// each row's scores (dense [bh, l]).
pub fn attention(g: &Attn, q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, out: &mut [f32], lse: &mut [f32]) {
    let l = g.l;
    if g.bh == 0 || l == 0 {
        return;
    }
    assert!(out.len() >= g.o_len() && lse.len() >= g.bh * l, "attention: outputs too short");
    assert!(q.len() >= g.q_len() && k.len() >= g.k_len() && v.len() >= g.v_len(), "attention: inputs too short");
    assert!(mask.is_none_or(|m| m.len() >= g.mask_len()), "attention: mask too short");
    if let Err(e) = g.check_rows() {
        panic!("{e}");
    }
    if g.s == 0 {
        // no keys: every row is fully masked
        for bh in 0..g.bh {
            let ob = g.base(g.o, bh);
            for i in 0..l {
                out[ob + i * g.o.sl..ob + i * g.o.sl + g.ev].fill(f32::NAN);
            }
        }
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
        // SAFETY: task (bh, part) writes only rows [rb, re) of item bh in out and lse (out's
        // rows of distinct items and rows are disjoint: the caller's layout).
        let o = unsafe { op.get().add(g.base(g.o, bh) + rb * g.o.sl) };
        let ls = unsafe { core::slice::from_raw_parts_mut(lp.get().add(bh * l + rb), re - rb) };
        forward_item(g, q, k, v, mask, bh, rb, re, o, ls);
    });
}

simd_fn! {
/// P = exp(score - lse) in place (NaN rows where lse is NaN: a fully masked row), then
/// dp = P * (dp - D) * scale (dS).
fn probs_and_ds(g: &Attn, sc: &mut [f32], dp: &mut [f32], nr: usize, nc: usize, lse: &[f32], dd: &[f32]) {
    let scale = g.scale;
    for ii in 0..nr {
        let (li, di) = (lse[ii], dd[ii]);
        let pr = &mut sc[ii * BC..ii * BC + nc];
        if li.is_nan() { pr.fill(f32::NAN); } else { exp_shift_row(pr, li); }
        for (d, &p) in dp[ii * BC..ii * BC + nc].iter_mut().zip(pr.iter()) { *d = p * (*d - di) * scale; }
    }
}
}

simd_fn! {
/// dd[i] = dO_i . O_i (the softmax backward's row term) for rows [0, l) of item bh.
fn row_terms(g: &Attn, out: &[f32], gout: &[f32], ob: usize, dd: &mut [f32]) {
    for (i, d) in dd.iter_mut().enumerate() {
        let r = ob + i * g.o.sl;
        *d = dot(&gout[r..r + g.ev], &out[r..r + g.ev]);
    }
}
}

/// Zeroes `rows` rows of `cols` floats, `sl` apart, from p.
///
/// # Safety
/// The rows are valid and owned by the caller.
unsafe fn zero_rows(p: *mut f32, rows: usize, sl: usize, cols: usize) {
    for i in 0..rows {
        core::slice::from_raw_parts_mut(p.add(i * sl), cols).fill(0.0);
    }
}

/// One batch*head item of the backward: its rows of dq, dk, dv (overwritten).
///
/// # Safety
/// dq, dk, dv are the bases of the gradient layouts `g.dq`, `g.dk`, `g.dv`, valid for their spans,
/// and no other thread touches item bh's rows of them.
unsafe fn backward_item(
    g: &Attn,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: Option<&[f32]>,
    out: &[f32],
    lse: &[f32],
    gout: &[f32],
    bh: usize,
    dq: *mut f32,
    dk: *mut f32,
    dv: *mut f32,
) {
    let (l, e, ev) = (g.l, g.e, g.ev);
    let lse = &lse[bh * l..(bh + 1) * l];
    let (dq, dk, dv) = (dq.add(g.base(g.dq, bh)), dk.add(g.base(g.dk, bh)), dv.add(g.base(g.dv, bh)));
    zero_rows(dq, l, g.dq.sl, e);
    zero_rows(dk, g.s, g.dk.sl, e);
    zero_rows(dv, g.s, g.dv.sl, ev);
    let (qb, ob, mb) = (g.base(g.q, bh), g.base(g.o, bh), g.mask_base(bh));
    let nqb = l.div_ceil(BR);
    let (qal, qbl, gal, gbl) =
        (gemm::packed_a_len(BR, e), gemm::packed_b_len(BR, e), gemm::packed_a_len(BR, ev), gemm::packed_b_len(BR, ev));
    let lens = [
        l,
        nqb * qal,
        nqb * qbl,
        nqb * gal,
        nqb * gbl,
        gemm::packed_b_len(e, BC),
        gemm::packed_b_len(ev, BC),
        gemm::packed_b_len(BC, e),
        BR * BC,
        BR * BC,
        gemm::packed_a_len(BC, BR).max(gemm::packed_a_len(BR, BC)),
    ];
    with_ws(lens, |[dd, qa, qbp, ga, gb, kt, vt, kn, sc, dp, pa]| {
        row_terms(g, out, gout, ob, dd);
        // the query blocks' operands, packed once: Q and dO as A (for S and dP) and as B (for dK, dV)
        for qi in 0..nqb {
            let (r0, r1) = (qi * BR, ((qi + 1) * BR).min(l));
            let nr = r1 - r0;
            let (qr, gr) = (&q[qb + r0 * g.q.sl..], &gout[ob + r0 * g.o.sl..]);
            gemm::pack_a_panels(nr, e, qr, ld(g.q.sl, nr, e), false, &mut qa[qi * qal..]);
            gemm::pack_b_panels(nr, e, qr, ld(g.q.sl, nr, e), false, &mut qbp[qi * qbl..]);
            gemm::pack_a_panels(nr, ev, gr, ld(g.o.sl, nr, ev), false, &mut ga[qi * gal..]);
            gemm::pack_b_panels(nr, ev, gr, ld(g.o.sl, nr, ev), false, &mut gb[qi * gbl..]);
        }
        let (kb0, vb0) = (g.base(g.k, bh), g.base(g.v, bh));
        let mut c0 = 0;
        while c0 < g.s {
            let c1 = (c0 + BC).min(g.s);
            let ncb = c1 - c0;
            let (kr, vr) = (&k[kb0 + c0 * g.k.sl..], &v[vb0 + c0 * g.v.sl..]);
            gemm::pack_b_panels(e, ncb, kr, ld(g.k.sl, ncb, e), true, kt);
            gemm::pack_b_panels(ev, ncb, vr, ld(g.v.sl, ncb, ev), true, vt);
            gemm::pack_b_panels(ncb, e, kr, ld(g.k.sl, ncb, e), false, kn);
            // causal: only query blocks with a row i >= c0 see this key block
            let q_first = if g.causal { c0 / BR } else { 0 };
            for qi in q_first..nqb {
                let (r0, r1) = (qi * BR, ((qi + 1) * BR).min(l));
                let nr = r1 - r0;
                // causal: keys past the block's last query row have P = 0 and dS = 0
                let nc = if g.causal { c1.min(r1) - c0 } else { ncb };
                gemm::sgemm_packed(nr, nc, e, &qa[qi * qal..], kt, sc, BC, false);
                finish_scores(g, sc, mask, mb, r0, nr, c0, nc);
                gemm::sgemm_packed(nr, nc, ev, &ga[qi * gal..], vt, dp, BC, false);
                probs_and_ds(g, sc, dp, nr, nc, &lse[r0..r1], &dd[r0..r1]);
                // dV_j += sum_i P_ij dO_i, dK_j += sum_i dS_ij Q_i, dQ_i += sum_j dS_ij K_j
                gemm::pack_a_panels(nc, nr, sc, BC, true, pa);
                gemm::sgemm_packed_raw(
                    nc,
                    ev,
                    nr,
                    pa.as_ptr(),
                    gb[qi * gbl..].as_ptr(),
                    dv.add(c0 * g.dv.sl),
                    g.dv.sl,
                    true,
                );
                gemm::pack_a_panels(nc, nr, dp, BC, true, pa);
                gemm::sgemm_packed_raw(
                    nc,
                    e,
                    nr,
                    pa.as_ptr(),
                    qbp[qi * qbl..].as_ptr(),
                    dk.add(c0 * g.dk.sl),
                    g.dk.sl,
                    true,
                );
                gemm::pack_a_panels(nr, nc, dp, BC, false, pa);
                gemm_depth(nr, e, nc, ncb, pa, kn, dq.add(r0 * g.dq.sl), g.dq.sl, true);
            }
            c0 = c1;
        }
    });
}

/// Gradients of `attention` given its saved out/lse and the output gradient gout (both in out's
/// layout `g.o`): dq, dk, dv in their layouts `g.dq`, `g.dk`, `g.dv`, overwritten. The mask gets
/// no gradient.
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
    assert!(
        dq.len() >= g.dq_len() && dk.len() >= g.dk_len() && dv.len() >= g.dv_len(),
        "attention_grad: grads too short"
    );
    // SAFETY: three distinct slices, long enough (checked).
    unsafe { attention_grad_raw(g, q, k, v, mask, out, lse, gout, dq.as_mut_ptr(), dk.as_mut_ptr(), dv.as_mut_ptr()) }
}

/// [`attention_grad`] with the gradients as raw pointers, so they may interleave in one buffer
/// (e.g. the three column blocks of a packed [B, T, 3E] in-projection gradient).
///
/// # Safety
/// dq, dk, dv are valid for `g.dq_len()`, `g.dk_len()`, `g.dv_len()` floats, nothing else reads
/// or writes them during the call, and no element is reached by two (item, row, column) triples of
/// the three layouts (see [`grads_disjoint`]).
#[allow(clippy::too_many_arguments)]
pub unsafe fn attention_grad_raw(
    g: &Attn,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: Option<&[f32]>,
    out: &[f32],
    lse: &[f32],
    gout: &[f32],
    dq: *mut f32,
    dk: *mut f32,
    dv: *mut f32,
) {
    if g.bh == 0 {
        return;
    }
    assert!(q.len() >= g.q_len() && k.len() >= g.k_len() && v.len() >= g.v_len(), "attention_grad: inputs too short");
    assert!(out.len() >= g.o_len() && gout.len() >= g.o_len() && lse.len() >= g.bh * g.l, "attention_grad: too short");
    assert!(mask.is_none_or(|m| m.len() >= g.mask_len()), "attention_grad: mask too short");
    if let Err(e) = g.check_rows() {
        panic!("{e}");
    }
    let (qp, kp, vp) = (SendPtr(dq), SendPtr(dk), SendPtr(dv));
    par::run(g.bh, &|bh, _| {
        // SAFETY: task bh writes only item bh's rows of dq, dk and dv (the caller's contract).
        unsafe { backward_item(g, q, k, v, mask, out, lse, gout, bh, qp.get(), kp.get(), vp.get()) };
    });
}

/// Whether blocks of `width` floats at `sum idx_d * stride_d` (idx_d < count_d) are pairwise
/// disjoint: sorted by stride, each stride at least the extent of the dims below it (sufficient).
fn blocks_disjoint(dims: &mut [(usize, usize)], width: usize) -> bool {
    dims.sort();
    let mut extent = width;
    for &(st, n) in dims.iter() {
        if n <= 1 {
            continue;
        }
        if st < extent {
            return false;
        }
        extent += (n - 1) * st;
    }
    true
}

/// (stride, count) of the batch, head and row dims of a layout with `rows` rows.
fn lay_dims(g: &Attn, lay: Lay, rows: usize) -> [(usize, usize); 3] {
    let heads = g.heads.max(1);
    let (nb, nh) = if g.bh == 0 { (0, 0) } else { ((g.bh - 1) / heads + 1, heads.min(g.bh)) };
    [(lay.sb, nb), (lay.sh, nh), (lay.sl, rows)]
}

/// Whether a layout (out or a gradient) reaches each element at most once, so the tasks writing
/// it never write the same element.
pub fn grad_layout_ok(g: &Attn, lay: Lay, rows: usize, cols: usize) -> bool {
    if g.bh == 0 || rows == 0 || cols == 0 {
        return true; // nothing is written
    }
    blocks_disjoint(&mut lay_dims(g, lay, rows), cols)
}

/// Whether three gradient layouts starting `offs` floats apart in one buffer (dq, dk, dv order)
/// reach disjoint elements: the same strides for all three and offsets evenly spaced, read as a
/// fourth dim. This is what MultiheadAttention's packed [B, T, 3E] / [T, B, 3E] gradient is.
pub fn grads_disjoint(g: &Attn, offs: [isize; 3]) -> bool {
    let empty = |rows: usize, cols: usize| rows == 0 || cols == 0;
    if g.bh == 0 || empty(g.l, g.e) && empty(g.s, g.e) && empty(g.s, g.ev) {
        return true; // nothing is written
    }
    if g.dq != g.dk || g.dq != g.dv {
        return false;
    }
    let mut o = offs;
    o.sort();
    let d = o[1] - o[0];
    if d <= 0 || o[2] - o[1] != d {
        return false;
    }
    let [a, b, c] = lay_dims(g, g.dq, g.l.max(g.s));
    blocks_disjoint(&mut [a, b, c, (d as usize, 3)], g.e.max(g.ev))
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

    /// Element (bh, row, col) of an operand in layout `lay`.
    fn at(g: &Attn, lay: Lay, bh: usize, row: usize, col: usize) -> usize {
        g.base(lay, bh) + row * lay.sl + col
    }

    /// The documented formula in float64, materialising every score: (out [bh, l, ev] dense,
    /// lse, probabilities per item).
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
                        let mut x: f64 =
                            (0..e).map(|t| q[at(g, g.q, b, i, t)] as f64 * k[at(g, g.k, b, j, t)] as f64).sum::<f64>()
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
                pm[i * s..(i + 1) * s].copy_from_slice(&sc);
                for t in 0..ev {
                    out[(b * l + i) * ev + t] = (0..s).map(|j| sc[j] * v[at(g, g.v, b, j, t)] as f64).sum();
                }
            }
            probs.push(pm);
        }
        (out, lse, probs)
    }

    /// Reference gradients (dq, dk, dv dense [bh, rows, cols]) from the materialised probabilities.
    fn reference_grad(g: &Attn, q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, go: &[f32]) -> [Vec<f64>; 3] {
        let (l, s, e, ev) = (g.l, g.s, g.e, g.ev);
        let (_, _, probs) = reference(g, q, k, v, mask);
        let sc = g.scale as f64;
        let (mut dq, mut dk, mut dv) = (vec![0f64; g.bh * l * e], vec![0f64; g.bh * s * e], vec![0f64; g.bh * s * ev]);
        for b in 0..g.bh {
            let p = &probs[b];
            let gor = |i: usize, t: usize| go[at(g, g.o, b, i, t)] as f64;
            let mut ds = vec![0f64; l * s];
            for i in 0..l {
                let dp: Vec<f64> =
                    (0..s).map(|j| (0..ev).map(|t| gor(i, t) * v[at(g, g.v, b, j, t)] as f64).sum()).collect();
                let dsum: f64 = (0..s).map(|j| p[i * s + j] * dp[j]).sum();
                for j in 0..s {
                    ds[i * s + j] = p[i * s + j] * (dp[j] - dsum) * sc;
                }
            }
            for j in 0..s {
                for t in 0..ev {
                    dv[(b * s + j) * ev + t] = (0..l).map(|i| p[i * s + j] * gor(i, t)).sum();
                }
                for t in 0..e {
                    dk[(b * s + j) * e + t] = (0..l).map(|i| ds[i * s + j] * q[at(g, g.q, b, i, t)] as f64).sum();
                }
            }
            for i in 0..l {
                for t in 0..e {
                    dq[(b * l + i) * e + t] = (0..s).map(|j| ds[i * s + j] * k[at(g, g.k, b, j, t)] as f64).sum();
                }
            }
        }
        [dq, dk, dv]
    }

    fn geom(bh: usize, l: usize, s: usize, e: usize, ev: usize, causal: bool) -> Attn {
        Attn {
            bh,
            heads: 1,
            l,
            s,
            e,
            ev,
            scale: 1.0 / (e.max(1) as f32).sqrt(),
            causal,
            q: Lay::dense(l, e),
            k: Lay::dense(s, e),
            v: Lay::dense(s, ev),
            m_sb: 0,
            m_sh: 0,
            m_sl: s,
            m_ss: 1,
            o: Lay::dense(l, ev),
            dq: Lay::dense(l, e),
            dk: Lay::dense(s, e),
            dv: Lay::dense(s, ev),
        }
    }

    fn close(a: f32, r: f64, atol: f64, rtol: f64, what: &str) {
        assert!((a as f64 - r).abs() <= atol + rtol * r.abs(), "{what}: {a} vs {r}");
    }

    /// A [l, s] mask with some -inf, the diagonal kept so no row is fully masked.
    fn some_mask(l: usize, s: usize) -> Vec<f32> {
        let mut mask: Vec<f32> = rnd(l * s, 4).iter().map(|x| if *x > 0.8 { f32::NEG_INFINITY } else { *x }).collect();
        for i in 0..l {
            mask[i * s + i.min(s - 1)] = 0.0;
        }
        mask
    }

    #[test]
    fn forward_matches_formula_on_odd_sizes() {
        for &(bh, l, s, e, ev, causal, masked) in &[
            (1, 1, 1, 1, 1, false, false),
            (2, 17, 70, 5, 3, false, true),
            (3, 33, 33, 80, 80, true, false),
            (1, 65, 130, 7, 9, true, true),
            (2, 5, 200, 16, 16, false, true),
            (1, 129, 300, 64, 64, false, true),
            (2, 300, 129, 8, 8, true, false),
            (1, 200, 200, 80, 80, true, true),
            (2, 150, 260, 48, 40, true, false),
            (1, 7, 7, 0, 4, false, false),
            (1, 7, 9, 4, 0, true, false),
        ] {
            let g = geom(bh, l, s, e, ev, causal);
            let (q, k, v) = (rnd(bh * l * e, 1), rnd(bh * s * e, 2), rnd(bh * s * ev, 3));
            let mask = some_mask(l, s);
            let m = if masked { Some(&mask[..]) } else { None };
            let mut out = vec![f32::NAN; bh * l * ev];
            let mut lse = vec![f32::NAN; bh * l];
            attention(&g, &q, &k, &v, m, &mut out, &mut lse);
            let (ro, rl, _) = reference(&g, &q, &k, &v, m);
            let what = format!("({bh},{l},{s},{e},{ev},{causal},{masked})");
            for (a, b) in out.iter().zip(&ro) {
                close(*a, *b, 1e-5, 1e-4, &what);
            }
            for (a, b) in lse.iter().zip(&rl) {
                close(*a, *b, 1e-4, 1e-5, &format!("lse {what}"));
            }
        }
    }

    #[test]
    fn long_keys_use_block_packing() {
        // s * (e + ev) floats beyond FULL_KV_MAX: keys and values packed per block
        let (bh, l, s, e) = (1, 70, 4200, 64);
        let g = geom(bh, l, s, e, e, false);
        assert!(s.div_ceil(BC) * (gemm::packed_b_len(e, BC) + gemm::packed_b_len(BC, e)) > FULL_KV_MAX);
        let (q, k, v) = (rnd(l * e, 21), rnd(s * e, 22), rnd(s * e, 23));
        let q: Vec<f32> = q.iter().map(|x| x * 4.0).collect();
        let (mut out, mut lse) = (vec![0f32; l * e], vec![0f32; l]);
        attention(&g, &q, &k, &v, None, &mut out, &mut lse);
        let (ro, rl, _) = reference(&g, &q, &k, &v, None);
        for (a, b) in out.iter().zip(&ro) {
            close(*a, *b, 2e-5, 1e-4, "long");
        }
        for (a, b) in lse.iter().zip(&rl) {
            close(*a, *b, 1e-4, 1e-5, "long lse");
        }
    }

    #[test]
    fn backward_matches_formula() {
        for &(bh, l, s, e, ev, causal, masked) in &[
            (1, 3, 4, 2, 3, false, false),
            (2, 19, 70, 5, 6, true, false),
            (1, 40, 17, 33, 1, false, true),
            (2, 129, 131, 64, 64, true, false),
            (1, 70, 300, 80, 80, false, true),
            (1, 300, 7, 8, 8, false, false),
        ] {
            let g = geom(bh, l, s, e, ev, causal);
            let (q, k, v, go) = (rnd(bh * l * e, 5), rnd(bh * s * e, 6), rnd(bh * s * ev, 7), rnd(bh * l * ev, 8));
            let mask = some_mask(l, s);
            let m = if masked { Some(&mask[..]) } else { None };
            let mut out = vec![0f32; bh * l * ev];
            let mut lse = vec![0f32; bh * l];
            attention(&g, &q, &k, &v, m, &mut out, &mut lse);
            let (mut dq, mut dk, mut dv) =
                (vec![f32::NAN; bh * l * e], vec![f32::NAN; bh * s * e], vec![f32::NAN; bh * s * ev]);
            attention_grad(&g, &q, &k, &v, m, &out, &lse, &go, &mut dq, &mut dk, &mut dv);
            let [rq, rk, rv] = reference_grad(&g, &q, &k, &v, m, &go);
            let what = format!("({bh},{l},{s},{e},{ev},{causal})");
            for (n, (a, r)) in [(&dq, &rq), (&dk, &rk), (&dv, &rv)].into_iter().enumerate() {
                for (x, y) in a.iter().zip(r.iter()) {
                    close(*x, *y, 1e-4, 1e-3, &format!("grad {n} {what}"));
                }
            }
        }
    }

    /// q, k, v read from one packed [B, T, 3E] (or time-major [T, B, 3E]) buffer, out written as
    /// [B, T, E], the gradients into one packed buffer: the dense results, bit for bit.
    #[test]
    fn packed_layouts_match_dense() {
        for &(batch_first, causal) in &[(true, false), (false, true)] {
            let (b, h, t, hd) = (3usize, 4usize, 37usize, 16usize);
            let ee = h * hd;
            let bh = b * h;
            let qkv = rnd(b * t * 3 * ee, 30);
            let go_bte = rnd(b * t * ee, 31);
            // element (b, i, c) of a [B, T, C] (batch_first) or [T, B, C] buffer
            let pos = |bb: usize, i: usize, c: usize, cols: usize| {
                if batch_first {
                    (bb * t + i) * cols + c
                } else {
                    (i * b + bb) * cols + c
                }
            };
            let (sb, sl) = if batch_first { (t, 1) } else { (1, b) };
            let lay = |cols: usize| Lay::new(sb * cols, hd, sl * cols);
            let mut g = geom(bh, t, t, hd, hd, causal);
            g.heads = h;
            (g.q, g.k, g.v, g.o) = (lay(3 * ee), lay(3 * ee), lay(3 * ee), lay(ee));
            (g.dq, g.dk, g.dv) = (lay(3 * ee), lay(3 * ee), lay(3 * ee));
            assert!(grads_disjoint(&g, [0, ee as isize, 2 * ee as isize]));
            assert!(!grads_disjoint(&g, [0, ee as isize - 1, 2 * ee as isize]));
            assert!(grad_layout_ok(&g, g.o, t, hd));
            let mut out = vec![f32::NAN; b * t * ee];
            let mut lse = vec![0f32; bh * t];
            attention(&g, &qkv, &qkv[ee..], &qkv[2 * ee..], None, &mut out, &mut lse);
            let mut dqkv = vec![f32::NAN; b * t * 3 * ee];
            let p = dqkv.as_mut_ptr();
            unsafe {
                attention_grad_raw(
                    &g,
                    &qkv,
                    &qkv[ee..],
                    &qkv[2 * ee..],
                    None,
                    &out,
                    &lse,
                    &go_bte,
                    p,
                    p.add(ee),
                    p.add(2 * ee),
                )
            };
            // the same in dense [bh, t, hd] operands
            let split = |src: &[f32], cols: usize, off: usize| {
                let mut d = vec![0f32; bh * t * hd];
                for bb in 0..b {
                    for hh in 0..h {
                        for i in 0..t {
                            for c in 0..hd {
                                d[((bb * h + hh) * t + i) * hd + c] = src[pos(bb, i, off + hh * hd + c, cols)];
                            }
                        }
                    }
                }
                d
            };
            let (q, k, v, go) =
                (split(&qkv, 3 * ee, 0), split(&qkv, 3 * ee, ee), split(&qkv, 3 * ee, 2 * ee), split(&go_bte, ee, 0));
            let gd = geom(bh, t, t, hd, hd, causal);
            let (mut od, mut ld) = (vec![0f32; bh * t * hd], vec![0f32; bh * t]);
            attention(&gd, &q, &k, &v, None, &mut od, &mut ld);
            let (mut dq, mut dk, mut dv) = (od.clone(), od.clone(), od.clone());
            attention_grad(&gd, &q, &k, &v, None, &od, &ld, &go, &mut dq, &mut dk, &mut dv);
            let bits = |a: &[f32], b: &[f32], what: &str| {
                assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "{what} batch_first={batch_first}")
            };
            bits(&split(&out, ee, 0), &od, "out");
            bits(&lse, &ld, "lse");
            bits(&split(&dqkv, 3 * ee, 0), &dq, "dq");
            bits(&split(&dqkv, 3 * ee, ee), &dk, "dk");
            bits(&split(&dqkv, 3 * ee, 2 * ee), &dv, "dv");
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
        let (o1, l1) = run(&g);
        assert!(o1[2 * 4..3 * 4].iter().all(|x| x.is_nan()) && o1[..2 * 4].iter().all(|x| x.is_finite()));
        assert!(l1[2].is_nan() && l1[1].is_finite());
        // the backward of a fully masked row is NaN for its dq row
        let go = rnd(6 * 9 * 4, 15);
        let (mut dq, mut dk, mut dv) = (vec![0f32; 6 * 9 * 4], vec![0f32; 6 * 11 * 4], vec![0f32; 6 * 11 * 4]);
        attention_grad(&g, &q, &k, &v, Some(&mask), &o1, &l1, &go, &mut dq, &mut dk, &mut dv);
        assert!(dq[2 * 4..3 * 4].iter().all(|x| x.is_nan()) && dq[..2 * 4].iter().all(|x| x.is_finite()));
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
        g.q = Lay::new(4, 0, 24);
        g.k = Lay::new(4, 0, 24);
        g.v = Lay::new(4, 0, 24);
        let mut out = vec![0f32; 6 * 9 * 4];
        let mut lse = vec![0f32; 6 * 9];
        attention(&g, &qt, &kt, &vt, Some(&mask), &mut out, &mut lse);
        for (a, b) in o1.iter().zip(&out) {
            assert!(a.to_bits() == b.to_bits());
        }
    }

    #[test]
    fn no_keys_is_nan() {
        let g = geom(2, 3, 0, 4, 4, false);
        let (mut out, mut lse) = (vec![0f32; 24], vec![0f32; 6]);
        attention(&g, &[0.0; 24], &[], &[], None, &mut out, &mut lse);
        assert!(out.iter().chain(&lse).all(|x| x.is_nan()));
    }
}

#[cfg(test)]
mod bench {
    #[test]
    #[ignore]
    fn attention_speed() {
        use super::*;
        let only = std::env::var("ATTN_SHAPE").ok();
        for &(bh, l, e, causal) in &[(64usize, 128usize, 64usize, false), (64, 64, 16, true), (32, 256, 64, true)] {
            if only.as_deref().is_some_and(|o| o != format!("{l}x{e}")) {
                continue;
            }
            let mut g = tests_geom(bh, l, e, causal);
            g.scale = 0.125;
            let x: Vec<f32> = (0..bh * l * e).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
            let mut out = vec![0f32; bh * l * e];
            let mut lse = vec![0f32; bh * l];
            attention(&g, &x, &x, &x, None, &mut out, &mut lse);
            let n = 20;
            let t = std::time::Instant::now();
            for _ in 0..n {
                attention(&g, &x, &x, &x, None, &mut out, &mut lse);
            }
            let dt = t.elapsed().as_secs_f64() / n as f64;
            let fl = 4.0 * (bh * l * l * e) as f64 / if causal { 2.0 } else { 1.0 };
            eprintln!("bh{bh} l{l} e{e} causal={causal}: fwd {:.3} ms ({:.1} GFLOPS)", dt * 1e3, fl / dt / 1e9);
            // the machine's GEMM speed on the same flops (bh*l x l x e twice), measured alongside
            let a: Vec<f32> = x.iter().cycle().take(bh * l * e).cloned().collect();
            let mut c = vec![0f32; bh * l * l];
            let t = std::time::Instant::now();
            for _ in 0..n {
                gemm::sgemm(bh * l, l, e, &a, e, false, &x[..l * e], e, true, &mut c, l, 0.0, None);
                gemm::sgemm(bh * l, e, l, &c, l, false, &x[..l * e], e, false, &mut out, e, 0.0, None);
            }
            let dg = t.elapsed().as_secs_f64() / n as f64;
            eprintln!(
                "    plain gemm of the same flops {:.3} ms ({:.1} GFLOPS)",
                dg * 1e3,
                4.0 * (bh * l * l * e) as f64 / dg / 1e9
            );
            let (mut dq, mut dk, mut dv) = (out.clone(), out.clone(), out.clone());
            let t = std::time::Instant::now();
            for _ in 0..n {
                attention_grad(&g, &x, &x, &x, None, &out, &lse, &x, &mut dq, &mut dk, &mut dv);
            }
            let dt = t.elapsed().as_secs_f64() / n as f64;
            eprintln!("    bwd {:.3} ms ({:.1} GFLOPS)", dt * 1e3, 2.5 * fl / dt / 1e9);
        }
    }

    fn tests_geom(bh: usize, l: usize, e: usize, causal: bool) -> super::Attn {
        use super::Lay;
        super::Attn {
            bh,
            heads: 1,
            l,
            s: l,
            e,
            ev: e,
            scale: 1.0,
            causal,
            q: Lay::dense(l, e),
            k: Lay::dense(l, e),
            v: Lay::dense(l, e),
            m_sb: 0,
            m_sh: 0,
            m_sl: 0,
            m_ss: 0,
            o: Lay::dense(l, e),
            dq: Lay::dense(l, e),
            dk: Lay::dense(l, e),
            dv: Lay::dense(l, e),
        }
    }
}
