#!/usr/bin/env bash
# Prints the hostile-model table: for each model in testdata/hostile (ONNX) and
# testdata/hostile/paddle (ProgramDesc .pdmodel, PIR .json, a separate-layout folder), onnxc build's exit code,
# its one-line error and the peak memory of the compile (GNU time's maximum resident set size),
# as Markdown. compiler/hostile_test.go and hostile_paddle_test.go check the errors; this
# measures the memory.
#
#   scripts/hostile-table.sh [ONNXC]   (default: go build ./cmd/onnxc into a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then
  go build -o "$tmp/onnxc" ./cmd/onnxc
  bin=$tmp/onnxc
fi
echo "| model | exit | error | peak RSS MB |"
echo "| --- | --- | --- | --- |"
for f in testdata/hostile/*.onnx testdata/hostile/paddle/*.pdmodel testdata/hostile/paddle/*.json testdata/hostile/paddle/*/; do
  f=${f%/}
  set +e
  /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" build "$f" -o "$tmp/out" -pkg m >"$tmp/stdout" 2>"$tmp/stderr"
  code=$?
  set -e
  err=$(head -n 1 "$tmp/stderr" | cut -c1-160 | sed 's/|/\\|/g')
  rss=$(tail -n 1 "$tmp/rss")
  echo "| ${f#testdata/hostile/} | $code | ${err:-(builds)} | $((rss / 1024)) |"
  rm -rf "$tmp/out"
done
