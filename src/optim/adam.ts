/** Adam and AdamW (torch.optim.Adam / AdamW), including AMSGrad. */
import type { Tensor } from '../tensor';
import { checkRange, fusedUpdate, gradOf, Optimizer, stateTensor, type ParamGroup, type ParamsInput } from './optimizer';

/** Adam / AdamW options (PyTorch's defaults). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay p *= 1 - lr·wd (default 1e-2). */
  weightDecay: number;
  /** Use the running maximum of the second moment (AMSGrad). */
  amsgrad: boolean;
}

/**
 * Adam. With t the step count: m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g²,
 * p -= lr/(1-β1^t) · m / (sqrt(v̂)/sqrt(1-β2^t) + eps), where v̂ is v, or its
 * running max with AMSGrad. Weight decay is added to the gradient (L2).
 * @example const opt = new Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends Optimizer<AdamOptions> {
  /** AdamW decays the weights directly instead of through the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options });
  }

  protected validate(g: ParamGroup<AdamOptions>): void {
    const name = this.constructor.name;
    checkRange(name, 'learning rate', g.lr, 0);
    checkRange(name, 'epsilon', g.eps, 0);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new TypeError(`${name}: betas must be a pair [beta1, beta2]`);
    checkRange(name, 'beta1', g.betas[0], 0, 1);
    checkRange(name, 'beta2', g.betas[1], 0, 1);
    checkRange(name, 'weightDecay', g.weightDecay, 0);
    if (typeof g.amsgrad !== 'boolean') throw new TypeError(`${name}: amsgrad must be a boolean`);
  }

  protected updateGroup(g: ParamGroup<AdamOptions>): void {
    const [b1, b2] = g.betas;
    for (const p of g.params) {
      if (!p.grad) continue;
      const grad = gradOf(p, this.constructor.name);
      const s = this.stateOf(p);
      if (s.exp_avg === undefined) {
        s.step = 0;
        s.exp_avg = stateTensor(p);
        s.exp_avg_sq = stateTensor(p);
      }
      if (g.amsgrad && s.max_exp_avg_sq === undefined) s.max_exp_avg_sq = stateTensor(p);
      const step = (s.step as number) + 1;
      s.step = step;
      const vmax = g.amsgrad ? (s.max_exp_avg_sq as Tensor) : null;
      fusedUpdate(p, [grad, s.exp_avg as Tensor, s.exp_avg_sq as Tensor, vmax], (b, ph, [gh, mh, vh, xh]) =>
        b.adamStep(ph, gh!, mh!, vh!, xh, g.lr, b1, b2, g.eps, g.weightDecay, 1 - b1 ** step, 1 - b2 ** step, this.decoupled, g.amsgrad),
      );
    }
  }
}

/**
 * AdamW: Adam with decoupled weight decay (p *= 1 - lr·weightDecay before the
 * Adam step, instead of adding weightDecay·p to the gradient). Default
 * weightDecay 1e-2.
 * @example const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options });
  }
}
