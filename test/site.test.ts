// The site (site/) built by Vite and run in headless Chromium: every page loads without console
// errors, shows the same numbers as torchlet in Node for the same inputs (site/src/demos.js runs in
// both), is screenshotted into test-output/site/; the training page trains in a worker to >= 80%
// test accuracy while the page keeps painting.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
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
    execFileSync("npm", ["run", "-s", "site:build"], { cwd: ROOT, stdio: "ignore" });
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
    expect(env.text).toMatch(/backend wasm, 2 thread/);
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
    const api = await page.goto(site.url + "/api/index.html");
    expect(api?.status()).toBe(200);
    expect(await page.textContent("body")).toMatch(/torchlet/);
    await page.close();
  }, 180_000);

  it("trains SimpleCNN in a worker to >= 80% test accuracy while the page paints at >= 30 fps", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(site.url + "/train.html");
    await page.click("#start");
    await page.waitForFunction(() => (window as any).__train.done, null, { timeout: 400_000, polling: 1000 });
    const st = await page.evaluate(() => ({
      acc: (window as any).__train.accuracy,
      fps: (window as any).__train.fps as number[],
      env: document.getElementById("env")!.textContent,
    }));
    await page.screenshot({ path: join(OUT, "train.png") });
    expect(errors).toEqual([]);
    expect(st.env).toMatch(/backend wasm/);
    expect(st.acc).toBeGreaterThanOrEqual(0.8);
    const fps = [...st.fps].sort((a, b) => a - b);
    expect(fps.length).toBeGreaterThan(2);
    expect(fps[Math.floor(fps.length / 2)]).toBeGreaterThanOrEqual(30);
    await page.close();
  }, 420_000);
});
