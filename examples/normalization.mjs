// The glossary's BatchNorm and LayerNorm snippets, written with torchlet and compared with
// nn.BatchNorm2d / F.batchNorm and nn.LayerNorm.
//   npm run build && node examples/normalization.mjs [--backend js|wasm|native]
//
// The input is deterministic (no RNG), so the same numbers can be recomputed in PyTorch:
//   x[i] = 2 sin(0.37 i) + cos(0.11 i) over a flat index i, shape (N, C, H, W) = (8, 3, 4, 4).

import * as torch from "torchlet";

const { nn, F } = torch;

const arg = process.argv.indexOf("--backend");
const backend = await torch.init(arg > 0 ? { backend: process.argv[arg + 1] } : {});

const [N, C, H, W] = [8, 3, 4, 4];
const data = Float32Array.from({ length: N * C * H * W }, (_, i) => 2 * Math.sin(0.37 * i) + Math.cos(0.11 * i));
const x = torch.tensor(data, { shape: [N, C, H, W] });

// ---------------------------------------------------------------- batch normalisation (glossary)
// mean/var over every dimension except the channel one; x.var is unbiased by default, as in PyTorch.
function BatchNorm(x, gamma, beta, eps = 1e-5, unbiased = true) {
  const mean = x.mean([0, 2, 3], true);
  const variance = x.var([0, 2, 3], { keepdim: true, unbiased });
  const xHat = x.sub(mean).div(variance.add(eps).sqrt());
  return xHat.mul(gamma).add(beta);
}

const gammaValues = Array.from({ length: C }, (_, c) => 1 + 0.1 * c);
const betaValues = Array.from({ length: C }, (_, c) => 0.05 * c);
const gamma = torch.tensor(gammaValues).view(1, C, 1, 1);
const beta = torch.tensor(betaValues).view(1, C, 1, 1);

const bn = new nn.BatchNorm2d(C);
torch.noGrad(() => {
  bn.weight.copy_(torch.tensor(gammaValues));
  bn.bias.copy_(torch.tensor(betaValues));
});
bn.train();
const yModule = bn.forward(x);
const yFunctional = F.batchNorm(x, null, null, {
  weight: torch.tensor(gammaValues),
  bias: torch.tensor(betaValues),
  training: true,
});
const yGlossary = BatchNorm(x, gamma, beta);
const yGlossaryBiased = BatchNorm(x, gamma, beta, 1e-5, false);

const maxAbs = (a, b) => a.sub(b).abs().max().item();
const fmt = (v) => v.toExponential(3);
const n = N * H * W;

console.log(`backend: ${backend}`);
console.log("BatchNorm2d (training mode, batch statistics)");
console.log(`  max |glossary BatchNorm (unbiased var) - nn.BatchNorm2d| = ${fmt(maxAbs(yGlossary, yModule))}`);
console.log(`  max |glossary BatchNorm (biased var)   - nn.BatchNorm2d| = ${fmt(maxAbs(yGlossaryBiased, yModule))}`);
console.log(`  max |nn.BatchNorm2d - F.batchNorm|                     = ${fmt(maxAbs(yModule, yFunctional))}`);
// BatchNorm normalises with the biased variance; the glossary's x.var is unbiased, so its
// x_hat is smaller by sqrt((n-1)/n) with n = N*H*W values per channel.
const rescaled = yGlossary
  .sub(beta)
  .mul(Math.sqrt(n / (n - 1)))
  .add(beta);
console.log(
  `  max |glossary rescaled by sqrt(n/(n-1)) - nn.BatchNorm2d| = ${fmt(maxAbs(rescaled, yModule))}  (n = ${n})`,
);
// running statistics are updated with the unbiased variance (momentum 0.1)
const batchVar = x.var([0, 2, 3]);
const expectedRunningVar = batchVar.mul(0.1).add(0.9);
console.log(
  `  max |running_var - (0.9 + 0.1 * unbiased batch var)|      = ${fmt(maxAbs(bn.running_var, expectedRunningVar))}`,
);
console.log(`  glossary output sum of squares = ${yGlossary.pow(2).sum().item().toFixed(4)}`);

// ---------------------------------------------------------------- layer normalisation (glossary)
// One mean and (biased) variance per sample, over (C, H, W); gamma/beta of shape (C, H, W).
function LayerNorm(x, gamma, beta, eps) {
  const mean = x.mean([1, 2, 3], true);
  const variance = x.sub(mean).square().mean([1, 2, 3], true);
  const normX = x.sub(mean).div(variance.add(eps).sqrt());
  return gamma.mul(normX).add(beta);
}

const ln = new nn.LayerNorm([C, H, W]);
const lnGamma = torch.tensor(
  Float32Array.from({ length: C * H * W }, (_, i) => 1 + 0.01 * i),
  { shape: [C, H, W] },
);
const lnBeta = torch.tensor(
  Float32Array.from({ length: C * H * W }, (_, i) => 0.02 * Math.sin(i)),
  { shape: [C, H, W] },
);
torch.noGrad(() => {
  ln.weight.copy_(lnGamma);
  ln.bias.copy_(lnBeta);
});
const zModule = ln.forward(x);
const zGlossary = LayerNorm(x, lnGamma, lnBeta, 1e-5);
const zFunctional = F.layerNorm(x, [C, H, W], { weight: lnGamma, bias: lnBeta });
console.log("LayerNorm over (C, H, W)");
console.log(`  max |glossary LayerNorm - nn.LayerNorm| = ${fmt(maxAbs(zGlossary, zModule))}`);
console.log(`  max |nn.LayerNorm - F.layerNorm|        = ${fmt(maxAbs(zModule, zFunctional))}`);
console.log(`  glossary output sum of squares = ${zGlossary.pow(2).sum().item().toFixed(4)}`);
