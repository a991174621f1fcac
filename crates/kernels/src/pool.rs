//! 2-d pooling over NC planes: max (with flat argmax positions), average (PyTorch's divisor
//! rules), adaptive average/max, and their gradients. Planes are split across threads.
use crate::linalg::SendPtr;
use crate::par;

/// Pooling window geometry; field order = `PoolGeom` in ts/backends/types.ts.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolGeom {
    pub nc: usize, pub h: usize, pub w: usize,
    pub k_h: usize, pub k_w: usize, pub s_h: usize, pub s_w: usize,
    pub p_h: usize, pub p_w: usize, pub d_h: usize, pub d_w: usize,
    pub o_h: usize, pub o_w: usize,
}
impl PoolGeom {
    pub fn from_slice(v: &[i32]) -> Self {
        let u = |i: usize| v[i].max(0) as usize;
        PoolGeom { nc: u(0), h: u(1), w: u(2), k_h: u(3), k_w: u(4), s_h: u(5), s_w: u(6), p_h: u(7), p_w: u(8),
                   d_h: u(9), d_w: u(10), o_h: u(11), o_w: u(12) }
    }
    pub fn in_size(&self) -> usize { self.h * self.w }
    pub fn out_size(&self) -> usize { self.o_h * self.o_w }
}

/// Calls f(plane) for every plane, across threads when the work is large.
fn planes(nc: usize, work_per_plane: usize, f: &(dyn Fn(usize) + Sync)) {
    let t = par::threads();
    if t > 1 && nc >= 2 && nc * work_per_plane >= 1 << 15 {
        let parts = (t * 4).min(nc);
        par::run(parts, &|i, _| { let (a, b) = par::split(nc, parts, 1, i); for p in a..b { f(p); } });
    } else {
        for p in 0..nc { f(p); }
    }
}

/// # Safety-free helper: a mutable plane of a buffer shared by plane-disjoint tasks.
#[inline(always)]
fn plane_mut<'a, T>(p: SendPtr<T>, i: usize, len: usize) -> &'a mut [T] {
    // SAFETY: callers give each plane index to exactly one task, and the buffer holds nc*len.
    unsafe { core::slice::from_raw_parts_mut(p.get().add(i * len), len) }
}

/// y = max over each window, idx = flat h*W+w of the first max (NaN wins; -1 for an empty window).
#[inline(never)]
pub fn max_pool2d(g: &PoolGeom, x: &[f32], y: &mut [f32], idx: &mut [i32]) {
    let (ins, outs) = (g.in_size(), g.out_size());
    let (x, y, idx) = (&x[..g.nc * ins], &mut y[..g.nc * outs], &mut idx[..g.nc * outs]);
    let (yp, ip) = (SendPtr(y.as_mut_ptr()), SendPtr(idx.as_mut_ptr()));
    planes(g.nc, outs * g.k_h * g.k_w, &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        let (yo, io) = (plane_mut(yp, p, outs), plane_mut(ip, p, outs));
        for oh in 0..g.o_h {
            let ih0 = (oh * g.s_h) as isize - g.p_h as isize;
            let rows_inside = ih0 >= 0 && ih0 as usize + (g.k_h - 1) * g.d_h < g.h;
            for ow in 0..g.o_w {
                let iw0 = (ow * g.s_w) as isize - g.p_w as isize;
                let o = oh * g.o_w + ow;
                if rows_inside && iw0 >= 0 && iw0 as usize + (g.k_w - 1) * g.d_w < g.w && g.k_h > 0 && g.k_w > 0 {
                    // the whole window is inside the plane: no bounds checks
                    let base = ih0 as usize * g.w + iw0 as usize;
                    let (mut best, mut bi) = (xp[base], base);
                    'inner: for kh in 0..g.k_h {
                        let row = base + kh * g.d_h * g.w;
                        for kw in 0..g.k_w {
                            let j = row + kw * g.d_w;
                            let v = xp[j];
                            if v > best || v.is_nan() {
                                best = v;
                                bi = j;
                                if v.is_nan() { break 'inner; }
                            }
                        }
                        if best.is_nan() { break; }
                    }
                    yo[o] = best;
                    io[o] = bi as i32;
                    continue;
                }
                let mut best = f32::NEG_INFINITY;
                let mut bi: i32 = -1;
                'win: for kh in 0..g.k_h {
                    let ih = ih0 + (kh * g.d_h) as isize;
                    if ih < 0 || ih as usize >= g.h { continue; }
                    for kw in 0..g.k_w {
                        let iw = iw0 + (kw * g.d_w) as isize;
                        if iw < 0 || iw as usize >= g.w { continue; }
                        let j = ih as usize * g.w + iw as usize;
                        let v = xp[j];
                        if v > best || v.is_nan() || bi < 0 {
                            best = v;
                            bi = j as i32;
                            if v.is_nan() { break 'win; }
                        }
                    }
                }
                yo[o] = best;
                io[o] = bi;
            }
        }
    });
}

/// gx (overwritten) = gy scattered (added) to the input positions in idx (-1 = none).
#[inline(never)]
pub fn index_pool_grad(gy: &[f32], idx: &[i32], gx: &mut [f32], nc: usize, in_size: usize, out_size: usize) {
    let (gy, idx, gx) = (&gy[..nc * out_size], &idx[..nc * out_size], &mut gx[..nc * in_size]);
    let gp = SendPtr(gx.as_mut_ptr());
    planes(nc, out_size, &|p| {
        let o = plane_mut(gp, p, in_size);
        o.fill(0.0);
        for (&j, &g) in idx[p * out_size..(p + 1) * out_size].iter().zip(&gy[p * out_size..(p + 1) * out_size]) {
            if j >= 0 { o[j as usize] += g; }
        }
    });
}

/// PyTorch's average-pool window: (h0, h1, w0, w1, divisor).
#[inline(always)]
fn avg_window(g: &PoolGeom, oh: usize, ow: usize, cip: bool, div_override: i32) -> (usize, usize, usize, usize, f32) {
    let h0 = (oh * g.s_h) as isize - g.p_h as isize;
    let w0 = (ow * g.s_w) as isize - g.p_w as isize;
    let h1 = (h0 + g.k_h as isize).min((g.h + g.p_h) as isize);
    let w1 = (w0 + g.k_w as isize).min((g.w + g.p_w) as isize);
    let pool = (h1 - h0) * (w1 - w0);
    let (h0, w0) = (h0.max(0), w0.max(0));
    let (h1, w1) = (h1.min(g.h as isize), w1.min(g.w as isize));
    let div = if div_override > 0 { div_override as f32 } else if cip { pool as f32 } else { ((h1 - h0) * (w1 - w0)) as f32 };
    (h0 as usize, h1.max(h0) as usize, w0 as usize, w1.max(w0) as usize, div)
}

/// y = window sum / divisor (count_include_pad and divisor_override as PyTorch).
#[inline(never)]
pub fn avg_pool2d(g: &PoolGeom, x: &[f32], y: &mut [f32], cip: bool, div_override: i32) {
    let (ins, outs) = (g.in_size(), g.out_size());
    let (x, y) = (&x[..g.nc * ins], &mut y[..g.nc * outs]);
    let yp = SendPtr(y.as_mut_ptr());
    planes(g.nc, outs * g.k_h * g.k_w, &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        let yo = plane_mut(yp, p, outs);
        for oh in 0..g.o_h {
            for ow in 0..g.o_w {
                let (h0, h1, w0, w1, div) = avg_window(g, oh, ow, cip, div_override);
                let mut s = 0f32;
                for h in h0..h1 { for &v in &xp[h * g.w + w0..h * g.w + w1] { s += v; } }
                yo[oh * g.o_w + ow] = s / div;
            }
        }
    });
}

/// gx (overwritten) = gradient of avg_pool2d.
#[inline(never)]
pub fn avg_pool2d_grad(g: &PoolGeom, gy: &[f32], gx: &mut [f32], cip: bool, div_override: i32) {
    let (ins, outs) = (g.in_size(), g.out_size());
    let (gy, gx) = (&gy[..g.nc * outs], &mut gx[..g.nc * ins]);
    let gp = SendPtr(gx.as_mut_ptr());
    planes(g.nc, outs * g.k_h * g.k_w, &|p| {
        let gyp = &gy[p * outs..(p + 1) * outs];
        let o = plane_mut(gp, p, ins);
        o.fill(0.0);
        for oh in 0..g.o_h {
            for ow in 0..g.o_w {
                let (h0, h1, w0, w1, div) = avg_window(g, oh, ow, cip, div_override);
                let v = gyp[oh * g.o_w + ow] / div;
                for h in h0..h1 { for d in &mut o[h * g.w + w0..h * g.w + w1] { *d += v; } }
            }
        }
    });
}

/// Adaptive window [floor(o*n/on), ceil((o+1)*n/on)).
#[inline(always)]
fn adaptive(o: usize, n: usize, on: usize) -> (usize, usize) {
    ((o * n) / on, ((o + 1) * n).div_ceil(on))
}

#[inline(never)]
pub fn adaptive_avg_pool2d(nc: usize, h: usize, w: usize, oh_n: usize, ow_n: usize, x: &[f32], y: &mut [f32]) {
    let (ins, outs) = (h * w, oh_n * ow_n);
    let (x, y) = (&x[..nc * ins], &mut y[..nc * outs]);
    let yp = SendPtr(y.as_mut_ptr());
    planes(nc, ins.max(outs), &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        let yo = plane_mut(yp, p, outs);
        for oh in 0..oh_n {
            let (h0, h1) = adaptive(oh, h, oh_n);
            for ow in 0..ow_n {
                let (w0, w1) = adaptive(ow, w, ow_n);
                let mut s = 0f32;
                for hh in h0..h1 { for &v in &xp[hh * w + w0..hh * w + w1] { s += v; } }
                yo[oh * ow_n + ow] = s / ((h1 - h0) * (w1 - w0)) as f32;
            }
        }
    });
}

#[inline(never)]
pub fn adaptive_avg_pool2d_grad(nc: usize, h: usize, w: usize, oh_n: usize, ow_n: usize, gy: &[f32], gx: &mut [f32]) {
    let (ins, outs) = (h * w, oh_n * ow_n);
    let (gy, gx) = (&gy[..nc * outs], &mut gx[..nc * ins]);
    let gp = SendPtr(gx.as_mut_ptr());
    planes(nc, ins.max(outs), &|p| {
        let gyp = &gy[p * outs..(p + 1) * outs];
        let o = plane_mut(gp, p, ins);
        o.fill(0.0);
        for oh in 0..oh_n {
            let (h0, h1) = adaptive(oh, h, oh_n);
            for ow in 0..ow_n {
                let (w0, w1) = adaptive(ow, w, ow_n);
                let v = gyp[oh * ow_n + ow] / ((h1 - h0) * (w1 - w0)) as f32;
                for hh in h0..h1 { for d in &mut o[hh * w + w0..hh * w + w1] { *d += v; } }
            }
        }
    });
}

#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn adaptive_max_pool2d(nc: usize, h: usize, w: usize, oh_n: usize, ow_n: usize, x: &[f32], y: &mut [f32], idx: &mut [i32]) {
    let (ins, outs) = (h * w, oh_n * ow_n);
    let (x, y, idx) = (&x[..nc * ins], &mut y[..nc * outs], &mut idx[..nc * outs]);
    let (yp, ip) = (SendPtr(y.as_mut_ptr()), SendPtr(idx.as_mut_ptr()));
    planes(nc, ins.max(outs), &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        let (yo, io) = (plane_mut(yp, p, outs), plane_mut(ip, p, outs));
        for oh in 0..oh_n {
            let (h0, h1) = adaptive(oh, h, oh_n);
            for ow in 0..ow_n {
                let (w0, w1) = adaptive(ow, w, ow_n);
                let mut best = f32::NEG_INFINITY;
                let mut bi = h0 * w + w0;
                'win: for hh in h0..h1 {
                    for ww in w0..w1 {
                        let v = xp[hh * w + ww];
                        if v > best || v.is_nan() { best = v; bi = hh * w + ww; if v.is_nan() { break 'win; } }
                    }
                }
                yo[oh * ow_n + ow] = best;
                io[oh * ow_n + ow] = bi as i32;
            }
        }
    });
}
