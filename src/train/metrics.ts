/**
 * Metrics for `compile({ metrics })`. Each returns the batch's mean value as
 * a number; fit averages them over an epoch weighted by batch size.
 */
import { noGrad } from '../autograd/grad-mode';
import { fmt } from '../shape';
import type { Tensor } from '../tensor';
import { bceWithLogits, type LossFn } from './losses';

/** A metric: (model output, target) → the batch mean. */
export type MetricFn = (output: Tensor, target: Tensor) => number;

/**
 * Accuracy that adapts to the targets, as Keras's 'accuracy' does:
 * int32 class indices → argmax of the output; same-shape targets with a last
 * dim > 1 (one-hot) → argmax of both; otherwise binary, the output
 * thresholded at `threshold` (0.5 for probabilities, 0 for logits).
 * @example accuracy(logits, labels); // fraction of rows whose argmax is the label
 */
export function accuracy(output: Tensor, target: Tensor, threshold = 0.5): number {
  return noGrad(() => {
    const n = output.numel() === 0 ? 0 : output.shape[0];
    if (n === 0) return 0;
    if (target.dtype === 'int32' && output.ndim >= 2 && output.shape[output.ndim - 1] > 1) {
      const t = target.ndim === output.ndim ? target.reshape(target.shape.slice(0, -1)) : target;
      if (t.numel() !== output.numel() / output.shape[output.ndim - 1]) {
        throw new RangeError(`accuracy: class targets ${fmt(target.shape)} do not match outputs ${fmt(output.shape)}`);
      }
      return (output.argmax(-1).eq(t.reshape(output.shape.slice(0, -1))).sum().item() as number) / t.numel();
    }
    if (output.ndim >= 2 && output.shape[output.ndim - 1] > 1 && target.numel() === output.numel()) {
      const t = target.reshape(output.shape);
      return (output.argmax(-1).eq(t.argmax(-1)).sum().item() as number) / (output.numel() / output.shape[output.ndim - 1]);
    }
    if (target.numel() !== output.numel()) throw new RangeError(`accuracy: targets ${fmt(target.shape)} do not match outputs ${fmt(output.shape)}`);
    const pred = output.gt(threshold);
    return (pred.eq(target.reshape(output.shape).gt(0.5)).sum().item() as number) / output.numel();
  });
}

/** Mean absolute error as a metric. @example mae(pred, target) */
export function mae(output: Tensor, target: Tensor): number {
  return noGrad(() => output.sub(target.to(output.dtype).reshape(output.shape)).abs().mean().item() as number);
}

/** @internal Resolves a metric given by name (or a function) for a compiled loss. */
export function resolveMetric(m: string | MetricFn, loss: LossFn, i: number): { name: string; fn: MetricFn } {
  if (typeof m === 'function') return { name: m.name || `metric_${i}`, fn: m };
  if (m === 'accuracy' || m === 'acc') {
    // A binary classifier trained on logits decides at 0, on probabilities at 0.5.
    const threshold = loss === bceWithLogits ? 0 : 0.5;
    return { name: m, fn: (o, t) => accuracy(o, t, threshold) };
  }
  if (m === 'mae' || m === 'meanAbsoluteError') return { name: m, fn: mae };
  throw new TypeError(`compile: unknown metric ${JSON.stringify(m)} (use 'accuracy', 'mae' or a function (output, target) => number)`);
}
