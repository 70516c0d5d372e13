/** Helpers shared by the layer classes: parameter creation and PyTorch's default init. */
import type { Device } from '../backend/device';
import type { FloatDType } from '../dtype';
import { empty } from '../ops/creation';
import { Parameter } from './module';
import { calculateFanInAndFanOut, kaimingUniform, uniform } from './init';

/** Where and in what precision a layer creates its parameters. */
export interface FactoryOptions {
  /** Default 'float32'. */
  dtype?: FloatDType;
  /** Default 'cpu'. */
  device?: Device;
}

/** @internal An uninitialised parameter of `shape`. */
export function param(shape: number[], o: FactoryOptions): Parameter {
  return new Parameter(empty(shape, { dtype: o.dtype ?? 'float32', device: o.device ?? 'cpu' }));
}

/**
 * @internal PyTorch's default for Linear and Conv: kaiming-uniform with a = sqrt(5)
 * (a bound of 1/sqrt(fanIn)) for the weight, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for the bias.
 */
export function resetFanIn(weight: Parameter, bias: Parameter | null): void {
  kaimingUniform(weight, { a: Math.sqrt(5) });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound);
  }
}

/** @internal Checks a positive integer constructor argument. */
export function positiveInt(v: unknown, what: string, op: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${what} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

/** @internal "(3, 3)" for a size, as PyTorch prints tuples. */
export function tuple(v: number | readonly number[]): string {
  return typeof v === 'number' ? String(v) : `(${v.join(', ')})`;
}
