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
