/** RMSprop (torch.optim.RMSprop), plain, centered and with momentum. */
import type { Tensor } from '../tensor';
import { checkRange, fusedUpdate, gradOf, Optimizer, stateTensor, type ParamGroup, type ParamsInput } from './optimizer';

/** RMSprop options (PyTorch's defaults). */
export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment. */
  centered: boolean;
}

/**
 * RMSprop: s = α·s + (1-α)·g²; avg = sqrt(s - ḡ²) + eps when centered (ḡ the
 * running mean of g), else sqrt(s) + eps; p -= lr·g/avg, or through a
 * momentum buffer b = momentum·b + g/avg, p -= lr·b.
 * @example const opt = new RMSprop(model.parameters(), { lr: 1e-3, centered: true });
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options });
  }

  protected validate(g: ParamGroup<RMSpropOptions>): void {
    checkRange('RMSprop', 'learning rate', g.lr, 0);
    checkRange('RMSprop', 'alpha', g.alpha, 0);
    checkRange('RMSprop', 'epsilon', g.eps, 0);
    checkRange('RMSprop', 'weightDecay', g.weightDecay, 0);
    checkRange('RMSprop', 'momentum', g.momentum, 0);
    if (typeof g.centered !== 'boolean') throw new TypeError('RMSprop: centered must be a boolean');
  }

  protected updateGroup(g: ParamGroup<RMSpropOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      const grad = gradOf(p, 'RMSprop');
      const s = this.stateOf(p);
      if (s.square_avg === undefined) {
        s.step = 0;
        s.square_avg = stateTensor(p);
      }
      if (g.momentum > 0 && s.momentum_buffer === undefined) s.momentum_buffer = stateTensor(p);
      if (g.centered && s.grad_avg === undefined) s.grad_avg = stateTensor(p);
      s.step = (s.step as number) + 1;
      const buf = g.momentum > 0 ? (s.momentum_buffer as Tensor) : null;
      const gavg = g.centered ? (s.grad_avg as Tensor) : null;
      fusedUpdate(p, [grad, s.square_avg as Tensor, buf, gavg], (b, ph, [gh, sh, bh, ah]) =>
        b.rmspropStep(ph, gh!, sh!, bh, ah, g.lr, g.alpha, g.eps, g.weightDecay, g.momentum, g.centered),
      );
    }
  }
}
