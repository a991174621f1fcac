//! Single-precision GEMM: packed panels, cache blocking, register-tiled microkernels.
//!
//! * x86_64: runtime dispatch AVX-512F (8x32 tile, 16 zmm accumulators) -> AVX2+FMA (6x16)
//!   -> portable Rust (4x16, auto-vectorized).
//! * wasm32 + `simd128`: 4x8 f32x4 tile with mul+add (8 accumulators: V8 keeps 15 xmm
//!   allocatable and hoists all splat loads, so bigger tiles spill); with the `relaxed-simd`
//!   target feature, a 3x12 tile using `f32x4_relaxed_madd`.
//!
//! Loop nest (BLIS style): jc (NC cols) -> pc (KC depth) -> ic (MC rows, pack A) -> jr (NR-wide
//! B micro-panel) -> ir (MR-tall A micro-panel) -> microkernel. B micro-panels are packed on the
//! first row block just before use (4 at a time) and reused by later row blocks; when the
//! whole row range fits one MC block and B is not transposed, B is not packed at all and the
//! kernel reads it in place (stride ldb). Transposes are handled while packing (8x8 AVX
//! register transposes on x86). bias and beta are fused into the kernel's store. Packing
//! buffers live in a grow-only thread-local workspace (no allocation in steady state).
#![allow(clippy::too_many_arguments, clippy::needless_range_loop)]

/// Dispatch a runtime row count `mr` to a const-generic kernel instantiation.
#[allow(unused_macros)]
macro_rules! dispatch_mr {
    ($f:ident, $mr:expr, [$($r:literal),*], $g:tt, $args:tt) => {
        match $mr {
            $( $r => dispatch_mr!(@call $f, $r, $g, $args), )*
            _ => unreachable!(),
        }
    };
    (@call $f:ident, $r:literal, [$($g:tt)*], ($($a:expr),*)) => {
        $f::<$r $($g)*>($($a),*)
    };
}

mod scalar;
#[cfg(test)]
mod tests;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(target_arch = "x86_64")]
mod x86;

use core::cell::RefCell;

/// A register-tiled microkernel family plus its cache-blocking parameters.
///
/// `run` computes an `mr x NR` tile (`1 <= mr <= MR`) from a packed A micro-panel
/// (`kc` columns of `MR` floats) and a B micro-panel (`kc` rows of `NR` floats, or of
/// stride `bs`), writing the first `nr` columns (`1 <= nr <= NR`) of each row of C.
/// If `accum`, C is read and the product added; if `bias` is non-null, `bias[j]` is added.
pub(crate) trait Micro {
    const MR: usize;
    const NR: usize;
    const KC: usize;
    const MC: usize;
    const NC: usize;
    /// Number of B micro-panels packed together on the first row block.
    const PACK_GROUP: usize = 4;
    /// Whether the kernel may read a non-transposed B in place when m fits one MC block.
    const DIRECT_B: bool = true;
    /// Whether the kernel implements `run_da` (else callers pack A first).
    const DIRECT_A: bool = false;
    /// Like `run`, but A is read in place: element (i, p) at `ap[i*ars + p]`. Only called
    /// for kernels that implement it (`DIRECT_A`).
    #[inline(always)]
    unsafe fn run_da(
        _mr: usize,
        _kc: usize,
        _ap: *const f32,
        _ars: usize,
        _bp: *const f32,
        _bs: usize,
        _c: *mut f32,
        _ldc: usize,
        _nr: usize,
        _accum: bool,
        _bias: *const f32,
    ) {
        unreachable!()
    }
    #[allow(clippy::too_many_arguments)]
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
    );
    /// `dst[p*stride + j] = src[j*lds + p]` for p < kc, j < w; zero for w <= j < stride.
    /// Used to pack transposed B and non-transposed A; kernels may override with SIMD.
    #[inline(always)]
    unsafe fn pack_t(kc: usize, w: usize, stride: usize, src: *const f32, lds: usize, dst: *mut f32) {
        pack_transpose(kc, w, stride, src, lds, dst)
    }
}

/// Which microkernel implementation to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmKernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    WasmSimd,
}

/// The best kernel for this machine at the level `simd::level()` allows (the crate's one
/// detection, so `simd::force_isa` selects the GEMM path too).
pub fn best_kernel() -> GemmKernel {
    #[cfg(target_arch = "x86_64")]
    {
        match crate::simd::level() {
            crate::simd::Isa::Avx512 => GemmKernel::Avx512,
            crate::simd::Isa::Avx2 => GemmKernel::Avx2,
            crate::simd::Isa::Scalar => GemmKernel::Scalar,
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        GemmKernel::WasmSimd
    }
    #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
    {
        GemmKernel::Scalar
    }
}

/// Whether `kernel` can run on this machine.
pub fn kernel_available(kernel: GemmKernel) -> bool {
    match kernel {
        GemmKernel::Scalar => true,
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx2 => crate::simd::detected() >= crate::simd::Isa::Avx2,
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx512 => crate::simd::detected() >= crate::simd::Isa::Avx512,
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        GemmKernel::WasmSimd => true,
    }
}

/// C = beta*C + op(A) @ op(B) (+ bias[j] added to every row when Some). Row-major.
/// op(A) is m x k: A stored m x k (lda >= k) or, if trans_a, stored k x m (lda >= m).
/// op(B) is k x n: B stored k x n (ldb >= n) or, if trans_b, stored n x k (ldb >= k).
/// beta is 0.0 (C is overwritten, never read: may hold garbage/NaN) or 1.0 (accumulate);
/// any other beta scales C first.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    trans_a: bool,
    b: &[f32],
    ldb: usize,
    trans_b: bool,
    c: &mut [f32],
    ldc: usize,
    beta: f32,
    bias: Option<&[f32]>,
) {
    sgemm_region(best_kernel(), 0, m, 0, n, m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc, beta, bias)
}

/// Same as [`sgemm`], computing only rows `row_begin..row_end` of C (for splitting across
/// threads). Only those rows of C are read or written, so concurrent calls on disjoint row
/// ranges are independent and thread-safe. `c` is the FULL C slice (m x n, stride ldc).
#[allow(clippy::too_many_arguments)]
pub fn sgemm_rows(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    trans_a: bool,
    b: &[f32],
    ldb: usize,
    trans_b: bool,
    c: &mut [f32],
    ldc: usize,
    beta: f32,
    bias: Option<&[f32]>,
    row_begin: usize,
    row_end: usize,
) {
    sgemm_region(best_kernel(), row_begin, row_end, 0, n, m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc, beta, bias)
}

/// Same as [`sgemm`], computing only columns `col_begin..col_end` of C (all rows). Only those
/// columns of C are read or written. Prefer this split over [`sgemm_rows`] when m is small
/// (e.g. conv GEMMs with m = out_channels): each row split packs all of B again, while a
/// column split packs only its own columns of B.
#[allow(clippy::too_many_arguments)]
pub fn sgemm_cols(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    trans_a: bool,
    b: &[f32],
    ldb: usize,
    trans_b: bool,
    c: &mut [f32],
    ldc: usize,
    beta: f32,
    bias: Option<&[f32]>,
    col_begin: usize,
    col_end: usize,
) {
    sgemm_region(best_kernel(), 0, m, col_begin, col_end, m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc, beta, bias)
}

/// Fully general entry: explicit kernel, rows [r0, r1) and columns [c0, c1) of C.
/// Panics if the kernel is not available on this CPU or a slice is too short.
#[allow(clippy::too_many_arguments)]
pub fn sgemm_region(
    kernel: GemmKernel,
    r0: usize,
    r1: usize,
    c0: usize,
    c1: usize,
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    trans_a: bool,
    b: &[f32],
    ldb: usize,
    trans_b: bool,
    c: &mut [f32],
    ldc: usize,
    beta: f32,
    bias: Option<&[f32]>,
) {
    assert!(r0 <= r1 && r1 <= m, "sgemm: bad row range {r0}..{r1} for m={m}");
    assert!(c0 <= c1 && c1 <= n, "sgemm: bad col range {c0}..{c1} for n={n}");
    if m == 0 || n == 0 {
        return;
    }
    // C
    assert!(ldc >= n, "sgemm: ldc={ldc} < n={n}");
    assert!(c.len() >= (m - 1) * ldc + n, "sgemm: C too short");
    if let Some(bs) = bias {
        assert!(bs.len() >= n, "sgemm: bias too short");
    }
    if k > 0 {
        if trans_a {
            assert!(lda >= m, "sgemm: lda={lda} < m={m} (trans_a)");
            assert!(a.len() >= (k - 1) * lda + m, "sgemm: A too short");
        } else {
            assert!(lda >= k, "sgemm: lda={lda} < k={k}");
            assert!(a.len() >= (m - 1) * lda + k, "sgemm: A too short");
        }
        if trans_b {
            assert!(ldb >= k, "sgemm: ldb={ldb} < k={k} (trans_b)");
            assert!(b.len() >= (n - 1) * ldb + k, "sgemm: B too short");
        } else {
            assert!(ldb >= n, "sgemm: ldb={ldb} < n={n}");
            assert!(b.len() >= (k - 1) * ldb + n, "sgemm: B too short");
        }
    }
    assert!(kernel_available(kernel), "sgemm: kernel {kernel:?} not available");
    if r0 == r1 || c0 == c1 {
        return;
    }

    let mut beta = beta;
    if beta != 0.0 && beta != 1.0 {
        for i in r0..r1 {
            for v in &mut c[i * ldc + c0..i * ldc + c1] {
                *v *= beta;
            }
        }
        beta = 1.0;
    }
    if k == 0 {
        for i in r0..r1 {
            let row = &mut c[i * ldc + c0..i * ldc + c1];
            match (beta == 0.0, bias) {
                (true, None) => row.fill(0.0),
                (true, Some(bs)) => row.copy_from_slice(&bs[c0..c1]),
                (false, None) => {}
                (false, Some(bs)) => {
                    for (v, &x) in row.iter_mut().zip(&bs[c0..c1]) {
                        *v += x;
                    }
                }
            }
        }
        return;
    }

    let args = Args {
        r0,
        r1,
        c0,
        c1,
        k,
        a: a.as_ptr(),
        lda,
        ta: trans_a,
        b: b.as_ptr(),
        ldb,
        tb: trans_b,
        c: c.as_mut_ptr(),
        ldc,
        accum: beta != 0.0,
        bias: bias.map_or(core::ptr::null(), |x| x.as_ptr()),
        direct_a: false,
        pa_k: 0,
    };
    // SAFETY: all slice extents were checked above; the kernel is available.
    unsafe {
        // GEMV-like shapes with B transposed (e.g. batch-1 `x @ W^T`): packing would
        // transpose all of B for one or two rows, so use row-times-row dot products instead.
        if !trans_a && trans_b && (r1 - r0 <= 2 || c1 - c0 <= 2) {
            match kernel {
                #[cfg(target_arch = "x86_64")]
                GemmKernel::Avx512 => x86::dot_avx512(&args),
                #[cfg(target_arch = "x86_64")]
                GemmKernel::Avx2 => x86::dot_avx2(&args),
                _ => dot_rows(&args),
            }
            return;
        }
        // One or two rows with B not transposed (e.g. batch-1 `x @ W`): stream B rows once,
        // accumulating into the C row (axpy), instead of walking B panel by panel.
        if !trans_b && r1 - r0 <= 2 {
            match kernel {
                #[cfg(target_arch = "x86_64")]
                GemmKernel::Avx512 => x86::axpy_avx512(&args),
                #[cfg(target_arch = "x86_64")]
                GemmKernel::Avx2 => x86::axpy_avx2(&args),
                _ => axpy_rows(&args),
            }
            return;
        }
        match kernel {
            GemmKernel::Scalar => drive::<scalar::Scalar>(&args),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx2 => {
                if !trans_a && trans_b && r1 - r0 <= T_MAX_ROWS && k >= T_MIN_K {
                    drive_t::<x86::Avx2>(&args)
                } else {
                    drive::<x86::Avx2>(&args)
                }
            }
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx512 => {
                if !trans_a && trans_b && r1 - r0 <= T_MAX_ROWS && k >= T_MIN_K {
                    drive_t::<x86::Avx512>(&args)
                } else {
                    drive::<x86::Avx512>(&args)
                }
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            GemmKernel::WasmSimd => drive::<wasm::WasmSimd>(&args),
        }
    }
}

pub(crate) struct Args {
    r0: usize,
    r1: usize,
    c0: usize,
    c1: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    ta: bool,
    b: *const f32,
    ldb: usize,
    tb: bool,
    c: *mut f32,
    ldc: usize,
    accum: bool,
    bias: *const f32,
    /// Read op(A) = A (not transposed) in place, row stride lda (no A packing).
    direct_a: bool,
    /// When > 0, A is already packed by [`pack_a_panels`] over depth `pa_k` (>= k; only the
    /// first k columns are used) and row r0 is a multiple of MR: no A packing.
    pa_k: usize,
}

/// C[i][j] (+)= dot(A[i, :], Bs[j, :]) (+ bias[j]) for A not transposed, B transposed (both
/// operands contiguous along k). 16 independent lanes per dot product so the compiler
/// vectorizes it with whatever SIMD the calling function enables.
#[inline(always)]
pub(crate) unsafe fn dot_rows(x: &Args) {
    const L: usize = 16;
    let k = x.k;
    let kv = k / L * L;
    for i in x.r0..x.r1 {
        let ar = x.a.add(i * x.lda);
        let mut j = x.c0;
        while j < x.c1 {
            let nj = (x.c1 - j).min(4);
            let mut acc = [[0.0f32; L]; 4];
            let br: [*const f32; 4] = core::array::from_fn(|q| x.b.add((j + q.min(nj - 1)) * x.ldb));
            let mut p = 0;
            while p < kv {
                let av: [f32; L] = *(ar.add(p) as *const [f32; L]);
                for q in 0..4 {
                    let bv: [f32; L] = *(br[q].add(p) as *const [f32; L]);
                    for l in 0..L {
                        acc[q][l] += av[l] * bv[l];
                    }
                }
                p += L;
            }
            for q in 0..nj {
                let mut s = 0.0f32;
                for l in 0..L {
                    s += acc[q][l];
                }
                for pp in kv..k {
                    s += *ar.add(pp) * *br[q].add(pp);
                }
                if !x.bias.is_null() {
                    s += *x.bias.add(j + q);
                }
                let cp = x.c.add(i * x.ldc + j + q);
                *cp = if x.accum { *cp + s } else { s };
            }
            j += nj;
        }
    }
}

/// C[i, :] (+)= sum_p op(A)[i][p] * B[p, :] (+ bias) for B not transposed, in column chunks
/// that stay in L1, four B rows per pass over the chunk.
#[inline(always)]
pub(crate) unsafe fn axpy_rows(x: &Args) {
    const CH: usize = 2048;
    let k = x.k;
    for i in x.r0..x.r1 {
        let av = |p: usize| {
            if x.ta {
                *x.a.add(p * x.lda + i)
            } else {
                *x.a.add(i * x.lda + p)
            }
        };
        let mut j0 = x.c0;
        while j0 < x.c1 {
            let w = (x.c1 - j0).min(CH);
            let cr = core::slice::from_raw_parts_mut(x.c.add(i * x.ldc + j0), w);
            if !x.accum {
                cr.fill(0.0);
            }
            if !x.bias.is_null() {
                let bs = core::slice::from_raw_parts(x.bias.add(j0), w);
                for j in 0..w {
                    cr[j] += bs[j];
                }
            }
            let brow = |p: usize| core::slice::from_raw_parts(x.b.add(p * x.ldb + j0), w);
            let mut p = 0;
            while p + 4 <= k {
                let (a0, a1, a2, a3) = (av(p), av(p + 1), av(p + 2), av(p + 3));
                let (b0, b1, b2, b3) = (brow(p), brow(p + 1), brow(p + 2), brow(p + 3));
                for j in 0..w {
                    cr[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
                }
                p += 4;
            }
            while p < k {
                let (a0, b0) = (av(p), brow(p));
                for j in 0..w {
                    cr[j] += a0 * b0[j];
                }
                p += 1;
            }
            j0 += w;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Workspace

struct Workspace {
    buf: Vec<f32>,
    /// C^T scratch for the transposed formulation (see `drive_t`, x86 only).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    ct: Vec<f32>,
}

thread_local! {
    static WS: RefCell<Workspace> = const { RefCell::new(Workspace { buf: Vec::new(), ct: Vec::new() }) };
}

/// Returns a 64-byte-aligned pointer to at least `len` floats.
fn ws_reserve(ws: &mut Workspace, len: usize) -> *mut f32 {
    let need = len + 16;
    if ws.buf.len() < need {
        ws.buf = vec![0.0; need.next_power_of_two().max(1024)];
    }
    let p = ws.buf.as_mut_ptr();
    let off = p.align_offset(64);
    // SAFETY: off < 16 and buf has len + 16 floats.
    unsafe { p.add(off) }
}

/// Split `total` into ceil(total/max) nearly equal chunks, each a multiple of `q` (except
/// the last remainder) and at most `max`.
#[inline]
fn balanced(total: usize, max: usize, q: usize) -> usize {
    let nblk = total.div_ceil(max);
    let per = total.div_ceil(nblk);
    (per.div_ceil(q) * q).min(max.max(q))
}

// ---------------------------------------------------------------------------------------
// Driver

unsafe fn drive<K: Micro>(x: &Args) {
    WS.with(|ws| match ws.try_borrow_mut() {
        Ok(mut ws) => drive_ws::<K>(x, &mut ws),
        Err(_) => {
            let mut tmp = Workspace { buf: Vec::new(), ct: Vec::new() };
            drive_ws::<K>(x, &mut tmp)
        }
    })
}

/// B transposed, A not, few rows: instead of transposing all of B while packing, compute
/// C^T = B_stored (n x k, read in place as the broadcast operand) @ A^T (small: packed) into a
/// scratch buffer, then add its transpose into C (with bias / beta).
#[cfg(target_arch = "x86_64")]
unsafe fn drive_t<K: Micro>(x: &Args) {
    WS.with(|ws| match ws.try_borrow_mut() {
        Ok(mut ws) => drive_t_ws::<K>(x, &mut ws),
        Err(_) => {
            let mut tmp = Workspace { buf: Vec::new(), ct: Vec::new() };
            drive_t_ws::<K>(x, &mut tmp)
        }
    })
}

#[cfg(target_arch = "x86_64")]
unsafe fn drive_t_ws<K: Micro>(x: &Args, ws: &mut Workspace) {
    let mt = x.r1 - x.r0;
    let nt = x.c1 - x.c0;
    let ldt = mt;
    if ws.ct.len() < nt * ldt {
        ws.ct = vec![0.0; (nt * ldt).next_power_of_two()];
    }
    let ct = ws.ct.as_mut_ptr();
    let xt = Args {
        r0: 0,
        r1: nt,
        c0: 0,
        c1: mt,
        k: x.k,
        a: x.b.add(x.c0 * x.ldb),
        lda: x.ldb,
        ta: false,
        b: x.a.add(x.r0 * x.lda),
        ldb: x.lda,
        tb: true,
        c: ct,
        ldc: ldt,
        accum: false,
        bias: core::ptr::null(),
        direct_a: true,
        pa_k: 0,
    };
    drive_ws::<K>(&xt, ws);
    for i in 0..mt {
        let cr = x.c.add((x.r0 + i) * x.ldc + x.c0);
        let tc = ct.add(i);
        for j in 0..nt {
            let mut v = *tc.add(j * ldt);
            if !x.bias.is_null() {
                v += *x.bias.add(x.c0 + j);
            }
            if x.accum {
                v += *cr.add(j);
            }
            *cr.add(j) = v;
        }
    }
}

unsafe fn drive_ws<K: Micro>(x: &Args, ws: &mut Workspace) {
    let (mr_, nr_) = (K::MR, K::NR);
    let m = x.r1 - x.r0;
    let n = x.c1 - x.c0;
    let kc_max = balanced(x.k, K::KC, 1);
    let mc_max = balanced(m, K::MC, mr_);
    let nc_max = balanced(n, K::NC, nr_);
    let a_len = mc_max.div_ceil(mr_) * mr_ * kc_max;
    let b_len = nc_max.div_ceil(nr_) * nr_ * kc_max;
    let base = ws_reserve(ws, a_len + b_len + 16);
    let bbuf = base;
    let abuf = base.add((b_len + 15) & !15);

    // Small row range, B not transposed: the kernel reads B rows in place (stride ldb)
    // instead of packing, since a packed panel would be reused only by mc/MR tiles.
    let direct = K::DIRECT_B && !x.tb && m <= mc_max;
    let mut jc = x.c0;
    while jc < x.c1 {
        let nc = nc_max.min(x.c1 - jc);
        let mut pc = 0;
        while pc < x.k {
            let kc = kc_max.min(x.k - pc);
            let first = pc == 0;
            let accum = !first || x.accum;
            let bias = if first && !x.bias.is_null() { x.bias.add(jc) } else { core::ptr::null() };
            let mut ic = x.r0;
            while ic < x.r1 {
                let mc = mc_max.min(x.r1 - ic);
                if !x.direct_a && x.pa_k == 0 {
                    pack_a::<K>(mc, kc, x.a, x.lda, x.ta, ic, pc, abuf);
                }
                let mut jr = 0;
                while jr < nc {
                    let nr = nr_.min(nc - jr);
                    let (bp, bs) = if direct && nr == nr_ {
                        (x.b.add(pc * x.ldb + jc + jr), x.ldb)
                    } else {
                        (bbuf.add(jr * kc) as *const f32, nr_)
                    };
                    if direct {
                        if nr < nr_ {
                            pack_b::<K>(kc, nr, x.b, x.ldb, x.tb, pc, jc + jr, bbuf.add(jr * kc));
                        }
                    } else if ic == x.r0 && jr % (K::PACK_GROUP * nr_) == 0 {
                        // Pack B micro-panels just before their first use (a group at a time,
                        // so each source row is read in one contiguous run), so they are still
                        // in L1/L2 for the first row block (the only one when m <= MC).
                        let w = (K::PACK_GROUP * nr_).min(nc - jr);
                        pack_b::<K>(kc, w, x.b, x.ldb, x.tb, pc, jc + jr, bbuf.add(jr * kc));
                    }
                    let biasp = if bias.is_null() { bias } else { bias.add(jr) };
                    let mut ir = 0;
                    while ir < mc {
                        let mr = mr_.min(mc - ir);
                        let cp = x.c.add((ic + ir) * x.ldc + jc + jr);
                        if x.direct_a {
                            let ap = x.a.add((ic + ir) * x.lda + pc);
                            K::run_da(mr, kc, ap, x.lda, bp, bs, cp, x.ldc, nr, accum, biasp);
                        } else if x.pa_k > 0 {
                            // full-depth panels: the panel of row ic + ir (a multiple of MR)
                            let ap = x.a.add((ic + ir) * x.pa_k + pc * mr_);
                            K::run(mr, kc, ap, bp, bs, cp, x.ldc, nr, accum, biasp);
                        } else {
                            let ap = abuf.add(ir * kc);
                            K::run(mr, kc, ap, bp, bs, cp, x.ldc, nr, accum, biasp);
                        }
                        ir += mr_;
                    }
                    jr += nr_;
                }
                ic += mc;
            }
            pc += kc;
        }
        jc += nc;
    }
}

/// Pack op(B)[p0..p0+kc, j0..j0+nc] into NR-wide micro-panels (kc rows of NR, zero-padded).
#[inline(always)]
unsafe fn pack_b<K: Micro>(
    kc: usize,
    nc: usize,
    b: *const f32,
    ldb: usize,
    tb: bool,
    p0: usize,
    j0: usize,
    dst: *mut f32,
) {
    let nr_ = K::NR;
    if !tb {
        // Row by row over all panels: each source row segment is read contiguously.
        let full = nc / nr_;
        let rem = nc - full * nr_;
        let panel = kc * nr_;
        for p in 0..kc {
            let src = b.add((p0 + p) * ldb + j0);
            let d = dst.add(p * nr_);
            for q in 0..full {
                core::ptr::copy_nonoverlapping(src.add(q * nr_), d.add(q * panel), nr_);
            }
            if rem > 0 {
                let dr = d.add(full * panel);
                core::ptr::copy_nonoverlapping(src.add(full * nr_), dr, rem);
                core::ptr::write_bytes(dr.add(rem), 0, nr_ - rem);
            }
        }
        return;
    }
    let mut jp = 0;
    while jp < nc {
        let w = nr_.min(nc - jp);
        let d = dst.add(jp * kc);
        {
            // B stored n x k: op(B)[p][j] = b[j*ldb + p]
            let src = b.add((j0 + jp) * ldb + p0);
            K::pack_t(kc, w, nr_, src, ldb, d);
        }
        jp += nr_;
    }
}

/// dst[p*stride + j] = src[j*lds + p] for p < kc, j < w; zero for w <= j < stride.
#[inline(always)]
unsafe fn pack_transpose(kc: usize, w: usize, stride: usize, src: *const f32, lds: usize, dst: *mut f32) {
    // Process 4 source rows at a time: 4 streams read sequentially, writes strided.
    let mut j = 0;
    while j + 4 <= w {
        let s0 = src.add(j * lds);
        let s1 = s0.add(lds);
        let s2 = s1.add(lds);
        let s3 = s2.add(lds);
        let mut d = dst.add(j);
        for p in 0..kc {
            *d = *s0.add(p);
            *d.add(1) = *s1.add(p);
            *d.add(2) = *s2.add(p);
            *d.add(3) = *s3.add(p);
            d = d.add(stride);
        }
        j += 4;
    }
    pack_transpose_rest(kc, j, w, stride, src, lds, dst);
}

/// The tail of a transposing pack: columns j0..w one at a time, then the zero padding of
/// columns w..stride (same layout as [`pack_transpose`]).
#[inline(always)]
pub(crate) unsafe fn pack_transpose_rest(
    kc: usize,
    j0: usize,
    w: usize,
    stride: usize,
    src: *const f32,
    lds: usize,
    dst: *mut f32,
) {
    for j in j0..w {
        let s = src.add(j * lds);
        let mut d = dst.add(j);
        for p in 0..kc {
            *d = *s.add(p);
            d = d.add(stride);
        }
    }
    if w < stride {
        for p in 0..kc {
            core::ptr::write_bytes(dst.add(p * stride + w), 0, stride - w);
        }
    }
}

/// Pack op(A)[i0..i0+mc, p0..p0+kc] into MR-tall micro-panels (kc columns of MR floats).
/// Rows past the end of a partial panel are left unwritten (the kernel never reads them).
#[inline(always)]
unsafe fn pack_a<K: Micro>(
    mc: usize,
    kc: usize,
    a: *const f32,
    lda: usize,
    ta: bool,
    i0: usize,
    p0: usize,
    dst: *mut f32,
) {
    let mr_ = K::MR;
    let mut ip = 0;
    while ip < mc {
        let h = mr_.min(mc - ip);
        let d = dst.add(ip * kc);
        if ta {
            // A stored k x m: op(A)[i][p] = a[p*lda + i]
            let mut src = a.add(p0 * lda + i0 + ip);
            for p in 0..kc {
                core::ptr::copy_nonoverlapping(src, d.add(p * mr_), h);
                src = src.add(lda);
            }
        } else {
            let src = a.add((i0 + ip) * lda + p0);
            K::pack_t(kc, h, mr_, src, lda, d);
        }
        ip += mr_;
    }
}

/// Shared epilogue for kernels that compute a full MR x NR tile into a local buffer:
/// C[i][j] (+)= tile[i*NR + j] (+ bias[j]) for i < mr, j < nr.
#[inline(always)]
pub(crate) unsafe fn store_tile(
    tile: *const f32,
    ntile: usize,
    mr: usize,
    nr: usize,
    c: *mut f32,
    ldc: usize,
    accum: bool,
    bias: *const f32,
) {
    for i in 0..mr {
        let t = tile.add(i * ntile);
        let cr = c.add(i * ldc);
        for j in 0..nr {
            let mut v = *t.add(j);
            if !bias.is_null() {
                v += *bias.add(j);
            }
            if accum {
                v += *cr.add(j);
            }
            *cr.add(j) = v;
        }
    }
}

/// Row count / depth limits for the transposed formulation (`drive_t`).
#[cfg(target_arch = "x86_64")]
const T_MAX_ROWS: usize = 168;
#[cfg(target_arch = "x86_64")]
const T_MIN_K: usize = 64;

// ---------------------------------------------------------------------------------------
// Pre-packed operands (implicit GEMM for convolutions): callers pack A once (e.g. conv
// weights) and write B directly in the kernel's panel layout (e.g. im2col), so no
// intermediate matrix is materialised and nothing is packed twice.

/// `(MR, NR)` of the best kernel: the panel heights/widths [`pack_a_panels`],
/// [`pack_b_panels`] and [`sgemm_packed`] use.
pub fn panel_dims() -> (usize, usize) {
    match best_kernel() {
        GemmKernel::Scalar => (<scalar::Scalar as Micro>::MR, <scalar::Scalar as Micro>::NR),
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx2 => (<x86::Avx2 as Micro>::MR, <x86::Avx2 as Micro>::NR),
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx512 => (<x86::Avx512 as Micro>::MR, <x86::Avx512 as Micro>::NR),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        GemmKernel::WasmSimd => (<wasm::WasmSimd as Micro>::MR, <wasm::WasmSimd as Micro>::NR),
    }
}

/// The depth (KC) of the slices [`sgemm_packed`] walks B in: a B block's slice of this many rows
/// is what must stay in cache, whatever its full depth.
pub fn panel_depth() -> usize {
    match best_kernel() {
        GemmKernel::Scalar => <scalar::Scalar as Micro>::KC,
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx2 => <x86::Avx2 as Micro>::KC,
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx512 => <x86::Avx512 as Micro>::KC,
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        GemmKernel::WasmSimd => <wasm::WasmSimd as Micro>::KC,
    }
}

/// Floats needed by [`pack_a_panels`] for an m x k op(A).
pub fn packed_a_len(m: usize, k: usize) -> usize {
    let (mr, _) = panel_dims();
    m.div_ceil(mr) * mr * k
}

/// Floats needed by [`pack_b_panels`] for a k x n op(B).
pub fn packed_b_len(k: usize, n: usize) -> usize {
    let (_, nr) = panel_dims();
    n.div_ceil(nr) * nr * k
}

/// Packs op(A) (m x k; stored k x m with stride lda if `trans_a`, else m x k) into MR-row
/// panels over the full depth: element (i, p) goes to `dst[(i/MR)*MR*k + p*MR + i%MR]`;
/// rows past m of the last panel are zero.
pub fn pack_a_panels(m: usize, k: usize, a: &[f32], lda: usize, trans_a: bool, dst: &mut [f32]) {
    let (mr, _) = panel_dims();
    assert!(dst.len() >= m.div_ceil(mr) * mr * k, "pack_a_panels: dst too short");
    if m == 0 || k == 0 {
        return;
    }
    if trans_a {
        assert!(lda >= m && a.len() >= (k - 1) * lda + m, "pack_a_panels: A too short");
    } else {
        assert!(lda >= k && a.len() >= (m - 1) * lda + k, "pack_a_panels: A too short");
    }
    if m % mr != 0 {
        dst[(m / mr) * mr * k..m.div_ceil(mr) * mr * k].fill(0.0);
    }
    // SAFETY: extents checked above.
    unsafe {
        match best_kernel() {
            GemmKernel::Scalar => pack_a::<scalar::Scalar>(m, k, a.as_ptr(), lda, trans_a, 0, 0, dst.as_mut_ptr()),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx2 => pack_a::<x86::Avx2>(m, k, a.as_ptr(), lda, trans_a, 0, 0, dst.as_mut_ptr()),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx512 => pack_a::<x86::Avx512>(m, k, a.as_ptr(), lda, trans_a, 0, 0, dst.as_mut_ptr()),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            GemmKernel::WasmSimd => pack_a::<wasm::WasmSimd>(m, k, a.as_ptr(), lda, trans_a, 0, 0, dst.as_mut_ptr()),
        }
    }
}

/// Packs op(B) (k x n; stored n x k with stride ldb if `trans_b`, else k x n) into NR-column
/// panels over the full depth: element (p, j) goes to `dst[(j/NR)*NR*k + p*NR + j%NR]`;
/// columns past n of the last panel are zero.
pub fn pack_b_panels(k: usize, n: usize, b: &[f32], ldb: usize, trans_b: bool, dst: &mut [f32]) {
    let (_, nr) = panel_dims();
    assert!(dst.len() >= n.div_ceil(nr) * nr * k, "pack_b_panels: dst too short");
    if n == 0 || k == 0 {
        return;
    }
    if trans_b {
        assert!(ldb >= k && b.len() >= (n - 1) * ldb + k, "pack_b_panels: B too short");
    } else {
        assert!(ldb >= n && b.len() >= (k - 1) * ldb + n, "pack_b_panels: B too short");
    }
    // SAFETY: extents checked above.
    unsafe {
        match best_kernel() {
            GemmKernel::Scalar => pack_b::<scalar::Scalar>(k, n, b.as_ptr(), ldb, trans_b, 0, 0, dst.as_mut_ptr()),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx2 => pack_b::<x86::Avx2>(k, n, b.as_ptr(), ldb, trans_b, 0, 0, dst.as_mut_ptr()),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx512 => pack_b::<x86::Avx512>(k, n, b.as_ptr(), ldb, trans_b, 0, 0, dst.as_mut_ptr()),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            GemmKernel::WasmSimd => pack_b::<wasm::WasmSimd>(k, n, b.as_ptr(), ldb, trans_b, 0, 0, dst.as_mut_ptr()),
        }
    }
}

/// Bytes of B's depth slice below which [`sgemm_packed`] walks A panels outermost.
const PACKED_B_L2_BYTES: usize = 512 * 1024;

/// Rows [r0, r1) of C (m x n, stride ldc) = beta*C + A @ op(B), with A pre-packed by
/// [`pack_a_panels`] over depth `ak` >= k (only its first k columns are used: a packing with an
/// extra bias column serves a GEMM without it). r0 must be a multiple of MR ([`panel_dims`]);
/// beta is 0 (C only written) or 1. Concurrent calls on disjoint MR-aligned row ranges are
/// independent.
pub fn sgemm_apacked(
    m: usize,
    n: usize,
    k: usize,
    ap: &[f32],
    ak: usize,
    b: &[f32],
    ldb: usize,
    trans_b: bool,
    c: &mut [f32],
    ldc: usize,
    beta: f32,
    r0: usize,
    r1: usize,
) {
    let (mr, _) = panel_dims();
    assert!(r0 <= r1 && r1 <= m && r0 % mr == 0, "sgemm_apacked: bad row range {r0}..{r1} for m={m}");
    assert!(beta == 0.0 || beta == 1.0, "sgemm_apacked: beta must be 0 or 1");
    if m == 0 || n == 0 || r0 == r1 {
        return;
    }
    assert!(ak >= k && ak > 0 && ap.len() >= m.div_ceil(mr) * mr * ak, "sgemm_apacked: A too short");
    assert!(ldc >= n && c.len() >= (m - 1) * ldc + n, "sgemm_apacked: C too short");
    if k == 0 {
        if beta == 0.0 {
            for i in r0..r1 {
                c[i * ldc..i * ldc + n].fill(0.0);
            }
        }
        return;
    }
    if trans_b {
        assert!(ldb >= k && b.len() >= (n - 1) * ldb + k, "sgemm_apacked: B too short");
    } else {
        assert!(ldb >= n && b.len() >= (k - 1) * ldb + n, "sgemm_apacked: B too short");
    }
    let args = Args {
        r0,
        r1,
        c0: 0,
        c1: n,
        k,
        a: ap.as_ptr(),
        lda: 0,
        ta: false,
        b: b.as_ptr(),
        ldb,
        tb: trans_b,
        c: c.as_mut_ptr(),
        ldc,
        accum: beta != 0.0,
        bias: core::ptr::null(),
        direct_a: false,
        pa_k: ak,
    };
    // SAFETY: extents checked above; the best kernel is available by construction, and its MR is
    // the packing's (panel_dims).
    unsafe {
        match best_kernel() {
            GemmKernel::Scalar => drive::<scalar::Scalar>(&args),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx2 => drive::<x86::Avx2>(&args),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx512 => drive::<x86::Avx512>(&args),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            GemmKernel::WasmSimd => drive::<wasm::WasmSimd>(&args),
        }
    }
}

/// C (m x n, stride ldc) = [C +] A @ B with A packed by [`pack_a_panels`] (m x k) and B in
/// the [`pack_b_panels`] layout (k x n). If `accum` is false C is only written.
pub fn sgemm_packed(m: usize, n: usize, k: usize, ap: &[f32], bp: &[f32], c: &mut [f32], ldc: usize, accum: bool) {
    if m == 0 || n == 0 {
        return;
    }
    let (mr, nr) = panel_dims();
    assert!(ap.len() >= m.div_ceil(mr) * mr * k, "sgemm_packed: A too short");
    assert!(bp.len() >= n.div_ceil(nr) * nr * k, "sgemm_packed: B too short");
    assert!(ldc >= n && c.len() >= (m - 1) * ldc + n, "sgemm_packed: C too short");
    if k == 0 {
        if !accum {
            for i in 0..m {
                c[i * ldc..i * ldc + n].fill(0.0);
            }
        }
        return;
    }
    // SAFETY: extents checked above; the best kernel is available by construction.
    unsafe {
        let (a, b, cp) = (ap.as_ptr(), bp.as_ptr(), c.as_mut_ptr());
        match best_kernel() {
            GemmKernel::Scalar => drive_packed::<scalar::Scalar>(m, n, k, a, b, cp, ldc, accum),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx2 => drive_packed::<x86::Avx2>(m, n, k, a, b, cp, ldc, accum),
            #[cfg(target_arch = "x86_64")]
            GemmKernel::Avx512 => drive_packed::<x86::Avx512>(m, n, k, a, b, cp, ldc, accum),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            GemmKernel::WasmSimd => drive_packed::<wasm::WasmSimd>(m, n, k, a, b, cp, ldc, accum),
        }
    }
}

#[inline(always)]
unsafe fn drive_packed<K: Micro>(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    accum: bool,
) {
    drive_packed_rows::<K>(m, n, k, K::MR, a, b, c, ldc, accum)
}

/// [`drive_packed`] with `h` (<= MR) rows of C per A panel: panel i holds rows i*h .. i*h + h
/// in its first h lanes (49 rows as 7 panels of 7, not 6 of 8 and one of 1).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn drive_packed_rows<K: Micro>(
    m: usize,
    n: usize,
    k: usize,
    h: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    accum: bool,
) {
    let (mr_, nr_) = (K::MR, K::NR);
    let h = h.clamp(1, mr_);
    let kc_max = balanced(k, K::KC, 1);
    // When the depth slice of all of B fits L2, each A micro-panel slice (L1-sized) meets every B
    // panel in turn: A is read once (a deep, narrow conv GEMM: 512 x 4608 weights, 49 columns).
    // Otherwise each B panel (L1) meets every A panel, as BLIS's jr/ir order.
    let a_outer = n.div_ceil(nr_) * nr_ * kc_max * 4 <= PACKED_B_L2_BYTES && m > h;
    let mut pc = 0;
    while pc < k {
        let kc = kc_max.min(k - pc);
        let acc = accum || pc > 0;
        let tile = |i: usize, jr: usize| {
            let (mr, nr) = (h.min(m - i * h), nr_.min(n - jr));
            let (ap, bp) = (a.add(i * mr_ * k + pc * mr_), b.add(jr * k + pc * nr_));
            K::run(mr, kc, ap, bp, nr_, c.add(i * h * ldc + jr), ldc, nr, acc, core::ptr::null());
        };
        let (np, mp) = (n.div_ceil(nr_), m.div_ceil(h));
        if a_outer {
            for i in 0..mp {
                for j in 0..np {
                    tile(i, j * nr_);
                }
            }
        } else {
            for j in 0..np {
                for i in 0..mp {
                    tile(i, j * nr_);
                }
            }
        }
        pc += kc;
    }
}

/// Raw-pointer form of [`sgemm_packed`] for callers that split C across threads by columns
/// (disjoint column ranges of the same rows), where building `&mut` slices would alias.
///
/// # Safety
/// `ap` holds m x k packed by [`pack_a_panels`], `bp` a k x n' packing by [`pack_b_panels`]
/// offset to an NR-aligned first column (n columns are used), `c` is valid for
/// `(m - 1) * ldc + n` floats, and no other thread touches C's columns [0, n) of those rows.
pub unsafe fn sgemm_packed_raw(
    m: usize,
    n: usize,
    k: usize,
    ap: *const f32,
    bp: *const f32,
    c: *mut f32,
    ldc: usize,
    accum: bool,
) {
    sgemm_packed_raw_rows(m, n, k, panel_dims().0, ap, bp, c, ldc, accum)
}

/// [`sgemm_packed_raw`] with `h` rows of C per A panel (1 <= h <= MR): A panel i holds rows
/// i*h .. min(i*h + h, m) in its first lanes (the others are not read into C), so m rows that
/// are not a multiple of MR can be spread evenly over the panels (49 = 7 x 7 on AVX-512's
/// 8-row tiles: no tile computes padding rows).
///
/// # Safety
/// As [`sgemm_packed_raw`], with `ap` holding m.div_ceil(h) MR-row panels of depth k.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm_packed_raw_rows(
    m: usize,
    n: usize,
    k: usize,
    h: usize,
    ap: *const f32,
    bp: *const f32,
    c: *mut f32,
    ldc: usize,
    accum: bool,
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    match best_kernel() {
        GemmKernel::Scalar => drive_packed_rows::<scalar::Scalar>(m, n, k, h, ap, bp, c, ldc, accum),
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx2 => drive_packed_rows::<x86::Avx2>(m, n, k, h, ap, bp, c, ldc, accum),
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx512 => drive_packed_rows::<x86::Avx512>(m, n, k, h, ap, bp, c, ldc, accum),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        GemmKernel::WasmSimd => drive_packed_rows::<wasm::WasmSimd>(m, n, k, h, ap, bp, c, ldc, accum),
    }
}

/// C (m x n, stride ldc) [+]= A @ B with A read in place (m x k, row-major, rows `lda` apart)
/// and B packed by [`pack_b_panels`] over depth `bk` >= k (its first k rows are used; the first
/// column NR-aligned). Kernels that read A rows directly (x86) skip packing A; the others pack it
/// into a scratch buffer first. If `accum` is false C is only written (zeros when k = 0).
///
/// # Safety
/// `a` is valid for `(m - 1) * lda + k` floats, `bp` for n.div_ceil(NR) panels of NR x bk,
/// `c` for `(m - 1) * ldc + n`, and no other thread touches C's columns [0, n) of those rows.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm_bpacked_raw(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    bp: *const f32,
    bk: usize,
    c: *mut f32,
    ldc: usize,
    accum: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accum {
            for i in 0..m {
                core::ptr::write_bytes(c.add(i * ldc), 0, n);
            }
        }
        return;
    }
    match best_kernel() {
        GemmKernel::Scalar => drive_bpacked::<scalar::Scalar>(m, n, k, a, lda, bp, bk, c, ldc, accum),
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx2 => drive_bpacked::<x86::Avx2>(m, n, k, a, lda, bp, bk, c, ldc, accum),
        #[cfg(target_arch = "x86_64")]
        GemmKernel::Avx512 => drive_bpacked::<x86::Avx512>(m, n, k, a, lda, bp, bk, c, ldc, accum),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        GemmKernel::WasmSimd => drive_bpacked::<wasm::WasmSimd>(m, n, k, a, lda, bp, bk, c, ldc, accum),
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn drive_bpacked<K: Micro>(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    bk: usize,
    c: *mut f32,
    ldc: usize,
    accum: bool,
) {
    let (mr_, nr_) = (K::MR, K::NR);
    if !K::DIRECT_A {
        let mut tmp = Vec::new();
        WS.with(|ws| {
            let mut guard = ws.try_borrow_mut();
            let buf = match guard.as_deref_mut() {
                Ok(ws) => &mut ws.buf,
                Err(_) => &mut tmp,
            };
            let len = m.div_ceil(mr_) * mr_ * k;
            if buf.len() < len {
                *buf = vec![0.0; len.next_power_of_two()];
            }
            pack_a::<K>(m, k, a, lda, false, 0, 0, buf.as_mut_ptr());
            let ap = buf.as_ptr();
            if bk == k {
                drive_packed_rows::<K>(m, n, k, mr_, ap, b, c, ldc, accum);
            } else {
                let mut j = 0;
                while j < n {
                    drive_packed_rows::<K>(m, nr_.min(n - j), k, mr_, ap, b.add(j * bk), c.add(j), ldc, accum);
                    j += nr_;
                }
            }
        });
        return;
    }
    let kc_max = balanced(k, K::KC, 1);
    let mut pc = 0;
    while pc < k {
        let kc = kc_max.min(k - pc);
        let acc = accum || pc > 0;
        let mut j = 0;
        while j < n {
            let (nr, bpj) = (nr_.min(n - j), b.add(j * bk + pc * nr_));
            let mut i = 0;
            while i < m {
                let ap = a.add(i * lda + pc);
                K::run_da(mr_.min(m - i), kc, ap, lda, bpj, nr_, c.add(i * ldc + j), ldc, nr, acc, core::ptr::null());
                i += mr_;
            }
            j += nr_;
        }
        pc += kc;
    }
}
