#!/usr/bin/env node
// Top-1 accuracy of a Fashion-MNIST model in ONNX Runtime (one thread, optimizations 'all') on the
// 10,000 test images read from the Debian idx files (zlib), normalized (x/255 - 0.2860)/0.3530.
// Usage: node bench/ort/ort_eval_fashion.js MODEL [--batch B] [--limit N] [--save-logits FILE.npy]
//        [--opt LEVEL]   (batch defaults to 100, or 1 when the model's batch dim is fixed to 1)
'use strict';
const path = require('path');
const { loadOrt, sessionOptions, graphInputs, loadFashionTest, parseArgs } = require('./common');
const { writeNpy } = require('./npy');

async function main() {
  const { positional, options } = parseArgs(process.argv.slice(2));
  if (positional.length !== 1) {
    console.error('usage: ort_eval_fashion.js MODEL [--batch B] [--limit N] [--save-logits FILE.npy] [--opt LEVEL]');
    process.exit(2);
  }
  const model = positional[0];
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(model, sessionOptions((options.opt || ['all']).pop()));
  if (session.inputNames.length !== 1) throw new Error(`expected one model input, got ${session.inputNames.join(', ')}`);
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  const info = graphInputs(model).find((i) => i.name === inName);
  if (info && info.type !== 'float32') throw new Error(`input '${inName}' is ${info.type}, expected float32`);
  const fixed = info && typeof info.dims[0] === 'number' && info.dims[0] > 0 ? info.dims[0] : 0;
  let batch = Number((options.batch || [fixed || 100]).pop());
  if (fixed && batch !== fixed) throw new Error(`model has a fixed batch of ${fixed}; --batch ${batch} does not fit`);
  const inDims = info && info.dims.length === 2 ? [batch, 784] : [batch, 1, 28, 28];

  const data = loadFashionTest();
  const count = Math.min(data.count, Number((options.limit || [data.count]).pop()));
  const logits = new Float32Array(count * 10);
  let correct = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    let x = data.images.subarray(i * 784, (i + n) * 784);
    if (n < batch) { const p = new Float32Array(batch * 784); p.set(x); x = p; } // pad last batch
    const out = (await session.run({ [inName]: new ort.Tensor('float32', x, inDims) }))[outName];
    if (out.type !== 'float32' || out.data.length !== batch * 10) {
      throw new Error(`output '${outName}' is ${out.type} [${out.dims}], expected float32 [${batch},10]`);
    }
    for (let b = 0; b < n; b++) {
      let best = 0;
      for (let c = 0; c < 10; c++) {
        const v = out.data[b * 10 + c];
        logits[(i + b) * 10 + c] = v;
        if (v > out.data[b * 10 + best]) best = c;
      }
      if (best === data.labels[i + b]) correct++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (options['save-logits']) writeNpy(options['save-logits'].pop(), 'float32', [count, 10], logits);
  console.log(JSON.stringify({
    tool: 'onnxruntime', version: ort.env.versions ? ort.env.versions.node : undefined,
    model: path.resolve(model), dataset: 'fashion-mnist-test', count, correct,
    top1: Math.round((10000 * correct) / count) / 100, batch, seconds: Math.round(seconds * 1000) / 1000,
  }));
}

main().catch((e) => { console.error(`ort_eval_fashion: ${e.message || e}`); process.exit(1); });
