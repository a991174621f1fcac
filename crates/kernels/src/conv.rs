//! N-d convolution (written as 3-d) forward and backward via im2col/col2im and the shared GEMM,
//! with groups. 1x1 / stride 1 / no padding needs no im2col. Workspaces are grow-only per thread.
use crate::linalg::SendPtr;
use crate::{gemm, par};
use std::cell::RefCell;

/// Geometry of a convolution; field order = `ConvGeom` in ts/backends/types.ts.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConvGeom {
    pub n: usize, pub c: usize, pub o: usize, pub groups: usize,
    pub in_d: usize, pub in_h: usize, pub in_w: usize,
    pub k_d: usize, pub k_h: usize, pub k_w: usize,
    pub s_d: usize, pub s_h: usize, pub s_w: usize,
    pub p_d: usize, pub p_h: usize, pub p_w: usize,
    pub d_d: usize, pub d_h: usize, pub d_w: usize,
    pub out_d: usize, pub out_h: usize, pub out_w: usize,
}

impl ConvGeom {
    /// From the 22 numbers in the order of the TypeScript interface.
    pub fn from_slice(v: &[i32]) -> Self {
        let u = |i: usize| v[i].max(0) as usize;
        ConvGeom {
            n: u(0), c: u(1), o: u(2), groups: u(3).max(1), in_d: u(4), in_h: u(5), in_w: u(6),
            k_d: u(7), k_h: u(8), k_w: u(9), s_d: u(10), s_h: u(11), s_w: u(12),
            p_d: u(13), p_h: u(14), p_w: u(15), d_d: u(16), d_h: u(17), d_w: u(18),
            out_d: u(19), out_h: u(20), out_w: u(21),
        }
    }
    pub fn in_size(&self) -> usize { self.in_d * self.in_h * self.in_w }
    pub fn out_size(&self) -> usize { self.out_d * self.out_h * self.out_w }
    pub fn k_size(&self) -> usize { self.k_d * self.k_h * self.k_w }
    /// channels per group
    pub fn cg(&self) -> usize { self.c / self.groups }
    /// output channels per group
    pub fn og(&self) -> usize { self.o / self.groups }
    /// rows of one group's im2col matrix
    pub fn kg(&self) -> usize { self.cg() * self.k_size() }
    /// 1x1 kernel, stride 1, no padding: the input already is the im2col matrix.
    pub fn is_pointwise(&self) -> bool {
        self.k_size() == 1 && self.s_d == 1 && self.s_h == 1 && self.s_w == 1
            && self.p_d == 0 && self.p_h == 0 && self.p_w == 0
            && self.out_size() == self.in_size()
    }
    pub fn x_len(&self) -> usize { self.n * self.c * self.in_size() }
    pub fn y_len(&self) -> usize { self.n * self.o * self.out_size() }
    pub fn w_len(&self) -> usize { self.o * self.cg() * self.k_size() }
}

thread_local! {
    static COL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PARTIAL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's grow-only scratch of at least `len` floats.
fn with_col<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    COL.with(|c| {
        let mut v = c.borrow_mut();
        if v.len() < len { v.resize(len, 0.0); }
        f(&mut v[..len])
    })
}

/// Maps an output coordinate + kernel tap to an input coordinate (None when in the padding).
#[inline(always)]
fn src(o: usize, s: usize, p: usize, k: usize, d: usize, n: usize) -> Option<usize> {
    let i = (o * s + k * d) as isize - p as isize;
    if i >= 0 && (i as usize) < n { Some(i as usize) } else { None }
}

/// col[(c, kd, kh, kw), (od, oh, ow)] = x[c0 + c, id, ih, iw] (0 in the padding) for one image.
fn im2col(g: &ConvGeom, x: &[f32], c0: usize, col: &mut [f32]) {
    let (s, ins) = (g.out_size(), g.in_size());
    let mut r = 0;
    for c in 0..g.cg() {
        let xc = &x[(c0 + c) * ins..(c0 + c + 1) * ins];
        for kd in 0..g.k_d { for kh in 0..g.k_h { for kw in 0..g.k_w {
            let row = &mut col[r * s..(r + 1) * s];
            r += 1;
            for od in 0..g.out_d {
                let id = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d);
                for oh in 0..g.out_h {
                    let out = &mut row[(od * g.out_h + oh) * g.out_w..(od * g.out_h + oh + 1) * g.out_w];
                    let ih = match (id, src(oh, g.s_h, g.p_h, kh, g.d_h, g.in_h)) {
                        (Some(a), Some(b)) => a * g.in_h + b,
                        _ => { out.fill(0.0); continue; }
                    };
                    let xr = &xc[ih * g.in_w..(ih + 1) * g.in_w];
                    let off = (kw * g.d_w) as isize - g.p_w as isize;
                    if g.s_w == 1 {
                        // valid ow: 0 <= ow + off < in_w
                        let lo = ((-off).max(0) as usize).min(g.out_w);
                        let hi = ((g.in_w as isize - off).max(0) as usize).min(g.out_w).max(lo);
                        out[..lo].fill(0.0);
                        out[hi..].fill(0.0);
                        let b = (lo as isize + off) as usize;
                        out[lo..hi].copy_from_slice(&xr[b..b + hi - lo]);
                    } else {
                        for (ow, v) in out.iter_mut().enumerate() {
                            let iw = (ow * g.s_w) as isize + off;
                            *v = if iw >= 0 && (iw as usize) < g.in_w { xr[iw as usize] } else { 0.0 };
                        }
                    }
                }
            }
        }}}
    }
}

/// gx[c0 + c, id, ih, iw] += col[(c, kd, kh, kw), (od, oh, ow)] for one image (inverse of im2col).
fn col2im(g: &ConvGeom, col: &[f32], c0: usize, gx: &mut [f32]) {
    let (s, ins) = (g.out_size(), g.in_size());
    let mut r = 0;
    for c in 0..g.cg() {
        let xc = &mut gx[(c0 + c) * ins..(c0 + c + 1) * ins];
        for kd in 0..g.k_d { for kh in 0..g.k_h { for kw in 0..g.k_w {
            let row = &col[r * s..(r + 1) * s];
            r += 1;
            for od in 0..g.out_d {
                let Some(id) = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d) else { continue };
                for oh in 0..g.out_h {
                    let Some(ih) = src(oh, g.s_h, g.p_h, kh, g.d_h, g.in_h) else { continue };
                    let cr = &row[(od * g.out_h + oh) * g.out_w..(od * g.out_h + oh + 1) * g.out_w];
                    let xr = &mut xc[(id * g.in_h + ih) * g.in_w..(id * g.in_h + ih + 1) * g.in_w];
                    let off = (kw * g.d_w) as isize - g.p_w as isize;
                    if g.s_w == 1 {
                        let lo = ((-off).max(0) as usize).min(g.out_w);
                        let hi = ((g.in_w as isize - off).max(0) as usize).min(g.out_w).max(lo);
                        let b = (lo as isize + off) as usize;
                        for (d, &v) in xr[b..b + hi - lo].iter_mut().zip(&cr[lo..hi]) { *d += v; }
                    } else {
                        for (ow, &v) in cr.iter().enumerate() {
                            let iw = (ow * g.s_w) as isize + off;
                            if iw >= 0 && (iw as usize) < g.in_w { xr[iw as usize] += v; }
                        }
                    }
                }
            }
        }}}
    }
}

/// C[m x n] (ldc = n) = beta*C + op(A) op(B), rows split across threads when large.
#[allow(clippy::too_many_arguments)]
fn gemm_par(m: usize, n: usize, k: usize, a: &[f32], lda: usize, ta: bool, b: &[f32], ldb: usize, tb: bool,
            c: &mut [f32], beta: f32) {
    let work = m * n * k;
    let parts = par::threads().min(m.div_ceil(4)).min(work / crate::linalg::PAR_MIN_FLOPS).max(1);
    if parts <= 1 {
        gemm::sgemm(m, n, k, a, lda, ta, b, ldb, tb, c, n, beta, None);
        return;
    }
    let cp = SendPtr(c.as_mut_ptr());
    let cl = c.len();
    par::run(parts, &|t, _| {
        let (r0, r1) = par::split(m, parts, 4, t);
        if r0 >= r1 { return; }
        // SAFETY: each task writes only rows [r0, r1) of C.
        let cs = unsafe { core::slice::from_raw_parts_mut(cp.get(), cl) };
        gemm::sgemm_rows(m, n, k, a, lda, ta, b, ldb, tb, cs, n, beta, None, r0, r1);
    });
}

/// Runs `f(image)` for every image, across threads when there are enough images.
fn per_image(g: &ConvGeom, f: &(dyn Fn(usize) + Sync)) {
    if g.n >= 2 && par::threads() > 1 {
        par::run(g.n, &|i, _| f(i));
    } else {
        for i in 0..g.n { f(i); }
    }
}

/// y = conv(x, w) + bias.
#[inline(never)]
pub fn conv(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (x, w) = (&x[..g.x_len()], &w[..g.w_len()]);
    let y = &mut y[..g.y_len()];
    let yp = SendPtr(y.as_mut_ptr());
    per_image(g, &|n| {
        // SAFETY: image n owns y[n*O*S .. (n+1)*O*S].
        let yn = unsafe { core::slice::from_raw_parts_mut(yp.get().add(n * g.o * s), g.o * s) };
        let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
        let beta = if let Some(b) = bias {
            for (o, row) in yn.chunks_exact_mut(s.max(1)).enumerate().take(g.o) { row.fill(b[o]); }
            1.0
        } else { 0.0 };
        for gi in 0..g.groups {
            let wg = &w[gi * og * kg..(gi + 1) * og * kg];
            let yg = &mut yn[gi * og * s..(gi + 1) * og * s];
            if g.is_pointwise() {
                let xg = &xn[gi * kg * s..(gi + 1) * kg * s];
                gemm_par(og, s, kg, wg, kg, false, xg, s, false, yg, beta);
            } else {
                with_col(kg * s, |col| {
                    im2col(g, xn, gi * g.cg(), col);
                    gemm_par(og, s, kg, wg, kg, false, col, s, false, yg, beta);
                });
            }
        }
    });
}

/// gx = gradient of conv with respect to x (overwritten).
#[inline(never)]
pub fn conv_grad_input(g: &ConvGeom, gy: &[f32], w: &[f32], gx: &mut [f32]) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (gy, w) = (&gy[..g.y_len()], &w[..g.w_len()]);
    let gx = &mut gx[..g.x_len()];
    let gp = SendPtr(gx.as_mut_ptr());
    per_image(g, &|n| {
        // SAFETY: image n owns gx[n*C*inS .. (n+1)*C*inS].
        let gxn = unsafe { core::slice::from_raw_parts_mut(gp.get().add(n * g.c * ins), g.c * ins) };
        let gyn = &gy[n * g.o * s..(n + 1) * g.o * s];
        if !g.is_pointwise() { gxn.fill(0.0); }
        for gi in 0..g.groups {
            let wg = &w[gi * og * kg..(gi + 1) * og * kg];
            let gyg = &gyn[gi * og * s..(gi + 1) * og * s];
            if g.is_pointwise() {
                let gxg = &mut gxn[gi * kg * s..(gi + 1) * kg * s];
                gemm_par(kg, s, og, wg, kg, true, gyg, s, false, gxg, 0.0);
            } else {
                with_col(kg * s, |col| {
                    gemm_par(kg, s, og, wg, kg, true, gyg, s, false, col, 0.0);
                    col2im(g, col, gi * g.cg(), gxn);
                });
            }
        }
    });
}

/// gw (and gb = sum of gy over images and space) = gradients of conv (overwritten).
#[inline(never)]
pub fn conv_grad_weight(g: &ConvGeom, x: &[f32], gy: &[f32], gw: &mut [f32], gb: Option<&mut [f32]>) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (x, gy) = (&x[..g.x_len()], &gy[..g.y_len()]);
    let wl = g.w_len();
    let gw = &mut gw[..wl];
    gw.fill(0.0);
    // accumulate images [n0, n1) into acc (O x Kg, already holding a partial sum)
    let accumulate = |n0: usize, n1: usize, acc: &mut [f32]| {
        for n in n0..n1 {
            let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
            let gyn = &gy[n * g.o * s..(n + 1) * g.o * s];
            for gi in 0..g.groups {
                let gyg = &gyn[gi * og * s..(gi + 1) * og * s];
                let ag = &mut acc[gi * og * kg..(gi + 1) * og * kg];
                if g.is_pointwise() {
                    let xg = &xn[gi * kg * s..(gi + 1) * kg * s];
                    gemm_par(og, kg, s, gyg, s, false, xg, s, true, ag, 1.0);
                } else {
                    with_col(kg * s, |col| {
                        im2col(g, xn, gi * g.cg(), col);
                        gemm_par(og, kg, s, gyg, s, false, col, s, true, ag, 1.0);
                    });
                }
            }
        }
    };
    let parts = par::threads().min(g.n);
    if parts <= 1 {
        accumulate(0, g.n, gw);
    } else {
        PARTIAL.with(|p| {
            let mut pv = p.borrow_mut();
            let need = (parts - 1) * wl;
            if pv.len() < need { pv.resize(need, 0.0); }
            pv[..need].fill(0.0);
            let pp = SendPtr(pv.as_mut_ptr());
            let gwp = SendPtr(gw.as_mut_ptr());
            par::run(parts, &|t, _| {
                let (n0, n1) = par::split(g.n, parts, 1, t);
                // SAFETY: part t owns its accumulator: gw itself for t = 0, else partial block t-1.
                let acc = unsafe {
                    if t == 0 { core::slice::from_raw_parts_mut(gwp.get(), wl) }
                    else { core::slice::from_raw_parts_mut(pp.get().add((t - 1) * wl), wl) }
                };
                accumulate(n0, n1, acc);
            });
            for t in 1..parts {
                for (d, &v) in gw.iter_mut().zip(&pv[(t - 1) * wl..t * wl]) { *d += v; }
            }
        });
    }
    if let Some(gb) = gb {
        for o in 0..g.o {
            let mut acc = 0f64;
            for n in 0..g.n { acc += crate::reduce::sum_f64(&gy[(n * g.o + o) * s..(n * g.o + o + 1) * s]); }
            gb[o] = acc as f32;
        }
    }
}
