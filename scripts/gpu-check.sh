#!/usr/bin/env bash
# The GPU checks of the CUDA backend, for a lent GPU machine that has no Go toolchain and takes a
# limited upload (the device tool's 64 MiB). Run in two steps:
#
#   scripts/gpu-check.sh bundle DIR [MODELS]   here: build DIR/gpu.gz and DIR/ref/ (TestCUDABundle)
#                                              for MODELS (comma-separated; default
#                                              cls,rec,det,encoder; NODES=0 leaves out the
#                                              node-case sample), and print the CPU latencies
#   scripts/gpu-check.sh run DIR               there, from the repository root: run every model
#                                              and node case on the GPU against the CPU path
#                                              (rtol 1e-3, atol 1e-4), printing gpu_ms per model
#
# The bundle is a cuda-tagged program built here (it needs cgo, cuda.h and the libcuda stub of
# scripts/setup-ptxas.sh); on the GPU machine it needs libcuda.so.1 and glibc 2.34 or later. Keep
# DIR under an ignored path (.gpu/ is in .git/info/exclude in a checkout that made one) and
# carry only it.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
bundle)
  dir=$(realpath -m "$2")
  mkdir -p "$dir"
  ONNXC_GPU_BUNDLE="$dir" ONNXC_GPU_BUNDLE_MODELS="${3:-cls,rec,det,encoder}" ONNXC_GPU_BUNDLE_NODES="${NODES:-1}" \
    go test -count=1 -run '^TestCUDABundle$' -v ./compiler | grep -E 'ok |cpu_ms|GPU kernels|FAIL|---'
  du -sh "$dir"
  ;;
run)
  dir=$2
  cd "$dir"
  [ -x gpu ] || { gunzip -f gpu.gz && chmod +x gpu; }
  export LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/usr/local/nvidia/lib:${LD_LIBRARY_PATH:-}
  nvidia-smi -L || true
  ./gpu ref "$OLDPWD/testdata/onnx-backend/node"
  ;;
*)
  echo "usage: scripts/gpu-check.sh bundle DIR [MODELS] | run DIR" >&2
  exit 2
  ;;
esac
