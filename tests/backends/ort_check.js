// Runs an ONNX model in ONNX Runtime (onnxruntime-node, CPU, one thread): the real consumer
// that checks onnxq's written models. Inputs are .npy files bound to the graph inputs in order;
// outputs are written as OUTDIR/out_<i>.npy (graph output order) and summarized on stdout as JSON.
// usage: node ort_check.js MODEL OUTDIR [IN0.npy IN1.npy ...]
//        node ort_check.js --batch LIST   (one job per line: MODEL<TAB>OUTDIR<TAB>IN0.npy...;
//                                          one JSON line per job, {"ok":false,"error":..} on error)
// Exit status: 0 ok (batch: every job ran, each line says ok or not), 1 load or run error
// (message on stderr), 2 usage.
'use strict';
const fs = require('fs');
const path = require('path');

const ORT_DIR = process.env.ONNXQ_ORT_DIR ||
  path.join(__dirname, '..', '..', 'node_modules', 'onnxruntime-node');

const TYPES = { // npy descr -> [ort type, TypedArray, element size]
  '<f4': ['float32', Float32Array, 4],
  '<f8': ['float64', Float64Array, 8],
  '|u1': ['uint8', Uint8Array, 1],
  '|i1': ['int8', Int8Array, 1],
  '<i4': ['int32', Int32Array, 4],
  '<i8': ['int64', BigInt64Array, 8],
  '|b1': ['bool', Uint8Array, 1],
};

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x934e554d || b.toString('latin1', 4, 6) !== 'PY')
    throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const hoff = major === 1 ? 10 : 12;
  const header = b.toString('latin1', hoff, hoff + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',')
    .map((s) => s.trim()).filter((s) => s.length).map(Number);
  const t = TYPES[descr];
  if (!t) throw new Error(`${file}: dtype ${descr} not supported`);
  const n = shape.reduce((a, c) => a * c, 1);
  const data = b.subarray(hoff + hlen, hoff + hlen + n * t[2]);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  let arr = new t[1](copy.buffer, 0, n);
  if (descr === '|b1') arr = Array.from(arr, (v) => v !== 0);
  return { type: t[0], shape, data: arr };
}

function writeNpy(file, tensor) {
  const inv = {};
  for (const [k, v] of Object.entries(TYPES)) inv[v[0]] = k;
  const descr = inv[tensor.type];
  if (!descr) throw new Error(`output type ${tensor.type} not supported`);
  const dims = tensor.dims.map(Number);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad === 64 ? 0 : pad) + '\n';
  const h = Buffer.alloc(10);
  h.writeUInt32BE(0x934e554d, 0);
  h.write('PY', 4, 'latin1');
  h[6] = 1;
  h[7] = 0;
  h.writeUInt16LE(header.length, 8);
  let body;
  if (tensor.type === 'bool') body = Buffer.from(Array.from(tensor.data, (v) => (v ? 1 : 0)));
  else body = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), body]));
}

const sessions = new Map(); // model path -> session (batch jobs on one model load it once)

async function runOne(ort, model, outdir, inputs) {
  const sess = sessions.get(model) || await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  });
  sessions.set(model, sess);
  if (inputs.length !== sess.inputNames.length)
    throw new Error(`model has ${sess.inputNames.length} inputs, got ${inputs.length} files`);
  const feeds = {};
  sess.inputNames.forEach((name, i) => {
    const t = readNpy(inputs[i]);
    feeds[name] = new ort.Tensor(t.type, t.data, t.shape);
  });
  const res = await sess.run(feeds);
  const summary = { inputs: sess.inputNames, outputs: [] };
  sess.outputNames.forEach((name, i) => {
    const t = res[name];
    writeNpy(path.join(outdir, `out_${i}.npy`), t);
    summary.outputs.push({ name, type: t.type, dims: t.dims.map(Number) });
  });
  return summary;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length < 2) {
    process.stderr.write('usage: node ort_check.js MODEL OUTDIR [IN0.npy ...] | --batch LIST\n');
    return 2;
  }
  const ort = require(ORT_DIR);
  if (args[0] === '--batch') {
    const lines = fs.readFileSync(args[1], 'utf8').split('\n').filter((l) => l.length);
    for (const line of lines) {
      const [model, outdir, ...inputs] = line.split('\t');
      let r;
      try {
        r = Object.assign({ ok: true }, await runOne(ort, model, outdir, inputs));
      } catch (e) {
        r = { ok: false, error: String(e && e.message ? e.message : e) };
      }
      process.stdout.write(JSON.stringify(r) + '\n');
    }
    return 0;
  }
  const [model, outdir, ...inputs] = args;
  process.stdout.write(JSON.stringify(await runOne(ort, model, outdir, inputs)) + '\n');
  return 0;
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write(`ort_check: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
