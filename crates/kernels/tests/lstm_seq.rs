//! The fused LSTM layer-direction forward (`rnn::lstm_seq`) against a step-by-step reference
//! built from `gemm::sgemm` + `rnn::lstm_cell` (odd sizes, reverse, kept activations, threads).
use torchlet_kernels::{gemm, par, rnn};

fn rnd(n: usize, seed: u32, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(12345);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            ((s % 20001) as f32 / 10000.0 - 1.0) * scale
        })
        .collect()
}

#[allow(clippy::type_complexity)]
fn reference(
    p0: &[f32],
    w: &[f32],
    c0: &[f32],
    h0: &[f32],
    t_len: usize,
    b: usize,
    hs: usize,
    reverse: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let (g, bh) = (4 * hs, b * hs);
    let bg = b * g;
    let mut p = p0.to_vec();
    let mut y = vec![0f32; (t_len + 1) * bh];
    let h0_row = if reverse { t_len } else { 0 };
    y[h0_row * bh..(h0_row + 1) * bh].copy_from_slice(h0);
    let mut cs = vec![0f32; t_len * bh];
    let mut act = vec![0f32; t_len * bg];
    for s in 0..t_len {
        let t = if reverse { t_len - 1 - s } else { s };
        let (prev, hr) = if reverse { (t + 1, t) } else { (t, t + 1) };
        let hp = y[prev * bh..(prev + 1) * bh].to_vec();
        gemm::sgemm(b, g, hs, &hp, hs, false, w, hs, true, &mut p[t * bg..(t + 1) * bg], g, 1.0, None);
        let cp = if s == 0 {
            c0.to_vec()
        } else {
            let pt = if reverse { t + 1 } else { t - 1 };
            cs[pt * bh..(pt + 1) * bh].to_vec()
        };
        let mut h = vec![0f32; bh];
        let mut c = vec![0f32; bh];
        rnn::lstm_cell(&p[t * bg..(t + 1) * bg], &cp, &mut h, &mut c, &mut act[t * bg..(t + 1) * bg], b, hs);
        y[hr * bh..(hr + 1) * bh].copy_from_slice(&h);
        cs[t * bh..(t + 1) * bh].copy_from_slice(&c);
    }
    (p, y, cs, act)
}

fn close(a: &[f32], e: &[f32], what: &str) {
    assert_eq!(a.len(), e.len());
    for (i, (&x, &y)) in a.iter().zip(e).enumerate() {
        assert!((x - y).abs() <= 2e-5 + 2e-5 * y.abs(), "{what}[{i}]: {x} vs {y}");
    }
}

#[test]
fn lstm_seq_matches_stepwise() {
    for threads in [1usize, 2, 3] {
        par::set_threads(threads);
        for &(t_len, b, hs) in
            &[(1usize, 1usize, 1usize), (3, 2, 5), (5, 3, 17), (4, 9, 33), (7, 16, 64), (3, 5, 100), (2, 16, 256)]
        {
            for reverse in [false, true] {
                for keep in [false, true] {
                    let (g, bh) = (4 * hs, b * hs);
                    let p0 = rnd(t_len * b * g, (t_len * 31 + hs) as u32, 2.0);
                    let w = rnd(g * hs, hs as u32 + 7, 0.3);
                    let c0 = rnd(bh, 3, 1.0);
                    let h0 = rnd(bh, 4, 1.0);
                    let (rp, ry, rcs, ract) = reference(&p0, &w, &c0, &h0, t_len, b, hs, reverse);
                    let mut p = p0.clone();
                    let mut hout = vec![f32::NAN; t_len * bh];
                    let mut cs = vec![f32::NAN; t_len * bh];
                    let mut act = vec![f32::NAN; if keep { t_len * b * g } else { b * g }];
                    rnn::lstm_seq(&mut p, &w, &c0, &h0, &mut hout, &mut cs, &mut act, keep, t_len, b, hs, reverse);
                    // the reference's y: forward row t + 1 = h_t, reverse row t = h_t
                    let sh = if reverse { 0 } else { bh };
                    let what = format!("T{t_len} B{b} H{hs} rev {reverse} keep {keep} threads {threads}");
                    close(&p, &rp, &format!("{what} gates"));
                    close(&hout, &ry[sh..sh + t_len * bh], &format!("{what} h"));
                    close(&cs, &rcs, &format!("{what} c"));
                    if keep {
                        close(&act, &ract, &format!("{what} act"));
                    }
                }
            }
        }
    }
    par::set_threads(1);
}

#[test]
fn lstm_cell_special_values() {
    // saturated gates, NaN propagation
    let hs = 20;
    let mut gates = vec![0f32; 4 * hs];
    for (j, v) in gates.iter_mut().enumerate() {
        *v = [-200.0, -30.0, -1.0, -1e-3, 0.0, 1e-3, 0.7, 30.0, 200.0, f32::NAN][j % 10];
    }
    let cp = rnd(hs, 9, 1.0);
    let (mut h, mut c, mut act) = (vec![0f32; hs], vec![0f32; hs], vec![0f32; 4 * hs]);
    let mut y = vec![0f32; hs];
    let h0 = vec![0f32; hs];
    let (mut cs, mut act2) = (vec![0f32; hs], vec![0f32; 4 * hs]);
    rnn::lstm_cell(&gates, &cp, &mut h, &mut c, &mut act, 1, hs);
    let mut p = gates.clone();
    let w = vec![0f32; 4 * hs * hs];
    rnn::lstm_seq(&mut p, &w, &cp, &h0, &mut y, &mut cs, &mut act2, true, 1, 1, hs, false);
    for i in 0..4 * hs {
        let (a, e) = (act2[i], act[i]);
        assert!(
            a.is_nan() == e.is_nan() && (a.is_nan() || (a - e).abs() <= 1e-6 + 1e-5 * e.abs()),
            "act[{i}] {a} vs {e} (x = {})",
            gates[i]
        );
    }
    for i in 0..hs {
        let (a, e) = (y[i], h[i]);
        assert!(
            a.is_nan() == e.is_nan() && (a.is_nan() || (a - e).abs() <= 1e-6 + 1e-5 * e.abs()),
            "h[{i}] {a} vs {e}"
        );
    }
}
