// Tiny .npy reader/writer (format versions 1.0-3.0, C order, little-endian numeric dtypes and bool)
// for the ONNX Runtime bench scripts; maps numpy dtypes to onnxruntime-node tensor types.
'use strict';
const fs = require('fs');

// numpy descr (without byte-order char) -> [ort type, TypedArray constructor, bytes per element]
const DTYPES = {
  f4: ['float32', Float32Array, 4], f8: ['float64', Float64Array, 8], f2: ['float16', Uint16Array, 2],
  i1: ['int8', Int8Array, 1], u1: ['uint8', Uint8Array, 1], i2: ['int16', Int16Array, 2],
  u2: ['uint16', Uint16Array, 2], i4: ['int32', Int32Array, 4], u4: ['uint32', Uint32Array, 4],
  i8: ['int64', BigInt64Array, 8], u8: ['uint64', BigUint64Array, 8], b1: ['bool', Uint8Array, 1],
};
const ORT_TO_DESCR = {};
for (const [d, [t]] of Object.entries(DTYPES)) ORT_TO_DESCR[t] = (d === 'b1' || d[1] === '1' ? '|' : '<') + d;

// Parses a .npy buffer; returns {type (ort type name), dims (numbers), data (TypedArray)}; throws on bad input.
function parseNpy(buf, name = '<buffer>') {
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(`${name}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let hlen, off;
  if (major === 1) { hlen = buf.readUInt16LE(8); off = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); off = 12; }
  else throw new Error(`${name}: unsupported .npy version ${major}`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', off, off + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${name}: malformed .npy header: ${header.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${name}: Fortran-order arrays are not supported`);
  const order = descr[1][0];
  const code = descr[1].slice(1);
  if (!DTYPES[code] || order === '>' || (order !== '<' && order !== '|' && order !== '=')) {
    throw new Error(`${name}: unsupported dtype '${descr[1]}'`);
  }
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const [type, Ctor, size] = DTYPES[code];
  const start = off + hlen;
  if (buf.length - start < count * size) {
    throw new Error(`${name}: truncated data (${buf.length - start} bytes, need ${count * size})`);
  }
  const copy = new Uint8Array(count * size); // aligned copy
  copy.set(buf.subarray(start, start + count * size));
  return { type, dims, data: new Ctor(copy.buffer, 0, count) };
}

// Reads a .npy file (see parseNpy).
function readNpy(path) {
  return parseNpy(fs.readFileSync(path), path);
}

// Serializes {type, dims, data} as a version 1.0 .npy buffer (header padded to 64 bytes).
function formatNpy(type, dims, data) {
  const descr = ORT_TO_DESCR[type];
  if (!descr) throw new Error(`cannot write tensor type '${type}' as .npy`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93; pre.write('NUMPY', 1, 'latin1'); pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

// Writes {type, dims, data} to `path` as .npy (temporary file, then rename).
function writeNpy(path, type, dims, data) {
  const tmp = `${path}.tmp${process.pid}`;
  fs.writeFileSync(tmp, formatNpy(type, dims, data));
  fs.renameSync(tmp, path);
}

module.exports = { parseNpy, readNpy, formatNpy, writeNpy, DTYPES };
