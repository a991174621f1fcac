#!/usr/bin/python3
"""Randomised PyTorch reference cases for torchlet (fixed seed => reproducible).

Run:  /usr/bin/python3 scripts/gen_random_cases.py     (writes test/fixtures/random.json)

Module cases use the schema of scripts/gen_fixtures.py (see test/fixtures.ts FixCase).
Tensor-op cases ("op" cases) use a compact schema:
  {"name", "op": <op name>, "params": {...}, "inputs": [FixTensor + requiresGrad],
   "outputs": [...], "gradOutputs": [...], "inputGrads": [... | null]}
  where the op is one of OPS below (test/random-cases.test.ts implements the same ops with torchlet).
"""
import os
import random
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as G  # noqa: E402  (helpers: run_case, enc, write, ...)

torch.set_num_threads(1)
G.CAMEL.setdefault("divisorOverride", "divisor_override")
R = random.Random(int(os.environ.get("RANDOM_CASES_SEED", "20240611")))
CASES = []
SEED = [5000]


def nseed():
    SEED[0] += 1
    return SEED[0]


def ri(a, b):
    return R.randint(a, b)


def ch(*xs):
    return R.choice(xs)


SKIPPED = []


def add(name, module, args, kwargs, inputs, **kw):
    name = "%03d_%s" % (len(CASES), name)
    try:
        CASES.append(G.run_case(name, module, args, kwargs, inputs, seed=nseed(), **kw))
    except RuntimeError as e:   # a combination PyTorch itself rejects: not a case
        SKIPPED.append(name)
        print("skipped %s: %s" % (name, str(e).splitlines()[0]))


def rn(*shape, scale=1.0, rg=True):
    return lambda: (torch.randn(*shape) * scale, rg)


def distinct(shape):
    return G.distinct(*shape)


def tup_or_int(vals):
    """vals: per-dim ints -> int if all equal and coin says so, else list."""
    if all(v == vals[0] for v in vals) and R.random() < 0.6:
        return vals[0]
    return list(vals)


# ----------------------------------------------------------------------------- Linear / activations
def gen_linear(n):
    for _ in range(n):
        i, o = ri(1, 7), ri(1, 6)
        rank = ri(1, 4)
        shape = [ri(1, 3) for _ in range(rank - 1)] + [i]
        kw = {} if R.random() < 0.6 else {"bias": False}
        add("linear_in%d_out%d_r%d" % (i, o, rank), "Linear", [i, o], kw, [rn(*shape)], train=R.random() < 0.7)


def rand_shape(rank, lo=1, hi=4):
    return [ri(lo, hi) for _ in range(rank)]


def gen_activations(n):
    for _ in range(n):
        kind = ch("ReLU", "Sigmoid", "Tanh", "Identity", "Softmax", "LogSoftmax", "Softmax", "LogSoftmax",
                  "Flatten", "Flatten", "Dropout")
        rank = ri(1, 4)
        shape = rand_shape(rank)
        args, kw, train = [], {}, True
        if kind in ("Softmax", "LogSoftmax"):
            kw = {"dim": ri(-rank, rank - 1)}
        elif kind == "Flatten":
            rank = ri(2, 5)
            shape = rand_shape(rank, 1, 3)
            a, b = sorted([ri(0, rank - 1), ri(0, rank - 1)])
            sd = a if R.random() < 0.5 else a - rank
            ed = b if R.random() < 0.5 else b - rank
            kw = {"startDim": sd, "endDim": ed}
        elif kind == "Dropout":
            if R.random() < 0.5:
                args, train = [ch(0.3, 0.5, 0.9)], False
            else:
                args, train = [0.0], True
        add("%s_%s" % (kind.lower(), "x".join(map(str, shape))), kind, args, kw,
            [rn(*shape, scale=2.0)], train=train)


# ----------------------------------------------------------------------------- Conv
def groups_channels(depthwise_multiplier):
    """(groups, in_channels, out_channels): plain, grouped, or depthwise (out = in, or a
    multiple of in when depthwise_multiplier)."""
    gk = ch("one", "one", "g", "depthwise")
    if gk == "one":
        return 1, ri(1, 4), ri(1, 4)
    if gk == "g":
        g = ri(2, 3)
        cin = g * ri(1, 2)
        return g, cin, g * ri(1, 2)
    g = ri(2, 4)
    return g, g, (g * ri(1, 2) if depthwise_multiplier else g)


def gen_conv(nd, n):
    name = "Conv%dd" % nd
    for _ in range(n):
        g, cin, cout = groups_channels(depthwise_multiplier=True)
        kmax = 3 if nd == 3 else (4 if nd == 2 else 5)
        k = [ri(1, kmax) for _ in range(nd)]
        if R.random() < 0.4:
            k = [k[0]] * nd
        dil = [ch(1, 1, 2) if nd < 3 else ch(1, 1, 2) for _ in range(nd)]
        if R.random() < 0.5:
            dil = [dil[0]] * nd
        pmode = ch("int", "tuple", "same", "valid", "int")
        stride = [ri(1, 3) for _ in range(nd)]
        if R.random() < 0.5:
            stride = [stride[0]] * nd
        if pmode == "same":
            stride = [1] * nd
        if pmode == "int":
            pad = [ri(0, 2)] * nd
        elif pmode == "tuple":
            pad = [ri(0, 2) for _ in range(nd)]
        else:
            pad = None
        padmode = ch("zeros", "zeros", "zeros", "reflect", "replicate", "circular")
        eff = [d * (kk - 1) + 1 for d, kk in zip(dil, k)]
        # explicit/"same" padding amounts per side (for size constraints of reflect/circular)
        if pmode == "same":
            side = [(e - 1) - (e - 1) // 2 for e in eff]
        elif pad is None:
            side = [0] * nd
        else:
            side = pad
        hi_sz = 7 if nd == 3 else (9 if nd == 2 else 13)
        sizes = []
        for e, p in zip(eff, side):
            lo = max(e - 2 * p if padmode == "zeros" else e - 2 * p, p + 1, 1)
            sizes.append(ri(lo, max(lo, min(hi_sz, lo + 5))))
        if nd == 3:
            sizes = [min(s, max(e, 2 * p + 1, 1) + 2) for s, e, p in zip(sizes, eff, side)]
            sizes = [max(s, e - 2 * p, p + 1) for s, e, p in zip(sizes, eff, side)]
        kw = {}
        if stride != [1] * nd:
            kw["stride"] = tup_or_int(stride)
        if pmode in ("same", "valid"):
            kw["padding"] = pmode
        elif any(pad):
            kw["padding"] = pad[0] if pmode == "int" else pad
        if dil != [1] * nd:
            kw["dilation"] = tup_or_int(dil)
        if g != 1:
            kw["groups"] = g
        if R.random() < 0.3:
            kw["bias"] = False
        if padmode != "zeros":
            kw["paddingMode"] = padmode
        batch = ri(1, 3)
        # torch 1.13's F.pad rejects unbatched input for non-zeros padding modes
        unbatched = R.random() < 0.12 and padmode == "zeros"
        shape = ([] if unbatched else [batch]) + [cin] + sizes
        add("%s_%dto%d_k%s_%s" % (name.lower(), cin, cout, "x".join(map(str, k)),
                                  "_".join("%s%s" % (a, str(b).replace(" ", "")) for a, b in kw.items())),
            name, [cin, cout, tup_or_int(k)], kw, [rn(*shape)])


def gen_convT(n):
    for _ in range(n):
        g, cin, cout = groups_channels(depthwise_multiplier=False)
        k = [ri(1, 4), ri(1, 4)]
        if R.random() < 0.4:
            k = [k[0]] * 2
        stride = [ri(1, 3), ri(1, 3)]
        dil = [ch(1, 1, 2), ch(1, 1, 2)]
        if R.random() < 0.5:
            stride = [stride[0]] * 2
        if R.random() < 0.5:
            dil = [dil[0]] * 2
        opad = [ri(0, max(s, d) - 1) for s, d in zip(stride, dil)]
        H, W = ri(1, 5), ri(1, 5)
        pad = []
        for s, d, kk, op, L in zip(stride, dil, k, opad, (H, W)):
            full = (L - 1) * s + d * (kk - 1) + op + 1
            pad.append(ri(0, min(2, (full - 1) // 2)))
        kw = {}
        if stride != [1, 1]:
            kw["stride"] = tup_or_int(stride)
        if any(pad):
            kw["padding"] = tup_or_int(pad)
        if any(opad):
            kw["outputPadding"] = tup_or_int(opad)
        if g != 1:
            kw["groups"] = g
        if R.random() < 0.3:
            kw["bias"] = False
        if dil != [1, 1]:
            kw["dilation"] = tup_or_int(dil)
        unbatched = R.random() < 0.1
        shape = ([] if unbatched else [ri(1, 3)]) + [cin, H, W]
        add("convT2d_%dto%d_k%s_%s" % (cin, cout, "x".join(map(str, k)),
                                       "_".join("%s%s" % (a, str(b).replace(" ", "")) for a, b in kw.items())),
            "ConvTranspose2d", [cin, cout, tup_or_int(k)], kw, [rn(*shape)])


# ----------------------------------------------------------------------------- Pools
def pool_out(L, k, p, s, d, ceil):
    num = L + 2 * p - d * (k - 1) - 1
    if num < 0:
        return 0
    o = (num + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= L + p:
        o -= 1
    return o


def gen_pool(kind, n):
    for _ in range(n):
        k = [ri(1, 4), ri(1, 4)]
        if R.random() < 0.4:
            k = [k[0]] * 2
        stride = None if R.random() < 0.3 else [ri(1, 3), ri(1, 3)]
        if stride and R.random() < 0.5:
            stride = [stride[0]] * 2
        pad = [ri(0, kk // 2) for kk in k]
        dil = [1, 1]
        if kind == "MaxPool2d" and R.random() < 0.4:
            dil = [ri(1, 2), ri(1, 2)]
        ceil = R.random() < 0.4
        s_eff = stride or k
        sizes = []
        for kk, p, d, s in zip(k, pad, dil, s_eff):
            lo = max(1, d * (kk - 1) + 1 - 2 * p)
            L = ri(lo, lo + 6)
            while pool_out(L, kk, p, s, d, ceil) < 1:
                L += 1
            sizes.append(L)
        kw = {}
        if stride is not None:
            kw["stride"] = tup_or_int(stride)
        if any(pad):
            kw["padding"] = tup_or_int(pad)
        if dil != [1, 1]:
            kw["dilation"] = tup_or_int(dil)
        if ceil:
            kw["ceilMode"] = True
        if kind == "AvgPool2d":
            if R.random() < 0.4:
                kw["countIncludePad"] = False
            if R.random() < 0.25:
                kw["divisorOverride"] = ri(1, 5)
        unbatched = R.random() < 0.15
        shape = ([] if unbatched else [ri(1, 3)]) + [ri(1, 3)] + sizes
        add("%s_k%s_%s_in%s" % (kind.lower(), "x".join(map(str, k)),
                                "_".join("%s%s" % (a, str(b).replace(" ", "")) for a, b in kw.items()),
                                "x".join(map(str, shape))),
            kind, [tup_or_int(k)], kw, [distinct(shape)])


def gen_adaptive(kind, n):
    for _ in range(n):
        H, W = ri(1, 9), ri(1, 9)
        c = R.random()
        if c < 0.25:
            osz = ri(1, 6)
        else:
            osz = [ri(1, 7), ri(1, 7)]
            if c > 0.8:
                osz[ri(0, 1)] = None
        unbatched = R.random() < 0.15
        shape = ([] if unbatched else [ri(1, 3)]) + [ri(1, 3), H, W]
        add("%s_%s_in%s" % (kind.lower(), str(osz).replace(" ", ""), "x".join(map(str, shape))),
            kind, [osz], {}, [distinct(shape)])


# ----------------------------------------------------------------------------- Norm / Embedding
def gen_batchnorm(n):
    for _ in range(n):
        kind = ch("BatchNorm1d", "BatchNorm2d")
        C = ri(1, 4)
        if kind == "BatchNorm1d":
            shape = [ri(2, 5), C] if R.random() < 0.5 else [ri(1, 3), C, ri(1, 5)]
        else:
            shape = [ri(1, 3), C, ri(1, 4), ri(1, 4)]
        if shape[0] * int(np.prod(shape[2:])) < 2:
            shape[0] = 2
        kw = {}
        mom = ch(0.1, 0.1, 0.3, None, 0.0, 1.0)
        if mom != 0.1:
            kw["momentum"] = mom
        if R.random() < 0.3:
            kw["affine"] = False
        if R.random() < 0.3:
            kw["trackRunningStats"] = False
        eps = ch(1e-5, 1e-5, 1e-3, 0.1)
        if eps != 1e-5:
            kw["eps"] = eps
        train = R.random() < 0.6
        nbt = ri(0, 5)

        def prep(m, nbt=nbt):
            with torch.no_grad():
                if m.affine:
                    m.weight.copy_(1 + 0.5 * torch.randn_like(m.weight))
                    m.bias.copy_(0.5 * torch.randn_like(m.bias))
                if m.track_running_stats:
                    m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.5)
                    m.running_var.copy_(torch.rand_like(m.running_var) + 0.5)
                    m.num_batches_tracked.fill_(nbt)
        sc = ch(1.0, 1.5, 3.0)
        add("%s_%s_%s_%s" % (kind.lower(), "x".join(map(str, shape)), "train" if train else "eval",
                             "_".join("%s%s" % (a, b) for a, b in kw.items())),
            kind, [C], kw, [lambda shape=shape, sc=sc: (torch.randn(*shape) * sc + 0.3, True)],
            train=train, prep=prep)


def gen_layernorm(n):
    for _ in range(n):
        nt = ri(1, 3)
        lead = rand_shape(ri(0, 2), 1, 3)
        tail = rand_shape(nt, 1, 4)
        if int(np.prod(tail)) == 1:
            tail[-1] = 3
        shape = lead + tail
        ns = tail[0] if (nt == 1 and R.random() < 0.5) else tail
        kw = {}
        if R.random() < 0.3:
            kw["elementwiseAffine"] = False
        eps = ch(1e-5, 1e-5, 1e-3, 0.1)
        if eps != 1e-5:
            kw["eps"] = eps
        add("layernorm_%s_ns%s_%s" % ("x".join(map(str, shape)), str(ns).replace(" ", ""),
                                       "_".join("%s%s" % (a, b) for a, b in kw.items())),
            "LayerNorm", [ns], kw, [rn(*shape, scale=1.7)], prep=lambda m: G.perturb_params(m, 0.5),
            train=R.random() < 0.7)


def gen_embedding(n):
    for _ in range(n):
        num, dim = ri(2, 10), ri(1, 5)
        kw = {}
        c = R.random()
        if c < 0.35:
            kw["paddingIdx"] = ri(0, num - 1)
        elif c < 0.7:
            kw["paddingIdx"] = ri(-num, -1)
        if R.random() < 0.3:
            kw["maxNorm"] = ch(0.5, 1.0, 1.5)
            if R.random() < 0.4:
                kw["normType"] = ch(1.0, 3.0)
        if R.random() < 0.3:
            kw["scaleGradByFreq"] = True
        shape = rand_shape(ri(1, 3), 1, 4)
        cnt = int(np.prod(shape))
        vals = [ri(0, num - 1) for _ in range(cnt)]
        if "paddingIdx" in kw and cnt > 1:
            vals[0] = kw["paddingIdx"] % num
        idx = lambda vals=vals, shape=shape: (torch.tensor(vals, dtype=torch.int64).reshape(shape), False)
        add("embedding_%d_%d_%s_in%s" % (num, dim, "_".join("%s%s" % (a, b) for a, b in kw.items()),
                                          "x".join(map(str, shape))),
            "Embedding", [num, dim], kw, [idx], train=R.random() < 0.8)


# ----------------------------------------------------------------------------- RNN
def gen_rnn(n):
    for _ in range(n):
        kind = ch("LSTM", "GRU")
        I, H = ri(1, 4), ri(1, 5)
        nl = ch(1, 1, 2, 3)
        bias = R.random() < 0.75
        bf = R.random() < 0.5
        bid = R.random() < 0.5
        init = R.random() < 0.5
        unb = R.random() < 0.2
        T, B = ri(1, 5), ri(1, 3)
        kw = G.rnn_kwargs(nl, bias, bf, bid)
        D = 2 if bid else 1
        xs = [T, I] if unb else ([B, T, I] if bf else [T, B, I])
        hs = [nl * D, H] if unb else [nl * D, B, H]
        inputs = [rn(*xs)]
        extra, fwd = None, None
        if init:
            inputs.append(rn(*hs, scale=0.5))
            if kind == "LSTM":
                inputs.append(rn(*hs, scale=0.5))
                extra = {"stateAsTuple": True}
                fwd = lambda m, ins: m(ins[0], (ins[1], ins[2]))
            else:
                fwd = lambda m, ins: m(ins[0], ins[1])
        add("%s_I%dH%d_T%d_%s_%s" % (kind.lower(), I, H, T, "x".join(map(str, xs)),
                                      "_".join("%s%s" % (a, b) for a, b in kw.items()) + ("_h0" if init else "")),
            kind, [I, H], kw, inputs, forward=fwd, extra=extra, train=R.random() < 0.8)


# ----------------------------------------------------------------------------- Losses
def t64(vals, shape):
    return torch.tensor(vals, dtype=torch.int64).reshape(shape)


def gen_class_losses(n):
    for _ in range(n):
        kind = ch("CrossEntropyLoss", "CrossEntropyLoss", "NLLLoss")
        C = ri(2, 5)
        form = ch("2d", "2d", "1d", "nd")
        if form == "2d":
            in_shape = [ri(1, 5), C]
        elif form == "1d":
            in_shape = [C]
        else:
            in_shape = [ri(1, 3), C] + rand_shape(ri(1, 2), 1, 3)
        tshape = [in_shape[0]] + in_shape[2:] if form != "1d" else []
        kw = {}
        red = ch("mean", "sum", "none")
        if red != "mean":
            kw["reduction"] = red
        if R.random() < 0.4:
            kw["weight"] = torch.rand(C) * 2 + 0.1
        ign = -100
        probs = kind == "CrossEntropyLoss" and R.random() < 0.25
        if R.random() < 0.3 and not probs:   # (PyTorch rejects ignore_index with probability targets)
            ign = ri(0, C - 1)
            kw["ignoreIndex"] = ign
        if kind == "CrossEntropyLoss" and R.random() < 0.5:
            kw["labelSmoothing"] = ch(0.05, 0.1, 0.25, 0.5)
        cnt = int(np.prod(tshape)) if tshape else 1
        vals = [ri(0, C - 1) for _ in range(cnt)]
        # sprinkle ignored targets (keep at least one valid for mean reductions to be finite)
        for j in range(cnt):
            if R.random() < 0.2 and not probs:
                vals[j] = ign
        if red == "mean" and all(v == ign for v in vals):
            vals[0] = (ign + 1) % C if ign >= 0 else 0
        logsm = kind == "NLLLoss"
        sc = ch(1.0, 2.0)

        def inp(in_shape=in_shape, logsm=logsm, sc=sc):
            x = torch.randn(*in_shape) * sc
            if logsm:
                x = F.log_softmax(x, dim=0 if len(in_shape) == 1 else 1)
            return x, True
        if probs:
            tgt = lambda in_shape=in_shape: (torch.softmax(torch.randn(*in_shape) * 2,
                                                           dim=0 if len(in_shape) == 1 else 1), False)
        else:
            tgt = lambda vals=vals, tshape=tshape: (t64(vals, tshape), False)
        add("%s_%s_in%s_%s%s" % (kind.lower(), form, "x".join(map(str, in_shape)),
                                 "_".join("%s%s" % (a, b if not isinstance(b, torch.Tensor) else "T")
                                          for a, b in kw.items()), "_probs" if probs else ""),
            kind, [], kw, [inp, tgt])


def gen_reg_losses(n):
    for _ in range(n):
        kind = ch("MSELoss", "BCELoss", "BCEWithLogitsLoss", "BCEWithLogitsLoss")
        shape = rand_shape(ri(1, 4), 1, 4)
        kw = {}
        red = ch("mean", "sum", "none")
        if red != "mean":
            kw["reduction"] = red
        last = shape[-1]
        if kind != "MSELoss" and R.random() < 0.4:
            wshape = ch([last], list(shape), [1] * (len(shape) - 1) + [last])
            kw["weight"] = torch.rand(*wshape) * 2 + 0.1
        if kind == "BCEWithLogitsLoss" and R.random() < 0.5:
            kw["posWeight"] = torch.rand(last) * 3 + 0.1
        tgt_grad = kind == "MSELoss" and R.random() < 0.3
        if kind == "MSELoss":
            inp, tgt = rn(*shape), rn(*shape, rg=tgt_grad)
        elif kind == "BCELoss":
            inp = lambda shape=shape: (torch.rand(*shape) * 0.9 + 0.05, True)
            hard = R.random() < 0.5
            tgt = (lambda shape=shape: (torch.randint(0, 2, shape).float(), False)) if hard else \
                (lambda shape=shape: (torch.rand(*shape), False))
        else:
            inp = rn(*shape, scale=3.0)
            hard = R.random() < 0.5
            tgt = (lambda shape=shape: (torch.randint(0, 2, shape).float(), False)) if hard else \
                (lambda shape=shape: (torch.rand(*shape), False))
        add("%s_%s_%s" % (kind.lower(), "x".join(map(str, shape)),
                          "_".join("%s%s" % (a, b if not isinstance(b, torch.Tensor) else "T" + "x".join(
                              map(str, b.shape))) for a, b in kw.items())),
            kind, [], kw, [inp, tgt])


# ----------------------------------------------------------------------------- tensor ops
def op_fn(op, p):
    """Python reference for an op case (inputs list -> output tensor or tuple)."""
    if op in ("add", "sub", "mul", "div"):
        return lambda a, b: getattr(torch, op)(a, b)
    if op == "add_scalar":
        return lambda a: a + p["s"]
    if op == "mul_scalar":
        return lambda a: a * p["s"]
    if op == "div_scalar":
        return lambda a: a / p["s"]
    if op == "sub_scalar":
        return lambda a: a - p["s"]
    if op == "pow_scalar":
        return lambda a: a.pow(p["s"])
    if op == "matmul":
        return lambda a, b: torch.matmul(a, b)
    if op == "matmul_transposed":
        return lambda a, b: torch.matmul(a.transpose(-1, -2), b)
    if op in ("sum", "mean"):
        return lambda a: getattr(a, op)(dim=p["dim"], keepdim=p["keepdim"]) if p["dim"] is not None else getattr(a, op)()
    if op == "var":
        return lambda a: a.var(dim=p["dim"], unbiased=p["unbiased"], keepdim=p["keepdim"]) if p["dim"] is not None \
            else a.var(unbiased=p["unbiased"])
    if op == "max":
        return lambda a: tuple(a.max(dim=p["dim"], keepdim=p["keepdim"]))
    if op == "min":
        return lambda a: tuple(a.min(dim=p["dim"], keepdim=p["keepdim"]))
    if op == "maxAll":
        return lambda a: a.max()
    if op == "minAll":
        return lambda a: a.min()
    if op == "argmax":
        return lambda a: a.argmax(dim=p["dim"], keepdim=p["keepdim"])
    if op == "permute":
        return lambda a: a.permute(*p["dims"]).contiguous()
    if op == "permute_mul":
        return lambda a, b: a.permute(*p["dims"]) * b
    if op == "transpose":
        return lambda a: a.transpose(p["d0"], p["d1"]).contiguous()
    if op == "transpose_sum":
        return lambda a: a.transpose(p["d0"], p["d1"]).sum(dim=p["dim"], keepdim=p["keepdim"])
    if op in ("softmax", "logSoftmax"):
        f = F.softmax if op == "softmax" else F.log_softmax
        return lambda a: f(a, dim=p["dim"])
    if op == "softmax_permuted":
        return lambda a: F.softmax(a.permute(*p["dims"]), dim=p["dim"])
    if op in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "neg", "abs", "square", "rsqrt", "reciprocal"):
        return lambda a: getattr(torch, op)(a)
    if op == "flatten":
        return lambda a: a.flatten(p["start"], p["end"])
    if op == "reshape":
        return lambda a: a.reshape(*p["shape"])
    if op == "unsqueeze":
        return lambda a: a.unsqueeze(p["dim"])
    if op == "squeeze":
        return lambda a: a.squeeze(p["dim"])
    if op == "expand":
        return lambda a: a.expand(*p["shape"]) * 1.0
    if op == "narrow":
        return lambda a: a.narrow(p["dim"], p["start"], p["length"])
    if op == "select":
        return lambda a: a.select(p["dim"], p["index"])
    if op == "cat":
        return lambda *xs: torch.cat(xs, dim=p["dim"])
    if op == "stack":
        return lambda *xs: torch.stack(xs, dim=p["dim"])
    if op == "clamp":
        return lambda a: a.clamp(p["min"], p["max"])
    if op == "linear":
        return lambda *xs: F.linear(*xs)
    if op == "layerNorm":
        return lambda *xs: F.layer_norm(xs[0], p["shape"], *(xs[1:] + (None,) * (3 - len(xs)))[:2], eps=p["eps"])
    if op == "batchNorm":
        # outputs: y and the running stats after the (in-place) update
        return lambda x, rm, rv, w, b: (F.batch_norm(x, rm, rv, w, b, training=p["training"],
                                                     momentum=p["momentum"], eps=p["eps"]), rm.clone(), rv.clone())
    # index / scan / sort / shape ops of ts/ops (masks are 0/1 float inputs read as m > 0.5)
    if op == "gather":
        return lambda a, i: a.gather(p["dim"], i)
    if op == "scatterAdd":
        return lambda a, i, b: a.scatter_add(p["dim"], i, b)
    if op == "indexSelect":
        return lambda a, i: a.index_select(p["dim"], i)
    if op == "maskedFill":
        return lambda a, m: a.masked_fill(m > 0.5, p["value"])
    if op == "where":
        return lambda m, a, b: torch.where(m > 0.5, a, b)
    if op in ("cumsum", "cumprod"):
        return lambda a: getattr(a, op)(p["dim"])
    if op == "topk":
        return lambda a: tuple(a.topk(p["k"], p["dim"], p["largest"]))
    if op == "sort":
        return lambda a: tuple(a.sort(p["dim"], p["descending"]))
    if op in ("amax", "amin", "logsumexp"):
        return lambda a: getattr(a, op)(p["dim"], keepdim=p["keepdim"])
    if op == "prod":
        return lambda a: a.prod(p["dim"], keepdim=p["keepdim"])
    if op == "norm":
        return lambda a: a.norm(p["p"], p["dim"], keepdim=p["keepdim"])
    if op == "flip":
        return lambda a: a.flip(p["dims"])
    if op == "roll":
        return lambda a: a.roll(p["shifts"], p["dims"])
    if op in ("tril", "triu"):
        return lambda a: getattr(a, op)(p["diagonal"])
    if op == "einsum":
        return lambda *xs: torch.einsum(p["eq"], *xs)
    raise KeyError(op)


def gen_index_ops(n):
    """Cases for the reduction/shape/indexing ops of ts/ops (appended last: earlier cases unchanged)."""
    def T(shape, rg=True, distinct_vals=False):
        if distinct_vals:
            return lambda: (G.distinct(*shape)()[0], rg)
        return lambda: (torch.randn(list(shape)), rg)
    def I(shape, hi):
        return lambda: (torch.randint(0, hi, list(shape)), False)
    def M(shape):
        return lambda: ((torch.rand(list(shape)) < 0.4).float(), False)
    name = lambda op, sh, extra="": "%s_%s%s" % (op, "x".join(map(str, sh)), extra)
    for _ in range(n):
        r = ri(1, 3)
        sa = rand_shape(r, 1, 5)
        d = ri(-r, r - 1)
        dd = d % r
        si = [ri(1, s) if k != dd else ri(1, 6) for k, s in enumerate(sa)]
        op_case(name("gather", sa, "_d%d" % d), "gather", {"dim": d}, [T(sa), I(si, sa[dd])])
        op_case(name("scatterAdd", sa, "_d%d" % d), "scatterAdd", {"dim": d}, [T(sa), I(si, sa[dd]), T(si)])
        op_case(name("indexSelect", sa, "_d%d" % d), "indexSelect", {"dim": d}, [T(sa), I([ri(0, 5)], sa[dd])])
        op_case(name("maskedFill", sa), "maskedFill", {"value": ch(0.0, -1.5, 3.0)}, [T(sa), M(bshape(sa))])
        sb, sc = bshape(sa), bshape(sa)
        op_case(name("where", sa), "where", {}, [M(sb), T(sa), T(sc)])
        op = ch("cumsum", "cumprod")
        op_case(name(op, sa, "_d%d" % d), op, {"dim": d}, [T(sa)])
        k = ri(0, sa[dd])
        op_case(name("topk", sa, "_k%d_d%d" % (k, d)), "topk", {"k": k, "dim": d, "largest": R.random() < 0.6}, [T(sa, distinct_vals=True)])
        op_case(name("sort", sa, "_d%d" % d), "sort", {"dim": d, "descending": R.random() < 0.5}, [T(sa, distinct_vals=True)])
        op = ch("amax", "amin", "logsumexp")
        dims = sorted(set(ch(dd, (dd + 1) % r) for _ in range(2))) if r > 1 else [d]
        op_case(name(op, sa), op, {"dim": dims, "keepdim": R.random() < 0.5}, [T(sa, distinct_vals=op != "logsumexp")])
        op_case(name("prod", sa, "_d%d" % d), "prod", {"dim": d, "keepdim": R.random() < 0.5}, [T(sa)])
        op_case(name("norm", sa), "norm", {"p": ch(1, 2, 3), "dim": d, "keepdim": R.random() < 0.5}, [T(sa)])
        op_case(name("flip", sa), "flip", {"dims": sorted(set([dd, ri(0, r - 1)]))}, [T(sa)])
        op_case(name("roll", sa), "roll", {"shifts": ri(-3, 3), "dims": d}, [T(sa)])
        if r >= 2:
            op = ch("tril", "triu")
            op_case(name(op, sa), op, {"diagonal": ri(-2, 2)}, [T(sa)])
        b, i, j, kk = ri(1, 3), ri(1, 4), ri(1, 4), ri(1, 4)
        eq, shapes = ch(("bij,bjk->bik", [[b, i, j], [b, j, kk]]), ("ij,kj->ik", [[i, j], [kk, j]]),
                        ("...i,i->...", [[b, i, j], [j]]), ("bii->b", [[b, i, i]]), ("ij,ij->i", [[i, j], [i, j]]))
        op_case("einsum_%s" % eq.replace("->", "_").replace(",", "_").replace("...", "E"), "einsum", {"eq": eq}, [T(s) for s in shapes])


def op_case(name, op, params, inputs):
    torch.manual_seed(nseed())
    ins = []
    for spec in inputs:
        t, rg = spec()
        t = t.detach().clone()
        if rg:
            t.requires_grad_(True)
        ins.append(t)
    enc_ins = [dict(G.enc(t), requiresGrad=bool(t.requires_grad)) for t in ins]   # before in-place updates
    out = op_fn(op, params)(*ins)
    outs = list(out) if isinstance(out, tuple) else [out]
    gouts = [torch.randn_like(o) if o.dim() > 0 and o.is_floating_point() else
             (torch.ones_like(o) if o.is_floating_point() else torch.zeros_like(o, dtype=torch.float32)) for o in outs]
    loss = sum((o * g).sum() for o, g in zip(outs, gouts) if o.requires_grad)
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
    CASES.append({
        "name": "%03d_op_%s" % (len(CASES), name), "op": op, "params": params,
        "inputs": enc_ins,
        "outputs": [G.enc(o) for o in outs],
        "gradOutputs": [G.enc(g, False) for g in gouts],
        "inputGrads": [G.enc(t.grad if t.grad is not None else torch.zeros_like(t), False) if t.requires_grad else None
                       for t in ins],
    })


def bshape(shape):
    """A shape broadcastable with `shape` (drop leading dims, set some to 1)."""
    s = list(shape)[ri(0, len(shape)):] if R.random() < 0.4 else list(shape)
    return [1 if R.random() < 0.35 else d for d in s]


def gen_ops(n_each):
    def T(shape, scale=1.0, pos=False, rg=True):
        if pos:
            return lambda: (torch.rand(list(shape)) * 2 + 0.2, rg)
        return lambda: (torch.randn(list(shape)) * scale, rg)
    # broadcasting binary ops
    for _ in range(n_each * 3):
        op = ch("add", "sub", "mul", "div")
        sa = rand_shape(ri(0, 4), 1, 4)
        sb = bshape(sa)
        if R.random() < 0.5:
            sa, sb = sb, sa
        op_case("%s_%s_%s" % (op, "x".join(map(str, sa)), "x".join(map(str, sb))), op, {},
                [T(sa), T(sb, pos=(op == "div"))])
    for _ in range(n_each):
        op = ch("add_scalar", "mul_scalar", "div_scalar", "sub_scalar", "pow_scalar")
        sa = rand_shape(ri(1, 3))
        s = ch(2.0, -0.5, 3.0, 0.25) if op != "pow_scalar" else ch(2.0, 3.0, 0.5, -1.0, 1.5)
        op_case("%s_%s" % (op, s), op, {"s": s}, [T(sa, pos=(op == "pow_scalar"))])
    # matmul ranks 1-4 with broadcasting
    for _ in range(n_each * 3):
        ra, rb = ri(1, 4), ri(1, 4)
        k = ri(1, 5)
        batch = rand_shape(max(ra, rb) - 2, 1, 3) if max(ra, rb) > 2 else []
        def bpart(r):
            nb = max(r - 2, 0)
            part = batch[len(batch) - nb:] if nb else []
            return [1 if R.random() < 0.3 else d for d in part]
        sa = [k] if ra == 1 else bpart(ra) + [ri(1, 4), k]
        sb = [k] if rb == 1 else bpart(rb) + [k, ri(1, 4)]
        transposed = R.random() < 0.25 and ra >= 2
        if transposed:
            sa = sa[:-2] + [sa[-1], sa[-2]]
        op_case("matmul%s_%s_%s" % ("T" if transposed else "", "x".join(map(str, sa)), "x".join(map(str, sb))),
                "matmul_transposed" if transposed else "matmul", {}, [T(sa), T(sb)])
    # reductions
    for _ in range(n_each * 3):
        op = ch("sum", "mean", "var", "max", "min", "maxAll", "argmax", "sum", "mean", "var", "var", "max")
        r = ri(1, 4)
        sa = rand_shape(r, 1, 4)
        keep = R.random() < 0.5
        if op in ("sum", "mean", "var"):
            c = R.random()
            if c < 0.15:
                dim = None
            elif c < 0.6:
                dim = ri(-r, r - 1)
            else:
                dim = sorted(R.sample(range(r), ri(1, r)))
                dim = [d - r if R.random() < 0.3 else d for d in dim]
            p = {"dim": dim, "keepdim": keep}
            if op == "var":
                p["unbiased"] = R.random() < 0.7
                cnt = int(np.prod(sa)) if dim is None else int(np.prod([sa[d] for d in ([dim] if isinstance(dim, int) else dim)]))
                if p["unbiased"] and cnt < 2:
                    sa = [d + 1 for d in sa]
            op_case("%s_%s_%s" % (op, "x".join(map(str, sa)), str(dim).replace(" ", "")), op, p, [T(sa)])
        else:
            p = {"dim": ri(-r, r - 1), "keepdim": keep} if op != "maxAll" else {}
            op_case("%s_%s_%s" % (op, "x".join(map(str, sa)), p.get("dim")), op, p,
                    [lambda sa=sa: (distinct(sa)()[0], op != "argmax")])
    # layout ops
    for _ in range(n_each * 2):
        op = ch("permute", "permute_mul", "transpose", "transpose_sum", "softmax", "logSoftmax", "softmax_permuted")
        r = ri(2, 4)
        sa = rand_shape(r, 1, 4)
        if op in ("permute", "permute_mul", "softmax_permuted"):
            dims = list(range(r))
            R.shuffle(dims)
            p = {"dims": dims}
            if op == "softmax_permuted":
                p["dim"] = ri(-r, r - 1)
            ins = [T(sa)]
            if op == "permute_mul":
                ins.append(T(bshape([sa[d] for d in dims])))
        elif op in ("transpose", "transpose_sum"):
            p = {"d0": ri(-r, r - 1), "d1": ri(-r, r - 1)}
            if op == "transpose_sum":
                p.update(dim=ri(0, r - 1), keepdim=R.random() < 0.5)
            ins = [T(sa)]
        else:
            p = {"dim": ri(-r, r - 1)}
            ins = [T(sa, scale=2.0)]
        op_case("%s_%s_%s" % (op, "x".join(map(str, sa)), "_".join(str(v).replace(" ", "") for v in p.values())),
                op, p, ins)
    # unary + shape ops
    for _ in range(n_each * 2):
        op = ch("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "neg", "abs", "square", "rsqrt", "reciprocal",
                "flatten", "reshape", "unsqueeze", "squeeze", "expand", "narrow", "select", "cat", "stack", "clamp")
        r = ri(1, 4)
        sa = rand_shape(r, 1, 4)
        p, ins = {}, [T(sa, pos=op in ("log", "sqrt", "rsqrt", "reciprocal"))]
        if op == "flatten":
            a, b = sorted([ri(0, r - 1), ri(0, r - 1)])
            p = {"start": a, "end": b - r if R.random() < 0.5 else b}
        elif op == "reshape":
            p = {"shape": [-1] + ([sa[-1]] if R.random() < 0.5 else [])}
        elif op == "unsqueeze":
            p = {"dim": ri(-r - 1, r)}
        elif op == "squeeze":
            sa[ri(0, r - 1)] = 1
            p = {"dim": ri(-r, r - 1)}
        elif op == "expand":
            sa = [1 if R.random() < 0.5 else d for d in sa]
            p = {"shape": [ri(2, 3) if d == 1 else d for d in sa]}
            if R.random() < 0.3:
                p["shape"] = [2] + p["shape"]
        elif op == "narrow":
            d = ri(0, r - 1)
            st = ri(0, sa[d] - 1)
            p = {"dim": d, "start": st, "length": ri(1, sa[d] - st)}
        elif op == "select":
            d = ri(-r, r - 1)
            p = {"dim": d, "index": ri(0, sa[d] - 1)}
        elif op in ("cat", "stack"):
            d = ri(0, r - 1) if op == "cat" else ri(0, r)
            ins = []
            for _j in range(ri(2, 3)):
                s2 = list(sa)
                if op == "cat":
                    s2[d] = ri(1, 3)
                ins.append(T(s2))
            p = {"dim": d}
        elif op == "clamp":
            p = {"min": ch(None, -0.5), "max": ch(0.7, None, 1.2)}
            if p["min"] is None and p["max"] is None:
                p["min"] = 0.1
            ins = [lambda sa=sa: (distinct(sa)()[0], True)]
        op_case("%s_%s_%s" % (op, "x".join(map(str, sa)), "_".join(str(v).replace(" ", "") for v in p.values())),
                op, p, ins)
    # functional: linear (any rank, with/without bias), layerNorm, batchNorm (functional args)
    for _ in range(n_each):
        i, o = ri(1, 5), ri(1, 4)
        sa = rand_shape(ri(0, 3), 1, 3) + [i]
        ins = [T(sa), T([o, i])] + ([T([o])] if R.random() < 0.6 else [])
        op_case("linear_%s_%d" % ("x".join(map(str, sa)), len(ins)), "linear", {}, ins)
    for _ in range(n_each // 2 + 1):
        nt = ri(1, 2)
        sa = rand_shape(ri(0, 2), 1, 3) + rand_shape(nt, 2, 4)
        ns = sa[len(sa) - nt:]
        c = ri(0, 2)
        ins = [T(sa)] + [T(ns, scale=0.5)] * 0
        if c >= 1:
            ins.append(lambda ns=ns: (torch.randn(*ns) * 0.5 + 1, True))
        if c >= 2:
            ins.append(T(ns, scale=0.5))
        op_case("layerNorm_%s_%d" % ("x".join(map(str, sa)), c), "layerNorm", {"shape": ns, "eps": ch(1e-5, 1e-2)}, ins)
    for _ in range(n_each // 2 + 1):
        C = ri(1, 4)
        sa = [ri(2, 4), C] + rand_shape(ri(0, 2), 1, 3)
        training = R.random() < 0.6
        p = {"training": training, "momentum": ch(0.1, 0.5), "eps": ch(1e-5, 1e-3)}
        ins = [T(sa, scale=1.5), lambda C=C: (torch.randn(C) * 0.3, False), lambda C=C: (torch.rand(C) + 0.5, False),
               lambda C=C: (torch.randn(C) * 0.5 + 1, True), T([C], scale=0.5)]
        op_case("batchNorm_%s_%s" % ("x".join(map(str, sa)), "train" if training else "eval"), "batchNorm", p, ins)


def ints(shape, lo=-2, hi=3, rg=True):
    """Small integer values as float32: many ties (max/min/pool gradients) and exact zeros (relu, abs)."""
    return lambda: (torch.randint(lo, hi, shape).float(), rg)


def gen_edges():
    """Ties, exact zeros/ones and int64 operands: where gradients/dtypes are decided by convention."""
    for _ in range(4):
        shape = [ri(2, 3), ri(2, 4)]
        op_case("maxAll_ties_%s" % "x".join(map(str, shape)), "maxAll", {}, [ints(shape, 0, 2)])
        op_case("minAll_ties_%s" % "x".join(map(str, shape)), "minAll", {}, [ints(shape, 0, 2)])
    for op in ("max", "min", "argmax"):
        shape = [ri(2, 3), ri(2, 4), ri(1, 3)]
        op_case("%s_ties" % op, op, {"dim": ri(0, 2), "keepdim": R.random() < 0.5}, [ints(shape, 0, 2, rg=op != "argmax")])
    for e in (0.0, 2.0, 3.0, -1.0, 1.0):
        vals = [-2.0, -1.0, 0.5, 1.5, 3.0] + ([0.0] if e >= 0 else [])
        op_case("pow_scalar_negbase_%s" % e, "pow_scalar", {"s": e},
                [lambda vals=vals: (torch.tensor(vals), True)])
    for op in ("relu", "abs"):
        op_case("%s_exact_zeros" % op, op, {}, [ints([3, 4])])
    op_case("clamp_at_bounds", "clamp", {"min": -1.0, "max": 1.0}, [ints([3, 4])])
    # int64 operands: promotion with float32 tensors / scalars, true division
    for op in ("add", "sub", "mul", "div"):
        sa = [ri(1, 3), ri(1, 4)]
        op_case("%s_int64_float32" % op, op, {}, [lambda sa=sa: (torch.randint(-5, 6, sa), False),
                                                   lambda sa=sa: (torch.rand(sa) + 0.5, True)])
        op_case("%s_float32_int64" % op, op, {}, [lambda sa=sa: (torch.randn(sa), True),
                                                   lambda sa=sa: (torch.randint(1, 6, sa), False)])
        op_case("%s_int64_int64" % op, op, {}, [lambda sa=sa: (torch.randint(-5, 6, sa), False),
                                                 lambda sa=sa: (torch.randint(1, 6, sa), False)])
    for op, sc in (("add_scalar", 2), ("mul_scalar", 3), ("sub_scalar", 1), ("mul_scalar", 0.5), ("div_scalar", 2),
                   ("add_scalar", 0.25)):
        op_case("%s_int64_%s" % (op, sc), op, {"s": sc}, [lambda: (torch.randint(-5, 6, [2, 3]), False)])
    # pools / relu chains on integer-valued inputs: tied maxima (the first index wins in PyTorch)
    for _ in range(3):
        shape = [ri(1, 2), ri(1, 3), ri(4, 7), ri(4, 7)]
        k = ri(2, 3)
        add("maxpool2d_ties_k%d" % k, "MaxPool2d", [k], {"stride": ri(1, 2), "padding": ri(0, k // 2)},
            [ints(shape, -1, 2)])
        add("adaptivemaxpool2d_ties", "AdaptiveMaxPool2d", [[ri(1, 4), ri(1, 4)]], {}, [ints(shape, -1, 2)])
    add("relu_exact_zeros", "ReLU", [], {}, [ints([3, 5])])
    # BCE with probabilities exactly 0 / 1 (log clamped at -100; gradient uses max(x(1-x), 1e-12))
    for red in ("mean", "sum", "none"):
        add("bceloss_exact_0_1_%s" % red, "BCELoss", [], {"reduction": red},
            [lambda: (torch.tensor([[0.0, 1.0, 0.5, 1e-6], [1.0, 0.0, 0.999, 0.25]]), True),
             lambda: (torch.tensor([[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.3]]), False)])


def gen_medium():
    """A few larger shapes that reach the kernels' blocked / SIMD / packed-GEMM paths."""
    add("medium_conv2d_32to8_k3_pad1", "Conv2d", [32, 8, 3], {"padding": 1}, [rn(2, 32, 6, 7)])
    add("medium_conv2d_16to12_k3_stride2", "Conv2d", [16, 12, 3], {"stride": 2, "padding": 1}, [rn(1, 16, 9, 11)])
    add("medium_conv2d_depthwise24_k3", "Conv2d", [24, 24, 3], {"groups": 24, "padding": "same"}, [rn(2, 24, 5, 6)])
    add("medium_conv1d_40to6_k7_dil2", "Conv1d", [40, 6, 7], {"dilation": 2, "padding": 3}, [rn(2, 40, 17)])
    add("medium_convT2d_16to6_k4_s2_p1", "ConvTranspose2d", [16, 6, 4], {"stride": 2, "padding": 1}, [rn(2, 16, 4, 5)])
    add("medium_maxpool2d_k2_s2", "MaxPool2d", [2], {}, [distinct([2, 6, 10, 13])])
    add("medium_maxpool2d_k3_s2_p1", "MaxPool2d", [3], {"stride": 2, "padding": 1}, [distinct([2, 4, 11, 12])])
    add("medium_linear_96to40", "Linear", [96, 40], {}, [rn(9, 96)])
    add("medium_lstm_I12H16_T6", "LSTM", [12, 16], {"numLayers": 2}, [rn(6, 3, 12)])
    add("medium_gru_I10H16_T6_bidir", "GRU", [10, 16], {"bidirectional": True, "batchFirst": True}, [rn(3, 6, 10)])
    add("medium_batchnorm2d_16", "BatchNorm2d", [16], {}, [rn(3, 16, 5, 5)])
    op_case("medium_matmul_37x70_70x19", "matmul", {}, [lambda: (torch.randn(37, 70), True), lambda: (torch.randn(70, 19), True)])
    op_case("medium_matmul_batched", "matmul", {}, [lambda: (torch.randn(3, 1, 17, 33), True),
                                                    lambda: (torch.randn(2, 33, 21), True)])


def main():
    gen_linear(12)
    gen_activations(22)
    gen_conv(1, 18)
    gen_conv(2, 30)
    gen_conv(3, 10)
    gen_convT(18)
    gen_pool("MaxPool2d", 16)
    gen_pool("AvgPool2d", 16)
    gen_adaptive("AdaptiveAvgPool2d", 9)
    gen_adaptive("AdaptiveMaxPool2d", 9)
    gen_batchnorm(18)
    gen_layernorm(12)
    gen_embedding(14)
    gen_rnn(24)
    gen_class_losses(28)
    gen_reg_losses(20)
    gen_ops(8)
    gen_edges()
    gen_medium()
    gen_index_ops(6)
    G.write("random.json", CASES, extra={"seed": 20240611, "note": "generated by scripts/gen_random_cases.py"})


if __name__ == "__main__":
    main()
