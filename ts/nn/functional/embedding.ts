// F.embedding: row lookup of int64 indices (any shape) into a [numEmbeddings, dim] weight,
// one differentiable op whose backward scatters rows back with the backend's embeddingGrad.

import { backendImpl } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor } from "../../tensor.js";
import { A, parseArgs } from "../../utils/args.js";

export interface EmbeddingOptions {
  /** Rows at this index get no gradient (negative values count from the end). */
  paddingIdx?: number | null;
  /** Rows looked up whose normType-norm exceeds maxNorm are renormalised to maxNorm, in place (as PyTorch). */
  maxNorm?: number | null;
  normType?: number;
  /** Scale each row's gradient by 1 / (occurrences of its index in the input). */
  scaleGradByFreq?: boolean;
}

/** out[..., :] = weight[idx[...], :]; `F.embedding(torch.tensor([[0, 2]], { dtype: "int64" }), w)`. */
export function embedding(input: Tensor, weight: Tensor, opts?: EmbeddingOptions): Tensor;
export function embedding(...args: unknown[]): Tensor {
  const { input, weight, sparse, ...opts } = parseArgs("F.embedding", args, {
    input: A.tensor,
    weight: A.tensor,
    paddingIdx: [A.int, null],
    maxNorm: [A.num, null],
    normType: [A.num, 2],
    scaleGradByFreq: [A.bool, false],
    sparse: [A.bool, false],
  });
  if (sparse) throw new TypeError("F.embedding: sparse gradients are not supported by torchlet (sparse: false)");
  if (input.dtype !== "int64") {
    throw new TypeError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${input.dtype} instead (while checking arguments for embedding)`,
    );
  }
  if (weight.dim() !== 2) throw new RangeError(`'weight' must be 2-D, but got ${weight.dim()}-D`);
  const [num, dim] = weight.shape;
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (pad >= num || pad < -num) throw new RangeError("Padding_idx must be within num_embeddings");
    if (pad < 0) pad += num;
  }
  const n = input.numel();
  const id = input.dense();
  if (opts.maxNorm !== undefined && opts.maxNorm !== null) renorm(weight, id, opts.maxNorm, opts.normType ?? 2);
  const wd = weight.dense();
  const out = Tensor.empty([...input.shape, dim], "float32");
  backendImpl().embedding(wd.storage, id.storage, out.storage, n, dim, num);
  if (wd !== weight) wd.dispose();
  const padIdx = pad ?? -1;
  return ops.record(out, "EmbeddingBackward", [weight], (g) => {
    const gd = g.dense();
    const gw = Tensor.empty([num, dim], "float32");
    backendImpl().embeddingGrad(gd.storage, id.storage, gw.storage, n, dim, padIdx);
    if (gd !== g) gd.dispose();
    if (opts.scaleGradByFreq) {
      const counts = new Map<number, number>();
      for (const i of id.dataSync()) counts.set(i, (counts.get(i) ?? 0) + 1);
      const v = gw.backendView();
      for (const [i, c] of counts) if (c > 1) for (let j = i * dim; j < (i + 1) * dim; j++) v[j] /= c;
    }
    return [gw];
  });
}

/** PyTorch's embedding_renorm_: rows of weight indexed by idx with norm > maxNorm scaled to maxNorm (no grad). */
function renorm(weight: Tensor, idx: Tensor, maxNorm: number, normType: number): void {
  if (!weight.isDense()) throw new RangeError("embedding: maxNorm needs a contiguous weight");
  const [num, dim] = weight.shape;
  const v = weight.backendView();
  for (const i of new Set(Array.from(idx.dataSync()))) {
    if (i < 0 || i >= num) continue; // reported by the lookup itself
    let norm = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) {
      const a = Math.abs(v[j]);
      norm = normType === Infinity ? Math.max(norm, a) : norm + Math.pow(a, normType);
    }
    if (normType !== Infinity) norm = Math.pow(norm, 1 / normType);
    if (norm > maxNorm) {
      const scale = maxNorm / (norm + 1e-7);
      for (let j = i * dim; j < (i + 1) * dim; j++) v[j] *= scale;
    }
  }
}
