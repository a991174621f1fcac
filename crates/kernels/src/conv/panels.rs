//! Forward strategy of 2-d convs that are not shifted rows (e.g. the 7x7/2 stem) on wide x86
//! panels: the input padded (and even/odd split) once, each NR-wide panel of output columns
//! im2col'ed straight into the GEMM's B layout just before use; AVX-512 first-tile fusion.
use super::*;

/// Whether [`conv`] takes the [`conv_panels`] path: 2-d, not [`shift_case`], stride 1 or 2 in
/// width, wide x86 panels, enough rows of A to amortise each packed panel.
pub(super) fn panel_case(g: &ConvGeom, kb: usize) -> bool {
    let (_, nr) = gemm::panel_dims();
    (16..=64).contains(&nr)
        && !shift_case(g)
        && g.k_d == 1
        && g.in_d == 1
        && g.out_d == 1
        && (g.s_w == 1 || g.s_w == 2)
        && g.og() >= 32
        && kb >= 32
        && 6 * g.out_w >= nr
}

/// Padded (and for s_w == 2, even/odd split) copy of x for [`conv_panels`]: every image channel
/// becomes `hp` rows of `wrow` floats, zero outside the input, so output column ow of tap kw
/// reads row (oh*s_h + kh*d_h) at index `tap_col(kw) + ow`. Returns (hp, wrow, half).
pub(super) fn pad_dims(g: &ConvGeom) -> (usize, usize, usize) {
    let hp = (g.in_h + 2 * g.p_h).max((g.out_h - 1) * g.s_h + (g.k_h - 1) * g.d_h + 1);
    let wp = (g.in_w + 2 * g.p_w).max((g.out_w - 1) * g.s_w + (g.k_w - 1) * g.d_w + 1);
    if g.s_w == 2 {
        let h = wp.div_ceil(2);
        (hp, 2 * h, h)
    } else {
        (hp, wp, 0)
    }
}

crate::simd_fn! {
/// One channel plane of [`pad_dims`]' layout from `xc` (in_h x in_w) into `dst` (hp x wrow).
pub(super) fn pad_plane(g: &ConvGeom, xc: &[f32], hp: usize, wrow: usize, half: usize, dst: &mut [f32]) {
    let dst = &mut dst[..hp * wrow];
    dst[..g.p_h * wrow].fill(0.0);
    dst[(g.p_h + g.in_h) * wrow..].fill(0.0);
    for ih in 0..g.in_h {
        let d = &mut dst[(g.p_h + ih) * wrow..(g.p_h + ih + 1) * wrow];
        let r = &xc[ih * g.in_w..(ih + 1) * g.in_w];
        if g.s_w == 2 {
            let (ev, od) = d.split_at_mut(half);
            // padded column pc = iw + p_w goes to half pc & 1, index pc >> 1
            let (e0, o0) = ((g.p_w + 1) / 2, g.p_w / 2);
            let (pe, po) = if g.p_w % 2 == 0 { (0, 1) } else { (1, 0) }; // parity of iw landing in ev
            let ne = (g.in_w + 1 - pe) / 2;
            let no = (g.in_w + 1 - po) / 2;
            ev[..e0].fill(0.0);
            od[..o0].fill(0.0);
            // vector part: pairs (r[2i], r[2i+1]) for i < done, split with AVX-512 permutes
            #[allow(unused_mut)]
            let mut done = 0;
            #[cfg(target_arch = "x86_64")]
            if crate::gemm::best_kernel() == crate::gemm::GemmKernel::Avx512 {
                let pairs = (g.in_w / 2).min(ne).min(no) / 16 * 16;
                let (ae, ao) = if pe == 0 { (&mut ev[e0..e0 + pairs], &mut od[o0..o0 + pairs]) }
                               else { (&mut od[o0..o0 + pairs], &mut ev[e0..e0 + pairs]) };
                // SAFETY: AVX-512F is available (the kernel in use needs it); r holds 2*pairs floats.
                unsafe { deinterleave_avx512(&r[..2 * pairs], ae, ao) };
                done = pairs;
            }
            for (i, v) in ev[e0 + done..e0 + ne].iter_mut().enumerate() { *v = r[pe + 2 * (i + done)]; }
            ev[e0 + ne..].fill(0.0);
            for (i, v) in od[o0 + done..o0 + no].iter_mut().enumerate() { *v = r[po + 2 * (i + done)]; }
            od[o0 + no..].fill(0.0);
        } else {
            d[..g.p_w].fill(0.0);
            d[g.p_w..g.p_w + g.in_w].copy_from_slice(r);
            d[g.p_w + g.in_w..].fill(0.0);
        }
    }
}
}

/// even[i] = r[2i], odd[i] = r[2i+1] for i < even.len() (a multiple of 16; all lengths consistent).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn deinterleave_avx512(r: &[f32], even: &mut [f32], odd: &mut [f32]) {
    use core::arch::x86_64::*;
    let n = even.len();
    assert!(n % 16 == 0 && odd.len() == n && r.len() >= 2 * n);
    let ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    let (s, e, o) = (r.as_ptr(), even.as_mut_ptr(), odd.as_mut_ptr());
    let mut i = 0;
    while i < n {
        let (a, b) = (_mm512_loadu_ps(s.add(2 * i)), _mm512_loadu_ps(s.add(2 * i + 16)));
        _mm512_storeu_ps(e.add(i), _mm512_permutex2var_ps(a, ie, b));
        _mm512_storeu_ps(o.add(i), _mm512_permutex2var_ps(a, io, b));
        i += 16;
    }
}

/// Forward conv for [`panel_case`] geometries (e.g. the 7x7/2 stem): the input is padded (and
/// even/odd split) once, then each NR-wide panel of output columns is im2col'ed straight into
/// the kernel's B layout just before use (it stays in L1 for all og/MR A-panels; every B row
/// segment is one unclamped copy); A (weights + bias column) is packed once.
pub(super) fn conv_panels(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    packed: Option<&[f32]>,
    y: &mut [f32],
    ep: &Epilogue,
) {
    let (s, og, kg) = (g.out_size(), g.og(), g.kg());
    let (_, nr) = gemm::panel_dims();
    let kb = kg + bias.is_some() as usize;
    let a_len = gemm::packed_a_len(og, kb);
    // A = [W_g | b_g] packed: given by the caller, or packed here into a grow-only buffer
    let mut wp_buf = Vec::new();
    let wp: &[f32] = match packed {
        Some(p) => p,
        None => {
            wp_buf = PANEL_WP.with(|c| core::mem::take(&mut *c.borrow_mut()));
            if wp_buf.len() < a_len * g.groups {
                wp_buf.resize(a_len * g.groups, 0.0);
            }
            pack_groups(g, w, bias, kb, &mut wp_buf[..a_len * g.groups]);
            &wp_buf[..a_len * g.groups]
        }
    };
    let (hp, wrow, half) = pad_dims(g);
    let plane = hp * wrow;
    let mut xp = SPLIT.with(|c| std::mem::take(&mut *c.borrow_mut()));
    if xp.len() < g.n * g.c * plane {
        xp.resize(g.n * g.c * plane, 0.0);
    }
    {
        let (xpp, xl) = (SendPtr(xp.as_mut_ptr()), xp.len());
        let ins = g.in_size();
        run_tasks(g.n * g.c, &|t| {
            // SAFETY: task t writes only plane t.
            let d = unsafe { core::slice::from_raw_parts_mut(xpp.get(), xl) };
            pad_plane(g, &x[t * ins..(t + 1) * ins], hp, wrow, half, &mut d[t * plane..(t + 1) * plane]);
        });
    }
    // offset of B row r = (c, kh, kw) within a group's padded planes
    let mut offs = Vec::with_capacity(kg);
    for c in 0..g.cg() {
        for kh in 0..g.k_h {
            for kw in 0..g.k_w {
                let cw = kw * g.d_w;
                let col = if g.s_w == 2 { (cw & 1) * half + (cw >> 1) } else { cw };
                offs.push(c * plane + kh * g.d_h * wrow + col);
            }
        }
    }
    // one GEMM per block walks B in depth slices: deep kernels get wider blocks (see conv_blocks)
    let nb = block_cols(BLOCK_FLOATS, kb.min(gemm::panel_depth()), s, nr, g.n * g.groups);
    let nblk = s.div_ceil(nb);
    let yp = SendPtr(y.as_mut_ptr());
    #[cfg(target_arch = "x86_64")]
    let omax = offs.iter().copied().max().unwrap_or(0);
    let (offs, xpr) = (&offs, &xp[..g.n * g.c * plane]);
    // x86 AVX-512 (8x32 tiles): each panel's im2col copy is done by its first row tile, which
    // multiplies the rows as it stores them (the copy hides under that tile's FMAs)
    #[cfg(target_arch = "x86_64")]
    let fused = gemm::best_kernel() == gemm::GemmKernel::Avx512 && gemm::panel_dims() == (8, 32) && og >= 8;
    let ntasks = g.n * g.groups * nblk;
    run_tasks(ntasks, &|t| {
        let t = spread(t, ntasks);
        let blk = t % nblk;
        let gi = (t / nblk) % g.groups;
        let n = t / (nblk * g.groups);
        let (j0, j1) = (blk * nb, (blk * nb + nb).min(s));
        let xg = &xpr[(n * g.c + gi * g.cg()) * plane..(n * g.c + (gi + 1) * g.cg()) * plane];
        let ap = &wp[gi * a_len..(gi + 1) * a_len];
        // every panel of the block is written first (the first row tile multiplied as it is
        // written, on AVX-512), then one GEMM over the block reads the weights once
        #[cfg(target_arch = "x86_64")]
        let first = if fused { 8 } else { 0 };
        #[cfg(not(target_arch = "x86_64"))]
        let first = 0;
        let w_ = j1 - j0;
        // SAFETY: this task owns rows gi*og..(gi+1)*og, columns j0..j1 of image n's output.
        let yoff = (n * g.o + gi * og) * s + j0;
        let yb = unsafe { core::slice::from_raw_parts_mut(yp.get().add(yoff), (og - 1) * s + w_) };
        with_col(w_.div_ceil(nr) * nr * kb, |col| {
            let mut t = 0;
            while t < w_ {
                let wd = nr.min(w_ - t);
                let cp = &mut col[t * kb..];
                #[cfg(target_arch = "x86_64")]
                if fused {
                    // SAFETY: AVX-512F kernel with 8x32 tiles (checked in `fused`); the panel's
                    // segments are in bounds of xg (checked inside); yb holds og >= 8 rows.
                    unsafe {
                        pack_panel_first_tile_avx512(g, xg, offs, omax, wrow, j0 + t, wd, kb, cp, ap, &mut yb[t..], s)
                    };
                    t += wd;
                    continue;
                }
                pack_panel(g, xg, offs, wrow, j0 + t, wd, nr, kb, cp);
                t += wd;
            }
            if og > first {
                gemm::sgemm_packed(og - first, w_, kb, &ap[first * kb..], col, &mut yb[first * s..], s, false);
            }
        });
        if !ep.is_none() {
            ep.apply(yb, yoff, og, w_, s);
        }
    });
    SPLIT.with(|c| *c.borrow_mut() = xp);
    if !wp_buf.is_empty() {
        PANEL_WP.with(|c| *c.borrow_mut() = wp_buf);
    }
}

thread_local! {
    static PANEL_WP: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Per 16-lane half of a 32-wide panel row: (lane mask, source shift) of every segment (source
/// offset b, length, panel position t0) that touches it, and how many there are.
#[cfg(target_arch = "x86_64")]
pub(super) fn seg_parts(segs: &[(usize, usize, usize)]) -> ([[(u16, isize); 8]; 2], [usize; 2]) {
    let mut parts = [[(0u16, 0isize); 8]; 2];
    let mut np = [0usize; 2];
    for &(b, len, t0) in segs {
        for h in 0..2 {
            let (lo, hi) = (t0.max(16 * h), (t0 + len).min(16 * h + 16));
            if lo >= hi {
                continue;
            }
            let m = (((1u32 << (hi - lo)) - 1) << (lo - 16 * h)) as u16;
            parts[h][np[h]] = (m, b as isize - t0 as isize + 16 * h as isize);
            np[h] += 1;
        }
    }
    (parts, np)
}

/// Output-row segments (source offset in a group's padded plane, length, panel position) of
/// output columns j0..j0+wd (at most 8: the caller ensures 6 * out_w >= wd).
pub(super) fn panel_segs(g: &ConvGeom, wrow: usize, j0: usize, wd: usize) -> ([(usize, usize, usize); 8], usize) {
    let mut segs = [(0usize, 0usize, 0usize); 8];
    let mut ns = 0;
    let (mut oh, mut ow) = (j0 / g.out_w, j0 % g.out_w);
    let mut t = 0;
    while t < wd {
        let len = (g.out_w - ow).min(wd - t);
        segs[ns] = (oh * g.s_h * wrow + ow, len, t);
        ns += 1;
        t += len;
        ow = 0;
        oh += 1;
    }
    (segs, ns)
}

/// [`pack_panel`] for nr = 32 fused with the first 8-row tile of the product: while B row r
/// (im2col row r of output columns j0..j0+wd) is copied into `col`, it is also multiplied by
/// column r of the packed A micro-panel `ap[..8 * kb]`, and the 8 x wd result is stored to
/// y[i * ldc + t] (overwritten). Rows kg..kb of B are ones (the bias column of A).
///
/// # Safety
/// AVX-512F available; `col` holds kb * 32 floats, `ap` 8 * kb, `y` (7 * ldc + wd) floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn pack_panel_first_tile_avx512(
    g: &ConvGeom,
    xg: &[f32],
    offs: &[usize],
    omax: usize,
    wrow: usize,
    j0: usize,
    wd: usize,
    kb: usize,
    col: &mut [f32],
    ap: &[f32],
    y: &mut [f32],
    ldc: usize,
) {
    use core::arch::x86_64::*;
    let kg = offs.len();
    let (segs, ns) = panel_segs(g, wrow, j0, wd);
    let segs = &segs[..ns];
    assert!(
        wd >= 1
            && wd <= 32
            && kb >= kg
            && col.len() >= kb * 32
            && ap.len() >= 8 * kb
            && y.len() >= 7 * ldc + wd
            && segs.iter().all(|&(b, len, _)| omax + b + len <= xg.len())
    );
    let (parts, np) = seg_parts(segs);
    let (src, dst, a) = (xg.as_ptr(), col.as_mut_ptr(), ap.as_ptr());
    let mut acc = [[_mm512_setzero_ps(); 2]; 8];
    if ns == 1 && wd == 32 {
        // one contiguous 32-float run per row: plain loads
        let s0 = src.add(segs[0].0);
        for (r, &o) in offs.iter().enumerate() {
            let (b0, b1) = (_mm512_loadu_ps(s0.add(o)), _mm512_loadu_ps(s0.add(o + 16)));
            _mm512_storeu_ps(dst.add(r * 32), b0);
            _mm512_storeu_ps(dst.add(r * 32 + 16), b1);
            fma8(&mut acc, a.add(r * 8), b0, b1);
        }
    } else {
        for (r, &o) in offs.iter().enumerate() {
            let s = src.wrapping_add(o);
            let mut bv = [_mm512_setzero_ps(); 2];
            for h in 0..2 {
                for &(m, sh) in &parts[h][..np[h]] {
                    bv[h] = _mm512_mask_loadu_ps(bv[h], m, s.wrapping_offset(sh));
                }
                _mm512_storeu_ps(dst.add(r * 32 + 16 * h), bv[h]);
            }
            fma8(&mut acc, a.add(r * 8), bv[0], bv[1]);
        }
    }
    tile_finish(&mut acc, kg, kb, dst, a, y.as_mut_ptr(), ldc, wd);
}

/// One k-step of an 8 x 32 tile: acc[i] += a[i] * (b0, b1).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) unsafe fn fma8(
    acc: &mut [[core::arch::x86_64::__m512; 2]; 8],
    a: *const f32,
    b0: core::arch::x86_64::__m512,
    b1: core::arch::x86_64::__m512,
) {
    use core::arch::x86_64::*;
    for i in 0..8 {
        let av = _mm512_set1_ps(*a.add(i));
        acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
}

/// End of a fused first tile: B rows kg..kb are ones (the bias column of A), then the 8 x wd
/// tile is stored to y (row stride ldc, overwritten).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) unsafe fn tile_finish(
    acc: &mut [[core::arch::x86_64::__m512; 2]; 8],
    kg: usize,
    kb: usize,
    dst: *mut f32,
    a: *const f32,
    y: *mut f32,
    ldc: usize,
    wd: usize,
) {
    use core::arch::x86_64::*;
    let ones = _mm512_set1_ps(1.0);
    for r in kg..kb {
        _mm512_storeu_ps(dst.add(r * 32), ones);
        _mm512_storeu_ps(dst.add(r * 32 + 16), ones);
        fma8(acc, a.add(r * 8), ones, ones);
    }
    let m0 = ((1u32 << wd.min(16)) - 1) as __mmask16;
    let m1 = ((1u64 << wd.saturating_sub(16)) - 1) as __mmask16;
    for (i, row) in acc.iter().enumerate() {
        _mm512_mask_storeu_ps(y.add(i * ldc), m0, row[0]);
        _mm512_mask_storeu_ps(y.add(i * ldc + 16), m1, row[1]);
    }
}

/// [`im2col_panels`] of one 32-wide panel (block positions t0..t0+wd) fused with the first
/// 8-row tile of the product, like [`pack_panel_first_tile_avx512`]: `taps[tap]` = (delta, cs,
/// ce, lo, hi) from [`shift_geom`] for the block starting at j0 (with [cs, ce) clipped to x's
/// channel). Row r = (c, tap) of the panel is x[c][j0 + t + delta] at positions t in [cs, ce)
/// whose output column is in [lo, hi), else 0: one masked load per 16 lanes.
///
/// # Safety
/// AVX-512F available; `col` holds kb * 32 floats, `ap` 8 * kb, `y` (7 * ldc + wd) floats; the
/// taps are consistent with g and x (every unmasked lane is inside its channel).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn shift_panel_first_tile_avx512(
    g: &ConvGeom,
    x: &[f32],
    c0: usize,
    j0: usize,
    t0: usize,
    wd: usize,
    taps: &[(isize, usize, usize, usize, usize)],
    kb: usize,
    col: &mut [f32],
    ap: &[f32],
    y: &mut [f32],
    ldc: usize,
) {
    use core::arch::x86_64::*;
    let (ins, nt, kg) = (g.in_size(), taps.len(), g.cg() * taps.len());
    assert!(
        wd >= 1
            && wd <= 32
            && kb >= kg
            && col.len() >= kb * 32
            && ap.len() >= 8 * kb
            && y.len() >= 7 * ldc + wd
            && x.len() >= (c0 + g.cg()) * ins
            && nt <= 64
    );
    // per tap: source offset of panel lane 0, and the valid-lane masks of the two halves
    let mut toff = [0isize; 64];
    let mut tmask = [(0u16, 0u16); 64];
    // lanes 0..wd as a bit mask, and the lanes in [a, b) (block positions)
    let bits = |a: usize, b: usize| -> u32 {
        let (a, b) = (a.clamp(t0, t0 + wd) - t0, b.clamp(t0, t0 + wd) - t0);
        if a >= b {
            0
        } else {
            (((1u64 << (b - a)) - 1) << a) as u32
        }
    };
    // lanes whose output column is in [lo, hi): one pass over the panel per distinct (lo, hi)
    let ow0 = (j0 + t0) % g.out_w;
    let mut cols: [(usize, usize, u32); 64] = [(0, 0, 0); 64];
    let mut ncols = 0;
    for (q, &(delta, cs, ce, lo, hi)) in taps.iter().enumerate() {
        let cm = match cols[..ncols].iter().find(|c| c.0 == lo && c.1 == hi) {
            Some(c) => c.2,
            None => {
                let (mut m, mut ow) = (0u32, ow0);
                for t in 0..wd {
                    if ow >= lo && ow < hi {
                        m |= 1 << t;
                    }
                    ow += 1;
                    if ow == g.out_w {
                        ow = 0;
                    }
                }
                cols[ncols] = (lo, hi, m);
                ncols += 1;
                m
            }
        };
        let m = cm & bits(cs, ce);
        toff[q] = (j0 + t0) as isize + delta;
        tmask[q] = (m as u16, (m >> 16) as u16);
    }
    let mut tvec = [[_mm512_setzero_si512(); 2]; 64];
    let ones = _mm512_set1_epi32(-1);
    for q in 0..nt {
        tvec[q] = [_mm512_maskz_mov_epi32(tmask[q].0, ones), _mm512_maskz_mov_epi32(tmask[q].1, ones)];
    }
    let (dst, a) = (col.as_mut_ptr(), ap.as_ptr());
    let mut acc = [[_mm512_setzero_ps(); 2]; 8];
    let mut r = 0;
    // Masked loads are slow on some cores (Zen 5: several times a plain load), so rows whose 32
    // lanes lie inside x are loaded whole and the invalid lanes zeroed with the mask after.
    let xlen = x.len() as isize;
    for c in 0..g.cg() {
        let base = ((c0 + c) * ins) as isize;
        let xc = x.as_ptr().add((c0 + c) * ins);
        for q in 0..nt {
            let s = xc.wrapping_offset(toff[q]);
            let (m0, m1) = tmask[q];
            let inside = base + toff[q] >= 0 && base + toff[q] + 32 <= xlen;
            // the next panel's lines of this row (too many concurrent streams for the hardware
            // prefetchers: cg channels x k_h rows)
            _mm_prefetch::<_MM_HINT_T0>(s.wrapping_add(32) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(s.wrapping_add(48) as *const i8);
            let (b0, b1) = if inside {
                // an AND with the lane mask as a vector (a select would be folded back into a
                // masked load)
                let and = |v: __m512, m: __m512i| _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), m));
                (and(_mm512_loadu_ps(s), tvec[q][0]), and(_mm512_loadu_ps(s.add(16)), tvec[q][1]))
            } else {
                (_mm512_maskz_loadu_ps(m0, s), _mm512_maskz_loadu_ps(m1, s.wrapping_add(16)))
            };
            _mm512_storeu_ps(dst.add(r * 32), b0);
            _mm512_storeu_ps(dst.add(r * 32 + 16), b1);
            fma8(&mut acc, a.add(r * 8), b0, b1);
            r += 1;
        }
    }
    tile_finish(&mut acc, kg, kb, dst, a, y.as_mut_ptr(), ldc, wd);
}

crate::simd_fn! {
/// im2col of output columns j0..j0+wd (wd <= nr <= 64) into one packed-B panel (kb rows of nr;
/// columns past wd zero; row kg, the bias row, ones) from the padded planes `xg` of a group;
/// `offs[r]` is B row r's offset (see [`conv_panels`]). The caller ensures 6 * out_w >= nr.
/// (AVX-512 panels are written by [`pack_panel_first_tile_avx512`] instead.)
pub(super) fn pack_panel(g: &ConvGeom, xg: &[f32], offs: &[usize], wrow: usize, j0: usize, wd: usize, nr: usize, kb: usize,
              dst: &mut [f32]) {
    let kg = offs.len();
    let dst = &mut dst[..kb * nr];
    if kb > kg { dst[kg * nr..].fill(1.0); }
    let (segs, ns) = panel_segs(g, wrow, j0, wd);
    let segs = &segs[..ns];
    for (r, &o) in offs.iter().enumerate() {
        let d = &mut dst[r * nr..r * nr + nr];
        for &(b, len, t0) in segs {
            copy_run(&mut d[t0..t0 + len], &xg[o + b..o + b + len]);
        }
        if wd < nr { zero_run(&mut d[wd..]); }
    }
}
}
