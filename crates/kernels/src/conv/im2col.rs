//! im2col / col2im of conv blocks: the row writers (shifted-row copies, stride-2 even/odd
//! splits, strided gathers), the packed-panel im2col of shifted-row geometries, and their inverse.
use super::*;

/// 2-d, stride 1, output as wide as the input (e.g. 3x3 pad 1): a tap's im2col row is the
/// channel shifted by a constant, so runs of whole output rows are one contiguous copy, then
/// the columns that wrapped around from a neighbouring row are zeroed.
#[inline(always)]
pub(super) fn shift_case(g: &ConvGeom) -> bool {
    g.in_d == 1 && g.out_d == 1 && g.k_d == 1 && g.p_d == 0 && g.s_h == 1 && g.s_w == 1 && g.in_w == g.out_w
}

/// For [`shift_case`]: (delta, js, je, lo, hi): valid columns j in [js, je) read xc[j + delta]
/// except the border columns ow < lo or ow >= hi (in range [js, je) only).
#[inline(always)]
pub(super) fn shift_geom(
    g: &ConvGeom,
    kh: usize,
    kw: usize,
    j0: usize,
    j1: usize,
) -> (isize, usize, usize, usize, usize) {
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
pub(super) fn for_borders(w: usize, lo: usize, hi: usize, j0: usize, js: usize, je: usize, mut f: impl FnMut(usize)) {
    if lo == 0 && hi >= w {
        return;
    }
    let mut row0 = js - js % w;
    while row0 < je {
        for ow in 0..lo {
            let j = row0 + ow;
            if j >= js && j < je {
                f(j - j0);
            }
        }
        for ow in hi..w {
            let j = row0 + ow;
            if j >= js && j < je {
                f(j - j0);
            }
        }
        row0 += w;
    }
}

/// Writes the im2col row values of channel slice `xc` for tap (kd, kh, kw) at output columns
/// j0..j1 (flattened (od, oh, ow)) into `out[..j1-j0]`.
#[inline(always)]
pub(super) fn im2col_row(
    g: &ConvGeom,
    xc: &[f32],
    split: bool,
    kd: usize,
    kh: usize,
    kw: usize,
    j0: usize,
    j1: usize,
    out: &mut [f32],
) {
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
                            for (i, d) in dst.iter_mut().enumerate() {
                                *d = sr[2 * i];
                            }
                        }
                        sw => {
                            for (i, d) in dst.iter_mut().enumerate() {
                                *d = xr[b + sw * i];
                            }
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

/// Output columns ow with 0 <= ow*s_w + off < in_w, as the range [lo, hi).
#[inline(always)]
pub(super) fn valid_ow(g: &ConvGeom, off: isize) -> (usize, usize) {
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
pub(super) fn im2col_panels(g: &ConvGeom, x: &[f32], c0: usize, j0: usize, j1: usize, nr: usize, depth: usize, dst: &mut [f32]) {
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
pub(super) fn split_stride2(g: &ConvGeom, x: &[f32]) -> Option<Vec<f32>> {
    if g.s_w != 2 || g.in_w < 2 {
        return None;
    }
    let w = g.in_w;
    let we = w.div_ceil(2);
    let mut buf = SPLIT.with(|c| std::mem::take(&mut *c.borrow_mut()));
    if buf.len() < x.len() {
        buf.resize(x.len(), 0.0);
    }
    let out = &mut buf[..x.len()];
    for (d, r) in out.chunks_exact_mut(w).zip(x.chunks_exact(w)) {
        let (ev, od) = d.split_at_mut(we);
        for (i, v) in ev.iter_mut().enumerate() {
            *v = r[2 * i];
        }
        for (i, v) in od.iter_mut().enumerate() {
            *v = r[2 * i + 1];
        }
    }
    Some(buf)
}

pub(super) fn split_done(xs: Option<Vec<f32>>) {
    if let Some(v) = xs {
        SPLIT.with(|c| *c.borrow_mut() = v);
    }
}

crate::simd_fn! {
/// Row-contiguous im2col of channels [c0, c0 + cg) at output columns j0..j1: col[r*(j1-j0) + t].
pub(super) fn im2col_block(g: &ConvGeom, x: &[f32], split: bool, c0: usize, j0: usize, j1: usize, col: &mut [f32]) {
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
