//! Kernel tests independent of the TypeScript suite: conv against a direct loop, SIMD twins
//! against their baseline twins on odd sizes, the thread pool against one thread.
use torchlet_kernels::conv;
use torchlet_kernels::elementwise::{self as ew, Binary, Unary};
use torchlet_kernels::{norm, par, pool, reduce, simd, softmax};

mod common;
use common::{close, direct, geom, rand};

fn check_conv(threads: usize) {
    // small shapes take the threaded paths too (convs below the size threshold run on one thread)
    conv::set_par_min_macs(0, 0);
    par::set_threads(threads);
    let geoms = [
        geom(2, 3, 4, 1, [1, 7, 9], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 1, 1]),
        geom(3, 4, 6, 2, [1, 8, 7], [1, 3, 2], [1, 2, 3], [0, 2, 1], [1, 1, 2]),
        geom(1, 6, 6, 6, [1, 5, 5], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 2, 2]),
        geom(4, 5, 3, 1, [1, 6, 6], [1, 1, 1], [1, 1, 1], [0, 0, 0], [1, 1, 1]),
        geom(2, 2, 3, 1, [5, 4, 6], [3, 2, 3], [2, 1, 2], [1, 1, 0], [1, 2, 1]),
        geom(1, 3, 2, 1, [1, 4, 4], [1, 2, 2], [1, 3, 3], [0, 0, 0], [1, 1, 1]),
        geom(3, 16, 17, 1, [1, 12, 11], [1, 3, 3], [1, 1, 1], [0, 1, 1], [1, 1, 1]),
    ];
    for (i, g) in geoms.iter().enumerate() {
        let (x, w, gy) = (rand(g.x_len(), 1 + i as u64), rand(g.w_len(), 2), rand(g.y_len(), 3));
        let (ry, rgx, rgw) = direct(g, &x, &w, &gy);
        let mut y = vec![f32::NAN; g.y_len()];
        conv::conv(g, &x, &w, None, &mut y, false);
        close(&y, &ry, 1e-4, 1e-4, &format!("conv {i} threads {threads}"));
        let mut gx = vec![f32::NAN; g.x_len()];
        conv::conv_grad_input(g, &gy, &w, &mut gx);
        close(&gx, &rgx, 1e-4, 1e-4, &format!("convGradInput {i} threads {threads}"));
        let mut gw = vec![f32::NAN; g.w_len()];
        conv::conv_grad_weight(g, &x, &gy, &mut gw, None);
        close(&gw, &rgw, 1e-4, 1e-3, &format!("convGradWeight {i} threads {threads}"));
    }
    par::set_threads(1);
}

#[test]
fn conv_matches_direct_loops_single_and_threaded() {
    check_conv(1);
    check_conv(2);
    check_conv(3);
}

/// Runs `f` on the SIMD path and on the baseline twin; both outputs must agree.
fn twins(what: &str, rtol: f32, f: &dyn Fn() -> Vec<f32>) {
    simd::FORCE_BASELINE.store(true, std::sync::atomic::Ordering::SeqCst);
    let base = f();
    simd::FORCE_BASELINE.store(false, std::sync::atomic::Ordering::SeqCst);
    let fast = f();
    close(&fast, &base, rtol, 1e-6, what);
}

#[test]
fn simd_twins_agree_on_odd_sizes() {
    for n in [1usize, 3, 7, 8, 9, 17, 129, 1000] {
        let mut x = rand(n, n as u64);
        if n > 3 {
            x[1] = f32::NAN;
            x[2] = f32::INFINITY;
            x[3] = -0.0;
        }
        let y = rand(n, n as u64 + 1);
        for &op in Unary::ALL {
            twins(&format!("unary {op:?} {n}"), 0.0, &|| {
                let mut o = vec![0.0; n];
                ew::unary(op, &x, &mut o);
                o
            });
            twins(&format!("unaryGrad {op:?} {n}"), 0.0, &|| {
                let mut o = vec![0.0; n];
                ew::unary_grad(op, &x, &y, &y, &mut o);
                o
            });
        }
        for &op in Binary::ALL.iter().filter(|&&op| op != Binary::Rsub && op != Binary::Rdiv) {
            twins(&format!("binary {op:?} {n}"), 0.0, &|| {
                let mut o = vec![0.0; n];
                ew::binary_f32(op, &x, &[1], &y, &[1], &mut o, &[n]);
                o
            });
            twins(&format!("scalar {op:?} {n}"), 0.0, &|| {
                let mut o = vec![0.0; n];
                ew::scalar_f32(op, &x, 0.7, &mut o);
                o
            });
        }
        twins(&format!("softmax {n}"), 1e-6, &|| {
            let mut o = vec![0.0; n];
            softmax::softmax(&y, &mut o, 1, n, 1, true);
            o
        });
        twins(&format!("sum {n}"), 1e-6, &|| {
            let mut o = vec![0.0; 1];
            reduce::sum_f32(&y, &mut o, 1, n, 1);
            o
        });
        twins(&format!("layerNorm {n}"), 1e-6, &|| {
            let (mut o, mut m, mut r) = (vec![0.0; n], vec![0.0; 1], vec![0.0; 1]);
            norm::layer_norm(&y, 1, n, 1e-5, None, None, &mut o, &mut m, &mut r);
            o
        });
    }
}

#[test]
fn pooling_threaded_matches_single() {
    let g = pool::PoolGeom {
        nc: 64,
        h: 24,
        w: 24,
        k_h: 3,
        k_w: 3,
        s_h: 2,
        s_w: 2,
        p_h: 1,
        p_w: 1,
        d_h: 1,
        d_w: 1,
        o_h: 12,
        o_w: 12,
    };
    let x = rand(64 * 24 * 24, 9);
    let run = |t: usize| {
        par::set_threads(t);
        let (mut y, mut ix) = (vec![0.0; 64 * 144], vec![0; 64 * 144]);
        pool::max_pool2d(&g, &x, &mut y, Some(&mut ix));
        let mut a = vec![0.0; 64 * 144];
        pool::avg_pool2d(&g, &x, &mut a, true, 0);
        par::set_threads(1);
        (y, ix, a)
    };
    assert_eq!(run(1), run(3));
}
