/**
 * `grad` (torch.autograd.grad) and numerical gradient checks.
 */
import { fmt, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { runBackward } from './engine';
import { noGrad } from './grad-mode';
import { onesLikeRaw } from '../ops/pointwise';
import { randn, tensor, zeros } from '../ops/creation';

/** Options for `grad`. */
export interface GradOptions {
  /** Gradients of the outputs (default: ones for scalar outputs). */
  gradOutputs?: readonly Tensor[];
  retainGraph?: boolean;
  /** Record the backward pass so the result can be differentiated again. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned rather than
 * accumulated into `.grad`. With `createGraph`, the result is differentiable.
 * @example
 * const x = tensor([2.0], { requiresGrad: true });
 * const [dy] = grad(x.pow(3), [x], { createGraph: true }); // 3x^2 = 12
 * const [d2y] = grad(dy!, [x]);                              // 6x = 12
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : outputs.slice();
  const ins = inputs instanceof Tensor ? [inputs] : inputs.slice();
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`grad: input ${i} is not a Tensor`);
    if (!t.requiresGrad) throw new Error(`grad: input ${i} does not require grad`);
  });
  const gouts = outs.map((o, i) => {
    const g = options.gradOutputs?.[i];
    if (g) {
      if (!shapesEqual(g.shape, o.shape)) throw new RangeError(`grad: gradOutputs[${i}] shape ${fmt(g.shape)} does not match output ${fmt(o.shape)}`);
      return g;
    }
    if (o.numel() !== 1) throw new RangeError(`grad: gradOutputs must be given for non-scalar output ${i} (shape ${fmt(o.shape)})`);
    return onesLikeRaw(o);
  });
  const createGraph = options.createGraph ?? false;
  return runBackward(outs, gouts, {
    retainGraph: options.retainGraph ?? createGraph,
    createGraph,
    inputs: ins,
    allowUnused: options.allowUnused ?? false,
  });
}

/** Options for gradcheck. */
export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw on failure (default) or return false. */
  raiseException?: boolean;
}

function flatValues(t: Tensor): Float64Array {
  return Float64Array.from(t.data() as ArrayLike<number>);
}

function sumOutputs(fn: (...xs: Tensor[]) => Tensor | Tensor[], xs: Tensor[]): Tensor[] {
  const r = fn(...xs);
  return Array.isArray(r) ? r : [r];
}

/** Compares analytical and central-difference Jacobians of fn at `inputs` (use float64 inputs). */
function compareJacobians(
  fn: (...xs: Tensor[]) => Tensor | Tensor[],
  inputs: Tensor[],
  opts: GradcheckOptions,
  name: string,
): boolean {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const fail = (msg: string): boolean => {
    if (opts.raiseException ?? true) throw new Error(`${name}: ${msg}`);
    return false;
  };
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`${name}: input ${i} is not a Tensor`);
  });
  const checked = inputs.map((_, i) => i).filter((i) => inputs[i].requiresGrad);
  // Numerical Jacobian columns: perturb one input element at a time (on a contiguous copy).
  const numeric: Float64Array[][][] = checked.map((i) => {
    const x = inputs[i];
    const base = flatValues(x);
    const cols: Float64Array[][] = [];
    for (let j = 0; j < base.length; j++) {
      const evalAt = (delta: number): Float64Array[] => {
        const p = base.slice();
        p[j] += delta;
        const xs = inputs.slice();
        // Keep requiresGrad so functions that differentiate internally (gradgradcheck) still work.
        xs[i] = tensor(p, { shape: x.shape, dtype: x.dtype, requiresGrad: true });
        return sumOutputs(fn, xs).map(flatValues);
      };
      const plus = evalAt(eps);
      const minus = evalAt(-eps);
      cols.push(plus.map((pv, o) => pv.map((v, k) => (v - minus[o][k]) / (2 * eps))));
    }
    return cols;
  });
  // Analytical Jacobian rows: backprop a one-hot gradient for each output element.
  const outs = sumOutputs(fn, inputs);
  const wanted = checked.map((i) => inputs[i]);
  for (let o = 0; o < outs.length; o++) {
    const nOut = outs[o].numel();
    for (let k = 0; k < nOut; k++) {
      const seed = new Float64Array(nOut);
      seed[k] = 1;
      const g = tensor(seed, { shape: outs[o].shape }).to(outs[o].dtype);
      const rows = outs[o].requiresGrad
        ? grad([outs[o]], wanted, { gradOutputs: [g], allowUnused: true, retainGraph: true })
        : wanted.map(() => null);
      for (let w = 0; w < wanted.length; w++) {
        const a = rows[w] ? flatValues(rows[w]!) : new Float64Array(wanted[w].numel());
        for (let j = 0; j < a.length; j++) {
          const num = numeric[w][j][o][k];
          if (!(Math.abs(num - a[j]) <= atol + rtol * Math.abs(num))) {
            return fail(
              `Jacobian mismatch for output ${o} element ${k} with respect to input ${checked[w]} element ${j}: numerical ${num}, analytical ${a[j]}`,
            );
          }
        }
      }
    }
  }
  return true;
}

/**
 * Checks fn's gradients against float64 central differences, like
 * `torch.autograd.gradcheck`. Inputs that require grad are checked; use
 * float64 inputs. Throws (or returns false) on a mismatch.
 * @example gradcheck((x) => x.tanh().sum(), [randn([3], { dtype: 'float64', requiresGrad: true })]);
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], options: GradcheckOptions = {}): boolean {
  return compareJacobians(fn, inputs, options, 'gradcheck');
}

/**
 * Second-order check: the gradient of fn (contracted with a fixed random
 * output gradient) is itself checked with gradcheck, like `gradgradcheck`.
 */
export function gradgradcheck(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], options: GradcheckOptions = {}): boolean {
  const outs = noGrad(() => sumOutputs(fn, inputs));
  const gOuts = outs.map((o) => randn(o.shape, { dtype: 'float64' }).to(o.dtype));
  const firstOrder = (...xs: Tensor[]): Tensor[] => {
    const os = sumOutputs(fn, xs);
    const wanted = xs.filter((x) => x.requiresGrad);
    const gs = grad(os, wanted, { gradOutputs: gOuts, createGraph: true, allowUnused: true });
    return gs.map((g, i) => g ?? zeros(wanted[i].shape, { dtype: wanted[i].dtype }));
  };
  return compareJacobians(firstOrder, inputs, options, 'gradgradcheck');
}
