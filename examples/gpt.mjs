#!/usr/bin/env node
// A character-level GPT trained on the glossary text (examples/data/glossary.txt): token + position
// embeddings, pre-norm Transformer blocks (nn.MultiheadAttention with a causal mask, LayerNorm,
// GELU MLP), weight tying, AdamW with param groups (no weight decay for biases and norms), a
// warm-up + cosine learning-rate schedule, gradient clipping; then samples text (temperature, top-k).
//
//   node examples/gpt.mjs                          # options: --steps N --backend js|wasm|native --threads N
//                                                  #   --batch N --block N --lr X --seed N --sample N --data FILE
import { readFileSync } from "node:fs";
import * as torch from "../dist/esm/index.js";
import { nn, optim, F } from "../dist/esm/index.js";
import { die, parseCli } from "./lib/cli.mjs";

const HELP = `usage: node examples/gpt.mjs [--steps N] [--backend js|wasm|native] [--threads N] [--batch N] [--block N]
                             [--lr X] [--seed N] [--sample N] [--temperature X] [--top-k N] [--data FILE]`;

function parseArgs(argv) {
  const o = parseCli(argv, HELP, {
    steps: ["int", 600],
    backend: ["string", undefined],
    threads: ["int", 1],
    batch: ["int", 16],
    block: ["int", 64],
    lr: ["float", 3e-3],
    seed: ["int", 0],
    sample: ["int", 300],
    temperature: ["float", 0.8],
    topK: ["int", 10],
    data: ["string", new URL("./data/glossary.txt", import.meta.url)],
  });
  if (!(o.steps > 0 && o.batch > 0 && o.block > 1)) die(`--steps, --batch must be positive and --block > 1\n${HELP}`);
  return o;
}

// ---------------------------------------------------------------- the model
/** Pre-norm Transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)). */
class Block extends nn.Module {
  constructor(dModel, nHead) {
    super();
    this.ln1 = new nn.LayerNorm(dModel);
    this.attn = new nn.MultiheadAttention(dModel, nHead, { batchFirst: true });
    this.ln2 = new nn.LayerNorm(dModel);
    this.mlp = new nn.Sequential(new nn.Linear(dModel, 4 * dModel), new nn.GELU(), new nn.Linear(4 * dModel, dModel));
  }
  forward(x, causalMask) {
    const h = this.ln1.forward(x);
    // the causal hint lets the fused attention kernel mask key j > query i itself
    const [a] = this.attn.forward(h, h, h, { attnMask: causalMask, isCausal: true, needWeights: false });
    x = x.add(a);
    return x.add(this.mlp.forward(this.ln2.forward(x)));
  }
}

class GPT extends nn.Module {
  constructor(vocab, block, dModel = 64, nHead = 4, nLayer = 2) {
    super();
    this.block = block;
    this.tokEmb = new nn.Embedding(vocab, dModel);
    this.posEmb = new nn.Embedding(block, dModel);
    this.blocks = new nn.ModuleList(Array.from({ length: nLayer }, () => new Block(dModel, nHead)));
    this.lnF = new nn.LayerNorm(dModel);
    this.head = new nn.Linear(dModel, vocab, { bias: false });
    this.head.weight = this.tokEmb.weight; // weight tying: the output projection is the token embedding
    this.masks = new Map();
    // GPT-2's initialisation: N(0, 0.02) for the embeddings and linear weights, zero biases
    torch.noGrad(() => {
      for (const [name, p] of this.namedParameters()) {
        if (name.endsWith("bias")) nn.init.zeros_(p);
        else if (p.dim() >= 2) nn.init.normal_(p, 0, 0.02);
      }
    });
  }
  forward(idx) {
    const [B, T] = idx.shape;
    // cached across steps, so kept out of the tidy() scope it is first made in
    if (!this.masks.has(T)) this.masks.set(T, torch.keep(nn.Transformer.generateSquareSubsequentMask(T)));
    const pos = torch.arange(0, T, 1, { dtype: "int64" });
    let x = this.tokEmb.forward(idx).add(this.posEmb.forward(pos));
    for (const b of this.blocks) x = b.forward(x, this.masks.get(T));
    return this.head.forward(this.lnF.forward(x)); // [B, T, vocab]
  }
}

// ---------------------------------------------------------------- main
const o = parseArgs(process.argv.slice(2));
await torch.init({ backend: o.backend, threads: o.threads });
torch.manualSeed(o.seed);
const text = readFileSync(o.data, "utf8");
const chars = [...new Set(text)].sort();
const stoi = new Map(chars.map((c, i) => [c, i]));
const ids = Int32Array.from(text, (c) => stoi.get(c));
const nTrain = Math.floor(ids.length * 0.9);

// the unigram baseline: the cross-entropy of predicting every character from its frequency alone
const counts = new Float64Array(chars.length);
for (let k = 0; k < nTrain; k++) counts[ids[k]]++;
let unigram = 0;
for (let k = nTrain; k < ids.length; k++) unigram -= Math.log(Math.max(counts[ids[k]], 1) / nTrain);
unigram /= ids.length - nTrain;

let seed = o.seed * 2654435761 + 12345;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
function batch(lo, hi) {
  const x = new Int32Array(o.batch * o.block),
    y = new Int32Array(o.batch * o.block);
  for (let b = 0; b < o.batch; b++) {
    const s = lo + Math.floor(rand() * (hi - lo - o.block - 1));
    for (let t = 0; t < o.block; t++) {
      x[b * o.block + t] = ids[s + t];
      y[b * o.block + t] = ids[s + t + 1];
    }
  }
  const shape = [o.batch, o.block];
  return [torch.tensor(x, { shape, dtype: "int64" }), torch.tensor(y, { shape, dtype: "int64" })];
}

const model = new GPT(chars.length, o.block);
const nParams = model.parameters().reduce((n, p) => n + p.numel(), 0);
console.log(
  `gpt: ${text.length} characters, vocabulary ${chars.length}, ${nParams} parameters, backend ${torch.backend()} (${torch.threads()} thread${torch.threads() > 1 ? "s" : ""})`,
);
console.log(`unigram baseline: ${unigram.toFixed(4)} nats per character`);

// AdamW with weight decay on the matrices only (not on biases and LayerNorm weights)
const decay = [],
  noDecay = [];
for (const [, p] of model.namedParameters()) (p.dim() >= 2 ? decay : noDecay).push(p);
const opt = new optim.AdamW(
  [
    { params: decay, weightDecay: 0.1 },
    { params: noDecay, weightDecay: 0 },
  ],
  { lr: o.lr, betas: [0.9, 0.95] },
);
// linear warm-up, then cosine decay to 10% of the peak
const warmup = Math.max(1, Math.floor(o.steps / 10));
const sched = new optim.lrScheduler.LambdaLR(opt, (s) =>
  s < warmup
    ? (s + 1) / warmup
    : 0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, (s - warmup) / Math.max(1, o.steps - warmup)))),
);

function evalLoss(lo, hi, n = 4) {
  return torch.noGrad(() => {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const [x, y] = batch(lo, hi);
      const logits = model.forward(x);
      s += F.crossEntropy(logits.reshape(-1, chars.length), y.reshape(-1)).item();
    }
    return s / n;
  });
}

const t0 = Date.now();
let smooth = null,
  crossed = 0;
const every = Math.max(1, Math.floor(o.steps / 20));
for (let step = 1; step <= o.steps; step++) {
  const loss = torch.tidy(() => {
    const [x, y] = batch(0, nTrain);
    const logits = model.forward(x);
    const l = F.crossEntropy(logits.reshape(-1, chars.length), y.reshape(-1));
    opt.zeroGrad();
    l.backward();
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    opt.step();
    return l.item();
  });
  sched.step();
  smooth = smooth === null ? loss : 0.9 * smooth + 0.1 * loss;
  if (smooth < unigram && !crossed) {
    crossed = step;
    console.log(
      `step ${step}: the average training loss ${smooth.toFixed(4)} is below the unigram baseline ${unigram.toFixed(4)}`,
    );
  }
  if (step % every === 0 || step === o.steps) {
    const rate = (step * o.batch * o.block) / ((Date.now() - t0) / 1000);
    console.log(
      `step ${String(step).padStart(5)}  loss ${loss.toFixed(4)}  (avg ${smooth.toFixed(4)})  lr ${sched.getLastLr()[0].toExponential(2)}  ${rate.toFixed(0)} chars/s`,
    );
  }
}
const val = evalLoss(nTrain, ids.length);
console.log(
  `validation loss ${val.toFixed(4)} vs unigram baseline ${unigram.toFixed(4)}: ${val < unigram ? "below the baseline" : "not below the baseline yet"}`,
);

// ---------------------------------------------------------------- sampling (temperature, top-k)
const out = [...text.slice(0, 8)];
torch.noGrad(() => {
  const ctx = Array.from(text.slice(0, 8), (c) => stoi.get(c));
  for (let k = 0; k < o.sample; k++) {
    torch.tidy(() => {
      const win = ctx.slice(-o.block);
      const logits = model.forward(torch.tensor(Int32Array.from(win), { shape: [1, win.length], dtype: "int64" }));
      const last = logits
        .select(1, win.length - 1)
        .reshape(-1)
        .div(o.temperature);
      const { values, indices } = torch.topk(last, Math.min(o.topK, chars.length));
      const pick = torch.multinomial(values.softmax(-1), 1).item();
      const next = indices.tolist()[pick];
      ctx.push(next);
      out.push(chars[next]);
    });
  }
});
console.log(`sample (temperature ${o.temperature}, top-${o.topK}):\n${out.join("")}`);
