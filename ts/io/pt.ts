// PyTorch's own checkpoint formats: the zip archive of torch.save (PyTorch >= 1.6: <prefix>/data.pkl,
// <prefix>/data/<key> storages, <prefix>/byteorder, <prefix>/version) and the legacy stream (< 1.6 or
// _use_new_zipfile_serialization=False: magic number, protocol and sys_info pickles, the object
// pickle, the sorted storage keys, then each storage as an 8-byte element count and its bytes).
//
// Loading is two passes over the object pickle: the first checks everything (every global, every
// storage reference and every tensor's offset + extent against its storage) and allocates nothing;
// then each storage becomes one torchlet tensor and the second pass makes every saved tensor a view
// of it (so tied weights stay shared and strided or offset views keep their values).

import { Tensor } from "../tensor.js";
import { ELEM, type ElemType, fail, flatTensor, numelChecked } from "./common.js";
import { PickleWriter, PyGlobal, STORAGE_TYPES, unpickle, type PickleHooks } from "./pickle.js";
import { readZip, writeZip, zipData, type ZipEntry } from "./zip.js";

interface StorageInfo {
  key: string;
  et: ElemType;
  numel: number;
  type: string;
}
/** What BINPERSID gives: a storage, or (legacy) a view of one. */
class StorageHandle {
  constructor(
    readonly info: StorageInfo,
    readonly offset: number,
    readonly numel: number,
  ) {}
}
/** What a tensor rebuilder gives in the checking pass. */
class PendingTensor {
  constructor(readonly dtype: string) {}
}

const isIntList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0);

function storageElem(t: unknown, key: string): { et: ElemType; type: string } {
  if (
    !(t instanceof PyGlobal) ||
    !t.path.startsWith("torch.") ||
    !Object.prototype.hasOwnProperty.call(STORAGE_TYPES, t.path.slice(6))
  ) {
    return fail(`storage "${key}" has type ${String(t)}, which is not a storage type`);
  }
  const code = STORAGE_TYPES[t.path.slice(6)];
  if (!Object.prototype.hasOwnProperty.call(ELEM, code))
    fail(
      `storage "${key}" is a ${t.path}, which torchlet cannot load (complex and quantized tensors are not supported)`,
    );
  return { et: ELEM[code], type: t.path };
}

/** The hooks of one pass: `bases` null = the checking pass. */
function hooks(storages: Map<string, StorageInfo>, bases: Map<string, Tensor> | null, legacy: boolean): PickleHooks {
  return {
    persistentLoad(pid) {
      if (pid.length < 1 || (pid[0] !== "storage" && !(pid[0] instanceof Uint8Array))) {
        return fail(
          `the file has a persistent id of kind ${JSON.stringify(typeof pid[0] === "string" ? pid[0] : String(pid[0]))}; only storages can be loaded`,
        );
      }
      if (pid[0] instanceof Uint8Array && new TextDecoder().decode(pid[0]) !== "storage")
        fail("only storages can be loaded from persistent ids");
      if (pid.length !== (legacy ? 6 : 5)) fail(`a storage id has ${pid.length} fields, expected ${legacy ? 6 : 5}`);
      const [, type, key, location, numel] = pid;
      if (typeof key !== "string") return fail(`a storage key is a ${typeof key}, not a string`);
      if (typeof location !== "string") fail(`storage "${key}" has a location that is not a string`);
      if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0)
        fail(`storage "${key}" has an invalid size ${String(numel)}`);
      const { et, type: tname } = storageElem(type, key);
      let info = storages.get(key);
      if (info) {
        if (info.type !== tname || info.numel !== numel)
          fail(`storage "${key}" is referenced as ${info.type}(${info.numel}) and as ${tname}(${numel})`);
      } else {
        if (bases) fail(`storage "${key}" appeared only in the second pass`);
        info = { key, et, numel: numel as number, type: tname };
        storages.set(key, info);
      }
      let off = 0,
        len = info.numel;
      const view = legacy ? pid[5] : null;
      if (view !== null) {
        // legacy storage views: (view_key, offset, size) in elements of the root storage
        if (!Array.isArray(view) || view.length !== 3 || typeof view[0] !== "string" || !isIntList(view.slice(1)))
          fail(`storage "${key}" has an invalid view record`);
        off = (view as number[])[1];
        len = (view as number[])[2];
        if (off + len > info.numel)
          fail(
            `storage view "${String((view as unknown[])[0])}" [${off}, ${off + len}) is outside storage "${key}" of ${info.numel} elements`,
          );
      }
      return new StorageHandle(info, off, len);
    },
    rebuildTensor(storage, offset, size, stride) {
      if (!(storage instanceof StorageHandle)) return fail("a tensor is rebuilt from something that is not a storage");
      const what = `a tensor of storage "${storage.info.key}"`;
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0)
        fail(`${what} has an invalid storage offset ${String(offset)}`);
      if (!isIntList(size)) return fail(`${what} has an invalid size ${String(size)}`);
      if (!isIntList(stride) || stride.length !== size.length)
        return fail(`${what} has an invalid stride ${String(stride)} for size [${size.join(", ")}]`);
      const n = numelChecked(size, what);
      let last = offset as number;
      if (n > 0) for (let k = 0; k < size.length; k++) last += (size[k] - 1) * stride[k];
      if (!Number.isSafeInteger(last) || (n > 0 ? last >= storage.numel : (offset as number) > storage.numel)) {
        fail(
          `${what} (offset ${offset}, size [${size.join(", ")}], stride [${stride.join(", ")}]) reaches element ${last} but the storage has ${storage.numel} elements`,
        );
      }
      if (!bases) return new PendingTensor(storage.info.et.dtype);
      const base = bases.get(storage.info.key)!;
      return base._viewAs(size.slice(), stride.slice(), storage.offset + (offset as number));
    },
    parameter(t, requiresGrad) {
      if (t instanceof Tensor && requiresGrad === true && t.dtype === "float32") t.requiresGrad = true;
      return t;
    },
    isTensor: (v) => v instanceof Tensor || v instanceof PendingTensor,
  };
}

/** Hooks for pickles that must not contain tensors (the legacy header pickles). */
const NO_TENSORS: PickleHooks = {
  persistentLoad: () => fail("a storage appears in a header pickle"),
  rebuildTensor: () => fail("a tensor appears in a header pickle"),
  parameter: (t) => t,
  isTensor: () => false,
};

/** One torchlet tensor per storage; all or nothing (a failure frees what was made). */
function makeBases(
  storages: Map<string, StorageInfo>,
  bytesOf: (info: StorageInfo) => Uint8Array,
  little: boolean,
): Map<string, Tensor> {
  const bases = new Map<string, Tensor>();
  try {
    for (const info of storages.values()) bases.set(info.key, flatTensor(bytesOf(info), info.et, info.numel, little));
  } catch (e) {
    for (const t of bases.values()) t.dispose();
    throw e;
  }
  return bases;
}

function secondPass<T>(bases: Map<string, Tensor>, run: () => T): T {
  let out: T;
  try {
    out = run();
  } finally {
    // the views hold the storages; the flat base tensors themselves are not returned
    for (const t of bases.values()) t.dispose();
  }
  return out;
}

/** Reads a PyTorch zip checkpoint. */
export function loadZip(b: Uint8Array): unknown {
  const entries = readZip(b);
  const first = entries.keys().next().value as string | undefined;
  if (first === undefined) fail("the zip archive is empty");
  const slash = first.indexOf("/");
  if (slash <= 0)
    fail(`zip entry "${first}" is not in a folder (PyTorch's archives keep every record under one top folder)`);
  const prefix = first.slice(0, slash + 1);
  const rec = (name: string): ZipEntry | undefined => entries.get(prefix + name);
  const pklEntry = rec("data.pkl");
  if (!pklEntry) {
    if (rec("constants.pkl") || [...entries.keys()].some((k) => k.startsWith(prefix + "code/"))) {
      fail("this is a TorchScript archive (torch.jit.save); torchlet loads files written by torch.save");
    }
    fail(`the zip archive has no ${prefix}data.pkl record`);
  }
  let little = true;
  const bo = rec("byteorder");
  if (bo) {
    const s = new TextDecoder().decode(zipData(b, bo)).trim();
    if (s !== "little" && s !== "big")
      fail(`the byteorder record says ${JSON.stringify(s.slice(0, 20))}, not "little" or "big"`);
    little = s === "little";
  }
  const ver = rec(".data/version") ?? rec("version");
  if (ver) {
    const s = new TextDecoder().decode(zipData(b, ver)).trim();
    if (!/^\d{1,3}$/.test(s) || Number(s) < 1 || Number(s) > 10)
      fail(`unsupported file format version ${JSON.stringify(s.slice(0, 20))}`);
  }
  const pkl = zipData(b, pklEntry);
  const storages = new Map<string, StorageInfo>();
  const r = unpickle(pkl, 0, hooks(storages, null, false), `${prefix}data.pkl`);
  if (r.end !== pkl.length) fail(`${prefix}data.pkl has ${pkl.length - r.end} bytes after its STOP opcode`);
  const data = new Map<string, Uint8Array>();
  for (const info of storages.values()) {
    const en = rec(`data/${info.key}`);
    if (!en) fail(`storage "${info.key}" has no record ${prefix}data/${info.key} in the archive`);
    const want = info.numel * info.et.bytes;
    if (en.size !== want)
      fail(
        `record ${prefix}data/${info.key} has ${en.size} bytes but its ${info.type} of ${info.numel} elements needs ${want}`,
      );
    data.set(info.key, zipData(b, en));
  }
  const bases = makeBases(storages, (info) => data.get(info.key)!, little);
  return secondPass(bases, () => unpickle(pkl, 0, hooks(storages, bases, false), `${prefix}data.pkl`).value);
}

const MAGIC = 0x1950a86a20f9469cfc6cn;

/** Reads a legacy (pre-1.6 / _use_new_zipfile_serialization=False) checkpoint. */
export function loadLegacy(b: Uint8Array): unknown {
  const magic = unpickle(b, 0, NO_TENSORS, "the file");
  if (magic.value !== MAGIC)
    fail(
      "the file is a pickle but not a PyTorch checkpoint (no legacy magic number); only torch.save files are loaded",
    );
  const proto = unpickle(b, magic.end, NO_TENSORS, "the legacy protocol record");
  if (proto.value !== 1001) fail(`legacy protocol version ${String(proto.value)} is not supported (expected 1001)`);
  const sys = unpickle(b, proto.end, NO_TENSORS, "the legacy sys_info record");
  const sv = sys.value as Record<string, unknown> | null;
  if (typeof sv !== "object" || sv === null || Array.isArray(sv)) fail("the legacy sys_info record is not a dict");
  const little = sv.little_endian !== false;
  const objStart = sys.end;
  const storages = new Map<string, StorageInfo>();
  const obj = unpickle(b, objStart, hooks(storages, null, true), "the object pickle");
  const keysR = unpickle(b, obj.end, NO_TENSORS, "the storage key list");
  const keys = keysR.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string"))
    fail("the legacy storage key list is not a list of strings");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = keysR.end;
  const at = new Map<string, number>();
  for (const key of keys as string[]) {
    const info = storages.get(key);
    if (!info) fail(`the legacy storage list names "${key}", which no tensor uses`);
    if (at.has(key)) fail(`the legacy storage list names "${key}" twice`);
    if (pos + 8 > b.length) fail(`the file ends before storage "${key}" (truncated)`);
    const count = dv.getBigUint64(pos, little);
    if (count !== BigInt(info.numel))
      fail(`storage "${key}" holds ${count} elements but its ${info.type} was saved with ${info.numel}`);
    const nbytes = info.numel * info.et.bytes;
    if (pos + 8 + nbytes > b.length)
      fail(`the file ends inside storage "${key}" (${nbytes} bytes needed, ${b.length - pos - 8} left; truncated)`);
    at.set(key, pos + 8);
    pos += 8 + nbytes;
  }
  for (const key of storages.keys())
    if (!at.has(key)) fail(`storage "${key}" is used by a tensor but missing from the file`);
  const bases = makeBases(
    storages,
    (info) => b.subarray(at.get(info.key)!, at.get(info.key)! + info.numel * info.et.bytes),
    little,
  );
  return secondPass(bases, () => unpickle(b, objStart, hooks(storages, bases, true), "the object pickle").value);
}

/** True when b starts like a legacy checkpoint: a pickle whose first value is the magic number. */
export function looksLegacy(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x80 && b[1] >= 2 && b[1] <= 5;
}

// ------------------------------------------------------------------ writer

const STORAGE_OF: Record<string, { type: string; bytes: number }> = {
  float32: { type: "FloatStorage", bytes: 4 },
  int64: { type: "LongStorage", bytes: 8 },
  bool: { type: "BoolStorage", bytes: 1 },
};

function storageBytes(t: Tensor): Uint8Array {
  const size = t.storage.size;
  const full = t._viewAs([size], [1], 0);
  let vals: ArrayLike<number | bigint>;
  try {
    vals = full.dataSync() as ArrayLike<number | bigint>;
  } finally {
    full.dispose();
  }
  if (t.dtype === "float32") {
    const f = vals instanceof Float32Array ? vals.slice() : Float32Array.from(vals as ArrayLike<number>);
    return new Uint8Array(f.buffer);
  }
  if (t.dtype === "int64") {
    const out = new BigInt64Array(size);
    for (let k = 0; k < size; k++) {
      const v = vals[k];
      out[k] = typeof v === "bigint" ? v : BigInt(Math.trunc(v));
    }
    return new Uint8Array(out.buffer);
  }
  const out = new Uint8Array(size);
  for (let k = 0; k < size; k++) out[k] = vals[k] ? 1 : 0;
  return out;
}

/** torch.save(obj, { format: "pt" }): PyTorch's zip format (protocol-2 pickle, storages shared as
 *  torchlet shares them), which PyTorch's torch.load(f, weights_only=True) reads. */
export function savePt(obj: unknown): Uint8Array {
  const w = new PickleWriter().proto();
  const storages = new Map<object, { key: string; t: Tensor }>();
  const active = new Set<object>();
  const write = (v: unknown, where: string): void => {
    if (v === null || v === undefined) {
      w.none();
      return;
    }
    if (typeof v === "boolean") {
      w.bool(v);
      return;
    }
    if (typeof v === "number") {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) w.int(v);
      else w.float(v);
      return;
    }
    if (typeof v === "bigint") {
      w.int(v);
      return;
    }
    if (typeof v === "string") {
      w.str(v);
      return;
    }
    if (typeof v !== "object") throw new TypeError(`torch.save: cannot save a ${typeof v} (at ${where})`);
    if (active.has(v)) throw new TypeError(`torch.save: the object contains a cycle (at ${where})`);
    if (v instanceof Tensor) {
      const st = STORAGE_OF[v.dtype];
      if (!st) throw new TypeError(`torch.save: cannot save a tensor of dtype ${v.dtype} (at ${where})`);
      const s = v.storage;
      let rec = storages.get(s);
      if (!rec) {
        rec = { key: String(storages.size), t: v };
        storages.set(s, rec);
      }
      w.global("torch._utils", "_rebuild_tensor_v2").mark();
      w.mark().str("storage").global("torch", st.type).str(rec.key).str("cpu").int(s.size).tuple().binpersid();
      w.int(v.offset);
      w.mark();
      for (const d of v.shape) w.int(d);
      w.tuple();
      w.mark();
      for (const d of v.strides) w.int(d);
      w.tuple();
      w.bool(false);
      w.global("collections", "OrderedDict").emptyTuple().reduce();
      w.tuple().reduce();
      return;
    }
    active.add(v);
    try {
      if (Array.isArray(v)) {
        w.emptyList();
        for (let k = 0; k < v.length; k += 1000) {
          w.mark();
          for (let j = k; j < Math.min(v.length, k + 1000); j++) write(v[j], `${where}[${j}]`);
          w.appends();
        }
        return;
      }
      let entries: [unknown, unknown][];
      if (v instanceof Map) entries = [...v.entries()];
      else {
        const p = Object.getPrototypeOf(v);
        if (p !== Object.prototype && p !== null) {
          throw new TypeError(
            `torch.save: cannot save a ${(v as object).constructor?.name ?? "object"} (at ${where}); save plain objects, arrays, numbers, strings, booleans, null and tensors (for a model or optimizer, its stateDict())`,
          );
        }
        entries = Object.entries(v);
      }
      // integer-like keys of a dict that is not a state dict (an optimizer's `state`) are written as
      // Python ints, the inverse of load's int -> string keys, so PyTorch resumes from the file
      const intKeys = entries.length > 0 && !entries.every(([, x]) => x instanceof Tensor);
      w.emptyDict();
      for (let k = 0; k < entries.length; k += 1000) {
        w.mark();
        for (const [key, val] of entries.slice(k, k + 1000)) {
          if (typeof key !== "string" && typeof key !== "number")
            throw new TypeError(`torch.save: dict keys must be strings or numbers (at ${where})`);
          if (intKeys && typeof key === "string" && /^(0|[1-9]\d{0,14})$/.test(key)) write(Number(key), where);
          else write(key, where);
          write(val, `${where}.${String(key)}`);
        }
        w.setitems();
      }
    } finally {
      active.delete(v);
    }
  };
  write(obj, "the saved object");
  w.stop();
  const files: [string, Uint8Array][] = [
    ["archive/data.pkl", w.bytes()],
    ["archive/byteorder", new TextEncoder().encode("little")],
  ];
  for (const { key, t } of storages.values()) files.push([`archive/data/${key}`, storageBytes(t)]);
  files.push(["archive/version", new TextEncoder().encode("3\n")]);
  return writeZip(files);
}
