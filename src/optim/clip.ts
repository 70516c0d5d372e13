/** Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_). */
import { noGrad } from '../autograd/grad-mode';
import type { Storage } from '../storage';
import { Tensor } from '../tensor';

function gradsOf(params: Iterable<Tensor> | Tensor, op: string): Tensor[] {
  const list = params instanceof Tensor ? [params] : Array.from(params);
  const out: Tensor[] = [];
  // Scaling is done in place, so a gradient storage shared by two parameters
  // must be visited once.
  const seen = new Set<Storage>();
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: parameter ${i} is not a Tensor`);
    if (p.grad && !seen.has(p.grad._storage)) {
      seen.add(p.grad._storage);
      out.push(p.grad);
    }
  });
  return out;
}

/**
 * Scales all gradients in place so that their combined norm (the norm of the
 * vector of all gradient elements) is at most `maxNorm`. Returns the total
 * norm before clipping. `normType` may be any p >= 1 or Infinity.
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 */
export function clipGradNorm(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: { errorIfNonfinite?: boolean } = {},
): number {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be a non-negative number, got ${maxNorm}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new RangeError(`clipGradNorm: normType must be a positive number or Infinity, got ${normType}`);
  const grads = gradsOf(params, 'clipGradNorm');
  if (grads.length === 0) return 0;
  let total: number;
  noGrad(() => {
    if (normType === Infinity) {
      total = Math.max(...grads.map((g) => (g.numel() ? (g.abs().max().item() as number) : 0)));
    } else {
      // Sum of |g|^p per tensor in float64 (one reduction each), then the p-th root.
      let acc = 0;
      for (const g of grads) {
        const a = g.double().abs();
        acc += (normType === 2 ? a.square() : normType === 1 ? a : a.pow(normType)).sum().item() as number;
      }
      total = normType === 1 ? acc : acc ** (1 / normType);
    }
  });
  if (!Number.isFinite(total!) && options.errorIfNonfinite) {
    throw new Error(`clipGradNorm: the total norm of order ${normType} of the gradients is non-finite (${total!}), so it cannot be clipped`);
  }
  // PyTorch's epsilon keeps the division finite for an all-zero gradient.
  const coef = maxNorm / (total! + 1e-6);
  if (coef < 1) noGrad(() => grads.forEach((g) => g.mulInPlace(coef)));
  return total!;
}

/**
 * Clamps every gradient element into [-clipValue, clipValue], in place.
 * @example clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be a non-negative number, got ${clipValue}`);
  const grads = gradsOf(params, 'clipGradValue');
  noGrad(() => grads.forEach((g) => g.clampInPlace(-clipValue, clipValue)));
}
