/**
 * The losses `compile` accepts by name. nn.functional's losses are not on this
 * branch yet, so these are minimal private versions with the same names and
 * (input, target) signatures; switching to nn.functional is a change of the
 * imports in `LOSSES` only. Cross-entropy uses the fused native
 * softmax + cross-entropy kernel (one pass for the loss and its gradient).
 */
import { writeView } from '../backend/meta';
import { record } from '../autograd/node';
import { isGradEnabled } from '../autograd/grad-mode';
import { allocTensor, Tensor } from '../tensor';
import { fmt } from '../shape';

/** A loss: (model output, target) → scalar tensor. */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

function floatTarget(output: Tensor, target: Tensor, op: string): Tensor {
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor`);
  let t = target.dtype === output.dtype ? target : target.to(output.dtype);
  // Keras-style targets [N] for outputs [N, 1] (and the reverse) are the same values.
  if (fmt(t.shape) !== fmt(output.shape)) {
    if (t.numel() !== output.numel()) throw new RangeError(`${op}: target ${fmt(target.shape)} does not match output ${fmt(output.shape)}`);
    t = t.reshape(output.shape);
  }
  return t;
}

/** Mean cross-entropy of logits [N, C] against int32 class indices [N]. */
export function crossEntropy(logits: Tensor, target: Tensor): Tensor {
  const op = 'crossEntropy';
  if (!(logits instanceof Tensor) || logits.ndim !== 2) throw new RangeError(`${op}: logits must be a 2-D tensor [N, C]${logits instanceof Tensor ? `, got ${fmt(logits.shape)}` : ''}`);
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64') throw new TypeError(`${op}: logits must be float32 or float64, got ${logits.dtype}`);
  if (!(target instanceof Tensor) || target.dtype !== 'int32') {
    throw new TypeError(`${op}: target must be an int32 tensor of class indices${target instanceof Tensor ? `, got ${target.dtype}` : ''} (use 'categoricalCrossentropy' for one-hot targets)`);
  }
  const t = target.ndim === 2 && target.shape[1] === 1 ? target.reshape([-1]) : target;
  const [n] = logits.shape;
  if (t.ndim !== 1 || t.shape[0] !== n) throw new RangeError(`${op}: target ${fmt(target.shape)} must be [${n}] for logits ${fmt(logits.shape)}`);
  if (t.device !== logits.device) throw new TypeError(`${op}: target is on ${t.device}, logits on ${logits.device}`);
  const rows = allocTensor([n], logits.dtype, logits.device);
  const grad = isGradEnabled() && logits.requiresGrad ? allocTensor(logits.shape, logits.dtype, logits.device) : null;
  const b = logits._storage.binding;
  let pos = writeView(b.meta, 0, rows);
  if (grad) pos = writeView(b.meta, pos, grad);
  writeView(b.meta, writeView(b.meta, pos, logits), t);
  // No class index is -2^31, so nothing is ignored.
  b.crossEntropy(rows._storage.handle, grad ? grad._storage.handle : null, logits._storage.handle, t._storage.handle, -2147483648);
  const loss = rows.mean();
  // The kernel's gradient is per row (softmax - onehot); the mean divides by N.
  return record(loss, op, [logits], (g) => [grad!.mul(g.div(n))], [grad ?? rows]);
}

/** Mean cross-entropy of logits [N, C] against class probabilities (e.g. one-hot) [N, C]. */
export function categoricalCrossentropy(logits: Tensor, target: Tensor): Tensor {
  const t = floatTarget(logits, target, 'categoricalCrossentropy');
  return logits.logSoftmax(-1).mul(t).sum(-1).neg().mean();
}

/** Mean squared error. */
export function mseLoss(output: Tensor, target: Tensor): Tensor {
  return output.sub(floatTarget(output, target, 'mseLoss')).square().mean();
}

/** Mean absolute error. */
export function l1Loss(output: Tensor, target: Tensor): Tensor {
  return output.sub(floatTarget(output, target, 'l1Loss')).abs().mean();
}

/** Binary cross-entropy of probabilities in (0, 1); logs clamped at -100 as in PyTorch. */
export function binaryCrossEntropy(p: Tensor, target: Tensor): Tensor {
  const y = floatTarget(p, target, 'binaryCrossEntropy');
  const a = y.mul(p.log().clamp(-100));
  const b = y.neg().add(1).mul(p.neg().add(1).log().clamp(-100));
  return a.add(b).neg().mean();
}

/** Binary cross-entropy of logits, in the stable form max(x,0) - x·y + log(1 + e^-|x|). */
export function bceWithLogits(x: Tensor, target: Tensor): Tensor {
  const y = floatTarget(x, target, 'bceWithLogits');
  return x.relu().sub(x.mul(y)).add(x.abs().neg().exp().log1p()).mean();
}

/** Loss names `compile` accepts (Keras and PyTorch spellings). */
export const LOSSES: Record<string, LossFn> = {
  sparseCategoricalCrossentropy: crossEntropy,
  crossEntropy,
  categoricalCrossentropy,
  mse: mseLoss,
  meanSquaredError: mseLoss,
  mae: l1Loss,
  meanAbsoluteError: l1Loss,
  l1: l1Loss,
  binaryCrossentropy: binaryCrossEntropy,
  binaryCrossEntropy,
  bceWithLogits,
};
