/**
 * Layer ops that are not convolutions or losses: dropout, normalisation,
 * embedding lookup and the tanh-approximated GELU. All are composed from
 * differentiable ops (so higher derivatives work), except embedding, whose
 * backward must skip `paddingIdx` rows.
 */
import { isGradEnabled, noGrad } from '../autograd/grad-mode';
import { record } from '../autograd/node';
import { isFloating } from '../dtype';
import { fmt, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { bernoulliRaw } from './creation';
import { indexSelect, scatterAddZeros } from './indexing';
import { add, eq, mul, rsqrt, sub, tanh, unaryRaw, where } from './pointwise';
import { mean, variance } from './reduce';
import { expand, reshape, unsqueeze } from './views';

function checkFloat(x: unknown, op: string, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: ${what} must be float32 or float64, got ${x.dtype} ${fmt(x.shape)}`);
}

/**
 * Inverted dropout: in training, zeroes each element with probability `p`
 * and scales the rest by 1/(1-p), so the expected value is unchanged; returns
 * `x` itself when not training or p = 0.
 * @example dropout(x, 0.2, model.training)
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkFloat(x, 'dropout');
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const keep = bernoulliRaw(x.shape, 1 - p, x.dtype, x.device);
  // One pass for the mask's scale, one for the product; backward is g * mask.
  return mul(x, unaryRaw('mulAdd', keep, 1 / (1 - p), 0));
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Use batch statistics (and update the running ones) instead of the running ones. Default false. */
  training?: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's convention). Default 0.1. */
  momentum?: number;
  /** Added to the variance. Default 1e-5. */
  eps?: number;
}

/**
 * Batch normalisation over dim 1 of x [N, C, ...], like
 * `torch.nn.functional.batch_norm`. In training it normalises with the batch
 * mean and biased variance and updates `runningMean`/`runningVar` in place
 * (the variance with Bessel's correction); otherwise it uses them.
 * @example batchNorm(x, rm, rv, gamma, beta, { training: true })
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  checkFloat(x, op);
  if (x.ndim < 2) throw new RangeError(`${op}: input must be at least 2-D [N, C, ...], got ${fmt(x.shape)}`);
  const c = x.shape[1];
  const training = options.training ?? false;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  for (const [t, what] of [[runningMean, 'runningMean'], [runningVar, 'runningVar'], [weight, 'weight'], [bias, 'bias']] as const) {
    if (t === null || t === undefined) continue;
    checkFloat(t, op, what);
    if (t.numel() !== c) throw new RangeError(`${op}: ${what} must have ${c} elements (channels of input ${fmt(x.shape)}), got ${fmt(t.shape)}`);
  }
  // Per-channel values broadcast as [1, C, 1, ...].
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  const chan = (t: Tensor): Tensor => reshape(t, bshape);
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let xhat: Tensor;
  if (training || runningMean === null || runningVar === null) {
    const count = x.numel() / Math.max(c, 1);
    if (count <= 1) throw new RangeError(`${op}: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
    const mu = mean(x, dims, true);
    const v = variance(x, dims, 0, true);
    xhat = mul(sub(x, mu), rsqrt(add(v, eps)));
    if (training && runningMean && runningVar) {
      noGrad(() => {
        runningMean.mulInPlace(1 - momentum).addInPlace(reshape(mu, runningMean.shape), momentum);
        runningVar.mulInPlace(1 - momentum).addInPlace(reshape(mul(v, count / (count - 1)), runningVar.shape), momentum);
      });
    }
  } else {
    xhat = mul(sub(x, chan(runningMean)), rsqrt(add(chan(runningVar), eps)));
  }
  if (weight) xhat = mul(xhat, chan(weight));
  if (bias) xhat = add(xhat, chan(bias));
  return xhat;
}

/**
 * Layer normalisation over the trailing dims `normalizedShape`, like
 * `torch.nn.functional.layer_norm` (biased variance).
 * @example layerNorm(x, [x.shape[x.ndim - 1]], gamma, beta)
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  checkFloat(x, op);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape.slice();
  const k = ns.length;
  if (k === 0 || k > x.ndim || !shapesEqual(x.shape.slice(x.ndim - k), ns)) {
    throw new RangeError(`${op}: input ${fmt(x.shape)} does not end in normalizedShape ${fmt(ns)}`);
  }
  for (const [t, what] of [[weight, 'weight'], [bias, 'bias']] as const) {
    if (t === null || t === undefined) continue;
    checkFloat(t, op, what);
    if (!shapesEqual(t.shape, ns)) throw new RangeError(`${op}: ${what} must have shape ${fmt(ns)}, got ${fmt(t.shape)}`);
  }
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const mu = mean(x, dims, true);
  const v = variance(x, dims, 0, true);
  let y = mul(sub(x, mu), rsqrt(add(v, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/**
 * Looks up rows of `weight` [numEmbeddings, dim] at int32 `input` (any
 * shape), like `torch.nn.functional.embedding`; the result has shape
 * [...input.shape, dim]. Rows at `paddingIdx` receive no gradient.
 * @example embedding(tensor([[1, 3]]), weight).shape // [1, 2, dim]
 */
export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  const op = 'embedding';
  if (!(input instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor, got ${input === null ? 'null' : typeof input}`);
  if (input.dtype !== 'int32') throw new TypeError(`${op}: input must be an int32 tensor of indices, got ${input.dtype} ${fmt(input.shape)}`);
  checkFloat(weight, op, 'weight');
  if (weight.ndim !== 2) throw new RangeError(`${op}: weight must be 2-D [numEmbeddings, dim], got ${fmt(weight.shape)}`);
  const [num, dim] = weight.shape;
  const pad = paddingIdx === null || paddingIdx === undefined ? null : paddingIdx < 0 ? paddingIdx + num : paddingIdx;
  const flat = reshape(input, [-1]);
  let rows: Tensor;
  try {
    rows = noGrad(() => indexSelect(weight, 0, flat));
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${op}: an index in input ${fmt(input.shape)} is out of range for weight ${fmt(weight.shape)} (${e.message})`);
    throw e;
  }
  const out = reshape(rows, [...input.shape, dim]);
  if (!(weight.requiresGrad && isGradEnabled())) return out;
  const n = flat.shape[0];
  const index = expand(reshape(flat, [n, 1]), [n, dim]);
  return record(out, op, [weight], (g) => {
    let g2 = reshape(g, [n, dim]);
    if (pad !== null) g2 = where(unsqueeze(eq(flat, pad), 1), 0, g2);
    return [scatterAddZeros([num, dim], 0, index, g2)];
  });
}

/**
 * GELU with the tanh approximation: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))),
 * PyTorch's `gelu(x, approximate='tanh')`.
 * @example geluTanh(tensor([1.0])).item(); // 0.8412
 */
export function geluTanh(x: Tensor): Tensor {
  checkFloat(x, 'gelu');
  const inner = mul(add(x, mul(mul(x, mul(x, x)), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}
