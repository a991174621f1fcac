#!/usr/bin/env node
// Checks the API reference: TypeDoc (typedoc.json, ts/index.ts) builds without warnings, every
// exported class and function has a one-line summary doc comment, and every nn module class (a
// subclass of nn.Module under torch.nn) names the PyTorch class it mirrors ("torch.nn." in the
// summary). Prints what is missing and exits 1.
//   node scripts/check-docs.mjs               run TypeDoc into a temporary JSON file, then check it
//   node scripts/check-docs.mjs api.json      check TypeDoc JSON output made earlier (`typedoc --json`)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
// TypeDoc's ReflectionKind values
const K = { Namespace: 4, Function: 64, Class: 128, Constructor: 512, Method: 2048 };

/** Runs TypeDoc (typedoc.json, plus `extra` arguments) to JSON; returns [project, warnings]. */
export function runTypedoc(extra = []) {
  const dir = mkdtempSync(join(tmpdir(), "torchlet-docs-"));
  const out = join(dir, "api.json");
  const args = [
    join(ROOT, "node_modules/typedoc/bin/typedoc"),
    "--options",
    join(ROOT, "typedoc.json"),
    "--json",
    out,
    "--logLevel",
    "Warn",
    ...extra,
  ];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (r.error) throw r.error;
  const log = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  // a message and its continuation lines (e.g. the symbols a warning lists)
  const warnings = [];
  for (const l of log.split("\n").map((x) => x.replace(ANSI, "").trimEnd())) {
    if (/^\[(warning|error)\]/.test(l)) {
      if (!/Found \d+ errors? and \d+ warnings?/.test(l)) warnings.push(l);
    } else if (l.trim() && warnings.length && /^\s/.test(l)) warnings[warnings.length - 1] += ` ${l.trim()}`;
  }
  let project = null;
  try {
    project = JSON.parse(readFileSync(out, "utf8"));
  } catch {}
  rmSync(dir, { recursive: true, force: true });
  return [project, warnings];
}

const text = (parts) =>
  (parts ?? [])
    .map((p) => p.text)
    .join("")
    .trim();
/** A reflection's summary (a function's: its first documented signature's; a class's: its own,
 *  else its constructor's). */
function summary(r) {
  let s = text(r.comment?.summary);
  if (!s && r.signatures) s = text(r.signatures.find((x) => x.comment)?.comment?.summary);
  if (!s && r.kind === K.Class) {
    const ctor = r.children?.find((c) => c.kind === K.Constructor);
    s = text(ctor?.signatures?.find((x) => x.comment)?.comment?.summary);
  }
  return s;
}

export function checkProject(project) {
  const byId = new Map();
  const walk = (r, path) => {
    byId.set(r.id, { r, path });
    for (const c of r.children ?? []) walk(c, path ? `${path}.${c.name}` : c.name);
  };
  walk(project, "");
  /** Whether class r derives from nn.Module: by TypeDoc's extendedTypes links or names, or (through
   *  an unexported base) by the members it inherits from Module. */
  const isModule = (r, seen = new Set()) => {
    if (r.children?.some((c) => c.name === "namedModules" && c.inheritedFrom)) return true;
    for (const t of r.extendedTypes ?? []) {
      if (t.name === "Module" || t.qualifiedName === "Module") return true;
      const base = typeof t.target === "number" ? byId.get(t.target)?.r : null;
      if (base && !seen.has(base.id) && (seen.add(base.id), isModule(base, seen))) return true;
    }
    return false;
  };
  const problems = [];
  for (const { r, path } of byId.values()) {
    if (r.kind !== K.Class && r.kind !== K.Function) continue;
    if (path.startsWith("_internal")) continue;
    const s = summary(r);
    const what = r.kind === K.Class ? "class" : "function";
    if (!s) {
      problems.push(`${what} ${path}: no summary doc comment`);
      continue;
    }
    const inNn = path.startsWith("nn.") && !path.startsWith("nn.functional.") && !path.startsWith("nn.init.");
    if (r.kind === K.Class && inNn && (r.name === "Module" || isModule(r)) && !s.includes("torch.nn.")) {
      problems.push(
        `nn module ${path}: the summary does not name the PyTorch class it mirrors ("Mirrors \`torch.nn.X\`."): ${s.split("\n")[0]}`,
      );
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let project,
    warnings = [];
  if (process.argv[2]) project = JSON.parse(readFileSync(process.argv[2], "utf8"));
  else [project, warnings] = runTypedoc();
  const problems = [
    ...warnings.map((w) => `typedoc: ${w}`),
    ...(project ? checkProject(project) : ["typedoc wrote no JSON"]),
  ];
  for (const p of problems) console.log(p);
  console.log(problems.length ? `check-docs: ${problems.length} problem(s)` : "check-docs: ok");
  process.exit(problems.length ? 1 : 0);
}
