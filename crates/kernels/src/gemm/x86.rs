//! x86_64 microkernels: AVX-512F and AVX2+FMA (selected at run time by the caller).

use super::{axpy_rows, dot_rows, pack_transpose_rest, store_tile, Args, Micro};
use core::arch::x86_64::*;

// ---------------------------------------------------------------------------------------
// AVX-512F: R x (16*NV) tile of zmm FMA accumulators, A broadcast from the packed panel.

pub(crate) struct Avx512;

const MR512: usize = 8;
const NV512: usize = 2;

#[target_feature(enable = "avx512f")]
unsafe fn k512<const R: usize, const NV: usize, const MRS: usize>(
    kc: usize,
    ap: *const f32,
    bp: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    nr: usize,
    accum: bool,
    bias: *const f32,
) {
    let mut acc = [[_mm512_setzero_ps(); NV]; R];
    #[inline(always)]
    unsafe fn step<const R: usize, const NV: usize>(acc: &mut [[__m512; NV]; R], a: *const f32, b: *const f32) {
        let mut bv = [_mm512_setzero_ps(); NV];
        for v in 0..NV {
            bv[v] = _mm512_loadu_ps(b.add(16 * v));
        }
        for i in 0..R {
            let av = _mm512_set1_ps(*a.add(i));
            for v in 0..NV {
                acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
            }
        }
    }
    let mut a = ap;
    let mut b = bp;
    let mut p = kc;
    let mut pref = false;
    while p >= 2 {
        if !pref && p <= 32 {
            prefetch_c512::<R, NV>(c, ldc);
            pref = true;
        }
        step::<R, NV>(&mut acc, a, b);
        step::<R, NV>(&mut acc, a.add(MRS), b.add(bs));
        a = a.add(2 * MRS);
        b = b.add(2 * bs);
        p -= 2;
    }
    if !pref {
        prefetch_c512::<R, NV>(c, ldc);
    }
    if p == 1 {
        step::<R, NV>(&mut acc, a, b);
    }
    store512::<R, NV>(&acc, c, ldc, nr, accum, bias);
}

/// Prefetches the R x 16*NV C tile into L1 (k512 / k512da call it when ~32 k-steps remain: C is
/// only touched after the k loop, and prefetching earlier lets the streamed A/B panels evict it).
#[inline(always)]
unsafe fn prefetch_c512<const R: usize, const NV: usize>(c: *mut f32, ldc: usize) {
    for i in 0..R {
        let cr = c.add(i * ldc) as *const i8;
        _mm_prefetch::<_MM_HINT_T0>(cr);
        _mm_prefetch::<_MM_HINT_T0>(cr.wrapping_add(4 * (16 * NV) - 4));
    }
}

/// Masked epilogue: C[i][0..nr] (+)= acc[i] (+ bias).
#[inline(always)]
unsafe fn store512<const R: usize, const NV: usize>(
    acc: &[[__m512; NV]; R],
    c: *mut f32,
    ldc: usize,
    nr: usize,
    accum: bool,
    bias: *const f32,
) {
    let mut masks = [0 as __mmask16; NV];
    for v in 0..NV {
        masks[v] = crate::simd::v512::first_lanes(nr.saturating_sub(16 * v));
    }
    let mut bvals = [_mm512_setzero_ps(); NV];
    if !bias.is_null() {
        for v in 0..NV {
            bvals[v] = _mm512_maskz_loadu_ps(masks[v], bias.wrapping_add(16 * v));
        }
    }
    for i in 0..R {
        let cr = c.add(i * ldc);
        for v in 0..NV {
            let cp = cr.wrapping_add(16 * v);
            let mut x = acc[i][v];
            if !bias.is_null() {
                x = _mm512_add_ps(x, bvals[v]);
            }
            if accum {
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(masks[v], cp));
            }
            _mm512_mask_storeu_ps(cp, masks[v], x);
        }
    }
}

/// Same as `k512` but A read in place: element (i, p) at `ap[i*ars + p]`.
#[target_feature(enable = "avx512f")]
unsafe fn k512da<const R: usize, const NV: usize>(
    kc: usize,
    ap: *const f32,
    ars: usize,
    bp: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    nr: usize,
    accum: bool,
    bias: *const f32,
) {
    let rows: [*const f32; R] = core::array::from_fn(|i| ap.add(i * ars));
    let mut acc = [[_mm512_setzero_ps(); NV]; R];
    #[inline(always)]
    unsafe fn step<const R: usize, const NV: usize>(
        acc: &mut [[__m512; NV]; R],
        rows: &[*const f32; R],
        p: usize,
        b: *const f32,
    ) {
        let mut bv = [_mm512_setzero_ps(); NV];
        for v in 0..NV {
            bv[v] = _mm512_loadu_ps(b.add(16 * v));
        }
        for i in 0..R {
            let av = _mm512_set1_ps(*rows[i].add(p));
            for v in 0..NV {
                acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
            }
        }
    }
    // two k-steps per iteration; the C tile is prefetched ~32 steps before the end (as k512)
    let mut b = bp;
    let mut p = 0;
    for end in [kc.saturating_sub(32), kc] {
        while p + 2 <= end {
            step::<R, NV>(&mut acc, &rows, p, b);
            step::<R, NV>(&mut acc, &rows, p + 1, b.add(bs));
            b = b.add(2 * bs);
            p += 2;
        }
        if end < kc {
            prefetch_c512::<R, NV>(c, ldc);
        }
    }
    if p < kc {
        step::<R, NV>(&mut acc, &rows, p, b);
    }
    store512::<R, NV>(&acc, c, ldc, nr, accum, bias);
}

impl Micro for Avx512 {
    const DIRECT_A: bool = true;
    #[inline(always)]
    unsafe fn run_da(
        mr: usize,
        kc: usize,
        ap: *const f32,
        ars: usize,
        bp: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        nr: usize,
        accum: bool,
        bias: *const f32,
    ) {
        if nr <= 16 {
            dispatch_mr!(k512da, mr, [1, 2, 3, 4, 5, 6, 7, 8], [, 1],
                (kc, ap, ars, bp, bs, c, ldc, nr, accum, bias))
        } else {
            dispatch_mr!(k512da, mr, [1, 2, 3, 4, 5, 6, 7, 8], [, NV512],
                (kc, ap, ars, bp, bs, c, ldc, nr, accum, bias))
        }
    }
    #[inline(always)]
    unsafe fn pack_t(kc: usize, w: usize, stride: usize, src: *const f32, lds: usize, dst: *mut f32) {
        pack_t_avx(kc, w, stride, src, lds, dst)
    }
    const MR: usize = MR512;
    const NR: usize = 16 * NV512;
    const KC: usize = 1024;
    const MC: usize = 120;
    const NC: usize = 2048;
    #[inline(always)]
    unsafe fn run(
        mr: usize,
        kc: usize,
        ap: *const f32,
        bp: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        nr: usize,
        accum: bool,
        bias: *const f32,
    ) {
        if nr <= 16 {
            // Narrow tail panel (or n <= 16): only the first zmm column of B is needed.
            dispatch_mr!(k512, mr, [1, 2, 3, 4, 5, 6, 7, 8], [, 1, MR512],
                (kc, ap, bp, bs, c, ldc, nr, accum, bias))
        } else {
            dispatch_mr!(k512, mr, [1, 2, 3, 4, 5, 6, 7, 8], [, NV512, MR512],
                (kc, ap, bp, bs, c, ldc, nr, accum, bias))
        }
    }
}

// ---------------------------------------------------------------------------------------
// AVX2 + FMA: R x 16 tile (2 ymm per row), up to 6 rows = 12 accumulators.

pub(crate) struct Avx2;

const MR256: usize = 6;
const NR256: usize = 16;

#[target_feature(enable = "avx2,fma")]
unsafe fn k256<const R: usize, const DA: bool>(
    kc: usize,
    ap: *const f32,
    ars: usize,
    bp: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    nr: usize,
    accum: bool,
    bias: *const f32,
) {
    for i in 0..R {
        let cr = c.add(i * ldc) as *const i8;
        _mm_prefetch::<_MM_HINT_T0>(cr);
        _mm_prefetch::<_MM_HINT_T0>(cr.wrapping_add(4 * NR256 - 4));
    }
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    #[inline(always)]
    unsafe fn step<const R: usize>(acc: &mut [[__m256; 2]; R], a: *const f32, b: *const f32) {
        let b0 = _mm256_loadu_ps(b);
        let b1 = _mm256_loadu_ps(b.add(8));
        for i in 0..R {
            let av = _mm256_broadcast_ss(&*a.add(i));
            acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
        }
    }
    if DA {
        // A read in place: element (i, p) at ap[i*ars + p].
        let rows: [*const f32; R] = core::array::from_fn(|i| ap.add(i * ars));
        let mut b = bp;
        for p in 0..kc {
            let b0 = _mm256_loadu_ps(b);
            let b1 = _mm256_loadu_ps(b.add(8));
            for i in 0..R {
                let av = _mm256_broadcast_ss(&*rows[i].add(p));
                acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
                acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
            }
            b = b.add(bs);
        }
    } else {
        let mut a = ap;
        let mut b = bp;
        let mut p = kc;
        while p >= 2 {
            step::<R>(&mut acc, a, b);
            step::<R>(&mut acc, a.add(MR256), b.add(bs));
            a = a.add(2 * MR256);
            b = b.add(2 * bs);
            p -= 2;
        }
        if p == 1 {
            step::<R>(&mut acc, a, b);
        }
    }
    if nr == NR256 {
        let (bv0, bv1) = if bias.is_null() {
            (_mm256_setzero_ps(), _mm256_setzero_ps())
        } else {
            (_mm256_loadu_ps(bias), _mm256_loadu_ps(bias.add(8)))
        };
        for i in 0..R {
            let cr = c.add(i * ldc);
            let mut x0 = acc[i][0];
            let mut x1 = acc[i][1];
            if !bias.is_null() {
                x0 = _mm256_add_ps(x0, bv0);
                x1 = _mm256_add_ps(x1, bv1);
            }
            if accum {
                x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
                x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr.add(8)));
            }
            _mm256_storeu_ps(cr, x0);
            _mm256_storeu_ps(cr.add(8), x1);
        }
    } else {
        let mut tile = [0.0f32; MR256 * NR256];
        for i in 0..R {
            _mm256_storeu_ps(tile.as_mut_ptr().add(i * NR256), acc[i][0]);
            _mm256_storeu_ps(tile.as_mut_ptr().add(i * NR256 + 8), acc[i][1]);
        }
        store_tile(tile.as_ptr(), NR256, R, nr, c, ldc, accum, bias);
    }
}

impl Micro for Avx2 {
    const DIRECT_A: bool = true;
    #[inline(always)]
    unsafe fn pack_t(kc: usize, w: usize, stride: usize, src: *const f32, lds: usize, dst: *mut f32) {
        pack_t_avx(kc, w, stride, src, lds, dst)
    }
    const MR: usize = MR256;
    const NR: usize = NR256;
    const KC: usize = 256;
    const MC: usize = 144;
    const NC: usize = 2048;
    #[inline(always)]
    unsafe fn run(
        mr: usize,
        kc: usize,
        ap: *const f32,
        bp: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        nr: usize,
        accum: bool,
        bias: *const f32,
    ) {
        dispatch_mr!(k256, mr, [1, 2, 3, 4, 5, 6], [, false],
            (kc, ap, 0, bp, bs, c, ldc, nr, accum, bias))
    }
    #[inline(always)]
    unsafe fn run_da(
        mr: usize,
        kc: usize,
        ap: *const f32,
        ars: usize,
        bp: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        nr: usize,
        accum: bool,
        bias: *const f32,
    ) {
        dispatch_mr!(k256, mr, [1, 2, 3, 4, 5, 6], [, true],
            (kc, ap, ars, bp, bs, c, ldc, nr, accum, bias))
    }
}

// ---------------------------------------------------------------------------------------
// Transposing pack with 8x8 AVX register transposes (shared by both x86 kernels).

#[target_feature(enable = "avx")]
unsafe fn pack_t_avx(kc: usize, w: usize, stride: usize, src: *const f32, lds: usize, dst: *mut f32) {
    let mut j = 0;
    while j + 8 <= w {
        let s = src.add(j * lds);
        let d = dst.add(j);
        let mut p = 0;
        while p + 8 <= kc {
            let r0 = _mm256_loadu_ps(s.add(p));
            let r1 = _mm256_loadu_ps(s.add(lds + p));
            let r2 = _mm256_loadu_ps(s.add(2 * lds + p));
            let r3 = _mm256_loadu_ps(s.add(3 * lds + p));
            let r4 = _mm256_loadu_ps(s.add(4 * lds + p));
            let r5 = _mm256_loadu_ps(s.add(5 * lds + p));
            let r6 = _mm256_loadu_ps(s.add(6 * lds + p));
            let r7 = _mm256_loadu_ps(s.add(7 * lds + p));
            let t0 = _mm256_unpacklo_ps(r0, r1);
            let t1 = _mm256_unpackhi_ps(r0, r1);
            let t2 = _mm256_unpacklo_ps(r2, r3);
            let t3 = _mm256_unpackhi_ps(r2, r3);
            let t4 = _mm256_unpacklo_ps(r4, r5);
            let t5 = _mm256_unpackhi_ps(r4, r5);
            let t6 = _mm256_unpacklo_ps(r6, r7);
            let t7 = _mm256_unpackhi_ps(r6, r7);
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            let dp = d.add(p * stride);
            _mm256_storeu_ps(dp, _mm256_permute2f128_ps::<0x20>(u0, u4));
            _mm256_storeu_ps(dp.add(stride), _mm256_permute2f128_ps::<0x20>(u1, u5));
            _mm256_storeu_ps(dp.add(2 * stride), _mm256_permute2f128_ps::<0x20>(u2, u6));
            _mm256_storeu_ps(dp.add(3 * stride), _mm256_permute2f128_ps::<0x20>(u3, u7));
            _mm256_storeu_ps(dp.add(4 * stride), _mm256_permute2f128_ps::<0x31>(u0, u4));
            _mm256_storeu_ps(dp.add(5 * stride), _mm256_permute2f128_ps::<0x31>(u1, u5));
            _mm256_storeu_ps(dp.add(6 * stride), _mm256_permute2f128_ps::<0x31>(u2, u6));
            _mm256_storeu_ps(dp.add(7 * stride), _mm256_permute2f128_ps::<0x31>(u3, u7));
            p += 8;
        }
        while p < kc {
            let dp = d.add(p * stride);
            for jj in 0..8 {
                *dp.add(jj) = *s.add(jj * lds + p);
            }
            p += 1;
        }
        j += 8;
    }
    // remaining columns (< 8) and the zero padding
    pack_transpose_rest(kc, j, w, stride, src, lds, dst);
}

#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn dot_avx512(x: &Args) {
    dot_rows(x)
}

#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn dot_avx2(x: &Args) {
    dot_rows(x)
}

#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn axpy_avx512(x: &Args) {
    axpy_rows(x)
}

#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn axpy_avx2(x: &Args) {
    axpy_rows(x)
}
