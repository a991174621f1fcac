#!/usr/bin/env node
// Serves the built site (site/dist) on http://127.0.0.1:PORT with the cross-origin isolation headers
// (COOP same-origin + COEP require-corp) that SharedArrayBuffer, and so threaded wasm, needs.
//   node site/serve.mjs [--port 5180] [--dir site/dist]
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

export function startSite(dir, port = 0) {
  const base = resolve(dir);
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end("forbidden");
      return;
    }
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error("not a file");
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
        "cache-control": "no-cache",
      });
      res.end(await readFile(file));
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
    }
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = process.argv.slice(2),
    get = (n, d) => {
      const k = a.indexOf(n);
      return k >= 0 ? a[k + 1] : d;
    };
  const { url } = await startSite(get("--dir", join(import.meta.dirname, "dist")), parseInt(get("--port", "5180"), 10));
  console.log(`torchlet site on ${url}/ (cross-origin isolated: COOP same-origin, COEP require-corp)`);
}
