#!/usr/bin/python3
"""Generate PyTorch reference fixtures for torchlet's test-suite.

Run:  /usr/bin/python3 scripts/gen_fixtures.py      (writes test/fixtures/*.json
      and test/fixtures/simple_cnn*.safetensors)

Schema of a case (see each file's "schema" note):
  name, module ("Conv2d" = nn.Conv2d, "functional:<name>" for F-only cases),
  args (positional ctor args), kwargs (camelCase torchlet option names; tensor-valued
  options such as CrossEntropyLoss weight / BCEWithLogitsLoss posWeight are tensor objects
  {"shape","dtype","data"}), train, inputs, state, outputs, gradOutputs, inputGrads,
  paramGrads, stateAfter (only for modules with buffers).
Float data are the shortest decimal strings that round-trip to the exact float32 value.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures")

CAMEL = {
    "ceilMode": "ceil_mode", "countIncludePad": "count_include_pad",
    "outputPadding": "output_padding", "batchFirst": "batch_first",
    "numLayers": "num_layers", "paddingIdx": "padding_idx", "ignoreIndex": "ignore_index",
    "labelSmoothing": "label_smoothing", "elementwiseAffine": "elementwise_affine",
    "trackRunningStats": "track_running_stats", "startDim": "start_dim", "endDim": "end_dim",
    "posWeight": "pos_weight", "paddingMode": "padding_mode", "weightDecay": "weight_decay",
    "maxNorm": "max_norm", "normType": "norm_type", "scaleGradByFreq": "scale_grad_by_freq",
}


# ----------------------------------------------------------------------------- encoding
def fl(values):
    """float32 array -> list of Python floats whose repr is the shortest float32 round-trip."""
    a = np.asarray(values, dtype=np.float32).ravel()
    out = []
    for v in a:
        if not np.isfinite(v):
            raise ValueError("non-finite value in fixture")
        out.append(float(str(v)))
    return out


def enc(t, with_dtype=True):
    t = t.detach().cpu()
    if t.dtype in (torch.int64, torch.int32, torch.long):
        d = {"shape": list(t.shape), "dtype": "int64", "data": [int(x) for x in t.reshape(-1).tolist()]}
    else:
        d = {"shape": list(t.shape), "dtype": "float32", "data": fl(t.float().numpy())}
    if not with_dtype and d["dtype"] == "float32":
        del d["dtype"]
    return d


def enc_sd(sd):
    return {k: enc(v) for k, v in sd.items()}


def to_torch_value(v):
    if isinstance(v, list):
        return tuple(to_torch_value(x) for x in v)
    return v


def to_json_value(v):
    if isinstance(v, torch.Tensor):
        return enc(v)
    if isinstance(v, tuple):
        return [to_json_value(x) for x in v]
    return v


def torch_kwargs(kwargs):
    return {CAMEL.get(k, k): to_torch_value(v) if not isinstance(v, torch.Tensor) else v
            for k, v in kwargs.items()}


def make_module(name, args, kwargs):
    if name == "Sequential":
        return nn.Sequential(*[make_module(c[0], c[1], c[2]) for c in args])
    cls = getattr(nn, name)
    return cls(*[to_torch_value(a) for a in args], **torch_kwargs(kwargs))


def json_build(build):
    """JSON form of a [name, args, kwargs] build spec (nested Sequential allowed)."""
    name, args, kwargs = build
    if name == "Sequential":
        args = [json_build(c) for c in args]
    return [name, [to_json_value(a) for a in args] if name != "Sequential" else args,
            {k: to_json_value(v) for k, v in kwargs.items()}]


# ----------------------------------------------------------------------------- case runner
def flatten_outputs(out):
    if isinstance(out, torch.Tensor):
        return [out]
    res = []
    for o in out:
        res.extend(flatten_outputs(o))
    return res


def perturb_params(m, scale=0.5):
    """Give default-initialised ones/zeros params (norm layers) non-trivial values."""
    with torch.no_grad():
        for n, p in m.named_parameters():
            p.add_(torch.randn_like(p) * scale)


def run_case(name, module, args, kwargs, inputs, *, seed, train=True, prep=None,
             grad_out="random", extra=None, module_obj=None, forward=None):
    """inputs: list of (tensor, requires_grad) or callables producing them after seeding."""
    torch.manual_seed(seed)
    m = module_obj if module_obj is not None else make_module(module, args, kwargs)
    if prep is not None:
        prep(m)
    m.train(train)
    ins = []
    for spec in inputs:
        t, rg = spec() if callable(spec) else spec
        t = t.detach().clone()
        if rg:
            t.requires_grad_(True)
        ins.append(t)
    state = {k: v.detach().clone() for k, v in m.state_dict().items()}
    out = forward(m, ins) if forward else m(*ins)
    outs = flatten_outputs(out)
    gouts = []
    for o in outs:
        if o.dim() == 0 and grad_out == "random":
            g = torch.ones_like(o)
        elif grad_out == "ones":
            g = torch.ones_like(o)
        else:
            g = torch.randn_like(o)
        gouts.append(g)
    loss = sum((o * g).sum() for o, g in zip(outs, gouts) if o.requires_grad)
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
    case = {
        "name": name,
        "module": module,
        "args": [to_json_value(a) for a in args],
        "kwargs": {k: to_json_value(v) for k, v in kwargs.items()},
        "train": train,
        "inputs": [dict(enc(t), requiresGrad=bool(t.requires_grad)) for t in ins],
        "state": enc_sd(state),
        "outputs": [enc(o, False) for o in outs],
        "gradOutputs": [enc(g, False) for g in gouts],
        "inputGrads": [enc(t.grad, False) if (t.requires_grad and t.grad is not None) else
                       (enc(torch.zeros_like(t), False) if t.requires_grad else None) for t in ins],
        "paramGrads": {n: enc(p.grad if p.grad is not None else torch.zeros_like(p), False)
                       for n, p in m.named_parameters()},
    }
    if len(list(m.buffers())) > 0:
        case["stateAfter"] = enc_sd(m.state_dict())
    if extra:
        case.update(extra)
    return case


def rn(*shape):
    return lambda: (torch.randn(*shape), True)


def distinct(*shape):
    """Random values that are all distinct (no argmax ties)."""
    def f():
        n = int(np.prod(shape))
        v = torch.randperm(n).float() / n * 4 - 2 + torch.rand(n) * (1.0 / n)
        return v.reshape(shape), True
    return f


def write(fname, cases, key="cases", extra=None):
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate names in " + fname
    obj = {"torch": torch.__version__, key: cases}
    if extra:
        obj.update(extra)
    path = os.path.join(OUT, fname)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("%-22s %4d cases %9d bytes" % (fname, len(cases), os.path.getsize(path)))


# ----------------------------------------------------------------------------- families
def gen_linear():
    C = []
    C.append(run_case("linear_bias_2d", "Linear", [5, 7], {}, [rn(3, 5)], seed=1))
    C.append(run_case("linear_nobias_2d", "Linear", [5, 7], {"bias": False}, [rn(3, 5)], seed=2))
    C.append(run_case("linear_bias_3d_input", "Linear", [6, 3], {}, [rn(2, 4, 6)], seed=3))
    C.append(run_case("linear_nobias_3d_input", "Linear", [6, 3], {"bias": False}, [rn(2, 3, 6)], seed=4))
    C.append(run_case("linear_1x1", "Linear", [1, 1], {}, [rn(4, 1)], seed=5))
    C.append(run_case("linear_eval_mode", "Linear", [9, 2], {}, [rn(3, 9)], seed=6, train=False))
    return C


def gen_conv():
    C = []
    s = 100
    def add(name, mod, args, kw, shape):
        nonlocal s
        s += 1
        C.append(run_case(name, mod, args, kw, [rn(*shape)], seed=s))
    # Conv1d
    add("conv1d_basic", "Conv1d", [3, 5, 3], {}, [2, 3, 11])
    add("conv1d_stride2_pad2", "Conv1d", [3, 4, 4], {"stride": 2, "padding": 2}, [2, 3, 13])
    add("conv1d_dil2_groups3", "Conv1d", [3, 6, 3], {"dilation": 2, "groups": 3}, [2, 3, 12])
    add("conv1d_same_k4", "Conv1d", [2, 3, 4], {"padding": "same"}, [2, 2, 9])
    add("conv1d_same_k3_dil3", "Conv1d", [2, 3, 3], {"padding": "same", "dilation": 3}, [2, 2, 10])
    add("conv1d_valid_nobias", "Conv1d", [4, 2, 5], {"padding": "valid", "bias": False}, [3, 4, 8])
    add("conv1d_1x1", "Conv1d", [4, 3, 1], {}, [2, 4, 7])
    add("conv1d_depthwise", "Conv1d", [4, 4, 3], {"groups": 4, "padding": 1}, [2, 4, 9])
    # Conv2d
    add("conv2d_basic", "Conv2d", [3, 4, 3], {}, [2, 3, 7, 8])
    add("conv2d_stride2_pad1_dil2_groups2", "Conv2d", [4, 6, 3],
        {"stride": 2, "padding": 1, "dilation": 2, "groups": 2, "bias": True}, [2, 4, 9, 9])
    add("conv2d_tuple_kernel_stride_pad", "Conv2d", [2, 3, [3, 2]],
        {"stride": [2, 1], "padding": [1, 2]}, [2, 2, 8, 7])
    add("conv2d_tuple_dilation", "Conv2d", [2, 3, 3], {"dilation": [2, 1], "padding": [2, 1]}, [2, 2, 9, 6])
    add("conv2d_same_k3", "Conv2d", [3, 4, 3], {"padding": "same"}, [2, 3, 6, 7])
    add("conv2d_same_k4x2_dil2", "Conv2d", [2, 3, [4, 2]], {"padding": "same", "dilation": 2}, [2, 2, 9, 8])
    add("conv2d_same_k5_nobias", "Conv2d", [2, 2, 5], {"padding": "same", "bias": False}, [2, 2, 5, 6])
    add("conv2d_valid", "Conv2d", [3, 2, 3], {"padding": "valid"}, [2, 3, 6, 5])
    add("conv2d_1x1", "Conv2d", [5, 3, 1], {}, [2, 5, 4, 6])
    add("conv2d_1x1_stride2_nobias", "Conv2d", [3, 4, 1], {"stride": 2, "bias": False}, [2, 3, 7, 7])
    add("conv2d_depthwise_groups_eq_C", "Conv2d", [4, 4, 3], {"groups": 4, "padding": 1}, [2, 4, 7, 6])
    add("conv2d_depthwise_multiplier2", "Conv2d", [3, 6, 3], {"groups": 3, "stride": 2}, [2, 3, 9, 8])
    add("conv2d_groups3_nobias", "Conv2d", [6, 3, 2], {"groups": 3, "bias": False}, [3, 6, 5, 5])
    add("conv2d_kernel_eq_input", "Conv2d", [2, 3, 5], {}, [2, 2, 5, 5])
    add("conv2d_stride3_pad2", "Conv2d", [2, 2, 3], {"stride": 3, "padding": 2}, [2, 2, 10, 11])
    add("conv2d_stride_gt_kernel", "Conv2d", [1, 2, 2], {"stride": 3}, [2, 1, 8, 8])
    # Conv3d
    add("conv3d_basic", "Conv3d", [2, 3, 3], {}, [2, 2, 5, 5, 4])
    add("conv3d_stride2_pad1", "Conv3d", [2, 2, 3], {"stride": 2, "padding": 1}, [2, 2, 5, 6, 5])
    add("conv3d_tuple_kernel_groups2", "Conv3d", [4, 2, [2, 3, 1]],
        {"groups": 2, "padding": [1, 0, 1], "stride": [1, 2, 1]}, [2, 4, 4, 5, 3])
    add("conv3d_dil2_nobias", "Conv3d", [1, 2, 2], {"dilation": 2, "bias": False}, [2, 1, 5, 5, 5])
    add("conv3d_same", "Conv3d", [2, 2, 3], {"padding": "same"}, [2, 2, 4, 3, 5])
    add("conv3d_1x1", "Conv3d", [3, 2, 1], {}, [2, 3, 2, 3, 2])
    return C


def gen_conv_transpose():
    C = []
    s = 200
    def add(name, args, kw, shape):
        nonlocal s
        s += 1
        C.append(run_case(name, "ConvTranspose2d", args, kw, [rn(*shape)], seed=s))
    add("convT2d_basic", [3, 4, 3], {}, [2, 3, 4, 5])
    add("convT2d_stride2", [3, 2, 3], {"stride": 2}, [2, 3, 4, 4])
    add("convT2d_stride2_pad1_outpad1", [2, 3, 3], {"stride": 2, "padding": 1, "outputPadding": 1}, [2, 2, 5, 4])
    add("convT2d_k4_s2_p1", [4, 2, 4], {"stride": 2, "padding": 1}, [2, 4, 3, 3])
    add("convT2d_tuple_args", [2, 3, [3, 2]], {"stride": [2, 3], "padding": [1, 0], "outputPadding": [1, 2]},
        [2, 2, 3, 4])
    add("convT2d_groups2", [4, 6, 3], {"groups": 2, "stride": 2}, [2, 4, 3, 4])
    add("convT2d_depthwise", [3, 3, 3], {"groups": 3, "padding": 1}, [2, 3, 5, 5])
    add("convT2d_dil2", [2, 2, 3], {"dilation": 2}, [2, 2, 4, 3])
    add("convT2d_dil2_stride2_outpad1_nobias", [2, 3, 3],
        {"dilation": 2, "stride": 2, "outputPadding": 1, "bias": False}, [2, 2, 3, 3])
    add("convT2d_1x1_nobias", [3, 2, 1], {"bias": False}, [2, 3, 4, 3])
    add("convT2d_groups2_dil2_pad2_stride3_outpad2", [4, 4, 3],
        {"groups": 2, "dilation": 2, "padding": 2, "stride": 3, "outputPadding": 2}, [2, 4, 3, 3])
    return C


def gen_pool():
    C = []
    s = 300
    def add(name, mod, args, kw, shape, train=True):
        nonlocal s
        s += 1
        C.append(run_case(name, mod, args, kw, [distinct(*shape)], seed=s, train=train))
    add("maxpool2d_k2", "MaxPool2d", [2], {}, [2, 3, 6, 8])
    add("maxpool2d_k3_s2_odd", "MaxPool2d", [3], {"stride": 2}, [2, 2, 9, 7])
    add("maxpool2d_k3_s1_pad1", "MaxPool2d", [3], {"stride": 1, "padding": 1}, [2, 2, 5, 6])
    add("maxpool2d_k3_dil2_pad1", "MaxPool2d", [3], {"stride": 2, "padding": 1, "dilation": 2}, [2, 2, 9, 10])
    add("maxpool2d_ceil", "MaxPool2d", [2], {"ceilMode": True}, [2, 2, 7, 5])
    add("maxpool2d_k3_s2_pad1_ceil", "MaxPool2d", [3], {"stride": 2, "padding": 1, "ceilMode": True},
        [2, 2, 8, 6])
    add("maxpool2d_nonsquare", "MaxPool2d", [[2, 3]], {"stride": [1, 2]}, [2, 2, 6, 9])
    add("maxpool2d_nonsquare_pad_ceil", "MaxPool2d", [[3, 2]],
        {"stride": [2, 1], "padding": [1, 0], "ceilMode": True}, [2, 3, 8, 5])
    add("maxpool2d_3d_input_unbatched", "MaxPool2d", [2], {}, [3, 6, 6])
    add("avgpool2d_k2", "AvgPool2d", [2], {}, [2, 3, 6, 8])
    add("avgpool2d_k3_s2_pad1_include", "AvgPool2d", [3], {"stride": 2, "padding": 1}, [2, 2, 7, 8])
    add("avgpool2d_k3_s2_pad1_exclude", "AvgPool2d", [3], {"stride": 2, "padding": 1, "countIncludePad": False},
        [2, 2, 7, 8])
    add("avgpool2d_ceil", "AvgPool2d", [2], {"ceilMode": True}, [2, 2, 7, 5])
    add("avgpool2d_k3_s2_pad1_ceil_include", "AvgPool2d", [3],
        {"stride": 2, "padding": 1, "ceilMode": True}, [2, 2, 8, 6])
    add("avgpool2d_k3_s2_pad1_ceil_exclude", "AvgPool2d", [3],
        {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}, [2, 2, 8, 6])
    add("avgpool2d_nonsquare_pad", "AvgPool2d", [[3, 2]], {"stride": [2, 1], "padding": [1, 1]}, [2, 2, 7, 5])
    add("adaptiveavgpool2d_global", "AdaptiveAvgPool2d", [1], {}, [2, 3, 5, 7])
    add("adaptiveavgpool2d_5x7_to_3x2", "AdaptiveAvgPool2d", [[3, 2]], {}, [2, 3, 5, 7])
    add("adaptiveavgpool2d_6x6_to_4", "AdaptiveAvgPool2d", [4], {}, [2, 2, 6, 6])
    add("adaptiveavgpool2d_upsample_3x3_to_5x4", "AdaptiveAvgPool2d", [[5, 4]], {}, [2, 2, 3, 3])
    add("adaptivemaxpool2d_global", "AdaptiveMaxPool2d", [1], {}, [2, 3, 5, 7])
    add("adaptivemaxpool2d_5x7_to_3x2", "AdaptiveMaxPool2d", [[3, 2]], {}, [2, 3, 5, 7])
    add("adaptivemaxpool2d_9x8_to_4", "AdaptiveMaxPool2d", [4], {}, [2, 2, 9, 8])
    return C


def gen_activations():
    C = []
    s = 400
    def add(name, mod, args, kw, shape, train=True):
        nonlocal s
        s += 1
        C.append(run_case(name, mod, args, kw, [lambda: (torch.randn(*shape) * 2, True)], seed=s, train=train))
    add("relu_2d", "ReLU", [], {}, [3, 7])
    add("relu_4d", "ReLU", [], {}, [2, 3, 4, 5])
    add("sigmoid_2d", "Sigmoid", [], {}, [3, 7])
    add("sigmoid_3d", "Sigmoid", [], {}, [2, 3, 5])
    add("tanh_2d", "Tanh", [], {}, [3, 7])
    add("tanh_4d", "Tanh", [], {}, [2, 2, 3, 3])
    add("softmax_dim1_2d", "Softmax", [], {"dim": 1}, [3, 7])
    add("softmax_dim0_2d", "Softmax", [], {"dim": 0}, [4, 5])
    add("softmax_dim_neg1_3d", "Softmax", [], {"dim": -1}, [2, 3, 6])
    add("softmax_dim1_4d", "Softmax", [], {"dim": 1}, [2, 4, 3, 3])
    add("logsoftmax_dim1_2d", "LogSoftmax", [], {"dim": 1}, [3, 7])
    add("logsoftmax_dim0_2d", "LogSoftmax", [], {"dim": 0}, [4, 5])
    add("logsoftmax_dim_neg1_3d", "LogSoftmax", [], {"dim": -1}, [2, 3, 6])
    add("logsoftmax_dim2_4d", "LogSoftmax", [], {"dim": 2}, [2, 3, 4, 2])
    add("identity", "Identity", [], {}, [3, 4])
    add("flatten_default", "Flatten", [], {}, [2, 3, 4, 5])
    add("flatten_start0", "Flatten", [], {"startDim": 0}, [2, 3, 4])
    add("flatten_start1_end2", "Flatten", [], {"startDim": 1, "endDim": 2}, [2, 3, 4, 5])
    add("flatten_start2_end_neg1", "Flatten", [], {"startDim": 2, "endDim": -1}, [2, 3, 4, 5])
    add("dropout_eval_p05", "Dropout", [0.5], {}, [3, 6], train=False)
    add("dropout_eval_p02_4d", "Dropout", [], {"p": 0.2}, [2, 3, 4, 4], train=False)
    add("dropout_train_p0", "Dropout", [0.0], {}, [3, 5], train=True)
    return C


def gen_norm():
    C = []
    s = 500

    def bn_prep(nbt=3, perturb=True):
        def p(m):
            with torch.no_grad():
                if perturb and m.affine:
                    m.weight.copy_(1 + 0.5 * torch.randn_like(m.weight))
                    m.bias.copy_(0.5 * torch.randn_like(m.bias))
                if m.track_running_stats:
                    m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.5)
                    m.running_var.copy_(torch.rand_like(m.running_var) + 0.5)
                    m.num_batches_tracked.fill_(nbt)
        return p

    def add(name, mod, args, kw, shape, train=True, prep=None):
        nonlocal s
        s += 1
        C.append(run_case(name, mod, args, kw, [lambda: (torch.randn(*shape) * 1.5 + 0.3, True)],
                          seed=s, train=train, prep=prep))
    # BatchNorm1d
    add("batchnorm1d_2d_train", "BatchNorm1d", [5], {}, [4, 5], prep=bn_prep())
    add("batchnorm1d_3d_train", "BatchNorm1d", [3], {}, [4, 3, 6], prep=bn_prep())
    add("batchnorm1d_2d_eval", "BatchNorm1d", [5], {}, [4, 5], train=False, prep=bn_prep())
    add("batchnorm1d_3d_eval", "BatchNorm1d", [3], {}, [2, 3, 5], train=False, prep=bn_prep())
    add("batchnorm1d_2d_train_fresh_defaults", "BatchNorm1d", [4], {}, [3, 4])
    add("batchnorm1d_3d_train_affine_off", "BatchNorm1d", [3], {"affine": False}, [2, 3, 5], prep=bn_prep())
    add("batchnorm1d_2d_train_momentum03_eps1e-3", "BatchNorm1d", [4], {"momentum": 0.3, "eps": 1e-3}, [5, 4],
        prep=bn_prep())
    add("batchnorm1d_2d_train_no_running_stats", "BatchNorm1d", [4], {"trackRunningStats": False}, [3, 4],
        prep=bn_prep())
    # BatchNorm2d
    add("batchnorm2d_train", "BatchNorm2d", [3], {}, [2, 3, 4, 5], prep=bn_prep())
    add("batchnorm2d_eval", "BatchNorm2d", [3], {}, [2, 3, 4, 5], train=False, prep=bn_prep())
    add("batchnorm2d_train_fresh_defaults", "BatchNorm2d", [2], {}, [3, 2, 3, 3])
    add("batchnorm2d_train_affine_off", "BatchNorm2d", [3], {"affine": False}, [2, 3, 3, 4], prep=bn_prep())
    add("batchnorm2d_eval_affine_off", "BatchNorm2d", [3], {"affine": False}, [2, 3, 3, 4], train=False,
        prep=bn_prep())
    add("batchnorm2d_train_no_running_stats", "BatchNorm2d", [3], {"trackRunningStats": False}, [2, 3, 4, 3],
        prep=bn_prep())
    add("batchnorm2d_eval_no_running_stats_uses_batch_stats", "BatchNorm2d", [3], {"trackRunningStats": False},
        [2, 3, 4, 3], train=False, prep=bn_prep())
    add("batchnorm2d_train_momentum0", "BatchNorm2d", [2], {"momentum": 0.0}, [2, 2, 3, 3], prep=bn_prep())
    add("batchnorm2d_train_momentum1", "BatchNorm2d", [2], {"momentum": 1.0}, [2, 2, 3, 3], prep=bn_prep())
    add("batchnorm2d_train_momentum_05", "BatchNorm2d", [2], {"momentum": 0.5}, [2, 2, 3, 3], prep=bn_prep())
    add("batchnorm2d_train_momentum_null_cumulative", "BatchNorm2d", [2], {"momentum": None}, [2, 2, 3, 3],
        prep=bn_prep(nbt=4))
    add("batchnorm2d_train_eps_0p1", "BatchNorm2d", [3], {"eps": 0.1}, [2, 3, 2, 2], prep=bn_prep())
    add("batchnorm2d_train_spatial1x1", "BatchNorm2d", [4], {}, [5, 4, 1, 1], prep=bn_prep())
    # LayerNorm
    pert = lambda m: perturb_params(m, 0.5)
    add("layernorm_int_last_dim_2d", "LayerNorm", [6], {}, [3, 6], prep=pert)
    add("layernorm_int_last_dim_3d", "LayerNorm", [5], {}, [2, 3, 5], prep=pert)
    add("layernorm_tuple_last1", "LayerNorm", [[5]], {}, [2, 4, 5], prep=pert)
    add("layernorm_tuple_last2", "LayerNorm", [[3, 4]], {}, [2, 3, 4], prep=pert)
    add("layernorm_tuple_last2_4d", "LayerNorm", [[4, 5]], {}, [2, 3, 4, 5], prep=pert)
    add("layernorm_no_affine", "LayerNorm", [6], {"elementwiseAffine": False}, [3, 6])
    add("layernorm_tuple_last2_no_affine", "LayerNorm", [[2, 3]], {"elementwiseAffine": False}, [2, 4, 2, 3])
    add("layernorm_eps_1e-2", "LayerNorm", [4], {"eps": 1e-2}, [3, 4], prep=pert)
    add("layernorm_default_init", "LayerNorm", [7], {}, [2, 7])
    return C


def gen_embedding():
    C = []
    def idx(vals, shape):
        return lambda: (torch.tensor(vals, dtype=torch.int64).reshape(shape), False)
    C.append(run_case("embedding_basic_repeats", "Embedding", [10, 4], {},
                      [idx([1, 2, 4, 5, 4, 3, 2, 9, 1, 1, 0, 7], [3, 4])], seed=601))
    C.append(run_case("embedding_1d_input", "Embedding", [7, 3], {}, [idx([6, 0, 6, 2, 2], [5])], seed=602))
    C.append(run_case("embedding_padding_idx0", "Embedding", [8, 5], {"paddingIdx": 0},
                      [idx([0, 2, 0, 4, 3, 3, 0, 7, 1, 2], [2, 5])], seed=603))
    C.append(run_case("embedding_padding_idx3_3d_input", "Embedding", [6, 3], {"paddingIdx": 3},
                      [idx([3, 1, 3, 5, 0, 3, 2, 2, 1, 4, 3, 5], [2, 3, 2])], seed=604))
    C.append(run_case("embedding_padding_idx_negative", "Embedding", [6, 2], {"paddingIdx": -1},
                      [idx([5, 0, 5, 1, 2, 5], [2, 3])], seed=605))
    C.append(run_case("embedding_eval", "Embedding", [5, 4], {}, [idx([4, 4, 0, 1], [2, 2])], seed=606,
                      train=False))
    return C


def rnn_kwargs(num_layers, bias, batch_first, bidirectional):
    """torchlet's LSTM/GRU options that differ from the defaults (camelCase, as the JS API)."""
    kw = {}
    if num_layers != 1:
        kw["numLayers"] = num_layers
    if not bias:
        kw["bias"] = False
    if batch_first:
        kw["batchFirst"] = True
    if bidirectional:
        kw["bidirectional"] = True
    return kw


def gen_rnn():
    C = []
    T, B, I, H = 5, 3, 4, 6
    s = 700
    combos = []
    for nl in (1, 2):
        for bid in (False, True):
            for init in (False, True):
                k = len(combos)
                combos.append((nl, bid, init, k % 3 != 1, k % 2 == 1))   # (layers, bidir, h0, bias, batchFirst)
    combos += [(2, True, True, True, False), (1, False, False, False, False), (2, False, False, False, True)]
    for kind in ("LSTM", "GRU"):
        for (nl, bid, init, bias, bf) in combos:
            s += 1
            kw = rnn_kwargs(nl, bias, bf, bid)
            D = 2 if bid else 1
            xs = [B, T, I] if bf else [T, B, I]
            inputs = [rn(*xs)]
            extra = None
            if init:
                inputs.append(lambda: (torch.randn(nl * D, B, H) * 0.5, True))
                if kind == "LSTM":
                    inputs.append(lambda: (torch.randn(nl * D, B, H) * 0.5, True))
                    extra = {"stateAsTuple": True}
            name = "%s_l%d_%s_%s_%s_%s" % (kind.lower(), nl, "bias" if bias else "nobias",
                                          "batchfirst" if bf else "seqfirst",
                                          "bidir" if bid else "unidir",
                                          "h0" if init else "noh0")
            if kind == "LSTM" and init:
                fwd = lambda m, ins: m(ins[0], (ins[1], ins[2]))
            elif init:
                fwd = lambda m, ins: m(ins[0], ins[1])
            else:
                fwd = None
            C.append(run_case(name, kind, [I, H], kw, inputs, seed=s, forward=fwd, extra=extra))
    # eval mode + unbatched (2-d input) cases
    s += 1
    C.append(run_case("lstm_l1_eval_unbatched", "LSTM", [I, H], {}, [rn(T, I)], seed=s, train=False))
    s += 1
    C.append(run_case("gru_l1_eval_unbatched", "GRU", [I, H], {}, [rn(T, I)], seed=s, train=False))
    s += 1
    C.append(run_case("lstm_l3_seq1", "LSTM", [3, 2], {"numLayers": 3}, [rn(1, 2, 3)], seed=s))
    return C


def gen_losses():
    C = []
    s = 800
    def ce_like(name, mod, kw, in_shape, target, seed_off=0, logsm=False, reduction_none_grad=True):
        nonlocal s
        s += 1
        def inp():
            x = torch.randn(*in_shape)
            if logsm:
                x = F.log_softmax(x, dim=1)
            return x, True
        C.append(run_case(name, mod, [], kw, [inp, lambda: (target(), False)], seed=s))
    N, Cc = 5, 4
    t2 = lambda: torch.tensor([0, 3, 1, 1, 2])
    t2i = lambda: torch.tensor([0, -100, 1, 3, -100])
    t2i2 = lambda: torch.tensor([2, 1, 2, 0, 3])
    tnd = lambda: torch.tensor([[[0, 1, 2], [3, 3, 0]], [[1, 2, 1], [0, 2, 3]]])  # [2,2,3]
    tndi = lambda: torch.tensor([[[0, -100, 2], [3, 3, -100]], [[1, 2, 1], [-100, 2, 3]]])
    w = torch.tensor([0.5, 2.0, 1.0, 1.5])
    for mod, logsm in (("CrossEntropyLoss", False), ("NLLLoss", True)):
        p = "ce" if mod == "CrossEntropyLoss" else "nll"
        for red in ("mean", "sum", "none"):
            ce_like("%s_2d_%s" % (p, red), mod, {"reduction": red}, [N, Cc], t2, logsm=logsm)
            ce_like("%s_nd_%s" % (p, red), mod, {"reduction": red}, [2, Cc, 2, 3], tnd, logsm=logsm)
            ce_like("%s_2d_ignore_default_%s" % (p, red), mod, {"reduction": red}, [N, Cc], t2i, logsm=logsm)
            ce_like("%s_2d_weight_%s" % (p, red), mod, {"reduction": red, "weight": w}, [N, Cc], t2, logsm=logsm)
            ce_like("%s_nd_weight_ignore_%s" % (p, red), mod, {"reduction": red, "weight": w}, [2, Cc, 2, 3], tndi,
                    logsm=logsm)
        ce_like("%s_2d_ignore_index2" % p, mod, {"ignoreIndex": 2}, [N, Cc], t2i2, logsm=logsm)
        ce_like("%s_2d_weight_ignore_index1" % p, mod, {"ignoreIndex": 1, "weight": w}, [N, Cc], t2i2, logsm=logsm)
        ce_like("%s_1d_unbatched" % p, mod, {}, [Cc], lambda: torch.tensor(2), logsm=False)
        ce_like("%s_all_ignored_sum" % p, mod, {"reduction": "sum"}, [3, Cc], lambda: torch.tensor([-100] * 3),
                logsm=logsm)
    for red in ("mean", "sum", "none"):
        ce_like("ce_2d_smoothing01_%s" % red, "CrossEntropyLoss", {"reduction": red, "labelSmoothing": 0.1},
                [N, Cc], t2)
        ce_like("ce_nd_smoothing01_%s" % red, "CrossEntropyLoss", {"reduction": red, "labelSmoothing": 0.1},
                [2, Cc, 2, 3], tnd)
        ce_like("ce_2d_weight_ignore_smoothing_%s" % red, "CrossEntropyLoss",
                {"reduction": red, "weight": w, "labelSmoothing": 0.1, "ignoreIndex": 1}, [N, Cc], t2i2)
        ce_like("ce_nd_weight_ignore_smoothing_%s" % red, "CrossEntropyLoss",
                {"reduction": red, "weight": w, "labelSmoothing": 0.2}, [2, Cc, 2, 3], tndi)
    ce_like("ce_2d_smoothing01_ignore_default", "CrossEntropyLoss", {"labelSmoothing": 0.1}, [N, Cc], t2i)
    ce_like("ce_2d_prob_targets", "CrossEntropyLoss", {}, [N, Cc], lambda: torch.softmax(torch.randn(N, Cc), 1))
    ce_like("ce_2d_prob_targets_weight_smoothing_sum", "CrossEntropyLoss",
            {"weight": w, "labelSmoothing": 0.1, "reduction": "sum"}, [N, Cc],
            lambda: torch.softmax(torch.randn(N, Cc), 1))
    # MSE
    for red in ("mean", "sum", "none"):
        s += 1
        C.append(run_case("mse_%s" % red, "MSELoss", [], {"reduction": red},
                          [rn(3, 4), lambda: (torch.randn(3, 4), False)], seed=s))
    s += 1
    C.append(run_case("mse_4d_mean", "MSELoss", [], {}, [rn(2, 3, 2, 2), lambda: (torch.randn(2, 3, 2, 2), False)],
                      seed=s))
    s += 1
    C.append(run_case("mse_target_requires_grad", "MSELoss", [], {}, [rn(3, 5), rn(3, 5)], seed=s))
    # BCE
    bw = torch.tensor([0.5, 1.0, 2.0, 0.25])
    for red in ("mean", "sum", "none"):
        s += 1
        C.append(run_case("bce_%s" % red, "BCELoss", [], {"reduction": red},
                          [lambda: (torch.rand(3, 4) * 0.9 + 0.05, True),
                           lambda: (torch.randint(0, 2, (3, 4)).float(), False)], seed=s))
        s += 1
        C.append(run_case("bce_weight_%s" % red, "BCELoss", [], {"reduction": red, "weight": bw},
                          [lambda: (torch.rand(3, 4) * 0.9 + 0.05, True),
                           lambda: (torch.randint(0, 2, (3, 4)).float(), False)], seed=s))
    s += 1
    C.append(run_case("bce_soft_targets_3d", "BCELoss", [], {},
                      [lambda: (torch.rand(2, 3, 4) * 0.9 + 0.05, True), lambda: (torch.rand(2, 3, 4), False)], seed=s))
    # BCEWithLogits
    pw = torch.tensor([1.0, 3.0, 0.5, 2.0])
    for red in ("mean", "sum", "none"):
        s += 1
        C.append(run_case("bcelogits_%s" % red, "BCEWithLogitsLoss", [], {"reduction": red},
                          [lambda: (torch.randn(3, 4) * 3, True),
                           lambda: (torch.randint(0, 2, (3, 4)).float(), False)], seed=s))
        s += 1
        C.append(run_case("bcelogits_posweight_%s" % red, "BCEWithLogitsLoss", [], {"reduction": red, "posWeight": pw},
                          [lambda: (torch.randn(3, 4) * 3, True),
                           lambda: (torch.randint(0, 2, (3, 4)).float(), False)], seed=s))
    s += 1
    C.append(run_case("bcelogits_weight_posweight_soft_targets", "BCEWithLogitsLoss", [],
                      {"weight": bw, "posWeight": pw},
                      [lambda: (torch.randn(2, 3, 4) * 3, True), lambda: (torch.rand(2, 3, 4), False)], seed=s))
    s += 1
    C.append(run_case("bcelogits_large_logits_stable", "BCEWithLogitsLoss", [], {},
                      [lambda: (torch.tensor([[-120.0, 90.0, 0.5], [60.0, -70.0, -0.25]]), True),
                       lambda: (torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), False)], seed=s))
    return C


# ----------------------------------------------------------------------------- optim
def mlp():
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))


def gen_optim():
    C = []
    cfgs = [
        ("sgd_plain", "SGD", {"lr": 0.1}),
        ("sgd_momentum09", "SGD", {"lr": 0.1, "momentum": 0.9}),
        ("sgd_momentum09_nesterov_wd001", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weightDecay": 0.01}),
        ("sgd_wd01_no_momentum", "SGD", {"lr": 0.05, "weightDecay": 0.1}),
        ("adam_default_lr", "Adam", {}),
        ("adam_lr001", "Adam", {"lr": 0.01}),
        ("adam_lr001_wd01", "Adam", {"lr": 0.01, "weightDecay": 0.1}),
        ("adam_betas_eps", "Adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6}),
        ("adamw_default", "AdamW", {"lr": 0.01}),
        ("adamw_wd01", "AdamW", {"lr": 0.01, "weightDecay": 0.1}),
    ]
    for i, (name, oname, opts) in enumerate(cfgs):
        torch.manual_seed(900 + i)
        model = mlp()
        x = torch.randn(6, 5)
        y = torch.randint(0, 3, (6,))
        state0 = enc_sd(model.state_dict())
        popts = {CAMEL.get(k, k): (tuple(v) if isinstance(v, list) else v) for k, v in opts.items()}
        opt = getattr(torch.optim, oname)(model.parameters(), **popts)
        lossf = nn.CrossEntropyLoss()
        losses, states = [], []
        for step in range(2):
            opt.zero_grad()
            loss = lossf(model(x), y)
            loss.backward()
            opt.step()
            losses.append(fl([loss.item()])[0])
            states.append(enc_sd(model.state_dict()))
        C.append({"name": name, "optimizer": oname, "options": opts, "model": "mlp_5_7_3",
                  "modelBuild": [["Linear", [5, 7], {}], ["ReLU", [], {}], ["Linear", [7, 3], {}]],
                  "loss": "CrossEntropyLoss",
                  "state0": state0, "inputs": [enc(x)], "target": enc(y), "losses": losses, "states": states})
    return C


# ----------------------------------------------------------------------------- models
class SimpleCNN(nn.Module):
    """The glossary's SimpleCNN (3x32x32 input)."""
    def __init__(self, num_classes):
        super(SimpleCNN, self).__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0)
        self.conv2 = nn.Conv2d(in_channels=16, out_channels=32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(in_features=32 * 8 * 8, out_features=128)
        self.fc2 = nn.Linear(in_features=128, out_features=num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 32 * 8 * 8)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def st_bytes(tensors, metadata=None):
    """Hand-rolled safetensors writer (F32 / I64), keys sorted, header space-padded to 8 bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, off = [], 0
    for k in sorted(tensors):
        t = tensors[k].detach().cpu().contiguous()
        if t.dtype == torch.float32:
            dt, b = "F32", t.numpy().astype("<f4").tobytes()
        elif t.dtype == torch.int64:
            dt, b = "I64", t.numpy().astype("<i8").tobytes()
        else:
            raise TypeError("unsupported dtype %s" % t.dtype)
        header[k] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def simple_cnn_case():
    torch.manual_seed(1000)
    model = SimpleCNN(num_classes=10)
    model.train()
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out = model(x)
    g = torch.randn_like(out)
    (out * g).sum().backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    with open(os.path.join(OUT, "simple_cnn.safetensors"), "wb") as f:
        f.write(st_bytes(state))
    with open(os.path.join(OUT, "simple_cnn_grads.safetensors"), "wb") as f:
        f.write(st_bytes(grads))
    # reference output of check_safetensors.py's fixed input (manual_seed(0); randn(2,3,32,32); eval) for this state
    model.eval()
    torch.manual_seed(0)
    with torch.no_grad():
        check_out = model(torch.randn(2, 3, 32, 32))
    return {
        "name": "simple_cnn_glossary",
        "module": "SimpleCNN",
        "args": [10],
        "kwargs": {},
        "train": True,
        "note": ("state and paramGrads are too large for JSON (fc1.weight is 128x2048): they live in "
                 "stateFile / paramGradsFile (safetensors, same keys as state_dict()). forward = "
                 "pool(relu(conv1)) -> pool(relu(conv2)) -> view(-1, 2048) -> relu(fc1) -> fc2"),
        "stateFile": "simple_cnn.safetensors",
        "paramGradsFile": "simple_cnn_grads.safetensors",
        "stateShapes": {k: list(v.shape) for k, v in state.items()},
        "stateSums": {k: float(v.double().sum()) for k, v in state.items()},
        "inputs": [dict(enc(x), requiresGrad=True)],
        "outputs": [enc(out, False)],
        "gradOutputs": [enc(g, False)],
        "inputGrads": [enc(x.grad, False)],
        "paramGradSums": {k: float(v.double().sum()) for k, v in grads.items()},
        "checkSafetensorsOutput": enc(check_out, False),
        "print": str(model),
    }


SEQ_BUILDS = {
    "small_convnet_bn": [
        ["Conv2d", [3, 4, 3], {"padding": 1}], ["BatchNorm2d", [4], {}], ["ReLU", [], {}],
        ["MaxPool2d", [2], {}], ["Conv2d", [4, 6, 3], {"stride": 2, "bias": False}], ["Tanh", [], {}],
        ["AdaptiveAvgPool2d", [1], {}], ["Flatten", [], {}], ["Linear", [6, 5], {}], ["LogSoftmax", [], {"dim": 1}],
    ],
    "mlp_layernorm_dropout_eval": [
        ["Linear", [6, 8], {}], ["LayerNorm", [8], {}], ["Sigmoid", [], {}], ["Dropout", [0.3], {}],
        ["Linear", [8, 4], {"bias": False}], ["Softmax", [], {"dim": -1}],
    ],
    "convT_avgpool": [
        ["ConvTranspose2d", [2, 3, 3], {"stride": 2, "padding": 1, "outputPadding": 1}],
        ["AvgPool2d", [3], {"stride": 2, "padding": 1, "countIncludePad": False}], ["ReLU", [], {}],
        ["AdaptiveMaxPool2d", [[2, 3]], {}], ["Flatten", [], {"startDim": 1}], ["Identity", [], {}],
        ["Linear", [18, 2], {}],
    ],
}

PRINT_BUILDS = {
    "every_layer_nondefault": [
        ["Conv1d", [3, 6, 5], {"stride": 2, "padding": 2, "dilation": 2, "groups": 3, "bias": False}],
        ["Conv2d", [3, 16, 3], {"padding": 1}],
        ["Conv2d", [16, 16, [3, 5]], {"stride": [2, 1], "padding": [1, 2], "groups": 16}],
        ["Conv2d", [4, 8, 3], {"padding": "same", "dilation": 2}],
        ["Conv2d", [4, 8, 3], {"padding": "valid", "bias": False}],
        ["Conv2d", [4, 8, 1], {"stride": 2}],
        ["Conv3d", [2, 4, 3], {"stride": [1, 2, 2], "padding": 1}],
        ["ConvTranspose2d", [8, 4, 4], {"stride": 2, "padding": 1, "outputPadding": 1, "groups": 2, "dilation": 2,
                                        "bias": False}],
        ["ConvTranspose2d", [8, 4, 3], {}],
        ["MaxPool2d", [2], {}],
        ["MaxPool2d", [3], {"stride": 2, "padding": 1, "dilation": 2, "ceilMode": True}],
        ["MaxPool2d", [[2, 3]], {"stride": [1, 2]}],
        ["AvgPool2d", [2], {}],
        ["AvgPool2d", [3], {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}],
        ["AdaptiveAvgPool2d", [1], {}],
        ["AdaptiveAvgPool2d", [[3, 2]], {}],
        ["AdaptiveMaxPool2d", [[5, 7]], {}],
        ["AdaptiveMaxPool2d", [4], {}],
        ["ReLU", [], {}], ["Sigmoid", [], {}], ["Tanh", [], {}], ["Identity", [], {}],
        ["Softmax", [], {"dim": 1}], ["LogSoftmax", [], {"dim": -1}],
        ["Flatten", [], {}], ["Flatten", [], {"startDim": 0, "endDim": 2}],
        ["Dropout", [], {}], ["Dropout", [0.25], {}],
        ["BatchNorm1d", [10], {}],
        ["BatchNorm1d", [10], {"eps": 1e-3, "momentum": 0.3, "affine": False}],
        ["BatchNorm2d", [16], {"trackRunningStats": False}],
        ["BatchNorm2d", [16], {"momentum": None}],
        ["LayerNorm", [10], {}],
        ["LayerNorm", [[4, 5]], {"eps": 1e-6, "elementwiseAffine": False}],
        ["Embedding", [100, 16], {}],
        ["Embedding", [100, 16], {"paddingIdx": 0}],
        ["Linear", [10, 20], {}],
        ["Linear", [10, 20], {"bias": False}],
    ],
    "recurrent": [
        ["LSTM", [4, 6], {}],
        ["LSTM", [4, 6], {"numLayers": 2, "bias": False, "batchFirst": True, "bidirectional": True}],
        ["GRU", [4, 6], {"numLayers": 3}],
        ["GRU", [4, 6], {"batchFirst": True, "bidirectional": True}],
        ["Embedding", [50, 8], {"paddingIdx": 1}],
    ],
    "losses": [
        ["CrossEntropyLoss", [], {}],
        ["CrossEntropyLoss", [], {"ignoreIndex": 2, "labelSmoothing": 0.1, "reduction": "sum"}],
        ["NLLLoss", [], {}], ["MSELoss", [], {"reduction": "none"}], ["BCELoss", [], {}],
        ["BCEWithLogitsLoss", [], {}],
    ],
    "nested_sequential": [
        ["Sequential", [["Conv2d", [1, 4, 3], {}], ["BatchNorm2d", [4], {"affine": False}], ["ReLU", [], {}]], {}],
        ["Sequential", [["Flatten", [], {}],
                        ["Sequential", [["Linear", [4, 2], {}], ["Softmax", [], {"dim": 1}]], {}]], {}],
        ["Identity", [], {}],
    ],
    "empty_sequential": [],
    "simplecnn_mnist_sequential": [
        ["Conv2d", [1, 16, 3], {"padding": 1}], ["ReLU", [], {}], ["MaxPool2d", [2], {}],
        ["Conv2d", [16, 32, 3], {"padding": 1}], ["ReLU", [], {}], ["MaxPool2d", [2], {}],
        ["Flatten", [], {}], ["Linear", [32 * 7 * 7, 128], {}], ["ReLU", [], {}], ["Linear", [128, 10], {}],
    ],
}


def gen_models():
    cases = [simple_cnn_case()]
    shapes = {"small_convnet_bn": [3, 3, 8, 8], "mlp_layernorm_dropout_eval": [4, 6], "convT_avgpool": [2, 2, 3, 4]}
    for i, (name, build) in enumerate(SEQ_BUILDS.items()):
        train = name != "mlp_layernorm_dropout_eval"
        m_holder = {}
        def mk(build=build):
            m = make_module("Sequential", build, {})
            m_holder["m"] = m
            return m
        torch.manual_seed(1100 + i)
        m = mk()
        c = run_case("sequential_" + name, "Sequential", [], {}, [rn(*shapes[name])], seed=1200 + i, train=train,
                     module_obj=m)
        c["build"] = [json_build(b) for b in build]
        c["print"] = str(m)
        c["note"] = "module built from 'build' (Sequential children); state holds the weights to load"
        cases.append(c)
    prints = []
    for name, build in PRINT_BUILDS.items():
        m = make_module("Sequential", build, {})
        prints.append({"name": name, "build": [json_build(b) for b in build], "print": str(m)})
    # single (non-Sequential) module prints
    singles = [["LSTM", [10, 20], {"numLayers": 2, "batchFirst": True}], ["GRU", [3, 5], {"bias": False}],
               ["BatchNorm2d", [8], {"affine": False}], ["Conv2d", [3, 16, 3], {"padding": 1}],
               ["LayerNorm", [[3, 4]], {}], ["Embedding", [10, 3], {"paddingIdx": -1}],
               ["CrossEntropyLoss", [], {"weight": torch.tensor([1.0, 2.0])}]]
    for b in singles:
        m = make_module(*b)
        prints.append({"name": "single_" + b[0] + "_" + str(len(prints)), "module": json_build(b), "print": str(m)})
    sc = SimpleCNN(10)
    prints.append({"name": "simple_cnn_glossary_class", "module": ["SimpleCNN", [10], {}], "print": str(sc)})
    return cases, prints


def main():
    os.makedirs(OUT, exist_ok=True)
    write("linear.json", gen_linear())
    write("conv.json", gen_conv())
    write("conv_transpose.json", gen_conv_transpose())
    write("pool.json", gen_pool())
    write("activations.json", gen_activations())
    write("norm.json", gen_norm())
    write("embedding.json", gen_embedding())
    write("rnn.json", gen_rnn())
    write("losses.json", gen_losses())
    write("optim.json", gen_optim())
    cases, prints = gen_models()
    write("models.json", cases, extra={"prints": prints})
    tot = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("total fixtures: %d bytes" % tot)


if __name__ == "__main__":
    main()
