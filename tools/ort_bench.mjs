// ONNX Runtime timing of an NCHW model for tools/bench-nn (../shared/tools/ort_run.mjs
// --bench feeds NHWC [1,H,W,3] only; MiDaS takes [1,3,H,W]).
//
//   node tools/ort_bench.mjs MODEL.onnx HxW [--runs 5] [--warmup 1] [--threads 2] [--channels 3]
//
// Feeds a fixed smooth pattern of shape [1,C,H,W] (C = --channels); prints "median <ms> ms" of --runs timed
// runs after --warmup untimed ones (intraOpNumThreads = --threads, interOpNumThreads = 1).
// onnxruntime-node is loaded from $ORT_NODE_PATH, default /tmp/ortnode/node_modules/onnxruntime-node.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require(process.env.ORT_NODE_PATH || '/tmp/ortnode/node_modules/onnxruntime-node');

const args = process.argv.slice(2);
const opts = { runs: 5, warmup: 1, threads: 2, channels: 3, pos: [] };
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') opts.runs = Number(args[++i]);
  else if (args[i] === '--warmup') opts.warmup = Number(args[++i]);
  else if (args[i] === '--threads') opts.threads = Number(args[++i]);
  else if (args[i] === '--channels') opts.channels = Number(args[++i]);
  else opts.pos.push(args[i]);
}
const m = opts.pos.length === 2 ? /^(\d+)x(\d+)$/.exec(opts.pos[1]) : null;
if (!m) {
  console.error('usage: node tools/ort_bench.mjs MODEL.onnx HxW [--runs 5] [--warmup 1] [--threads 2]');
  process.exit(2);
}
const [H, W] = [Number(m[1]), Number(m[2])];
const session = await ort.InferenceSession.create(opts.pos[0], {
  intraOpNumThreads: opts.threads, interOpNumThreads: 1, executionProviders: ['cpu'],
});
const x = new Float32Array(opts.channels * H * W).map((_, i) => 0.9 * Math.sin(i * 0.001));
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, [1, opts.channels, H, W]) };
for (let i = 0; i < opts.warmup; i++) await session.run(feeds);
const times = [];
for (let i = 0; i < opts.runs; i++) {
  const t0 = performance.now();
  await session.run(feeds);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`ORT ${H}x${W} threads=${opts.threads}: median ${times[Math.floor(times.length / 2)].toFixed(1)} ms` +
            ` over ${opts.runs} runs (min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)})`);
