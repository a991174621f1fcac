//! The formulas of the activation and elementwise-math `Unary` ops (forward and gradient), one f32
//! function each, matching ts/backends/js-elementwise.ts. The training-path ones (GELU, SiLU,
//! hardswish, ELU, softplus, ...) are branch-free (selects, `simd::exp`/`tanh`, the `ln` and
//! `erf` below), so the loops of `elementwise::unary` vectorise; trigonometry calls std.
use crate::simd;

/// ln(x) in float32, branch-free (Cephes logf: frexp by bits, a degree-9 polynomial; ~1 ulp).
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    // subnormals: scale up by 2^23 first; every branch below is a select (so loops vectorise)
    let sub = x < f32::MIN_POSITIVE;
    let xs = if sub { x * 8_388_608.0 } else { x };
    let bits = xs.to_bits();
    let eb = ((bits >> 23) & 0xff) as i32;
    let m = f32::from_bits((bits & 0x807f_ffff) | 0x3f00_0000); // [0.5, 1)
    let small = m < core::f32::consts::FRAC_1_SQRT_2;
    let ef = (eb - 126) as f32 - if small { 1.0 } else { 0.0 } - if sub { 23.0 } else { 0.0 };
    let v = if small { m + m - 1.0 } else { m - 1.0 };
    let z = v * v;
    let p = ((((((((7.037_683_6e-2f32 * v - 1.151_461_1e-1) * v + 1.167_699_9e-1) * v - 1.242_014_1e-1) * v
        + 1.424_932_3e-1)
        * v
        - 1.666_805_8e-1)
        * v
        + 2.000_071_4e-1)
        * v
        - 2.499_999_4e-1)
        * v
        + 3.333_333_1e-1)
        * v
        * z;
    let y = p + -2.121_944_4e-4 * ef - 0.5 * z;
    let r = v + y + 0.693_359_375 * ef;
    let r = if x == f32::INFINITY { x } else { r };
    let r = if x == 0.0 { f32::NEG_INFINITY } else { r };
    if (x < 0.0) | x.is_nan() {
        f32::NAN
    } else {
        r
    }
}

/// ln(1 + x), accurate near 0 (the (u - 1) correction), branch-free.
#[inline(always)]
pub fn log1p(x: f32) -> f32 {
    let u = 1.0 + x;
    let d = u - 1.0;
    let r = ln(u) * (x / d);
    if d == 0.0 {
        x
    } else if u == f32::INFINITY {
        u
    } else {
        r
    }
}

/// erf(x) in float32: a rational approximation on [-4, 4] (odd/even polynomials, as Eigen's).
#[inline(always)]
pub fn erf(a: f32) -> f32 {
    let x = a.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10f32 + 2.770_681_4e-8;
    p = x2 * p + -2.101_024e-6;
    p = x2 * p + -5.692_506_4e-5;
    p = x2 * p + -7.349_906_3e-4;
    p = x2 * p + -2.954_600e-3;
    p = x2 * p + -1.609_603_3e-2;
    p *= x;
    let mut q = x2 * -1.456_607_2e-5f32 + -2.133_740_6e-4;
    q = x2 * q + -1.682_827e-3;
    q = x2 * q + -7.373_329_2e-3;
    q = x2 * q + -1.426_474e-2;
    // |x| >= 4: exactly +-1 (as float32 erf is there), so gelu(-inf) = -inf * 0 = NaN as PyTorch
    if a.is_nan() {
        a
    } else if x.abs() >= 4.0 {
        x.signum()
    } else {
        p / q
    }
}

/// erfinv(x): Giles' single-precision approximation and one Newton step on `erf`.
#[inline(always)]
pub fn erfinv(x: f32) -> f32 {
    let w = -ln((1.0 - x) * (1.0 + x));
    let a = w - 2.5;
    let mut p1 = 2.810_226_4e-8f32;
    for c in [
        3.432_739_4e-7f32,
        -3.523_387_7e-6,
        -4.391_506_5e-6,
        2.185_808_7e-4,
        -1.253_725e-3,
        -4.177_681_6e-3,
        2.466_407_3e-1,
        1.501_409_4,
    ] {
        p1 = c + p1 * a;
    }
    let b = w.sqrt() - 3.0;
    let mut p2 = -2.002_142_6e-4f32;
    for c in [
        1.009_505_6e-4f32,
        1.349_343_2e-3,
        -3.673_428_4e-3,
        5.739_507_7e-3,
        -7.622_461e-3,
        9.438_871e-3,
        1.001_674_1,
        2.832_976_8,
    ] {
        p2 = c + p2 * b;
    }
    let y = if w < 5.0 { p1 } else { p2 } * x;
    // one Newton step in f64 (the f32 erf is not accurate enough for it)
    let yd = y as f64;
    let d = 2.0 / core::f64::consts::PI.sqrt() * (-yd * yd).exp();
    let r = (yd - (erf64(yd) - x as f64) / d) as f32;
    let r = if d > 0.0 && r.is_finite() { r } else { y };
    if x == 1.0 {
        f32::INFINITY
    } else if x == -1.0 {
        f32::NEG_INFINITY
    } else if x.abs() <= 1.0 {
        r
    } else {
        f32::NAN
    }
}

/// erf in f64 (series near 0, continued fraction beyond), for erfinv's Newton step.
pub fn erf64(x: f64) -> f64 {
    let ax = x.abs();
    if ax < 2.5 {
        let x2 = x * x;
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x2 / n as f64;
            let t = term / (2 * n + 1) as f64;
            sum += t;
            if t.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        return sum * 2.0 / core::f64::consts::PI.sqrt();
    }
    if ax > 6.0 {
        return x.signum();
    }
    let mut f = ax;
    for k in (1..=80).rev() {
        f = ax + k as f64 / 2.0 / f;
    }
    let erfc = (-ax * ax).exp() / (core::f64::consts::PI.sqrt() * f);
    if x > 0.0 {
        1.0 - erfc
    } else {
        erfc - 1.0
    }
}

/// Round half to even (PyTorch's round), branch-free: the 1.5 * 2^23 trick below 2^23.
#[inline(always)]
pub fn round_even(x: f32) -> f32 {
    const M: f32 = 12_582_912.0;
    let r = (x + M) - M;
    if x.abs() < 8_388_608.0 {
        r
    } else {
        x
    }
}

const SQRT1_2: f32 = core::f32::consts::FRAC_1_SQRT_2;
const INV_SQRT_2PI: f32 = 0.398_942_28;
const K_BETA: f32 = 0.797_884_6; // sqrt(2 / pi)
const K_KAPPA: f32 = 0.044715;

#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * SQRT1_2))
}
#[inline(always)]
pub fn gelu_grad(g: f32, x: f32) -> f32 {
    g * (0.5 * (1.0 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * simd::exp(-0.5 * x * x))
}
#[inline(always)]
pub fn gelu_tanh(x: f32) -> f32 {
    0.5 * x * (1.0 + simd::tanh(K_BETA * (x + K_KAPPA * x * x * x)))
}
#[inline(always)]
pub fn gelu_tanh_grad(g: f32, x: f32) -> f32 {
    let x2 = x * x;
    let t = simd::tanh(K_BETA * (x + K_KAPPA * x2 * x));
    g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * K_BETA * (1.0 + 3.0 * K_KAPPA * x2))
}
#[inline(always)]
pub fn silu(x: f32) -> f32 {
    x * simd::sigmoid(x)
}
#[inline(always)]
pub fn silu_grad(g: f32, x: f32) -> f32 {
    let s = simd::sigmoid(x);
    g * s * (1.0 + x * (1.0 - s))
}
/// softplus with beta 1 and threshold 20 (mish's inner function).
#[inline(always)]
fn softplus1(x: f32) -> f32 {
    if x > 20.0 {
        x
    } else {
        log1p(simd::exp(x))
    }
}
#[inline(always)]
pub fn mish(x: f32) -> f32 {
    x * simd::tanh(softplus1(x))
}
#[inline(always)]
pub fn mish_grad(g: f32, x: f32) -> f32 {
    let t = simd::tanh(softplus1(x));
    g * (t + x * simd::sigmoid(x) * (1.0 - t * t))
}
#[inline(always)]
pub fn hardswish(x: f32) -> f32 {
    x * (x + 3.0).clamp(0.0, 6.0) / 6.0
}
#[inline(always)]
pub fn hardswish_grad(g: f32, x: f32) -> f32 {
    if x < -3.0 {
        0.0
    } else if x <= 3.0 {
        g * (x / 3.0 + 0.5)
    } else {
        g
    }
}
#[inline(always)]
pub fn hardsigmoid(x: f32) -> f32 {
    (x + 3.0).clamp(0.0, 6.0) / 6.0
}
#[inline(always)]
pub fn hardsigmoid_grad(g: f32, x: f32) -> f32 {
    if x > -3.0 && x < 3.0 {
        g / 6.0
    } else {
        0.0
    }
}
#[inline(always)]
pub fn softsign(x: f32) -> f32 {
    x / (1.0 + x.abs())
}
#[inline(always)]
pub fn softsign_grad(g: f32, x: f32) -> f32 {
    let d = 1.0 + x.abs();
    g / (d * d)
}
#[inline(always)]
pub fn logsigmoid(x: f32) -> f32 {
    x.min(0.0) - log1p(simd::exp(-x.abs()))
}
#[inline(always)]
pub fn logsigmoid_grad(g: f32, x: f32) -> f32 {
    let z = simd::exp(-x.abs());
    let s = z / (1.0 + z);
    if x < 0.0 {
        g * (1.0 - s)
    } else {
        g * s
    }
}
#[inline(always)]
pub fn tanhshrink(x: f32) -> f32 {
    x - simd::tanh(x)
}
#[inline(always)]
pub fn tanhshrink_grad(g: f32, x: f32) -> f32 {
    let t = simd::tanh(x);
    g * t * t
}
#[inline(always)]
pub fn leaky_relu(x: f32, s: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        x * s
    }
}
#[inline(always)]
pub fn leaky_relu_grad(g: f32, x: f32, s: f32) -> f32 {
    if x > 0.0 {
        g
    } else {
        g * s
    }
}
/// ELU family: scale * x above 0, scale * alpha * (exp(x * input_scale) - 1) below (SELU, CELU).
#[inline(always)]
pub fn elu(x: f32, alpha: f32, scale: f32, is: f32) -> f32 {
    let e = simd::exp(x * is) - 1.0;
    if x > 0.0 {
        scale * x
    } else {
        scale * alpha * e
    }
}
#[inline(always)]
pub fn elu_grad(g: f32, x: f32, alpha: f32, scale: f32, is: f32) -> f32 {
    let e = simd::exp(x * is);
    if x <= 0.0 {
        g * is * alpha * scale * e
    } else {
        g * scale
    }
}
#[inline(always)]
pub fn hardtanh(x: f32, lo: f32, hi: f32) -> f32 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}
#[inline(always)]
pub fn hardtanh_grad(g: f32, x: f32, lo: f32, hi: f32) -> f32 {
    if x <= lo || x >= hi {
        0.0
    } else {
        g
    }
}
#[inline(always)]
pub fn softplus(x: f32, beta: f32, th: f32) -> f32 {
    let y = log1p(simd::exp(x * beta)) / beta;
    if x * beta > th {
        x
    } else {
        y
    }
}
#[inline(always)]
pub fn softplus_grad(g: f32, x: f32, beta: f32, th: f32) -> f32 {
    let z = simd::exp(x * beta);
    if x * beta > th {
        g
    } else {
        g * z / (z + 1.0)
    }
}
#[inline(always)]
pub fn softshrink(x: f32, l: f32) -> f32 {
    if x > l {
        x - l
    } else if x < -l {
        x + l
    } else {
        0.0
    }
}
#[inline(always)]
pub fn shrink_grad(g: f32, x: f32, l: f32) -> f32 {
    if x >= -l && x <= l {
        0.0
    } else {
        g
    }
}
#[inline(always)]
pub fn hardshrink(x: f32, l: f32) -> f32 {
    if x >= -l && x <= l {
        0.0
    } else {
        x
    }
}
#[inline(always)]
pub fn threshold(x: f32, th: f32, v: f32) -> f32 {
    if x > th {
        x
    } else if x.is_nan() {
        x
    } else {
        v
    }
}
#[inline(always)]
pub fn threshold_grad(g: f32, x: f32, th: f32) -> f32 {
    if x <= th {
        0.0
    } else {
        g
    }
}
#[inline(always)]
pub fn nan_to_num(x: f32, nan: f32, pos: f32, neg: f32) -> f32 {
    if x.is_nan() {
        nan
    } else if x == f32::INFINITY {
        pos
    } else if x == f32::NEG_INFINITY {
        neg
    } else {
        x
    }
}
/// PyTorch 1.13: sign(NaN) = 0.
#[inline(always)]
pub fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ln_log1p_erf_erfinv_are_accurate() {
        let mut x = 1e-40f32;
        while x < 1e38 {
            let r = (x as f64).ln();
            assert!((ln(x) as f64 - r).abs() <= 2e-7 * r.abs().max(1.0), "ln({x}) = {} vs {r}", ln(x));
            x *= 1.37;
        }
        assert!(
            ln(0.0) == f32::NEG_INFINITY
                && ln(-1.0).is_nan()
                && ln(f32::NAN).is_nan()
                && ln(f32::INFINITY) == f32::INFINITY
        );
        let mut v = -0.999f32;
        while v < 10.0 {
            let r = (v as f64).ln_1p();
            assert!(
                (log1p(v) as f64 - r).abs() <= 3e-7 * r.abs().max(1e-30) + 1e-38,
                "log1p({v}) = {} vs {r}",
                log1p(v)
            );
            v += 0.00371;
        }
        let mut v = -6.0f32;
        while v < 6.0 {
            let r = erf64(v as f64);
            assert!((erf(v) as f64 - r).abs() < 5e-7, "erf({v}) = {} vs {r}", erf(v));
            v += 0.001_37;
        }
        let mut v = -0.9999f32;
        while v < 1.0 {
            let y = erfinv(v) as f64;
            assert!((erf64(y) - v as f64).abs() <= 3e-7 * (v as f64).abs().max(1e-3), "erfinv({v}) = {y}");
            v += 0.000_77;
        }
        assert_eq!(erfinv(1.0), f32::INFINITY);
        assert!(erfinv(1.5).is_nan() && erf(f32::NAN).is_nan());
        for (a, b) in [(0.5f32, 0.0f32), (1.5, 2.0), (2.5, 2.0), (-0.5, -0.0), (-2.5, -2.0), (3.7, 4.0), (1e9, 1e9)] {
            assert_eq!(round_even(a), b, "round({a})");
        }
    }
}

#[cfg(test)]
mod bench {
    /// `cargo test --release -- --ignored activation_speed --nocapture`: ns per element of the loops.
    #[test]
    #[ignore]
    fn activation_speed() {
        use crate::elementwise::{unary_p, Unary};
        let n = 1 << 22;
        let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % 2000) as f32 / 100.0 - 10.0).collect();
        let mut y = vec![0f32; n];
        for op in [Unary::Relu, Unary::Silu, Unary::Gelu, Unary::Softplus, Unary::Mish, Unary::Logsigmoid, Unary::Log1p]
        {
            let t = std::time::Instant::now();
            for _ in 0..5 {
                unary_p(op, op.default_params(), &x, &mut y);
            }
            println!("{op:?}: {:.3} ns/elem", t.elapsed().as_nanos() as f64 / (5 * n) as f64);
        }
        let t = std::time::Instant::now();
        for _ in 0..5 {
            for (o, &v) in y.iter_mut().zip(&x) {
                *o = super::ln(v.abs() + 1.0);
            }
        }
        println!("ln loop (baseline twin): {:.3} ns/elem", t.elapsed().as_nanos() as f64 / (5 * n) as f64);
    }
}
