//! Direct depthwise convolution forward: groups == C (one input channel per group, any channel
//! multiplier O / C), any kernel size, stride, padding and dilation, with the bias and the fused
//! epilogue. No im2col: each channel is copied once into a zero-padded buffer split into its
//! stride phases (see [`Phased`]), where every tap of a whole output plane is one contiguous run;
//! the plane is then one vectorised multiply-add pass per tap group (32 outputs in registers
//! across all taps), and its valid columns are copied out with the epilogue. Tasks over
//! (image, channel) planes, each computing all multiplier outputs of its channel.
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
                    dw_plane(g, ph, &x[plane * ins..(plane + 1) * ins], src, t, offs, wc, bc, yo, act);
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
