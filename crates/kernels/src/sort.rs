//! Sort and top-k along the middle axis of [outer, n, inner]: the first k of each line in
//! ascending or descending order, with int64 positions. Ties keep their input order (stable) and
//! NaN counts as larger than every number, as PyTorch; semantics: ts/backends/js-index.ts `sort`.
//! For k < n the line is partitioned first (select_nth) and only the k kept values are sorted.
//!
//! ```
//! use torchlet_kernels::sort::sort;
//! let (mut v, mut i) = ([0.0f32; 2], [0.0f64; 2]);
//! sort(&[3.0f32, 1.0, 2.0], &mut v, &mut i, 1, 3, 1, 2, true);
//! assert_eq!((v, i), ([3.0, 2.0], [0.0, 2.0]));
//! ```
use crate::gather::IndexT;
use crate::Elem;
use core::cmp::Ordering;

/// Ascending order of (value, position) with NaN last: a total order, so an unstable partition
/// gives the same result as a stable sort.
#[inline]
fn cmp_asc(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    let (an, bn) = (a.0.is_nan(), b.0.is_nan());
    let c = match (an, bn) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.0.partial_cmp(&b.0).unwrap(),
    };
    c.then(a.1.cmp(&b.1))
}
#[inline]
fn cmp_desc(a: &(f64, usize), b: &(f64, usize)) -> Ordering { cmp_asc(&(b.0, a.1), &(a.0, b.1)) }

#[allow(clippy::too_many_arguments)]
pub fn sort<T: Elem>(x: &[T], vals: &mut [T], idx: &mut [IndexT], outer: usize, n: usize, inner: usize, k: usize, descending: bool) {
    let k = k.min(n);
    let cmp: fn(&(f64, usize), &(f64, usize)) -> Ordering = if descending { cmp_desc } else { cmp_asc };
    let mut line: Vec<(f64, usize)> = Vec::with_capacity(n);
    for o in 0..outer {
        for i in 0..inner {
            line.clear();
            line.extend((0..n).map(|t| (x[(o * n + t) * inner + i].to_f64(), t)));
            if k == 0 { continue; }
            if k < n {
                line.select_nth_unstable_by(k - 1, cmp);
                line[..k].sort_unstable_by(cmp);
            } else {
                line.sort_unstable_by(cmp);
            }
            for (t, &(v, p)) in line[..k].iter().enumerate() {
                let at = (o * k + t) * inner + i;
                vals[at] = T::from_f64(v);
                idx[at] = p as IndexT;
            }
        }
    }
}
