//! Elementwise kernels: fill, strided copy, cast, unary (+grad), broadcast binary, scalar, where.
//! float32 paths are SIMD (see `simd`); int64-as-int32 storage goes through the generic `Elem` path.
use crate::{activation as act, simd, simd_fn, Elem};

crate::abi_enum! {
    /// Unary float32 ops (`unary`, `unary_grad`); TypeScript `UnaryKernelOp` (a subset of
    /// `UnaryOp`). A new variant needs its arm in `unary`, `unary_grad` and `grad_reads` (the
    /// compiler asks for each), see CONTRIBUTING.md.
    pub enum Unary: "UnaryKernelOp" {
        Neg = "neg", Exp = "exp", Log = "log", Sqrt = "sqrt", Relu = "relu", Sigmoid = "sigmoid",
        Tanh = "tanh", Abs = "abs", Square = "square", Recip = "recip", Rsqrt = "rsqrt",
        // elementwise math and activations (formulas in activation.rs; parameters in `p`)
        Sign = "sign", Floor = "floor", Ceil = "ceil", Round = "round", Trunc = "trunc", Frac = "frac",
        Sin = "sin", Cos = "cos", Tan = "tan", Asin = "asin", Acos = "acos", Atan = "atan", Sinh = "sinh",
        Cosh = "cosh", Erf = "erf", Erfinv = "erfinv", Expm1 = "expm1", Log1p = "log1p", Log2 = "log2",
        Log10 = "log10", Exp2 = "exp2", NanToNum = "nanToNum", Gelu = "gelu", GeluTanh = "geluTanh",
        Silu = "silu", Mish = "mish", Hardswish = "hardswish", Hardsigmoid = "hardsigmoid",
        Softsign = "softsign", Logsigmoid = "logsigmoid", Tanhshrink = "tanhshrink",
        LeakyRelu = "leakyRelu", Elu = "elu", Hardtanh = "hardtanh", Softplus = "softplus",
        Softshrink = "softshrink", Hardshrink = "hardshrink", Threshold = "threshold",
    }
}

/// Which saved tensor a unary op's gradient reads: its input x, its output y, or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    X,
    Y,
    None,
}

crate::abi_enum! {
    /// Binary ops (`binary`, `scalar`); TypeScript `BinaryKernelOp`. `Rsub` (s - x) and `Rdiv`
    /// (s / x) exist only as scalar ops.
    pub enum Binary: "BinaryKernelOp" {
        Add = "add", Sub = "sub", Mul = "mul", Div = "div", Pow = "pow", Maximum = "maximum",
        Minimum = "minimum", Gt = "gt", Lt = "lt", Eq = "eq", Rsub = "rsub", Rdiv = "rdiv",
        Ne = "ne", Le = "le", Ge = "ge",
        Atan2 = "atan2", Remainder = "remainder", Fmod = "fmod", Hypot = "hypot",
    }
}

/// `$name(op, a, b)`: one binary op on `$t` (`$pow` computes a^b; NaN wins max/min as PyTorch).
macro_rules! binary_fn {
    ($name:ident, $t:ty, |$pa:ident, $pb:ident| $pow:expr) => {
        #[inline(always)]
        fn $name(op: Binary, a: $t, b: $t) -> $t {
            match op {
                Binary::Add => a + b,
                Binary::Sub => a - b,
                Binary::Mul => a * b,
                Binary::Div => a / b,
                Binary::Pow => {
                    let ($pa, $pb) = (a, b);
                    $pow
                }
                Binary::Maximum => {
                    if a.is_nan() || b.is_nan() {
                        <$t>::NAN
                    } else if a > b {
                        a
                    } else {
                        b
                    }
                }
                Binary::Minimum => {
                    if a.is_nan() || b.is_nan() {
                        <$t>::NAN
                    } else if a < b {
                        a
                    } else {
                        b
                    }
                }
                Binary::Gt => {
                    if a > b {
                        1.0
                    } else {
                        0.0
                    }
                }
                Binary::Lt => {
                    if a < b {
                        1.0
                    } else {
                        0.0
                    }
                }
                Binary::Eq => {
                    if a == b {
                        1.0
                    } else {
                        0.0
                    }
                }
                Binary::Ne => {
                    if a != b {
                        1.0
                    } else {
                        0.0
                    }
                }
                Binary::Le => {
                    if a <= b {
                        1.0
                    } else {
                        0.0
                    }
                }
                Binary::Ge => {
                    if a >= b {
                        1.0
                    } else {
                        0.0
                    }
                }
                Binary::Rsub => b - a,
                Binary::Rdiv => b / a,
                Binary::Atan2 => a.atan2(b),
                // Python's modulo (the sign of b), from the exact fmod
                Binary::Remainder => {
                    let m = a % b;
                    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
                        m + b
                    } else {
                        m
                    }
                }
                Binary::Fmod => a % b,
                Binary::Hypot => a.hypot(b),
            }
        }
    };
}
// float32 pow is computed in f64 and rounded once
binary_fn!(bin32, f32, |a, b| (a as f64).powf(b as f64) as f32);
binary_fn!(bin64, f64, |a, b| a.powf(b));

/// out[..] = value (converted like a typed-array store).
#[inline(never)]
pub fn fill<T: Elem>(out: &mut [T], value: f64) {
    let v = T::from_f64(value);
    out.fill(v);
}

/// out (contiguous, shape.product() elements) = x viewed with `shape`/`strides` (elements,
/// may be negative or 0) from the start of `x`. Works on raw 32-bit words, so on any dtype.
#[inline(never)]
pub fn copy_strided(x: &[u32], x_off: usize, shape: &[usize], strides: &[isize], out: &mut [u32]) {
    let nd = shape.len();
    if nd == 0 {
        out[0] = x[x_off];
        return;
    }
    let n: usize = shape.iter().product();
    if n == 0 {
        return;
    }
    let out = &mut out[..n];
    let last = nd - 1;
    let (ln, ls) = (shape[last], strides[last]);
    let mut idx = vec![0usize; nd];
    let mut base = x_off as isize;
    let mut o = 0;
    while o < n {
        if ls == 1 {
            let b = base as usize;
            out[o..o + ln].copy_from_slice(&x[b..b + ln]);
        } else {
            let mut p = base;
            for v in &mut out[o..o + ln] {
                *v = x[p as usize];
                p += ls;
            }
        }
        o += ln;
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            base += strides[d];
            if idx[d] < shape[d] {
                break;
            }
            base -= strides[d] * shape[d] as isize;
            idx[d] = 0;
        }
    }
}

/// Copy with conversion (float -> int truncates toward zero, like the js backend's Math.trunc).
#[inline(never)]
/// out = x (same length), split across the pool's threads for large copies (a read-back of a
/// big tensor is memory-bound: two cores move it faster than one).
pub fn copy_par(x: &[f32], out: &mut [f32]) {
    assert_eq!(x.len(), out.len(), "copy_par: lengths differ");
    let n = x.len();
    let parts = crate::par::threads().min(n / (1 << 18)).max(1);
    if parts <= 1 {
        out.copy_from_slice(x);
        return;
    }
    let op = crate::linalg::SendPtr(out.as_mut_ptr());
    crate::par::run(parts, &|i, _| {
        let (a, b) = crate::par::split(n, parts, 16, i);
        // SAFETY: task i writes only out[a..b] (disjoint ranges inside out).
        let o = unsafe { core::slice::from_raw_parts_mut(op.get().add(a), b - a) };
        o.copy_from_slice(&x[a..b]);
    });
}

pub fn cast<S: Elem, D: Elem>(x: &[S], out: &mut [D]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = D::from_f64(v.to_f64());
    }
}

/// out = op(x) with the op's PyTorch default parameters (see `Unary::default_params`).
pub fn unary(op: Unary, x: &[f32], out: &mut [f32]) {
    unary_p(op, op.default_params(), x, out)
}

simd_fn! {
    /// out = op(x) elementwise over out.len() elements; `p` = the parameters of LeakyRelu
    /// [slope], Elu [alpha, scale, input_scale], Hardtanh [min, max], Softplus [beta, threshold],
    /// Softshrink/Hardshrink [lambd], Threshold [threshold, value], NanToNum [nan, posinf, neginf].
    pub fn unary_p(op: Unary, p: [f32; 3], x: &[f32], out: &mut [f32]) {
    let n = out.len();
    let x = &x[..n];
    let [p0, p1, p2] = p;
    macro_rules! map { ($f:expr) => { for (o, &v) in out.iter_mut().zip(x) { *o = $f(v); } } }
    match op {
        Unary::Neg => map!(|v: f32| -v),
        Unary::Exp => map!(simd::exp),
        Unary::Log => map!(|v: f32| v.ln()),
        Unary::Sqrt => map!(|v: f32| v.sqrt()),
        Unary::Rsqrt => map!(|v: f32| 1.0 / v.sqrt()),
        Unary::Relu => map!(|v: f32| if v > 0.0 || v.is_nan() { v } else { 0.0 }),
        Unary::Sigmoid => map!(simd::sigmoid),
        Unary::Tanh => map!(simd::tanh),
        Unary::Abs => map!(|v: f32| v.abs()),
        Unary::Square => map!(|v: f32| v * v),
        Unary::Recip => map!(|v: f32| 1.0 / v),
        Unary::Sign => map!(act::sign),
        Unary::Floor => map!(|v: f32| v.floor()),
        Unary::Ceil => map!(|v: f32| v.ceil()),
        Unary::Round => map!(act::round_even),
        Unary::Trunc => map!(|v: f32| v.trunc()),
        Unary::Frac => map!(|v: f32| v - v.trunc()),
        Unary::Sin => map!(|v: f32| v.sin()),
        Unary::Cos => map!(|v: f32| v.cos()),
        Unary::Tan => map!(|v: f32| v.tan()),
        Unary::Asin => map!(|v: f32| v.asin()),
        Unary::Acos => map!(|v: f32| v.acos()),
        Unary::Atan => map!(|v: f32| v.atan()),
        Unary::Sinh => map!(|v: f32| v.sinh()),
        Unary::Cosh => map!(|v: f32| v.cosh()),
        Unary::Erf => map!(act::erf),
        Unary::Erfinv => map!(act::erfinv),
        Unary::Expm1 => map!(|v: f32| v.exp_m1()),
        Unary::Log1p => map!(|v: f32| v.ln_1p()),
        Unary::Log2 => map!(|v: f32| v.log2()),
        Unary::Log10 => map!(|v: f32| v.log10()),
        Unary::Exp2 => map!(|v: f32| v.exp2()),
        Unary::NanToNum => map!(|v: f32| act::nan_to_num(v, p0, p1, p2)),
        Unary::Gelu => map!(act::gelu),
        Unary::GeluTanh => map!(act::gelu_tanh),
        Unary::Silu => map!(act::silu),
        Unary::Mish => map!(act::mish),
        Unary::Hardswish => map!(act::hardswish),
        Unary::Hardsigmoid => map!(act::hardsigmoid),
        Unary::Softsign => map!(act::softsign),
        Unary::Logsigmoid => map!(act::logsigmoid),
        Unary::Tanhshrink => map!(act::tanhshrink),
        Unary::LeakyRelu => map!(|v: f32| act::leaky_relu(v, p0)),
        Unary::Elu => map!(|v: f32| act::elu(v, p0, p1, p2)),
        Unary::Hardtanh => map!(|v: f32| act::hardtanh(v, p0, p1)),
        Unary::Softplus => map!(|v: f32| act::softplus(v, p0, p1)),
        Unary::Softshrink => map!(|v: f32| act::softshrink(v, p0)),
        Unary::Hardshrink => map!(|v: f32| act::hardshrink(v, p0)),
        Unary::Threshold => map!(|v: f32| act::threshold(v, p0, p1)),
    }
}
}

impl Unary {
    /// What `unary_grad` reads for this op (`with_x!` arms read X, `with_y!` arms read Y); the
    /// `unary_grad_reads_only_what_it_declares` test checks the two agree.
    pub fn grad_reads(self) -> Reads {
        use Unary::*;
        match self {
            Neg | Sign | Floor | Ceil | Round | Trunc | Frac => Reads::None,
            Log | Relu | Abs | Square => Reads::X,
            Sin | Cos | Asin | Acos | Atan | Sinh | Cosh | Erf | Log1p | Log2 | Log10 | NanToNum => Reads::X,
            Gelu | GeluTanh | Silu | Mish | Hardswish | Hardsigmoid | Softsign | Logsigmoid | Tanhshrink => Reads::X,
            LeakyRelu | Elu | Hardtanh | Softplus | Softshrink | Hardshrink | Threshold => Reads::X,
            Exp | Sqrt | Rsqrt | Sigmoid | Tanh | Recip | Tan | Erfinv | Expm1 | Exp2 => Reads::Y,
        }
    }
    /// PyTorch's defaults for the parameterised ops (what `unary`/`unary_grad` use).
    pub fn default_params(self) -> [f32; 3] {
        use Unary::*;
        match self {
            LeakyRelu => [0.01, 0.0, 0.0],
            Elu => [1.0, 1.0, 1.0],
            Hardtanh => [-1.0, 1.0, 0.0],
            Softplus => [1.0, 20.0, 0.0],
            Softshrink | Hardshrink => [0.5, 0.0, 0.0],
            NanToNum => [0.0, f32::MAX, f32::MIN],
            _ => [0.0; 3],
        }
    }
}

/// gx with the op's PyTorch default parameters (see `Unary::default_params`).
pub fn unary_grad(op: Unary, x: &[f32], y: &[f32], gy: &[f32], gx: &mut [f32]) {
    unary_grad_p(op, op.default_params(), x, y, gy, gx)
}

simd_fn! {
    /// gx = gy * d op(x)/dx, from the op's input `x` or output `y` (whichever the op needs; the
    /// other may be empty).
    pub fn unary_grad_p(op: Unary, p: [f32; 3], x: &[f32], y: &[f32], gy: &[f32], gx: &mut [f32]) {
    let n = gx.len();
    let gy = &gy[..n];
    let [p0, p1, p2] = p;
    macro_rules! with_x { ($f:expr) => { for ((o, &g), &a) in gx.iter_mut().zip(gy).zip(&x[..n]) { *o = $f(g, a); } } }
    macro_rules! with_y { ($f:expr) => { for ((o, &g), &r) in gx.iter_mut().zip(gy).zip(&y[..n]) { *o = $f(g, r); } } }
    match op {
        Unary::Neg => for (o, &g) in gx.iter_mut().zip(gy) { *o = -g; },
        Unary::Exp => with_y!(|g: f32, r: f32| g * r),
        Unary::Log => with_x!(|g: f32, a: f32| g / a),
        Unary::Sqrt => with_y!(|g: f32, r: f32| g / (2.0 * r)),
        Unary::Rsqrt => with_y!(|g: f32, r: f32| -0.5 * g * r * r * r),
        Unary::Relu => with_x!(|g: f32, a: f32| if a > 0.0 { g } else { 0.0 }),
        Unary::Sigmoid => with_y!(|g: f32, r: f32| g * r * (1.0 - r)),
        Unary::Tanh => with_y!(|g: f32, r: f32| g * (1.0 - r * r)),
        Unary::Abs => with_x!(|g: f32, a: f32| if a > 0.0 { g } else if a < 0.0 { -g } else { 0.0 }),
        Unary::Square => with_x!(|g: f32, a: f32| 2.0 * a * g),
        Unary::Recip => with_y!(|g: f32, r: f32| -g * r * r),
        Unary::Sign | Unary::Floor | Unary::Ceil | Unary::Round | Unary::Trunc => gx.fill(0.0),
        Unary::Frac => gx.copy_from_slice(gy),
        Unary::Sin => with_x!(|g: f32, a: f32| g * a.cos()),
        Unary::Cos => with_x!(|g: f32, a: f32| -g * a.sin()),
        Unary::Tan => with_y!(|g: f32, r: f32| g * (1.0 + r * r)),
        Unary::Asin => with_x!(|g: f32, a: f32| g / (1.0 - a * a).sqrt()),
        Unary::Acos => with_x!(|g: f32, a: f32| -g / (1.0 - a * a).sqrt()),
        Unary::Atan => with_x!(|g: f32, a: f32| g / (1.0 + a * a)),
        Unary::Sinh => with_x!(|g: f32, a: f32| g * a.cosh()),
        Unary::Cosh => with_x!(|g: f32, a: f32| g * a.sinh()),
        Unary::Erf => with_x!(|g: f32, a: f32| g * core::f32::consts::FRAC_2_SQRT_PI * simd::exp(-a * a)),
        Unary::Erfinv => with_y!(|g: f32, r: f32| g * (0.5 * core::f32::consts::PI.sqrt()) * simd::exp(r * r)),
        Unary::Expm1 => with_y!(|g: f32, r: f32| g * (r + 1.0)),
        Unary::Log1p => with_x!(|g: f32, a: f32| g / (1.0 + a)),
        Unary::Log2 => with_x!(|g: f32, a: f32| g / (a * core::f32::consts::LN_2)),
        Unary::Log10 => with_x!(|g: f32, a: f32| g / (a * core::f32::consts::LN_10)),
        Unary::Exp2 => with_y!(|g: f32, r: f32| g * r * core::f32::consts::LN_2),
        Unary::NanToNum => with_x!(|g: f32, a: f32| if a.is_finite() { g } else { 0.0 }),
        Unary::Gelu => with_x!(act::gelu_grad),
        Unary::GeluTanh => with_x!(act::gelu_tanh_grad),
        Unary::Silu => with_x!(act::silu_grad),
        Unary::Mish => with_x!(act::mish_grad),
        Unary::Hardswish => with_x!(act::hardswish_grad),
        Unary::Hardsigmoid => with_x!(act::hardsigmoid_grad),
        Unary::Softsign => with_x!(act::softsign_grad),
        Unary::Logsigmoid => with_x!(act::logsigmoid_grad),
        Unary::Tanhshrink => with_x!(act::tanhshrink_grad),
        Unary::LeakyRelu => with_x!(|g: f32, a: f32| act::leaky_relu_grad(g, a, p0)),
        Unary::Elu => with_x!(|g: f32, a: f32| act::elu_grad(g, a, p0, p1, p2)),
        Unary::Hardtanh => with_x!(|g: f32, a: f32| act::hardtanh_grad(g, a, p0, p1)),
        Unary::Softplus => with_x!(|g: f32, a: f32| act::softplus_grad(g, a, p0, p1)),
        Unary::Softshrink | Unary::Hardshrink => with_x!(|g: f32, a: f32| act::shrink_grad(g, a, p0)),
        Unary::Threshold => with_x!(|g: f32, a: f32| act::threshold_grad(g, a, p0)),
    }
}
}

simd_fn! {
    fn binary_row_f32(op: Binary, a: &[f32], sa: isize, b: &[f32], sb: isize, pa: usize, pb: usize, out: &mut [f32]) {
    let n = out.len();
    macro_rules! run {
        ($f:expr) => {{
            let f = $f;
            match (sa, sb) {
                (1, 1) => { for ((o, &x), &y) in out.iter_mut().zip(&a[pa..pa + n]).zip(&b[pb..pb + n]) { *o = f(x, y); } }
                (1, 0) => { let y = b[pb]; for (o, &x) in out.iter_mut().zip(&a[pa..pa + n]) { *o = f(x, y); } }
                (0, 1) => { let x = a[pa]; for (o, &y) in out.iter_mut().zip(&b[pb..pb + n]) { *o = f(x, y); } }
                _ => {
                    let (mut ia, mut ib) = (pa as isize, pb as isize);
                    for o in out.iter_mut() { *o = f(a[ia as usize], b[ib as usize]); ia += sa; ib += sb; }
                }
            }
        }};
    }
    match op {
        Binary::Add => run!(|x: f32, y: f32| x + y),
        Binary::Sub => run!(|x: f32, y: f32| x - y),
        Binary::Mul => run!(|x: f32, y: f32| x * y),
        Binary::Div => run!(|x: f32, y: f32| x / y),
        Binary::Maximum => run!(|x: f32, y: f32| bin32(Binary::Maximum, x, y)),
        Binary::Minimum => run!(|x: f32, y: f32| bin32(Binary::Minimum, x, y)),
        Binary::Gt => run!(|x: f32, y: f32| if x > y { 1.0 } else { 0.0 }),
        Binary::Lt => run!(|x: f32, y: f32| if x < y { 1.0 } else { 0.0 }),
        Binary::Eq => run!(|x: f32, y: f32| if x == y { 1.0 } else { 0.0 }),
        _ => run!(|x: f32, y: f32| bin32(op, x, y)),
    }
}
}

/// Walks an N-d index over `shape` (row-major), calling `row(pa, pb, o)` once per innermost row
/// with the element positions of that row's start in a, b and out.
#[inline(always)]
fn for_rows(shape: &[usize], sa: &[isize], sb: &[isize], mut row: impl FnMut(usize, usize, usize)) {
    let nd = shape.len();
    let n: usize = shape.iter().product();
    if n == 0 {
        return;
    }
    let last = nd - 1;
    let ln = shape[last];
    let mut idx = vec![0usize; nd];
    let (mut pa, mut pb, mut o) = (0isize, 0isize, 0usize);
    while o < n {
        row(pa as usize, pb as usize, o);
        o += ln;
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            pa += sa[d];
            pb += sb[d];
            if idx[d] < shape[d] {
                break;
            }
            pa -= sa[d] * shape[d] as isize;
            pb -= sb[d] * shape[d] as isize;
            idx[d] = 0;
        }
    }
}

/// Merges adjacent dims that are contiguous for a, b and out alike, so rows get long.
fn coalesce(shape: &[usize], sa: &[isize], sb: &[isize]) -> (Vec<usize>, Vec<isize>, Vec<isize>) {
    let (mut s, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..shape.len() {
        if shape[d] == 1 {
            continue;
        }
        if let Some(&ls) = s.last() {
            let k = s.len() - 1;
            let _ = ls;
            let inner = shape[d] as isize;
            if a[k] == sa[d] * inner && b[k] == sb[d] * inner {
                s[k] *= shape[d];
                a[k] = sa[d];
                b[k] = sb[d];
                continue;
            }
        }
        s.push(shape[d]);
        a.push(sa[d]);
        b.push(sb[d]);
    }
    if s.is_empty() {
        s.push(1);
        a.push(0);
        b.push(0);
    }
    (s, a, b)
}

/// out[i] = a[..] op b[..] over `shape` with element strides `sa`/`sb` (0 on broadcast dims).
#[inline(never)]
pub fn binary_f32(op: Binary, a: &[f32], sa: &[isize], b: &[f32], sb: &[isize], out: &mut [f32], shape: &[usize]) {
    if shape.is_empty() {
        out[0] = bin32(op, a[0], b[0]);
        return;
    }
    let (shape, sa, sb) = coalesce(shape, sa, sb);
    let last = shape.len() - 1;
    let (ln, la, lb) = (shape[last], sa[last], sb[last]);
    for_rows(&shape, &sa, &sb, |pa, pb, o| binary_row_f32(op, a, la, b, lb, pa, pb, &mut out[o..o + ln]))
}

/// Generic-dtype binary (any mix of float32 / int32 operands), computed in f64 like the js backend.
#[inline(never)]
pub fn binary_any<A: Elem, B: Elem, O: Elem>(
    op: Binary,
    a: &[A],
    sa: &[isize],
    b: &[B],
    sb: &[isize],
    out: &mut [O],
    shape: &[usize],
) {
    if shape.is_empty() {
        out[0] = O::from_f64(bin64(op, a[0].to_f64(), b[0].to_f64()));
        return;
    }
    let (shape, sa, sb) = coalesce(shape, sa, sb);
    let last = shape.len() - 1;
    let (ln, la, lb) = (shape[last], sa[last], sb[last]);
    for_rows(&shape, &sa, &sb, |pa, pb, o| {
        let (mut ia, mut ib) = (pa as isize, pb as isize);
        for v in &mut out[o..o + ln] {
            *v = O::from_f64(bin64(op, a[ia as usize].to_f64(), b[ib as usize].to_f64()));
            ia += la;
            ib += lb;
        }
    });
}

simd_fn! {
    /// out = x op s elementwise (`Rsub`: s - x, `Rdiv`: s / x), float32.
    pub fn scalar_f32(op: Binary, x: &[f32], s: f64, out: &mut [f32]) {
    let n = out.len();
    let x = &x[..n];
    macro_rules! map { ($f:expr) => { for (o, &v) in out.iter_mut().zip(x) { *o = $f(v); } } }
    let sf = s as f32;
    let exact = sf as f64 == s;
    match op {
        // x + s with s not a float32 is rounded once from the exact f64 sum, like js
        Binary::Add if exact => map!(|v: f32| v + sf),
        Binary::Mul if exact => map!(|v: f32| v * sf),
        Binary::Rsub if exact => map!(|v: f32| sf - v),
        Binary::Rdiv if exact => map!(|v: f32| sf / v),
        Binary::Add => map!(|v: f32| (v as f64 + s) as f32),
        Binary::Mul => map!(|v: f32| (v as f64 * s) as f32),
        Binary::Rsub => map!(|v: f32| (s - v as f64) as f32),
        Binary::Rdiv => map!(|v: f32| (s / v as f64) as f32),
        Binary::Pow if s == 2.0 => map!(|v: f32| v * v),
        Binary::Pow => map!(|v: f32| (v as f64).powf(s) as f32),
        Binary::Gt => map!(|v: f32| if v as f64 > s { 1.0 } else { 0.0 }),
        Binary::Lt => map!(|v: f32| if (v as f64) < s { 1.0 } else { 0.0 }),
        Binary::Eq => map!(|v: f32| if v as f64 == s { 1.0 } else { 0.0 }),
        _ => map!(|v: f32| bin64(op, v as f64, s) as f32),
    }
}
}

/// Generic-dtype scalar op, computed in f64.
#[inline(never)]
pub fn scalar_any<X: Elem, O: Elem>(op: Binary, x: &[X], s: f64, out: &mut [O]) {
    let n = out.len();
    for (o, &v) in out.iter_mut().zip(&x[..n]) {
        let a = v.to_f64();
        *o = O::from_f64(match op {
            Binary::Rsub => s - a,
            Binary::Rdiv => s / a,
            Binary::Pow if s == 2.0 => a * a,
            _ => bin64(op, a, s),
        });
    }
}

/// out[i] = cond[i] != 0 ? a[i] : b[i].
#[inline(never)]
pub fn where_<C: Elem, A: Elem, B: Elem, O: Elem>(cond: &[C], a: &[A], b: &[B], out: &mut [O]) {
    let n = out.len();
    for (((o, &c), &x), &y) in out.iter_mut().zip(&cond[..n]).zip(&a[..n]).zip(&b[..n]) {
        *o = O::from_f64(if c.to_f64() != 0.0 { x.to_f64() } else { y.to_f64() });
    }
}

simd_fn! {
    /// float32 `where` (SIMD).
    pub fn where_f32(cond: &[f32], a: &[f32], b: &[f32], out: &mut [f32]) {
        let n = out.len();
        for (((o, &c), &x), &y) in out.iter_mut().zip(&cond[..n]).zip(&a[..n]).zip(&b[..n]) {
            *o = if c != 0.0 { x } else { y };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn binary_broadcast_and_coalesce() {
        // a [2,3] + b [3] broadcast
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [10.0f32, 20.0, 30.0];
        let mut o = [0.0f32; 6];
        binary_f32(Binary::Add, &a, &[3, 1], &b, &[0, 1], &mut o, &[2, 3]);
        assert_eq!(o, [11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
        // a [2,3] * b [2,1]
        binary_f32(Binary::Mul, &a, &[3, 1], &b, &[1, 0], &mut o, &[2, 3]);
        assert_eq!(o, [10.0, 20.0, 30.0, 80.0, 100.0, 120.0]);
        let mut oi = [0i32; 6];
        binary_any(Binary::Eq, &[1i32, 2, 3, 4, 5, 6][..], &[3, 1], &[1i32, 0, 3][..], &[0, 1], &mut oi, &[2, 3]);
        assert_eq!(oi, [1, 0, 1, 0, 0, 0]);
        // transposed read
        binary_f32(Binary::Sub, &a, &[1, 2], &a, &[1, 2], &mut o, &[2, 3]);
        assert_eq!(o, [0.0; 6]);
    }
    #[test]
    fn copy_strided_transpose() {
        let x: Vec<u32> = (0..6).collect();
        let mut o = vec![0u32; 6];
        copy_strided(&x, 0, &[3, 2], &[1, 3], &mut o);
        assert_eq!(o, [0, 3, 1, 4, 2, 5]);
        copy_strided(&x, 5, &[6], &[-1], &mut o);
        assert_eq!(o, [5, 4, 3, 2, 1, 0]);
    }
    #[test]
    fn unary_grad_reads_only_what_it_declares() {
        // the input it does not declare is NaN: a gradient that reads it anyway turns NaN
        let (x, y, g) = ([0.5f32, 0.25, -0.75, 0.125], [0.25f32, 0.75, 0.5, 2.0], [1.0f32, -2.0, 0.5, 3.0]);
        let nan = [f32::NAN; 4];
        for &op in Unary::ALL {
            let (xs, ys): (&[f32], &[f32]) = match op.grad_reads() {
                Reads::X => (&x, &nan),
                Reads::Y => (&nan, &y),
                Reads::None => (&nan, &nan),
            };
            let mut o = [0.0f32; 4];
            unary_grad(op, xs, ys, &g, &mut o);
            assert!(
                o.iter().all(|v| !v.is_nan()),
                "{op:?}: grad_reads says {:?} but the gradient reads the other input",
                op.grad_reads()
            );
        }
    }
    #[test]
    fn to_int32_wraps() {
        assert_eq!(i32::from_f64(-2.7), -2);
        assert_eq!(i32::from_f64(4294967297.0), 1);
        assert_eq!(i32::from_f64(f64::NAN), 0);
    }
}
