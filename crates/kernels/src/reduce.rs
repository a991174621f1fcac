//! Reductions over the middle axis of a contiguous [outer, red, inner] block: sum and max(+argmax).
use crate::{simd_fn, Elem};

/// f64 sum of a contiguous run with 8 independent accumulators (vectorises; js sums in f64 too).
#[inline(always)]
pub(crate) fn sum_f64(x: &[f32]) -> f64 {
    let mut acc = [0f64; 8];
    let mut ch = x.chunks_exact(8);
    for c in &mut ch {
        for l in 0..8 {
            acc[l] += c[l] as f64;
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in ch.remainder() {
        s += v as f64;
    }
    s
}

simd_fn! {
/// out[i, j] = sum over r of x[i, r, j].
pub fn sum_f32(x: &[f32], out: &mut [f32], outer: usize, red: usize, inner: usize) {
    {
        if inner == 1 {
            for i in 0..outer { out[i] = sum_f64(&x[i * red..(i + 1) * red]) as f32; }
        } else {
            for i in 0..outer {
                let o = &mut out[i * inner..(i + 1) * inner];
                o.fill(0.0);
                for r in 0..red {
                    let s = &x[(i * red + r) * inner..(i * red + r + 1) * inner];
                    for (a, &b) in o.iter_mut().zip(s) { *a += b; }
                }
            }
        }
    }
}
}

/// Generic-dtype sum (int64-as-int32 storage), in f64 like the js backend.
#[inline(never)]
pub fn sum_any<X: Elem, O: Elem>(x: &[X], out: &mut [O], outer: usize, red: usize, inner: usize) {
    for i in 0..outer {
        if inner == 1 {
            let mut s = 0f64;
            for &v in &x[i * red..(i + 1) * red] {
                s += v.to_f64();
            }
            out[i] = O::from_f64(s);
        } else {
            for j in 0..inner {
                let mut s = O::from_f64(0.0);
                for r in 0..red {
                    s = O::from_f64(s.to_f64() + x[(i * red + r) * inner + j].to_f64());
                }
                out[i * inner + j] = s;
            }
        }
    }
}

/// out[i, j] = max over r of x[i, r, j]; idx (if given) = first r of the max; NaN wins (first NaN).
#[inline(never)]
pub fn max_any<X: Elem, O: Elem>(
    x: &[X],
    out: &mut [O],
    mut idx: Option<&mut [i32]>,
    outer: usize,
    red: usize,
    inner: usize,
) {
    for i in 0..outer {
        for j in 0..inner {
            let mut best = f64::NEG_INFINITY;
            let mut bi = 0usize;
            for r in 0..red {
                let v = x[(i * red + r) * inner + j].to_f64();
                if v > best || v.is_nan() {
                    best = v;
                    bi = r;
                    if v.is_nan() {
                        break;
                    }
                }
            }
            out[i * inner + j] = O::from_f64(best);
            if let Some(ix) = idx.as_deref_mut() {
                ix[i * inner + j] = bi as i32;
            }
        }
    }
}

simd_fn! {
/// float32 max: rows vectorised across `inner` when inner > 1.
pub fn max_f32(x: &[f32], out: &mut [f32], idx: Option<&mut [i32]>, outer: usize, red: usize, inner: usize) {
    if inner == 1 || red == 0 { return max_any(x, out, idx, outer, red, inner); }
    let mut scratch = Vec::new();
    let ix: &mut [i32] = match idx { Some(s) => s, None => { scratch.resize(outer * inner, 0); &mut scratch } };
    for i in 0..outer {
        let o = &mut out[i * inner..(i + 1) * inner];
        let bi = &mut ix[i * inner..(i + 1) * inner];
        o.copy_from_slice(&x[i * red * inner..(i * red + 1) * inner]);
        bi.fill(0);
        for r in 1..red {
            let s = &x[(i * red + r) * inner..(i * red + r + 1) * inner];
            for ((b, k), &v) in o.iter_mut().zip(bi.iter_mut()).zip(s) {
                // keep the first NaN; otherwise strictly greater, or a NaN, replaces
                let take = !b.is_nan() && (v > *b || v.is_nan());
                *b = if take { v } else { *b };
                *k = if take { r as i32 } else { *k };
            }
        }
    }
}
}
