//! Normalisation over [N, C, S] (batch norm: per-channel stats, normalise, backward) and over the
//! last `cols` of each row (layer norm + backward). Sums accumulate in f64 like the js backend.
use crate::reduce::sum_f64;
use crate::simd_fn;

/// f64 sum of (x - m)^2 over a contiguous run (8 accumulators).
#[inline(always)]
fn sq_dev_f64(x: &[f32], m: f64) -> f64 {
    let mut acc = [0f64; 8];
    let mut ch = x.chunks_exact(8);
    for c in &mut ch {
        for l in 0..8 {
            let d = c[l] as f64 - m;
            acc[l] += d * d;
        }
    }
    let mut s: f64 = acc.iter().sum();
    for &v in ch.remainder() {
        let d = v as f64 - m;
        s += d * d;
    }
    s
}

/// f64 sums (sum g, sum g*(x-m)) over contiguous runs (8 accumulators each: two independent
/// vector chains, so the f64 adds are not latency-bound).
#[inline(always)]
fn g_gx_f64(g: &[f32], x: &[f32], m: f64) -> (f64, f64) {
    let (mut a, mut b) = ([0f64; 8], [0f64; 8]);
    let (mut gc, mut xc) = (g.chunks_exact(8), x.chunks_exact(8));
    for (cg, cx) in (&mut gc).zip(&mut xc) {
        for l in 0..8 {
            let gv = cg[l] as f64;
            a[l] += gv;
            b[l] += gv * (cx[l] as f64 - m);
        }
    }
    let (mut sa, mut sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
    for (&gv, &xv) in gc.remainder().iter().zip(xc.remainder()) {
        sa += gv as f64;
        sb += gv as f64 * (xv as f64 - m);
    }
    (sa, sb)
}

/// Batch-norm kernels of at least this many elements split across the threads.
const PAR_MIN: usize = 1 << 15;

/// Tasks for `units` independent units (channels or rows) of a batch-norm kernel over `total`
/// elements: 1 when small or single-threaded, else two per thread (dynamic claiming evens out).
fn parts(units: usize, total: usize) -> usize {
    let t = crate::par::threads();
    if t <= 1 || total < PAR_MIN {
        1
    } else {
        (2 * t).min(units).max(1)
    }
}

/// Runs `f(lo, hi)` over [0, units) cut into `parts` contiguous ranges, across the threads.
fn over_ranges(units: usize, parts: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    if parts <= 1 {
        f(0, units);
        return;
    }
    crate::par::run(parts, &|t, _| {
        let (lo, hi) = crate::par::split(units, parts, 1, t);
        if lo < hi {
            f(lo, hi);
        }
    });
}

/// `len` floats of `p` from element `off` (disjoint ranges per task).
///
/// # Safety
/// The range is inside the allocation and no other task touches it.
#[inline(always)]
unsafe fn part_mut<'a>(p: crate::linalg::SendPtr<f32>, off: usize, len: usize) -> &'a mut [f32] {
    core::slice::from_raw_parts_mut(p.get().add(off), len)
}

simd_fn! {
/// mean and biased variance of channels [c0, c1) of x [N, C, S] (into mean/var[..c1 - c0]).
fn channel_stats_range(x: &[f32], n: usize, c: usize, s: usize, c0: usize, c1: usize, mean: &mut [f32], var: &mut [f32]) {
    let cnt = (n * s) as f64;
    for ch in c0..c1 {
        let mut sm = 0f64;
        for b in 0..n { sm += sum_f64(&x[(b * c + ch) * s..(b * c + ch + 1) * s]); }
        let m = sm / cnt;
        let mut q = 0f64;
        for b in 0..n { q += sq_dev_f64(&x[(b * c + ch) * s..(b * c + ch + 1) * s], m); }
        mean[ch - c0] = m as f32;
        var[ch - c0] = (q / cnt) as f32;
    }
}
}

/// mean and biased variance of every channel of x [N, C, S] (channels split across threads).
pub fn channel_stats(x: &[f32], n: usize, c: usize, s: usize, mean: &mut [f32], var: &mut [f32]) {
    let (x, mean, var) = (&x[..n * c * s], &mut mean[..c], &mut var[..c]);
    let (mp, vp) = (crate::linalg::SendPtr(mean.as_mut_ptr()), crate::linalg::SendPtr(var.as_mut_ptr()));
    over_ranges(c, parts(c, n * c * s), &|c0, c1| {
        // SAFETY: channels [c0, c1) belong to this task.
        let (m, v) = unsafe { (part_mut(mp, c0, c1 - c0), part_mut(vp, c0, c1 - c0)) };
        channel_stats_range(x, n, c, s, c0, c1, m, v);
    });
}

simd_fn! {
/// y rows [r0, r1) (row r = image r / C, channel r % C; y holds those rows) = (x - mean) *
/// invstd * w + b.
fn channel_normalize_rows(x: &[f32], c: usize, s: usize, r0: usize, r1: usize, mean: &[f32], invstd: &[f32],
                          w: Option<&[f32]>, b: Option<&[f32]>, y: &mut [f32]) {
    for r in r0..r1 {
        let ch = r % c;
        let scale = invstd[ch] as f64 * w.map_or(1.0, |w| w[ch] as f64);
        let shift = b.map_or(0.0, |b| b[ch] as f64) - mean[ch] as f64 * scale;
        let (scale, shift) = (scale as f32, shift as f32);
        let (xr, yr) = (&x[r * s..(r + 1) * s], &mut y[(r - r0) * s..(r - r0 + 1) * s]);
        for (o, &v) in yr.iter_mut().zip(xr) { *o = v * scale + shift; }
    }
}
}

/// y = (x - mean) * invstd * w + b per channel (rows of S split across threads).
#[allow(clippy::too_many_arguments)]
pub fn channel_normalize(
    x: &[f32],
    n: usize,
    c: usize,
    s: usize,
    mean: &[f32],
    invstd: &[f32],
    w: Option<&[f32]>,
    b: Option<&[f32]>,
    y: &mut [f32],
) {
    let (x, y) = (&x[..n * c * s], &mut y[..n * c * s]);
    let yp = crate::linalg::SendPtr(y.as_mut_ptr());
    over_ranges(n * c, parts(n * c, n * c * s), &|r0, r1| {
        // SAFETY: rows [r0, r1) belong to this task.
        let yr = unsafe { part_mut(yp, r0 * s, (r1 - r0) * s) };
        channel_normalize_rows(x, c, s, r0, r1, mean, invstd, w, b, yr);
    });
}

simd_fn! {
/// Batch-norm backward sums of channels [c0, c1): sums[2k] = sum g, sums[2k + 1] = sum g (x - m)
/// for channel c0 + k.
fn bn_sums_range(x: &[f32], gy: &[f32], n: usize, c: usize, s: usize, c0: usize, c1: usize, mean: &[f32], sums: &mut [f64]) {
    for ch in c0..c1 {
        let m = mean[ch] as f64;
        let (mut sg, mut sgx) = (0f64, 0f64);
        for b in 0..n {
            let r = (b * c + ch) * s..(b * c + ch + 1) * s;
            let (a, bb) = g_gx_f64(&gy[r.clone()], &x[r], m);
            sg += a;
            sgx += bb;
        }
        sums[2 * (ch - c0)] = sg;
        sums[2 * (ch - c0) + 1] = sgx;
    }
}
}

simd_fn! {
/// Batch-norm gx rows [r0, r1) (gx holds those rows): the full formula when training, else
/// gy * w * invstd.
fn bn_gx_rows(x: &[f32], gy: &[f32], c: usize, s: usize, r0: usize, r1: usize, cnt: f64, mean: &[f32], invstd: &[f32],
              w: Option<&[f32]>, training: bool, sums: &[f64], gx: &mut [f32]) {
    for row in r0..r1 {
        let ch = row % c;
        let (m, r) = (mean[ch] as f64, invstd[ch] as f64);
        let wc = w.map_or(1.0, |w| w[ch] as f64);
        let (xr, gr) = (&x[row * s..(row + 1) * s], &gy[row * s..(row + 1) * s]);
        let o = &mut gx[(row - r0) * s..(row - r0 + 1) * s];
        if training {
            // gx = (wc r / cnt) (cnt g - sg - xh sgx r), xh = (x - m) r
            let (sg, sgx) = (sums[2 * ch], sums[2 * ch + 1]);
            let k = wc * r / cnt;
            let (a, bconst, cx) = ((k * cnt) as f32, (-k * sg) as f32, (-k * sgx * r * r) as f32);
            let mf = m as f32;
            for ((o, &g), &xv) in o.iter_mut().zip(gr).zip(xr) { *o = a * g + bconst + cx * (xv - mf); }
        } else {
            let k = (wc * r) as f32;
            for (o, &g) in o.iter_mut().zip(gr) { *o = g * k; }
        }
    }
}
}

/// Batch-norm backward (see types.ts): gx (full formula when training, else gy*w*invstd), gw, gb.
/// Two passes: the per-channel sums (channels split across threads), then gx (rows split).
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_grad(
    x: &[f32],
    gy: &[f32],
    n: usize,
    c: usize,
    s: usize,
    mean: &[f32],
    invstd: &[f32],
    w: Option<&[f32]>,
    training: bool,
    gx: Option<&mut [f32]>,
    gw: Option<&mut [f32]>,
    gb: Option<&mut [f32]>,
) {
    let total = n * c * s;
    let (x, gy) = (&x[..total], &gy[..total]);
    let cnt = (n * s) as f64;
    // the sums are needed for gw, gb and the training gx
    let need = gw.is_some() || gb.is_some() || (training && gx.is_some());
    let mut sums = vec![0f64; 2 * c];
    if need {
        let sp = crate::linalg::SendPtr(sums.as_mut_ptr());
        over_ranges(c, parts(c, total), &|c0, c1| {
            // SAFETY: sums[2 c0 .. 2 c1] belong to this task.
            let part = unsafe { core::slice::from_raw_parts_mut(sp.get().add(2 * c0), 2 * (c1 - c0)) };
            bn_sums_range(x, gy, n, c, s, c0, c1, mean, part);
        });
    }
    if let Some(gb) = gb {
        for ch in 0..c {
            gb[ch] = sums[2 * ch] as f32;
        }
    }
    if let Some(gw) = gw {
        for ch in 0..c {
            gw[ch] = (sums[2 * ch + 1] * invstd[ch] as f64) as f32;
        }
    }
    let Some(gx) = gx else { return };
    let gx = &mut gx[..total];
    let gp = crate::linalg::SendPtr(gx.as_mut_ptr());
    let sums = &sums;
    over_ranges(n * c, parts(n * c, total), &|r0, r1| {
        // SAFETY: rows [r0, r1) of gx belong to this task.
        let o = unsafe { part_mut(gp, r0 * s, (r1 - r0) * s) };
        bn_gx_rows(x, gy, c, s, r0, r1, cnt, mean, invstd, w, training, sums, o);
    });
}

simd_fn! {
/// Layer norm of each row over its `cols` elements; saves mean and rstd per row.
pub fn layer_norm(x: &[f32], rows: usize, cols: usize, eps: f64, w: Option<&[f32]>, b: Option<&[f32]>,
                  y: &mut [f32], mean: &mut [f32], rstd: &mut [f32]) {
    for r in 0..rows {
        let xr = &x[r * cols..(r + 1) * cols];
        let m = sum_f64(xr) / cols as f64;
        let q = sq_dev_f64(xr, m);
        let rs = 1.0 / (q / cols as f64 + eps).sqrt();
        mean[r] = m as f32;
        rstd[r] = rs as f32;
        let (mf, rf) = (m as f32, rs as f32);
        let yr = &mut y[r * cols..(r + 1) * cols];
        match (w, b) {
            (Some(w), Some(b)) => for (((o, &v), &wv), &bv) in yr.iter_mut().zip(xr).zip(&w[..cols]).zip(&b[..cols]) { *o = (v - mf) * rf * wv + bv; },
            (Some(w), None) => for ((o, &v), &wv) in yr.iter_mut().zip(xr).zip(&w[..cols]) { *o = (v - mf) * rf * wv; },
            (None, Some(b)) => for ((o, &v), &bv) in yr.iter_mut().zip(xr).zip(&b[..cols]) { *o = (v - mf) * rf + bv; },
            (None, None) => for (o, &v) in yr.iter_mut().zip(xr) { *o = (v - mf) * rf; },
        }
    }
}
}

simd_fn! {
/// Layer-norm backward: gx per row, gw/gb summed over rows (all overwritten when given).
pub fn layer_norm_grad(x: &[f32], gy: &[f32], rows: usize, cols: usize, mean: &[f32], rstd: &[f32],
                       w: Option<&[f32]>, gx: Option<&mut [f32]>, gw: Option<&mut [f32]>,
                       gb: Option<&mut [f32]>) {
    let mut gx = gx;
    let mut gw = gw;
    let mut gb = gb;
    if let Some(gw) = gw.as_deref_mut() { gw[..cols].fill(0.0); }
    if let Some(gb) = gb.as_deref_mut() { gb[..cols].fill(0.0); }
    let mut xh = vec![0f32; cols];
    let mut gxh = vec![0f32; cols];
    for r in 0..rows {
        let (m, rs) = (mean[r], rstd[r]);
        let xr = &x[r * cols..(r + 1) * cols];
        let gr = &gy[r * cols..(r + 1) * cols];
        for (h, &v) in xh.iter_mut().zip(xr) { *h = (v - m) * rs; }
        if let Some(gw) = gw.as_deref_mut() { for ((d, &g), &h) in gw[..cols].iter_mut().zip(gr).zip(&xh) { *d += g * h; } }
        if let Some(gb) = gb.as_deref_mut() { for (d, &g) in gb[..cols].iter_mut().zip(gr) { *d += g; } }
        let Some(gx) = gx.as_deref_mut() else { continue };
        match w {
            Some(w) => for ((o, &g), &wv) in gxh.iter_mut().zip(gr).zip(&w[..cols]) { *o = g * wv; },
            None => gxh.copy_from_slice(gr),
        }
        let s1 = sum_f64(&gxh);
        let mut s2 = 0f64;
        for (&a, &h) in gxh.iter().zip(&xh) { s2 += a as f64 * h as f64; }
        let k = rs as f64 / cols as f64;
        let (a, bconst, cx) = ((k * cols as f64) as f32, (-k * s1) as f32, (-k * s2) as f32);
        for ((o, &g), &h) in gx[r * cols..(r + 1) * cols].iter_mut().zip(&gxh).zip(&xh) { *o = a * g + bconst + cx * h; }
    }
}
}

simd_fn! {
/// RMS norm of each row over its `cols` elements: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps)
/// (saved per row; the sum of squares in f64).
pub fn rms_norm(x: &[f32], rows: usize, cols: usize, eps: f64, w: Option<&[f32]>, y: &mut [f32], rstd: &mut [f32]) {
    for r in 0..rows {
        let xr = &x[r * cols..(r + 1) * cols];
        let rs = 1.0 / (sq_dev_f64(xr, 0.0) / cols as f64 + eps).sqrt();
        rstd[r] = rs as f32;
        let rf = rs as f32;
        let yr = &mut y[r * cols..(r + 1) * cols];
        match w {
            Some(w) => for ((o, &v), &wv) in yr.iter_mut().zip(xr).zip(&w[..cols]) { *o = v * rf * wv; },
            None => for (o, &v) in yr.iter_mut().zip(xr) { *o = v * rf; },
        }
    }
}
}

simd_fn! {
/// RMS-norm backward: gx = rstd (g w) - rstd^3 / cols * x * sum(g w x) per row; gw = sum over rows
/// of g x rstd (overwritten). Either output may be absent.
pub fn rms_norm_grad(x: &[f32], gy: &[f32], rows: usize, cols: usize, rstd: &[f32], w: Option<&[f32]>,
                     gx: Option<&mut [f32]>, gw: Option<&mut [f32]>) {
    let mut gx = gx;
    let mut gw = gw;
    if let Some(gw) = gw.as_deref_mut() { gw[..cols].fill(0.0); }
    let mut gxh = vec![0f32; cols];
    for r in 0..rows {
        let rs = rstd[r];
        let xr = &x[r * cols..(r + 1) * cols];
        let gr = &gy[r * cols..(r + 1) * cols];
        if let Some(gw) = gw.as_deref_mut() { for ((d, &g), &v) in gw[..cols].iter_mut().zip(gr).zip(xr) { *d += g * v * rs; } }
        let Some(gx) = gx.as_deref_mut() else { continue };
        match w {
            Some(w) => for ((o, &g), &wv) in gxh.iter_mut().zip(gr).zip(&w[..cols]) { *o = g * wv; },
            None => gxh.copy_from_slice(gr),
        }
        let mut s = 0f64;
        for (&a, &v) in gxh.iter().zip(xr) { s += a as f64 * v as f64; }
        let rs64 = rs as f64;
        let c = (rs64 * rs64 * rs64 * s / cols as f64) as f32;
        for ((o, &a), &v) in gx[r * cols..(r + 1) * cols].iter_mut().zip(&gxh).zip(xr) { *o = rs * a - c * v; }
    }
}
}
