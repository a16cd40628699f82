// Runs a float16-input ONNX model in ONNX Runtime (onnxruntime-node) on raw
// data, for tools/make-nn-goldens' report of what float16 execution costs:
//   node tools/ort_fp16.mjs MODEL.onnx IN.f16 N,H,W,C OUT.f16 [--threads N]
// IN.f16 / OUT.f16: little-endian IEEE float16 values, C order, no header
// (numpy: a.astype('<f2').tofile(path)). Prints the output shape.
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const ort = require(process.env.ORT_NODE_PATH || '/tmp/ortnode/node_modules/onnxruntime-node');

const args = process.argv.slice(2);
let threads = 2;
const ti = args.indexOf('--threads');
if (ti >= 0) { threads = Number(args[ti + 1]); args.splice(ti, 2); }
if (args.length !== 4) { console.error('usage: node ort_fp16.mjs MODEL.onnx IN.f16 N,H,W,C OUT.f16 [--threads N]'); process.exit(1); }
const [model, inPath, dimsArg, outPath] = args;
const dims = dimsArg.split(',').map(Number);
const buf = fs.readFileSync(inPath);
const count = dims.reduce((a, b) => a * b, 1);
if (buf.length !== count * 2) { console.error(`${inPath}: ${buf.length} bytes, shape needs ${count * 2}`); process.exit(1); }
const x = new Uint16Array(count);
new Uint8Array(x.buffer).set(buf);
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'],
});
const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float16', x, dims) });
const y = res[session.outputNames[0]];
if (y.type !== 'float16') { console.error(`output type ${y.type}, expected float16`); process.exit(1); }
const raw = y.data instanceof Uint16Array ? y.data : new Uint16Array(y.data.buffer, y.data.byteOffset, y.data.length);
fs.writeFileSync(outPath, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
console.log(`ran ${dims.join('x')} -> ${y.dims.join('x')} (float16)`);
