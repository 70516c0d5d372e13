// Issue 7's memory check: mnist-mlp (784-500-10, Adam, batch 100) for N
// epochs with no dispose or tidy calls; prints the peak RSS after epoch 1 and
// after each epoch, and the ratio of the final peak to the epoch-1 peak.
//   node benchmarks/rss-mlp.mjs [--epochs 10]
import * as tf from '../dist/index.mjs';

const i = process.argv.indexOf('--epochs');
const epochs = i >= 0 ? Number(process.argv[i + 1]) : 10;
tf.manualSeed(0);
const { images, labels } = tf.data.loadMnist({ train: true, normalize: true });
const model = new tf.nn.Sequential(new tf.nn.Flatten(), new tf.nn.Linear(784, 500), new tf.nn.ReLU(), new tf.nn.Linear(500, 10));
const opt = new tf.optim.Adam(model.parameters(), { lr: 1e-3 });
const loader = new tf.data.DataLoader(new tf.data.TensorDataset(images, labels), { batchSize: 100, shuffle: true });
let peak = 0;
let peak1 = 0;
for (let e = 1; e <= epochs; e++) {
  let step = 0;
  for (const [x, y] of loader) {
    const loss = tf.nn.functional.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (++step % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  if (e === 1) peak1 = peak;
  console.log(`epoch ${e}: peak RSS ${(peak / 2 ** 20).toFixed(1)} MB (${(peak / peak1).toFixed(3)}x epoch 1)`);
}
console.log(JSON.stringify({ epochs, peak_rss_epoch1_mb: peak1 / 2 ** 20, peak_rss_final_mb: peak / 2 ** 20, ratio: peak / peak1 }));
