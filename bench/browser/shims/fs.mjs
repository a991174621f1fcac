// node:fs for the bench's engine modules in a browser page (bench/browser): paths are absolute
// paths on the bench server (its root = the repository), read with synchronous XHR.
function get(path, method) {
  const x = new XMLHttpRequest();
  x.open(method, path, false);
  x.send();
  return x;
}
export function existsSync(path) {
  return get(String(path), "HEAD").status === 200;
}
export function readFileSync(path, _enc) {
  const x = get(String(path), "GET");
  if (x.status !== 200) throw new Error(`ENOENT: ${path} (HTTP ${x.status})`);
  return x.responseText;
}
export function writeFileSync() {
  throw new Error("node:fs writeFileSync is not available in the browser bench page");
}
export default { existsSync, readFileSync, writeFileSync };
