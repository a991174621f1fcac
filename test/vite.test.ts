// The packed npm package bundled by Vite (`vite build` of a page that imports "torchlet") runs in
// headless Chromium: the bundler finds and emits the .wasm files through new URL(..., import.meta.url),
// and on a cross-origin-isolated page the threaded wasm build runs with 2 workers.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as torch from "../ts/index.js";
import { nn } from "../ts/index.js";
import { startServer, type StaticServer } from "./browser/server.js";

const ROOT = join(__dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

const PAGE = `
import * as torch from "torchlet";
const { nn, F } = torch;
async function run(threads) {
  const name = await torch.init({ backend: "wasm", threads });
  const m = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
  const w = (n, s) => torch.tensor(Array.from({ length: n }, (_, k) => Math.sin(k * s)));
  m.loadStateDict({ "0.weight": w(32, 0.7).view(8, 4), "0.bias": w(8, 1.3), "2.weight": w(24, 0.9).view(3, 8), "2.bias": w(3, 2.1) });
  const x = w(20, 0.37).view(5, 4), y = torch.tensor([0, 2, 1, 1, 0], { dtype: "int64" });
  const loss = F.crossEntropy(m.forward(x), y);
  loss.backward();
  return { name, threads: torch.threads(), loss: loss.item(), grad: Array.from(m.parameters()[0].grad.toFloat32Array()) };
}
try {
  const one = await run(1), two = await run(2);
  document.getElementById("out").textContent = JSON.stringify({ ok: true, one, two, isolated: crossOriginIsolated });
} catch (e) { document.getElementById("out").textContent = JSON.stringify({ ok: false, error: String(e?.stack ?? e) }); }
`;

describe.skipIf(!existsSync(CHROMIUM))("Vite: the packed package bundled and run in Chromium", () => {
  let dir: string, server: StaticServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "torchlet-vite-"));
    const tgz = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" })
      .trim()
      .split("\n")
      .pop()!;
    mkdirSync(join(dir, "node_modules/torchlet"), { recursive: true });
    execFileSync("tar", ["-xzf", join(dir, tgz), "-C", join(dir, "node_modules/torchlet"), "--strip-components=1"]);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "vite-app", private: true, type: "module" }));
    writeFileSync(
      join(dir, "index.html"),
      '<!doctype html><html><body><pre id="out">running</pre><script type="module" src="./main.js"></script></body></html>',
    );
    writeFileSync(join(dir, "main.js"), PAGE);
    const { build } = await import("vite");
    await build({ root: dir, logLevel: "silent", build: { outDir: join(dir, "dist") } });
    server = await startServer(join(dir, "dist"));
  });
  afterAll(async () => {
    await server?.close();
  });

  it("emits the .wasm assets and trains on wasm with 1 and 2 threads, matching the js backend", async () => {
    expect(readdirSync(join(dir, "dist/assets")).filter((f) => f.endsWith(".wasm")).length).toBeGreaterThanOrEqual(2);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(server.url + "/index.html");
      await page.waitForFunction(() => document.getElementById("out")!.textContent !== "running", null, {
        timeout: 60_000,
      });
      const res = JSON.parse((await page.textContent("#out"))!);
      expect(res.ok, res.error).toBe(true);
      expect(res.isolated).toBe(true);
      expect(res.one).toMatchObject({ name: "wasm", threads: 1 });
      expect(res.two).toMatchObject({ name: "wasm", threads: 2 });
      // the same computation on the js reference backend, in Node
      await torch.init({ backend: "js" });
      const m = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
      const w = (n: number, s: number) => torch.tensor(Array.from({ length: n }, (_, k) => Math.sin(k * s)));
      m.loadStateDict({
        "0.weight": w(32, 0.7).view(8, 4),
        "0.bias": w(8, 1.3),
        "2.weight": w(24, 0.9).view(3, 8),
        "2.bias": w(3, 2.1),
      });
      const loss = torch.F.crossEntropy(
        m.forward(w(20, 0.37).view(5, 4)),
        torch.tensor([0, 2, 1, 1, 0], { dtype: "int64" }),
      );
      loss.backward();
      const grad = Array.from(m.parameters()[0].grad!.toFloat32Array());
      for (const r of [res.one, res.two]) {
        expect(Math.abs(r.loss - loss.item())).toBeLessThan(1e-5);
        r.grad.forEach((g: number, k: number) => expect(Math.abs(g - grad[k])).toBeLessThan(1e-5));
      }
    } finally {
      await browser.close();
    }
  });
});
