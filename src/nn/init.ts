/**
 * `nn.init`: in-place parameter initialisers with PyTorch's formulas (fans,
 * gains, kaiming/xavier bounds). Each runs under noGrad, so it works on
 * parameters that require grad, and returns the tensor it filled.
 */
import { noGrad } from '../autograd/grad-mode';
import { isFloating, type FloatDType } from '../dtype';
import { fmt } from '../shape';
import { Tensor } from '../tensor';
import { rand, randn } from '../ops/creation';
import type { Generator } from '../ops/random';

/** Nonlinearities known to `calculateGain`. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Fan mode of the kaiming initialisers. */
export type FanMode = 'fan_in' | 'fan_out';

function checkTarget(t: unknown, op: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: tensor must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (!isFloating(t.dtype)) throw new TypeError(`${op}: tensor must be float32 or float64, got ${t.dtype}`);
}

/**
 * The recommended gain for a nonlinearity (PyTorch's table): 1 for
 * linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2/(1+a^2)) for
 * leaky_relu with slope a (default 0.01), 3/4 for selu.
 * @example calculateGain('leaky_relu', Math.sqrt(5)) // sqrt(1/3)
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const a = param ?? 0.01;
      if (typeof a !== 'number' || Number.isNaN(a)) throw new TypeError(`calculateGain: negative_slope ${a} is not a valid number`);
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new TypeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * [fanIn, fanOut] of a weight: dims 1 and 0 times the receptive field (the
 * product of dims 2...), as PyTorch computes them.
 * @example calculateFanInAndFanOut(zeros([32, 16, 3, 3])) // [144, 288]
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  checkTarget(t, 'calculateFanInAndFanOut');
  if (t.ndim < 2) throw new RangeError(`calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape ${fmt(t.shape)})`);
  let rf = 1;
  for (let i = 2; i < t.ndim; i++) rf *= t.shape[i];
  return [t.shape[1] * rf, t.shape[0] * rf];
}

/** Fills t with a fresh draw (from `generator` when given, else the global one). */
function fillWith(t: Tensor, kind: 'uniform' | 'normal', a: number, b: number, generator?: Generator): Tensor {
  noGrad(() => {
    if (!generator) {
      if (kind === 'uniform') t.uniformInPlace(a, b);
      else t.normalInPlace(a, b);
      return;
    }
    const opts = { dtype: t.dtype as FloatDType, device: t.device, generator };
    const r = kind === 'uniform' ? rand(t.shape, opts).mul(b - a).add(a) : randn(t.shape, opts).mul(b).add(a);
    t.copyInPlace(r);
  });
  return t;
}

/** Options of the random initialisers. */
export interface InitOptions {
  generator?: Generator;
}

/**
 * Fills with U(a, b).
 * @example nn.init.uniform(layer.weight, -0.1, 0.1)
 */
export function uniform<T extends Tensor>(t: T, a = 0, b = 1, options: InitOptions = {}): T {
  checkTarget(t, 'uniform');
  return fillWith(t, 'uniform', a, b, options.generator) as T;
}

/**
 * Fills with N(mean, std^2).
 * @example nn.init.normal(layer.weight, 0, 0.02)
 */
export function normal<T extends Tensor>(t: T, mean = 0, std = 1, options: InitOptions = {}): T {
  checkTarget(t, 'normal');
  return fillWith(t, 'normal', mean, std, options.generator) as T;
}

/**
 * Fills with a constant.
 * @example nn.init.constant(layer.bias, 0.1)
 */
export function constant<T extends Tensor>(t: T, value: number): T {
  checkTarget(t, 'constant');
  noGrad(() => t.fillInPlace(value));
  return t;
}

/** Fills with zeros. @example nn.init.zeros(layer.bias) */
export const zeros = <T extends Tensor>(t: T): T => constant(t, 0);
/** Fills with ones. @example nn.init.ones(bn.weight) */
export const ones = <T extends Tensor>(t: T): T => constant(t, 1);

/**
 * Xavier/Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)).
 * @example nn.init.xavierUniform(layer.weight)
 */
export function xavierUniform<T extends Tensor>(t: T, gain = 1, options: InitOptions = {}): T {
  const [fi, fo] = calculateFanInAndFanOut(t);
  const b = gain * Math.sqrt(6 / (fi + fo));
  return fillWith(t, 'uniform', -b, b, options.generator) as T;
}

/**
 * Xavier/Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)).
 * @example nn.init.xavierNormal(layer.weight)
 */
export function xavierNormal<T extends Tensor>(t: T, gain = 1, options: InitOptions = {}): T {
  const [fi, fo] = calculateFanInAndFanOut(t);
  return fillWith(t, 'normal', 0, gain * Math.sqrt(2 / (fi + fo)), options.generator) as T;
}

/** Options of the kaiming initialisers (PyTorch's defaults). */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the following leaky ReLU. Default 0. */
  a?: number;
  /** Preserve the variance forward ('fan_in', default) or backward ('fan_out'). */
  mode?: FanMode;
  /** Default 'leaky_relu'. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions, op: string): number {
  checkTarget(t, op);
  const mode = o.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new TypeError(`${op}: mode ${JSON.stringify(mode)} not supported, please use one of fan_in, fan_out`);
  const [fi, fo] = calculateFanInAndFanOut(t);
  const fan = mode === 'fan_in' ? fi : fo;
  if (fan === 0) return 0; // a zero-element tensor: nothing to fill (PyTorch warns and returns)
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/**
 * He/kaiming uniform: U(-b, b) with b = gain * sqrt(3 / fan).
 * @example nn.init.kaimingUniform(conv.weight, { a: Math.sqrt(5) }) // PyTorch's default layer init
 */
export function kaimingUniform<T extends Tensor>(t: T, options: KaimingOptions = {}): T {
  const b = Math.sqrt(3) * kaimingStd(t, options, 'kaimingUniform');
  return fillWith(t, 'uniform', -b, b, options.generator) as T;
}

/**
 * He/kaiming normal: N(0, std^2) with std = gain / sqrt(fan).
 * @example nn.init.kaimingNormal(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' })
 */
export function kaimingNormal<T extends Tensor>(t: T, options: KaimingOptions = {}): T {
  return fillWith(t, 'normal', 0, kaimingStd(t, options, 'kaimingNormal'), options.generator) as T;
}
