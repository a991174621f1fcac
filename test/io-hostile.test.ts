// Hand-made hostile and malformed PyTorch files, one per rule of the pickle reader and the
// storage checks: each is refused with a torch.LoadError that says what is wrong (or, where the
// file is valid but unusual, loads correctly), and nothing is allocated for a refused file.

import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends } from "./util.js";
import { readZip, writeZip } from "../ts/io/zip.js";

const enc = new TextEncoder();
/** Bytes from numbers, strings (latin-1 bytes) and byte arrays. */
function bytes(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") for (const c of p) out.push(c.charCodeAt(0));
    else for (const x of p) out.push(x);
  }
  return new Uint8Array(out);
}
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const str = (s: string) => {
  const b = enc.encode(s);
  return bytes(0x58, u32(b.length), b);
};
const int1 = (v: number) => bytes(0x4b, v);
/** A zip checkpoint from a data.pkl and storage records. */
const ptZip = (pkl: Uint8Array, storages: Record<string, Uint8Array> = {}) =>
  writeZip([
    ["archive/data.pkl", pkl],
    ...Object.entries(storages).map(([k, v]) => [`archive/data/${k}`, v] as [string, Uint8Array]),
    ["archive/version", enc.encode("3\n")],
  ]);
/** The pickle of _rebuild_tensor_v2(storage(key, type, numel), offset, size, stride). */
function tensorPkl(
  type: string,
  key: string,
  numel: number,
  offset: number,
  size: number[],
  stride: number[],
): Uint8Array {
  return bytes(
    "ctorch._utils\n_rebuild_tensor_v2\n",
    0x28,
    0x28,
    str("storage"),
    `ctorch\n${type}\n`,
    str(key),
    str("cpu"),
    bytes(0x4a, u32(numel)),
    0x74,
    0x51,
    bytes(0x4a, u32(offset)),
    0x28,
    ...size.map((d) => bytes(0x4a, u32(d))),
    0x74,
    0x28,
    ...stride.map((d) => bytes(0x4a, u32(d))),
    0x74,
    0x89,
    "ccollections\nOrderedDict\n",
    0x29,
    0x52,
    0x74,
    0x52,
  );
}
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

function refused(b: Uint8Array, re: RegExp): void {
  const before = torch.memory().numTensors;
  let err: unknown;
  try {
    torch.load(b);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a LoadError matching ${re}`).toBeInstanceOf(torch.LoadError);
  expect((err as Error).message).toMatch(/^torch\.load: /);
  expect((err as Error).message).toMatch(re);
  expect(torch.memory().numTensors, "a refused file leaves no tensors behind").toBe(before);
}

describeBackends("io: hostile and malformed .pt files", () => {
  it("the structural rules of the pickle reader", () => {
    const P = (...x: (number | string | Uint8Array | number[])[]) => ptZip(bytes(0x80, 2, ...x));
    refused(P(0x5d, str("k"), int1(1), 0x73, 0x2e), /SETITEM on a list \(only dicts take items\)/);
    refused(P(0x29, int1(1), 0x61, 0x2e), /APPEND on a tuple \(only lists can be appended to\)/);
    refused(P(0x7d, 0x28, int1(1), 0x65, 0x2e), /APPEND on a dict/);
    refused(P(0xff, 0x2e), /unknown opcode \(opcode 0xff at byte 2\)/);
    refused(P("ios\nsystem\n", 0x2e), /this opcode is not supported .*\(opcode INST at byte 2\)/);
    refused(P(0x28, 0x6f, 0x2e), /this opcode is not supported .*\(opcode OBJ at byte 3\)/);
    refused(P(0x82, 1, 0x2e), /this opcode is not supported .*\(opcode EXT1 at byte 2\)/);
    refused(P(0x68, 7, 0x2e), /memo key 7 was never stored/);
    refused(P(0x58, u32(0xfffffff0), "abc"), /ends inside an opcode \(4294967280 more bytes needed/);
    refused(P(0x8d, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), /a length of \d+ bytes is longer than the file/);
    refused(P(int1(1), int1(2), 0x2e), /the stack holds 2 values, not one/);
    refused(P(0x28, int1(1), 0x2e), /a MARK is still open/);
    refused(P(0x74), /no MARK to pop to/);
    refused(P(0x52), /the stack is empty/);
    refused(P(int1(1), 0x29, 0x52, 0x2e), /REDUCE on a int, which is not callable/);
    refused(P("ctorch\nFloatStorage\n", 0x29, 0x52, 0x2e), /REDUCE on torch.FloatStorage, which cannot be called/);
    refused(P("ccollections\nOrderedDict\n", int1(1), 0x52, 0x2e), /REDUCE arguments must be a tuple, got a int/);
    refused(P(0x80, 9, 0x2e), /protocol 9 is newer than 5/);
    expect(torch.load(P(str("a"), 0x2e))).toBe("a");
  });

  it("globals outside the allowlist are refused by name, however they are spelled", () => {
    const P = (...x: (number | string | Uint8Array | number[])[]) => ptZip(bytes(0x80, 4, ...x));
    refused(P("cos\nsystem\n", str("echo hi"), 0x85, 0x52, 0x2e), /the global os.system, which is not allowed/);
    refused(P(str("builtins"), str("eval"), 0x93, 0x2e), /the global builtins.eval, which is not allowed/);
    refused(P("c__builtin__\neval\n", 0x2e), /the global builtins.eval/);
    refused(P("ctorch.storage\n_load_from_bytes\n", 0x2e), /the global torch.storage._load_from_bytes/);
    refused(P("cnumpy.core.multiarray\n_reconstruct\n", 0x2e), /the global numpy.core.multiarray._reconstruct/);
    refused(P("ctorch\nconstructor\n", 0x2e), /the global torch.constructor/);
    refused(P("ctorch\n__proto__\n", 0x2e), /the global torch.__proto__/);
    refused(P("ctorch._utils\n_rebuild_tensor_v2\n", 0x2e, "x".repeat(300)), /STOP opcode|bytes after/);
    refused(P(`c${"a".repeat(500)}\nb\n`, 0x2e), /the global a{200}\.\.\., which is not allowed/);
    // persistent ids other than storages
    refused(P(0x28, str("module"), str("code"), 0x74, 0x51, 0x2e), /persistent id of kind "module"; only storages/);
  });

  it("every storage reference is checked against the storage's bytes", () => {
    const ok = torch.load(
      ptZip(bytes(0x80, 2, tensorPkl("FloatStorage", "0", 6, 1, [2, 2], [3, 1]), 0x2e), { 0: f32(0, 1, 2, 3, 4, 5) }),
    );
    expect(ok.tolist()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    const bad = (off: number, size: number[], stride: number[], re: RegExp) =>
      refused(
        ptZip(bytes(0x80, 2, tensorPkl("FloatStorage", "0", 6, off, size, stride), 0x2e), { 0: f32(0, 1, 2, 3, 4, 5) }),
        re,
      );
    bad(
      3,
      [2, 2],
      [3, 1],
      /offset 3, size \[2, 2\], stride \[3, 1\]\) reaches element 7 but the storage has 6 elements/,
    );
    bad(0, [7], [1], /reaches element 6 but the storage has 6/);
    bad(0, [2, 3], [4, 1], /reaches element 6/);
    bad(7, [0], [1], /reaches element 7/);
    bad(0, [0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff], [0, 0, 0, 0], /more than 2\^53 elements/);
    // a record whose size does not match the storage's declared elements
    refused(
      ptZip(bytes(0x80, 2, tensorPkl("FloatStorage", "0", 6, 0, [6], [1]), 0x2e), { 0: f32(0, 1, 2) }),
      /record archive\/data\/0 has 12 bytes but its torch.FloatStorage of 6 elements needs 24/,
    );
    refused(
      ptZip(bytes(0x80, 2, tensorPkl("FloatStorage", "1", 6, 0, [6], [1]), 0x2e), { 0: f32(0, 1, 2, 3, 4, 5) }),
      /storage "1" has no record archive\/data\/1/,
    );
    refused(
      ptZip(bytes(0x80, 2, tensorPkl("ComplexFloatStorage", "0", 3, 0, [3], [1]), 0x2e), { 0: f32(0, 1, 2, 3, 4, 5) }),
      /torch.ComplexFloatStorage, which torchlet cannot load/,
    );
    refused(
      ptZip(bytes(0x80, 2, tensorPkl("Storage", "0", 3, 0, [3], [1]), 0x2e), { 0: f32(0, 1, 2) }),
      /the global torch.Storage/,
    );
    // one key used with two types
    const two = bytes(
      0x80,
      2,
      0x28,
      tensorPkl("FloatStorage", "0", 3, 0, [3], [1]),
      tensorPkl("IntStorage", "0", 3, 0, [3], [1]),
      0x6c,
      0x2e,
    );
    refused(
      ptZip(two, { 0: f32(0, 1, 2) }),
      /storage "0" is referenced as torch.FloatStorage\(3\) and as torch.IntStorage\(3\)/,
    );
    // the same storage twice is one storage (tied)
    const tied = torch.load(
      ptZip(
        bytes(
          0x80,
          2,
          0x28,
          tensorPkl("FloatStorage", "0", 3, 0, [3], [1]),
          tensorPkl("FloatStorage", "0", 3, 1, [2], [1]),
          0x6c,
          0x2e,
        ),
        { 0: f32(7, 8, 9) },
      ),
    );
    expect(tied[1].storage).toBe(tied[0].storage);
    expect(tied[1].tolist()).toEqual([8, 9]);
  });

  it("zip archives: CRC, folder layout, TorchScript, deflate bombs", () => {
    const good = ptZip(bytes(0x80, 2, tensorPkl("FloatStorage", "0", 2, 0, [2], [1]), 0x2e), { 0: f32(1, 2) });
    expect(torch.load(good).tolist()).toEqual([1, 2]);
    // flip one byte inside the storage data: the CRC catches it
    const rec = readZip(good).get("archive/data/0") as unknown as { start: number };
    const flipped = good.slice();
    flipped[rec.start + 3] ^= 1; // the high byte of 1.0f
    expect(good[rec.start + 3]).toBe(0x3f);
    refused(flipped, /zip entry "archive\/data\/0" is corrupt \(CRC-32/);
    refused(writeZip([["data.pkl", bytes(0x80, 2, 0x4e, 0x2e)]]), /zip entry "data.pkl" is not in a folder/);
    refused(
      writeZip([
        ["m/constants.pkl", bytes(0x80, 2, 0x4e, 0x2e)],
        ["m/code/x.py", enc.encode("")],
      ]),
      /TorchScript archive/,
    );
    refused(writeZip([["m/other.txt", enc.encode("x")]]), /has no m\/data.pkl record/);
    refused(
      writeZip([
        ["m/data.pkl", bytes(0x80, 2, 0x4e, 0x2e)],
        ["m/version", enc.encode("99\n")],
      ]),
      /unsupported file format version "99"/,
    );
    refused(
      writeZip([
        ["m/data.pkl", bytes(0x80, 2, 0x4e, 0x2e)],
        ["m/byteorder", enc.encode("middle")],
      ]),
      /byteorder record says "middle"/,
    );
    expect(torch.load(writeZip([["m/data.pkl", bytes(0x80, 2, 0x4e, 0x2e)]]))).toBe(null);
    refused(writeZip([]), /the zip archive is empty/);
    refused(good.subarray(0, good.length - 30), /no end-of-central-directory record/);
  });

  it("legacy files: magic number, protocol, key list and storage counts", () => {
    const head = (magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19], proto = 1001) =>
      bytes(
        0x80,
        2,
        0x8a,
        10,
        magic,
        0x2e,
        0x80,
        2,
        0x4d,
        proto & 0xff,
        proto >> 8,
        0x2e,
        0x80,
        2,
        0x7d,
        str("little_endian"),
        0x88,
        0x73,
        0x2e,
      );
    const obj = bytes(
      0x80,
      2,
      0x28,
      "ctorch._utils\n_rebuild_tensor_v2\n",
      0x28,
      0x28,
      str("storage"),
      "ctorch\nFloatStorage\n",
      str("k1"),
      str("cpu"),
      int1(3),
      0x4e,
      0x74,
      0x51,
      int1(0),
      int1(3),
      0x85,
      int1(1),
      0x85,
      0x89,
      "ccollections\nOrderedDict\n",
      0x29,
      0x52,
      0x74,
      0x52,
      0x6c,
      0x2e,
    );
    const keys = bytes(0x80, 2, 0x5d, str("k1"), 0x61, 0x2e);
    const data = bytes([3, 0, 0, 0, 0, 0, 0, 0], f32(1, 2, 3));
    const ok = torch.load(bytes(head(), obj, keys, data));
    expect(ok[0].tolist()).toEqual([1, 2, 3]);
    refused(bytes(head([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), obj, keys, data), /no legacy magic number/);
    refused(bytes(head(undefined, 1000), obj, keys, data), /legacy protocol version 1000 is not supported/);
    refused(
      bytes(head(), obj, keys, bytes([4, 0, 0, 0, 0, 0, 0, 0], f32(1, 2, 3))),
      /storage "k1" holds 4 elements but its torch.FloatStorage was saved with 3/,
    );
    refused(bytes(head(), obj, keys, data.subarray(0, 15)), /the file ends inside storage "k1"/);
    refused(bytes(head(), obj, keys, data.subarray(0, 5)), /the file ends before storage "k1"/);
    refused(
      bytes(head(), obj, bytes(0x80, 2, 0x5d, 0x2e), data),
      /storage "k1" is used by a tensor but missing from the file/,
    );
    refused(
      bytes(head(), obj, bytes(0x80, 2, 0x5d, 0x28, str("k1"), str("k2"), 0x65, 0x2e), data),
      /names "k2", which no tensor uses/,
    );
    refused(bytes(head(), obj, bytes(0x80, 2, 0x4e, 0x2e), data), /storage key list is not a list of strings/);
    refused(bytes(head(), obj.subarray(0, 40)), /the object pickle is not a valid pickle: it ends/);
  });

  it("unusual but valid files load: deep nesting, 0-size tensors with a huge dimension", () => {
    const depth = 100_000;
    const deep = ptZip(bytes(0x80, 2, Array(depth).fill(0x5d), Array(depth - 1).fill(0x61), 0x2e));
    let v = torch.load(deep, { stripPrefix: "x." });
    let d = 1;
    while (Array.isArray(v) && v.length) {
      v = v[0];
      d++;
    }
    expect(d).toBe(depth);
    const h = enc.encode(JSON.stringify({ e: { dtype: "F32", shape: [2 ** 50, 0], data_offsets: [0, 0] } }));
    const st = new Uint8Array(8 + h.length);
    new DataView(st.buffer).setBigUint64(0, BigInt(h.length), true);
    st.set(h, 8);
    expect(torch.load(st).e.shape).toEqual([2 ** 50, 0]);
  });
});
