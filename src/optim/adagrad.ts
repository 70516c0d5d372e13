/** Adagrad (torch.optim.Adagrad). */
import type { Tensor } from '../tensor';
import { checkRange, fusedUpdate, gradOf, Optimizer, stateTensor, type ParamGroup, type ParamsInput } from './optimizer';

/** Adagrad options (PyTorch's defaults). */
export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning-rate decay: step t uses lr / (1 + (t-1)·lrDecay) (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator (default 1e-10). */
  eps: number;
}

/**
 * Adagrad: sum += g²; p -= clr·g/(sqrt(sum) + eps) with
 * clr = lr / (1 + (t-1)·lrDecay).
 * @example const opt = new Adagrad(model.parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, ...options });
  }

  protected validate(g: ParamGroup<AdagradOptions>): void {
    checkRange('Adagrad', 'learning rate', g.lr, 0);
    checkRange('Adagrad', 'lrDecay', g.lrDecay, 0);
    checkRange('Adagrad', 'weightDecay', g.weightDecay, 0);
    checkRange('Adagrad', 'initialAccumulatorValue', g.initialAccumulatorValue, 0);
    checkRange('Adagrad', 'epsilon', g.eps, 0);
  }

  protected updateGroup(g: ParamGroup<AdagradOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      const grad = gradOf(p, 'Adagrad');
      const s = this.stateOf(p);
      if (s.sum === undefined) {
        s.step = 0;
        s.sum = stateTensor(p, g.initialAccumulatorValue);
      }
      const step = (s.step as number) + 1;
      s.step = step;
      const clr = g.lr / (1 + (step - 1) * g.lrDecay);
      fusedUpdate(p, [grad, s.sum as Tensor], (b, ph, [gh, sh]) => b.adagradStep(ph, gh!, sh!, clr, g.eps, g.weightDecay));
    }
  }
}
