#!/usr/bin/env python3
# Golden fixtures from PyTorch 1.13 for torch.optim, torch.optim.lr_scheduler, torch.utils.data's
# default_collate, container print texts and nn.init.calculate_gain, written to test/fixtures/optim/.
#
#   /usr/bin/python3 scripts/gen_optim_fixtures.py
#
# optimizers.json: per case, two parameters (3x4 and 4) with seeded values, seeded gradients for
#   8 steps (parameter 1 has no gradient at step 2), the parameters after each step, and PyTorch's
#   optimizer.state_dict() after step 3 (tensors as {shape, data}) to resume from.
# schedulers.json: per case, the learning rates (and momentum / beta1) after construction and after
#   each of 40 steps, and the scheduler's state_dict at the end.

import json, math, os, sys
import torch
from torch import nn
from torch.optim import lr_scheduler as L

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "optim")
os.makedirs(OUT, exist_ok=True)


def tj(t):
    t = t.detach()
    dt = "int64" if t.dtype == torch.int64 else "bool" if t.dtype == torch.bool else "float64" if t.dtype == torch.float64 else "float32"
    return {"__tensor__": True, "shape": list(t.shape), "dtype": dt, "data": [float(x) if dt.startswith("float") else int(x) for x in t.reshape(-1).tolist()]}


def enc(v):
    if isinstance(v, torch.Tensor):
        return tj(v)
    if isinstance(v, dict):
        return {str(k): enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if callable(v):
        return None
    return v


def write(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump({"torch": torch.__version__, **obj}, f, separators=(",", ":"))
    print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")


# ------------------------------------------------------------------ optimisers

OPT = {n: getattr(torch.optim, n) for n in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam"]}
STEPS, RESUME_AT, NOGRAD = 8, 3, (2, 1)

OPT_CASES = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "maximize": True}), ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", {}), ("Adam", {"lr": 0.01, "amsgrad": True}), ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True, "amsgrad": True}), ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("AdamW", {"lr": 0.01}), ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}),
    ("RMSprop", {}), ("RMSprop", {"lr": 0.01, "momentum": 0.9}), ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True}), ("RMSprop", {"alpha": 0.9}),
    ("Adagrad", {}), ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"maximize": True, "eps": 1e-6}),
    ("Adamax", {}), ("Adamax", {"lr": 0.01, "weight_decay": 0.1}), ("Adamax", {"maximize": True, "betas": (0.5, 0.9)}),
    ("NAdam", {}), ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("RAdam", {}), ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.9, 0.9)}),
]
GROUP_CASES = [
    ("SGD", [{"params": [0], "lr": 0.1, "momentum": 0.9}, {"params": [1], "weight_decay": 0}], {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", [{"params": [0]}, {"params": [1], "lr": 0.1, "betas": (0.5, 0.6)}], {"lr": 0.01}),
    ("AdamW", [{"params": [1], "weight_decay": 0.0}, {"params": [0]}], {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", [{"params": [0], "centered": True}, {"params": [1], "momentum": 0.9}], {"lr": 0.01}),
    ("Adagrad", [{"params": [0], "lr_decay": 0.1}, {"params": [1], "initial_accumulator_value": 0.1}], {"lr": 0.1}),
    ("NAdam", [{"params": [0], "momentum_decay": 0.1}, {"params": [1]}], {"lr": 0.01}),
    ("RAdam", [{"params": [0], "betas": (0.9, 0.8)}, {"params": [1]}], {"lr": 0.01}),
]


def run_opt(idx, name, groups, kwargs):
    g = torch.Generator().manual_seed(1000 + idx)
    p0 = [torch.randn(3, 4, generator=g), torch.randn(4, generator=g)]
    grads = [[torch.randn(3, 4, generator=g), torch.randn(4, generator=g)] for _ in range(STEPS)]
    params = [nn.Parameter(t.clone()) for t in p0]
    spec = [dict(gr, params=[params[i] for i in gr["params"]]) for gr in groups] if groups else params
    opt = OPT[name](spec, **kwargs)
    after, resume = [], None
    for s in range(STEPS):
        for i, p in enumerate(params):
            p.grad = None if (s, i) == NOGRAD else grads[s][i].clone()
        opt.step()
        after.append([tj(p) for p in params])
        if s + 1 == RESUME_AT:
            resume = enc(opt.state_dict())
    return {
        "name": f"{name} {json.dumps(groups) if groups else ''} {json.dumps(kwargs)}".replace("  ", " "),
        "optimizer": name, "groups": groups, "kwargs": kwargs,
        "params0": [tj(t) for t in p0], "grads": [[tj(t) for t in gs] for gs in grads], "noGrad": list(NOGRAD),
        "after": after, "resumeAt": RESUME_AT, "stateDict": resume,
    }


opt_cases = [run_opt(i, n, None, kw) for i, (n, kw) in enumerate(OPT_CASES)]
opt_cases += [run_opt(100 + i, n, gs, kw) for i, (n, gs, kw) in enumerate(GROUP_CASES)]
write("optimizers.json", {"cases": opt_cases})

# ------------------------------------------------------------------ schedulers

LAMBDAS = {"pow": lambda e: 0.95 ** e, "warmup": lambda e: min(1.0, (e + 1) / 5), "const95": lambda e: 0.95, "half_every_3": lambda e: 0.5 if e % 3 == 0 else 1.0}


def make_sched(opt, d):
    cls = getattr(L, d["scheduler"])
    args = [LAMBDAS[a["lambda"]] if isinstance(a, dict) and "lambda" in a else a for a in d.get("args", [])]
    if d["scheduler"] in ("SequentialLR",):
        subs = [make_sched(opt, s) for s in d["sub"]]
        return cls(opt, subs, **d.get("kwargs", {}))
    if d["scheduler"] == "ChainedScheduler":
        return cls([make_sched(opt, s) for s in d["sub"]])
    return cls(opt, *args, **d.get("kwargs", {}))


SCHED = [
    {"scheduler": "StepLR", "args": [3]}, {"scheduler": "StepLR", "args": [7], "kwargs": {"gamma": 0.5}},
    {"scheduler": "MultiStepLR", "args": [[5, 12, 12, 30]]}, {"scheduler": "MultiStepLR", "args": [[3, 8]], "kwargs": {"gamma": 0.3}},
    {"scheduler": "ExponentialLR", "args": [0.9]}, {"scheduler": "ExponentialLR", "args": [1.05]},
    {"scheduler": "CosineAnnealingLR", "args": [10]}, {"scheduler": "CosineAnnealingLR", "args": [7], "kwargs": {"eta_min": 0.01}},
    {"scheduler": "CosineAnnealingLR", "args": [40], "kwargs": {"eta_min": 0.001}},
    {"scheduler": "CosineAnnealingLR", "args": [10], "epochs": [0, 3, 7, 15, 2, 20, 25]},
    {"scheduler": "CosineAnnealingWarmRestarts", "args": [5]}, {"scheduler": "CosineAnnealingWarmRestarts", "args": [3], "kwargs": {"T_mult": 2, "eta_min": 0.005}},
    {"scheduler": "CosineAnnealingWarmRestarts", "args": [4, 2], "epochs": [0, 2, 5, 13, 30, 1]},
    {"scheduler": "LambdaLR", "args": [{"lambda": "pow"}]}, {"scheduler": "LambdaLR", "args": [{"lambda": "warmup"}]},
    {"scheduler": "MultiplicativeLR", "args": [{"lambda": "const95"}]}, {"scheduler": "MultiplicativeLR", "args": [{"lambda": "half_every_3"}]},
    {"scheduler": "LinearLR", "args": []}, {"scheduler": "LinearLR", "args": [], "kwargs": {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 20}},
    {"scheduler": "ConstantLR", "args": []}, {"scheduler": "ConstantLR", "args": [], "kwargs": {"factor": 0.5, "total_iters": 8}},
    {"scheduler": "PolynomialLR", "args": [], "kwargs": {"total_iters": 30, "power": 2.0}}, {"scheduler": "PolynomialLR", "args": []},
    {"scheduler": "StepLR", "args": [4], "epochs": [0, 1, 5, 9, 3, 12]},
    {"scheduler": "MultiStepLR", "args": [[3, 6, 6]], "epochs": [0, 4, 7, 2, 10]},
    {"scheduler": "ExponentialLR", "args": [0.8], "epochs": [0, 2, 5, 1]},
    {"scheduler": "LinearLR", "args": [], "kwargs": {"start_factor": 0.25, "total_iters": 6}, "epochs": [0, 2, 5, 9, 1]},
    {"scheduler": "ConstantLR", "args": [], "kwargs": {"factor": 0.5, "total_iters": 3}, "epochs": [0, 2, 5, 1]},
    {"scheduler": "OneCycleLR", "args": [0.5], "kwargs": {"total_steps": 40}},
    {"scheduler": "OneCycleLR", "args": [[0.5, 0.2]], "kwargs": {"total_steps": 45, "anneal_strategy": "linear", "three_phase": True, "pct_start": 0.25}},
    {"scheduler": "OneCycleLR", "args": [0.3], "kwargs": {"epochs": 5, "steps_per_epoch": 9, "div_factor": 10.0, "final_div_factor": 100.0}, "optimizer": "Adam"},
    {"scheduler": "OneCycleLR", "args": [0.3], "kwargs": {"total_steps": 41, "cycle_momentum": False}},
    {"scheduler": "CyclicLR", "args": [0.01, 0.1], "kwargs": {"step_size_up": 5}},
    {"scheduler": "CyclicLR", "args": [[0.01, 0.02], 0.1], "kwargs": {"step_size_up": 4, "step_size_down": 6, "mode": "triangular2"}},
    {"scheduler": "CyclicLR", "args": [0.01, 0.1], "kwargs": {"step_size_up": 3, "mode": "exp_range", "gamma": 0.95, "cycle_momentum": False}},
    {"scheduler": "SequentialLR", "sub": [{"scheduler": "LinearLR", "kwargs": {"start_factor": 0.1, "total_iters": 5}}, {"scheduler": "CosineAnnealingLR", "args": [30]}], "kwargs": {"milestones": [5]}},
    {"scheduler": "SequentialLR", "sub": [{"scheduler": "ConstantLR", "kwargs": {"factor": 0.1, "total_iters": 2}}, {"scheduler": "ExponentialLR", "args": [0.9]}, {"scheduler": "StepLR", "args": [3]}], "kwargs": {"milestones": [4, 10]}},
    {"scheduler": "ChainedScheduler", "sub": [{"scheduler": "ConstantLR", "kwargs": {"factor": 0.5, "total_iters": 4}}, {"scheduler": "ExponentialLR", "args": [0.9]}]},
    {"scheduler": "ChainedScheduler", "sub": [{"scheduler": "LinearLR", "kwargs": {"start_factor": 0.2, "total_iters": 6}}, {"scheduler": "CosineAnnealingLR", "args": [12]}]},
    # resuming with last_epoch (groups carry initial_lr): the first step's special cases
    {"scheduler": "CosineAnnealingLR", "args": [10], "kwargs": {"last_epoch": 4}, "initialLr": True},
    {"scheduler": "CosineAnnealingLR", "args": [6], "kwargs": {"last_epoch": 13, "eta_min": 0.01}, "initialLr": True},
    {"scheduler": "StepLR", "args": [3], "kwargs": {"last_epoch": 5}, "initialLr": True},
    {"scheduler": "ExponentialLR", "args": [0.9], "kwargs": {"last_epoch": 2}, "initialLr": True},
    {"scheduler": "CosineAnnealingWarmRestarts", "args": [4], "kwargs": {"last_epoch": 6, "T_mult": 2}, "initialLr": True},
    {"scheduler": "LinearLR", "args": [], "kwargs": {"last_epoch": 2}, "initialLr": True},
]
METRICS = [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.79, 0.795, 0.8, 0.81, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.71, 0.5, 0.5, 0.51, 0.52,
           0.53, 0.5, 0.49, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.4, 0.4, 0.4, 0.4, 0.41, 0.39, 0.39, 0.39, 0.39, 0.39, 0.39]
PLATEAU = [
    {"patience": 2}, {"mode": "max", "threshold_mode": "abs", "threshold": 0.1, "cooldown": 2, "min_lr": 0.02, "patience": 1},
    {"factor": 0.5, "patience": 0, "min_lr": [0.01, 0.03], "threshold": 0.05}, {"mode": "min", "threshold_mode": "abs", "threshold": 0.0, "patience": 3, "eps": 0.02},
]


def make_opt(kind):
    ps = [nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))]
    if kind == "Adam":
        return torch.optim.Adam([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}], lr=0.1)
    return torch.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}], lr=0.1, momentum=0.9)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


sched_cases = []
for d in SCHED:
    opt = make_opt(d.get("optimizer", "SGD"))
    if d.get("initialLr"):
        for gr in opt.param_groups:
            gr["initial_lr"] = gr["lr"] * 2
    s = make_sched(opt, d)
    lrs, moms = [s.get_last_lr()], [momenta(opt)]
    for k in (d["epochs"] if "epochs" in d else range(40)):
        opt.step()
        if "epochs" in d:
            s.step(k)
        else:
            s.step()
        lrs.append(s.get_last_lr())
        moms.append(momenta(opt))
    sched_cases.append({**d, "name": f"{d['scheduler']} {json.dumps(d.get('args', []))} {json.dumps(d.get('kwargs', {}))}" + (f" epochs {d['epochs']}" if "epochs" in d else ""),
                        "lrs": lrs, "momenta": moms, "stateDict": enc(s.state_dict()),
                        "groups": [{k: enc(v) for k, v in g.items() if k != "params"} for g in opt.param_groups]})
for kw in PLATEAU:
    opt = make_opt("SGD")
    s = L.ReduceLROnPlateau(opt, **kw)
    lrs = [[g["lr"] for g in opt.param_groups]]
    for m in METRICS:
        s.step(m)
        lrs.append(s._last_lr)
    sched_cases.append({"scheduler": "ReduceLROnPlateau", "kwargs": kw, "metrics": METRICS, "name": f"ReduceLROnPlateau {json.dumps(kw)}",
                        "lrs": lrs, "stateDict": enc(s.state_dict())})
write("schedulers.json", {"cases": sched_cases})

# ------------------------------------------------------------------ default_collate

from torch.utils.data import default_collate

COLLATE = {
    "tensors": [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), torch.tensor([5.0, 6.0])],
    "ints": [1, 2, 3],
    "floats": [0.5, 1.5, 2.25],
    "tuples": [(torch.tensor([1.0, 2.0]), 0), (torch.tensor([3.0, 4.0]), 1)],
    "dicts": [{"x": torch.tensor([[1.0]]), "y": 3, "name": "a"}, {"x": torch.tensor([[2.0]]), "y": 4, "name": "b"}],
    "nested": [[1, [2.5, torch.tensor(3.0)]], [4, [5.5, torch.tensor(6.0)]]],
    "int_tensors": [torch.tensor([1, 2]), torch.tensor([3, 4])],
    "bools": [True, False, True],
    "strings": ["a", "bc"],
    "dict_of_lists": [{"a": [1, 2], "b": {"c": 0.5}}, {"a": [3, 4], "b": {"c": 1.5}}],
}


def enc_in(v):
    if isinstance(v, tuple):
        return {"__tuple__": [enc_in(x) for x in v]}
    if isinstance(v, list):
        return [enc_in(x) for x in v]
    if isinstance(v, dict):
        return {k: enc_in(x) for k, x in v.items()}
    return enc(v)


write("collate.json", {"cases": [{"name": k, "batch": enc_in(v), "out": enc(default_collate(v))} for k, v in COLLATE.items()]})

# ------------------------------------------------------------------ print texts and calculate_gain

torch.manual_seed(0)
prints = {
    "ModuleList": str(nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.ModuleList([nn.Tanh()])])),
    "ModuleDict": str(nn.ModuleDict({"fc": nn.Linear(2, 3), "act": nn.ReLU()})),
    "ParameterList": str(nn.ParameterList([nn.Parameter(torch.zeros(3, 4)), nn.Parameter(torch.zeros(4))])),
    "ParameterDict": str(nn.ParameterDict({"w": nn.Parameter(torch.zeros(2, 3)), "b": nn.Parameter(torch.zeros(3))})),
    "SequentialNested": str(nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))),
    "Empty": str(nn.ModuleList()),
    "Unflatten": str(nn.Unflatten(1, (2, 5))),
    "Identity": str(nn.Identity(3, foo=1)),
}
gains = {}
for nl, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
              ("leaky_relu", 0.2), ("selu", None), ("conv_transpose2d", None)]:
    gains[nl + ("" if p is None else f":{p}")] = nn.init.calculate_gain(nl, p)
write("misc.json", {"prints": prints, "gains": gains})

# ------------------------------------------------------------------ a real training checkpoint (torch.save)
# A Linear(4, 3) trained 3 steps with AdamW (amsgrad, two param groups) and a CosineAnnealingLR;
# torch.save({model, optimizer, scheduler, epoch}) in the zip format; then 4 more steps with
# recorded gradients: the parameters and learning rates after each are what resuming must give.

torch.manual_seed(5)
lin = nn.Linear(4, 3)
opt = torch.optim.AdamW([{"params": [lin.weight]}, {"params": [lin.bias], "weight_decay": 0.0, "lr": 0.05}], lr=0.02, amsgrad=True)
sched = L.CosineAnnealingLR(opt, T_max=5, eta_min=0.001)
g = torch.Generator().manual_seed(6)
grads = [[torch.randn(3, 4, generator=g), torch.randn(3, generator=g)] for _ in range(7)]
for s in range(3):
    lin.weight.grad, lin.bias.grad = grads[s][0].clone(), grads[s][1].clone()
    opt.step()
    sched.step()
torch.save({"model": lin.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "epoch": 3},
           os.path.join(OUT, "adamw_checkpoint.pt"))
after, lrs = [], []
for s in range(3, 7):
    lin.weight.grad, lin.bias.grad = grads[s][0].clone(), grads[s][1].clone()
    opt.step()
    sched.step()
    after.append([tj(lin.weight), tj(lin.bias)])
    lrs.append(sched.get_last_lr())
write("checkpoint.json", {"grads": [[tj(a), tj(b)] for a, b in grads], "after": after, "lrs": lrs})

# ------------------------------------------------------------------ clip_grad_norm_ and an end-to-end training run

g = torch.Generator().manual_seed(7)
clip_cases = []
for norm_type, max_norm in [(2.0, 0.5), (1.0, 2.0), (float("inf"), 0.3), (3.0, 0.7), (2.0, 100.0)]:
    ps = [nn.Parameter(torch.zeros(3, 4)), nn.Parameter(torch.zeros(4)), nn.Parameter(torch.zeros(2, 2, 2))]
    grads = [torch.randn(p.shape, generator=g) for p in ps]
    for p, gr in zip(ps, grads):
        p.grad = gr.clone()
    total = nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    clip_cases.append({"normType": "inf" if math.isinf(norm_type) else norm_type, "maxNorm": max_norm, "grads": [tj(x) for x in grads],
                       "total": float(total), "clipped": [tj(p.grad) for p in ps]})

# Linear(5, 8) - Tanh - Linear(8, 3), cross entropy; AdamW with a no-decay group for biases,
# LambdaLR warm-up then decay, clip_grad_norm_(1.0), 12 steps
torch.manual_seed(8)
model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
state0 = {k: tj(v) for k, v in model.state_dict().items()}
x = torch.randn(16, 5)
y = torch.randint(0, 3, (16,))
decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=0.05)
sched = L.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 4) * (0.9 ** max(0, s - 3)))
losses, norms, lrs = [], [], []
for step in range(12):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
    opt.step()
    sched.step()
    losses.append(float(loss))
    lrs.append(sched.get_last_lr())
write("training.json", {"clip": clip_cases, "train": {"state0": state0, "x": tj(x), "y": tj(y), "losses": losses, "norms": norms, "lrs": lrs,
                                                       "final": {k: tj(v) for k, v in model.state_dict().items()}}})
