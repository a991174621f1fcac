//! Conv fast paths (implicit-GEMM blocks, shifted-row im2col, stride-2 gathers, channel-chunked
//! grad-input, image-spanning grad-weight blocks) against direct loops, on odd sizes and 1-3 threads.
use torchlet_kernels::conv::{self, ConvGeom};
use torchlet_kernels::{gemm, par};

mod common;
use common::{close, direct, geom, rand};

fn run(g: &ConvGeom, seed: u64, what: &str) {
    let (x, w, gy) = (rand(g.x_len(), seed), rand(g.w_len(), seed + 1), rand(g.y_len(), seed + 2));
    let bias = rand(g.o, seed + 3);
    let (mut ry, rgx, rgw) = direct(g, &x, &w, &gy);
    let s = g.out_size();
    let mut y = vec![f32::NAN; g.y_len()];
    conv::conv(g, &x, &w, None, &mut y, false);
    close(&y, &ry, 1e-4, 1e-4, &format!("conv without bias {what}"));
    for n in 0..g.n {
        for o in 0..g.o {
            for v in &mut ry[(n * g.o + o) * s..(n * g.o + o + 1) * s] {
                *v += bias[o];
            }
        }
    }
    let mut y = vec![f32::NAN; g.y_len()];
    conv::conv(g, &x, &w, Some(&bias), &mut y, false);
    close(&y, &ry, 1e-4, 1e-4, &format!("conv {what}"));
    // the fused ReLU is exactly relu of the unfused output
    let mut yr = vec![f32::NAN; g.y_len()];
    conv::conv(g, &x, &w, Some(&bias), &mut yr, true);
    for (k, (&a, &b)) in yr.iter().zip(&y).enumerate() {
        assert_eq!(a.to_bits(), if b > 0.0 { b } else { 0.0 }.to_bits(), "conv+relu {what} at {k}");
    }
    let mut gx = vec![f32::NAN; g.x_len()];
    conv::conv_grad_input(g, &gy, &w, &mut gx);
    close(&gx, &rgx, 1e-4, 1e-4, &format!("gradInput {what}"));
    let mut gw = vec![f32::NAN; g.w_len()];
    let mut gb = vec![f32::NAN; g.o];
    conv::conv_grad_weight(g, &x, &gy, &mut gw, Some(&mut gb));
    close(&gw, &rgw, 2e-4, 2e-3, &format!("gradWeight {what}"));
    for o in 0..g.o {
        let r: f64 =
            (0..g.n).map(|n| gy[(n * g.o + o) * s..(n * g.o + o + 1) * s].iter().map(|&v| v as f64).sum::<f64>()).sum();
        assert!((gb[o] as f64 - r).abs() <= 1e-3 + 1e-4 * r.abs(), "gradBias {what} {o}");
    }
}

#[test]
fn conv_fast_paths_match_direct_loops() {
    // small shapes take the threaded paths too (convs below the size threshold run on one thread)
    conv::set_par_min_macs(0, 0);
    let one = [1, 1, 1];
    let geoms = [
        // shifted-row case (stride 1, same width), several column blocks splitting rows mid-way
        geom(2, 70, 19, 1, [1, 13, 13], [1, 3, 3], one, [0, 1, 1], one),
        geom(3, 16, 32, 1, [1, 14, 14], [1, 3, 3], one, [0, 1, 1], one),
        geom(1, 1, 3, 1, [1, 1, 17], [1, 1, 3], one, [0, 0, 1], one),
        geom(1, 3, 1, 1, [1, 17, 1], [1, 3, 1], one, [0, 1, 0], one),
        geom(2, 1, 16, 1, [1, 28, 28], [1, 3, 3], one, [0, 1, 1], one),
        geom(1, 5, 129, 1, [1, 9, 9], [1, 5, 5], one, [0, 2, 2], one),
        // same width via dilation 2 / pad 2, asymmetric pads (height not kept)
        geom(2, 4, 5, 1, [1, 11, 10], [1, 3, 3], one, [0, 2, 2], [1, 2, 2]),
        geom(2, 4, 5, 1, [1, 11, 10], [1, 3, 3], one, [0, 0, 1], one),
        geom(2, 6, 9, 3, [1, 8, 9], [1, 3, 3], one, [0, 1, 1], one),
        // deep shifted-row case (K >= 256: im2col written by the first row tile on AVX-512):
        // dilation, rows entirely in the padding, groups, 1-d taps, 49 and 81 taps, og < 8
        geom(2, 30, 17, 1, [1, 11, 10], [1, 3, 3], one, [0, 2, 2], [1, 2, 2]),
        geom(1, 29, 9, 1, [1, 3, 3], [1, 3, 3], one, [0, 3, 1], one),
        geom(2, 60, 16, 2, [1, 8, 9], [1, 3, 3], one, [0, 1, 1], one),
        geom(1, 300, 9, 1, [1, 5, 37], [1, 1, 3], one, [0, 0, 1], one),
        geom(1, 8, 12, 1, [1, 9, 13], [1, 7, 7], one, [0, 3, 3], one),
        geom(1, 4, 10, 1, [1, 10, 10], [1, 9, 9], one, [0, 4, 4], one),
        geom(1, 32, 5, 1, [1, 7, 40], [1, 3, 3], one, [0, 1, 1], one),
        geom(3, 16, 12, 1, [1, 14, 14], [1, 3, 3], one, [0, 1, 1], one),
        // K = 1081 (bias included): deeper than one KC block of the AVX-512 GEMM
        geom(1, 120, 12, 1, [1, 6, 9], [1, 3, 3], one, [0, 1, 1], one),
        // pad wider than the kernel reach (rows entirely in the padding)
        geom(1, 2, 3, 1, [1, 3, 3], [1, 3, 3], one, [0, 3, 1], one),
        // stride 2 (stem-like, K = 147), stride 3, odd sizes
        geom(1, 3, 64, 1, [1, 37, 41], [1, 7, 7], [1, 2, 2], [0, 3, 3], one),
        geom(2, 3, 17, 1, [1, 30, 29], [1, 7, 7], [1, 2, 2], [0, 3, 3], one),
        geom(2, 5, 7, 1, [1, 13, 17], [1, 3, 4], [1, 3, 2], [0, 1, 2], [1, 2, 1]),
        // per-panel implicit GEMM (og >= 32, not shifted rows): stride 1 unpadded, stride 2 with
        // dilation / odd pads, groups, short rows (panels spanning several output rows)
        geom(2, 4, 40, 1, [1, 12, 15], [1, 3, 3], one, [0, 0, 0], one),
        geom(1, 3, 33, 1, [1, 20, 23], [1, 5, 4], [1, 2, 2], [0, 1, 1], [1, 1, 2]),
        geom(2, 4, 64, 2, [1, 11, 16], [1, 3, 3], [1, 1, 2], [0, 2, 1], one),
        geom(1, 4, 48, 1, [1, 9, 30], [1, 2, 5], one, [0, 1, 0], [1, 2, 1]),
        // stride 2 wide rows (vector even/odd split) with even and odd pads, odd width
        geom(1, 3, 40, 1, [1, 9, 71], [1, 5, 5], [1, 2, 2], [0, 2, 2], one),
        geom(1, 4, 32, 1, [1, 7, 66], [1, 3, 3], [1, 2, 2], [0, 1, 1], one),
        // 1x1 non-pointwise (stride 2), pointwise, 3-d
        geom(2, 8, 12, 2, [1, 9, 9], [1, 1, 1], [1, 2, 2], [0, 0, 0], one),
        geom(3, 8, 12, 4, [1, 5, 7], [1, 1, 1], one, [0, 0, 0], one),
        geom(2, 3, 4, 1, [4, 5, 6], [2, 3, 3], one, [1, 1, 1], one),
        geom(1, 2, 3, 1, [5, 6, 6], [3, 3, 3], [2, 1, 1], [1, 1, 1], one),
        // grad-input blocks spanning images (outputs under 256 positions): row blocks of W^T
        // (rows > the block), blocks of several images with a partial last one, groups, stride
        // 2, dilation, 3-d
        geom(16, 40, 24, 1, [1, 4, 4], [1, 3, 3], one, [0, 1, 1], one),
        geom(13, 130, 33, 1, [1, 7, 7], [1, 3, 3], one, [0, 1, 1], one),
        geom(7, 9, 39, 3, [1, 5, 7], [1, 3, 3], [1, 2, 2], [0, 1, 1], one),
        geom(9, 6, 10, 1, [1, 6, 6], [1, 3, 3], one, [0, 2, 2], [1, 2, 2]),
        geom(4, 3, 5, 1, [3, 4, 4], [3, 3, 3], one, [1, 1, 1], one),
        geom(11, 24, 36, 1, [1, 3, 5], [1, 1, 1], [1, 2, 2], [0, 0, 0], one),
        // one image, many positions: the pointwise GEMMs split columns across threads
        geom(1, 24, 40, 1, [1, 20, 23], [1, 1, 1], one, [0, 0, 0], one),
        // many images with little work each (grad-weight blocks span images)
        geom(9, 2, 3, 1, [1, 5, 5], [1, 3, 3], one, [0, 1, 1], one),
        geom(1, 1, 1, 1, [1, 1, 1], [1, 1, 1], one, [0, 0, 0], one),
        geom(1, 1, 1, 1, [1, 1, 1], [1, 3, 3], one, [0, 1, 1], one),
    ];
    // budget divisor 256: blocks of a few columns, so every path runs several blocks per image
    for div in [1usize, 256] {
        conv::set_block_budget_div(div);
        for threads in [1usize, 2, 3] {
            par::set_threads(threads);
            for (i, g) in geoms.iter().enumerate() {
                run(g, 10 + i as u64, &format!("geom {i} threads {threads} budget/{div} {g:?}"));
            }
        }
    }
    conv::set_block_budget_div(1);
    par::set_threads(1);
}

#[test]
fn packed_gemm_matches_naive() {
    for &(m, n, k) in &[(1usize, 1usize, 1usize), (3, 17, 5), (17, 33, 129), (64, 160, 576), (9, 31, 300), (129, 3, 2)]
    {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = rand(m * k, 1);
                let b = rand(k * n, 2);
                let (lda, ldb) = (if ta { m } else { k }, if tb { k } else { n });
                let mut ap = vec![f32::NAN; gemm::packed_a_len(m, k)];
                let mut bp = vec![f32::NAN; gemm::packed_b_len(k, n)];
                gemm::pack_a_panels(m, k, &a, lda, ta, &mut ap);
                gemm::pack_b_panels(k, n, &b, ldb, tb, &mut bp);
                let ldc = n + 3;
                let c0 = rand(m * ldc, 3);
                for accum in [false, true] {
                    let mut c = c0.clone();
                    gemm::sgemm_packed(m, n, k, &ap, &bp, &mut c, ldc, accum);
                    for i in 0..m {
                        for j in 0..n {
                            let mut r = if accum { c0[i * ldc + j] as f64 } else { 0.0 };
                            for p in 0..k {
                                let av = if ta { a[p * lda + i] } else { a[i * lda + p] };
                                let bv = if tb { b[j * ldb + p] } else { b[p * ldb + j] };
                                r += av as f64 * bv as f64;
                            }
                            let v = c[i * ldc + j] as f64;
                            assert!(
                                (v - r).abs() <= 1e-3 + 1e-4 * r.abs(),
                                "{m}x{n}x{k} ta {ta} tb {tb} accum {accum} ({i},{j}): {v} vs {r}"
                            );
                        }
                        for j in n..ldc {
                            assert_eq!(c[i * ldc + j].to_bits(), c0[i * ldc + j].to_bits(), "padding column written");
                        }
                    }
                }
            }
        }
    }
}
