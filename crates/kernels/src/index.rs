//! Tensor-core kernels (ts/indexing.ts, Tensor in-place ops): strided assignment into views,
//! advanced-index gather/put over broadcast index rows, and the coordinates of a bool mask.
//! Generic over the element type (f32, f64 = int64, u8 = bool). The js reference is
//! ts/backends/js-advindex.ts.

/// Contiguous (row-major) strides of `shape`.
pub fn contiguous(shape: &[usize]) -> Vec<isize> {
    let mut st = vec![0isize; shape.len()];
    let mut s = 1isize;
    for k in (0..shape.len()).rev() {
        st[k] = s;
        s *= shape[k] as isize;
    }
    st
}

/// Calls f(x position, out position) for every index over `shape` (row-major), each position
/// advanced by its own strides from its offset.
#[inline]
fn for_each(shape: &[usize], x_off: isize, xs: &[isize], o_off: isize, os: &[isize], mut f: impl FnMut(usize, usize)) {
    if shape.iter().any(|&d| d == 0) {
        return;
    }
    let nd = shape.len();
    if nd == 0 {
        f(x_off as usize, o_off as usize);
        return;
    }
    let last = nd - 1;
    let (ln, lx, lo) = (shape[last], xs[last], os[last]);
    let mut idx = vec![0usize; nd];
    let (mut px, mut po) = (x_off, o_off);
    loop {
        let (mut a, mut b) = (px, po);
        for _ in 0..ln {
            f(a as usize, b as usize);
            a += lx;
            b += lo;
        }
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            px += xs[d];
            po += os[d];
            if idx[d] < shape[d] {
                break;
            }
            px -= xs[d] * shape[d] as isize;
            po -= os[d] * shape[d] as isize;
            idx[d] = 0;
        }
    }
}

/// out[out_off + i.os] = x[x_off + i.xs] for every index i over shape (x strides 0 broadcast).
pub fn assign_strided<T: Copy>(
    x: &[T],
    x_off: usize,
    xs: &[isize],
    out: &mut [T],
    out_off: usize,
    os: &[isize],
    shape: &[usize],
) {
    let last = shape.len().wrapping_sub(1);
    if !shape.is_empty() && xs[last] == 1 && os[last] == 1 {
        // contiguous rows: slice copies
        let ln = shape[last];
        let (head, hx, ho) = (&shape[..last], &xs[..last], &os[..last]);
        for_each(head, x_off as isize, hx, out_off as isize, ho, |a, b| out[b..b + ln].copy_from_slice(&x[a..a + ln]));
        return;
    }
    for_each(shape, x_off as isize, xs, out_off as isize, os, |a, b| out[b] = x[a]);
}

/// Why an index was refused: (value, dim, size) for PyTorch's message.
pub type OutOfBounds = (f64, usize, usize);

/// Element offsets of the m advanced positions: sum_j idx[j][b] * strides[j] (negative indices
/// count from the end); every index is checked against its dim size.
pub fn adv_offsets(
    idx: &[f64],
    k: usize,
    m: usize,
    sizes: &[usize],
    strides: &[isize],
    dims: &[usize],
) -> Result<Vec<isize>, OutOfBounds> {
    let mut off = vec![0isize; m];
    for j in 0..k {
        let (n, st) = (sizes[j] as f64, strides[j]);
        for (b, o) in off.iter_mut().enumerate() {
            let mut v = idx[j * m + b];
            if !(v >= -n && v < n) {
                return Err((v, dims.get(j).copied().unwrap_or(j), sizes[j]));
            }
            if v < 0.0 {
                v += n;
            }
            *o += v as isize * st;
        }
    }
    Ok(off)
}

/// The advanced-index geometry: kept dims before (pre) and after (post) the m index positions.
pub struct AdvGeom<'a> {
    pub pre: &'a [usize],
    pub pre_strides: &'a [isize],
    pub post: &'a [usize],
    pub post_strides: &'a [isize],
}

/// out [pre, m, post] (contiguous) = x[x_off + pre.ps + off[b] + post.qs].
pub fn index_gather<T: Copy>(x: &[T], x_off: usize, off: &[isize], g: &AdvGeom, out: &mut [T]) {
    let post_n: usize = g.post.iter().product();
    let mut post_off = Vec::with_capacity(post_n);
    let zeros = vec![0isize; g.post.len()];
    for_each(g.post, 0, g.post_strides, 0, &zeros, |a, _| post_off.push(a as isize));
    let (pre, pre_s): (&[usize], &[isize]) = if g.pre.is_empty() { (&[1], &[0]) } else { (g.pre, g.pre_strides) };
    let zp = vec![0isize; pre.len()];
    let mut o = 0usize;
    let m = off.len();
    // rows of contiguous post elements (an embedding-style lookup) are slice copies
    let rows = post_off.iter().enumerate().all(|(i, &q)| q == i as isize);
    for_each(pre, x_off as isize, pre_s, 0, &zp, |p, _| {
        for &ob in off.iter().take(m) {
            let base = p as isize + ob;
            if post_n == 1 && rows {
                out[o] = x[base as usize];
                o += 1;
                continue;
            }
            if rows {
                let b = base as usize;
                out[o..o + post_n].copy_from_slice(&x[b..b + post_n]);
                o += post_n;
                continue;
            }
            for &q in &post_off {
                out[o] = x[(base + q) as usize];
                o += 1;
            }
        }
    });
}

/// The adjoint of index_gather: x[...] = v (+= when accumulate), v read from v_off with strides
/// vs over [pre, m, post] (0 on broadcast dims).
#[allow(clippy::too_many_arguments)]
pub fn index_put<T: Copy + crate::Elem>(
    x: &mut [T],
    x_off: usize,
    off: &[isize],
    g: &AdvGeom,
    v: &[T],
    v_off: usize,
    vs: &[isize],
    accumulate: bool,
) {
    let np = g.pre.len();
    let mut post_x = Vec::new();
    let mut post_v = Vec::new();
    for_each(g.post, 0, g.post_strides, 0, &vs[np + 1..], |a, c| {
        post_x.push(a as isize);
        post_v.push(c as isize);
    });
    let (pre, pre_x, pre_v): (&[usize], &[isize], &[isize]) =
        if np == 0 { (&[1], &[0], &[0]) } else { (g.pre, g.pre_strides, &vs[..np]) };
    let vb = vs[np];
    for_each(pre, x_off as isize, pre_x, v_off as isize, pre_v, |px, pv| {
        for (b, &ob) in off.iter().enumerate() {
            let xb = px as isize + ob;
            let vbb = pv as isize + b as isize * vb;
            for (q, r) in post_x.iter().zip(&post_v) {
                let (at, val) = ((xb + q) as usize, v[(vbb + r) as usize]);
                x[at] = if accumulate { T::from_f64(x[at].to_f64() + val.to_f64()) } else { val };
            }
        }
    });
}

/// out [nd, count] = the coordinates of the nonzero elements of a contiguous mask of `shape`.
/// Returns false when the mask has more nonzeros than `count`.
pub fn mask_indices<T: Copy + crate::Elem>(mask: &[T], shape: &[usize], out: &mut [f64], count: usize) -> bool {
    let nd = shape.len();
    let st = contiguous(shape);
    let mut c = 0usize;
    for (p, &v) in mask.iter().enumerate() {
        if v.to_f64() == 0.0 {
            continue;
        }
        if c >= count {
            return false;
        }
        // the coordinates of flat position p (only for the nonzeros)
        let mut rem = p;
        for d in 0..nd {
            let s = st[d] as usize;
            out[d * count + c] = (rem / s) as f64;
            rem %= s;
        }
        c += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_put_and_masks() {
        // x [3, 4] row-major; x[[2, -3], 1:3]
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let off = adv_offsets(&[2.0, -3.0], 1, 2, &[3], &[4], &[0]).unwrap();
        assert_eq!(off, vec![8, 0]);
        let g = AdvGeom { pre: &[], pre_strides: &[], post: &[2], post_strides: &[1] };
        let mut out = vec![0f32; 4];
        index_gather(&x, 1, &off, &g, &mut out);
        assert_eq!(out, vec![9.0, 10.0, 1.0, 2.0]);
        assert_eq!(adv_offsets(&[3.0], 1, 1, &[3], &[4], &[0]), Err((3.0, 0, 3)));
        // accumulate with duplicates (int64 storage as f64)
        let mut y = vec![0f64; 5];
        let off = adv_offsets(&[1.0, 1.0, 3.0], 1, 3, &[5], &[1], &[0]).unwrap();
        let g = AdvGeom { pre: &[], pre_strides: &[], post: &[], post_strides: &[] };
        index_put(&mut y, 0, &off, &g, &[2.0, 5.0, 7.0], 0, &[1], true);
        assert_eq!(y, vec![0.0, 7.0, 0.0, 7.0, 0.0]);
        // bool mask [2, 3] coordinates
        let m: [u8; 6] = [0, 1, 0, 1, 0, 1];
        let mut c = vec![0f64; 6];
        assert!(mask_indices(&m, &[2, 3], &mut c, 3));
        assert_eq!(c, vec![0.0, 1.0, 1.0, 1.0, 0.0, 2.0]);
        // strided assignment into a transposed view
        let mut d = vec![0u8; 6];
        assign_strided(&[1u8, 2, 3, 4, 5, 6], 0, &[3, 1], &mut d, 0, &[1, 2], &[2, 3]);
        assert_eq!(d, vec![1, 4, 2, 5, 3, 6]);
    }
}
