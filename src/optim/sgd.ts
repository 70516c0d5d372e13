/** Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD). */
import type { Tensor } from '../tensor';
import { checkRange, fusedUpdate, gradOf, Optimizer, stateTensor, type ParamGroup, type ParamsInput } from './optimizer';

/** SGD options (PyTorch's defaults). */
export interface SGDOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Momentum factor (default 0: plain SGD). */
  momentum: number;
  /** Dampening for momentum (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
}

/**
 * SGD. Per parameter, with d = g + weightDecay·p: the momentum buffer is
 * b = d on the first step and b = momentum·b + (1 - dampening)·d after; the
 * step is p -= lr·(nesterov ? d + momentum·b : b).
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
  }

  protected validate(g: ParamGroup<SGDOptions>): void {
    checkRange('SGD', 'learning rate', g.lr, 0);
    checkRange('SGD', 'momentum', g.momentum, 0);
    checkRange('SGD', 'dampening', g.dampening, -Infinity);
    checkRange('SGD', 'weightDecay', g.weightDecay, 0);
    if (typeof g.nesterov !== 'boolean') throw new TypeError('SGD: nesterov must be a boolean');
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected updateGroup(g: ParamGroup<SGDOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      const grad = gradOf(p, 'SGD');
      // Like PyTorch, plain SGD keeps no state; with momentum, only the buffer.
      let buf: Tensor | null = null;
      let first = false;
      if (g.momentum !== 0) {
        const s = this.stateOf(p);
        first = s.momentum_buffer === undefined;
        if (first) s.momentum_buffer = stateTensor(p);
        buf = s.momentum_buffer as Tensor;
      }
      fusedUpdate(p, [grad, buf], (b, ph, [gh, bh]) =>
        b.sgdStep(ph, gh!, bh, g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov, first),
      );
    }
  }
}
