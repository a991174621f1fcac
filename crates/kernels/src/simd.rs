//! SIMD selection. Kernels are written as plain slice loops (plus branch-free math below) that
//! LLVM vectorises; this module compiles them per ISA: wasm32 gets simd128 (/relaxed-simd) from
//! the build's target features, x86_64 picks an AVX2+FMA twin at run time, else the scalar one.

/// Runs `$body` compiled with AVX2+FMA when the CPU has them (x86_64), else as baseline code.
#[macro_export]
macro_rules! simd_dispatch {
    ($body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if $crate::simd::has_avx2() {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R { f() }
                // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
                #[allow(unused_unsafe)]
                return unsafe { avx2(|| $body) };
            }
        }
        $body
    }};
}

/// True when the running x86_64 CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Name of the SIMD flavour in use, for diagnostics.
pub fn isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    { if has_avx2() { return "avx2"; } return "sse2"; }
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    { return "relaxed-simd"; }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(target_feature = "relaxed-simd")))]
    { return "simd128"; }
    #[allow(unreachable_code)]
    "scalar"
}

/// exp(x) in float32, branch-free so loops over it vectorise (Cephes-style, ~1 ulp).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let xc = x.clamp(-87.9, 88.7);
    // x = n ln2 + r
    let n = (xc * core::f32::consts::LOG2_E + 0.5).floor();
    let r = xc - n * 0.693_359_375 - n * -2.121_944_4e-4;
    let r2 = r * r;
    let p = ((((1.987_569_1e-4f32 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1) * r + 5.000_000_1e-1;
    let y = p * r2 + r + 1.0;
    let bits = ((n as i32 + 127) << 23) as u32;
    let v = y * f32::from_bits(bits);
    // restore the IEEE behaviour at the ends (inf, 0, NaN)
    if x > 88.72283 { f32::INFINITY } else if x < -103.97 { 0.0 } else if x.is_nan() { x } else { v }
}

/// 1 / (1 + exp(-x)), vectorisable.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    let e = exp(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 { s } else if x.is_nan() { x } else { e * s }
}

/// tanh(x) in float32, vectorisable: odd polynomial near 0, 1 - 2/(exp(2|x|)+1) elsewhere.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let small = ((((-5.704_988_7e-3f32 * z + 2.063_908_5e-2) * z - 5.373_971_4e-2) * z + 1.333_144_5e-1) * z
        - 3.333_328_2e-1) * z * x + x;
    let e = exp(2.0 * a.min(10.0));
    let big = 1.0 - 2.0 / (e + 1.0);
    let big = if x < 0.0 { -big } else { big };
    if a < 0.625 { small } else if x.is_nan() { x } else { big }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exp_sigmoid_tanh_are_accurate() {
        let mut x = -100.0f32;
        while x < 100.0 {
            let e = super::exp(x) as f64;
            let r = (x as f64).exp();
            if r > 1e-37 && r < 3e38 { assert!(((e - r) / r).abs() < 4e-7, "exp({x}) = {e} vs {r}"); }
            let s = super::sigmoid(x) as f64;
            let rs = 1.0 / (1.0 + (-(x as f64)).exp());
            if rs > 1e-37 { assert!(((s - rs) / rs).abs() < 5e-7, "sigmoid({x}) = {s} vs {rs}"); }
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
