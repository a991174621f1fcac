#!/usr/bin/python3
"""PyTorch 1.13 golden fixtures for attention, the Transformer family and the recurrent cells.

Run:  /usr/bin/python3 scripts/gen_attention_fixtures.py   (writes test/fixtures/attention/*.json)

sdpa.json: F.scaled_dot_product_attention does not exist in torch 1.13, so its golden values come
from PyTorch 2's documented formula evaluated in float64 (softmax(q k^T * scale + mask) v, a bool
mask's True = takes part, is_causal = tril), inputs rounded to float32.
modules.json: a module built from (module, args, kwargs with camelCase torchlet names), its state
dict, forward inputs and forward options (masks: {"shape","dtype","data"}, -inf written as the
string "-inf"), outputs, the upstream gradients, input and parameter gradients, and print text.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "attention")

SNAKE = {
    "dropout": "dropout", "bias": "bias", "addBiasKv": "add_bias_kv", "addZeroAttn": "add_zero_attn", "kdim": "kdim",
    "vdim": "vdim", "batchFirst": "batch_first", "dimFeedforward": "dim_feedforward", "activation": "activation",
    "layerNormEps": "layer_norm_eps", "normFirst": "norm_first", "numLayers": "num_layers", "nonlinearity": "nonlinearity",
    "bidirectional": "bidirectional", "dModel": "d_model", "nhead": "nhead", "numEncoderLayers": "num_encoder_layers",
    "numDecoderLayers": "num_decoder_layers",
    "keyPaddingMask": "key_padding_mask", "needWeights": "need_weights", "attnMask": "attn_mask",
    "averageAttnWeights": "average_attn_weights", "srcMask": "src_mask", "srcKeyPaddingMask": "src_key_padding_mask",
    "mask": "mask", "tgtMask": "tgt_mask", "memoryMask": "memory_mask", "tgtKeyPaddingMask": "tgt_key_padding_mask",
    "memoryKeyPaddingMask": "memory_key_padding_mask",
}


def fl(a):
    out = []
    for v in np.asarray(a, dtype=np.float32).ravel():
        if np.isnan(v):
            raise ValueError("NaN in fixture")
        out.append("-inf" if v == -np.inf else "inf" if v == np.inf else float(str(v)))
    return out


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [bool(x) for x in t.reshape(-1).tolist()]}
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(x) for x in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "dtype": "float32", "data": fl(t.float().numpy())}


def rnd(*shape):
    return torch.randn(*shape).float()


# ----------------------------------------------------------------------------- sdpa (float64 formula)
def sdpa_ref(q, k, v, attn_mask=None, is_causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    sc = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    bias = torch.zeros(L, S, dtype=q.dtype)
    if is_causal:
        bias = bias.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(0), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            bias = bias + torch.zeros(attn_mask.shape, dtype=q.dtype).masked_fill(~attn_mask, float("-inf"))
        else:
            bias = bias + attn_mask.double()
    w = torch.softmax(q @ k.transpose(-2, -1) * sc + bias, dim=-1)
    return w @ v


def sdpa_cases():
    cases = []
    specs = [
        ("basic", [2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6], None, False, None),
        ("3d", [4, 9, 16], [4, 9, 16], [4, 9, 16], None, False, None),
        ("2d", [5, 3], [6, 3], [6, 4], None, False, None),
        ("causal", [2, 2, 11, 8], [2, 2, 11, 8], [2, 2, 11, 8], None, True, None),
        ("causal_rect", [1, 2, 5, 4], [1, 2, 9, 4], [1, 2, 9, 4], None, True, None),
        ("bool_mask_2d", [2, 2, 6, 4], [2, 2, 7, 4], [2, 2, 7, 5], ("bool", [6, 7]), False, None),
        ("bool_mask_4d_bcast", [2, 3, 6, 4], [2, 3, 6, 4], [2, 3, 6, 4], ("bool", [2, 1, 6, 6]), False, None),
        ("float_mask", [2, 2, 6, 4], [2, 2, 7, 4], [2, 2, 7, 4], ("float", [2, 2, 6, 7]), False, None),
        ("float_mask_bcast", [3, 5, 8], [3, 70, 8], [3, 70, 3], ("float", [1, 5, 70]), False, None),
        ("scale", [2, 4, 5], [2, 6, 5], [2, 6, 5], None, False, 0.3),
        ("long_odd", [1, 1, 37, 80], [1, 1, 83, 80], [1, 1, 83, 33], ("bool", [37, 83]), False, None),
        ("bcast_batch", [2, 3, 4, 5], [1, 3, 6, 5], [1, 3, 6, 2], None, False, None),
    ]
    for name, qs, ks, vs, mask, causal, scale in specs:
        q, k, v = rnd(*qs), rnd(*ks), rnd(*vs)
        m = None
        if mask:
            kind, shape = mask
            if kind == "bool":
                m = torch.rand(*shape) > 0.3
                # every query row keeps at least one key
                m[..., 0] = True
            else:
                m = torch.randn(*shape)
                m = m.masked_fill(torch.rand(*shape) > 0.8, float("-inf"))
                m[..., 0] = 0.0
        qd, kd, vd = [t.double().requires_grad_() for t in (q, k, v)]
        out = sdpa_ref(qd, kd, vd, m, causal, scale)
        go = rnd(*out.shape)
        out.backward(go.double())
        c = {"name": name, "inputs": [enc(q), enc(k), enc(v)], "options": {}, "outputs": [enc(out)], "gradOutputs": [enc(go)],
             "inputGrads": [enc(qd.grad), enc(kd.grad), enc(vd.grad)]}
        if m is not None:
            c["options"]["attnMask"] = enc(m)
        if causal:
            c["options"]["isCausal"] = True
        if scale is not None:
            c["options"]["scale"] = scale
        cases.append(c)
    return cases


# ----------------------------------------------------------------------------- modules
def module_case(name, ctor, args, kwargs, inputs, fwd_kwargs=None, train=True, same_qkv=False, pick=None, extra=None, inference=False):
    """inputs: list of float tensors (requires grad); fwd_kwargs: camelCase -> tensor/bool."""
    fwd_kwargs = fwd_kwargs or {}
    torch.manual_seed(sum(map(ord, name)))
    m = ctor(*args, **{SNAKE[k]: v for k, v in kwargs.items()})
    m.train(train)
    xs = [x.clone().requires_grad_() for x in inputs]
    call = [xs[0], xs[0], xs[0]] if same_qkv else xs
    if ctor is nn.LSTMCell and len(xs) == 3:
        call = [xs[0], (xs[1], xs[2])]
    with torch.set_grad_enabled(not inference):
        out = m(*call, **{SNAKE[k]: v for k, v in fwd_kwargs.items()})
    outs = pick(out) if pick else (list(out) if isinstance(out, (tuple, list)) else [out])
    outs = [o for o in outs if o is not None]
    gos = [rnd(*o.shape) for o in outs]
    if not inference:
        torch.autograd.backward(outs, gos)
    c = {
        "name": name, "module": getattr(ctor, "__name__", "custom"), "args": args, "kwargs": {k: v for k, v in kwargs.items()}, "train": train,
        "sameQkv": same_qkv, "inputs": [enc(x) for x in inputs],
        "forward": {k: (enc(v) if isinstance(v, torch.Tensor) else v) for k, v in fwd_kwargs.items()},
        "state": {k: enc(v) for k, v in m.state_dict().items()},
        "outputs": [enc(o) for o in outs], "gradOutputs": [enc(g) for g in gos],
        "inputGrads": [enc(x.grad) if x.grad is not None else None for x in xs],
        "paramGrads": {n: enc(p.grad) for n, p in m.named_parameters() if p.grad is not None},
        "print": str(m), "inference": inference,
    }
    if extra:
        c.update(extra)
    return c


def bool_mask(*shape, p=0.3):
    m = torch.rand(*shape) < p
    m[..., 0] = False  # (MHA: True = blocked) keep the first key visible
    return m


def float_mask(*shape):
    m = torch.randn(*shape)
    m = m.masked_fill(torch.rand(*shape) < 0.2, float("-inf"))
    m[..., 0] = 0.0
    return m


def mha_cases():
    E, H, L, S, B = 8, 2, 5, 6, 3
    out = []
    mha = nn.MultiheadAttention
    out.append(module_case("mha_self", mha, [E, H], {}, [rnd(L, B, E)], same_qkv=True))
    out.append(module_case("mha_qkv", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)]))
    out.append(module_case("mha_batch_first", mha, [E, 4], {"batchFirst": True}, [rnd(B, L, E), rnd(B, S, E), rnd(B, S, E)]))
    out.append(module_case("mha_no_weights", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)], {"needWeights": False}))
    out.append(module_case("mha_per_head", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)], {"averageAttnWeights": False}))
    out.append(module_case("mha_kpm_bool", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)], {"keyPaddingMask": bool_mask(B, S)}))
    out.append(module_case("mha_kpm_float", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)],
                           {"keyPaddingMask": float_mask(B, S), "needWeights": False}))
    out.append(module_case("mha_mask2d_bool", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)],
                           {"attnMask": bool_mask(L, S), "needWeights": False}))
    out.append(module_case("mha_mask2d_float", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)], {"attnMask": float_mask(L, S)}))
    out.append(module_case("mha_mask3d_bool", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)],
                           {"attnMask": bool_mask(B * H, L, S), "needWeights": False}))
    out.append(module_case("mha_mask3d_float_kpm", mha, [E, H], {}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)],
                           {"attnMask": float_mask(B * H, L, S), "keyPaddingMask": bool_mask(B, S)}))
    causal = torch.triu(torch.full((L, L), float("-inf")), 1)
    out.append(module_case("mha_causal_mask", mha, [E, H], {"batchFirst": True}, [rnd(B, L, E)], {"attnMask": causal, "needWeights": False}, same_qkv=True))
    out.append(module_case("mha_causal_hint", mha, [E, H], {"batchFirst": True}, [rnd(B, L, E)], {"attnMask": causal, "needWeights": False},
                           same_qkv=True, extra={"torchletForward": {"isCausal": True}}))
    out.append(module_case("mha_kvdim", mha, [E, H], {"kdim": 5, "vdim": 3}, [rnd(L, B, E), rnd(S, B, 5), rnd(S, B, 3)]))
    out.append(module_case("mha_bias_kv_zero_attn", mha, [E, H], {"addBiasKv": True, "addZeroAttn": True},
                           [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)], {"keyPaddingMask": bool_mask(B, S), "attnMask": float_mask(L, S)}))
    out.append(module_case("mha_no_bias", mha, [E, H], {"bias": False}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)]))
    out.append(module_case("mha_unbatched", mha, [E, H], {}, [rnd(L, E), rnd(S, E), rnd(S, E)], {"attnMask": bool_mask(L, S)}))
    out.append(module_case("mha_eval_dropout", mha, [E, H], {"dropout": 0.5}, [rnd(L, B, E), rnd(S, B, E), rnd(S, B, E)], train=False))
    out.append(module_case("mha_heads8_dim80", mha, [80, 8], {}, [rnd(13, 2, 80)], {"needWeights": False}, same_qkv=True))
    return out


def transformer_cases():
    out = []
    d, nh, ff = 8, 2, 16
    T, S, B = 5, 6, 3
    E = nn.TransformerEncoderLayer
    D = nn.TransformerDecoderLayer
    out.append(module_case("enc_layer", E, [d, nh], {"dimFeedforward": ff, "dropout": 0.0}, [rnd(S, B, d)]))
    out.append(module_case("enc_layer_gelu_normfirst_bf", E, [d, nh], {"dimFeedforward": ff, "dropout": 0.0, "activation": "gelu",
                                                                       "normFirst": True, "batchFirst": True}, [rnd(B, S, d)],
                           {"srcMask": torch.triu(torch.full((S, S), float("-inf")), 1), "srcKeyPaddingMask": bool_mask(B, S)}))
    out.append(module_case("enc_layer_eps_float_kpm", E, [d, nh], {"dimFeedforward": ff, "dropout": 0.0, "layerNormEps": 1e-3},
                           [rnd(S, B, d)], {"srcKeyPaddingMask": float_mask(B, S), "srcMask": bool_mask(S, S)}))
    out.append(module_case("enc_layer_default_print", E, [d, nh], {}, [rnd(S, B, d)], train=False))
    enc_layer = E(d, nh, ff, 0.0)
    out.append(module_case("encoder", lambda *a, **k: nn.TransformerEncoder(E(d, nh, ff, 0.0), 2, nn.LayerNorm(d)), [], {},
                           [rnd(S, B, d)], {"mask": bool_mask(S, S), "srcKeyPaddingMask": bool_mask(B, S)},
                           extra={"build": "encoder_norm"}))
    out.append(module_case("encoder_fastpath_padding", lambda *a, **k: nn.TransformerEncoder(E(d, nh, ff, 0.0, batch_first=True), 2, nn.LayerNorm(d)),
                           [], {}, [rnd(B, S, d)], {"srcKeyPaddingMask": torch.tensor([[False] * S, [False] * (S - 2) + [True] * 2, [False] + [True] * (S - 1)])},
                           train=False, inference=True, extra={"build": "encoder_fast"}))
    out.append(module_case("encoder_nonorm", lambda *a, **k: nn.TransformerEncoder(E(d, nh, ff, 0.0, batch_first=True), 3), [], {},
                           [rnd(B, S, d)], extra={"build": "encoder_plain"}))
    del enc_layer
    out.append(module_case("dec_layer", D, [d, nh], {"dimFeedforward": ff, "dropout": 0.0}, [rnd(T, B, d), rnd(S, B, d)],
                           {"tgtMask": torch.triu(torch.full((T, T), float("-inf")), 1), "memoryKeyPaddingMask": bool_mask(B, S)}))
    out.append(module_case("dec_layer_bf_normfirst", D, [d, nh], {"dimFeedforward": ff, "dropout": 0.0, "batchFirst": True, "normFirst": True,
                                                                  "activation": "gelu"}, [rnd(B, T, d), rnd(B, S, d)],
                           {"memoryMask": float_mask(T, S), "tgtKeyPaddingMask": bool_mask(B, T)}))
    out.append(module_case("decoder", lambda *a, **k: nn.TransformerDecoder(D(d, nh, ff, 0.0), 2, nn.LayerNorm(d)), [], {},
                           [rnd(T, B, d), rnd(S, B, d)], {"tgtMask": torch.triu(torch.full((T, T), float("-inf")), 1)},
                           extra={"build": "decoder_norm"}))
    out.append(module_case("transformer", nn.Transformer, [], {"dModel": d, "nhead": nh, "numEncoderLayers": 2, "numDecoderLayers": 1,
                                                               "dimFeedforward": ff, "dropout": 0.0},
                           [rnd(S, B, d), rnd(T, B, d)], {"tgtMask": nn.Transformer.generate_square_subsequent_mask(T),
                                                          "srcKeyPaddingMask": bool_mask(B, S), "memoryKeyPaddingMask": bool_mask(B, S)}))
    out.append(module_case("transformer_bf", nn.Transformer, [], {"dModel": d, "nhead": 4, "numEncoderLayers": 1, "numDecoderLayers": 2,
                                                                  "dimFeedforward": ff, "dropout": 0.0, "batchFirst": True, "normFirst": True},
                           [rnd(B, S, d), rnd(B, T, d)], {"tgtMask": nn.Transformer.generate_square_subsequent_mask(T)}))
    return out


def rnn_cases():
    out = []
    I, Hd, T, B = 4, 5, 6, 3
    out.append(module_case("rnn_tanh", nn.RNN, [I, Hd], {}, [rnd(T, B, I)]))
    out.append(module_case("rnn_relu_2l_bidir_bf", nn.RNN, [I, Hd], {"nonlinearity": "relu", "numLayers": 2, "bidirectional": True,
                                                                     "batchFirst": True}, [rnd(B, T, I), rnd(4, B, Hd)]))
    out.append(module_case("rnn_nobias_unbatched", nn.RNN, [I, Hd], {"bias": False, "numLayers": 2}, [rnd(T, I)]))
    out.append(module_case("rnn_dropout_eval", nn.RNN, [I, Hd], {"numLayers": 2, "dropout": 0.3}, [rnd(T, B, I)], train=False))
    out.append(module_case("lstm_dropout_eval", nn.LSTM, [I, Hd], {"numLayers": 2, "dropout": 0.3}, [rnd(T, B, I)], train=False,
                           pick=lambda o: [o[0], o[1][0], o[1][1]]))
    out.append(module_case("gru_dropout_eval", nn.GRU, [I, Hd], {"numLayers": 2, "dropout": 0.25}, [rnd(T, B, I)], train=False))
    out.append(module_case("rnn_cell", nn.RNNCell, [I, Hd], {}, [rnd(B, I), rnd(B, Hd)]))
    out.append(module_case("rnn_cell_relu_nobias", nn.RNNCell, [I, Hd], {"nonlinearity": "relu", "bias": False}, [rnd(B, I)]))
    out.append(module_case("rnn_cell_unbatched", nn.RNNCell, [I, Hd], {}, [rnd(I), rnd(Hd)]))
    out.append(module_case("lstm_cell", nn.LSTMCell, [I, Hd], {}, [rnd(B, I), rnd(B, Hd), rnd(B, Hd)],
                           pick=lambda o: list(o), extra={"stateAsTuple": True}))
    out.append(module_case("lstm_cell_nostate_nobias", nn.LSTMCell, [I, Hd], {"bias": False}, [rnd(B, I)], pick=lambda o: list(o)))
    out.append(module_case("lstm_cell_unbatched", nn.LSTMCell, [I, Hd], {}, [rnd(I), rnd(Hd), rnd(Hd)], pick=lambda o: list(o),
                           extra={"stateAsTuple": True}))
    out.append(module_case("gru_cell", nn.GRUCell, [I, Hd], {}, [rnd(B, I), rnd(B, Hd)]))
    out.append(module_case("gru_cell_nobias", nn.GRUCell, [I, Hd], {"bias": False}, [rnd(B, I)]))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    files = {"sdpa.json": sdpa_cases, "mha.json": mha_cases, "transformer.json": transformer_cases, "rnn.json": rnn_cases}
    for fn, gen in files.items():
        torch.manual_seed(len(fn))
        data = {"torch": torch.__version__, "cases": gen()}
        with open(os.path.join(OUT, fn), "w") as f:
            json.dump(data, f, separators=(",", ":"))
        print(fn, len(data["cases"]), "cases", os.path.getsize(os.path.join(OUT, fn)) // 1024, "KB")


if __name__ == "__main__":
    main()
