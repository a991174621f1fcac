// torch.save / torch.load: the format is recognised from the bytes (safetensors, PyTorch's zip
// archive, PyTorch's legacy stream), nothing in a file is ever executed, and a file is either
// loaded completely or refused with a LoadError ("torch.load: ...") before anything is allocated.

import { Tensor } from "../tensor.js";
import { A, parseArgs, type Check } from "../utils/args.js";
import { LoadError, dictSet, fail, inputBytes, nodeFs } from "./common.js";
import { loadLegacy, loadZip, looksLegacy, savePt } from "./pt.js";
import { loadSafetensors, saveSafetensors } from "./safetensors.js";

export { LoadError };

const strOrStrs = Object.assign(
  (v: unknown) => typeof v === "string" || (Array.isArray(v) && v.every((s) => typeof s === "string")),
  { desc: "a string or an array of strings" },
) as Check<string | string[]>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Tensor) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** The format of a file's bytes. */
export function detectFormat(b: Uint8Array): "zip" | "safetensors" | "legacy" | "tar" | "unknown" {
  // a local file header, or (an archive without entries) an end-of-central-directory record
  if (
    b.length >= 4 &&
    b[0] === 0x50 &&
    b[1] === 0x4b &&
    ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6) || (b[2] === 6 && b[3] === 6))
  )
    return "zip";
  if (b.length >= 9 && b[8] === 0x7b) {
    const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    if (n <= BigInt(b.length - 8)) return "safetensors";
  }
  if (looksLegacy(b)) return "legacy";
  if (b.length >= 262 && String.fromCharCode(...b.subarray(257, 262)) === "ustar") return "tar";
  return "unknown";
}

/**
 * Strips `prefix` from every key of a state dict that starts with it, in place (PyTorch's
 * torch.nn.modules.utils.consume_prefix_in_state_dict_if_present): `module.` of DataParallel /
 * DistributedDataParallel checkpoints, `_orig_mod.` of a torch.compile'd model. Returns the dict.
 *
 *   const sd = torch.consumePrefixInStateDictIfPresent(torch.load(f), "module.");
 *   // or in one step: torch.load(f, { stripPrefix: ["_orig_mod.", "module."] })
 */
export function consumePrefixInStateDictIfPresent<T extends Record<string, unknown>>(stateDict: T, prefix: string): T {
  const o = parseArgs("consumePrefixInStateDictIfPresent", [stateDict, prefix], { stateDict: A.any, prefix: A.str });
  const sd = o.stateDict as Record<string, unknown>;
  if (sd === null || typeof sd !== "object")
    throw new TypeError("consumePrefixInStateDictIfPresent: stateDict must be an object");
  if (!prefix) return stateDict;
  for (const key of Object.keys(sd)) {
    if (!key.startsWith(prefix)) continue;
    const v = sd[key];
    delete sd[key];
    dictSet(sd, key.slice(prefix.length), v);
  }
  return stateDict;
}

/** Applies the stripPrefix option to every state dict (a dict whose values are all tensors) in the result. */
function stripPrefixes(root: unknown, prefixes: string[]): void {
  // iterative: a loaded object may be nested arbitrarily deep
  const seen = new Set<object>();
  const todo: unknown[] = [root];
  while (todo.length) {
    const v = todo.pop();
    if (v === null || typeof v !== "object" || v instanceof Tensor || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) todo.push(x);
      continue;
    }
    if (!isPlainObject(v)) continue;
    const vals = Object.values(v);
    if (vals.length && vals.every((x) => x instanceof Tensor)) {
      for (const p of prefixes) consumePrefixInStateDictIfPresent(v, p);
      continue;
    }
    for (const x of vals) todo.push(x);
  }
}

/**
 * torch.load(f, { mapLocation, weightsOnly, stripPrefix }): reads a safetensors file, a PyTorch
 * checkpoint (zip, PyTorch >= 1.6) or a legacy one. `f` is the file's bytes (Uint8Array, Node
 * Buffer, ArrayBuffer; a view at any offset) or, in Node, a path. Returns the saved object: a state
 * dict, or a whole checkpoint `{ model, optimizer, epoch, ... }` (dicts as plain objects, lists and
 * tuples as arrays, sets as Sets, numbers (integers beyond 2^53 as BigInt), strings, booleans,
 * null, Uint8Array for bytes, and tensors: float32/int64 kept, float64/float16/bfloat16 as float32,
 * int8/16/32/uint8 as int64, bool as bool). Dict keys that are Python ints (an optimizer's state)
 * become strings. Loading is always weights-only: only tensors and containers are accepted (as
 * PyTorch's weights_only=True) and nothing in a file is executed; `weightsOnly: false` does not
 * change that. `mapLocation` is accepted for PyTorch compatibility and ignored (tensors go to the
 * active backend). `stripPrefix` ("module." or ["_orig_mod.", "module."]) removes those key
 * prefixes from every state dict in the result (see consumePrefixInStateDictIfPresent).
 * Any malformed, truncated or hostile file throws a LoadError and allocates nothing.
 */
/** What torch.load returns: the saved object, recursively (see load). A `Loaded` passes straight to
 *  `module.loadStateDict` / `optimizer.loadStateDict`, which check it at run time. load() is typed
 *  as returning a dict (the usual state dict or checkpoint); name another type for other objects:
 *  `torch.load<torch.Tensor>(bytes)`. */
export type Loaded =
  | Tensor
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | Set<Loaded>
  | Loaded[]
  | LoadedDict;
export interface LoadedDict {
  [key: string]: Loaded;
}

/** Reads what `torch.save` wrote, or a PyTorch `.pt` / `.pth` checkpoint, from bytes (`torch.load`). */
export function load<T extends Loaded = LoadedDict>(f: unknown, ...rest: unknown[]): T {
  const o = parseArgs("torch.load", [f, ...rest], {
    f: A.any,
    mapLocation: [A.nullable(A.or(A.str, A.func)), null],
    weightsOnly: A.kw(A.nullable(A.bool), null),
    stripPrefix: A.kw(A.nullable(strOrStrs), null),
  });
  const b = inputBytes(o.f);
  let out: unknown;
  switch (detectFormat(b)) {
    case "zip":
      out = loadZip(b);
      break;
    case "safetensors":
      out = loadSafetensors(b);
      break;
    case "legacy":
      out = loadLegacy(b);
      break;
    case "tar":
      return fail(
        "this is PyTorch's tar format (PyTorch < 0.4), which is not supported; load and re-save it with a newer PyTorch",
      );
    default:
      if (b.length >= 8 && !(b[0] === 0x80))
        out = loadSafetensors(b); // its errors say what is wrong
      else fail(`not a safetensors, PyTorch zip or legacy PyTorch file (${b.length} bytes)`);
  }
  if (o.stripPrefix !== null) stripPrefixes(out, typeof o.stripPrefix === "string" ? [o.stripPrefix] : o.stripPrefix);
  return out as T;
}

function isFlatStateDict(obj: unknown): boolean {
  if (obj instanceof Map) return [...obj.values()].every((v) => v instanceof Tensor);
  return isPlainObject(obj) && Object.values(obj).every((v) => v instanceof Tensor);
}

/**
 * torch.save(obj, f?, { format, metadata }): returns the file's bytes (and, in Node, writes them to
 * the path `f` when given). format "safetensors" (the default for a flat name -> tensor dict, or
 * when f ends in .safetensors) or "pt" (PyTorch's zip format, the default for anything else, or
 * when f ends in .pt/.pth/.bin/.ckpt: nested dicts, arrays, numbers, strings, booleans, null and
 * tensors, with shared storages kept shared; PyTorch's torch.load(f, weights_only=True) reads it).
 * `metadata` (safetensors only) maps strings to strings; numbers and booleans are saved as their
 * String(), anything else is a TypeError (Python's safetensors only reads string values).
 */
export function save(obj: unknown, ...rest: unknown[]): Uint8Array {
  const o = parseArgs("torch.save", [obj, ...rest], {
    obj: A.any,
    f: [A.nullable(A.str), null],
    format: A.kw(A.nullable(A.oneOf("safetensors", "pt")), null),
    metadata: A.kw(A.nullable(A.any), null),
  });
  let format = o.format;
  if (format === null && o.f !== null) {
    if (/\.safetensors$/i.test(o.f)) format = "safetensors";
    else if (/\.(pt|pth|bin|ckpt|tar)$/i.test(o.f)) format = "pt";
  }
  if (format === null) format = isFlatStateDict(obj) ? "safetensors" : "pt";
  let bytes: Uint8Array;
  if (format === "safetensors") {
    if (!(obj instanceof Map) && !isPlainObject(obj))
      throw new TypeError(
        'torch.save: safetensors holds a flat name -> tensor dict; use { format: "pt" } for other objects',
      );
    if (o.metadata !== null && !isPlainObject(o.metadata))
      throw new TypeError("torch.save: metadata must be an object of strings");
    bytes = saveSafetensors(obj as Record<string, unknown>, o.metadata as Record<string, unknown> | null);
  } else {
    if (o.metadata !== null) throw new TypeError("torch.save: metadata is only stored by the safetensors format");
    bytes = savePt(obj);
  }
  if (o.f !== null) {
    const fs = nodeFs();
    if (!fs) throw new TypeError("torch.save: a path can only be written in Node; use the returned bytes");
    fs.writeFileSync(o.f, bytes);
  }
  return bytes;
}
