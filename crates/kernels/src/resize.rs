//! Padding (F.pad: constant, reflect, replicate, circular) and resampling (F.interpolate: nearest,
//! nearest-exact, linear, cubic) over NC volumes of D x H x W, forward and adjoint, with PyTorch
//! 1.13's CPU index math (in f32, as PyTorch computes it for float tensors). The js reference is
//! ts/backends/js-resize.ts. Planes are split across threads.
use crate::linalg::SendPtr;
use crate::par;

crate::abi_struct! {
    /// Sizes of a pad or resample: NC volumes of iD x iH x iW in, oD x oH x oW out (1-d and 2-d
    /// ops set the leading sizes to 1).
    pub struct ResizeDims {
        nc = "NC", i_d = "iD", i_h = "iH", i_w = "iW", o_d = "oD", o_h = "oH", o_w = "oW",
    }
}
impl ResizeDims {
    pub fn in_size(&self) -> usize {
        self.i_d * self.i_h * self.i_w
    }
    pub fn out_size(&self) -> usize {
        self.o_d * self.o_h * self.o_w
    }
}

crate::abi_enum! {
    /// F.pad's modes.
    pub enum PadMode: "PadMode" { Constant = "constant", Reflect = "reflect", Replicate = "replicate", Circular = "circular" }
}
crate::abi_enum! {
    /// Resampling kinds: "linear" along every resampled dim (bilinear, trilinear), "cubic" bicubic.
    pub enum ResampleMode: "ResampleMode" { Nearest = "nearest", NearestExact = "nearest-exact", Linear = "linear", Cubic = "cubic" }
}

/// Calls f(plane) for every plane, across threads when the work is large.
fn planes(nc: usize, work_per_plane: usize, f: &(dyn Fn(usize) + Sync)) {
    let t = par::threads();
    if t > 1 && nc >= 2 && nc * work_per_plane >= 1 << 15 {
        let parts = (t * 4).min(nc);
        par::run(parts, &|i, _| {
            let (a, b) = par::split(nc, parts, 1, i);
            for p in a..b {
                f(p);
            }
        });
    } else {
        for p in 0..nc {
            f(p);
        }
    }
}

/// Plane `p` of `len` elements of a buffer whose planes are written by one task each.
/// # Safety: the buffer holds at least (p + 1) * len elements and no task touches another's plane.
unsafe fn plane_mut<'a>(ptr: SendPtr<f32>, p: usize, len: usize) -> &'a mut [f32] {
    core::slice::from_raw_parts_mut(ptr.0.add(p * len), len)
}

/// Source index of output position o along a dim of n inputs padded by `before` (None: the constant).
pub fn pad_source(o: usize, n: usize, before: i64, mode: PadMode) -> Option<usize> {
    let p = o as i64 - before;
    let n = n as i64;
    if (0..n).contains(&p) {
        return Some(p as usize);
    }
    Some(match mode {
        PadMode::Constant => return None,
        PadMode::Replicate => {
            if p < 0 {
                0
            } else {
                n - 1
            }
        }
        PadMode::Circular => p.rem_euclid(n),
        // reflect: |pad| < n is checked above the kernel; clamp keeps a bad call in bounds
        PadMode::Reflect => (if p < 0 { -p } else { 2 * (n - 1) - p }).clamp(0, n - 1),
    } as usize)
}

fn pad_maps(g: &ResizeDims, pads: [i64; 3], mode: PadMode) -> [Vec<Option<usize>>; 3] {
    let m = |n: usize, o: usize, b: i64| (0..o).map(|k| pad_source(k, n, b, mode)).collect::<Vec<_>>();
    [m(g.i_d, g.o_d, pads[0]), m(g.i_h, g.o_h, pads[1]), m(g.i_w, g.o_w, pads[2])]
}

/// y [NC, oD, oH, oW] = x [NC, iD, iH, iW] padded by `pads` (before each of D, H, W; negative crops).
pub fn pad(g: &ResizeDims, pads: [i64; 3], mode: PadMode, value: f32, x: &[f32], y: &mut [f32]) {
    let [md, mh, mw] = pad_maps(g, pads, mode);
    let (ins, outs) = (g.in_size(), g.out_size());
    let (x, y) = (&x[..g.nc * ins], &mut y[..g.nc * outs]);
    let yp = SendPtr(y.as_mut_ptr());
    planes(g.nc, outs, &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        // SAFETY: `planes` hands each plane to one task; y holds nc * outs elements
        let yo = unsafe { plane_mut(yp, p, outs) };
        let mut o = 0;
        for sd in &md {
            for sh in &mh {
                let row = match (sd, sh) {
                    (Some(d), Some(h)) => Some((d * g.i_h + h) * g.i_w),
                    _ => None,
                };
                for sw in &mw {
                    yo[o] = match (row, sw) {
                        (Some(r), Some(w)) => xp[r + w],
                        _ => value,
                    };
                    o += 1;
                }
            }
        }
    });
}

/// gx (overwritten) = the adjoint of `pad`: each output gradient added to its source element.
pub fn pad_grad(g: &ResizeDims, pads: [i64; 3], mode: PadMode, gy: &[f32], gx: &mut [f32]) {
    let [md, mh, mw] = pad_maps(g, pads, mode);
    let (ins, outs) = (g.in_size(), g.out_size());
    let (gy, gx) = (&gy[..g.nc * outs], &mut gx[..g.nc * ins]);
    let xp = SendPtr(gx.as_mut_ptr());
    planes(g.nc, outs, &|p| {
        let gyp = &gy[p * outs..(p + 1) * outs];
        // SAFETY: one task per plane of gx
        let gxo = unsafe { plane_mut(xp, p, ins) };
        gxo.fill(0.0);
        let mut o = 0;
        for sd in &md {
            for sh in &mh {
                let row = match (sd, sh) {
                    (Some(d), Some(h)) => Some((d * g.i_h + h) * g.i_w),
                    _ => None,
                };
                match row {
                    None => o += mw.len(),
                    Some(r) => {
                        for sw in &mw {
                            if let Some(w) = sw {
                                gxo[r + w] += gyp[o];
                            }
                            o += 1;
                        }
                    }
                }
            }
        }
    });
}

/// Interpolation taps of one dim: output k reads inputs idx[k*t + j] with weights w[k*t + j].
pub struct Taps {
    pub t: usize,
    pub idx: Vec<usize>,
    pub w: Vec<f32>,
}

/// PyTorch's compute_scales_value (float): 1/scale when a scale factor is given, else in/out.
fn scale_value(scale: f64, n: usize, o: usize) -> f32 {
    if scale > 0.0 {
        (1.0 / scale) as f32
    } else {
        n as f32 / o as f32
    }
}
/// area_pixel_compute_scale (float).
fn area_scale(n: usize, o: usize, align_corners: bool, scale: f64) -> f32 {
    if align_corners {
        if o > 1 {
            (n - 1) as f32 / (o - 1) as f32
        } else {
            0.0
        }
    } else {
        scale_value(scale, n, o)
    }
}
/// area_pixel_compute_source_index (float).
fn source_index(scale: f32, dst: usize, align_corners: bool, cubic: bool) -> f32 {
    if align_corners {
        return scale * dst as f32;
    }
    let s = scale * (dst as f32 + 0.5) - 0.5;
    if !cubic && s < 0.0 {
        0.0
    } else {
        s
    }
}
fn cubic_coeffs(t: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let c1 = |x: f32| ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let c2 = |x: f32| ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    [c2(t + 1.0), c1(t), c1(1.0 - t), c2(2.0 - t)]
}

/// The taps of one dim (n inputs, o outputs) for `mode`, PyTorch 1.13's CPU index math.
pub fn resample_taps(mode: ResampleMode, n: usize, o: usize, align_corners: bool, scale: f64) -> Taps {
    let t = match mode {
        ResampleMode::Cubic => 4,
        ResampleMode::Linear => 2,
        _ => 1,
    };
    let (mut idx, mut w) = (vec![0usize; o * t], vec![0f32; o * t]);
    match mode {
        ResampleMode::Nearest | ResampleMode::NearestExact => {
            let s = scale_value(scale, n, o);
            for k in 0..o {
                idx[k] = if mode == ResampleMode::Nearest {
                    // nearest_idx: shortcuts for equal and doubled sizes, else floor(dst * scale) in float
                    if o == n {
                        k
                    } else if o == 2 * n {
                        k >> 1
                    } else {
                        ((k as f32 * s).floor() as usize).min(n - 1)
                    }
                } else {
                    (((k as f64 + 0.5) * s as f64).floor() as usize).min(n - 1)
                };
                w[k] = 1.0;
            }
        }
        ResampleMode::Linear => {
            let s = area_scale(n, o, align_corners, scale);
            for k in 0..o {
                if o == n {
                    idx[2 * k] = k;
                    idx[2 * k + 1] = k;
                    w[2 * k] = 1.0;
                    continue;
                }
                let r = source_index(s, k, align_corners, false);
                let i0 = (r as usize).min(n - 1);
                let i1 = i0 + usize::from(i0 < n - 1);
                let l1 = r - i0 as f32;
                idx[2 * k] = i0;
                idx[2 * k + 1] = i1;
                w[2 * k] = 1.0 - l1;
                w[2 * k + 1] = l1;
            }
        }
        ResampleMode::Cubic => {
            let s = area_scale(n, o, align_corners, scale);
            for k in 0..o {
                let r = source_index(s, k, align_corners, true);
                let i = r.floor();
                let c = cubic_coeffs(r - i);
                for j in 0..4 {
                    idx[4 * k + j] = (i as i64 - 1 + j as i64).clamp(0, n as i64 - 1) as usize;
                    w[4 * k + j] = c[j];
                }
            }
        }
    }
    Taps { t, idx, w }
}

fn all_taps(g: &ResizeDims, mode: ResampleMode, align_corners: bool, scales: [f64; 3]) -> [Taps; 3] {
    [
        resample_taps(mode, g.i_d, g.o_d, align_corners, scales[0]),
        resample_taps(mode, g.i_h, g.o_h, align_corners, scales[1]),
        resample_taps(mode, g.i_w, g.o_w, align_corners, scales[2]),
    ]
}

/// y [NC, oD, oH, oW] = the separable interpolation of x [NC, iD, iH, iW].
pub fn resample(g: &ResizeDims, mode: ResampleMode, align_corners: bool, scales: [f64; 3], x: &[f32], y: &mut [f32]) {
    let [td, th, tw] = all_taps(g, mode, align_corners, scales);
    let (ins, outs) = (g.in_size(), g.out_size());
    if ins == 0 || outs == 0 {
        return;
    }
    let (x, y) = (&x[..g.nc * ins], &mut y[..g.nc * outs]);
    let yp = SendPtr(y.as_mut_ptr());
    planes(g.nc, outs * td.t * th.t * tw.t, &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        // SAFETY: one task per plane of y
        let yo = unsafe { plane_mut(yp, p, outs) };
        let mut o = 0;
        for d in 0..g.o_d {
            for h in 0..g.o_h {
                for w in 0..g.o_w {
                    let mut acc = 0f32;
                    for a in 0..td.t {
                        let (wd, rd) = (td.w[d * td.t + a], td.idx[d * td.t + a] * g.i_h);
                        for b in 0..th.t {
                            let (wh, r) = (th.w[h * th.t + b], (rd + th.idx[h * th.t + b]) * g.i_w);
                            let mut row = 0f32;
                            for c in 0..tw.t {
                                row += tw.w[w * tw.t + c] * xp[r + tw.idx[w * tw.t + c]];
                            }
                            acc += wd * wh * row;
                        }
                    }
                    yo[o] = acc;
                    o += 1;
                }
            }
        }
    });
}

/// gx (overwritten) = the adjoint of `resample` (each output gradient spread over its taps).
pub fn resample_grad(
    g: &ResizeDims,
    mode: ResampleMode,
    align_corners: bool,
    scales: [f64; 3],
    gy: &[f32],
    gx: &mut [f32],
) {
    let [td, th, tw] = all_taps(g, mode, align_corners, scales);
    let (ins, outs) = (g.in_size(), g.out_size());
    let (gy, gx) = (&gy[..g.nc * outs], &mut gx[..g.nc * ins]);
    let xp = SendPtr(gx.as_mut_ptr());
    planes(g.nc, outs * td.t * th.t * tw.t, &|p| {
        let gyp = &gy[p * outs..(p + 1) * outs];
        // SAFETY: one task per plane of gx
        let gxo = unsafe { plane_mut(xp, p, ins) };
        gxo.fill(0.0);
        let mut o = 0;
        for d in 0..g.o_d {
            for h in 0..g.o_h {
                for w in 0..g.o_w {
                    let gv = gyp[o];
                    o += 1;
                    for a in 0..td.t {
                        let (wd, rd) = (td.w[d * td.t + a], td.idx[d * td.t + a] * g.i_h);
                        for b in 0..th.t {
                            let (wdh, r) = (wd * th.w[h * th.t + b] * gv, (rd + th.idx[h * th.t + b]) * g.i_w);
                            for c in 0..tw.t {
                                gxo[r + tw.idx[w * tw.t + c]] += wdh * tw.w[w * tw.t + c];
                            }
                        }
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(nc: usize, i: [usize; 3], o: [usize; 3]) -> ResizeDims {
        ResizeDims { nc, i_d: i[0], i_h: i[1], i_w: i[2], o_d: o[0], o_h: o[1], o_w: o[2] }
    }

    #[test]
    fn nearest_index_math_is_pytorchs() {
        // 3 -> 5: float scale 0.6f, floor(k * 0.6f) = 0 0 1 1 2 (PyTorch 1.13's "nearest")
        assert_eq!(resample_taps(ResampleMode::Nearest, 3, 5, false, 0.0).idx, vec![0, 0, 1, 1, 2]);
        // doubled size: k >> 1
        assert_eq!(resample_taps(ResampleMode::Nearest, 3, 6, false, 0.0).idx, vec![0, 0, 1, 1, 2, 2]);
        // nearest-exact: floor((k + 0.5) * scale)
        assert_eq!(resample_taps(ResampleMode::NearestExact, 3, 5, false, 0.0).idx, vec![0, 0, 1, 2, 2]);
        // a given scale factor (not recomputed) is used as 1 / scale
        assert_eq!(resample_taps(ResampleMode::Nearest, 4, 9, false, 2.3).idx, vec![0, 0, 0, 1, 1, 2, 2, 3, 3]);
    }

    #[test]
    fn bilinear_matches_hand_computed_values() {
        // 1x2 -> 1x4 without align_corners: sources 0, 0.25, 0.75, 1 (clamped): 0, 0.25, 0.75, 1 of [0, 1]
        let g = dims(1, [1, 1, 2], [1, 1, 4]);
        let mut y = [f32::NAN; 4];
        resample(&g, ResampleMode::Linear, false, [0.0; 3], &[0.0, 1.0], &mut y);
        assert_eq!(y, [0.0, 0.25, 0.75, 1.0]);
        // with align_corners: 0, 1/3, 2/3, 1
        resample(&g, ResampleMode::Linear, true, [0.0; 3], &[0.0, 3.0], &mut y);
        for (a, b) in y.iter().zip([0.0, 1.0, 2.0, 3.0]) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn resample_grad_is_the_adjoint() {
        // <resample(x), g> == <x, resample_grad(g)> for every mode on odd sizes
        for mode in ResampleMode::ALL.iter().copied() {
            for ac in [false, true] {
                let g = dims(3, [2, 3, 5], [3, 7, 4]);
                let x: Vec<f32> = (0..g.nc * g.in_size()).map(|i| ((i * 37 % 17) as f32 - 8.0) / 7.0).collect();
                let gy: Vec<f32> = (0..g.nc * g.out_size()).map(|i| ((i * 11 % 13) as f32 - 6.0) / 5.0).collect();
                let (mut y, mut gx) = (vec![f32::NAN; gy.len()], vec![f32::NAN; x.len()]);
                resample(&g, mode, ac, [0.0; 3], &x, &mut y);
                resample_grad(&g, mode, ac, [0.0; 3], &gy, &mut gx);
                let lhs: f64 = y.iter().zip(&gy).map(|(a, b)| (*a as f64) * (*b as f64)).sum();
                let rhs: f64 = x.iter().zip(&gx).map(|(a, b)| (*a as f64) * (*b as f64)).sum();
                assert!((lhs - rhs).abs() < 1e-3 * (1.0 + lhs.abs()), "{mode:?} ac={ac}: {lhs} vs {rhs}");
            }
        }
    }

    #[test]
    fn pad_modes_and_adjoint() {
        let g = dims(1, [1, 1, 4], [1, 1, 9]);
        let x = [1.0, 2.0, 3.0, 4.0];
        let mut y = [f32::NAN; 9];
        pad(&g, [0, 0, 3], PadMode::Reflect, 0.0, &x, &mut y);
        assert_eq!(y, [4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]);
        pad(&g, [0, 0, 3], PadMode::Replicate, 0.0, &x, &mut y);
        assert_eq!(y, [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0, 4.0]);
        pad(&g, [0, 0, 3], PadMode::Circular, 0.0, &x, &mut y);
        assert_eq!(y, [2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0]);
        pad(&g, [0, 0, 3], PadMode::Constant, 9.5, &x, &mut y);
        assert_eq!(y, [9.5, 9.5, 9.5, 1.0, 2.0, 3.0, 4.0, 9.5, 9.5]);
        // negative padding crops
        let gc = dims(1, [1, 1, 4], [1, 1, 2]);
        let mut yc = [f32::NAN; 2];
        pad(&gc, [0, 0, -1], PadMode::Constant, 0.0, &x, &mut yc);
        assert_eq!(yc, [2.0, 3.0]);
        for mode in PadMode::ALL.iter().copied() {
            let g = dims(2, [2, 3, 4], [4, 6, 7]);
            let x: Vec<f32> = (0..g.nc * g.in_size()).map(|i| (i % 7) as f32 - 3.0).collect();
            let gy: Vec<f32> = (0..g.nc * g.out_size()).map(|i| (i % 5) as f32 - 2.0).collect();
            let (mut y, mut gx) = (vec![f32::NAN; gy.len()], vec![f32::NAN; x.len()]);
            pad(&g, [1, 2, 1], mode, 0.0, &x, &mut y);
            pad_grad(&g, [1, 2, 1], mode, &gy, &mut gx);
            let lhs: f32 = y.iter().zip(&gy).map(|(a, b)| a * b).sum();
            let rhs: f32 = x.iter().zip(&gx).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs, "{mode:?}");
        }
    }
}
