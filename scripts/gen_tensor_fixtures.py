#!/usr/bin/env python3
"""Golden cases for the tensor core (test/dtype.test.ts, test/indexing.test.ts, test/inplace.test.ts)
from PyTorch 1.13: indexing (values and gradients, basic and advanced parts, masks, indexPut),
dtype promotion and bool results, printing, in-place programs (values, gradients, errors).

    /usr/bin/python3 scripts/gen_tensor_fixtures.py     # writes test/fixtures/tensor/*.json
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "tensor")
torch.manual_seed(0)


def dt_name(d):
    return {torch.float32: "float32", torch.int64: "int64", torch.bool: "bool"}[d]


def num(v):
    """A float for JSON: non-finite values as the strings "nan", "inf", "-inf" (JSON has no NaN)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": dt_name(t.dtype),
            "data": [bool(v) if t.dtype == torch.bool else (int(v) if t.dtype == torch.int64 else num(v)) for v in t.reshape(-1).tolist()]}


# ----------------------------------------------------------------------------- indexing
# a part is encoded as JSON: int, "a:b:c" string, None, "...", True/False, {"t": tensor} (int64 or bool),
# {"list": nested list}
def py_part(p, shape_of=None):
    if isinstance(p, dict):
        if "t" in p:
            d = p["t"]
            return torch.tensor(d["data"], dtype={"int64": torch.int64, "bool": torch.bool}[d["dtype"]]).reshape(d["shape"])
        return p["list"]
    if isinstance(p, str) and p != "...":
        a = [int(x) if x.strip() else None for x in p.split(":")]
        while len(a) < 3:
            a.append(None)
        return slice(*a)
    if p == "...":
        return Ellipsis
    return p


def idx_t(data, shape=None):
    t = torch.tensor(data, dtype=torch.int64)
    return {"t": enc(t.reshape(shape) if shape else t)}


def mask_t(data, shape=None):
    t = torch.tensor(data, dtype=torch.bool)
    return {"t": enc(t.reshape(shape) if shape else t)}


def index_cases():
    cases = []

    def case(name, shape, parts, noncontig=False):
        x = torch.randn(*shape)
        if noncontig:
            # a transposed view: same shape, non-contiguous strides
            x = torch.randn(*reversed(shape)).permute(*reversed(range(len(shape))))
        xl = x.clone().requires_grad_(True)
        src = xl
        key = tuple(py_part(p) for p in parts)
        y = src[key]
        g = torch.randn(y.shape)
        if y.numel():
            (y * g).sum().backward()
            grad = xl.grad
        else:
            grad = torch.zeros(shape)
        cases.append({"name": name, "x": enc(x.contiguous()), "noncontig": noncontig, "parts": parts,
                      "out": enc(y), "gout": enc(g), "grad": enc(grad)})

    case("int", [3, 4], [1])
    case("neg int", [3, 4], [-1])
    case("int int", [3, 4, 5], [2, -2])
    case("colon last", [2, 3, 4], [":", -1])
    case("slice step", [6, 5], ["1:5:2"])
    case("slice neg", [6, 5], [":", "-3:"])
    case("slice clamp", [4, 3], ["-10:2"])
    case("slice empty", [4, 3], ["5:10"])
    case("ellipsis slice", [2, 3, 6], ["...", "1:5:2"])
    case("none", [3, 4], [None, 0])
    case("none ellipsis none", [2, 3], [None, "...", None])
    case("bool true", [2, 3], [True])
    case("too few", [2, 3, 4], [1, "::2"])
    case("list", [5, 3], [{"list": [4, 0, -1, 0]}])
    case("idx tensor", [5, 3], [idx_t([1, 3])])
    case("idx 2d", [5, 3], [idx_t([[0, 1], [4, 2]])])
    case("colon idx2d", [3, 5, 2], [":", idx_t([[0, 1, 4], [2, 2, 3]])])
    case("two adjacent", [3, 4, 5], [":", idx_t([0, 2]), idx_t([1, 4])])
    case("two separated", [3, 4, 5], [idx_t([0, 2]), ":", idx_t([1, 4])])
    case("broadcast idx", [4, 5, 2], [idx_t([[0], [3]]), idx_t([1, 2, 4])])
    case("int with adv", [3, 4, 5], [1, ":", idx_t([0, 0, 3])])
    case("slice with adv", [4, 5, 3], ["1:3", idx_t([4, 0])])
    case("mask 1d", [4, 3], [mask_t([True, False, True, True])])
    case("mask 2d", [3, 4], [mask_t([[True, False, True, False], [False, False, True, True], [True, True, False, False]])])
    case("mask after colon", [2, 3, 4], [":", mask_t([True, False, True])])
    case("mask none", [3, 2], [mask_t([False, False, False])])
    case("dup idx", [4, 3], [idx_t([1, 1, 2, 1])])
    case("noncontig slice", [4, 6], ["1:", "::2"], noncontig=True)
    case("noncontig adv", [4, 6], [idx_t([3, 0]), "1:4"], noncontig=True)
    case("0-d idx", [4, 3], [idx_t(2)])
    case("empty list", [4, 3], [{"list": []}])
    case("empty tensor", [0, 3], [":", 1])
    case("empty adv", [0, 3], [idx_t([], [0])])
    return cases


def index_errors():
    x = torch.zeros(2, 3, 4)
    out = []
    for parts in [[5], [0, 5], [":", {"list": [5]}], [idx_t([0]), ":", idx_t([7])], [0, 0, 0, 0],
                  [mask_t([True, False, True], [1, 3])], [idx_t([1, -3])]]:
        try:
            x[tuple(py_part(p) for p in parts)]
            raise SystemExit(f"no error for {parts}")
        except (IndexError, RuntimeError) as e:
            out.append({"parts": parts, "shape": [2, 3, 4], "error": str(e)})
    return out


def index_put_cases():
    cases = []

    def case(name, shape, parts, vshape, accumulate=False, int_vals=False):
        x = torch.randn(*shape)
        v = torch.randn(*vshape)
        if int_vals:
            x = torch.randint(0, 5, shape).float()
            v = torch.randint(0, 5, vshape).float()
        xl = (x.clone()).requires_grad_(True)
        vl = v.clone().requires_grad_(True)
        key = tuple(py_part(p) for p in parts)
        # PyTorch: x[key] = v (or index_put_ accumulate) on a non-leaf copy
        y = xl * 1
        if accumulate:
            idx = tuple(k if isinstance(k, torch.Tensor) else torch.tensor(k) for k in key)
            y.index_put_(idx, vl, accumulate=True)
        else:
            y[key] = vl
        g = torch.randn(y.shape)
        (y * g).sum().backward()
        cases.append({"name": name, "x": enc(x), "parts": parts, "v": enc(v), "accumulate": accumulate,
                      "out": enc(y), "gout": enc(g), "gx": enc(xl.grad), "gv": enc(vl.grad)})

    case("basic row", [3, 4], [1], [4])
    case("basic col broadcast", [3, 4], [":", 0], [1])
    case("basic slice", [4, 5], ["1:3", "::2"], [2, 3])
    case("mask", [3, 4], [mask_t([[True, False, True, False], [False, False, True, True], [True, True, False, False]])], [6])
    case("mask broadcast scalar", [3, 4], [mask_t([True, False, True])], [4])
    case("adv rows", [5, 3], [idx_t([4, 0])], [2, 3])
    case("adv pair", [4, 5], [idx_t([0, 3, 1]), idx_t([4, 4, 0])], [3])
    case("accumulate dup", [5], [idx_t([1, 1, 3, 1])], [4], accumulate=True, int_vals=True)
    case("accumulate 2d", [3, 4], [idx_t([0, 2, 0]), idx_t([1, 1, 1])], [3], accumulate=True, int_vals=True)
    return cases


# ----------------------------------------------------------------------------- dtypes
def dtype_cases():
    out = []
    vals = {
        "float32": torch.tensor([-1.5, 0.0, 2.0, float("nan"), float("inf"), 3.0]),
        "int64": torch.tensor([-3, 0, 2, 7, 1, 2 ** 40], dtype=torch.int64),
        "bool": torch.tensor([True, False, True, True, False, False]),
    }
    small_int = torch.tensor([-3, 0, 2, 7, 1, 5], dtype=torch.int64)
    for op in ["add", "mul", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "div", "logical_and", "logical_or", "logical_xor"]:
        for da in vals:
            for db in vals:
                a = vals[da] if not (da == "int64" and op == "mul") else small_int
                b = vals[db] if not (db == "int64" and op == "mul") else small_int
                try:
                    r = getattr(torch, op)(a, b)
                except RuntimeError as e:
                    out.append({"op": op, "a": enc(a), "b": enc(b), "error": str(e)})
                    continue
                out.append({"op": op, "a": enc(a), "b": enc(b), "out": enc(r)})
    for op in ["add", "mul", "sub", "eq", "lt", "ge", "div"]:
        for da in vals:
            for s in [2, -1.5, 0]:
                a = vals[da] if da != "int64" or op not in ("mul",) else small_int
                try:
                    r = getattr(torch, op)(a, s)
                except RuntimeError as e:
                    out.append({"op": op, "a": enc(a), "scalar": s, "error": str(e)})
                    continue
                out.append({"op": op, "a": enc(a), "scalar": s, "out": enc(r)})
    for da in vals:
        for f in ["isnan", "isinf", "isfinite", "logical_not"]:
            out.append({"op": f, "a": enc(vals[da]), "out": enc(getattr(torch, f)(vals[da]))})
        for to in ["float32", "int64", "bool"]:
            r = vals[da].to({"float32": torch.float32, "int64": torch.int64, "bool": torch.bool}[to])
            if da == "float32" and to == "int64":
                continue  # nan/inf -> int64 is platform-defined
            out.append({"op": "to", "a": enc(vals[da]), "to": to, "out": enc(r)})
        out.append({"op": "sum", "a": enc(vals[da]), "out": enc(vals[da].sum())})
    return out


def repr_cases():
    ts = {
        "bool": torch.tensor([True, False]),
        "bool all true": torch.tensor([True, True, True]),
        "bool 2d": torch.tensor([[True, False, False], [False, True, True]]),
        "bool scalar": torch.tensor(True),
        "bool empty": torch.zeros(0, dtype=torch.bool),
        "int64": torch.tensor([1, -20, 300]),
        "int64 big": torch.tensor([2 ** 40, -(2 ** 50), 3]),
        "int64 2d": torch.tensor([[1, 2], [30, -4]]),
        "cmp": torch.tensor([1.0, 2.0, 3.0]) > 1.5,
    }
    return [{"name": k, "x": enc(v), "repr": repr(v)} for k, v in ts.items()]


# ----------------------------------------------------------------------------- in-place programs
# each program is written the same way in test/inplace.test.ts; the fixture holds PyTorch's values,
# gradients or error message
def inplace_cases():
    out = []
    a0 = torch.randn(3, 4)
    b0 = torch.randn(3, 4)
    c0 = torch.randn(4)

    def run(name, f):
        a = a0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        c = c0.clone().requires_grad_(True)
        try:
            y = f(a, b, c)
            y.sum().backward()
            out.append({"name": name, "out": enc(y), "ga": enc(a.grad if a.grad is not None else torch.zeros(3, 4)),
                        "gb": enc(b.grad if b.grad is not None else torch.zeros(3, 4)),
                        "gc": enc(c.grad if c.grad is not None else torch.zeros(4))})
        except RuntimeError as e:
            out.append({"name": name, "error": str(e).split("\n")[0]})

    def p1(a, b, c):
        x = a * 2; x.add_(b); return x * x
    def p2(a, b, c):
        x = a * 1; x.mul_(b); return x
    def p3(a, b, c):
        x = a * 1; x.pow_(2); return x
    def p4(a, b, c):
        x = a.exp(); x.add_(1); return x
    def p5(a, b, c):
        x = a * 2; x.exp_(); return x
    def p6(a, b, c):
        x = a * 1; x.sigmoid_(); x.mul_(2); return x
    def p7(a, b, c):
        x = a * 1; x[1].mul_(3); return x
    def p8(a, b, c):
        x = a * 1; x[:, 1:3].add_(c[1:3]); return x
    def p9(a, b, c):
        x = a * 1; x.add_(c); x.relu_(); return x
    def p10(a, b, c):
        x = torch.zeros(3, 4); x[1] = c; return x * b
    def p11(a, b, c):
        x = a * 1; y = x * x; x.add_(1); return y
    def p12(a, b, c):
        x = a.clone(); x.clamp_(-0.5, 0.5); x.div_(b); return x
    def p13(a, b, c):
        x = a * 1; v = x.t(); v.sub_(b.t()); return x
    def p14(a, b, c):
        x = a * 1; x.masked_fill_(b > 0, 0.0); return x
    def p15(a, b, c):
        x = a * 1; x.copy_(c); return x * b
    def p16(a, b, c):
        x = a * 1; x.tanh_(); x.fill_(2); return x
    def p17(a, b, c):
        x = a * 1; x[:, 0].zero_(); return x * a
    def p18(a, b, c):
        x = a * 1; x.mul_(x); return x
    def p19(a, b, c):
        x = a.clone(); x[b > 0] = 0.0; return x
    def p20(a, b, c):
        x = a * 1; x.index_put_((torch.tensor([0, 2, 0]),), c, accumulate=True); return x
    for k in range(1, 21):
        run(f"p{k}", locals()[f"p{k}"])
    return {"a": enc(a0), "b": enc(b0), "c": enc(c0), "cases": out}


def view_cases():
    out = []
    for shape, strides_src, new in [
        ((2, 5, 12), ("narrow", 2, 0, 4), (2, 5, 2, 2)),
        ((2, 5, 12), ("narrow", 2, 4, 4), (10, 4)),
        ((4, 6), ("t",), (24,)),
        ((4, 6), ("t",), (3, 2, 4)),
        ((4, 6), ("t",), (6, 2, 2)),
        ((3, 4, 5), ("permute", 0, 2, 1), (3, 20)),
        ((3, 4, 5), ("permute", 1, 0, 2), (4, 3, 5)),
        ((3, 4, 5), ("permute", 1, 0, 2), (12, 5)),
        ((6, 4), ("step",), (3, 4)),
        ((6, 4), ("step",), (3, 2, 2)),
        ((6, 4), ("step",), (12,)),
        ((2, 1, 3), ("expand", 2, 4, 3), (2, 12)),
        ((2, 1, 3), ("expand", 2, 4, 3), (8, 3)),
        ((2, 1, 3), ("expand", 2, 4, 3), (2, 4, 3, 1)),
    ]:
        x = torch.arange(float(torch.tensor(shape).prod())).reshape(shape)
        if strides_src[0] == "narrow":
            v = x.narrow(*strides_src[1:])
        elif strides_src[0] == "t":
            v = x.t()
        elif strides_src[0] == "permute":
            v = x.permute(*strides_src[1:])
        elif strides_src[0] == "step":
            v = x[::2]
        else:
            v = x.expand(*strides_src[1:])
        try:
            r = v.view(*new)
            out.append({"shape": list(shape), "src": list(strides_src), "new": list(new), "strides": list(r.stride()), "out": enc(r)})
        except RuntimeError as e:
            out.append({"shape": list(shape), "src": list(strides_src), "new": list(new), "error": str(e)})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {
        "indexing.json": {"index": index_cases(), "errors": index_errors(), "put": index_put_cases()},
        "dtype.json": {"ops": dtype_cases(), "repr": repr_cases()},
        "inplace.json": {"programs": inplace_cases(), "views": view_cases()},
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(data, f, separators=(",", ":"), allow_nan=False)
        print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")


if __name__ == "__main__":
    main()
