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

/// f64 sums (sum g, sum g*(x-m)) over contiguous runs.
#[inline(always)]
fn g_gx_f64(g: &[f32], x: &[f32], m: f64) -> (f64, f64) {
    let (mut a, mut b) = ([0f64; 4], [0f64; 4]);
    let (mut gc, mut xc) = (g.chunks_exact(4), x.chunks_exact(4));
    for (cg, cx) in (&mut gc).zip(&mut xc) {
        for l in 0..4 {
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

simd_fn! {
/// mean and biased variance of every channel of x [N, C, S].
pub fn channel_stats(x: &[f32], n: usize, c: usize, s: usize, mean: &mut [f32], var: &mut [f32]) {
    let cnt = (n * s) as f64;
    for ch in 0..c {
        let mut sm = 0f64;
        for b in 0..n { sm += sum_f64(&x[(b * c + ch) * s..(b * c + ch + 1) * s]); }
        let m = sm / cnt;
        let mut q = 0f64;
        for b in 0..n { q += sq_dev_f64(&x[(b * c + ch) * s..(b * c + ch + 1) * s], m); }
        mean[ch] = m as f32;
        var[ch] = (q / cnt) as f32;
    }
}
}

simd_fn! {
/// y = (x - mean) * invstd * w + b per channel.
pub fn channel_normalize(x: &[f32], n: usize, c: usize, s: usize, mean: &[f32], invstd: &[f32],
                         w: Option<&[f32]>, b: Option<&[f32]>, y: &mut [f32]) {
    for bi in 0..n {
        for ch in 0..c {
            let scale = invstd[ch] as f64 * w.map_or(1.0, |w| w[ch] as f64);
            let shift = b.map_or(0.0, |b| b[ch] as f64) - mean[ch] as f64 * scale;
            let (scale, shift) = (scale as f32, shift as f32);
            let base = (bi * c + ch) * s;
            for (o, &v) in y[base..base + s].iter_mut().zip(&x[base..base + s]) { *o = v * scale + shift; }
        }
    }
}
}

simd_fn! {
/// Batch-norm backward (see types.ts): gx (full formula when training, else gy*w*invstd), gw, gb.
pub fn batch_norm_grad(x: &[f32], gy: &[f32], n: usize, c: usize, s: usize, mean: &[f32], invstd: &[f32],
                       w: Option<&[f32]>, training: bool, gx: Option<&mut [f32]>,
                       gw: Option<&mut [f32]>, gb: Option<&mut [f32]>) {
    let mut gx = gx;
    let mut gw = gw;
    let mut gb = gb;
    let cnt = (n * s) as f64;
    for ch in 0..c {
        let m = mean[ch] as f64;
        let (mut sg, mut sgx) = (0f64, 0f64);
        for b in 0..n {
            let r = (b * c + ch) * s..(b * c + ch + 1) * s;
            let (a, bb) = g_gx_f64(&gy[r.clone()], &x[r], m);
            sg += a;
            sgx += bb;
        }
        let r = invstd[ch] as f64;
        if let Some(gb) = gb.as_deref_mut() { gb[ch] = sg as f32; }
        if let Some(gw) = gw.as_deref_mut() { gw[ch] = (sgx * r) as f32; }
        let Some(gx) = gx.as_deref_mut() else { continue };
        let wc = w.map_or(1.0, |w| w[ch] as f64);
        if training {
            // gx = (wc r / cnt) (cnt g - sg - xh sgx r), xh = (x - m) r
            let k = wc * r / cnt;
            let (a, bconst, cx) = ((k * cnt) as f32, (-k * sg) as f32, (-k * sgx * r * r) as f32);
            let mf = m as f32;
            for b in 0..n {
                let base = (b * c + ch) * s;
                for ((o, &g), &xv) in gx[base..base + s].iter_mut().zip(&gy[base..base + s]).zip(&x[base..base + s]) {
                    *o = a * g + bconst + cx * (xv - mf);
                }
            }
        } else {
            let k = (wc * r) as f32;
            for b in 0..n {
                let base = (b * c + ch) * s;
                for (o, &g) in gx[base..base + s].iter_mut().zip(&gy[base..base + s]) { *o = g * k; }
            }
        }
    }
}
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
