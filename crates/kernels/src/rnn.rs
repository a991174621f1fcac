//! Fused LSTM and GRU cell steps (gate activations + state update) and their backward steps.
//! Gate order: LSTM i, f, g, o; GRU r, z, n (as PyTorch).
#[cfg(target_arch = "x86_64")]
use crate::simd::v512;
use crate::{simd, simd_fn};

/// The N consecutive gate blocks of `hs` floats of one batch row (`a` holds N * hs).
#[inline(always)]
fn gates_mut<const N: usize>(a: &mut [f32], hs: usize) -> [&mut [f32]; N] {
    let mut rest = &mut a[..N * hs];
    core::array::from_fn(|_| {
        let (head, tail) = core::mem::take(&mut rest).split_at_mut(hs);
        rest = tail;
        head
    })
}

simd_fn! {
/// From pre-activation gates [B, 4H]: act = (sig i, sig f, tanh g, sig o), c = f cPrev + i g,
/// h = o tanh(c). `c_prev`, `h`, `c` are [B, H] slices at their offsets.
pub fn lstm_cell(gates: &[f32], c_prev: &[f32], h: &mut [f32], c: &mut [f32], act: &mut [f32], b: usize, hs: usize) {
    for bi in 0..b {
        let g = &gates[bi * 4 * hs..(bi + 1) * 4 * hs];
        let (xi, xf, xg, xo) = (&g[..hs], &g[hs..2 * hs], &g[2 * hs..3 * hs], &g[3 * hs..4 * hs]);
        let a = &mut act[bi * 4 * hs..(bi + 1) * 4 * hs];
        let [ai, af, ag, ao] = gates_mut(a, hs);
        let r = bi * hs..(bi + 1) * hs;
        let (cp, hh, cc) = (&c_prev[r.clone()], &mut h[r.clone()], &mut c[r]);
        lstm_row(xi, xf, xg, xo, cp, ai, af, ag, ao, cc, hh);
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
        let [di, df, dg, do_] = gates_mut(gg_, hs);
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
        let [ar, az, an, ah] = gates_mut(a, hs);
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
        let [ir, iz, in_] = gates_mut(gi, hs);
        let gg = &mut g_gh[bi * 3 * hs..(bi + 1) * 3 * hs];
        let [hr, hz, hn] = gates_mut(gg, hs);
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

/// One batch row of the LSTM cell over a column range (all slices the same length).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lstm_row(
    xi: &[f32],
    xf: &[f32],
    xg: &[f32],
    xo: &[f32],
    cp: &[f32],
    ai: &mut [f32],
    af: &mut [f32],
    ag: &mut [f32],
    ao: &mut [f32],
    cc: &mut [f32],
    hh: &mut [f32],
) {
    let n = xi.len();
    let (xf, xg, xo, cp) = (&xf[..n], &xg[..n], &xo[..n], &cp[..n]);
    let (ai, af, ag, ao, cc, hh) = (&mut ai[..n], &mut af[..n], &mut ag[..n], &mut ao[..n], &mut cc[..n], &mut hh[..n]);
    for j in 0..n {
        let ig = simd::sigmoid(xi[j]);
        let fg = simd::sigmoid(xf[j]);
        let gg = simd::tanh(xg[j]);
        let og = simd::sigmoid(xo[j]);
        ai[j] = ig;
        af[j] = fg;
        ag[j] = gg;
        ao[j] = og;
        let cn = fg * cp[j] + ig * gg;
        cc[j] = cn;
        hh[j] = og * simd::tanh(cn);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn lstm_row_avx512(
    xi: &[f32],
    xf: &[f32],
    xg: &[f32],
    xo: &[f32],
    cp: &[f32],
    ai: &mut [f32],
    af: &mut [f32],
    ag: &mut [f32],
    ao: &mut [f32],
    cc: &mut [f32],
    hh: &mut [f32],
) {
    use core::arch::x86_64::*;
    let n = xi.len();
    assert!(
        xf.len() == n
            && xg.len() == n
            && xo.len() == n
            && cp.len() == n
            && ai.len() == n
            && af.len() == n
            && ag.len() == n
            && ao.len() == n
            && cc.len() == n
            && hh.len() == n
    );
    let mask = |j: usize| v512::first_lanes(n - j);
    // two passes, so each loop body is a short dependency chain and the out-of-order core
    // overlaps many iterations: the gates and c, then h = o tanh(c)
    let mut j = 0;
    while j < n {
        let m = mask(j);
        let ld = |p: &[f32]| _mm512_maskz_loadu_ps(m, p.as_ptr().add(j));
        let ig = v512::sigmoid(ld(xi));
        let fg = v512::sigmoid(ld(xf));
        let gg = v512::tanh(ld(xg));
        let og = v512::sigmoid(ld(xo));
        let cn = _mm512_fmadd_ps(fg, ld(cp), _mm512_mul_ps(ig, gg));
        _mm512_mask_storeu_ps(ai.as_mut_ptr().add(j), m, ig);
        _mm512_mask_storeu_ps(af.as_mut_ptr().add(j), m, fg);
        _mm512_mask_storeu_ps(ag.as_mut_ptr().add(j), m, gg);
        _mm512_mask_storeu_ps(ao.as_mut_ptr().add(j), m, og);
        _mm512_mask_storeu_ps(cc.as_mut_ptr().add(j), m, cn);
        j += 16;
    }
    let mut j = 0;
    while j < n {
        let m = mask(j);
        let (og, cn) = (_mm512_maskz_loadu_ps(m, ao.as_ptr().add(j)), _mm512_maskz_loadu_ps(m, cc.as_ptr().add(j)));
        _mm512_mask_storeu_ps(hh.as_mut_ptr().add(j), m, _mm512_mul_ps(og, v512::tanh(cn)));
        j += 16;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn lstm_row_avx2(
    xi: &[f32],
    xf: &[f32],
    xg: &[f32],
    xo: &[f32],
    cp: &[f32],
    ai: &mut [f32],
    af: &mut [f32],
    ag: &mut [f32],
    ao: &mut [f32],
    cc: &mut [f32],
    hh: &mut [f32],
) {
    lstm_row(xi, xf, xg, xo, cp, ai, af, ag, ao, cc, hh)
}

/// The LSTM cell on hidden columns [j0, j1) of every batch row (raw pointers: other threads
/// work on other columns of the same rows). `gates`/`act` rows have stride 4H, the rest H.
#[allow(clippy::too_many_arguments)]
unsafe fn lstm_cell_cols(
    gates: *const f32,
    c_prev: *const f32,
    h: *mut f32,
    c: *mut f32,
    act: *mut f32,
    b: usize,
    hs: usize,
    j0: usize,
    j1: usize,
) {
    use core::slice::{from_raw_parts as sl, from_raw_parts_mut as slm};
    let n = j1 - j0;
    if n == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let (v512, v256) = (simd::has_avx512(), simd::has_avx2());
    for bi in 0..b {
        let g = gates.add(bi * 4 * hs + j0);
        let a = act.add(bi * 4 * hs + j0);
        let r = bi * hs + j0;
        let (xi, xf, xg, xo) = (sl(g, n), sl(g.add(hs), n), sl(g.add(2 * hs), n), sl(g.add(3 * hs), n));
        let (ai, af, ag, ao) = (slm(a, n), slm(a.add(hs), n), slm(a.add(2 * hs), n), slm(a.add(3 * hs), n));
        let (cp, cc, hh) = (sl(c_prev.add(r), n), slm(c.add(r), n), slm(h.add(r), n));
        #[cfg(target_arch = "x86_64")]
        {
            if v512 {
                lstm_row_avx512(xi, xf, xg, xo, cp, ai, af, ag, ao, cc, hh);
                continue;
            }
            if v256 {
                lstm_row_avx2(xi, xf, xg, xo, cp, ai, af, ag, ao, cc, hh);
                continue;
            }
        }
        lstm_row(xi, xf, xg, xo, cp, ai, af, ag, ao, cc, hh);
    }
}

/// A whole LSTM layer-direction forward in one call. `p` [T, B, 4H] holds the input projection
/// (with both biases) and is overwritten by the pre-activation gates; `w_hh` [4H, H]; `c0`, `h0`
/// [B, H]; `h` [T, B, H] gets every step's hidden state, `cs` [T, B, H] its cell state, `act`
/// [T, B, 4H] its activated gates (or is [B, 4H] scratch unless `keep_acts`). `reverse` runs
/// t = T - 1 down to 0. W_hh^T is packed once for the sequence; each step is one packed gemm plus
/// the cell, split across the pool's threads by hidden columns (each thread does the gemm and
/// the cell of its own columns, so a step needs one hand-off).
#[allow(clippy::too_many_arguments)]
pub fn lstm_seq(
    p: &mut [f32],
    w_hh: &[f32],
    c0: &[f32],
    h0: &[f32],
    h: &mut [f32],
    cs: &mut [f32],
    act: &mut [f32],
    keep_acts: bool,
    t_len: usize,
    b: usize,
    hs: usize,
    reverse: bool,
) {
    use crate::{gemm, linalg::SendPtr, par};
    let (g, bh) = (4 * hs, b * hs);
    let bg = b * g;
    assert!(
        p.len() >= t_len * bg
            && w_hh.len() >= g * hs
            && c0.len() >= bh
            && h0.len() >= bh
            && h.len() >= t_len * bh
            && cs.len() >= t_len * bh
            && act.len() >= if keep_acts { t_len * bg } else { bg },
        "lstm_seq: buffer too short"
    );
    if t_len == 0 || bh == 0 {
        return;
    }
    let (_, nr) = gemm::panel_dims();
    let wlen = gemm::packed_b_len(hs, hs);
    let alen = gemm::packed_a_len(b, hs);
    // split the hidden columns so each task has enough work to pay for a hand-off
    let parts = par::threads().min(hs.div_ceil(nr)).min((b * g * hs / (1 << 17)).max(1)).max(1);
    let (pp, hp, csp, actp) =
        (SendPtr(p.as_mut_ptr()), SendPtr(h.as_mut_ptr()), SendPtr(cs.as_mut_ptr()), SendPtr(act.as_mut_ptr()));
    // grow-only per-thread scratch (W_hh^T packed per gate, then the packed h_prev): no page
    // faults from fresh allocations in steady state
    thread_local! { static WS: core::cell::RefCell<Vec<f32>> = const { core::cell::RefCell::new(Vec::new()) }; }
    WS.with(|ws| {
        let mut ws = ws.borrow_mut();
        if ws.len() < 4 * wlen + alen {
            *ws = vec![0f32; 4 * wlen + alen];
        }
        let (wp, ap) = ws.split_at_mut(4 * wlen);
        let ap = &mut ap[..alen];
        for q in 0..4 {
            gemm::pack_b_panels(
                hs,
                hs,
                &w_hh[q * hs * hs..(q + 1) * hs * hs],
                hs,
                true,
                &mut wp[q * wlen..(q + 1) * wlen],
            );
        }
        let wpp = SendPtr(wp.as_ptr() as *mut f32);
        for s in 0..t_len {
            let t = if reverse { t_len - 1 - s } else { s };
            let prev_t = if reverse { t + 1 } else { t.wrapping_sub(1) };
            // SAFETY: rows in bounds (checked above); no task is running
            let (hprev, cprev) = if s == 0 {
                (h0, c0)
            } else {
                unsafe {
                    (
                        core::slice::from_raw_parts(hp.get().add(prev_t * bh), bh),
                        core::slice::from_raw_parts(csp.get().add(prev_t * bh), bh),
                    )
                }
            };
            gemm::pack_a_panels(b, hs, hprev, hs, false, ap);
            let (app, cpp) = (SendPtr(ap.as_ptr() as *mut f32), SendPtr(cprev.as_ptr() as *mut f32));
            let act_off = if keep_acts { t * bg } else { 0 };
            par::run(parts, &|i, _| {
                let (j0, j1) = par::split(hs, parts, nr, i);
                if j0 >= j1 {
                    return;
                }
                // SAFETY: sizes checked above; tasks touch disjoint hidden columns [j0, j1) of step
                // t's gate / act / h / c rows and only read ap, wp and the previous step's state.
                unsafe {
                    let gt = pp.get().add(t * bg);
                    for q in 0..4 {
                        gemm::sgemm_packed_raw(
                            b,
                            j1 - j0,
                            hs,
                            app.get(),
                            wpp.get().add(q * wlen + j0 * hs),
                            gt.add(q * hs + j0),
                            g,
                            true,
                        );
                    }
                    lstm_cell_cols(
                        gt,
                        cpp.get(),
                        hp.get().add(t * bh),
                        csp.get().add(t * bh),
                        actp.get().add(act_off),
                        b,
                        hs,
                        j0,
                        j1,
                    );
                }
            });
        }
    });
}
