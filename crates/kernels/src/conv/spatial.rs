//! Forward of convs with few output positions and many output channels (resnet18's 7x7 and
//! 14x14 stages, mobilenet's last 1x1 convs) on wide x86 panels: the GEMM is turned around,
//! C^T [positions x O] = im2col^T [positions x kb] @ [W | b]^T. The positions of all images (49
//! per image at 7x7) fill 8-row A panels instead of half-empty 32-column B panels, the weights
//! are the streamed B operand (read once per chunk of positions; threads split them by channel
//! panels, so one image runs on every thread), and C^T is transposed into y with the epilogue.
use super::*;

/// Bytes of the position panels one GEMM call reuses across all weight panels (kept in L2).
const CHUNK_BYTES: usize = 512 * 1024;

thread_local! {
    static POS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static CT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static WB: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Whether [`conv_spatial`] runs `g` (with `kb` columns of A: kg plus the bias column): one
/// group, at least a panel of output channels, few positions per image (7x7, 8x8: above that the
/// im2col^T gather costs more than the fuller tiles save), and a clearly larger useful fraction
/// of the computed tiles than the usual orientation.
pub(super) fn spatial_case(g: &ConvGeom, kb: usize) -> bool {
    let (mr, nr) = gemm::panel_dims();
    let (s, o) = (g.out_size(), g.og());
    // two wide x86 panels of positions (7x7, 8x8 on AVX-512), or at most 8x8 positions with
    // wasm's 8-wide panels (49 positions fill 7 panels at 88%, 13 four-row panels at 94%) when
    // the usual orientation needs an im2col too (it reads a 1x1 conv's input in place, and
    // measured faster there)
    let max_s = if nr >= 16 {
        2 * nr
    } else if g.k_size() > 1 {
        64
    } else {
        0
    };
    if nr < 8 || g.groups != 1 || o < nr || s == 0 || s > max_s || kb < 32 {
        return false;
    }
    let npos = g.n * s;
    let frac = |a: usize, q: usize| a as f64 / (a.div_ceil(q) * q) as f64;
    frac(npos, mr) * frac(o, nr) > 1.05 * frac(o, mr) * frac(s, nr)
}

/// Positions per A panel: MR, or MR - 1 on 8-row tiles when that computes at least 10% fewer
/// rows (49 positions: 7 panels of 7 instead of 7 of 8 with 7 rows of padding; a 7-row tile
/// runs ~8% slower per row than the 8-row one, measured on AVX-512: 512->512 3x3 on 7x7, b1
/// 3.5% faster, b2 (98 = 14 x 7 vs 13 x 8 rows) slower, so it keeps 8).
fn panel_rows(npos: usize, mr: usize) -> usize {
    let rows = |h: usize| npos.div_ceil(h) * h;
    if mr >= 8 && rows(mr - 1) * 10 <= rows(mr) * 9 {
        mr - 1
    } else {
        mr
    }
}

/// Floats of the weights in B panels ([W | b]^T, kb x O) for [`conv_spatial`].
pub(super) fn weight_b_len(g: &ConvGeom, kb: usize) -> usize {
    gemm::packed_b_len(kb, g.o)
}

/// Packs [W | b]^T (kb x O) into B panels (dst: [`weight_b_len`] floats).
pub(super) fn pack_weight_b(g: &ConvGeom, w: &[f32], bias: Option<&[f32]>, kb: usize, dst: &mut [f32]) {
    with_buf(&WB, g.o * kb, |wr| {
        weight_rows(g, w, bias, 0, kb, wr);
        gemm::pack_b_panels(kb, g.o, wr, kb, true, dst);
    });
}

/// y = act(conv(x, w) + bias + residual) for [`spatial_case`] geometries; `packed`: the weights'
/// B panels from [`conv_pack`] when valid for g.
pub(super) fn conv_spatial(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    packed: Option<&[f32]>,
    y: &mut [f32],
    ep: &Epilogue,
) {
    let (mr, nr) = gemm::panel_dims();
    let (s, o) = (g.out_size(), g.o);
    let kg = g.kg();
    let kb = kg + bias.is_some() as usize;
    let npos = g.n * s;
    let h = panel_rows(npos, mr);
    let np = npos.div_ceil(h);
    let x = &x[..g.x_len()];
    let y = &mut y[..g.y_len()];
    // B: the weights, given packed or packed here
    let mut wb = Vec::new();
    let bp: &[f32] = match packed {
        Some(p) => p,
        None => {
            let n = weight_b_len(g, kb);
            wb = WB_OWN.with(|c| core::mem::take(&mut *c.borrow_mut()));
            if wb.len() < n {
                wb.resize(n, 0.0);
            }
            pack_weight_b(g, w, bias, kb, &mut wb[..n]);
            &wb[..n]
        }
    };
    // A: im2col^T of every output position in MR-row panels (rows past npos zero)
    let mut ap = POS.with(|c| core::mem::take(&mut *c.borrow_mut()));
    if ap.len() < np * mr * kb {
        ap.resize(np * mr * kb, 0.0);
    }
    {
        let (app, al) = (SendPtr(ap.as_mut_ptr()), ap.len());
        run_tasks(np, &|pi| {
            // SAFETY: task pi writes only panel pi.
            let d = unsafe {
                core::slice::from_raw_parts_mut(app.get().add(pi * mr * kb), (al - pi * mr * kb).min(mr * kb))
            };
            gather_panel(g, x, pi * h, (npos - pi * h).min(h), mr, kg, kb, d);
        });
    }
    // C^T = A B, in chunks of positions whose panels stay in L2, split by weight panels
    let mut ct = CT.with(|c| core::mem::take(&mut *c.borrow_mut()));
    if ct.len() < npos * o {
        ct.resize(npos * o, 0.0);
    }
    {
        // chunks of equal size (a short last chunk would leave a thread idle)
        let nchunks = np.div_ceil((CHUNK_BYTES / (4 * kb.min(gemm::panel_depth())) / mr).max(1));
        let per = np.div_ceil(nchunks);
        let nbp = o.div_ceil(nr);
        let threads = par::threads();
        let nsplit = if threads > 1 { (2 * threads).div_ceil(nchunks).min(nbp) } else { 1 };
        let (app, bpp, ctp) = (SendPtr(ap.as_mut_ptr()), SendPtr(bp.as_ptr() as *mut f32), SendPtr(ct.as_mut_ptr()));
        run_tasks(nchunks * nsplit, &|t| {
            let (ci, si) = (t / nsplit, t % nsplit);
            let (r0, r1) = (ci * per * h, ((ci + 1) * per * h).min(npos));
            let (p0, p1) = par::split(nbp, nsplit, 1, si);
            if r0 >= r1 || p0 >= p1 {
                return;
            }
            let (c0, c1) = (p0 * nr, (p1 * nr).min(o));
            // SAFETY: A holds np panels of kb, B nbp panels of kb (checked by the callers' sizes);
            // this task writes only rows r0..r1, columns c0..c1 of C^T (npos x o).
            unsafe {
                gemm::sgemm_packed_raw_rows(
                    r1 - r0,
                    c1 - c0,
                    kb,
                    h,
                    app.get().add(ci * per * mr * kb),
                    bpp.get().add(c0 * kb),
                    ctp.get().add(r0 * o + c0),
                    o,
                    false,
                );
            }
        });
    }
    // y[n, c, j] = C^T[n*s + j, c], then the epilogue, by (image, channel chunk)
    {
        const OC: usize = 64;
        let noc = o.div_ceil(OC);
        let (yp, ctr) = (SendPtr(y.as_mut_ptr()), &ct[..npos * o]);
        run_tasks(g.n * noc, &|t| {
            let (n, oc) = (t / noc, t % noc);
            let (o0, o1) = (oc * OC, ((oc + 1) * OC).min(o));
            let off = (n * o + o0) * s;
            // SAFETY: this task writes only channels o0..o1 of image n.
            let yb = unsafe { core::slice::from_raw_parts_mut(yp.get().add(off), (o1 - o0) * s) };
            transpose_out(&ctr[n * s * o..(n + 1) * s * o], o, o0, o1, s, yb);
            ep.apply(yb, off, o1 - o0, s, s);
        });
    }
    POS.with(|c| *c.borrow_mut() = ap);
    CT.with(|c| *c.borrow_mut() = ct);
    if !wb.is_empty() {
        WB_OWN.with(|c| *c.borrow_mut() = wb);
    }
}

thread_local! {
    static WB_OWN: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

crate::simd_fn! {
/// yb[(c - o0) * s + j] = ct[j * o + c] for c in o0..o1, j < s (one image's C^T rows).
fn transpose_out(ct: &[f32], o: usize, o0: usize, o1: usize, s: usize, yb: &mut [f32]) {
    const T: usize = 8;
    let mut j0 = 0;
    while j0 < s {
        let je = (j0 + T).min(s);
        for c in o0..o1 {
            let d = &mut yb[(c - o0) * s + j0..(c - o0) * s + je];
            for (jj, v) in d.iter_mut().enumerate() {
                *v = ct[(j0 + jj) * o + c];
            }
        }
        j0 = je;
    }
}
}

/// One MR-row panel of im2col^T: positions q0..q0+h (all images' output positions in order),
/// row r = (c, kd, kh, kw) at d[r * mr + i]; rows kg..kb (the bias column of A's transpose) ones;
/// lanes h..mr zero. Each tap's lane offsets (relative to channel 0 of the lane's image) are
/// computed once, so a row is mr loads and selects.
#[allow(clippy::too_many_arguments)]
fn gather_panel(g: &ConvGeom, x: &[f32], q0: usize, h: usize, mr: usize, kg: usize, kb: usize, d: &mut [f32]) {
    const L: usize = 16;
    let (s, ins) = (g.out_size(), g.in_size());
    assert!(h <= mr && mr <= L);
    let d = &mut d[..mr * kb];
    let taps = g.k_size();
    let (idn, ihn, iwn) = (g.in_d as isize, g.in_h as isize, g.in_w as isize);
    // per tap and lane: offset in x of channel 0 (0 for padding), and whether it is inside
    let mut offs = vec![[0usize; L]; taps];
    let mut valid = vec![[false; L]; taps];
    for i in 0..h {
        let q = q0 + i;
        let (n, j) = (q / s, q % s);
        let (od, oh, ow) = out_pos(g, j);
        let base = n * g.c * ins;
        let (d0, h0, w0) = (
            (od * g.s_d) as isize - g.p_d as isize,
            (oh * g.s_h) as isize - g.p_h as isize,
            (ow * g.s_w) as isize - g.p_w as isize,
        );
        let mut t = 0;
        for kd in 0..g.k_d {
            for kh in 0..g.k_h {
                for kw in 0..g.k_w {
                    let (id, ih, iw) =
                        (d0 + (kd * g.d_d) as isize, h0 + (kh * g.d_h) as isize, w0 + (kw * g.d_w) as isize);
                    if id >= 0 && id < idn && ih >= 0 && ih < ihn && iw >= 0 && iw < iwn {
                        offs[t][i] = base + ((id * ihn + ih) * iwn + iw) as usize;
                        valid[t][i] = true;
                    }
                    t += 1;
                }
            }
        }
    }
    let mut r = 0;
    for c in 0..g.c {
        let xc = &x[c * ins..];
        for t in 0..taps {
            let row = &mut d[r * mr..(r + 1) * mr];
            let (o, v) = (&offs[t], &valid[t]);
            for i in 0..mr {
                // lanes past h and padding read a valid index (channel c of image 0) and select 0
                let val = xc[if v[i] { o[i] } else { 0 }];
                row[i] = if v[i] { val } else { 0.0 };
            }
            r += 1;
        }
    }
    debug_assert_eq!(r, kg);
    for r in kg..kb {
        d[r * mr..r * mr + h].fill(1.0);
        d[r * mr + h..(r + 1) * mr].fill(0.0);
    }
}
