#!/usr/bin/python3
"""PyTorch 1.13 reference cases for the tensor ops of API.md "More tensor operations"
(reductions, shape, indexing, linear algebra, creation): values and gradients.

Run:  /usr/bin/python3 scripts/gen_ops_fixtures.py   (writes test/fixtures/ops/{reduce,shape,index,linalg,creation}.json)

Schema of a case (test/ops-fixtures.ts runs them):
  name; call: "method" (inputs[0].op(...args)) or "torch" (torch.op(...args));
  op: torchlet's name; args: the JS arguments, where {"$t": k} is inputs[k] (after its view) and
  {"$ts": [k, ...]} a list of them, a trailing plain object being the options object (camelCase);
  inputs: [{shape, dtype, data, requiresGrad?, view?}] with view one of
    {"t": true}          the base (shape given) transposed in its last two dims (non-contiguous)
    {"expand": [...]}    the base expanded to a shape (broadcast, stride 0)
    {"slice": [d, s, l]} narrow(d, s, l) of the base (a view with an offset);
  outputs: the op's results (a tuple / (values, indices) flattened in order);
  gradOutputs: an upstream gradient per float output; inputGrads: d(sum(out * gout))/d(base) or null;
  error: instead of outputs, the first line of PyTorch's message (the op must throw it).
Float data are float32 values; "Infinity", "-Infinity", "NaN" are strings.
"""
import json
import math
import os

import numpy as np
import torch

torch.set_num_threads(1)
torch.manual_seed(1234)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "ops")


def fl(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(str(np.float32(v)))


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [int(x) for x in t.reshape(-1).tolist()]}
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(x) for x in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "dtype": "float32", "data": [fl(x) for x in t.float().reshape(-1).tolist()]}


# ----------------------------------------------------------------------------- inputs
class In:
    """An input: base tensor + optional view; grad=True makes it require grad (float only)."""
    def __init__(self, base, grad=None, view=None):
        self.base = base
        self.grad = base.is_floating_point() if grad is None else grad
        self.view = view or {}

    def make(self):
        b = self.base.clone().double() if self.base.is_floating_point() else self.base.clone()
        if self.grad:
            b.requires_grad_(True)
        v = b
        if "t" in self.view:
            v = b.transpose(-1, -2)
        if "expand" in self.view:
            v = b.expand(*self.view["expand"])
        if "slice" in self.view:
            d, s, l = self.view["slice"]
            v = b.narrow(d, s, l)
        return b, v

    def json(self):
        d = enc(self.base)
        if self.grad:
            d["requiresGrad"] = True
        if self.view:
            d["view"] = self.view
        return d


def R(*shape, grad=True, view=None, scale=1.0):
    return In(torch.randn(tuple(shape)) * scale, grad, view)


def D(*shape, view=None):
    """distinct values (no ties for max/sort)."""
    n = int(np.prod(shape))
    v = (torch.randperm(n).float() / max(n, 1) * 4 - 2 + torch.rand(n) * (0.5 / max(n, 1))).reshape(tuple(shape))
    return In(v, True, view)


def I(data, shape=None):
    t = torch.tensor(data, dtype=torch.int64)
    if shape is not None:
        t = t.reshape(shape)
    return In(t, False)


def RI(low, high, *shape):
    return In(torch.randint(low, high, tuple(shape)), False)


def B(data):
    return In(torch.tensor(data, dtype=torch.bool), False)


def RB(*shape, p=0.5):
    return In(torch.rand(tuple(shape)) < p, False)


class T:
    """A reference to input k in args."""
    def __init__(self, k):
        self.k = k


class TS:
    def __init__(self, *ks):
        self.ks = ks


def to_py(a, views):
    if isinstance(a, T):
        return views[a.k]
    if isinstance(a, TS):
        return [views[k] for k in a.ks]
    if isinstance(a, list):
        return [to_py(x, views) for x in a]
    if isinstance(a, dict):
        return {k: to_py(v, views) for k, v in a.items()}
    return a


def to_js(a):
    if isinstance(a, T):
        return {"$t": a.k}
    if isinstance(a, TS):
        return {"$ts": list(a.ks)}
    if isinstance(a, (list, tuple)):
        return [to_js(x) for x in a]
    if isinstance(a, dict):
        return {k: to_js(v) for k, v in a.items()}
    if isinstance(a, float) and math.isinf(a):
        return "Infinity" if a > 0 else "-Infinity"
    return a


def flatten_out(r):
    if isinstance(r, torch.Tensor):
        return [r]
    out = []
    for x in r:
        out += flatten_out(x)
    return out


FILES = {}
GEN = torch.Generator().manual_seed(99)


def case(file, name, op, inputs, py, args=(), call="method", error=None):
    """py(*views) computes PyTorch's result; args are the JS arguments (after the tensor for methods)."""
    bases_views = [i.make() for i in inputs]
    views = [v for _, v in bases_views]
    c = {"name": name, "call": call, "op": op, "args": to_js(list(args)), "inputs": [i.json() for i in inputs]}
    if error is not None:
        try:
            py(*views)
        except (RuntimeError, IndexError, ValueError, TypeError) as e:
            c["error"] = str(e).splitlines()[0]
        else:
            raise AssertionError("no error for " + name)
        FILES.setdefault(file, []).append(c)
        return
    res = flatten_out(py(*views))
    c["outputs"] = [enc(r.float() if r.dtype == torch.float64 else r) for r in res]
    float_outs = [r for r in res if r.is_floating_point()]
    gouts = [torch.randn(r.shape, generator=GEN).double() for r in float_outs]
    c["gradOutputs"] = [enc(g.float()) for g in gouts]
    need = [b for (b, _), i in zip(bases_views, inputs) if i.grad]
    grads = [None] * len(inputs)
    diff = [(r, g) for r, g in zip(float_outs, gouts) if r.requires_grad]
    if need and diff:
        total = sum((r * g).sum() for r, g in diff)
        gs = torch.autograd.grad(total, need, allow_unused=True)
        j = 0
        for k, i in enumerate(inputs):
            if i.grad:
                g = gs[j]
                j += 1
                grads[k] = enc(g.float() if g is not None else torch.zeros(i.base.shape))
    c["inputGrads"] = grads
    FILES.setdefault(file, []).append(c)


def ident(x):
    return x


# ============================================================================= reductions
F = "reduce"
for shp, dims in [((3, 4), None), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), [0, 2]), ((2, 3, 4), [-1, 0]), ((5,), 0), ((), None)]:
    for kd in (False, True):
        tag = "%s_%s_%s" % ("x".join(map(str, shp)) or "scalar", str(dims).replace(" ", ""), "k" if kd else "")
        pyd = tuple(dims) if isinstance(dims, list) else dims
        if dims is None:
            if kd:
                continue
            case(F, "sum_all_" + tag, "sum", [R(*shp)], lambda x: x.sum())
            case(F, "mean_all_" + tag, "mean", [R(*shp)], lambda x: x.mean())
            case(F, "amax_all_" + tag, "amax", [D(*shp)], lambda x: x.amax())
            continue
        case(F, "sum_" + tag, "sum", [R(*shp)], lambda x, d=pyd, k=kd: x.sum(d, keepdim=k), [dims, kd])
        case(F, "sum_opts_" + tag, "sum", [R(*shp)], lambda x, d=pyd, k=kd: x.sum(d, keepdim=k), [{"dim": dims, "keepdim": kd}])
        case(F, "mean_" + tag, "mean", [R(*shp)], lambda x, d=pyd, k=kd: x.mean(d, keepdim=k), [dims, kd])
        case(F, "amax_" + tag, "amax", [D(*shp)], lambda x, d=pyd, k=kd: x.amax(d, keepdim=k), [dims, kd])
        case(F, "amin_" + tag, "amin", [D(*shp)], lambda x, d=pyd, k=kd: x.amin(d, keepdim=k), [dims, kd])
        case(F, "var_" + tag, "var", [R(*shp)], lambda x, d=pyd, k=kd: x.var(d, keepdim=k), [dims, {"keepdim": kd}])
        case(F, "std_corr0_" + tag, "std", [R(*shp)], lambda x, d=pyd, k=kd: x.std(d, correction=0, keepdim=k) if hasattr(torch, "_C") and False else x.std(d, unbiased=False, keepdim=k), [dims, {"unbiased": False, "keepdim": kd}])
        case(F, "logsumexp_" + tag, "logsumexp", [R(*shp)], lambda x, d=pyd, k=kd: x.logsumexp(d, keepdim=k), [dims, kd])
        case(F, "norm2_" + tag, "norm", [R(*shp)], lambda x, d=pyd, k=kd: x.norm(2, d, keepdim=k), [2, dims, kd])
        case(F, "any_" + tag, "any", [RB(*shp)], lambda x, d=pyd, k=kd: x.any(d, keepdim=k) if isinstance(d, int) else x.any(), [dims, kd] if isinstance(dims, int) else [])
        case(F, "countNonzero_" + tag, "countNonzero", [RI(0, 2, *shp)], lambda x, d=pyd: torch.count_nonzero(x, d), [dims])
    if isinstance(dims, int):
        for kd in (False, True):
            tag = "%s_%d%s" % ("x".join(map(str, shp)), dims, "_k" if kd else "")
            case(F, "max_dim_" + tag, "max", [D(*shp)], lambda x, d=dims, k=kd: x.max(d, keepdim=k), [dims, kd])
            case(F, "min_dim_" + tag, "min", [D(*shp)], lambda x, d=dims, k=kd: x.min(d, keepdim=k), [{"dim": dims, "keepdim": kd}])
            case(F, "argmax_" + tag, "argmax", [D(*shp)], lambda x, d=dims, k=kd: x.argmax(d, keepdim=k), [dims, kd])
            case(F, "argmin_" + tag, "argmin", [D(*shp)], lambda x, d=dims, k=kd: x.argmin(d, keepdim=k), [dims, kd])
            case(F, "prod_" + tag, "prod", [R(*shp)], lambda x, d=dims, k=kd: x.prod(d, keepdim=k), [dims, kd])
            case(F, "all_" + tag, "all", [RB(*shp, p=0.8)], lambda x, d=dims, k=kd: x.all(d, keepdim=k), [dims, kd])
        tag = "%s_%d" % ("x".join(map(str, shp)), dims)
        case(F, "cumsum_" + tag, "cumsum", [R(*shp)], lambda x, d=dims: x.cumsum(d), [dims])
        case(F, "cumprod_" + tag, "cumprod", [R(*shp)], lambda x, d=dims: x.cumprod(d), [dims])
        case(F, "torch_cumsum_" + tag, "cumsum", [R(*shp)], lambda x, d=dims: torch.cumsum(x, dim=d), [T(0), {"dim": dims}], call="torch")
case(F, "max_all", "max", [D(3, 4)], lambda x: x.max())
case(F, "min_all", "min", [D(3, 4)], lambda x: x.min())
case(F, "max_ties_all", "max", [In(torch.tensor([[1., 3., 3.], [0., 3., 2.]]))], lambda x: x.max())
case(F, "amax_ties", "amax", [In(torch.tensor([[1., 3., 3.], [0., 3., 2.]]))], lambda x: x.amax(1), [1])
case(F, "max_binary", "max", [R(3, 4), R(4)], lambda x, y: torch.max(x, y), [T(0), T(1)], call="torch")
case(F, "torch_max_dim", "max", [D(3, 4)], lambda x: torch.max(x, 1), [T(0), 1], call="torch")
case(F, "torch_sum_dims", "sum", [R(2, 3, 4)], lambda x: torch.sum(x, (0, 1)), [T(0), [0, 1]], call="torch")
case(F, "argmax_all", "argmax", [D(3, 4)], lambda x: x.argmax())
case(F, "argmin_all", "argmin", [D(3, 4)], lambda x: x.argmin())
case(F, "prod_all", "prod", [R(2, 3)], lambda x: x.prod())
case(F, "prod_zero", "prod", [In(torch.tensor([[1., 0., 3.], [2., 0., 0.], [1.5, 2., -1.]]))], lambda x: x.prod(1), [1])
case(F, "prod_all_zero", "prod", [In(torch.tensor([2., 0., 3.]))], lambda x: x.prod())
case(F, "cumprod_zero", "cumprod", [In(torch.tensor([[1., 0., 3., 2.], [2., 4., 0., 0.5]]))], lambda x: x.cumprod(1), [1])
case(F, "var_all", "var", [R(3, 4)], lambda x: x.var())
case(F, "var_unbiased_false", "var", [R(3, 4)], lambda x: x.var(unbiased=False), [False])
case(F, "var_dim_positional", "var", [R(3, 4)], lambda x: x.var(1, False, True), [1, False, True])
case(F, "var_correction2", "var", [R(3, 5)], lambda x: torch.var(x, 1, correction=2), [T(0), 1, {"correction": 2}], call="torch")
case(F, "std_all", "std", [R(3, 4)], lambda x: x.std())
case(F, "std_dims", "std", [R(2, 3, 4)], lambda x: x.std((0, 2), keepdim=True), [[0, 2], {"keepdim": True}])
case(F, "logsumexp_inf", "logsumexp", [In(torch.tensor([[0., float("-inf")], [float("-inf"), float("-inf")], [1., 2.]]))], lambda x: x.logsumexp(1), [1])
case(F, "logsumexp_large", "logsumexp", [In(torch.tensor([[1000., 1001.], [-1000., -999.]]))], lambda x: x.logsumexp(1), [1])
case(F, "norm_all", "norm", [R(3, 4)], lambda x: x.norm())
case(F, "norm_1", "norm", [R(3, 4)], lambda x: x.norm(1), [1])
case(F, "norm_1_dim", "norm", [R(3, 4)], lambda x: x.norm(1, 1), [1, 1])
case(F, "norm_inf", "norm", [D(3, 4)], lambda x: x.norm(float("inf"), 1), [float("inf"), 1])
case(F, "norm_ninf", "norm", [D(3, 4)], lambda x: x.norm(float("-inf")), [float("-inf")])
case(F, "norm_3", "norm", [R(3, 4)], lambda x: x.norm(3, 0), [3, 0])
case(F, "norm_zero_row", "norm", [In(torch.tensor([[0., 0.], [3., 4.]]))], lambda x: x.norm(dim=1), [{"dim": 1}])
case(F, "torch_norm", "norm", [R(4)], lambda x: torch.norm(x), [T(0)], call="torch")
case(F, "sum_int", "sum", [RI(-5, 5, 3, 4)], lambda x: x.sum(1), [1])
case(F, "cumsum_int", "cumsum", [RI(-5, 5, 3, 4)], lambda x: x.cumsum(0), [0])
case(F, "sum_bool", "sum", [RB(3, 4)], lambda x: x.sum())
case(F, "amax_int", "amax", [RI(-9, 9, 3, 4)], lambda x: x.amax(0), [0])
case(F, "max_dim_int", "max", [I([[3, 1, 3], [0, 7, 7]])], lambda x: x.max(1), [1])
case(F, "all_all", "all", [RB(3, 4, p=0.9)], lambda x: x.all())
case(F, "any_float", "any", [In(torch.tensor([[0., 0.], [0., 2.]]), False)], lambda x: x.any(1), [1])
case(F, "sum_noncontig", "sum", [R(4, 3, view={"t": True})], lambda x: x.sum(1), [1])
case(F, "amax_noncontig", "amax", [D(4, 3, view={"t": True})], lambda x: x.amax(1), [1])
case(F, "max_dim_noncontig", "max", [D(4, 3, view={"t": True})], lambda x: x.max(0), [0])
case(F, "cumsum_noncontig", "cumsum", [R(4, 3, view={"t": True})], lambda x: x.cumsum(1), [1])
case(F, "logsumexp_expand", "logsumexp", [R(1, 4, view={"expand": [3, 4]})], lambda x: x.logsumexp(0), [0])
case(F, "sum_expand", "sum", [R(4, view={"expand": [3, 4]})], lambda x: x.sum(1), [1])
case(F, "sum_empty", "sum", [R(0, 3)], lambda x: x.sum(0), [0])
case(F, "sum_empty_all", "sum", [R(0)], lambda x: x.sum())
case(F, "mean_empty_dim", "mean", [R(2, 0, 3)], lambda x: x.mean(2), [2])
case(F, "cumsum_empty", "cumsum", [R(0, 3)], lambda x: x.cumsum(0), [0])
case(F, "prod_empty", "prod", [R(2, 0)], lambda x: x.prod(1), [1])
case(F, "amax_empty_keep", "amax", [R(0, 3)], lambda x: x.amax(1), [1])
case(F, "cumsum_scalar", "cumsum", [R()], lambda x: x.cumsum(0), [0])
case(F, "err_sum_dim", "sum", [R(2, 3)], lambda x: x.sum(2), [2], error=True)
case(F, "err_max_empty", "max", [R(0)], lambda x: x.max(), error=True)
case(F, "err_amax_empty_dim", "amax", [R(0, 3)], lambda x: x.amax(0), [0], error=True)
case(F, "err_mean_int", "mean", [RI(0, 3, 2)], lambda x: x.mean(), error=True)

# ============================================================================= shape
F = "shape"
case(F, "split_size", "split", [R(5, 3)], lambda x: x.split(2), [2])
case(F, "split_sizes_dim1", "split", [R(2, 6)], lambda x: x.split([1, 2, 3], 1), [[1, 2, 3], 1])
case(F, "split_neg_dim", "split", [R(2, 3, 4)], lambda x: x.split(3, -1), [3, -1])
case(F, "torch_split", "split", [R(4, 2)], lambda x: torch.split(x, 3), [T(0), 3], call="torch")
case(F, "chunk_3", "chunk", [R(7, 2)], lambda x: x.chunk(3), [3])
case(F, "chunk_dim1", "chunk", [R(2, 6)], lambda x: x.chunk(4, 1), [4, 1])
case(F, "chunk_more", "chunk", [R(2, 3)], lambda x: x.chunk(5, 1), [5, 1])
case(F, "unbind_0", "unbind", [R(3, 2)], lambda x: x.unbind())
case(F, "unbind_neg", "unbind", [R(2, 3, 2)], lambda x: x.unbind(-2), [-2])
case(F, "flip_0", "flip", [R(3, 4)], lambda x: x.flip(0), [0])
case(F, "flip_dims", "flip", [R(2, 3, 4)], lambda x: x.flip(0, -1), [[0, -1]])
case(F, "flip_noncontig", "flip", [R(4, 3, view={"t": True})], lambda x: x.flip(1), [[1]])
case(F, "torch_flip", "flip", [R(3)], lambda x: torch.flip(x, [0]), [T(0), [0]], call="torch")
case(F, "roll_flat", "roll", [R(3, 4)], lambda x: x.roll(5), [5])
case(F, "roll_dim", "roll", [R(3, 4)], lambda x: x.roll(-1, 1), [-1, 1])
case(F, "roll_dims", "roll", [R(3, 4)], lambda x: x.roll((1, 2), (0, 1)), [[1, 2], [0, 1]])
case(F, "repeat_2d", "repeat", [R(2, 3)], lambda x: x.repeat(2, 1), [2, 1])
case(F, "repeat_more", "repeat", [R(2, 3)], lambda x: x.repeat(2, 1, 3), [2, 1, 3])
case(F, "repeat_list", "repeat", [R(3)], lambda x: x.repeat([2, 2]), [[2, 2]])
case(F, "tile_fewer", "tile", [R(2, 3)], lambda x: x.tile((2,)), [[2]])
case(F, "torch_tile", "tile", [R(2, 2)], lambda x: torch.tile(x, (2, 1, 2)), [T(0), [2, 1, 2]], call="torch")
case(F, "expand_as", "expandAs", [R(3, 1), R(2, 3, 4, grad=False)], lambda x, y: x.expand_as(y), [T(1)])
case(F, "broadcast_to", "broadcastTo", [R(1, 4)], lambda x: torch.broadcast_to(x, (3, 4)), [T(0), [3, 4]], call="torch")
case(F, "movedim", "movedim", [R(2, 3, 4)], lambda x: x.movedim(0, -1), [0, -1])
case(F, "movedim_list", "movedim", [R(2, 3, 4, 5)], lambda x: x.movedim((0, 1), (3, 0)), [[0, 1], [3, 0]])
case(F, "unflatten", "unflatten", [R(2, 12)], lambda x: x.unflatten(1, (3, -1)), [1, [3, -1]])
case(F, "squeeze_all", "squeeze", [R(1, 3, 1, 2)], lambda x: x.squeeze())
case(F, "squeeze_dim", "squeeze", [R(1, 3, 1, 2)], lambda x: x.squeeze(-2), [-2])
case(F, "squeeze_noop", "squeeze", [R(2, 3)], lambda x: x.squeeze(0), [0])
case(F, "unsqueeze_neg", "unsqueeze", [R(2, 3)], lambda x: x.unsqueeze(-1), [-1])
case(F, "torch_unsqueeze", "unsqueeze", [R(2, 3)], lambda x: torch.unsqueeze(x, 1), [T(0), 1], call="torch")
case(F, "narrow", "narrow", [R(4, 5)], lambda x: torch.narrow(x, 1, 1, 3), [T(0), 1, 1, 3], call="torch")
case(F, "select_neg", "select", [R(3, 4)], lambda x: torch.select(x, 1, -1), [T(0), 1, -1], call="torch")
for dg in (0, 1, -1, 5):
    case(F, "tril_%d" % dg, "tril", [R(3, 4)], lambda x, d=dg: x.tril(d), [dg])
    case(F, "triu_%d" % dg, "triu", [R(4, 3)], lambda x, d=dg: x.triu(d), [dg])
case(F, "tril_batched", "tril", [R(2, 3, 3)], lambda x: x.tril())
case(F, "triu_noncontig", "triu", [R(4, 3, view={"t": True})], lambda x: torch.triu(x, 1), [T(0), 1], call="torch")
case(F, "tril_int", "tril", [RI(1, 5, 3, 3)], lambda x: x.tril())
case(F, "tril_inf", "triu", [In(torch.full((3, 3), float("-inf")), False)], lambda x: x.triu(1), [1])
for off in (0, 1, -2):
    case(F, "diagonal_%d" % off, "diagonal", [R(3, 4)], lambda x, o=off: x.diagonal(o), [off])
case(F, "diagonal_dims", "diagonal", [R(2, 3, 4)], lambda x: x.diagonal(0, 2, 0), [0, 2, 0])
case(F, "diagonal_opts", "diagonal", [R(2, 3, 3)], lambda x: torch.diagonal(x, dim1=-2, dim2=-1), [T(0), {"dim1": -2, "dim2": -1}], call="torch")
case(F, "diag_vec", "diag", [R(3)], lambda x: x.diag())
case(F, "diag_vec_off", "diag", [R(3)], lambda x: torch.diag(x, -1), [T(0), -1], call="torch")
case(F, "diag_mat", "diag", [R(3, 4)], lambda x: x.diag(1), [1])
case(F, "cat_0", "cat", [R(2, 3), R(1, 3)], lambda x, y: torch.cat([x, y]), [TS(0, 1)], call="torch")
case(F, "cat_neg", "cat", [R(2, 3), R(2, 1), R(2, 2)], lambda x, y, z: torch.cat([x, y, z], -1), [TS(0, 1, 2), -1], call="torch")
case(F, "cat_opts", "cat", [R(2, 3), R(2, 1)], lambda x, y: torch.cat([x, y], dim=1), [TS(0, 1), {"dim": 1}], call="torch")
case(F, "cat_empty", "cat", [R(2, 3), R(0)], lambda x, y: torch.cat([x, y]), [TS(0, 1)], call="torch")
case(F, "cat_noncontig", "cat", [R(3, 2, view={"t": True}), R(2, 2)], lambda x, y: torch.cat([x, y], 1), [TS(0, 1), 1], call="torch")
case(F, "cat_int", "cat", [RI(0, 5, 2), RI(0, 5, 3)], lambda x, y: torch.cat([x, y]), [TS(0, 1)], call="torch")
case(F, "stack_0", "stack", [R(2, 3), R(2, 3)], lambda x, y: torch.stack([x, y]), [TS(0, 1)], call="torch")
case(F, "stack_neg", "stack", [R(2, 3), R(2, 3), R(2, 3)], lambda x, y, z: torch.stack([x, y, z], -1), [TS(0, 1, 2), -1], call="torch")
case(F, "hstack_1d", "hstack", [R(2), R(3)], lambda x, y: torch.hstack([x, y]), [TS(0, 1)], call="torch")
case(F, "hstack_2d", "hstack", [R(2, 1), R(2, 3)], lambda x, y: torch.hstack([x, y]), [TS(0, 1)], call="torch")
case(F, "vstack_1d", "vstack", [R(3), R(3)], lambda x, y: torch.vstack([x, y]), [TS(0, 1)], call="torch")
case(F, "vstack_2d", "vstack", [R(1, 3), R(2, 3)], lambda x, y: torch.vstack([x, y]), [TS(0, 1)], call="torch")
case(F, "torch_flatten", "flatten", [R(2, 3, 4)], lambda x: torch.flatten(x, 1), [T(0), 1], call="torch")
case(F, "torch_permute", "permute", [R(2, 3, 4)], lambda x: torch.permute(x, (2, 0, 1)), [T(0), [2, 0, 1]], call="torch")
case(F, "torch_transpose", "transpose", [R(2, 3)], lambda x: torch.transpose(x, 0, 1), [T(0), 0, 1], call="torch")
case(F, "err_split_sizes", "split", [R(5)], lambda x: x.split([2, 2]), [[2, 2]], error=True)
case(F, "err_cat_sizes", "cat", [R(2, 3), R(2, 4)], lambda x, y: torch.cat([x, y]), [TS(0, 1)], call="torch", error=True)
case(F, "err_stack_sizes", "stack", [R(2, 3), R(3, 2)], lambda x, y: torch.stack([x, y]), [TS(0, 1)], call="torch", error=True)
case(F, "err_flip_dim", "flip", [R(2, 3)], lambda x: x.flip(2), [2], error=True)
case(F, "err_diagonal_same", "diagonal", [R(2, 3)], lambda x: x.diagonal(0, 1, 1), [0, 1, 1], error=True)

# ============================================================================= indexing
F = "index"
case(F, "gather_1", "gather", [R(3, 4), RI(0, 4, 3, 5)], lambda x, i: x.gather(1, i), [1, T(1)])
case(F, "gather_0", "gather", [R(3, 4), RI(0, 3, 2, 4)], lambda x, i: x.gather(0, i), [0, T(1)])
case(F, "gather_neg_small", "gather", [R(2, 3, 4), RI(0, 4, 2, 2, 3)], lambda x, i: x.gather(-1, i), [-1, T(1)])
case(F, "gather_noncontig", "gather", [R(4, 3, view={"t": True}), RI(0, 4, 3, 2)], lambda x, i: torch.gather(x, 1, i), [T(0), 1, T(1)], call="torch")
case(F, "gather_dup", "gather", [R(2, 3), I([[0, 0, 0, 2], [1, 1, 1, 1]])], lambda x, i: x.gather(1, i), [1, T(1)])
case(F, "gather_opts", "gather", [R(2, 3), I([[2], [0]])], lambda x, i: x.gather(1, i), [{"dim": 1, "index": T(1)}])
case(F, "gather_empty", "gather", [R(2, 3), In(torch.zeros(2, 0, dtype=torch.int64), False)], lambda x, i: x.gather(1, i), [1, T(1)])
case(F, "scatter_src", "scatter", [R(3, 5), I([[0, 1, 2, 0, 1], [2, 0, 1, 1, 0]]), R(2, 5)], lambda x, i, s: x.scatter(0, i, s), [0, T(1), T(2)])
case(F, "scatter_value", "scatter", [R(2, 4), I([[1, 3], [0, 0]])], lambda x, i: x.scatter(1, i, 2.5), [1, T(1), 2.5])
case(F, "scatter_small_src", "scatter", [R(3, 4), I([[0, 2], [1, 3]]), R(2, 3, grad=False)], lambda x, i, s: x.scatter(1, i, s), [1, T(1), T(2)])
case(F, "scatter_reduce_add", "scatter", [R(3, 4, grad=False), I([[0, 0, 1, 1]]), R(1, 4, grad=False)], lambda x, i, s: x.scatter(0, i, s, reduce="add"), [0, T(1), T(2), {"reduce": "add"}])
case(F, "scatter_add", "scatterAdd", [R(3, 4), I([[0, 0, 1, 2], [2, 2, 2, 0]]), R(2, 4)], lambda x, i, s: x.scatter_add(0, i, s), [0, T(1), T(2)])
case(F, "scatter_add_dim1", "scatterAdd", [R(2, 3), RI(0, 3, 2, 6), R(2, 6)], lambda x, i, s: torch.scatter_add(x, -1, i, s), [T(0), -1, T(1), T(2)], call="torch")
case(F, "scatter_add_small", "scatterAdd", [R(3, 5), RI(0, 3, 2, 3), R(2, 4, grad=False)], lambda x, i, s: x.scatter_add(0, i, s), [0, T(1), T(2)])
case(F, "index_select_0", "indexSelect", [R(4, 3), I([3, 0, 0, 2])], lambda x, i: x.index_select(0, i), [0, T(1)])
case(F, "index_select_1", "indexSelect", [R(2, 5, 3), I([4, 1])], lambda x, i: torch.index_select(x, 1, i), [T(0), 1, T(1)], call="torch")
case(F, "index_select_neg", "indexSelect", [R(2, 3), I([2, 2, 0])], lambda x, i: x.index_select(-1, i), [-1, T(1)])
case(F, "index_select_noncontig", "indexSelect", [R(4, 3, view={"t": True}), I([1, 3])], lambda x, i: x.index_select(1, i), [1, T(1)])
case(F, "index_select_scalar_idx", "indexSelect", [R(3, 2), In(torch.tensor(1), False)], lambda x, i: x.index_select(0, i), [0, T(1)])
case(F, "index_select_empty", "indexSelect", [R(3, 2), In(torch.zeros(0, dtype=torch.int64), False)], lambda x, i: x.index_select(0, i), [0, T(1)])
case(F, "masked_fill", "maskedFill", [R(3, 4), RB(3, 4)], lambda x, m: x.masked_fill(m, -1.5), [T(1), -1.5])
case(F, "masked_fill_bcast", "maskedFill", [R(2, 3, 4), RB(3, 1)], lambda x, m: x.masked_fill(m, 0.0), [T(1), 0])
case(F, "masked_fill_ninf", "maskedFill", [R(2, 4, 4), In(torch.ones(4, 4).triu(1).bool(), False)], lambda x, m: x.masked_fill(m, float("-inf")), [T(1), float("-inf")])
case(F, "masked_fill_tensor_value", "maskedFill", [R(3, 4), RB(3, 4), R()], lambda x, m, v: x.masked_fill(m, v), [T(1), T(2)])
case(F, "masked_fill_noncontig", "maskedFill", [R(4, 3, view={"t": True}), RB(3, 4)], lambda x, m: x.masked_fill(m, 7.0), [T(1), 7])
case(F, "masked_fill_int", "maskedFill", [RI(0, 9, 3, 3), RB(3, 3)], lambda x, m: x.masked_fill(m, -1), [T(1), -1])
case(F, "masked_select", "maskedSelect", [R(3, 4), RB(3, 4)], lambda x, m: x.masked_select(m), [T(1)])
case(F, "masked_select_bcast", "maskedSelect", [R(3, 1), RB(2, 3, 4)], lambda x, m: torch.masked_select(x, m), [T(0), T(1)], call="torch")
case(F, "where", "where", [RB(3, 4), R(3, 4), R(3, 4)], lambda c, a, b: torch.where(c, a, b), [T(0), T(1), T(2)], call="torch")
case(F, "where_bcast", "where", [RB(3, 1), R(1, 4), R(2, 3, 4)], lambda c, a, b: torch.where(c, a, b), [T(0), T(1), T(2)], call="torch")
case(F, "where_scalar", "where", [RB(3, 4), R(3, 4)], lambda c, a: torch.where(c, a, torch.tensor(0.0)), [T(0), T(1), 0], call="torch")
case(F, "where_noncontig", "where", [RB(3, 4), R(4, 3, view={"t": True}), R(4, view={"expand": [3, 4]})], lambda c, a, b: torch.where(c, a, b), [T(0), T(1), T(2)], call="torch")
case(F, "where_method", "where", [R(3, 4), RB(3, 4), R(3, 4)], lambda a, c, b: a.where(c, b), [T(1), T(2)])
case(F, "nonzero", "nonzero", [In(torch.tensor([[0., 1., 0.], [2., 0., 3.]]), False)], lambda x: x.nonzero())
case(F, "nonzero_bool_3d", "nonzero", [RB(2, 3, 2)], lambda x: torch.nonzero(x), [T(0)], call="torch")
case(F, "nonzero_tuple", "nonzero", [RB(3, 4)], lambda x: torch.nonzero(x, as_tuple=True), [T(0), {"asTuple": True}], call="torch")
case(F, "nonzero_empty", "nonzero", [In(torch.zeros(3), False)], lambda x: x.nonzero())
for shp, k, dim, largest in [((10,), 3, -1, True), ((3, 8), 2, 1, True), ((3, 8), 3, 1, False), ((4, 5, 3), 2, 1, True), ((6, 4), 6, 0, False), ((3, 5), 0, 1, True)]:
    tag = "%s_k%d_d%d_%s" % ("x".join(map(str, shp)), k, dim, "l" if largest else "s")
    case(F, "topk_" + tag, "topk", [D(*shp)], lambda x, k=k, d=dim, l=largest: x.topk(k, d, l), [k, {"dim": dim, "largest": largest}])
case(F, "topk_noncontig", "topk", [D(5, 3, view={"t": True})], lambda x: torch.topk(x, 2), [T(0), 2], call="torch")
case(F, "topk_positional", "topk", [D(4, 6)], lambda x: x.topk(3, 0, False, True), [3, 0, False, True])
for shp, dim, desc in [((7,), -1, False), ((3, 6), 1, True), ((3, 6), 0, False), ((2, 4, 3), 1, True)]:
    tag = "%s_d%d_%s" % ("x".join(map(str, shp)), dim, "desc" if desc else "asc")
    case(F, "sort_" + tag, "sort", [D(*shp)], lambda x, d=dim, de=desc: x.sort(d, de), [dim, desc])
    case(F, "argsort_" + tag, "argsort", [D(*shp)], lambda x, d=dim, de=desc: x.argsort(d, de), [{"dim": dim, "descending": desc}])
case(F, "sort_stable_ties", "sort", [In(torch.tensor([[2., 1., 2., 1., 3., 1.]]))], lambda x: x.sort(stable=True), [{"stable": True}])
case(F, "sort_stable_ties_desc", "sort", [In(torch.tensor([[2., 1., 2., 1., 3., 1.]]))], lambda x: torch.sort(x, descending=True, stable=True), [T(0), {"descending": True, "stable": True}], call="torch")
case(F, "sort_nan", "sort", [In(torch.tensor([3., float("nan"), 1., 2.]))], lambda x: x.sort(), [])
case(F, "sort_int", "sort", [I([5, -1, 3, 9, 0])], lambda x: x.sort(descending=True), [{"descending": True}])
case(F, "sort_noncontig", "sort", [D(4, 3, view={"t": True})], lambda x: x.sort(1), [1])
case(F, "sort_empty", "sort", [R(0, 3)], lambda x: x.sort(0), [0])
case(F, "unique", "unique", [I([3, 1, 3, 2, 1, 7])], lambda x: torch.unique(x), [T(0)], call="torch")
case(F, "unique_all", "unique", [I([[3, 1], [3, 2], [1, 7]])], lambda x: torch.unique(x, return_inverse=True, return_counts=True), [T(0), {"returnInverse": True, "returnCounts": True}], call="torch")
case(F, "unique_float_counts", "unique", [In(torch.tensor([1.5, -2., 1.5, 0.]), False)], lambda x: x.unique(return_counts=True), [{"returnCounts": True}])
case(F, "unique_dim0", "unique", [I([[1, 2], [1, 2], [3, 4], [1, 2], [0, 9]])], lambda x: torch.unique(x, dim=0, return_inverse=True, return_counts=True), [T(0), {"dim": 0, "returnInverse": True, "returnCounts": True}], call="torch")
case(F, "unique_dim1_float", "unique", [In(torch.tensor([[3., 1., 3., -1.], [2., 0., 2., 5.]]), False)], lambda x: x.unique(dim=1, return_inverse=True, return_counts=True), [{"dim": 1, "returnInverse": True, "returnCounts": True}])
case(F, "unique_dim_neg_3d", "unique", [In(torch.tensor([[[1., 2.], [1., 2.]], [[0., 1.], [0., 1.]]]), False)], lambda x: x.unique(dim=-2), [{"dim": -2}])
case(F, "unique_dim_empty", "unique", [In(torch.zeros(0, 3), False)], lambda x: x.unique(dim=0, return_inverse=True), [{"dim": 0, "returnInverse": True}])
case(F, "err_unique_dim_zero", "unique", [In(torch.zeros(2, 0), False)], lambda x: x.unique(dim=0), [{"dim": 0}], error=True)
case(F, "scatter_multiply", "scatter", [In(torch.tensor([[1., 2., 3.], [4., 5., 6.]]), False), I([[0, 1, 0], [1, 0, 1]]), In(torch.tensor([[2., 3., 4.], [5., 6., 7.]]), False)], lambda x, i, s: x.scatter(0, i, s, reduce="multiply"), [0, T(1), T(2), {"reduce": "multiply"}])
case(F, "scatter_multiply_value", "scatter", [In(torch.tensor([[1., 2., 3.], [4., 5., 6.]]), False), I([[0, 1, 0], [1, 1, 2]])], lambda x, i: x.scatter(1, i, 2.5, reduce="multiply"), [1, T(1), 2.5, {"reduce": "multiply"}])
case(F, "scatter_multiply_small_src", "scatter", [In(torch.tensor([[1., 2., 3., 4.], [5., 6., 7., 8.], [1., 1., 1., 1.]]), False), I([[2, 0], [1, 2]]), In(torch.tensor([[2., 3., 9.], [4., 5., 9.]]), False)], lambda x, i, s: x.scatter(0, i, s, reduce="multiply"), [0, T(1), T(2), {"reduce": "multiply"}])
case(F, "scatter_multiply_int", "scatter", [I([[1, 2], [3, 4]]), I([[1, 1]]), I([[5, -2]])], lambda x, i, s: x.scatter(0, i, s, reduce="multiply"), [0, T(1), T(2), {"reduce": "multiply"}])
case(F, "err_scatter_multiply_oob", "scatter", [In(torch.tensor([[1., 2., 3.]]), False), I([[0, 3]])], lambda x, i: x.scatter(1, i, 2.0, reduce="multiply"), [1, T(1), 2.0, {"reduce": "multiply"}], error=True)
case(F, "err_gather_oob", "gather", [R(2, 3), I([[0, 3], [1, 0]])], lambda x, i: x.gather(1, i), [1, T(1)], error=True)
case(F, "err_gather_dims", "gather", [R(2, 3), I([0, 1])], lambda x, i: x.gather(1, i), [1, T(1)], error=True)
case(F, "err_index_select_oob", "indexSelect", [R(2, 3), I([0, 5])], lambda x, i: x.index_select(1, i), [1, T(1)], error=True)
case(F, "err_scatter_oob", "scatter", [R(2, 3), I([[0, 4]]), R(1, 2)], lambda x, i, s: x.scatter(1, i, s), [1, T(1), T(2)], error=True)
case(F, "err_topk_k", "topk", [R(3)], lambda x: x.topk(4), [4], error=True)
case(F, "err_masked_fill_shape", "maskedFill", [R(3, 4), RB(3, 5)], lambda x, m: x.masked_fill(m, 0.0), [T(1), 0], error=True)

# ============================================================================= linear algebra
F = "linalg"
case(F, "matmul_2d", "matmul", [R(3, 4), R(4, 5)], lambda a, b: a.matmul(b), [T(1)])
case(F, "matmul_batched_bcast", "matmul", [R(2, 1, 3, 4), R(3, 4, 2)], lambda a, b: a @ b, [T(1)])
case(F, "matmul_1d_2d", "matmul", [R(4), R(2, 4, 3)], lambda a, b: torch.matmul(a, b), [T(0), T(1)], call="torch")
case(F, "matmul_nd_1d", "matmul", [R(2, 3, 4), R(4)], lambda a, b: a.matmul(b), [T(1)])
case(F, "matmul_noncontig", "matmul", [R(4, 3, view={"t": True}), R(5, 4, view={"t": True})], lambda a, b: a.matmul(b), [T(1)])
case(F, "matmul_empty", "matmul", [R(0, 3), R(3, 2)], lambda a, b: a.matmul(b), [T(1)])
case(F, "bmm", "bmm", [R(2, 3, 4), R(2, 4, 5)], lambda a, b: a.bmm(b), [T(1)])
case(F, "torch_bmm", "bmm", [R(3, 2, 2), R(3, 2, 3)], lambda a, b: torch.bmm(a, b), [T(0), T(1)], call="torch")
case(F, "baddbmm", "baddbmm", [R(2, 3, 5), R(2, 3, 4), R(2, 4, 5)], lambda c, a, b: c.baddbmm(a, b, beta=0.5, alpha=2.0), [T(1), T(2), {"beta": 0.5, "alpha": 2}])
case(F, "baddbmm_bcast", "baddbmm", [R(5), R(2, 3, 4), R(2, 4, 5)], lambda c, a, b: torch.baddbmm(c, a, b), [T(0), T(1), T(2)], call="torch")
case(F, "addmm", "addmm", [R(3, 5), R(3, 4), R(4, 5)], lambda c, a, b: torch.addmm(c, a, b), [T(0), T(1), T(2)], call="torch")
case(F, "addmm_bias_scaled", "addmm", [R(5), R(3, 4), R(4, 5)], lambda c, a, b: c.addmm(a, b, beta=2.0, alpha=-1.0), [T(1), T(2), {"beta": 2, "alpha": -1}])
case(F, "mm", "mm", [R(2, 3), R(3, 2)], lambda a, b: torch.mm(a, b), [T(0), T(1)], call="torch")
case(F, "mv", "mv", [R(2, 3), R(3)], lambda a, b: a.mv(b), [T(1)])
case(F, "outer", "outer", [R(3), R(4)], lambda a, b: torch.outer(a, b), [T(0), T(1)], call="torch")
case(F, "dot", "dot", [R(5), R(5)], lambda a, b: a.dot(b), [T(1)])
for eq, shapes in [
        ("ij,jk->ik", [(3, 4), (4, 5)]),
        ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
        ("ij->ji", [(3, 4)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(4, 4)]),
        ("ij->", [(3, 4)]),
        ("i,j->ij", [(3,), (4,)]),
        ("i,i->", [(5,), (5,)]),
        ("ij,j->i", [(3, 4), (4,)]),
        ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 2)]),
        ("...ij,jk", [(2, 2, 3, 4), (4, 5)]),
        ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
        ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
        ("abc,cd,bd->ad", [(2, 3, 4), (4, 5), (3, 5)]),
        ("ik,jk", [(3, 4), (2, 4)]),
        ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
        ("i...->...", [(3, 2, 2)]),
        ("...,...->...", [(3, 1), (1, 4)]),
        ("iij->j", [(2, 2, 3)]),
        ("ijk->kij", [(2, 3, 4)])]:
    ins = [R(*s) for s in shapes]
    name = "einsum_" + eq.replace("->", "_to_").replace(",", "_").replace("...", "E")
    case(F, name, "einsum", ins, lambda *xs, e=eq: torch.einsum(e, *xs), [eq] + [T(k) for k in range(len(shapes))], call="torch")
case(F, "einsum_list", "einsum", [R(2, 3), R(3)], lambda a, b: torch.einsum("ij,j->i", [a, b]), ["ij,j->i", TS(0, 1)], call="torch")
case(F, "einsum_noncontig", "einsum", [R(4, 3, view={"t": True}), R(4, 2)], lambda a, b: torch.einsum("ij,jk->ik", a, b), ["ij,jk->ik", T(0), T(1)], call="torch")
case(F, "einsum_spaces", "einsum", [R(2, 3), R(3, 2)], lambda a, b: torch.einsum("ij, jk -> ik", a, b), ["ij, jk -> ik", T(0), T(1)], call="torch")
case(F, "err_matmul_shapes", "matmul", [R(2, 3), R(4, 2)], lambda a, b: a.matmul(b), [T(1)], error=True)
case(F, "err_dot_1d", "dot", [R(2, 3), R(3)], lambda a, b: a.dot(b), [T(1)], error=True)
case(F, "err_einsum_operands", "einsum", [R(2, 3)], lambda a: torch.einsum("ij,jk->ik", a), ["ij,jk->ik", T(0)], call="torch", error=True)

# ============================================================================= creation (deterministic ones)
F = "creation"
case(F, "eye_3", "eye", [], lambda: torch.eye(3), [3], call="torch")
case(F, "eye_2_4", "eye", [], lambda: torch.eye(2, 4), [2, 4], call="torch")
case(F, "linspace", "linspace", [], lambda: torch.linspace(-1, 2, 7), [-1, 2, 7], call="torch")
case(F, "linspace_1", "linspace", [], lambda: torch.linspace(3, 5, 1), [3, 5, 1], call="torch")
case(F, "linspace_big", "linspace", [], lambda: torch.linspace(0, 1, 101), [0, 1, 101], call="torch")
case(F, "logspace", "logspace", [], lambda: torch.logspace(-2, 2, 5), [-2, 2, 5], call="torch")
case(F, "logspace_base2", "logspace", [], lambda: torch.logspace(0, 4, 5, base=2), [0, 4, 5, {"base": 2}], call="torch")
case(F, "arange_step", "arange", [], lambda: torch.arange(1, 10, 3), [1, 10, 3], call="torch")
case(F, "arange_float", "arange", [], lambda: torch.arange(0, 1, 0.25), [0, 1, 0.25], call="torch")
case(F, "full_like", "fullLike", [R(2, 3)], lambda x: torch.full_like(x, 7), [T(0), 7], call="torch")
case(F, "full_like_int", "fullLike", [RI(0, 3, 4)], lambda x: torch.full_like(x, 2), [T(0), 2], call="torch")

os.makedirs(OUT, exist_ok=True)
for fname, cases in FILES.items():
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate names in " + fname
    path = os.path.join(OUT, fname + ".json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
    print("%-16s %4d cases %8d bytes" % (fname + ".json", len(cases), os.path.getsize(path)))
