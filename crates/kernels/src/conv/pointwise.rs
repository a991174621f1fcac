//! Forward strategy of 1x1 / stride 1 / unpadded convs: the input already is the im2col matrix.
use super::*;

/// Floats of one column block of a pointwise conv's output (all output channels of a group): the
/// GEMM writes a block and the bias and epilogue pass reads it back while it is still in L2.
const PW_BLOCK: usize = 64 << 10;

/// 1x1 / stride 1 / unpadded convolution: the input already is the im2col matrix.
/// `packed`: the weights' panels from [`conv_pack`] (depth kg + bias column, of which the GEMM
/// reads the first kg), when valid for g.
///
/// The output is made a column block at a time: the GEMM only writes it (no bias pre-fill for it
/// to read back), then one pass adds the bias and applies the epilogue while the block is in
/// cache. Before, the bias fill, the accumulating GEMM and the epilogue each streamed the whole
/// output through memory (mobilenet_v2's 16 -> 96 expand conv writes 4.8 MB). Tasks over
/// (image, group, column block), and over MR-aligned row ranges when there are few blocks.
pub(super) fn conv_pointwise(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    packed: Option<&[f32]>,
    y: &mut [f32],
    ep: &Epilogue,
) {
    let kb = g.kg() + bias.is_some() as usize;
    let a_len = gemm::packed_a_len(g.og(), kb);
    let (s, og, kg) = (g.out_size(), g.og(), g.kg());
    let (x, w) = (&x[..g.x_len()], &w[..g.w_len()]);
    let y = &mut y[..g.y_len()];
    if s == 0 || og == 0 {
        return;
    }
    let (mr, nr) = gemm::panel_dims();
    let cb = block_cols(PW_BLOCK, og, s, nr, g.n * g.groups).min(s);
    let nb = s.div_ceil(cb);
    let blocks = g.n * g.groups * nb;
    let threads = par::threads();
    // few blocks for the threads: each block's rows split too (at MR, as the packing requires)
    let rparts = if threads > 1 && blocks < 2 * threads { threads.min(og.div_ceil(mr)) } else { 1 };
    let yp = SendPtr(y.as_mut_ptr());
    let yl = y.len();
    let task = |t: usize| {
        let (blk, rp) = (t / rparts, t % rparts);
        let (ng, bi) = (blk / nb, blk % nb);
        let (n, gi) = (ng / g.groups, ng % g.groups);
        let (r0, r1) = par::split(og, rparts, mr, rp);
        if r0 >= r1 {
            return;
        }
        let (j0, j1) = (bi * cb, (bi * cb + cb).min(s));
        let off = (n * g.o + gi * og) * s;
        // SAFETY: this task writes rows [r0, r1) x columns [j0, j1) of the (image n, group gi)
        // output plane only; the tasks' blocks are disjoint.
        let yg = unsafe { &mut core::slice::from_raw_parts_mut(yp.get(), yl)[off..off + og * s] };
        let xg = &x[(n * g.c + gi * kg) * s..(n * g.c + (gi + 1) * kg) * s];
        let (cw, yb) = (j1 - j0, &mut yg[j0..]);
        match packed {
            Some(p) => gemm::sgemm_apacked(
                og,
                cw,
                kg,
                &p[gi * a_len..(gi + 1) * a_len],
                kb,
                &xg[j0..],
                s,
                false,
                yb,
                s,
                0.0,
                r0,
                r1,
            ),
            None => {
                let wg = &w[gi * og * kg..(gi + 1) * og * kg];
                gemm::sgemm_rows(og, cw, kg, wg, kg, false, &xg[j0..], s, false, yb, s, 0.0, None, r0, r1)
            }
        }
        for r in r0..r1 {
            let row = &mut yg[r * s + j0..r * s + j1];
            if let Some(b) = bias {
                add_scalar(row, b[gi * og + r]);
            }
            ep.apply(row, off + r * s + j0, 1, cw, cw);
        }
    };
    let tasks = blocks * rparts;
    if threads > 1 && tasks > 1 {
        par::run(tasks, &|t, _| task(t));
    } else {
        for t in 0..tasks {
            task(t);
        }
    }
}

crate::simd_fn! {
/// row += b (the bias of a pointwise conv's output row, added after its GEMM: acc + b).
fn add_scalar(row: &mut [f32], b: f32) {
    for v in row.iter_mut() {
        *v += b;
    }
}
}

thread_local! {
    static SUB: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// 1x1 kernel, no padding, some stride > 1 (ResNet's downsample convs): the output reads only
/// every s-th input position, so those are gathered once into a [C, outS] plane per image and
/// the pointwise GEMM runs on them (instead of an im2col of the whole input).
pub(super) fn subsampled_case(g: &ConvGeom) -> bool {
    g.k_size() == 1 && g.p_d == 0 && g.p_h == 0 && g.p_w == 0 && !g.is_pointwise()
}

/// [`conv_pointwise`] over the positions a strided 1x1 conv reads (see [`subsampled_case`]).
pub(super) fn conv_subsampled(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    packed: Option<&[f32]>,
    y: &mut [f32],
    ep: &Epilogue,
) {
    let (ins, s) = (g.in_size(), g.out_size());
    let x = &x[..g.x_len()];
    let mut buf = SUB.with(|c| core::mem::take(&mut *c.borrow_mut()));
    if buf.len() < g.n * g.c * s {
        buf.resize(g.n * g.c * s, 0.0);
    }
    {
        let (bp, bl) = (SendPtr(buf.as_mut_ptr()), buf.len());
        let (hw, w_) = (g.in_h * g.in_w, g.in_w);
        run_tasks(g.n * g.c, &|t| {
            // SAFETY: task t writes only plane t of the gathered input.
            let d = unsafe { core::slice::from_raw_parts_mut(bp.get(), bl) };
            let (src, dst) = (&x[t * ins..(t + 1) * ins], &mut d[t * s..(t + 1) * s]);
            let mut j = 0;
            for od in 0..g.out_d {
                for oh in 0..g.out_h {
                    let row = od * g.s_d * hw + oh * g.s_h * w_;
                    for ow in 0..g.out_w {
                        dst[j] = src[row + ow * g.s_w];
                        j += 1;
                    }
                }
            }
        });
    }
    let pg = ConvGeom { in_d: g.out_d, in_h: g.out_h, in_w: g.out_w, s_d: 1, s_h: 1, s_w: 1, ..*g };
    conv_pointwise(&pg, &buf[..g.n * g.c * s], w, bias, packed, y, ep);
    SUB.with(|c| *c.borrow_mut() = buf);
}
