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
    /// Writes the padded, phase-split channel `xp` into `dst` (zeros in the padding).
    fn fill(&self, g: &ConvGeom, xp: &[f32], dst: &mut [f32]) {
        let sub = self.sub();
        let (sd, sh, sw) = (g.s_d, g.s_h, g.s_w);
        let hp = g.in_h + 2 * g.p_h;
        let dp = g.in_d + 2 * g.p_d;
        for pd in 0..dp {
            let (qd, rd) = (pd / sd, pd % sd);
            let id = pd as isize - g.p_d as isize;
            for ph in 0..hp {
                let (qh, rh) = (ph / sh, ph % sh);
                let ih = ph as isize - g.p_h as isize;
                let inside = id >= 0 && (id as usize) < g.in_d && ih >= 0 && (ih as usize) < g.in_h;
                let row = if inside {
                    let r = (id as usize * g.in_h + ih as usize) * g.in_w;
                    Some(&xp[r..r + g.in_w])
                } else {
                    None
                };
                for rw in 0..sw {
                    let base = ((rd * sh + rh) * sw + rw) * sub + (qd * self.qh + qh) * self.qw;
                    let d = &mut dst[base..base + self.qw];
                    // padded column pw = qw*sw + rw, input column pw - pW
                    match row {
                        None => d.fill(0.0),
                        Some(row) if sw == 1 => {
                            d[..g.p_w].fill(0.0);
                            d[g.p_w..g.p_w + g.in_w].copy_from_slice(row);
                            d[g.p_w + g.in_w..].fill(0.0);
                        }
                        Some(row) => {
                            // padded column c*sw + rw is input column c*sw + rw - pW: inside for c in [lo, hi)
                            let lo = g.p_w.saturating_sub(rw).div_ceil(sw).min(self.qw);
                            let hi = ((g.p_w + g.in_w).saturating_sub(rw).div_ceil(sw)).clamp(lo, self.qw);
                            d[..lo].fill(0.0);
                            d[hi..].fill(0.0);
                            let first = lo * sw + rw - g.p_w;
                            strided_copy(&mut d[lo..hi], &row[first..], sw);
                        }
                    }
                }
            }
            // rows of the phases past hp (when hp is not a multiple of sh): zero
        }
        // sub-volume rows / planes past the padded extent (ceil in qd, qh): zero
        for rd in 0..sd {
            for rh in 0..sh {
                for rw in 0..sw {
                    let b = ((rd * sh + rh) * sw + rw) * sub;
                    for qd in 0..self.qd {
                        let used_d = qd * sd + rd < dp;
                        for qh in 0..self.qh {
                            if !used_d || qh * sh + rh >= hp {
                                let o = b + (qd * self.qh + qh) * self.qw;
                                dst[o..o + self.qw].fill(0.0);
                            }
                        }
                    }
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
                }
                if fb.len() < nflat {
                    fb.resize(nflat, 0.0);
                }
                let (src, t) = (&mut pb[..plen], &mut fb[..nflat]);
                for plane in p0..p1 {
                    let (n, c) = (plane / g.c, plane % g.c);
                    ph.fill(g, &x[plane * ins..(plane + 1) * ins], src);
                    for m in 0..mult {
                        let o = c * mult + m;
                        let b = bias.map_or(0.0, |b| b[o]);
                        dw_row(t, src, offs, &w[o * ks..(o + 1) * ks], b);
                        let yoff = (n * g.o + o) * outs;
                        // SAFETY: output plane (n, o) belongs to this task's input plane (n, c) only.
                        let yo = unsafe { core::slice::from_raw_parts_mut(yp.get().add(yoff), outs) };
                        for od in 0..g.out_d {
                            for oh in 0..g.out_h {
                                let r = od * g.out_h + oh;
                                let f = (od * ph.qh + oh) * ph.qw;
                                yo[r * g.out_w..(r + 1) * g.out_w].copy_from_slice(&t[f..f + g.out_w]);
                            }
                        }
                        ep.apply(yo, yoff, 1, outs, outs);
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
/// d[c] = src[c * s] (src holds at least (d.len() - 1) * s + 1 floats).
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
