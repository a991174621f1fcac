//! Direct convolution over channel blocks of 16 on AVX-512 (the NCHW16c layout of oneDNN and
//! ONNX Runtime's MLAS), for 2-d convs whose input and output channels are multiples of 16 (resnet
//! 3x3 stages). No im2col: the input is copied once into a zero-padded [C/16][Hp][Wp][16] plane
//! set, the weights are packed (once, by conv_pack) as [O/64][C/16][kh][kw][16 in][F][16 out],
//! and a register tile of F x 16 output channels by P output positions (any positions: each has
//! its own input pointer, so a tile runs across output rows) accumulates every input channel and
//! tap: per input channel, F weight vectors and P broadcasts feed F * P FMAs. Each weight group
//! (64 output channels, <= ~600 KB) stays in L2 while every position of the image meets it, so
//! the weights are read from memory once per image. Results are scattered straight into NCHW y
//! (16 channel rows at once), then the usual epilogue (residual, activation) runs on them.
#![cfg(target_arch = "x86_64")]

use super::*;
use core::arch::x86_64::*;

/// Channel blocks of 16 per weight group at most (F x 16 output channels per register tile).
const FMAX: usize = 4;
/// Bytes of one weight group kept in L2 while the image's positions meet it.
const GROUP_BYTES: usize = 640 * 1024;

/// Channel blocks per weight group for `g`: up to FMAX, fewer when a group would not fit L2
/// (512 input channels x 3x3: 2 blocks, 12-position tiles).
fn group_blocks(g: &ConvGeom) -> usize {
    let block = L * g.c * g.k_size() * 4;
    (GROUP_BYTES / block).clamp(2, FMAX).min(g.o / L)
}
const L: usize = 16;
/// Floats ahead of the weight stream prefetched into L1.
const PF: usize = 1024;

thread_local! {
    static XPAD: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static WOWN: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Whether [`conv_nchwc`] runs `g`: AVX-512, one group, 2-d, channels in and out multiples of 16,
/// a real kernel window (a 1x1 conv's few FMAs per position do not pay for its scattered stores:
/// resnet18's 1x1/2 downsamples ran no faster), and an output plane of at most 28x28 positions
/// (at 56x56 the implicit-im2col GEMM was 5% faster in resnet18 b1).
pub(super) fn nchwc_case(g: &ConvGeom) -> bool {
    gemm::best_kernel() == gemm::GemmKernel::Avx512
        && g.groups == 1
        && g.k_d == 1
        && g.in_d == 1
        && g.out_d == 1
        && g.c % L == 0
        && g.o % L == 0
        && g.c > 0
        && g.o > 0
        && g.k_size() > 1
        && g.k_size() <= 64
        && g.out_size() > 0
        && g.out_size() <= 28 * 28
}

/// Floats of the packed weights (bias first, padded to the output channels).
pub(super) fn nchwc_w_len(g: &ConvGeom) -> usize {
    g.o + g.o * g.c * g.k_size()
}

/// Packs w (O x C x kh x kw) and the bias into [`nchwc_w_len`] floats: bias[O], then per group of
/// F = [`group_blocks`] channel blocks (the last may have fewer) [C/16][kh][kw][16 in][F][16 out].
pub(super) fn pack_nchwc(g: &ConvGeom, w: &[f32], bias: Option<&[f32]>, dst: &mut [f32]) {
    let (o, c, kk) = (g.o, g.c, g.k_size());
    let dst = &mut dst[..nchwc_w_len(g)];
    match bias {
        Some(b) => dst[..o].copy_from_slice(&b[..o]),
        None => dst[..o].fill(0.0),
    }
    let wd = &mut dst[o..];
    let nb = o / L;
    let gb = group_blocks(g);
    for gi in 0..nb.div_ceil(gb) {
        let f = gb.min(nb - gi * gb);
        let base = gi * gb * L * c * kk;
        for cb in 0..c / L {
            for t in 0..kk {
                for ic in 0..L {
                    for fi in 0..f {
                        let at = base + (((cb * kk + t) * L + ic) * f + fi) * L;
                        for l in 0..L {
                            let oc = (gi * gb + fi) * L + l;
                            wd[at + l] = w[(oc * c + cb * L + ic) * kk + t];
                        }
                    }
                }
            }
        }
    }
}

/// Padded input geometry: (hp, wp) with every tap of every output position inside.
fn pad_hw(g: &ConvGeom) -> (usize, usize) {
    let hp = (g.in_h + 2 * g.p_h).max((g.out_h - 1) * g.s_h + (g.k_h - 1) * g.d_h + 1);
    let wp = (g.in_w + 2 * g.p_w).max((g.out_w - 1) * g.s_w + (g.k_w - 1) * g.d_w + 1);
    (hp, wp)
}

/// One channel block of one image into the padded NCHW16c layout (dst: hp * wp * 16 floats).
#[target_feature(enable = "avx512f")]
unsafe fn pad_block(g: &ConvGeom, xb: &[f32], hp: usize, wp: usize, dst: &mut [f32]) {
    let ins = g.in_size();
    assert!(xb.len() >= (L - 1) * ins + ins && dst.len() >= hp * wp * L);
    let idx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(ins as i32),
    );
    let z = _mm512_setzero_ps();
    let d = dst.as_mut_ptr();
    for r in 0..hp {
        let ih = r as isize - g.p_h as isize;
        let row = d.add(r * wp * L);
        if ih < 0 || ih >= g.in_h as isize {
            for c in 0..wp {
                _mm512_storeu_ps(row.add(c * L), z);
            }
            continue;
        }
        for c in 0..wp {
            let iw = c as isize - g.p_w as isize;
            let v = if iw < 0 || iw >= g.in_w as isize {
                z
            } else {
                let src = xb.as_ptr().add(ih as usize * g.in_w + iw as usize);
                _mm512_i32gather_ps::<4>(idx, src)
            };
            _mm512_storeu_ps(row.add(c * L), v);
        }
    }
}

/// The register tile: F x 16 output channels (weights `wg`, bias `bias`) by P positions whose
/// padded inputs start at `xs[p]`; `kd` input-channel steps over `cbn` channel blocks (block
/// stride `plane` floats) and the taps at `toffs` (floats, relative to a position's base).
/// Results go to y (NCHW of one image, `s` positions per channel) at positions `qs[p]`, channels
/// `o0 + f * 16 + lane`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const F: usize, const P: usize>(
    wg: *const f32,
    bias: *const f32,
    xs: &[*const f32; 12],
    cbn: usize,
    plane: usize,
    toffs: &[usize],
    y: *mut f32,
    s: usize,
    o0: usize,
    qs: &[usize; 12],
    pf: (*const f32, usize),
) {
    // pf: the next weight group's lines this tile moves towards L2 (its first tile would else
    // wait on memory for the whole group), spread over the channel-tap steps
    let (mut pfp, pf_lines) = pf;
    let steps = cbn * toffs.len();
    let per_step = pf_lines.div_ceil(steps.max(1));
    let mut pf_left = pf_lines;
    let mut acc = [[_mm512_setzero_ps(); F]; P];
    for f in 0..F {
        let b = _mm512_loadu_ps(bias.add(o0 + f * L));
        for p in 0..P {
            acc[p][f] = b;
        }
    }
    let mut w = wg;
    for cb in 0..cbn {
        let cbo = cb * plane;
        for &to in toffs {
            let off = cbo + to;
            let np = per_step.min(pf_left);
            for _ in 0..np {
                _mm_prefetch::<_MM_HINT_T1>(pfp as *const i8);
                pfp = pfp.wrapping_add(L);
            }
            pf_left -= np;
            let mut xp = [core::ptr::null::<f32>(); P];
            for p in 0..P {
                xp[p] = xs[p].add(off);
            }
            for ic in 0..L {
                let mut wv = [_mm512_setzero_ps(); F];
                for f in 0..F {
                    _mm_prefetch::<_MM_HINT_T0>(w.wrapping_add(PF + f * L) as *const i8);
                    wv[f] = _mm512_loadu_ps(w.add(f * L));
                }
                for p in 0..P {
                    let xv = _mm512_set1_ps(*xp[p].add(ic));
                    for f in 0..F {
                        acc[p][f] = _mm512_fmadd_ps(xv, wv[f], acc[p][f]);
                    }
                }
                w = w.add(F * L);
            }
        }
    }
    let idx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(s as i32),
    );
    for p in 0..P {
        for f in 0..F {
            let dst = y.add((o0 + f * L) * s + qs[p]);
            _mm512_i32scatter_ps::<4>(dst, idx, acc[p][f]);
        }
    }
}

/// Positions per tile for F channel blocks (F * P accumulators of the 32 zmm registers).
const fn tile_p(f: usize) -> usize {
    match f {
        1 | 2 => 12,
        3 => 8,
        _ => 6,
    }
}

macro_rules! run_tile {
    ($f:literal, $p:expr, $args:tt) => {
        match $p {
            1 => run_tile!(@c $f, 1, $args),
            2 => run_tile!(@c $f, 2, $args),
            3 => run_tile!(@c $f, 3, $args),
            4 => run_tile!(@c $f, 4, $args),
            5 => run_tile!(@c $f, 5, $args),
            6 => run_tile!(@c $f, 6, $args),
            7 => run_tile!(@c $f, 7, $args),
            8 => run_tile!(@c $f, 8, $args),
            9 => run_tile!(@c $f, 9, $args),
            10 => run_tile!(@c $f, 10, $args),
            11 => run_tile!(@c $f, 11, $args),
            12 => run_tile!(@c $f, 12, $args),
            _ => unreachable!(),
        }
    };
    (@c $f:literal, $p:literal, ($($a:expr),*)) => {
        if $p <= tile_p($f) { tile::<$f, $p>($($a),*) } else { unreachable!() }
    };
}

/// y = act(conv(x, w) + bias + residual) for [`nchwc_case`] geometries; `packed`: the weights
/// from [`pack_nchwc`] when given packed for g.
pub(super) fn conv_nchwc(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    packed: Option<&[f32]>,
    y: &mut [f32],
    ep: &Epilogue,
) {
    let (s, kk, cbn) = (g.out_size(), g.k_size(), g.c / L);
    let x = &x[..g.x_len()];
    let y = &mut y[..g.y_len()];
    let mut own = Vec::new();
    let wp: &[f32] = match packed {
        Some(p) => p,
        None => {
            own = WOWN.with(|c| core::mem::take(&mut *c.borrow_mut()));
            own.resize(nchwc_w_len(g), 0.0);
            pack_nchwc(g, &w[..g.w_len()], bias, &mut own);
            &own
        }
    };
    let (hp, wpw) = pad_hw(g);
    let plane = hp * wpw * L;
    let mut xp = XPAD.with(|c| core::mem::take(&mut *c.borrow_mut()));
    let need = g.n * cbn * plane;
    if xp.len() < need {
        xp.resize(need, 0.0);
    }
    {
        let (xpp, ins) = (SendPtr(xp.as_mut_ptr()), g.in_size());
        run_tasks(g.n * cbn, &|t| {
            // SAFETY: task t writes only padded block t (plane floats); AVX-512F checked by nchwc_case.
            unsafe {
                let d = core::slice::from_raw_parts_mut(xpp.get().add(t * plane), plane);
                pad_block(g, &x[t * L * ins..(t + 1) * L * ins], hp, wpw, d);
            }
        });
    }
    // tap offsets (floats) relative to a position's first input, in packing order
    let mut toffs = [0usize; 64];
    for kh in 0..g.k_h {
        for kw in 0..g.k_w {
            toffs[kh * g.k_w + kw] = (kh * g.d_h * wpw + kw * g.d_w) * L;
        }
    }
    let toffs = &toffs[..kk];
    let nb = g.o / L;
    let gb = group_blocks(g);
    let ngr = nb.div_ceil(gb);
    // tasks: (image, weight group, chunk of positions); chunks only to feed every thread
    let threads = par::threads();
    let nchunk = if threads > 1 { (2 * threads).div_ceil(g.n * ngr).min(s.div_ceil(24)).max(1) } else { 1 };
    let (bias_p, wd) = (wp.as_ptr(), SendPtr(wp[g.o..].as_ptr() as *mut f32));
    let (xpr, yp) = (SendPtr(xp.as_mut_ptr()), SendPtr(y.as_mut_ptr()));
    let bias_s = SendPtr(bias_p as *mut f32);
    run_tasks(g.n * ngr * nchunk, &|t| {
        let (n, gi, ch) = (t / (ngr * nchunk), (t / nchunk) % ngr, t % nchunk);
        let f = gb.min(nb - gi * gb);
        let pt = tile_p(f);
        let (q0, q1) = par::split(s, nchunk, pt, ch);
        let o0 = gi * gb * L;
        // tiles of equal size (49 positions: 5 and 4 x 6-position tiles would end on a 1-position
        // one, which loads as many weights for a sixth of the FMAs)
        let ntile = (q1 - q0).div_ceil(pt);
        // SAFETY: the packed weights hold group gi at this offset; this task writes only channels
        // o0..o0 + 16f of image n at positions q0..q1 (scatters stay inside y's image n).
        unsafe {
            let wg = wd.get().add(gi * gb * L * g.c * kk) as *const f32;
            let xn = xpr.get().add(n * cbn * plane) as *const f32;
            let yn = yp.get().add(n * g.o * s);
            // this task's share of the next group's weights, to prefetch across its tiles
            let (pa, pb) = if gi + 1 < ngr {
                let len = gb.min(nb - (gi + 1) * gb) * L * g.c * kk;
                (len * ch / nchunk, len * (ch + 1) / nchunk)
            } else {
                (0, 0)
            };
            let wnext = wd.get().add((gi + 1) * gb * L * g.c * kk) as *const f32;
            for ti in 0..ntile {
                let (q, qe) = (q0 + (q1 - q0) * ti / ntile, q0 + (q1 - q0) * (ti + 1) / ntile);
                let (fa, fb) = (pa + (pb - pa) * ti / ntile, pa + (pb - pa) * (ti + 1) / ntile);
                let pf = (wnext.wrapping_add(fa), (fb - fa).div_ceil(L));
                let np = qe - q;
                let mut xs = [core::ptr::null::<f32>(); 12];
                let mut qs = [0usize; 12];
                for p in 0..np {
                    let (oh, ow) = ((q + p) / g.out_w, (q + p) % g.out_w);
                    xs[p] = xn.add((oh * g.s_h * wpw + ow * g.s_w) * L);
                    qs[p] = q + p;
                }
                let b = bias_s.get() as *const f32;
                match f {
                    1 => run_tile!(1, np, (wg, b, &xs, cbn, plane, toffs, yn, s, o0, &qs, pf)),
                    2 => run_tile!(2, np, (wg, b, &xs, cbn, plane, toffs, yn, s, o0, &qs, pf)),
                    3 => run_tile!(3, np, (wg, b, &xs, cbn, plane, toffs, yn, s, o0, &qs, pf)),
                    _ => run_tile!(4, np, (wg, b, &xs, cbn, plane, toffs, yn, s, o0, &qs, pf)),
                }
            }
            if !ep.is_none() {
                // the epilogue of this task's channels and positions
                let off = (n * g.o + o0) * s + q0;
                let yb = core::slice::from_raw_parts_mut(yp.get().add(off), (f * L - 1) * s + (q1 - q0));
                ep.apply(yb, off, f * L, q1 - q0, s);
            }
        }
    });
    XPAD.with(|c| *c.borrow_mut() = xp);
    if !own.is_empty() {
        WOWN.with(|c| *c.borrow_mut() = own);
    }
}
