// Recurrent layers: nn.RNN, nn.LSTM and nn.GRU (multi-layer, bidirectional, batchFirst, unbatched
// input, dropout between layers) and the cells nn.RNNCell, nn.LSTMCell, nn.GRUCell, with PyTorch's
// parameter names/order/init and print text; each LSTM/GRU layer-direction is one fused autograd op.

import * as ops from "../ops.js";
import { empty } from "../creation.js";
import type { Tensor } from "../tensor.js";
import { dropout as dropoutFn } from "./functional/basic.js";
import { gruLayer, lstmLayer, rnnLayer } from "./functional/rnn.js";
import { A, parseArgs } from "../utils/args.js";
import { uniform_ } from "./init.js";
import { Module, Parameter, pyFloat, pyRepr } from "./module.js";

export type RNNMode = "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU";

export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode. */
  dropout?: number;
  bidirectional?: boolean;
}

/** Shared body of LSTM and GRU (PyTorch's RNNBase). Mirrors `torch.nn.RNNBase`. */
export abstract class RNNBase extends Module {
  readonly mode: RNNMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(mode: RNNMode, inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
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
    if (!Number.isInteger(this.numLayers) || this.numLayers <= 0)
      throw new RangeError("num_layers must be greater than zero");
    if (!(this.dropout >= 0 && this.dropout <= 1)) {
      throw new RangeError(
        "dropout should be a number in range [0, 1] representing the probability of an element being zeroed",
      );
    }
    if (this.dropout > 0 && this.numLayers === 1) {
      console.warn(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${this.dropout} and num_layers=${this.numLayers}`,
      );
    }
    const gateSize = (mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1) * hiddenSize;
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
    return [
      self[`weight_ih${sfx}`],
      self[`weight_hh${sfx}`],
      self[`bias_ih${sfx}`] ?? null,
      self[`bias_hh${sfx}`] ?? null,
    ];
  }

  /** Validates x, makes it [T, B, I] (time-major, batched); returns how to undo that. */
  protected prepareInput(x: Tensor): { xs: Tensor; batched: boolean } {
    if (x.dim() !== 2 && x.dim() !== 3)
      throw new RangeError(`${this.mode}: Expected input to be 2D or 3D, got ${x.dim()}D input instead`);
    if (x.shape[x.dim() - 1] !== this.inputSize) {
      throw new RangeError(
        `input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[x.dim() - 1]}`,
      );
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
      throw new RangeError(
        `Expected ${what} size (${want.join(", ")}), got [${(batched ? h.shape : h.shape).join(", ")}]`,
      );
    }
    return hb;
  }

  /** Runs all layers; h0/c0 are [L*D, B, H] or null (zeros). */
  protected run(xs: Tensor, h0: Tensor | null, c0: Tensor | null): { out: Tensor; hn: Tensor; cn: Tensor | null } {
    const B = xs.shape[1],
      H = this.hiddenSize,
      D = this.bidirectional ? 2 : 1;
    const zeros = h0 && (this.mode !== "LSTM" || c0) ? null : ops.full([B, H], 0);
    const hns: Tensor[] = [],
      cns: Tensor[] = [];
    let input = xs;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const k = layer * D + dir;
        const [wIh, wHh, bIh, bHh] = this.layerParams(layer, dir);
        const hk = h0 ? ops.select(h0, 0, k) : zeros!;
        if (this.mode === "RNN_TANH" || this.mode === "RNN_RELU") {
          const r = rnnLayer(input, hk, wIh, wHh, bIh, bHh, this.mode === "RNN_RELU" ? "relu" : "tanh", dir === 1);
          outs.push(r.output);
          hns.push(r.hn);
        } else if (this.mode === "LSTM") {
          const ck = c0 ? ops.select(c0, 0, k) : zeros!;
          const r = lstmLayer(input, hk, ck, wIh, wHh, bIh, bHh, dir === 1);
          outs.push(r.output);
          hns.push(r.hn);
          cns.push(r.cn);
        } else {
          const r = gruLayer(input, hk, wIh, wHh, bIh, bHh, dir === 1);
          outs.push(r.output);
          hns.push(r.hn);
        }
      }
      let out = D === 2 ? ops.cat(outs, 2) : outs[0];
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1)
        out = dropoutFn(out, this.dropout, { training: true });
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

/** Reads (inputSize, hiddenSize, numLayers, [nonlinearity,] bias, batchFirst, dropout, bidirectional)
 *  in PyTorch's positional order or from the options object. */
function rnnArgs(
  fn: string,
  args: unknown[],
  withNonlinearity: true,
): [number, number, RNNOptions & { nonlinearity: "tanh" | "relu" }];
function rnnArgs(fn: string, args: unknown[], withNonlinearity: false): [number, number, RNNOptions];
function rnnArgs(fn: string, args: unknown[], withNonlinearity: boolean): [number, number, any] {
  const o = parseArgs(fn, args, {
    inputSize: A.nonNegInt,
    hiddenSize: A.int,
    numLayers: [A.int, 1],
    ...(withNonlinearity ? { nonlinearity: [A.str, "tanh"] as const } : {}),
    bias: [A.bool, true],
    batchFirst: [A.bool, false],
    dropout: [A.num, 0],
    bidirectional: [A.bool, false],
  }) as any;
  return [o.inputSize, o.hiddenSize, o];
}

/**
 * Elman RNN, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).
 * `const rnn = new nn.RNN(10, 20, { numLayers: 2, nonlinearity: "relu" });`
 * `const [out, hn] = rnn.forward(torch.randn(5, 3, 10));` out [5, 3, 20], hn [2, 3, 20]. Mirrors `torch.nn.RNN`.
 */
export class RNN extends RNNBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, opts?: RNNOptions & { nonlinearity?: "tanh" | "relu" });
  constructor(...args: unknown[]) {
    const [i, h, o] = rnnArgs("nn.RNN", args, true);
    if (o.nonlinearity !== "tanh" && o.nonlinearity !== "relu")
      throw new RangeError(`Unknown nonlinearity '${o.nonlinearity}'`);
    super(o.nonlinearity === "relu" ? "RNN_RELU" : "RNN_TANH", i, h, o);
    this.nonlinearity = o.nonlinearity;
  }

  forward(x: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { xs, batched } = this.prepareInput(x);
    let h0: Tensor | null = null;
    if (hx) {
      if (!batched && hx.dim() !== 2)
        throw new RangeError(`For unbatched 2-D input, hx should also be 2-D but got ${hx.dim()}-D tensor`);
      if (batched && hx.dim() !== 3)
        throw new RangeError(`For batched 3-D input, hx should also be 3-D but got ${hx.dim()}-D tensor`);
      h0 = this.prepareState(hx, batched, xs.shape[1], "hidden");
    }
    const { out, hn } = this.run(xs, h0, null);
    const o = this.finishOutput(out, batched);
    return [o, batched ? hn : ops.squeeze(hn, 1)];
  }
}

/**
 * Long short-term memory (gates i, f, g, o).
 * `const lstm = new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true });`
 * `const [out, [hn, cn]] = lstm.forward(torch.randn(3, 5, 10));` out [3, 5, 20], hn/cn [2, 3, 20]. Mirrors `torch.nn.LSTM`.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts?: RNNOptions);
  constructor(...args: unknown[]) {
    super("LSTM", ...rnnArgs("nn.LSTM", args, false));
  }

  forward(x: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { xs, batched } = this.prepareInput(x);
    let h0: Tensor | null = null,
      c0: Tensor | null = null;
    if (hx) {
      const [h, c] = hx;
      if (!batched && (h.dim() !== 2 || c.dim() !== 2)) {
        throw new RangeError(
          `For unbatched 2-D input, hx and cx should also be 2-D but got (${h.dim()}-D, ${c.dim()}-D) tensors`,
        );
      }
      if (batched && (h.dim() !== 3 || c.dim() !== 3)) {
        throw new RangeError(
          `For batched 3-D input, hx and cx should also be 3-D but got (${h.dim()}-D, ${c.dim()}-D) tensors`,
        );
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
 * `const [out, hn] = gru.forward(torch.randn(5, 3, 10));` out [5, 3, 40], hn [2, 3, 20]. Mirrors `torch.nn.GRU`.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts?: RNNOptions);
  constructor(...args: unknown[]) {
    super("GRU", ...rnnArgs("nn.GRU", args, false));
  }

  forward(x: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { xs, batched } = this.prepareInput(x);
    let h0: Tensor | null = null;
    if (hx) {
      if (!batched && hx.dim() !== 2)
        throw new RangeError(`For unbatched 2-D input, hx should also be 2-D but got ${hx.dim()}-D tensor`);
      if (batched && hx.dim() !== 3)
        throw new RangeError(`For batched 3-D input, hx should also be 3-D but got ${hx.dim()}-D tensor`);
      h0 = this.prepareState(hx, batched, xs.shape[1], "hidden");
    }
    const { out, hn } = this.run(xs, h0, null);
    const o = this.finishOutput(out, batched);
    return [o, batched ? hn : ops.squeeze(hn, 1)];
  }
}

// ------------------------------------------------------------------ cells

/** Shared body of RNNCell, LSTMCell and GRUCell (PyTorch's RNNCellBase). Mirrors `torch.nn.RNNCellBase`. */
export abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null = null;
  bias_hh: Parameter | null = null;

  constructor(inputSize: number, hiddenSize: number, bias: boolean, numChunks: number) {
    super();
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = bias;
    this.weight_ih = new Parameter(empty(numChunks * hiddenSize, inputSize));
    this.weight_hh = new Parameter(empty(numChunks * hiddenSize, hiddenSize));
    if (bias) {
      this.bias_ih = new Parameter(empty(numChunks * hiddenSize));
      this.bias_hh = new Parameter(empty(numChunks * hiddenSize));
    }
    this.resetParameters();
  }
  /** Every weight and bias ~ U(-1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }
  extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.bias !== true) s += `, bias=${pyRepr(this.bias)}`;
    const nl = (this as any).nonlinearity;
    if (nl !== undefined && nl !== "tanh") s += `, nonlinearity=${nl}`;
    return s;
  }
  /** x as [B, inputSize] (unbatched [inputSize] gets a batch of 1); checks its size. */
  protected batchInput(x: Tensor, name: string): { xb: Tensor; batched: boolean } {
    if (x.dim() !== 1 && x.dim() !== 2)
      throw new RangeError(`${name}: Expected input to be 1-D or 2-D but received ${x.dim()}-D tensor`);
    if (x.shape[x.dim() - 1] !== this.inputSize) {
      throw new RangeError(`input has inconsistent input_size: got ${x.shape[x.dim() - 1]} expected ${this.inputSize}`);
    }
    const batched = x.dim() === 2;
    return { xb: batched ? x : ops.unsqueeze(x, 0), batched };
  }
  /** h as [B, H] (zeros when missing). */
  protected batchState(h: Tensor | null | undefined, B: number, batched: boolean, what: string): Tensor {
    if (!h) return ops.full([B, this.hiddenSize], 0);
    const hb = batched ? h : ops.unsqueeze(h, 0);
    if (hb.dim() !== 2 || hb.shape[0] !== B || hb.shape[1] !== this.hiddenSize) {
      throw new RangeError(`${what}: Expected hidden size (${B}, ${this.hiddenSize}), got [${h.shape.join(", ")}]`);
    }
    return hb;
  }
}

function cellArgs(fn: string, args: unknown[], withNonlinearity: boolean) {
  return parseArgs(fn, args, {
    inputSize: A.nonNegInt,
    hiddenSize: A.nonNegInt,
    bias: [A.bool, true],
    ...(withNonlinearity ? { nonlinearity: [A.oneOf("tanh", "relu"), "tanh"] as const } : {}),
  }) as { inputSize: number; hiddenSize: number; bias: boolean; nonlinearity?: "tanh" | "relu" };
}

/** h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu): `new nn.RNNCell(10, 20).forward(x, h)`. Mirrors `torch.nn.RNNCell`. */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, opts?: { bias?: boolean; nonlinearity?: "tanh" | "relu" });
  constructor(...args: unknown[]) {
    const o = cellArgs("nn.RNNCell", args, true);
    super(o.inputSize, o.hiddenSize, o.bias, 1);
    this.nonlinearity = o.nonlinearity ?? "tanh";
  }
  forward(x: Tensor, hx?: Tensor | null): Tensor {
    const { xb, batched } = this.batchInput(x, "RNNCell");
    const h = this.batchState(hx, xb.shape[0], batched, "RNNCell");
    const pre = ops.add(ops.linear(xb, this.weight_ih, this.bias_ih), ops.linear(h, this.weight_hh, this.bias_hh));
    const r = ops.unary(this.nonlinearity, pre);
    return batched ? r : ops.squeeze(r, 0);
  }
}

/** One LSTM step (gates i, f, g, o): `const [h, c] = new nn.LSTMCell(10, 20).forward(x, [h0, c0])`. Mirrors `torch.nn.LSTMCell`. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts?: { bias?: boolean });
  constructor(...args: unknown[]) {
    const o = cellArgs("nn.LSTMCell", args, false);
    super(o.inputSize, o.hiddenSize, o.bias, 4);
  }
  forward(x: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    const { xb, batched } = this.batchInput(x, "LSTMCell");
    const B = xb.shape[0];
    const h = this.batchState(hx?.[0], B, batched, "LSTMCell"),
      c = this.batchState(hx?.[1], B, batched, "LSTMCell");
    // one step of the fused LSTM layer
    const r = lstmLayer(ops.unsqueeze(xb, 0), h, c, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
    return batched ? [r.hn, r.cn] : [ops.squeeze(r.hn, 0), ops.squeeze(r.cn, 0)];
  }
}

/** One GRU step (gates r, z, n): `const h = new nn.GRUCell(10, 20).forward(x, h0)`. Mirrors `torch.nn.GRUCell`. */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts?: { bias?: boolean });
  constructor(...args: unknown[]) {
    const o = cellArgs("nn.GRUCell", args, false);
    super(o.inputSize, o.hiddenSize, o.bias, 3);
  }
  forward(x: Tensor, hx?: Tensor | null): Tensor {
    const { xb, batched } = this.batchInput(x, "GRUCell");
    const h = this.batchState(hx, xb.shape[0], batched, "GRUCell");
    const r = gruLayer(ops.unsqueeze(xb, 0), h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
    return batched ? r.hn : ops.squeeze(r.hn, 0);
  }
}
