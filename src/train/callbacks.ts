/**
 * Callbacks for `fit`, Keras-style: hooks at the start and end of training,
 * epochs and batches. Hooks may be async; fit awaits them.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { noGrad } from '../autograd/grad-mode';
import type { Module } from '../nn/module';
import { save } from '../io/safetensors';
import { OneCycleLR, ReduceLROnPlateau, type LRScheduler } from '../optim/lr-scheduler';
import type { Optimizer } from '../optim/optimizer';
import type { Tensor } from '../tensor';

/** Values of one epoch or batch, by name (`loss`, `accuracy`, `val_loss`, ...). */
export type Logs = Record<string, number>;

/** What fit tells callbacks before training. */
export interface FitParams {
  epochs: number;
  /** Batches per epoch. */
  steps: number;
  verbose: number;
}

/**
 * Base class of callbacks; override the hooks you need.
 * @example
 * class PrintLoss extends Callback {
 *   onEpochEnd(epoch: number, logs: Logs) { console.log(epoch, logs.loss); }
 * }
 */
export class Callback {
  /** The model being trained (set by fit). */
  model!: Module;
  /** Epochs, steps per epoch, verbosity (set by fit). */
  params: FitParams = { epochs: 0, steps: 0, verbose: 0 };
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/**
 * What fit returns: per-epoch values of every logged quantity.
 * @example const h = await model.fit(x, y, { epochs: 5 }); h.history.loss; // 5 numbers
 */
export class History extends Callback {
  /** Epoch indices that ran. */
  epoch: number[] = [];
  /** Each quantity (`loss`, `accuracy`, `val_loss`, ...) per epoch. */
  history: Record<string, number[]> = {};

  override onEpochEnd(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

/** Whether a monitored quantity improves by going down ('min'), up ('max'), or as its name suggests ('auto'). */
export type Mode = 'min' | 'max' | 'auto';

/** 'auto' watches accuracy-like quantities for increases, everything else for decreases. */
function resolveMode(mode: Mode, monitor: string, op: string): 'min' | 'max' {
  if (mode !== 'min' && mode !== 'max' && mode !== 'auto') throw new TypeError(`${op}: mode must be 'min', 'max' or 'auto', got ${JSON.stringify(mode)}`);
  if (mode !== 'auto') return mode;
  return /acc|auc|precision|recall|f1/i.test(monitor) ? 'max' : 'min';
}

function snapshot(model: Module): Record<string, Tensor> {
  return noGrad(() => {
    const out: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(model.stateDict())) {
      const c = t.clone();
      c._storage.kept = true;
      out[k] = c;
    }
    return out;
  });
}

/**
 * Stops training when a monitored quantity has stopped improving for
 * `patience` epochs; optionally restores the weights of the best epoch.
 * @example new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true })
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  /** Best value seen. */
  best = NaN;
  /** Epoch of the best value (-1 before any). */
  bestEpoch = -1;
  /** Epoch at which training was stopped (-1: it was not). */
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: Record<string, Tensor> | null = null;

  constructor(options: { monitor?: string; minDelta?: number; patience?: number; mode?: Mode; baseline?: number; restoreBestWeights?: boolean } = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new RangeError(`EarlyStopping: patience must be a non-negative integer, got ${this.patience}`);
    if (!Number.isFinite(this.minDelta)) throw new RangeError('EarlyStopping: minDelta must be a finite number');
    this.mode = resolveMode(options.mode ?? 'auto', this.monitor, 'EarlyStopping');
    this.baseline = options.baseline ?? null;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
  }

  private improves(value: number, reference: number): boolean {
    if (Number.isNaN(reference)) return true;
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.bestWeights = null;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new Error(`EarlyStopping: '${this.monitor}' is not among the logged values (${Object.keys(logs).join(', ')}); pass validation data or monitor 'loss'`);
    }
    this.wait++;
    if (this.improves(value, this.best)) {
      this.best = value;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = snapshot(this.model);
      // Improvements only reset the count once the baseline is beaten.
      if (this.baseline === null || this.improves(value, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights) this.model.loadStateDict(this.bestWeights);
    if (this.stoppedEpoch >= 0 && this.params.verbose > 0) {
      process.stdout.write(`Epoch ${this.stoppedEpoch + 1}: early stopping (best ${this.monitor} ${this.best.toPrecision(4)} at epoch ${this.bestEpoch + 1})\n`);
    }
  }
}

/** Fills `{epoch}`, `{epoch:02d}`, `{val_loss:.4f}`-style placeholders from the epoch (1-based) and logs. */
function formatPath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{(\w+)(?::0?(\d*)([df])|:\.(\d+)f)?\}/g, (whole, key: string, width?: string, kind?: string, prec?: string) => {
    const v = key === 'epoch' ? epoch + 1 : logs[key];
    if (v === undefined) return whole;
    if (prec !== undefined) return v.toFixed(Number(prec));
    if (kind === 'd') return String(Math.round(v)).padStart(Number(width || 0), '0');
    return String(v);
  });
}

/**
 * Saves the model's state dict (safetensors) after every epoch, or only when
 * the monitored quantity improves. The path may contain placeholders like
 * `{epoch:02d}` and `{val_loss:.4f}`.
 * @example new ModelCheckpoint('ckpt/best.safetensors', { monitor: 'val_accuracy', saveBestOnly: true })
 */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly saveBestOnly: boolean;
  /** Best monitored value so far. */
  best = NaN;
  /** Paths written, in order. */
  readonly saved: string[] = [];

  constructor(filepath: string, options: { monitor?: string; mode?: Mode; saveBestOnly?: boolean } = {}) {
    super();
    if (typeof filepath !== 'string' || filepath === '') throw new TypeError('ModelCheckpoint: filepath must be a non-empty string');
    this.filepath = filepath;
    this.monitor = options.monitor ?? 'val_loss';
    this.mode = resolveMode(options.mode ?? 'auto', this.monitor, 'ModelCheckpoint');
    this.saveBestOnly = options.saveBestOnly ?? false;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const value = logs[this.monitor];
    if (this.saveBestOnly) {
      if (value === undefined) throw new Error(`ModelCheckpoint: '${this.monitor}' is not among the logged values (${Object.keys(logs).join(', ')})`);
      const better = Number.isNaN(this.best) || (this.mode === 'min' ? value < this.best : value > this.best);
      if (!better) return;
      this.best = value;
    }
    const path = formatPath(this.filepath, epoch, logs);
    const meta: Record<string, string> = { epoch: String(epoch + 1) };
    for (const [k, v] of Object.entries(logs)) meta[k] = String(v);
    save(this.model.stateDict(), path, meta);
    this.saved.push(path);
  }
}

/**
 * Sets the learning rate during fit: from a function `(epoch, lr) => newLr`
 * called before each epoch (Keras's form), or by stepping an optim scheduler
 * (after each epoch, or each batch for OneCycleLR or with `stepOn: 'batch'`;
 * ReduceLROnPlateau is stepped with the monitored value). The rate of group 0
 * is logged as `lr`.
 * @example new LearningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * 0.9))
 * @example new LearningRateScheduler(new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 20 }))
 */
export class LearningRateScheduler extends Callback {
  readonly schedule: ((epoch: number, lr: number) => number) | LRScheduler | ReduceLROnPlateau;
  readonly stepOn: 'epoch' | 'batch';
  readonly monitor: string;

  constructor(
    schedule: ((epoch: number, lr: number) => number) | LRScheduler | ReduceLROnPlateau,
    options: { stepOn?: 'epoch' | 'batch'; monitor?: string } = {},
  ) {
    super();
    const ok = typeof schedule === 'function' || (schedule !== null && typeof schedule === 'object' && typeof (schedule as LRScheduler).step === 'function');
    if (!ok) throw new TypeError('LearningRateScheduler: expected a function (epoch, lr) => lr or an optim scheduler');
    this.schedule = schedule;
    this.stepOn = options.stepOn ?? (schedule instanceof OneCycleLR ? 'batch' : 'epoch');
    if (this.stepOn === 'batch' && schedule instanceof ReduceLROnPlateau) throw new TypeError('LearningRateScheduler: ReduceLROnPlateau steps per epoch');
    this.monitor = options.monitor ?? 'val_loss';
  }

  private optimizer(): Optimizer {
    const opt = this.model.optimizer;
    if (!opt) throw new Error('LearningRateScheduler: the model has no optimizer; call compile() first');
    return opt;
  }

  override onEpochBegin(epoch: number): void {
    if (typeof this.schedule !== 'function') return;
    const opt = this.optimizer();
    const lr = this.schedule(epoch, opt.paramGroups[0].lr);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new RangeError(`LearningRateScheduler: the schedule returned ${String(lr)} for epoch ${epoch}`);
    for (const g of opt.paramGroups) g.lr = lr;
  }

  override onBatchEnd(): void {
    if (this.stepOn === 'batch' && typeof this.schedule !== 'function') (this.schedule as LRScheduler).step();
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.lr = this.optimizer().paramGroups[0].lr;
    const s = this.schedule;
    if (s instanceof ReduceLROnPlateau) {
      const v = logs[this.monitor] ?? logs.loss;
      if (v === undefined) throw new Error(`LearningRateScheduler: '${this.monitor}' is not among the logged values`);
      s.step(v);
    } else if (typeof s !== 'function' && this.stepOn === 'epoch') {
      s.step();
    }
  }
}

/**
 * Writes one CSV row per epoch: `epoch` then the logged values in sorted order.
 * @example new CSVLogger('history.csv')
 */
export class CSVLogger extends Callback {
  private keys: string[] | null = null;
  constructor(
    readonly filename: string,
    readonly options: { separator?: string; append?: boolean } = {},
  ) {
    super();
    if (typeof filename !== 'string' || filename === '') throw new TypeError('CSVLogger: filename must be a non-empty string');
  }

  override onTrainBegin(): void {
    this.keys = null;
    if (!this.options.append) writeFileSync(this.filename, '');
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const sep = this.options.separator ?? ',';
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
      appendFileSync(this.filename, ['epoch', ...this.keys].join(sep) + '\n');
    }
    appendFileSync(this.filename, [epoch, ...this.keys.map((k) => logs[k] ?? '')].join(sep) + '\n');
  }
}

/**
 * Writes one JSON object per epoch and line: `{"epoch": 0, "loss": ..., ...}`.
 * @example new JSONLinesLogger('history.jsonl')
 */
export class JSONLinesLogger extends Callback {
  constructor(
    readonly filename: string,
    readonly options: { append?: boolean } = {},
  ) {
    super();
    if (typeof filename !== 'string' || filename === '') throw new TypeError('JSONLinesLogger: filename must be a non-empty string');
  }

  override onTrainBegin(): void {
    if (!this.options.append) writeFileSync(this.filename, '');
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    appendFileSync(this.filename, JSON.stringify({ epoch, ...logs }) + '\n');
  }
}
