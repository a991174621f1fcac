// nn.Embedding: a lookup table of numEmbeddings vectors of size embeddingDim, indexed by int64
// tensors of any shape; weight ~ N(0, 1) with the padding row zeroed (and never updated by grads).

import { empty } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { embedding } from "./functional/embedding.js";
import { normal_ } from "./init.js";
import { Module, Parameter, pyFloat } from "./module.js";
import { A, parseArgs } from "../utils/args.js";

export interface EmbeddingOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
}

/**
 * `const emb = new nn.Embedding(100, 16, { paddingIdx: 0 });`
 * `emb.forward(torch.tensor([[1, 2, 0]], { dtype: "int64" }))` has shape [1, 3, 16]. Mirrors `torch.nn.Embedding`.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts?: EmbeddingOptions);
  constructor(...args: unknown[]) {
    super();
    const { numEmbeddings, embeddingDim, sparse, ...opts } = parseArgs("nn.Embedding", args, {
      numEmbeddings: A.nonNegInt,
      embeddingDim: A.nonNegInt,
      paddingIdx: [A.int, null],
      maxNorm: [A.num, null],
      normType: [A.num, 2],
      scaleGradByFreq: [A.bool, false],
      sparse: [A.bool, false],
    });
    if (sparse) throw new TypeError("nn.Embedding: sparse gradients are not supported by torchlet (sparse: false)");
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings) throw new RangeError("Padding_idx must be within num_embeddings");
      if (pad < -numEmbeddings) throw new RangeError("Padding_idx must be within num_embeddings");
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2;
    this.scaleGradByFreq = opts.scaleGradByFreq ?? false;
    this.weight = new Parameter(empty(numEmbeddings, embeddingDim));
    this.resetParameters();
  }

  /** weight ~ N(0, 1), padding row set to zero. */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const v = this.weight.backendView(),
        d = this.embeddingDim;
      v.fill(0, this.paddingIdx * d, (this.paddingIdx + 1) * d);
    }
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
    });
  }

  extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ", scale_grad_by_freq=True";
    return s;
  }

  /** An Embedding holding a copy of `weights` [num, dim] (frozen unless freeze is false). */
  static fromPretrained(weights: Tensor, opts: { freeze?: boolean } & EmbeddingOptions = {}): Embedding {
    if (weights.dim() !== 2) throw new RangeError("Embeddings parameter is expected to be 2-dimensional");
    const { freeze: _f, ...eo } = parseArgs("nn.Embedding.fromPretrained", [opts], {
      freeze: [A.bool, true],
      paddingIdx: [A.int, null],
      maxNorm: [A.num, null],
      normType: [A.num, 2],
      scaleGradByFreq: [A.bool, false],
    });
    const e = new Embedding(weights.shape[0], weights.shape[1], eo);
    e.weight.copy_(weights);
    e.weight.requiresGrad = !(opts.freeze ?? true);
    return e;
  }
}
