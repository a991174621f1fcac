//! Helpers shared by the integration tests: a seeded generator, NaN-aware closeness, conv
//! geometry and a direct (f64-accumulating) convolution with both gradients.
#![allow(dead_code)]
use torchlet_kernels::conv::ConvGeom;

pub fn rand(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
        })
        .collect()
}

pub fn close(a: &[f32], b: &[f32], rtol: f32, atol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let ok = if x.is_nan() || y.is_nan() {
            x.is_nan() && y.is_nan()
        } else if !x.is_finite() || !y.is_finite() {
            x == y
        } else {
            (x - y).abs() <= atol + rtol * y.abs()
        };
        assert!(ok, "{what}: index {i}: {x} vs {y}");
    }
}

#[allow(clippy::too_many_arguments)]
pub fn geom(
    n: usize,
    c: usize,
    o: usize,
    groups: usize,
    inp: [usize; 3],
    k: [usize; 3],
    s: [usize; 3],
    p: [usize; 3],
    d: [usize; 3],
) -> ConvGeom {
    let out = |i: usize| (inp[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
    ConvGeom {
        n,
        c,
        o,
        groups,
        in_d: inp[0],
        in_h: inp[1],
        in_w: inp[2],
        k_d: k[0],
        k_h: k[1],
        k_w: k[2],
        s_d: s[0],
        s_h: s[1],
        s_w: s[2],
        p_d: p[0],
        p_h: p[1],
        p_w: p[2],
        d_d: d[0],
        d_h: d[1],
        d_w: d[2],
        out_d: out(0),
        out_h: out(1),
        out_w: out(2),
    }
}

/// Direct convolution and its two gradients (f64 accumulation).
pub fn direct(g: &ConvGeom, x: &[f32], w: &[f32], gy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let mut y = vec![0f64; g.y_len()];
    let mut gx = vec![0f64; g.x_len()];
    let mut gw = vec![0f64; g.w_len()];
    for n in 0..g.n {
        for o in 0..g.o {
            let grp = o / og;
            for od in 0..g.out_d {
                for oh in 0..g.out_h {
                    for ow in 0..g.out_w {
                        let yi = (((n * g.o + o) * g.out_d + od) * g.out_h + oh) * g.out_w + ow;
                        for c in 0..cg {
                            for kd in 0..g.k_d {
                                for kh in 0..g.k_h {
                                    for kw in 0..g.k_w {
                                        let id = (od * g.s_d + kd * g.d_d) as isize - g.p_d as isize;
                                        let ih = (oh * g.s_h + kh * g.d_h) as isize - g.p_h as isize;
                                        let iw = (ow * g.s_w + kw * g.d_w) as isize - g.p_w as isize;
                                        if id < 0
                                            || ih < 0
                                            || iw < 0
                                            || id as usize >= g.in_d
                                            || ih as usize >= g.in_h
                                            || iw as usize >= g.in_w
                                        {
                                            continue;
                                        }
                                        let xi = (((n * g.c + grp * cg + c) * g.in_d + id as usize) * g.in_h
                                            + ih as usize)
                                            * g.in_w
                                            + iw as usize;
                                        let wi = (((o * cg + c) * g.k_d + kd) * g.k_h + kh) * g.k_w + kw;
                                        y[yi] += x[xi] as f64 * w[wi] as f64;
                                        gx[xi] += gy[yi] as f64 * w[wi] as f64;
                                        gw[wi] += gy[yi] as f64 * x[xi] as f64;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let f = |v: Vec<f64>| v.into_iter().map(|a| a as f32).collect::<Vec<_>>();
    (f(y), f(gx), f(gw))
}
