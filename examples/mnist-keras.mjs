// The Keras beginner tutorial: Sequential Flatten -> Dense 128 ReLU ->
// Dropout 0.2 -> Dense 10, compile / fit / evaluate.
//   node examples/mnist-keras.mjs [--epochs 5] [--batch-size 32] [--lr 1e-3] [--limit N] [--json] [--plots DIR]
import * as tf from '../dist/index.mjs';
import { evaluate, finish, loadData, log, parseFlags, writePlots } from './common.mjs';

const { nn, optim } = tf;
const flags = parseFlags({ epochs: 5, batchSize: 32, lr: 1e-3 });
const { train, test } = loadData(flags);

const model = new nn.Sequential(
  new nn.Flatten(),
  new nn.Linear(784, 128),
  new nn.ReLU(),
  new nn.Dropout(0.2),
  new nn.Linear(128, 10),
).to(flags.device);
model.compile({
  optimizer: new optim.Adam(model.parameters(), { lr: flags.lr }),
  loss: 'sparseCategoricalCrossentropy',
  metrics: ['accuracy'],
});

// One evaluation per epoch on the test set, for the curve and the log.
const history = [];
class TestEval extends tf.train.Callback {
  onEpochEnd(epoch, logs) {
    model.eval();
    const ev = evaluate((x) => model.forward(x), test.images, test.labels);
    model.train();
    history.push({ epoch: epoch + 1, trainLoss: logs.loss, testLoss: ev.loss, testAccuracy: ev.accuracy });
    log(flags, `  test accuracy after epoch ${epoch + 1}: ${(ev.accuracy * 100).toFixed(2)}%`);
  }
}

const start = performance.now();
const hist = await model.fit(train.images, train.labels, {
  epochs: flags.epochs,
  batchSize: flags.batchSize,
  shuffle: true,
  generator: new tf.Generator(flags.seed),
  verbose: flags.json ? 0 : 'auto',
  callbacks: [new TestEval()],
});
const trainSeconds = (performance.now() - start) / 1000;
const result = await model.evaluate(test.images, test.labels, { batchSize: 1000 });
writePlots(flags, 'mnist-keras', history, (x) => model.forward(x), { images: test.images, labels: test.labels });
const steps = Math.ceil(train.images.shape[0] / flags.batchSize) * flags.epochs;
finish(
  flags,
  {
    example: 'mnist-keras',
    test_accuracy: result.accuracy,
    test_loss: result.loss,
    train_seconds: trainSeconds,
    epochs: flags.epochs,
    steps,
    device: flags.device,
    history: history.length ? history : hist.history,
  },
  model.stateDict(),
);
