// torchlet engines (js / wasm / native), through the public API of the built package only.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// TORCHLET_ENTRY=/path/to/index.js benches another build of the package (default: the built dist)
const DIST = process.env.TORCHLET_ENTRY ? resolve(process.env.TORCHLET_ENTRY) : resolve(ROOT, "dist/esm/index.js");

export async function createEngine(engine) {
  if (!existsSync(DIST)) {
    throw new Error("dist/esm not built (npm run build)");
  }
  const torch = await import(pathToFileURL(DIST).href);
  const { nn, optim, F } = torch;
  const opts = engine.backend === "js" ? { backend: "js" } : { backend: engine.backend, threads: engine.threads };
  await torch.init(opts);
  const got = typeof torch.backend === "function" ? torch.backend() : undefined;
  if (got !== undefined && got !== engine.backend) {
    throw new Error(`init(${JSON.stringify(opts)}) gave backend "${got}"`);
  }
  torch.manualSeed?.(0);
  let version = "?";
  try {
    version = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")).version;
  } catch {}

  const noGrad = (fn) => (typeof torch.noGrad === "function" ? torch.noGrad(fn) : fn());
  const dispose = (...ts) => {
    for (const t of ts) if (t && typeof t.dispose === "function") t.dispose();
  };
  // scaled randn so long chains (LSTM, CNN) stay in a sane numeric range
  const randn = (shape, scale = 1) => {
    const t = torch.randn(...shape);
    if (scale === 1) return t;
    const s = t.mul(torch.tensor(scale));
    dispose(t);
    return s;
  };
  const timed = (out) => {
    out.toFloat32Array();
    dispose(out);
  };

  function simpleCnn() {
    return new nn.Sequential(
      new nn.Conv2d(1, 16, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(32 * 7 * 7, 128),
      new nn.ReLU(),
      new nn.Linear(128, 10),
    );
  }

  const vision = torch.vision?.models;
  const forwardOf = (model, x) => ({
    run: () => timed(noGrad(() => model.forward(x))),
    cleanup: () => dispose(x, ...model.parameters()),
  });
  // a training step as users write it: zeroGrad, forward, loss, backward, (clip), step — without tidy
  // (the forward scopes and the GC free the intermediates), or, for the "… (tidy)" rows, the same
  // step inside torch.tidy as examples/gpt.mjs writes it
  const trainStep = (model, params, opt, lossOf, clip, tidy = false) => {
    const step = () => {
      opt.zeroGrad();
      const loss = lossOf();
      loss.backward();
      if (clip) nn.utils.clipGradNorm_(params, 1.0);
      opt.step();
      loss.item();
      return loss;
    };
    return {
      run: () => {
        if (tidy) torch.tidy(() => void step());
        else dispose(step());
        params[params.length - 1].toFloat32Array(); // the update has landed
      },
      cleanup: () => dispose(...params),
    };
  };
  const tokens = (B, T, V) => torch.randint(0, V, [B, T], { dtype: "int64" });

  // examples/gpt.mjs's model (the example does not export it): pre-norm blocks, causal MultiheadAttention,
  // GELU MLP, weight-tied head, GPT-2 init
  class Block extends nn.Module {
    constructor(d, h) {
      super();
      this.ln1 = new nn.LayerNorm(d);
      this.attn = new nn.MultiheadAttention(d, h, { batchFirst: true });
      this.ln2 = new nn.LayerNorm(d);
      this.mlp = new nn.Sequential(new nn.Linear(d, 4 * d), new nn.GELU(), new nn.Linear(4 * d, d));
    }
    forward(x, mask) {
      const h = this.ln1.forward(x);
      const [a] = this.attn.forward(h, h, h, { attnMask: mask, isCausal: true, needWeights: false });
      x = x.add(a);
      return x.add(this.mlp.forward(this.ln2.forward(x)));
    }
  }
  class GPT extends nn.Module {
    constructor(vocab, block, d = 64, h = 4, L = 2) {
      super();
      this.tokEmb = new nn.Embedding(vocab, d);
      this.posEmb = new nn.Embedding(block, d);
      this.blocks = new nn.ModuleList(Array.from({ length: L }, () => new Block(d, h)));
      this.lnF = new nn.LayerNorm(d);
      this.head = new nn.Linear(d, vocab, { bias: false });
      this.head.weight = this.tokEmb.weight;
      this.mask = nn.Transformer.generateSquareSubsequentMask(block);
      this.pos = torch.arange(0, block, 1, { dtype: "int64" });
      torch.noGrad(() => {
        for (const [name, p] of this.namedParameters()) {
          if (name.endsWith("bias")) nn.init.zeros_(p);
          else if (p.dim() >= 2) nn.init.normal_(p, 0, 0.02);
        }
      });
    }
    forward(idx) {
      let x = this.tokEmb.forward(idx).add(this.posEmb.forward(this.pos));
      for (const b of this.blocks) x = b.forward(x, this.mask);
      return this.head.forward(this.lnF.forward(x));
    }
  }
  class CharLSTM extends nn.Module {
    constructor(vocab, hidden, embed = 32) {
      super();
      this.embed = new nn.Embedding(vocab, embed);
      this.lstm = new nn.LSTM(embed, hidden, { batchFirst: true });
      this.head = new nn.Linear(hidden, vocab);
    }
    forward(idx) {
      const [out] = this.lstm.forward(this.embed.forward(idx));
      return this.head.forward(out);
    }
  }

  function prepare(w) {
    if (w.memoryOf) return null; // peak-memory rows: bench/lib/child.mjs runs w.memoryOf in a fresh process
    // "… (tidy)" rows: the training step of w.tidyOf inside torch.tidy
    const tidy = Boolean(w.tidyOf);
    const id = w.tidyOf ?? w.id;
    // the js backend takes minutes per run on these: not waited for
    if (
      engine.backend === "js" &&
      ["resnet18_b1", "resnet18_b8", "mobilenetv2_b1", "encoder_b8", "resnet18_train"].includes(id)
    ) {
      return { skip: "skipped (too slow): the js reference backend needs minutes per run at this size" };
    }
    if (w.model && !vision && id !== "encoder_b8" && !id.endsWith("_train"))
      throw new Error("torch.vision.models missing in dist");
    if (w.id.startsWith("gemm")) {
      const a = randn([w.n, w.n]);
      const b = randn([w.n, w.n]);
      return {
        run: () => timed(noGrad(() => a.matmul(b))),
        cleanup: () => dispose(a, b),
      };
    }
    switch (id) {
      case "conv3x3": {
        const x = randn([8, 64, 56, 56]);
        const wt = randn([64, 64, 3, 3], 0.05);
        return {
          run: () => timed(noGrad(() => F.conv2d(x, wt, null, { stride: 1, padding: 1 }))),
          cleanup: () => dispose(x, wt),
        };
      }
      case "stem": {
        const x = randn([1, 3, 224, 224]);
        const wt = randn([64, 3, 7, 7], 0.05);
        return {
          run: () => timed(noGrad(() => F.conv2d(x, wt, null, { stride: 2, padding: 3 }))),
          cleanup: () => dispose(x, wt),
        };
      }
      case "simplecnn_fwd": {
        const model = simpleCnn();
        model.eval();
        const x = randn([64, 1, 28, 28]);
        return {
          run: () => timed(noGrad(() => model.forward(x))),
          cleanup: () => dispose(x, ...model.parameters()),
        };
      }
      case "simplecnn_train": {
        const model = simpleCnn();
        model.train();
        const params = model.parameters();
        const crit = new nn.CrossEntropyLoss();
        const opt = new optim.SGD(params, { lr: 0.01, momentum: 0.9 });
        const x = randn([64, 1, 28, 28]);
        const y = torch.tensor(
          Array.from({ length: 64 }, (_, i) => i % 10),
          { dtype: "int64" },
        );
        let out = null; // this row has always disposed the logits too (without tidy)
        const s = trainStep(model, params, opt, () => crit.forward((out = model.forward(x)), y), false, tidy);
        return {
          run: () => {
            s.run();
            if (!tidy) dispose(out);
          },
          cleanup: () => {
            s.cleanup();
            dispose(x, y);
          },
        };
      }
      case "lstm": {
        const lstm = new nn.LSTM(128, 256);
        lstm.eval?.();
        const x = randn([32, 16, 128]);
        return {
          run: () => {
            const [out, [h, c]] = noGrad(() => lstm.forward(x));
            out.toFloat32Array();
            dispose(out, h, c);
          },
          cleanup: () => dispose(x, ...lstm.parameters()),
        };
      }
      case "relu": {
        const x = randn([4096, 4096]);
        return { run: () => timed(noGrad(() => F.relu(x))), cleanup: () => dispose(x) };
      }
      case "maxpool": {
        const x = randn([8, 64, 112, 112]);
        return { run: () => timed(noGrad(() => F.maxPool2d(x, 2))), cleanup: () => dispose(x) };
      }
      case "batchnorm": {
        const x = randn([8, 64, 56, 56]);
        const rm = randn([64], 0.1);
        const rv = torch.rand(64).add(torch.tensor(0.5));
        const weight = randn([64]);
        const bias = randn([64]);
        return {
          run: () => timed(noGrad(() => F.batchNorm(x, rm, rv, { weight, bias, training: false }))),
          cleanup: () => dispose(x, rm, rv, weight, bias),
        };
      }
      case "resnet18_b1":
      case "resnet18_b8": {
        const model = vision.resnet18();
        model.eval();
        return forwardOf(model, randn([w.images, 3, 224, 224]));
      }
      case "mobilenetv2_b1": {
        const model = vision.mobilenetV2();
        model.eval();
        return forwardOf(model, randn([1, 3, 224, 224]));
      }
      case "encoder_b8": {
        const model = new nn.TransformerEncoderLayer(512, 8, { dimFeedforward: 2048, dropout: 0, batchFirst: true });
        model.eval();
        return forwardOf(model, randn([8, 128, 512]));
      }
      case "resnet18_train": {
        const model = vision.resnet18();
        model.train();
        const params = model.parameters();
        const crit = new nn.CrossEntropyLoss();
        const opt = new optim.SGD(params, { lr: 0.01, momentum: 0.9 });
        const x = randn([16, 3, 112, 112]);
        const y = torch.tensor(
          Array.from({ length: 16 }, (_, i) => (i * 37) % 1000),
          { dtype: "int64" },
        );
        const s = trainStep(model, params, opt, () => crit.forward(model.forward(x), y), false, tidy);
        return {
          run: s.run,
          cleanup: () => {
            s.cleanup();
            dispose(x, y);
          },
        };
      }
      case "gpt_train": {
        const [V, B, T] = [65, 16, 64];
        const model = new GPT(V, T);
        model.train();
        const params = model.parameters();
        const opt = new optim.AdamW(params, { lr: 3e-3, betas: [0.9, 0.95], weightDecay: 0.1 });
        const x = tokens(B, T, V),
          y = tokens(B, T, V);
        const lossOf = () => F.crossEntropy(model.forward(x).reshape(B * T, V), y.reshape(B * T));
        const s = trainStep(model, params, opt, lossOf, true, tidy);
        return {
          run: s.run,
          cleanup: () => {
            s.cleanup();
            dispose(x, y);
          },
        };
      }
      case "charlstm_train": {
        const [V, B, T] = [65, 16, 32];
        const model = new CharLSTM(V, 128);
        model.train();
        const params = model.parameters();
        const opt = new optim.Adam(params, { lr: 3e-3 });
        const x = tokens(B, T, V),
          y = tokens(B, T, V);
        const lossOf = () => F.crossEntropy(model.forward(x).reshape(B * T, V), y.reshape(B * T));
        const s = trainStep(model, params, opt, lossOf, true, tidy);
        return {
          run: s.run,
          cleanup: () => {
            s.cleanup();
            dispose(x, y);
          },
        };
      }
      case "gpt_index": {
        const [B, T, C, V, k] = [8, 256, 256, 8192, 50];
        const wte = randn([V, C], 0.02),
          wpe = randn([T, C], 0.02);
        wte.requiresGrad = true;
        wpe.requiresGrad = true;
        const tok = torch.randint(0, V, [B, T]),
          target = torch.randint(0, V, [B, 1]);
        const mask = torch.ones(T, T).triu(1).gt(0);
        const scale = 1 / Math.sqrt(C);
        return {
          run: () =>
            torch.tidy(() => {
              const x = F.embedding(tok, wte).add(wpe);
              const att = x.matmul(x.transpose(-1, -2)).mul(scale).maskedFill(mask, -Infinity).softmax(-1);
              const logits = att.matmul(x).select(1, -1).matmul(wte.t());
              const top = logits.topk(k, -1);
              const nll = logits.logSoftmax(-1).gather(1, target).neg().mean();
              const loss = nll.add(top.values.mean().mul(0.01));
              loss.backward();
              loss.item();
              wte.grad.toFloat32Array();
              wte.grad = null;
              wpe.grad = null;
            }),
          cleanup: () => dispose(wte, wpe, tok, target, mask),
        };
      }
    }
    return null;
  }

  // for the peak-memory rows: the wasm backend's WebAssembly memory, and the bytes of live tensor storages
  const memory = () => {
    const out = {};
    const buf = torch._internal?.activeBackend?.()?.memory?.buffer;
    if (buf) out.wasm_bytes = buf.byteLength;
    const m = torch.memory?.();
    if (m) out.tensor_bytes = m.numBytes;
    return out;
  };

  return {
    info: { version: `torchlet ${version}`, backend: got ?? engine.backend, threads: engine.threads },
    prepare,
    memory,
  };
}
