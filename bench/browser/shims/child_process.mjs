// node:child_process for the bench's engine modules in a browser page (bench/browser): nothing
// can be spawned; the driver (bench/browser/driver.mjs) exports missing ONNX models beforehand.
export function spawnSync(cmd) {
  return { status: 1, stderr: `cannot run ${cmd} in the browser page (the driver exports models first)` };
}
export default { spawnSync };
