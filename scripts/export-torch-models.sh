#!/usr/bin/env bash
# Exports the torch benchmark models into testdata/models/ (gitignored: resnet18 is ~47 MB) the way
# users make ONNX files, with torch.onnx.export (testdata/torch/export.py, fixed seed):
#
#   resnet18.onnx  torchvision resnet18, random init, opset 13, input [N,3,224,224]
#   encoder.onnx   4-layer GELU nn.TransformerEncoder, d_model 384, opset 17, input [N,S,384]
#   matmul.onnx    one MatMul, for the SGEMM 1024^3 benchmark
#   textcls.onnx   an embedding (Gather) text classifier, input int64 ids [N,S]
#   lstm.onnx      a 2-layer bidirectional nn.LSTM (32 -> 64) tagger with a Linear head, input [S,N,32]
#
#   scripts/export-torch-models.sh         export what is missing
#   ONNXC_TORCH_PYTHON=python3 scripts/...  use another Python that has torch, torchvision, onnx
#
# Debian's python3-torch, python3-torchvision and python3-onnx (installed here with apt-get when
# /usr/bin/python3 lacks them, about 40 s) go to Debian's /usr/bin/python3, which is why that is
# the default rather than the python3 first on PATH. Idempotent: models already present are left
# alone. The export is deterministic for a given torch; the sha256 printed for each model (torch
# 1.13 on Debian 12) is for comparison, not a pin, since another torch writes other bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=testdata/models
py=${ONNXC_TORCH_PYTHON:-/usr/bin/python3}
mkdir -p "$dest"

missing=()
for m in resnet18 encoder matmul textcls lstm; do
  if [ -s "$dest/$m.onnx" ]; then
    echo "export-torch-models: $m.onnx ok"
  else
    missing+=("$m")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

has_torch() { "$py" -c 'import torch, torchvision, onnx' 2>/dev/null; }
if ! has_torch; then
  if [ -n "${ONNXC_TORCH_PYTHON:-}" ]; then
    echo "export-torch-models: $py cannot import torch, torchvision and onnx" >&2
    exit 1
  fi
  sudo=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "export-torch-models: need root or sudo for apt-get" >&2; exit 1; }
    sudo=sudo
  fi
  command -v apt-get >/dev/null || {
    echo "export-torch-models: no apt-get: install torch, torchvision and onnx and set ONNXC_TORCH_PYTHON" >&2
    exit 1
  }
  echo "export-torch-models: apt-get install python3-torch python3-torchvision python3-onnx" >&2
  start=$SECONDS
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch python3-torchvision python3-onnx >/dev/null
  echo "export-torch-models: installed in $((SECONDS - start)) s" >&2
  has_torch || { echo "export-torch-models: $py still cannot import torch, torchvision and onnx" >&2; exit 1; }
fi

start=$SECONDS
"$py" testdata/torch/export.py "$dest" "${missing[@]}"
for m in "${missing[@]}"; do
  echo "export-torch-models: $m.onnx sha256 $(sha256sum "$dest/$m.onnx" | cut -d' ' -f1)"
done
echo "export-torch-models: exported ${missing[*]} in $((SECONDS - start)) s"
