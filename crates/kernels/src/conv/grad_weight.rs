//! Grad-weight: blocks of the column space of all images concatenated (deep, few GEMM calls),
//! split across threads with per-thread partial sums; the bias gradient as f64 sums.
use super::*;

/// gw (and gb = sum of gy over images and space) = gradients of conv (overwritten).
#[inline(never)]
pub fn conv_grad_weight(g: &ConvGeom, x: &[f32], gy: &[f32], gw: &mut [f32], gb: Option<&mut [f32]>) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (x, gy) = (&x[..g.x_len()], &gy[..g.y_len()]);
    let wl = g.w_len();
    let gw = &mut gw[..wl];
    gw.fill(0.0);
    let xs = split_stride2(g, x);
    let (x, split) = match &xs {
        Some(v) => (&v[..x.len()], true),
        None => (x, false),
    };
    let total = g.n * s; // columns: (image, output position), images concatenated
    let nb = block_cols(GW_FLOATS, kg + og, total, 16, usize::MAX);
    // accumulate global columns [q0, q1) into acc (O x Kg, already holding a partial sum)
    let accumulate = |q0: usize, q1: usize, acc: &mut [f32]| {
        let mut q = q0;
        while q < q1 {
            let qe = (q + nb).min(q1);
            let w_ = qe - q;
            with_col(kg * w_, |col| {
                with_buf(&BUF_B, og * w_, |gyb| {
                    for gi in 0..g.groups {
                        // gather the block: per image segment
                        let mut p = q;
                        while p < qe {
                            let n = p / s;
                            let (j0, j1) = (p - n * s, (qe - n * s).min(s));
                            let t0 = p - q;
                            let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
                            for o in 0..og {
                                let src_ = &gy[(n * g.o + gi * og + o) * s..];
                                gyb[o * w_ + t0..o * w_ + t0 + (j1 - j0)].copy_from_slice(&src_[j0..j1]);
                            }
                            let mut r = 0;
                            for c in 0..g.cg() {
                                let xc = &xn[(gi * g.cg() + c) * ins..(gi * g.cg() + c + 1) * ins];
                                for kd in 0..g.k_d {
                                    for kh in 0..g.k_h {
                                        for kw in 0..g.k_w {
                                            im2col_row(
                                                g,
                                                xc,
                                                split,
                                                kd,
                                                kh,
                                                kw,
                                                j0,
                                                j1,
                                                &mut col[r * w_ + t0..r * w_ + t0 + (j1 - j0)],
                                            );
                                            r += 1;
                                        }
                                    }
                                }
                            }
                            p += j1 - j0;
                        }
                        let ag = &mut acc[gi * og * kg..(gi + 1) * og * kg];
                        gemm::sgemm(og, kg, w_, gyb, w_, false, col, w_, true, ag, kg, 1.0, None);
                    }
                })
            });
            q = qe;
        }
    };
    // one contiguous range of columns per thread (each accumulates its own partial gw), cut
    // into blocks of nb inside; a part gets at least 256 columns
    let parts = par::threads().min(total.div_ceil(256)).max(1);
    if parts <= 1 {
        accumulate(0, total, gw);
    } else {
        PARTIAL.with(|p| {
            let mut pv = p.borrow_mut();
            let need = (parts - 1) * wl;
            if pv.len() < need {
                pv.resize(need, 0.0);
            }
            pv[..need].fill(0.0);
            let pp = SendPtr(pv.as_mut_ptr());
            let gwp = SendPtr(gw.as_mut_ptr());
            par::run(parts, &|t, _| {
                let (q0, q1) = par::split(total, parts, 16, t);
                // SAFETY: part t owns its accumulator: gw itself for t = 0, else partial block t-1.
                let acc = unsafe {
                    if t == 0 {
                        core::slice::from_raw_parts_mut(gwp.get(), wl)
                    } else {
                        core::slice::from_raw_parts_mut(pp.get().add((t - 1) * wl), wl)
                    }
                };
                accumulate(q0, q1, acc);
            });
            for t in 1..parts {
                for (d, &v) in gw.iter_mut().zip(&pv[(t - 1) * wl..t * wl]) {
                    *d += v;
                }
            }
        });
    }
    split_done(xs);
    if let Some(gb) = gb {
        for o in 0..g.o {
            let mut acc = 0f64;
            for n in 0..g.n {
                acc += crate::reduce::sum_f64(&gy[(n * g.o + o) * s..(n * g.o + o + 1) * s]);
            }
            gb[o] = acc as f32;
        }
    }
}
