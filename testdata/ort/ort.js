#!/usr/bin/env node
// ort.js: onnxc's reference runner on onnxruntime (npm onnxruntime-node, CPU). onnxruntime is the
// oracle for models that ship without expected outputs, and the speed baseline.
//
//   node ort.js run MODEL OUTDIR NAME=FILE.pb ...
//       Runs MODEL once on the given inputs (ONNX TensorProto files; a bare FILE.pb in K-th place
//       feeds the model's K-th input, as input_K.pb does in the backend layout) at one thread with
//       every graph optimization, and writes OUTDIR/output_K.pb (TensorProto, named after the
//       output) for the model's K-th output. One thread keeps the reference deterministic.
//       ONNXC_ORT_OPT (disabled, basic, extended, all; default all) sets the optimization level.
//   node ort.js bench THREADS RUNS MODEL [NAME=DIMS | NAME=DIMS:VALUE ...]
//       Times MODEL on random inputs (uniform [0,1) for floats, [0.5,1) for float16, 0 for
//       integers and bools unless :VALUE fills the tensor with VALUE). DIMS is like 1x3x48x192; an
//       empty DIMS (sr=:16000) makes a scalar. Inputs whose shape the model fixes may be left
//       out. Prints one line: model=... threads=... runs=... median_ms=... p90_ms=... min_ms=...
//
// Set up with ../../scripts/setup-ort.sh (npm install --ignore-scripts: the CPU binaries ship
// inside the onnxruntime-node package, so no install script is needed).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');

// ONNX TensorProto.DataType numbers <-> onnxruntime-node type names, for the types both support.
const TYPES = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
const CODES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, Number(k)]));
const ARRAYS = {
  float32: Float32Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  int32: Int32Array, int64: BigInt64Array, bool: Uint8Array, float16: Uint16Array,
  float64: Float64Array, uint32: Uint32Array, uint64: BigUint64Array,
};

function die(msg) {
  console.error(`ort.js: ${msg}`);
  process.exit(2);
}

// readTensorProto decodes one TensorProto file into an ort.Tensor.
function readTensorProto(file) {
  const p = onnx.TensorProto.decode(fs.readFileSync(file));
  if (p.dataLocation === 1 || (p.externalData && p.externalData.length)) die(`${file}: external data is not supported`);
  const type = TYPES[p.dataType];
  if (!type) die(`${file}: element type ${p.dataType} is not supported by onnxruntime-node`);
  const dims = p.dims.map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  let data;
  if (type === 'string') {
    data = p.stringData.map((b) => Buffer.from(b).toString('utf8'));
  } else if (p.rawData && p.rawData.length) {
    const A = ARRAYS[type];
    if (p.rawData.length !== n * A.BYTES_PER_ELEMENT) die(`${file}: ${p.rawData.length} raw bytes for dims [${dims}] of ${type}`);
    // Copy: the decoded bytes may not be aligned for the typed array.
    const b = Uint8Array.from(p.rawData);
    data = new A(b.buffer, 0, n);
  } else if (type === 'float32') {
    data = Float32Array.from(p.floatData);
  } else if (type === 'float64') {
    data = Float64Array.from(p.doubleData);
  } else if (type === 'int64') {
    data = BigInt64Array.from(p.int64Data.map((x) => BigInt(x.toString())));
  } else if (type === 'uint32' || type === 'uint64') {
    const v = p.uint64Data.map((x) => BigInt(x.toString()));
    data = type === 'uint64' ? BigUint64Array.from(v) : Uint32Array.from(v.map(Number));
  } else {
    // bool, (u)int8, (u)int16, int32 and float16 bit patterns travel in int32_data.
    data = ARRAYS[type].from(p.int32Data);
  }
  if (data.length !== n) die(`${file}: ${data.length} values for dims [${dims}]`);
  return new ort.Tensor(type, data, dims);
}

function writeTensorProto(file, name, t) {
  const code = CODES[t.type];
  if (!code) die(`output ${name}: type ${t.type} cannot be written`);
  const p = { name, dims: t.dims, dataType: code };
  if (t.type === 'string') p.stringData = t.data.map((s) => Buffer.from(s, 'utf8'));
  else p.rawData = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  fs.writeFileSync(file, onnx.TensorProto.encode(onnx.TensorProto.create(p)).finish());
}

function session(model, threads) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    // ONNXC_ORT_OPT=disabled runs the graph as written (no fusions), to tell a fused kernel's
    // arithmetic from the ops' own.
    graphOptimizationLevel: process.env.ONNXC_ORT_OPT || 'all', logSeverityLevel: 3,
  });
}

// splitArg splits NAME=REST at the last '=' so that input names containing '=' still work.
function splitArg(arg) {
  const i = arg.lastIndexOf('=');
  if (i <= 0) die(`expected NAME=..., got ${arg}`);
  return [arg.slice(0, i), arg.slice(i + 1)];
}

async function run(model, outdir, args) {
  const s = await session(model, 1);
  const feeds = {};
  args.forEach((a, k) => {
    // A bare FILE.pb feeds the model's K-th input, as in the ONNX backend layout (input_K.pb).
    let name = s.inputNames[k], file = a;
    if (a.includes('=')) [name, file] = splitArg(a);
    if (!s.inputNames.includes(name)) die(`${model} has no input ${name} (inputs: ${s.inputNames.join(', ')})`);
    feeds[name] = readTensorProto(file);
  });
  const missing = s.inputNames.filter((n) => !(n in feeds));
  if (missing.length) die(`missing inputs: ${missing.join(', ')}`);
  const res = await s.run(feeds);
  fs.mkdirSync(outdir, { recursive: true });
  s.outputNames.forEach((name, k) => {
    const t = res[name];
    writeTensorProto(path.join(outdir, `output_${k}.pb`), name, t);
    console.log(`output_${k}.pb ${name} ${t.type} [${t.dims.join(',')}]`);
  });
}

// randomTensor makes an input of the given type and shape: uniform [0,1) floats, or every element
// equal to fill when one is given. Integer inputs default to 0, which is a valid index or length.
function randomTensor(type, dims, fill) {
  const n = dims.reduce((a, b) => a * b, 1);
  if (type === 'string') return new ort.Tensor(type, new Array(n).fill(fill ?? ''), dims);
  const A = ARRAYS[type];
  if (!A) die(`cannot make a ${type} input`);
  const data = new A(n);
  if (type === 'int64' || type === 'uint64') data.fill(BigInt(fill ?? 0));
  else if (type === 'float16') {
    // Uint16Array holds bit patterns: 0x3800 + m is 0.5 + m/2048, so this is uniform over [0.5,1).
    if (fill !== undefined) die('a constant fill for a float16 input is not supported');
    for (let i = 0; i < n; i++) data[i] = 0x3800 + Math.floor(Math.random() * 1024);
  } else if (fill !== undefined) data.fill(Number(fill));
  else if (type === 'float32' || type === 'float64') for (let i = 0; i < n; i++) data[i] = Math.random();
  return new ort.Tensor(type, data, dims);
}

async function bench(threads, runs, model, args) {
  const s = await session(model, threads);
  const given = {};
  for (const a of args) {
    const [name, spec] = splitArg(a);
    const [dims, fill] = spec.split(':');
    given[name] = { dims: dims === '' ? [] : dims.split('x').map(Number), fill };
    if (given[name].dims.some((d) => !Number.isInteger(d) || d < 0)) die(`bad dims in ${a}`);
  }
  const feeds = {};
  for (const meta of s.inputMetadata) {
    if (!meta.isTensor) die(`input ${meta.name} is not a tensor`);
    let g = given[meta.name];
    if (!g) {
      if (!meta.shape.every((d) => typeof d === 'number' && d >= 0)) die(`give a shape for input ${meta.name} (model says [${meta.shape}])`);
      g = { dims: meta.shape.slice() };
    }
    feeds[meta.name] = randomTensor(meta.type, g.dims, g.fill);
  }
  for (const name of Object.keys(given)) if (!(name in feeds)) die(`${model} has no input ${name}`);
  // Warm up: the first runs allocate arenas and pick kernels.
  for (let i = 0; i < Math.min(3, runs); i++) await s.run(feeds);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const q = (f) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))];
  console.log(`model=${path.basename(model)} threads=${threads} runs=${runs} median_ms=${q(0.5).toFixed(3)} p90_ms=${q(0.9).toFixed(3)} min_ms=${ms[0].toFixed(3)}`);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'run' && rest.length >= 2) return run(rest[0], rest[1], rest.slice(2));
  if (cmd === 'bench' && rest.length >= 3) {
    const threads = Number(rest[0]), runs = Number(rest[1]);
    if (!(Number.isInteger(threads) && threads > 0 && Number.isInteger(runs) && runs > 0)) die('THREADS and RUNS must be positive integers');
    return bench(threads, runs, rest[2], rest.slice(3));
  }
  die('usage: node ort.js run MODEL OUTDIR NAME=FILE.pb ... | node ort.js bench THREADS RUNS MODEL [NAME=DIMS[:VALUE] ...]');
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
