#!/usr/bin/env node
// Builds the API reference (TypeDoc, typedoc.json) into site/public/api/. With --if-stale (site:build),
// only when it is missing or older than a file in ts/ or typedoc.json: TypeDoc takes a minute.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "site/public/api");

function newest(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const f of readdirSync(p)) m = Math.max(m, newest(join(p, f)));
  return m;
}

const index = join(OUT, "index.html");
if (process.argv.includes("--if-stale") && existsSync(index)) {
  const src = Math.max(newest(join(ROOT, "ts")), newest(join(ROOT, "typedoc.json")));
  if (statSync(index).mtimeMs > src) process.exit(0);
}
const r = spawnSync(
  process.execPath,
  [join(ROOT, "node_modules/typedoc/bin/typedoc"), "--options", "typedoc.json", "--out", OUT, "--logLevel", "Warn"],
  { cwd: ROOT, stdio: "inherit" },
);
process.exit(r.status ?? 1);
