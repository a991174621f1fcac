// TensorFlow.js engines: tfjs-backend-cpu (pure JS) and tfjs-backend-wasm (XNNPACK, 1 thread).
// tfjs is NHWC: inputs are created/transposed to NHWC (filters to HWIO) once, outside the
// timed region. Everything is loaded through CommonJS so the backends share one tfjs-core.
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PEERS = resolve(dirname(fileURLToPath(import.meta.url)), "../peers");

// ---- whole models from tfjs-core ops (tfjs-layers is not installed; the layers compute the same ops:
// Conv2D -> tf.conv2d, BatchNormalization (inference) -> tf.batchNorm with the moving statistics,
// DepthwiseConv2D -> tf.depthwiseConv2d, Dense -> tf.fused.matMul with bias, LayerNormalization ->
// tf.moments). NHWC activations, HWIO filters. Parameters are named and shaped as torchvision's /
// torch.nn's state_dict, so a check can load the same weights into both (bench/lib/check-tfjs-models.mjs).

/** Default parameter source: torch-style init (kaiming-normal convs, BN weight 1 / bias 0 / running
 *  mean 0 / var 1, small linear weights), values in PyTorch's layout [O, I, kh, kw] / [out, in]. */
export function randomParam(tf) {
  return (name, shape) => {
    const leaf = name.split(".").pop();
    if (leaf === "running_var" || (shape.length === 1 && leaf === "weight")) return tf.ones(shape); // norms
    if (shape.length === 1) return tf.zeros(shape);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    return tf.tidy(() => tf.mul(tf.randomNormal(shape), Math.sqrt((shape.length === 4 ? 2 : 1) / fanIn)));
  };
}

/**
 * One of the bench's whole models as tfjs ops. `source(name, torchShape)` gives each parameter as a
 * tf.Tensor in PyTorch's layout (default: randomParam); it is converted here once (convs to HWIO,
 * depthwise to [kh, kw, C, 1], linear weights to [in, out]). Returns { forward(x), params, numel,
 * macs (set macs.on to count a forward's multiply-accumulates in macs.n), inputShape (NHWC / [B, T, E]),
 * outputShape }. BatchNorm uses the running statistics (eval).
 */
export function buildModel(tf, id, source = randomParam(tf)) {
  const params = [];
  let numel = 0; // learnable parameters, as torch's sum(p.numel() for p in model.parameters())
  const macs = { on: false, n: 0 }; // multiply-accumulates of the convs and matmuls, counted when macs.on
  const take = (name, shape, layout) => {
    const t = source(name, shape);
    if (t.shape.join() !== shape.join()) throw new Error(`${name}: shape ${t.shape} != ${shape}`);
    const perm = { conv: [2, 3, 1, 0], dw: [2, 3, 0, 1], linear: [1, 0] }[layout];
    const out = perm ? tf.transpose(t, perm) : t;
    if (perm) t.dispose();
    if (!/running_(mean|var)$/.test(name)) numel += out.size;
    params.push(out);
    return out;
  };
  const pad = (p) => [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
  const bn = (name, c, eps = 1e-5) => {
    const g = take(`${name}.weight`, [c]);
    const b = take(`${name}.bias`, [c]);
    const m = take(`${name}.running_mean`, [c]);
    const v = take(`${name}.running_var`, [c]);
    return (x) => tf.batchNorm(x, m, v, b, g, eps);
  };
  // Conv2d(bias=False) -> BatchNorm2d (-> activation), PyTorch's symmetric padding k // 2
  const convBn = (conv, norm, cin, cout, k, stride, act, groups = 1) => {
    const dw = groups > 1;
    const w = take(`${conv}.weight`, dw ? [cout, 1, k, k] : [cout, cin, k, k], dw ? "dw" : "conv");
    const n = bn(norm, cout);
    const p = pad(k >> 1);
    return (x) => {
      const c = dw ? tf.depthwiseConv2d(x, w, stride, p) : tf.conv2d(x, w, stride, p);
      if (macs.on) macs.n += c.size * (dw ? 1 : cin) * k * k;
      const y = n(c);
      return act === "relu" ? tf.relu(y) : act === "relu6" ? tf.relu6(y) : y;
    };
  };
  const linear = (name, i, o, activation) => {
    const w = take(`${name}.weight`, [o, i], "linear");
    const b = take(`${name}.bias`, [o]);
    return (x) => {
      if (macs.on) macs.n += x.shape[0] * i * o;
      return tf.fused.matMul({ a: x, b: w, bias: b, activation });
    };
  };

  let forward, inputShape, outputShape;
  if (id === "resnet18") {
    const stem = convBn("conv1", "bn1", 3, 64, 7, 2, "relu");
    const blocks = [];
    let cin = 64;
    [64, 128, 256, 512].forEach((c, li) => {
      for (let bi = 0; bi < 2; bi++) {
        const s = li > 0 && bi === 0 ? 2 : 1;
        const pre = `layer${li + 1}.${bi}`;
        const a = convBn(`${pre}.conv1`, `${pre}.bn1`, cin, c, 3, s, "relu");
        const b = convBn(`${pre}.conv2`, `${pre}.bn2`, c, c, 3, 1, null);
        const down = s !== 1 || cin !== c ? convBn(`${pre}.downsample.0`, `${pre}.downsample.1`, cin, c, 1, s) : null;
        blocks.push((x) => tf.relu(tf.add(b(a(x)), down ? down(x) : x)));
        cin = c;
      }
    });
    const fc = linear("fc", 512, 1000);
    forward = (x) => {
      let h = tf.maxPool(stem(x), 3, 2, pad(1));
      for (const blk of blocks) h = blk(h);
      return fc(tf.mean(h, [1, 2]));
    };
    inputShape = [224, 224, 3];
    outputShape = [1000];
  } else if (id === "mobilenet_v2") {
    // torchvision.models.mobilenet_v2(): t, c, n, s
    const cfg = [
      [1, 16, 1, 1],
      [6, 24, 2, 2],
      [6, 32, 3, 2],
      [6, 64, 4, 2],
      [6, 96, 3, 1],
      [6, 160, 3, 2],
      [6, 320, 1, 1],
    ];
    const feats = [convBn("features.0.0", "features.0.1", 3, 32, 3, 2, "relu6")];
    let cin = 32,
      fi = 1;
    for (const [t, c, n, s] of cfg) {
      for (let i = 0; i < n; i++) {
        const stride = i === 0 ? s : 1;
        const hid = cin * t;
        const pre = `features.${fi++}.conv`;
        const ops = [];
        let j = 0;
        if (t !== 1) {
          ops.push(convBn(`${pre}.0.0`, `${pre}.0.1`, cin, hid, 1, 1, "relu6"));
          j = 1;
        }
        ops.push(convBn(`${pre}.${j}.0`, `${pre}.${j}.1`, hid, hid, 3, stride, "relu6", hid));
        ops.push(convBn(`${pre}.${j + 1}`, `${pre}.${j + 2}`, hid, c, 1, 1, null));
        const res = stride === 1 && cin === c;
        feats.push((x) => {
          let h = x;
          for (const op of ops) h = op(h);
          return res ? tf.add(x, h) : h;
        });
        cin = c;
      }
    }
    feats.push(convBn(`features.${fi}.0`, `features.${fi}.1`, cin, 1280, 1, 1, "relu6"));
    const fc = linear("classifier.1", 1280, 1000); // classifier.0 = Dropout (identity in eval)
    forward = (x) => {
      let h = x;
      for (const f of feats) h = f(h);
      return fc(tf.mean(h, [1, 2]));
    };
    inputShape = [224, 224, 3];
    outputShape = [1000];
  } else if (id === "encoder") {
    // nn.TransformerEncoderLayer(512, 8, 2048, dropout 0, batch_first): post-norm (norm_first=False), ReLU
    const [E, H, FF, T] = [512, 8, 2048, 128];
    const D = E / H;
    const inW = take("self_attn.in_proj_weight", [3 * E, E], "linear");
    const inB = take("self_attn.in_proj_bias", [3 * E]);
    const out = linear("self_attn.out_proj", E, E);
    const l1 = linear("linear1", E, FF, "relu");
    const l2 = linear("linear2", FF, E);
    const ln = (name) => {
      const g = take(`${name}.weight`, [E]);
      const b = take(`${name}.bias`, [E]);
      return (x) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
      };
    };
    const n1 = ln("norm1");
    const n2 = ln("norm2");
    const heads = (t, B) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]); // [B, H, T, D]
    forward = (x) => {
      const B = x.shape[0];
      const x2 = tf.reshape(x, [B * T, E]);
      if (macs.on) macs.n += B * T * E * 3 * E + 2 * B * H * T * T * D; // in_proj, q·kᵀ and attn·v
      const qkv = tf.fused.matMul({ a: x2, b: inW, bias: inB });
      const [q, k, v] = tf.split(qkv, 3, 1);
      const s = tf.matMul(tf.mul(heads(q, B), 1 / Math.sqrt(D)), heads(k, B), false, true); // [B, H, T, T]
      const ctx = tf.matMul(tf.softmax(s), heads(v, B)); // [B, H, T, D]
      const a = out(tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B * T, E]));
      const h = n1(tf.add(x2, a));
      return tf.reshape(n2(tf.add(h, l2(l1(h)))), [B, T, E]);
    };
    inputShape = [T, E];
    outputShape = [T, E];
  } else throw new Error(`unknown model ${id}`);
  return { forward, params, numel, macs, inputShape, outputShape };
}

const MODEL_OF = {
  resnet18_b1: "resnet18",
  resnet18_b8: "resnet18",
  mobilenetv2_b1: "mobilenet_v2",
  encoder_b8: "encoder",
};

export async function createEngine(engine) {
  const req = createRequire(resolve(PEERS, "package.json"));
  const tf = req("@tensorflow/tfjs-core");
  if (engine.backend === "cpu") {
    req("@tensorflow/tfjs-backend-cpu");
  } else {
    const tfw = req("@tensorflow/tfjs-backend-wasm");
    const dist = resolve(dirname(req.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
    tfw.setWasmPaths(dist);
    tfw.setThreadsCount?.(engine.threads);
  }
  if (!(await tf.setBackend(engine.backend))) throw new Error(`tf.setBackend("${engine.backend}") failed`);
  await tf.ready();
  tf.env().set("DEBUG", false);
  const info = { version: `tfjs-core ${tf.version_core}`, backend: tf.getBackend() };
  if (engine.backend === "wasm") {
    info.simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
    info.multithread = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT");
  }

  const randn = (shape, scale = 1) => tf.tidy(() => tf.mul(tf.randomNormal(shape), scale));
  const timed = (fn) => () => {
    const y = tf.tidy(fn);
    y.dataSync();
    y.dispose();
  };
  // PyTorch's explicit symmetric padding, NHWC
  const pad = (p) => [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];

  function prepare(w) {
    // tfjs-cpu (plain JS loops) needs ~10 s per 224² resnet18 image and ~30 s per encoder_b8 run: not waited for
    if (engine.backend === "cpu" && (w.id === "resnet18_b8" || w.id === "encoder_b8"))
      return { skip: "skipped (too slow): tfjs-cpu needs ≥ 30 s per run at this size" };
    if (w.id.startsWith("gemm")) {
      const a = randn([w.n, w.n]);
      const b = randn([w.n, w.n]);
      return { run: timed(() => tf.matMul(a, b)), cleanup: () => tf.dispose([a, b]) };
    }
    switch (w.id) {
      case "conv3x3": {
        const x = randn([8, 56, 56, 64]);
        const f = randn([3, 3, 64, 64], 0.05);
        return { run: timed(() => tf.conv2d(x, f, 1, pad(1))), cleanup: () => tf.dispose([x, f]) };
      }
      case "stem": {
        const x = randn([1, 224, 224, 3]);
        const f = randn([7, 7, 3, 64], 0.05);
        return { run: timed(() => tf.conv2d(x, f, 2, pad(3))), cleanup: () => tf.dispose([x, f]) };
      }
      case "simplecnn_fwd": {
        // Same network from tf ops, bias+ReLU fused as tfjs-layers would do it.
        const x = randn([64, 28, 28, 1]);
        const p = {
          c1w: randn([3, 3, 1, 16], 0.3),
          c1b: tf.zeros([16]),
          c2w: randn([3, 3, 16, 32], 0.08),
          c2b: tf.zeros([32]),
          l1w: randn([32 * 7 * 7, 128], 0.025),
          l1b: tf.zeros([128]),
          l2w: randn([128, 10], 0.09),
          l2b: tf.zeros([10]),
        };
        const fwd = () => {
          let h = tf.fused.conv2d({ x, filter: p.c1w, bias: p.c1b, strides: 1, pad: pad(1), activation: "relu" });
          h = tf.maxPool(h, 2, 2, "valid");
          h = tf.fused.conv2d({ x: h, filter: p.c2w, bias: p.c2b, strides: 1, pad: pad(1), activation: "relu" });
          h = tf.maxPool(h, 2, 2, "valid");
          h = tf.reshape(h, [64, 32 * 7 * 7]);
          h = tf.fused.matMul({ a: h, b: p.l1w, bias: p.l1b, activation: "relu" });
          return tf.fused.matMul({ a: h, b: p.l2w, bias: p.l2b });
        };
        return { run: timed(fwd), cleanup: () => tf.dispose([x, ...Object.values(p)]) };
      }
      case "lstm": {
        // tf.basicLSTMCell per step: concat([x_t, h]) · W[384, 1024] + b, gates i,j,f,o.
        const x = randn([32, 16, 128]);
        const xs = tf.unstack(x);
        const W = randn([128 + 256, 4 * 256], 0.06);
        const b = tf.zeros([4 * 256]);
        const forgetBias = tf.scalar(0);
        const fwd = () => {
          let c = tf.zeros([16, 256]);
          let h = tf.zeros([16, 256]);
          const outs = [];
          for (const xt of xs) {
            [c, h] = tf.basicLSTMCell(forgetBias, W, b, xt, c, h);
            outs.push(h);
          }
          return tf.stack(outs);
        };
        return { run: timed(fwd), cleanup: () => tf.dispose([x, ...xs, W, b, forgetBias]) };
      }
      case "relu": {
        const x = randn([16 * 1024 * 1024]);
        return { run: timed(() => tf.relu(x)), cleanup: () => x.dispose() };
      }
      case "maxpool": {
        const x = randn([8, 112, 112, 64]);
        return { run: timed(() => tf.maxPool(x, 2, 2, "valid")), cleanup: () => x.dispose() };
      }
      case "batchnorm": {
        const x = randn([8, 56, 56, 64]);
        const mean = randn([64], 0.1);
        const variance = tf.tidy(() => tf.add(tf.randomUniform([64]), 0.5));
        const scale = randn([64]);
        const offset = randn([64]);
        return {
          run: timed(() => tf.batchNorm(x, mean, variance, offset, scale, 1e-5)),
          cleanup: () => tf.dispose([x, mean, variance, scale, offset]),
        };
      }
      case "resnet18_b1":
      case "resnet18_b8":
      case "mobilenetv2_b1":
      case "encoder_b8": {
        const m = buildModel(tf, MODEL_OF[w.id]);
        const b = w.images ?? 8;
        const x = randn([b, ...m.inputShape]);
        return {
          run: timed(() => m.forward(x)),
          cleanup: () => tf.dispose([x, ...m.params]),
          inputs: { x: x.shape },
          note:
            w.id === "encoder_b8"
              ? "built from tfjs-core ops (tfjs has no MultiheadAttention)"
              : "built from tfjs-core ops (conv → batchNorm → relu, as tfjs-layers), NHWC",
        };
      }
    }
    return null; // cannot run (e.g. training step)
  }

  // for the peak-memory rows: tfjs-wasm's WebAssembly heap, and the bytes of live tensors
  const memory = () => {
    const out = { tensor_bytes: tf.memory().numBytes };
    const heap = engine.backend === "wasm" ? tf.backend()?.wasm?.HEAPU8 : null;
    if (heap) out.wasm_bytes = heap.buffer.byteLength;
    return out;
  };

  return { info, prepare, memory };
}
