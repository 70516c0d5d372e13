/**
 * `nn.functional`: every layer's computation as a plain function, with
 * PyTorch's names camelCased (`F.crossEntropy`, `F.maxPool2d`, ...).
 * @example
 * import { nn } from 'tensorforge';
 * const F = nn.functional;
 * const y = F.relu(F.conv2d(x, w, b, { padding: 1 }));
 */
import { geluTanh } from '../ops/nn';
import { gelu as geluErf } from '../ops/pointwise';
import { arange } from '../ops/creation';
import { cast, eq } from '../ops/pointwise';
import { amax, amin } from '../ops/reduce';
import { reshape, unsqueeze } from '../ops/views';
import { fmt } from '../shape';
import { Tensor } from '../tensor';

export { conv2d, unfold, fold, maxPool2d, avgPool2d, adaptiveAvgPool2d } from '../ops/conv';
export type { Conv2dOptions, MaxPool2dOptions, AvgPool2dOptions, UnfoldOptions, Size2 } from '../ops/conv';
export { linear } from '../ops/linalg';
export { relu, leakyRelu, sigmoid, tanh } from '../ops/pointwise';
export { softmax, logSoftmax } from '../ops/reduce';
export { flatten } from '../ops/views';
export { dropout, batchNorm, layerNorm, embedding } from '../ops/nn';
export type { BatchNormOptions } from '../ops/nn';
export { scaledDotProductAttention, causalMask } from '../ops/attention';
export type { SdpaOptions } from '../ops/attention';
export { lstmSequence, rnnCell, gruCell } from '../ops/rnn';
export {
  crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, bceWithLogits, softplus,
  bceWithLogits as binaryCrossEntropyWithLogits,
} from '../ops/loss';
export type { Reduction, NllOptions, CrossEntropyOptions, LossOptions, BceOptions } from '../ops/loss';

/**
 * GELU: exact (erf, the default) or with `approximate: 'tanh'`.
 * @example F.gelu(x, { approximate: 'tanh' })
 */
export function gelu(x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const a = options.approximate ?? 'none';
  if (a !== 'none' && a !== 'tanh') throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(a)}`);
  return a === 'tanh' ? geluTanh(x) : geluErf(x);
}

/**
 * One-hot encoding of int32 class indices: shape [...x.shape, numClasses]
 * (numClasses = max + 1 when omitted or -1), int32.
 * @example F.oneHot(tensor([0, 2]), 3).toArray() // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(x: Tensor, numClasses = -1): Tensor<'int32'> {
  if (!(x instanceof Tensor) || x.dtype !== 'int32') throw new TypeError(`oneHot: input must be an int32 Tensor, got ${x instanceof Tensor ? x.dtype : typeof x}`);
  const empty = x.numel() === 0;
  const lo = empty ? 0 : (amin(x).item() as number);
  const hi = empty ? -1 : (amax(x).item() as number);
  const n = numClasses === -1 ? hi + 1 : numClasses;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  if (lo < 0 || hi >= n) throw new RangeError(`oneHot: class values must be in [0, ${n}), got values in [${lo}, ${hi}] (input ${fmt(x.shape)})`);
  const classes = reshape(arange(n, { device: x.device }), [...x.shape.map(() => 1), n]);
  return cast(eq(unsqueeze(x, -1), classes), 'int32') as Tensor<'int32'>;
}
