/** Activation layers: ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, Softplus. */
import { gelu, leakyRelu, relu, sigmoid, tanh } from '../ops/pointwise';
import { logSoftmax, softmax } from '../ops/reduce';
import { softplus } from '../ops/loss';
import { geluTanh } from '../ops/nn';
import type { Tensor } from '../tensor';
import { Module } from './module';

/**
 * max(x, 0).
 * @example new ReLU().forward(tensor([-1, 2])) // [0, 2]
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * x for x > 0, negativeSlope * x otherwise.
 * @example new LeakyReLU(0.2).forward(tensor([-1.0])) // [-0.2]
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/**
 * GELU: exact (erf) by default, or the tanh approximation with 'tanh'.
 * @example new GELU('tanh').forward(x)
 */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(approximate: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' } = 'none') {
    super();
    const a = typeof approximate === 'string' ? approximate : approximate.approximate ?? 'none';
    if (a !== 'none' && a !== 'tanh') throw new TypeError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(a)}`);
    this.approximate = a;
  }
  forward(x: Tensor): Tensor {
    return this.approximate === 'tanh' ? geluTanh(x) : gelu(x);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * 1 / (1 + e^-x).
 * @example new Sigmoid().forward(tensor([0.0])) // [0.5]
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * Hyperbolic tangent.
 * @example new Tanh().forward(x)
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** PyTorch's legacy choice of dim when none is given: 0 for 0-, 1- and 3-D inputs, else 1. */
function implicitDim(ndim: number): number {
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/** Softmax and LogSoftmax: a function applied along one dim. */
abstract class AlongDim extends Module {
  constructor(readonly dim?: number) {
    super();
  }
  protected abstract fn(x: Tensor, dim: number): Tensor;
  forward(x: Tensor): Tensor {
    return this.fn(x, this.dim ?? implicitDim(x.ndim));
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}

/**
 * Softmax along `dim` (omitted: PyTorch's legacy implicit dim).
 * @example new Softmax(1).forward(logits).sum(1) // ones
 */
export class Softmax extends AlongDim {
  protected fn(x: Tensor, dim: number): Tensor {
    return softmax(x, dim);
  }
}

/**
 * log(softmax(x)) along `dim`, computed stably.
 * @example new LogSoftmax(1).forward(logits)
 */
export class LogSoftmax extends AlongDim {
  protected fn(x: Tensor, dim: number): Tensor {
    return logSoftmax(x, dim);
  }
}

/**
 * log(1 + exp(beta * x)) / beta, linear above `threshold`.
 * @example new Softplus().forward(x)
 */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
