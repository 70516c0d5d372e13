/** Linear, Identity, Flatten and Unflatten. */
import { linear, linearRelu } from '../ops/linalg';
import { flatten, reshape } from '../ops/views';
import { fmt, normDim } from '../shape';
import type { Tensor } from '../tensor';
import { Module, type Parameter } from './module';
import { param, positiveInt, resetFanIn, type FactoryOptions } from './common';

/**
 * Returns its input unchanged (a placeholder layer).
 * @example new Identity().forward(x) === x
 */
export class Identity extends Module {
  /** Accepts and ignores any arguments, like PyTorch's. */
  constructor(..._args: unknown[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Options of `Linear`. */
export interface LinearOptions extends FactoryOptions {
  /** Learn an additive bias. Default true. */
  bias?: boolean;
}

/**
 * y = x W^T + b, with W [outFeatures, inFeatures] (PyTorch's layout, so state
 * dicts match) initialised as PyTorch does.
 * @example
 * const fc = new Linear(784, 500);
 * fc.forward(randn([8, 784])).shape; // [8, 500]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions | boolean = {}) {
    super();
    const o = typeof options === 'boolean' ? { bias: options } : options;
    this.inFeatures = positiveInt(inFeatures, 'inFeatures', 'Linear', 0);
    this.outFeatures = positiveInt(outFeatures, 'outFeatures', 'Linear', 0);
    this.weight = param([outFeatures, inFeatures], o);
    this.bias = o.bias ?? true ? param([outFeatures], o) : null;
    this.resetParameters();
  }

  /** Re-draws the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetFanIn(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** @internal relu(forward(x)) in one GEMM, for Sequential; null when forward is overridden. */
  forwardRelu(x: Tensor): Tensor | null {
    return this.forward === Linear.prototype.forward ? linearRelu(x, this.weight, this.bias) : null;
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/**
 * Flattens dims startDim..endDim (default: all but the batch dim).
 * @example new Flatten().forward(zeros([8, 1, 28, 28])).shape // [8, 784]
 */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * Expands one dim into `unflattenedSize` (one entry may be -1).
 * @example new Unflatten(1, [1, 28, 28]).forward(zeros([8, 784])).shape // [8, 1, 28, 28]
 */
export class Unflatten extends Module {
  readonly unflattenedSize: number[];
  constructor(
    readonly dim: number,
    unflattenedSize: readonly number[],
  ) {
    super();
    if (!Array.isArray(unflattenedSize)) throw new TypeError('Unflatten: unflattenedSize must be an array of integers');
    this.unflattenedSize = unflattenedSize.slice();
  }
  forward(x: Tensor): Tensor {
    const d = normDim(this.dim, x.ndim, 'Unflatten');
    const shape = [...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)];
    const known = this.unflattenedSize.reduce((a, b) => (b === -1 ? a : a * b), 1);
    const infer = this.unflattenedSize.includes(-1);
    if (infer ? known === 0 || x.shape[d] % known !== 0 : known !== x.shape[d]) {
      throw new RangeError(`Unflatten: sizes ${fmt(this.unflattenedSize)} do not multiply to dim ${d} of input ${fmt(x.shape)}`);
    }
    return reshape(x, shape);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=(${this.unflattenedSize.join(', ')})`;
  }
}
