// Shared helpers of the ONNX Runtime bench scripts: loading onnxruntime-node from the repo root,
// one-thread session options, graph input metadata read from the .onnx protobuf (the node binding
// does not expose shapes), random inputs, Fashion-MNIST idx loading (zlib) and normalization.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..', '..');
const FASHION_DIR = process.env.FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';
const FASHION_MEAN = 0.2860;
const FASHION_STD = 0.3530;

// Returns the onnxruntime-node module (repo's node_modules first, then the normal resolution).
function loadOrt() {
  try {
    return require(path.join(ROOT, 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    return require('onnxruntime-node');
  }
}

// Session options: one intra-op and one inter-op thread, optimizations 'all' unless `level` given.
function sessionOptions(level = 'all') {
  return {
    intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: level,
    executionMode: 'sequential', executionProviders: ['cpu'],
  };
}

// Protobuf walker: calls fn(field, wiretype, value|[start,end]) for each field of buf[start,end).
function pbFields(buf, start, end, fn) {
  let p = start;
  const varint = () => {
    let v = 0, mul = 1, b;
    do {
      if (p >= end) throw new Error('truncated protobuf varint');
      b = buf[p++]; v += (b & 0x7f) * mul; mul *= 128;
    } while (b & 0x80);
    return v;
  };
  while (p < end) {
    const key = varint();
    const field = Math.floor(key / 8), wt = key & 7;
    if (wt === 0) fn(field, wt, varint());
    else if (wt === 2) { const len = varint(); fn(field, wt, [p, p + len]); p += len; }
    else if (wt === 1) p += 8;
    else if (wt === 5) p += 4;
    else throw new Error(`unsupported protobuf wire type ${wt}`);
    if (p > end) throw new Error('truncated protobuf field');
  }
}

const ELEM_TYPES = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool',
  10: 'float16', 11: 'float64', 4: 'uint16', 12: 'uint32', 13: 'uint64' };

// Reads the graph inputs (without initializers) of an .onnx file: [{name, type, dims}], where a
// symbolic or unknown dim is the string name (or '?').
function graphInputs(modelPath) {
  const buf = fs.readFileSync(modelPath);
  const inputs = [];
  const inits = new Set();
  const str = ([a, b]) => buf.toString('utf8', a, b);
  pbFields(buf, 0, buf.length, (f, wt, v) => {
    if (f !== 7 || wt !== 2) return; // ModelProto.graph
    pbFields(buf, v[0], v[1], (gf, gwt, gv) => {
      if (gf === 5 && gwt === 2) { // GraphProto.initializer: TensorProto.name = 8
        pbFields(buf, gv[0], gv[1], (tf, twt, tv) => { if (tf === 8 && twt === 2) inits.add(str(tv)); });
      } else if (gf === 11 && gwt === 2) { // GraphProto.input: ValueInfoProto
        const vi = { name: '', type: 'float32', dims: [] };
        pbFields(buf, gv[0], gv[1], (vf, vwt, vv) => {
          if (vf === 1 && vwt === 2) vi.name = str(vv);
          if (vf !== 2 || vwt !== 2) return; // TypeProto
          pbFields(buf, vv[0], vv[1], (tf, twt, tv) => {
            if (tf !== 1 || twt !== 2) return; // tensor_type
            pbFields(buf, tv[0], tv[1], (sf, swt, sv) => {
              if (sf === 1 && swt === 0) vi.type = ELEM_TYPES[sv] || `elem${sv}`;
              if (sf !== 2 || swt !== 2) return; // shape
              pbFields(buf, sv[0], sv[1], (df, dwt, dv) => {
                if (df !== 1 || dwt !== 2) return; // dim
                let dim = '?';
                pbFields(buf, dv[0], dv[1], (xf, xwt, xv) => {
                  if (xf === 1 && xwt === 0) dim = xv;
                  if (xf === 2 && xwt === 2) dim = str(xv);
                });
                vi.dims.push(dim);
              });
            });
          });
        });
        inputs.push(vi);
      }
    });
  });
  return inputs.filter((i) => !inits.has(i.name));
}

// Deterministic pseudo-random numbers in [0,1) (mulberry32), so latency inputs are reproducible.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Makes an ort.Tensor of random values for input {name, type, dims}; symbolic dims become 1.
function randomInput(ort, info, seed = 0) {
  const dims = info.dims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  const r = rng(seed);
  let data;
  switch (info.type) {
    case 'float32': data = Float32Array.from({ length: n }, () => r() * 2 - 1); break;
    case 'float64': data = Float64Array.from({ length: n }, () => r() * 2 - 1); break;
    case 'uint8': data = Uint8Array.from({ length: n }, () => Math.floor(r() * 256)); break;
    case 'int8': data = Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128); break;
    case 'int32': data = Int32Array.from({ length: n }, () => Math.floor(r() * 10)); break;
    case 'int64': data = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * 10))); break;
    case 'bool': data = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)); break;
    default: throw new Error(`input '${info.name}': cannot make random data of type ${info.type}`);
  }
  return new ort.Tensor(info.type, data, dims);
}

// Reads one gzipped idx file: {dims, data (Uint8Array)}; only the unsigned byte type (0x08).
function readIdxGz(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new Error(`${file}: not a ubyte idx file`);
  const ndim = buf[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const off = 4 + 4 * ndim;
  if (buf.length - off !== count) throw new Error(`${file}: size does not match dims ${dims}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + off, count) };
}

// Loads the Fashion-MNIST test split: {images: Float32Array [N*784] normalized, labels: Uint8Array, count}.
function loadFashionTest(dir = FASHION_DIR) {
  const img = readIdxGz(path.join(dir, 't10k-images-idx3-ubyte.gz'));
  const lab = readIdxGz(path.join(dir, 't10k-labels-idx1-ubyte.gz'));
  if (img.dims[0] !== lab.dims[0] || img.dims[1] !== 28 || img.dims[2] !== 28) {
    throw new Error('Fashion-MNIST test images and labels do not match');
  }
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) {
    images[i] = Math.fround(Math.fround(Math.fround(img.data[i] / 255) - Math.fround(FASHION_MEAN)) / Math.fround(FASHION_STD));
  }
  return { images, labels: lab.data, count: img.dims[0] };
}

// Parses argv into {positional: [], options: {name: [values]}} for options of the form --name value.
function parseArgs(argv, flags = []) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      let key = a.slice(2), val;
      if (eq > 0) { key = a.slice(2, eq); val = a.slice(eq + 1); }
      else if (flags.includes(key)) val = true;
      else {
        if (i + 1 >= argv.length) throw new Error(`option --${key} needs a value`);
        val = argv[++i];
      }
      (options[key] = options[key] || []).push(val);
    } else positional.push(a);
  }
  return { positional, options };
}

module.exports = {
  ROOT, FASHION_MEAN, FASHION_STD, loadOrt, sessionOptions, graphInputs, randomInput,
  readIdxGz, loadFashionTest, parseArgs,
};
