// Runs examples/simple-cnn.mjs and examples/normalization.mjs with node (they import the built
// package, dist/ from `npm run build`) and checks their output: the SimpleCNN print equals
// PyTorch's print(model) (models.json), and the normalisation numbers equal PyTorch's (computed
// here with /usr/bin/python3 from the same deterministic input, when torch is importable).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describe, it, expect, beforeAll } from "vitest";
import { loadFixture } from "./fixtures.js";
import { runProcess } from "./run-process.js";
import { BACKENDS } from "./util.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist/esm/index.js");
const PY = "/usr/bin/python3";
const HAS_TORCH = spawnSync(PY, ["-c", "import torch"]).status === 0;

async function runExample(file: string, args: string[] = []): Promise<string> {
  const r = await runProcess(process.execPath, [join(ROOT, "examples", file), ...args], {
    cwd: ROOT,
    timeout: 120_000,
  });
  if (r.status !== 0)
    throw new Error(`node examples/${file} ${args.join(" ")} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
function num(out: string, re: RegExp): number {
  const m = re.exec(out);
  if (!m) throw new Error(`no match for ${re} in:\n${out}`);
  return parseFloat(m[1]);
}

const simpleCnnPrint = (loadFixture("models.json").prints as { name: string; print: string }[]).find(
  (p) => p.name === "simple_cnn_glossary_class",
)!.print;

// The glossary's snippets in PyTorch, on the example's deterministic input.
const PYTORCH_NORM = String.raw`
import json, torch, torch.nn as nn
N, C, H, W = 8, 3, 4, 4
i = torch.arange(N * C * H * W, dtype=torch.float64)
x = (2 * torch.sin(0.37 * i) + torch.cos(0.11 * i)).float().reshape(N, C, H, W)
def BatchNorm(x, gamma, beta, eps=1e-5):
  mean = x.mean(dim=[0, 2, 3], keepdim=True)
  var = x.var(dim=[0, 2, 3], keepdim=True)
  x_hat = (x - mean) / torch.sqrt(var + eps)
  return x_hat * gamma + beta
gamma = torch.tensor([1 + 0.1 * c for c in range(C)])
beta = torch.tensor([0.05 * c for c in range(C)])
bn = nn.BatchNorm2d(C)
with torch.no_grad():
  bn.weight.copy_(gamma); bn.bias.copy_(beta)
y = bn(x)
yg = BatchNorm(x, gamma.view(1, C, 1, 1), beta.view(1, C, 1, 1))
def LayerNorm(x, gamma, beta, eps):
  mean = x.mean(dim=[1, 2, 3], keepdim=True)
  variance = torch.square(x - mean).mean(dim=[1, 2, 3], keepdim=True)
  norm_x = (x - mean) / torch.sqrt(variance + eps)
  return gamma * norm_x + beta
j = torch.arange(C * H * W, dtype=torch.float64)
lg = (1 + 0.01 * j).float().reshape(C, H, W)
lb = (0.02 * torch.sin(j)).float().reshape(C, H, W)
ln = nn.LayerNorm([C, H, W])
with torch.no_grad():
  ln.weight.copy_(lg); ln.bias.copy_(lb)
z = ln(x)
zg = LayerNorm(x, lg, lb, 1e-5)
print(json.dumps({
  "bnUnbiasedDiff": (yg - y).abs().max().item(),
  "bnSumSq": yg.pow(2).sum().item(),
  "lnDiff": (zg - z).abs().max().item(),
  "lnSumSq": zg.pow(2).sum().item(),
  "runningVar": bn.running_var.tolist(),
}))
`;

describe("examples", () => {
  beforeAll(() => {
    if (!existsSync(DIST))
      throw new Error(`${DIST} is missing: run \`npm run build\` first (the examples import the built package)`);
  });

  for (const backend of [null, ...BACKENDS]) {
    const args = backend ? ["--backend", backend] : [];
    const label = backend ?? "default backend";

    it(`simple-cnn.mjs prints PyTorch's print(model) and the output shape (${label})`, async () => {
      const out = await runExample("simple-cnn.mjs", args);
      expect(out.startsWith(simpleCnnPrint + "\n"), `printed:\n${out}`).toBe(true);
      if (backend) expect(out).toContain(`backend: ${backend}\n`);
      expect(out).toContain("input shape: [4, 3, 32, 32]\n");
      expect(out).toContain("output shape: [4, 10]\n");
      expect(out).toMatch(/predicted classes: \[\d, \d, \d, \d\]\n/);
    });

    it(`normalization.mjs: the glossary snippets vs nn.BatchNorm2d / F.batchNorm / nn.LayerNorm (${label})`, async () => {
      const out = await runExample("normalization.mjs", args);
      const unbiased = num(out, /glossary BatchNorm \(unbiased var\) - nn\.BatchNorm2d\| = (\S+)/);
      const biased = num(out, /glossary BatchNorm \(biased var\)\s+- nn\.BatchNorm2d\| = (\S+)/);
      const fn = num(out, /nn\.BatchNorm2d - F\.batchNorm\|\s+= (\S+)/);
      const rescaled = num(out, /rescaled by sqrt\(n\/\(n-1\)\) - nn\.BatchNorm2d\| = (\S+)/);
      const running = num(out, /running_var - \(0\.9 \+ 0\.1 \* unbiased batch var\)\|\s+= (\S+)/);
      const lnDiff = num(out, /glossary LayerNorm - nn\.LayerNorm\| = (\S+)/);
      const lnFn = num(out, /nn\.LayerNorm - F\.layerNorm\|\s+= (\S+)/);
      const bnSumSq = num(out, /BatchNorm2d[\s\S]*?glossary output sum of squares = (\S+)/);
      const lnSumSq = num(out, /LayerNorm over[\s\S]*glossary output sum of squares = (\S+)/);
      // the glossary's unbiased variance makes a visible (but small) difference; everything else is float noise
      expect(unbiased).toBeGreaterThan(1e-3);
      expect(unbiased).toBeLessThan(5e-2);
      for (const v of [biased, fn, rescaled, running, lnDiff, lnFn]) expect(v).toBeLessThan(1e-5);
      if (!HAS_TORCH) {
        console.warn(`normalization.mjs: PyTorch comparison skipped (${PY} cannot import torch)`);
        return;
      }
      const py = spawnSync(PY, ["-c", PYTORCH_NORM], { encoding: "utf8" });
      expect(py.status, py.stderr).toBe(0);
      const ref = JSON.parse(py.stdout);
      expect(Math.abs(unbiased - ref.bnUnbiasedDiff)).toBeLessThan(1e-5);
      expect(Math.abs(bnSumSq - ref.bnSumSq)).toBeLessThan(1e-3 + 1e-5 * ref.bnSumSq);
      expect(Math.abs(lnSumSq - ref.lnSumSq)).toBeLessThan(1e-3 + 1e-5 * ref.lnSumSq);
      expect(ref.lnDiff).toBeLessThan(1e-5);
    });
  }
});
