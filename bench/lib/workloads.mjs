// Workload and engine catalogue shared by the orchestrator (bench/run.mjs) and the
// per-engine child processes (bench/lib/child.mjs).

const gemm = (n) => ({
  id: `gemm${n}`,
  label: `GEMM ${n}×${n}·${n}×${n}`,
  short: `GEMM ${n}`,
  unit: "GFLOPS",
  flops: 2 * n ** 3,
  n,
});

// the same training step inside torch.tidy(() => …) (torchlet only), as the row after its base row;
// label, unit and sizes are copied from the base row below
const tidyRow = (base) => ({ id: `${base}_tidy`, tidyOf: base, trainOnly: true });

// 2·N·O·C·kh·kw·oh·ow
const convFlops = (N, O, C, kh, kw, oh, ow) => 2 * N * O * C * kh * kw * oh * ow;

const simpleCnnFlops =
  convFlops(64, 16, 1, 3, 3, 28, 28) +
  convFlops(64, 32, 16, 3, 3, 14, 14) +
  2 * 64 * 32 * 7 * 7 * 128 +
  2 * 64 * 128 * 10;

// one LSTM step: x·W_ih^T + h·W_hh^T for 4 gates (elementwise gate math ignored)
const lstmFlops = 32 * 2 * 16 * (128 + 256) * 4 * 256;

export const WORKLOADS = [
  gemm(128),
  gemm(256),
  gemm(512),
  gemm(1024),
  {
    id: "conv3x3",
    label: "Conv2d 3×3 8×64×56×56→64 p1",
    short: "Conv 3×3",
    unit: "GFLOPS",
    flops: convFlops(8, 64, 64, 3, 3, 56, 56),
  },
  {
    id: "stem",
    label: "ResNet stem 7×7/2 p3 1×3×224×224→64",
    short: "Stem 7×7/2",
    unit: "GFLOPS",
    flops: convFlops(1, 64, 3, 7, 7, 112, 112),
  },
  {
    id: "simplecnn_fwd",
    label: "SimpleCNN forward b64",
    short: "SimpleCNN fwd",
    unit: "ms",
    flops: simpleCnnFlops,
    images: 64,
  },
  {
    id: "simplecnn_train",
    label: "SimpleCNN train step b64",
    short: "SimpleCNN train",
    unit: "img/s",
    images: 64,
    trainOnly: true, // only engines that can train (torchlet, pytorch)
  },
  tidyRow("simplecnn_train"),
  {
    id: "lstm",
    label: "LSTM 128→256 seq32 b16 fwd",
    short: "LSTM fwd",
    unit: "ms",
    flops: lstmFlops,
  },
  {
    id: "relu",
    label: "ReLU 16M floats",
    short: "ReLU 16M",
    unit: "ms",
    bytes: 2 * 4 * 16 * 1024 * 1024,
  },
  {
    id: "maxpool",
    label: "MaxPool2d 2×2 8×64×112×112",
    short: "MaxPool 2×2",
    unit: "ms",
    bytes: 4 * (8 * 64 * 112 * 112 + 8 * 64 * 56 * 56),
  },
  {
    id: "batchnorm",
    label: "BatchNorm2d eval 8×64×56×56",
    short: "BatchNorm eval",
    unit: "ms",
    bytes: 2 * 4 * 8 * 64 * 56 * 56,
  },
  {
    // the indexing ops of a GPT training step at GPT-ish sizes (B 8, T 256, C 256, vocab 8192):
    // token embedding, causal maskedFill(-inf) + softmax over [B, T, T], last-position logits,
    // topk(50) and a gathered log-likelihood, forward + backward (bench/lib/engine-torchlet.mjs)
    id: "gpt_index",
    label: "GPT indexing step B8 T256 C256 V8192 (embedding, maskedFill, softmax, topk, gather; fwd+bwd)",
    short: "GPT index step",
    unit: "ms",
    trainOnly: true, // a training step: torchlet only (the peers are inference engines)
  },
  // ---- whole models (torch.vision.models / torch.nn; the ONNX exports are the same architectures) ----
  // resnet18 forward: 1.82 GMAC per 224² image; mobilenet_v2: 0.30 GMAC (torchvision's counts)
  {
    id: "resnet18_b1",
    label: "torchvision resnet18 forward b1 224² (eval)",
    short: "resnet18 b1",
    unit: "ms",
    flops: 2 * 1.814e9,
    images: 1,
    model: true,
  },
  {
    id: "resnet18_b8",
    label: "torchvision resnet18 forward b8 224² (eval)",
    short: "resnet18 b8",
    unit: "ms",
    flops: 8 * 2 * 1.814e9,
    images: 8,
    model: true,
  },
  {
    id: "mobilenetv2_b1",
    label: "torchvision mobilenet_v2 forward b1 224² (eval)",
    short: "mobilenetV2 b1",
    unit: "ms",
    flops: 2 * 0.3e9,
    images: 1,
    model: true,
  },
  {
    // nn.TransformerEncoderLayer(512, 8, dim_feedforward 2048, dropout 0, batch_first), x [8, 128, 512]
    id: "encoder_b8",
    label: "TransformerEncoderLayer d512 h8 ff2048 seq128 b8 forward (eval)",
    short: "EncoderLayer fwd",
    unit: "ms",
    flops: 8 * 128 * 2 * (4 * 512 * 512 + 2 * 512 * 2048) + 8 * 8 * 2 * 2 * 128 * 128 * 64,
    model: true,
  },
  {
    id: "resnet18_train",
    label: "torchvision resnet18 train step b16 112² (SGD momentum)",
    short: "resnet18 train",
    unit: "img/s",
    images: 16,
    trainOnly: true,
    model: true,
  },
  tidyRow("resnet18_train"),
  {
    // the model of examples/gpt.mjs (pre-norm, MultiheadAttention causal, GELU MLP, tied head): vocab 65,
    // block 64, d 64, 4 heads, 2 layers, batch 16; AdamW + clipGradNorm_(1.0) as in the example
    id: "gpt_train",
    label: "GPT (examples/gpt.mjs model) train step b16 T64 d64 L2",
    short: "GPT train",
    unit: "tok/s",
    images: 16 * 64, // tokens per step
    trainOnly: true,
    model: true,
  },
  tidyRow("gpt_train"),
  {
    // the model of examples/char-lstm.mjs: Embedding(65, 32) -> LSTM(32, 128, batch_first) -> Linear(128, 65),
    // batch 16, bptt 32, Adam(3e-3) + clipGradNorm_(1.0)
    id: "charlstm_train",
    label: "char-LSTM (examples/char-lstm.mjs model) train step b16 T32 h128",
    short: "char-LSTM train",
    unit: "tok/s",
    images: 16 * 32,
    trainOnly: true,
    model: true,
  },
  tidyRow("charlstm_train"),
  // ---- peak memory (MB = 2^20 bytes, lower is better): the workload `memoryOf` run in a fresh process per
  // engine (bench/lib/child.mjs --memory): peak RSS (Linux VmHWM) after the runs, and its delta over the RSS
  // after the engine's init, before the model is made; wasm engines also give their WebAssembly memory size
  {
    id: "resnet18_b8_mem",
    label: "peak memory: resnet18 forward b8 224² (eval), fresh process — peak RSS (Δ over the engine's baseline)",
    short: "resnet18 b8 MB",
    unit: "MB",
    memoryOf: "resnet18_b8",
    model: true,
  },
  {
    id: "resnet18_train_mem",
    label: "peak memory: resnet18 train step b16 112², fresh process — peak RSS (Δ over the engine's baseline)",
    short: "r18 train MB",
    unit: "MB",
    memoryOf: "resnet18_train",
    trainOnly: true,
    model: true,
  },
];

for (const w of WORKLOADS) {
  if (!w.tidyOf) continue;
  const b = WORKLOADS.find((x) => x.id === w.tidyOf);
  Object.assign(w, {
    label: `${b.label}, inside torch.tidy`,
    short: `${b.short} (tidy)`,
    unit: b.unit,
    images: b.images,
    model: b.model,
  });
}

export const QUICK_WORKLOADS = ["gemm128", "relu"];

export const WORKLOAD_BY_ID = Object.fromEntries(WORKLOADS.map((w) => [w.id, w]));

// kind: which adapter runs it; baseline: the column ratios are computed against
export const ENGINES = [
  { id: "js", kind: "torchlet", backend: "js", threads: 1, group: "torchlet" },
  { id: "wasm-1t", kind: "torchlet", backend: "wasm", threads: 1, group: "torchlet" },
  { id: "wasm-2t", kind: "torchlet", backend: "wasm", threads: 2, group: "torchlet" },
  { id: "native-1t", kind: "torchlet", backend: "native", threads: 1, group: "torchlet" },
  { id: "native-2t", kind: "torchlet", backend: "native", threads: 2, group: "torchlet" },
  { id: "tfjs-cpu", kind: "tfjs", backend: "cpu", threads: 1, group: "peers" },
  { id: "tfjs-wasm", kind: "tfjs", backend: "wasm", threads: 1, group: "peers" },
  { id: "ort-web-1t", kind: "ort-web", threads: 1, group: "peers" },
  { id: "ort-web-2t", kind: "ort-web", threads: 2, group: "peers" },
  { id: "ort-node-1t", kind: "ort-node", threads: 1, group: "peers" },
  { id: "ort-node-2t", kind: "ort-node", threads: 2, group: "peers" },
  { id: "pytorch-1T", kind: "pytorch", threads: 1, group: "reference" },
];

export const BASELINE = "tfjs-wasm";

export const ENGINE_BY_ID = Object.fromEntries(ENGINES.map((e) => [e.id, e]));

// ONNX models exported from PyTorch into bench/models (used by the ORT engines).
export const ONNX_MODELS = {
  gemm128: "gemm_128.onnx",
  gemm256: "gemm_256.onnx",
  gemm512: "gemm_512.onnx",
  gemm1024: "gemm_1024.onnx",
  conv3x3: "conv3x3.onnx",
  stem: "stem.onnx",
  simplecnn_fwd: "simplecnn.onnx",
  lstm: "lstm.onnx",
  relu: "relu.onnx",
  maxpool: "maxpool.onnx",
  batchnorm: "batchnorm.onnx",
  // large: generated on first use into bench/models/cache (not committed), see scripts/export_onnx.py
  resnet18_b1: "cache/resnet18_b1.onnx",
  resnet18_b8: "cache/resnet18_b8.onnx",
  mobilenetv2_b1: "cache/mobilenetv2_b1.onnx",
  encoder_b8: "cache/encoder_b8.onnx",
};

// Shape of the data input(s) each workload is defined on (NCHW); used to fill symbolic
// dimensions of ONNX inputs and to check that a model matches its workload.
export const INPUT_SHAPES = {
  gemm128: [
    [128, 128],
    [128, 128],
  ],
  gemm256: [
    [256, 256],
    [256, 256],
  ],
  gemm512: [
    [512, 512],
    [512, 512],
  ],
  gemm1024: [
    [1024, 1024],
    [1024, 1024],
  ],
  conv3x3: [[8, 64, 56, 56]],
  stem: [[1, 3, 224, 224]],
  simplecnn_fwd: [[64, 1, 28, 28]],
  lstm: [
    [32, 16, 128],
    [1, 16, 256],
    [1, 16, 256],
  ],
  relu: [[16 * 1024 * 1024]],
  maxpool: [[8, 64, 112, 112]],
  batchnorm: [[8, 64, 56, 56]],
  resnet18_b1: [[1, 3, 224, 224]],
  resnet18_b8: [[8, 3, 224, 224]],
  mobilenetv2_b1: [[1, 3, 224, 224]],
  encoder_b8: [[8, 128, 512]],
};
