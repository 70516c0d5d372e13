/**
 * Learning-rate schedulers (torch.optim.lr_scheduler). Each epoch-based
 * scheduler is a closed form lr(baseLr, epoch), which is what PyTorch's
 * chained updates compute for a single scheduler; `step()` advances the epoch
 * and writes the new rate into every parameter group.
 */
import type { Optimizer, ParamGroup } from './optimizer';

/** A plain snapshot of a scheduler's counters (see `stateDict`). */
export type SchedulerState = Record<string, unknown>;

function checkOptimizer(op: string, optimizer: unknown): asserts optimizer is Optimizer {
  const o = optimizer as Optimizer | null;
  if (o === null || typeof o !== 'object' || !Array.isArray(o.paramGroups)) throw new TypeError(`${op}: expected an Optimizer`);
}

function checkNumber(op: string, what: string, v: unknown, ok: (x: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RangeError(`${op}: ${what} must be ${rule}, got ${String(v)}`);
  return v;
}

/**
 * Base of the epoch-based schedulers. Construction records each group's
 * `initialLr` (once per optimizer) and applies the epoch-0 rate.
 * @example
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); sched.step(); }
 */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** Each group's starting learning rate. */
  readonly baseLrs: number[];
  /** Number of `step()` calls so far (PyTorch's `last_epoch`). */
  lastEpoch: number;
  private lastLr: number[];

  constructor(optimizer: Optimizer, lastEpoch = -1) {
    checkOptimizer(this.constructor.name, optimizer);
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Call at the end of a subclass constructor: applies the rate of the current epoch. */
  protected init(): void {
    this.step();
  }

  /** The learning rate of group i at `epoch`. */
  protected abstract lrAt(baseLr: number, epoch: number, group: ParamGroup, i: number): number;

  /**
   * Advances one epoch (or batch, for per-batch schedules) and sets the new
   * learning rates.
   */
  step(): void {
    this.lastEpoch++;
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.lrAt(this.baseLrs[i], this.lastEpoch, g, i);
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates set by the last `step()`, one per group. @example sched.getLastLr()[0] */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** The scheduler's counters as a plain object (everything except the optimizer). */
  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'optimizer') out[k] = structuredClone(v);
    return out;
  }

  /** Restores counters saved by `stateDict()`. */
  loadStateDict(state: SchedulerState): void {
    if (state === null || typeof state !== 'object') throw new TypeError(`${this.constructor.name}.loadStateDict: expected an object`);
    for (const [k, v] of Object.entries(state)) if (k !== 'optimizer') (this as unknown as Record<string, unknown>)[k] = structuredClone(v);
  }
}

/**
 * Multiplies the rate by `gamma` every `stepSize` epochs: lr = base·gamma^⌊epoch/stepSize⌋.
 * @example new StepLR(opt, { stepSize: 10, gamma: 0.5 });
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch);
    this.stepSize = checkNumber('StepLR', 'stepSize', options?.stepSize, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
    this.gamma = checkNumber('StepLR', 'gamma', options.gamma ?? 0.1, (x) => x >= 0, 'a non-negative number');
    this.init();
  }
  protected lrAt(base: number, e: number): number {
    return base * this.gamma ** Math.floor(e / this.stepSize);
  }
}

/**
 * Multiplies the rate by `gamma` at each milestone epoch: lr = base·gamma^(milestones ≤ epoch).
 * @example new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  constructor(optimizer: Optimizer, options: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch);
    if (!Array.isArray(options?.milestones) || options.milestones.some((m) => !Number.isInteger(m) || m < 0)) {
      throw new TypeError('MultiStepLR: milestones must be an array of non-negative integers');
    }
    this.milestones = options.milestones.slice().sort((a, b) => a - b);
    this.gamma = checkNumber('MultiStepLR', 'gamma', options.gamma ?? 0.1, (x) => x >= 0, 'a non-negative number');
    this.init();
  }
  protected lrAt(base: number, e: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= e).length;
  }
}

/**
 * Decays the rate by `gamma` every epoch: lr = base·gamma^epoch.
 * @example new ExponentialLR(opt, { gamma: 0.95 });
 */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: Optimizer, options: { gamma: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch);
    this.gamma = checkNumber('ExponentialLR', 'gamma', options?.gamma, (x) => x >= 0, 'a non-negative number');
    this.init();
  }
  protected lrAt(base: number, e: number): number {
    return base * this.gamma ** e;
  }
}

/**
 * Cosine annealing from the base rate to `etaMin` over `tMax` epochs:
 * lr = etaMin + (base - etaMin)·(1 + cos(π·epoch/tMax))/2 (continuing the cosine past tMax, as PyTorch does).
 * @example new CosineAnnealingLR(opt, { tMax: 50, etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch);
    this.tMax = checkNumber('CosineAnnealingLR', 'tMax', options?.tMax, (x) => x > 0, 'a positive number');
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', options.etaMin ?? 0, (x) => x >= 0, 'a non-negative number');
    this.init();
  }
  protected lrAt(base: number, e: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * e) / this.tMax))) / 2;
  }
}

/**
 * Scales the rate linearly from `startFactor`·base to `endFactor`·base over
 * `totalIters` steps, then holds it (torch.optim.lr_scheduler.LinearLR).
 * @example new LinearLR(opt, { startFactor: 0.1, totalIters: 100 }); // call step() per batch
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: Optimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    const name = this.constructor.name;
    this.startFactor = checkNumber(name, 'startFactor', options.startFactor ?? 1 / 3, (x) => x > 0 && x <= 1, 'in (0, 1]');
    this.endFactor = checkNumber(name, 'endFactor', options.endFactor ?? 1, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    this.totalIters = checkNumber(name, 'totalIters', options.totalIters ?? 5, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
    this.init();
  }
  protected lrAt(base: number, e: number): number {
    const t = Math.min(Math.max(e, 0), this.totalIters) / this.totalIters;
    return base * (this.startFactor + (this.endFactor - this.startFactor) * t);
  }
}

/**
 * Linear warm-up: the rate rises from `startFactor`·base (default
 * 1/warmupSteps) to base over `warmupSteps` steps, then stays at base. A
 * LinearLR with warm-up naming.
 * @example const warm = new LinearWarmup(opt, { warmupSteps: 500 }); // step() per batch
 */
export class LinearWarmup extends LinearLR {
  constructor(optimizer: Optimizer, options: { warmupSteps: number; startFactor?: number; lastEpoch?: number }) {
    const n = checkNumber('LinearWarmup', 'warmupSteps', options?.warmupSteps, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
    super(optimizer, { startFactor: options.startFactor ?? 1 / n, endFactor: 1, totalIters: n, lastEpoch: options.lastEpoch });
  }
}

/** Options of OneCycleLR (PyTorch's names and defaults, camelCased). */
export interface OneCycleOptions {
  /** Peak learning rate (one per group, or one for all). */
  maxLr: number | number[];
  /** Total number of steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's beta1) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to initial, anneal to min) as in fast.ai (default false). */
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase {
  end: number;
  lr: [number, number];
  mom: [number, number];
}

/**
 * The 1cycle policy (Smith & Topin): the rate rises from maxLr/divFactor to
 * maxLr over pctStart of the steps, then anneals to the minimum; momentum
 * moves the other way. Step it after every batch.
 * @example const sched = new OneCycleLR(opt, { maxLr: 0.01, epochs: 10, stepsPerEpoch: loader.length });
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  private readonly phases: { end: number; groups: Phase[] }[];

  constructor(optimizer: Optimizer, options: OneCycleOptions) {
    super(optimizer, options?.lastEpoch);
    const name = 'OneCycleLR';
    if (options === null || typeof options !== 'object') throw new TypeError(`${name}: options with maxLr are required`);
    let total = options.totalSteps;
    if (total === undefined) {
      if (options.epochs === undefined || options.stepsPerEpoch === undefined) throw new TypeError(`${name}: give totalSteps, or epochs and stepsPerEpoch`);
      const e = checkNumber(name, 'epochs', options.epochs, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
      total = e * checkNumber(name, 'stepsPerEpoch', options.stepsPerEpoch, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
    }
    this.totalSteps = checkNumber(name, 'totalSteps', total, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
    const pct = checkNumber(name, 'pctStart', options.pctStart ?? 0.3, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    this.annealStrategy = options.annealStrategy ?? 'cos';
    if (this.annealStrategy !== 'cos' && this.annealStrategy !== 'linear') throw new TypeError(`${name}: annealStrategy must be 'cos' or 'linear'`);
    const div = checkNumber(name, 'divFactor', options.divFactor ?? 25, (x) => x > 0, 'positive');
    const finalDiv = checkNumber(name, 'finalDivFactor', options.finalDivFactor ?? 1e4, (x) => x > 0, 'positive');
    this.cycleMomentum = options.cycleMomentum ?? true;
    const baseMom = options.baseMomentum ?? 0.85;
    const maxMom = options.maxMomentum ?? 0.95;
    const groups = optimizer.paramGroups;
    const maxLrs = Array.isArray(options.maxLr) ? options.maxLr : groups.map(() => options.maxLr as number);
    if (maxLrs.length !== groups.length) throw new RangeError(`${name}: got ${maxLrs.length} maxLr values for ${groups.length} parameter groups`);
    maxLrs.forEach((m) => checkNumber(name, 'maxLr', m, (x) => x > 0, 'positive'));
    if (this.cycleMomentum && groups.some((g) => !('momentum' in g) && !('betas' in g))) {
      throw new TypeError(`${name}: optimizer has no momentum or betas to cycle; pass cycleMomentum: false`);
    }
    // Phase boundaries as PyTorch computes them (end steps are inclusive, float).
    const ends = options.threePhase
      ? [pct * this.totalSteps - 1, 2 * pct * this.totalSteps - 2, this.totalSteps - 1]
      : [pct * this.totalSteps - 1, this.totalSteps - 1];
    this.phases = ends.map((end, k) => ({
      end,
      groups: maxLrs.map((maxLr) => {
        const init = maxLr / div;
        const min = init / finalDiv;
        const lr: [number, number][] = options.threePhase ? [[init, maxLr], [maxLr, init], [init, min]] : [[init, maxLr], [maxLr, min]];
        const mom: [number, number][] = options.threePhase ? [[maxMom, baseMom], [baseMom, maxMom], [maxMom, maxMom]] : [[maxMom, baseMom], [baseMom, maxMom]];
        return { end, lr: lr[k], mom: mom[k] };
      }),
    }));
    // The cycle defines its own start, so base rates are the initial rates.
    groups.forEach((g, i) => {
      g.initialLr = maxLrs[i] / div;
      this.baseLrs[i] = g.initialLr;
    });
    this.init();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  protected lrAt(_base: number, step: number, group: ParamGroup, i: number): number {
    if (step > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${step} times; the schedule has totalSteps = ${this.totalSteps}`);
    }
    let start = 0;
    for (let k = 0; k < this.phases.length; k++) {
      const ph = this.phases[k];
      if (step <= ph.end || k === this.phases.length - 1) {
        const pct = (step - start) / (ph.end - start);
        const p = ph.groups[i];
        if (this.cycleMomentum) {
          const m = this.anneal(p.mom[0], p.mom[1], pct);
          const g = group as ParamGroup & { betas?: [number, number]; momentum?: number };
          if (g.betas) g.betas = [m, g.betas[1]];
          else g.momentum = m;
        }
        return this.anneal(p.lr[0], p.lr[1], pct);
      }
      start = ph.end;
    }
    /* c8 ignore next */
    throw new Error('OneCycleLR: unreachable');
  }
}

/** Options of ReduceLROnPlateau (PyTorch's defaults). */
export interface PlateauOptions {
  /** 'min' (default): the metric should go down; 'max': up. */
  mode?: 'min' | 'max';
  /** lr *= factor on a plateau (default 0.1). */
  factor?: number;
  /** Epochs without improvement to wait before reducing (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the rate, one per group or one for all (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the rate when a metric stops improving. Call `step(metric)` once
 * per epoch with e.g. the validation loss.
 * @example
 * const sched = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
 * sched.step(valLoss);
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer, options: PlateauOptions = {}) {
    const name = 'ReduceLROnPlateau';
    checkOptimizer(name, optimizer);
    this.optimizer = optimizer;
    this.mode = options.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new TypeError(`${name}: mode must be 'min' or 'max'`);
    this.factor = checkNumber(name, 'factor', options.factor ?? 0.1, (x) => x >= 0 && x < 1, 'in [0, 1)');
    this.patience = checkNumber(name, 'patience', options.patience ?? 10, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.threshold = checkNumber(name, 'threshold', options.threshold ?? 1e-4, (x) => x >= 0, 'non-negative');
    this.thresholdMode = options.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new TypeError(`${name}: thresholdMode must be 'rel' or 'abs'`);
    this.cooldown = checkNumber(name, 'cooldown', options.cooldown ?? 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const n = optimizer.paramGroups.length;
    const mins = Array.isArray(options.minLr) ? options.minLr : new Array<number>(n).fill(options.minLr ?? 0);
    if (mins.length !== n) throw new RangeError(`${name}: got ${mins.length} minLr values for ${n} parameter groups`);
    mins.forEach((m) => checkNumber(name, 'minLr', m, (x) => x >= 0, 'non-negative'));
    this.minLrs = mins.slice();
    this.eps = checkNumber(name, 'eps', options.eps ?? 1e-8, (x) => x >= 0, 'non-negative');
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: t, best } = this;
    if (mode === 'min') return tm === 'rel' ? a < best * (1 - t) : a < best - t;
    return tm === 'rel' ? a > best * (1 + t) : a > best + t;
  }

  /** Records one epoch's metric and reduces the rate after `patience` epochs without improvement. */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) throw new TypeError(`ReduceLROnPlateau.step: metric must be a number, got ${String(metric)}`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The current learning rates, one per group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** The counters as a plain object. */
  stateDict(): SchedulerState {
    return { best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch, lastLr: this.lastLr.slice() };
  }

  /** Restores counters saved by `stateDict()`. */
  loadStateDict(state: SchedulerState): void {
    if (state === null || typeof state !== 'object') throw new TypeError('ReduceLROnPlateau.loadStateDict: expected an object');
    const s = state as { best: number; numBadEpochs: number; cooldownCounter: number; lastEpoch: number; lastLr: number[] };
    Object.assign(this, { best: s.best, numBadEpochs: s.numBadEpochs, cooldownCounter: s.cooldownCounter, lastEpoch: s.lastEpoch, lastLr: s.lastLr.slice() });
  }
}
