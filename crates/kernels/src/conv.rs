//! N-d convolution (written as 3-d) forward and backward via im2col/col2im and the shared GEMM,
//! with groups. 1x1 / stride 1 / no padding needs no im2col. Workspaces are grow-only per thread.
//!
//! No full im2col matrix is materialised: the output columns are cut into blocks whose im2col
//! slice fits L2 (`block_cols`), and the tasks (image, group, block) run on the thread pool.
//! Forward: with wide x86 panels and a "shifted rows" geometry (stride 1, same width, e.g. 3x3
//! pad 1) the im2col is written straight into the GEMM's packed-B panels (implicit GEMM, weights
//! packed once); otherwise the block is im2col'ed row-contiguous and read in place by the GEMM.
//! The bias is an extra column of A times a row of ones. Stride-2 inputs are first split into
//! even/odd columns so every im2col segment is a contiguous copy. Grad-input: W^T (packed once)
//! times gy blocks, then col2im, tasks over (image, group, channel chunk) so writes are disjoint.
//! Grad-weight: blocks of the column space of all images concatenated (deep, few GEMM calls),
//! split across threads with per-thread partial sums.
use crate::linalg::SendPtr;
use crate::{gemm, par};
use std::cell::RefCell;

crate::abi_struct! {
    /// Geometry of an N-d convolution, written as 3-d (conv1d/conv2d set the leading sizes to 1):
    /// x [N, C, inD, inH, inW], w [O, C/groups, kD, kH, kW], y [N, O, outD, outH, outW].
    pub struct ConvGeom {
        n = "N", c = "C", o = "O", groups = "groups",
        in_d = "inD", in_h = "inH", in_w = "inW",
        k_d = "kD", k_h = "kH", k_w = "kW",
        s_d = "sD", s_h = "sH", s_w = "sW",
        p_d = "pD", p_h = "pH", p_w = "pW",
        d_d = "dD", d_h = "dH", d_w = "dW",
        out_d = "outD", out_h = "outH", out_w = "outW",
    }
}

impl ConvGeom {
    pub fn in_size(&self) -> usize { self.in_d * self.in_h * self.in_w }
    pub fn out_size(&self) -> usize { self.out_d * self.out_h * self.out_w }
    pub fn k_size(&self) -> usize { self.k_d * self.k_h * self.k_w }
    /// channels per group
    pub fn cg(&self) -> usize { self.c / self.groups }
    /// output channels per group
    pub fn og(&self) -> usize { self.o / self.groups }
    /// rows of one group's im2col matrix
    pub fn kg(&self) -> usize { self.cg() * self.k_size() }
    /// 1x1 kernel, stride 1, no padding: the input already is the im2col matrix.
    pub fn is_pointwise(&self) -> bool {
        self.k_size() == 1 && self.s_d == 1 && self.s_h == 1 && self.s_w == 1
            && self.p_d == 0 && self.p_h == 0 && self.p_w == 0
            && self.out_size() == self.in_size()
    }
    pub fn x_len(&self) -> usize { self.n * self.c * self.in_size() }
    pub fn y_len(&self) -> usize { self.n * self.o * self.out_size() }
    pub fn w_len(&self) -> usize { self.o * self.cg() * self.k_size() }
}

thread_local! {
    static COL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PARTIAL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's grow-only scratch of at least `len` floats.
fn with_col<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    COL.with(|c| {
        let mut v = c.borrow_mut();
        // 64-byte aligned start (whole-cache-line panel rows for the 512-bit loads and stores)
        if v.len() < len + 16 { v.resize(len + 16, 0.0); }
        let skip = v.as_ptr().align_offset(64).min(15);
        f(&mut v[skip..skip + len])
    })
}

/// Maps an output coordinate + kernel tap to an input coordinate (None when in the padding).
#[inline(always)]
fn src(o: usize, s: usize, p: usize, k: usize, d: usize, n: usize) -> Option<usize> {
    let i = (o * s + k * d) as isize - p as isize;
    if i >= 0 && (i as usize) < n { Some(i as usize) } else { None }
}

/// C[m x n] (ldc = n) = beta*C + op(A) op(B), rows split across threads when large.
#[allow(clippy::too_many_arguments)]
fn gemm_par(m: usize, n: usize, k: usize, a: &[f32], lda: usize, ta: bool, b: &[f32], ldb: usize, tb: bool,
            c: &mut [f32], beta: f32) {
    let work = m * n * k;
    let parts = par::threads().min(m.div_ceil(4)).min(work / crate::linalg::PAR_MIN_FLOPS).max(1);
    if parts <= 1 {
        gemm::sgemm(m, n, k, a, lda, ta, b, ldb, tb, c, n, beta, None);
        return;
    }
    let cp = SendPtr(c.as_mut_ptr());
    let cl = c.len();
    par::run(parts, &|t, _| {
        let (r0, r1) = par::split(m, parts, 4, t);
        if r0 >= r1 { return; }
        // SAFETY: each task writes only rows [r0, r1) of C.
        let cs = unsafe { core::slice::from_raw_parts_mut(cp.get(), cl) };
        gemm::sgemm_rows(m, n, k, a, lda, ta, b, ldb, tb, cs, n, beta, None, r0, r1);
    });
}

/// Runs `f(image)` for every image, across threads when there are enough images.
fn per_image(g: &ConvGeom, f: &(dyn Fn(usize) + Sync)) {
    if g.n >= 2 && par::threads() > 1 {
        par::run(g.n, &|i, _| f(i));
    } else {
        for i in 0..g.n { f(i); }
    }
}

thread_local! {
    static BUF_B: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static SPLIT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

fn with_buf<R>(key: &'static std::thread::LocalKey<RefCell<Vec<f32>>>, len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    key.with(|c| {
        let mut v = c.borrow_mut();
        if v.len() < len { v.resize(len, 0.0); }
        f(&mut v[..len])
    })
}

/// Shifted-row convolutions at least this deep take the fused first-tile im2col on AVX-512.
#[cfg(target_arch = "x86_64")]
const FUSED_MIN_K: usize = 100;
/// Floats of the per-task im2col block: sized to stay in L2 next to the packed weights.
const BLOCK_FLOATS: usize = 96 * 1024;
/// Grad-input col block (GEMM output, then col2im).
const GIN_FLOATS: usize = GIN_KB * 1024;
const GIN_KB: usize = 1024;
/// Grad-weight col block: it is the GEMM's depth, so larger blocks mean fewer passes over gw.
const GW_FLOATS: usize = GW_KB * 1024;
const GW_KB: usize = 1024;

static BUDGET_DIV: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1);

/// Test hook: divides every block budget by `div` (>= 1), so small shapes take the multi-block
/// paths too.
#[doc(hidden)]
pub fn set_block_budget_div(div: usize) {
    BUDGET_DIV.store(div.max(1), core::sync::atomic::Ordering::Relaxed);
}

/// Columns per block for a GEMM with `rows` rows of B (the im2col depth), out of `total`
/// columns, for a block of about `budget` floats; a multiple of `nr`, and small enough that
/// `tasks_outer * blocks` keeps every thread busy.
fn block_cols(budget: usize, rows: usize, total: usize, nr: usize, tasks_outer: usize) -> usize {
    let budget = budget / BUDGET_DIV.load(core::sync::atomic::Ordering::Relaxed).max(1);
    let mut nb = (budget / rows.max(1)) / nr * nr;
    nb = nb.clamp(nr, (64 * nr).max(budget / 64 / nr * nr));
    let threads = par::threads();
    if threads > 1 && tasks_outer < 4 * threads {
        // enough blocks for ~4 tasks per thread (dynamic claiming balances the tail)
        let want = (4 * threads).div_ceil(tasks_outer.max(1));
        let per = total.div_ceil(want).div_ceil(nr) * nr;
        nb = nb.min(per.max(nr));
    }
    if nb >= total { total.max(1) } else { nb }
}

/// Copies `src` into `dst` (same length) with inline fixed-size moves: these runs are short
/// (one output row), where a `memcpy` call would cost more than the copy.
#[inline(always)]
fn copy_run(dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    assert!(src.len() == n);
    let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
    let mut i = 0;
    // SAFETY: every access is below n in both slices.
    unsafe {
        while i + 8 <= n {
            core::ptr::write_unaligned(d.add(i) as *mut [f32; 8], core::ptr::read_unaligned(s.add(i) as *const [f32; 8]));
            i += 8;
        }
        if i + 4 <= n {
            core::ptr::write_unaligned(d.add(i) as *mut [f32; 4], core::ptr::read_unaligned(s.add(i) as *const [f32; 4]));
            i += 4;
        }
        if i + 2 <= n {
            core::ptr::write_unaligned(d.add(i) as *mut [f32; 2], core::ptr::read_unaligned(s.add(i) as *const [f32; 2]));
            i += 2;
        }
        if i < n { *d.add(i) = *s.add(i); }
    }
}

/// Adds `src` into `dst` (same length), like [`copy_run`].
#[inline(always)]
fn add_run(dst: &mut [f32], src: &[f32]) {
    for (d, &v) in dst.iter_mut().zip(src) { *d += v; }
}

/// Zeroes a short run inline.
#[inline(always)]
fn zero_run(dst: &mut [f32]) {
    let n = dst.len();
    if n > 16 { dst.fill(0.0); return; }
    let d = dst.as_mut_ptr();
    let mut i = 0;
    // SAFETY: every access is below n.
    unsafe {
        while i + 4 <= n { core::ptr::write_unaligned(d.add(i) as *mut [f32; 4], [0.0; 4]); i += 4; }
        while i < n { *d.add(i) = 0.0; i += 1; }
    }
}

/// Position of flattened output column j: (od, oh, ow).
#[inline(always)]
fn out_pos(g: &ConvGeom, j: usize) -> (usize, usize, usize) {
    let hw = g.out_h * g.out_w;
    let od = j / hw;
    let rem = j - od * hw;
    let oh = rem / g.out_w;
    (od, oh, rem - oh * g.out_w)
}

/// 2-d, stride 1, output as wide as the input (e.g. 3x3 pad 1): a tap's im2col row is the
/// channel shifted by a constant, so runs of whole output rows are one contiguous copy, then
/// the columns that wrapped around from a neighbouring row are zeroed.
#[inline(always)]
fn shift_case(g: &ConvGeom) -> bool {
    g.in_d == 1 && g.out_d == 1 && g.k_d == 1 && g.p_d == 0 && g.s_h == 1 && g.s_w == 1 && g.in_w == g.out_w
}

/// For [`shift_case`]: (delta, js, je, lo, hi): valid columns j in [js, je) read xc[j + delta]
/// except the border columns ow < lo or ow >= hi (in range [js, je) only).
#[inline(always)]
fn shift_geom(g: &ConvGeom, kh: usize, kw: usize, j0: usize, j1: usize) -> (isize, usize, usize, usize, usize) {
    let w = g.out_w;
    let dh = (kh * g.d_h) as isize - g.p_h as isize;
    let off = (kw * g.d_w) as isize - g.p_w as isize;
    let delta = dh * w as isize + off;
    // valid rows: 0 <= oh + dh < in_h
    let rlo = (-dh).max(0) as usize;
    let rhi = ((g.in_h as isize - dh).max(0) as usize).min(g.out_h).max(rlo.min(g.out_h));
    let js = (rlo * w).clamp(j0, j1);
    let je = (rhi * w).clamp(js, j1);
    let (lo, hi) = valid_ow(g, off);
    (delta, js, je, lo.min(w), hi.min(w))
}

/// Calls `f(t)` for every output position t = j - j0 in [js, je) whose column is a border one.
#[inline(always)]
fn for_borders(w: usize, lo: usize, hi: usize, j0: usize, js: usize, je: usize, mut f: impl FnMut(usize)) {
    if lo == 0 && hi >= w { return; }
    let mut row0 = js - js % w;
    while row0 < je {
        for ow in 0..lo { let j = row0 + ow; if j >= js && j < je { f(j - j0); } }
        for ow in hi..w { let j = row0 + ow; if j >= js && j < je { f(j - j0); } }
        row0 += w;
    }
}

/// Writes the im2col row values of channel slice `xc` for tap (kd, kh, kw) at output columns
/// j0..j1 (flattened (od, oh, ow)) into `out[..j1-j0]`.
#[inline(always)]
fn im2col_row(g: &ConvGeom, xc: &[f32], split: bool, kd: usize, kh: usize, kw: usize, j0: usize, j1: usize, out: &mut [f32]) {
    if shift_case(g) {
        let (delta, js, je, lo, hi) = shift_geom(g, kh, kw, j0, j1);
        let out = &mut out[..j1 - j0];
        let ins = xc.len() as isize;
        // in-bounds part of the source range; the rest are border columns, zeroed below
        let cs = (js as isize).max(-delta).min(je as isize) as usize;
        let ce = ((je as isize).min(ins - delta).max(cs as isize)) as usize;
        out[..cs - j0].fill(0.0);
        out[ce - j0..].fill(0.0);
        if cs < ce {
            let b = (cs as isize + delta) as usize;
            out[cs - j0..ce - j0].copy_from_slice(&xc[b..b + (ce - cs)]);
        }
        for_borders(g.out_w, lo, hi, j0, js, je, |t| out[t] = 0.0);
        return;
    }
    let off = (kw * g.d_w) as isize - g.p_w as isize;
    let (lo_all, hi_all) = valid_ow(g, off);
    let (mut od, mut oh, mut ow0) = out_pos(g, j0);
    let mut id = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d);
    let mut j = j0;
    let mut t = 0;
    while j < j1 {
        let ow1 = g.out_w.min(ow0 + (j1 - j));
        let len = ow1 - ow0;
        let seg = &mut out[t..t + len];
        match (id, src(oh, g.s_h, g.p_h, kh, g.d_h, g.in_h)) {
            (Some(id), Some(ih)) => {
                let xr = &xc[(id * g.in_h + ih) * g.in_w..(id * g.in_h + ih + 1) * g.in_w];
                let lo = lo_all.clamp(ow0, ow1);
                let hi = hi_all.clamp(lo, ow1);
                zero_run(&mut seg[..lo - ow0]);
                zero_run(&mut seg[hi - ow0..]);
                let dst = &mut seg[lo - ow0..hi - ow0];
                if lo < hi {
                    let b = (lo as isize * g.s_w as isize + off) as usize;
                    match g.s_w {
                        1 => copy_run(dst, &xr[b..b + (hi - lo)]),
                        2 if split => {
                            // xc holds each input row as [even columns, odd columns]
                            let st = (b & 1) * g.in_w.div_ceil(2) + (b >> 1);
                            copy_run(dst, &xr[st..st + (hi - lo)]);
                        }
                        2 => {
                            let sr = &xr[b..b + 2 * (hi - lo) - 1];
                            for (i, d) in dst.iter_mut().enumerate() { *d = sr[2 * i]; }
                        }
                        sw => {
                            for (i, d) in dst.iter_mut().enumerate() { *d = xr[b + sw * i]; }
                        }
                    }
                }
            }
            _ => zero_run(seg),
        }
        j += len;
        t += len;
        ow0 = 0;
        oh += 1;
        if oh == g.out_h {
            oh = 0;
            od += 1;
            id = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d);
        }
    }
}

/// Inverse of [`im2col_row`]: adds `row[..j1-j0]` into channel slice `xc`.
#[inline(always)]
fn col2im_row(g: &ConvGeom, row: &mut [f32], kd: usize, kh: usize, kw: usize, j0: usize, j1: usize, xc: &mut [f32]) {
    if shift_case(g) {
        let (delta, js, je, lo, hi) = shift_geom(g, kh, kw, j0, j1);
        // border entries would land on a neighbouring row: zero them (adding 0 is exact)
        for_borders(g.out_w, lo, hi, j0, js, je, |t| row[t] = 0.0);
        let ins = xc.len() as isize;
        let cs = (js as isize).max(-delta).min(je as isize) as usize;
        let ce = ((je as isize).min(ins - delta).max(cs as isize)) as usize;
        if cs < ce {
            let b = (cs as isize + delta) as usize;
            add_run(&mut xc[b..b + (ce - cs)], &row[cs - j0..ce - j0]);
        }
        return;
    }
    let off = (kw * g.d_w) as isize - g.p_w as isize;
    let (lo_all, hi_all) = valid_ow(g, off);
    let (mut od, mut oh, mut ow0) = out_pos(g, j0);
    let mut id = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d);
    let mut j = j0;
    let mut t = 0;
    while j < j1 {
        let ow1 = g.out_w.min(ow0 + (j1 - j));
        let len = ow1 - ow0;
        if let (Some(id), Some(ih)) = (id, src(oh, g.s_h, g.p_h, kh, g.d_h, g.in_h)) {
            let xr = &mut xc[(id * g.in_h + ih) * g.in_w..(id * g.in_h + ih + 1) * g.in_w];
            let lo = lo_all.clamp(ow0, ow1);
            let hi = hi_all.clamp(lo, ow1);
            if lo < hi {
                let sr = &row[t + lo - ow0..t + hi - ow0];
                let b = (lo as isize * g.s_w as isize + off) as usize;
                if g.s_w == 1 {
                    add_run(&mut xr[b..b + (hi - lo)], sr);
                } else {
                    for (i, &v) in sr.iter().enumerate() { xr[b + g.s_w * i] += v; }
                }
            }
        }
        j += len;
        t += len;
        ow0 = 0;
        oh += 1;
        if oh == g.out_h {
            oh = 0;
            od += 1;
            id = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d);
        }
    }
}

/// Output columns ow with 0 <= ow*s_w + off < in_w, as the range [lo, hi).
#[inline(always)]
fn valid_ow(g: &ConvGeom, off: isize) -> (usize, usize) {
    let sw = g.s_w.max(1) as isize;
    let lo = if off >= 0 { 0 } else { ((-off) + sw - 1) / sw };
    let lim = g.in_w as isize - off; // ow*sw < lim
    let hi = if lim <= 0 { 0 } else { (lim + sw - 1) / sw };
    (lo.max(0) as usize, (hi.max(0) as usize).max(lo.max(0) as usize))
}

crate::simd_fn! {
/// im2col of channels [c0, c0 + cg) at output columns j0..j1 for a [`shift_case`] geometry,
/// written straight in the GEMM's packed-B panel layout (`nr` wide, panel depth `depth` >= kg =
/// cg * taps), zero-padded past the last column; rows kg..depth (the bias row) are set to 1.
fn im2col_panels(g: &ConvGeom, x: &[f32], c0: usize, j0: usize, j1: usize, nr: usize, depth: usize, dst: &mut [f32]) {
    let ins = g.in_size();
    let nb = j1 - j0;
    let np = nb.div_ceil(nr);
    let kg = depth;
    for q in 0..np {
        dst[q * nr * kg + g.kg() * nr..(q + 1) * nr * kg].fill(1.0);
    }
    assert!(shift_case(g));
    {
        // rows are shifted copies of the channel: write each panel straight from x, panel by
        // panel so the writes form one sequential stream
        let taps = g.k_h * g.k_w;
        // per tap: (delta, copy range [cs, ce) in block positions)
        let mut tg = [(0isize, 0usize, 0usize); 64];
        let mut tgv = Vec::new();
        let tg: &mut [(isize, usize, usize)] = if taps <= 64 { &mut tg[..taps] } else { tgv.resize(taps, (0, 0, 0)); &mut tgv };
        for kh in 0..g.k_h { for kw in 0..g.k_w {
            let (delta, js, je, _, _) = shift_geom(g, kh, kw, j0, j1);
            let cs = (js as isize).max(-delta).min(je as isize) as usize;
            let ce = ((je as isize).min(ins as isize - delta).max(cs as isize)) as usize;
            tg[kh * g.k_w + kw] = (delta, cs - j0, ce - j0);
        }}
        for q in 0..np {
            let (t0, t1) = (q * nr, q * nr + nr);
            let panel = &mut dst[q * nr * kg..(q + 1) * nr * kg];
            let mut r = 0;
            for c in 0..g.cg() {
                let xc = &x[(c0 + c) * ins..(c0 + c + 1) * ins];
                for &(delta, cs, ce) in tg.iter() {
                    let d = &mut panel[r * nr..r * nr + nr];
                    if t0 >= cs && t1 <= ce {
                        let b = (j0 as isize + t0 as isize + delta) as usize;
                        copy_run(d, &xc[b..b + nr]);
                    } else {
                        let (a, e) = (cs.clamp(t0, t1), ce.clamp(t0, t1).max(cs.clamp(t0, t1)));
                        zero_run(&mut d[..a - t0]);
                        zero_run(&mut d[e - t0..]);
                        if a < e {
                            let b = (j0 as isize + a as isize + delta) as usize;
                            copy_run(&mut d[a - t0..e - t0], &xc[b..b + (e - a)]);
                        }
                    }
                    r += 1;
                }
            }
        }
        // zero the columns that wrapped around from a neighbouring row
        for kh in 0..g.k_h { for kw in 0..g.k_w {
            let (_, js, je, lo, hi) = shift_geom(g, kh, kw, j0, j1);
            if lo == 0 && hi >= g.out_w { continue; }
            for c in 0..g.cg() {
                let base = (c * taps + kh * g.k_w + kw) * nr;
                for_borders(g.out_w, lo, hi, j0, js, je, |t| dst[(t / nr) * nr * kg + base + t % nr] = 0.0);
            }
        }}
    }
}
}

/// For stride-2 convolutions: a copy of x with every input row stored as [even columns, odd
/// columns], so each im2col row segment becomes a contiguous copy instead of a strided gather.
/// The buffer is this thread's grow-only scratch: hand it back with [`split_done`].
fn split_stride2(g: &ConvGeom, x: &[f32]) -> Option<Vec<f32>> {
    if g.s_w != 2 || g.in_w < 2 { return None; }
    let w = g.in_w;
    let we = w.div_ceil(2);
    let mut buf = SPLIT.with(|c| std::mem::take(&mut *c.borrow_mut()));
    if buf.len() < x.len() { buf.resize(x.len(), 0.0); }
    let out = &mut buf[..x.len()];
    for (d, r) in out.chunks_exact_mut(w).zip(x.chunks_exact(w)) {
        let (ev, od) = d.split_at_mut(we);
        for (i, v) in ev.iter_mut().enumerate() { *v = r[2 * i]; }
        for (i, v) in od.iter_mut().enumerate() { *v = r[2 * i + 1]; }
    }
    Some(buf)
}

fn split_done(xs: Option<Vec<f32>>) {
    if let Some(v) = xs { SPLIT.with(|c| *c.borrow_mut() = v); }
}

/// Runs tasks 0..n across the pool (inline when single-threaded).
fn run_tasks(n: usize, f: &(dyn Fn(usize) + Sync)) {
    if n == 0 { return; }
    if n == 1 || par::threads() <= 1 {
        for t in 0..n { f(t); }
    } else {
        par::run(n, &|t, _| f(t));
    }
}

/// y = conv(x, w) + bias.
#[inline(never)]
pub fn conv(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32], relu: bool) {
    if g.is_pointwise() { return conv_pointwise(g, x, w, bias, y, relu); }
    let (x, w) = (&x[..g.x_len()], &w[..g.w_len()]);
    let y = &mut y[..g.y_len()];
    if g.out_size() == 0 || g.og() == 0 { return; }
    if panel_case(g, g.kg() + bias.is_some() as usize) { return conv_panels(g, x, w, bias, y, relu); }
    let xs = split_stride2(g, x);
    conv_blocks(g, match &xs { Some(v) => &v[..x.len()], None => x }, xs.is_some(), w, bias, y, relu);
    split_done(xs);
}

/// [`conv`] after the stride-2 split (`split`: x holds [even, odd] columns per row).
fn conv_blocks(g: &ConvGeom, x: &[f32], split: bool, w: &[f32], bias: Option<&[f32]>, y: &mut [f32], relu: bool) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (_, nr) = gemm::panel_dims();
    // the bias is one more column of A (times a row of ones in B), so the GEMM adds it for free
    let kb = kg + bias.is_some() as usize;
    // Wide-panel kernels (x86: NR 16/32) get im2col written straight into packed-B panels when
    // the rows are shifted copies and K is deep; with narrow panels (wasm: NR 8/12), shallow K
    // or gathered rows, the per-panel bookkeeping costs more than it saves (measured), so the
    // block is im2col'ed row-contiguous and the GEMM reads it in place.
    let packed = nr >= 16 && shift_case(g) && kb >= 256;
    // A = [W_g | bias_g] (og x kb) per group, row-major; plus packed panels when used
    let mut wr = vec![0f32; og * kb * g.groups];
    for gi in 0..g.groups {
        let wg = &w[gi * og * kg..(gi + 1) * og * kg];
        for o in 0..og {
            let d = &mut wr[(gi * og + o) * kb..(gi * og + o + 1) * kb];
            d[..kg].copy_from_slice(&wg[o * kg..(o + 1) * kg]);
            if let Some(b) = bias { d[kg] = b[gi * og + o]; }
        }
    }
    let a_len = gemm::packed_a_len(og, kb);
    // x86 AVX-512 (8x32 tiles), at most 64 taps: each panel's im2col is written by its first
    // row tile as it multiplies it (the copy hides under that tile's FMAs)
    #[cfg(target_arch = "x86_64")]
    let fused = shift_case(g) && kb >= FUSED_MIN_K && gemm::best_kernel() == gemm::GemmKernel::Avx512
        && gemm::panel_dims() == (8, 32) && og >= 8 && g.k_h * g.k_w <= 64;
    #[cfg(not(target_arch = "x86_64"))]
    let fused = false;
    let mut wp = vec![0f32; if packed || fused { a_len * g.groups } else { 0 }];
    if packed || fused {
        for gi in 0..g.groups {
            gemm::pack_a_panels(og, kb, &wr[gi * og * kb..(gi + 1) * og * kb], kb, false, &mut wp[gi * a_len..(gi + 1) * a_len]);
        }
    }
    let nb = block_cols(BLOCK_FLOATS, kb, s, nr, g.n * g.groups);
    let nblk = s.div_ceil(nb);
    let yp = SendPtr(y.as_mut_ptr());
    let (wp, wr) = (&wp, &wr);
    run_tasks(g.n * g.groups * nblk, &|t| {
        let blk = t % nblk;
        let gi = (t / nblk) % g.groups;
        let n = t / (nblk * g.groups);
        let (j0, j1) = (blk * nb, (blk * nb + nb).min(s));
        let w_ = j1 - j0;
        let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
        // SAFETY: this task owns rows gi*og..(gi+1)*og, columns j0..j1 of image n's output.
        let yb = unsafe {
            core::slice::from_raw_parts_mut(yp.get().add((n * g.o + gi * og) * s + j0), (og - 1) * s + w_)
        };
        let ap = if wp.is_empty() { &[][..] } else { &wp[gi * a_len..(gi + 1) * a_len] };
        #[cfg(target_arch = "x86_64")]
        if fused {
            // panel by panel: the first row tile writes the panel as it multiplies it
            let mut taps = [(0isize, 0usize, 0usize, 0usize, 0usize); 64];
            let nt = g.k_h * g.k_w;
            let ins = g.in_size() as isize;
            for kh in 0..g.k_h { for kw in 0..g.k_w {
                let (delta, js, je, lo, hi) = shift_geom(g, kh, kw, j0, j1);
                let cs = (js as isize).max(-delta).min(je as isize) as usize;
                let ce = ((je as isize).min(ins - delta).max(cs as isize)) as usize;
                taps[kh * g.k_w + kw] = (delta, cs - j0, ce - j0, lo, hi);
            }}
            with_col(nr * kb, |col| {
                let mut t0 = 0;
                while t0 < w_ {
                    let wd = nr.min(w_ - t0);
                    // SAFETY: AVX-512F 8x32 kernel (checked in `fused`); taps from shift_geom
                    // clipped to the channel; yb holds og >= 8 rows of w_ columns.
                    unsafe {
                        shift_panel_first_tile_avx512(g, xn, gi * g.cg(), j0, t0, wd, &taps[..nt], kb, col, ap,
                                                      &mut yb[t0..], s);
                    }
                    if og > 8 {
                        gemm::sgemm_packed(og - 8, wd, kb, &ap[8 * kb..], col, &mut yb[8 * s + t0..], s, false);
                    }
                    t0 += wd;
                }
            });
            if relu { relu_rows(yb, og, w_, s); }
            return;
        }
        // packed panels unless the last panel would be mostly padding
        if packed && (w_.div_ceil(nr) * nr - w_) * 16 <= w_ {
            with_col(w_.div_ceil(nr) * nr * kb, |col| {
                im2col_panels(g, xn, gi * g.cg(), j0, j1, nr, kb, col);
                gemm::sgemm_packed(og, w_, kb, ap, col, yb, s, false);
            });
            if relu { relu_rows(yb, og, w_, s); }
        } else {
            with_col(kb * w_, |col| {
                im2col_block(g, xn, split, gi * g.cg(), j0, j1, col);
                if kb > kg { col[kg * w_..].fill(1.0); }
                gemm::sgemm(og, w_, kb, &wr[gi * og * kb..(gi + 1) * og * kb], kb, false, col, w_, false, yb, s, 0.0, None);
            });
            if relu { relu_rows(yb, og, w_, s); }
        }
    });
}

/// Whether [`conv`] takes the [`conv_panels`] path: 2-d, not [`shift_case`], stride 1 or 2 in
/// width, wide x86 panels, enough rows of A to amortise each packed panel.
fn panel_case(g: &ConvGeom, kb: usize) -> bool {
    let (_, nr) = gemm::panel_dims();
    (16..=64).contains(&nr) && !shift_case(g) && g.k_d == 1 && g.in_d == 1 && g.out_d == 1
        && (g.s_w == 1 || g.s_w == 2) && g.og() >= 32 && kb >= 32 && 6 * g.out_w >= nr
}

/// Padded (and for s_w == 2, even/odd split) copy of x for [`conv_panels`]: every image channel
/// becomes `hp` rows of `wrow` floats, zero outside the input, so output column ow of tap kw
/// reads row (oh*s_h + kh*d_h) at index `tap_col(kw) + ow`. Returns (hp, wrow, half).
fn pad_dims(g: &ConvGeom) -> (usize, usize, usize) {
    let hp = (g.in_h + 2 * g.p_h).max((g.out_h - 1) * g.s_h + (g.k_h - 1) * g.d_h + 1);
    let wp = (g.in_w + 2 * g.p_w).max((g.out_w - 1) * g.s_w + (g.k_w - 1) * g.d_w + 1);
    if g.s_w == 2 { let h = wp.div_ceil(2); (hp, 2 * h, h) } else { (hp, wp, 0) }
}

crate::simd_fn! {
/// One channel plane of [`pad_dims`]' layout from `xc` (in_h x in_w) into `dst` (hp x wrow).
fn pad_plane(g: &ConvGeom, xc: &[f32], hp: usize, wrow: usize, half: usize, dst: &mut [f32]) {
    let dst = &mut dst[..hp * wrow];
    dst[..g.p_h * wrow].fill(0.0);
    dst[(g.p_h + g.in_h) * wrow..].fill(0.0);
    for ih in 0..g.in_h {
        let d = &mut dst[(g.p_h + ih) * wrow..(g.p_h + ih + 1) * wrow];
        let r = &xc[ih * g.in_w..(ih + 1) * g.in_w];
        if g.s_w == 2 {
            let (ev, od) = d.split_at_mut(half);
            // padded column pc = iw + p_w goes to half pc & 1, index pc >> 1
            let (e0, o0) = ((g.p_w + 1) / 2, g.p_w / 2);
            let (pe, po) = if g.p_w % 2 == 0 { (0, 1) } else { (1, 0) }; // parity of iw landing in ev
            let ne = (g.in_w + 1 - pe) / 2;
            let no = (g.in_w + 1 - po) / 2;
            ev[..e0].fill(0.0);
            od[..o0].fill(0.0);
            // vector part: pairs (r[2i], r[2i+1]) for i < done, split with AVX-512 permutes
            #[allow(unused_mut)]
            let mut done = 0;
            #[cfg(target_arch = "x86_64")]
            if crate::gemm::best_kernel() == crate::gemm::GemmKernel::Avx512 {
                let pairs = (g.in_w / 2).min(ne).min(no) / 16 * 16;
                let (ae, ao) = if pe == 0 { (&mut ev[e0..e0 + pairs], &mut od[o0..o0 + pairs]) }
                               else { (&mut od[o0..o0 + pairs], &mut ev[e0..e0 + pairs]) };
                // SAFETY: AVX-512F is available (the kernel in use needs it); r holds 2*pairs floats.
                unsafe { deinterleave_avx512(&r[..2 * pairs], ae, ao) };
                done = pairs;
            }
            for (i, v) in ev[e0 + done..e0 + ne].iter_mut().enumerate() { *v = r[pe + 2 * (i + done)]; }
            ev[e0 + ne..].fill(0.0);
            for (i, v) in od[o0 + done..o0 + no].iter_mut().enumerate() { *v = r[po + 2 * (i + done)]; }
            od[o0 + no..].fill(0.0);
        } else {
            d[..g.p_w].fill(0.0);
            d[g.p_w..g.p_w + g.in_w].copy_from_slice(r);
            d[g.p_w + g.in_w..].fill(0.0);
        }
    }
}
}

/// even[i] = r[2i], odd[i] = r[2i+1] for i < even.len() (a multiple of 16; all lengths consistent).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn deinterleave_avx512(r: &[f32], even: &mut [f32], odd: &mut [f32]) {
    use core::arch::x86_64::*;
    let n = even.len();
    assert!(n % 16 == 0 && odd.len() == n && r.len() >= 2 * n);
    let ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    let (s, e, o) = (r.as_ptr(), even.as_mut_ptr(), odd.as_mut_ptr());
    let mut i = 0;
    while i < n {
        let (a, b) = (_mm512_loadu_ps(s.add(2 * i)), _mm512_loadu_ps(s.add(2 * i + 16)));
        _mm512_storeu_ps(e.add(i), _mm512_permutex2var_ps(a, ie, b));
        _mm512_storeu_ps(o.add(i), _mm512_permutex2var_ps(a, io, b));
        i += 16;
    }
}

/// Forward conv for [`panel_case`] geometries (e.g. the 7x7/2 stem): the input is padded (and
/// even/odd split) once, then each NR-wide panel of output columns is im2col'ed straight into
/// the kernel's B layout just before use (it stays in L1 for all og/MR A-panels; every B row
/// segment is one unclamped copy); A (weights + bias column) is packed once.
fn conv_panels(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32], relu: bool) {
    let (s, og, kg) = (g.out_size(), g.og(), g.kg());
    let (_, nr) = gemm::panel_dims();
    let kb = kg + bias.is_some() as usize;
    let a_len = gemm::packed_a_len(og, kb);
    let mut wp = vec![0f32; a_len * g.groups];
    {
        let mut wr = vec![0f32; og * kb];
        for gi in 0..g.groups {
            let wg = &w[gi * og * kg..(gi + 1) * og * kg];
            for o in 0..og {
                let d = &mut wr[o * kb..(o + 1) * kb];
                d[..kg].copy_from_slice(&wg[o * kg..(o + 1) * kg]);
                if let Some(b) = bias { d[kg] = b[gi * og + o]; }
            }
            gemm::pack_a_panels(og, kb, &wr, kb, false, &mut wp[gi * a_len..(gi + 1) * a_len]);
        }
    }
    let (hp, wrow, half) = pad_dims(g);
    let plane = hp * wrow;
    let mut xp = SPLIT.with(|c| std::mem::take(&mut *c.borrow_mut()));
    if xp.len() < g.n * g.c * plane { xp.resize(g.n * g.c * plane, 0.0); }
    {
        let (xpp, xl) = (SendPtr(xp.as_mut_ptr()), xp.len());
        let ins = g.in_size();
        run_tasks(g.n * g.c, &|t| {
            // SAFETY: task t writes only plane t.
            let d = unsafe { core::slice::from_raw_parts_mut(xpp.get(), xl) };
            pad_plane(g, &x[t * ins..(t + 1) * ins], hp, wrow, half, &mut d[t * plane..(t + 1) * plane]);
        });
    }
    // offset of B row r = (c, kh, kw) within a group's padded planes
    let mut offs = Vec::with_capacity(kg);
    for c in 0..g.cg() { for kh in 0..g.k_h { for kw in 0..g.k_w {
        let cw = kw * g.d_w;
        let col = if g.s_w == 2 { (cw & 1) * half + (cw >> 1) } else { cw };
        offs.push(c * plane + kh * g.d_h * wrow + col);
    }}}
    let nb = block_cols(BLOCK_FLOATS, kb, s, nr, g.n * g.groups);
    let nblk = s.div_ceil(nb);
    let yp = SendPtr(y.as_mut_ptr());
    #[cfg(target_arch = "x86_64")]
    let omax = offs.iter().copied().max().unwrap_or(0);
    let (wp, offs, xpr) = (&wp, &offs, &xp[..g.n * g.c * plane]);
    // x86 AVX-512 (8x32 tiles): each panel's im2col copy is done by its first row tile, which
    // multiplies the rows as it stores them (the copy hides under that tile's FMAs)
    #[cfg(target_arch = "x86_64")]
    let fused = gemm::best_kernel() == gemm::GemmKernel::Avx512 && gemm::panel_dims() == (8, 32) && og >= 8;
    run_tasks(g.n * g.groups * nblk, &|t| {
        let blk = t % nblk;
        let gi = (t / nblk) % g.groups;
        let n = t / (nblk * g.groups);
        let (j0, j1) = (blk * nb, (blk * nb + nb).min(s));
        let xg = &xpr[(n * g.c + gi * g.cg()) * plane..(n * g.c + (gi + 1) * g.cg()) * plane];
        let ap = &wp[gi * a_len..(gi + 1) * a_len];
        with_col(nr * kb, |col| {
            let mut j = j0;
            while j < j1 {
                let wd = nr.min(j1 - j);
                // SAFETY: this task owns rows gi*og..(gi+1)*og, columns j0..j1 of image n's output.
                let yb = unsafe {
                    core::slice::from_raw_parts_mut(yp.get().add((n * g.o + gi * og) * s + j), (og - 1) * s + wd)
                };
                #[cfg(target_arch = "x86_64")]
                if fused {
                    // SAFETY: AVX-512F kernel with 8x32 tiles (checked in `fused`); the panel's
                    // segments are in bounds of xg (checked inside); yb holds og >= 8 rows.
                    unsafe { pack_panel_first_tile_avx512(g, xg, offs, omax, wrow, j, wd, kb, col, ap, yb, s) };
                    gemm::sgemm_packed(og - 8, wd, kb, &ap[8 * kb..], col, &mut yb[8 * s..], s, false);
                    j += wd;
                    continue;
                }
                pack_panel(g, xg, offs, wrow, j, wd, nr, kb, col);
                gemm::sgemm_packed(og, wd, kb, ap, col, yb, s, false);
                j += wd;
            }
        });
        if relu {
            // SAFETY: as above, the task's own rows and columns j0..j1.
            let yt = unsafe { core::slice::from_raw_parts_mut(yp.get().add((n * g.o + gi * og) * s + j0), (og - 1) * s + j1 - j0) };
            relu_rows(yt, og, j1 - j0, s);
        }
    });
    SPLIT.with(|c| *c.borrow_mut() = xp);
}

crate::simd_fn! {
/// The fused ReLU of a conv output block: `rows` rows of `cols` floats, stride `ld`, in place
/// (same values as the unary relu kernel: NaN stays, everything not above 0 becomes +0).
fn relu_rows(y: &mut [f32], rows: usize, cols: usize, ld: usize) {
    for r in 0..rows {
        // an unconditional store of a select: vectorises (a branch per element would not)
        for v in &mut y[r * ld..r * ld + cols] {
            let x = *v;
            *v = if x > 0.0 || x.is_nan() { x } else { 0.0 };
        }
    }
}
}

/// Per 16-lane half of a 32-wide panel row: (lane mask, source shift) of every segment (source
/// offset b, length, panel position t0) that touches it, and how many there are.
#[cfg(target_arch = "x86_64")]
fn seg_parts(segs: &[(usize, usize, usize)]) -> ([[(u16, isize); 8]; 2], [usize; 2]) {
    let mut parts = [[(0u16, 0isize); 8]; 2];
    let mut np = [0usize; 2];
    for &(b, len, t0) in segs {
        for h in 0..2 {
            let (lo, hi) = (t0.max(16 * h), (t0 + len).min(16 * h + 16));
            if lo >= hi { continue; }
            let m = (((1u32 << (hi - lo)) - 1) << (lo - 16 * h)) as u16;
            parts[h][np[h]] = (m, b as isize - t0 as isize + 16 * h as isize);
            np[h] += 1;
        }
    }
    (parts, np)
}

/// Output-row segments (source offset in a group's padded plane, length, panel position) of
/// output columns j0..j0+wd (at most 8: the caller ensures 6 * out_w >= wd).
fn panel_segs(g: &ConvGeom, wrow: usize, j0: usize, wd: usize) -> ([(usize, usize, usize); 8], usize) {
    let mut segs = [(0usize, 0usize, 0usize); 8];
    let mut ns = 0;
    let (mut oh, mut ow) = (j0 / g.out_w, j0 % g.out_w);
    let mut t = 0;
    while t < wd {
        let len = (g.out_w - ow).min(wd - t);
        segs[ns] = (oh * g.s_h * wrow + ow, len, t);
        ns += 1;
        t += len;
        ow = 0;
        oh += 1;
    }
    (segs, ns)
}

/// [`pack_panel`] for nr = 32 fused with the first 8-row tile of the product: while B row r
/// (im2col row r of output columns j0..j0+wd) is copied into `col`, it is also multiplied by
/// column r of the packed A micro-panel `ap[..8 * kb]`, and the 8 x wd result is stored to
/// y[i * ldc + t] (overwritten). Rows kg..kb of B are ones (the bias column of A).
///
/// # Safety
/// AVX-512F available; `col` holds kb * 32 floats, `ap` 8 * kb, `y` (7 * ldc + wd) floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pack_panel_first_tile_avx512(g: &ConvGeom, xg: &[f32], offs: &[usize], omax: usize, wrow: usize, j0: usize,
                                       wd: usize, kb: usize, col: &mut [f32], ap: &[f32], y: &mut [f32], ldc: usize) {
    use core::arch::x86_64::*;
    let kg = offs.len();
    let (segs, ns) = panel_segs(g, wrow, j0, wd);
    let segs = &segs[..ns];
    assert!(wd >= 1 && wd <= 32 && kb >= kg && col.len() >= kb * 32 && ap.len() >= 8 * kb
        && y.len() >= 7 * ldc + wd && segs.iter().all(|&(b, len, _)| omax + b + len <= xg.len()));
    let (parts, np) = seg_parts(segs);
    let (src, dst, a) = (xg.as_ptr(), col.as_mut_ptr(), ap.as_ptr());
    let mut acc = [[_mm512_setzero_ps(); 2]; 8];
    if ns == 1 && wd == 32 {
        // one contiguous 32-float run per row: plain loads
        let s0 = src.add(segs[0].0);
        for (r, &o) in offs.iter().enumerate() {
            let (b0, b1) = (_mm512_loadu_ps(s0.add(o)), _mm512_loadu_ps(s0.add(o + 16)));
            _mm512_storeu_ps(dst.add(r * 32), b0);
            _mm512_storeu_ps(dst.add(r * 32 + 16), b1);
            fma8(&mut acc, a.add(r * 8), b0, b1);
        }
    } else {
        for (r, &o) in offs.iter().enumerate() {
            let s = src.wrapping_add(o);
            let mut bv = [_mm512_setzero_ps(); 2];
            for h in 0..2 {
                for &(m, sh) in &parts[h][..np[h]] {
                    bv[h] = _mm512_mask_loadu_ps(bv[h], m, s.wrapping_offset(sh));
                }
                _mm512_storeu_ps(dst.add(r * 32 + 16 * h), bv[h]);
            }
            fma8(&mut acc, a.add(r * 8), bv[0], bv[1]);
        }
    }
    tile_finish(&mut acc, kg, kb, dst, a, y.as_mut_ptr(), ldc, wd);
}

/// One k-step of an 8 x 32 tile: acc[i] += a[i] * (b0, b1).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn fma8(acc: &mut [[core::arch::x86_64::__m512; 2]; 8], a: *const f32, b0: core::arch::x86_64::__m512,
               b1: core::arch::x86_64::__m512) {
    use core::arch::x86_64::*;
    for i in 0..8 {
        let av = _mm512_set1_ps(*a.add(i));
        acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
}

/// End of a fused first tile: B rows kg..kb are ones (the bias column of A), then the 8 x wd
/// tile is stored to y (row stride ldc, overwritten).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn tile_finish(acc: &mut [[core::arch::x86_64::__m512; 2]; 8], kg: usize, kb: usize, dst: *mut f32, a: *const f32,
                      y: *mut f32, ldc: usize, wd: usize) {
    use core::arch::x86_64::*;
    let ones = _mm512_set1_ps(1.0);
    for r in kg..kb {
        _mm512_storeu_ps(dst.add(r * 32), ones);
        _mm512_storeu_ps(dst.add(r * 32 + 16), ones);
        fma8(acc, a.add(r * 8), ones, ones);
    }
    let m0 = ((1u32 << wd.min(16)) - 1) as __mmask16;
    let m1 = ((1u64 << wd.saturating_sub(16)) - 1) as __mmask16;
    for (i, row) in acc.iter().enumerate() {
        _mm512_mask_storeu_ps(y.add(i * ldc), m0, row[0]);
        _mm512_mask_storeu_ps(y.add(i * ldc + 16), m1, row[1]);
    }
}

/// [`im2col_panels`] of one 32-wide panel (block positions t0..t0+wd) fused with the first
/// 8-row tile of the product, like [`pack_panel_first_tile_avx512`]: `taps[tap]` = (delta, cs,
/// ce, lo, hi) from [`shift_geom`] for the block starting at j0 (with [cs, ce) clipped to x's
/// channel). Row r = (c, tap) of the panel is x[c][j0 + t + delta] at positions t in [cs, ce)
/// whose output column is in [lo, hi), else 0: one masked load per 16 lanes.
///
/// # Safety
/// AVX-512F available; `col` holds kb * 32 floats, `ap` 8 * kb, `y` (7 * ldc + wd) floats; the
/// taps are consistent with g and x (every unmasked lane is inside its channel).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn shift_panel_first_tile_avx512(g: &ConvGeom, x: &[f32], c0: usize, j0: usize, t0: usize, wd: usize,
                                        taps: &[(isize, usize, usize, usize, usize)], kb: usize, col: &mut [f32],
                                        ap: &[f32], y: &mut [f32], ldc: usize) {
    use core::arch::x86_64::*;
    let (ins, nt, kg) = (g.in_size(), taps.len(), g.cg() * taps.len());
    assert!(wd >= 1 && wd <= 32 && kb >= kg && col.len() >= kb * 32 && ap.len() >= 8 * kb && y.len() >= 7 * ldc + wd
        && x.len() >= (c0 + g.cg()) * ins && nt <= 64);
    // per tap: source offset of panel lane 0, and the valid-lane masks of the two halves
    let mut toff = [0isize; 64];
    let mut tmask = [(0u16, 0u16); 64];
    // lanes 0..wd as a bit mask, and the lanes in [a, b) (block positions)
    let bits = |a: usize, b: usize| -> u32 {
        let (a, b) = (a.clamp(t0, t0 + wd) - t0, b.clamp(t0, t0 + wd) - t0);
        if a >= b { 0 } else { (((1u64 << (b - a)) - 1) << a) as u32 }
    };
    // lanes whose output column is in [lo, hi): one pass over the panel per distinct (lo, hi)
    let ow0 = (j0 + t0) % g.out_w;
    let mut cols: [(usize, usize, u32); 64] = [(0, 0, 0); 64];
    let mut ncols = 0;
    for (q, &(delta, cs, ce, lo, hi)) in taps.iter().enumerate() {
        let cm = match cols[..ncols].iter().find(|c| c.0 == lo && c.1 == hi) {
            Some(c) => c.2,
            None => {
                let (mut m, mut ow) = (0u32, ow0);
                for t in 0..wd {
                    if ow >= lo && ow < hi { m |= 1 << t; }
                    ow += 1;
                    if ow == g.out_w { ow = 0; }
                }
                cols[ncols] = (lo, hi, m);
                ncols += 1;
                m
            }
        };
        let m = cm & bits(cs, ce);
        toff[q] = (j0 + t0) as isize + delta;
        tmask[q] = (m as u16, (m >> 16) as u16);
    }
    let mut tvec = [[_mm512_setzero_si512(); 2]; 64];
    let ones = _mm512_set1_epi32(-1);
    for q in 0..nt {
        tvec[q] = [_mm512_maskz_mov_epi32(tmask[q].0, ones), _mm512_maskz_mov_epi32(tmask[q].1, ones)];
    }
    let (dst, a) = (col.as_mut_ptr(), ap.as_ptr());
    let mut acc = [[_mm512_setzero_ps(); 2]; 8];
    let mut r = 0;
    // Masked loads are slow on some cores (Zen 5: several times a plain load), so rows whose 32
    // lanes lie inside x are loaded whole and the invalid lanes zeroed with the mask after.
    let xlen = x.len() as isize;
    for c in 0..g.cg() {
        let base = ((c0 + c) * ins) as isize;
        let xc = x.as_ptr().add((c0 + c) * ins);
        for q in 0..nt {
            let s = xc.wrapping_offset(toff[q]);
            let (m0, m1) = tmask[q];
            let inside = base + toff[q] >= 0 && base + toff[q] + 32 <= xlen;
            // the next panel's lines of this row (too many concurrent streams for the hardware
            // prefetchers: cg channels x k_h rows)
            _mm_prefetch::<_MM_HINT_T0>(s.wrapping_add(32) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(s.wrapping_add(48) as *const i8);
            let (b0, b1) = if inside {
                // an AND with the lane mask as a vector (a select would be folded back into a
                // masked load)
                let and = |v: __m512, m: __m512i| _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), m));
                (and(_mm512_loadu_ps(s), tvec[q][0]), and(_mm512_loadu_ps(s.add(16)), tvec[q][1]))
            } else {
                (_mm512_maskz_loadu_ps(m0, s), _mm512_maskz_loadu_ps(m1, s.wrapping_add(16)))
            };
            _mm512_storeu_ps(dst.add(r * 32), b0);
            _mm512_storeu_ps(dst.add(r * 32 + 16), b1);
            fma8(&mut acc, a.add(r * 8), b0, b1);
            r += 1;
        }
    }
    tile_finish(&mut acc, kg, kb, dst, a, y.as_mut_ptr(), ldc, wd);
}

crate::simd_fn! {
/// im2col of output columns j0..j0+wd (wd <= nr <= 64) into one packed-B panel (kb rows of nr;
/// columns past wd zero; row kg, the bias row, ones) from the padded planes `xg` of a group;
/// `offs[r]` is B row r's offset (see [`conv_panels`]). The caller ensures 6 * out_w >= nr.
/// (AVX-512 panels are written by [`pack_panel_first_tile_avx512`] instead.)
fn pack_panel(g: &ConvGeom, xg: &[f32], offs: &[usize], wrow: usize, j0: usize, wd: usize, nr: usize, kb: usize,
              dst: &mut [f32]) {
    let kg = offs.len();
    let dst = &mut dst[..kb * nr];
    if kb > kg { dst[kg * nr..].fill(1.0); }
    let (segs, ns) = panel_segs(g, wrow, j0, wd);
    let segs = &segs[..ns];
    for (r, &o) in offs.iter().enumerate() {
        let d = &mut dst[r * nr..r * nr + nr];
        for &(b, len, t0) in segs {
            copy_run(&mut d[t0..t0 + len], &xg[o + b..o + b + len]);
        }
        if wd < nr { zero_run(&mut d[wd..]); }
    }
}
}

crate::simd_fn! {
/// Row-contiguous im2col of channels [c0, c0 + cg) at output columns j0..j1: col[r*(j1-j0) + t].
fn im2col_block(g: &ConvGeom, x: &[f32], split: bool, c0: usize, j0: usize, j1: usize, col: &mut [f32]) {
    let ins = g.in_size();
    let w_ = j1 - j0;
    let mut r = 0;
    for c in 0..g.cg() {
        let xc = &x[(c0 + c) * ins..(c0 + c + 1) * ins];
        for kd in 0..g.k_d { for kh in 0..g.k_h { for kw in 0..g.k_w {
            im2col_row(g, xc, split, kd, kh, kw, j0, j1, &mut col[r * w_..(r + 1) * w_]);
            r += 1;
        }}}
    }
}
}

/// 1x1 / stride 1 / unpadded convolution: the input already is the im2col matrix.
fn conv_pointwise(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32], relu: bool) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (x, w) = (&x[..g.x_len()], &w[..g.w_len()]);
    let y = &mut y[..g.y_len()];
    let yp = SendPtr(y.as_mut_ptr());
    per_image(g, &|n| {
        // SAFETY: image n owns y[n*O*S .. (n+1)*O*S].
        let yn = unsafe { core::slice::from_raw_parts_mut(yp.get().add(n * g.o * s), g.o * s) };
        let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
        let beta = if let Some(b) = bias {
            for (o, row) in yn.chunks_exact_mut(s.max(1)).enumerate().take(g.o) { row.fill(b[o]); }
            1.0
        } else { 0.0 };
        for gi in 0..g.groups {
            let wg = &w[gi * og * kg..(gi + 1) * og * kg];
            let yg = &mut yn[gi * og * s..(gi + 1) * og * s];
            let xg = &xn[gi * kg * s..(gi + 1) * kg * s];
            gemm_par(og, s, kg, wg, kg, false, xg, s, false, yg, beta);
        }
        if relu { relu_rows(yn, g.o, s, s); }
    });
}

/// gx = gradient of conv with respect to x (overwritten).
#[inline(never)]
pub fn conv_grad_input(g: &ConvGeom, gy: &[f32], w: &[f32], gx: &mut [f32]) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (gy, w) = (&gy[..g.y_len()], &w[..g.w_len()]);
    let gx = &mut gx[..g.x_len()];
    if g.is_pointwise() {
        let gp = SendPtr(gx.as_mut_ptr());
        per_image(g, &|n| {
            // SAFETY: image n owns gx[n*C*inS .. (n+1)*C*inS].
            let gxn = unsafe { core::slice::from_raw_parts_mut(gp.get().add(n * g.c * ins), g.c * ins) };
            let gyn = &gy[n * g.o * s..(n + 1) * g.o * s];
            for gi in 0..g.groups {
                let wg = &w[gi * og * kg..(gi + 1) * og * kg];
                let gyg = &gyn[gi * og * s..(gi + 1) * og * s];
                let gxg = &mut gxn[gi * kg * s..(gi + 1) * kg * s];
                gemm_par(kg, s, og, wg, kg, true, gyg, s, false, gxg, 0.0);
            }
        });
        return;
    }
    gx.fill(0.0);
    if s == 0 || og == 0 { return; }
    let (cg, ks) = (g.cg(), g.k_size());
    // tasks: (image, group, channel chunk); a chunk's col rows only touch its own channels of gx
    let outer = g.n * g.groups;
    let threads = par::threads();
    let chunks = if threads > 1 && outer < 2 * threads { cg.min((2 * threads).div_ceil(outer)) } else { 1 };
    let (_, nr) = gemm::panel_dims();
    // W^T rows of each (group, chunk), packed as A (m = rows of the chunk, k = og)
    let mut offs = Vec::with_capacity(g.groups * chunks + 1);
    let mut total = 0;
    for _gi in 0..g.groups { for ch in 0..chunks {
        let (c0, c1) = par::split(cg, chunks, 1, ch);
        offs.push(total);
        total += gemm::packed_a_len((c1 - c0) * ks, og);
    }}
    let mut ap = vec![0f32; total];
    for gi in 0..g.groups { for ch in 0..chunks {
        let (c0, c1) = par::split(cg, chunks, 1, ch);
        if c0 >= c1 { continue; }
        let rows = (c1 - c0) * ks;
        let o = offs[gi * chunks + ch];
        let wg = &w[gi * og * kg..(gi + 1) * og * kg];
        gemm::pack_a_panels(rows, og, &wg[c0 * ks..], kg, true, &mut ap[o..o + gemm::packed_a_len(rows, og)]);
    }}
    let nb = block_cols(GIN_FLOATS, kg.max(og), s, nr, usize::MAX);
    let gp = SendPtr(gx.as_mut_ptr());
    let (ap, offs) = (&ap, &offs);
    run_tasks(outer * chunks, &|t| {
        let ch = t % chunks;
        let gi = (t / chunks) % g.groups;
        let n = t / (chunks * g.groups);
        let (c0, c1) = par::split(cg, chunks, 1, ch);
        if c0 >= c1 { return; }
        let rows = (c1 - c0) * ks;
        let apc = &ap[offs[gi * chunks + ch]..offs[gi * chunks + ch] + gemm::packed_a_len(rows, og)];
        let gyg = &gy[(n * g.o + gi * og) * s..(n * g.o + (gi + 1) * og) * s];
        let cbase = gi * cg + c0;
        // SAFETY: this task owns channels cbase..cbase + (c1 - c0) of image n in gx.
        let gxc = unsafe { core::slice::from_raw_parts_mut(gp.get().add((n * g.c + cbase) * ins), (c1 - c0) * ins) };
        let mut j0 = 0;
        while j0 < s {
            let j1 = (j0 + nb).min(s);
            let w_ = j1 - j0;
            with_buf(&BUF_B, gemm::packed_b_len(og, w_), |bp| with_col(rows * w_, |col| {
                gemm::pack_b_panels(og, w_, &gyg[j0..], s, false, bp);
                gemm::sgemm_packed(rows, w_, og, apc, bp, col, w_, false);
                let mut r = 0;
                for c in 0..c1 - c0 {
                    let xc = &mut gxc[c * ins..(c + 1) * ins];
                    for kd in 0..g.k_d { for kh in 0..g.k_h { for kw in 0..g.k_w {
                        col2im_row(g, &mut col[r * w_..(r + 1) * w_], kd, kh, kw, j0, j1, xc);
                        r += 1;
                    }}}
                }
            }));
            j0 = j1;
        }
    });
}

/// gw (and gb = sum of gy over images and space) = gradients of conv (overwritten).
#[inline(never)]
pub fn conv_grad_weight(g: &ConvGeom, x: &[f32], gy: &[f32], gw: &mut [f32], gb: Option<&mut [f32]>) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (x, gy) = (&x[..g.x_len()], &gy[..g.y_len()]);
    let wl = g.w_len();
    let gw = &mut gw[..wl];
    gw.fill(0.0);
    let xs = split_stride2(g, x);
    let (x, split) = match &xs { Some(v) => (&v[..x.len()], true), None => (x, false) };
    let total = g.n * s; // columns: (image, output position), images concatenated
    let nb = block_cols(GW_FLOATS, kg + og, total, 16, usize::MAX);
    // accumulate global columns [q0, q1) into acc (O x Kg, already holding a partial sum)
    let accumulate = |q0: usize, q1: usize, acc: &mut [f32]| {
        let mut q = q0;
        while q < q1 {
            let qe = (q + nb).min(q1);
            let w_ = qe - q;
            with_col(kg * w_, |col| with_buf(&BUF_B, og * w_, |gyb| {
                for gi in 0..g.groups {
                    // gather the block: per image segment
                    let mut p = q;
                    while p < qe {
                        let n = p / s;
                        let (j0, j1) = (p - n * s, (qe - n * s).min(s));
                        let t0 = p - q;
                        let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
                        for o in 0..og {
                            let src_ = &gy[(n * g.o + gi * og + o) * s..];
                            gyb[o * w_ + t0..o * w_ + t0 + (j1 - j0)].copy_from_slice(&src_[j0..j1]);
                        }
                        let mut r = 0;
                        for c in 0..g.cg() {
                            let xc = &xn[(gi * g.cg() + c) * ins..(gi * g.cg() + c + 1) * ins];
                            for kd in 0..g.k_d { for kh in 0..g.k_h { for kw in 0..g.k_w {
                                im2col_row(g, xc, split, kd, kh, kw, j0, j1, &mut col[r * w_ + t0..r * w_ + t0 + (j1 - j0)]);
                                r += 1;
                            }}}
                        }
                        p += j1 - j0;
                    }
                    let ag = &mut acc[gi * og * kg..(gi + 1) * og * kg];
                    gemm::sgemm(og, kg, w_, gyb, w_, false, col, w_, true, ag, kg, 1.0, None);
                }
            }));
            q = qe;
        }
    };
    // one contiguous range of columns per thread (each accumulates its own partial gw), cut
    // into blocks of nb inside; a part gets at least 256 columns
    let parts = par::threads().min(total.div_ceil(256)).max(1);
    if parts <= 1 {
        accumulate(0, total, gw);
    } else {
        PARTIAL.with(|p| {
            let mut pv = p.borrow_mut();
            let need = (parts - 1) * wl;
            if pv.len() < need { pv.resize(need, 0.0); }
            pv[..need].fill(0.0);
            let pp = SendPtr(pv.as_mut_ptr());
            let gwp = SendPtr(gw.as_mut_ptr());
            par::run(parts, &|t, _| {
                let (q0, q1) = par::split(total, parts, 16, t);
                // SAFETY: part t owns its accumulator: gw itself for t = 0, else partial block t-1.
                let acc = unsafe {
                    if t == 0 { core::slice::from_raw_parts_mut(gwp.get(), wl) }
                    else { core::slice::from_raw_parts_mut(pp.get().add((t - 1) * wl), wl) }
                };
                accumulate(q0, q1, acc);
            });
            for t in 1..parts {
                for (d, &v) in gw.iter_mut().zip(&pv[(t - 1) * wl..t * wl]) { *d += v; }
            }
        });
    }
    split_done(xs);
    if let Some(gb) = gb {
        for o in 0..g.o {
            let mut acc = 0f64;
            for n in 0..g.n { acc += crate::reduce::sum_f64(&gy[(n * g.o + o) * s..(n * g.o + o + 1) * s]); }
            gb[o] = acc as f32;
        }
    }
}
