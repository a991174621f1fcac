//! Index kernels over [outer, n, inner] blocks: gather / index_select, scatter / scatter_add /
//! index_add, and the strided select `where` (masked_fill, tril, ...) that reads strided and
//! broadcast operands in place. Semantics: ts/backends/js-index.ts.
//!
//! ```
//! use torchlet_kernels::gather::gather;
//! let x = [1.0f32, 2.0, 3.0, 4.0];            // [2, 2]
//! let mut out = [0.0f32; 2];
//! gather(&x, &[1.0, 0.0], &mut out, 2, 2, 1, 1, false).unwrap();
//! assert_eq!(out, [2.0, 3.0]);
//! ```
use crate::Elem;

/// The element type of an int64 index storage (int64 tensors hold f64 integers). Index reads go
/// through `idx`, so a change of the storage type is a change of these two lines.
pub type IndexT = f64;
#[inline(always)]
pub fn idx(v: IndexT) -> i64 {
    v as i64
}

/// Rows of work below which a call stays on the calling thread.
const PAR_MIN: usize = 1 << 15;

/// out[o, j, i] = x[o, idx[o, j, i], i] (idx [outer, m, inner]); `row_index`: idx is [m] and picks
/// whole rows of `inner` elements (index_select). Err(index) for an index outside [0, n).
#[allow(clippy::too_many_arguments)]
pub fn gather<T: Copy + Send + Sync>(
    x: &[T],
    ix: &[IndexT],
    out: &mut [T],
    outer: usize,
    n: usize,
    m: usize,
    inner: usize,
    row_index: bool,
) -> Result<(), i64> {
    if row_index {
        for &r in &ix[..m] {
            let r = idx(r);
            if r < 0 || r as usize >= n {
                return Err(r);
            }
        }
    } else {
        for &r in &ix[..outer * m * inner] {
            let r = idx(r);
            if r < 0 || r as usize >= n {
                return Err(r);
            }
        }
    }
    let rows = outer * m;
    let body = |r0: usize, r1: usize, out: &mut [T]| {
        for (k, row) in (r0..r1).enumerate() {
            let (o, j) = (row / m.max(1), row % m.max(1));
            let xb = o * n * inner;
            let dst = &mut out[k * inner..(k + 1) * inner];
            if row_index {
                let s = xb + idx(ix[j]) as usize * inner;
                dst.copy_from_slice(&x[s..s + inner]);
            } else {
                let ib = row * inner;
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = x[xb + idx(ix[ib + i]) as usize * inner + i];
                }
            }
        }
    };
    if rows * inner < PAR_MIN || crate::par::threads() == 1 {
        body(0, rows, out);
    } else {
        let ptr = out.as_mut_ptr() as usize;
        let parts = crate::par::threads();
        crate::par::run(parts, &|p, _| {
            let (r0, r1) = crate::par::split(rows, parts, 1, p);
            // SAFETY: each task writes its own rows [r0, r1) of out.
            let o = unsafe { core::slice::from_raw_parts_mut((ptr as *mut T).add(r0 * inner), (r1 - r0) * inner) };
            body(r0, r1, o);
        });
    }
    Ok(())
}

/// out[o, idx[o, j, i], i] = src[o, j, i] (+= when `accumulate`); src None: `value`. out
/// ([outer, n, inner]) keeps its other elements. `row_index`: idx is [m] (index_add). Sequential:
/// several sources may hit one place, and they are added in order as in the js reference.
#[allow(clippy::too_many_arguments)]
pub fn scatter<T: Elem>(
    src: Option<&[T]>,
    value: T,
    ix: &[IndexT],
    out: &mut [T],
    outer: usize,
    n: usize,
    m: usize,
    inner: usize,
    row_index: bool,
    accumulate: bool,
) -> Result<(), i64> {
    for o in 0..outer {
        for j in 0..m {
            let sb = (o * m + j) * inner;
            let ob = o * n * inner;
            for i in 0..inner {
                let r = idx(if row_index { ix[j] } else { ix[sb + i] });
                if r < 0 || r as usize >= n {
                    return Err(r);
                }
                let v = match src {
                    Some(s) => s[sb + i],
                    None => value,
                };
                let at = ob + r as usize * inner + i;
                out[at] = if accumulate { T::from_f64(out[at].to_f64() + v.to_f64()) } else { v };
            }
        }
    }
    Ok(())
}

/// A strided operand: storage, element offset, strides over the output shape (0 = broadcast).
pub struct Strided<'a, T> {
    pub data: &'a [T],
    pub off: usize,
    pub strides: &'a [isize],
}

/// out = cond != 0 ? a : b over `shape`, each operand read in place through its strides.
pub fn where_strided<C: Elem, T: Copy>(c: Strided<C>, a: Strided<T>, b: Strided<T>, out: &mut [T], shape: &[usize]) {
    let n: usize = shape.iter().product();
    if n == 0 {
        return;
    }
    let nd = shape.len();
    if nd == 0 {
        out[0] = if c.data[c.off].to_f64() != 0.0 { a.data[a.off] } else { b.data[b.off] };
        return;
    }
    let last = nd - 1;
    let (len, sc, sa, sb) = (shape[last], c.strides[last], a.strides[last], b.strides[last]);
    let mut ix = vec![0usize; nd];
    let (mut pc, mut pa, mut pb) = (c.off as isize, a.off as isize, b.off as isize);
    let mut k = 0;
    // rows whose operands each have stride 0 or 1 (masked_fill's scalar value, a broadcast or
    // contiguous mask): iterator selects without index arithmetic (measured: 5x on a causal mask)
    let unit = [sc, sa, sb].iter().all(|&s| s == 0 || s == 1);
    loop {
        let row = &mut out[k..k + len];
        if unit {
            let (ic, ia, ib) = (pc as usize, pa as usize, pb as usize);
            macro_rules! op {
                ($d:expr, $p:expr, $s:expr) => {
                    // (a repeat iterator for stride 0, the slice for stride 1)
                    if $s == 0 {
                        Operand::Rep($d[$p])
                    } else {
                        Operand::Run(&$d[$p..$p + len])
                    }
                };
            }
            select_row(row, op!(c.data, ic, sc), op!(a.data, ia, sa), op!(b.data, ib, sb));
        } else {
            let (mut ic, mut ia, mut ib) = (pc, pa, pb);
            for o in row.iter_mut() {
                *o = if c.data[ic as usize].to_f64() != 0.0 { a.data[ia as usize] } else { b.data[ib as usize] };
                ic += sc;
                ia += sa;
                ib += sb;
            }
        }
        k += len;
        if k >= n {
            break;
        }
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            ix[d] += 1;
            pc += c.strides[d];
            pa += a.strides[d];
            pb += b.strides[d];
            if ix[d] < shape[d] {
                break;
            }
            pc -= c.strides[d] * shape[d] as isize;
            pa -= a.strides[d] * shape[d] as isize;
            pb -= b.strides[d] * shape[d] as isize;
            ix[d] = 0;
        }
    }
}

/// One row of an operand: a single value repeated (stride 0) or a contiguous run (stride 1).
enum Operand<'a, T> {
    Rep(T),
    Run(&'a [T]),
}

#[inline(always)]
fn sel<C: Elem, T: Copy>(
    o: &mut [T],
    c: impl Iterator<Item = C>,
    a: impl Iterator<Item = T>,
    b: impl Iterator<Item = T>,
) {
    for (((o, c), a), b) in o.iter_mut().zip(c).zip(a).zip(b) {
        *o = if c.to_f64() != 0.0 { a } else { b };
    }
}
fn select_row<C: Elem, T: Copy>(o: &mut [T], c: Operand<C>, a: Operand<T>, b: Operand<T>) {
    use core::iter::repeat;
    use Operand::{Rep, Run};
    match (c, a, b) {
        (Rep(c), a, b) => {
            // one condition for the whole row: a copy of one side
            let src = if c.to_f64() != 0.0 { a } else { b };
            match src {
                Rep(v) => o.fill(v),
                Run(s) => o.copy_from_slice(s),
            }
        }
        (Run(c), Rep(a), Rep(b)) => sel(o, c.iter().copied(), repeat(a), repeat(b)),
        (Run(c), Rep(a), Run(b)) => sel(o, c.iter().copied(), repeat(a), b.iter().copied()),
        (Run(c), Run(a), Rep(b)) => sel(o, c.iter().copied(), a.iter().copied(), repeat(b)),
        (Run(c), Run(a), Run(b)) => sel(o, c.iter().copied(), a.iter().copied(), b.iter().copied()),
    }
}

/// Elements reachable through a strided operand (for size checks): max offset + 1; Err if negative.
pub fn reach(off: usize, shape: &[usize], strides: &[isize]) -> Result<usize, ()> {
    let (mut lo, mut hi) = (off as isize, off as isize);
    for (&s, &st) in shape.iter().zip(strides) {
        if s == 0 {
            return Ok(0);
        }
        let d = (s as isize - 1) * st;
        if d < 0 {
            lo += d
        } else {
            hi += d
        }
    }
    if lo < 0 {
        Err(())
    } else {
        Ok(hi as usize + 1)
    }
}
