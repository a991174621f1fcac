// Command-line parsing shared by the examples: one table of options per program instead of a
// hand-written loop in each. Flags are the kebab-case option names (`topK` -> `--top-k`);
// `--name value` and `--name=value` both work; a `bool` option is a switch (`--no-normalize`
// for an option named `normalize` that defaults to true). Bad input exits with status 2 and the
// usage text; `-h` / `--help` prints the usage and exits 0.
//
//   const o = parseCli(process.argv.slice(2), HELP, {
//     steps: ["int", 600], lr: ["float", 3e-3], data: ["string", "file.txt"], normalize: ["bool", true],
//   });

/** Prints `msg` on stderr and exits with status 2 (a usage error). */
export function die(msg) {
  console.error(msg);
  process.exit(2);
}

const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Parses `argv` against `spec` ({ name: [type, default] }, type "int" | "float" | "string" | "bool").
 * Options left undefined by default stay undefined. Positional arguments are collected in `_`
 * (rejected unless `positional` is true).
 */
export function parseCli(argv, help, spec, { positional = false } = {}) {
  const o = { _: [] };
  const byFlag = new Map();
  for (const [name, [type, def]] of Object.entries(spec)) {
    o[name] = def;
    if (type === "bool") byFlag.set(`--${def === true ? "no-" : ""}${kebab(name)}`, { name, type });
    else byFlag.set(`--${kebab(name)}`, { name, type });
  }
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (arg === "-h" || arg === "--help") {
      console.log(help);
      process.exit(0);
    }
    if (!arg.startsWith("--")) {
      if (!positional) die(`unexpected argument "${arg}"\n${help}`);
      o._.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const opt = byFlag.get(flag);
    if (!opt) die(`unknown option ${flag}\n${help}`);
    if (opt.type === "bool") {
      if (eq >= 0) die(`${flag} takes no value\n${help}`);
      o[opt.name] = !flag.startsWith("--no-");
      continue;
    }
    let text;
    if (eq >= 0) text = arg.slice(eq + 1);
    else if (k + 1 < argv.length) text = argv[++k];
    else die(`${flag} needs a value\n${help}`);
    o[opt.name] = convert(flag, opt.type, text, help);
  }
  return o;
}

function convert(flag, type, text, help) {
  if (type === "string") return text;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v)) die(`${flag} needs a number, got "${text}"\n${help}`);
  if (type === "int" && !Number.isInteger(v)) die(`${flag} needs an integer, got "${text}"\n${help}`);
  return v;
}
