// A training loop written as users write it (no dispose, no tidy, no await) reaches a memory
// plateau on every backend; the full 20,000-step soak with step-time bounds is `node bench/soak.mjs`.
import { expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends } from "./util.js";
// @ts-expect-error plain .mjs shared with the bench
import { peak, soakLoop } from "../bench/lib/soak-loop.mjs";

const STEPS = 3000;
const MB = 2 ** 20;

describeBackends("soak: synchronous training loop without dispose()", (backend) => {
  it.skipIf(backend === "js")(
    `RSS, JS heap, wasm memory and torch.memory() plateau over ${STEPS} steps`,
    () => {
      const steps = STEPS,
        q = steps / 4;
      const s = soakLoop(torch, { steps, every: steps / 20 });
      for (const key of ["rss", "heapUsed", "wasm", "bytes"]) {
        const early = peak(s, key, q, 2 * q),
          late = peak(s, key, 2 * q, steps);
        expect(late, `${key}: ${(early / MB).toFixed(1)} MB -> ${(late / MB).toFixed(1)} MB`).toBeLessThanOrEqual(
          early * 1.1 + 8 * MB,
        );
      }
      // what torch.memory() says is held stays near what one step uses (the model, its optimiser
      // state and what the loop's code holds), not the bytes of every tensor ever made
      expect(s[s.length - 1].bytes).toBeLessThan(8 * MB);
    },
    300_000,
  );
});
