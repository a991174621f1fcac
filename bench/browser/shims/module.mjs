// node:module for the bench's engine modules in a browser page (bench/browser): require() of the
// peers returns the UMD globals the page loaded (tfjs), resolve() the package's path on the server.
const GLOBALS = {
  "@tensorflow/tfjs-core": () => globalThis.tf,
  "@tensorflow/tfjs-backend-wasm": () => globalThis.tf?.wasm,
};
export function createRequire(_base) {
  const req = (name) => {
    const g = GLOBALS[name]?.();
    if (!g) throw new Error(`require("${name}") is not available in the browser bench page`);
    return g;
  };
  req.resolve = (spec) => `/bench/peers/node_modules/${spec}`;
  return req;
}
export default { createRequire };
