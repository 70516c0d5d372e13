/**
 * Tensor creation: from JS data, constant fills, ranges, and random draws.
 * Every function takes `{ dtype, device, requiresGrad }` options.
 */
import { checkDevice, type Device } from '../backend/device';
import { writeView } from '../backend/meta';
import { checkDType, isFloating, typedArrayFor, type DType, type FloatDType, type TypedArrayFor } from '../dtype';
import { checkShape, fmt, numel, type Shape } from '../shape';
import { allocTensor, fromTypedArray, Tensor } from '../tensor';
import { cast, floor, minimum } from './pointwise';
import { defaultGenerator, fillRandom, type Generator } from './random';

/** Options accepted by every creation function. */
export interface TensorOptions<D extends DType = DType> {
  dtype?: D;
  device?: Device;
  requiresGrad?: boolean;
}

/** Options for random creation functions. */
export interface RandomOptions<D extends DType = DType> extends TensorOptions<D> {
  generator?: Generator;
}

/** Nested arrays of numbers or booleans. */
export type NestedArray = number | boolean | readonly NestedArray[];

function finish<T extends Tensor>(t: T, opts: TensorOptions | undefined, op: string): T {
  if (opts?.requiresGrad) {
    if (!isFloating(t.dtype)) throw new TypeError(`${op}: only floating-point tensors can require gradients, got ${t.dtype}`);
    t.requiresGrad = true;
  }
  return t;
}

function optDevice(opts: TensorOptions | undefined, op: string): Device {
  return opts?.device === undefined ? 'cpu' : checkDevice(opts.device, op);
}

function optDType<D extends DType>(opts: TensorOptions | undefined, dflt: D, op: string): D {
  return (opts?.dtype === undefined ? dflt : checkDType(opts.dtype, op)) as D;
}

/** @internal A filled tensor outside autograd. */
export function fullRaw(shape: Shape, value: number, dtype: DType, device: Device): Tensor {
  const t = allocTensor(shape, dtype, device);
  fillRaw(t, value);
  return t;
}

/** @internal Fills t's (possibly strided) view with value; no autograd, no version bump. */
export function fillRaw(t: Tensor, value: number): void {
  const b = t._storage.binding;
  writeView(b.meta, 0, t);
  b.fill(t._storage.handle, value);
}

/** @internal zeros outside autograd. */
export function zerosRaw(shape: Shape, dtype: DType, device: Device): Tensor {
  return fullRaw(shape, 0, dtype, device);
}

function inferFromNested(data: NestedArray, op: string): { shape: number[]; flat: (number | boolean)[]; kind: 'bool' | 'int' | 'float' } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: (number | boolean)[] = [];
  let sawBool = false;
  let sawNum = false;
  let allInt = true;
  const walk = (x: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (typeof x === 'boolean') sawBool = true;
      else if (typeof x === 'number') {
        sawNum = true;
        if (!Number.isInteger(x)) allInt = false;
      } else {
        throw new TypeError(`${op}: expected a number or boolean at depth ${dim}, got ${Array.isArray(x) ? 'an array' : typeof x}`);
      }
      flat.push(x);
      return;
    }
    if (!Array.isArray(x)) throw new TypeError(`${op}: expected a sequence at dim ${dim}, got ${typeof x}`);
    if (x.length !== shape[dim]) {
      throw new RangeError(`${op}: expected a sequence of length ${shape[dim]} at dim ${dim} (got ${x.length}); nested arrays must be rectangular`);
    }
    for (const y of x) walk(y, dim + 1);
  };
  walk(data, 0);
  if (sawBool && sawNum) throw new TypeError(`${op}: cannot mix booleans and numbers`);
  return { shape, flat, kind: sawBool ? 'bool' : allInt && sawNum ? 'int' : 'float' };
}

function dtypeOfTyped(a: ArrayBufferView): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array || a instanceof Int8Array || a instanceof Uint16Array || a instanceof Int16Array || a instanceof Uint32Array) return 'int32';
  return null;
}

/**
 * Creates a tensor from nested arrays, a typed array (with `shape` in the
 * options, else 1-D), a number or a boolean. Numbers with a fraction give
 * float32, integers int32, booleans bool (override with `dtype`).
 * @example
 * tensor([[1, 2, 3]]);                      // int32 [1,3]
 * tensor([0.5, 1.5], { requiresGrad: true }); // float32
 * tensor(new Float32Array(6), { shape: [2, 3] });
 */
export function tensor<D extends DType = DType>(
  data: NestedArray | ArrayBufferView | Tensor,
  opts: TensorOptions<D> & { shape?: readonly number[] } = {},
): Tensor<D> {
  const device = optDevice(opts, 'tensor');
  if (data instanceof Tensor) {
    const dt = optDType(opts, data.dtype as D, 'tensor');
    // A copy (never an alias, as torch.tensor does): one cast/clone kernel on
    // the same device, a host round trip only when the device changes.
    const src = data.detach();
    const copy = src.device !== device ? fromTypedArray(cast(src, dt).data(), data.shape, dt, device) : dt === src.dtype ? src.clone() : cast(src, dt);
    return finish(copy as Tensor<D>, opts, 'tensor');
  }
  if (ArrayBuffer.isView(data)) {
    const natural = dtypeOfTyped(data);
    if (natural === null) throw new TypeError('tensor: unsupported typed array type (use Float32Array, Float64Array, Int32Array or Uint8Array)');
    const arr = data as unknown as ArrayLike<number>;
    const dt = optDType(opts, natural as D, 'tensor');
    const shape = opts.shape ? checkShape(opts.shape, 'tensor') : [arr.length];
    if (numel(shape) !== arr.length) throw new RangeError(`tensor: shape ${fmt(shape)} needs ${numel(shape)} elements, the typed array has ${arr.length}`);
    let buf: TypedArrayFor<DType>;
    if ((dt === natural && !(data instanceof Uint8Array) && !(data instanceof Int8Array) && !(data instanceof Uint16Array) && !(data instanceof Int16Array) && !(data instanceof Uint32Array)) || (dt === 'bool' && data instanceof Uint8Array)) {
      buf = data as TypedArrayFor<DType>;
    } else {
      buf = typedArrayFor(dt, arr.length);
      if (dt === 'bool') for (let i = 0; i < arr.length; i++) buf[i] = arr[i] ? 1 : 0;
      else buf.set(arr);
    }
    return finish(fromTypedArray(buf, shape, dt, device) as Tensor<D>, opts, 'tensor');
  }
  const { shape, flat, kind } = inferFromNested(data as NestedArray, 'tensor');
  const dt = optDType(opts, (kind === 'bool' ? 'bool' : kind === 'int' ? 'int32' : 'float32') as D, 'tensor');
  const buf = typedArrayFor(dt, flat.length);
  for (let i = 0; i < flat.length; i++) buf[i] = Number(flat[i]);
  if (dt === 'bool') for (let i = 0; i < flat.length; i++) buf[i] = flat[i] ? 1 : 0;
  return finish(fromTypedArray(buf, shape, dt, device) as Tensor<D>, opts, 'tensor');
}

/** Uninitialised memory of `shape` (contents are arbitrary). */
export function empty<D extends DType = 'float32'>(shape: readonly number[], opts: TensorOptions<D> = {}): Tensor<D> {
  const s = checkShape(shape, 'empty');
  return finish(allocTensor(s, optDType(opts, 'float32' as D, 'empty'), optDevice(opts, 'empty')), opts, 'empty');
}

/** A tensor filled with `value` (dtype inferred from the value unless given: bool, int32 or float32). */
export function full<D extends DType = DType>(shape: readonly number[], value: number | boolean, opts: TensorOptions<D> = {}): Tensor<D> {
  const s = checkShape(shape, 'full');
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`full: value must be a number or boolean, got ${typeof value}`);
  const inferred = typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int32' : 'float32';
  const dt = optDType(opts, inferred as D, 'full');
  return finish(fullRaw(s, Number(value), dt, optDevice(opts, 'full')) as Tensor<D>, opts, 'full');
}

/** Zeros (float32 unless `dtype`). @example zeros([2, 3]) */
export function zeros<D extends DType = 'float32'>(shape: readonly number[], opts: TensorOptions<D> = {}): Tensor<D> {
  const s = checkShape(shape, 'zeros');
  return finish(fullRaw(s, 0, optDType(opts, 'float32' as D, 'zeros'), optDevice(opts, 'zeros')) as Tensor<D>, opts, 'zeros');
}

/** Ones (float32 unless `dtype`). */
export function ones<D extends DType = 'float32'>(shape: readonly number[], opts: TensorOptions<D> = {}): Tensor<D> {
  const s = checkShape(shape, 'ones');
  return finish(fullRaw(s, 1, optDType(opts, 'float32' as D, 'ones'), optDevice(opts, 'ones')) as Tensor<D>, opts, 'ones');
}

function likeOpts<D extends DType>(x: Tensor, opts: TensorOptions<D>): TensorOptions<D> {
  if (!(x instanceof Tensor)) throw new TypeError('*Like: the first argument must be a Tensor');
  return { dtype: (opts.dtype ?? x.dtype) as D, device: opts.device ?? x.device, requiresGrad: opts.requiresGrad };
}
/** Zeros with x's shape, dtype and device. */
export const zerosLike = <D extends DType>(x: Tensor<D>, opts: TensorOptions<D> = {}): Tensor<D> => zeros(x.shape, likeOpts(x, opts));
/** Ones with x's shape, dtype and device. */
export const onesLike = <D extends DType>(x: Tensor<D>, opts: TensorOptions<D> = {}): Tensor<D> => ones(x.shape, likeOpts(x, opts));
/** `value` with x's shape, dtype and device. */
export const fullLike = <D extends DType>(x: Tensor<D>, value: number | boolean, opts: TensorOptions<D> = {}): Tensor<D> => full(x.shape, value, likeOpts(x, opts));
/** Uninitialised memory with x's shape, dtype and device. */
export const emptyLike = <D extends DType>(x: Tensor<D>, opts: TensorOptions<D> = {}): Tensor<D> => empty(x.shape, likeOpts(x, opts));

/**
 * Values from `start` to `end` (exclusive) by `step`; `arange(n)` is 0..n-1.
 * int32 when all arguments are integers, else float32.
 */
export function arange(end: number, opts?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, opts?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number | TensorOptions, d?: TensorOptions): Tensor {
  let start = 0;
  let end: number;
  let step = 1;
  let opts: TensorOptions | undefined;
  if (typeof b === 'number') {
    start = a;
    end = b;
    if (typeof c === 'number') {
      step = c;
      opts = d;
    } else opts = c;
  } else {
    end = a;
    opts = b;
  }
  for (const v of [start, end, step]) if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`arange: arguments must be finite numbers, got ${v}`);
  if (step === 0) throw new RangeError('arange: step must be non-zero');
  if ((end - start) / step > 2 ** 31) throw new RangeError('arange: too many elements');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const allInt = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dt = optDType(opts, allInt ? 'int32' : 'float32', 'arange');
  const buf = typedArrayFor(dt, n);
  for (let i = 0; i < n; i++) buf[i] = start + i * step;
  return finish(fromTypedArray(buf, [n], dt, optDevice(opts, 'arange')), opts, 'arange');
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dt = optDType(opts, 'float32', 'linspace');
  const buf = typedArrayFor(dt, steps);
  const h = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) buf[i] = i === steps - 1 && steps > 1 ? end : start + i * h;
  return finish(fromTypedArray(buf, [steps], dt, optDevice(opts, 'linspace')), opts, 'linspace');
}

/** Identity matrix n x m (m defaults to n). */
export function eye(n: number, m: number = n, opts: TensorOptions = {}): Tensor {
  checkShape([n, m], 'eye');
  const dt = optDType(opts, 'float32', 'eye');
  const buf = typedArrayFor(dt, n * m);
  for (let i = 0; i < Math.min(n, m); i++) buf[i * m + i] = 1;
  return finish(fromTypedArray(buf, [n, m], dt, optDevice(opts, 'eye')), opts, 'eye');
}

function randomTensor(shape: readonly number[], kind: 'uniform' | 'normal', p0: number, p1: number, opts: RandomOptions, op: string): Tensor {
  const s = checkShape(shape, op);
  const dt = optDType(opts, 'float32', op);
  if (!isFloating(dt)) throw new TypeError(`${op}: dtype must be float32 or float64, got ${dt}`);
  const t = allocTensor(s, dt, optDevice(opts, op));
  fillRandom(t, kind, p0, p1, opts.generator ?? defaultGenerator);
  return finish(t, opts, op);
}

/** Uniform samples in [0, 1) (float32 unless `dtype`). */
export function rand<D extends FloatDType = 'float32'>(shape: readonly number[], opts: RandomOptions<D> = {}): Tensor<D> {
  return randomTensor(shape, 'uniform', 0, 1, opts, 'rand') as Tensor<D>;
}

/** Standard normal samples (float32 unless `dtype`). @example manualSeed(0); randn([2, 3]) */
export function randn<D extends FloatDType = 'float32'>(shape: readonly number[], opts: RandomOptions<D> = {}): Tensor<D> {
  return randomTensor(shape, 'normal', 0, 1, opts, 'randn') as Tensor<D>;
}

/** Uniform integers in [low, high) (int32 unless `dtype`). */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: need integers low < high, got ${low} and ${high}`);
  }
  const s = checkShape(shape, 'randint');
  const device = optDevice(opts, 'randint');
  const u = allocTensor(s, 'float64', device);
  fillRandom(u, 'uniform', low, high, opts.generator ?? defaultGenerator);
  // Rounding can land exactly on `high` for huge ranges; clamp it back.
  const ints = minimum(floor(u), high - 1);
  return finish(cast(ints, optDType(opts, 'int32', 'randint')), opts, 'randint');
}

/** A random permutation of 0..n-1 (int32). */
export function randperm(n: number, opts: RandomOptions = {}): Tensor<'int32'> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`randperm: n must be a non-negative integer, got ${n}`);
  const u = allocTensor([n], 'float64', 'cpu');
  fillRandom(u, 'uniform', 0, 1, opts.generator ?? defaultGenerator);
  const keys = u.data() as Float64Array;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => keys[a] - keys[b] || a - b);
  return fromTypedArray(idx, [n], 'int32', optDevice(opts, 'randperm')) as Tensor<'int32'>;
}

/** Uniform samples with x's shape/dtype/device. */
export const randLike = <D extends FloatDType>(x: Tensor<D>, opts: RandomOptions<D> = {}): Tensor<D> =>
  rand<D>(x.shape, { dtype: x.dtype, device: x.device, ...opts });
/** Normal samples with x's shape/dtype/device. */
export const randnLike = <D extends FloatDType>(x: Tensor<D>, opts: RandomOptions<D> = {}): Tensor<D> =>
  randn<D>(x.shape, { dtype: x.dtype, device: x.device, ...opts });

/** @internal Bernoulli(p) mask (dtype of choice), for dropout. */
export function bernoulliRaw(shape: Shape, p: number, dtype: DType, device: Device, gen: Generator = defaultGenerator): Tensor {
  const t = allocTensor(shape, dtype, device);
  fillRandom(t, 'bernoulli', p, 0, gen);
  return t;
}
