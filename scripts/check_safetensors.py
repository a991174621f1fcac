#!/usr/bin/python3
"""Validate a safetensors file (e.g. written by torchlet's torch.save) and load it into PyTorch.

usage: /usr/bin/python3 scripts/check_safetensors.py FILE [--model simplecnn|mlp|fmnist-cnn|fmnist-mlp]

  simplecnn = the glossary SimpleCNN(num_classes=10) (input 3x32x32; keys conv1.*, conv2.*, fc1.*, fc2.*)
  mlp       = Sequential(Linear(5, 7), ReLU(), Linear(7, 3))   (keys 0.weight, 0.bias, 2.weight, 2.bias)
  fmnist-cnn = the main job's SimpleCNN for Fashion-MNIST (1x28x28 input, fc1 32*7*7)
  fmnist-mlp = the main job's MLP: Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 10))

Strict checks: 8-byte little-endian header length within the file, UTF-8 JSON object header
starting with '{', optional "__metadata__" (str -> str), dtype in F32/I64 (others rejected),
integer non-negative shapes, data_offsets [begin, end] with end - begin == numel * itemsize,
tensors contiguous, non-overlapping, covering the data section exactly, keys unique.
Then load_state_dict(strict=True), run a fixed seeded input (torch.manual_seed(0);
simplecnn: randn(2, 3, 32, 32), mlp: randn(4, 5)) in eval mode and print
{"ok": true, "keys": [...], "output": [...], "outputShape": [...]} on stdout. Exit 1 on any problem.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": (4, "<f4", torch.float32), "I64": (8, "<i8", torch.int64)}


class SimpleCNN(nn.Module):
    def __init__(self, num_classes, in_channels=3, side=8):
        super(SimpleCNN, self).__init__()
        self.side = side
        self.conv1 = nn.Conv2d(in_channels=in_channels, out_channels=16, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0)
        self.conv2 = nn.Conv2d(in_channels=16, out_channels=32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(in_features=32 * side * side, out_features=128)
        self.fc2 = nn.Linear(in_features=128, out_features=num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 32 * self.side * self.side)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


class Bad(Exception):
    pass


def no_dup_object(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise Bad("duplicate key in header: %r" % k)
        d[k] = v
    return d


def parse(buf):
    if len(buf) < 8:
        raise Bad("file too short (%d bytes): missing 8-byte header length" % len(buf))
    (n,) = struct.unpack("<Q", buf[:8])
    if n == 0:
        raise Bad("header length is 0")
    if 8 + n > len(buf):
        raise Bad("header length %d exceeds file size %d - 8" % (n, len(buf)))
    raw = buf[8:8 + n]
    if not raw.startswith(b"{"):
        raise Bad("header does not start with '{' (got %r)" % raw[:8])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Bad("header is not valid UTF-8: %s" % e)
    try:
        header = json.loads(text, object_pairs_hook=no_dup_object)
    except json.JSONDecodeError as e:
        raise Bad("header is not valid JSON: %s" % e)
    if not isinstance(header, dict):
        raise Bad("header is not a JSON object")
    data = buf[8 + n:]
    meta = header.pop("__metadata__", None)
    if meta is not None:
        if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
            raise Bad("__metadata__ must be an object of string -> string")
    spans = []
    tensors = {}
    for k, info in header.items():
        if not isinstance(info, dict):
            raise Bad("%s: entry is not an object" % k)
        extra = set(info) - {"dtype", "shape", "data_offsets"}
        missing = {"dtype", "shape", "data_offsets"} - set(info)
        if missing or extra:
            raise Bad("%s: bad fields (missing %s, unexpected %s)" % (k, sorted(missing), sorted(extra)))
        dt = info["dtype"]
        if dt not in DTYPES:
            raise Bad("%s: unsupported dtype %r (expected one of %s)" % (k, dt, sorted(DTYPES)))
        shape = info["shape"]
        if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                  for s in shape):
            raise Bad("%s: shape must be a list of non-negative integers, got %r" % (k, shape))
        offs = info["data_offsets"]
        if (not isinstance(offs, list) or len(offs) != 2 or
                not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)):
            raise Bad("%s: data_offsets must be [begin, end], got %r" % (k, offs))
        b, e = offs
        if b < 0 or e < b or e > len(data):
            raise Bad("%s: data_offsets %r out of bounds (data section is %d bytes)" % (k, offs, len(data)))
        size, npdt, tdt = DTYPES[dt]
        numel = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if e - b != numel * size:
            raise Bad("%s: data_offsets %r span %d bytes but %s%s needs %d" % (k, offs, e - b, dt, shape, numel * size))
        spans.append((b, e, k))
        arr = np.frombuffer(data[b:e], dtype=npdt).reshape(shape)
        tensors[k] = torch.from_numpy(arr.astype(npdt[1:], copy=True)).to(tdt)
    spans.sort()
    pos = 0
    for b, e, k in spans:
        if b != pos:
            raise Bad("%s: data not contiguous: begins at %d, expected %d (gap or overlap)" % (k, b, pos))
        pos = e
    if pos != len(data):
        raise Bad("data section is %d bytes but tensors cover %d (trailing bytes)" % (len(data), pos))
    return tensors, meta


def build(model):
    if model == "simplecnn":
        return SimpleCNN(10), (2, 3, 32, 32)
    if model == "mlp":
        return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)), (4, 5)
    if model == "fmnist-cnn":
        return SimpleCNN(10, in_channels=1, side=7), (2, 1, 28, 28)
    if model == "fmnist-mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), (2, 1, 28, 28)
    raise Bad("unknown model %r" % model)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--model", default="simplecnn", choices=["simplecnn", "mlp", "fmnist-cnn", "fmnist-mlp"])
    a = ap.parse_args()
    try:
        if not os.path.isfile(a.file):
            raise Bad("no such file: %s" % a.file)
        with open(a.file, "rb") as f:
            buf = f.read()
        tensors, meta = parse(buf)
        m, in_shape = build(a.model)
        expected = m.state_dict()
        for k, v in tensors.items():
            if k in expected:
                if expected[k].dtype != v.dtype:
                    raise Bad("%s: dtype %s but the model expects %s" % (k, v.dtype, expected[k].dtype))
                if tuple(expected[k].shape) != tuple(v.shape):
                    raise Bad("%s: shape %s but the model expects %s" % (k, list(v.shape), list(expected[k].shape)))
        try:
            m.load_state_dict(tensors, strict=True)
        except RuntimeError as e:
            raise Bad("load_state_dict(strict=True) failed: %s" % e)
        m.eval()
        torch.manual_seed(0)
        x = torch.randn(*in_shape)
        with torch.no_grad():
            y = m(x)
        res = {"ok": True, "model": a.model, "keys": list(tensors.keys()), "metadata": meta,
               "outputShape": list(y.shape), "output": [float(v) for v in y.reshape(-1).tolist()]}
        print(json.dumps(res))
    except Bad as e:
        print("check_safetensors: %s: %s" % (a.file, e), file=sys.stderr)
        print(json.dumps({"ok": False, "error": str(e)}))
        sys.exit(1)


if __name__ == "__main__":
    main()
