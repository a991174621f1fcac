//! SIMD selection. Kernels are written as plain slice loops (plus branch-free math below) that
//! LLVM vectorises; this module compiles them per ISA: wasm32 gets simd128 (/relaxed-simd) from
//! the build's target features, x86_64 picks an AVX2+FMA twin at run time, else the scalar one.
//! `level()` is the one CPU-feature detection of the crate (with the test override `force_isa`):
//! GEMM's `best_kernel`, conv, pool and rnn all ask it.

/// Defines a kernel function compiled twice on x86_64, as an AVX2+FMA twin chosen at run time
/// and a baseline twin (wasm32 gets one copy built with the build's simd128 features). The body
/// sees the parameters as real function parameters, so LLVM keeps their no-alias facts and
/// vectorises (a closure-based dispatch loses them). Parameters must be plain identifiers.
#[macro_export]
macro_rules! simd_fn {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        #[inline(never)]
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn __simd_body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn __simd_avx2($($arg: $ty),*) $(-> $ret)? { __simd_body($($arg),*) }
                if $crate::simd::has_avx2() {
                    // SAFETY: the CPU has AVX2 and FMA (checked at run time).
                    return unsafe { __simd_avx2($($arg),*) };
                }
            }
            __simd_body($($arg),*)
        }
    };
}

/// The instruction-set level the kernels run with: one detection (`detected`) for every kernel
/// (`simd_fn!` twins, GEMM microkernels, conv, pool, rnn), capped by the test override
/// `force_isa` (`level`). Ordered: a level includes the ones below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// No runtime-selected SIMD (x86_64: the SSE2 baseline; wasm32: what the build enables).
    Scalar,
    /// x86_64 AVX2 + FMA.
    Avx2,
    /// x86_64 AVX-512F (with AVX2 + FMA).
    Avx512,
}

/// Forces the baseline twins of the row kernels (`simd_fn!`, the pool and rnn rows: `has_avx2`,
/// `has_avx512`), so tests can compare them with the SIMD ones while other tests run. It leaves
/// the GEMM microkernel (and so the panel layout of a conv in flight) alone: `force_isa` caps
/// everything, for tests that own the process (crates/kernels/tests/isa_paths.rs).
pub static FORCE_BASELINE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
/// 0: no cap; else 1 + the `Isa` the kernels are capped at.
static FORCED: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);

/// Caps the level every kernel uses (tests: run each ISA path); `None` lifts the cap. A level
/// above what the CPU has is capped at the CPU's.
pub fn force_isa(isa: Option<Isa>) {
    FORCED.store(isa.map_or(0, |i| i as u8 + 1), core::sync::atomic::Ordering::SeqCst);
}

/// What the CPU supports (detected once).
pub fn detected() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        use core::sync::atomic::{AtomicU8, Ordering};
        static DET: AtomicU8 = AtomicU8::new(0);
        let d = DET.load(Ordering::Relaxed);
        if d != 0 {
            return [Isa::Scalar, Isa::Avx2, Isa::Avx512][d as usize - 1];
        }
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        let isa = if avx2 && std::is_x86_feature_detected!("avx512f") {
            Isa::Avx512
        } else if avx2 {
            Isa::Avx2
        } else {
            Isa::Scalar
        };
        DET.store(isa as u8 + 1, Ordering::Relaxed);
        isa
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Isa::Scalar
    }
}

/// The level the kernels use now: the detected one, capped by `force_isa`.
#[inline]
pub fn level() -> Isa {
    use core::sync::atomic::Ordering;
    let d = detected();
    match FORCED.load(Ordering::Relaxed) {
        0 => d,
        f => d.min([Isa::Scalar, Isa::Avx2, Isa::Avx512][(f as usize - 1).min(2)]),
    }
}

/// True when the running x86_64 CPU has AVX2 and FMA (and the baseline is not forced).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    level() >= Isa::Avx2 && !FORCE_BASELINE.load(core::sync::atomic::Ordering::Relaxed)
}

/// True when the row kernels may use AVX-512F (x86_64, not capped below it, baseline not forced).
#[inline]
pub fn has_avx512() -> bool {
    level() >= Isa::Avx512 && !FORCE_BASELINE.load(core::sync::atomic::Ordering::Relaxed)
}

/// Name of the SIMD flavour in use, for diagnostics.
pub fn isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        return match level() {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Scalar => "sse2",
        };
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    {
        return "relaxed-simd";
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(target_feature = "relaxed-simd")))]
    {
        return "simd128";
    }
    #[allow(unreachable_code)]
    "scalar"
}

/// exp(x) in float32, branch-free so loops over it vectorise (Cephes-style, ~1 ulp).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let xc = x.clamp(-103.0, 88.72);
    // n = round(x / ln2) by the 1.5*2^23 trick (no floor: SSE2 has none, and it vectorises)
    const MAGIC: f32 = 12_582_912.0;
    let t = xc * core::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let ni = t.to_bits() as i32 - MAGIC.to_bits() as i32;
    let r = xc - n * 0.693_359_375 - n * -2.121_944_4e-4;
    let r2 = r * r;
    let p = ((((1.987_569_1e-4f32 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1)
        * r
        + 5.000_000_1e-1;
    let y = p * r2 + r + 1.0;
    // 2^n as two factors so the whole range [-149, 128] (subnormal results too) stays exact
    let h = ni >> 1;
    let v = y * f32::from_bits(((h + 127) << 23) as u32) * f32::from_bits(((ni - h + 127) << 23) as u32);
    // restore the IEEE behaviour at the ends (inf, 0, NaN)
    if x > 88.72283 {
        f32::INFINITY
    } else if x < -103.97 {
        0.0
    } else if x.is_nan() {
        x
    } else {
        v
    }
}

/// 1 / (1 + exp(-x)), vectorisable.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    let e = exp(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 {
        s
    } else if x.is_nan() {
        x
    } else {
        e * s
    }
}

/// tanh(x) in float32, vectorisable: odd polynomial near 0, 1 - 2/(exp(2|x|)+1) elsewhere.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let small = ((((-5.704_988_7e-3f32 * z + 2.063_908_5e-2) * z - 5.373_971_4e-2) * z + 1.333_144_5e-1) * z
        - 3.333_328_2e-1)
        * z
        * x
        + x;
    let e = exp(2.0 * a.min(10.0));
    let big = 1.0 - 2.0 / (e + 1.0);
    let big = if x < 0.0 { -big } else { big };
    if a < 0.625 {
        small
    } else if x.is_nan() {
        x
    } else {
        big
    }
}

/// AVX-512 twins of `exp` / `sigmoid` / `tanh` (same polynomials; 2^n by `scalef`, which
/// also gives the IEEE ends: exp(+big) = inf, exp(-big) = 0; NaN propagates through the clamps).
#[cfg(target_arch = "x86_64")]
pub(crate) mod v512 {
    use core::arch::x86_64::*;
    #[inline(always)]
    unsafe fn s(x: f32) -> __m512 {
        _mm512_set1_ps(x)
    }
    /// The mask of the first min(n, 16) lanes (a row's tail in masked loads and stores).
    #[inline(always)]
    pub fn first_lanes(n: usize) -> __mmask16 {
        if n >= 16 {
            0xffff
        } else {
            ((1u32 << n) - 1) as __mmask16
        }
    }
    #[inline(always)]
    pub unsafe fn exp(x: __m512) -> __m512 {
        // max/min return their second operand when either is NaN: keep x second
        let xc = _mm512_min_ps(s(89.0), _mm512_max_ps(s(-104.0), x));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(
            xc,
            s(core::f32::consts::LOG2_E),
        ));
        let r = _mm512_fnmadd_ps(n, s(0.693_359_375), xc);
        let r = _mm512_fnmadd_ps(n, s(-2.121_944_4e-4), r);
        let r2 = _mm512_mul_ps(r, r);
        let mut p = _mm512_fmadd_ps(s(1.987_569_1e-4), r, s(1.398_199_9e-3));
        p = _mm512_fmadd_ps(p, r, s(8.333_452e-3));
        p = _mm512_fmadd_ps(p, r, s(4.166_579_6e-2));
        p = _mm512_fmadd_ps(p, r, s(1.666_666_5e-1));
        p = _mm512_fmadd_ps(p, r, s(5.000_000_1e-1));
        let y = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), s(1.0));
        _mm512_scalef_ps(y, n)
    }
    #[inline(always)]
    pub unsafe fn sigmoid(x: __m512) -> __m512 {
        // 1 / (1 + e^-x): e^-x is accurate relative to itself, so both tails are too
        // (e^-x = inf gives 0; NaN stays NaN through exp)
        _mm512_div_ps(s(1.0), _mm512_add_ps(s(1.0), exp(_mm512_sub_ps(_mm512_setzero_ps(), x))))
    }
    #[inline(always)]
    pub unsafe fn tanh(x: __m512) -> __m512 {
        let a = _mm512_abs_ps(x);
        let z = _mm512_mul_ps(x, x);
        let mut p = _mm512_fmadd_ps(s(-5.704_988_7e-3), z, s(2.063_908_5e-2));
        p = _mm512_fmadd_ps(p, z, s(-5.373_971_4e-2));
        p = _mm512_fmadd_ps(p, z, s(1.333_144_5e-1));
        p = _mm512_fmadd_ps(p, z, s(-3.333_328_2e-1));
        let small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
        // 1 - 2 / (e^2x + 1): odd, saturates to -1 / 1 (e^2x = 0 / inf), NaN stays NaN
        let e = exp(_mm512_add_ps(x, x));
        let big = _mm512_fnmadd_ps(s(2.0), _mm512_div_ps(s(1.0), _mm512_add_ps(e, s(1.0))), s(1.0));
        let is_small = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, s(0.625));
        _mm512_mask_mov_ps(big, is_small, small)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exp_sigmoid_tanh_are_accurate() {
        let mut x = -100.0f32;
        while x < 100.0 {
            let e = super::exp(x) as f64;
            let r = (x as f64).exp();
            if r > 1e-37 && r < 3.4e38 {
                assert!(((e - r) / r).abs() < 4e-7, "exp({x}) = {e} vs {r}");
            }
            let s = super::sigmoid(x) as f64;
            let rs = 1.0 / (1.0 + (-(x as f64)).exp());
            if rs > 1e-37 {
                assert!(((s - rs) / rs).abs() < 5e-7, "sigmoid({x}) = {s} vs {rs}");
            }
            let t = super::tanh(x) as f64;
            let rt = (x as f64).tanh();
            assert!((t - rt).abs() <= 4e-7 * rt.abs().max(1e-30) + 1e-38, "tanh({x}) = {t} vs {rt}");
            x += 0.00731;
        }
        assert!(super::exp(f32::NAN).is_nan() && super::tanh(f32::NAN).is_nan() && super::sigmoid(f32::NAN).is_nan());
        assert_eq!(super::exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(super::exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(super::tanh(f32::INFINITY), 1.0);
        assert_eq!(super::tanh(-1e-30), -1e-30);
    }
}
