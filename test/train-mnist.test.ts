// A short MNIST run: 4000 training images, a 784-128-10 MLP, Adam, 2 epochs,
// through compile/fit/evaluate and also a hand-written loop with a
// DataLoader. Stated target: >= 85% on the first 1000 test images.
import { describe, expect, it } from 'vitest';
import { arange, data, Generator, nn, optim, rand, Tensor, tidy } from '../src/index';

class Dense extends nn.Module {
  weight: nn.Parameter;
  bias: nn.Parameter;
  constructor(i: number, o: number, gen: Generator) {
    super();
    // PyTorch's Linear default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias.
    const b = 1 / Math.sqrt(i);
    this.weight = new nn.Parameter(rand([o, i], { generator: gen }).mul(2 * b).sub(b));
    this.bias = new nn.Parameter(rand([o], { generator: gen }).mul(2 * b).sub(b));
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.t()).add(this.bias);
  }
}

class MLP extends nn.Module {
  fc1: Dense;
  fc2: Dense;
  constructor(seed: number) {
    super();
    const g = new Generator(seed);
    this.fc1 = new Dense(784, 128, g);
    this.fc2 = new Dense(128, 10, g);
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x.flatten(1)).relu());
  }
}

const train = data.loadMnist({ train: true, limit: 4000, normalize: true });
const test = data.loadMnist({ train: false, limit: 1000, normalize: true });

describe('MNIST subset', () => {
  it('compile/fit/evaluate reaches >= 85% test accuracy', async () => {
    const model = new MLP(0);
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
    const labels = test.labels.data() as Int32Array;
    expect(pred.filter((p, i) => p === labels[i]).length / 1000).toBeCloseTo(accuracy, 10);
  });

  it('a PyTorch-style loop with DataLoader, SGD momentum and augmentation also learns', () => {
    const model = new MLP(1);
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const ds = new data.TensorDataset(train.images, train.labels);
    ds.transform = data.randomAffine({ degrees: 10, translate: [0.1, 0.1], generator: new Generator(2) });
    const loader = new data.DataLoader(ds, { batchSize: 64, shuffle: true, generator: new Generator(3) });
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const [x, y] of loader) {
        tidy(() => {
          const logits = model.forward(x);
          // Cross-entropy from log-softmax and a one-hot mask, written here.
          const onehot = y.reshape([-1, 1]).eq(arange(10).reshape([1, 10]));
          const loss = logits.logSoftmax(1).mul(onehot).sum(1).mean().neg();
          opt.zeroGrad();
          loss.backward();
          opt.step();
        });
      }
    }
    model.eval();
    const pred = model.predict(test.images).argmax(1).data() as Int32Array;
    const labels = test.labels.data() as Int32Array;
    const acc = pred.filter((p, i) => p === labels[i]).length / 1000;
    console.log(`MNIST loop (SGD + randomAffine): test accuracy ${(acc * 100).toFixed(1)}%`);
    expect(acc).toBeGreaterThanOrEqual(0.8);
  });
});
