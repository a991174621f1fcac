// The zip container of PyTorch's torch.save (>= 1.6): reading (end-of-central-directory, zip64,
// stored entries and, in Node, deflated ones; every offset and size checked against the file, CRC-32
// verified) and writing (stored entries with data aligned to 64 bytes, as PyTorch writes them).

import { crc32, decodeUtf8, fail, nodeZlib } from "./common.js";

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compSize: number;
  size: number;
  localOffset: number;
}

const SIG_EOCD = 0x06054b50,
  SIG_LOC64 = 0x07064b50,
  SIG_EOCD64 = 0x06064b50,
  SIG_CD = 0x02014b50,
  SIG_LOCAL = 0x04034b50;

/** The central directory of a zip file: entry name → entry, in archive order. */
export function readZip(b: Uint8Array): Map<string, ZipEntry> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length;
  const bad = (msg: string): never => fail(`not a valid zip archive (PyTorch checkpoint): ${msg}`);
  const safe64 = (at: number, what: string): number => {
    const v = dv.getBigUint64(at, true);
    if (v > BigInt(n)) bad(`${what} (${v}) is beyond the end of the file (${n} bytes)`);
    return Number(v);
  };
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 65535); p--) {
    if (dv.getUint32(p, true) === SIG_EOCD && p + 22 + dv.getUint16(p + 20, true) <= n) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) bad("no end-of-central-directory record (the file is truncated or not a zip)");
  if (dv.getUint16(eocd + 4, true) !== 0 || dv.getUint16(eocd + 6, true) !== 0)
    bad("multi-disk archives are not supported");
  let count = dv.getUint16(eocd + 10, true),
    cdSize = dv.getUint32(eocd + 12, true),
    cdOffset = dv.getUint32(eocd + 16, true);
  let cdLimit = eocd;
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === SIG_LOC64) {
    const z = safe64(eocd - 20 + 8, "the zip64 end-of-central-directory offset");
    if (z + 56 > eocd - 20 || dv.getUint32(z, true) !== SIG_EOCD64)
      bad("the zip64 end-of-central-directory record is missing or corrupt");
    if (dv.getUint32(z + 16, true) !== 0 || dv.getUint32(z + 20, true) !== 0)
      bad("multi-disk archives are not supported");
    count = safe64(z + 32, "the zip64 entry count");
    cdSize = safe64(z + 40, "the zip64 central directory size");
    cdOffset = safe64(z + 48, "the zip64 central directory offset");
    cdLimit = z;
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    bad("zip64 fields without a zip64 end-of-central-directory locator");
  }
  if (cdOffset + cdSize > cdLimit)
    bad(`the central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdLimit}`);
  if (count * 46 > cdSize) bad(`${count} entries cannot fit in a central directory of ${cdSize} bytes`);
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd || dv.getUint32(p, true) !== SIG_CD) bad(`central directory entry ${i} is corrupt`);
    const flags = dv.getUint16(p + 8, true),
      method = dv.getUint16(p + 10, true),
      crc = dv.getUint32(p + 16, true);
    let compSize = dv.getUint32(p + 20, true),
      size = dv.getUint32(p + 24, true);
    const nl = dv.getUint16(p + 28, true),
      el = dv.getUint16(p + 30, true),
      cl = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nl + el + cl > cdEnd) bad(`central directory entry ${i} runs past the directory`);
    const name = decodeUtf8(b.subarray(p + 46, p + 46 + nl), `zip entry name ${i}`);
    // zip64 extended information: the fields that are 0xFFFFFFFF, in this order
    let e = p + 46 + nl;
    const eEnd = e + el;
    while (e + 4 <= eEnd) {
      const id = dv.getUint16(e, true),
        len = dv.getUint16(e + 2, true);
      if (e + 4 + len > eEnd) bad(`entry "${name}" has a corrupt extra field`);
      if (id === 1) {
        let q = e + 4;
        const take = (what: string) => {
          if (q + 8 > e + 4 + len) bad(`entry "${name}" has a short zip64 field`);
          const v = safe64(q, `entry "${name}" ${what}`);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take("size");
        if (compSize === 0xffffffff) compSize = take("compressed size");
        if (localOffset === 0xffffffff) localOffset = take("offset");
      }
      e += 4 + len;
    }
    if (entries.has(name)) bad(`entry "${name}" appears twice`);
    entries.set(name, { name, method, flags, crc, compSize, size, localOffset });
    p += 46 + nl + el + cl;
  }
  // every entry's data must lie before the central directory
  for (const en of entries.values()) {
    const lo = en.localOffset;
    if (lo + 30 > cdOffset || dv.getUint32(lo, true) !== SIG_LOCAL)
      bad(`entry "${en.name}" has no local header at offset ${lo}`);
    const nl = dv.getUint16(lo + 26, true),
      el = dv.getUint16(lo + 28, true);
    const start = lo + 30 + nl + el;
    if (start + en.compSize > cdOffset)
      bad(`entry "${en.name}" ([${start}, ${start + en.compSize})) runs into the central directory at ${cdOffset}`);
    const lname = b.subarray(lo + 30, lo + 30 + nl);
    if (decodeUtf8(lname, `zip entry name`) !== en.name)
      bad(`entry "${en.name}" has a different name in its local header`);
    if (en.flags & 1) bad(`entry "${en.name}" is encrypted`);
    if (en.method !== 0 && en.method !== 8)
      bad(`entry "${en.name}" uses compression method ${en.method} (only stored and deflate are supported)`);
    if (en.method === 0 && en.compSize !== en.size)
      bad(`stored entry "${en.name}" has compressed size ${en.compSize} but size ${en.size}`);
    (en as ZipEntry & { start: number }).start = start;
  }
  return entries;
}

/** The (uncompressed, CRC-checked) bytes of an entry; stored entries are views of b. */
export function zipData(b: Uint8Array, en: ZipEntry): Uint8Array {
  const start = (en as ZipEntry & { start: number }).start;
  let data = b.subarray(start, start + en.compSize);
  if (en.method === 8) {
    const z = nodeZlib();
    if (!z)
      fail(
        `zip entry "${en.name}" is deflate-compressed, which can only be read in Node (PyTorch writes stored entries)`,
      );
    // deflate expands at most ~1032x: a larger declared size is a corrupt (or hostile) entry
    if (en.size > 1032 * en.compSize + 64)
      fail(
        `zip entry "${en.name}" claims ${en.size} bytes from ${en.compSize} compressed bytes, more than deflate can expand to`,
      );
    // and a "zip bomb" is refused: an entry may inflate to at most 64x the whole file (+ 1 MB)
    if (en.size > 64 * b.length + (1 << 20))
      fail(`zip entry "${en.name}" would inflate to ${en.size} bytes, more than 64x the file's ${b.length} bytes`);
    try {
      data = z.inflateRawSync(data, { maxOutputLength: Math.max(1, en.size) });
    } catch (e) {
      fail(`zip entry "${en.name}" does not inflate to its ${en.size} bytes (${(e as Error).message})`);
    }
    if (data.length !== en.size) fail(`zip entry "${en.name}" inflates to ${data.length} bytes, not ${en.size}`);
  }
  const c = crc32(data);
  if (c !== en.crc)
    fail(
      `zip entry "${en.name}" is corrupt (CRC-32 ${c.toString(16).padStart(8, "0")}, expected ${en.crc.toString(16).padStart(8, "0")})`,
    );
  return data;
}

/** A zip archive of stored entries, each entry's data aligned to 64 bytes. `zip64` forces the zip64
 *  extra fields (they are used anyway for sizes or offsets of 4 GiB and more). */
export function writeZip(files: [string, Uint8Array][], opts: { zip64?: boolean } = {}): Uint8Array {
  const enc = new TextEncoder();
  const LIM = 0xffffffff;
  interface Plan {
    name: Uint8Array;
    data: Uint8Array;
    crc: number;
    off: number;
    pad: number;
    z64: boolean;
  }
  const plans: Plan[] = [];
  let off = 0;
  for (const [name, data] of files) {
    const nb = enc.encode(name);
    const z64 = !!opts.zip64 || data.length >= LIM || off >= LIM;
    const fixed = 30 + nb.length + (z64 ? 20 : 0) + 4;
    const pad = (64 - ((off + fixed) % 64)) % 64;
    plans.push({ name: nb, data, crc: crc32(data), off, pad, z64 });
    off += fixed + pad + data.length;
  }
  const cdStart = off;
  let cdSize = 0;
  for (const p of plans) cdSize += 46 + p.name.length + (p.z64 ? 28 : 0);
  const total = cdStart + cdSize + 56 + 20 + 22;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const u16 = (at: number, v: number) => dv.setUint16(at, v, true);
  const u32 = (at: number, v: number) => dv.setUint32(at, v >>> 0, true);
  const u64 = (at: number, v: number) => dv.setBigUint64(at, BigInt(v), true);
  for (const p of plans) {
    let q = p.off;
    u32(q, SIG_LOCAL);
    u16(q + 4, p.z64 ? 45 : 20);
    u16(q + 6, 0x800);
    u16(q + 8, 0);
    u16(q + 10, 0);
    u16(q + 12, 0x21);
    u32(q + 14, p.crc);
    u32(q + 18, p.z64 ? LIM : p.data.length);
    u32(q + 22, p.z64 ? LIM : p.data.length);
    u16(q + 26, p.name.length);
    u16(q + 28, (p.z64 ? 20 : 0) + 4 + p.pad);
    out.set(p.name, q + 30);
    q += 30 + p.name.length;
    if (p.z64) {
      u16(q, 1);
      u16(q + 2, 16);
      u64(q + 4, p.data.length);
      u64(q + 12, p.data.length);
      q += 20;
    }
    u16(q, 0x4246);
    u16(q + 2, p.pad);
    q += 4 + p.pad; // "FB" padding, as PyTorch
    out.set(p.data, q);
  }
  let q = cdStart;
  for (const p of plans) {
    u32(q, SIG_CD);
    u16(q + 4, p.z64 ? 45 : 20);
    u16(q + 6, p.z64 ? 45 : 20);
    u16(q + 8, 0x800);
    u16(q + 10, 0);
    u16(q + 12, 0);
    u16(q + 14, 0x21);
    u32(q + 16, p.crc);
    u32(q + 20, p.z64 ? LIM : p.data.length);
    u32(q + 24, p.z64 ? LIM : p.data.length);
    u16(q + 28, p.name.length);
    u16(q + 30, p.z64 ? 28 : 0);
    u16(q + 32, 0);
    u16(q + 34, 0);
    u16(q + 36, 0);
    u32(q + 38, 0);
    u32(q + 42, p.z64 ? LIM : p.off);
    out.set(p.name, q + 46);
    q += 46 + p.name.length;
    if (p.z64) {
      u16(q, 1);
      u16(q + 2, 24);
      u64(q + 4, p.data.length);
      u64(q + 12, p.data.length);
      u64(q + 20, p.off);
      q += 28;
    }
  }
  // zip64 end of central directory + locator (PyTorch writes them always), then the classic record
  const z = q;
  u32(z, SIG_EOCD64);
  u64(z + 4, 44);
  u16(z + 12, 45);
  u16(z + 14, 45);
  u32(z + 16, 0);
  u32(z + 20, 0);
  u64(z + 24, plans.length);
  u64(z + 32, plans.length);
  u64(z + 40, cdSize);
  u64(z + 48, cdStart);
  u32(z + 56, SIG_LOC64);
  u32(z + 60, 0);
  u64(z + 64, z);
  u32(z + 72, 1);
  const e = z + 76;
  const big = plans.length >= 0xffff || cdStart >= LIM || cdSize >= LIM;
  u32(e, SIG_EOCD);
  u16(e + 4, 0);
  u16(e + 6, 0);
  u16(e + 8, big ? 0xffff : plans.length);
  u16(e + 10, big ? 0xffff : plans.length);
  u32(e + 12, big ? LIM : cdSize);
  u32(e + 16, big ? LIM : cdStart);
  u16(e + 20, 0);
  return out;
}
