// The js reference of the RMS-norm kernels (crates/kernels/src/norm.rs rms_norm / rms_norm_grad):
// y = x * rstd * w per row of `cols`, rstd = 1 / sqrt(mean(x^2) + eps), sums in float64.

import type { FloatArray } from "./types.js";

export function rmsNorm(
  X: FloatArray,
  rows: number,
  cols: number,
  eps: number,
  W: FloatArray | null,
  Y: FloatArray,
  R: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let q = 0;
    for (let k = 0; k < cols; k++) q += X[base + k] * X[base + k];
    const rs = 1 / Math.sqrt(q / cols + eps);
    R[r] = rs;
    const rf = R[r];
    for (let k = 0; k < cols; k++) Y[base + k] = X[base + k] * rf * (W ? W[k] : 1);
  }
}

/** gx = rstd (g w) - rstd^3 / cols * x * sum(g w x) per row; gw = sum over rows of g x rstd. */
export function rmsNormGrad(
  X: FloatArray,
  G: FloatArray,
  rows: number,
  cols: number,
  R: FloatArray,
  W: FloatArray | null,
  GX: FloatArray | null,
  GW: FloatArray | null,
): void {
  if (GW) GW.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols,
      rs = R[r];
    let s = 0;
    for (let k = 0; k < cols; k++) {
      const g = G[base + k],
        x = X[base + k];
      if (GW) GW[k] += g * x * rs;
      s += g * (W ? W[k] : 1) * x;
    }
    if (!GX) continue;
    const c = (rs * rs * rs * s) / cols;
    for (let k = 0; k < cols; k++) GX[base + k] = rs * G[base + k] * (W ? W[k] : 1) - c * X[base + k];
  }
}
