// The torchlet package as bench/lib/engine-torchlet.mjs sees it in the browser page (its
// TORCHLET_ENTRY): dist/esm, with init() forced onto the wasm file the column names.
import * as torch from "../../dist/esm/index.js";

export * from "../../dist/esm/index.js";
export function init(opts) {
  return torch.init({ ...opts, ...(globalThis.__benchInit ?? {}) });
}
