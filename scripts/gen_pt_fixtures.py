#!/usr/bin/python3
"""PyTorch checkpoint fixtures for torch.load (test/io-pt.test.ts, test/io-fuzz.test.ts).

usage: /usr/bin/python3 scripts/gen_pt_fixtures.py      (Debian's torch 1.13)

Writes test/fixtures/pt/*.pt with torch.save in every form (zip, legacy
_use_new_zipfile_serialization=False, pickle protocols 2/4/5, nested checkpoints with optimizer
state, tied weights, strided and offset views, every dtype, parameters), a few re-packed variants
(deflate-compressed zip entries, another archive folder name, a big-endian byteorder record),
hostile files whose pickle names os.system / builtins.eval (their payload would create
/tmp/torchlet-pt-pwned-*), and expected.json: for each file the loaded object, encoded as
  tensor -> {"tensor": dtype, "shape", "stride", "offset", "values" (flat, row-major; floats as
             numbers or "nan"/"inf"/"-inf"; bool as 0/1)}
  dict   -> {"dict": [[key, value], ...]} (key order kept; int keys as str(k))
  list / tuple -> {"list": [...]}
  float  -> {"float": x}   (or "nan"/"inf"/"-inf"), int -> {"int": "123"} (exact), str/bool/None as JSON.
plus the reference forward output of the small model in model_*.pt.
"""
import collections
import io
import json
import math
import os
import struct
import zipfile

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "pt")
os.makedirs(OUT, exist_ok=True)
expected = {}


def num(x):
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
    return x


def enc(v):
    if isinstance(v, torch.Tensor):
        flat = v.detach().reshape(-1)
        vals = flat.tolist() if v.dtype != torch.bfloat16 and v.dtype != torch.float16 else flat.float().tolist()
        return {"tensor": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "stride": list(v.stride()),
                "offset": v.storage_offset(), "values": [num(x) for x in vals],
                "requiresGrad": bool(v.requires_grad)}
    if isinstance(v, dict):
        return {"dict": [[str(k), enc(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return {"list": [enc(x) for x in v]}
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": num(v)}
    if isinstance(v, torch.Size):
        return {"list": [{"int": str(x)} for x in v]}
    raise TypeError(type(v))


def save(name, obj, expect=None, **kw):
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kw)
    # every fixture must load back in PyTorch itself
    torch.load(path)
    expected[name] = enc(obj if expect is None else expect)


torch.manual_seed(0)

# ---- a small model: state dict after two training steps (BatchNorm running stats, num_batches_tracked)
model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(2):
    opt.zero_grad()
    model(torch.randn(3, 3, 6, 6)).pow(2).mean().backward()
    opt.step()
model.eval()
x = torch.randn(2, 3, 6, 6)
with torch.no_grad():
    y = model(x)
sd = model.state_dict()
save("model_zip.pt", sd)
save("model_legacy.pt", sd, _use_new_zipfile_serialization=False)
expected["model_io"] = {"input": enc(x), "output": enc(y)}

# ---- a full checkpoint: model, optimizer (Adam state: step, exp_avg, exp_avg_sq), scalars, nesting
ck = {
    "model": sd,
    "optimizer": opt.state_dict(),
    "epoch": 7,
    "best_acc": 0.9125,
    "big": 2 ** 40,
    "huge": 2 ** 70,
    "neg": -123456789,
    "name": "héllo wörld ✓",
    "flags": [True, False, None],
    "pair": (1, 2.5),
    "nested": {"a": {"b": [torch.tensor([1.0, 2.0]), {"c": torch.tensor(3, dtype=torch.int64)}]}},
    "empty": {},
    "emptylist": [],
    "intkeys": {0: "zero", 1: "one", 10: "ten"},
    "size": torch.Size([2, 3]),
}
save("checkpoint_zip.pt", ck)
save("checkpoint_legacy.pt", ck, _use_new_zipfile_serialization=False)
save("checkpoint_proto4.pt", ck, pickle_protocol=4)
save("checkpoint_proto5.pt", ck, pickle_protocol=5)
save("checkpoint_legacy_proto4.pt", ck, _use_new_zipfile_serialization=False, pickle_protocol=4)

# ---- numpy scalars in a checkpoint (e.g. a best accuracy from sklearn/numpy): data only, decoded
import numpy as np
npck = {"best_acc": np.float64(0.75), "f32": np.float32(1.5), "f16": np.float16(-2.5), "i": np.int64(-3),
        "u8": np.uint8(200), "flag": np.bool_(True), "w": torch.ones(2)}
save("numpy_scalars_zip.pt", npck, expect={"best_acc": 0.75, "f32": 1.5, "f16": -2.5, "i": -3, "u8": 200, "flag": True, "w": torch.ones(2)})
save("numpy_scalars_legacy.pt", npck, expect={"best_acc": 0.75, "f32": 1.5, "f16": -2.5, "i": -3, "u8": 200, "flag": True, "w": torch.ones(2)},
     _use_new_zipfile_serialization=False)

# ---- DataParallel / torch.compile prefixes
pre = collections.OrderedDict()
for k, v in sd.items():
    pre["module." + k] = v
save("prefixed_module.pt", pre)
pre2 = collections.OrderedDict()
for k, v in sd.items():
    pre2["_orig_mod.module." + k] = v
save("prefixed_orig_mod.pt", pre2)

# ---- tied weights (one storage) and views
w = torch.arange(12, dtype=torch.float32).reshape(3, 4)
tied = collections.OrderedDict(a=w, b=w, row=w[1], col=w[:, 2], t=w.t())
save("tied_zip.pt", tied)
save("tied_legacy.pt", tied, _use_new_zipfile_serialization=False)
base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
views = collections.OrderedDict(
    perm=base.permute(2, 0, 1), slice=base[:, 1:, ::2], off=base.reshape(-1)[7:19].reshape(3, 4),
    expand=torch.tensor([1.0, 2.0, 3.0]).expand(4, 3), scalar=base[1, 2, 3], narrow=base.narrow(2, 1, 3),
    empty=base[:, :0], ints=torch.arange(20).reshape(4, 5)[1:, ::2],
)
save("views_zip.pt", views)
save("views_legacy.pt", views, _use_new_zipfile_serialization=False)

# ---- every dtype, with special values
f = [0.0, -0.0, 1.5, -2.25, 65504.0, 1e-7, 6e-8, float("inf"), float("-inf"), float("nan"), 3.14159]
dtypes = collections.OrderedDict(
    float32=torch.tensor(f, dtype=torch.float32),
    float64=torch.tensor(f + [1e300], dtype=torch.float64),
    float16=torch.tensor(f, dtype=torch.float16),
    bfloat16=torch.tensor(f + [1e30], dtype=torch.bfloat16),
    int64=torch.tensor([0, -1, 2 ** 31, -(2 ** 31) - 5, 2 ** 52 + 1, -(2 ** 53)], dtype=torch.int64),
    int32=torch.tensor([0, -1, 2 ** 31 - 1, -(2 ** 31)], dtype=torch.int32),
    int16=torch.tensor([0, -1, 32767, -32768], dtype=torch.int16),
    int8=torch.tensor([0, -1, 127, -128], dtype=torch.int8),
    uint8=torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
    bool=torch.tensor([True, False, True, True]),
    f64_2d=torch.arange(6, dtype=torch.float64).reshape(2, 3).t(),
)
save("dtypes_zip.pt", dtypes)
save("dtypes_legacy.pt", dtypes, _use_new_zipfile_serialization=False)

# ---- the same dtypes as a safetensors file (hand-written: Debian has no safetensors package)
ST_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
            torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
            torch.bool: "BOOL"}
st = collections.OrderedDict((k, v.contiguous()) for k, v in dtypes.items())
header, blobs, off = collections.OrderedDict(), [], 0
for k, v in st.items():
    raw = (v.view(torch.int16) if v.dtype == torch.bfloat16 else v).numpy().tobytes()
    header[k] = {"dtype": ST_NAMES[v.dtype], "shape": list(v.shape), "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(OUT, "dtypes.safetensors"), "wb") as fh:
    fh.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
expected["dtypes.safetensors"] = enc(st)

# ---- parameters saved as such (torch._utils._rebuild_parameter)
lin = nn.Linear(3, 2)
params = {"weight": lin.weight, "bias": lin.bias, "plain": torch.ones(2)}
save("parameters_zip.pt", params)
save("parameters_legacy.pt", params, _use_new_zipfile_serialization=False)
save("single_tensor.pt", torch.arange(5, dtype=torch.float32) * 0.5)


# ---- re-packed variants of a real file
def repack(src, dst, deflate=False, prefix=None, big_endian=False):
    zin = zipfile.ZipFile(os.path.join(OUT, src))
    buf = io.BytesIO()
    zout = zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
    for info in zin.infolist():
        data = zin.read(info.filename)
        name = info.filename
        if prefix is not None:
            name = prefix + name[name.index("/"):]
        if big_endian and "/data/" in name:
            # every storage of tied_zip.pt is float32: swap each 4-byte element
            data = b"".join(data[k:k + 4][::-1] for k in range(0, len(data), 4))
        zout.writestr(name, data)
    if big_endian:
        zout.writestr(zin.infolist()[0].filename.split("/")[0] + "/byteorder", b"big")
    zout.close()
    with open(os.path.join(OUT, dst), "wb") as fh:
        fh.write(buf.getvalue())
    expected[dst] = expected[src]


repack("tied_zip.pt", "tied_deflate.pt", deflate=True)
repack("tied_zip.pt", "tied_prefix.pt", prefix="some.other-folder_name")
repack("tied_zip.pt", "tied_bigendian.pt", big_endian=True)


# ---- hostile files: the pickle names os.system / builtins.eval (nothing may run)
class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


for fn, tag in [(os.system, "os_system"), (eval, "builtins_eval")]:
    marker = "/tmp/torchlet-pt-pwned-" + tag
    arg = "touch " + marker if fn is os.system else "open(%r, 'w').close()" % marker
    for form, kw in [("zip", {}), ("legacy", {"_use_new_zipfile_serialization": False})]:
        path = os.path.join(OUT, "evil_%s_%s.pt" % (tag, form))
        torch.save({"weight": torch.ones(2), "payload": Evil(fn, arg)}, path, **kw)
    # pickle names a function by its defining module: posix.system on Linux
    expected["evil_%s" % tag] = {"global": "%s.%s" % (fn.__module__, fn.__name__), "marker": marker}
    if os.path.exists(marker):
        os.remove(marker)


# hand-written pickles that name os.system (GLOBAL) and builtins.eval (protocol 4 STACK_GLOBAL) as such
def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


marker = "/tmp/torchlet-pt-pwned-handmade"
evil_global = b"\x80\x02}(" + binunicode("payload") + b"cos\nsystem\n" + binunicode("touch " + marker) + b"\x85Ru."
evil_stack = (b"\x80\x04}(" + binunicode("payload") + binunicode("builtins") + binunicode("eval") + b"\x93"
              + binunicode("open(%r, 'w').close()" % marker) + b"\x85Ru.")
legacy_head = b"".join(__import__("pickle").dumps(v, protocol=2) for v in [
    0x1950a86a20f9469cfc6c, 1001, {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}])
for tag, pkl in [("os_system", evil_global), ("builtins_eval", evil_stack)]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")
    with open(os.path.join(OUT, "evil_handmade_%s_zip.pt" % tag), "wb") as fh:
        fh.write(buf.getvalue())
    with open(os.path.join(OUT, "evil_handmade_%s_legacy.pt" % tag), "wb") as fh:
        fh.write(legacy_head + pkl + __import__("pickle").dumps([], protocol=2))
    expected["evil_handmade_%s" % tag] = {"global": "os.system" if tag == "os_system" else "builtins.eval", "marker": marker}
    # the payloads are real: Python's pickle runs them (creating the harmless marker file)
    __import__("pickle").loads(pkl)
    assert os.path.exists(marker), tag
    os.remove(marker)

with open(os.path.join(OUT, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=0, sort_keys=True)
total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
print("wrote %d files, %d bytes, to %s" % (len(os.listdir(OUT)), total, OUT))
