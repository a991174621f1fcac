#!/usr/bin/python3
"""PyTorch (CPU) reference numbers for torchlet's benches. Prints one JSON object on stdout.

usage: /usr/bin/python3 scripts/torch_bench.py [--threads 1,2] [--steps 30] [--quick]

Per thread count (torch.set_num_threads(T)):
  simplecnn_train: SimpleCNN (MNIST: Conv(1,16,3,p1) ReLU MaxPool2 Conv(16,32,3,p1) ReLU MaxPool2 Flatten
                   Linear(1568,128) ReLU Linear(128,10)), batch 64, one step = zero_grad, forward,
                   CrossEntropy, backward, SGD(lr 0.01, momentum 0.9). median ms/step, images/s.
  gemm_1024:       1024x1024 @ 1024x1024 via torch.matmul, GFLOPS (2*N^3 / time). NB: Debian's torch uses
                   BLAS_INFO=generic (reference BLAS, ~8 GFLOPS), so gemm_1024_onednn also times the same
                   GEMM as a oneDNN 1x1 convolution.
  conv3x3:         8x64x56x56 -> 64, 3x3 pad 1, forward (no grad), GFLOPS (2*N*Cout*H*W*Cin*9)
  stem:            1x3x224x224 -> 64, 7x7 stride 2 pad 3, forward, GFLOPS
  lstm_fwd:        LSTM 128->256, seq 32, batch 16, forward (no grad), median ms
  whole models (skipped with --no-models): resnet18_b1, resnet18_b8, mobilenetv2_b1 (torchvision, eval, 224^2),
                   encoder_b8 (TransformerEncoderLayer 512/8/2048, dropout 0, batch_first, x[8,128,512]),
                   resnet18_train (b16 112^2, SGD momentum 0.9), gpt_train (examples/gpt.mjs model, b16 T64,
                   AdamW + clip 1.0, tokens/s), charlstm_train (examples/char-lstm.mjs model, b16 T32, Adam + clip)
  peak memory (with the models): resnet18_b8_mem, resnet18_train_mem — each in a fresh python process
                   (this script with --memory KEY): RSS after import torch/torchvision and set_num_threads (baseline),
                   then the model is made and run 4 times (1 warm-up + 3), peak RSS = VmHWM (= ru_maxrss), MB = 2^20 B
Timings are medians over repeated runs after warm-up.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn


def simplecnn_mnist():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def timeit(fn, warmup, reps, min_time=0.0):
    for _ in range(warmup):
        fn()
    ts = []
    t_start = time.perf_counter()
    while len(ts) < reps or (time.perf_counter() - t_start) < min_time:
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        if len(ts) >= 10 * reps:
            break
    return statistics.median(ts), len(ts)


def bench(threads, steps, quick, models=True):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    res = {}
    reps = 5 if quick else 20
    # SimpleCNN training step
    model = simplecnn_mnist()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        loss = lossf(model(x), y)
        loss.backward()
        opt.step()
    t, n = timeit(step, 5, steps)
    res["simplecnn_train"] = {"batch": 64, "median_ms": round(t * 1e3, 3), "images_per_s": round(64 / t, 1),
                              "steps": n}
    with torch.no_grad():
        # GEMM 1024
        a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
        t, n = timeit(lambda: torch.matmul(a, b), 3, reps)
        res["gemm_1024"] = {"via": "torch.matmul (this build's BLAS, see 'blas')", "median_ms": round(t * 1e3, 3),
                            "gflops": round(2 * 1024 ** 3 / t / 1e9, 2), "reps": n}
        # the same 1024^3 GEMM routed through oneDNN as a 1x1 convolution (batch 16 x 64 rows = M 1024),
        # representative of an optimised SGEMM when the build's BLAS is the generic reference one
        xg = a.reshape(16, 64, 1024).permute(0, 2, 1).contiguous().unsqueeze(-1)
        wg = b.t().contiguous().reshape(1024, 1024, 1, 1)
        assert torch.allclose(torch.nn.functional.conv2d(xg, wg).squeeze(-1).permute(0, 2, 1).reshape(1024, 1024),
                              a @ b, atol=1e-2)
        t, n = timeit(lambda: torch.nn.functional.conv2d(xg, wg), 3, reps)
        res["gemm_1024_onednn"] = {"via": "conv2d 1x1 (oneDNN)", "median_ms": round(t * 1e3, 3),
                                   "gflops": round(2 * 1024 ** 3 / t / 1e9, 2), "reps": n}
        # conv3x3
        conv = nn.Conv2d(64, 64, 3, padding=1)
        xc = torch.randn(8, 64, 56, 56)
        t, n = timeit(lambda: conv(xc), 2, reps)
        flops = 2 * 8 * 64 * 56 * 56 * 64 * 9
        res["conv3x3"] = {"shape": "8x64x56x56->64 k3 p1", "median_ms": round(t * 1e3, 3),
                          "gflops": round(flops / t / 1e9, 2), "reps": n}
        # stem
        stem = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        xs = torch.randn(1, 3, 224, 224)
        t, n = timeit(lambda: stem(xs), 3, reps)
        flops = 2 * 1 * 64 * 112 * 112 * 3 * 49
        res["stem"] = {"shape": "1x3x224x224->64 k7 s2 p3", "median_ms": round(t * 1e3, 3),
                       "gflops": round(flops / t / 1e9, 2), "reps": n}
        # LSTM forward
        lstm = nn.LSTM(128, 256)
        xl = torch.randn(32, 16, 128)
        t, n = timeit(lambda: lstm(xl), 3, reps)
        res["lstm_fwd"] = {"shape": "seq32 batch16 128->256", "median_ms": round(t * 1e3, 3), "reps": n}
    if models:
        res.update(bench_models(reps))
    return res


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab, block, d=64, h=4, L=2):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(block, d)
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(L)])
        self.lnf, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok.weight
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(block))
        self.register_buffer("p", torch.arange(block))

    def forward(self, idx):
        x = self.tok(idx) + self.pos(self.p)
        for b in self.blocks:
            x = b(x, self.mask)
        return self.head(self.lnf(x))


class CharLSTM(nn.Module):
    def __init__(self, vocab, hidden, embed=32):
        super().__init__()
        self.embed, self.lstm, self.head = nn.Embedding(vocab, embed), nn.LSTM(embed, hidden, batch_first=True), nn.Linear(hidden, vocab)

    def forward(self, idx):
        return self.head(self.lstm(self.embed(idx))[0])


def bench_models(reps):
    import torchvision
    res = {}
    r = max(5, reps // 2)
    with torch.no_grad():
        for key, model, shape in (("resnet18_b1", torchvision.models.resnet18(), (1, 3, 224, 224)),
                                  ("resnet18_b8", torchvision.models.resnet18(), (8, 3, 224, 224)),
                                  ("mobilenetv2_b1", torchvision.models.mobilenet_v2(), (1, 3, 224, 224)),
                                  ("encoder_b8", nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0, batch_first=True),
                                   (8, 128, 512))):
            model.eval()
            x = torch.randn(*shape)
            t, n = timeit(lambda: model(x), 2, r)
            res[key] = {"median_ms": round(t * 1e3, 3), "reps": n}

    def train(key, model, opt, x, y, flat, clip, per_step):
        lossf = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            out = model(x)
            loss = lossf(out.reshape(-1, out.shape[-1]) if flat else out, y.reshape(-1) if flat else y)
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        t, n = timeit(step, 2, r)
        res[key] = {"median_ms": round(t * 1e3, 3), "per_s": round(per_step / t, 1), "steps": n}

    m = torchvision.models.resnet18().train()
    train("resnet18_train", m, torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9), torch.randn(16, 3, 112, 112),
          torch.randint(0, 1000, (16,)), False, False, 16)
    m = GPT(65, 64).train()
    train("gpt_train", m, torch.optim.AdamW(m.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1),
          torch.randint(0, 65, (16, 64)), torch.randint(0, 65, (16, 64)), True, True, 16 * 64)
    m = CharLSTM(65, 128).train()
    train("charlstm_train", m, torch.optim.Adam(m.parameters(), lr=3e-3),
          torch.randint(0, 65, (16, 32)), torch.randint(0, 65, (16, 32)), True, True, 16 * 32)
    return res


MEMORY_KEYS = ("resnet18_b8_mem", "resnet18_train_mem")


def rss_mb():
    """(RSS now, peak RSS so far) of this process in MB (2^20 bytes): /proc/self/status VmRSS / VmHWM."""
    now = peak = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    now = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return now, peak if peak is not None else maxrss, maxrss


def memory_one(key, threads, runs):
    """One peak-memory row in this (fresh) process: baseline, model, `runs` runs, peak."""
    import torchvision
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    base, _, _ = rss_mb()
    if key == "resnet18_b8_mem":
        model = torchvision.models.resnet18().eval()
        x = torch.randn(8, 3, 224, 224)

        def run():
            with torch.no_grad():
                model(x)
    elif key == "resnet18_train_mem":
        model = torchvision.models.resnet18().train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        lossf = nn.CrossEntropyLoss()
        x, y = torch.randn(16, 3, 112, 112), torch.randint(0, 1000, (16,))

        def run():
            opt.zero_grad()
            lossf(model(x), y).backward()
            opt.step()
    else:
        raise SystemExit("unknown --memory key %s" % key)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run()
        ts.append(time.perf_counter() - t0)
    _, peak, maxrss = rss_mb()
    return {"peak_rss_mb": round(peak, 1), "baseline_rss_mb": round(base, 1), "delta_rss_mb": round(peak - base, 1),
            "ru_maxrss_mb": round(maxrss, 1), "rss_source": "VmHWM", "runs": runs,
            "run_ms": round(statistics.median(ts[1:] or ts) * 1e3, 3)}


def memory_rows(threads, quick):
    """Each peak-memory row in a fresh child process of this script."""
    res = {}
    for key in MEMORY_KEYS:
        args = [sys.executable, os.path.abspath(__file__), "--memory", key, "--threads", str(threads)]
        if quick:
            args.append("--quick")
        r = subprocess.run(args, capture_output=True, text=True, timeout=1200)
        try:
            res[key] = json.loads(r.stdout)
        except ValueError:
            res[key] = {"error": "--memory %s failed (exit %s): %s" % (key, r.returncode, r.stderr.strip()[-200:])}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    ap.add_argument("--no-models", action="store_true", help="skip the whole-model rows")
    ap.add_argument("--memory", choices=MEMORY_KEYS, help="only this peak-memory row, in this process (internal)")
    a = ap.parse_args()
    if a.memory:
        t = int(a.threads.split(",")[0])
        print(json.dumps(memory_one(a.memory, t, 2 if a.quick else 4)))
        return
    steps = max(20, a.steps) if not a.quick else 5
    cfg = torch.__config__.show()
    blas = cfg.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in cfg else "unknown"
    out = {"engine": "pytorch", "torch": torch.__version__, "python": platform.python_version(),
           "machine": platform.machine(), "cpu_count": os.cpu_count(), "blas": blas,
           "mkldnn": torch.backends.mkldnn.is_available(), "loadavg_before": os.getloadavg(), "results": {}}
    for t in [int(s) for s in a.threads.split(",") if s]:
        out["results"]["threads_%d" % t] = bench(t, steps, a.quick, not a.no_models)
        if not a.no_models:
            out["results"]["threads_%d" % t].update(memory_rows(t, a.quick))
    out["loadavg_after"] = os.getloadavg()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
