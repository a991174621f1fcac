//! Direct depthwise convolution forward: groups == C (one input channel per group, any channel
//! multiplier O / C), any kernel size, stride, padding and dilation, with the bias and the fused
//! epilogue. No im2col: each channel is copied once into a zero-padded buffer split into its
//! stride phases (see [`Phased`]), where every tap of a whole output plane is one contiguous run;
//! the plane is then one vectorised multiply-add pass per tap group (16 outputs in registers
//! across all taps), and its valid columns are copied out with the epilogue. Tasks over
//! (image, channel) planes, each computing all multiplier outputs of its channel.
use super::*;

/// Whether the direct depthwise kernel takes this geometry.
pub(super) fn depthwise_case(g: &ConvGeom) -> bool {
    // (groups == C == 1 is an ordinary one-channel conv: the GEMM paths keep it)
    g.groups == g.c && g.c > 1 && g.o % g.c == 0
}

thread_local! {
    static PHASE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static FLAT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The geometry PHASE's zeros were laid out for ([`Phased::key`]): the positions a plane's
    /// fill writes are the same for every plane of one geometry, so the zeros of the padding
    /// stay in place from plane to plane (and from call to call) and only the input is copied.
    static PHASE_KEY: core::cell::Cell<[usize; 9]> = const { core::cell::Cell::new([0; 9]) };
}

/// Layout of one channel's zero-padded input split into its stride phases along every dim:
/// sD*sH*sW sub-volumes of q = (qd, qh, qw) floats. Output (od, oh, ow) at flat index
/// j = (od*qh + oh)*qw + ow reads tap (kd, kh, kw) at j + tap offset in the tap's phase, so a
/// whole plane of outputs (plus qw - outW junk columns per row) is one run of taps.
struct Phased {
    qd: usize,
    qh: usize,
    qw: usize,
}

impl Phased {
    fn new(g: &ConvGeom) -> Phased {
        let (dp, hp, wp) = (g.in_d + 2 * g.p_d, g.in_h + 2 * g.p_h, g.in_w + 2 * g.p_w);
        Phased { qd: dp.div_ceil(g.s_d), qh: hp.div_ceil(g.s_h), qw: wp.div_ceil(g.s_w) }
    }
    fn sub(&self) -> usize {
        self.qd * self.qh * self.qw
    }
    fn len(&self, g: &ConvGeom) -> usize {
        self.sub() * g.s_d * g.s_h * g.s_w
    }
    /// Flat outputs computed (the last row without its junk columns).
    fn n_out(&self, g: &ConvGeom) -> usize {
        ((g.out_d - 1) * self.qh + (g.out_h - 1)) * self.qw + g.out_w
    }
    /// Offset of tap (kd, kh, kw) in the phased buffer (for output j = 0).
    fn tap(&self, g: &ConvGeom, kd: usize, kh: usize, kw: usize) -> usize {
        let (a, b, c) = (kd * g.d_d, kh * g.d_h, kw * g.d_w);
        let phase = ((a % g.s_d) * g.s_h + b % g.s_h) * g.s_w + c % g.s_w;
        phase * self.sub() + ((a / g.s_d) * self.qh + b / g.s_h) * self.qw + c / g.s_w
    }
    /// What decides which positions of the buffer hold input and which stay zero.
    fn key(g: &ConvGeom) -> [usize; 9] {
        [g.in_d, g.in_h, g.in_w, g.p_d, g.p_h, g.p_w, g.s_d, g.s_h, g.s_w]
    }
    /// Writes the input positions of the padded, phase-split channel `xp` into `dst`, whose other
    /// positions (the padding and the rounding of each phase up to q) are zero already.
    #[inline(always)]
    fn fill(&self, g: &ConvGeom, xp: &[f32], dst: &mut [f32]) {
        let sub = self.sub();
        let (sd, sh, sw) = (g.s_d, g.s_h, g.s_w);
        // the phases of the columns: input column iw (padded pw = iw + pW) sits in phase pw % sW
        // at q = pw / sW; per phase rw, the input columns iw0(rw), iw0 + sW, ...
        for id in 0..g.in_d {
            let (qd, rd) = ((id + g.p_d) / sd, (id + g.p_d) % sd);
            for ih in 0..g.in_h {
                let (qh, rh) = ((ih + g.p_h) / sh, (ih + g.p_h) % sh);
                let r = (id * g.in_h + ih) * g.in_w;
                let row = &xp[r..r + g.in_w];
                let line = (qd * self.qh + qh) * self.qw;
                if sw == 1 {
                    let b = (rd * sh + rh) * sub + line + g.p_w;
                    dst[b..b + g.in_w].copy_from_slice(row);
                    continue;
                }
                if sw == 2 {
                    // even input columns 2k to phase pW % 2 at q = k + pW / 2, odd ones to phase
                    // (pW + 1) % 2 at q = k + (pW + 1) / 2: one deinterleaving pass over the row
                    let (ne, no) = (g.in_w.div_ceil(2), g.in_w / 2);
                    let pe = ((rd * sh + rh) * 2 + g.p_w % 2) * sub + line + g.p_w / 2;
                    let po = ((rd * sh + rh) * 2 + (g.p_w + 1) % 2) * sub + line + (g.p_w + 1) / 2;
                    let (lo, hi) = (pe.min(po), pe.max(po));
                    let (a, b) = dst.split_at_mut(hi);
                    let (e, o) =
                        if pe < po { (&mut a[lo..lo + ne], &mut b[..no]) } else { (&mut b[..ne], &mut a[lo..lo + no]) };
                    deinterleave(e, o, row);
                    continue;
                }
                for rw in 0..sw {
                    let iw0 = (rw + sw - g.p_w % sw) % sw;
                    if iw0 >= g.in_w {
                        continue;
                    }
                    let count = (g.in_w - iw0).div_ceil(sw);
                    let b = ((rd * sh + rh) * sw + rw) * sub + line + (iw0 + g.p_w) / sw;
                    strided_copy(&mut dst[b..b + count], &row[iw0..], sw);
                }
            }
        }
    }
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
    let (plen, nflat) = (ph.len(g), ph.n_out(g));
    let key = Phased::key(g);
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
                if pb.len() < plen {
                    pb.resize(plen, 0.0);
                    PHASE_KEY.set([0; 9]);
                }
                if PHASE_KEY.get() != key {
                    pb[..plen].fill(0.0);
                    PHASE_KEY.set(key);
                }
                if fb.len() < nflat {
                    fb.resize(nflat, 0.0);
                }
                let (src, t) = (&mut pb[..plen], &mut fb[..nflat]);
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

/// d[c] = src[c * s] (src holds at least (d.len() - 1) * s + 1 floats).
/// e[k] = row[2k], o[k] = row[2k + 1] (e holds ceil(len / 2), o floor(len / 2)).
#[inline(always)]
fn deinterleave(e: &mut [f32], o: &mut [f32], row: &[f32]) {
    let pairs = o.len();
    for ((ev, ov), p) in e[..pairs].iter_mut().zip(o.iter_mut()).zip(row[..2 * pairs].chunks_exact(2)) {
        *ev = p[0];
        *ov = p[1];
    }
    if e.len() > pairs {
        e[pairs] = row[2 * pairs];
    }
}

#[inline(always)]
fn strided_copy(d: &mut [f32], src: &[f32], s: usize) {
    let n = d.len();
    if n == 0 {
        return;
    }
    if s == 2 {
        // pairs: the compiler turns this into deinterleaving shuffles
        let m = (src.len() / 2).min(n);
        for (v, p) in d[..m].iter_mut().zip(src.chunks_exact(2)) {
            *v = p[0];
        }
        for c in m..n {
            d[c] = src[2 * c];
        }
        return;
    }
    for c in 0..n {
        d[c] = src[c * s];
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
