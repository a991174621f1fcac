// The Transformer family with PyTorch 1.13's module trees (state-dict keys, print text, init) and
// PyTorch 2's forward options: TransformerEncoderLayer/Encoder, TransformerDecoderLayer/Decoder,
// Transformer, Transformer.generateSquareSubsequentMask.

import * as ops from "../ops.js";
import { isGradEnabled, noGrad } from "../runtime.js";
import { Tensor } from "../tensor.js";
import { A, parseArgs } from "../utils/args.js";
import { MultiheadAttention } from "./attention.js";
import { relu } from "./functional/basic.js";
import { gelu } from "./functional/activation.js";
import { xavierUniform_ } from "./init.js";
import { Dropout, Linear, ModuleList } from "./layers.js";
import { Module, Parameter } from "./module.js";
import { LayerNorm } from "./norm.js";

export type Activation = "relu" | "gelu" | ((x: Tensor) => Tensor) | Module;

/** PyTorch's activation_relu_or_gelu: 1 for relu, 2 for gelu (string, F function or module), else 0. */
function reluOrGelu(a: Activation): number {
  if (a === "relu" || a === relu || (a instanceof Module && a.constructor.name === "ReLU")) return 1;
  if (a === "gelu" || a === gelu || (a instanceof Module && a.constructor.name === "GELU")) return 2;
  return 0;
}

/** PyTorch's _get_activation_fn for strings; functions and modules are used as they are. */
function activationFn(a: Activation): (x: Tensor) => Tensor {
  if (a === "relu") return relu;
  if (a === "gelu") return (x) => gelu(x);
  if (a instanceof Module) return (x) => a.forward(x) as Tensor;
  if (typeof a === "function") return a;
  throw new RangeError(`activation should be relu/gelu, not ${String(a)}`);
}
const checkActivation = Object.assign(
  (v: unknown) => v === "relu" || v === "gelu" || typeof v === "function" || v instanceof Module,
  { desc: `"relu", "gelu", a function or a Module` },
) as any;

/** A deep copy of a module (PyTorch's copy.deepcopy in _get_clones): fresh parameters and buffers. */
export function cloneModule<T extends Module>(m: T): T {
  const c = Object.create(Object.getPrototypeOf(m));
  for (const k of Object.keys(m)) {
    const v = (m as any)[k];
    let r: unknown = v;
    if (v instanceof Parameter)
      r = new Parameter(
        noGrad(() => ops.clone(v)),
        v.requiresGrad,
      );
    else if (v instanceof Tensor) r = noGrad(() => ops.clone(v));
    else if (v instanceof Module) r = cloneModule(v);
    else if (v instanceof Set) r = new Set(v);
    else if (v instanceof Map) r = new Map(v);
    else if (Array.isArray(v)) r = v.slice();
    c[k] = r;
  }
  return c;
}

const maskOpt = [A.optTensor, null] as const;

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
}
const layerSpec = {
  dModel: A.posInt,
  nhead: A.posInt,
  dimFeedforward: [A.posInt, 2048],
  dropout: [A.num, 0.1],
  activation: [checkActivation, "relu"],
  layerNormEps: [A.num, 1e-5],
  batchFirst: [A.bool, false],
  normFirst: [A.bool, false],
} as const;

/**
 * Self-attention + feed-forward block: `new nn.TransformerEncoderLayer(512, 8, { batchFirst: true })`;
 * `layer.forward(src, { srcMask, srcKeyPaddingMask, isCausal })`. Mirrors `torch.nn.TransformerEncoderLayer`.
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  activation: Module | undefined = undefined;
  private _act: (x: Tensor) => Tensor;
  /** 1 relu, 2 gelu, 0 other (decides PyTorch's inference fast path of TransformerEncoder). */
  readonly _activationReluOrGelu: number;

  constructor(dModel: number, nhead: number, opts?: TransformerLayerOptions);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.TransformerEncoderLayer", args, layerSpec);
    this._activationReluOrGelu = reluOrGelu(o.activation as Activation);
    this.self_attn = new MultiheadAttention(o.dModel, o.nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.linear1 = new Linear(o.dModel, o.dimFeedforward);
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, o.dModel);
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(o.dModel, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(o.dModel, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
    this._act = activationFn(o.activation as Activation);
    if (o.activation instanceof Module) this.activation = o.activation;
  }
  get selfAttn(): MultiheadAttention {
    return this.self_attn;
  }

  forward(
    src: Tensor,
    opts?: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean },
  ): Tensor;
  forward(...args: unknown[]): Tensor {
    const o = parseArgs("TransformerEncoderLayer.forward", args, {
      src: A.tensor,
      srcMask: maskOpt,
      srcKeyPaddingMask: maskOpt,
      isCausal: [A.bool, false],
    });
    let x = o.src;
    if (this.normFirst) {
      x = ops.add(x, this.saBlock(this.norm1.forward(x), o.srcMask, o.srcKeyPaddingMask, o.isCausal));
      x = ops.add(x, this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(ops.add(x, this.saBlock(x, o.srcMask, o.srcKeyPaddingMask, o.isCausal)));
      x = this.norm2.forward(ops.add(x, this.ffBlock(x)));
    }
    return x;
  }
  private saBlock(
    x: Tensor,
    mask: Tensor | null | undefined,
    kpm: Tensor | null | undefined,
    isCausal: boolean,
  ): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false, isCausal });
    return this.dropout1.forward(y);
  }
  private ffBlock(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this._act(this.linear1.forward(x)))));
  }
}

/**
 * Self-attention, cross-attention over `memory` and feed-forward:
 * `layer.forward(tgt, memory, { tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal })`. Mirrors `torch.nn.TransformerDecoderLayer`.
 */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  activation: Module | undefined = undefined;
  private _act: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, opts?: TransformerLayerOptions);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.TransformerDecoderLayer", args, layerSpec);
    this.self_attn = new MultiheadAttention(o.dModel, o.nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.multihead_attn = new MultiheadAttention(o.dModel, o.nhead, { dropout: o.dropout, batchFirst: o.batchFirst });
    this.linear1 = new Linear(o.dModel, o.dimFeedforward);
    this.dropout = new Dropout(o.dropout);
    this.linear2 = new Linear(o.dimFeedforward, o.dModel);
    this.normFirst = o.normFirst;
    this.norm1 = new LayerNorm(o.dModel, { eps: o.layerNormEps });
    this.norm2 = new LayerNorm(o.dModel, { eps: o.layerNormEps });
    this.norm3 = new LayerNorm(o.dModel, { eps: o.layerNormEps });
    this.dropout1 = new Dropout(o.dropout);
    this.dropout2 = new Dropout(o.dropout);
    this.dropout3 = new Dropout(o.dropout);
    this._act = activationFn(o.activation as Activation);
    if (o.activation instanceof Module) this.activation = o.activation;
  }
  get selfAttn(): MultiheadAttention {
    return this.self_attn;
  }
  get multiheadAttn(): MultiheadAttention {
    return this.multihead_attn;
  }

  forward(tgt: Tensor, memory: Tensor, opts?: DecoderForwardOptions): Tensor;
  forward(...args: unknown[]): Tensor {
    const o = parseArgs("TransformerDecoderLayer.forward", args, {
      tgt: A.tensor,
      memory: A.tensor,
      tgtMask: maskOpt,
      memoryMask: maskOpt,
      tgtKeyPaddingMask: maskOpt,
      memoryKeyPaddingMask: maskOpt,
      tgtIsCausal: [A.bool, false],
      memoryIsCausal: [A.bool, false],
    });
    let x = o.tgt;
    const mem = o.memory;
    if (this.normFirst) {
      x = ops.add(x, this.saBlock(this.norm1.forward(x), o.tgtMask, o.tgtKeyPaddingMask, o.tgtIsCausal));
      x = ops.add(x, this.mhaBlock(this.norm2.forward(x), mem, o.memoryMask, o.memoryKeyPaddingMask, o.memoryIsCausal));
      x = ops.add(x, this.ffBlock(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(ops.add(x, this.saBlock(x, o.tgtMask, o.tgtKeyPaddingMask, o.tgtIsCausal)));
      x = this.norm2.forward(ops.add(x, this.mhaBlock(x, mem, o.memoryMask, o.memoryKeyPaddingMask, o.memoryIsCausal)));
      x = this.norm3.forward(ops.add(x, this.ffBlock(x)));
    }
    return x;
  }
  private saBlock(
    x: Tensor,
    mask: Tensor | null | undefined,
    kpm: Tensor | null | undefined,
    isCausal: boolean,
  ): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false, isCausal });
    return this.dropout1.forward(y);
  }
  private mhaBlock(
    x: Tensor,
    mem: Tensor,
    mask: Tensor | null | undefined,
    kpm: Tensor | null | undefined,
    isCausal: boolean,
  ): Tensor {
    const [y] = this.multihead_attn.forward(x, mem, mem, {
      attnMask: mask,
      keyPaddingMask: kpm,
      needWeights: false,
      isCausal,
    });
    return this.dropout2.forward(y);
  }
  private ffBlock(x: Tensor): Tensor {
    return this.dropout3.forward(this.linear2.forward(this.dropout.forward(this._act(this.linear1.forward(x)))));
  }
}

export interface DecoderForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/** `numLayers` deep copies of `encoderLayer`, then the optional `norm`:
 *  `new nn.TransformerEncoder(layer, 6, { norm: new nn.LayerNorm(512) })`. Mirrors `torch.nn.TransformerEncoder`. */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  readonly numLayers: number;
  norm: Module | null;
  readonly enableNestedTensor: boolean;
  readonly maskCheck: boolean;

  constructor(
    encoderLayer: Module,
    numLayers: number,
    opts?: { norm?: Module | null; enableNestedTensor?: boolean; maskCheck?: boolean },
  );
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.TransformerEncoder", args, {
      encoderLayer: A.any,
      numLayers: A.nonNegInt,
      norm: [A.nullable(A.any), null],
      enableNestedTensor: [A.bool, true],
      maskCheck: [A.bool, true],
    });
    if (!(o.encoderLayer instanceof Module))
      throw new TypeError('nn.TransformerEncoder: argument "encoderLayer" must be a Module');
    this.layers = new ModuleList(Array.from({ length: o.numLayers }, () => cloneModule(o.encoderLayer as Module)));
    this.numLayers = o.numLayers;
    this.norm = (o.norm as Module | null) ?? null;
    this.enableNestedTensor = o.enableNestedTensor;
    this.maskCheck = o.maskCheck;
  }

  forward(
    src: Tensor,
    opts?: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean | null },
  ): Tensor;
  forward(...args: unknown[]): Tensor {
    const o = parseArgs("TransformerEncoder.forward", args, {
      src: A.tensor,
      mask: maskOpt,
      srcKeyPaddingMask: maskOpt,
      isCausal: [A.nullable(A.bool), null],
    });
    const kpm = o.srcKeyPaddingMask;
    if (kpm && (kpm.dtype as string) !== "bool" && kpm.dtype !== "float32")
      throw new TypeError("only bool and floating types of key_padding_mask are supported");
    let x = o.src;
    for (const layer of this.layers) {
      x = layer.forward(x, { srcMask: o.mask, srcKeyPaddingMask: kpm, isCausal: o.isCausal ?? false }) as Tensor;
    }
    // PyTorch 1.13's inference fast path runs the layers on a nested tensor of the unpadded tokens,
    // so the padded positions come out as zeros (before the final norm)
    if (kpm && this.nestedFastPath(o.src, kpm, o.mask)) {
      const keep = Tensor.empty(kpm.shape.slice(), "float32");
      const src = kpm.toFloat32Array(),
        dst = keep.backendView();
      for (let k = 0; k < src.length; k++) dst[k] = src[k] !== 0 ? 0 : 1;
      x = ops.mul(x, ops.unsqueeze(keep, -1));
    }
    return this.norm ? (this.norm.forward(x) as Tensor) : x;
  }

  /** The conditions of PyTorch 1.13's sparsity fast path (TransformerEncoder.forward). */
  private nestedFastPath(src: Tensor, kpm: Tensor, mask: Tensor | null | undefined): boolean {
    const first = this.layers.length ? this.layers.at(0) : null;
    if (!(first instanceof TransformerEncoderLayer) || first.normFirst || first.training) return false;
    const sa = first.self_attn;
    if (!sa.batchFirst || !sa._qkvSameEmbedDim || !first._activationReluOrGelu || first.norm1.eps !== first.norm2.eps)
      return false;
    if (src.dim() !== 3 || !this.enableNestedTensor || (kpm.dtype as string) !== "bool" || mask) return false;
    if (sa.numHeads % 2 === 1) return false;
    if (this.maskCheck) {
      // the unpadded tokens of every sequence must come first (left aligned)
      const v = kpm.toFloat32Array(),
        [B, S] = kpm.shape;
      for (let b = 0; b < B; b++)
        for (let t = 1; t < S; t++) if (v[b * S + t - 1] !== 0 && v[b * S + t] === 0) return false;
    }
    const args = [
      src,
      sa.in_proj_weight,
      sa.in_proj_bias,
      sa.out_proj.weight,
      sa.out_proj.bias,
      first.norm1.weight,
      first.norm1.bias,
      first.norm2.weight,
      first.norm2.bias,
      first.linear1.weight,
      first.linear1.bias,
      first.linear2.weight,
      first.linear2.bias,
    ];
    return !(isGradEnabled() && args.some((t) => t && t.requiresGrad));
  }
}

/** `numLayers` deep copies of `decoderLayer`, then the optional `norm`. Mirrors `torch.nn.TransformerDecoder`. */
export class TransformerDecoder extends Module {
  layers: ModuleList;
  readonly numLayers: number;
  norm: Module | null;

  constructor(decoderLayer: Module, numLayers: number, opts?: { norm?: Module | null });
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.TransformerDecoder", args, {
      decoderLayer: A.any,
      numLayers: A.nonNegInt,
      norm: [A.nullable(A.any), null],
    });
    if (!(o.decoderLayer instanceof Module))
      throw new TypeError('nn.TransformerDecoder: argument "decoderLayer" must be a Module');
    this.layers = new ModuleList(Array.from({ length: o.numLayers }, () => cloneModule(o.decoderLayer as Module)));
    this.numLayers = o.numLayers;
    this.norm = (o.norm as Module | null) ?? null;
  }

  forward(tgt: Tensor, memory: Tensor, opts?: DecoderForwardOptions): Tensor;
  forward(...args: unknown[]): Tensor {
    const o = parseArgs("TransformerDecoder.forward", args, {
      tgt: A.tensor,
      memory: A.tensor,
      tgtMask: maskOpt,
      memoryMask: maskOpt,
      tgtKeyPaddingMask: maskOpt,
      memoryKeyPaddingMask: maskOpt,
      tgtIsCausal: [A.nullable(A.bool), null],
      memoryIsCausal: [A.bool, false],
    });
    let x = o.tgt;
    for (const layer of this.layers) {
      x = layer.forward(x, o.memory, {
        tgtMask: o.tgtMask,
        memoryMask: o.memoryMask,
        tgtKeyPaddingMask: o.tgtKeyPaddingMask,
        memoryKeyPaddingMask: o.memoryKeyPaddingMask,
        tgtIsCausal: o.tgtIsCausal ?? false,
        memoryIsCausal: o.memoryIsCausal,
      }) as Tensor;
    }
    return this.norm ? (this.norm.forward(x) as Tensor) : x;
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  customEncoder?: Module | null;
  customDecoder?: Module | null;
}

/**
 * The encoder-decoder Transformer: `new nn.Transformer({ dModel: 64, nhead: 4, numEncoderLayers: 2 })`;
 * `model.forward(src, tgt, { tgtMask: nn.Transformer.generateSquareSubsequentMask(T) })`. Mirrors `torch.nn.Transformer`.
 */
export class Transformer extends Module {
  encoder: Module;
  decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(opts?: TransformerOptions);
  constructor(...args: unknown[]) {
    super();
    const o = parseArgs("nn.Transformer", args, {
      dModel: [A.posInt, 512],
      nhead: [A.posInt, 8],
      numEncoderLayers: [A.nonNegInt, 6],
      numDecoderLayers: [A.nonNegInt, 6],
      dimFeedforward: [A.posInt, 2048],
      dropout: [A.num, 0.1],
      activation: [checkActivation, "relu"],
      customEncoder: [A.nullable(A.any), null],
      customDecoder: [A.nullable(A.any), null],
      layerNormEps: [A.num, 1e-5],
      batchFirst: [A.bool, false],
      normFirst: [A.bool, false],
    });
    const layerOpts = {
      dimFeedforward: o.dimFeedforward,
      dropout: o.dropout,
      activation: o.activation as Activation,
      layerNormEps: o.layerNormEps,
      batchFirst: o.batchFirst,
      normFirst: o.normFirst,
    };
    this.encoder =
      (o.customEncoder as Module | null) ??
      new TransformerEncoder(new TransformerEncoderLayer(o.dModel, o.nhead, layerOpts), o.numEncoderLayers, {
        norm: new LayerNorm(o.dModel, { eps: o.layerNormEps }),
      });
    this.decoder =
      (o.customDecoder as Module | null) ??
      new TransformerDecoder(new TransformerDecoderLayer(o.dModel, o.nhead, layerOpts), o.numDecoderLayers, {
        norm: new LayerNorm(o.dModel, { eps: o.layerNormEps }),
      });
    for (const p of this.parameters()) if (p.dim() > 1) xavierUniform_(p);
    this.dModel = o.dModel;
    this.nhead = o.nhead;
    this.batchFirst = o.batchFirst;
  }

  forward(
    src: Tensor,
    tgt: Tensor,
    opts?: {
      srcMask?: Tensor | null;
      tgtMask?: Tensor | null;
      memoryMask?: Tensor | null;
      srcKeyPaddingMask?: Tensor | null;
      tgtKeyPaddingMask?: Tensor | null;
      memoryKeyPaddingMask?: Tensor | null;
      srcIsCausal?: boolean | null;
      tgtIsCausal?: boolean | null;
      memoryIsCausal?: boolean;
    },
  ): Tensor;
  forward(...args: unknown[]): Tensor {
    const o = parseArgs("Transformer.forward", args, {
      src: A.tensor,
      tgt: A.tensor,
      srcMask: maskOpt,
      tgtMask: maskOpt,
      memoryMask: maskOpt,
      srcKeyPaddingMask: maskOpt,
      tgtKeyPaddingMask: maskOpt,
      memoryKeyPaddingMask: maskOpt,
      srcIsCausal: [A.nullable(A.bool), null],
      tgtIsCausal: [A.nullable(A.bool), null],
      memoryIsCausal: [A.bool, false],
    });
    const { src, tgt } = o;
    const batched = src.dim() === 3;
    if (batched && src.shape[this.batchFirst ? 0 : 1] !== tgt.shape[this.batchFirst ? 0 : 1]) {
      throw new RangeError("the batch number of src and tgt must be equal");
    }
    if (src.shape[src.dim() - 1] !== this.dModel || tgt.shape[tgt.dim() - 1] !== this.dModel) {
      throw new RangeError("the feature number of src and tgt must be equal to d_model");
    }
    const memory = this.encoder.forward(src, {
      mask: o.srcMask,
      srcKeyPaddingMask: o.srcKeyPaddingMask,
      isCausal: o.srcIsCausal,
    });
    return this.decoder.forward(tgt, memory, {
      tgtMask: o.tgtMask,
      memoryMask: o.memoryMask,
      tgtKeyPaddingMask: o.tgtKeyPaddingMask,
      memoryKeyPaddingMask: o.memoryKeyPaddingMask,
      tgtIsCausal: o.tgtIsCausal,
      memoryIsCausal: o.memoryIsCausal,
    }) as Tensor;
  }

  /** A float [sz, sz] mask: -inf above the diagonal, 0 elsewhere (PyTorch's generate_square_subsequent_mask). */
  static generateSquareSubsequentMask(sz: number): Tensor {
    if (!Number.isInteger(sz) || sz < 0)
      throw new TypeError(`generateSquareSubsequentMask: sz must be a non-negative int, got ${sz}`);
    const m = Tensor.empty([sz, sz], "float32");
    const d = m.backendView();
    for (let i = 0; i < sz; i++) for (let j = 0; j < sz; j++) d[i * sz + j] = j > i ? -Infinity : 0;
    return m;
  }
}
