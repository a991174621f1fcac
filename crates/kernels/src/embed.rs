//! Embedding lookup and its gradient (rows of gy added at the looked-up indices).

/// out[r] = weight[idx[r]] for r < n; Err(i) names the first index outside 0..num_embeddings.
#[inline(never)]
pub fn embedding(
    weight: &[f32],
    idx: &[i32],
    out: &mut [f32],
    n: usize,
    dim: usize,
    num_embeddings: usize,
) -> Result<(), i32> {
    for r in 0..n {
        let t = idx[r];
        if t < 0 || t as usize >= num_embeddings {
            return Err(t);
        }
        let t = t as usize;
        out[r * dim..(r + 1) * dim].copy_from_slice(&weight[t * dim..(t + 1) * dim]);
    }
    Ok(())
}

/// gw (overwritten) = sum of gy rows at idx, skipping padding_idx (-1 = none).
#[inline(never)]
pub fn embedding_grad(
    gy: &[f32],
    idx: &[i32],
    gw: &mut [f32],
    n: usize,
    dim: usize,
    padding_idx: i32,
) -> Result<(), i32> {
    gw.fill(0.0);
    let rows = gw.len() / dim.max(1);
    for r in 0..n {
        let t = idx[r];
        if t == padding_idx {
            continue;
        }
        if t < 0 || t as usize >= rows {
            return Err(t);
        }
        let t = t as usize;
        for (d, &g) in gw[t * dim..(t + 1) * dim].iter_mut().zip(&gy[r * dim..(r + 1) * dim]) {
            *d += g;
        }
    }
    Ok(())
}
