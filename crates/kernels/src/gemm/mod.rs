//! PLACEHOLDER single-precision GEMM (naive loops) so the kernels build; the GEMM owner replaces
//! this file. Row-major: C = beta*C + op(A) op(B) (+ bias[n] on every row).

/// C[m x n] = beta*C + op(A)[m x k] * op(B)[k x n] (+ bias[j]); beta is 0 or 1.
/// `lda`/`ldb`/`ldc` are the row strides of the matrices as stored (A stored k x m when `trans_a`).
#[allow(clippy::too_many_arguments)]
pub fn sgemm(m: usize, n: usize, k: usize, a: &[f32], lda: usize, trans_a: bool, b: &[f32], ldb: usize,
             trans_b: bool, c: &mut [f32], ldc: usize, beta: f32, bias: Option<&[f32]>) {
    sgemm_rows(m, n, k, a, lda, trans_a, b, ldb, trans_b, c, ldc, beta, bias, 0, m);
}

/// Like [`sgemm`] but computes only rows `row_begin..row_end` of C (for splitting across threads).
#[allow(clippy::too_many_arguments)]
pub fn sgemm_rows(_m: usize, n: usize, k: usize, a: &[f32], lda: usize, trans_a: bool, b: &[f32], ldb: usize,
                  trans_b: bool, c: &mut [f32], ldc: usize, beta: f32, bias: Option<&[f32]>,
                  row_begin: usize, row_end: usize) {
    for i in row_begin..row_end {
        let crow = &mut c[i * ldc..i * ldc + n];
        if beta == 0.0 {
            match bias { Some(bv) => crow.copy_from_slice(&bv[..n]), None => crow.fill(0.0) }
        } else if let Some(bv) = bias {
            for j in 0..n { crow[j] += bv[j]; }
        }
        for p in 0..k {
            let av = if trans_a { a[p * lda + i] } else { a[i * lda + p] };
            if trans_b {
                for j in 0..n { crow[j] += av * b[j * ldb + p]; }
            } else {
                let brow = &b[p * ldb..p * ldb + n];
                for j in 0..n { crow[j] += av * brow[j]; }
            }
        }
    }
}
