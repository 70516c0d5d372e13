// Shared plumbing for the MNIST examples: flags, data, evaluation, progress
// output, the final JSON line and the pictures. Each example keeps its model
// and training loop in its own file so it reads like the PyTorch/Keras tutorial
// it mirrors.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '../dist/index.mjs';

/**
 * Parses the flags every example takes. `defaults` sets per-example values.
 * --epochs N --batch-size N --lr X --limit N --seed N --device cpu|cuda
 * --save PATH --json --plots DIR --threads N
 */
export function parseFlags(defaults) {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
      seed: { type: 'string' },
      device: { type: 'string' },
      save: { type: 'string' },
      json: { type: 'boolean' },
      plots: { type: 'string' },
      threads: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'flags: --epochs N --batch-size N --lr X --limit N (train images) --test-limit N --seed N ' +
        '--device cpu|cuda --save model.safetensors --json --plots DIR --threads N',
    );
    process.exit(0);
  }
  const num = (k, d, int = true) => {
    if (values[k] === undefined) return d;
    const v = Number(values[k]);
    if (!Number.isFinite(v) || (int && !Number.isInteger(v)) || v < 0) {
      console.error(`--${k}: expected a ${int ? 'non-negative integer' : 'number'}, got ${values[k]}`);
      process.exit(2);
    }
    return v;
  };
  const flags = {
    epochs: num('epochs', defaults.epochs),
    batchSize: num('batch-size', defaults.batchSize),
    lr: num('lr', defaults.lr, false),
    limit: values.limit === undefined ? undefined : num('limit'),
    testLimit: values['test-limit'] === undefined ? undefined : num('test-limit'),
    seed: num('seed', 0),
    device: values.device ?? 'cpu',
    save: values.save,
    json: values.json ?? false,
    plots: values.plots,
  };
  if (flags.device !== 'cpu' && flags.device !== 'cuda') {
    console.error(`--device: expected cpu or cuda, got ${flags.device}`);
    process.exit(2);
  }
  if (flags.device === 'cuda' && !tf.cuda.isAvailable()) {
    console.error(`--device cuda: ${tf.cuda.unavailableReason()}`);
    process.exit(2);
  }
  if (values.threads !== undefined) tf.setNumThreads(num('threads'));
  tf.manualSeed(flags.seed);
  return flags;
}

/** MNIST train and test tensors (images standardized with the training mean/std), on the device. */
export function loadData(flags) {
  const t0 = performance.now();
  const train = tf.data.loadMnist({ train: true, limit: flags.limit, normalize: true, device: flags.device });
  const test = tf.data.loadMnist({ train: false, limit: flags.testLimit, normalize: true, device: flags.device });
  log(flags, `MNIST: ${train.images.shape[0]} training and ${test.images.shape[0]} test images (${((performance.now() - t0) / 1000).toFixed(2)} s to load)`);
  return { train, test };
}

/** Prints unless --json is set (then only the final JSON line goes to stdout). */
export function log(flags, msg) {
  if (flags.json) console.error(msg);
  else console.log(msg);
}

/** Mean cross-entropy and accuracy of `forward` on (images, labels), in eval mode and without grad. */
export function evaluate(forward, images, labels, batchSize = 1000) {
  return tf.noGrad(() => {
    const n = images.shape[0];
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < n; s += batchSize) {
      const len = Math.min(batchSize, n - s);
      const x = images.narrow(0, s, len);
      const y = labels.narrow(0, s, len);
      const out = forward(x);
      lossSum += tf.nn.functional.crossEntropy(out, y, { reduction: 'sum' }).item();
      correct += out.argmax(1).eq(y).sum().item();
    }
    return { loss: lossSum / n, accuracy: correct / n };
  });
}

/** A one-line progress report that rewrites itself on a TTY. */
export function progress(flags, epoch, epochs, step, steps, loss, startMs) {
  if (flags.json || !process.stdout.isTTY) return;
  const secs = (performance.now() - startMs) / 1000;
  const rate = step / Math.max(secs, 1e-9);
  const eta = (steps - step) / Math.max(rate, 1e-9);
  const width = 24;
  const done = Math.round((width * step) / steps);
  process.stdout.write(
    `\repoch ${epoch}/${epochs} [${'='.repeat(done)}${' '.repeat(width - done)}] ${step}/${steps} loss ${loss.toFixed(4)} ` +
      `${rate.toFixed(0)} steps/s ETA ${eta.toFixed(0)}s   `,
  );
  if (step === steps) process.stdout.write('\n');
}

/** Writes the training curve and a grid of test digits with predicted/true labels into --plots DIR. */
export function writePlots(flags, name, history, forward, test) {
  if (!flags.plots) return;
  mkdirSync(flags.plots, { recursive: true });
  const epochs = history.map((h) => h.epoch);
  writeFileSync(
    join(flags.plots, `${name}-curve.svg`),
    tf.viz.lineChart(
      [
        { name: 'train loss', x: epochs, values: history.map((h) => h.trainLoss) },
        { name: 'test loss', x: epochs, values: history.map((h) => h.testLoss) },
        { name: 'test accuracy', x: epochs, values: history.map((h) => h.testAccuracy) },
      ],
      { title: `${name}: loss and accuracy per epoch`, xLabel: 'epoch' },
    ),
  );
  const n = Math.min(32, test.images.shape[0]);
  const x = test.images.narrow(0, 0, n);
  const pred = tf.noGrad(() => forward(x).argmax(1)).toArray();
  const truth = test.labels.narrow(0, 0, n).toArray();
  writeFileSync(
    join(flags.plots, `${name}-digits.svg`),
    tf.viz.imageGrid(x.cpu(), {
      labels: pred.map((p, i) => `${p} (true ${truth[i]})`),
      highlight: pred.map((p, i) => p !== truth[i]),
      title: `${name}: predicted (true) on the first ${n} test digits`,
    }),
  );
  log(flags, `plots written to ${flags.plots}/${name}-curve.svg and ${name}-digits.svg`);
}

/** Ends the run: the test accuracy line, the optional saved weights, and the --json summary. */
export function finish(flags, summary, stateDict) {
  if (flags.save) {
    tf.io.save(stateDict, flags.save);
    log(flags, `weights saved to ${flags.save} (safetensors)`);
  }
  log(flags, `test accuracy ${(summary.test_accuracy * 100).toFixed(2)}%  test loss ${summary.test_loss.toFixed(4)}  (${summary.train_seconds.toFixed(1)} s training)`);
  if (flags.json) console.log(JSON.stringify(summary));
}

/**
 * The PyTorch-tutorial training loop shared by mnist-mlp and mnist-cnn:
 * shuffle, forward, crossEntropy, zeroGrad, backward, step; evaluate per epoch.
 */
export function trainLoop(flags, name, model, optimizer, forward, { train, test }) {
  const loader = new tf.data.DataLoader(new tf.data.TensorDataset(train.images, train.labels), {
    batchSize: flags.batchSize,
    shuffle: true,
    generator: new tf.Generator(flags.seed),
  });
  const history = [];
  let steps = 0;
  let trainSeconds = 0;
  for (let epoch = 1; epoch <= flags.epochs; epoch++) {
    model.train();
    const start = performance.now();
    const nSteps = loader.length;
    let step = 0;
    let lossSum = 0;
    for (const [x, y] of loader) {
      // tidy frees this step's intermediates now rather than at the next GC.
      const loss = tf.tidy(() => {
        const l = tf.nn.functional.crossEntropy(forward(x), y);
        optimizer.zeroGrad();
        l.backward();
        optimizer.step();
        return l.item();
      });
      lossSum += loss;
      step++;
      steps++;
      if (step % 20 === 0 || step === nSteps) progress(flags, epoch, flags.epochs, step, nSteps, lossSum / step, start);
    }
    const secs = (performance.now() - start) / 1000;
    trainSeconds += secs;
    model.eval();
    const ev = evaluate(forward, test.images, test.labels);
    history.push({ epoch, trainLoss: lossSum / Math.max(step, 1), testLoss: ev.loss, testAccuracy: ev.accuracy });
    log(
      flags,
      `epoch ${epoch}/${flags.epochs}: train loss ${(lossSum / Math.max(step, 1)).toFixed(4)}, test loss ${ev.loss.toFixed(4)}, ` +
        `test accuracy ${(ev.accuracy * 100).toFixed(2)}% (${secs.toFixed(1)} s, ${(step / secs).toFixed(0)} steps/s)`,
    );
  }
  writePlots(flags, name, history, forward, test);
  const last = history[history.length - 1] ?? evaluate(forward, test.images, test.labels);
  finish(
    flags,
    {
      example: name,
      test_accuracy: last.testAccuracy ?? last.accuracy,
      test_loss: last.testLoss ?? last.loss,
      train_seconds: trainSeconds,
      epochs: flags.epochs,
      steps,
      device: flags.device,
      history,
    },
    model.stateDict(),
  );
}
