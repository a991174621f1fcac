//! torchlet compute kernels: one function per `Backend` method of ts/backends/types.ts, with the
//! semantics of the TypeScript reference (ts/backends/js.ts). Pure math over slices, no I/O.
//!
//! ```
//! let x = [1.0f32, -2.0, 3.0];
//! let mut y = [0.0f32; 3];
//! torchlet_kernels::elementwise::unary(torchlet_kernels::elementwise::Unary::Relu, &x, &mut y);
//! assert_eq!(y, [1.0, 0.0, 3.0]);
//! ```
#![cfg_attr(all(target_arch = "wasm32", target_feature = "atomics"), feature(stdarch_wasm_atomic_wait))]

pub mod abi;
pub mod activation;
pub mod attention;
pub mod conv;
pub mod elementwise;
pub mod embed;
pub mod gather;
pub mod gemm;
pub mod index;
pub mod linalg;
pub mod norm;
pub mod optim;
pub mod par;
mod phased;
pub mod pool;
pub mod reduce;
pub mod resize;
pub mod rnn;
pub mod scan;
pub mod simd;
pub mod softmax;
pub mod sort;

/// A tensor element as the js backend sees it: read as a number (f64), written back with the
/// typed array's conversion (float32 rounding, or ToInt32 wrapping for int64-as-int32 storage).
pub trait Elem: Copy + Send + Sync + 'static {
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
}
impl Elem for f32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}
/// int64 storage: f64 holding integers (exact up to 2^53, as JS numbers); written values are
/// truncated toward zero, NaN and +-inf become -2^63 (PyTorch's float -> int64 on x86).
impl Elem for f64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        if v.is_finite() {
            v.trunc() + 0.0
        } else {
            -9223372036854775808.0
        }
    }
}
/// bool storage: 0 or 1 (any nonzero, NaN included, is true).
impl Elem for u8 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        (v != 0.0) as u8
    }
}
impl Elem for i32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    /// ECMAScript ToInt32: NaN/Inf -> 0, otherwise truncate and wrap modulo 2^32.
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        if !v.is_finite() {
            return 0;
        }
        let t = v.trunc();
        if t.abs() < 9.0e18 {
            (t as i64) as i32
        } else {
            (t % 4294967296.0) as i64 as i32
        }
    }
}
