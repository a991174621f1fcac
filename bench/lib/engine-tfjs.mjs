// TensorFlow.js engines: tfjs-backend-cpu (pure JS) and tfjs-backend-wasm (XNNPACK, 1 thread).
// tfjs is NHWC: inputs are created/transposed to NHWC (filters to HWIO) once, outside the
// timed region. Everything is loaded through CommonJS so the backends share one tfjs-core.
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PEERS = resolve(dirname(fileURLToPath(import.meta.url)), "../peers");

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
    }
    return null; // cannot run (e.g. training step)
  }

  return { info, prepare };
}
