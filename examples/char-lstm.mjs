#!/usr/bin/env node
// A character-level LSTM language model trained on the glossary text (examples/data/glossary.txt):
// Embedding -> LSTM -> Linear, truncated backpropagation through time (the text read as `batch`
// parallel streams, `bptt` characters per step, the LSTM state carried over detached), Adam with
// gradient clipping; prints the loss falling below the unigram baseline, then samples with multinomial.
//
//   node examples/char-lstm.mjs                    # options: --steps N --backend js|wasm|native --threads N
//                                                  #   --batch N --bptt N --hidden N --lr X --seed N --sample N --data FILE
import { readFileSync } from "node:fs";
import * as torch from "../dist/esm/index.js";
import { nn, optim, F } from "../dist/esm/index.js";
import { die, parseCli } from "./lib/cli.mjs";

const HELP = `usage: node examples/char-lstm.mjs [--steps N] [--backend js|wasm|native] [--threads N] [--batch N] [--bptt N]
                                   [--hidden N] [--lr X] [--seed N] [--sample N] [--temperature X] [--data FILE]`;

function parseArgs(argv) {
  const o = parseCli(argv, HELP, {
    steps: ["int", 600],
    backend: ["string", undefined],
    threads: ["int", 1],
    batch: ["int", 16],
    bptt: ["int", 32],
    hidden: ["int", 128],
    lr: ["float", 3e-3],
    seed: ["int", 0],
    sample: ["int", 300],
    temperature: ["float", 0.8],
    data: ["string", new URL("./data/glossary.txt", import.meta.url)],
  });
  if (!(o.steps > 0 && o.batch > 0 && o.bptt > 0 && o.hidden > 0))
    die(`--steps, --batch, --bptt and --hidden must be positive\n${HELP}`);
  return o;
}

class CharLSTM extends nn.Module {
  constructor(vocab, hidden, embed = 32) {
    super();
    this.embed = new nn.Embedding(vocab, embed);
    this.lstm = new nn.LSTM(embed, hidden, { batchFirst: true });
    this.head = new nn.Linear(hidden, vocab);
  }
  /** idx [B, T] -> logits [B, T, vocab] and the new (h, c). */
  forward(idx, state) {
    const [out, next] = this.lstm.forward(this.embed.forward(idx), state);
    return [this.head.forward(out), next];
  }
}

const o = parseArgs(process.argv.slice(2));
await torch.init({ backend: o.backend, threads: o.threads });
torch.manualSeed(o.seed);
const text = readFileSync(o.data, "utf8");
const chars = [...new Set(text)].sort();
const stoi = new Map(chars.map((c, i) => [c, i]));
const ids = Int32Array.from(text, (c) => stoi.get(c));
const nTrain = Math.floor(ids.length * 0.9);

const counts = new Float64Array(chars.length);
for (let k = 0; k < nTrain; k++) counts[ids[k]]++;
let unigram = 0;
for (let k = nTrain; k < ids.length; k++) unigram -= Math.log(Math.max(counts[ids[k]], 1) / nTrain);
unigram /= ids.length - nTrain;

// the training text as `batch` parallel streams; step s reads characters [s*bptt, (s+1)*bptt) of each
const streamLen = Math.floor((nTrain - 1) / o.batch);
const chunks = Math.floor(streamLen / o.bptt);
function chunk(c) {
  const x = new Int32Array(o.batch * o.bptt),
    y = new Int32Array(o.batch * o.bptt);
  for (let b = 0; b < o.batch; b++) {
    const s = b * streamLen + c * o.bptt;
    for (let t = 0; t < o.bptt; t++) {
      x[b * o.bptt + t] = ids[s + t];
      y[b * o.bptt + t] = ids[s + t + 1];
    }
  }
  const shape = [o.batch, o.bptt];
  return [torch.tensor(x, { shape, dtype: "int64" }), torch.tensor(y, { shape, dtype: "int64" })];
}

const model = new CharLSTM(chars.length, o.hidden);
const nParams = model.parameters().reduce((n, p) => n + p.numel(), 0);
console.log(
  `char-lstm: ${text.length} characters, vocabulary ${chars.length}, ${nParams} parameters, backend ${torch.backend()} (${torch.threads()} thread${torch.threads() > 1 ? "s" : ""})`,
);
console.log(
  `unigram baseline: ${unigram.toFixed(4)} nats per character; ${o.batch} streams x ${chunks} chunks of ${o.bptt}`,
);
const opt = new optim.Adam(model.parameters(), { lr: o.lr });

let state = null,
  smooth = null,
  crossed = 0;
const t0 = Date.now();
const every = Math.max(1, Math.floor(o.steps / 20));
for (let step = 1; step <= o.steps; step++) {
  const c = (step - 1) % chunks;
  if (c === 0) state = null; // back at the start of the streams: a fresh state
  const loss = torch.tidy(() => {
    const [x, y] = chunk(c);
    const [logits, next] = model.forward(x, state);
    const l = F.crossEntropy(logits.reshape(-1, chars.length), y.reshape(-1));
    opt.zeroGrad();
    l.backward();
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    opt.step();
    // truncated BPTT: the next chunk starts from this state, cut from the graph
    state = next.map((t) => torch.keep(t.detach()));
    return l.item();
  });
  smooth = smooth === null ? loss : 0.9 * smooth + 0.1 * loss;
  if (smooth < unigram && !crossed) {
    crossed = step;
    console.log(
      `step ${step}: the average training loss ${smooth.toFixed(4)} is below the unigram baseline ${unigram.toFixed(4)}`,
    );
  }
  if (step % every === 0 || step === o.steps) {
    const rate = (step * o.batch * o.bptt) / ((Date.now() - t0) / 1000);
    console.log(
      `step ${String(step).padStart(5)}  loss ${loss.toFixed(4)}  (avg ${smooth.toFixed(4)})  ${rate.toFixed(0)} chars/s`,
    );
  }
}

// validation: the held-out tail read once, in one stream, with the state carried through
const val = torch.noGrad(() => {
  let st = null,
    s = 0,
    n = 0;
  for (let p = nTrain; p + o.bptt + 1 <= ids.length; p += o.bptt) {
    torch.tidy(() => {
      const x = torch.tensor(ids.slice(p, p + o.bptt), { shape: [1, o.bptt], dtype: "int64" });
      const y = torch.tensor(ids.slice(p + 1, p + o.bptt + 1), { shape: [1, o.bptt], dtype: "int64" });
      const [logits, next] = model.forward(x, st);
      s += F.crossEntropy(logits.reshape(-1, chars.length), y.reshape(-1)).item() * o.bptt;
      n += o.bptt;
      st = next.map((t) => torch.keep(t));
    });
  }
  return s / n;
});
console.log(
  `validation loss ${val.toFixed(4)} vs unigram baseline ${unigram.toFixed(4)}: ${val < unigram ? "below the baseline" : "not below the baseline yet"}`,
);

// sampling: feed the prompt, then one character at a time from softmax(logits / temperature)
const prompt = text.slice(0, 8);
const out = [...prompt];
torch.noGrad(() => {
  let st = null,
    x = torch.tensor(
      Array.from(prompt, (ch) => stoi.get(ch)),
      { shape: [1, prompt.length], dtype: "int64" },
    );
  for (let k = 0; k < o.sample; k++) {
    torch.tidy(() => {
      const [logits, next] = model.forward(x, st);
      st = next.map((t) => torch.keep(t));
      const last = logits
        .select(1, x.shape[1] - 1)
        .reshape(-1)
        .div(o.temperature);
      const id = torch.multinomial(last.softmax(-1), 1).item();
      out.push(chars[id]);
      x = torch.keep(torch.tensor([id], { shape: [1, 1], dtype: "int64" }));
    });
  }
});
console.log(`sample (temperature ${o.temperature}):\n${out.join("")}`);
