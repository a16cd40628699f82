// ONNX Runtime side of tools/peer_pipeline.py: loads an AnimeGAN-family ONNX model once
// and runs it on raw float32 NHWC files named on standard input.
//
//   node tools/peer_ort.mjs MODEL.onnx [--threads N]
//
// Prints "ready" when the session is loaded. Then, per request line
// "H W IN.f32 OUT.f32" on stdin (IN: H*W*3 little-endian float32, the model's input
// [1,H,W,3]), runs the model, writes its output (same layout) to OUT.f32 and answers
// "done <run ms>". End of stdin ends the process. intraOpNumThreads = --threads (default 2).
// onnxruntime-node is loaded from $ORT_NODE_PATH, default /tmp/ortnode/node_modules/onnxruntime-node.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const ort = require(process.env.ORT_NODE_PATH || '/tmp/ortnode/node_modules/onnxruntime-node');

const args = process.argv.slice(2);
let threads = 2;
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') threads = Number(args[++i]);
  else pos.push(args[i]);
}
if (pos.length !== 1) {
  console.error('usage: node peer_ort.mjs MODEL.onnx [--threads N]');
  process.exit(2);
}

const session = await ort.InferenceSession.create(pos[0], {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'],
});
const inName = session.inputNames[0];
const outName = session.outputNames[0];
process.stdout.write('ready\n');

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  const [h, w, inPath, outPath] = line.trim().split(/\s+/);
  const H = Number(h), W = Number(w);
  const buf = fs.readFileSync(inPath);
  if (buf.length !== H * W * 3 * 4) {
    console.error(`peer_ort: ${inPath}: ${buf.length} bytes, expected ${H * W * 12}`);
    process.exit(1);
  }
  const x = new Float32Array(buf.buffer, buf.byteOffset, H * W * 3);
  const t0 = performance.now();
  const res = await session.run({ [inName]: new ort.Tensor('float32', x, [1, H, W, 3]) });
  const dt = performance.now() - t0;
  const y = res[outName].data;
  fs.writeFileSync(outPath, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  process.stdout.write(`done ${dt.toFixed(1)}\n`);
}
