// Real headless Chromium (Debian /usr/bin/chromium via playwright-core) loads the built ESM
// package (dist/esm/index.js, which fetches build/*.wasm relative to itself) from a local static
// server and runs the vertical slice on the wasm backend: MLP forward, cross entropy, backward,
// SGD steps. The numbers must match the same slice run here in Node on the js backend (1e-4).

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as torch from "../ts/index.js";
import { expectClose } from "./util.js";
import { startServer, type StaticServer } from "./browser/server.js";
// @ts-expect-error plain JS module shared with the page
import { runSlice, sliceSpec } from "./browser/slice.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

type SliceResult = {
  backend: string;
  initBackend: string;
  losses: number[];
  logits0: number[];
  grads0: Record<string, number[]>;
  state: Record<string, number[]>;
  probs: number[];
  memory: { numTensors: number; numBytes: number; backend: string };
};

describe.skipIf(!HAS_CHROMIUM)(
  `browser: headless Chromium, wasm backend${HAS_CHROMIUM ? "" : ` [SKIPPED: ${CHROMIUM} not found]`}`,
  () => {
    let server: StaticServer;
    let browser: any;
    let page: any;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      const dist = join(ROOT, "dist/esm/index.js");
      if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` first`);
      const wasm = existsSync(join(ROOT, "build"))
        ? readdirSync(join(ROOT, "build")).filter((f) => f.endsWith(".wasm"))
        : [];
      if (!wasm.length) throw new Error("build/ has no .wasm files: run `npm run build` first");
      server = await startServer(ROOT);
      const { chromium } = await import("playwright-core");
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
      page = await browser.newPage();
      page.on("pageerror", (e: Error) => pageErrors.push(`pageerror: ${e.message}`));
      page.on("console", (m: any) => {
        if (m.type() === "error") pageErrors.push(`console.error: ${m.text()}`);
      });
      page.on("requestfailed", (r: any) => pageErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
      await page.goto(`${server.url}/test/browser/index.html`);
      await page
        .waitForFunction(() => (window as any).__ready === true, null, { timeout: 30_000 })
        .catch((e: Error) => {
          throw new Error(`page did not load: ${e.message}\n${pageErrors.join("\n")}`);
        });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it("runs forward + cross entropy + backward + SGD on wasm and matches Node's js backend (1e-4)", async () => {
      let inBrowser: SliceResult;
      try {
        inBrowser = await page.evaluate(() => (window as any).runSlice({ backend: "wasm" }));
      } catch (e) {
        throw new Error(`slice failed in the browser: ${(e as Error).message}\n${pageErrors.join("\n")}`);
      }
      expect(inBrowser.backend).toBe("wasm");
      expect(inBrowser.initBackend).toBe("wasm");
      expect(inBrowser.memory.backend).toBe("wasm");
      expect(
        server.requests.some((p) => p.endsWith(".wasm")),
        `requests: ${server.requests.join(", ")}`,
      ).toBe(true);

      const inNode: SliceResult = await runSlice(torch, sliceSpec(), { backend: "js" });
      expect(inNode.backend).toBe("js");
      expectClose(inBrowser.logits0, inNode.logits0, 1e-4, 1e-4, "logits (step 0)");
      expectClose(inBrowser.losses, inNode.losses, 1e-4, 1e-4, "losses");
      for (const k of Object.keys(inNode.grads0))
        expectClose(inBrowser.grads0[k], inNode.grads0[k], 1e-4, 1e-4, `grad of ${k}`);
      for (const k of Object.keys(inNode.state))
        expectClose(inBrowser.state[k], inNode.state[k], 1e-4, 1e-4, `${k} after SGD`);
      expectClose(inBrowser.probs, inNode.probs, 1e-4, 1e-4, "probabilities after training");
      expect(inNode.losses[2]).toBeLessThan(inNode.losses[0]);
      expect(pageErrors, pageErrors.join("\n")).toEqual([]);
    });

    it("the default init() in the browser picks wasm (no native backend there)", async () => {
      const name = await page.evaluate(() => (window as any).torchlet.init());
      expect(name).toBe("wasm");
    });
  },
);
