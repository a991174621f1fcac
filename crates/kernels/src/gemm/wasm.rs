//! wasm32 SIMD128 microkernel: R x (4*NV) tile of f32x4 accumulators.
//! With `-C target-feature=+relaxed-simd` the inner product uses `f32x4_relaxed_madd`
//! (fused on hardware with FMA); otherwise f32x4_mul + f32x4_add.

use super::{store_tile, Micro};
use core::arch::wasm32::*;

pub(crate) struct WasmSimd;

#[cfg(not(target_feature = "relaxed-simd"))]
const MR: usize = 4;
#[cfg(not(target_feature = "relaxed-simd"))]
const NV: usize = 2;
// With fused madd there is no temporary per product, so a 3x12 tile (9 accumulators,
// 3 B vectors, 3 splats) still fits V8's 15 allocatable xmm registers.
#[cfg(target_feature = "relaxed-simd")]
const MR: usize = 3;
#[cfg(target_feature = "relaxed-simd")]
const NV: usize = 3;
const NR: usize = 4 * NV;

#[inline(always)]
fn madd(a: v128, b: v128, c: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    {
        f32x4_relaxed_madd(a, b, c)
    }
    #[cfg(not(target_feature = "relaxed-simd"))]
    {
        f32x4_add(c, f32x4_mul(a, b))
    }
}

#[inline(always)]
unsafe fn kernel<const R: usize>(
    kc: usize,
    ap: *const f32,
    bp: *const f32,
    bs: usize,
    c: *mut f32,
    ldc: usize,
    nr: usize,
    accum: bool,
    bias: *const f32,
) {
    let mut acc = [[f32x4_splat(0.0); NV]; R];
    let mut a = ap;
    let mut b = bp;
    for _ in 0..kc {
        let mut bv = [f32x4_splat(0.0); NV];
        for v in 0..NV {
            bv[v] = v128_load(b.add(4 * v) as *const v128);
        }
        for i in 0..R {
            let av = v128_load32_splat(a.add(i) as *const u32);
            for v in 0..NV {
                acc[i][v] = madd(av, bv[v], acc[i][v]);
            }
        }
        a = a.add(MR);
        b = b.add(bs);
    }
    if nr == NR {
        let mut bvals = [f32x4_splat(0.0); NV];
        if !bias.is_null() {
            for v in 0..NV {
                bvals[v] = v128_load(bias.add(4 * v) as *const v128);
            }
        }
        for i in 0..R {
            let cr = c.add(i * ldc);
            for v in 0..NV {
                let cp = cr.add(4 * v) as *mut v128;
                let mut x = acc[i][v];
                if !bias.is_null() {
                    x = f32x4_add(x, bvals[v]);
                }
                if accum {
                    x = f32x4_add(x, v128_load(cp));
                }
                v128_store(cp, x);
            }
        }
    } else {
        let mut tile = [0.0f32; MR * NR];
        for i in 0..R {
            for v in 0..NV {
                v128_store(tile.as_mut_ptr().add(i * NR + 4 * v) as *mut v128, acc[i][v]);
            }
        }
        store_tile(tile.as_ptr(), NR, R, nr, c, ldc, accum, bias);
    }
}

impl Micro for WasmSimd {
    const MR: usize = MR;
    const NR: usize = NR;
    const KC: usize = 256;
    const MC: usize = 120;
    const NC: usize = 2048;
    // NR is only 8 floats (32 bytes): pack 16 panels per source row run (512 bytes), and
    // always pack (measured slightly faster than in-place B under V8).
    const PACK_GROUP: usize = 16;
    const DIRECT_B: bool = false;
    #[inline(always)]
    unsafe fn run(
        mr: usize,
        kc: usize,
        ap: *const f32,
        bp: *const f32,
        bs: usize,
        c: *mut f32,
        ldc: usize,
        nr: usize,
        accum: bool,
        bias: *const f32,
    ) {
        match mr {
            1 => kernel::<1>(kc, ap, bp, bs, c, ldc, nr, accum, bias),
            2 => kernel::<2>(kc, ap, bp, bs, c, ldc, nr, accum, bias),
            3 => kernel::<3>(kc, ap, bp, bs, c, ldc, nr, accum, bias),
            #[cfg(not(target_feature = "relaxed-simd"))]
            4 => kernel::<4>(kc, ap, bp, bs, c, ldc, nr, accum, bias),
            _ => unreachable!(),
        }
    }
}
