// torch.save / torch.load in the safetensors format: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}}, then the raw little-endian tensor bytes.

import { tensor } from "../creation.js";
import { Tensor } from "../tensor.js";

const DTYPES: Record<string, { bytes: number }> = { F32: { bytes: 4 }, I64: { bytes: 8 } };

/** Serialises a state dict (or any name → tensor record) to safetensors bytes. */
export function save(sd: Record<string, Tensor> | Map<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = sd instanceof Map ? [...sd.entries()] : Object.entries(sd);
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new TypeError(`save: value for "${name}" is not a Tensor`);
    let bytes: Uint8Array;
    if (t.dtype === "int64") {
      const src = t.dataSync();
      const b = new BigInt64Array(src.length);
      for (let k = 0; k < src.length; k++) b[k] = BigInt(src[k]);
      bytes = new Uint8Array(b.buffer);
    } else {
      bytes = new Uint8Array(t.toFloat32Array().buffer);
    }
    header[name] = { dtype: t.dtype === "int64" ? "I64" : "F32", shape: t.shape.slice(), data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hbytes = enc.encode(json);
  const padded = Math.ceil(hbytes.length / 8) * 8;
  if (padded !== hbytes.length) { json += " ".repeat(padded - hbytes.length); hbytes = enc.encode(json); }
  const out = new Uint8Array(8 + hbytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let at = 8 + hbytes.length;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Parses safetensors bytes into a name → tensor record (F32 and I64). Throws on malformed input. */
export function load(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length < 8) throw new RangeError("load: not a safetensors file (shorter than its 8-byte header length)");
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > u8.length - 8) throw new RangeError(`load: header length ${hlen} exceeds file size ${u8.length}`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new RangeError(`load: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + hlen, dataLen = u8.length - dataStart;
  // validate every entry before creating any tensor, so a bad file allocates nothing
  const plan: [string, string, number[], number, number][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const dt = DTYPES[info?.dtype];
    if (!dt) throw new TypeError(`load: tensor "${name}" has dtype ${info?.dtype}; only F32 and I64 are supported`);
    const shape: number[] = info.shape;
    const [b, e] = info.data_offsets ?? [];
    const n = shape.reduce((p: number, d: number) => p * d, 1);
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e > dataLen || e - b !== n * dt.bytes) {
      throw new RangeError(`load: tensor "${name}" has data_offsets [${b}, ${e}] inconsistent with shape [${shape}] or file size`);
    }
    plan.push([name, info.dtype, shape, b, e]);
  }
  const out: Record<string, Tensor> = {};
  for (const [name, dtype, shape, b, e] of plan) {
    const raw = u8.slice(dataStart + b, dataStart + e);
    if (dtype === "F32") out[name] = tensor(new Float32Array(raw.buffer), { shape });
    else {
      const big = new BigInt64Array(raw.buffer);
      const vals = new Int32Array(big.length);
      for (let k = 0; k < big.length; k++) vals[k] = Number(big[k]);
      out[name] = tensor(vals, { shape, dtype: "int64" });
    }
  }
  return out;
}
