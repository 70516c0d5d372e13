// LSTM forward + backward time next to the same model in TensorFlow.js (CPU
// backend and WASM backend), in one run so the ratios are comparable on a
// shared machine. Shape (stated in the output): batch 64, 28 steps, 28 inputs,
// 128 hidden units, one layer; the loss is the sum of the last hidden state,
// and the gradients of every LSTM weight are computed.
//
//   node benchmarks/lstm.mjs [--batch 64] [--steps 28] [--input 28] [--hidden 128]
//                            [--iters N] [--threads N] [--no-tfjs] [--json out.json]
//
// Timings are the median of N iterations after warm-up (fwd + bwd of one batch);
// "per sequence" divides by the batch size.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '../dist/index.mjs';

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '28' },
    input: { type: 'string', default: '28' },
    hidden: { type: 'string', default: '128' },
    iters: { type: 'string', default: '20' },
    threads: { type: 'string' },
    'no-tfjs': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const [B, T, I, H, iters] = ['batch', 'steps', 'input', 'hidden', 'iters'].map((k) => Number(values[k]));
if (values.threads) tf.setNumThreads(Number(values.threads));

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
async function time(fn) {
  for (let i = 0; i < 3; i++) await fn();
  const ts = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

// ---- tensorforge ------------------------------------------------------------
tf.manualSeed(0);
const lstm = new tf.nn.LSTM(I, H, { batchFirst: true });
const x = tf.randn([B, T, I]);
const ours = await time(() =>
  tf.tidy(() => {
    lstm.zeroGrad();
    const [, [hN]] = lstm.forward(x);
    hN.sum().backward();
    lstm.weight_hh_l0.grad.data(); // wait for the result
  }),
);
const oursFwd = await time(() => tf.tidy(() => tf.noGrad(() => lstm.forward(x)[0].sum().item())));
const rows = [{ name: `tensorforge (${tf.backendInfo().isa}, ${tf.getNumThreads()} threads)`, fwdBwdMs: ours, fwdMs: oursFwd }];

// ---- TensorFlow.js ----------------------------------------------------------
if (!values['no-tfjs']) {
  const tfjs = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  for (const backend of ['cpu', 'wasm']) {
    if (!(await tfjs.setBackend(backend))) {
      rows.push({ name: `tfjs ${backend}`, error: 'backend unavailable' });
      continue;
    }
    await tfjs.ready();
    // The same model: one LSTM layer (Keras gate layout), last hidden state out.
    const model = tfjs.sequential({ layers: [tfjs.layers.lstm({ units: H, inputShape: [T, I], returnSequences: false })] });
    const tx = tfjs.randomNormal([B, T, I]);
    const fwdBwd = await time(async () => {
      const { value, grads } = tfjs.variableGrads(() => model.apply(tx).sum());
      await grads[Object.keys(grads)[0]].data();
      tfjs.dispose([value, ...Object.values(grads)]);
    });
    const fwd = await time(async () => {
      const y = tfjs.tidy(() => model.apply(tx).sum());
      await y.data();
      y.dispose();
    });
    rows.push({ name: `tfjs ${backend}${backend === 'wasm' ? ` (${wasm.getThreadsCount?.() ?? '?'} threads)` : ''}`, fwdBwdMs: fwdBwd, fwdMs: fwd });
    tfjs.dispose([tx]);
    model.layers.forEach((l) => l.dispose?.());
  }
}

console.log(`LSTM batch ${B}, ${T} steps, ${I} inputs, ${H} hidden (1 layer), median of ${iters}:`);
console.log('backend'.padEnd(40) + 'fwd+bwd ms/batch'.padStart(18) + 'us/sequence'.padStart(14) + 'fwd ms/batch'.padStart(14) + '  tensorforge speed-up');
for (const r of rows) {
  if (r.error) {
    console.log(r.name.padEnd(40) + `  ${r.error}`);
    continue;
  }
  const ratio = r === rows[0] ? '' : `x${(r.fwdBwdMs / ours).toFixed(1)} (fwd+bwd), x${(r.fwdMs / oursFwd).toFixed(1)} (fwd)`;
  console.log(
    r.name.padEnd(40) + r.fwdBwdMs.toFixed(2).padStart(18) + ((r.fwdBwdMs * 1000) / B).toFixed(1).padStart(14) + r.fwdMs.toFixed(2).padStart(14) + '  ' + ratio,
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify({ shape: { B, T, I, H }, rows }, null, 2));
