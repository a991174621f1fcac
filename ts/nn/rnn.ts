// Recurrent layers: nn.LSTM and nn.GRU (multi-layer, bidirectional, batchFirst, unbatched input),
// with PyTorch's parameter names/order/init; each layer-direction is one fused autograd op.

import * as ops from "../ops.js";
import { empty } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { dropout as dropoutFn } from "./functional/basic.js";
import { gruLayer, lstmLayer } from "./functional/rnn.js";
import { uniform_ } from "./init.js";
import { Module, Parameter, pyFloat, pyRepr } from "./module.js";

export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode. */
  dropout?: number;
  bidirectional?: boolean;
}

/** Shared body of LSTM and GRU (PyTorch's RNNBase). */
export abstract class RNNBase extends Module {
  readonly mode: "LSTM" | "GRU";
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(mode: "LSTM" | "GRU", inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super();
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new RangeError("hidden_size must be greater than zero");
    if (!Number.isInteger(this.numLayers) || this.numLayers <= 0) throw new RangeError("num_layers must be greater than zero");
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new RangeError("dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
    }
    const gateSize = (mode === "LSTM" ? 4 : 3) * hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerIn = layer === 0 ? inputSize : hiddenSize * D;
      for (let dir = 0; dir < D; dir++) {
        const sfx = `_l${layer}${dir === 1 ? "_reverse" : ""}`;
        this.registerParameter(`weight_ih${sfx}`, new Parameter(empty(gateSize, layerIn)));
        this.registerParameter(`weight_hh${sfx}`, new Parameter(empty(gateSize, hiddenSize)));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, new Parameter(empty(gateSize)));
          this.registerParameter(`bias_hh${sfx}`, new Parameter(empty(gateSize)));
        }
      }
    }
    this.resetParameters();
  }

  /** Every weight and bias ~ U(-1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  /** No-op (PyTorch compacts cuDNN weights here); kept for API compatibility. */
  flattenParameters(): void {}

  /** The parameters of one layer-direction: [w_ih, w_hh, b_ih, b_hh] (biases null without bias). */
  protected layerParams(layer: number, dir: number): [Parameter, Parameter, Parameter | null, Parameter | null] {
    const sfx = `_l${layer}${dir === 1 ? "_reverse" : ""}`;
    const self = this as any;
    return [self[`weight_ih${sfx}`], self[`weight_hh${sfx}`], self[`bias_ih${sfx}`] ?? null, self[`bias_hh${sfx}`] ?? null];
  }

  /** Validates x, makes it [T, B, I] (time-major, batched); returns how to undo that. */
  protected prepareInput(x: Tensor): { xs: Tensor; batched: boolean } {
    if (x.dim() !== 2 && x.dim() !== 3) throw new RangeError(`${this.mode}: Expected input to be 2D or 3D, got ${x.dim()}D input instead`);
    if (x.shape[x.dim() - 1] !== this.inputSize) {
      throw new RangeError(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[x.dim() - 1]}`);
    }
    const batched = x.dim() === 3;
    let xs = batched ? x : ops.unsqueeze(x, 1);
    if (batched && this.batchFirst) xs = ops.transpose(xs, 0, 1);
    if (xs.shape[0] === 0) throw new RangeError("Expected sequence length to be larger than 0 in RNN");
    return { xs, batched };
  }

  /** Checks an initial state [L*D, B, H] (or [L*D, H] unbatched) and returns it batched. */
  protected prepareState(h: Tensor, batched: boolean, B: number, what: string): Tensor {
    const want = [this.numLayers * (this.bidirectional ? 2 : 1), B, this.hiddenSize];
    const hb = batched ? h : h.dim() === 2 ? ops.unsqueeze(h, 1) : h;
    if (hb.dim() !== 3 || hb.shape.some((d, k) => d !== want[k])) {
      throw new RangeError(`Expected ${what} size (${want.join(", ")}), got [${(batched ? h.shape : h.shape).join(", ")}]`);
    }
    return hb;
  }

  /** Runs all layers; h0/c0 are [L*D, B, H] or null (zeros). */
  protected run(xs: Tensor, h0: Tensor | null, c0: Tensor | null): { out: Tensor; hn: Tensor; cn: Tensor | null } {
    const B = xs.shape[1], H = this.hiddenSize, D = this.bidirectional ? 2 : 1;
    const zeros = h0 && (this.mode === "GRU" || c0) ? null : ops.full([B, H], 0);
    const hns: Tensor[] = [], cns: Tensor[] = [];
    let input = xs;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const k = layer * D + dir;
        const [wIh, wHh, bIh, bHh] = this.layerParams(layer, dir);
        const hk = h0 ? ops.select(h0, 0, k) : zeros!;
        if (this.mode === "LSTM") {
          const ck = c0 ? ops.select(c0, 0, k) : zeros!;
          const r = lstmLayer(input, hk, ck, wIh, wHh, bIh, bHh, dir === 1);
          outs.push(r.output); hns.push(r.hn); cns.push(r.cn);
        } else {
          const r = gruLayer(input, hk, wIh, wHh, bIh, bHh, dir === 1);
          outs.push(r.output); hns.push(r.hn);
        }
      }
      let out = D === 2 ? ops.cat(outs, 2) : outs[0];
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) out = dropoutFn(out, this.dropout, { training: true });
      input = out;
    }
    const hn = ops.stack(hns, 0);
    const cn = this.mode === "LSTM" ? ops.stack(cns, 0) : null;
    return { out: input, hn, cn };
  }

  protected finishOutput(out: Tensor, batched: boolean): Tensor {
    if (!batched) return ops.squeeze(out, 1);
    return this.batchFirst ? ops.transpose(out, 0, 1) : out;
  }

  extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.bias !== true) s += `, bias=${pyRepr(this.bias)}`;
    if (this.batchFirst !== false) s += `, batch_first=${pyRepr(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional !== false) s += `, bidirectional=${pyRepr(this.bidirectional)}`;
    return s;
  }
}

/**
 * Long short-term memory (gates i, f, g, o).
 * `const lstm = new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true });`
 * `const [out, [hn, cn]] = lstm.forward(torch.randn(3, 5, 10));` out [3, 5, 20], hn/cn [2, 3, 20].
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) { super("LSTM", inputSize, hiddenSize, opts); }

  forward(x: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { xs, batched } = this.prepareInput(x);
    let h0: Tensor | null = null, c0: Tensor | null = null;
    if (hx) {
      const [h, c] = hx;
      if (!batched && (h.dim() !== 2 || c.dim() !== 2)) {
        throw new RangeError(`For unbatched 2-D input, hx and cx should also be 2-D but got (${h.dim()}-D, ${c.dim()}-D) tensors`);
      }
      if (batched && (h.dim() !== 3 || c.dim() !== 3)) {
        throw new RangeError(`For batched 3-D input, hx and cx should also be 3-D but got (${h.dim()}-D, ${c.dim()}-D) tensors`);
      }
      h0 = this.prepareState(h, batched, xs.shape[1], "hidden[0]");
      c0 = this.prepareState(c, batched, xs.shape[1], "hidden[1]");
    }
    const { out, hn, cn } = this.run(xs, h0, c0);
    const o = this.finishOutput(out, batched);
    if (!batched) return [o, [ops.squeeze(hn, 1), ops.squeeze(cn!, 1)]];
    return [o, [hn, cn!]];
  }
}

/**
 * Gated recurrent unit (gates r, z, n).
 * `const gru = new nn.GRU(10, 20, { bidirectional: true });`
 * `const [out, hn] = gru.forward(torch.randn(5, 3, 10));` out [5, 3, 40], hn [2, 3, 20].
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) { super("GRU", inputSize, hiddenSize, opts); }

  forward(x: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { xs, batched } = this.prepareInput(x);
    let h0: Tensor | null = null;
    if (hx) {
      if (!batched && hx.dim() !== 2) throw new RangeError(`For unbatched 2-D input, hx should also be 2-D but got ${hx.dim()}-D tensor`);
      if (batched && hx.dim() !== 3) throw new RangeError(`For batched 3-D input, hx should also be 3-D but got ${hx.dim()}-D tensor`);
      h0 = this.prepareState(hx, batched, xs.shape[1], "hidden");
    }
    const { out, hn } = this.run(xs, h0, null);
    const o = this.finishOutput(out, batched);
    return [o, batched ? hn : ops.squeeze(hn, 1)];
  }
}
