// The addon is context-aware: several worker threads load it at once and
// each trains its own tiny model, with results identical to the main thread.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const script = `
const { parentPort, workerData } = require('node:worker_threads');
const tf = require(${JSON.stringify(join(root, 'dist', 'index.js'))});
tf.manualSeed(workerData.seed);
const w = tf.randn([4, 1], { requiresGrad: true });
const x = tf.randn([32, 4]);
const y = x.matmul(tf.tensor([[1], [-2], [3], [0.5]]));
let loss;
for (let i = 0; i < 200; i++) {
  loss = x.matmul(w).sub(y).square().mean();
  loss.backward();
  tf.noGrad(() => w.subInPlace(w.grad.mul(0.1)));
  w.grad = null;
}
parentPort.postMessage({ loss: loss.item(), w: Array.from(w.data()) });
`;

function train(seed: number): Promise<{ loss: number; w: number[] }> {
  return new Promise((resolve, reject) => {
    const wk = new Worker(script, { eval: true, workerData: { seed } });
    wk.once('message', resolve);
    wk.once('error', reject);
  });
}

describe('worker_threads', () => {
  it('four workers load the addon concurrently and each trains', async () => {
    const results = await Promise.all([1, 2, 3, 1].map(train));
    for (const r of results) {
      expect(r.loss).toBeLessThan(1e-4);
      r.w.forEach((v, i) => expect(v).toBeCloseTo([1, -2, 3, 0.5][i], 2));
    }
    // Same seed, same numbers, whichever thread ran it.
    expect(results[3]).toEqual(results[0]);
  });
});
