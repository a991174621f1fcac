//! 2-d pooling over NC planes: max (with flat argmax positions), average (PyTorch's divisor
//! rules), adaptive average/max, and their gradients. Planes are split across threads.
use crate::conv::ConvGeom;
use crate::linalg::SendPtr;
use crate::phased::{PaddedPlane, Phased};
use crate::{par, simd_fn};
use core::cell::RefCell;

crate::abi_struct! {
    /// Geometry of a 2-d pooling window over NC planes of HxW (output oH x oW).
    pub struct PoolGeom {
        nc = "NC", h = "H", w = "W",
        k_h = "kH", k_w = "kW", s_h = "sH", s_w = "sW",
        p_h = "pH", p_w = "pW", d_h = "dH", d_w = "dW",
        o_h = "oH", o_w = "oW",
    }
}
impl PoolGeom {
    pub fn in_size(&self) -> usize {
        self.h * self.w
    }
    pub fn out_size(&self) -> usize {
        self.o_h * self.o_w
    }
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

/// Plane `i` (of `len` elements) of a buffer shared by plane-disjoint tasks.
///
/// # Safety
/// The buffer behind `p` holds at least `(i + 1) * len` elements, and no other reference to
/// plane `i` exists while the returned one lives (each task owns its plane indices).
#[inline(always)]
unsafe fn plane_mut<'a, T>(p: SendPtr<T>, i: usize, len: usize) -> &'a mut [T] {
    core::slice::from_raw_parts_mut(p.get().add(i * len), len)
}

/// `v` replaces the running max `b`: it is larger, or the first NaN (NaN wins, the first one stays).
#[inline(always)]
fn takes(v: f32, b: f32) -> bool {
    v > b || (v.is_nan() && !b.is_nan())
}

/// The output range [lo, hi) along one dim whose windows lie inside the input (no padding read).
#[inline]
fn interior(n_in: usize, n_out: usize, k: usize, s: usize, p: usize, d: usize) -> (usize, usize) {
    if k == 0 || n_out == 0 {
        return (0, 0);
    }
    let lo = p.div_ceil(s).min(n_out);
    let reach = (k - 1) * d;
    // last o with o*s - p + reach <= n_in - 1
    let hi = if n_in + p > reach { ((n_in - 1 + p - reach) / s + 1).min(n_out) } else { 0 };
    (lo, hi.max(lo))
}

/// One output of a max pool by the per-window definition (borders: windows reaching padding).
#[inline(always)]
fn max_one(g: &PoolGeom, xp: &[f32], oh: usize, ow: usize) -> (f32, i32) {
    let ih0 = (oh * g.s_h) as isize - g.p_h as isize;
    let iw0 = (ow * g.s_w) as isize - g.p_w as isize;
    let mut best = f32::NEG_INFINITY;
    let mut bi: i32 = -1;
    for kh in 0..g.k_h {
        let ih = ih0 + (kh * g.d_h) as isize;
        if ih < 0 || ih as usize >= g.h {
            continue;
        }
        for kw in 0..g.k_w {
            let iw = iw0 + (kw * g.d_w) as isize;
            if iw < 0 || iw as usize >= g.w {
                continue;
            }
            let j = ih as usize * g.w + iw as usize;
            let v = xp[j];
            if v > best || v.is_nan() || bi < 0 {
                best = v;
                bi = j as i32;
                if v.is_nan() {
                    return (best, bi);
                }
            }
        }
    }
    (best, bi)
}

thread_local! {
    /// A plane split into its stride phases (the strided max-pool rows read contiguous runs).
    static PHASES: core::cell::RefCell<Vec<f32>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// y = max over each window, idx = flat h*W+w of the first max (NaN wins; -1 for an empty window).
/// `idx` may be None (inference: no argmax is kept).
///
/// The windows inside the plane run on row paths vectorised over the output columns (2x2/2:
/// explicit SIMD; others: a running max over the taps, the plane first split into its column
/// phases when the stride is > 1 so every tap is a contiguous run); only the windows reaching
/// the padding (or past the end with ceil_mode) take the per-window scalar loop.
#[inline(never)]
pub fn max_pool2d(g: &PoolGeom, x: &[f32], y: &mut [f32], idx: Option<&mut [i32]>) {
    let (ins, outs) = (g.in_size(), g.out_size());
    if g.nc == 0 || outs == 0 {
        return;
    }
    let (x, y) = (&x[..g.nc * ins], &mut y[..g.nc * outs]);
    if idx.is_none() && separable_case(g) {
        return max_pool_separable(g, x, y);
    }
    if idx.is_none() && padded_case(g) {
        return max_pool_padded(g, x, y);
    }
    let yp = SendPtr(y.as_mut_ptr());
    let ip = idx.map(|i| SendPtr(i[..g.nc * outs].as_mut_ptr()));
    let (oh_lo, oh_hi) = interior(g.h, g.o_h, g.k_h, g.s_h, g.p_h, g.d_h);
    let (ow_lo, ow_hi) = interior(g.w, g.o_w, g.k_w, g.s_w, g.p_w, g.d_w);
    let has_inner = oh_lo < oh_hi && ow_lo < ow_hi;
    let two = g.k_h == 2 && g.k_w == 2 && g.s_h == 2 && g.s_w == 2 && g.d_h == 1 && g.d_w == 1;
    // stride > 1 (and not the 2x2 path): taps read from the phase-split plane
    let phased = has_inner && !two && g.s_w > 1;
    let sw = g.s_w;
    let wp = g.w.div_ceil(sw);
    // (offset, input index) of every tap relative to the first interior window of an output row
    // at input row 0: plane layout [w] or phase layout [phase][h][wp]
    let col0 = if has_inner { ow_lo * g.s_w - g.p_w } else { 0 };
    let mut taps = Vec::with_capacity(g.k_h * g.k_w);
    for kh in 0..if has_inner { g.k_h } else { 0 } {
        for kw in 0..g.k_w {
            let (r, c) = (kh * g.d_h, col0 + kw * g.d_w);
            let off = if phased { ((c % sw) * g.h + r) * wp + c / sw } else { r * g.w + c };
            taps.push((off, (r * g.w + c) as i32));
        }
    }
    let taps = &taps;
    planes(g.nc, outs * g.k_h * g.k_w, &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        // SAFETY: `planes` hands each plane index p to one task; y and idx hold nc*outs elements
        let yo = unsafe { plane_mut(yp, p, outs) };
        let mut io = ip.map(|ip| unsafe { plane_mut(ip, p, outs) });
        let scalar = |oh: usize, ow: usize, yo: &mut [f32], io: &mut Option<&mut [i32]>| {
            let (b, bi) = max_one(g, xp, oh, ow);
            yo[oh * g.o_w + ow] = b;
            if let Some(io) = io.as_deref_mut() {
                io[oh * g.o_w + ow] = bi;
            }
        };
        let run = |src: &[f32], yo: &mut [f32], io: &mut Option<&mut [i32]>| {
            for oh in 0..g.o_h {
                if !has_inner || oh < oh_lo || oh >= oh_hi {
                    for ow in 0..g.o_w {
                        scalar(oh, ow, yo, io);
                    }
                    continue;
                }
                for ow in (0..ow_lo).chain(ow_hi..g.o_w) {
                    scalar(oh, ow, yo, io);
                }
                let ih0 = oh * g.s_h - g.p_h;
                let (a, b) = (oh * g.o_w + ow_lo, oh * g.o_w + ow_hi);
                let yr = &mut yo[a..b];
                let ir = io.as_deref_mut().map(|io| &mut io[a..b]);
                if two {
                    max_row_2x2(xp, ih0 * g.w + col0, g.w, yr, ir);
                } else {
                    let shift = ih0 * if phased { wp } else { g.w };
                    max_row_taps(src, taps, shift, (ih0 * g.w) as i32, g.s_w as i32, yr, ir);
                }
            }
        };
        if phased {
            PHASES.with(|c| {
                let mut v = c.borrow_mut();
                if v.len() < sw * g.h * wp {
                    v.resize(sw * g.h * wp, 0.0);
                }
                split_phases(xp, g.h, g.w, sw, wp, &mut v);
                run(&v, yo, &mut io);
            });
        } else {
            run(xp, yo, &mut io);
        }
    });
}

thread_local! {
    static PADDED: RefCell<PaddedPlane> = const { RefCell::new(PaddedPlane::new()) };
    static FLAT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Whether a max pool without indices takes [`max_pool_padded`]: padding or a stride to split
/// (else the plane is read in place; 2x2 / stride 2 has its own rows), and every window inside
/// the padded plane (ceil_mode windows that reach past it take the general path).
fn padded_case(g: &PoolGeom) -> bool {
    let two = g.k_h == 2 && g.k_w == 2 && g.s_h == 2 && g.s_w == 2 && g.d_h == 1 && g.d_w == 1;
    let reach = |o: usize, k: usize, s: usize, p: usize, d: usize, n: usize| (o - 1) * s + (k - 1) * d < n + 2 * p;
    !two && (g.p_h + g.p_w > 0 || g.s_w > 1)
        && reach(g.o_h, g.k_h, g.s_h, g.p_h, g.d_h, g.h)
        && reach(g.o_w, g.k_w, g.s_w, g.p_w, g.d_w, g.w)
}

/// Whether a max pool without indices takes [`max_pool_separable`]: AVX2, column stride 1 or 2
/// and a window of 2..=8 rows and columns (resnet's 3x3/2 stem pool); 2x2/2 keeps its own rows.
fn separable_case(g: &PoolGeom) -> bool {
    let two = g.k_h == 2 && g.k_w == 2 && g.s_h == 2 && g.s_w == 2 && g.d_h == 1 && g.d_w == 1;
    // x86 with AVX2 only: elsewhere max_many is its scalar loop (the phased path vectorises)
    #[cfg(target_arch = "x86_64")]
    let simd = crate::simd::has_avx2();
    #[cfg(not(target_arch = "x86_64"))]
    let simd = false;
    simd && !two && g.k_h > 1 && g.k_w > 1 && g.k_h <= SEP_K && g.k_w <= SEP_K && (g.s_w == 1 || g.s_w == 2)
}

/// Window rows / columns the separable max pool takes at most (its run tables live on the stack).
const SEP_K: usize = 8;

thread_local! {
    static SEP: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Max pool values (no indices) in two passes, as a max over a window is the max over its rows
/// of the max over its columns: per input row the max over the kw taps of each output column
/// (with stride 2 from the row's even / odd halves, so each tap is a contiguous run), then per
/// output row the max over the kh rows. k_h + k_w instead of k_h * k_w maxes per output (3x3:
/// 6, not 9) and no padded copy; padding never wins, NaN does (any NaN in a window gives NaN).
fn max_pool_separable(g: &PoolGeom, x: &[f32], y: &mut [f32]) {
    let (ins, outs) = (g.in_size(), g.out_size());
    let (ow_lo, ow_hi) = interior(g.w, g.o_w, g.k_w, g.s_w, g.p_w, g.d_w);
    let half = g.w.div_ceil(2);
    let yp = SendPtr(y.as_mut_ptr());
    planes(g.nc, outs * (g.k_h + g.k_w), &|p| {
        // SAFETY: `planes` hands each plane index p to one task; y holds nc*outs elements
        let yo = unsafe { plane_mut(yp, p, outs) };
        let xp = &x[p * ins..(p + 1) * ins];
        SEP.with(|b| {
            let mut b = b.borrow_mut();
            let need = g.h * g.o_w + 2 * half;
            if b.len() < need {
                b.resize(need, 0.0);
            }
            let (hm, eo) = b.split_at_mut(g.h * g.o_w);
            let (ev, od) = eo.split_at_mut(half);
            sep_plane(g, xp, (ow_lo, ow_hi), hm, ev, od, yo);
        });
    });
}

crate::simd_fn! {
/// One plane of [`max_pool_separable`]: the column maxes of every input row into `hm`
/// (h x o_w; `ev` / `od` the row's halves for stride 2), then the row maxes into `yo`.
fn sep_plane(g: &PoolGeom, xp: &[f32], inner: (usize, usize), hm: &mut [f32], ev: &mut [f32],
             od: &mut [f32], yo: &mut [f32]) {
    let (ow_lo, ow_hi) = inner;
    for r in 0..g.h {
        let row = &xp[r * g.w..(r + 1) * g.w];
        let hr = &mut hm[r * g.o_w..(r + 1) * g.o_w];
        for ow in (0..ow_lo).chain(ow_hi.max(ow_lo)..g.o_w) {
            hr[ow] = max_cols(g, row, ow);
        }
        if ow_lo >= ow_hi {
            continue;
        }
        let n = ow_hi - ow_lo;
        if g.s_w == 2 {
            split2(row, &mut ev[..], &mut od[..g.w / 2]);
        }
        // the run of each tap (input column of output ow_lo at tap kw onwards)
        let mut runs: [&[f32]; SEP_K] = [&[]; SEP_K];
        for (kw, r) in runs[..g.k_w].iter_mut().enumerate() {
            let c = ow_lo * g.s_w + kw * g.d_w - g.p_w;
            *r = if g.s_w == 2 {
                if c % 2 == 0 { &ev[c / 2..c / 2 + n] } else { &od[c / 2..c / 2 + n] }
            } else {
                &row[c..c + n]
            };
        }
        max_many(&mut hr[ow_lo..ow_hi], &runs[..g.k_w]);
    }
    for oh in 0..g.o_h {
        let yr = &mut yo[oh * g.o_w..(oh + 1) * g.o_w];
        let mut rows: [&[f32]; SEP_K] = [&[]; SEP_K];
        let mut nr = 0;
        for kh in 0..g.k_h {
            let ih = (oh * g.s_h + kh * g.d_h) as isize - g.p_h as isize;
            if ih >= 0 && (ih as usize) < g.h {
                rows[nr] = &hm[ih as usize * g.o_w..(ih as usize + 1) * g.o_w];
                nr += 1;
            }
        }
        if nr == 0 {
            yr.fill(f32::NEG_INFINITY); // a window of padding rows only
        } else {
            max_many(yr, &rows[..nr]);
        }
    }
}
}

/// The max over the kw taps of output column ow in one input row (padding skipped; -inf when
/// every tap is padding).
#[inline(always)]
fn max_cols(g: &PoolGeom, row: &[f32], ow: usize) -> f32 {
    let mut b = f32::NEG_INFINITY;
    for kw in 0..g.k_w {
        let iw = (ow * g.s_w + kw * g.d_w) as isize - g.p_w as isize;
        if iw >= 0 && (iw as usize) < g.w {
            let v = row[iw as usize];
            if takes(v, b) {
                b = v;
            }
        }
    }
    b
}

/// d[i] = the max over the runs `srcs` (each at least d.len() long) of their element i, in run
/// order with NaN winning (any NaN gives NaN, the first max of equals stays). Written once per
/// element from registers: a running max kept in d (load, select, store back) is turned by LLVM
/// into masked stores (vmaskmovps), microcoded on AMD, which made this pool 5x slower.
#[inline(always)]
fn max_many(d: &mut [f32], srcs: &[&[f32]]) {
    let n = d.len();
    assert!(!srcs.is_empty() && srcs.len() <= SEP_K && srcs.iter().all(|s| s.len() >= n));
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2() && n >= 8 {
        let mut ptrs = [core::ptr::null::<f32>(); SEP_K];
        for (p, s) in ptrs.iter_mut().zip(srcs) {
            *p = s.as_ptr();
        }
        // SAFETY: AVX2 checked; every run holds n floats and d n; the last 8 again from n - 8
        // when n is not a multiple of 8 (a max is idempotent: overlapping lanes get the same value).
        unsafe {
            x86::max_runs(d.as_mut_ptr(), &ptrs[..srcs.len()], 0, n / 8 * 8);
            if n % 8 != 0 {
                x86::max_runs(d.as_mut_ptr(), &ptrs[..srcs.len()], n - 8, n);
            }
        }
        return;
    }
    for (i, o) in d.iter_mut().enumerate() {
        let mut b = srcs[0][i];
        for s in &srcs[1..] {
            let v = s[i];
            if takes(v, b) {
                b = v;
            }
        }
        *o = b;
    }
}

/// One pool plane as the 1-channel conv geometry [`Phased`] lays out.
fn plane_geom(g: &PoolGeom) -> ConvGeom {
    ConvGeom {
        n: 1,
        c: 1,
        o: 1,
        groups: 1,
        in_d: 1,
        in_h: g.h,
        in_w: g.w,
        k_d: 1,
        k_h: g.k_h,
        k_w: g.k_w,
        s_d: 1,
        s_h: g.s_h,
        s_w: g.s_w,
        p_d: 0,
        p_h: g.p_h,
        p_w: g.p_w,
        d_d: 1,
        d_h: g.d_h,
        d_w: g.d_w,
        out_d: 1,
        out_h: g.o_h,
        out_w: g.o_w,
    }
}

/// Max pool values (no indices) with the padding as -inf in a phased plane that keeps it (the
/// depthwise conv's layout): each tap of the whole output plane is one contiguous run, no
/// border windows. The same values as the windowed path (the padding never wins a max, NaN
/// does).
fn max_pool_padded(g: &PoolGeom, x: &[f32], y: &mut [f32]) {
    let (ins, outs) = (g.in_size(), g.out_size());
    let cg = plane_geom(g);
    let ph = Phased::new(&cg);
    let nflat = ph.n_out(&cg);
    let mut offs = Vec::with_capacity(g.k_h * g.k_w);
    for kh in 0..g.k_h {
        for kw in 0..g.k_w {
            offs.push(ph.tap(&cg, 0, kh, kw));
        }
    }
    let yp = SendPtr(y.as_mut_ptr());
    let (cg, ph, offs) = (&cg, &ph, &offs);
    planes(g.nc, outs * g.k_h * g.k_w, &|p| {
        // SAFETY: `planes` hands each plane index p to one task; y holds nc*outs elements
        let yo = unsafe { plane_mut(yp, p, outs) };
        PADDED.with(|b| {
            FLAT.with(|f| {
                let (mut b, mut f) = (b.borrow_mut(), f.borrow_mut());
                if f.len() < nflat {
                    f.resize(nflat, 0.0);
                }
                let src = b.get(cg, ph, f32::NEG_INFINITY);
                max_plane(cg, ph, &x[p * ins..(p + 1) * ins], src, &mut f[..nflat], offs, yo);
            })
        });
    });
}

simd_fn! {
/// One plane of [`max_pool_padded`]: fill the phased plane, the running max over the taps' runs
/// (NaN wins), the valid columns out.
fn max_plane(g: &ConvGeom, ph: &Phased, xp: &[f32], src: &mut [f32], t: &mut [f32], offs: &[usize], yo: &mut [f32]) {
    ph.fill(g, xp, src);
    let n = t.len();
    t.copy_from_slice(&src[offs[0]..offs[0] + n]);
    for &o in &offs[1..] {
        for (a, &v) in t.iter_mut().zip(&src[o..o + n]) {
            let b = *a;
            *a = if (v > b) | (v.is_nan() & !b.is_nan()) { v } else { b };
        }
    }
    for oh in 0..g.out_h {
        let f = oh * ph.qw;
        yo[oh * g.out_w..(oh + 1) * g.out_w].copy_from_slice(&t[f..f + g.out_w]);
    }
}
}

/// dst[(q * h + r) * wp + c] = x[r * w + q + c * s] (the plane's column phases, row by row).
fn split_phases(x: &[f32], h: usize, w: usize, s: usize, wp: usize, dst: &mut [f32]) {
    for r in 0..h {
        let row = &x[r * w..(r + 1) * w];
        if s == 2 {
            let (e, o) = dst[r * wp..].split_at_mut(h * wp);
            split2(row, &mut e[..wp], &mut o[..wp]);
            continue;
        }
        for q in 0..s.min(w) {
            let d = &mut dst[(q * h + r) * wp..(q * h + r + 1) * wp];
            for (c, v) in row[q..].iter().step_by(s).enumerate() {
                d[c] = *v;
            }
        }
    }
}

/// Even and odd elements of `row` (e and o hold at least ceil(len/2) and floor(len/2)).
#[inline(always)]
pub(crate) fn split2(row: &[f32], e: &mut [f32], o: &mut [f32]) {
    let n = row.len();
    #[allow(unused_mut)]
    let mut j = 0;
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2() {
        // SAFETY: AVX2 checked; each step reads row[2j..2j+16] and writes e/o[j..j+8], in bounds.
        unsafe {
            while 2 * j + 16 <= n {
                x86::split2_8(row.as_ptr().add(2 * j), e.as_mut_ptr().add(j), o.as_mut_ptr().add(j));
                j += 8;
            }
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    // SAFETY: each step reads row[2j..2j+8] and writes e/o[j..j+4], in bounds.
    unsafe {
        while 2 * j + 8 <= n {
            wasm::split2_4(row.as_ptr().add(2 * j), e.as_mut_ptr().add(j), o.as_mut_ptr().add(j));
            j += 4;
        }
    }
    while 2 * j + 1 < n {
        e[j] = row[2 * j];
        o[j] = row[2 * j + 1];
        j += 1;
    }
    if 2 * j < n {
        e[j] = row[2 * j];
    }
}

simd_fn! {
/// One row of interior max-pool windows: the running max over `taps` ((offset, input index)
/// relative to `shift` / `ishift`) of contiguous runs of `src`, in tap order (the first max
/// and the first NaN win); output j's input index is tap index + ishift + j * istep.
fn max_row_taps(src: &[f32], taps: &[(usize, i32)], shift: usize, ishift: i32, istep: i32, y: &mut [f32],
                idx: Option<&mut [i32]>) {
    let n = y.len();
    let (o0, i0) = taps[0];
    y.copy_from_slice(&src[shift + o0..shift + o0 + n]);
    match idx {
        None => {
            for &(off, _) in &taps[1..] {
                let row = &src[shift + off..shift + off + n];
                for (a, &v) in y.iter_mut().zip(row) {
                    let b = *a;
                    *a = if (v > b) | (v.is_nan() & !b.is_nan()) { v } else { b };
                }
            }
        }
        Some(idx) => {
            let idx = &mut idx[..n];
            for (j, i) in idx.iter_mut().enumerate() {
                *i = ishift + i0 + j as i32 * istep;
            }
            for &(off, ti) in &taps[1..] {
                let row = &src[shift + off..shift + off + n];
                let ib = ishift + ti;
                for (j, ((a, i), &v)) in y.iter_mut().zip(idx.iter_mut()).zip(row).enumerate() {
                    let b = *a;
                    let t = (v > b) | (v.is_nan() & !b.is_nan());
                    *a = if t { v } else { b };
                    *i = if t { ib + j as i32 * istep } else { *i };
                }
            }
        }
    }
}
}

/// One output row of a 2x2 / stride-2 max pool (windows inside the plane): rows `base` and
/// `base + w` of the plane, explicit SIMD where available, scalar for the tail.
#[inline(always)]
fn max_row_2x2(xp: &[f32], base: usize, w: usize, y: &mut [f32], mut idx: Option<&mut [i32]>) {
    let n = y.len();
    // the last window reads columns 2n-2, 2n-1 of both rows
    let (r0, r1) = (&xp[base..base + 2 * n], &xp[base + w..base + w + 2 * n]);
    #[allow(unused_mut, unused_assignments)]
    let mut j = 0;
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2() {
        let (p0, p1, py) = (r0.as_ptr(), r1.as_ptr(), y.as_mut_ptr());
        let pi = idx.as_deref_mut().map(|i| i.as_mut_ptr());
        let (b, w) = (base as i32, w as i32);
        // SAFETY: AVX2 checked; r0/r1 hold 2n floats, y (and idx) n; every call below covers
        // outputs [o, o + count) with o + count <= n (reading inputs [2o, 2o + 2count)).
        unsafe {
            j = x86::max_2x2_avx2(p0, p1, py, pi, n, b, w);
            // short rows (e.g. 28 or 14 wide): the rest as one more vector of 8 or 4 outputs,
            // overlapping outputs already written (recomputed to the same values)
            let at = |o: usize| (p0.add(2 * o), p1.add(2 * o), py.add(o), pi.map(|i| i.add(o)), b + 2 * o as i32);
            if j < n && n >= 8 {
                let (a0, a1, ay, ai, ab) = at(n - 8);
                j = n - 8 + x86::max_2x2_avx2(a0, a1, ay, ai, 8, ab, w);
            } else if j < n && n >= 4 {
                let (a0, a1, ay, ai, ab) = at(j);
                j += x86::max_2x2_sse(a0, a1, ay, ai, 4, ab, w);
                if j < n {
                    let (a0, a1, ay, ai, ab) = at(n - 4);
                    j = n - 4 + x86::max_2x2_sse(a0, a1, ay, ai, 4, ab, w);
                }
            }
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        // SAFETY: r0/r1 hold 2n floats, y (and idx) n.
        j = unsafe {
            wasm::max_2x2(
                r0.as_ptr(),
                r1.as_ptr(),
                y.as_mut_ptr(),
                idx.as_deref_mut().map(|i| i.as_mut_ptr()),
                n,
                base as i32,
                w as i32,
            )
        };
    }
    for jj in j..n {
        let q = 2 * jj;
        let (mut b, mut bi) = (r0[q], base + q);
        for (v, k) in [(r0[q + 1], base + q + 1), (r1[q], base + w + q), (r1[q + 1], base + w + q + 1)] {
            if takes(v, b) {
                b = v;
                bi = k;
            }
        }
        y[jj] = b;
        if let Some(i) = idx.as_deref_mut() {
            i[jj] = bi as i32;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    /// d[i] = the NaN-winning max over the runs at `srcs` of element i, for i in a..e (e - a a
    /// multiple of 8), in registers and stored once.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn max_runs(d: *mut f32, srcs: &[*const f32], a: usize, e: usize) {
        let mut i = a;
        while i < e {
            let mut b = _mm256_loadu_ps(srcs[0].add(i));
            for s in &srcs[1..] {
                let v = _mm256_loadu_ps(s.add(i));
                b = _mm256_blendv_ps(b, v, take(v, b));
            }
            _mm256_storeu_ps(d.add(i), b);
            i += 8;
        }
    }

    /// Lanes where `v` replaces `b`: v > b, or v is NaN and b is not.
    #[inline(always)]
    unsafe fn take(v: __m256, b: __m256) -> __m256 {
        _mm256_or_ps(
            _mm256_cmp_ps::<_CMP_GT_OQ>(v, b),
            _mm256_and_ps(_mm256_cmp_ps::<_CMP_UNORD_Q>(v, v), _mm256_cmp_ps::<_CMP_ORD_Q>(b, b)),
        )
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b)))
    }
    /// 16 consecutive floats from p as (even, odd) lanes, in order.
    #[inline(always)]
    unsafe fn deinterleave(p: *const f32) -> (__m256, __m256) {
        let (a, b) = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
        let e = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
        let o = _mm256_shuffle_ps::<0b11_01_11_01>(a, b);
        (
            _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(e))),
            _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(o))),
        )
    }

    /// e[0..8] = p[0, 2, .., 14], o[0..8] = p[1, 3, .., 15].
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn split2_8(p: *const f32, e: *mut f32, o: *mut f32) {
        let (a, b) = deinterleave(p);
        _mm256_storeu_ps(e, a);
        _mm256_storeu_ps(o, b);
    }

    /// 2x2/stride-2 max over rows r0, r1 for outputs 0..(n rounded down to 8); returns how many.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn max_2x2_avx2(
        r0: *const f32,
        r1: *const f32,
        y: *mut f32,
        idx: Option<*mut i32>,
        n: usize,
        base: i32,
        w: i32,
    ) -> usize {
        let mut j = 0;
        match idx {
            None => {
                while j + 8 <= n {
                    let (e0, o0) = deinterleave(r0.add(2 * j));
                    let (e1, o1) = deinterleave(r1.add(2 * j));
                    let mut b = e0;
                    b = _mm256_blendv_ps(b, o0, take(o0, b));
                    b = _mm256_blendv_ps(b, e1, take(e1, b));
                    b = _mm256_blendv_ps(b, o1, take(o1, b));
                    _mm256_storeu_ps(y.add(j), b);
                    j += 8;
                }
            }
            Some(ip) => {
                let step = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
                while j + 8 <= n {
                    let (e0, o0) = deinterleave(r0.add(2 * j));
                    let (e1, o1) = deinterleave(r1.add(2 * j));
                    let k0 = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_set1_epi32(base + 2 * j as i32), step));
                    let one = _mm256_castsi256_ps(_mm256_set1_epi32(1));
                    let kw = _mm256_castsi256_ps(_mm256_set1_epi32(w));
                    let (mut b, mut bi) = (e0, k0);
                    let m = take(o0, b);
                    b = _mm256_blendv_ps(b, o0, m);
                    bi = _mm256_blendv_ps(bi, add(k0, one), m);
                    let k1 = add(k0, kw);
                    let m = take(e1, b);
                    b = _mm256_blendv_ps(b, e1, m);
                    bi = _mm256_blendv_ps(bi, k1, m);
                    let m = take(o1, b);
                    b = _mm256_blendv_ps(b, o1, m);
                    bi = _mm256_blendv_ps(bi, add(k1, one), m);
                    _mm256_storeu_ps(y.add(j), b);
                    _mm256_storeu_si256(ip.add(j) as *mut __m256i, _mm256_castps_si256(bi));
                    j += 8;
                }
            }
        }
        j
    }

    /// Lanes where `v` replaces `b` (as `take`, 4 lanes).
    #[inline(always)]
    unsafe fn take4(v: __m128, b: __m128) -> __m128 {
        _mm_or_ps(_mm_cmpgt_ps(v, b), _mm_and_ps(_mm_cmpunord_ps(v, v), _mm_cmpord_ps(b, b)))
    }
    #[inline(always)]
    unsafe fn add4(a: __m128, b: __m128) -> __m128 {
        _mm_castsi128_ps(_mm_add_epi32(_mm_castps_si128(a), _mm_castps_si128(b)))
    }

    /// [`max_2x2_avx2`] 4 outputs at a time (rows of 8..15 inputs); returns how many done.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn max_2x2_sse(
        r0: *const f32,
        r1: *const f32,
        y: *mut f32,
        idx: Option<*mut i32>,
        n: usize,
        base: i32,
        w: i32,
    ) -> usize {
        let mut j = 0;
        let de = |p: *const f32| {
            let (a, b) = (_mm_loadu_ps(p), _mm_loadu_ps(p.add(4)));
            (_mm_shuffle_ps::<0b10_00_10_00>(a, b), _mm_shuffle_ps::<0b11_01_11_01>(a, b))
        };
        while j + 4 <= n {
            let (e0, o0) = de(r0.add(2 * j));
            let (e1, o1) = de(r1.add(2 * j));
            match idx {
                None => {
                    let mut b = e0;
                    b = _mm_blendv_ps(b, o0, take4(o0, b));
                    b = _mm_blendv_ps(b, e1, take4(e1, b));
                    b = _mm_blendv_ps(b, o1, take4(o1, b));
                    _mm_storeu_ps(y.add(j), b);
                }
                Some(ip) => {
                    let k0 = _mm_castsi128_ps(_mm_add_epi32(
                        _mm_set1_epi32(base + 2 * j as i32),
                        _mm_setr_epi32(0, 2, 4, 6),
                    ));
                    let (one, kw) = (_mm_castsi128_ps(_mm_set1_epi32(1)), _mm_castsi128_ps(_mm_set1_epi32(w)));
                    let (mut b, mut bi) = (e0, k0);
                    let m = take4(o0, b);
                    b = _mm_blendv_ps(b, o0, m);
                    bi = _mm_blendv_ps(bi, add4(k0, one), m);
                    let k1 = add4(k0, kw);
                    let m = take4(e1, b);
                    b = _mm_blendv_ps(b, e1, m);
                    bi = _mm_blendv_ps(bi, k1, m);
                    let m = take4(o1, b);
                    b = _mm_blendv_ps(b, o1, m);
                    bi = _mm_blendv_ps(bi, add4(k1, one), m);
                    _mm_storeu_ps(y.add(j), b);
                    _mm_storeu_si128(ip.add(j) as *mut __m128i, _mm_castps_si128(bi));
                }
            }
            j += 4;
        }
        j
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use core::arch::wasm32::*;

    #[inline(always)]
    fn take(v: v128, b: v128) -> v128 {
        v128_or(f32x4_gt(v, b), v128_and(f32x4_ne(v, v), f32x4_eq(b, b)))
    }
    /// 8 consecutive floats from p as (even, odd) lanes.
    #[inline(always)]
    unsafe fn deinterleave(p: *const f32) -> (v128, v128) {
        let (a, b) = (v128_load(p as *const v128), v128_load(p.add(4) as *const v128));
        (i32x4_shuffle::<0, 2, 4, 6>(a, b), i32x4_shuffle::<1, 3, 5, 7>(a, b))
    }

    /// e[0..4] = p[0, 2, 4, 6], o[0..4] = p[1, 3, 5, 7].
    pub unsafe fn split2_4(p: *const f32, e: *mut f32, o: *mut f32) {
        let (a, b) = deinterleave(p);
        v128_store(e as *mut v128, a);
        v128_store(o as *mut v128, b);
    }

    /// 2x2/stride-2 max over rows r0, r1 for outputs 0..(n rounded down to 4); returns how many.
    pub unsafe fn max_2x2(
        r0: *const f32,
        r1: *const f32,
        y: *mut f32,
        idx: Option<*mut i32>,
        n: usize,
        base: i32,
        w: i32,
    ) -> usize {
        let mut j = 0;
        match idx {
            None => {
                while j + 4 <= n {
                    let (e0, o0) = deinterleave(r0.add(2 * j));
                    let (e1, o1) = deinterleave(r1.add(2 * j));
                    let mut b = e0;
                    b = v128_bitselect(o0, b, take(o0, b));
                    b = v128_bitselect(e1, b, take(e1, b));
                    b = v128_bitselect(o1, b, take(o1, b));
                    v128_store(y.add(j) as *mut v128, b);
                    j += 4;
                }
            }
            Some(ip) => {
                let step = i32x4(0, 2, 4, 6);
                let (one, kw) = (i32x4_splat(1), i32x4_splat(w));
                while j + 4 <= n {
                    let (e0, o0) = deinterleave(r0.add(2 * j));
                    let (e1, o1) = deinterleave(r1.add(2 * j));
                    let k0 = i32x4_add(i32x4_splat(base + 2 * j as i32), step);
                    let k1 = i32x4_add(k0, kw);
                    let (mut b, mut bi) = (e0, k0);
                    let m = take(o0, b);
                    b = v128_bitselect(o0, b, m);
                    bi = v128_bitselect(i32x4_add(k0, one), bi, m);
                    let m = take(e1, b);
                    b = v128_bitselect(e1, b, m);
                    bi = v128_bitselect(k1, bi, m);
                    let m = take(o1, b);
                    b = v128_bitselect(o1, b, m);
                    bi = v128_bitselect(i32x4_add(k1, one), bi, m);
                    v128_store(y.add(j) as *mut v128, b);
                    v128_store(ip.add(j) as *mut v128, bi);
                    j += 4;
                }
            }
        }
        j
    }
}

/// gx (overwritten) = gy scattered (added) to the input positions in idx (-1 = none).
#[inline(never)]
pub fn index_pool_grad(gy: &[f32], idx: &[i32], gx: &mut [f32], nc: usize, in_size: usize, out_size: usize) {
    let (gy, idx, gx) = (&gy[..nc * out_size], &idx[..nc * out_size], &mut gx[..nc * in_size]);
    let gp = SendPtr(gx.as_mut_ptr());
    planes(nc, out_size, &|p| {
        // SAFETY: `planes` hands each plane index p to one task; the buffer holds nc*in_size elements
        let o = unsafe { plane_mut(gp, p, in_size) };
        o.fill(0.0);
        for (&j, &g) in idx[p * out_size..(p + 1) * out_size].iter().zip(&gy[p * out_size..(p + 1) * out_size]) {
            if j >= 0 {
                o[j as usize] += g;
            }
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
    let div = if div_override > 0 {
        div_override as f32
    } else if cip {
        pool as f32
    } else {
        ((h1 - h0) * (w1 - w0)) as f32
    };
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
        // SAFETY: `planes` hands each plane index p to one task; the buffer holds nc*outs elements
        let yo = unsafe { plane_mut(yp, p, outs) };
        for oh in 0..g.o_h {
            for ow in 0..g.o_w {
                let (h0, h1, w0, w1, div) = avg_window(g, oh, ow, cip, div_override);
                let mut s = 0f32;
                for h in h0..h1 {
                    for &v in &xp[h * g.w + w0..h * g.w + w1] {
                        s += v;
                    }
                }
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
        // SAFETY: `planes` hands each plane index p to one task; the buffer holds nc*ins elements
        let o = unsafe { plane_mut(gp, p, ins) };
        o.fill(0.0);
        for oh in 0..g.o_h {
            for ow in 0..g.o_w {
                let (h0, h1, w0, w1, div) = avg_window(g, oh, ow, cip, div_override);
                let v = gyp[oh * g.o_w + ow] / div;
                for h in h0..h1 {
                    for d in &mut o[h * g.w + w0..h * g.w + w1] {
                        *d += v;
                    }
                }
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
        // SAFETY: `planes` hands each plane index p to one task; the buffer holds nc*outs elements
        let yo = unsafe { plane_mut(yp, p, outs) };
        for oh in 0..oh_n {
            let (h0, h1) = adaptive(oh, h, oh_n);
            for ow in 0..ow_n {
                let (w0, w1) = adaptive(ow, w, ow_n);
                let mut s = 0f32;
                for hh in h0..h1 {
                    for &v in &xp[hh * w + w0..hh * w + w1] {
                        s += v;
                    }
                }
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
        // SAFETY: `planes` hands each plane index p to one task; the buffer holds nc*ins elements
        let o = unsafe { plane_mut(gp, p, ins) };
        o.fill(0.0);
        for oh in 0..oh_n {
            let (h0, h1) = adaptive(oh, h, oh_n);
            for ow in 0..ow_n {
                let (w0, w1) = adaptive(ow, w, ow_n);
                let v = gyp[oh * ow_n + ow] / ((h1 - h0) * (w1 - w0)) as f32;
                for hh in h0..h1 {
                    for d in &mut o[hh * w + w0..hh * w + w1] {
                        *d += v;
                    }
                }
            }
        }
    });
}

#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn adaptive_max_pool2d(
    nc: usize,
    h: usize,
    w: usize,
    oh_n: usize,
    ow_n: usize,
    x: &[f32],
    y: &mut [f32],
    idx: &mut [i32],
) {
    let (ins, outs) = (h * w, oh_n * ow_n);
    let (x, y, idx) = (&x[..nc * ins], &mut y[..nc * outs], &mut idx[..nc * outs]);
    let (yp, ip) = (SendPtr(y.as_mut_ptr()), SendPtr(idx.as_mut_ptr()));
    planes(nc, ins.max(outs), &|p| {
        let xp = &x[p * ins..(p + 1) * ins];
        // SAFETY: `planes` hands each plane index p to one task; y and idx hold nc*outs elements
        let (yo, io) = unsafe { (plane_mut(yp, p, outs), plane_mut(ip, p, outs)) };
        for oh in 0..oh_n {
            let (h0, h1) = adaptive(oh, h, oh_n);
            for ow in 0..ow_n {
                let (w0, w1) = adaptive(ow, w, ow_n);
                let mut best = f32::NEG_INFINITY;
                let mut bi = h0 * w + w0;
                'win: for hh in h0..h1 {
                    for ww in w0..w1 {
                        let v = xp[hh * w + ww];
                        if v > best || v.is_nan() {
                            best = v;
                            bi = hh * w + ww;
                            if v.is_nan() {
                                break 'win;
                            }
                        }
                    }
                }
                yo[oh * ow_n + ow] = best;
                io[oh * ow_n + ow] = bi as i32;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain per-window definition (same as the js reference).
    fn reference(g: &PoolGeom, x: &[f32]) -> (Vec<f32>, Vec<i32>) {
        let (mut y, mut ix) = (vec![0f32; g.nc * g.out_size()], vec![0i32; g.nc * g.out_size()]);
        for p in 0..g.nc {
            for oh in 0..g.o_h {
                for ow in 0..g.o_w {
                    let (mut best, mut bi) = (f32::NEG_INFINITY, -1i32);
                    'w: for kh in 0..g.k_h {
                        let ih = (oh * g.s_h + kh * g.d_h) as isize - g.p_h as isize;
                        if ih < 0 || ih as usize >= g.h {
                            continue;
                        }
                        for kw in 0..g.k_w {
                            let iw = (ow * g.s_w + kw * g.d_w) as isize - g.p_w as isize;
                            if iw < 0 || iw as usize >= g.w {
                                continue;
                            }
                            let j = ih as usize * g.w + iw as usize;
                            let v = x[p * g.h * g.w + j];
                            if v > best || v.is_nan() || bi < 0 {
                                best = v;
                                bi = j as i32;
                                if v.is_nan() {
                                    break 'w;
                                }
                            }
                        }
                    }
                    y[(p * g.o_h + oh) * g.o_w + ow] = best;
                    ix[(p * g.o_h + oh) * g.o_w + ow] = bi;
                }
            }
        }
        (y, ix)
    }

    fn out(n: usize, k: usize, s: usize, p: usize, d: usize) -> usize {
        (n + 2 * p - d * (k - 1) - 1) / s + 1
    }

    #[test]
    fn max_pool_fast_paths_match_reference() {
        let mut seed = 12345u32;
        let mut rnd = || {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 4.0 - 2.0
        };
        for &baseline in &[false, true] {
            crate::simd::FORCE_BASELINE.store(baseline, core::sync::atomic::Ordering::Relaxed);
            for &(nc, h, w, kh, kw, sh, sw, p, d) in &[
                (3usize, 7usize, 9usize, 2usize, 2usize, 2usize, 2usize, 0usize, 1usize),
                (2, 8, 8, 2, 2, 2, 2, 0, 1),
                (1, 2, 2, 2, 2, 2, 2, 0, 1),
                (2, 5, 37, 2, 2, 2, 2, 0, 1),
                (2, 6, 35, 2, 2, 2, 2, 0, 1),
                (1, 4, 64, 2, 2, 2, 2, 0, 1),
                (3, 9, 11, 3, 3, 1, 1, 0, 1),
                (2, 9, 13, 3, 3, 2, 2, 0, 1),
                (2, 10, 17, 3, 2, 3, 1, 0, 2),
                (1, 11, 19, 2, 3, 1, 2, 0, 1),
                (2, 8, 8, 3, 3, 2, 2, 1, 1),
                (1, 7, 7, 1, 1, 1, 1, 0, 1),
                (2, 12, 21, 2, 2, 1, 1, 0, 1),
                // padded: interior rows on the SIMD paths, borders scalar
                (3, 21, 37, 3, 3, 2, 2, 1, 1),
                (2, 36, 38, 3, 3, 2, 2, 1, 1),
                (2, 23, 27, 3, 3, 2, 2, 1, 2),
                (2, 17, 20, 2, 2, 2, 2, 1, 1),
                (1, 9, 70, 4, 4, 1, 1, 2, 1),
                (2, 25, 26, 5, 5, 3, 3, 2, 1),
                (1, 11, 40, 3, 3, 3, 3, 1, 1),
                (2, 19, 23, 3, 3, 1, 1, 1, 1),
                (2, 2, 3, 3, 3, 2, 2, 1, 1),
                (1, 1, 1, 3, 3, 1, 1, 1, 1),
            ] {
                for ceil in [false, true] {
                    let mut g = PoolGeom {
                        nc,
                        h,
                        w,
                        k_h: kh,
                        k_w: kw,
                        s_h: sh,
                        s_w: sw,
                        p_h: p,
                        p_w: p,
                        d_h: d,
                        d_w: d,
                        o_h: out(h, kh, sh, p, d),
                        o_w: out(w, kw, sw, p, d),
                    };
                    if ceil {
                        // ceil_mode: one more window where it still starts inside input or left pad
                        if g.o_h * sh < h + p {
                            g.o_h += 1;
                        }
                        if g.o_w * sw < w + p {
                            g.o_w += 1;
                        }
                    }
                    let mut x: Vec<f32> = (0..nc * h * w).map(|_| rnd()).collect();
                    // ties, signed zeros and NaNs
                    for (i, v) in x.iter_mut().enumerate() {
                        if i % 13 == 3 {
                            *v = 0.0
                        } else if i % 13 == 4 {
                            *v = -0.0
                        } else if i % 29 == 7 {
                            *v = f32::NAN
                        } else if i % 11 == 2 {
                            *v = 1.0
                        }
                    }
                    let (ry, ri) = reference(&g, &x);
                    let no = nc * g.out_size();
                    let (mut y, mut ix) = (vec![9f32; no], vec![-7i32; no]);
                    max_pool2d(&g, &x, &mut y, Some(&mut ix));
                    let bits = |v: &[f32]| {
                        v.iter().map(|f| if f.is_nan() { u32::MAX } else { f.to_bits() }).collect::<Vec<_>>()
                    };
                    assert_eq!(bits(&y), bits(&ry), "values {g:?} baseline={baseline}");
                    assert_eq!(ix, ri, "indices {g:?} baseline={baseline}");
                    let mut y2 = vec![9f32; no];
                    max_pool2d(&g, &x, &mut y2, None);
                    assert_eq!(bits(&y2), bits(&ry), "values without idx {g:?} baseline={baseline}");
                }
            }
        }
        crate::simd::FORCE_BASELINE.store(false, core::sync::atomic::Ordering::Relaxed);
    }
}
