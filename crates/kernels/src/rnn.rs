//! Fused LSTM and GRU cell steps (gate activations + state update) and their backward steps.
//! Gate order: LSTM i, f, g, o; GRU r, z, n (as PyTorch).
use crate::{simd, simd_fn};

simd_fn! {
/// From pre-activation gates [B, 4H]: act = (sig i, sig f, tanh g, sig o), c = f cPrev + i g,
/// h = o tanh(c). `c_prev`, `h`, `c` are [B, H] slices at their offsets.
pub fn lstm_cell(gates: &[f32], c_prev: &[f32], h: &mut [f32], c: &mut [f32], act: &mut [f32], b: usize, hs: usize) {
    for bi in 0..b {
        // exact-length slices, so the loop below has no bounds checks and vectorises
        let g = &gates[bi * 4 * hs..(bi + 1) * 4 * hs];
        let (xi, xf, xg, xo) = (&g[..hs], &g[hs..2 * hs], &g[2 * hs..3 * hs], &g[3 * hs..4 * hs]);
        let a = &mut act[bi * 4 * hs..(bi + 1) * 4 * hs];
        let (ai, rest) = a.split_at_mut(hs);
        let (af, rest) = rest.split_at_mut(hs);
        let (ag, ao) = rest.split_at_mut(hs);
        let r = bi * hs..(bi + 1) * hs;
        let (cp, hh, cc) = (&c_prev[r.clone()], &mut h[r.clone()], &mut c[r]);
        for j in 0..hs {
            let ig = simd::sigmoid(xi[j]);
            let fg = simd::sigmoid(xf[j]);
            let gg = simd::tanh(xg[j]);
            let og = simd::sigmoid(xo[j]);
            ai[j] = ig; af[j] = fg; ag[j] = gg; ao[j] = og;
            let cn = fg * cp[j] + ig * gg;
            cc[j] = cn;
            hh[j] = og * simd::tanh(cn);
        }
    }
}
}

simd_fn! {
/// LSTM step backward: gGates [B, 4H] (pre-activation) and gcPrev [B, H] from act, cPrev, c,
/// gh (at its offset) and gc.
pub fn lstm_cell_grad(act: &[f32], c_prev: &[f32], c: &[f32], gh: &[f32], gc: &[f32], g_gates: &mut [f32],
                      gc_prev: &mut [f32], b: usize, hs: usize) {
    for bi in 0..b {
        let a = &act[bi * 4 * hs..(bi + 1) * 4 * hs];
        let (ai, af, ag, ao) = (&a[..hs], &a[hs..2 * hs], &a[2 * hs..3 * hs], &a[3 * hs..4 * hs]);
        let gg_ = &mut g_gates[bi * 4 * hs..(bi + 1) * 4 * hs];
        let (di, rest) = gg_.split_at_mut(hs);
        let (df, rest) = rest.split_at_mut(hs);
        let (dg, do_) = rest.split_at_mut(hs);
        let r = bi * hs..(bi + 1) * hs;
        let (cp, cc, ghh, gcc, gcp) = (&c_prev[r.clone()], &c[r.clone()], &gh[r.clone()], &gc[r.clone()], &mut gc_prev[r]);
        for j in 0..hs {
            let (ig, fg, gg, og) = (ai[j], af[j], ag[j], ao[j]);
            let tc = simd::tanh(cc[j]);
            let dh = ghh[j];
            let dc = gcc[j] + dh * og * (1.0 - tc * tc);
            di[j] = dc * gg * ig * (1.0 - ig);
            df[j] = dc * cp[j] * fg * (1.0 - fg);
            dg[j] = dc * ig * (1.0 - gg * gg);
            do_[j] = dh * tc * og * (1.0 - og);
            gcp[j] = dc * fg;
        }
    }
}
}

simd_fn! {
/// GRU step: r = sig(gi_r + gh_r), z = sig(gi_z + gh_z), n = tanh(gi_n + r gh_n),
/// h = (1 - z) n + z hPrev; act [B, 4H] = (r, z, n, gh_n).
pub fn gru_cell(gi: &[f32], gh: &[f32], h_prev: &[f32], h: &mut [f32], act: &mut [f32], b: usize, hs: usize) {
    for bi in 0..b {
        let (x, y) = (&gi[bi * 3 * hs..(bi + 1) * 3 * hs], &gh[bi * 3 * hs..(bi + 1) * 3 * hs]);
        let (xr, xz, xn) = (&x[..hs], &x[hs..2 * hs], &x[2 * hs..3 * hs]);
        let (yr, yz, yn) = (&y[..hs], &y[hs..2 * hs], &y[2 * hs..3 * hs]);
        let a = &mut act[bi * 4 * hs..(bi + 1) * 4 * hs];
        let (ar, rest) = a.split_at_mut(hs);
        let (az, rest) = rest.split_at_mut(hs);
        let (an, ah) = rest.split_at_mut(hs);
        let r = bi * hs..(bi + 1) * hs;
        let (hp, ho) = (&h_prev[r.clone()], &mut h[r]);
        for j in 0..hs {
            let rg = simd::sigmoid(xr[j] + yr[j]);
            let z = simd::sigmoid(xz[j] + yz[j]);
            let ghn = yn[j];
            let n = simd::tanh(xn[j] + rg * ghn);
            ar[j] = rg; az[j] = z; an[j] = n; ah[j] = ghn;
            ho[j] = (1.0 - z) * n + z * hp[j];
        }
    }
}
}

simd_fn! {
/// GRU step backward: gGi, gGh [B, 3H] and the direct part of ghPrev [B, H].
pub fn gru_cell_grad(act: &[f32], h_prev: &[f32], g_h: &[f32], g_gi: &mut [f32], g_gh: &mut [f32],
                     gh_prev: &mut [f32], b: usize, hs: usize) {
    for bi in 0..b {
        let a = &act[bi * 4 * hs..(bi + 1) * 4 * hs];
        let (ar, az, an, ah) = (&a[..hs], &a[hs..2 * hs], &a[2 * hs..3 * hs], &a[3 * hs..4 * hs]);
        let gi = &mut g_gi[bi * 3 * hs..(bi + 1) * 3 * hs];
        let (ir, rest) = gi.split_at_mut(hs);
        let (iz, in_) = rest.split_at_mut(hs);
        let gg = &mut g_gh[bi * 3 * hs..(bi + 1) * 3 * hs];
        let (hr, rest) = gg.split_at_mut(hs);
        let (hz, hn) = rest.split_at_mut(hs);
        let r = bi * hs..(bi + 1) * hs;
        let (hp, gh, gp) = (&h_prev[r.clone()], &g_h[r.clone()], &mut gh_prev[r]);
        for j in 0..hs {
            let (rg, z, n, ghn) = (ar[j], az[j], an[j], ah[j]);
            let dh = gh[j];
            let dn = dh * (1.0 - z) * (1.0 - n * n);
            let dz = dh * (hp[j] - n) * z * (1.0 - z);
            let dr = dn * ghn * rg * (1.0 - rg);
            ir[j] = dr; iz[j] = dz; in_[j] = dn;
            hr[j] = dr; hz[j] = dz; hn[j] = dn * rg;
            gp[j] = dh * z;
        }
    }
}
}
