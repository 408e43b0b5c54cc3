"""Exports the torch benchmark models the way users export them: torch.onnx.export on an eval-mode
module with dynamic axes.

    /usr/bin/python3 testdata/torch/export.py OUTDIR [resnet18] [encoder] [matmul] [textcls]

writes OUTDIR/resnet18.onnx, OUTDIR/encoder.onnx, OUTDIR/matmul.onnx and OUTDIR/textcls.onnx (by
default all four):

  resnet18.onnx  torchvision resnet18, random init (weights=None), eval, opset 13,
                 input "input" [N,3,224,224] (N dynamic), output "output" [N,1000]
  encoder.onnx   nn.TransformerEncoder of 4 nn.TransformerEncoderLayer(d_model=384, nhead=6,
                 dim_feedforward=1536, activation="gelu", batch_first=True), random init, eval,
                 opset 17, input "x" [N,S,384] (N and S dynamic), output "y" [N,S,384]
  matmul.onnx    torch.matmul(a, b), opset 13, inputs "a" [M,K] and "b" [K,N] (dynamic), output
                 "c" [M,N]: the SGEMM benchmark (1024x1024 by 1024x1024), no weights
  textcls.onnx   a bag-of-embeddings text classifier: nn.Embedding(4000, 128) (a Gather from a
                 constant table), Linear(128, 128) + ReLU per token, mean over the tokens,
                 Linear(128, 4); opset 13, input "ids" int64 [N,S] (dynamic), output "logits"
                 [N,4]: the quantizer's Gather case

Weights come from torch.manual_seed(0), so a given torch version writes the same models every
time. Needs torch, torchvision and onnx (Debian: python3-torch python3-torchvision python3-onnx;
scripts/export-torch-models.sh installs them). torch 2.x's default exporter (dynamo) needs
onnxscript; the legacy TorchScript exporter (dynamo=False, the only one before 2.5) is used.
"""
import inspect
import os
import sys

import torch
import torch.nn as nn


def export(model, args, path, opset, input_names, output_names, dynamic_axes):
    kw = dict(
        opset_version=opset,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    tmp = path + ".tmp"
    # Not under torch.no_grad(): there nn.TransformerEncoderLayer's inference fast path
    # (aten::_transformer_encoder_layer_fwd, which has no ONNX export) would be traced.
    torch.onnx.export(model, args, tmp, **kw)
    import onnx

    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)
    print(f"export.py: wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB, torch {torch.__version__}, opset {opset})")


def resnet18(out):
    import torchvision

    torch.manual_seed(0)
    try:
        m = torchvision.models.resnet18(weights=None)
    except TypeError:  # torchvision < 0.13
        m = torchvision.models.resnet18(pretrained=False)
    m.eval()
    x = torch.rand(1, 3, 224, 224)
    export(m, (x,), os.path.join(out, "resnet18.onnx"), 13, ["input"], ["output"],
           {"input": {0: "batch"}, "output": {0: "batch"}})


def encoder(out):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=384, nhead=6, dim_feedforward=1536,
                                       activation="gelu", batch_first=True)
    kw = {}
    if "enable_nested_tensor" in inspect.signature(nn.TransformerEncoder).parameters:
        kw["enable_nested_tensor"] = False
    m = nn.TransformerEncoder(layer, num_layers=4, **kw)
    m.eval()
    x = torch.rand(1, 64, 384)
    export(m, (x,), os.path.join(out, "encoder.onnx"), 17, ["x"], ["y"],
           {"x": {0: "batch", 1: "seq"}, "y": {0: "batch", 1: "seq"}})


class MatMul(nn.Module):
    def forward(self, a, b):
        return torch.matmul(a, b)


def matmul(out):
    a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    export(MatMul().eval(), (a, b), os.path.join(out, "matmul.onnx"), 13, ["a", "b"], ["c"],
           {"a": {0: "m", 1: "k"}, "b": {0: "k", 1: "n"}, "c": {0: "m", 1: "n"}})


class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(4000, 128)
        self.hidden = nn.Linear(128, 128)
        self.out = nn.Linear(128, 4)

    def forward(self, ids):
        h = torch.relu(self.hidden(self.embed(ids)))
        return self.out(h.mean(dim=1))


def textcls(out):
    torch.manual_seed(0)
    ids = torch.randint(0, 4000, (1, 32))
    export(TextClassifier().eval(), (ids,), os.path.join(out, "textcls.onnx"), 13, ["ids"], ["logits"],
           {"ids": {0: "batch", 1: "seq"}, "logits": {0: "batch"}})


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(32, 64, num_layers=2, bidirectional=True)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.out(y)


def lstm(out):
    torch.manual_seed(0)
    x = torch.randn(20, 1, 32)
    export(Tagger().eval(), (x,), os.path.join(out, "lstm.onnx"), 13, ["x"], ["tags"],
           {"x": {0: "seq", 1: "batch"}, "tags": {0: "seq", 1: "batch"}})


MODELS = {"resnet18": resnet18, "encoder": encoder, "matmul": matmul, "textcls": textcls, "lstm": lstm}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: export.py OUTDIR [" + "] [".join(MODELS) + "]")
    out = sys.argv[1]
    which = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for name in which:
        if name not in MODELS:
            sys.exit(f"export.py: no model {name!r}; the models are {', '.join(MODELS)}")
        MODELS[name](out)


if __name__ == "__main__":
    main()
