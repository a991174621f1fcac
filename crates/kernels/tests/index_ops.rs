//! The index kernels (gather.rs, scan.rs, sort.rs) against direct loops, on odd sizes and with
//! the thread pool on (gather splits its rows over threads).
use torchlet_kernels::gather::{self, IndexT, Strided};
use torchlet_kernels::par;
use torchlet_kernels::scan::{scan, ScanOp};
use torchlet_kernels::sort::sort;

/// A small deterministic generator (xorshift), so the tests need no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn f32(&mut self) -> f32 {
        (self.next() % 20000) as f32 / 1000.0 - 10.0
    }
}

#[test]
fn gather_matches_loops_and_threads() {
    let mut r = Rng(7);
    for &(outer, n, m, inner) in &[(1, 5, 3, 1), (3, 7, 4, 5), (2, 1, 6, 3), (4, 9, 9, 1), (64, 33, 40, 17)] {
        let x: Vec<f32> = (0..outer * n * inner).map(|_| r.f32()).collect();
        let ix: Vec<IndexT> = (0..outer * m * inner).map(|_| r.below(n) as IndexT).collect();
        let rows: Vec<IndexT> = (0..m).map(|_| r.below(n) as IndexT).collect();
        for threads in [1, 2] {
            par::set_threads(threads);
            let mut out = vec![f32::NAN; outer * m * inner];
            gather::gather(&x, &ix, &mut out, outer, n, m, inner, false).unwrap();
            let mut out2 = vec![f32::NAN; outer * m * inner];
            gather::gather(&x, &rows, &mut out2, outer, n, m, inner, true).unwrap();
            for o in 0..outer {
                for j in 0..m {
                    for i in 0..inner {
                        let at = (o * m + j) * inner + i;
                        assert_eq!(out[at], x[(o * n + ix[at] as usize) * inner + i]);
                        assert_eq!(out2[at], x[(o * n + rows[j] as usize) * inner + i]);
                    }
                }
            }
        }
        par::set_threads(1);
    }
    let mut out = [0f32; 1];
    assert_eq!(gather::gather(&[1f32, 2.0], &[2.0], &mut out, 1, 2, 1, 1, false), Err(2));
    assert_eq!(gather::gather(&[1f32, 2.0], &[-1.0], &mut out, 1, 2, 1, 1, true), Err(-1));
}

#[test]
fn scatter_accumulates_in_order_and_sets() {
    let mut r = Rng(11);
    let (outer, n, m, inner) = (3, 6, 8, 4);
    let src: Vec<f32> = (0..outer * m * inner).map(|_| r.f32()).collect();
    let ix: Vec<IndexT> = (0..outer * m * inner).map(|_| r.below(n) as IndexT).collect();
    let base: Vec<f32> = (0..outer * n * inner).map(|_| r.f32()).collect();
    let mut want = base.clone();
    for o in 0..outer {
        for j in 0..m {
            for i in 0..inner {
                let at = (o * m + j) * inner + i;
                want[(o * n + ix[at] as usize) * inner + i] += src[at];
            }
        }
    }
    let mut out = base.clone();
    gather::scatter(Some(&src), 0.0, &ix, &mut out, outer, n, m, inner, false, true).unwrap();
    assert_eq!(out, want);
    // index_add (row index) and a scalar value
    let rows: Vec<IndexT> = (0..m).map(|j| (j % n) as IndexT).collect();
    let mut out = base.clone();
    gather::scatter(None, 2.5f32, &rows, &mut out, outer, n, m, inner, true, false).unwrap();
    for o in 0..outer {
        for t in 0..n {
            for i in 0..inner {
                let hit = (0..m).any(|j| j % n == t);
                assert_eq!(out[(o * n + t) * inner + i], if hit { 2.5 } else { base[(o * n + t) * inner + i] });
            }
        }
    }
    let mut o1 = [0f32; 2];
    assert_eq!(gather::scatter(None, 1f32, &[5.0], &mut o1, 1, 2, 1, 1, false, false), Err(5));
}

#[test]
fn where_strided_reads_broadcast_and_transposed_operands() {
    // out [3, 4] = cond [3, 1] ? a^T (a stored [4, 3]) : b [4] broadcast
    let cond = [1u8, 0, 1];
    let a: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let b = [-1f32, -2.0, -3.0, -4.0];
    let mut out = vec![f32::NAN; 12];
    gather::where_strided(
        Strided { data: &cond[..], off: 0, strides: &[1, 0] },
        Strided { data: &a[..], off: 0, strides: &[1, 3] },
        Strided { data: &b[..], off: 0, strides: &[0, 1] },
        &mut out,
        &[3, 4],
    );
    for r in 0..3 {
        for c in 0..4 {
            assert_eq!(out[r * 4 + c], if cond[r] != 0 { a[c * 3 + r] } else { b[c] });
        }
    }
    // unit-stride rows: a contiguous mask with a scalar value (masked_fill), a per-row mask
    let m2: Vec<u8> = (0..10).map(|v| (v % 3 == 0) as u8).collect();
    let b2: Vec<f32> = (0..10).map(|v| v as f32).collect();
    let mut o2 = vec![f32::NAN; 10];
    gather::where_strided(
        Strided { data: &m2[..], off: 0, strides: &[5, 1] },
        Strided { data: &[-9.0f32][..], off: 0, strides: &[0, 0] },
        Strided { data: &b2[..], off: 0, strides: &[5, 1] },
        &mut o2,
        &[2, 5],
    );
    for k in 0..10 {
        assert_eq!(o2[k], if m2[k] != 0 { -9.0 } else { b2[k] });
    }
    let mut o3 = vec![f32::NAN; 10];
    gather::where_strided(
        Strided { data: &[0.0f64, 1.0][..], off: 0, strides: &[1, 0] },
        Strided { data: &b2[..], off: 0, strides: &[5, 1] },
        Strided { data: &[7.0f32][..], off: 0, strides: &[0, 0] },
        &mut o3,
        &[2, 5],
    );
    for k in 0..10 {
        assert_eq!(o3[k], if k >= 5 { b2[k] } else { 7.0 });
    }
    // offsets and a 0-d result
    let mut one = [0f32];
    gather::where_strided(
        Strided { data: &[0.0f32, 1.0][..], off: 1, strides: &[] },
        Strided { data: &a[..], off: 5, strides: &[] },
        Strided { data: &b[..], off: 2, strides: &[] },
        &mut one,
        &[],
    );
    assert_eq!(one[0], 5.0);
}

#[test]
fn scans_forward_reverse_exclusive() {
    let mut r = Rng(3);
    let (outer, n, inner) = (2, 7, 3);
    let x: Vec<f32> = (0..outer * n * inner).map(|_| r.f32() / 5.0).collect();
    for op in [ScanOp::Sum, ScanOp::Prod] {
        for rev in [false, true] {
            for excl in [false, true] {
                let mut out = vec![f32::NAN; x.len()];
                scan(op, &x, &mut out, outer, n, inner, rev, excl);
                for o in 0..outer {
                    for i in 0..inner {
                        let mut acc = if op == ScanOp::Prod { 1.0f64 } else { 0.0 };
                        for t in 0..n {
                            let p = if rev { n - 1 - t } else { t };
                            let at = (o * n + p) * inner + i;
                            let v = x[at] as f64;
                            if excl {
                                assert_eq!(out[at], acc as f32);
                            }
                            acc = if op == ScanOp::Prod { acc * v } else { acc + v };
                            if !excl {
                                assert_eq!(out[at], acc as f32);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn sort_and_topk_are_stable_with_nan_last() {
    let x = [2.0f32, 1.0, f32::NAN, 2.0, 1.0, 3.0];
    let (mut v, mut i) = ([0f32; 6], [0 as IndexT; 6]);
    sort(&x, &mut v, &mut i, 1, 6, 1, 6, false);
    assert_eq!(i, [1.0, 4.0, 0.0, 3.0, 5.0, 2.0]);
    sort(&x, &mut v, &mut i, 1, 6, 1, 6, true);
    assert_eq!(i, [2.0, 5.0, 0.0, 3.0, 1.0, 4.0]);
    let mut r = Rng(5);
    let (outer, n, inner, k) = (3, 50, 4, 7);
    let x: Vec<f32> = (0..outer * n * inner).map(|_| (r.below(20) as f32) - 10.0).collect();
    let (mut v, mut ix) = (vec![0f32; outer * k * inner], vec![0 as IndexT; outer * k * inner]);
    sort(&x, &mut v, &mut ix, outer, n, inner, k, true);
    for o in 0..outer {
        for c in 0..inner {
            let mut line: Vec<(f32, usize)> = (0..n).map(|t| (x[(o * n + t) * inner + c], t)).collect();
            line.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap()); // stable: ties keep input order
            for t in 0..k {
                let at = (o * k + t) * inner + c;
                assert_eq!((v[at], ix[at] as usize), line[t]);
            }
        }
    }
}
