// Attention: F.scaledDotProductAttention (PyTorch 2's semantics) over one fused backend kernel
// (scores, scale, mask, softmax and the product with V in blocks, with a block-recomputing
// backward), and F.multiHeadAttentionForward (PyTorch 1.13's multi_head_attention_forward).

import * as ops from "../../ops.js";
import { backendImpl, isGradEnabled } from "../../runtime.js";
import { Tensor, numelOf } from "../../tensor.js";
import type { AttnGeom } from "../../backends/types.js";
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

/** (offset, batch stride, row stride) reading t [...batch, R, C] in place: rows contiguous and the
 *  batch dims one stride apart (size-1 dims ignored); null when t must be copied first. */
function rowsLayout(t: Tensor): { off: number; sB: number; sL: number } | null {
  const n = t.dim(),
    sh = t.shape,
    st = t.strides;
  if (sh[n - 1] > 1 && st[n - 1] !== 1) return null;
  const sB = collapsedStride(sh.slice(0, n - 2), st.slice(0, n - 2));
  if (sB === null) return null;
  return { off: t.offset, sB, sL: sh[n - 2] > 1 ? st[n - 2] : 0 };
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
  const owned: Tensor[] = [];
  const place = (t: Tensor) => {
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
  let mstore = null as Tensor | null,
    heads = 1,
    msB = 0,
    msH = 0,
    msL = 0,
    msS = 0,
    mOff = 0;
  if (mask) {
    let me = ops.expand(mask, [...batch, L, S]);
    let outer = collapsedStride(batch.slice(0, -1), me.strides.slice(0, Math.max(0, nb - 1)));
    if (outer === null) {
      me = me.dense();
      owned.push(me);
      outer = collapsedStride(batch.slice(0, -1), me.strides.slice(0, nb - 1));
    }
    heads = nb ? batch[nb - 1] : 1;
    msB = outer ?? 0;
    msH = nb ? me.strides[nb - 1] : 0;
    msL = me.strides[nb];
    msS = me.strides[nb + 1];
    mOff = me.offset;
    mstore = me;
  }
  const g: AttnGeom = {
    BH,
    heads,
    L,
    S,
    E,
    Ev,
    scale,
    causal,
    qOff: Q.off,
    qsB: Q.sB,
    qsL: Q.sL,
    kOff: Kp.off,
    ksB: Kp.sB,
    ksL: Kp.sL,
    vOff: V.off,
    vsB: V.sB,
    vsL: V.sL,
    mOff,
    msB,
    msH,
    msL,
    msS,
  };
  const out = Tensor.empty([...batch, L, Ev], "float32");
  const lse = Tensor.empty([BH, L], "float32");
  const ms = mstore ? mstore.storage : null;
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
    K().attentionGrad(g, Q.s, Kp.s, V.s, ms, out.storage, lse.storage, gd.storage, dq.storage, dk.storage, dv.storage);
    if (gd !== gy) gd.dispose();
    return [
      q.requiresGrad ? dq : (dq.dispose(), null),
      k.requiresGrad ? dk : (dk.dispose(), null),
      v.requiresGrad ? dv : (dv.dispose(), null),
    ];
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

  // in-projection: the rows of the packed weight (or the separate weights) and bias chunks
  const bias = (i: number) => (inProjBias ? ops.narrow(inProjBias, 0, i * E, E) : null);
  let q: Tensor, k: Tensor, v: Tensor;
  if (!opts.useSeparateProjWeight) {
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
  const p = training ? dropoutP : 0;
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
