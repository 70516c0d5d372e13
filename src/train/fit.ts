/**
 * Keras-style training on any Module: `compile`, `fit`, `evaluate`,
 * `predict`, added to Module.prototype through module augmentation (this file
 * is imported by the package index, so every model has them).
 *
 * Each training step runs inside `tidy`, so a batch's temporaries are freed
 * as soon as the step ends, and fit yields to the event loop only every
 * `yieldEveryMs` (50 ms by default): a timer check per batch, not an await.
 */
import { noGrad } from '../autograd/grad-mode';
import { DataLoader } from '../data/dataloader';
import { Dataset, TensorDataset } from '../data/dataset';
import { tidy } from '../memory';
import { Module } from '../nn/module';
import { Adagrad } from '../optim/adagrad';
import { Adam, AdamW } from '../optim/adam';
import { Optimizer } from '../optim/optimizer';
import { RMSprop } from '../optim/rmsprop';
import { SGD } from '../optim/sgd';
import type { Generator } from '../ops/random';
import { cat } from '../ops/views';
import { fmt } from '../shape';
import { Tensor } from '../tensor';
import { Callback, History, type Logs } from './callbacks';
import { LOSSES, type LossFn } from './losses';
import { resolveMetric, type MetricFn } from './metrics';
import { ProgressLogger } from './progress';

/** Optimizers `compile` can create by name (with PyTorch's default options). */
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';

/** `compile`'s configuration. */
export interface CompileConfig {
  /** An optimizer, a name ('adam', default), or a name with options: `{ name: 'sgd', lr: 0.1, momentum: 0.9 }`. */
  optimizer?: Optimizer | OptimizerName | ({ name: OptimizerName } & Record<string, unknown>);
  /**
   * A loss function (output, target) => scalar, or a name: 'sparseCategoricalCrossentropy' /
   * 'crossEntropy' (logits and int32 classes), 'categoricalCrossentropy' (logits and one-hot),
   * 'mse', 'mae', 'binaryCrossentropy' (probabilities), 'bceWithLogits'.
   */
  loss: string | LossFn;
  /** 'accuracy', 'mae', or functions (output, target) => number. */
  metrics?: (string | MetricFn)[];
}

/** Options of `fit`. */
export interface FitOptions {
  /** Number of passes over the data (default 1). */
  epochs?: number;
  /** Batch size when x is a tensor or a Dataset (default 32). */
  batchSize?: number;
  /** Fraction of x/y (taken from the end, before shuffling) held out for validation. */
  validationSplit?: number;
  /** Validation data: [x, y] tensors, a DataLoader or a Dataset. */
  validationData?: [Tensor, Tensor] | DataLoader<any, any> | Dataset<any>;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar on a TTY (a line per epoch otherwise), 2 a line per epoch. Default 'auto' (1). */
  verbose?: 0 | 1 | 2 | 'auto';
  /** Shuffle tensor / Dataset inputs every epoch (default true). */
  shuffle?: boolean;
  /** Random source for shuffling (default: the global generator). */
  generator?: Generator;
  /** Epoch to start counting from, when resuming (default 0). */
  initialEpoch?: number;
  /** How often fit lets other work run on the event loop (default 50 ms). */
  yieldEveryMs?: number;
}

/** Options of `evaluate` / `predict`. */
export interface EvaluateOptions {
  /** Batch size for tensor inputs (default 32). */
  batchSize?: number;
}

interface Compiled {
  optimizer: Optimizer;
  loss: LossFn;
  metrics: { name: string; fn: MetricFn }[];
}

const COMPILED = Symbol('compiled');
const STOP = Symbol('stopTraining');

type Trainable = Module & { [COMPILED]?: Compiled; [STOP]?: boolean };

declare module '../nn/module' {
  interface Module {
    /**
     * Configures training: optimizer, loss and metrics.
     * @example model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
     */
    compile(config: CompileConfig): this;
    /**
     * Trains for a number of epochs on tensors (x, y), a DataLoader or a Dataset of [x, y] items.
     * @example const history = await model.fit(x, y, { epochs: 5, batchSize: 64, validationSplit: 0.1 });
     */
    fit(x: Tensor, y: Tensor, options?: FitOptions): Promise<History>;
    fit(data: DataLoader<any, any> | Dataset<any>, options?: FitOptions): Promise<History>;
    /**
     * Loss and metrics over data, in eval mode without gradients.
     * @example const { loss, accuracy } = await model.evaluate(xTest, yTest);
     */
    evaluate(x: Tensor, y: Tensor, options?: EvaluateOptions): Promise<Record<string, number>>;
    evaluate(data: DataLoader<any, any> | Dataset<any>, options?: EvaluateOptions): Promise<Record<string, number>>;
    /**
     * The model's outputs for x (or each batch of a DataLoader's inputs), in eval mode without gradients, concatenated.
     * @example const probs = model.predict(x).softmax(-1);
     */
    predict(x: Tensor | DataLoader<any, any>, options?: EvaluateOptions): Tensor;
    /** Set by a callback (e.g. EarlyStopping) to end `fit` after the current batch. */
    stopTraining: boolean;
    /** The optimizer set by `compile` (null before). */
    readonly optimizer: Optimizer | null;
  }
}

const OPTIMIZERS: Record<OptimizerName, new (params: Tensor[], options: any) => Optimizer> = {
  adam: Adam,
  adamw: AdamW,
  sgd: SGD,
  rmsprop: RMSprop,
  adagrad: Adagrad,
};

function makeOptimizer(model: Module, spec: CompileConfig['optimizer']): Optimizer {
  if (spec instanceof Optimizer) return spec;
  const { name, ...options } = typeof spec === 'string' ? { name: spec } : (spec ?? { name: 'adam' as const });
  const Ctor = OPTIMIZERS[String(name).toLowerCase() as OptimizerName];
  if (!Ctor) throw new TypeError(`compile: unknown optimizer ${JSON.stringify(name)} (use ${Object.keys(OPTIMIZERS).join(', ')} or an Optimizer)`);
  const params = model.parameters();
  if (params.length === 0) throw new RangeError('compile: the model has no parameters to optimize');
  return new Ctor(params, options);
}

function compiled(model: Trainable, op: string): Compiled {
  const c = model[COMPILED];
  if (!c) throw new Error(`${op}: call model.compile({ optimizer, loss }) first`);
  return c;
}

/** A DataLoader over tensors, a Dataset, or the given loader. */
function toLoader(x: unknown, y: unknown, batchSize: number, shuffle: boolean, generator: Generator | undefined, op: string): DataLoader<any, any> {
  if (x instanceof DataLoader) return x;
  if (x instanceof Dataset) return new DataLoader(x, { batchSize, shuffle, generator });
  if (x instanceof Tensor) {
    if (!(y instanceof Tensor)) throw new TypeError(`${op}: with a tensor x, y must be a tensor of targets`);
    if (x.ndim === 0 || y.ndim === 0 || x.shape[0] !== y.shape[0]) {
      throw new RangeError(`${op}: x ${fmt(x.shape)} and y ${fmt(y.shape)} must have the same number of samples (dim 0)`);
    }
    return new DataLoader(new TensorDataset(x, y), { batchSize, shuffle, generator });
  }
  throw new TypeError(`${op}: x must be a Tensor, a DataLoader or a Dataset`);
}

function unpack(batch: unknown, op: string): [Tensor | Tensor[], Tensor] {
  if (!Array.isArray(batch) || batch.length < 2 || !(batch[1] instanceof Tensor)) {
    throw new TypeError(`${op}: each batch must be [input, target] with a target Tensor`);
  }
  return [batch[0] as Tensor | Tensor[], batch[1]];
}

function forward(model: Module, input: Tensor | Tensor[]): Tensor {
  const out = Array.isArray(input) ? model.forward(...input) : model.forward(input);
  if (!(out instanceof Tensor)) throw new TypeError(`fit: ${model.constructor.name}.forward must return a Tensor`);
  return out;
}

function checkInt(v: number, op: string, what: string, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Sum of per-batch values weighted by batch size, for epoch means. */
class Averages {
  readonly sums: number[];
  count = 0;
  constructor(readonly names: string[]) {
    this.sums = names.map(() => 0);
  }
  add(values: number[], n: number): void {
    for (let i = 0; i < values.length; i++) this.sums[i] += values[i] * n;
    this.count += n;
  }
  logs(prefix = ''): Logs {
    const out: Logs = {};
    this.names.forEach((k, i) => (out[prefix + k] = this.count ? this.sums[i] / this.count : NaN));
    return out;
  }
}

/** Loss and metrics over a loader, eval mode, no gradients, one tidy scope per batch. */
function evaluateLoader(model: Module, loader: DataLoader<any, any>, c: Compiled, op: string): Averages {
  const avg = new Averages(['loss', ...c.metrics.map((m) => m.name)]);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (const it = loader[Symbol.iterator](); ; ) {
        const r = tidy(() => {
          const next = it.next();
          if (next.done) return null;
          const [input, target] = unpack(next.value, op);
          const out = forward(model, input);
          const loss = c.loss(out, target).item() as number;
          return { values: [loss, ...c.metrics.map((m) => m.fn(out, target))], n: target.shape[0] ?? 1 };
        });
        if (r === null) break;
        avg.add(r.values, r.n);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return avg;
}

async function callAll(callbacks: Callback[], hook: keyof Callback, ...args: unknown[]): Promise<void> {
  for (const cb of callbacks) {
    const f = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof f !== 'function') continue;
    const r = f.apply(cb, args);
    if (r instanceof Promise) await r;
  }
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * zeroGrad that also frees the old gradients now. Gradients outlive `tidy`
 * (they are kept), so dropped ones would wait for the garbage collector:
 * tens of MB per epoch for an MNIST MLP. Inside fit nothing else holds them.
 */
function releaseGrads(optimizer: Optimizer): void {
  for (const g of optimizer.paramGroups) {
    for (const p of g.params) {
      if (p.grad) p.grad.dispose();
      p.grad = null;
    }
  }
}

const proto = Module.prototype as unknown as Record<string, unknown>;

proto.compile = function compile(this: Trainable, config: CompileConfig) {
  if (config === null || typeof config !== 'object') throw new TypeError('compile: expected { optimizer, loss, metrics }');
  let loss: LossFn;
  if (typeof config.loss === 'function') loss = config.loss;
  else {
    const found = typeof config.loss === 'string' ? LOSSES[config.loss] : undefined;
    if (!found) throw new TypeError(`compile: unknown loss ${JSON.stringify(config.loss)} (use ${Object.keys(LOSSES).join(', ')} or a function)`);
    loss = found;
  }
  if (config.metrics !== undefined && !Array.isArray(config.metrics)) throw new TypeError("compile: metrics must be an array, e.g. ['accuracy']");
  const metrics = (config.metrics ?? []).map((m, i) => resolveMetric(m, loss, i));
  this[COMPILED] = { optimizer: makeOptimizer(this, config.optimizer), loss, metrics };
  return this;
};

Object.defineProperty(Module.prototype, 'optimizer', {
  get(this: Trainable) {
    return this[COMPILED]?.optimizer ?? null;
  },
  configurable: true,
});

Object.defineProperty(Module.prototype, 'stopTraining', {
  get(this: Trainable) {
    return this[STOP] === true;
  },
  set(this: Trainable, v: boolean) {
    this[STOP] = Boolean(v);
  },
  configurable: true,
});

proto.fit = async function fit(this: Trainable, x: unknown, yOrOptions?: unknown, maybeOptions?: FitOptions): Promise<History> {
  const op = 'fit';
  const c = compiled(this, op);
  const [y, options] = x instanceof Tensor ? [yOrOptions, maybeOptions ?? {}] : [undefined, (yOrOptions as FitOptions | undefined) ?? {}];
  const epochs = checkInt(options.epochs ?? 1, op, 'epochs', 0);
  const initialEpoch = checkInt(options.initialEpoch ?? 0, op, 'initialEpoch', 0);
  const batchSize = checkInt(options.batchSize ?? 32, op, 'batchSize', 1);
  const shuffle = options.shuffle ?? true;
  const yieldMs = options.yieldEveryMs ?? 50;
  const verbose = options.verbose === undefined || options.verbose === 'auto' ? 1 : options.verbose;
  if (![0, 1, 2].includes(verbose)) throw new RangeError(`fit: verbose must be 0, 1, 2 or 'auto', got ${String(options.verbose)}`);

  // Split before shuffling, from the end, as Keras does.
  let trainX = x;
  let trainY = y;
  let valLoader: DataLoader<any, any> | null = null;
  if (options.validationSplit !== undefined && options.validationData !== undefined) throw new TypeError('fit: give validationSplit or validationData, not both');
  if (options.validationSplit !== undefined) {
    const s = options.validationSplit;
    if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TypeError('fit: validationSplit needs tensors x and y (split a Dataset yourself)');
    if (!(s > 0 && s < 1)) throw new RangeError(`fit: validationSplit must be in (0, 1), got ${s}`);
    const at = Math.floor(x.shape[0] * (1 - s));
    if (at === 0 || at === x.shape[0]) throw new RangeError(`fit: validationSplit ${s} of ${x.shape[0]} samples leaves an empty split`);
    trainX = x.narrow(0, 0, at);
    trainY = y.narrow(0, 0, at);
    valLoader = toLoader(x.narrow(0, at, x.shape[0] - at), y.narrow(0, at, x.shape[0] - at), batchSize, false, undefined, op);
  } else if (options.validationData !== undefined) {
    const vd = options.validationData;
    valLoader = Array.isArray(vd) ? toLoader(vd[0], vd[1], batchSize, false, undefined, op) : toLoader(vd, undefined, batchSize, false, undefined, op);
  }
  const loader = toLoader(trainX, trainY, batchSize, shuffle, options.generator, op);

  const history = new History();
  const user = options.callbacks ?? [];
  if (!Array.isArray(user) || user.some((cb) => !(cb instanceof Callback))) throw new TypeError('fit: callbacks must be an array of Callback instances');
  const progress = verbose > 0 ? new ProgressLogger(verbose === 1 && process.stdout.isTTY === true) : null;
  // History and the progress output come last, so they see what user callbacks add to the logs (e.g. lr).
  const callbacks: Callback[] = [...user, history, ...(progress ? [progress] : [])];
  const params = { epochs, steps: loader.length, verbose };
  for (const cb of callbacks) {
    cb.model = this;
    cb.params = params;
  }
  const batchHooks = callbacks.filter((cb) => cb.onBatchBegin || cb.onBatchEnd);
  const names = ['loss', ...c.metrics.map((m) => m.name)];

  this.stopTraining = false;
  await callAll(callbacks, 'onTrainBegin', {});
  let lastYield = performance.now();
  for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
    await callAll(callbacks, 'onEpochBegin', epoch, {});
    const avg = new Averages(names);
    this.train();
    const it = loader[Symbol.iterator]();
    for (let step = 0; ; step++) {
      if (batchHooks.length) await callAll(batchHooks, 'onBatchBegin', step, {});
      const r = tidy(() => {
        const next = it.next();
        if (next.done) return null;
        const [input, target] = unpack(next.value, op);
        const out = forward(this, input);
        const loss = c.loss(out, target);
        if (!(loss instanceof Tensor) || loss.numel() !== 1) throw new TypeError('fit: the loss must return a one-element tensor');
        releaseGrads(c.optimizer);
        loss.backward();
        c.optimizer.step();
        return { values: [loss.item() as number, ...c.metrics.map((m) => m.fn(out.detach(), target))], n: target.shape[0] ?? 1 };
      });
      if (r === null) break;
      avg.add(r.values, r.n);
      if (progress) progress.batch(step, r.n, avg.logs());
      if (batchHooks.length) {
        const logs: Logs = { size: r.n };
        names.forEach((k, i) => (logs[k] = r.values[i]));
        await callAll(batchHooks, 'onBatchEnd', step, logs);
      }
      if (this.stopTraining) break;
      if (performance.now() - lastYield >= yieldMs) {
        await nextTick();
        lastYield = performance.now();
      }
    }
    const logs = avg.logs();
    if (valLoader) Object.assign(logs, evaluateLoader(this, valLoader, c, op).logs('val_'));
    await callAll(callbacks, 'onEpochEnd', epoch, logs);
  }
  await callAll(callbacks, 'onTrainEnd', {});
  return history;
};

proto.evaluate = async function evaluate(this: Trainable, x: unknown, yOrOptions?: unknown, maybeOptions?: EvaluateOptions): Promise<Record<string, number>> {
  const c = compiled(this, 'evaluate');
  const [y, options] = x instanceof Tensor ? [yOrOptions, maybeOptions ?? {}] : [undefined, (yOrOptions as EvaluateOptions | undefined) ?? {}];
  const batchSize = checkInt(options.batchSize ?? 32, 'evaluate', 'batchSize', 1);
  return evaluateLoader(this, toLoader(x, y, batchSize, false, undefined, 'evaluate'), c, 'evaluate').logs();
};

proto.predict = function predict(this: Module, x: unknown, options: EvaluateOptions = {}): Tensor {
  const batchSize = checkInt(options.batchSize ?? 32, 'predict', 'batchSize', 1);
  const outs: Tensor[] = [];
  const wasTraining = this.training;
  this.eval();
  try {
    noGrad(() => {
      if (x instanceof Tensor) {
        if (x.ndim === 0) throw new RangeError('predict: x must have a batch dimension');
        for (let i = 0; i < x.shape[0]; i += batchSize) {
          outs.push(tidy(() => forward(this, x.narrow(0, i, Math.min(batchSize, x.shape[0] - i)))));
        }
      } else if (x instanceof DataLoader) {
        for (const it = x[Symbol.iterator](); ; ) {
          const out = tidy(() => {
            const next = it.next();
            if (next.done) return null;
            const b = next.value;
            return forward(this, Array.isArray(b) ? (b[0] as Tensor | Tensor[]) : (b as Tensor));
          });
          if (out === null) break;
          outs.push(out);
        }
      } else {
        throw new TypeError('predict: x must be a Tensor or a DataLoader');
      }
    });
  } finally {
    this.train(wasTraining);
  }
  if (outs.length === 0) throw new RangeError('predict: no input samples');
  return outs.length === 1 ? outs[0] : cat(outs, 0);
};
