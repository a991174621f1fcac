#!/usr/bin/python3
"""torchvision 0.14 references for torch.vision.models, generated at test time into a cache
(never committed: the weights are large).

Run:  /usr/bin/python3 scripts/gen_vision_fixtures.py OUT_DIR [model ...]
Writes per case OUT_DIR/<case>.safetensors (the model's state dict under "model.", the input "x"
and torchvision's eval-mode output "y") and OUT_DIR/<case>.json (model name, kwargs, input shape,
state-dict keys in order, print(model) text). BatchNorm running statistics are randomised so that
eval-mode normalisation is not the identity. OUT_DIR/done.json lists the cases (and this script's sha256) when all are written.
"""
import hashlib
import json
import os
import sys

import torch
import torchvision.models as M

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import st_bytes  # noqa: E402

# case name -> (torchvision builder, torchlet builder name, torchlet kwargs (camelCase), torchvision kwargs, input shape)
CASES = {
    "resnet18": ("resnet18", "resnet18", {}, {}, [1, 3, 64, 64]),
    "resnet18_odd": ("resnet18", "resnet18", {"numClasses": 10}, {"num_classes": 10}, [2, 3, 80, 56]),
    "resnet34": ("resnet34", "resnet34", {"numClasses": 100}, {"num_classes": 100}, [1, 3, 64, 64]),
    "resnet50": ("resnet50", "resnet50", {}, {}, [1, 3, 64, 64]),
    "resnext50_32x4d": ("resnext50_32x4d", "resnext50_32x4d", {"numClasses": 10}, {"num_classes": 10}, [1, 3, 64, 64]),
    "mobilenet_v2": ("mobilenet_v2", "mobilenetV2", {}, {}, [1, 3, 64, 64]),
    "mobilenet_v2_w05": ("mobilenet_v2", "mobilenetV2", {"widthMult": 0.5, "numClasses": 7}, {"width_mult": 0.5, "num_classes": 7}, [1, 3, 72, 40]),
    "mobilenet_v3_small": ("mobilenet_v3_small", "mobilenetV3Small", {}, {}, [1, 3, 64, 64]),
    "mobilenet_v3_large": ("mobilenet_v3_large", "mobilenetV3Large", {}, {}, [1, 3, 64, 64]),
    "squeezenet1_1": ("squeezenet1_1", "squeezenet1_1", {}, {}, [1, 3, 64, 64]),
    "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", "shufflenetV2X1_0", {}, {}, [1, 3, 64, 64]),
    "efficientnet_b0": ("efficientnet_b0", "efficientnetB0", {}, {}, [1, 3, 64, 64]),
    "densenet121": ("densenet121", "densenet121", {}, {}, [1, 3, 64, 64]),
    # init_weights=False: the same module tree, without 120M normal draws (the weights are loaded anyway)
    "vgg11": ("vgg11", "vgg11", {"initWeights": False}, {"init_weights": False}, [1, 3, 32, 32]),
    # train mode: batch statistics, running-stat updates and every parameter's gradient (models whose
    # dropout can be switched off through torchvision's builder keywords; EfficientNet-B0's cannot)
    "resnet18_train": ("resnet18", "resnet18", {"numClasses": 10}, {"num_classes": 10}, [2, 3, 48, 40]),
    "shufflenet_v2_x1_0_train": ("shufflenet_v2_x1_0", "shufflenetV2X1_0", {"numClasses": 5}, {"num_classes": 5}, [2, 3, 64, 64]),
    "mobilenet_v3_small_train": ("mobilenet_v3_small", "mobilenetV3Small", {"dropout": 0.0}, {"dropout": 0.0}, [2, 3, 64, 64]),
    "mobilenet_v2_train": ("mobilenet_v2", "mobilenetV2", {"dropout": 0.0, "widthMult": 0.75}, {"dropout": 0.0, "width_mult": 0.75}, [2, 3, 56, 56]),
    # 224x224 (native only in the test)
    "resnet18_224": ("resnet18", "resnet18", {}, {}, [1, 3, 224, 224]),
    "mobilenet_v3_large_224": ("mobilenet_v3_large", "mobilenetV3Large", {}, {}, [1, 3, 224, 224]),
    "efficientnet_b0_224": ("efficientnet_b0", "efficientnetB0", {}, {}, [1, 3, 224, 224]),
}


def make(name, seed):
    tv, js, jkw, kw, shape = CASES[name]
    torch.manual_seed(seed)
    m = getattr(M, tv)(**kw)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0, 0.1)
                mod.num_batches_tracked.fill_(7)
    train = name.endswith("_train")
    m.train(train)
    x = torch.randn(*shape)
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    tensors = {"model." + k: v for k, v in sd.items()}
    if train:
        y = m(x)
        g = torch.randn_like(y)
        (y * g).sum().backward()
        tensors["g"] = g
        for k, p in m.named_parameters():
            tensors["grad." + k] = p.grad
        for k, b in m.named_buffers():
            tensors["after." + k] = b
        y = y.detach()
    else:
        with torch.no_grad():
            y = m(x)
    tensors["x"], tensors["y"] = x, y
    meta = {"case": name, "torchvision": tv, "builder": js, "kwargs": jkw, "input": shape, "keys": list(sd.keys()),
            "shapes": {k: list(v.shape) for k, v in sd.items()}, "print": str(m), "output": list(y.shape), "train": train}
    return tensors, meta


def script_hash():
    """sha256 of this script: the test regenerates the cache when the script changed."""
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    for i, name in enumerate(names):
        tensors, meta = make(name, 1000 + i)
        with open(os.path.join(out, name + ".safetensors.tmp"), "wb") as f:
            f.write(st_bytes(tensors))
        os.replace(os.path.join(out, name + ".safetensors.tmp"), os.path.join(out, name + ".safetensors"))
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(meta, f)
        print(name, flush=True)
    if not sys.argv[2:]:
        with open(os.path.join(out, "done.json"), "w") as f:
            json.dump({"torch": torch.__version__, "cases": names, "script": script_hash()}, f)


if __name__ == "__main__":
    main()
