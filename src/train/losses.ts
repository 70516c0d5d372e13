/**
 * The losses `compile` accepts by name: nn.functional's losses behind a thin
 * Keras-style adapter. Keras takes targets as they come: class indices as [N]
 * or [N, 1], regression targets [N] for outputs [N, 1], integer labels for
 * binary losses; PyTorch's functions rightly insist on exact shapes and float
 * targets, so the adapter reshapes and casts when the element counts agree.
 */
import * as F from '../nn/functional';
import { fmt } from '../shape';
import { Tensor } from '../tensor';

/** A loss: (model output, target) → scalar tensor. */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** Target with the output's shape and float dtype (same element count required). */
function likeOutput(output: Tensor, target: Tensor, op: string): Tensor {
  if (!(output instanceof Tensor)) throw new TypeError(`${op}: the model output must be a Tensor`);
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor`);
  let t = target.dtype === output.dtype ? target : target.to(output.dtype);
  if (fmt(t.shape) !== fmt(output.shape)) {
    if (t.numel() !== output.numel()) throw new RangeError(`${op}: target ${fmt(target.shape)} does not match output ${fmt(output.shape)}`);
    t = t.reshape(output.shape);
  }
  return t;
}

/** Cross-entropy of logits [N, C] with int32 classes [N] (or [N, 1]). */
function sparseCategoricalCrossentropy(logits: Tensor, target: Tensor): Tensor {
  const t = target instanceof Tensor && target.ndim === 2 && target.shape[1] === 1 && logits.ndim === 2 ? target.reshape([-1]) : target;
  return F.crossEntropy(logits, t);
}

/** Cross-entropy of logits [N, C] with class probabilities (e.g. one-hot) [N, C]. */
function categoricalCrossentropy(logits: Tensor, target: Tensor): Tensor {
  return F.crossEntropy(logits, likeOutput(logits, target, 'categoricalCrossentropy'));
}

const mse: LossFn = (o, t) => F.mseLoss(o, likeOutput(o, t, 'mse'));
const mae: LossFn = (o, t) => F.l1Loss(o, likeOutput(o, t, 'mae'));
const binaryCrossentropy: LossFn = (o, t) => F.binaryCrossEntropy(o, likeOutput(o, t, 'binaryCrossentropy'));
/** @internal Binary cross-entropy on logits (metrics classify its outputs at 0). */
export const bceWithLogits: LossFn = (o, t) => F.bceWithLogits(o, likeOutput(o, t, 'bceWithLogits'));

/**
 * Loss names `compile` accepts (Keras and PyTorch spellings).
 * @example train.LOSSES.mse(pred, target).item()
 */
export const LOSSES: Readonly<Record<string, LossFn>> = {
  sparseCategoricalCrossentropy,
  crossEntropy: sparseCategoricalCrossentropy,
  categoricalCrossentropy,
  mse,
  meanSquaredError: mse,
  mae,
  meanAbsoluteError: mae,
  l1: mae,
  binaryCrossentropy,
  binaryCrossEntropy: binaryCrossentropy,
  bceWithLogits,
};
