// node:path (posix) for the bench's engine modules in a browser page (bench/browser).
function norm(p) {
  const out = [];
  for (const part of p.split("/")) {
    if (!part || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}
export function resolve(...parts) {
  let p = "";
  for (const s of parts) p = String(s).startsWith("/") ? String(s) : `${p}/${s}`;
  return norm(p);
}
export const join = (...parts) => norm(parts.join("/"));
export function dirname(p) {
  const n = norm(p);
  return n.slice(0, n.lastIndexOf("/")) || "/";
}
export const sep = "/";
export default { resolve, join, dirname, sep };
