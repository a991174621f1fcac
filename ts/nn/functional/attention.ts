// Attention: F.scaledDotProductAttention (PyTorch 2's semantics) over one fused backend kernel
// (scores, scale, mask, softmax and the product with V in blocks, with a block-recomputing
// backward), and F.multiHeadAttentionForward (PyTorch 1.13's multi_head_attention_forward).

import * as ops from "../../ops.js";
import { backendImpl, isGradEnabled } from "../../runtime.js";
import { Tensor, numelOf } from "../../tensor.js";
import type { AttnGeom, Storage } from "../../backends/types.js";
import { A, parseArgs } from "../../utils/args.js";
import { dropout, linear, softmax } from "./basic.js";

const K = () => backendImpl();
const isBool = (t: Tensor) => (t.dtype as string) === "bool";
const isFloat = (t: Tensor) => t.dtype === "float32";

/**
 * A float additive mask from a bool one: `blockedWhen` is the bool value that means "may not
 * attend" (true for MultiheadAttention, false for scaledDotProductAttention). Float masks are
 * returned as they are; other dtypes are refused in PyTorch's words.
 */
export function additiveMask(mask: Tensor, blockedWhen: boolean, what: string): Tensor {
  if (isFloat(mask)) return mask;
  if (!isBool(mask)) throw new TypeError(`only bool and floating types of ${what} are supported`);
  const src = mask.toFloat32Array();
  const out = Tensor.empty(mask.shape.slice(), "float32");
  const dst = out.backendView();
  for (let k = 0; k < src.length; k++) dst[k] = (src[k] !== 0) === blockedWhen ? -Infinity : 0;
  return out;
}

/** -inf where t != 0, else 0 (a float mask read as bool). */
function nonzero(t: Tensor): Tensor {
  const src = t.toFloat32Array();
  const out = Tensor.empty(t.shape.slice(), "float32");
  const dst = out.backendView();
  for (let k = 0; k < src.length; k++) dst[k] = src[k] !== 0 ? -Infinity : 0;
  return out;
}

/** One operand of the kernel: element (bh = b*heads + h, row, col) at off + b*sB + h*sH + row*sL + col. */
interface Operand {
  s: Storage;
  off: number;
  sB: number;
  sH: number;
  sL: number;
}

/** (offset, outer batch stride, head stride, row stride) reading t [...outer, heads, R, C] in place:
 *  rows contiguous and not overlapping, the outer batch dims one stride apart (size-1 dims ignored);
 *  null when t must be copied first. */
function rowsLayout(t: Tensor): { off: number; sB: number; sH: number; sL: number } | null {
  const n = t.dim(),
    sh = t.shape,
    st = t.strides;
  if (sh[n - 1] > 1 && st[n - 1] !== 1) return null;
  if (sh[n - 2] > 1 && sh[n - 1] > 0 && st[n - 2] < sh[n - 1]) return null;
  const nb = n - 2;
  const sB = collapsedStride(sh.slice(0, Math.max(0, nb - 1)), st.slice(0, Math.max(0, nb - 1)));
  if (sB === null) return null;
  const sH = nb > 0 && sh[nb - 1] > 1 ? st[nb - 1] : 0;
  return { off: t.offset, sB, sH, sL: sh[n - 2] > 1 ? st[n - 2] : 0 };
}
/** The single stride that walks dims `sh` (row-major) with strides `st`, or null if none does. */
function collapsedStride(sh: number[], st: number[]): number | null {
  let stride: number | null = null,
    size = 1;
  for (let d = sh.length - 1; d >= 0; d--) {
    if (sh[d] === 1) continue;
    if (stride === null) {
      stride = st[d];
      size = sh[d];
      continue;
    }
    if (st[d] !== stride * size) return null;
    size *= sh[d];
  }
  return stride ?? 0;
}

/** The strides of a dense [...outer, heads, R, C] operand. */
const denseLay = (heads: number, R: number, C: number) => ({ sB: heads * R * C, sH: R * C, sL: C });

/** The mask geometry of a float additive mask broadcastable to [...batch, L, S] (batch's last dim
 *  is the heads dim), reading it in place when its outer batch dims collapse; owned copies go to
 *  `owned`. */
function maskPlace(mask: Tensor, batch: number[], L: number, S: number, owned: Tensor[]) {
  const nb = batch.length;
  let me = ops.expand(mask, [...batch, L, S]);
  let outer = collapsedStride(batch.slice(0, -1), me.strides.slice(0, Math.max(0, nb - 1)));
  if (outer === null) {
    me = me.dense();
    owned.push(me);
    outer = collapsedStride(batch.slice(0, -1), me.strides.slice(0, nb - 1));
  }
  return {
    m: me,
    msB: outer ?? 0,
    msH: nb ? me.strides[nb - 1] : 0,
    msL: me.strides[nb],
    msS: me.strides[nb + 1],
    mOff: me.offset,
  };
}

/** The kernel geometry from its parts (the gradient fields filled in later). */
function geometry(
  BH: number,
  heads: number,
  sizes: { L: number; S: number; E: number; Ev: number },
  scale: number,
  causal: boolean,
  Q: Operand,
  Kp: Operand,
  V: Operand,
  m: { msB: number; msH: number; msL: number; msS: number; mOff: number } | null,
  o: { sB: number; sH: number; sL: number },
): AttnGeom {
  return {
    BH,
    heads,
    ...sizes,
    scale,
    causal,
    qOff: Q.off,
    qsB: Q.sB,
    qsH: Q.sH,
    qsL: Q.sL,
    kOff: Kp.off,
    ksB: Kp.sB,
    ksH: Kp.sH,
    ksL: Kp.sL,
    vOff: V.off,
    vsB: V.sB,
    vsH: V.sH,
    vsL: V.sL,
    mOff: m?.mOff ?? 0,
    msB: m?.msB ?? 0,
    msH: m?.msH ?? 0,
    msL: m?.msL ?? 0,
    msS: m?.msS ?? 0,
    oOff: 0,
    osB: o.sB,
    osH: o.sH,
    osL: o.sL,
    goOff: 0,
    dqOff: 0,
    dqsB: 0,
    dqsH: 0,
    dqsL: 0,
    dkOff: 0,
    dksB: 0,
    dksH: 0,
    dksL: 0,
    dvOff: 0,
    dvsB: 0,
    dvsH: 0,
    dvsL: 0,
  };
}

/** The fused kernel as one differentiable op over q, k, v [...batch, L|S, E|Ev] (same batch dims);
 *  mask: a float additive mask broadcastable to [...batch, L, S], not requiring grad. */
function fusedAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, scale: number): Tensor {
  const nb = q.dim() - 2,
    batch = q.shape.slice(0, nb);
  const L = q.shape[nb],
    E = q.shape[nb + 1],
    S = k.shape[nb],
    Ev = v.shape[nb + 1];
  const BH = numelOf(batch);
  const heads = nb ? batch[nb - 1] : 1;
  const owned: Tensor[] = [];
  const place = (t: Tensor): Operand => {
    let lay = rowsLayout(t);
    if (lay) return { s: t.storage, ...lay };
    const d = t.dense();
    owned.push(d);
    lay = rowsLayout(d)!;
    return { s: d.storage, ...lay };
  };
  const Q = place(q),
    Kp = place(k),
    V = place(v);
  const mp = mask ? maskPlace(mask, batch, L, S, owned) : null;
  const g = geometry(BH, heads, { L, S, E, Ev }, scale, causal, Q, Kp, V, mp, denseLay(heads, L, Ev));
  const out = Tensor.empty([...batch, L, Ev], "float32");
  const lse = Tensor.empty([BH, L], "float32");
  const ms = mp ? mp.m.storage : null;
  K().attention(g, Q.s, Kp.s, V.s, ms, out.storage, lse.storage);
  const recording = isGradEnabled() && (q.requiresGrad || k.requiresGrad || v.requiresGrad);
  if (!recording) {
    lse.dispose();
    for (const t of owned) t.dispose();
    return out;
  }
  return ops.record(out, "ScaledDotProductAttentionBackward", [q, k, v], (gy) => {
    const gd = gy.dense();
    const dq = Tensor.empty(q.shape.slice(), "float32"),
      dk = Tensor.empty(k.shape.slice(), "float32");
    const dv = Tensor.empty(v.shape.slice(), "float32");
    const dl = (R: number, C: number) => denseLay(heads, R, C);
    const [lq, lk, lv] = [dl(L, E), dl(S, E), dl(S, Ev)];
    const gg: AttnGeom = {
      ...g,
      goOff: gd.offset,
      ...{ dqsB: lq.sB, dqsH: lq.sH, dqsL: lq.sL, dksB: lk.sB, dksH: lk.sH, dksL: lk.sL },
      ...{ dvsB: lv.sB, dvsH: lv.sH, dvsL: lv.sL },
    };
    K().attentionGrad(gg, Q.s, Kp.s, V.s, ms, out.storage, lse.storage, gd.storage, dq.storage, dk.storage, dv.storage);
    if (gd !== gy) gd.dispose();
    return [
      q.requiresGrad ? dq : (dq.dispose(), null),
      k.requiresGrad ? dk : (dk.dispose(), null),
      v.requiresGrad ? dv : (dv.dispose(), null),
    ];
  });
}

/** MultiheadAttention's self-attention fast path: one in-projection GEMM into qkv [N, 3E] rows
 *  (the rows of `src`, time-major [L, B] or batch-major [B, L]), the kernel reading q, k, v in
 *  place and writing out [.., .., E] in the same row order, the backward writing the gradient of
 *  qkv in one buffer. mask: float additive, [1 | B*H, L, L] or null. Returns out in src's row order. */
function packedSelfAttention(
  src: Tensor,
  timeMajor: boolean,
  B: number,
  L: number,
  H: number,
  inProjWeight: Tensor,
  inProjBias: Tensor | null,
  mask: Tensor | null,
  causal: boolean,
): Tensor {
  const E = src.shape[2],
    hd = E / H;
  const qkv = linear(src, inProjWeight, inProjBias);
  const qd = qkv.dense();
  // element (b, i, c) of a [.., .., C] buffer in src's row order
  const lay = (C: number) => (timeMajor ? { sB: C, sH: hd, sL: B * C } : { sB: L * C, sH: hd, sL: C });
  const l3 = lay(3 * E);
  const Q: Operand = { s: qd.storage, off: qd.offset, ...l3 },
    Kp: Operand = { s: qd.storage, off: qd.offset + E, ...l3 },
    V: Operand = { s: qd.storage, off: qd.offset + 2 * E, ...l3 };
  const owned: Tensor[] = qd === qkv ? [] : [qd];
  let mp = null as ReturnType<typeof maskPlace> | null;
  if (mask) {
    // [1 | B*H, 1 | L, L] read as [B, H, L, L]
    const one = mask.shape[0] === 1;
    const m4 = ops.reshape(mask, [one ? 1 : B, one ? 1 : H, mask.shape[1], mask.shape[2]]);
    mp = maskPlace(m4, [B, H], L, L, owned);
  }
  const g = geometry(B * H, H, { L, S: L, E: hd, Ev: hd }, 1 / Math.sqrt(hd), causal, Q, Kp, V, mp, lay(E));
  const out = Tensor.empty(src.shape.slice(0, 2).concat([E]), "float32");
  const lse = Tensor.empty([B * H, L], "float32");
  const ms = mp ? mp.m.storage : null;
  K().attention(g, Q.s, Kp.s, V.s, ms, out.storage, lse.storage);
  if (!(isGradEnabled() && qkv.requiresGrad)) {
    lse.dispose();
    for (const t of owned) t.dispose();
    return out;
  }
  return ops.record(out, "ScaledDotProductAttentionBackward", [qkv], (gy) => {
    const gd = gy.dense();
    const dqkv = Tensor.empty(qkv.shape.slice(), "float32");
    const gg: AttnGeom = {
      ...g,
      goOff: gd.offset,
      ...{ dqOff: 0, dqsB: l3.sB, dqsH: l3.sH, dqsL: l3.sL, dkOff: E, dksB: l3.sB, dksH: l3.sH, dksL: l3.sL },
      ...{ dvOff: 2 * E, dvsB: l3.sB, dvsH: l3.sH, dvsL: l3.sL },
    };
    const d = dqkv.storage;
    K().attentionGrad(gg, Q.s, Kp.s, V.s, ms, out.storage, lse.storage, gd.storage, d, d, d);
    if (gd !== gy) gd.dispose();
    return [dqkv];
  });
}

/** A [L, S] float mask with -inf above the diagonal (key j > query i). */
function causalMask(L: number, S: number): Tensor {
  const m = Tensor.empty([L, S], "float32");
  const d = m.backendView();
  for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) d[i * S + j] = j > i ? -Infinity : 0;
  return m;
}

/** softmax(scale * q k^T + mask) (dropout) v written with differentiable ops: the path for dropout,
 *  masks that require grad, and attention weights that are returned. Returns [out, weights]. */
function attentionOps(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: Tensor | null,
  causal: boolean,
  scale: number,
  dropoutP: number,
): [Tensor, Tensor] {
  let s = ops.mul(ops.matmul(q, ops.transpose(k, -2, -1)), scale);
  if (causal) s = ops.add(s, causalMask(q.shape[q.dim() - 2], k.shape[k.dim() - 2]));
  if (mask) s = ops.add(s, mask);
  let w = softmax(s, -1);
  if (dropoutP > 0) w = dropout(w, dropoutP, { training: true });
  return [ops.matmul(w, v), w];
}

/** The attention core: fused kernel unless dropout is on or the mask needs a gradient. */
function attend(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: Tensor | null,
  causal: boolean,
  scale: number,
  dropoutP: number,
): Tensor {
  if (dropoutP > 0 || (mask && mask.requiresGrad && isGradEnabled()))
    return attentionOps(q, k, v, mask, causal, scale, dropoutP)[0];
  return fusedAttention(q, k, v, mask, causal, scale);
}

/**
 * softmax(q kᵀ · scale + mask) v over q [..., L, E], k [..., S, E], v [..., S, Ev] (batch dims
 * broadcast), PyTorch 2's `scaled_dot_product_attention`: a bool `attnMask` marks the positions
 * that take part (true), a float one is added to the scores; `isCausal` lets query i see keys
 * j <= i; `scale` defaults to 1/√E; `dropoutP` drops attention weights (whenever it is > 0).
 * `F.scaledDotProductAttention(q, k, v, { isCausal: true })` has shape [..., L, Ev].
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  opts?: { attnMask?: Tensor | null; dropoutP?: number; isCausal?: boolean; scale?: number | null },
): Tensor;
export function scaledDotProductAttention(...args: unknown[]): Tensor {
  const o = parseArgs("F.scaledDotProductAttention", args, {
    query: A.tensor,
    key: A.tensor,
    value: A.tensor,
    attnMask: [A.optTensor, null],
    dropoutP: [A.num, 0],
    isCausal: [A.bool, false],
    scale: A.kw(A.nullable(A.num), null),
  });
  let { query: q, key: k, value: v } = o;
  for (const [n, t] of [
    ["query", q],
    ["key", k],
    ["value", v],
  ] as const) {
    if (!isFloat(t))
      throw new TypeError(`scaled_dot_product_attention: expected ${n} to be a float32 tensor, got ${t.dtype}`);
    if (t.dim() < 2)
      throw new RangeError(`scaled_dot_product_attention: expected ${n} to have at least 2 dimensions, got ${t.dim()}`);
  }
  const E = q.shape[q.dim() - 1],
    S = k.shape[k.dim() - 2];
  if (k.shape[k.dim() - 1] !== E)
    throw new RangeError(
      `scaled_dot_product_attention: query and key must have the same embedding size, got ${E} and ${k.shape[k.dim() - 1]}`,
    );
  if (v.shape[v.dim() - 2] !== S)
    throw new RangeError(
      `scaled_dot_product_attention: key and value must have the same sequence length, got ${S} and ${v.shape[v.dim() - 2]}`,
    );
  if (!(o.dropoutP >= 0 && o.dropoutP <= 1))
    throw new RangeError(`dropout probability has to be between 0 and 1, but got ${o.dropoutP}`);
  if (o.isCausal && o.attnMask)
    throw new RangeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  const batch = ops.broadcastShapes(
    ops.broadcastShapes(q.shape.slice(0, -2), k.shape.slice(0, -2)),
    v.shape.slice(0, -2),
  );
  const fit = (t: Tensor) =>
    t.dim() - 2 === batch.length && t.shape.slice(0, -2).every((d, i) => d === batch[i])
      ? t
      : ops.expand(t, [...batch, ...t.shape.slice(-2)]);
  q = fit(q);
  k = fit(k);
  v = fit(v);
  const mask = o.attnMask ? additiveMask(o.attnMask, false, "attn_mask") : null;
  if (mask) ops.broadcastShapes(mask.shape, [...batch, q.shape[q.dim() - 2], S]);
  const scale = o.scale ?? 1 / Math.sqrt(E);
  return attend(q, k, v, mask, o.isCausal, scale, o.dropoutP);
}

export interface MultiHeadAttentionOptions {
  training?: boolean;
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  isCausal?: boolean;
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
}

const sizeStr = (s: number[]) => `torch.Size([${s.join(", ")}])`;

/**
 * PyTorch's F.multi_head_attention_forward over time-major query [L, B, E] (or unbatched [L, E]),
 * key/value [S, B, kdim|vdim]; MultiheadAttention masks: bool true = may NOT attend, float = added.
 * Returns [output [L, B, E], weights ([B, L, S] averaged, [B, H, L, S] per head) | null].
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDimToCheck: number,
  numHeads: number,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  biasK: Tensor | null,
  biasV: Tensor | null,
  addZeroAttn: boolean,
  dropoutP: number,
  outProjWeight: Tensor,
  outProjBias: Tensor | null,
  opts: MultiHeadAttentionOptions = {},
): [Tensor, Tensor | null] {
  const training = opts.training ?? true,
    needWeights = opts.needWeights ?? true;
  const averageAttnWeights = opts.averageAttnWeights ?? true;
  let kpm = opts.keyPaddingMask ?? null,
    attnMask = opts.attnMask ?? null;
  const isCausal = opts.isCausal ?? false;
  const batched = query.dim() === 3;
  const selfAttention = query === key && key === value;
  checkShapes(query, key, value, kpm, attnMask, numHeads);
  if (!batched) {
    query = ops.unsqueeze(query, 1);
    key = ops.unsqueeze(key, 1);
    value = ops.unsqueeze(value, 1);
    if (kpm) kpm = ops.unsqueeze(kpm, 0);
  }
  const [L, B, E] = query.shape;
  if (kpm && !isBool(kpm) && !isFloat(kpm))
    throw new TypeError("only bool and floating types of key_padding_mask are supported");
  if (E !== embedDimToCheck)
    throw new RangeError(`was expecting embedding dimension of ${embedDimToCheck}, but got ${E}`);
  const hd = Math.floor(E / numHeads);
  if (hd * numHeads !== E) throw new RangeError(`embed_dim ${E} not divisible by num_heads ${numHeads}`);
  if (isCausal && !attnMask) {
    throw new RangeError(
      "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method `generate_square_subsequent_mask` to create this mask.",
    );
  }
  if (opts.useSeparateProjWeight) {
    if (key.shape[0] !== value.shape[0] || key.shape[1] !== value.shape[1]) {
      throw new RangeError(
        `key's sequence and batch dims ${sizeStr(key.shape.slice(0, 2))} do not match value's ${sizeStr(value.shape.slice(0, 2))}`,
      );
    }
  } else if (key.shape.some((d, i) => d !== value.shape[i]) || key.dim() !== value.dim()) {
    throw new RangeError(`key shape ${sizeStr(key.shape)} does not match value shape ${sizeStr(value.shape)}`);
  }

  // self-attention with the packed weight and nothing that needs the general path: one in-projection
  // GEMM, the kernel reading q, k, v from its output in place (packedSelfAttention)
  const p = training ? dropoutP : 0;
  const packed =
    selfAttention &&
    !opts.useSeparateProjWeight &&
    !!inProjWeight &&
    !biasK &&
    !biasV &&
    !addZeroAttn &&
    !needWeights &&
    p === 0 &&
    !(isGradEnabled() && (attnMask?.requiresGrad || kpm?.requiresGrad));

  // in-projection: the rows of the packed weight (or the separate weights) and bias chunks
  const bias = (i: number) => (inProjBias ? ops.narrow(inProjBias, 0, i * E, E) : null);
  let q = query,
    k = key,
    v = value;
  if (packed) {
    // done below, after the masks
  } else if (!opts.useSeparateProjWeight) {
    if (!inProjWeight) throw new TypeError("use_separate_proj_weight is False but in_proj_weight is None");
    q = linear(query, ops.narrow(inProjWeight, 0, 0, E), bias(0));
    k = linear(key, ops.narrow(inProjWeight, 0, E, E), bias(1));
    v = linear(value, ops.narrow(inProjWeight, 0, 2 * E, E), bias(2));
  } else {
    if (!opts.qProjWeight || !opts.kProjWeight || !opts.vProjWeight)
      throw new TypeError("use_separate_proj_weight is True but q_proj_weight, k_proj_weight or v_proj_weight is None");
    q = linear(query, opts.qProjWeight, bias(0));
    k = linear(key, opts.kProjWeight, bias(1));
    v = linear(value, opts.vProjWeight, bias(2));
  }

  // attention mask as a float [1 | B*H, L, S]
  let S = key.shape[0];
  let mask: Tensor | null = null;
  if (attnMask) {
    if (!isBool(attnMask) && !isFloat(attnMask))
      throw new TypeError(`Only float, byte, and bool types are supported for attn_mask, not ${attnMask.dtype}`);
    if (attnMask.dim() === 2) {
      if (attnMask.shape[0] !== L || attnMask.shape[1] !== S)
        throw new RangeError(
          `The shape of the 2D attn_mask is ${sizeStr(attnMask.shape)}, but should be (${L}, ${S}).`,
        );
      mask = ops.unsqueeze(additiveMask(attnMask, true, "attn_mask"), 0);
    } else if (attnMask.dim() === 3) {
      if (attnMask.shape[0] !== B * numHeads || attnMask.shape[1] !== L || attnMask.shape[2] !== S) {
        throw new RangeError(
          `The shape of the 3D attn_mask is ${sizeStr(attnMask.shape)}, but should be (${B * numHeads}, ${L}, ${S}).`,
        );
      }
      mask = additiveMask(attnMask, true, "attn_mask");
    } else throw new RangeError(`attn_mask's dimension ${attnMask.dim()} is not supported`);
  }
  // PyTorch 1.13 merges a float key padding mask into a bool attn_mask with logical_or (nonzero = blocked)
  const kpmAsBool = !!(kpm && attnMask && isBool(attnMask) && isFloat(kpm));
  let kpmF = kpm ? additiveMask(kpmAsBool ? nonzero(kpm) : kpm, true, "key_padding_mask") : null;
  const padKey = (t: Tensor | null) => (t ? ops.cat([t, ops.full([...t.shape.slice(0, -1), 1], 0)], -1) : null);

  if (biasK && biasV) {
    k = ops.cat([k, ops.expand(biasK, [1, B, E])], 0);
    v = ops.cat([v, ops.expand(biasV, [1, B, E])], 0);
    mask = padKey(mask);
    kpmF = padKey(kpmF);
  } else if (biasK || biasV) throw new TypeError("bias_k and bias_v must both be given or both be None");

  if (kpmF && packed) {
    if (kpmF.dim() !== 2 || kpmF.shape[0] !== B || kpmF.shape[1] !== S) {
      throw new RangeError(`expecting key_padding_mask shape of (${B}, ${S}), but got ${sizeStr(kpmF.shape)}`);
    }
  }
  if (packed) {
    const kh = kpmF
      ? ops.reshape(ops.expand(ops.view(kpmF, [B, 1, 1, S]), [B, numHeads, 1, S]), [B * numHeads, 1, S])
      : null;
    if (kh) mask = mask ? ops.add(mask, kh) : kh;
    const causal = isCausal && !kpm;
    // the rows of query in the order they are stored: time-major [L, B] or batch-major [B, L]
    let src = query,
      timeMajor = true;
    if (!query.isContiguous()) {
      const tq = ops.transpose(query, 0, 1);
      if (tq.isContiguous()) {
        src = tq;
        timeMajor = false;
      } else src = ops.contiguous(query);
    }
    const att = packedSelfAttention(
      src,
      timeMajor,
      B,
      L,
      numHeads,
      inProjWeight!,
      inProjBias,
      causal ? null : mask,
      causal,
    );
    let o = linear(att, outProjWeight, outProjBias);
    if (!timeMajor) o = ops.transpose(o, 0, 1);
    if (!batched) o = ops.squeeze(o, 1);
    return [o, null];
  }

  // [len, B, E] -> [B*H, len, hd] (views: the kernel reads them in place)
  const heads = (t: Tensor) => ops.transpose(ops.view(ops.contiguous(t), [t.shape[0], B * numHeads, hd]), 0, 1);
  q = heads(q);
  k = heads(k);
  v = heads(v);
  if (addZeroAttn) {
    k = ops.cat([k, ops.full([B * numHeads, 1, hd], 0)], 1);
    v = ops.cat([v, ops.full([B * numHeads, 1, hd], 0)], 1);
    mask = padKey(mask);
    kpmF = padKey(kpmF);
  }
  S = k.shape[1];
  if (kpmF) {
    if (kpmF.dim() !== 2 || kpmF.shape[0] !== B || kpmF.shape[1] !== S) {
      throw new RangeError(`expecting key_padding_mask shape of (${B}, ${S}), but got ${sizeStr(kpmF.shape)}`);
    }
    const kh = ops.reshape(ops.expand(ops.view(kpmF, [B, 1, 1, S]), [B, numHeads, 1, S]), [B * numHeads, 1, S]);
    mask = mask ? ops.add(mask, kh) : kh;
  }
  const scale = 1 / Math.sqrt(hd);
  let out: Tensor,
    weights: Tensor | null = null;
  if (needWeights) {
    [out, weights] = attentionOps(q, k, v, mask, false, scale, p);
  } else if (isCausal && !kpm) {
    // PyTorch 2: the causal hint replaces the (causal) attn_mask when nothing else is masked
    out = attend(q, k, v, null, true, scale, p);
  } else {
    out = attend(q, k, v, mask, false, scale, p);
  }
  let o = ops.reshape(ops.transpose(out, 0, 1), [L * B, E]);
  o = ops.view(linear(o, outProjWeight, outProjBias), [L, B, E]);
  if (weights) {
    weights = ops.view(weights, [B, numHeads, L, S]);
    if (averageAttnWeights) weights = ops.div(ops.sum(weights, 1), numHeads);
    if (!batched) weights = ops.squeeze(weights, 0);
  }
  if (!batched) o = ops.squeeze(o, 1);
  return [o, weights];
}

/** PyTorch's _mha_shape_check: whether the input is batched, with its error messages. */
function checkShapes(q: Tensor, k: Tensor, v: Tensor, kpm: Tensor | null, am: Tensor | null, numHeads: number): void {
  if (q.dim() === 3) {
    if (k.dim() !== 3 || v.dim() !== 3)
      throw new RangeError(
        `For batched (3-D) \`query\`, expected \`key\` and \`value\` to be 3-D but found ${k.dim()}-D and ${v.dim()}-D tensors respectively`,
      );
    if (kpm && kpm.dim() !== 2)
      throw new RangeError(
        `For batched (3-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 2-D but found ${kpm.dim()}-D tensor instead`,
      );
    if (am && am.dim() !== 2 && am.dim() !== 3)
      throw new RangeError(
        `For batched (3-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${am.dim()}-D tensor instead`,
      );
  } else if (q.dim() === 2) {
    if (k.dim() !== 2 || v.dim() !== 2)
      throw new RangeError(
        `For unbatched (2-D) \`query\`, expected \`key\` and \`value\` to be 2-D but found ${k.dim()}-D and ${v.dim()}-D tensors respectively`,
      );
    if (kpm && kpm.dim() !== 1)
      throw new RangeError(
        `For unbatched (2-D) \`query\`, expected \`key_padding_mask\` to be \`None\` or 1-D but found ${kpm.dim()}-D tensor instead`,
      );
    if (am) {
      if (am.dim() !== 2 && am.dim() !== 3)
        throw new RangeError(
          `For unbatched (2-D) \`query\`, expected \`attn_mask\` to be \`None\`, 2-D or 3-D but found ${am.dim()}-D tensor instead`,
        );
      if (am.dim() === 3) {
        const want = [numHeads, q.shape[0], k.shape[0]];
        if (am.shape.some((d, i) => d !== want[i]))
          throw new RangeError(`Expected \`attn_mask\` shape to be (${want.join(", ")}) but got ${sizeStr(am.shape)}`);
      }
    }
  } else {
    throw new RangeError(`query should be unbatched 2D or batched 3D tensor but received ${q.dim()}-D query tensor`);
  }
}
