//! Batched GEMM over the shared `gemm::sgemm_rows`, split across threads by batch and row blocks.
use crate::{gemm, par};

/// Operands of one batched GEMM: C[b] = beta*C[b] + op(A[b]) op(B[b]) (+ bias), row-major and
/// contiguous; op(A) is M x K (stored K x M when trans_a); a batch stride of 0 broadcasts.
#[derive(Clone, Copy, Debug)]
pub struct Gemm {
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a_stride: usize,
    pub trans_a: bool,
    pub b_stride: usize,
    pub trans_b: bool,
    pub c_stride: usize,
    pub beta: f32,
}

/// Minimum multiply-adds per task before splitting a GEMM across threads pays.
pub const PAR_MIN_FLOPS: usize = 1 << 16;

/// Runs the batched GEMM; `a`, `b`, `c` start at the operands' element offsets.
#[inline(never)]
pub fn gemm(g: &Gemm, a: &[f32], b: &[f32], c: &mut [f32], bias: Option<&[f32]>) {
    let (m, n, k) = (g.m, g.n, g.k);
    if g.batch == 0 || m == 0 || n == 0 {
        return;
    }
    let lda = if g.trans_a { m } else { k };
    let ldb = if g.trans_b { k } else { n };
    let a_len = m * k;
    let b_len = k * n;
    let c_len = m * n;
    let flops = m * n * k.max(1);
    let threads = par::threads();
    let total = flops * g.batch;
    if threads <= 1 || total < 2 * PAR_MIN_FLOPS {
        for bt in 0..g.batch {
            let ao = bt * g.a_stride;
            let bo = bt * g.b_stride;
            let co = bt * g.c_stride;
            gemm::sgemm(
                m,
                n,
                k,
                &a[ao..ao + a_len],
                lda,
                g.trans_a,
                &b[bo..bo + b_len],
                ldb,
                g.trans_b,
                &mut c[co..co + c_len],
                n,
                g.beta,
                bias,
            );
        }
        return;
    }
    // tasks: each batch item split into `parts` row blocks so there are >= ~2 tasks per thread
    // Big products: one task per thread (each row task packs all of B again, so extra tasks
    // only add packing); smaller ones: ~2 per thread so an uneven split can even out.
    let big = flops * g.batch >= threads * (1 << 25);
    let want = (if big { threads } else { threads * 2 }).div_ceil(g.batch).max(1);
    let parts = want.min(m.div_ceil(4)).min((flops / PAR_MIN_FLOPS).max(1)).max(1);
    let cp = SendPtr(c.as_mut_ptr());
    let c_total = c.len();
    par::run(g.batch * parts, &|task, _| {
        let bt = task / parts;
        let (r0, r1) = par::split(m, parts, 4, task % parts);
        if r0 >= r1 {
            return;
        }
        let ao = bt * g.a_stride;
        let bo = bt * g.b_stride;
        let co = bt * g.c_stride;
        assert!(co + c_len <= c_total);
        // SAFETY: tasks write disjoint rows [r0, r1) of disjoint batch items (c_stride >= m*n for
        // batch > 1 is the caller's contract), all inside `c`.
        let cs = unsafe { core::slice::from_raw_parts_mut(cp.get().add(co), c_len) };
        gemm::sgemm_rows(
            m,
            n,
            k,
            &a[ao..ao + a_len],
            lda,
            g.trans_a,
            &b[bo..bo + b_len],
            ldb,
            g.trans_b,
            cs,
            n,
            g.beta,
            bias,
            r0,
            r1,
        );
    });
}

/// A raw pointer that tasks on other threads may use for disjoint writes.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(pub *mut T);
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}
impl<T> SendPtr<T> {
    #[inline(always)]
    pub fn get(self) -> *mut T {
        self.0
    }
}
