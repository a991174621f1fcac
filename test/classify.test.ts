// examples/classify.mjs end to end (on the TypeScript sources through vite-node): a PNG and a JPEG
// written by PIL, a .pth written by PyTorch's torch.save, top-5 compared with torchvision's own
// preprocessing (Resize 256 without antialias on tensors, CenterCrop 224, Normalize) and model.

import { execFileSync } from "node:child_process";
import { runProcess } from "./run-process.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "torchlet-classify-"));
const ref = JSON.parse(
  execFileSync(
    "/usr/bin/python3",
    [
      "-c",
      `
import json, torch, torchvision, numpy as np
from PIL import Image
import torchvision.transforms as T
torch.manual_seed(0)
m = torchvision.models.squeezenet1_1()
torch.save(m.state_dict(), "${dir}/sq.pth")
a = (np.random.RandomState(0).rand(300, 400, 3) * 255).astype("uint8")
a[100:200, 150:300] = [250, 30, 20]
Image.fromarray(a).save("${dir}/img.png"); Image.fromarray(a).save("${dir}/img.jpg", quality=95)
m.eval()
out = {}
for f in ["png", "jpg"]:
    x = T.ToTensor()(Image.open("${dir}/img." + f).convert("RGB"))
    x = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.CenterCrop(224)(T.Resize(256, antialias=False)(x)))
    out[f] = m(x[None]).softmax(1)[0].topk(5).indices.tolist()
print(json.dumps(out))
`,
    ],
    { encoding: "utf8" },
  ),
);

async function classify(args: string[]): Promise<string> {
  const r = await runProcess(
    join(ROOT, "node_modules", ".bin", "vite-node"),
    [join(ROOT, "examples", "classify.mjs"), ...args],
    {
      cwd: ROOT,
      timeout: 120_000,
      env: { ...process.env, TORCHLET_ENTRY: join(ROOT, "ts", "index.ts") },
    },
  );
  if (r.status !== 0) throw new Error(`classify ${args.join(" ")} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const top = (out: string) => [...out.matchAll(/^\s+\d+\.\s+[\d.]+%\s+(\d+)\s+\S/gm)].map((m) => Number(m[1]));

it.each(["png", "jpg"])(
  "classify.mjs %s with a PyTorch .pth: torchvision's top-5 with names",
  async (f) => {
    const out = await classify([
      join(dir, `img.${f}`),
      "--model",
      "squeezenet1_1",
      "--weights",
      join(dir, "sq.pth"),
      "--backend",
      "native",
    ]);
    expect(top(out)).toEqual(ref[f]);
    expect(out).toContain("400x300");
    expect(out).toMatch(/ 1\. .*\d+ +\S+/);
  },
  180_000,
);

it("classify.mjs without --weights names torchvision's weight URL and runs with random weights", async () => {
  const out = await classify([join(dir, "img.png"), "--model", "mobilenetV3Small", "--backend", "native"]);
  expect(out).toContain("https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth");
  expect(out).toContain("random weights");
  expect(top(out)).toHaveLength(5);
}, 180_000);
