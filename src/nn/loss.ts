/** Loss modules: thin wrappers over the functional losses, holding their options. */
import {
  bceWithLogits, binaryCrossEntropy, crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss,
  type Reduction,
} from '../ops/loss';
import type { Tensor } from '../tensor';
import { Module } from './module';

/** Base of the losses: a `reduction` and forward(input, target). */
abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = reduction ?? 'mean';
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction=${this.reduction}`;
  }
}

/** A loss with optional class weights, kept as a buffer named `weight` (as PyTorch). */
abstract class WeightedLoss extends Loss {
  weight!: Tensor | null;
  constructor(reduction: Reduction | undefined, weight: Tensor | null | undefined) {
    super(reduction);
    this.registerBuffer('weight', weight ?? null);
  }
}

/**
 * Cross-entropy of logits with int32 class targets (or class probabilities).
 * @example
 * const lossFn = new CrossEntropyLoss({ labelSmoothing: 0.1 });
 * lossFn.forward(model.forward(x), labels).backward();
 */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {}) {
    super(options.reduction, options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/**
 * Negative log-likelihood of log-probabilities at int32 class targets.
 * @example new NLLLoss().forward(logSoftmax(logits, 1), labels)
 */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(options.reduction, options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** A loss computed by one functional form taking only `reduction`. */
abstract class PlainLoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }
  protected abstract fn(input: Tensor, target: Tensor, o: { reduction: Reduction }): Tensor;
  forward(input: Tensor, target: Tensor): Tensor {
    return this.fn(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean squared error.
 * @example new MSELoss().forward(pred, target)
 */
export class MSELoss extends PlainLoss {
  protected fn = mseLoss;
}

/**
 * Mean absolute error.
 * @example new L1Loss().forward(pred, target)
 */
export class L1Loss extends PlainLoss {
  protected fn = l1Loss;
}

/**
 * Smooth L1 (quadratic below `beta`, linear above).
 * @example new SmoothL1Loss({ beta: 0.5 }).forward(pred, target)
 */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: { reduction?: Reduction; beta?: number } = {}) {
    super(options.reduction);
    this.beta = options.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Huber loss (quadratic below `delta`, linear above, slope delta).
 * @example new HuberLoss({ delta: 2 }).forward(pred, target)
 */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: { reduction?: Reduction; delta?: number } = {}) {
    super(options.reduction);
    this.delta = options.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Binary cross-entropy of probabilities (logs clamped at -100).
 * @example new BCELoss().forward(sigmoid(logits), labels)
 */
export class BCELoss extends WeightedLoss {
  constructor(options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(options.reduction, options.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Binary cross-entropy on logits (stable), with optional `posWeight` per
 * class, kept as the buffer `pos_weight` (as PyTorch).
 * @example new BCEWithLogitsLoss({ posWeight: tensor([3.0]) }).forward(logits, labels)
 */
export class BCEWithLogitsLoss extends WeightedLoss {
  pos_weight!: Tensor | null;
  constructor(options: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super(options.reduction, options.weight);
    this.registerBuffer('pos_weight', options.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogits(input, target, { weight: this.weight, reduction: this.reduction, posWeight: this.pos_weight });
  }
}
