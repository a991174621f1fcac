//! The padded, stride-phase-split plane shared by the direct depthwise conv and max pooling:
//! each tap of a whole output plane reads one contiguous run of it (see [`Phased`]), and the
//! buffer ([`PaddedPlane`]) keeps its padding from plane to plane and call to call, so a plane
//! costs one copy of its input.
use crate::conv::ConvGeom;

/// Layout of one channel's padded input split into its stride phases along every dim:
/// sD*sH*sW sub-volumes of q = (qd, qh, qw) floats. Output (od, oh, ow) at flat index
/// j = (od*qh + oh)*qw + ow reads tap (kd, kh, kw) at j + tap offset in the tap's phase, so a
/// whole plane of outputs (plus qw - outW junk columns per row) is one run of taps.
pub(crate) struct Phased {
    pub(crate) qd: usize,
    pub(crate) qh: usize,
    pub(crate) qw: usize,
}

impl Phased {
    pub(crate) fn new(g: &ConvGeom) -> Phased {
        let (dp, hp, wp) = (g.in_d + 2 * g.p_d, g.in_h + 2 * g.p_h, g.in_w + 2 * g.p_w);
        Phased { qd: dp.div_ceil(g.s_d), qh: hp.div_ceil(g.s_h), qw: wp.div_ceil(g.s_w) }
    }
    pub(crate) fn sub(&self) -> usize {
        self.qd * self.qh * self.qw
    }
    pub(crate) fn len(&self, g: &ConvGeom) -> usize {
        self.sub() * g.s_d * g.s_h * g.s_w
    }
    /// Flat outputs computed (the last row without its junk columns).
    pub(crate) fn n_out(&self, g: &ConvGeom) -> usize {
        ((g.out_d - 1) * self.qh + (g.out_h - 1)) * self.qw + g.out_w
    }
    /// Offset of tap (kd, kh, kw) in the phased buffer (for output j = 0).
    pub(crate) fn tap(&self, g: &ConvGeom, kd: usize, kh: usize, kw: usize) -> usize {
        let (a, b, c) = (kd * g.d_d, kh * g.d_h, kw * g.d_w);
        let phase = ((a % g.s_d) * g.s_h + b % g.s_h) * g.s_w + c % g.s_w;
        phase * self.sub() + ((a / g.s_d) * self.qh + b / g.s_h) * self.qw + c / g.s_w
    }
    /// What decides which positions of the buffer hold input and which hold the pad value.
    pub(crate) fn key(g: &ConvGeom) -> [usize; 9] {
        [g.in_d, g.in_h, g.in_w, g.p_d, g.p_h, g.p_w, g.s_d, g.s_h, g.s_w]
    }
    /// Writes the input positions of the padded, phase-split channel `xp` into `dst`, whose other
    /// positions (the padding and the rounding of each phase up to q) hold the pad value already.
    #[inline(always)]
    pub(crate) fn fill(&self, g: &ConvGeom, xp: &[f32], dst: &mut [f32]) {
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
                    crate::pool::split2(row, e, o);
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

/// A thread's phased-plane buffer: the pad value sits in every position the fill does not write
/// for the geometry it was last laid out for, so only the input positions are copied per plane.
pub(crate) struct PaddedPlane {
    buf: Vec<f32>,
    key: [usize; 9],
    pad: u32,
}

impl PaddedPlane {
    pub(crate) const fn new() -> PaddedPlane {
        PaddedPlane { buf: Vec::new(), key: [0; 9], pad: 0 }
    }
    /// The buffer for `g` (laid out by `ph`) with `pad` in every non-input position.
    pub(crate) fn get(&mut self, g: &ConvGeom, ph: &Phased, pad: f32) -> &mut [f32] {
        let (len, key) = (ph.len(g), Phased::key(g));
        if self.buf.len() < len || self.key != key || self.pad != pad.to_bits() {
            if self.buf.len() < len {
                self.buf.resize(len, 0.0);
            }
            self.buf[..len].fill(pad);
            (self.key, self.pad) = (key, pad.to_bits());
        }
        &mut self.buf[..len]
    }
}

/// d[c] = src[c * s] (src holds at least (d.len() - 1) * s + 1 floats; strides >= 3: stride 2
/// takes pool's `split2`).
#[inline(always)]
fn strided_copy(d: &mut [f32], src: &[f32], s: usize) {
    for (c, v) in d.iter_mut().enumerate() {
        *v = src[c * s];
    }
}
