//! Portable fallback microkernel (plain Rust; LLVM auto-vectorizes the NR loop).

use super::{store_tile, Micro};

pub(crate) struct Scalar;

const MR: usize = 4;
const NR: usize = 16;

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
    let mut acc = [[0.0f32; NR]; R];
    let mut a = ap;
    let mut b = bp;
    for _ in 0..kc {
        let bv: [f32; NR] = *(b as *const [f32; NR]);
        for i in 0..R {
            let av = *a.add(i);
            for j in 0..NR {
                acc[i][j] += av * bv[j];
            }
        }
        a = a.add(MR);
        b = b.add(bs);
    }
    store_tile(acc.as_ptr() as *const f32, NR, R, nr, c, ldc, accum, bias);
}

impl Micro for Scalar {
    const MR: usize = MR;
    const NR: usize = NR;
    const KC: usize = 256;
    const MC: usize = 128;
    const NC: usize = 1024;
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
            _ => kernel::<4>(kc, ap, bp, bs, c, ldc, nr, accum, bias),
        }
    }
}
