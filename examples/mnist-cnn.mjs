// A small CNN: Conv(1->32,3)+ReLU+MaxPool -> Conv(32->64,3)+ReLU+MaxPool ->
// Linear(1600->128)+ReLU -> Linear(128->10), Adam, cross-entropy.
//   node examples/mnist-cnn.mjs [--epochs 1] [--batch-size 100] [--lr 1e-3] [--limit N] [--json] [--plots DIR]
import * as tf from '../dist/index.mjs';
import { loadData, log, parseFlags, trainLoop } from './common.mjs';

const { nn, optim } = tf;
const flags = parseFlags({ epochs: 1, batchSize: 100, lr: 1e-3 });
const data = loadData(flags);

const model = new nn.Sequential(
  new nn.Conv2d(1, 32, 3),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Conv2d(32, 64, 3),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(1600, 128),
  new nn.ReLU(),
  new nn.Linear(128, 10),
).to(flags.device);
const optimizer = new optim.Adam(model.parameters(), { lr: flags.lr });
log(flags, `${model}\n${tf.backendInfo().isa} kernels, ${tf.getNumThreads()} threads, device ${flags.device}`);
trainLoop(flags, 'mnist-cnn', model, optimizer, (x) => model.forward(x), data);
