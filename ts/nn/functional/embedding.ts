// F.embedding: row lookup of int64 indices (any shape) into a [numEmbeddings, dim] weight,
// one differentiable op whose backward scatters rows back with the backend's embeddingGrad.

import { backendImpl } from "../../runtime.js";
import * as ops from "../../ops.js";
import { Tensor } from "../../tensor.js";

export interface EmbeddingOptions {
  /** Rows at this index get no gradient (negative values count from the end). */
  paddingIdx?: number | null;
}

/** out[..., :] = weight[idx[...], :]; `F.embedding(torch.tensor([[0, 2]], { dtype: "int64" }), w)`. */
export function embedding(input: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  if (input.dtype !== "int64") {
    throw new TypeError(`Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${input.dtype} instead (while checking arguments for embedding)`);
  }
  if (weight.dim() !== 2) throw new RangeError(`'weight' must be 2-D, but got ${weight.dim()}-D`);
  const [num, dim] = weight.shape;
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (pad >= num || pad < -num) throw new RangeError("Padding_idx must be within num_embeddings");
    if (pad < 0) pad += num;
  }
  const n = input.numel();
  const id = input.dense(), wd = weight.dense();
  const out = Tensor.empty([...input.shape, dim], "float32");
  backendImpl().embedding(wd.storage, id.storage, out.storage, n, dim, num);
  if (wd !== weight) wd.dispose();
  const padIdx = pad ?? -1;
  return ops.record(out, "EmbeddingBackward", [weight], (g) => {
    const gd = g.dense();
    const gw = Tensor.empty([num, dim], "float32");
    backendImpl().embeddingGrad(gd.storage, id.storage, gw.storage, n, dim, padIdx);
    if (gd !== g) gd.dispose();
    return [gw];
  });
}
