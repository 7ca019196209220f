#!/usr/bin/env node
// Batch-1 latency of an ONNX model in ONNX Runtime (onnxruntime-node, CPU, one thread, graph
// optimizations 'all'): median/min/mean/p90 of --runs timed runs after --warmup runs, as one JSON line.
// Usage: node bench/ort/ort_latency.js MODEL [--runs N] [--warmup N] [--input NAME=FILE.npy]...
//        [--shape NAME=1,3,224,224]... [--opt disabled|basic|extended|all]
'use strict';
const path = require('path');
const { loadOrt, sessionOptions, graphInputs, randomInput, parseArgs } = require('./common');
const { readNpy } = require('./npy');

// Parses NAME=VALUE pairs of a repeated option into a Map.
function pairs(list, opt) {
  const m = new Map();
  for (const s of list || []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new Error(`--${opt} expects NAME=VALUE, got '${s}'`);
    m.set(s.slice(0, eq), s.slice(eq + 1));
  }
  return m;
}

async function main() {
  const { positional, options } = parseArgs(process.argv.slice(2));
  if (positional.length !== 1) {
    console.error('usage: ort_latency.js MODEL [--runs N] [--warmup N] [--input NAME=FILE.npy] [--shape NAME=d,d] [--opt LEVEL]');
    process.exit(2);
  }
  const model = positional[0];
  const runs = Number((options.runs || [50]).pop());
  const warmup = Number((options.warmup || [5]).pop());
  if (!(runs >= 1) || !(warmup >= 0)) throw new Error('--runs must be >= 1 and --warmup >= 0');
  const level = (options.opt || ['all']).pop();
  const files = pairs(options.input, 'input');
  const shapes = pairs(options.shape, 'shape');
  const ort = loadOrt();

  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, sessionOptions(level));
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const infos = graphInputs(model);
  const feeds = {};
  session.inputNames.forEach((name, k) => {
    if (files.has(name)) {
      const a = readNpy(files.get(name));
      feeds[name] = new ort.Tensor(a.type, a.data, a.dims);
      return;
    }
    const info = infos.find((i) => i.name === name) || { name, type: 'float32', dims: [] };
    if (shapes.has(name)) info.dims = shapes.get(name).split(',').map(Number);
    feeds[name] = randomInput(ort, info, k + 1);
  });
  for (const n of [...files.keys(), ...shapes.keys()]) {
    if (!session.inputNames.includes(n)) throw new Error(`model has no input '${n}' (inputs: ${session.inputNames.join(', ')})`);
  }

  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const r3 = (x) => Math.round(x * 1000) / 1000;
  console.log(JSON.stringify({
    tool: 'onnxruntime', version: ort.env.versions ? ort.env.versions.node : undefined,
    model: path.resolve(model), threads: 1, opt: level, runs, warmup,
    inputs: Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, t.dims])),
    median_ms: r3(median), min_ms: r3(sorted[0]), mean_ms: r3(times.reduce((a, b) => a + b, 0) / runs),
    p90_ms: r3(q(0.9)), load_ms: r3(loadMs),
  }));
}

main().catch((e) => { console.error(`ort_latency: ${e.message || e}`); process.exit(1); });
