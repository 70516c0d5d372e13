// A short MNIST run: 4000 training images, a 784-128-10 MLP (nn.Sequential),
// 2 epochs, through compile/fit/evaluate, and a PyTorch-style loop with a
// DataLoader and augmentation. Stated target: >= 85% on the first 1000 test
// images (measured: about 87-89% depending on the seed, in about a second).
import { describe, expect, it } from 'vitest';
import { data, Generator, manualSeed, nn, optim, tidy } from '../src/index';

const mlp = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));

const train = data.loadMnist({ train: true, limit: 4000, normalize: true });
const test = data.loadMnist({ train: false, limit: 1000, normalize: true });
const labels = test.labels.data() as Int32Array;

describe('MNIST subset', () => {
  it('compile/fit/evaluate on a Sequential reaches >= 85% test accuracy', async () => {
    manualSeed(0);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const t0 = performance.now();
    const h = await model.fit(train.images, train.labels, { epochs: 2, batchSize: 32, verbose: 0, generator: new Generator(1) });
    const seconds = (performance.now() - t0) / 1000;
    const { loss, accuracy } = await model.evaluate(test.images, test.labels);
    console.log(`MNIST fit: 4000 train images, 2 epochs in ${seconds.toFixed(2)} s; test accuracy ${(accuracy * 100).toFixed(1)}% (loss ${loss.toFixed(3)})`);
    expect(h.history.loss[1]).toBeLessThan(h.history.loss[0]);
    expect(accuracy).toBeGreaterThanOrEqual(0.85);
    // evaluate's accuracy agrees with predict's argmax.
    const pred = model.predict(test.images).argmax(1).data() as Int32Array;
    expect(pred.filter((p, i) => p === labels[i]).length / 1000).toBeCloseTo(accuracy, 10);
  });

  it('a PyTorch-style loop with a DataLoader, SGD momentum and augmentation also learns', () => {
    manualSeed(1);
    const model = mlp();
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const ds = new data.TensorDataset(train.images, train.labels);
    ds.transform = data.randomAffine({ degrees: 10, translate: [0.1, 0.1], generator: new Generator(2) });
    const loader = new data.DataLoader(ds, { batchSize: 64, shuffle: true, generator: new Generator(3) });
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const [x, y] of loader) {
        tidy(() => {
          const loss = nn.functional.crossEntropy(model.forward(x), y);
          opt.zeroGrad();
          loss.backward();
          opt.step();
        });
      }
    }
    const pred = model.predict(test.images).argmax(1).data() as Int32Array;
    const acc = pred.filter((p, i) => p === labels[i]).length / 1000;
    console.log(`MNIST loop (SGD + randomAffine): test accuracy ${(acc * 100).toFixed(1)}%`);
    expect(acc).toBeGreaterThanOrEqual(0.8);
  });
});
