//! Softmax / log-softmax over the middle axis of [outer, dim, inner], their gradients, and the
//! negative log likelihood (+grad) used by cross-entropy.
use crate::{simd, simd_fn};

#[inline(always)]
fn softmax_row(x: &[f32], o: &mut [f32], log: bool) {
    // max with NaN propagation (like Math.max)
    let mut mx = f32::NEG_INFINITY;
    for &v in x {
        if v.is_nan() {
            mx = v;
            break;
        }
        mx = if v > mx { v } else { mx };
    }
    if mx == f32::NEG_INFINITY {
        mx = 0.0;
    }
    for (y, &v) in o.iter_mut().zip(x) {
        *y = simd::exp(v - mx);
    }
    let s = sum8(o);
    if log {
        let ls = s.ln();
        for (y, &v) in o.iter_mut().zip(x) {
            *y = v - mx - ls;
        }
    } else {
        let inv = 1.0 / s;
        for y in o.iter_mut() {
            *y *= inv;
        }
    }
}

/// float32 sum with 8 independent accumulators (vectorises).
#[inline(always)]
pub(crate) fn sum8(x: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let mut ch = x.chunks_exact(8);
    for c in &mut ch {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in ch.remainder() {
        s += v;
    }
    s
}

simd_fn! {
/// Softmax (or log-softmax) of x over `dim`, for each of outer x inner lanes.
pub fn softmax(x: &[f32], out: &mut [f32], outer: usize, dim: usize, inner: usize, log: bool) {
    let blk = dim * inner;
    if inner == 1 {
        return for i in 0..outer {
            softmax_row(&x[i * blk..(i + 1) * blk], &mut out[i * blk..(i + 1) * blk], log);
        };
    }
    // inner > 1: vectorise across the inner lanes
    {
        let mut mx = vec![0f32; inner];
        let mut s = vec![0f32; inner];
        for i in 0..outer {
            let xb = &x[i * blk..(i + 1) * blk];
            let ob = &mut out[i * blk..(i + 1) * blk];
            mx.fill(f32::NEG_INFINITY);
            for d in 0..dim {
                for (m, &v) in mx.iter_mut().zip(&xb[d * inner..(d + 1) * inner]) {
                    *m = if m.is_nan() || v.is_nan() { f32::NAN } else if v > *m { v } else { *m };
                }
            }
            for m in mx.iter_mut() { if *m == f32::NEG_INFINITY { *m = 0.0; } }
            s.fill(0.0);
            for d in 0..dim {
                let xr = &xb[d * inner..(d + 1) * inner];
                let or = &mut ob[d * inner..(d + 1) * inner];
                for (((y, a), &v), &m) in or.iter_mut().zip(s.iter_mut()).zip(xr).zip(mx.iter()) {
                    let e = simd::exp(v - m);
                    *a += e;
                    *y = e;
                }
            }
            if log {
                for a in s.iter_mut() { *a = a.ln(); }
                for d in 0..dim {
                    let xr = &xb[d * inner..(d + 1) * inner];
                    let or = &mut ob[d * inner..(d + 1) * inner];
                    for (((y, &ls), &v), &m) in or.iter_mut().zip(s.iter()).zip(xr).zip(mx.iter()) { *y = v - m - ls; }
                }
            } else {
                for a in s.iter_mut() { *a = 1.0 / *a; }
                for d in 0..dim {
                    for (y, &inv) in ob[d * inner..(d + 1) * inner].iter_mut().zip(s.iter()) { *y *= inv; }
                }
            }
        }
    }
}
}

simd_fn! {
/// Gradient of softmax (gx = y (gy - sum gy y)) or log-softmax (gx = gy - exp(y) sum gy).
pub fn softmax_grad(y: &[f32], gy: &[f32], gx: &mut [f32], outer: usize, dim: usize, inner: usize, log: bool) {
    let blk = dim * inner;
    {
        let mut s = vec![0f32; inner];
        for i in 0..outer {
            let (yb, gb) = (&y[i * blk..(i + 1) * blk], &gy[i * blk..(i + 1) * blk]);
            let ob = &mut gx[i * blk..(i + 1) * blk];
            s.fill(0.0);
            for d in 0..dim {
                let r = d * inner..(d + 1) * inner;
                if log { for (a, &g) in s.iter_mut().zip(&gb[r]) { *a += g; } }
                else { for ((a, &g), &v) in s.iter_mut().zip(&gb[r.clone()]).zip(&yb[r]) { *a += g * v; } }
            }
            for d in 0..dim {
                let r = d * inner..(d + 1) * inner;
                let it = ob[r.clone()].iter_mut().zip(&gb[r.clone()]).zip(&yb[r]).zip(s.iter());
                if log { for (((o, &g), &v), &a) in it { *o = g - simd::exp(v) * a; } }
                else { for (((o, &g), &v), &a) in it { *o = v * (g - a); } }
            }
        }
    }
}
}

/// loss[i] = -w[t] * logp[n, t, k] and wOut[i] = w[t] (1 without weights; both 0 where
/// t == ignore_index). Err(t) names the first out-of-range target.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn nll(
    logp: &[f32],
    target: &[i32],
    weight: Option<&[f32]>,
    loss: &mut [f32],
    w_out: &mut [f32],
    n: usize,
    c: usize,
    inner: usize,
    ignore_index: i32,
) -> Result<(), i32> {
    for b in 0..n {
        for k in 0..inner {
            let i = b * inner + k;
            let t = target[i];
            if t == ignore_index {
                loss[i] = 0.0;
                w_out[i] = 0.0;
                continue;
            }
            if t < 0 || t as usize >= c {
                return Err(t);
            }
            let w = weight.map_or(1.0, |w| w[t as usize]);
            loss[i] = -w * logp[(b * c + t as usize) * inner + k];
            w_out[i] = w;
        }
    }
    Ok(())
}

/// gx[n, t, k] = -gLoss[n, k] * w[t], zero elsewhere and where ignored.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn nll_grad(
    g_loss: &[f32],
    target: &[i32],
    weight: Option<&[f32]>,
    gx: &mut [f32],
    n: usize,
    c: usize,
    inner: usize,
    ignore_index: i32,
) -> Result<(), i32> {
    gx[..n * c * inner].fill(0.0);
    for b in 0..n {
        for k in 0..inner {
            let i = b * inner + k;
            let t = target[i];
            if t == ignore_index {
                continue;
            }
            if t < 0 || t as usize >= c {
                return Err(t);
            }
            gx[(b * c + t as usize) * inner + k] = -g_loss[i] * weight.map_or(1.0, |w| w[t as usize]);
        }
    }
    Ok(())
}
