/**
 * Attention as a composite of differentiable ops (matmul, masked fill,
 * softmax, dropout), with PyTorch's mask conventions.
 */
import type { Device } from '../backend/device';
import { isFloating, type FloatDType } from '../dtype';
import { broadcastShapes, fmt } from '../shape';
import { Tensor } from '../tensor';
import { arange } from './creation';
import { dropout } from './nn';
import { add, cast, gt, logicalNot, maskedFill, mul, where } from './pointwise';
import { matmul } from './linalg';
import { softmax } from './reduce';
import { transpose, unsqueeze } from './views';

/** Options of `scaledDotProductAttention` (PyTorch's names). */
export interface SdpaOptions {
  /**
   * [..., L, S], broadcast against the scores. bool: true where a query may
   * attend to a key; float: added to the scores (use -Infinity to block).
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights. Default 0. */
  dropoutP?: number;
  /** Let query i attend only to keys j <= i (cannot be combined with attnMask). Default false. */
  isCausal?: boolean;
  /** Multiplies q k^T. Default 1/sqrt(E). */
  scale?: number | null;
}

/**
 * A bool [L, S] mask that is true where key j may be seen by query i, i.e.
 * j <= i (the lower triangle): PyTorch's `is_causal` mask.
 * @example causalMask(3).toArray() // [[true, false, false], [true, true, false], [true, true, true]]
 */
export function causalMask(L: number, S: number = L, device: Device = 'cpu'): Tensor<'bool'> {
  for (const [v, what] of [[L, 'L'], [S, 'S']] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`causalMask: ${what} must be a non-negative integer, got ${v}`);
  }
  const i = unsqueeze(arange(L, { device }), 1);
  const j = unsqueeze(arange(S, { device }), 0);
  return logicalNot(gt(j, i));
}

/**
 * The float mask of `nn.Transformer.generate_square_subsequent_mask`: [size,
 * size] with -Infinity above the diagonal and 0 elsewhere, to add to scores.
 * @example generateSquareSubsequentMask(3) // [[0, -inf, -inf], [0, 0, -inf], [0, 0, 0]]
 */
export function generateSquareSubsequentMask(size: number, options: { dtype?: FloatDType; device?: Device } = {}): Tensor {
  return cast(where(causalMask(size, size, options.device ?? 'cpu'), 0, -Infinity), options.dtype ?? 'float32');
}

/** Applies an attention mask to scores: bool masks keep where true, float masks are added. */
export function applyAttnMask(scores: Tensor, mask: Tensor, op: string, keepWhere: boolean): Tensor {
  try {
    broadcastShapes(mask.shape, scores.shape, op);
  } catch {
    throw new RangeError(`${op}: mask ${fmt(mask.shape)} does not broadcast to the attention scores ${fmt(scores.shape)}`);
  }
  if (mask.dtype === 'bool') return maskedFill(scores, keepWhere ? logicalNot(mask) : mask, -Infinity);
  if (!isFloating(mask.dtype)) throw new TypeError(`${op}: mask must be bool or floating point, got ${mask.dtype}`);
  const out = add(scores, mask);
  if (out.ndim !== scores.ndim) throw new RangeError(`${op}: mask ${fmt(mask.shape)} does not broadcast to the attention scores ${fmt(scores.shape)}`);
  return out;
}

/**
 * softmax(q k^T * scale + mask) v over the last two dims, like
 * `torch.nn.functional.scaled_dot_product_attention`: q [..., L, E],
 * k [..., S, E], v [..., S, Ev] -> [..., L, Ev] (leading dims broadcast).
 * Rows whose keys are all masked give NaN, as in PyTorch's math path.
 * @example
 * const out = scaledDotProductAttention(q, k, v, { isCausal: true }); // q, k, v [B, heads, T, 64]
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: SdpaOptions = {}): Tensor {
  if (options.isCausal && options.attnMask) throw new TypeError('scaledDotProductAttention: pass either attnMask or isCausal, not both');
  const masks = options.attnMask ? [{ mask: options.attnMask, keepWhere: true }] : [];
  return attend(q, k, v, { ...options, masks }, true).output;
}

/** A mask and its bool convention: keep where true (SDPA) or block where true (MultiheadAttention). */
export interface AttnMaskSpec {
  mask: Tensor;
  keepWhere: boolean;
}

/** @internal The attention weights (after dropout) and the output; shared with MultiheadAttention. */
export function attend(
  q: Tensor, k: Tensor, v: Tensor, options: { masks: AttnMaskSpec[]; isCausal?: boolean; dropoutP?: number; scale?: number | null }, training: boolean,
): { weights: Tensor; output: Tensor } {
  const op = 'scaledDotProductAttention';
  for (const [x, what] of [[q, 'query'], [k, 'key'], [v, 'value']] as const) {
    if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
    if (!isFloating(x.dtype)) throw new TypeError(`${op}: ${what} must be float32 or float64, got ${x.dtype}`);
    if (x.ndim < 2) throw new RangeError(`${op}: ${what} must be at least 2-D [..., seq, features], got ${fmt(x.shape)}`);
  }
  const E = q.shape[q.ndim - 1];
  if (k.shape[k.ndim - 1] !== E) throw new RangeError(`${op}: query ${fmt(q.shape)} and key ${fmt(k.shape)} must share the last dim`);
  if (k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) throw new RangeError(`${op}: key ${fmt(k.shape)} and value ${fmt(v.shape)} must have the same sequence length`);
  const p = options.dropoutP ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropoutP must be in [0, 1], got ${p}`);
  const scale = options.scale ?? 1 / Math.sqrt(E);
  let scores = mul(matmul(q, transpose(k, -2, -1)), scale);
  if (options.isCausal) scores = applyAttnMask(scores, causalMask(q.shape[q.ndim - 2], k.shape[k.ndim - 2], q.device), op, true);
  for (const m of options.masks) scores = applyAttnMask(scores, m.mask, op, m.keepWhere);
  const weights = dropout(softmax(scores, -1), p, training && p > 0);
  return { weights, output: matmul(weights, v) };
}
