// A pickle reader that executes nothing: a small interpreter of the opcodes that PyTorch's files
// use (protocols 2-5, and the simple protocol-0/1 ones), whose GLOBAL/STACK_GLOBAL accept only an
// allowlist of data-only names (containers, tensor rebuilders, storage types, torch.Size, ...).
// Every other global, every unknown opcode and every structural inconsistency is a LoadError.
// Memory is bounded by the input: each pushed value costs at least one opcode byte, and every
// string, bytes or integer length is checked against the bytes that remain.
//
// And a pickle writer (protocol 2, the opcodes PyTorch's own weights_only unpickler accepts) for
// torch.save(obj, { format: "pt" }).

import { copyBytes, dictSet, decodeUtf8, fail, newDict } from "./common.js";

/** An allowlisted global: a callable (REDUCE/NEWOBJ) or a class used as a value (storage types). */
export class PyGlobal {
  constructor(
    readonly path: string,
    readonly call?: (args: unknown[]) => unknown,
  ) {}
  toString(): string {
    return this.path;
  }
}

/** numpy.dtype(code, align, copy) as pickled with a numpy scalar (e.g. a checkpoint's best accuracy). */
export class NumpyDType {
  order = "<";
  constructor(readonly code: string) {}
}
const NUMPY_SCALARS: Record<string, number> = {
  f8: 8,
  f4: 4,
  f2: 2,
  i8: 8,
  i4: 4,
  i2: 2,
  i1: 1,
  u8: 8,
  u4: 4,
  u2: 2,
  u1: 1,
  b1: 1,
};

/** What the torch-specific globals and BINPERSID turn into (supplied by the file format). */
export interface PickleHooks {
  /** BINPERSID with a tuple id. */
  persistentLoad(pid: unknown[]): unknown;
  /** torch._utils._rebuild_tensor(_v2)(storage, storage_offset, size, stride). */
  rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): unknown;
  /** Marks a rebuilt tensor as a parameter (requires_grad as saved). */
  parameter(t: unknown, requiresGrad: unknown): unknown;
  /** True for what rebuildTensor returns. */
  isTensor(v: unknown): boolean;
}

const DTYPE_NAMES: Record<string, string> = {
  float32: "float32",
  float: "float32",
  float64: "float64",
  double: "float64",
  float16: "float16",
  half: "float16",
  bfloat16: "bfloat16",
  int64: "int64",
  long: "int64",
  int32: "int32",
  int: "int32",
  int16: "int16",
  short: "int16",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
  complex32: "complex32",
  complex64: "complex64",
  complex128: "complex128",
};
export const STORAGE_TYPES: Record<string, string> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  ComplexFloatStorage: "C64",
  ComplexDoubleStorage: "C128",
  QInt8Storage: "QI8",
  QUInt8Storage: "QU8",
  QInt32Storage: "QI32",
  QUInt4x2Storage: "QU4",
  QUInt2x4Storage: "QU2",
};

const OPNAMES: Record<number, string> = {
  0x28: "MARK",
  0x2e: "STOP",
  0x30: "POP",
  0x31: "POP_MARK",
  0x32: "DUP",
  0x46: "FLOAT",
  0x49: "INT",
  0x4a: "BININT",
  0x4b: "BININT1",
  0x4c: "LONG",
  0x4d: "BININT2",
  0x4e: "NONE",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x52: "REDUCE",
  0x53: "STRING",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x56: "UNICODE",
  0x58: "BINUNICODE",
  0x61: "APPEND",
  0x62: "BUILD",
  0x63: "GLOBAL",
  0x64: "DICT",
  0x7d: "EMPTY_DICT",
  0x65: "APPENDS",
  0x67: "GET",
  0x68: "BINGET",
  0x69: "INST",
  0x6a: "LONG_BINGET",
  0x6c: "LIST",
  0x5d: "EMPTY_LIST",
  0x6f: "OBJ",
  0x70: "PUT",
  0x71: "BINPUT",
  0x72: "LONG_BINPUT",
  0x73: "SETITEM",
  0x74: "TUPLE",
  0x29: "EMPTY_TUPLE",
  0x75: "SETITEMS",
  0x47: "BINFLOAT",
  0x80: "PROTO",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x85: "TUPLE1",
  0x86: "TUPLE2",
  0x87: "TUPLE3",
  0x88: "NEWTRUE",
  0x89: "NEWFALSE",
  0x8a: "LONG1",
  0x8b: "LONG4",
  0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES",
  0x8c: "SHORT_BINUNICODE",
  0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE",
  0x95: "FRAME",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

function pyType(v: unknown, tuples: WeakSet<object>, dicts: WeakSet<object>): string {
  if (v === null) return "None";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "bigint") return "int";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (v instanceof PyGlobal) return v.path;
  if (v instanceof NumpyDType) return "numpy.dtype";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return tuples.has(v) ? "tuple" : "list";
  if (v instanceof Set) return "set";
  if (typeof v === "object" && dicts.has(v)) return "dict";
  return "Tensor";
}

/** Reads one pickle from b[start..]; returns the object and the offset just past its STOP. */
export function unpickle(
  b: Uint8Array,
  start: number,
  hooks: PickleHooks,
  what: string,
): { value: unknown; end: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length;
  let pos = start,
    op = 0,
    opAt = start;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const tuples = new WeakSet<object>(),
    dicts = new WeakSet<object>(),
    sets = new WeakSet<object>(),
    frozen = new WeakSet<object>();

  const bad = (msg: string): never =>
    fail(
      `${what} is not a valid pickle: ${msg} (opcode ${OPNAMES[op] ?? `0x${op.toString(16)}`} at byte ${opAt - start})`,
    );
  const need = (k: number) => {
    if (k > n - pos || k < 0) bad(`it ends inside an opcode (${k} more bytes needed, ${n - pos} left)`);
  };
  const u8 = () => {
    need(1);
    return b[pos++];
  };
  const u16 = () => {
    need(2);
    const v = dv.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = dv.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(n)) bad(`a length of ${v} bytes is longer than the file`);
    return Number(v);
  };
  const bytes = (k: number) => {
    need(k);
    const s = b.subarray(pos, pos + k);
    pos += k;
    return s;
  };
  const line = (): string => {
    const e = b.indexOf(0x0a, pos);
    if (e < 0) bad("a text argument has no end of line");
    const s = decodeUtf8(b.subarray(pos, e), `${what}: a text argument`);
    pos = e + 1;
    return s;
  };
  const pop = (): unknown => {
    if (!stack.length) bad("the stack is empty");
    return stack.pop();
  };
  const top = (): unknown => {
    if (!stack.length) bad("the stack is empty");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    if (!metastack.length) bad("no MARK to pop to");
    const items = stack;
    stack = metastack.pop()!;
    return items;
  };
  const tuple = (items: unknown[]): unknown[] => {
    tuples.add(items);
    return items;
  };
  const dict = (): Record<string, unknown> => {
    const d = newDict();
    dicts.add(d);
    return d;
  };
  const keyOf = (k: unknown): string => {
    if (typeof k === "string") return k;
    if (typeof k === "number" || typeof k === "bigint") return String(k);
    if (typeof k === "boolean") return k ? "True" : "False";
    if (k === null) return "None";
    return bad(
      `a dict key of type ${pyType(k, tuples, dicts)} is not supported (keys must be str, int, float, bool or None)`,
    );
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (items.length % 2) bad("SETITEMS has an odd number of items");
    if (typeof d !== "object" || d === null || !dicts.has(d))
      bad(`SETITEM on a ${pyType(d, tuples, dicts)} (only dicts take items)`);
    for (let k = 0; k < items.length; k += 2) dictSet(d as Record<string, unknown>, keyOf(items[k]), items[k + 1]);
  };
  const appendTo = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l) || tuples.has(l))
      bad(`APPEND on a ${pyType(l, tuples, dicts)} (only lists can be appended to)`);
    for (const v of items) (l as unknown[]).push(v);
  };
  const addTo = (s: unknown, items: unknown[]) => {
    if (!(s instanceof Set) || !sets.has(s)) bad(`ADDITEMS on a ${pyType(s, tuples, dicts)} (only sets take items)`);
    for (const v of items) (s as Set<unknown>).add(v);
  };
  const normInt = (v: bigint): number | bigint => (v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v);
  const decodeLong = (s: Uint8Array): number | bigint => {
    if (s.length === 0) return 0;
    let hex = "";
    for (let k = s.length - 1; k >= 0; k--) hex += s[k].toString(16).padStart(2, "0");
    let v = BigInt("0x" + hex);
    if (s[s.length - 1] & 0x80) v -= 1n << BigInt(8 * s.length);
    return normInt(v);
  };
  const global = (module: string, name: string): PyGlobal | string => {
    if (module === "__builtin__") module = "builtins";
    const g = resolveGlobal(module, name, hooks, { tuples, dicts, sets, frozen, dict, tuple, bad });
    if (!g) {
      const full = `${module}.${name}`;
      fail(
        `the file names the global ${full.length > 200 ? `${full.slice(0, 200)}...` : full}, which is not allowed (only tensors and containers can be loaded)`,
      );
    }
    return g;
  };
  const callable = (f: unknown, args: unknown, how: string): unknown => {
    if (!(f instanceof PyGlobal)) bad(`${how} on a ${pyType(f, tuples, dicts)}, which is not callable`);
    const g = f as PyGlobal;
    if (!g.call) bad(`${how} on ${g.path}, which cannot be called when loading`);
    if (!Array.isArray(args) || !tuples.has(args))
      bad(`${how} arguments must be a tuple, got a ${pyType(args, tuples, dicts)}`);
    return g.call!(args as unknown[]);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) bad(`memo key ${i} was never stored`);
    return memo.get(i);
  };

  for (;;) {
    if (pos >= n) {
      opAt = pos;
      op = -1;
      bad("it ends before its STOP opcode");
    }
    opAt = pos;
    op = b[pos++];
    switch (op) {
      case 0x80: {
        const p = u8();
        if (p > 5) bad(`protocol ${p} is newer than 5`);
        break;
      } // PROTO
      case 0x95: {
        const len = u64();
        if (len > n - pos) bad("a FRAME is longer than the rest of the file");
        break;
      } // FRAME
      case 0x2e: {
        // STOP
        if (metastack.length) bad("a MARK is still open");
        if (stack.length !== 1) bad(`the stack holds ${stack.length} values, not one`);
        return { value: stack[0], end: pos };
      }
      case 0x28:
        metastack.push(stack);
        stack = [];
        break; // MARK
      case 0x30:
        if (stack.length) stack.pop();
        else popMark();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(decodeLong(bytes(u8())));
        break; // LONG1
      case 0x8b: {
        const len = i32();
        if (len < 0) bad("negative LONG4 length");
        stack.push(decodeLong(bytes(len)));
        break;
      }
      case 0x47: {
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      } // BINFLOAT
      case 0x49: {
        // INT (text)
        const s = line();
        if (s === "00") stack.push(false);
        else if (s === "01") stack.push(true);
        else if (/^[-+]?\d{1,400}$/.test(s)) stack.push(normInt(BigInt(s)));
        else bad(`INT argument ${JSON.stringify(s.slice(0, 40))} is not an integer`);
        break;
      }
      case 0x4c: {
        // LONG (text)
        const s = line();
        if (!/^[-+]?\d{1,400}L?$/.test(s)) bad(`LONG argument ${JSON.stringify(s.slice(0, 40))} is not an integer`);
        stack.push(normInt(BigInt(s.replace(/L$/, ""))));
        break;
      }
      case 0x46: {
        // FLOAT (text)
        const s = line();
        if (!/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|inf|nan)$/i.test(s))
          bad(`FLOAT argument ${JSON.stringify(s.slice(0, 40))} is not a number`);
        stack.push(/inf/i.test(s) ? (s[0] === "-" ? -Infinity : Infinity) : /nan/i.test(s) ? NaN : Number(s));
        break;
      }
      case 0x58:
        stack.push(decodeUtf8(bytes(u32()), `${what}: a string`));
        break; // BINUNICODE
      case 0x8c:
        stack.push(decodeUtf8(bytes(u8()), `${what}: a string`));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(decodeUtf8(bytes(u64()), `${what}: a string`));
        break; // BINUNICODE8
      case 0x55:
        stack.push(decodeUtf8(bytes(u8()), `${what}: a string`));
        break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: {
        const len = i32();
        if (len < 0) bad("negative BINSTRING length");
        stack.push(decodeUtf8(bytes(len), `${what}: a string`));
        break;
      }
      case 0x43:
        stack.push(copyBytes(bytes(u8())));
        break; // SHORT_BINBYTES
      case 0x42:
        stack.push(copyBytes(bytes(u32())));
        break; // BINBYTES
      case 0x8e:
        stack.push(copyBytes(bytes(u64())));
        break; // BINBYTES8
      case 0x96:
        stack.push(copyBytes(bytes(u64())));
        break; // BYTEARRAY8
      case 0x29:
        stack.push(tuple([]));
        break; // EMPTY_TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x7d:
        stack.push(dict());
        break; // EMPTY_DICT
      case 0x8f: {
        const s = new Set();
        sets.add(s);
        stack.push(s);
        break;
      } // EMPTY_SET
      case 0x85: {
        const a = pop();
        stack.push(tuple([a]));
        break;
      } // TUPLE1
      case 0x86: {
        const b2 = pop(),
          a = pop();
        stack.push(tuple([a, b2]));
        break;
      }
      case 0x87: {
        const c = pop(),
          b2 = pop(),
          a = pop();
        stack.push(tuple([a, b2, c]));
        break;
      }
      case 0x74: {
        const t = tuple(popMark());
        stack.push(t);
        break;
      } // TUPLE
      case 0x6c: {
        const l = popMark();
        stack.push(l);
        break;
      } // LIST
      case 0x64: {
        const items = popMark();
        const d = dict();
        setItems(d, items);
        stack.push(d);
        break;
      } // DICT
      case 0x91: {
        const s = new Set(popMark());
        frozen.add(s);
        stack.push(s);
        break;
      } // FROZENSET
      case 0x61: {
        const v = pop();
        appendTo(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        appendTo(top(), items);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop(),
          k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x90: {
        const items = popMark();
        addTo(top(), items);
        break;
      } // ADDITEMS
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x70: {
        const s = line();
        if (!/^\d{1,10}$/.test(s)) bad("PUT index is not an integer");
        memo.set(Number(s), top());
        break;
      }
      case 0x68:
        stack.push(memoGet(u8()));
        break; // BINGET
      case 0x6a:
        stack.push(memoGet(u32()));
        break; // LONG_BINGET
      case 0x67: {
        const s = line();
        if (!/^\d{1,10}$/.test(s)) bad("GET index is not an integer");
        stack.push(memoGet(Number(s)));
        break;
      }
      case 0x63: {
        const m = line(),
          nm = line();
        stack.push(global(m, nm));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const nm = pop(),
          m = pop();
        if (typeof m !== "string" || typeof nm !== "string") bad("STACK_GLOBAL needs two strings");
        stack.push(global(m as string, nm as string));
        break;
      }
      case 0x52: {
        const args = pop();
        const f = top();
        stack[stack.length - 1] = callable(f, args, "REDUCE");
        break;
      } // REDUCE
      case 0x81: {
        const args = pop();
        const cls = top();
        stack[stack.length - 1] = callable(cls, args, "NEWOBJ");
        break;
      } // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const kw = pop(),
          args = pop(),
          cls = top();
        if (typeof kw !== "object" || kw === null || !dicts.has(kw) || Object.keys(kw).length)
          bad("NEWOBJ_EX with keyword arguments");
        stack[stack.length - 1] = callable(cls, args, "NEWOBJ_EX");
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop(),
          inst = top();
        const isDict = typeof inst === "object" && inst !== null && dicts.has(inst);
        if (inst instanceof NumpyDType) {
          // numpy's dtype state: (version, byte order, ...)
          if (!Array.isArray(state) || state.length < 2 || !["<", ">", "|", "="].includes(state[1] as string))
            bad("a numpy dtype state must be (version, byteorder, ...)");
          inst.order = (state as unknown[])[1] as string;
          break;
        }
        // OrderedDict attributes (a state dict's _metadata) and tensor state are not needed here
        if (!(isDict || hooks.isTensor(inst)))
          bad(`BUILD on a ${pyType(inst, tuples, dicts)} (only dicts and tensors can be built)`);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!Array.isArray(pid) || !tuples.has(pid))
          bad(`a persistent id must be a tuple, got a ${pyType(pid, tuples, dicts)}`);
        stack.push(hooks.persistentLoad(pid as unknown[]));
        break;
      }
      default:
        if (OPNAMES[op]) bad("this opcode is not supported (it is not used by PyTorch's files or it would run code)");
        bad("unknown opcode");
    }
  }
}

interface Ctx {
  tuples: WeakSet<object>;
  dicts: WeakSet<object>;
  sets: WeakSet<object>;
  frozen: WeakSet<object>;
  dict(): Record<string, unknown>;
  tuple(a: unknown[]): unknown[];
  bad(msg: string): never;
}

/** The allowlist. Returns null for any name that is not on it. */
function resolveGlobal(module: string, name: string, hooks: PickleHooks, c: Ctx): PyGlobal | string | null {
  const path = `${module}.${name}`;
  const argc = (args: unknown[], lo: number, hi: number) => {
    if (args.length < lo || args.length > hi)
      c.bad(`${path} takes ${lo === hi ? lo : `${lo} to ${hi}`} arguments, got ${args.length}`);
  };
  const items = (v: unknown): unknown[] => {
    if (Array.isArray(v)) return v;
    if (v instanceof Set) return [...v];
    return c.bad(`${path} needs a list, tuple or set`);
  };
  switch (path) {
    case "collections.OrderedDict":
      return new PyGlobal(path, (args) => {
        argc(args, 0, 1);
        const d = c.dict();
        if (args.length === 1) {
          const pairs = args[0];
          if (typeof pairs === "object" && pairs !== null && c.dicts.has(pairs)) {
            for (const [k, v] of Object.entries(pairs))
              Object.defineProperty(d, k, { value: v, enumerable: true, writable: true, configurable: true });
          } else {
            for (const p of items(pairs)) {
              if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string")
                c.bad("OrderedDict needs (str, value) pairs");
              Object.defineProperty(d, (p as unknown[])[0] as string, {
                value: (p as unknown[])[1],
                enumerable: true,
                writable: true,
                configurable: true,
              });
            }
          }
        }
        return d;
      });
    case "builtins.set":
    case "builtins.frozenset":
      return new PyGlobal(path, (args) => {
        argc(args, 0, 1);
        const s = new Set(args.length ? items(args[0]) : []);
        (name === "set" ? c.sets : c.frozen).add(s);
        return s;
      });
    case "builtins.bytearray":
    case "_codecs.encode":
      return new PyGlobal(path, (args) => {
        argc(args, name === "encode" ? 2 : 0, 2);
        if (!args.length) return new Uint8Array(0);
        if (args[0] instanceof Uint8Array && args.length === 1) return copyBytes(args[0]);
        const [s, enc] = args;
        if (typeof s !== "string" || typeof enc !== "string") return c.bad(`${path} needs (str, encoding)`);
        const e = enc.toLowerCase().replace(/_/g, "-");
        if (e === "latin1" || e === "latin-1" || e === "iso-8859-1") {
          const out = new Uint8Array(s.length);
          for (let k = 0; k < s.length; k++) {
            const ch = s.charCodeAt(k);
            if (ch > 255) c.bad(`${path}: character U+${ch.toString(16)} is not latin-1`);
            out[k] = ch;
          }
          return out;
        }
        if (e === "utf-8" || e === "utf8") return new TextEncoder().encode(s);
        return c.bad(`${path}: encoding ${JSON.stringify(enc)} is not supported`);
      });
    case "torch._utils._rebuild_tensor":
    case "torch._utils._rebuild_tensor_v2":
      return new PyGlobal(path, (args) => {
        argc(args, 4, name === "_rebuild_tensor" ? 4 : 7);
        const t = hooks.rebuildTensor(args[0], args[1], args[2], args[3]);
        return args.length > 4 && args[4] === true ? hooks.parameter(t, true) : t;
      });
    case "torch._utils._rebuild_parameter":
    case "torch._utils._rebuild_parameter_with_state":
      return new PyGlobal(path, (args) => {
        argc(args, 3, name === "_rebuild_parameter" ? 3 : 4);
        if (!hooks.isTensor(args[0])) c.bad(`${path} needs a tensor`);
        return hooks.parameter(args[0], args[1]);
      });
    case "torch.nn.parameter.Parameter":
      return new PyGlobal(path, (args) => {
        argc(args, 1, 2);
        if (!hooks.isTensor(args[0])) c.bad(`${path} needs a tensor`);
        return hooks.parameter(args[0], args.length > 1 ? args[1] : true);
      });
    case "torch._tensor._rebuild_from_type_v2":
      return new PyGlobal(path, (args) => {
        argc(args, 4, 4);
        const [fn, type, fargs] = args;
        if (
          !(type instanceof PyGlobal) ||
          (type.path !== "torch.Tensor" && type.path !== "torch.nn.parameter.Parameter")
        ) {
          c.bad(`${path}: the tensor type ${String(type)} is not allowed`);
        }
        if (!(fn instanceof PyGlobal) || !fn.call || !Array.isArray(fargs) || !c.tuples.has(fargs))
          c.bad(`${path} needs an allowed function and an argument tuple`);
        const t = (fn as PyGlobal).call!(fargs as unknown[]);
        if (!hooks.isTensor(t)) c.bad(`${path} did not make a tensor`);
        return (type as PyGlobal).path === "torch.nn.parameter.Parameter" ? hooks.parameter(t, true) : t;
      });
    case "torch.Tensor":
      return new PyGlobal(path);
    case "numpy.dtype":
      return new PyGlobal(path, (args) => {
        argc(args, 1, 3);
        const code = args[0];
        if (typeof code !== "string" || !Object.prototype.hasOwnProperty.call(NUMPY_SCALARS, code))
          c.bad(`numpy.dtype ${JSON.stringify(String(code).slice(0, 20))} is not a numeric scalar type`);
        return new NumpyDType(code as string);
      });
    case "numpy.core.multiarray.scalar":
    case "numpy._core.multiarray.scalar":
      return new PyGlobal(path, (args) => {
        argc(args, 2, 2);
        const [dt, raw] = args;
        if (!(dt instanceof NumpyDType) || !(raw instanceof Uint8Array))
          return c.bad(`${path} needs (numpy.dtype, bytes)`);
        if (raw.length !== NUMPY_SCALARS[dt.code]) c.bad(`${path}: ${raw.length} bytes for a numpy ${dt.code}`);
        const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength),
          le = dt.order !== ">";
        switch (dt.code) {
          case "f8":
            return v.getFloat64(0, le);
          case "f4":
            return v.getFloat32(0, le);
          case "f2": {
            const h = v.getUint16(0, le);
            const e = (h >> 10) & 31,
              m = h & 1023,
              sg = h & 0x8000 ? -1 : 1;
            return e === 0
              ? sg * m * 2 ** -24
              : e === 31
                ? m
                  ? NaN
                  : sg * Infinity
                : sg * (1 + m / 1024) * 2 ** (e - 15);
          }
          case "i8": {
            const x = v.getBigInt64(0, le);
            return Number.isSafeInteger(Number(x)) ? Number(x) : x;
          }
          case "u8": {
            const x = v.getBigUint64(0, le);
            return Number.isSafeInteger(Number(x)) ? Number(x) : x;
          }
          case "i4":
            return v.getInt32(0, le);
          case "u4":
            return v.getUint32(0, le);
          case "i2":
            return v.getInt16(0, le);
          case "u2":
            return v.getUint16(0, le);
          case "i1":
            return v.getInt8(0);
          case "u1":
            return v.getUint8(0);
          default:
            return raw[0] !== 0; // b1
        }
      });
    case "torch.Size":
      return new PyGlobal(path, (args) => {
        argc(args, 0, 1);
        const dims = args.length ? items(args[0]) : [];
        if (!dims.every((d) => typeof d === "number" && Number.isInteger(d))) c.bad("torch.Size needs ints");
        return dims.slice();
      });
    case "torch.device":
      return new PyGlobal(path, (args) => {
        argc(args, 1, 2);
        if (
          typeof args[0] !== "string" ||
          (args.length === 2 && !(typeof args[1] === "number" && Number.isInteger(args[1])))
        )
          c.bad("torch.device needs (str[, int])");
        return args.length === 2 ? `${args[0]}:${args[1]}` : args[0];
      });
    case "torch.serialization._get_layout":
      return new PyGlobal(path, (args) => {
        argc(args, 1, 1);
        if (typeof args[0] !== "string") c.bad("_get_layout needs a str");
        return args[0];
      });
  }
  if (module === "torch" && Object.prototype.hasOwnProperty.call(STORAGE_TYPES, name)) return new PyGlobal(path);
  // a dtype used as a value (e.g. in an AMP scaler's state) loads as its name: "float32", "int64", ...
  if (module === "torch" && Object.prototype.hasOwnProperty.call(DTYPE_NAMES, name)) return DTYPE_NAMES[name];
  return null;
}

// ------------------------------------------------------------------ writer

/** Builds a protocol-2 pickle. */
export class PickleWriter {
  private buf = new Uint8Array(1024);
  private len = 0;
  private enc = new TextEncoder();

  private reserve(k: number) {
    if (this.len + k <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.len + k));
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }
  byte(...v: number[]): this {
    this.reserve(v.length);
    for (const x of v) this.buf[this.len++] = x;
    return this;
  }
  raw(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  proto(): this {
    return this.byte(0x80, 2);
  }
  mark(): this {
    return this.byte(0x28);
  }
  stop(): this {
    return this.byte(0x2e);
  }
  none(): this {
    return this.byte(0x4e);
  }
  bool(v: boolean): this {
    return this.byte(v ? 0x88 : 0x89);
  }
  int(v: number | bigint): this {
    if (typeof v === "number" && v >= 0 && v < 256) return this.byte(0x4b, v);
    if (typeof v === "number" && v >= 0 && v < 65536) return this.byte(0x4d, v & 0xff, v >> 8);
    if (typeof v === "number" && v >= -0x80000000 && v < 0x80000000) {
      this.byte(0x4a);
      this.reserve(4);
      new DataView(this.buf.buffer).setInt32(this.len, v, true);
      this.len += 4;
      return this;
    }
    // LONG1: little-endian two's complement, as short as possible
    let x = BigInt(v);
    const out: number[] = [];
    for (;;) {
      const byte = Number(x & 0xffn);
      out.push(byte);
      x >>= 8n;
      if ((x === 0n && !(byte & 0x80)) || (x === -1n && byte & 0x80)) break;
    }
    if (out.length > 255) throw new RangeError(`torch.save: the integer ${v} is too large`);
    return this.byte(0x8a, out.length, ...out);
  }
  float(v: number): this {
    this.byte(0x47);
    this.reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, false);
    this.len += 8;
    return this;
  }
  str(s: string): this {
    const e = this.enc.encode(s);
    this.byte(0x58);
    this.reserve(4);
    new DataView(this.buf.buffer).setUint32(this.len, e.length, true);
    this.len += 4;
    return this.raw(e);
  }
  global(module: string, name: string): this {
    return this.byte(0x63).raw(this.enc.encode(`${module}\n${name}\n`));
  }
  emptyTuple(): this {
    return this.byte(0x29);
  }
  tuple(): this {
    return this.byte(0x74);
  }
  emptyList(): this {
    return this.byte(0x5d);
  }
  appends(): this {
    return this.byte(0x65);
  }
  emptyDict(): this {
    return this.byte(0x7d);
  }
  setitems(): this {
    return this.byte(0x75);
  }
  reduce(): this {
    return this.byte(0x52);
  }
  binpersid(): this {
    return this.byte(0x51);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
