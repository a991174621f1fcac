// nn.MultiheadAttention (PyTorch 1.13's parameters, init, masks and print text; PyTorch 2's
// isCausal hint), over F.multiHeadAttentionForward and its fused attention kernel.

import * as ops from "../ops.js";
import { empty } from "../creation.js";
import { noGrad } from "../runtime.js";
import type { Tensor } from "../tensor.js";
import { A, parseArgs } from "../utils/args.js";
import { multiHeadAttentionForward } from "./functional/attention.js";
import { constant_, fans, normal_, xavierUniform_ } from "./init.js";
import { Linear } from "./layers.js";
import { Module, Parameter } from "./module.js";

/** PyTorch's out_proj class (a Linear that quantization leaves alone); prints under its own name. Mirrors `torch.nn.modules.linear.NonDynamicallyQuantizableLinear`. */
export class NonDynamicallyQuantizableLinear extends Linear {}

export interface MultiheadAttentionOptions {
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  batchFirst?: boolean;
}
export interface MultiheadAttentionForwardOptions {
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  isCausal?: boolean;
}

/**
 * Multi-head attention: `const mha = new nn.MultiheadAttention(16, 4, { batchFirst: true });`
 * `const [out, w] = mha.forward(x, x, x, { attnMask });` with x [B, L, 16]: out [B, L, 16], w [B, L, L].
 * Masks: a bool mask's true means "may not attend"; a float mask is added to the scores. Mirrors `torch.nn.MultiheadAttention`.
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly _qkvSameEmbedDim: boolean;
  readonly numHeads: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  q_proj_weight: Parameter | null = null;
  k_proj_weight: Parameter | null = null;
  v_proj_weight: Parameter | null = null;
  in_proj_weight: Parameter | null = null;
  in_proj_bias: Parameter | null = null;
  out_proj: NonDynamicallyQuantizableLinear;
  bias_k: Parameter | null = null;
  bias_v: Parameter | null = null;
  readonly addZeroAttn: boolean;

  constructor(embedDim: number, numHeads: number, opts?: MultiheadAttentionOptions);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.MultiheadAttention", args, {
      embedDim: A.posInt,
      numHeads: A.posInt,
      dropout: [A.num, 0],
      bias: [A.bool, true],
      addBiasKv: [A.bool, false],
      addZeroAttn: [A.bool, false],
      kdim: [A.nullable(A.posInt), null],
      vdim: [A.nullable(A.posInt), null],
      batchFirst: [A.bool, false],
    });
    const E = o.embedDim;
    this.embedDim = E;
    this.kdim = o.kdim ?? E;
    this.vdim = o.vdim ?? E;
    this._qkvSameEmbedDim = this.kdim === E && this.vdim === E;
    this.numHeads = o.numHeads;
    if (!(o.dropout >= 0 && o.dropout <= 1))
      throw new RangeError(`dropout probability has to be between 0 and 1, but got ${o.dropout}`);
    this.dropout = o.dropout;
    this.batchFirst = o.batchFirst;
    this.headDim = Math.floor(E / o.numHeads);
    if (this.headDim * o.numHeads !== E) throw new RangeError("embed_dim must be divisible by num_heads");
    if (!this._qkvSameEmbedDim) {
      this.q_proj_weight = new Parameter(empty(E, E));
      this.k_proj_weight = new Parameter(empty(E, this.kdim));
      this.v_proj_weight = new Parameter(empty(E, this.vdim));
    } else {
      this.in_proj_weight = new Parameter(empty(3 * E, E));
    }
    if (o.bias) this.in_proj_bias = new Parameter(empty(3 * E));
    this.out_proj = new NonDynamicallyQuantizableLinear(E, E, { bias: o.bias });
    if (o.addBiasKv) {
      this.bias_k = new Parameter(empty(1, 1, E));
      this.bias_v = new Parameter(empty(1, 1, E));
    }
    this.addZeroAttn = o.addZeroAttn;
    this.resetParameters();
  }

  /** PyTorch's _reset_parameters: xavier-uniform projections, zero biases, xavier-normal bias_k/v. */
  resetParameters(): void {
    noGrad(() => this.resetParametersRaw());
  }
  private resetParametersRaw(): void {
    if (this._qkvSameEmbedDim) xavierUniform_(this.in_proj_weight!);
    else for (const w of [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) xavierUniform_(w!);
    if (this.in_proj_bias) {
      constant_(this.in_proj_bias, 0);
      constant_(this.out_proj.bias!, 0);
    }
    for (const b of [this.bias_k, this.bias_v]) {
      if (!b) continue;
      const [fi, fo] = fans(b);
      normal_(b, 0, Math.sqrt(2 / (fi + fo)));
    }
  }

  /** Returns [output, weights | null]: weights are averaged over heads unless averageAttnWeights is false. */
  forward(query: Tensor, key: Tensor, value: Tensor, opts?: MultiheadAttentionForwardOptions): [Tensor, Tensor | null];
  forward(...args: unknown[]): [Tensor, Tensor | null] {
    const o = parseArgs("MultiheadAttention.forward", args, {
      query: A.tensor,
      key: A.tensor,
      value: A.tensor,
      keyPaddingMask: [A.optTensor, null],
      needWeights: [A.bool, true],
      attnMask: [A.optTensor, null],
      averageAttnWeights: [A.bool, true],
      isCausal: [A.bool, false],
    });
    let { query, key, value } = o;
    const batched = query.dim() === 3;
    if (this.batchFirst && batched) {
      const t = (x: Tensor) => ops.transpose(x, 1, 0);
      if (key === value) {
        if (query === key) {
          query = key = value = t(query);
        } else {
          query = t(query);
          key = value = t(key);
        }
      } else {
        query = t(query);
        key = t(key);
        value = t(value);
      }
    }
    const [out, w] = multiHeadAttentionForward(
      query,
      key,
      value,
      this.embedDim,
      this.numHeads,
      this.in_proj_weight,
      this.in_proj_bias,
      this.bias_k,
      this.bias_v,
      this.addZeroAttn,
      this.dropout,
      this.out_proj.weight,
      this.out_proj.bias,
      {
        training: this.training,
        keyPaddingMask: o.keyPaddingMask,
        needWeights: o.needWeights,
        attnMask: o.attnMask,
        averageAttnWeights: o.averageAttnWeights,
        isCausal: o.isCausal,
        useSeparateProjWeight: !this._qkvSameEmbedDim,
        qProjWeight: this.q_proj_weight,
        kProjWeight: this.k_proj_weight,
        vProjWeight: this.v_proj_weight,
      },
    );
    return [this.batchFirst && batched ? ops.transpose(out, 1, 0) : out, w];
  }
}
