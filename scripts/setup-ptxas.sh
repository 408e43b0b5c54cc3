#!/usr/bin/env bash
# Sets up what the CUDA backend's tests need on a machine without a GPU or a CUDA install:
# ptxas (from Debian's nvidia-cuda-toolkit, CUDA 11.8: sm_80 and sm_90, PTX ISA 7.8) to check
# every generated .ptx, and cuda.h with the libcuda link stub (from nvidia-cuda-dev, of which
# only those files are extracted) so that the cuda-tagged host code (gorgonia.org/cu, cgo)
# builds. Nothing is installed through dpkg: the packages are downloaded and unpacked into
# ONNXC_CUDA_DIR (default /opt/onnxc-cuda), which the tests find on their own:
#   $ONNXC_CUDA_DIR/bin/ptxas, $ONNXC_CUDA_DIR/include/cuda.h, $ONNXC_CUDA_DIR/lib/libcuda.so
set -euo pipefail
dir=${ONNXC_CUDA_DIR:-/opt/onnxc-cuda}
if [ -x "$dir/bin/ptxas" ] && [ -f "$dir/include/cuda.h" ] && [ -f "$dir/lib/libcuda.so" ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
# The CUDA packages are in non-free (and contrib, for the toolkit's helpers).
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  [ -f "$f" ] || continue
  if grep -q '^Components:' "$f"; then
    grep -q 'non-free' "$f" || $sudo sed -i 's/^Components: main.*/Components: main contrib non-free/' "$f"
  else
    grep -q 'non-free' "$f" || $sudo sed -i -E 's/^(deb .* main)$/\1 contrib non-free/' "$f"
  fi
done
$sudo apt-get update -qq
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download -qq nvidia-cuda-toolkit nvidia-cuda-dev
$sudo mkdir -p "$dir/bin" "$dir/include" "$dir/lib"
# ptxas is a static binary; the toolkit package holds it under /usr/bin.
dpkg-deb --fsys-tarfile nvidia-cuda-toolkit_*.deb | tar -x ./usr/bin/ptxas
$sudo install -m 755 usr/bin/ptxas "$dir/bin/ptxas"
# Of the 2.8 GB that nvidia-cuda-dev installs, the host code needs two files.
members=$(dpkg-deb --fsys-tarfile nvidia-cuda-dev_*.deb | tar -t | grep -E '/include/cuda\.h$|/stubs/libcuda\.so$')
dpkg-deb --fsys-tarfile nvidia-cuda-dev_*.deb | tar -x $members
$sudo install -m 644 $(echo "$members" | grep 'cuda\.h$') "$dir/include/cuda.h"
$sudo install -m 644 $(echo "$members" | grep 'libcuda\.so$') "$dir/lib/libcuda.so"
"$dir/bin/ptxas" --version | tail -1
