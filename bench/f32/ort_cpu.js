#!/usr/bin/env node
// ONNX Runtime fp32 latency measured as process CPU time per run (user+system), the same measure
// bench_model uses (thread CPU time), so the comparison holds on a shared, oversubscribed machine
// where wall time mostly measures the other tenants. One intra-op thread, optimizations 'all'.
// Usage: node bench/f32/ort_cpu.js MODEL [runs]     (prints min and median CPU ms per run)
'use strict';
const path = require('path');
const { loadOrt, sessionOptions, graphInputs, randomInput } = require('../ort/common');

async function main() {
  const model = process.argv[2];
  const runs = Number(process.argv[3] || 30);
  if (!model) {
    console.error('usage: ort_cpu.js MODEL [runs]');
    process.exit(2);
  }
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(model, sessionOptions('all'));
  const infos = graphInputs(model);
  const feeds = {};
  session.inputNames.forEach((name, k) => {
    const info = infos.find((i) => i.name === name) || { name, type: 'float32', dims: [] };
    feeds[name] = randomInput(ort, info, k + 1);
  });
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const cpu = [];
  const wall = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    await session.run(feeds);
    const c = process.cpuUsage(c0);
    wall.push(Number(process.hrtime.bigint() - w0) / 1e6);
    cpu.push((c.user + c.system) / 1e3);
  }
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  const r3 = (x) => Math.round(x * 1000) / 1000;
  console.log(`${path.basename(model)}: ORT cpu min ${r3(Math.min(...cpu))} ms, median ${r3(med(cpu))} ms;`
    + ` wall min ${r3(Math.min(...wall))} ms, median ${r3(med(wall))} ms over ${runs} runs (1 thread)`);
}

main().catch((e) => { console.error(`ort_cpu: ${e.message || e}`); process.exit(1); });
