// The site (site/) built by Vite and run in headless Chromium: every page loads without console
// errors, shows the same numbers as torchlet in Node for the same inputs (site/src/demos.js runs in
// both), is screenshotted into test-output/site/; the training page trains in a worker to >= 80%
// test accuracy while the page keeps painting.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as torch from "../ts/index.js";
// @ts-expect-error plain JS module shared with the site
import * as D from "../site/src/demos.js";
// @ts-expect-error plain JS module
import { startSite } from "../site/serve.mjs";

const ROOT = join(__dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
const OUT = join(ROOT, "test-output/site");
const PAGES: [string, (t: typeof torch) => unknown][] = [
  ["linear", (t) => D.linear(t, {})],
  ["conv2d", (t) => D.conv2d(t, { k: 3, stride: 1, padding: 1, dilation: 1, groups: 1, outC: 6 })],
  ["transposed", (t) => D.convTranspose(t, {})],
  ["onebyone", (t) => D.oneByOne(t, { dilation: 2 })],
  ["conv3d", (t) => D.conv3d(t, {})],
  ["pooling", (t) => D.pooling(t, { k: 2 })],
  ["activations", (t) => Object.fromEntries(D.ACTIVATIONS.map((n: string) => [n, D.activation(t, { name: n })]))],
  ["simplecnn", (t) => D.simpleCNN(t, {})],
  ["norm", (t) => D.norms(t, { batch: 4, train: true })],
  ["embedding", (t) => D.embedding(t, {})],
  ["recurrent", (t) => D.recurrent(t, { kind: "LSTM" })],
  ["lastlayer", (t) => D.lastLayer(t, {})],
  ["losses", (t) => D.losses(t, {})],
];

function close(a: unknown, b: unknown, path: string): void {
  if (typeof b === "number") {
    expect(typeof a, path).toBe("number");
    expect(Math.abs((a as number) - b), path).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(b));
    return;
  }
  if (Array.isArray(b)) {
    expect(Array.isArray(a), path).toBe(true);
    expect((a as unknown[]).length, path).toBe(b.length);
    b.forEach((v, k) => close((a as unknown[])[k], v, `${path}[${k}]`));
    return;
  }
  if (b && typeof b === "object") {
    for (const [k, v] of Object.entries(b)) close((a as Record<string, unknown>)?.[k], v, `${path}.${k}`);
    return;
  }
  expect(a, path).toEqual(b);
}
const strip = (o: unknown) => JSON.parse(JSON.stringify(o)); // what the page's JSON gives back

describe.skipIf(!existsSync(CHROMIUM))("site: the glossary pages and the training page in Chromium", () => {
  let site: { server: import("node:http").Server; url: string };
  let browser: import("playwright-core").Browser;
  beforeAll(async () => {
    // asynchronously: a minute-long synchronous build would starve vitest's worker RPC ("Timeout calling onTaskUpdate")
    await promisify(execFile)("npm", ["run", "-s", "site:build"], { cwd: ROOT, maxBuffer: 64 << 20 });
    site = await startSite(join(ROOT, "site/dist"), 0);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    mkdirSync(OUT, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => site?.server.close(ok));
  });

  it("every glossary page loads without console errors, matches torchlet in Node, and is not blank", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(site.url + "/index.html");
    await page.waitForFunction(() => document.getElementById("page")?.dataset.ready === "1", null, { timeout: 60_000 });
    const env = await page.evaluate(() => ({
      iso: crossOriginIsolated,
      text: document.getElementById("env")!.textContent,
    }));
    expect(env.iso).toBe(true);
    // the page shows torch.backendInfo() (which build loaded), not a guess
    const info = await page.evaluate(() => (window as any).__backend);
    expect(info).toMatchObject({
      backend: "wasm",
      threads: 2,
      simd: true,
      wasmThreads: true,
      crossOriginIsolated: true,
    });
    expect(info.variant).toMatch(/^mt/);
    expect(env.text).toContain(D.backendLine(info));
    expect(env.text).toMatch(/backend wasm \(torchlet-mt(-relaxed)?\.wasm: (relaxed )?SIMD \+ threads\), 2 thread/);
    await torch.init({ backend: "js" });
    for (const [id, compute] of PAGES) {
      await page.evaluate((h) => {
        location.hash = h;
      }, id);
      await page.waitForFunction(
        (h) =>
          document.getElementById("page")?.dataset.page === h && document.getElementById("page")?.dataset.ready === "1",
        id,
      );
      const got = await page.evaluate((h) => JSON.stringify((window as any).__demo[h]), id);
      expect(got, id).toBeTruthy();
      close(JSON.parse(got), strip(compute(torch)), id);
      const png = await page.screenshot({ path: join(OUT, `${id}.png`) });
      expect(png.length, `${id} screenshot`).toBeGreaterThan(8000);
    }
    expect(errors).toEqual([]);
    expect(await page.locator('nav a[href="./api/"]').textContent()).toBe("API reference");
    const api = await page.goto(site.url + "/api/index.html");
    expect(api?.status()).toBe(200);
    expect(await page.textContent("body")).toMatch(/torchlet/);
    // a class page and a function page of the reference, with their summaries
    const conv = await page.goto(site.url + "/api/classes/nn.Conv2d.html");
    expect(conv?.status()).toBe(200);
    expect(await page.textContent("body")).toContain("Mirrors torch.nn.Conv2d.");
    const fn = await page.goto(site.url + "/api/functions/backendInfo.html");
    expect(fn?.status()).toBe(200);
    expect(await page.textContent("body")).toMatch(/Which backend and which build/);
    await page.close();
  }, 180_000);

  it("after control changes, the demos still equal torchlet in Node for the same inputs", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await torch.init({ backend: "js" });
    const open = async (id: string) => {
      await page.goto(`${site.url}/index.html#${id}`);
      await page.waitForFunction(
        (h) =>
          document.getElementById("page")?.dataset.page === h && document.getElementById("page")?.dataset.ready === "1",
        id,
      );
    };
    // select controls: each change redraws synchronously, so the hook is current once selectOption returns
    const set = async (controls: Record<string, string | number>) => {
      for (const [name, v] of Object.entries(controls)) await page.selectOption(`select[name="${name}"]`, String(v));
    };
    const demo = async (id: string) =>
      JSON.parse(await page.evaluate((h) => JSON.stringify((window as any).__demo[h]), id));
    const text = (sel: string) => page.textContent(sel).then((t) => t ?? "");
    const nums = (t: string) => (t.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number);

    await open("conv2d");
    for (const c of [
      { k: 5, stride: 2, padding: 2, dilation: 2, groups: 3 },
      { k: 1, stride: 3, padding: 0, dilation: 1, groups: 1 },
      { k: 3, stride: 1, padding: 0, dilation: 2, groups: 3 },
    ]) {
      await set(c);
      const got = await demo("conv2d");
      expect(got.params, "conv2d controls").toEqual(c);
      const want = strip(D.conv2d(torch, { ...c, outC: 6 }));
      close(got, want, `conv2d ${JSON.stringify(c)}`);
      expect(await text("#shape")).toBe(
        `weight ${JSON.stringify(want.weightShape)}, output ${JSON.stringify(want.outShape)}, ${want.numParams} parameters`,
      );
      expect(await text("pre.torch")).toContain(`kernel_size=${c.k}, stride=${c.stride}, padding=${c.padding}`);
    }

    await open("transposed");
    for (const [input, kernel] of [
      [
        [1, -2, 0.5, 4],
        [3, 0, -1, 2],
      ],
      [
        [0.25, 0, 0, -8],
        [1, 1, 1, 1],
      ],
    ]) {
      await page.fill("#ti", input.join(","));
      await page.dispatchEvent("#ti", "change");
      await page.fill("#tk", kernel.join(","));
      await page.dispatchEvent("#tk", "change");
      const want = strip(D.convTranspose(torch, { input, kernel }));
      close(await demo("transposed"), want, `transposed ${input} * ${kernel}`);
      close(nums(await text("#out")), want.out, "transposed shown");
    }

    await open("pooling");
    for (const k of [3, 4]) {
      await set({ k });
      const want = strip(D.pooling(torch, { k }));
      const got = await demo("pooling");
      expect(got.params).toEqual({ k });
      close(got, want, `pooling k=${k}`);
      expect(got.outShape).toEqual([1, 1, Math.floor(32 / k), Math.floor(32 / k)]);
    }

    await open("activations");
    for (const c of [
      { range: 8, points: 21 },
      { range: 2, points: 161 },
    ]) {
      await set(c);
      expect(await page.evaluate(() => (window as any).__demo.activationParams)).toEqual(c);
      const want = Object.fromEntries(
        D.ACTIVATIONS.map((n: string) => [n, D.activation(torch, { name: n, n: c.points, lo: -c.range, hi: c.range })]),
      );
      close(await demo("activations"), strip(want), `activations ${JSON.stringify(c)}`);
    }

    await open("norm");
    for (const c of [
      { batch: 1, mode: "train" },
      { batch: 8, mode: "eval" },
      { batch: 2, mode: "train" },
    ]) {
      await set(c);
      const got = await demo("norm");
      expect(got.params).toEqual(c);
      const want = strip(D.norms(torch, { batch: c.batch, train: c.mode === "train" }));
      close(got, want, `norm ${JSON.stringify(c)}`);
      const shown = await text("#page");
      const fmt = (a: number[]) => `[${a.map((v) => v.toFixed(3)).join(", ")}]`;
      if (want.bn) expect(shown).toContain(`BatchNorm (${c.mode}): ${fmt(want.bn.slice(0, 8))}`);
      else expect(shown).toContain(want.bnError);
      expect(shown).toContain(`LayerNorm: ${fmt(want.ln.slice(0, 8))}`);
      expect(shown).toContain(`running_mean after: ${fmt(want.runningMean)}`);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("trains SimpleCNN in a worker to >= 80% test accuracy while the page paints at >= 30 fps", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(site.url + "/train.html");
    expect(await page.locator('header a[href="./api/"]').textContent()).toBe("API reference");
    await page.click("#start");
    await page.waitForFunction(() => (window as any).__train.done, null, { timeout: 400_000, polling: 1000 });
    const st = await page.evaluate(() => ({
      acc: (window as any).__train.accuracy,
      fps: (window as any).__train.fps as number[],
      env: document.getElementById("env")!.textContent,
      backend: (window as any).__train.backend,
    }));
    await page.screenshot({ path: join(OUT, "train.png") });
    expect(errors).toEqual([]);
    expect(st.env).toMatch(/backend wasm \(torchlet-[a-z-]+\.wasm: /);
    expect(st.backend).toMatchObject({ backend: "wasm", simd: true });
    expect(st.env).toContain(D.backendLine(st.backend));
    expect(st.acc).toBeGreaterThanOrEqual(0.8); // seeded run: 0.8185 on wasm 2T in Chromium
    const fps = [...st.fps].sort((a, b) => a - b);
    expect(fps.length).toBeGreaterThan(2);
    expect(fps[Math.floor(fps.length / 2)]).toBeGreaterThanOrEqual(30);
    await page.close();
  }, 420_000);
});
