#!/usr/bin/env node
// Latency server for bench/run: loads one model in ONNX Runtime (one thread, optimizations 'all'),
// prints {"ready":...} and then, for each line "N" read on stdin, runs the model N times (batch 1)
// and prints {"times_ms":[...]}; exits at end of input. The harness interleaves several servers.
// Usage: node bench/ort/ort_serve.js MODEL [--input FILE.npy] [--opt LEVEL]
'use strict';
const readline = require('readline');
const { loadOrt, sessionOptions, graphInputs, randomInput, parseArgs } = require('./common');
const { readNpy } = require('./npy');

async function main() {
  const { positional, options } = parseArgs(process.argv.slice(2));
  if (positional.length !== 1) {
    console.error('usage: ort_serve.js MODEL [--input FILE.npy] [--opt LEVEL]');
    process.exit(2);
  }
  const model = positional[0];
  const ort = loadOrt();
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, sessionOptions((options.opt || ['all']).pop()));
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const infos = graphInputs(model);
  const feeds = {};
  session.inputNames.forEach((name, k) => {
    if (options.input && k === 0) {
      const a = readNpy(options.input.pop());
      feeds[name] = new ort.Tensor(a.type, a.data, a.dims);
      return;
    }
    const info = infos.find((i) => i.name === name) || { name, type: 'float32', dims: [] };
    feeds[name] = randomInput(ort, info, k + 1);
  });
  console.log(JSON.stringify({ ready: true, load_ms: loadMs }));
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const n = Number(line.trim());
    if (!(n >= 1)) continue;
    const times = [];
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    console.log(JSON.stringify({ times_ms: times }));
  }
}

main().catch((e) => { console.error(`ort_serve: ${e.message || e}`); process.exit(1); });
