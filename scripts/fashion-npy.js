#!/usr/bin/env node
// Converts the Fashion-MNIST test set (Debian package dataset-fashion-mnist, idx files gzipped)
// into two .npy files for `onnxq eval`: images float32 [N,1,28,28] normalized as the bundled
// model was trained ((x/255 - 0.2860) / 0.3530), labels int64 [N].
// usage: scripts/fashion-npy.js OUTDIR [--limit N] [--set t10k|train]
'use strict';
const fs = require('fs'), zlib = require('zlib'), path = require('path');
const args = process.argv.slice(2);
if (args.length < 1) { console.error('usage: fashion-npy.js OUTDIR [--limit N] [--set t10k|train]'); process.exit(2); }
const out = args[0];
let limit = Infinity, set = 't10k';
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--limit') limit = parseInt(args[++i], 10);
  else if (args[i] === '--set') set = args[++i];
  else { console.error('fashion-npy.js: unknown option ' + args[i]); process.exit(2); }
}
const dir = process.env.FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';
function readIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(path.join(dir, file)));
  const ndim = buf[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  return { dims, data: buf.subarray(4 + 4 * ndim) };
}
function npyHeader(descr, shape) {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + h.length + 1;
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const b = Buffer.alloc(10);
  b.write('\x93NUMPY', 0, 'latin1'); b[6] = 1; b[7] = 0; b.writeUInt16LE(h.length, 8);
  return Buffer.concat([b, Buffer.from(h, 'latin1')]);
}
const img = readIdx(`${set}-images-idx3-ubyte.gz`), lab = readIdx(`${set}-labels-idx1-ubyte.gz`);
const n = Math.min(img.dims[0], limit), hw = img.dims[1] * img.dims[2];
const x = new Float32Array(n * hw);
for (let i = 0; i < n * hw; i++) x[i] = (img.data[i] / 255 - 0.2860) / 0.3530;
const y = new BigInt64Array(n);
for (let i = 0; i < n; i++) y[i] = BigInt(lab.data[i]);
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'images.npy'), Buffer.concat([npyHeader('<f4', [n, 1, img.dims[1], img.dims[2]]), Buffer.from(x.buffer)]));
fs.writeFileSync(path.join(out, 'labels.npy'), Buffer.concat([npyHeader('<i8', [n]), Buffer.from(y.buffer)]));
console.log(`wrote ${n} ${set} images to ${out}/images.npy and ${out}/labels.npy`);
