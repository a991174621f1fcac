//! Forward strategy for most geometries: output columns cut into L2-sized blocks, each block
//! im2col'ed (or, on wide x86 panels with shifted rows, written straight into packed-B panels:
//! implicit GEMM) and multiplied by the weights packed once; tasks (image, group, block) on the pool.
use super::*;

thread_local! {
    static WR_BUF: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static WP_BUF: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// [`conv`] after the stride-2 split (`split`: x holds [even, odd] columns per row).
pub(super) fn conv_blocks(
    g: &ConvGeom,
    x: &[f32],
    split: bool,
    w: &[f32],
    bias: Option<&[f32]>,
    prepacked: Option<&[f32]>,
    y: &mut [f32],
    ep: &Epilogue,
) {
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (_, nr) = gemm::panel_dims();
    // the bias is one more column of A (times a row of ones in B), so the GEMM adds it for free
    let kb = kg + bias.is_some() as usize;
    // Wide-panel kernels (x86: NR 16/32) get im2col written straight into packed-B panels when
    // the rows are shifted copies and K is deep; with narrow panels (wasm: NR 8/12), shallow K
    // or gathered rows, the per-panel bookkeeping costs more than it saves (measured), so the
    // block is im2col'ed row-contiguous and the GEMM reads it in place.
    let packed = nr >= 16 && shift_case(g) && kb >= 256;
    let a_len = gemm::packed_a_len(og, kb);
    // x86 AVX-512 (8x32 tiles), at most 64 taps: each panel's im2col is written by its first
    // row tile as it multiplies it (the copy hides under that tile's FMAs)
    #[cfg(target_arch = "x86_64")]
    let fused = shift_case(g)
        && kb >= FUSED_MIN_K
        && gemm::best_kernel() == gemm::GemmKernel::Avx512
        && gemm::panel_dims() == (8, 32)
        && og >= 8
        && g.k_h * g.k_w <= 64;
    #[cfg(not(target_arch = "x86_64"))]
    let fused = false;
    // A: packed panels of [W_g | bias_g] given by the caller (conv_pack), or made here: packed
    // panels for the panel paths, else og x kb rows (the GEMM packs them) in grow-only
    // per-thread buffers (fresh multi-MB allocations would page-fault on every call)
    let mut wr_buf = Vec::new();
    let mut wp_buf = Vec::new();
    let (wr, wp): (&[f32], &[f32]) = match prepacked {
        Some(p) => (&[], p),
        None if packed || fused => {
            wp_buf = WP_BUF.with(|c| core::mem::take(&mut *c.borrow_mut()));
            if wp_buf.len() < a_len * g.groups {
                wp_buf.resize(a_len * g.groups, 0.0);
            }
            pack_groups(g, w, bias, kb, &mut wp_buf[..a_len * g.groups]);
            (&[], &wp_buf[..a_len * g.groups])
        }
        None => {
            wr_buf = WR_BUF.with(|c| core::mem::take(&mut *c.borrow_mut()));
            if wr_buf.len() < og * kb * g.groups {
                wr_buf.resize(og * kb * g.groups, 0.0);
            }
            for gi in 0..g.groups {
                weight_rows(g, w, bias, gi, kb, &mut wr_buf[gi * og * kb..(gi + 1) * og * kb]);
            }
            (&wr_buf[..og * kb * g.groups], &[])
        }
    };
    // the fused path multiplies a whole block at once, whose B is walked in depth slices: a
    // deep, narrow conv (512 x 4608 weights, 49 columns) then reads its weights once per block
    let rows = if fused { kb.min(gemm::panel_depth()) } else { kb };
    let nb = block_cols(BLOCK_FLOATS, rows, s, nr, g.n * g.groups);
    let nblk = s.div_ceil(nb);
    let yp = SendPtr(y.as_mut_ptr());
    let ntasks = g.n * g.groups * nblk;
    run_tasks(ntasks, &|t| {
        let t = spread(t, ntasks);
        let blk = t % nblk;
        let gi = (t / nblk) % g.groups;
        let n = t / (nblk * g.groups);
        let (j0, j1) = (blk * nb, (blk * nb + nb).min(s));
        let w_ = j1 - j0;
        let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
        // SAFETY: this task owns rows gi*og..(gi+1)*og, columns j0..j1 of image n's output.
        let yoff = (n * g.o + gi * og) * s + j0;
        let yb = unsafe { core::slice::from_raw_parts_mut(yp.get().add(yoff), (og - 1) * s + w_) };
        let ap = if wp.is_empty() { &[][..] } else { &wp[gi * a_len..(gi + 1) * a_len] };
        let wr = if wr.is_empty() { wr } else { &wr[gi * og * kb..(gi + 1) * og * kb] };
        #[cfg(target_arch = "x86_64")]
        if fused {
            // panel by panel: the first row tile writes the panel as it multiplies it
            let mut taps = [(0isize, 0usize, 0usize, 0usize, 0usize); 64];
            let nt = g.k_h * g.k_w;
            let ins = g.in_size() as isize;
            for kh in 0..g.k_h {
                for kw in 0..g.k_w {
                    let (delta, js, je, lo, hi) = shift_geom(g, kh, kw, j0, j1);
                    let cs = (js as isize).max(-delta).min(je as isize) as usize;
                    let ce = ((je as isize).min(ins - delta).max(cs as isize)) as usize;
                    taps[kh * g.k_w + kw] = (delta, cs - j0, ce - j0, lo, hi);
                }
            }
            with_col(w_.div_ceil(nr) * nr * kb, |col| {
                let mut t0 = 0;
                while t0 < w_ {
                    let wd = nr.min(w_ - t0);
                    let col = &mut col[t0 * kb..];
                    // SAFETY: AVX-512F 8x32 kernel (checked in `fused`); taps from shift_geom
                    // clipped to the channel; yb holds og >= 8 rows of w_ columns.
                    unsafe {
                        shift_panel_first_tile_avx512(
                            g,
                            xn,
                            gi * g.cg(),
                            j0,
                            t0,
                            wd,
                            &taps[..nt],
                            kb,
                            col,
                            ap,
                            &mut yb[t0..],
                            s,
                        );
                    }
                    t0 += wd;
                }
                if og > 8 {
                    gemm::sgemm_packed(og - 8, w_, kb, &ap[8 * kb..], col, &mut yb[8 * s..], s, false);
                }
            });
            ep.apply(yb, yoff, og, w_, s);
            return;
        }
        // packed panels unless the last panel would be mostly padding
        if packed && (w_.div_ceil(nr) * nr - w_) * 16 <= w_ {
            with_col(w_.div_ceil(nr) * nr * kb, |col| {
                im2col_panels(g, xn, gi * g.cg(), j0, j1, nr, kb, col);
                gemm::sgemm_packed(og, w_, kb, ap, col, yb, s, false);
            });
            ep.apply(yb, yoff, og, w_, s);
        } else {
            with_col(kb * w_, |col| {
                im2col_block(g, xn, split, gi * g.cg(), j0, j1, col);
                if kb > kg {
                    col[kg * w_..].fill(1.0);
                }
                if ap.is_empty() {
                    gemm::sgemm(og, w_, kb, wr, kb, false, col, w_, false, yb, s, 0.0, None);
                } else {
                    gemm::sgemm_apacked(og, w_, kb, ap, kb, col, w_, false, yb, s, 0.0, 0, og);
                }
            });
            ep.apply(yb, yoff, og, w_, s);
        }
    });
    if !wr_buf.is_empty() {
        WR_BUF.with(|c| *c.borrow_mut() = wr_buf);
    }
    if !wp_buf.is_empty() {
        WP_BUF.with(|c| *c.borrow_mut() = wp_buf);
    }
}
