//! Conv weights packed once for the GEMM paths: a model in inference runs the same weights on
//! every call, and re-packing them each time reads and writes the whole weight matrix twice (the
//! 512 -> 512 3x3 conv of resnet18: 9.4 MB per call, more memory traffic than its GEMM's own).
//!
//! [`conv_pack`] writes a small header (what the packing was made for: the GEMM kernel and its
//! panel sizes, og, kb, groups, layout) and then, per group, [`gemm::pack_a_panels`] of
//! `[W_g | b_g]` (the bias as an extra column, as the forward paths use it), or for the turned
//! GEMM of spatial.rs `[W | b]^T` in B panels. A conv given such a buffer uses it
//! when the header matches its own geometry, bias and kernel, and packs the weights itself
//! otherwise, so a stale or foreign buffer costs speed, never correctness of the layout.
use super::*;

/// Floats before the packed panels (64 bytes: the panels start on a cache line when the buffer does).
const HDR: usize = 16;
const MAGIC: u32 = 0x5450_4b57;

thread_local! {
    static ROWS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The header a packing for `g` with `kb` columns of A has on this machine's GEMM kernel: the
/// layout is the weights as A panels, or as B panels for [`spatial_case`] geometries.
fn signature(g: &ConvGeom, kb: usize) -> [u32; 9] {
    let (mr, nr) = gemm::panel_dims();
    let layout = layout(g, kb);
    [
        MAGIC,
        gemm::best_kernel() as u32,
        mr as u32,
        nr as u32,
        g.og() as u32,
        kb as u32,
        g.groups as u32,
        g.kg() as u32,
        layout,
    ]
}

/// The packing a forward path of `g` reads: 0 A panels, 1 B panels ([`spatial_case`]), 2 the
/// channel-block layout of the direct conv (nchwc.rs).
fn layout(g: &ConvGeom, kb: usize) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if nchwc_case(g) {
        return 2;
    }
    spatial_case(g, kb) as u32
}

/// Floats after the header for `g` with `kb` columns.
fn body_len(g: &ConvGeom, kb: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if nchwc_case(g) {
        return nchwc_w_len(g);
    }
    if spatial_case(g, kb) {
        weight_b_len(g, kb)
    } else {
        gemm::packed_a_len(g.og(), kb) * g.groups
    }
}

/// Floats of a [`conv_pack`] buffer for `g` (with a bias when `has_bias`); 0 when no forward path
/// of `g` reads packed weights (direct depthwise convs), so there is nothing to pack.
pub fn packed_len(g: &ConvGeom, has_bias: bool) -> usize {
    if g.groups == 0
        || g.og() == 0
        || g.kg() == 0
        || (depthwise_case(g) && DIRECT_DW.load(core::sync::atomic::Ordering::Relaxed))
    {
        return 0;
    }
    HDR + body_len(g, g.kg() + has_bias as usize)
}

/// Packs w (and bias) for the forward paths of `g` into `dst` (at least [`packed_len`] floats).
pub fn conv_pack(g: &ConvGeom, w: &[f32], bias: Option<&[f32]>, dst: &mut [f32]) {
    let n = packed_len(g, bias.is_some());
    assert!(n > 0, "conv_pack: this geometry reads no packed weights");
    assert!(dst.len() >= n, "conv_pack: dst holds {} floats, needs {n}", dst.len());
    let kb = g.kg() + bias.is_some() as usize;
    for (d, v) in dst[..HDR].iter_mut().zip(signature(g, kb).iter().chain(core::iter::repeat(&0))) {
        *d = f32::from_bits(*v);
    }
    #[cfg(target_arch = "x86_64")]
    if nchwc_case(g) {
        pack_nchwc(g, &w[..g.w_len()], bias, &mut dst[HDR..n]);
        return;
    }
    if spatial_case(g, kb) {
        pack_weight_b(g, &w[..g.w_len()], bias, kb, &mut dst[HDR..n]);
    } else {
        pack_groups(g, &w[..g.w_len()], bias, kb, &mut dst[HDR..n]);
    }
}

/// Per group, pack_a_panels of [W_g | b_g] (og x kb) into dst (groups * packed_a_len(og, kb)).
pub(super) fn pack_groups(g: &ConvGeom, w: &[f32], bias: Option<&[f32]>, kb: usize, dst: &mut [f32]) {
    let (og, kg) = (g.og(), g.kg());
    let a_len = gemm::packed_a_len(og, kb);
    if bias.is_none() {
        // [W_g] is row-major og x kg already
        for gi in 0..g.groups {
            gemm::pack_a_panels(
                og,
                kb,
                &w[gi * og * kg..(gi + 1) * og * kg],
                kg,
                false,
                &mut dst[gi * a_len..(gi + 1) * a_len],
            );
        }
        return;
    }
    with_buf(&ROWS, og * kb, |wr| {
        for gi in 0..g.groups {
            weight_rows(g, w, bias, gi, kb, wr);
            gemm::pack_a_panels(og, kb, wr, kb, false, &mut dst[gi * a_len..(gi + 1) * a_len]);
        }
    });
}

/// [W_g | b_g] of group gi as og rows of kb floats (the bias column when kb > kg).
pub(super) fn weight_rows(g: &ConvGeom, w: &[f32], bias: Option<&[f32]>, gi: usize, kb: usize, wr: &mut [f32]) {
    let (og, kg) = (g.og(), g.kg());
    let wg = &w[gi * og * kg..(gi + 1) * og * kg];
    for o in 0..og {
        let d = &mut wr[o * kb..(o + 1) * kb];
        d[..kg].copy_from_slice(&wg[o * kg..(o + 1) * kg]);
        if let Some(b) = bias {
            d[kg] = b[gi * og + o];
        }
    }
}

/// The packed panels of `p` (A panels: groups * packed_a_len(og, kb) floats; B panels for
/// [`spatial_case`]: weight_b_len) when `p` was packed for this geometry's og, kb, groups and
/// layout on this GEMM kernel, else None.
pub(super) fn packed_panels<'a>(g: &ConvGeom, kb: usize, p: Option<&'a [f32]>) -> Option<&'a [f32]> {
    let p = p?;
    let n = HDR + body_len(g, kb);
    let sig = signature(g, kb);
    if p.len() < n || p[..sig.len()].iter().map(|v| v.to_bits()).ne(sig) {
        return None;
    }
    Some(&p[HDR..n])
}
