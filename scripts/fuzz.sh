#!/usr/bin/env bash
# Runs every fuzz target for DURATION each (default 10m), one after another, with at most
# PARALLEL workers (default: all cores). Minimization of a new input is capped at 200 executions
# (-fuzzminimizetime 200x): go test's default, 60 s per input, spends most of a short run
# minimizing the large seed models instead of fuzzing. A failing input lands in the package's
# testdata/fuzz/TARGET/, to be checked in with the fix.
#
#   scripts/fuzz.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10m}
par=${PARALLEL:-$(nproc)}
targets=(
  ./frontend/onnx:FuzzDecode
  ./frontend/paddle:FuzzProgram
  ./frontend/paddle:FuzzPIR
  ./frontend/paddle:FuzzParams
  ./runtime:FuzzReadTensorProto
  ./runtime:FuzzReadNpy
  ./compiler:FuzzParseShape
  ./cmd/onnxc:FuzzParseSize
  ./ops:FuzzDecodeViewSteps
)
failed=()
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t##*:}
  echo "fuzz: $name ($pkg) for $duration"
  if ! go test -run '^$' -fuzz "^$name\$" -fuzztime "$duration" -fuzzminimizetime 200x -parallel "$par" "$pkg"; then
    failed+=("$name")
  fi
done
# The VAD example's WAV reader, in its own module (its generated model package comes first).
echo "fuzz: FuzzReadWAV (examples/vad) for $duration"
if ! (cd examples/vad && GOFLAGS=-mod=mod go generate ./... >/dev/null &&
  GOFLAGS=-mod=mod go test -run '^$' -fuzz '^FuzzReadWAV$' -fuzztime "$duration" -fuzzminimizetime 200x -parallel "$par" .); then
  failed+=(FuzzReadWAV)
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
