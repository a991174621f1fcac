// The safetensors format: an 8-byte little-endian header length N, a UTF-8 JSON header of N bytes
// {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the raw little-endian
// tensor bytes. Parsing follows the format strictly (as Python's safetensors does, and where it is
// lenient, stricter): the header is a JSON object of at most 100 MB starting with "{", valid UTF-8,
// without duplicate keys at any level; each entry has exactly dtype (a known name), shape (ints >= 0)
// and data_offsets ([begin, end] ints, end - begin = numel * element size); the entries' byte ranges,
// sorted, are contiguous from 0 and cover the data section exactly; __metadata__ maps str to str.

import { Tensor } from "../tensor.js";
import { ELEM, LoadError, decodeUtf8, dictSet, fail, flatTensor, newDict, numelChecked } from "./common.js";

const MAX_HEADER = 100_000_000;
/** safetensors dtypes that exist in the format but that torchlet does not load. */
const KNOWN_UNSUPPORTED = new Set(["F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64", "C128"]);

type Json = null | boolean | number | string | Json[] | JsonObject;
/** A JSON object as its entries in order (duplicates are refused while parsing). */
class JsonObject {
  constructor(readonly entries: [string, Json][]) {}
}

/** A strict JSON parser (RFC 8259) that keeps key order and refuses duplicate keys. */
function parseJson(s: string): Json {
  let i = 0;
  const bad = (msg: string): never => fail(`safetensors header is not valid JSON: ${msg} at character ${i}`);
  const ws = () => {
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = "";
    let run = i;
    for (;;) {
      if (i >= s.length) bad("unterminated string");
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        out += s.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) bad("control character in a string");
      if (c === 0x5c) {
        out += s.slice(run, i);
        const e = s[i + 1];
        i += 2;
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e !== undefined && Object.prototype.hasOwnProperty.call(simple, e)) out += simple[e];
        else if (e === "u") {
          const hex = (at: number) => {
            const h = s.slice(at, at + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) bad("bad \\u escape");
            return parseInt(h, 16);
          };
          const u = hex(i);
          i += 4;
          if (u >= 0xd800 && u < 0xdc00) {
            if (s[i] !== "\\" || s[i + 1] !== "u") bad("lone surrogate in a \\u escape");
            const l = hex(i + 2);
            if (l < 0xdc00 || l >= 0xe000) bad("lone surrogate in a \\u escape");
            i += 6;
            out += String.fromCharCode(u, l);
          } else if (u >= 0xdc00 && u < 0xe000) bad("lone surrogate in a \\u escape");
          else out += String.fromCharCode(u);
        } else bad("bad escape in a string");
        run = i;
        continue;
      }
      i++;
    }
  };
  const value = (depth: number): Json => {
    if (depth > 64) bad("nested more than 64 levels");
    ws();
    const c = s[i];
    if (c === "{") {
      i++;
      const entries: [string, Json][] = [];
      const seen = new Set<string>();
      ws();
      if (s[i] === "}") {
        i++;
        return new JsonObject(entries);
      }
      for (;;) {
        ws();
        if (s[i] !== '"') bad("expected a string key");
        const k = str();
        if (seen.has(k)) fail(`safetensors header has the key ${JSON.stringify(k)} twice`);
        seen.add(k);
        ws();
        if (s[i] !== ":") bad("expected ':'");
        i++;
        entries.push([k, value(depth + 1)]);
        ws();
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === "}") {
          i++;
          return new JsonObject(entries);
        }
        bad("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: Json[] = [];
      ws();
      if (s[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === "]") {
          i++;
          return arr;
        }
        bad("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (s.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (s.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (s.startsWith("null", i)) {
      i += 4;
      return null;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(s.slice(i, i + 400));
    if (!m) return bad("unexpected character");
    i += m[0].length;
    return Number(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== s.length) bad("trailing characters after the header object");
  return v;
}

const typeName = (v: Json): string =>
  v === null ? "null" : v instanceof JsonObject ? "object" : Array.isArray(v) ? "array" : typeof v;
const isUint = (v: Json): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Parses safetensors bytes into a name → tensor record (insertion order of the header). */
export function loadSafetensors(u8: Uint8Array): Record<string, Tensor> {
  if (u8.length < 8) fail(`not a safetensors file: ${u8.length} bytes is shorter than its 8-byte header length`);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const hlen64 = dv.getBigUint64(0, true);
  if (hlen64 > BigInt(MAX_HEADER))
    fail(`safetensors header length ${hlen64} is more than the format's limit of 100 MB`);
  const hlen = Number(hlen64);
  if (hlen > u8.length - 8) fail(`safetensors header length ${hlen} exceeds file size ${u8.length}`);
  if (hlen < 2 || u8[8] !== 0x7b)
    fail("safetensors header does not start with '{' (not a safetensors file, or a corrupt one)");
  const header = parseJson(decodeUtf8(u8.subarray(8, 8 + hlen), "safetensors header"));
  if (!(header instanceof JsonObject)) fail(`safetensors header is a JSON ${typeName(header)}, not an object`);
  const dataStart = 8 + hlen,
    dataLen = u8.length - dataStart;
  interface Plan {
    name: string;
    et: (typeof ELEM)[string];
    shape: number[];
    n: number;
    b: number;
    e: number;
  }
  const plan: Plan[] = [];
  for (const [name, info] of (header as JsonObject).entries) {
    if (name === "__metadata__") {
      if (info === null) continue;
      if (!(info instanceof JsonObject))
        fail(`safetensors __metadata__ is a JSON ${typeName(info)}, not an object of strings`);
      for (const [k, v] of info.entries)
        if (typeof v !== "string")
          fail(`safetensors __metadata__ "${k}" is a JSON ${typeName(v)}; metadata values must be strings`);
      continue;
    }
    const t = `safetensors tensor ${JSON.stringify(name)}`;
    if (!(info instanceof JsonObject))
      fail(`${t} is a JSON ${typeName(info)}, not an object {dtype, shape, data_offsets}`);
    const f = new Map(info.entries);
    for (const k of f.keys())
      if (k !== "dtype" && k !== "shape" && k !== "data_offsets")
        fail(`${t} has the unknown field ${JSON.stringify(k)}`);
    const dtype = f.get("dtype"),
      shape = f.get("shape"),
      offs = f.get("data_offsets");
    if (typeof dtype !== "string")
      fail(`${t} has no dtype string (got ${dtype === undefined ? "nothing" : typeName(dtype)})`);
    if (!Object.prototype.hasOwnProperty.call(ELEM, dtype)) {
      fail(
        KNOWN_UNSUPPORTED.has(dtype)
          ? `${t} has dtype ${dtype}, which torchlet does not load`
          : `${t} has an unknown dtype ${JSON.stringify(dtype)}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isUint)) fail(`${t}: shape must be an array of non-negative integers`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isUint))
      fail(`${t}: data_offsets must be an array of two non-negative integers`);
    const [b, e] = offs as number[];
    const et = ELEM[dtype];
    const n = numelChecked(shape as number[], t);
    if (b > e) fail(`${t}: data_offsets [${b}, ${e}] end before they begin`);
    if (e - b !== n * et.bytes)
      fail(
        `${t}: data_offsets [${b}, ${e}] hold ${e - b} bytes but dtype ${dtype} and shape [${(shape as number[]).join(", ")}] need ${n * et.bytes}`,
      );
    if (e > dataLen)
      fail(`${t}: data_offsets [${b}, ${e}] run past the end of the data (${dataLen} bytes; file size ${u8.length})`);
    plan.push({ name, et, shape: shape as number[], n, b, e });
  }
  // the tensors' byte ranges, sorted, must tile the data section exactly
  const sorted = plan.slice().sort((x, y) => x.b - y.b || x.e - y.e);
  let at = 0;
  for (const p of sorted) {
    if (p.b < at)
      fail(
        `safetensors tensor ${JSON.stringify(p.name)}: data_offsets [${p.b}, ${p.e}] overlap another tensor's bytes`,
      );
    if (p.b > at)
      fail(
        `safetensors tensor ${JSON.stringify(p.name)}: data_offsets [${p.b}, ${p.e}] leave bytes [${at}, ${p.b}) unused (offsets must be contiguous)`,
      );
    at = p.e;
  }
  if (at !== dataLen)
    fail(
      `safetensors data is ${dataLen} bytes but the tensors cover ${at} (the file is truncated or has trailing bytes)`,
    );
  const out = newDict() as Record<string, Tensor>;
  try {
    for (const p of plan)
      dictSet(out, p.name, flatTensor(u8.subarray(dataStart + p.b, dataStart + p.e), p.et, p.n, true, p.shape));
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

const SAVE_DTYPE: Record<string, string> = { float32: "F32", int64: "I64", bool: "BOOL" };

function tensorBytes(t: Tensor): Uint8Array {
  if (t.dtype === "int64") {
    const src = t.dataSync() as ArrayLike<number | bigint>;
    const b = new BigInt64Array(src.length);
    for (let k = 0; k < src.length; k++) {
      const v = src[k];
      b[k] = typeof v === "bigint" ? v : BigInt(Math.trunc(v));
    }
    return new Uint8Array(b.buffer);
  }
  if (t.dtype === "bool") {
    const src = t.dataSync() as ArrayLike<number>;
    const b = new Uint8Array(src.length);
    for (let k = 0; k < src.length; k++) b[k] = src[k] ? 1 : 0;
    return b;
  }
  return new Uint8Array(t.toFloat32Array().buffer);
}

/** Serialises a flat name → tensor record (or Map) to safetensors bytes. Metadata values must be
 *  strings (Python's safetensors refuses anything else); numbers, booleans and bigints are
 *  converted with String(), any other value is a TypeError. */
export function saveSafetensors(
  sd: Record<string, unknown> | Map<string, unknown>,
  metadata?: Record<string, unknown> | null,
): Uint8Array {
  const entries = sd instanceof Map ? [...sd.entries()] : Object.entries(sd);
  const header: [string, unknown][] = [];
  if (metadata) {
    const md = newDict();
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v === "string") dictSet(md, k, v);
      else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") dictSet(md, k, String(v));
      else
        throw new TypeError(
          `torch.save: metadata "${k}" must be a string (or a number/boolean, saved as its String()), got ${v === null ? "null" : typeof v}`,
        );
    }
    header.push(["__metadata__", md]);
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of entries) {
    if (typeof name !== "string")
      throw new TypeError(`torch.save: safetensors tensor names must be strings, got ${typeof name}`);
    if (name === "__metadata__")
      throw new TypeError(`torch.save: "__metadata__" cannot be a tensor name in safetensors`);
    if (!(t instanceof Tensor))
      throw new TypeError(
        `torch.save: value for "${name}" is not a Tensor (safetensors holds a flat name -> tensor dict; use { format: "pt" } for other objects)`,
      );
    const dt = SAVE_DTYPE[t.dtype];
    if (!dt)
      throw new TypeError(`torch.save: tensor "${name}" has dtype ${t.dtype}, which safetensors cannot hold here`);
    const bytes = tensorBytes(t);
    header.push([name, { dtype: dt, shape: t.shape.slice(), data_offsets: [offset, offset + bytes.length] }]);
    parts.push(bytes);
    offset += bytes.length;
  }
  // JSON.stringify of an object would let "__proto__" or integer-like names move; write the entries in order
  let json = "{" + header.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",") + "}";
  const enc = new TextEncoder();
  let hbytes = enc.encode(json);
  const padded = Math.ceil(hbytes.length / 8) * 8;
  if (padded !== hbytes.length) {
    json += " ".repeat(padded - hbytes.length);
    hbytes = enc.encode(json);
  }
  const out = new Uint8Array(8 + hbytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let at = 8 + hbytes.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export { LoadError };
