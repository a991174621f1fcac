use super::*;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn kernels() -> Vec<GemmKernel> {
    let mut v = vec![GemmKernel::Scalar];
    #[cfg(target_arch = "x86_64")]
    {
        v.push(GemmKernel::Avx2);
        v.push(GemmKernel::Avx512);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    v.push(GemmKernel::WasmSimd);
    v.into_iter().filter(|&k| kernel_available(k)).collect()
}

#[allow(clippy::too_many_arguments)]
fn reference(
    _m: usize,
    _n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    ta: bool,
    b: &[f32],
    ldb: usize,
    tb: bool,
    c: &mut [f32],
    ldc: usize,
    beta: f32,
    bias: Option<&[f32]>,
    rows: (usize, usize),
    cols: (usize, usize),
) {
    for i in rows.0..rows.1 {
        for j in cols.0..cols.1 {
            let mut s = 0.0f64;
            for p in 0..k {
                let av = if ta { a[p * lda + i] } else { a[i * lda + p] };
                let bv = if tb { b[j * ldb + p] } else { b[p * ldb + j] };
                s += av as f64 * bv as f64;
            }
            if let Some(bs) = bias {
                s += bs[j] as f64;
            }
            if beta != 0.0 {
                s += beta as f64 * c[i * ldc + j] as f64;
            }
            c[i * ldc + j] = s as f32;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_one(
    kern: GemmKernel,
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    tb: bool,
    beta: f32,
    with_bias: bool,
    pad: usize,
    split: u8,
    rng: &mut Rng,
) {
    let lda = if ta { m } else { k } + pad;
    let ldb = if tb { k } else { n } + pad;
    let ldc = n + pad;
    let a = rng.vec(if ta { k.max(1) * lda } else { m.max(1) * lda }.max(1));
    let b = rng.vec(if tb { n.max(1) * ldb } else { k.max(1) * ldb }.max(1));
    let bias = rng.vec(n);
    let mut c0 = rng.vec(m.max(1) * ldc);
    if beta == 0.0 {
        // C must never be read when beta == 0: poison it.
        for (i, v) in c0.iter_mut().enumerate() {
            if i % 3 == 0 {
                *v = f32::NAN;
            }
        }
    }
    let bias_opt = if with_bias { Some(&bias[..]) } else { None };
    let mut want = c0.clone();
    let mut got = c0.clone();
    // regions: full, or split rows/cols in 3 uneven parts
    let cuts = |t: usize| vec![0, t / 3, (2 * t) / 3 + 1.min(t), t];
    let mut regions = vec![];
    match split {
        0 => regions.push(((0, m), (0, n))),
        1 => {
            let c = cuts(m);
            for w in c.windows(2) {
                regions.push(((w[0], w[1].max(w[0])), (0, n)));
            }
        }
        _ => {
            let c = cuts(n);
            for w in c.windows(2) {
                regions.push(((0, m), (w[0], w[1].max(w[0]))));
            }
        }
    }
    for &(r, cl) in &regions {
        reference(m, n, k, &a, lda, ta, &b, ldb, tb, &mut want, ldc, beta, bias_opt, r, cl);
        sgemm_region(kern, r.0, r.1, cl.0, cl.1, m, n, k, &a, lda, ta, &b, ldb, tb, &mut got, ldc, beta, bias_opt);
    }
    for i in 0..m.max(1) {
        for j in 0..ldc {
            let idx = i * ldc + j;
            if idx >= got.len() {
                continue;
            }
            let (g, w) = (got[idx], want[idx]);
            if i >= m || j >= n {
                // padding must be untouched
                assert!(g.to_bits() == c0[idx].to_bits(), "{kern:?} m={m} n={n} k={k} pad touched at ({i},{j})");
                continue;
            }
            let tol = 1e-5 * (k as f32 + 2.0).sqrt() * 4.0 + 1e-5 * w.abs();
            assert!(
                (g - w).abs() <= tol,
                "{kern:?} m={m} n={n} k={k} ta={ta} tb={tb} beta={beta} bias={with_bias} pad={pad} split={split}: \
                 C[{i},{j}] got {g} want {w}"
            );
        }
    }
}

#[test]
fn all_kernels_odd_sizes() {
    let sizes = [1usize, 3, 7, 17, 33, 129];
    let mut rng = Rng(0x9E3779B97F4A7C15);
    for kern in kernels() {
        for &m in &sizes {
            for &n in &sizes {
                for &k in &[1usize, 3, 17, 129] {
                    for t in 0..4 {
                        let (ta, tb) = (t & 1 != 0, t & 2 != 0);
                        let beta = if (m + n + k + t) % 2 == 0 { 0.0 } else { 1.0 };
                        let bias = (m * n + t) % 3 != 0;
                        let pad = (m + k) % 3;
                        let split = ((m + 2 * n + t) % 3) as u8;
                        check_one(kern, m, n, k, ta, tb, beta, bias, pad, split, &mut rng);
                    }
                }
            }
        }
    }
}

#[test]
fn all_kernels_combos_257() {
    let mut rng = Rng(12345);
    for kern in kernels() {
        for t in 0..4 {
            let (ta, tb) = (t & 1 != 0, t & 2 != 0);
            for (beta, bias, pad, split) in
                [(0.0, false, 0, 0u8), (1.0, true, 3, 1), (0.0, true, 1, 2), (1.0, false, 0, 2)]
            {
                check_one(kern, 257, 263, 257, ta, tb, beta, bias, pad, split, &mut rng);
            }
        }
        // deep k spanning several KC blocks, m/n spanning several MC/NC blocks
        check_one(kern, 300, 70, 1100, false, false, 1.0, true, 2, 0, &mut rng);
        check_one(kern, 33, 2100, 40, true, true, 0.0, true, 0, 2, &mut rng);
    }
}

#[test]
fn edge_cases() {
    let mut rng = Rng(777);
    for kern in kernels() {
        for &(m, n, k) in &[(0, 5, 3), (5, 0, 3), (4, 5, 0), (1, 1, 1), (1, 77, 1), (77, 1, 5), (2, 3, 0)] {
            for beta in [0.0, 1.0] {
                for bias in [false, true] {
                    for split in 0..3 {
                        check_one(kern, m, n, k, false, false, beta, bias, 1, split, &mut rng);
                        check_one(kern, m, n, k, true, true, beta, bias, 0, split, &mut rng);
                    }
                }
            }
        }
    }
    // public API smoke test
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let b = [5.0f32, 6.0, 7.0, 8.0];
    let mut c = [f32::NAN; 4];
    sgemm(2, 2, 2, &a, 2, false, &b, 2, false, &mut c, 2, 0.0, Some(&[1.0, 2.0]));
    assert_eq!(c, [20.0, 24.0, 44.0, 52.0]);
    sgemm_rows(2, 2, 2, &a, 2, false, &b, 2, false, &mut c, 2, 1.0, None, 1, 2);
    assert_eq!(c, [20.0, 24.0, 87.0, 102.0]);
    sgemm_cols(2, 2, 2, &a, 2, true, &b, 2, true, &mut c, 2, 1.0, None, 0, 1);
    assert_eq!(c, [20.0 + 23.0, 24.0, 87.0 + 34.0, 102.0]);
}

#[test]
fn concurrent_row_and_col_splits() {
    // Disjoint rows / columns of one C computed from two threads at once.
    let (m, n, k) = (70usize, 90usize, 300usize);
    let mut rng = Rng(99);
    let a = rng.vec(m * k);
    let b = rng.vec(k * n);
    let bias = rng.vec(n);
    let mut want = vec![0.0f32; m * n];
    reference(m, n, k, &a, k, false, &b, n, false, &mut want, n, 0.0, Some(&bias), (0, m), (0, n));
    for by_cols in [false, true] {
        let mut c = vec![f32::NAN; m * n];
        let ptr = c.as_mut_ptr() as usize;
        let len = c.len();
        std::thread::scope(|s| {
            for t in 0..2usize {
                let (a, b, bias) = (&a, &b, &bias);
                s.spawn(move || {
                    // SAFETY: the two threads write disjoint rows / columns of C.
                    let c = unsafe { std::slice::from_raw_parts_mut(ptr as *mut f32, len) };
                    if by_cols {
                        let (c0, c1) = if t == 0 { (0, 37) } else { (37, n) };
                        sgemm_cols(m, n, k, a, k, false, b, n, false, c, n, 0.0, Some(bias), c0, c1);
                    } else {
                        let (r0, r1) = if t == 0 { (0, 33) } else { (33, m) };
                        sgemm_rows(m, n, k, a, k, false, b, n, false, c, n, 0.0, Some(bias), r0, r1);
                    }
                });
            }
        });
        for (g, w) in c.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-3, "by_cols={by_cols}: got {g} want {w}");
        }
    }
}

#[test]
#[should_panic]
fn short_slice_panics() {
    let a = [0.0f32; 3];
    let b = [0.0f32; 4];
    let mut c = [0.0f32; 4];
    sgemm(2, 2, 2, &a, 2, false, &b, 2, false, &mut c, 2, 0.0, None);
}

/// GFLOPS table: `cargo test --release -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_gflops() {
    use std::time::Instant;
    let shapes: &[(&str, usize, usize, usize, bool, bool)] = &[
        ("16^3", 16, 16, 16, false, false),
        ("32^3", 32, 32, 32, false, false),
        ("64^3", 64, 64, 64, false, false),
        ("mlp 32x128x784 tB", 32, 128, 784, false, true),
        ("mlp 32x10x128 tB", 32, 10, 128, false, true),
        ("mlp dW 128x784x32 tA", 128, 784, 32, true, false),
        ("128^3", 128, 128, 128, false, false),
        ("256^3", 256, 256, 256, false, false),
        ("512^3", 512, 512, 512, false, false),
        ("1024^3", 1024, 1024, 1024, false, false),
        ("1024^3 tA", 1024, 1024, 1024, true, false),
        ("1024^3 tB", 1024, 1024, 1024, false, true),
        ("conv 64x3136x576", 64, 3136, 576, false, false),
        ("conv 64x12544x147", 64, 12544, 147, false, false),
        ("dX 576x3136x64 tA", 576, 3136, 64, true, false),
        ("dW 64x576x3136 tB", 64, 576, 3136, false, true),
        ("fc 256x512x784 tB", 256, 512, 784, false, true),
        ("narrow 1024x10x1024", 1024, 10, 1024, false, false),
        ("narrow 1024x10x1024 tB", 1024, 10, 1024, false, true),
        ("gemv 1x1024x1024", 1, 1024, 1024, false, false),
        ("gemv 1x1024x1024 tB", 1, 1024, 1024, false, true),
    ];
    let only = std::env::var("GEMM_KERNEL").ok();
    let filt = std::env::var("GEMM_SHAPES").ok();
    let mut rng = Rng(1);
    for kern in kernels() {
        if let Some(o) = &only {
            if !format!("{kern:?}").eq_ignore_ascii_case(o) {
                continue;
            }
        }
        for &(name, m, n, k, ta, tb) in shapes {
            if let Some(f) = &filt {
                if !f.split(',').any(|x| name.contains(x)) {
                    continue;
                }
            }
            let a = rng.vec(m * k);
            let b = rng.vec(k * n);
            let mut c = vec![0.0f32; m * n];
            let lda = if ta { m } else { k };
            let ldb = if tb { k } else { n };
            let flop = 2.0 * (m * n * k) as f64;
            let reps = ((1e10 / flop) as usize).clamp(4, 4000);
            let run =
                |c: &mut [f32]| sgemm_region(kern, 0, m, 0, n, m, n, k, &a, lda, ta, &b, ldb, tb, c, n, 0.0, None);
            run(&mut c);
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                for _ in 0..reps {
                    run(&mut c);
                }
                best = best.min(t.elapsed().as_secs_f64() / reps as f64);
            }
            println!("{:>8?} {:<22} {:8.1} GFLOPS", kern, name, flop / best / 1e9);
        }
    }
}

/// A pre-packed over a deeper packing (the conv's extra bias column) and MR-aligned row ranges.
#[test]
fn apacked_matches_reference() {
    let mut r = Rng(0x5eed_a9ac);
    let (mr, _) = panel_dims();
    for &(m, n, k, ak) in &[(1, 1, 1, 1), (7, 33, 5, 9), (17, 65, 300, 301), (130, 49, 1200, 1201), (9, 3, 2000, 2000)]
    {
        let a = r.vec(m * ak);
        let mut ap = vec![f32::NAN; packed_a_len(m, ak)];
        pack_a_panels(m, ak, &a, ak, false, &mut ap);
        for tb in [false, true] {
            let b = r.vec(k * n);
            let ldb = if tb { k } else { n };
            for beta in [0.0f32, 1.0] {
                let c0 = r.vec(m * n);
                let mut want = c0.clone();
                reference(m, n, k, &a, ak, false, &b, ldb, tb, &mut want, n, beta, None, (0, m), (0, n));
                let mut c = if beta == 0.0 { vec![f32::NAN; m * n] } else { c0.clone() };
                // two calls on disjoint MR-aligned row ranges
                let cut = (m / 2) / mr * mr;
                sgemm_apacked(m, n, k, &ap, ak, &b, ldb, tb, &mut c, n, beta, 0, cut);
                sgemm_apacked(m, n, k, &ap, ak, &b, ldb, tb, &mut c, n, beta, cut, m);
                for (i, (&x, &y)) in c.iter().zip(&want).enumerate() {
                    assert!(
                        (x - y).abs() <= 1e-4 * (1.0 + y.abs()) * (k as f32).sqrt(),
                        "m{m} n{n} k{k} tb{tb} beta{beta} [{i}]: {x} vs {y}"
                    );
                }
            }
        }
    }
}

#[test]
fn packed_rows_per_panel_match_reference() {
    // A panels holding h < MR rows each (C row i*h + r in lane r of panel i), B packed
    let mut r = Rng(0x9a7e_1e55);
    let (mr, _) = panel_dims();
    for &(m, n, k) in &[(49, 64, 300), (13, 33, 5), (98, 40, 1100), (1, 17, 3)] {
        for h in (1..=mr).rev().take(3) {
            let a = r.vec(m * k);
            let b = r.vec(k * n);
            let np = m.div_ceil(h);
            // the rows spread over the panels' first h lanes, the other lanes garbage
            let mut spread = r.vec(np * mr * k);
            for i in 0..m {
                let row = (i / h) * mr + i % h;
                spread[row * k..(row + 1) * k].copy_from_slice(&a[i * k..(i + 1) * k]);
            }
            let mut ap = vec![f32::NAN; packed_a_len(np * mr, k)];
            pack_a_panels(np * mr, k, &spread, k, false, &mut ap);
            let mut bp = vec![f32::NAN; packed_b_len(k, n)];
            pack_b_panels(k, n, &b, n, false, &mut bp);
            let mut want = vec![0f32; m * n];
            reference(m, n, k, &a, k, false, &b, n, false, &mut want, n, 0.0, None, (0, m), (0, n));
            // one more row of C past m: never written
            let mut c = vec![f32::NAN; (m + 1) * n];
            c[m * n..].fill(7.0);
            // SAFETY: the packings hold np panels of depth k and n columns; c holds m rows of n.
            unsafe { sgemm_packed_raw_rows(m, n, k, h, ap.as_ptr(), bp.as_ptr(), c.as_mut_ptr(), n, false) };
            for (i, (&x, &y)) in c.iter().zip(&want).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-4 * (1.0 + y.abs()) * (k as f32).sqrt(),
                    "m{m} n{n} k{k} h{h} [{i}]: {x} vs {y}"
                );
            }
            assert!(c[m * n..].iter().all(|&v| v == 7.0), "m{m} h{h}: wrote past C");
        }
    }
}

#[test]
fn bpacked_reads_a_in_place_match_reference() {
    // A row-major with padding (lda > k), B packed deeper than used (bk > k), C with a column
    // past n that must stay untouched; both beta = 0 (C garbage) and accumulate
    let mut r = Rng(0xb9ac_7ed0);
    for &(m, n, k, bk) in &[(64, 128, 64, 64), (13, 33, 5, 9), (9, 70, 300, 301), (1, 17, 3, 3), (5, 4, 0, 2)] {
        let lda = k + 3;
        let a = r.vec(m * lda);
        let full = r.vec(bk * n);
        let mut bp = vec![f32::NAN; packed_b_len(bk, n)];
        pack_b_panels(bk, n, &full, n, false, &mut bp);
        let ldc = n + 1;
        for accum in [false, true] {
            let init = r.vec(m * ldc);
            let mut want = init.clone();
            let beta = if accum { 1.0 } else { 0.0 };
            reference(m, n, k, &a, lda, false, &full, n, false, &mut want, ldc, beta, None, (0, m), (0, n));
            let mut c = init.clone();
            if !accum {
                for i in 0..m {
                    c[i * ldc..i * ldc + n].fill(f32::NAN);
                }
            }
            // SAFETY: a holds m rows of lda >= k, bp n columns of depth bk, c m rows of ldc >= n.
            unsafe { sgemm_bpacked_raw(m, n, k, a.as_ptr(), lda, bp.as_ptr(), bk, c.as_mut_ptr(), ldc, accum) };
            for i in 0..m {
                for j in 0..n {
                    let (x, y) = (c[i * ldc + j], want[i * ldc + j]);
                    assert!(
                        (x - y).abs() <= 1e-4 * (1.0 + y.abs()) * ((k + 1) as f32).sqrt(),
                        "m{m} n{n} k{k} [{i},{j}]: {x} vs {y}"
                    );
                }
                assert_eq!(c[i * ldc + n].to_bits(), init[i * ldc + n].to_bits(), "m{m} n{n} k{k}: wrote past n");
            }
        }
    }
}
