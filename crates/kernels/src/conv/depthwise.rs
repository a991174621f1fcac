//! Direct depthwise convolution forward: groups == C (one input channel per group, any channel
//! multiplier O / C), any kernel size, stride, padding and dilation, with the bias and the fused
//! epilogue. No im2col: each channel is copied once into a zero-padded buffer split into its
//! stride phases (see [`Phased`]), where every tap of a whole output plane is one contiguous run;
//! the plane is then one vectorised multiply-add pass per tap group (32 outputs in registers
//! across all taps), and its valid columns are copied out with the epilogue. On AVX-512, 2-d
//! planes up to 48 columns wide (64 at column stride 2) skip the copy: each output row is
//! computed from the input rows by masked loads (`dw_plane512`). Tasks over (image, channel)
//! planes, each computing all multiplier outputs of its channel.
use super::*;
use crate::phased::{PaddedPlane, Phased};

/// Whether the direct depthwise kernel takes this geometry.
pub(super) fn depthwise_case(g: &ConvGeom) -> bool {
    // (groups == C == 1 is an ordinary one-channel conv: the GEMM paths keep it)
    g.groups == g.c && g.c > 1 && g.o % g.c == 0
}

thread_local! {
    static PHASE: RefCell<PaddedPlane> = const { RefCell::new(PaddedPlane::new()) };
    static FLAT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}
/// y = act(depthwise conv(x, w) + bias + residual).
pub(super) fn conv_depthwise(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32], ep: &Epilogue) {
    let (ins, outs, ks) = (g.in_size(), g.out_size(), g.k_size());
    let mult = g.o / g.c;
    let (x, w) = (&x[..g.x_len()], &w[..g.w_len()]);
    let y = &mut y[..g.y_len()];
    if outs == 0 || g.n == 0 {
        return;
    }
    let ph = Phased::new(g);
    let nflat = ph.n_out(g);
    let mut offs = Vec::with_capacity(ks);
    for kd in 0..g.k_d {
        for kh in 0..g.k_h {
            for kw in 0..g.k_w {
                offs.push(ph.tap(g, kd, kh, kw));
            }
        }
    }
    let yp = SendPtr(y.as_mut_ptr());
    let planes = g.n * g.c;
    let work = planes * mult * outs * ks;
    let parts = if par::threads() > 1 && work >= 4 * crate::linalg::PAR_MIN_FLOPS {
        (par::threads() * 4).min(planes)
    } else {
        1
    };
    let (offs, ph) = (&offs, &ph);
    // AVX-512: small 2-d planes with column stride 1 or 2 straight from the input rows (masked
    // loads give the padding; no phased copy, whose per-row setup dominates small planes:
    // mobilenet_v2's 960 x 7x7 1.5x faster); wider planes stream better through the copy (limits
    // from model_paths' bench_model_paths: 56 wide is faster this way at stride 2, slower at 1)
    #[cfg(target_arch = "x86_64")]
    let rows512 = crate::simd::has_avx512()
        && g.k_d == 1
        && g.in_d == 1
        && g.out_d == 1
        && g.s_w <= 2
        && g.in_w <= if g.s_w == 2 { 64 } else { 48 };
    #[cfg(target_arch = "x86_64")]
    let (cols512, zeros512) = if rows512 { (dw_cols512(g), vec![0.0f32; g.in_w]) } else { (Vec::new(), Vec::new()) };
    let task = |part: usize| {
        let (p0, p1) = par::split(planes, parts, 1, part);
        PHASE.with(|pb| {
            FLAT.with(|fb| {
                let (mut pb, mut fb) = (pb.borrow_mut(), fb.borrow_mut());
                if fb.len() < nflat {
                    fb.resize(nflat, 0.0);
                }
                let (src, t) = (pb.get(g, ph, 0.0), &mut fb[..nflat]);
                for plane in p0..p1 {
                    let (n, c) = (plane / g.c, plane % g.c);
                    let yoff = (n * g.o + c * mult) * outs;
                    // SAFETY: output planes (n, c*mult .. (c+1)*mult) belong to this task's input
                    // plane (n, c) only.
                    let yo = unsafe { core::slice::from_raw_parts_mut(yp.get().add(yoff), mult * outs) };
                    let wc = &w[c * mult * ks..(c + 1) * mult * ks];
                    let bc = bias.map(|b| &b[c * mult..(c + 1) * mult]);
                    let act = if ep.res.is_none() { ep.act } else { ConvAct::None };
                    let xp = &x[plane * ins..(plane + 1) * ins];
                    #[cfg(target_arch = "x86_64")]
                    if rows512 {
                        // SAFETY: the CPU has AVX-512F (rows512 checked it); slices sized by g.
                        unsafe { dw_plane512(g, &cols512, &zeros512, xp, wc, bc, yo, act) };
                    } else {
                        dw_plane(g, ph, xp, src, t, offs, wc, bc, yo, act);
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    dw_plane(g, ph, xp, src, t, offs, wc, bc, yo, act);
                    if ep.res.is_some() {
                        ep.apply(yo, yoff, mult, outs, outs);
                    }
                }
            })
        });
    };
    if parts <= 1 {
        task(0);
    } else {
        par::run(parts, &|t, _| task(t));
    }
}

crate::simd_fn! {
/// One input channel's planes: fills the phased buffer `src` from `xp`, then for each of its
/// `mult` outputs the run of taps into `t` and the valid columns out to `yo` with `act`.
fn dw_plane(
    g: &ConvGeom,
    ph: &Phased,
    xp: &[f32],
    src: &mut [f32],
    t: &mut [f32],
    offs: &[usize],
    wc: &[f32],
    bc: Option<&[f32]>,
    yo: &mut [f32],
    act: ConvAct,
) {
    let (outs, ks) = (g.out_size(), offs.len());
    ph.fill(g, xp, src);
    for m in 0..yo.len() / outs.max(1) {
        dw_row(t, src, offs, &wc[m * ks..(m + 1) * ks], bc.map_or(0.0, |b| b[m]));
        let ym = &mut yo[m * outs..(m + 1) * outs];
        for od in 0..g.out_d {
            for oh in 0..g.out_h {
                let r = od * g.out_h + oh;
                let f = (od * ph.qh + oh) * ph.qw;
                copy_act(&mut ym[r * g.out_w..(r + 1) * g.out_w], &t[f..f + g.out_w], act);
            }
        }
    }
}
}

/// d = act(src) (ReLU and ReLU6 as the epilogue's: NaN and -0 stay).
#[inline(always)]
fn copy_act(d: &mut [f32], src: &[f32], act: ConvAct) {
    let src = &src[..d.len()];
    match act {
        ConvAct::None => d.copy_from_slice(src),
        ConvAct::Relu => {
            for (v, &x) in d.iter_mut().zip(src) {
                *v = if x > 0.0 || x.is_nan() { x } else { 0.0 };
            }
        }
        ConvAct::Relu6 => {
            for (v, &x) in d.iter_mut().zip(src) {
                let a = if x < 0.0 { 0.0 } else { x };
                *v = if x > 6.0 { 6.0 } else { a };
            }
        }
    }
}

crate::simd_fn! {
/// A run of depthwise outputs: y[j] = b + sum_t w[t] * src[offs[t] + j], taps in order, 32
/// (then 8, 4) outputs at a time held in registers across all taps.
fn dw_row(y: &mut [f32], src: &[f32], offs: &[usize], wts: &[f32], b: f32) {
    let n = y.len();
    let mut j = 0;
    // 32 outputs: 4 AVX2 (8 simd128) accumulator chains hide the add latency across the taps
    while j + 32 <= n {
        let mut acc = [b; 32];
        for (&o, &wv) in offs.iter().zip(wts) {
            let s: &[f32; 32] = src[o + j..o + j + 32].try_into().unwrap();
            for i in 0..32 {
                acc[i] += wv * s[i];
            }
        }
        y[j..j + 32].copy_from_slice(&acc);
        j += 32;
    }
    while j + 8 <= n {
        let mut acc = [b; 8];
        for (&o, &wv) in offs.iter().zip(wts) {
            let s: &[f32; 8] = src[o + j..o + j + 8].try_into().unwrap();
            for i in 0..8 {
                acc[i] += wv * s[i];
            }
        }
        y[j..j + 8].copy_from_slice(&acc);
        j += 8;
    }
    while j + 4 <= n {
        let mut acc = [b; 4];
        for (&o, &wv) in offs.iter().zip(wts) {
            let s: &[f32; 4] = src[o + j..o + j + 4].try_into().unwrap();
            for i in 0..4 {
                acc[i] += wv * s[i];
            }
        }
        y[j..j + 4].copy_from_slice(&acc);
        j += 4;
    }
    while j < n {
        let mut acc = b;
        for (&o, &wv) in offs.iter().zip(wts) {
            acc += wv * src[o + j];
        }
        y[j] = acc;
        j += 1;
    }
}
}

/// For `dw_plane512`: per (16-column output chunk, kw), the mask of the input lanes to load
/// (32 lanes for column stride 2) and the first input column they start at.
#[cfg(target_arch = "x86_64")]
fn dw_cols512(g: &ConvGeom) -> Vec<(u32, isize)> {
    let lanes = if g.s_w == 2 { 32 } else { 16 };
    let mut cols = Vec::with_capacity(g.out_w.div_ceil(16) * g.k_w);
    for ch in 0..g.out_w.div_ceil(16) {
        for kw in 0..g.k_w {
            let c0 = (ch * 16 * g.s_w + kw * g.d_w) as isize - g.p_w as isize;
            // lanes t with 0 <= c0 + t < in_w
            let (lo, hi) = ((-c0).clamp(0, lanes), (g.in_w as isize - c0).clamp(0, lanes));
            let m = if hi > lo { ((((1u64 << (hi - lo)) - 1) << lo) & 0xffff_ffff) as u32 } else { 0 };
            cols.push((m, c0));
        }
    }
    cols
}

/// One input channel's output planes on AVX-512F, for 2-d geometry with column stride 1 or 2:
/// each output row in 16-column chunks held in one register across all taps, every tap a masked
/// load of the input row (columns in the padding are masked off: zeros; stride 2 takes the even
/// lanes of a 32-column window), taps in order with FMA, then bias, `act` and a masked store.
/// Taps on rows in the padding multiply zeros too (so a non-finite weight gives NaN there, as
/// the im2col path): they read `zeros` (in_w zeros) in place of an input row.
///
/// # Safety
/// The CPU has AVX-512F; `xp` holds the in_h x in_w plane, `wc` mult * kh * kw weights, `yo`
/// mult output planes, `cols` is `dw_cols512(g)`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn dw_plane512(
    g: &ConvGeom,
    cols: &[(u32, isize)],
    zeros: &[f32],
    xp: &[f32],
    wc: &[f32],
    bc: Option<&[f32]>,
    yo: &mut [f32],
    act: ConvAct,
) {
    let (oh_n, ow_n, ks) = (g.out_h, g.out_w, g.k_h * g.k_w);
    let outs = oh_n * ow_n;
    let mult = yo.len() / outs.max(1);
    assert!(xp.len() >= g.in_h * g.in_w && wc.len() >= mult * ks && yo.len() >= mult * outs);
    assert!(zeros.len() >= g.in_w && cols.len() >= ow_n.div_ceil(16) * g.k_w);
    let (s2, chunks) = (g.s_w == 2, ow_n.div_ceil(16));
    let (x, zrow) = (xp.as_ptr(), zeros.as_ptr());
    for m in 0..mult {
        let p = DwPlane {
            g,
            x,
            zrow,
            wm: &wc[m * ks..(m + 1) * ks],
            b: bc.map_or(0.0, |b| b[m]),
            cols,
            ym: yo.as_mut_ptr().add(m * outs),
            act,
        };
        if s2 {
            dw_plane_rows512::<true>(&p, chunks);
        } else {
            dw_plane_rows512::<false>(&p, chunks);
        }
    }
}

/// One output plane for `dw_plane512`: its input plane `x` (and the zero row read in place of rows
/// in the padding), weights `wm`, bias `b`, the per-chunk column masks `cols`, output `ym`.
#[cfg(target_arch = "x86_64")]
struct DwPlane<'a> {
    g: &'a ConvGeom,
    x: *const f32,
    zrow: *const f32,
    wm: &'a [f32],
    b: f32,
    cols: &'a [(u32, isize)],
    ym: *mut f32,
    act: ConvAct,
}

/// All rows of one output plane: 4 at a time (4 independent FMA chains: one row's chain is
/// latency-bound), then the 1-3 left.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dw_plane_rows512<const S2: bool>(p: &DwPlane, chunks: usize) {
    let oh_n = p.g.out_h;
    let mut oh = 0;
    while oh + 4 <= oh_n {
        for ch in 0..chunks {
            dw_rows512::<4, S2>(p, oh, ch);
        }
        oh += 4;
    }
    for ch in 0..chunks {
        match oh_n - oh {
            3 => dw_rows512::<3, S2>(p, oh, ch),
            2 => dw_rows512::<2, S2>(p, oh, ch),
            1 => dw_rows512::<1, S2>(p, oh, ch),
            _ => {}
        }
    }
}

/// Output rows [oh, oh + R) x the 16 columns of chunk `ch` of `p`'s output plane.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dw_rows512<const R: usize, const S2: bool>(p: &DwPlane, oh: usize, ch: usize) {
    let DwPlane { g, x, zrow, wm, b, ym, act, .. } = *p;
    let (kw_n, j0) = (g.k_w, ch * 16);
    let cols = &p.cols[ch * kw_n..(ch + 1) * kw_n];
    use core::arch::x86_64::*;
    let (ih_n, iw_n, ow_n) = (g.in_h, g.in_w, g.out_w);
    let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let (zero, six) = (_mm512_setzero_ps(), _mm512_set1_ps(6.0));
    let mut acc = [_mm512_set1_ps(b); R];
    for kh in 0..g.k_h {
        // rows in the padding read the zero row instead (no branch per tap); a plain loop: a
        // closure would not inherit this function's target features
        let mut rows: [*const f32; R] = [zrow; R];
        for (r, row) in rows.iter_mut().enumerate() {
            let ih = ((oh + r) * g.s_h + kh * g.d_h) as isize - g.p_h as isize;
            if ih >= 0 && (ih as usize) < ih_n {
                *row = x.add(ih as usize * iw_n);
            }
        }
        for (kw, &(mk, c0)) in cols.iter().enumerate().take(kw_n) {
            let wv = _mm512_set1_ps(wm[kh * kw_n + kw]);
            for r in 0..R {
                let p = rows[r].wrapping_offset(c0);
                let v = if S2 {
                    let lo = _mm512_maskz_loadu_ps(mk as __mmask16, p);
                    let hi = _mm512_maskz_loadu_ps((mk >> 16) as __mmask16, p.wrapping_add(16));
                    _mm512_permutex2var_ps(lo, even, hi)
                } else {
                    _mm512_maskz_loadu_ps(mk as __mmask16, p)
                };
                acc[r] = _mm512_fmadd_ps(wv, v, acc[r]);
            }
        }
    }
    let sm = crate::simd::v512::first_lanes(ow_n - j0);
    for r in 0..R {
        let a = acc[r];
        let y = match act {
            ConvAct::None => a,
            // x > 0 or NaN keeps x, else +0 (the epilogue's relu)
            ConvAct::Relu => _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_NLE_UQ>(a, zero), a),
            ConvAct::Relu6 => {
                let t = _mm512_mask_mov_ps(a, _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, zero), zero);
                _mm512_mask_mov_ps(t, _mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, six), six)
            }
        };
        _mm512_mask_storeu_ps(ym.add((oh + r) * ow_n + j0), sm, y);
    }
}
