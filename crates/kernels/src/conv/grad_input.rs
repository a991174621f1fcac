//! Grad-input: W^T (packed once) times gy blocks, then col2im; tasks over (image block, group,
//! channel chunk) so writes are disjoint. Small outputs concatenate several images per block;
//! the GEMM runs in row blocks of W^T against one packed gy block, each scattered at once.
use super::*;

/// Images are concatenated into one task until it has this many output columns.
const GIN_COLS: usize = 256;
/// Floats of the packed gy block (og x columns), kept in L2 across the row blocks.
const GIN_B_FLOATS: usize = 128 * 1024;
/// At most this many columns per block.
const GIN_MAX_COLS: usize = 512;
/// Floats of one row block of packed W^T (rows x og).
const GIN_A_FLOATS: usize = 48 * 1024;
/// Floats of one row block's GEMM output (rows x columns) before its col2im.
const GIN_COL_FLOATS: usize = 64 * 1024;

thread_local! {
    /// The packed W^T of the calling thread (read by every task).
    static WT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

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
    let (mr, nr) = gemm::panel_dims();
    // images per task: small outputs (deep layers) are concatenated so the GEMM gets wide
    // enough blocks of columns (a 4x4 output alone fills half of a 32-wide AVX-512 panel)
    let ipb = if s >= GIN_COLS { 1 } else { GIN_COLS.div_ceil(s).min(g.n) };
    let nblk = g.n.div_ceil(ipb);
    // tasks: (image block, group, channel chunk); a chunk's col rows only touch its own channels
    let outer = nblk * g.groups;
    let threads = par::threads();
    let chunks = if threads > 1 && outer < 2 * threads { cg.min((2 * threads).div_ceil(outer)) } else { 1 };
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
    WT.with(|wt| {
        let mut wt = wt.borrow_mut();
        if wt.len() < total {
            // grow-only: a fresh buffer of this size page-faults on every call
            *wt = vec![0f32; total];
        }
        let ap = &mut wt[..total];
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
        // columns per GEMM: the packed gy block (og x nb) stays in L2 while the row blocks of W^T
        // (mc x og each) stream past it; each row block's output is scattered (col2im) at once
        let nb = block_cols(GIN_B_FLOATS, og, ipb * s, nr, usize::MAX).min((GIN_MAX_COLS / nr).max(1) * nr);
        let mc = ((GIN_A_FLOATS / og).min(GIN_COL_FLOATS / nb) / mr).max(1) * mr;
        let gp = SendPtr(gx.as_mut_ptr());
        let (ap, offs) = (&*ap, &offs);
        run_tasks(outer * chunks, &|t| {
            let ch = t % chunks;
            let gi = (t / chunks) % g.groups;
            let blk = t / (chunks * g.groups);
            let (n0, n1) = (blk * ipb, ((blk + 1) * ipb).min(g.n));
            let (c0, c1) = par::split(cg, chunks, 1, ch);
            if c0 >= c1 || n0 >= n1 {
                return;
            }
            let rows = (c1 - c0) * ks;
            let apc = &ap[offs[gi * chunks + ch]..offs[gi * chunks + ch] + gemm::packed_a_len(rows, og)];
            let cbase = gi * cg + c0;
            // global columns (image, output position) of this task, images concatenated
            let (q1, mut q) = (n1 * s, n0 * s);
            while q < q1 {
                let qe = (q + nb).min(q1);
                let w_ = qe - q;
                with_buf(&BUF_B, gemm::packed_b_len(og, w_), |bp| {
                    pack_gy(g, gy, gi, q, qe, nr, bp);
                    with_col(mc.min(rows) * w_, |col| {
                        let mut r0 = 0;
                        while r0 < rows {
                            let r1 = (r0 + mc).min(rows);
                            let cb = &mut col[..(r1 - r0) * w_];
                            gemm::sgemm_packed(r1 - r0, w_, og, &apc[r0 * og..], bp, cb, w_, false);
                            // scatter rows r0..r1 (row r = channel c0 + r / ks, tap r % ks) per image
                            let mut p = q;
                            while p < qe {
                                let n = p / s;
                                let (j0, j1) = (p - n * s, (qe - n * s).min(s));
                                let (c_lo, c_hi) = (r0 / ks, (r1 - 1) / ks + 1);
                                // SAFETY: this task owns channels cbase..cbase + (c1 - c0) of images n0..n1.
                                let gxs = unsafe {
                                    core::slice::from_raw_parts_mut(
                                        gp.get().add((n * g.c + cbase + c_lo) * ins),
                                        (c_hi - c_lo) * ins,
                                    )
                                };
                                scatter_rows(g, cb, Rows { r0, r1, c_lo, w_, t0: p - q, j0, j1 }, gxs);
                                p += j1 - j0;
                            }
                            r0 = r1;
                        }
                    })
                });
                q = qe;
            }
        });
    });
}

/// Rows r0..r1 of a grad-input block (row r: channel r / taps, tap r % taps; the block's row r
/// starts at (r - r0) * w_), for output columns j0..j1 of one image that sit at t0.. in the block.
#[derive(Clone, Copy)]
struct Rows {
    r0: usize,
    r1: usize,
    c_lo: usize,
    w_: usize,
    t0: usize,
    j0: usize,
    j1: usize,
}

crate::simd_fn! {
/// col2im of [`Rows`] of `cb` into `gxs` (the image's channels from `c_lo`), compiled per ISA.
fn scatter_rows(g: &ConvGeom, cb: &mut [f32], rw: Rows, gxs: &mut [f32]) {
    let (ins, ks) = (g.in_size(), g.k_size());
    for r in rw.r0..rw.r1 {
        let (c, tap) = (r / ks, r % ks);
        let (kd, kh, kw) = (tap / (g.k_h * g.k_w), (tap / g.k_w) % g.k_h, tap % g.k_w);
        let xc = &mut gxs[(c - rw.c_lo) * ins..(c - rw.c_lo + 1) * ins];
        let ro = (r - rw.r0) * rw.w_ + rw.t0;
        col2im_row_inl(g, &mut cb[ro..ro + (rw.j1 - rw.j0)], (kd, kh, kw), rw.j0, rw.j1, xc);
    }
}
}

/// the inverse of im2col.rs's `im2col_row`, inlined into [`scatter_rows`]'s SIMD twins: `row` (columns j0..j1
/// of tap (kd, kh, kw)) added into channel slice `xc`.
#[inline(always)]
fn col2im_row_inl(g: &ConvGeom, row: &mut [f32], tap: (usize, usize, usize), j0: usize, j1: usize, xc: &mut [f32]) {
    let (kd, kh, kw) = tap;
    if shift_case(g) {
        let (delta, js, je, lo, hi) = shift_geom(g, kh, kw, j0, j1);
        // border entries would land on a neighbouring row: zero them (adding 0 is exact)
        for_borders(g.out_w, lo, hi, j0, js, je, |t| row[t] = 0.0);
        let ins = xc.len() as isize;
        let cs = (js as isize).max(-delta).min(je as isize) as usize;
        let ce = ((je as isize).min(ins - delta).max(cs as isize)) as usize;
        if cs < ce {
            let b = (cs as isize + delta) as usize;
            add_run(&mut xc[b..b + (ce - cs)], &row[cs - j0..ce - j0]);
        }
        return;
    }
    let off = (kw * g.d_w) as isize - g.p_w as isize;
    let (lo_all, hi_all) = valid_ow(g, off);
    let (mut od, mut oh, mut ow0) = out_pos(g, j0);
    let mut id = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d);
    let mut j = j0;
    let mut t = 0;
    while j < j1 {
        let ow1 = g.out_w.min(ow0 + (j1 - j));
        let len = ow1 - ow0;
        if let (Some(id), Some(ih)) = (id, src(oh, g.s_h, g.p_h, kh, g.d_h, g.in_h)) {
            let xr = &mut xc[(id * g.in_h + ih) * g.in_w..(id * g.in_h + ih + 1) * g.in_w];
            let lo = lo_all.clamp(ow0, ow1);
            let hi = hi_all.clamp(lo, ow1);
            if lo < hi {
                let sr = &row[t + lo - ow0..t + hi - ow0];
                let b = (lo as isize * g.s_w as isize + off) as usize;
                if g.s_w == 1 {
                    add_run(&mut xr[b..b + (hi - lo)], sr);
                } else {
                    for (i, &v) in sr.iter().enumerate() {
                        xr[b + g.s_w * i] += v;
                    }
                }
            }
        }
        j += len;
        t += len;
        ow0 = 0;
        oh += 1;
        if oh == g.out_h {
            oh = 0;
            od += 1;
            id = src(od, g.s_d, g.p_d, kd, g.d_d, g.in_d);
        }
    }
}

/// Packs gy's columns [q0, q1) of group gi (global columns: image-major, then output position)
/// as the GEMM's B (og x (q1 - q0)) in NR-wide panels (zero-padded), straight from the images.
fn pack_gy(g: &ConvGeom, gy: &[f32], gi: usize, q0: usize, q1: usize, nr: usize, bp: &mut [f32]) {
    let (s, og) = (g.out_size(), g.og());
    let w_ = q1 - q0;
    if q0 / s == (q1 - 1) / s {
        // one image: a plain strided matrix
        let n = q0 / s;
        let gyg = &gy[(n * g.o + gi * og) * s..(n * g.o + (gi + 1) * og) * s];
        gemm::pack_b_panels(og, w_, &gyg[q0 - n * s..], s, false, bp);
        return;
    }
    let panels = w_.div_ceil(nr);
    for o in 0..og {
        // runs of one image's row o, cut at panel boundaries
        let mut q = q0;
        while q < q1 {
            let n = q / s;
            let j = q - n * s;
            let t = q - q0;
            let len = (s - j).min(q1 - q).min(nr - t % nr);
            let src_ = &gy[(n * g.o + gi * og + o) * s + j..][..len];
            let d = (t / nr) * nr * og + o * nr + t % nr;
            copy_run(&mut bp[d..d + len], src_);
            q += len;
        }
        let tail = panels * nr - w_;
        if tail > 0 {
            let d = (panels - 1) * nr * og + o * nr + (nr - tail);
            bp[d..d + tail].fill(0.0);
        }
    }
}
