// One LSTM or GRU layer-direction over a whole sequence as ONE differentiable op: the input
// projection for all steps is one gemm, each step is one gemm plus one fused cell kernel, and the
// backward runs the time loop in reverse then finishes with one gemm each for dX, dW_ih and dW_hh.

import { backendImpl, isGradEnabled, noGrad } from "../../runtime.js";
import * as ops from "../../ops.js";
import { gemm2d } from "../../ops.js";
import { Tensor } from "../../tensor.js";
import type { Storage } from "../../backends/types.js";

const K = () => backendImpl();

export interface RnnLayerResult {
  /** [T, B, H] hidden state of every step (in time order, also for the reverse direction). */
  output: Tensor;
  /** [B, H] last hidden state (the one at t = 0 for the reverse direction). */
  hn: Tensor;
  /** [B, H] last cell state (LSTM only). */
  cn?: Tensor;
}

/** dst[dOff .. dOff + n) = src[sOff .. sOff + n) through the backend's live views (a memcpy). */
function copyAt(src: Storage, sOff: number, dst: Storage, dOff: number, n: number): void {
  const b = K();
  const s = b.view(src),
    d = b.view(dst);
  d.set(s.subarray(sOff, sOff + n) as any, dOff);
}

/** A dense copy of a [B, H] state (or the tensor itself when already dense). */
function denseState(t: Tensor): Tensor {
  return t.dense();
}

/** Disposes the first of each pair unless it is the second (a dense copy vs. its source). */
function release(pairs: [Tensor | null, Tensor | null][]): void {
  for (const [copy, src] of pairs) if (copy && copy !== src) copy.dispose();
}

function checkLayerArgs(kind: string, x: Tensor, h0: Tensor, wIh: Tensor, wHh: Tensor, gates: number) {
  if (x.dim() !== 3)
    throw new RangeError(`${kind}: expected input of shape [T, B, inputSize], got [${x.shape.join(", ")}]`);
  if (x.shape[0] === 0) throw new RangeError("Expected sequence length to be larger than 0 in RNN");
  const [, B, I] = x.shape,
    H = wHh.shape[1];
  if (wIh.dim() !== 2 || wIh.shape[0] !== gates * H || wIh.shape[1] !== I) {
    throw new RangeError(`${kind}: input.size(-1) must be equal to input_size. Expected ${wIh.shape[1]}, got ${I}`);
  }
  if (h0.dim() !== 2 || h0.shape[0] !== B || h0.shape[1] !== H) {
    throw new RangeError(`${kind}: expected hidden size [${B}, ${H}], got [${h0.shape.join(", ")}]`);
  }
}

/** Row layout of the packed output Y [(T + extra), B, H]:
 *  forward: row 0 = h0, row t + 1 = h_t; reverse: row t = h_t, row T = h0.
 *  So the previous hidden state of every step is a contiguous block (rows hpRow .. hpRow + T). */
function layout(T: number, reverse: boolean) {
  return {
    hRow: (t: number) => (reverse ? t : t + 1),
    prevRow: (t: number) => (reverse ? t + 1 : t),
    h0Row: reverse ? T : 0,
    outRow: reverse ? 0 : 1,
    hpRow: reverse ? 1 : 0,
    hnRow: reverse ? 0 : T,
    step: (s: number) => (reverse ? T - 1 - s : s),
    prevT: (t: number) => (reverse ? t + 1 : t - 1),
  };
}

/**
 * LSTM over x [T, B, I] from (h0, c0) [B, H], gates i, f, g, o; W_ih [4H, I], W_hh [4H, H].
 * reverse runs from t = T - 1 down to 0 (the backward direction of a bidirectional LSTM).
 */
export function lstmLayer(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  reverse = false,
): Required<RnnLayerResult> {
  checkLayerArgs("lstm", x, h0, wIh, wHh, 4);
  if (c0.dim() !== 2 || c0.shape[0] !== h0.shape[0] || c0.shape[1] !== h0.shape[1]) {
    throw new RangeError(`lstm: expected cell state size [${h0.shape.join(", ")}], got [${c0.shape.join(", ")}]`);
  }
  const [T, B, I] = x.shape,
    H = wHh.shape[1],
    G = 4 * H,
    BH = B * H,
    BG = B * G,
    TB = T * B;
  const L = layout(T, reverse);
  const xd = x.dense(),
    wIhd = wIh.dense(),
    wHhd = wHh.dense(),
    h0d = denseState(h0),
    c0d = denseState(c0);
  // both biases fold into the input projection's epilogue
  let bias: Tensor | null = null;
  if (bIh && bHh) bias = noGrad(() => ops.add(bIh, bHh));
  else if (bIh || bHh) bias = (bIh ?? bHh)!.dense();

  // the gemms read the [out, in] weights transposed in place (transB): no per-call W^T copies
  const wIhT = wIhd,
    wHhT = wHhd;
  const P = Tensor.empty([TB, G], "float32", true);
  gemm2d(TB, G, I, xd.storage, false, wIhT.storage, true, P.storage, { bias: bias ? bias.storage : null });
  if (bias && bias !== bIh && bias !== bHh) bias.dispose();

  const keepActs = ops.willRecord([x, h0, c0, wIh, wHh, bIh, bHh]);
  const fused = K().lstmSeq; // optional Backend member (the Rust backends)
  if (fused && !keepActs) {
    // inference on a Rust backend: the whole recurrence in one kernel call, straight into a dense
    // [T, B, H] output; hn / cn are their own small tensors, so disposing the output frees it all
    const O = Tensor.empty([T, B, H], "float32", true),
      CS = Tensor.empty([T, B, H], "float32", true);
    const ACT = Tensor.empty([B, G], "float32", true);
    fused.call(
      K(),
      P.storage,
      wHhd.storage,
      c0d.storage,
      h0d.storage,
      0,
      O.storage,
      0,
      CS.storage,
      ACT.storage,
      false,
      T,
      B,
      H,
      reverse,
    );
    const hn = Tensor.empty([B, H], "float32", true),
      cn = Tensor.empty([B, H], "float32", true);
    const last = reverse ? 0 : T - 1;
    copyAt(O.storage, last * BH, hn.storage, 0, BH);
    copyAt(CS.storage, last * BH, cn.storage, 0, BH);
    P.dispose();
    ACT.dispose();
    release([
      [xd, x],
      [wIhd, wIh],
      [wHhd, wHh],
      [h0d, h0],
      [c0d, c0],
      [CS, null],
    ]);
    return { output: O, hn, cn };
  }

  const Y = Tensor.empty([T + 2, B, H], "float32"); // rows 0..T as in layout(), row T + 1 = cn
  const CS = Tensor.empty([T, B, H], "float32");
  copyAt(h0d.storage, 0, Y.storage, L.h0Row * BH, BH);
  // the activated gates of every step (kept for backward), or one step's scratch
  const ACT = Tensor.empty(keepActs ? [T, B, G] : [B, G], "float32");
  if (fused) {
    // Rust backends: the whole recurrence in one kernel call (W_hh packed once per sequence), h_t
    // into Y's rows hRow(t) = outRow + t, h0 read from its own row
    fused.call(
      K(),
      P.storage,
      wHhd.storage,
      c0d.storage,
      Y.storage,
      L.h0Row * BH,
      Y.storage,
      L.outRow * BH,
      CS.storage,
      ACT.storage,
      keepActs,
      T,
      B,
      H,
      reverse,
    );
  } else
    for (let s = 0; s < T; s++) {
      const t = L.step(s);
      // step t's gates: its rows of P (the input projection) += h_prev W_hh^T, in place
      gemm2d(B, G, H, Y.storage, false, wHhT.storage, true, P.storage, {
        aOff: L.prevRow(t) * BH,
        cOff: t * BG,
        beta: 1,
      });
      const cp = s === 0 ? c0d.storage : CS.storage,
        cpOff = s === 0 ? 0 : L.prevT(t) * BH;
      K().lstmCell(
        P.storage,
        t * BG,
        cp,
        cpOff,
        Y.storage,
        L.hRow(t) * BH,
        CS.storage,
        t * BH,
        ACT.storage,
        keepActs ? t * BG : 0,
        B,
        H,
      );
    }
  P.dispose();
  if (!keepActs) ACT.dispose();
  copyAt(CS.storage, (reverse ? 0 : T - 1) * BH, Y.storage, (T + 1) * BH, BH);
  if (!keepActs)
    release([
      [xd, x],
      [wIhd, wIh],
      [wHhd, wHh],
      [h0d, h0],
      [c0d, c0],
      [CS, null],
    ]);

  ops.record(Y, "LstmBackward", [x, h0, c0, wIh, wHh, bIh, bHh], (gy) => {
    const gd = gy.dense();
    const GH = Tensor.empty([T, B, H], "float32");
    K().copyStrided(gd.storage, L.outRow * BH, [T * BH], [1], GH.storage);
    let gc = Tensor.empty([B, H], "float32"),
      gc2 = Tensor.empty([B, H], "float32");
    K().copyStrided(gd.storage, (T + 1) * BH, [BH], [1], gc.storage);
    if (gd !== gy) gd.dispose();
    const GG = Tensor.empty([TB, G], "float32");
    const gh0 = h0.requiresGrad ? Tensor.empty([B, H], "float32") : null;
    for (let s = T - 1; s >= 0; s--) {
      const t = L.step(s);
      const cp = s === 0 ? c0d.storage : CS.storage,
        cpOff = s === 0 ? 0 : L.prevT(t) * BH;
      K().lstmCellGrad(
        ACT.storage,
        t * BG,
        cp,
        cpOff,
        CS.storage,
        t * BH,
        GH.storage,
        t * BH,
        gc.storage,
        GG.storage,
        t * BG,
        gc2.storage,
        B,
        H,
      );
      [gc, gc2] = [gc2, gc];
      if (s > 0) {
        gemm2d(B, H, G, GG.storage, false, wHhd.storage, false, GH.storage, {
          aOff: t * BG,
          cOff: L.prevT(t) * BH,
          beta: 1,
        });
      } else if (gh0) {
        gemm2d(B, H, G, GG.storage, false, wHhd.storage, false, gh0.storage, { aOff: t * BG });
      }
    }
    gc2.dispose();
    GH.dispose();
    const gcOut = c0.requiresGrad ? gc : (gc.dispose(), null);
    const [gx, gwIh, gwHh, gbIh, gbHh] = projectionGrads(
      GG,
      GG,
      xd,
      Y.storage,
      L.hpRow * BH,
      wIhd,
      x,
      wIh,
      wHh,
      bIh,
      bHh,
      TB,
      G,
      I,
      H,
    );
    GG.dispose();
    return [gx, gh0, gcOut, gwIh, gwHh, gbIh, gbHh];
  });
  const output = ops.narrow(Y, 0, L.outRow, T);
  const hn = ops.select(Y, 0, L.hnRow);
  const cn = ops.select(Y, 0, T + 1);
  return { output, hn, cn };
}

/** The gradients that need every step's gate gradients: dX = GGi W_ih, dW_ih = GGi^T X,
 *  dW_hh = GGh^T Hprev, db_ih = sum GGi, db_hh = sum GGh (GGi = GGh for the LSTM). */
function projectionGrads(
  GGi: Tensor,
  GGh: Tensor,
  xd: Tensor,
  hp: Storage,
  hpOff: number,
  wIhd: Tensor,
  x: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  TB: number,
  G: number,
  I: number,
  H: number,
): (Tensor | null)[] {
  let gx: Tensor | null = null,
    gwIh: Tensor | null = null,
    gwHh: Tensor | null = null;
  let gbIh: Tensor | null = null,
    gbHh: Tensor | null = null;
  if (x.requiresGrad) {
    gx = Tensor.empty(x.shape.slice(), "float32");
    gemm2d(TB, I, G, GGi.storage, false, wIhd.storage, false, gx.storage);
  }
  if (wIh.requiresGrad) {
    gwIh = Tensor.empty([G, I], "float32");
    gemm2d(G, I, TB, GGi.storage, true, xd.storage, false, gwIh.storage);
  }
  if (wHh.requiresGrad) {
    gwHh = Tensor.empty([G, H], "float32");
    gemm2d(G, H, TB, GGh.storage, true, hp, false, gwHh.storage, { bOff: hpOff });
  }
  if (bIh && bIh.requiresGrad) {
    gbIh = Tensor.empty([G], "float32");
    K().sum(GGi.storage, gbIh.storage, 1, TB, G);
  }
  if (bHh && bHh.requiresGrad) {
    gbHh = Tensor.empty([G], "float32");
    K().sum(GGh.storage, gbHh.storage, 1, TB, G);
  }
  return [gx, gwIh, gwHh, gbIh, gbHh];
}

/**
 * GRU over x [T, B, I] from h0 [B, H], gates r, z, n; W_ih [3H, I], W_hh [3H, H]:
 * n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h' = (1 - z) * n + z * h.
 */
export function gruLayer(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  reverse = false,
): RnnLayerResult {
  checkLayerArgs("gru", x, h0, wIh, wHh, 3);
  const [T, B, I] = x.shape,
    H = wHh.shape[1],
    G = 3 * H,
    BH = B * H,
    BG = B * G,
    TB = T * B;
  const L = layout(T, reverse);
  const xd = x.dense(),
    wIhd = wIh.dense(),
    wHhd = wHh.dense(),
    h0d = denseState(h0);
  const bIhd = bIh ? bIh.dense() : null,
    bHhd = bHh ? bHh.dense() : null;

  // the gemms read the [out, in] weights transposed in place (transB): no per-call W^T copies
  const wIhT = wIhd,
    wHhT = wHhd;
  const GI = Tensor.empty([TB, G], "float32");
  gemm2d(TB, G, I, xd.storage, false, wIhT.storage, true, GI.storage, { bias: bIhd ? bIhd.storage : null });

  const Y = Tensor.empty([T + 1, B, H], "float32");
  copyAt(h0d.storage, 0, Y.storage, L.h0Row * BH, BH);
  const gh = Tensor.empty([B, G], "float32");
  const keepActs = ops.willRecord([x, h0, wIh, wHh, bIh, bHh]);
  // (r, z, n, gh_n) of every step (kept for backward), or one step's scratch
  const BA = B * 4 * H;
  const ACT = Tensor.empty(keepActs ? [T, B, 4 * H] : [B, 4 * H], "float32");
  for (let s = 0; s < T; s++) {
    const t = L.step(s);
    gemm2d(B, G, H, Y.storage, false, wHhT.storage, true, gh.storage, {
      aOff: L.prevRow(t) * BH,
      bias: bHhd ? bHhd.storage : null,
    });
    K().gruCell(
      GI.storage,
      t * BG,
      gh.storage,
      Y.storage,
      L.prevRow(t) * BH,
      Y.storage,
      L.hRow(t) * BH,
      ACT.storage,
      keepActs ? t * BA : 0,
      B,
      H,
    );
  }
  gh.dispose();
  GI.dispose();
  if (!keepActs) ACT.dispose();
  if (!keepActs)
    release([
      [xd, x],
      [wIhd, wIh],
      [wHhd, wHh],
      [h0d, h0],
      [bIhd, bIh],
      [bHhd, bHh],
    ]);

  ops.record(Y, "GruBackward", [x, h0, wIh, wHh, bIh, bHh], (gy) => {
    const gd = gy.dense();
    const GH = Tensor.empty([T, B, H], "float32");
    K().copyStrided(gd.storage, L.outRow * BH, [T * BH], [1], GH.storage);
    if (gd !== gy) gd.dispose();
    const GGI = Tensor.empty([TB, G], "float32"),
      GGH = Tensor.empty([TB, G], "float32");
    const ghp = Tensor.empty([B, H], "float32");
    const gh0 = h0.requiresGrad ? Tensor.empty([B, H], "float32") : null;
    for (let s = T - 1; s >= 0; s--) {
      const t = L.step(s);
      K().gruCellGrad(
        ACT.storage,
        t * BA,
        Y.storage,
        L.prevRow(t) * BH,
        GH.storage,
        t * BH,
        GGI.storage,
        t * BG,
        GGH.storage,
        t * BG,
        ghp.storage,
        B,
        H,
      );
      const target = s > 0 ? GH : gh0;
      if (!target) continue;
      const off = s > 0 ? L.prevT(t) * BH : 0;
      gemm2d(B, H, G, GGH.storage, false, wHhd.storage, false, target.storage, {
        aOff: t * BG,
        cOff: off,
        beta: s > 0 ? 1 : 0,
      });
      // + the direct path dh * z (elementwise, through the live views)
      const tv = K().view(target.storage),
        pv = K().view(ghp.storage);
      for (let k = 0; k < BH; k++) tv[off + k] += pv[k];
    }
    ghp.dispose();
    GH.dispose();
    const [gx, gwIh, gwHh, gbIh, gbHh] = projectionGrads(
      GGI,
      GGH,
      xd,
      Y.storage,
      L.hpRow * BH,
      wIhd,
      x,
      wIh,
      wHh,
      bIh,
      bHh,
      TB,
      G,
      I,
      H,
    );
    GGI.dispose();
    GGH.dispose();
    return [gx, gh0, gwIh, gwHh, gbIh, gbHh];
  });
  const output = ops.narrow(Y, 0, L.outRow, T);
  const hn = ops.select(Y, 0, L.hnRow);
  return { output, hn };
}

/**
 * Elman RNN over x [T, B, I] from h0 [B, H]: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),
 * act tanh or relu; the input projection for all steps is one gemm, each step one gemm + the
 * activation, written with differentiable ops (autograd records every step).
 */
export function rnnLayer(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  nonlinearity: "tanh" | "relu" = "tanh",
  reverse = false,
): RnnLayerResult {
  checkLayerArgs("rnn", x, h0, wIh, wHh, 1);
  const T = x.shape[0];
  const P = ops.linear(x, wIh, bIh);
  const hs: Tensor[] = new Array(T);
  let h = h0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    h = ops.unary(nonlinearity, ops.add(ops.select(P, 0, t), ops.linear(h, wHh, bHh)));
    hs[t] = h;
  }
  return { output: ops.stack(hs, 0), hn: h };
}
