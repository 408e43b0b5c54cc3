#!/usr/bin/env bash
# Installs the onnxruntime reference runner's dependencies (testdata/ort/package.json: onnxruntime-node
# and onnx-proto, pinned; package-lock.json pins the rest) into testdata/ort/node_modules/
# (gitignored).
#
# --ignore-scripts: onnxruntime-node ships its CPU binaries for linux/darwin/win32 (x64, arm64)
# inside the npm package (bin/napi-v6/...); its install script only downloads optional GPU
# execution providers, which the reference runner never uses and which would need the network
# beyond the registry.
#
# Idempotent: does nothing when the pinned versions are already installed and load.
set -euo pipefail
cd "$(dirname "$0")/../testdata/ort"

check() {
  node -e '
    const want = require("./package.json").dependencies;
    for (const [name, version] of Object.entries(want)) {
      const got = require(name + "/package.json").version;
      if (got !== version) throw new Error(name + " " + got + " installed, want " + version);
    }
    const ort = require("onnxruntime-node");
    if (typeof ort.InferenceSession.create !== "function") throw new Error("onnxruntime-node did not load");
  ' 2>/dev/null
}

if check; then
  echo "setup-ort: onnxruntime-node already installed in testdata/ort/node_modules"
  exit 0
fi
if [ -f package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund
else
  npm install --ignore-scripts --no-audit --no-fund
fi
if ! check; then
  echo "setup-ort: onnxruntime-node does not load after npm install; run this for the reason:" >&2
  echo "  cd testdata/ort && node -e 'require(\"onnxruntime-node\")'" >&2
  exit 1
fi
echo "setup-ort: onnxruntime-node installed"
