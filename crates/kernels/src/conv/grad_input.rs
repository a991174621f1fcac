//! Grad-input: W^T (packed once) times gy blocks, then col2im; tasks over (image, group, channel
//! chunk) so writes are disjoint.
use super::*;

/// gx = gradient of conv with respect to x (overwritten).
#[inline(never)]
pub fn conv_grad_input(g: &ConvGeom, gy: &[f32], w: &[f32], gx: &mut [f32]) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (gy, w) = (&gy[..g.y_len()], &w[..g.w_len()]);
    let gx = &mut gx[..g.x_len()];
    if g.is_pointwise() {
        let gp = SendPtr(gx.as_mut_ptr());
        per_image(g, &|n| {
            // SAFETY: image n owns gx[n*C*inS .. (n+1)*C*inS].
            let gxn = unsafe { core::slice::from_raw_parts_mut(gp.get().add(n * g.c * ins), g.c * ins) };
            let gyn = &gy[n * g.o * s..(n + 1) * g.o * s];
            for gi in 0..g.groups {
                let wg = &w[gi * og * kg..(gi + 1) * og * kg];
                let gyg = &gyn[gi * og * s..(gi + 1) * og * s];
                let gxg = &mut gxn[gi * kg * s..(gi + 1) * kg * s];
                gemm_par(kg, s, og, wg, kg, true, gyg, s, false, gxg, 0.0);
            }
        });
        return;
    }
    gx.fill(0.0);
    if s == 0 || og == 0 {
        return;
    }
    let (cg, ks) = (g.cg(), g.k_size());
    // tasks: (image, group, channel chunk); a chunk's col rows only touch its own channels of gx
    let outer = g.n * g.groups;
    let threads = par::threads();
    let chunks = if threads > 1 && outer < 2 * threads { cg.min((2 * threads).div_ceil(outer)) } else { 1 };
    let (_, nr) = gemm::panel_dims();
    // W^T rows of each (group, chunk), packed as A (m = rows of the chunk, k = og)
    let mut offs = Vec::with_capacity(g.groups * chunks + 1);
    let mut total = 0;
    for _gi in 0..g.groups {
        for ch in 0..chunks {
            let (c0, c1) = par::split(cg, chunks, 1, ch);
            offs.push(total);
            total += gemm::packed_a_len((c1 - c0) * ks, og);
        }
    }
    let mut ap = vec![0f32; total];
    for gi in 0..g.groups {
        for ch in 0..chunks {
            let (c0, c1) = par::split(cg, chunks, 1, ch);
            if c0 >= c1 {
                continue;
            }
            let rows = (c1 - c0) * ks;
            let o = offs[gi * chunks + ch];
            let wg = &w[gi * og * kg..(gi + 1) * og * kg];
            gemm::pack_a_panels(rows, og, &wg[c0 * ks..], kg, true, &mut ap[o..o + gemm::packed_a_len(rows, og)]);
        }
    }
    let nb = block_cols(GIN_FLOATS, kg.max(og), s, nr, usize::MAX);
    let gp = SendPtr(gx.as_mut_ptr());
    let (ap, offs) = (&ap, &offs);
    run_tasks(outer * chunks, &|t| {
        let ch = t % chunks;
        let gi = (t / chunks) % g.groups;
        let n = t / (chunks * g.groups);
        let (c0, c1) = par::split(cg, chunks, 1, ch);
        if c0 >= c1 {
            return;
        }
        let rows = (c1 - c0) * ks;
        let apc = &ap[offs[gi * chunks + ch]..offs[gi * chunks + ch] + gemm::packed_a_len(rows, og)];
        let gyg = &gy[(n * g.o + gi * og) * s..(n * g.o + (gi + 1) * og) * s];
        let cbase = gi * cg + c0;
        // SAFETY: this task owns channels cbase..cbase + (c1 - c0) of image n in gx.
        let gxc = unsafe { core::slice::from_raw_parts_mut(gp.get().add((n * g.c + cbase) * ins), (c1 - c0) * ins) };
        let mut j0 = 0;
        while j0 < s {
            let j1 = (j0 + nb).min(s);
            let w_ = j1 - j0;
            with_buf(&BUF_B, gemm::packed_b_len(og, w_), |bp| {
                with_col(rows * w_, |col| {
                    gemm::pack_b_panels(og, w_, &gyg[j0..], s, false, bp);
                    gemm::sgemm_packed(rows, w_, og, apc, bp, col, w_, false);
                    let mut r = 0;
                    for c in 0..c1 - c0 {
                        let xc = &mut gxc[c * ins..(c + 1) * ins];
                        for kd in 0..g.k_d {
                            for kh in 0..g.k_h {
                                for kw in 0..g.k_w {
                                    col2im_row(g, &mut col[r * w_..(r + 1) * w_], kd, kh, kw, j0, j1, xc);
                                    r += 1;
                                }
                            }
                        }
                    }
                })
            });
            j0 = j1;
        }
    });
}
