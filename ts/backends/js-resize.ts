// The js reference kernels of padding and resampling (F.pad, F.interpolate): PyTorch 1.13's index
// math, written once here and once in crates/kernels/src/resize.rs.

import type { FloatArray, PadGeom, PadMode, ResampleGeom, ResampleMode } from "./types.js";

const f32 = Math.fround;

/** Source index of output position o along a dim of n inputs padded by `before` (-1: the constant). */
export function padSource(o: number, n: number, before: number, mode: PadMode): number {
  const p = o - before;
  if (p >= 0 && p < n) return p;
  switch (mode) {
    case "constant":
      return -1;
    case "replicate":
      return p < 0 ? 0 : n - 1;
    case "circular":
      return ((p % n) + n) % n;
    default:
      return p < 0 ? -p : 2 * (n - 1) - p; // reflect (|pad| < n is checked above the kernel)
  }
}

function padMaps(g: PadGeom, mode: PadMode): Int32Array[] {
  const dims: [number, number, number][] = [
    [g.iD, g.oD, g.pD],
    [g.iH, g.oH, g.pH],
    [g.iW, g.oW, g.pW],
  ];
  return dims.map(([n, o, p]) => Int32Array.from({ length: o }, (_, k) => padSource(k, n, p, mode)));
}

/** y [NC, oD, oH, oW] = x [NC, iD, iH, iW] padded (negative pads crop). */
export function pad(g: PadGeom, X: FloatArray, Y: FloatArray, mode: PadMode, value: number): void {
  const [md, mh, mw] = padMaps(g, mode);
  const inS = g.iD * g.iH * g.iW,
    outS = g.oD * g.oH * g.oW;
  for (let p = 0; p < g.NC; p++) {
    let o = p * outS;
    for (let d = 0; d < g.oD; d++)
      for (let h = 0; h < g.oH; h++) {
        const sd = md[d],
          sh = mh[h];
        const row = sd < 0 || sh < 0 ? -1 : p * inS + (sd * g.iH + sh) * g.iW;
        for (let w = 0; w < g.oW; w++, o++) {
          const sw = mw[w];
          Y[o] = row < 0 || sw < 0 ? value : X[row + sw];
        }
      }
  }
}

/** gx (overwritten) = the adjoint of pad: each output gradient added to its source element. */
export function padGrad(g: PadGeom, G: FloatArray, GX: FloatArray, mode: PadMode): void {
  const [md, mh, mw] = padMaps(g, mode);
  const inS = g.iD * g.iH * g.iW,
    outS = g.oD * g.oH * g.oW;
  GX.fill(0);
  for (let p = 0; p < g.NC; p++) {
    let o = p * outS;
    for (let d = 0; d < g.oD; d++)
      for (let h = 0; h < g.oH; h++) {
        const sd = md[d],
          sh = mh[h];
        if (sd < 0 || sh < 0) {
          o += g.oW;
          continue;
        }
        const row = p * inS + (sd * g.iH + sh) * g.iW;
        for (let w = 0; w < g.oW; w++, o++) {
          const sw = mw[w];
          if (sw >= 0) GX[row + sw] += G[o];
        }
      }
  }
}

/** PyTorch's compute_scales_value in float: 1/scale when a scale factor is given, else in/out. */
function scaleValue(scale: number, n: number, o: number): number {
  return scale > 0 ? f32(1 / scale) : f32(f32(n) / o);
}
/** area_pixel_compute_scale (float). */
function areaScale(n: number, o: number, alignCorners: boolean, scale: number): number {
  if (alignCorners) return o > 1 ? f32(f32(n - 1) / (o - 1)) : 0;
  return scaleValue(scale, n, o);
}
/** area_pixel_compute_source_index (float). */
function sourceIndex(scale: number, dst: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return f32(scale * dst);
  const s = f32(f32(scale * f32(dst + 0.5)) - 0.5);
  return !cubic && s < 0 ? 0 : s;
}
function cubicCoeffs(t: number): number[] {
  const A = -0.75;
  const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
}

/** Interpolation taps of one dim: for output k, taps source indices idx[k*T + j] with weights w[k*T + j]. */
export interface Taps {
  T: number;
  idx: Int32Array;
  w: Float64Array;
}

/** The taps of one dim (n inputs, o outputs), PyTorch 1.13's CPU index math for each mode. */
export function resampleTaps(mode: ResampleMode, n: number, o: number, alignCorners: boolean, scale: number): Taps {
  const T = mode === "cubic" ? 4 : mode === "linear" ? 2 : 1;
  const idx = new Int32Array(o * T),
    w = new Float64Array(o * T);
  if (mode === "nearest" || mode === "nearest-exact") {
    const s = scaleValue(scale, n, o);
    for (let k = 0; k < o; k++) {
      let i: number;
      if (mode === "nearest") {
        // nearest_idx: the shortcuts for equal and doubled sizes, else floor(dst * scale) in float
        i = o === n ? k : o === 2 * n ? k >> 1 : Math.min(Math.floor(f32(k * s)), n - 1);
      } else {
        i = Math.min(Math.floor((k + 0.5) * s), n - 1); // (dst + 0.5) is a double in PyTorch
      }
      idx[k] = i;
      w[k] = 1;
    }
    return { T, idx, w };
  }
  const s = areaScale(n, o, alignCorners, scale);
  for (let k = 0; k < o; k++) {
    if (mode === "linear") {
      if (o === n) {
        idx[2 * k] = k;
        idx[2 * k + 1] = k;
        w[2 * k] = 1;
        w[2 * k + 1] = 0;
        continue;
      }
      const r = sourceIndex(s, k, alignCorners, false);
      const i0 = Math.trunc(r),
        i1 = i0 + (i0 < n - 1 ? 1 : 0);
      const l1 = f32(r - i0),
        l0 = f32(1 - l1);
      idx[2 * k] = i0;
      idx[2 * k + 1] = i1;
      w[2 * k] = l0;
      w[2 * k + 1] = l1;
    } else {
      const r = sourceIndex(s, k, alignCorners, true);
      const i = Math.floor(r),
        c = cubicCoeffs(f32(r - i));
      for (let j = 0; j < 4; j++) {
        idx[4 * k + j] = Math.max(Math.min(i - 1 + j, n - 1), 0);
        w[4 * k + j] = c[j];
      }
    }
  }
  return { T, idx, w };
}

function allTaps(g: ResampleGeom): Taps[] {
  return [
    resampleTaps(g.mode, g.iD, g.oD, g.alignCorners, g.sD),
    resampleTaps(g.mode, g.iH, g.oH, g.alignCorners, g.sH),
    resampleTaps(g.mode, g.iW, g.oW, g.alignCorners, g.sW),
  ];
}

/** y [NC, oD, oH, oW] = separable interpolation of x [NC, iD, iH, iW]. */
export function resample(g: ResampleGeom, X: FloatArray, Y: FloatArray): void {
  const [td, th, tw] = allTaps(g);
  const inS = g.iD * g.iH * g.iW,
    outS = g.oD * g.oH * g.oW;
  for (let p = 0; p < g.NC; p++) {
    let o = p * outS;
    const base = p * inS;
    for (let d = 0; d < g.oD; d++)
      for (let h = 0; h < g.oH; h++)
        for (let w = 0; w < g.oW; w++, o++) {
          let acc = 0;
          for (let a = 0; a < td.T; a++) {
            const wd = td.w[d * td.T + a],
              rd = td.idx[d * td.T + a] * g.iH;
            for (let b = 0; b < th.T; b++) {
              const wh = th.w[h * th.T + b],
                r = base + (rd + th.idx[h * th.T + b]) * g.iW;
              let row = 0;
              for (let c = 0; c < tw.T; c++) row += tw.w[w * tw.T + c] * X[r + tw.idx[w * tw.T + c]];
              acc += wd * wh * row;
            }
          }
          Y[o] = acc;
        }
  }
}

/** gx (overwritten) = the adjoint of resample (each output gradient spread over its taps). */
export function resampleGrad(g: ResampleGeom, G: FloatArray, GX: FloatArray): void {
  const [td, th, tw] = allTaps(g);
  const inS = g.iD * g.iH * g.iW,
    outS = g.oD * g.oH * g.oW;
  GX.fill(0);
  for (let p = 0; p < g.NC; p++) {
    let o = p * outS;
    const base = p * inS;
    for (let d = 0; d < g.oD; d++)
      for (let h = 0; h < g.oH; h++)
        for (let w = 0; w < g.oW; w++, o++) {
          const gv = G[o];
          for (let a = 0; a < td.T; a++) {
            const wd = td.w[d * td.T + a],
              rd = td.idx[d * td.T + a] * g.iH;
            for (let b = 0; b < th.T; b++) {
              const wdh = wd * th.w[h * th.T + b] * gv,
                r = base + (rd + th.idx[h * th.T + b]) * g.iW;
              for (let c = 0; c < tw.T; c++) GX[r + tw.idx[w * tw.T + c]] += wdh * tw.w[w * tw.T + c];
            }
          }
        }
  }
}
