// The main job (npm start): a short Fashion-MNIST run per model, the saved weights loaded by PyTorch,
// and the message for missing data.
import { describe, it, expect } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..");
const script = join(root, "examples/train-fashion-mnist.mjs");
const data = "/usr/share/datasets/fashion-mnist";
const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;

describe("main job: examples/train-fashion-mnist.mjs", () => {
  for (const [model, backend] of [
    ["cnn", "native"],
    ["cnn", "wasm"],
    ["mlp", "js"],
  ] as const) {
    it(`trains ${model} on ${backend} and saves weights PyTorch loads`, () => {
      expect(
        existsSync(join(data, "train-images-idx3-ubyte.gz")),
        "dataset-fashion-mnist is installed by scripts/setup.sh",
      ).toBe(true);
      const out = join(mkdtempSync(join(tmpdir(), "tl-")), `${model}.safetensors`);
      const r = spawnSync(
        process.execPath,
        [script, "--model", model, "--backend", backend, "--limit", "6000", "--epochs", "1", "--out", out],
        { encoding: "utf8" },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/epoch 1\/1 \[#+\] 6000\/6000 +\d+ img\/s +loss \d/);
      const acc = Number(/test accuracy ([\d.]+)%/.exec(r.stdout)![1]);
      expect(acc).toBeGreaterThan(50);
      expect(r.stdout).toMatch(new RegExp(`img/s on ${backend}`));
      if (hasTorch) {
        const py = JSON.parse(
          execFileSync(
            "/usr/bin/python3",
            [join(root, "scripts/check_safetensors.py"), out, "--model", `fmnist-${model}`],
            { encoding: "utf8" },
          ),
        );
        expect(py.ok).toBe(true);
        expect(py.outputShape).toEqual([2, 10]);
      }
    });
  }
  it("says what to install when the data is missing", () => {
    const r = spawnSync(process.execPath, [script, "--data", "/nonexistent"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("apt-get install dataset-fashion-mnist");
  });
});
