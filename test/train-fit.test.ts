// Keras-style compile/fit/evaluate/predict and the callbacks, on tiny
// problems whose answers are known in closed form (a linear map, XOR).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callbacks, data, Generator, io, memoryStats, nn, optim, rand, randn, tensor, Tensor } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'tf-train-'));

/** Uniform(-b, b) init, b = 1/sqrt(fanIn), from a seeded generator. */
function param(shape: number[], fanIn: number, gen: Generator): nn.Parameter {
  const b = 1 / Math.sqrt(fanIn);
  return new nn.Parameter(rand(shape, { generator: gen }).mul(2 * b).sub(b));
}

class Linear extends nn.Module {
  weight: nn.Parameter;
  bias: nn.Parameter;
  constructor(i: number, o: number, gen: Generator) {
    super();
    this.weight = param([o, i], i, gen);
    this.bias = param([o], i, gen);
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.t()).add(this.bias);
  }
}

class MLP extends nn.Module {
  fc1: Linear;
  fc2: Linear;
  constructor(i: number, h: number, o: number, seed = 0) {
    super();
    const g = new Generator(seed);
    this.fc1 = new Linear(i, h, g);
    this.fc2 = new Linear(h, o, g);
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x.flatten(1)).relu());
  }
}

/** y = 3·x0 - 2·x1 + 1 on 256 seeded points. */
function linearProblem() {
  const x = randn([256, 2], { generator: new Generator(1) });
  const xs = x.toArray() as number[][];
  const y = tensor(Float32Array.from(xs.map(([a, b]) => 3 * a - 2 * b + 1)), { shape: [256, 1] });
  return { x, y };
}

const xor = () => ({
  x: tensor(Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]), { shape: [4, 2] }),
  y: tensor(Float32Array.from([0, 1, 1, 0]), { shape: [4, 1] }),
});

/** Replaces a logged value with a scripted sequence (to drive the callbacks under test). */
class Script extends callbacks.Callback {
  constructor(private key: string, private values: number[]) {
    super();
  }
  override onEpochEnd(epoch: number, logs: callbacks.Logs): void {
    logs[this.key] = this.values[epoch];
  }
}

/** Clones the weights after every epoch. */
class Snapshots extends callbacks.Callback {
  weights: number[][] = [];
  override onEpochEnd(): void {
    this.weights.push(Array.from((this.model as MLP).fc1.weight.data() as Float32Array));
  }
}

afterEach(() => vi.restoreAllMocks());

describe('fit', () => {
  it('linear regression converges and EarlyStopping ends it', async () => {
    const { x, y } = linearProblem();
    const model = new Linear(2, 1, new Generator(2));
    model.compile({ optimizer: { name: 'sgd', lr: 0.1 }, loss: 'mse', metrics: ['mae'] });
    const stop = new callbacks.EarlyStopping({ monitor: 'loss', patience: 2, minDelta: 1e-7 });
    const h = await model.fit(x, y, { epochs: 300, batchSize: 32, verbose: 0, callbacks: [stop], generator: new Generator(3) });
    const epochs = h.history.loss.length;
    expect(epochs).toBeLessThan(300);
    expect(stop.stoppedEpoch).toBe(epochs - 1);
    expect(h.history.loss[epochs - 1]).toBeLessThan(1e-8);
    const w = Array.from(model.weight.data() as Float32Array);
    expect(w[0]).toBeCloseTo(3, 3);
    expect(w[1]).toBeCloseTo(-2, 3);
    expect(model.bias.item()).toBeCloseTo(1, 3);
    expect(h.history.mae.length).toBe(epochs);
  });

  it('XOR: a small MLP reaches accuracy 1 with bceWithLogits', async () => {
    const { x, y } = xor();
    const model = new MLP(2, 16, 1, 4);
    model.compile({ optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }), loss: 'bceWithLogits', metrics: ['accuracy'] });
    const stop = new callbacks.EarlyStopping({ monitor: 'loss', patience: 5, baseline: 0.02 });
    const h = await model.fit(x, y, { epochs: 400, batchSize: 4, verbose: 0, callbacks: [stop] });
    expect(h.history.accuracy.at(-1)).toBe(1);
    expect(h.history.loss.at(-1)!).toBeLessThan(0.05);
    const logits = model.predict(x).data() as Float32Array;
    expect(Array.from(logits, (v) => (v > 0 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    expect(await model.evaluate(x, y)).toMatchObject({ accuracy: 1 });
  });

  it('EarlyStopping counts patience, respects minDelta and restores the best weights', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    // val_loss per epoch: best at epoch 2; 3.05 is not better by minDelta 0.1.
    const script = new Script('val_loss', [5, 4, 3, 3.05, 3.5, 3.2, 1, 1]);
    const snaps = new Snapshots();
    const stop = new callbacks.EarlyStopping({ patience: 3, minDelta: 0.1, restoreBestWeights: true });
    const h = await model.fit(x, y, { epochs: 8, verbose: 0, callbacks: [script, snaps, stop] });
    expect(h.history.val_loss).toEqual([5, 4, 3, 3.05, 3.5, 3.2]);
    expect(stop.stoppedEpoch).toBe(5);
    expect(stop.bestEpoch).toBe(2);
    expect(Array.from(model.fc1.weight.data() as Float32Array)).toEqual(snaps.weights[2]);
    expect(snaps.weights[5]).not.toEqual(snaps.weights[2]);
  });

  it('validationSplit holds out the last samples; evaluate/predict use eval mode and restore it', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 8, 1);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const h = await model.fit(x, y, { epochs: 2, batchSize: 64, validationSplit: 0.25, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(['loss', 'val_loss']);
    const held = await model.evaluate(x.narrow(0, 192, 64), y.narrow(0, 192, 64), { batchSize: 7 });
    expect(held.loss).toBeCloseTo(h.history.val_loss[1], 5);
    // evaluate's loss is the batch-size-weighted mean, equal to one pass over all samples.
    const full = model.predict(x, { batchSize: 50 });
    expect(full.shape).toEqual([256, 1]);
    const p = full.data() as Float32Array;
    const t = y.data() as Float32Array;
    let mse = 0;
    for (let i = 0; i < 256; i++) mse += (p[i] - t[i]) ** 2 / 256;
    expect((await model.evaluate(x, y, { batchSize: 100 })).loss).toBeCloseTo(mse, 4);
    expect(model.training).toBe(true);
  });

  it('trains from a DataLoader and a Dataset, with validationData', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 8, 1);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 32, shuffle: true, generator: new Generator(0) });
    const h = await model.fit(loader, { epochs: 2, verbose: 0, validationData: [x, y] });
    expect(h.history.loss.length).toBe(2);
    expect(h.history.val_loss.length).toBe(2);
    const h2 = await model.fit(new data.TensorDataset(x, y), { epochs: 1, verbose: 0, validationData: loader });
    expect(h2.history.val_loss.length).toBe(1);
  });

  it('ModelCheckpoint writes safetensors when the monitored value improves', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const path = join(dir, 'ckpt-{epoch:02d}-{val_loss:.2f}.safetensors');
    const ckpt = new callbacks.ModelCheckpoint(path, { saveBestOnly: true });
    const snaps = new Snapshots();
    await model.fit(x, y, { epochs: 5, verbose: 0, callbacks: [new Script('val_loss', [3, 2, 2.5, 1, 1.5]), snaps, ckpt] });
    expect(ckpt.saved.map((p) => p.slice(dir.length + 1))).toEqual(['ckpt-01-3.00.safetensors', 'ckpt-02-2.00.safetensors', 'ckpt-04-1.00.safetensors']);
    const best = io.load(ckpt.saved[2]);
    expect(Object.keys(best).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    expect(Array.from(best['fc1.weight'].data() as Float32Array)).toEqual(snaps.weights[3]);
    expect(io.loadMetadata(ckpt.saved[2])).toMatchObject({ epoch: '4', val_loss: '1' });
  });

  it('LearningRateScheduler from a function or an optim scheduler; logs lr', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    model.compile({ optimizer: { name: 'sgd', lr: 0.01 }, loss: 'mse' });
    const h = await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [new callbacks.LearningRateScheduler((e, lr) => (e === 0 ? 0.04 : lr / 2))] });
    expect(h.history.lr).toEqual([0.04, 0.02, 0.01]);
    const sched = new optim.lrScheduler.StepLR(model.optimizer!, { stepSize: 1, gamma: 0.5 });
    const h2 = await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [new callbacks.LearningRateScheduler(sched)] });
    expect(h2.history.lr).toEqual([0.01, 0.005, 0.0025]);
    const steps = Math.ceil(256 / 32);
    const one = new optim.lrScheduler.OneCycleLR(model.optimizer!, { maxLr: 0.05, totalSteps: 2 * steps });
    await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new callbacks.LearningRateScheduler(one)] });
    expect(one.lastEpoch).toBe(2 * steps); // stepped once per batch
  });

  it('CSV and JSON-lines loggers write one row per epoch', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const csv = join(dir, 'h.csv');
    const jsonl = join(dir, 'h.jsonl');
    const h = await model.fit(x, y, { epochs: 3, verbose: 0, validationSplit: 0.5, callbacks: [new callbacks.CSVLogger(csv), new callbacks.JSONLinesLogger(jsonl)] });
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,loss,mae,val_loss,val_mae');
    expect(rows.length).toBe(4);
    expect(Number(rows[3].split(',')[1])).toBe(h.history.loss[2]);
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(lines[1].val_mae).toBe(h.history.val_mae[1]);
  });

  it('prints one plain line per epoch when stdout is not a TTY', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const tty = process.stdout.isTTY;
    (process.stdout as { isTTY: boolean }).isTTY = false;
    try {
      await model.fit(x, y, { epochs: 2, batchSize: 64 });
    } finally {
      (process.stdout as { isTTY: boolean | undefined }).isTTY = tty;
    }
    const text = out.join('');
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(text).toMatch(/^Epoch 1\/2 - 4 steps - [\d.]+s - \d+ samples\/s - loss: [\d.]+\nEpoch 2\/2/);
    expect(text).not.toContain('\r');
  });

  it('draws a progress bar with metrics, throughput and ETA on a TTY', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const tty = process.stdout.isTTY;
    (process.stdout as { isTTY: boolean }).isTTY = true;
    try {
      await model.fit(x, y, { epochs: 1, batchSize: 16 });
    } finally {
      (process.stdout as { isTTY: boolean | undefined }).isTTY = tty;
    }
    // The bar for the last batch is always drawn, then the epoch summary ends the line.
    expect(out.some((s) => /^\rEpoch 1\/1 \[=+\] 16\/16 - loss: [\d.]+ - mae: [\d.]+ - \d+ samples\/s - ETA 0\.0s/.test(s))).toBe(true);
    expect(out.at(-1)).toMatch(/^\rEpoch 1\/1 - 16 steps - .* - loss: [\d.]+ - mae: [\d.]+\x1b\[K\n$/);
  });

  it('frees every batch temporary and old gradient as it goes (memory does not grow with epochs)', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 64, 1);
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, validationSplit: 0.25 });
    const before = memoryStats().liveBytes;
    await model.fit(x, y, { epochs: 4, batchSize: 16, verbose: 0, validationSplit: 0.25 });
    expect(memoryStats().liveBytes).toBeLessThanOrEqual(before + 4096);
  });

  it('keeps the event loop responsive', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    let ticks = 0;
    const t = setInterval(() => ticks++, 0);
    await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, yieldEveryMs: 0 });
    clearInterval(t);
    expect(ticks).toBeGreaterThan(3);
  });

  it('clear errors', async () => {
    const { x, y } = linearProblem();
    const model = new MLP(2, 4, 1);
    await expect(model.fit(x, y)).rejects.toThrow(/compile/);
    expect(() => model.compile({ loss: 'hinge' })).toThrow(/unknown loss "hinge"/);
    expect(() => model.compile({ loss: 'mse', optimizer: 'lbfgs' as never })).toThrow(/unknown optimizer/);
    expect(() => model.compile({ loss: 'mse', metrics: ['f1'] })).toThrow(/unknown metric/);
    model.compile({ loss: 'mse' });
    expect(model.optimizer).toBeInstanceOf(optim.Adam);
    await expect(model.fit(x, y.narrow(0, 0, 10), { verbose: 0 })).rejects.toThrow(/same number of samples/);
    await expect(model.fit(x, y, { verbose: 0, validationSplit: 1.5 })).rejects.toThrow(/validationSplit/);
    await expect(model.fit(x, y, { verbose: 0, callbacks: [new callbacks.EarlyStopping()] })).rejects.toThrow(/'val_loss' is not among the logged values/);
    const clf = new MLP(2, 4, 3);
    clf.compile({ loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await expect(clf.fit(x, tensor(Int32Array.from({ length: 256 }, () => 5)), { verbose: 0 })).rejects.toThrow(/out of range for 3 classes/);
  });
});
