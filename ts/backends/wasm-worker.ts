// Source of the thread worker of the threaded wasm build, run as a Node worker_thread (eval) or a
// browser Web Worker (Blob URL). It joins the Rust thread pool on the shared memory and stays there.

/** Receives {module, memory, stackTop, tls}, gives its instance its own stack and TLS block, then
 *  posts {ok} (or {ok: false, error}) and enters `tl_worker`, which never returns. */
export const WORKER_SOURCE = `
"use strict";
const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
const start = (port, d) => {
  let e;
  try {
    const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
    e = inst.exports;
    e.__stack_pointer.value = d.stackTop;
    e.__wasm_init_tls(d.tls);
  } catch (err) {
    port.postMessage({ ok: false, error: String((err && err.message) || err) });
    return;
  }
  port.postMessage({ ok: true });
  e.tl_worker();
};
// Node runs eval workers as CommonJS or as ES modules (like the parent), so import dynamically
if (isNode) import("node:worker_threads").then((wt) => wt.parentPort.once("message", (d) => start(wt.parentPort, d)));
else self.onmessage = (ev) => start(self, ev.data);
`;
