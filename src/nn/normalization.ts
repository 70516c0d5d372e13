/** BatchNorm1d, BatchNorm2d, LayerNorm. */
import { noGrad } from '../autograd/grad-mode';
import { batchNorm, layerNorm } from '../ops/nn';
import { ones, zeros } from '../ops/creation';
import { fmt } from '../shape';
import type { Tensor } from '../tensor';
import { Module, type Parameter } from './module';
import { param, positiveInt, type FactoryOptions } from './common';
import * as init from './init';

/** Options of the BatchNorm layers (PyTorch's names and defaults). */
export interface BatchNormLayerOptions extends FactoryOptions {
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Weight of each new batch in the running statistics; null for a cumulative average. Default 0.1. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift. Default true. */
  affine?: boolean;
  /** Keep running statistics for eval mode. Default true. */
  trackRunningStats?: boolean;
}

/**
 * Shared BatchNorm logic. State dict entries are PyTorch's: weight, bias,
 * running_mean, running_var, num_batches_tracked.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  /** Running mean per channel (a buffer). */
  running_mean!: Tensor | null;
  /** Running unbiased variance per channel (a buffer). */
  running_var!: Tensor | null;
  /** Number of training batches seen (an int32 buffer). */
  num_batches_tracked!: Tensor | null;

  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    const name = this.constructor.name;
    this.numFeatures = positiveInt(numFeatures, 'numFeatures', name);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.weight = this.affine ? param([numFeatures], options) : null;
    this.bias = this.affine ? param([numFeatures], options) : null;
    const f = { dtype: options.dtype ?? 'float32', device: options.device ?? 'cpu' } as const;
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures], f) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures], f) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? zeros([], { dtype: 'int32', device: f.device }) : null);
    this.resetParameters();
  }

  /** Running mean (camelCase alias of the `running_mean` buffer). */
  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  /** Running variance (camelCase alias of the `running_var` buffer). */
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  /** Batches seen in training (camelCase alias of the `num_batches_tracked` buffer). */
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }

  /** Resets the running statistics to mean 0, variance 1, no batches. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      this.running_mean!.zeroInPlace();
      this.running_var!.fillInPlace(1);
      this.num_batches_tracked!.zeroInPlace();
    });
  }

  /** Resets the running statistics and sets weight to ones, bias to zeros. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) init.ones(this.weight);
    if (this.bias) init.zeros(this.bias);
  }

  /** Throws unless x has a rank this layer accepts. */
  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: expected ${this.numFeatures} channels in dim 1, got input ${fmt(x.shape)}`);
    }
    let momentum = 0;
    if (this.training && this.trackRunningStats) {
      noGrad(() => this.num_batches_tracked!.addInPlace(1));
      momentum = this.momentum ?? 1 / (this.num_batches_tracked!.item() as number);
    }
    // Batch statistics in training, and in eval too when no running ones are kept.
    const useBatch = this.training || this.running_mean === null;
    return batchNorm(x, this.running_mean, this.running_var, this.weight, this.bias, { training: useBatch, momentum, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}

/**
 * Batch normalisation over [N, C] or [N, C, L] inputs.
 * @example new BatchNorm1d(100).forward(randn([32, 100]))
 */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input, got ${x.ndim}D input ${fmt(x.shape)}`);
  }
}

/**
 * Batch normalisation over [N, C, H, W] inputs.
 * @example new BatchNorm2d(32).forward(randn([8, 32, 13, 13]))
 */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4D input, got ${x.ndim}D input ${fmt(x.shape)}`);
  }
}

/** Options of `LayerNorm`. */
export interface LayerNormOptions extends FactoryOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn a scale (and bias) of shape normalizedShape. Default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, also learn the bias. Default true. */
  bias?: boolean;
}

/**
 * Layer normalisation over the trailing dims `normalizedShape`.
 * @example new LayerNorm(512).forward(randn([8, 10, 512]))
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape.slice();
    this.normalizedShape.forEach((s) => positiveInt(s, 'normalizedShape', 'LayerNorm'));
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? init.ones(param(this.normalizedShape, options)) : null;
    this.bias = this.elementwiseAffine && (options.bias ?? true) ? init.zeros(param(this.normalizedShape, options)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')},), eps=${this.eps}, elementwise_affine=${this.elementwiseAffine ? 'True' : 'False'}`;
  }
}
