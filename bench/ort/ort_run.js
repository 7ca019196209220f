#!/usr/bin/env node
// Runs an ONNX model once in ONNX Runtime (CPU, one thread) on inputs from .npy files and writes each
// output as DIR/<output name>.npy (characters outside [A-Za-z0-9._-] become '_'); prints a JSON summary.
// Used by tests that check ONNX Runtime loads and runs onnxq's output.
// Usage: node bench/ort/ort_run.js MODEL --input NAME=FILE.npy ... --output DIR [--opt LEVEL]
//        (--input FILE.npy without NAME= is allowed when the model has exactly one input)
//        node bench/ort/ort_run.js MODEL --input-dir DIR --output DIR   (one-input models: runs every
//        .npy of DIR in name order, one session, and writes each output concatenated along axis 0)
'use strict';
const fs = require('fs');
const path = require('path');
const { loadOrt, sessionOptions, parseArgs } = require('./common');
const { readNpy, writeNpy } = require('./npy');

async function main() {
  const { positional, options } = parseArgs(process.argv.slice(2));
  if (positional.length !== 1 || !options.output || !(options.input || options['input-dir'])) {
    console.error('usage: ort_run.js MODEL (--input NAME=FILE.npy ... | --input-dir DIR) --output DIR [--opt LEVEL]');
    process.exit(2);
  }
  const model = positional[0];
  const outDir = options.output.pop();
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(model, sessionOptions((options.opt || ['all']).pop()));
  if (options['input-dir']) return runDir(ort, session, model, options['input-dir'].pop(), outDir);
  const feeds = {};
  for (const spec of options.input) {
    const eq = spec.indexOf('=');
    let name, file;
    if (eq > 0 && !fs.existsSync(spec)) { name = spec.slice(0, eq); file = spec.slice(eq + 1); }
    else {
      if (session.inputNames.length !== 1) throw new Error(`--input ${spec}: name the input (model inputs: ${session.inputNames.join(', ')})`);
      name = session.inputNames[0]; file = spec;
    }
    if (!session.inputNames.includes(name)) throw new Error(`model has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    const a = readNpy(file);
    feeds[name] = new ort.Tensor(a.type, a.data, a.dims);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) throw new Error(`no data for input(s) ${missing.join(', ')}`);
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  const outputs = [];
  for (const name of session.outputNames) {
    const t = results[name];
    const file = path.join(outDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`);
    writeNpy(file, t.type, t.dims, t.data);
    outputs.push({ name, file, type: t.type, dims: t.dims });
  }
  console.log(JSON.stringify({ tool: 'onnxruntime', version: ort.env.versions ? ort.env.versions.node : undefined, model: path.resolve(model), outputs }));
}

// Runs every .npy of `dir` (sorted by name) through the one-input `session`; writes the outputs
// concatenated along axis 0 as outDir/<output name>.npy.
async function runDir(ort, session, model, dir, outDir) {
  if (session.inputNames.length !== 1) throw new Error(`--input-dir needs a one-input model (inputs: ${session.inputNames.join(', ')})`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.npy')).sort();
  if (!files.length) throw new Error(`${dir}: no .npy files`);
  const chunks = {};
  for (const f of files) {
    const a = readNpy(path.join(dir, f));
    const res = await session.run({ [session.inputNames[0]]: new ort.Tensor(a.type, a.data, a.dims) });
    for (const name of session.outputNames) (chunks[name] = chunks[name] || []).push(res[name]);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const outputs = [];
  for (const name of session.outputNames) {
    const ts = chunks[name];
    const { type } = ts[0];
    const tail = ts[0].dims.slice(1);
    for (const t of ts) {
      if (t.type !== type || t.dims.length < 1 || t.dims.slice(1).join(',') !== tail.join(',')) {
        throw new Error(`output '${name}': shapes differ between samples, cannot concatenate`);
      }
    }
    const n = ts.reduce((a, t) => a + t.dims[0], 0);
    const data = new ts[0].data.constructor(ts.reduce((a, t) => a + t.data.length, 0));
    let off = 0;
    for (const t of ts) { data.set(t.data, off); off += t.data.length; }
    const file = path.join(outDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`);
    writeNpy(file, type, [n, ...tail], data);
    outputs.push({ name, file, type, dims: [n, ...tail] });
  }
  console.log(JSON.stringify({ tool: 'onnxruntime', version: ort.env.versions ? ort.env.versions.node : undefined, model: path.resolve(model), samples: files.length, outputs }));
}

main().catch((e) => { console.error(`ort_run: ${e.message || e}`); process.exit(1); });
