//! Every ISA path of conv, pool and rnn (not only GEMM): `simd::force_isa` caps the one CPU
//! detection of the crate at scalar, AVX2 and AVX-512 in turn (the levels this CPU has), and each
//! path is checked against direct loops (conv) or the scalar path (pool, rnn). One test function:
//! the override is process-wide, so the paths run one after the other.
use torchlet_kernels::conv;
use torchlet_kernels::simd::{self, Isa};
use torchlet_kernels::{gemm, par, pool, rnn};

mod common;
use common::{close, direct, geom, rand};

fn conv_all(g: &conv::ConvGeom, seed: u64, what: &str) {
    let (x, w, gy) = (rand(g.x_len(), seed), rand(g.w_len(), seed + 1), rand(g.y_len(), seed + 2));
    let (ry, rgx, rgw) = direct(g, &x, &w, &gy);
    let mut y = vec![f32::NAN; g.y_len()];
    conv::conv(g, &x, &w, None, &mut y, false);
    close(&y, &ry, 1e-4, 1e-4, &format!("conv {what}"));
    let mut yr = vec![f32::NAN; g.y_len()];
    conv::conv(g, &x, &w, None, &mut yr, true);
    for (k, (&a, &b)) in yr.iter().zip(&y).enumerate() {
        assert_eq!(a.to_bits(), if b > 0.0 { b } else { 0.0 }.to_bits(), "conv+relu {what} at {k}");
    }
    let mut gx = vec![f32::NAN; g.x_len()];
    conv::conv_grad_input(g, &gy, &w, &mut gx);
    close(&gx, &rgx, 1e-4, 1e-4, &format!("gradInput {what}"));
    let mut gw = vec![f32::NAN; g.w_len()];
    conv::conv_grad_weight(g, &x, &gy, &mut gw, None);
    close(&gw, &rgw, 2e-4, 2e-3, &format!("gradWeight {what}"));
}

/// Pool and rnn outputs at the current level (compared across levels by the caller).
fn pool_rnn_outputs() -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    for (i, &(nc, h, w, k, s, p)) in
        [(5usize, 13usize, 37usize, 2usize, 2usize, 0usize), (3, 16, 16, 2, 2, 0), (4, 11, 19, 3, 2, 1)]
            .iter()
            .enumerate()
    {
        let oh = (h + 2 * p - k) / s + 1;
        let ow = (w + 2 * p - k) / s + 1;
        let g = pool::PoolGeom {
            nc,
            h,
            w,
            k_h: k,
            k_w: k,
            s_h: s,
            s_w: s,
            p_h: p,
            p_w: p,
            d_h: 1,
            d_w: 1,
            o_h: oh,
            o_w: ow,
        };
        let x = rand(nc * h * w, 40 + i as u64);
        let mut y = vec![f32::NAN; nc * oh * ow];
        let mut ix = vec![-7i32; nc * oh * ow];
        pool::max_pool2d(&g, &x, &mut y, Some(&mut ix));
        let mut y2 = vec![f32::NAN; nc * oh * ow];
        pool::max_pool2d(&g, &x, &mut y2, None);
        assert_eq!(y, y2, "maxPool2d with and without indices");
        out.push((format!("maxPool2d {i}"), y));
        out.push((format!("maxPool2d idx {i}"), ix.iter().map(|&v| v as f32).collect()));
        let mut a = vec![f32::NAN; nc * oh * ow];
        pool::avg_pool2d(&g, &x, &mut a, true, 0);
        out.push((format!("avgPool2d {i}"), a));
    }
    for &(b, hs) in &[(3usize, 5usize), (2, 37), (4, 64)] {
        let (bh, bg) = (b * hs, 4 * b * hs);
        let (gates, cp) = (rand(bg, 60 + hs as u64), rand(bh, 61));
        let (mut h, mut c, mut act) = (vec![f32::NAN; bh], vec![f32::NAN; bh], vec![f32::NAN; bg]);
        rnn::lstm_cell(&gates, &cp, &mut h, &mut c, &mut act, b, hs);
        out.push((format!("lstmCell h {b}x{hs}"), h));
        out.push((format!("lstmCell c {b}x{hs}"), c));
        out.push((format!("lstmCell act {b}x{hs}"), act));
        let (gi, gh) = (rand(3 * bh, 62), rand(3 * bh, 63));
        let (mut h2, mut act2) = (vec![f32::NAN; bh], vec![f32::NAN; bg]);
        rnn::gru_cell(&gi, &gh, &cp, &mut h2, &mut act2, b, hs);
        out.push((format!("gruCell h {b}x{hs}"), h2));
        let t = 5;
        let mut p = rand(t * bg, 64);
        let w = rand(4 * hs * hs, 65).iter().map(|v| v * 0.3).collect::<Vec<_>>();
        let (c0, h0) = (rand(bh, 66), rand(bh, 67));
        let (mut hseq, mut cs, mut actseq) = (vec![f32::NAN; t * bh], vec![f32::NAN; t * bh], vec![f32::NAN; t * bg]);
        rnn::lstm_seq(&mut p, &w, &c0, &h0, &mut hseq, &mut cs, &mut actseq, true, t, b, hs, false);
        out.push((format!("lstmSeq h {b}x{hs}"), hseq));
        out.push((format!("lstmSeq c {b}x{hs}"), cs));
    }
    out
}

#[test]
fn conv_pool_rnn_on_every_isa_level() {
    // small shapes take the threaded paths too (convs below the size threshold run on one thread)
    conv::set_par_min_macs(0, 0);
    let levels: Vec<Isa> =
        [Isa::Scalar, Isa::Avx2, Isa::Avx512].into_iter().filter(|&l| l <= simd::detected()).collect();
    let one = [1, 1, 1];
    let geoms = [
        geom(2, 16, 32, 1, [1, 14, 14], [1, 3, 3], one, [0, 1, 1], one), // shifted rows, deep (fused AVX-512 im2col)
        geom(1, 3, 24, 1, [1, 23, 23], [1, 7, 7], [1, 2, 2], [0, 3, 3], one), // 7x7/2 stem (panel path)
        geom(2, 8, 12, 4, [1, 6, 6], [1, 3, 3], one, [0, 1, 1], one),    // groups
        geom(1, 4, 6, 1, [1, 5, 5], [1, 1, 1], one, [0, 0, 0], one),     // pointwise
        geom(1, 5, 9, 1, [1, 10, 17], [1, 3, 3], [1, 2, 2], [0, 1, 1], one), // stride 2 split
    ];
    let mut base: Option<Vec<(String, Vec<f32>)>> = None;
    for threads in [1, 2] {
        par::set_threads(threads);
        for &level in &levels {
            simd::force_isa(Some(level));
            assert_eq!(simd::level(), level);
            let want = match level {
                Isa::Avx512 => "avx512",
                Isa::Avx2 => "avx2",
                Isa::Scalar => {
                    if cfg!(target_arch = "x86_64") {
                        "sse2"
                    } else {
                        "scalar"
                    }
                }
            };
            assert_eq!(simd::isa(), want, "isa() at {level:?}");
            #[cfg(target_arch = "x86_64")]
            assert_eq!(
                gemm::best_kernel(),
                match level {
                    Isa::Avx512 => gemm::GemmKernel::Avx512,
                    Isa::Avx2 => gemm::GemmKernel::Avx2,
                    Isa::Scalar => gemm::GemmKernel::Scalar,
                }
            );
            for (i, g) in geoms.iter().enumerate() {
                conv_all(g, 10 + i as u64, &format!("{i} at {level:?}, {threads} threads"));
            }
            let got = pool_rnn_outputs();
            match &base {
                None => base = Some(got),
                Some(b) => {
                    for ((name, want), (_, have)) in b.iter().zip(&got) {
                        close(have, want, 1e-5, 1e-6, &format!("{name} at {level:?}, {threads} threads vs scalar"));
                    }
                }
            }
        }
    }
    simd::force_isa(None);
    par::set_threads(1);
    assert_eq!(simd::level(), simd::detected());
}
