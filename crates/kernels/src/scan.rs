//! Cumulative sum and product along the middle axis of [outer, n, inner] (cumsum, cumprod and
//! their backward: reverse and exclusive scans). Accumulates in f64 like the js reference
//! (ts/backends/js-index.ts `scan`), so both give the same float32 results.
//!
//! ```
//! use torchlet_kernels::scan::{scan, ScanOp};
//! let mut out = [0.0f32; 4];
//! scan(ScanOp::Sum, &[1.0, 2.0, 3.0, 4.0], &mut out, 1, 4, 1, false, false);
//! assert_eq!(out, [1.0, 3.0, 6.0, 10.0]);
//! ```
use crate::Elem;

/// The scan's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOp {
    Sum,
    Prod,
}

/// `reverse` runs from the end of each line; `exclusive` leaves the element itself out (the first
/// output is the identity).
#[allow(clippy::too_many_arguments)]
pub fn scan<T: Elem>(
    op: ScanOp,
    x: &[T],
    out: &mut [T],
    outer: usize,
    n: usize,
    inner: usize,
    reverse: bool,
    exclusive: bool,
) {
    let prod = op == ScanOp::Prod;
    let init = if prod { 1.0 } else { 0.0 };
    let mut acc = vec![init; inner];
    for o in 0..outer {
        acc.iter_mut().for_each(|a| *a = init);
        for t in 0..n {
            let r = if reverse { n - 1 - t } else { t };
            let base = (o * n + r) * inner;
            let (xs, os) = (&x[base..base + inner], &mut out[base..base + inner]);
            for ((a, &v), w) in acc.iter_mut().zip(xs).zip(os.iter_mut()) {
                let v = v.to_f64();
                if exclusive {
                    *w = T::from_f64(*a);
                    *a = if prod { *a * v } else { *a + v };
                } else {
                    *a = if prod { *a * v } else { *a + v };
                    *w = T::from_f64(*a);
                }
            }
        }
    }
}
