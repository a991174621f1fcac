//! Kernel tests independent of the TypeScript suite: conv against a direct loop, SIMD twins
//! against their baseline twins on odd sizes, the thread pool against one thread.
use torchlet_kernels::conv::{self, ConvGeom};
use torchlet_kernels::elementwise::{self as ew, Binary, Unary};
use torchlet_kernels::{norm, par, pool, reduce, simd, softmax};

fn rand(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n).map(|_| {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
    }).collect()
}

fn close(a: &[f32], b: &[f32], rtol: f32, atol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let ok = if x.is_nan() || y.is_nan() { x.is_nan() && y.is_nan() } else if !x.is_finite() || !y.is_finite() { x == y } else { (x - y).abs() <= atol + rtol * y.abs() };
        assert!(ok, "{what}: index {i}: {x} vs {y}");
    }
}

#[allow(clippy::too_many_arguments)]
fn geom(n: usize, c: usize, o: usize, groups: usize, inp: [usize; 3], k: [usize; 3], s: [usize; 3], p: [usize; 3], d: [usize; 3]) -> ConvGeom {
    let out = |i: usize| (inp[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
    ConvGeom { n, c, o, groups, in_d: inp[0], in_h: inp[1], in_w: inp[2], k_d: k[0], k_h: k[1], k_w: k[2],
               s_d: s[0], s_h: s[1], s_w: s[2], p_d: p[0], p_h: p[1], p_w: p[2], d_d: d[0], d_h: d[1], d_w: d[2],
               out_d: out(0), out_h: out(1), out_w: out(2) }
}

/// Direct convolution and its two gradients (f64 accumulation).
fn direct(g: &ConvGeom, x: &[f32], w: &[f32], gy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let mut y = vec![0f64; g.y_len()];
    let mut gx = vec![0f64; g.x_len()];
    let mut gw = vec![0f64; g.w_len()];
    for n in 0..g.n { for o in 0..g.o { let grp = o / og;
        for od in 0..g.out_d { for oh in 0..g.out_h { for ow in 0..g.out_w {
            let yi = (((n * g.o + o) * g.out_d + od) * g.out_h + oh) * g.out_w + ow;
            for c in 0..cg { for kd in 0..g.k_d { for kh in 0..g.k_h { for kw in 0..g.k_w {
                let id = (od * g.s_d + kd * g.d_d) as isize - g.p_d as isize;
                let ih = (oh * g.s_h + kh * g.d_h) as isize - g.p_h as isize;
                let iw = (ow * g.s_w + kw * g.d_w) as isize - g.p_w as isize;
                if id < 0 || ih < 0 || iw < 0 || id as usize >= g.in_d || ih as usize >= g.in_h || iw as usize >= g.in_w { continue; }
                let xi = (((n * g.c + grp * cg + c) * g.in_d + id as usize) * g.in_h + ih as usize) * g.in_w + iw as usize;
                let wi = (((o * cg + c) * g.k_d + kd) * g.k_h + kh) * g.k_w + kw;
                y[yi] += x[xi] as f64 * w[wi] as f64;
                gx[xi] += gy[yi] as f64 * w[wi] as f64;
                gw[wi] += gy[yi] as f64 * x[xi] as f64;
            }}}}
        }}}
    }}
    let f = |v: Vec<f64>| v.into_iter().map(|a| a as f32).collect::<Vec<_>>();
    (f(y), f(gx), f(gw))
}

fn check_conv(threads: usize) {
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
        conv::conv(g, &x, &w, None, &mut y);
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
        if n > 3 { x[1] = f32::NAN; x[2] = f32::INFINITY; x[3] = -0.0; }
        let y = rand(n, n as u64 + 1);
        for op in 0..11 {
            let op = Unary::from_code(op).unwrap();
            twins(&format!("unary {op:?} {n}"), 0.0, &|| { let mut o = vec![0.0; n]; ew::unary(op, &x, &mut o); o });
            twins(&format!("unaryGrad {op:?} {n}"), 0.0, &|| { let mut o = vec![0.0; n]; ew::unary_grad(op, &x, &y, &y, &mut o); o });
        }
        for op in 0..10 {
            let op = Binary::from_code(op).unwrap();
            twins(&format!("binary {op:?} {n}"), 0.0, &|| { let mut o = vec![0.0; n]; ew::binary_f32(op, &x, &[1], &y, &[1], &mut o, &[n]); o });
            twins(&format!("scalar {op:?} {n}"), 0.0, &|| { let mut o = vec![0.0; n]; ew::scalar_f32(op, &x, 0.7, &mut o); o });
        }
        twins(&format!("softmax {n}"), 1e-6, &|| { let mut o = vec![0.0; n]; softmax::softmax(&y, &mut o, 1, n, 1, true); o });
        twins(&format!("sum {n}"), 1e-6, &|| { let mut o = vec![0.0; 1]; reduce::sum_f32(&y, &mut o, 1, n, 1); o });
        twins(&format!("layerNorm {n}"), 1e-6, &|| {
            let (mut o, mut m, mut r) = (vec![0.0; n], vec![0.0; 1], vec![0.0; 1]);
            norm::layer_norm(&y, 1, n, 1e-5, None, None, &mut o, &mut m, &mut r);
            o
        });
    }
}

#[test]
fn pooling_threaded_matches_single() {
    let g = pool::PoolGeom { nc: 64, h: 24, w: 24, k_h: 3, k_w: 3, s_h: 2, s_w: 2, p_h: 1, p_w: 1, d_h: 1, d_w: 1, o_h: 12, o_w: 12 };
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
