#!/usr/bin/python3
"""PyTorch 1.13 fixtures for pooling (1-d/3-d, indices, unpooling), resizing (Upsample /
F.interpolate), padding, pixel shuffle, unfold/fold and print texts.

Run:  /usr/bin/python3 scripts/gen_resize_fixtures.py   (writes test/fixtures/resize/*.json)
Cases use the schema of scripts/gen_fixtures.py; "functional:<name>" cases call F.<name>(input,
*args, **kwargs) with camelCase kwargs, and every module case has "print" = str(module).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as G  # noqa: E402

OUT = os.path.join(G.ROOT, "test", "fixtures", "resize")
G.CAMEL.update({
    "returnIndices": "return_indices", "scaleFactor": "scale_factor", "alignCorners": "align_corners",
    "recomputeScaleFactor": "recompute_scale_factor", "divisorOverride": "divisor_override",
    "outputSize": "output_size", "kernelSize": "kernel_size",
})
FUNCS = {"interpolate": F.interpolate, "pad": F.pad, "unfold": F.unfold, "fold": F.fold,
         "pixelShuffle": F.pixel_shuffle, "pixelUnshuffle": F.pixel_unshuffle}


def run(name, module, args, kwargs, inputs, seed, forward=None):
    """Like gen_fixtures.run_case, for outputs that may be int64 (indices: no gradient)."""
    torch.manual_seed(seed)
    if module.startswith("functional:"):
        fn = FUNCS[module.split(":")[1]]
        m = None
        call = lambda ins: fn(ins[0], *[G.to_torch_value(a) for a in args], **G.torch_kwargs(kwargs))
    else:
        m = G.make_module(module, args, kwargs)
        call = (lambda ins: forward(m, ins)) if forward else (lambda ins: m(*ins))
    ins = []
    for spec in inputs:
        t, rg = spec() if callable(spec) else spec
        t = t.detach().clone()
        if rg:
            t.requires_grad_(True)
        ins.append(t)
    outs = G.flatten_outputs(call(ins))
    gouts = [torch.randn_like(o) if o.is_floating_point() else torch.zeros_like(o) for o in outs]
    loss = sum((o * g).sum() for o, g in zip(outs, gouts) if o.requires_grad)
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
    case = {
        "name": name, "module": module, "args": [G.to_json_value(a) for a in args],
        "kwargs": {k: G.to_json_value(v) for k, v in kwargs.items()}, "train": True,
        "inputs": [dict(G.enc(t), requiresGrad=bool(t.requires_grad)) for t in ins],
        "state": {}, "outputs": [G.enc(o) for o in outs], "gradOutputs": [G.enc(g) for g in gouts],
        "inputGrads": [G.enc(t.grad, False) if t.requires_grad else None for t in ins], "paramGrads": {},
    }
    if m is not None:
        case["print"] = str(m)
    return case


def write(fname, cases):
    os.makedirs(OUT, exist_ok=True)
    G.OUT = OUT
    G.write(fname, cases)


rn, distinct = G.rn, G.distinct


def gen_pool():
    C, s = [], [100]

    def add(name, mod, args, kw, inputs, forward=None):
        s[0] += 1
        C.append(run(name, mod, args, kw, inputs, s[0], forward))

    add("maxpool1d_k3", "MaxPool1d", [3], {}, [distinct(2, 3, 10)])
    add("maxpool1d_s2_p1_d2_ceil", "MaxPool1d", [3], {"stride": 2, "padding": 1, "dilation": 2, "ceilMode": True}, [distinct(2, 3, 11)])
    add("maxpool1d_unbatched_indices", "MaxPool1d", [2], {"returnIndices": True}, [distinct(3, 9)])
    add("maxpool3d_k2", "MaxPool3d", [2], {}, [distinct(1, 2, 4, 5, 6)])
    add("maxpool3d_k3_s2_p1", "MaxPool3d", [3], {"stride": 2, "padding": 1}, [distinct(2, 2, 5, 6, 7)])
    add("maxpool3d_tuple_dil_ceil", "MaxPool3d", [[2, 3, 2]], {"stride": [1, 2, 2], "dilation": [2, 1, 1], "ceilMode": True}, [distinct(1, 2, 6, 7, 5)])
    add("maxpool3d_indices_unbatched", "MaxPool3d", [2], {"returnIndices": True, "padding": 1}, [distinct(2, 5, 4, 5)])
    add("maxpool2d_indices", "MaxPool2d", [3], {"stride": 2, "padding": 1, "returnIndices": True}, [distinct(2, 2, 7, 8)])
    add("avgpool1d_k3", "AvgPool1d", [3], {}, [rn(2, 3, 10)])
    add("avgpool1d_s2_p1_ceil_nocount", "AvgPool1d", [3], {"stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}, [rn(2, 3, 10)])
    add("avgpool3d_k2", "AvgPool3d", [2], {}, [rn(1, 2, 4, 5, 6)])
    add("avgpool3d_k3_s2_p1", "AvgPool3d", [3], {"stride": 2, "padding": 1}, [rn(2, 2, 5, 6, 7)])
    add("avgpool3d_p1_nocount_ceil", "AvgPool3d", [[3, 2, 3]], {"stride": [2, 1, 2], "padding": [1, 1, 1], "ceilMode": True, "countIncludePad": False}, [rn(1, 2, 6, 5, 7)])
    add("avgpool3d_divisor", "AvgPool3d", [2], {"divisorOverride": 3}, [rn(2, 4, 4, 4)])
    add("adaptiveavgpool1d", "AdaptiveAvgPool1d", [4], {}, [rn(2, 3, 10)])
    add("adaptiveavgpool3d", "AdaptiveAvgPool3d", [[2, 3, 4]], {}, [rn(1, 2, 5, 7, 9)])
    add("adaptiveavgpool3d_none", "AdaptiveAvgPool3d", [[None, 2, 3]], {}, [rn(2, 3, 5, 7)])
    add("adaptivemaxpool1d", "AdaptiveMaxPool1d", [3], {}, [distinct(2, 3, 10)])
    add("adaptivemaxpool1d_indices", "AdaptiveMaxPool1d", [4], {"returnIndices": True}, [distinct(3, 11)])
    add("adaptivemaxpool3d", "AdaptiveMaxPool3d", [[2, 3, 2]], {}, [distinct(1, 2, 5, 7, 6)])
    add("adaptivemaxpool3d_indices", "AdaptiveMaxPool3d", [2], {"returnIndices": True}, [distinct(1, 2, 5, 4, 6)])

    def unpool_input(pool, shape, seed):
        def f():
            torch.manual_seed(seed)
            x = distinct(*shape)()[0]
            y, i = pool(x)
            return [(y.detach(), True), (i, False)]
        return f

    for nm, mod, pool, shape, args, kw, fwd in [
        ("maxunpool2d", "MaxUnpool2d", nn.MaxPool2d(2, return_indices=True), (1, 2, 6, 8), [2], {}, None),
        ("maxunpool2d_s2_p1_size", "MaxUnpool2d", nn.MaxPool2d(3, 2, 1, return_indices=True), (2, 1, 7, 7), [3], {"stride": 2, "padding": 1},
         lambda m, ins: m(ins[0], ins[1], output_size=[7, 7])),
        ("maxunpool1d", "MaxUnpool1d", nn.MaxPool1d(2, return_indices=True), (2, 3, 8), [2], {}, None),
        ("maxunpool3d", "MaxUnpool3d", nn.MaxPool3d(2, return_indices=True), (1, 2, 4, 4, 6), [2], {}, None),
    ]:
        s[0] += 1
        ins = unpool_input(pool, shape, s[0])()
        C.append(run(nm, mod, args, kw, ins, s[0], fwd))
    write("pool.json", C)


def gen_resize():
    C, s = [], [200]

    def add(name, mod, args, kw, inputs):
        s[0] += 1
        C.append(run(name, mod, args, kw, inputs, s[0]))

    for mode, shape in [("nearest", (1, 2, 5)), ("nearest", (1, 2, 4, 5)), ("nearest", (1, 1, 3, 4, 5)),
                        ("linear", (2, 2, 5)), ("bilinear", (1, 2, 4, 5)), ("bicubic", (1, 2, 4, 5)),
                        ("trilinear", (1, 1, 3, 4, 5)), ("nearest-exact", (1, 2, 4, 5)), ("area", (1, 2, 6, 9))]:
        nd = len(shape) - 2
        interp = mode not in ("nearest", "nearest-exact", "area")
        tag = f"{mode}_{nd}d"
        add(f"upsample_{tag}_x2", "Upsample", [], {"scaleFactor": 2.0, "mode": mode}, [rn(*shape)])
        add(f"upsample_{tag}_size", "Upsample", [], {"size": [7, 9, 11][3 - nd:], "mode": mode}, [rn(*shape)])
        add(f"upsample_{tag}_down", "Upsample", [], {"size": [2, 3, 3][3 - nd:], "mode": mode}, [rn(*shape)])
        add(f"upsample_{tag}_x1_7", "Upsample", [], {"scaleFactor": 1.7, "mode": mode}, [rn(*shape)])
        add(f"upsample_{tag}_x0_6_recompute", "Upsample", [], {"scaleFactor": 0.6, "mode": mode, "recomputeScaleFactor": True}, [rn(*shape)])
        add(f"upsample_{tag}_x2_3", "Upsample", [], {"scaleFactor": 2.3, "mode": mode}, [rn(*shape)])
        if interp:
            add(f"upsample_{tag}_align_size", "Upsample", [], {"size": [6, 7, 8][3 - nd:], "mode": mode, "alignCorners": True}, [rn(*shape)])
            add(f"upsample_{tag}_align_x0_5", "Upsample", [], {"scaleFactor": 0.5, "mode": mode, "alignCorners": True}, [rn(*shape)])
    add("upsample_nearest_2d_tuple_scale", "Upsample", [], {"scaleFactor": [1.5, 3.0]}, [rn(2, 1, 4, 3)])
    add("upsample_nearest_3_to_5", "Upsample", [], {"size": [5, 5]}, [rn(1, 1, 3, 3)])
    add("upsample_bilinear_same", "Upsample", [], {"size": [4, 5], "mode": "bilinear"}, [rn(1, 2, 4, 5)])
    add("upsampling_nearest2d", "UpsamplingNearest2d", [], {"scaleFactor": 3}, [rn(1, 2, 2, 3)])
    add("upsampling_bilinear2d", "UpsamplingBilinear2d", [], {"size": [5, 7]}, [rn(1, 2, 3, 4)])
    add("interpolate_bilinear_unrecomputed", "functional:interpolate", [], {"scaleFactor": 1.3, "mode": "bilinear"}, [rn(1, 1, 6, 7)])
    add("interpolate_bicubic_align", "functional:interpolate", [[9, 4]], {"mode": "bicubic", "alignCorners": True}, [rn(1, 2, 5, 6)])
    add("pixel_shuffle", "PixelShuffle", [2], {}, [rn(2, 8, 3, 4)])
    add("pixel_shuffle_unbatched_r3", "PixelShuffle", [3], {}, [rn(9, 2, 2)])
    add("pixel_unshuffle", "PixelUnshuffle", [2], {}, [rn(1, 2, 4, 6)])
    add("unfold_k2", "Unfold", [2], {}, [rn(1, 2, 4, 5)])
    add("unfold_k3_s2_p1_d2", "Unfold", [[3, 2]], {"stride": [2, 1], "padding": 1, "dilation": [1, 2]}, [rn(2, 3, 7, 6)])
    add("fold_k2", "Fold", [[4, 5], 2], {}, [rn(1, 8, 12)])
    add("fold_k3_s2_p1", "Fold", [[6, 7], [3, 2]], {"stride": 2, "padding": 1}, [rn(2, 12, 12)])
    add("fold_unbatched_dil", "Fold", [[5, 5], 2], {"dilation": 2}, [rn(8, 9)])
    write("resize.json", C)


def gen_pad():
    C, s = [], [300]

    def add(name, mod, args, kw, inputs):
        s[0] += 1
        C.append(run(name, mod, args, kw, inputs, s[0]))

    add("zeropad2d_int", "ZeroPad2d", [2], {}, [rn(1, 2, 3, 4)])
    add("zeropad2d_tuple_neg", "ZeroPad2d", [[1, -1, 2, 0]], {}, [rn(1, 2, 3, 4)])
    add("constantpad1d", "ConstantPad1d", [2, 3.5], {}, [rn(2, 3, 4)])
    add("constantpad2d", "ConstantPad2d", [[1, 0, 2, 1], -1.5], {}, [rn(2, 3, 4)])
    add("constantpad3d", "ConstantPad3d", [1, 0.25], {}, [rn(1, 1, 2, 3, 2)])
    add("reflectionpad1d", "ReflectionPad1d", [[3, 1]], {}, [rn(2, 2, 5)])
    add("reflectionpad2d", "ReflectionPad2d", [2], {}, [rn(1, 2, 4, 5)])
    add("reflectionpad2d_tuple_unbatched", "ReflectionPad2d", [[1, 3, 0, 2]], {}, [rn(2, 3, 4)])
    add("reflectionpad3d", "ReflectionPad3d", [1], {}, [rn(1, 1, 3, 3, 4)])
    add("replicationpad1d", "ReplicationPad1d", [[2, 4]], {}, [rn(2, 2, 3)])
    add("replicationpad2d", "ReplicationPad2d", [[3, 1, 2, 2]], {}, [rn(1, 2, 3, 4)])
    add("replicationpad3d", "ReplicationPad3d", [[1, 2, 0, 1, 2, 0]], {}, [rn(1, 2, 2, 3, 3)])
    add("fpad_constant_4dims", "functional:pad", [[1, 1, 0, 2, 1, 0, 1, 1]], {"value": 2.0}, [rn(2, 1, 2, 3)])
    add("fpad_constant_1d_input", "functional:pad", [[1, 2]], {}, [rn(4)])
    add("fpad_circular_1d", "functional:pad", [[2, 3]], {"mode": "circular"}, [rn(2, 2, 4)])
    add("fpad_circular_2d", "functional:pad", [[1, 2, 3, 0]], {"mode": "circular"}, [rn(1, 2, 3, 4)])
    add("fpad_circular_3d", "functional:pad", [[1, 1, 1, 0, 0, 2]], {"mode": "circular"}, [rn(1, 1, 2, 3, 3)])
    add("fpad_reflect_2d", "functional:pad", [[2, 1, 1, 2]], {"mode": "reflect"}, [rn(2, 3, 3, 4)])
    add("fpad_replicate_2d_unbatched", "functional:pad", [[1, 1, 2, 2]], {"mode": "replicate"}, [rn(2, 3, 3)])
    write("pad.json", C)


def gen_prints():
    mods = [
        ("MaxPool1d", [3], {"stride": 2}), ("MaxPool3d", [[2, 3, 3]], {"padding": 1, "ceilMode": True}),
        ("AvgPool1d", [3], {}), ("AvgPool1d", [4], {"stride": 2, "padding": 1}), ("AvgPool3d", [3], {"stride": 2}),
        ("AdaptiveAvgPool1d", [5], {}), ("AdaptiveAvgPool3d", [[2, None, 3]], {}), ("AdaptiveMaxPool1d", [2], {}),
        ("AdaptiveMaxPool3d", [2], {}), ("MaxUnpool1d", [2], {}), ("MaxUnpool2d", [3], {"stride": 2, "padding": 1}),
        ("MaxUnpool3d", [2], {}), ("MaxPool2d", [2], {"returnIndices": True}),
        ("Upsample", [], {"scaleFactor": 2}), ("Upsample", [], {"scaleFactor": [2, 3], "mode": "bilinear"}),
        ("Upsample", [], {"size": [3, 4], "mode": "bicubic", "alignCorners": True}), ("Upsample", [], {"size": 5}),
        ("UpsamplingNearest2d", [], {"scaleFactor": 2}), ("UpsamplingBilinear2d", [], {"size": 4}),
        ("PixelShuffle", [3], {}), ("PixelUnshuffle", [2], {}),
        ("ZeroPad2d", [2], {}), ("ZeroPad2d", [[1, 2, 3, 4]], {}), ("ConstantPad1d", [2, 3], {}),
        ("ConstantPad2d", [1, 2.5], {}), ("ConstantPad3d", [[1, 2, 1, 2, 1, 2]], {"value": 0.5}),
        ("ReflectionPad1d", [2], {}), ("ReflectionPad2d", [[1, 0, 2, 1]], {}), ("ReflectionPad3d", [1], {}),
        ("ReplicationPad1d", [[1, 2]], {}), ("ReplicationPad2d", [1], {}), ("ReplicationPad3d", [2], {}),
        ("Dropout1d", [], {}), ("Dropout2d", [0.2], {}), ("Dropout3d", [], {"p": 0.3}),
        ("Unfold", [2], {}), ("Unfold", [[2, 3]], {"dilation": 2, "padding": 1, "stride": [1, 2]}),
        ("Fold", [[4, 5], 2], {}), ("Fold", [10, [2, 3]], {"stride": 2}),
    ]
    cases = [{"module": n, "args": [G.to_json_value(a) for a in a_], "kwargs": kw, "print": str(G.make_module(n, a_, kw))}
             for n, a_, kw in mods]
    os.makedirs(OUT, exist_ok=True)
    G.OUT = OUT
    import json
    with open(os.path.join(OUT, "prints.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
    print("prints.json", len(cases))


if __name__ == "__main__":
    torch.set_num_threads(1)
    gen_pool()
    gen_resize()
    gen_pad()
    gen_prints()
