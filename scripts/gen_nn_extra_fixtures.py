#!/usr/bin/python3
"""PyTorch 1.13 golden fixtures for the extra activations, elementwise math, norms and losses.

Run:  /usr/bin/python3 scripts/gen_nn_extra_fixtures.py     (writes test/fixtures/nn-extra/*.json)

Module cases use the schema of scripts/gen_fixtures.py (run_case) plus "print" (str(module)).
Function cases ("fn" cases): {name, fn, args, kwargs, inputs, outputs, gradOutputs, inputGrads}
where fn is the torchlet name (torch.<fn> or F.<fn>, see "ns"), args are the positional values
after the tensor inputs and kwargs the camelCase options. Float data may contain the strings
"NaN", "Infinity", "-Infinity". RMSNorm (PyTorch 2.4, absent from 1.13) is computed from its
documented formula in float64.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as gf  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "nn-extra")

gf.CAMEL.update({
    "negativeSlope": "negative_slope", "minVal": "min_val", "maxVal": "max_val",
    "numParameters": "num_parameters", "numGroups": "num_groups", "numChannels": "num_channels",
    "logTarget": "log_target", "zeroInfinity": "zero_infinity", "swap": "swap",
    "logInput": "log_input", "eps": "eps", "full": "full", "keepdim": "keepdim",
    "numClasses": "num_classes", "ignoreIndex": "ignore_index", "labelSmoothing": "label_smoothing", "posWeight": "pos_weight", "roundingMode": "rounding_mode", "elementwiseAffine": "elementwise_affine",
})


def fx(values):
    """float32 values -> JSON numbers (shortest float32 repr) or "NaN"/"Infinity" strings."""
    a = np.asarray(values, dtype=np.float32).ravel()
    out = []
    for v in a:
        if np.isnan(v):
            out.append("NaN")
        elif np.isinf(v):
            out.append("Infinity" if v > 0 else "-Infinity")
        else:
            out.append(float(str(v)))
    return out


def enc(t):
    t = t.detach().cpu()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(x) for x in t.reshape(-1).tolist()]}
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [int(x) for x in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "dtype": "float32", "data": fx(t.float().numpy())}


def fn_case(name, fn, torch_fn, inputs, args=(), kwargs=None, ns="torch", seed=0, grad=True):
    """inputs: tensors (float ones get requires_grad when grad); torch_fn(*inputs, *args, **kw)."""
    kwargs = kwargs or {}
    torch.manual_seed(seed)
    ins = []
    for t in inputs:
        t = t.detach().clone()
        if grad and t.dtype == torch.float32:
            t.requires_grad_(True)
        ins.append(t)
    kw = {gf.CAMEL.get(k, k): v for k, v in kwargs.items()}
    out = torch_fn(*ins, *args, **kw)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    gouts = [torch.randn_like(o) if o.dtype == torch.float32 else None for o in outs]
    input_grads = [None] * len(ins)
    if grad and any(o.requires_grad for o in outs):
        loss = sum((o * g).sum() for o, g in zip(outs, gouts) if o.requires_grad)
        loss.backward()
        input_grads = [enc(t.grad) if t.requires_grad and t.grad is not None else
                       (enc(torch.zeros_like(t)) if t.requires_grad else None) for t in ins]
    return {
        "name": name, "fn": fn, "ns": ns, "args": list(args), "kwargs": kwargs,
        "inputs": [enc(t) for t in ins],
        "outputs": [enc(o) for o in outs],
        "gradOutputs": [enc(g) if g is not None else None for g in gouts],
        "inputGrads": input_grads,
    }


def module_case(name, mod, args, kwargs, shapes, seed, train=True, scale=2.0, prep=None, inputs=None):
    def mk(shape):
        return lambda: (torch.randn(*shape) * scale, True)
    ins = inputs if inputs is not None else [mk(s) for s in shapes]
    torch.manual_seed(seed)
    m = gf.make_module(mod, args, kwargs)
    if prep:
        prep(m)
    # in-place modules need a non-leaf input in PyTorch: they get x * 1 (same gradients)
    fwd = (lambda mm, xs: mm(*[t * 1 for t in xs])) if kwargs.get("inplace") else None
    c = gf.run_case(name, mod, args, kwargs, ins, seed=seed, train=train, module_obj=m, forward=fwd)
    c["print"] = str(m)
    return c


def write(fname, cases):
    os.makedirs(OUT, exist_ok=True)
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate names in " + fname
    path = os.path.join(OUT, fname)
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
    print("%-22s %4d cases %9d bytes" % (fname, len(cases), os.path.getsize(path)))


# ----------------------------------------------------------------------------- activations
def gen_activations():
    C = []
    s = [1000]

    def add(name, mod, args, kw, shape=(3, 7), **o):
        s[0] += 1
        C.append(module_case(name, mod, args, kw, [shape], s[0], **o))
    add("gelu", "GELU", [], {})
    add("gelu_tanh", "GELU", [], {"approximate": "tanh"}, (2, 3, 5))
    add("silu", "SiLU", [], {})
    add("silu_inplace", "SiLU", [], {"inplace": True})
    add("mish", "Mish", [], {}, (2, 3, 4))
    add("relu6", "ReLU6", [], {}, (4, 9), scale=4.0)
    add("relu6_inplace", "ReLU6", [], {"inplace": True}, (4, 9), scale=4.0)
    add("hardtanh_default", "Hardtanh", [], {}, (3, 8))
    add("hardtanh_m2_3", "Hardtanh", [-2.0, 3.0], {})
    add("hardtanh_kw", "Hardtanh", [], {"minVal": -0.5, "maxVal": 0.75})
    add("hardswish", "Hardswish", [], {}, (4, 9), scale=3.0)
    add("hardsigmoid", "Hardsigmoid", [], {}, (4, 9), scale=3.0)
    add("leakyrelu_default", "LeakyReLU", [], {})
    add("leakyrelu_02", "LeakyReLU", [0.2], {})
    add("leakyrelu_inplace", "LeakyReLU", [], {"negativeSlope": 0.1, "inplace": True})
    add("elu_default", "ELU", [], {})
    add("elu_alpha05", "ELU", [0.5], {}, (2, 2, 5))
    add("celu_default", "CELU", [], {})
    add("celu_alpha2", "CELU", [], {"alpha": 2.0})
    add("selu", "SELU", [], {})
    add("softplus_default", "Softplus", [], {}, (3, 8), scale=8.0)
    add("softplus_beta2_th5", "Softplus", [], {"beta": 2, "threshold": 5}, (3, 8), scale=4.0)
    add("softsign", "Softsign", [], {})
    add("logsigmoid", "LogSigmoid", [], {}, (3, 8), scale=6.0)
    add("tanhshrink", "Tanhshrink", [], {})
    add("softshrink_default", "Softshrink", [], {})
    add("softshrink_1", "Softshrink", [1.0], {})
    add("hardshrink_default", "Hardshrink", [], {})
    add("hardshrink_03", "Hardshrink", [], {"lambd": 0.3})
    add("threshold", "Threshold", [0.1, 20.0], {})
    add("prelu_single", "PReLU", [], {}, (2, 3, 4))
    add("prelu_channels", "PReLU", [3], {}, (2, 3, 4, 2), prep=lambda m: m.weight.data.copy_(torch.tensor([0.1, -0.3, 0.5])))
    add("prelu_init", "PReLU", [], {"numParameters": 4, "init": 0.1}, (5, 4))
    add("softmin_dim1", "Softmin", [], {"dim": 1}, (3, 5))
    add("softmin_dim0", "Softmin", [0], {}, (4, 3))
    add("glu_default", "GLU", [], {}, (3, 6))
    add("glu_dim1", "GLU", [1], {}, (2, 4, 3))
    add("softmax2d", "Softmax2d", [], {}, (2, 3, 2, 2))
    add("rrelu_eval", "RReLU", [], {}, (3, 7), train=False)
    add("rrelu_eval_bounds", "RReLU", [0.1, 0.3], {}, (3, 7), train=False)
    # print texts only (and a forward): options that change the repr
    add("relu_inplace", "ReLU", [], {"inplace": True})
    add("elu_inplace", "ELU", [], {"alpha": 1.5, "inplace": True})
    add("hardtanh_inplace", "Hardtanh", [-1.0, 1.0], {"inplace": True})
    add("selu_inplace", "SELU", [], {"inplace": True})
    add("hardswish_inplace", "Hardswish", [], {"inplace": True})
    add("threshold_inplace", "Threshold", [0.5, -1.0], {"inplace": True})
    # a Sequential of several (print text of nested modules)
    s[0] += 1
    children = [["Linear", [4, 6], {}], ["GELU", [], {"approximate": "tanh"}], ["Linear", [6, 6], {}],
                ["Hardswish", [], {}], ["LeakyReLU", [0.05], {}], ["PReLU", [6], {}], ["ReLU6", [], {"inplace": True}]]
    C.append(module_case("seq_mix", "Sequential", children, {}, [(3, 4)], s[0]))
    C[-1]["build"] = [gf.json_build(c) for c in children]
    C[-1]["args"] = []
    # functional forms with positional / keyword arguments
    x = lambda *sh: torch.randn(*sh) * 2  # noqa: E731
    F_CASES = [
        ("F_gelu_tanh", "gelu", F.gelu, [x(3, 5)], (), {"approximate": "tanh"}),
        ("F_leakyRelu_pos", "leakyRelu", F.leaky_relu, [x(3, 5)], (0.3,), {}),
        ("F_elu_pos", "elu", F.elu, [x(3, 5)], (0.7,), {}),
        ("F_hardtanh_pos", "hardtanh", F.hardtanh, [x(3, 5)], (-0.5, 1.5), {}),
        ("F_softplus_pos", "softplus", F.softplus, [x(3, 5)], (3, 2), {}),
        ("F_relu6", "relu6", F.relu6, [x(4, 5) * 2], (), {}),
        ("F_celu", "celu", F.celu, [x(3, 5)], (), {"alpha": 0.5}),
        ("F_glu", "glu", F.glu, [x(4, 6)], (0,), {}),
        ("F_softmin", "softmin", F.softmin, [x(3, 5)], (1,), {}),
        ("F_prelu", "prelu", F.prelu, [x(2, 3, 4), torch.tensor([0.2, -0.1, 0.4])], (), {}),
        ("F_threshold", "threshold", F.threshold, [x(3, 5)], (0.5, -2.0), {}),
        ("F_logsigmoid_big", "logsigmoid", F.logsigmoid, [x(3, 5) * 20], (), {}),
        ("F_softplus_big", "softplus", F.softplus, [x(3, 5) * 20], (), {}),
        ("F_silu_big", "silu", F.silu, [x(3, 5) * 30], (), {}),
        ("F_mish_big", "mish", F.mish, [x(3, 5) * 15], (), {}),
        ("F_gelu_big", "gelu", F.gelu, [x(3, 5) * 5], (), {}),
    ]
    for i, (name, fn, tf, ins, args, kw) in enumerate(F_CASES):
        C.append(fn_case(name, fn, tf, ins, args, kw, ns="F", seed=2000 + i))
    # NaN / inf propagation
    special = torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0])
    for fn, tf in [("gelu", F.gelu), ("silu", F.silu), ("relu6", F.relu6), ("hardswish", F.hardswish),
                   ("hardsigmoid", F.hardsigmoid), ("leakyRelu", F.leaky_relu), ("elu", F.elu),
                   ("softplus", F.softplus), ("softsign", F.softsign), ("logsigmoid", F.logsigmoid), ("mish", F.mish),
                   ("selu", F.selu)]:
        C.append(fn_case("special_" + fn, fn, tf, [special], ns="F", grad=False))
    return C


# ----------------------------------------------------------------------------- elementwise math
def gen_elementwise():
    C = []
    torch.manual_seed(3000)
    r = lambda *sh: torch.randn(*sh) * 2  # noqa: E731
    u = lambda *sh: torch.rand(*sh) * 1.8 - 0.9  # noqa: E731  (-0.9, 0.9)
    pos = lambda *sh: torch.rand(*sh) * 3 + 0.1  # noqa: E731
    UN = [
        ("abs", torch.abs, r), ("sign", torch.sign, r), ("floor", torch.floor, r), ("ceil", torch.ceil, r),
        ("round", torch.round, r), ("trunc", torch.trunc, r), ("frac", torch.frac, r),
        ("sin", torch.sin, r), ("cos", torch.cos, r), ("tan", torch.tan, lambda *sh: torch.rand(*sh) * 2.4 - 1.2),
        ("asin", torch.asin, u), ("acos", torch.acos, u), ("atan", torch.atan, r),
        ("sinh", torch.sinh, r), ("cosh", torch.cosh, r), ("erf", torch.erf, r), ("erfinv", torch.erfinv, u),
        ("expm1", torch.expm1, r), ("log1p", torch.log1p, pos), ("log2", torch.log2, pos),
        ("log10", torch.log10, pos), ("exp2", torch.exp2, r), ("rsqrt", torch.rsqrt, pos),
        ("reciprocal", torch.reciprocal, pos), ("square", torch.square, r), ("exp", torch.exp, r),
        ("log", torch.log, pos), ("sqrt", torch.sqrt, pos), ("relu", torch.relu, r),
        ("sigmoid", torch.sigmoid, r), ("tanh", torch.tanh, r), ("neg", torch.neg, r),
    ]
    for i, (fn, tf, gen) in enumerate(UN):
        C.append(fn_case(fn, fn, tf, [gen(3, 7)], seed=3100 + i))
        C.append(fn_case(fn + "_4d", fn, tf, [gen(2, 3, 2, 3)], seed=3200 + i))
    C.append(fn_case("round_half_even", "round", torch.round, [torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 2.51])]))
    C.append(fn_case("round_decimals", "round", torch.round, [r(3, 5)], (), {"decimals": 2}, grad=False))
    sp = torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0, 1.5, -2.5])
    C.append(fn_case("nanToNum_default", "nanToNum", torch.nan_to_num, [sp]))
    C.append(fn_case("nanToNum_values", "nanToNum", torch.nan_to_num, [sp], (1.0, 100.0, -100.0)))
    C.append(fn_case("nanToNum_kw", "nanToNum", torch.nan_to_num, [sp], (), {"nan": 7.0, "neginf": -3.0}))
    C.append(fn_case("sign_special", "sign", torch.sign, [sp], grad=False))
    # int64 inputs
    it = torch.tensor([[-3, 2, 0], [5, -7, 1]])
    for fn, tf in [("abs", torch.abs), ("sign", torch.sign), ("floor", torch.floor), ("neg", torch.neg),
                   ("square", torch.square), ("sin", torch.sin), ("sqrt", torch.sqrt), ("exp", torch.exp)]:
        C.append(fn_case(fn + "_int64", fn, tf, [it], grad=False))
    # binary (broadcast)
    BIN = [
        ("atan2", torch.atan2, r(3, 4), r(4)), ("hypot", torch.hypot, r(3, 1), r(1, 5)),
        ("remainder", torch.remainder, r(3, 4) * 3, pos(3, 4) * torch.sign(r(3, 4))),
        ("fmod", torch.fmod, r(3, 4) * 3, pos(3, 4) * torch.sign(r(3, 4))),
        ("maximum", torch.maximum, r(3, 4), r(3, 4)), ("minimum", torch.minimum, r(2, 3, 4), r(3, 1)),
        ("add", torch.add, r(3, 4), r(4)), ("sub", torch.sub, r(3, 4), r(3, 1)), ("mul", torch.mul, r(3, 4), r(4)),
        ("div", torch.div, r(3, 4), pos(4)), ("pow", torch.pow, pos(3, 4), r(4)),
    ]
    for i, (fn, tf, a, b) in enumerate(BIN):
        C.append(fn_case(fn + "_tt", fn, tf, [a, b], seed=3300 + i))
    C.append(fn_case("remainder_scalar", "remainder", torch.remainder, [r(3, 4) * 3], (1.5,)))
    C.append(fn_case("remainder_neg_scalar", "remainder", torch.remainder, [r(3, 4) * 3], (-1.5,)))
    C.append(fn_case("fmod_scalar", "fmod", torch.fmod, [r(3, 4) * 3], (1.5,)))
    C.append(fn_case("remainder_int", "remainder", torch.remainder, [torch.tensor([-7, -3, 0, 3, 7])], (3,), grad=False))
    C.append(fn_case("fmod_int", "fmod", torch.fmod, [torch.tensor([-7, -3, 0, 3, 7])], (3,), grad=False))
    C.append(fn_case("add_alpha", "add", torch.add, [r(3, 4), r(4)], (), {"alpha": 2.5}))
    C.append(fn_case("sub_alpha", "sub", torch.sub, [r(3, 4), r(4)], (), {"alpha": 0.5}))
    C.append(fn_case("add_scalar", "add", torch.add, [r(3, 4)], (2.0,)))
    C.append(fn_case("mul_scalar", "mul", torch.mul, [r(3, 4)], (-1.5,)))
    C.append(fn_case("div_floor", "div", torch.div, [r(3, 4) * 4, pos(4)], (), {"roundingMode": "floor"}, grad=False))
    C.append(fn_case("div_trunc", "div", torch.div, [r(3, 4) * 4, pos(4)], (), {"roundingMode": "trunc"}, grad=False))
    C.append(fn_case("pow_scalar", "pow", torch.pow, [pos(3, 4)], (2.5,)))
    # clamp: number bounds, tensor bounds (broadcast), one side only
    C.append(fn_case("clamp_num", "clamp", torch.clamp, [r(3, 5)], (-0.5, 0.8)))
    C.append(fn_case("clamp_min_only", "clamp", torch.clamp, [r(3, 5)], (), {"min": 0.2}))
    C.append(fn_case("clamp_max_only", "clamp", torch.clamp, [r(3, 5)], (), {"max": -0.1}))
    C.append(fn_case("clamp_tensors", "clamp", torch.clamp, [r(3, 5), r(5) - 1, r(3, 1) + 1]))
    C.append(fn_case("clamp_tensor_min", "clamp", torch.clamp, [r(3, 5), r(5)]))
    C.append(fn_case("clamp_crossed", "clamp", torch.clamp, [r(3, 5), torch.full((5,), 0.5), torch.full((1,), -0.5)]))
    C.append(fn_case("clip_num", "clip", torch.clip, [r(3, 5)], (-1.0, 1.0)))
    # ternary
    C.append(fn_case("lerp_scalar", "lerp", torch.lerp, [r(3, 4), r(3, 4)], (0.3,)))
    C.append(fn_case("lerp_tensor", "lerp", torch.lerp, [r(3, 4), r(4), torch.rand(3, 1)]))
    C.append(fn_case("addcmul", "addcmul", torch.addcmul, [r(3, 4), r(3, 4), r(4)], (), {"value": 0.5}))
    C.append(fn_case("addcdiv", "addcdiv", torch.addcdiv, [r(3, 4), r(3, 4), pos(3, 4)], (), {"value": -2.0}))
    C.append(fn_case("addcmul_default", "addcmul", torch.addcmul, [r(3, 4), r(3, 1), r(4)]))
    return C


# ----------------------------------------------------------------------------- norms
class RMSNorm(nn.Module):
    """PyTorch 2.4's nn.RMSNorm, computed in float64 from its documented formula."""
    def __init__(self, normalized_shape, eps=None, elementwise_affine=True):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = nn.Parameter(torch.ones(self.normalized_shape)) if elementwise_affine else None

    def forward(self, x):
        return rms_norm64(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return "{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}".format(**self.__dict__)


def rms_norm64(x, normalized_shape, weight=None, eps=None):
    eps = torch.finfo(torch.float32).eps if eps is None else eps
    dims = tuple(range(x.dim() - len(normalized_shape), x.dim()))
    xd = x.double()
    y = xd * torch.rsqrt(xd.pow(2).mean(dims, keepdim=True) + eps)
    if weight is not None:
        y = y * weight.double()
    return y.float()


nn.RMSNorm = RMSNorm


def gen_norms():
    C = []
    s = [4000]
    perturb = gf.perturb_params

    def add(name, mod, args, kw, shape, train=True, prep=perturb):
        s[0] += 1
        C.append(module_case(name, mod, args, kw, [shape], s[0], train=train, prep=prep, scale=1.5))

    def stats(m):
        perturb(m)
        with torch.no_grad():
            if m.track_running_stats:
                m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.5)
                m.running_var.copy_(torch.rand_like(m.running_var) + 0.5)
    add("groupnorm_2_6", "GroupNorm", [2, 6], {}, (3, 6, 5))
    add("groupnorm_3_6_noaffine", "GroupNorm", [3, 6], {"affine": False}, (2, 6, 4, 4))
    add("groupnorm_1_4_eps", "GroupNorm", [1, 4], {"eps": 1e-3}, (2, 4, 3))
    add("groupnorm_4_4", "GroupNorm", [4, 4], {}, (2, 4, 2, 3))
    add("groupnorm_2_4_2d", "GroupNorm", [2, 4], {}, (3, 4))
    add("groupnorm_default_init", "GroupNorm", [2, 4], {}, (2, 4, 3), prep=None)
    add("instancenorm1d", "InstanceNorm1d", [4], {}, (2, 4, 7))
    add("instancenorm1d_unbatched", "InstanceNorm1d", [4], {}, (4, 7))
    add("instancenorm1d_affine", "InstanceNorm1d", [3], {"affine": True}, (2, 3, 6))
    add("instancenorm2d", "InstanceNorm2d", [3], {}, (2, 3, 4, 5))
    add("instancenorm2d_affine", "InstanceNorm2d", [3], {"affine": True, "eps": 1e-3}, (2, 3, 4, 5))
    add("instancenorm2d_track_train", "InstanceNorm2d", [3], {"trackRunningStats": True, "momentum": 0.3}, (2, 3, 4, 4), prep=stats)
    add("instancenorm2d_track_eval", "InstanceNorm2d", [3], {"trackRunningStats": True, "affine": True}, (2, 3, 4, 4), train=False, prep=stats)
    add("instancenorm2d_notrack_eval", "InstanceNorm2d", [3], {"affine": True}, (2, 3, 3, 4), train=False)
    add("instancenorm3d", "InstanceNorm3d", [2], {"affine": True}, (2, 2, 3, 3, 3))
    add("instancenorm3d_unbatched", "InstanceNorm3d", [2], {"trackRunningStats": True}, (2, 3, 2, 3), prep=stats)
    add("rmsnorm_8", "RMSNorm", [8], {}, (3, 8))
    add("rmsnorm_3x4_eps", "RMSNorm", [[3, 4]], {"eps": 1e-5}, (2, 3, 4))
    add("rmsnorm_noaffine", "RMSNorm", [5], {"elementwiseAffine": False}, (2, 3, 5))
    add("rmsnorm_default_init", "RMSNorm", [6], {"eps": 1e-6}, (4, 6), prep=None)
    r = lambda *sh: torch.randn(*sh) * 1.5  # noqa: E731
    C.append(fn_case("F_groupNorm_pos", "groupNorm", F.group_norm, [r(2, 6, 3), r(6), r(6)], (), {}, ns="F")
             if False else fn_case("F_groupNorm", "groupNorm", lambda x, w, b, **k: F.group_norm(x, 3, w, b, **k),
                                   [r(2, 6, 3), r(6), r(6)], (), {}, ns="F"))
    C[-1]["args"] = []
    C[-1]["call"] = "groupNorm(x, 3, { weight, bias })"
    C.append(fn_case("F_instanceNorm", "instanceNorm", F.instance_norm, [r(2, 3, 5)], ns="F"))
    C.append(fn_case("F_rmsNorm", "rmsNorm", lambda x, w: rms_norm64(x, (4,), w), [r(3, 4), r(4)], ns="F"))
    return C


# ----------------------------------------------------------------------------- losses
def gen_losses():
    C = []
    s = [5000]

    def add(name, mod, args, kw, inputs, **o):
        s[0] += 1
        C.append(module_case(name, mod, args, kw, None, s[0], inputs=inputs, **o))

    def g(*sh, scale=1.0):
        return lambda: (torch.randn(*sh) * scale, True)

    def c(t):
        return lambda: (t() if callable(t) else t, False)

    sign = lambda *sh: (torch.randint(0, 2, sh) * 2 - 1).float()  # noqa: E731
    for red in ["mean", "sum", "none"]:
        add("l1_" + red, "L1Loss", [], {"reduction": red}, [g(3, 5), c(lambda: torch.randn(3, 5))])
    add("smoothl1_default", "SmoothL1Loss", [], {}, [g(4, 5, scale=2), c(lambda: torch.randn(4, 5))])
    add("smoothl1_beta05_sum", "SmoothL1Loss", [], {"beta": 0.5, "reduction": "sum"}, [g(4, 5, scale=2), c(lambda: torch.randn(4, 5))])
    add("smoothl1_beta0", "SmoothL1Loss", [], {"beta": 0.0}, [g(4, 5), c(lambda: torch.randn(4, 5))])
    add("huber_default", "HuberLoss", [], {}, [g(4, 5, scale=2), c(lambda: torch.randn(4, 5))])
    add("huber_delta05_none", "HuberLoss", [], {"delta": 0.5, "reduction": "none"}, [g(4, 5, scale=2), c(lambda: torch.randn(4, 5))])
    add("huber_pos_sum", "HuberLoss", ["sum", 2.0], {}, [g(3, 4, scale=3), c(lambda: torch.randn(3, 4))])
    lsm = lambda *sh: torch.log_softmax(torch.randn(*sh), -1)  # noqa: E731
    for red in ["batchmean", "mean", "sum", "none"]:
        add("kldiv_" + red, "KLDivLoss", [], {"reduction": red}, [lambda: (lsm(3, 5), True), c(lambda: torch.softmax(torch.randn(3, 5), -1))])
    add("kldiv_logtarget", "KLDivLoss", [], {"reduction": "batchmean", "logTarget": True}, [lambda: (lsm(3, 5), True), c(lambda: lsm(3, 5))])
    add("kldiv_zero_target", "KLDivLoss", [], {"reduction": "sum"}, [lambda: (lsm(2, 4), True), c(torch.tensor([[0.0, 0.5, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25]]))])
    add("marginranking", "MarginRankingLoss", [], {"margin": 0.5}, [g(6), g(6), c(lambda: sign(6))])
    add("marginranking_default_sum", "MarginRankingLoss", [], {"reduction": "sum"}, [g(6), g(6), c(lambda: sign(6))])
    add("cosineembedding", "CosineEmbeddingLoss", [], {"margin": 0.2}, [g(4, 5), g(4, 5), c(lambda: sign(4))])
    add("cosineembedding_none", "CosineEmbeddingLoss", [-0.1], {"reduction": "none"}, [g(4, 5), g(4, 5), c(lambda: sign(4))])
    add("triplet_default", "TripletMarginLoss", [], {}, [g(4, 6), g(4, 6), g(4, 6)])
    add("triplet_p1_swap", "TripletMarginLoss", [], {"margin": 2.0, "p": 1.0, "swap": True}, [g(4, 6), g(4, 6), g(4, 6)])
    add("triplet_none", "TripletMarginLoss", [], {"margin": 0.5, "reduction": "none"}, [g(5, 3), g(5, 3), g(5, 3)])
    add("hinge_default", "HingeEmbeddingLoss", [], {}, [g(3, 4), c(lambda: sign(3, 4))])
    add("hinge_margin2_sum", "HingeEmbeddingLoss", [2.0], {"reduction": "sum"}, [g(3, 4), c(lambda: sign(3, 4))])
    add("softmargin", "SoftMarginLoss", [], {}, [g(3, 4, scale=2), c(lambda: sign(3, 4))])
    add("multilabelsoftmargin", "MultiLabelSoftMarginLoss", [], {}, [g(3, 5, scale=2), c(lambda: torch.randint(0, 2, (3, 5)).float())])
    add("multilabelsoftmargin_weight_none", "MultiLabelSoftMarginLoss", [], {"weight": torch.rand(5) + 0.5, "reduction": "none"},
        [g(3, 5, scale=2), c(lambda: torch.randint(0, 2, (3, 5)).float())])
    add("poisson_default", "PoissonNLLLoss", [], {}, [g(3, 4), c(lambda: torch.poisson(torch.rand(3, 4) * 4))])
    add("poisson_nolog_full", "PoissonNLLLoss", [], {"logInput": False, "full": True},
        [lambda: (torch.rand(3, 4) * 3 + 0.1, True), c(lambda: torch.poisson(torch.rand(3, 4) * 4))])
    add("gaussian_default", "GaussianNLLLoss", [], {}, [g(4, 3), c(lambda: torch.randn(4, 3)), lambda: (torch.rand(4, 3) + 0.1, True)])
    add("gaussian_full_var1_sum", "GaussianNLLLoss", [], {"full": True, "reduction": "sum"},
        [g(4, 3), c(lambda: torch.randn(4, 3)), lambda: (torch.rand(4, 1) + 0.1, True)])
    add("gaussian_var_unsqueeze", "GaussianNLLLoss", [], {"eps": 0.05},
        [g(4, 3), c(lambda: torch.randn(4, 3)), lambda: (torch.rand(4) * 0.2, True)])
    # cross entropy: probability targets, (N, C, d1, ...) inputs
    probs = lambda *sh: torch.softmax(torch.randn(*sh), 1)  # noqa: E731
    add("ce_probs", "CrossEntropyLoss", [], {}, [g(4, 5), c(lambda: probs(4, 5))])
    add("ce_probs_smooth_weight", "CrossEntropyLoss", [], {"labelSmoothing": 0.2, "weight": torch.rand(5) + 0.5},
        [g(4, 5), c(lambda: probs(4, 5))])
    add("ce_probs_2d_sum", "CrossEntropyLoss", [], {"reduction": "sum"}, [g(2, 3, 4, 2), c(lambda: probs(2, 3, 4, 2))])
    add("ce_probs_2d_none", "CrossEntropyLoss", [], {"reduction": "none", "labelSmoothing": 0.1}, [g(2, 3, 4), c(lambda: probs(2, 3, 4))])
    add("ce_index_2d_ignore", "CrossEntropyLoss", [], {"ignoreIndex": 1}, [g(2, 4, 3, 3), c(lambda: torch.randint(0, 4, (2, 3, 3)))])
    add("ce_index_2d_weight_smooth", "CrossEntropyLoss", [], {"weight": torch.rand(4) + 0.5, "labelSmoothing": 0.1},
        [g(2, 4, 3, 2), c(lambda: torch.randint(0, 4, (2, 3, 2)))])
    add("bcelogits_posweight", "BCEWithLogitsLoss", [], {"posWeight": torch.rand(5) * 3},
        [g(4, 5, scale=2), c(lambda: torch.randint(0, 2, (4, 5)).float())])
    add("bcelogits_posweight_weight_sum", "BCEWithLogitsLoss", [], {"posWeight": torch.rand(5) * 3, "weight": torch.rand(4, 1), "reduction": "sum"},
        [g(4, 5, scale=2), c(lambda: torch.rand(4, 5))])
    add("cosinesimilarity", "CosineSimilarity", [], {}, [g(4, 5), g(4, 5)])
    add("cosinesimilarity_dim0", "CosineSimilarity", [0], {"eps": 1e-6}, [g(3, 4), g(3, 4)])
    add("pairwisedistance", "PairwiseDistance", [], {}, [g(4, 5), g(4, 5)])
    add("pairwisedistance_p1_keepdim", "PairwiseDistance", [1.0], {"keepdim": True}, [g(4, 5), g(4, 5)])
    add("pairwisedistance_p3", "PairwiseDistance", [], {"p": 3.0, "eps": 1e-3}, [g(3, 4), g(4)])
    # CTC
    T, N, Cc = 12, 3, 5

    def ctc_inputs(concat=False, impossible=False):
        def lp():
            return torch.log_softmax(torch.randn(T, N, Cc), 2), True
        tl = torch.tensor([3, 5, 1]) if not impossible else torch.tensor([3, 9, 2])
        il = torch.tensor([12, 10, 7]) if not impossible else torch.tensor([12, 6, 7])
        tg = torch.randint(1, Cc, (N, int(tl.max())))
        if impossible:
            tg[1, :] = torch.tensor([1, 1, 1, 1, 1, 1, 1, 1, 1])
        if concat:
            tg = torch.cat([tg[n, :tl[n]] for n in range(N)])
        return [lp, c(tg), c(il), c(tl)]
    add("ctc_mean", "CTCLoss", [], {}, ctc_inputs())
    add("ctc_sum_concat", "CTCLoss", [], {"reduction": "sum"}, ctc_inputs(concat=True))
    add("ctc_none_blank4", "CTCLoss", [], {"blank": 0, "reduction": "none"}, ctc_inputs())
    add("ctc_zero_infinity", "CTCLoss", [], {"zeroInfinity": True, "reduction": "none"}, ctc_inputs(impossible=True))
    # functional forms
    r = lambda *sh: torch.randn(*sh)  # noqa: E731
    C.append(fn_case("F_normalize", "normalize", F.normalize, [r(3, 4)], ns="F"))
    C.append(fn_case("F_normalize_p1_dim0", "normalize", F.normalize, [r(3, 4)], (1.0, 0), ns="F"))
    C.append(fn_case("F_cosineSimilarity_bcast", "cosineSimilarity", F.cosine_similarity, [r(3, 4), r(4)], (), {"dim": -1}, ns="F"))
    C.append(fn_case("F_pairwiseDistance", "pairwiseDistance", F.pairwise_distance, [r(3, 4), r(3, 4)], (2.0, 1e-6, True), ns="F"))
    C.append(fn_case("F_oneHot", "oneHot", F.one_hot, [torch.tensor([[0, 2], [3, 1]])], ns="F", grad=False))
    C.append(fn_case("F_oneHot_n", "oneHot", F.one_hot, [torch.tensor([0, 2, 1])], (5,), ns="F", grad=False))
    C.append(fn_case("F_l1Loss", "l1Loss", F.l1_loss, [r(3, 4), r(3, 4)], (), {"reduction": "sum"}, ns="F"))
    C.append(fn_case("F_smoothL1Loss", "smoothL1Loss", F.smooth_l1_loss, [r(3, 4) * 2, r(3, 4)], (), {"beta": 0.3}, ns="F"))
    C.append(fn_case("F_huberLoss", "huberLoss", F.huber_loss, [r(3, 4) * 2, r(3, 4)], (), {"delta": 1.5}, ns="F"))
    C.append(fn_case("F_klDiv_logtarget", "klDiv", F.kl_div, [torch.log_softmax(r(3, 4), 1), torch.log_softmax(r(3, 4), 1)], (),
                     {"reduction": "batchmean", "logTarget": True}, ns="F"))
    return C


GENERATORS = {"activations": gen_activations, "elementwise": gen_elementwise, "norms": gen_norms, "losses": gen_losses}

if __name__ == "__main__":
    which = sys.argv[1:] or list(GENERATORS)
    for w in which:
        write(w + ".json", GENERATORS[w]())
