// Vite config for the torchlet site. "torchlet" resolves to the package's real ESM build (dist/esm),
// exactly what an app that installed the package would get.
import { defineConfig } from "vite";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";

const root = import.meta.dirname;
const pages = Object.fromEntries(
  readdirSync(root)
    .filter((f) => f.endsWith(".html"))
    .map((f) => [f.replace(/\.html$/, ""), resolve(root, f)]),
);

export default defineConfig({
  root,
  base: "./",
  resolve: { alias: { torchlet: resolve(root, "../dist/esm/index.js") } },
  // keep class names through minification: print(model) names modules by their class (constructor.name)
  esbuild: { keepNames: true },
  worker: { format: "es" },
  build: { outDir: resolve(root, "dist"), emptyOutDir: true, target: "es2022", rollupOptions: { input: pages } },
  server: { headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } },
  preview: { headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } },
});
