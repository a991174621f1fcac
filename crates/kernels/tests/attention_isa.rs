//! The attention kernels on every ISA level this CPU has (`simd::force_isa` caps the GEMM
//! microkernel and the `simd_fn!` row passes together): scalar, AVX2 and AVX-512 give the same
//! numbers within float32 rounding, on 1 and 2 threads, with causal, a mask and odd sizes. One
//! test function: the override is process-wide.
use torchlet_kernels::attention::{attention, attention_grad, Attn, Lay};
use torchlet_kernels::par;
use torchlet_kernels::simd::{self, Isa};

mod common;
use common::rand;

fn geom(bh: usize, l: usize, s: usize, e: usize, causal: bool) -> Attn {
    Attn {
        bh,
        heads: 1,
        l,
        s,
        e,
        ev: e,
        scale: 1.0 / (e as f32).sqrt(),
        causal,
        q: Lay::dense(l, e),
        k: Lay::dense(s, e),
        v: Lay::dense(s, e),
        m_sb: 0,
        m_sh: 0,
        m_sl: s,
        m_ss: 1,
        o: Lay::dense(l, e),
        dq: Lay::dense(l, e),
        dk: Lay::dense(s, e),
        dv: Lay::dense(s, e),
    }
}

fn outputs() -> Vec<Vec<f32>> {
    let mut all = vec![];
    for &(bh, l, s, e, causal, masked) in &[
        (3, 129, 129, 64, false, false),
        (2, 200, 77, 80, false, true),
        (2, 150, 150, 8, true, false),
        (1, 7, 300, 33, true, true),
    ] {
        let g = geom(bh, l, s, e, causal);
        let (q, k, v, go) = (rand(bh * l * e, 1), rand(bh * s * e, 2), rand(bh * s * e, 3), rand(bh * l * e, 4));
        let mask: Vec<f32> = rand(l * s, 5)
            .iter()
            .enumerate()
            .map(|(i, &x)| if x > 0.9 && i % s != 0 { f32::NEG_INFINITY } else { x })
            .collect();
        let m = if masked { Some(&mask[..]) } else { None };
        let (mut out, mut lse) = (vec![0f32; bh * l * e], vec![0f32; bh * l]);
        attention(&g, &q, &k, &v, m, &mut out, &mut lse);
        let (mut dq, mut dk, mut dv) = (vec![0f32; bh * l * e], vec![0f32; bh * s * e], vec![0f32; bh * s * e]);
        attention_grad(&g, &q, &k, &v, m, &out, &lse, &go, &mut dq, &mut dk, &mut dv);
        all.extend([out, lse, dq, dk, dv]);
    }
    all
}

#[test]
fn attention_on_every_isa_level() {
    let levels: Vec<Isa> =
        [Isa::Scalar, Isa::Avx2, Isa::Avx512].into_iter().filter(|&l| l <= simd::detected()).collect();
    let mut base: Option<Vec<Vec<f32>>> = None;
    for threads in [1, 2] {
        par::set_threads(threads);
        for &level in &levels {
            simd::force_isa(Some(level));
            let got = outputs();
            match &base {
                None => base = Some(got),
                Some(b) => {
                    for (i, (w, h)) in b.iter().zip(&got).enumerate() {
                        for (x, y) in h.iter().zip(w) {
                            assert!(
                                (x - y).abs() <= 2e-5 + 2e-4 * y.abs(),
                                "output {i}: {x} vs {y} at {level:?}, {threads} threads"
                            );
                        }
                    }
                }
            }
        }
    }
    simd::force_isa(None);
    par::set_threads(1);
}
