#!/usr/bin/python3
"""Export the benchmark models to bench/models/*.onnx (fixed shapes, opset 13).

usage: /usr/bin/python3 scripts/export_onnx.py [OUTDIR]
       /usr/bin/python3 scripts/export_onnx.py --model NAME [OUTDIR]   (one whole-model export, below)

Whole models (large, so written on first use by bench/lib/engine-ort.mjs into bench/models/cache, not
committed): torchvision 0.14 architectures with random weights (seed 0), eval mode; input "x", output "y":
  resnet18_b1 / resnet18_b8  x[1|8,3,224,224] -> torchvision.models.resnet18()
  mobilenetv2_b1             x[1,3,224,224]   -> torchvision.models.mobilenet_v2()
  encoder_b8                 x[8,128,512]     -> nn.TransformerEncoderLayer(512, 8, 2048, dropout 0, batch_first)

Works without the `onnx` Python package (torch.onnx.export serialises by itself).
Models (inputs are named "x" or "a","b"; outputs "y" or "y","hn","cn"):
  gemm_{128,256,512,1024}.onnx  MatMul of two inputs a[N,N] @ b[N,N]
  conv3x3.onnx    x[8,64,56,56] -> Conv(64->64, 3x3, pad 1, bias)          (weights inside)
  stem.onnx       x[1,3,224,224] -> Conv(3->64, 7x7, stride 2, pad 3, bias)
  simplecnn.onnx  x[64,1,28,28] -> Conv(1,16,3,p1) ReLU MaxPool2 Conv(16,32,3,p1) ReLU MaxPool2
                  Flatten Linear(1568,128) ReLU Linear(128,10)
  lstm.onnx       x[32,16,128] -> LSTM(128->256, 1 layer), outputs y[32,16,256], hn, cn
  relu.onnx       x[16,1024,1024] (16M floats) -> Relu
  maxpool.onnx    x[8,64,112,112] -> MaxPool 2x2 stride 2
  batchnorm.onnx  x[8,64,56,56] -> BatchNormalization (eval, running stats inside)
"""
import os
import sys
import warnings

import torch
import torch.nn as nn

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 13


class MatMul(nn.Module):
    def forward(self, a, b):
        return torch.matmul(a, b)


def simplecnn_mnist():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def export(outdir, name, model, inputs, in_names, out_names, preserve=False):
    # preserve: keep train mode (TransformerEncoderLayer with dropout 0: eval mode takes torch's fused
    # fast path, aten::_transformer_encoder_layer_fwd, which torch 1.13 cannot export; train == eval here)
    if not preserve:
        model.eval()
    path = os.path.join(outdir, name + ".onnx")
    mode = torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL
    with torch.no_grad():
        torch.onnx.export(model, tuple(inputs), path, input_names=in_names, output_names=out_names,
                          opset_version=OPSET, do_constant_folding=True, export_params=True, training=mode)
    print("%-16s %10d bytes  inputs %s" % (name + ".onnx", os.path.getsize(path),
                                            [list(t.shape) for t in inputs]))


def whole_model(name):
    import torchvision
    torch.manual_seed(0)
    if name.startswith("resnet18_b"):
        return torchvision.models.resnet18(), [torch.randn(int(name[len("resnet18_b"):]), 3, 224, 224)]
    if name == "mobilenetv2_b1":
        return torchvision.models.mobilenet_v2(), [torch.randn(1, 3, 224, 224)]
    if name == "encoder_b8":
        return (nn.TransformerEncoderLayer(512, 8, dim_feedforward=2048, dropout=0.0, batch_first=True),
                [torch.randn(8, 128, 512)])
    raise SystemExit("unknown model %r" % name)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--model":
        name = sys.argv[2]
        outdir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "bench", "models", "cache")
        os.makedirs(outdir, exist_ok=True)
        model, inputs = whole_model(name)
        export(outdir, name, model, inputs, ["x"], ["y"], preserve=(name == "encoder_b8"))
        return
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bench", "models")
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    for n in (128, 256, 512, 1024):
        export(outdir, "gemm_%d" % n, MatMul(), [torch.randn(n, n), torch.randn(n, n)], ["a", "b"], ["y"])
    export(outdir, "conv3x3", nn.Conv2d(64, 64, 3, padding=1), [torch.randn(8, 64, 56, 56)], ["x"], ["y"])
    export(outdir, "stem", nn.Conv2d(3, 64, 7, stride=2, padding=3), [torch.randn(1, 3, 224, 224)], ["x"], ["y"])
    export(outdir, "simplecnn", simplecnn_mnist(), [torch.randn(64, 1, 28, 28)], ["x"], ["y"])
    export(outdir, "lstm", nn.LSTM(128, 256), [torch.randn(32, 16, 128)], ["x"], ["y", "hn", "cn"])
    export(outdir, "relu", nn.ReLU(), [torch.randn(16, 1024, 1024)], ["x"], ["y"])
    export(outdir, "maxpool", nn.MaxPool2d(2), [torch.randn(8, 64, 112, 112)], ["x"], ["y"])
    bn = nn.BatchNorm2d(64)
    with torch.no_grad():
        bn.weight.copy_(1 + 0.1 * torch.randn(64))
        bn.bias.copy_(0.1 * torch.randn(64))
        bn.running_mean.copy_(0.1 * torch.randn(64))
        bn.running_var.copy_(torch.rand(64) + 0.5)
    export(outdir, "batchnorm", bn, [torch.randn(8, 64, 56, 56)], ["x"], ["y"])


if __name__ == "__main__":
    main()
