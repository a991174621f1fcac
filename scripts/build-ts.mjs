// Builds the TypeScript facade: ESM + .d.ts with tsc (dist/esm), CommonJS bundle with esbuild (dist/cjs),
// and Node's ESM entry over the CJS bundle (dist/node).
// In the CJS bundle import.meta.url points at the matching ESM file, so relative asset URLs
// (the .wasm files in build/, the thread worker) resolve to the same places in both builds.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const t0 = Date.now();
rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], {
  stdio: "inherit",
  cwd: root,
});
mkdirSync(join(root, "dist/cjs"), { recursive: true });
await build({
  entryPoints: [join(root, "ts/index.ts")],
  outfile: join(root, "dist/cjs/index.cjs"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // print(model) and error messages use class names: keep them through the bundle's renaming
  keepNames: true,
  define: { "import.meta.url": "__torchletImportMetaUrl" },
  banner: {
    js: 'const __torchletImportMetaUrl = require("url").pathToFileURL(require("path").join(__dirname, "../esm/backends/loader.js")).href;',
  },
  logLevel: "warning",
});
writeFileSync(join(root, "dist/cjs/index.d.cts"), 'export * from "../esm/index.js";\n');
// In Node, `import "torchlet"` and `require("torchlet")` must share one copy of the library state
// (one Tensor class, one active backend): Node's "import" condition gets a thin ESM wrapper over the
// CJS bundle (browsers and bundlers get the real ESM build, dist/esm).
{
  const { createRequire } = await import("node:module");
  const names = Object.keys(createRequire(import.meta.url)(join(root, "dist/cjs/index.cjs"))).filter(
    (n) => n !== "default" && n !== "__esModule",
  );
  mkdirSync(join(root, "dist/node"), { recursive: true });
  writeFileSync(
    join(root, "dist/node/index.mjs"),
    `// Node's ESM entry: the CommonJS build's exports, so import and require share one library state.\n` +
      `import m from "../cjs/index.cjs";\n` +
      // `export { m_x as x }` works for every name, reserved words (torch.var) included
      names.map((n, i) => `const m${i} = m[${JSON.stringify(n)}];`).join("\n") +
      "\n" +
      `export { ${names.map((n, i) => `m${i} as ${n}`).join(", ")} };\n`,
  );
}
// The package ships its compiled kernels inside dist/ (dist/build/*.wasm, *.node), at the same
// relative place from dist/esm/backends/ as build/ is from ts/backends/.
const assets = join(root, "build");
if (existsSync(assets)) {
  mkdirSync(join(root, "dist/build"), { recursive: true });
  for (const f of readdirSync(assets))
    if (/\.(wasm|node)$/.test(f)) copyFileSync(join(assets, f), join(root, "dist/build", f));
}
console.log(`  ts: dist/esm + dist/cjs in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
