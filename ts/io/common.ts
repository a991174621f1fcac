// Shared pieces of the file readers and writers: the error class every parse failure throws, input
// normalisation (Uint8Array views at any offset, ArrayBuffer, a path in Node), the element types of
// safetensors and PyTorch storages with their conversion to torchlet's dtypes, CRC-32, and dicts
// whose keys cannot touch a prototype.

import { tensor } from "../creation.js";
import type { Tensor } from "../tensor.js";

/** Thrown for any file that torch.load refuses: malformed, truncated, hostile or unsupported. */
export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoadError";
  }
}

/** Throws a LoadError with the "torch.load: " prefix. */
export function fail(msg: string): never {
  throw new LoadError(`torch.load: ${msg}`);
}

type NodeFs = { readFileSync(p: string): Uint8Array; writeFileSync(p: string, d: Uint8Array): void };
/** node:fs in Node (hidden from bundlers), or null in a browser. */
export function nodeFs(): NodeFs | null {
  const p = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (m: string) => unknown } })
    .process;
  if (!p?.versions?.node || typeof p.getBuiltinModule !== "function") return null;
  return p.getBuiltinModule("node:fs") as NodeFs;
}
/** node:zlib in Node, or null. */
export function nodeZlib(): { inflateRawSync(b: Uint8Array, o: { maxOutputLength: number }): Uint8Array } | null {
  const p = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (m: string) => unknown } })
    .process;
  if (!p?.versions?.node || typeof p.getBuiltinModule !== "function") return null;
  return p.getBuiltinModule("node:zlib") as never;
}

/** The bytes of a load() argument: a Uint8Array (a Node Buffer, a view at any offset), any other
 *  ArrayBufferView, an ArrayBuffer, or (Node) a file path. */
export function inputBytes(f: unknown): Uint8Array {
  if (f instanceof Uint8Array) return f;
  if (ArrayBuffer.isView(f)) return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  if (f instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && f instanceof SharedArrayBuffer))
    return new Uint8Array(f);
  if (typeof f === "string" || f instanceof URL) {
    const fs = nodeFs();
    if (!fs)
      throw new TypeError(
        "torch.load: a path can only be read in Node; pass the file's bytes (Uint8Array or ArrayBuffer)",
      );
    const b = fs.readFileSync(f as string);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  throw new TypeError(
    `torch.load: expected the file's bytes (Uint8Array, Buffer or ArrayBuffer) or a path, got ${f === null ? "null" : typeof f}`,
  );
}

// ------------------------------------------------------------------ element types

/** An element type of a file, with its size in bytes and the torchlet dtype it loads as. */
export interface ElemType {
  name: string;
  bytes: number;
  dtype: "float32" | "int64" | "bool";
}
/** safetensors dtype names (the same names are used internally for PyTorch storage types). */
export const ELEM: Record<string, ElemType> = {
  F32: { name: "F32", bytes: 4, dtype: "float32" },
  F64: { name: "F64", bytes: 8, dtype: "float32" },
  F16: { name: "F16", bytes: 2, dtype: "float32" },
  BF16: { name: "BF16", bytes: 2, dtype: "float32" },
  I64: { name: "I64", bytes: 8, dtype: "int64" },
  I32: { name: "I32", bytes: 4, dtype: "int64" },
  I16: { name: "I16", bytes: 2, dtype: "int64" },
  I8: { name: "I8", bytes: 1, dtype: "int64" },
  U8: { name: "U8", bytes: 1, dtype: "int64" },
  U16: { name: "U16", bytes: 2, dtype: "int64" },
  U32: { name: "U32", bytes: 4, dtype: "int64" },
  U64: { name: "U64", bytes: 8, dtype: "int64" },
  BOOL: { name: "BOOL", bytes: 1, dtype: "bool" },
};

const f32buf = new Float32Array(1),
  u32buf = new Uint32Array(f32buf.buffer);
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
/** A copy of b in a new ArrayBuffer (a Node Buffer's slice() would be a view of its pool). */
export function copyBytes(b: Uint8Array): Uint8Array {
  const c = new Uint8Array(b.length);
  c.set(b);
  return c;
}
/** b itself when its offset is a multiple of `align` (a typed-array view can then read it in place:
 *  torch.tensor copies it), else an aligned copy. */
function aligned(b: Uint8Array, align: number): Uint8Array {
  return b.byteOffset % align === 0 ? b : copyBytes(b);
}
const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The values of `n` elements of type `et` stored at `bytes` (exactly n * et.bytes long), as the
 *  array torch.tensor() takes for the dtype they load as. */
export function decodeElements(
  bytes: Uint8Array,
  et: ElemType,
  n: number,
  little = true,
): Float32Array | Int32Array | BigInt64Array | Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (et.name) {
    case "F32": {
      if (little === hostLittle) {
        const a = aligned(bytes, 4);
        return new Float32Array(a.buffer, a.byteOffset, n);
      }
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) out[k] = dv.getFloat32(4 * k, little);
      return out;
    }
    case "F64": {
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) out[k] = dv.getFloat64(8 * k, little);
      return out;
    }
    case "F16": {
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) out[k] = halfToFloat(dv.getUint16(2 * k, little));
      return out;
    }
    case "BF16": {
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        u32buf[0] = dv.getUint16(2 * k, little) << 16;
        out[k] = f32buf[0];
      }
      return out;
    }
    case "I64": {
      const a = aligned(bytes, 8);
      const out = little === hostLittle ? new BigInt64Array(a.buffer, a.byteOffset, n) : new BigInt64Array(n);
      for (let k = 0; k < n; k++) {
        // the high word tells whether |v| <= 2^53 without a BigInt operation per element
        const hi = dv.getInt32(8 * k + (little ? 4 : 0), little);
        if (little !== hostLittle) out[k] = dv.getBigInt64(8 * k, little);
        if (hi >= -0x200000 && hi < 0x200000) continue;
        const v = out[k];
        if (BigInt(Number(v)) !== v)
          fail(
            `an int64 value (${v}) is beyond 2^53 and cannot be held exactly by a JS number (torchlet's int64 tensors)`,
          );
      }
      return out;
    }
    case "U64": {
      const out = new BigInt64Array(n);
      for (let k = 0; k < n; k++) {
        const v = dv.getBigUint64(8 * k, little);
        if (v > 0x7fffffffffffffffn || BigInt(Number(v)) !== v)
          fail(
            `a U64 value (${v}) is beyond 2^53 and cannot be held exactly by a JS number (torchlet's int64 tensors)`,
          );
        out[k] = v;
      }
      return out;
    }
    case "U32": {
      const out = new BigInt64Array(n);
      for (let k = 0; k < n; k++) out[k] = BigInt(dv.getUint32(4 * k, little));
      return out;
    }
    case "I32": {
      if (little === hostLittle) {
        const a = aligned(bytes, 4);
        return new Int32Array(a.buffer, a.byteOffset, n);
      }
      const out = new Int32Array(n);
      for (let k = 0; k < n; k++) out[k] = dv.getInt32(4 * k, little);
      return out;
    }
    case "I16": {
      const out = new Int32Array(n);
      for (let k = 0; k < n; k++) out[k] = dv.getInt16(2 * k, little);
      return out;
    }
    case "U16": {
      const out = new Int32Array(n);
      for (let k = 0; k < n; k++) out[k] = dv.getUint16(2 * k, little);
      return out;
    }
    case "I8": {
      const out = new Int32Array(n);
      for (let k = 0; k < n; k++) out[k] = dv.getInt8(k);
      return out;
    }
    case "U8": {
      const out = new Int32Array(n);
      for (let k = 0; k < n; k++) out[k] = bytes[k];
      return out;
    }
    case "BOOL": {
      const out = new Uint8Array(n);
      for (let k = 0; k < n; k++) out[k] = bytes[k] ? 1 : 0;
      return out;
    }
  }
  return fail(`element type ${et.name} is not supported`);
}

/** A torchlet tensor (1-d unless `shape` is given) holding n elements of type et read from bytes. */
export function flatTensor(bytes: Uint8Array, et: ElemType, n: number, little = true, shape: number[] = [n]): Tensor {
  const vals = decodeElements(bytes, et, n, little);
  return tensor(vals as never, { shape: shape.slice(), dtype: et.dtype as never });
}

/** Product of a shape with an overflow check (beyond 2^53 elements is refused). */
export function numelChecked(shape: readonly number[], what: string): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) fail(`${what}: shape [${shape.join(", ")}] has more than 2^53 elements`);
  }
  return n;
}

// ------------------------------------------------------------------ CRC-32 (zip)

let crcTable: Int32Array | null = null;
function table(): Int32Array {
  if (crcTable) return crcTable;
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++)
    for (let s = 1; s < 8; s++) t[s * 256 + n] = (t[(s - 1) * 256 + n] >>> 8) ^ t[t[(s - 1) * 256 + n] & 0xff];
  return (crcTable = t);
}
/** The CRC-32 (zip's) of bytes, as an unsigned 32-bit number. */
export function crc32(b: Uint8Array): number {
  const t = table();
  let c = -1,
    k = 0;
  const n8 = b.length & ~7;
  for (; k < n8; k += 8) {
    const lo = (b[k] | (b[k + 1] << 8) | (b[k + 2] << 16) | (b[k + 3] << 24)) ^ c;
    c =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + b[k + 4]] ^
      t[512 + b[k + 5]] ^
      t[256 + b[k + 6]] ^
      t[b[k + 7]];
  }
  for (; k < b.length; k++) c = t[(c ^ b[k]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// ------------------------------------------------------------------ dicts

/** A new plain object for a loaded dict. Keys are set with dictSet, so `__proto__` is an ordinary key. */
export function newDict(): Record<string, unknown> {
  return {};
}
/** Sets an own, enumerable key (never a prototype setter); an existing key keeps its position. */
export function dictSet(d: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(d, key, { value, enumerable: true, writable: true, configurable: true });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** Strict UTF-8 decoding: invalid bytes are a LoadError naming `what`. */
export function decodeUtf8(b: Uint8Array, what: string): string {
  try {
    return utf8.decode(b);
  } catch {
    return fail(`${what} is not valid UTF-8`);
  }
}
