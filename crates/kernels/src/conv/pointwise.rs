//! Forward strategy of 1x1 / stride 1 / unpadded convs: the input already is the im2col matrix.
use super::*;

/// 1x1 / stride 1 / unpadded convolution: the input already is the im2col matrix.
/// `packed`: the weights' panels from [`conv_pack`] (depth kg + bias column, of which the GEMM
/// reads the first kg), when valid for g.
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
    let (ins, s, og, kg) = (g.in_size(), g.out_size(), g.og(), g.kg());
    let (x, w) = (&x[..g.x_len()], &w[..g.w_len()]);
    let y = &mut y[..g.y_len()];
    let yp = SendPtr(y.as_mut_ptr());
    per_image(g, &|n| {
        // SAFETY: image n owns y[n*O*S .. (n+1)*O*S].
        let yn = unsafe { core::slice::from_raw_parts_mut(yp.get().add(n * g.o * s), g.o * s) };
        let xn = &x[n * g.c * ins..(n + 1) * g.c * ins];
        let beta = if let Some(b) = bias {
            for (o, row) in yn.chunks_exact_mut(s.max(1)).enumerate().take(g.o) {
                row.fill(b[o]);
            }
            1.0
        } else {
            0.0
        };
        for gi in 0..g.groups {
            let wg = &w[gi * og * kg..(gi + 1) * og * kg];
            let yg = &mut yn[gi * og * s..(gi + 1) * og * s];
            let xg = &xn[gi * kg * s..(gi + 1) * kg * s];
            match packed {
                Some(p) => gemm_par_packed(og, s, kg, &p[gi * a_len..(gi + 1) * a_len], kb, xg, yg, beta),
                None => gemm_par(og, s, kg, wg, kg, false, xg, s, false, yg, beta),
            }
        }
        ep.apply(yn, n * g.o * s, g.o, s, s);
    });
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
