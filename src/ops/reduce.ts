/**
 * Reductions and softmax. The native kernel reduces the trailing dims of a
 * permuted view (free: metadata only), so any set of dims costs one call.
 * Tie rules: `max(dim)`/`min(dim)` send the gradient to the first extreme
 * element (the index they return); `amax`/`amin` and `max()` over all dims
 * split it evenly among equal extremes, as PyTorch does.
 */
import { writeRaw } from '../backend/meta';
import { ReduceOp, type ReduceOpName } from '../backend/opcodes';
import { record } from '../autograd/node';
import { isFloating, type DType } from '../dtype';
import { fmt, normDim, normDims, numel, type Shape } from '../shape';
import { allocTensor, Tensor } from '../tensor';
import { add, cast, div, eq, exp, mul, sub, where } from './pointwise';
import { expand, reshape, transpose } from './views';
import { scatterAddZeros } from './indexing';

function checkTensor(x: unknown, op: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** Shape of a reduction's result with `keepdim`. */
function keptShape(shape: Shape, dims: readonly number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

/** Runs one native reduction over `dims`; no autograd. */
function reduceRaw(op: ReduceOpName, x: Tensor, dims: number[], keepdim: boolean, outDtype: DType, correction = 0): Tensor {
  const kept: number[] = [];
  for (let i = 0; i < x.ndim; i++) if (!dims.includes(i)) kept.push(i);
  const order = kept.concat(dims);
  const outShape = kept.map((i) => x.shape[i]);
  const out = allocTensor(keepdim ? keptShape(x.shape, dims) : outShape, outDtype, x.device);
  const b = x._storage.binding;
  const m = b.meta;
  // The output is contiguous, so its kept-dims view has contiguous strides.
  const outStrides: number[] = [];
  let s = 1;
  for (let i = outShape.length - 1; i >= 0; i--) {
    outStrides[i] = s;
    s *= outShape[i];
  }
  let p = writeRaw(m, 0, outShape, outStrides, 0);
  writeRaw(m, p, order.map((i) => x.shape[i]), order.map((i) => x._strides[i]), x._offset);
  b.reduce(ReduceOp[op], out._storage.handle, x._storage.handle, dims.length, correction);
  return out;
}

/** Brings a reduced gradient back to `shape` (re-inserting reduced dims, then broadcasting). */
function expandBack(g: Tensor, shape: Shape, dims: readonly number[], keepdim: boolean): Tensor {
  const withDims = keepdim ? g : reshape(g, keptShape(shape, dims));
  return expand(withDims, shape);
}

function floatInput(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : cast(x, 'float32');
}

function requireNonEmpty(x: Tensor, dims: readonly number[], op: string): void {
  for (const d of dims) {
    if (x.shape[d] === 0) throw new RangeError(`${op}: cannot reduce over a zero-size dimension (input shape ${fmt(x.shape)}, dim ${d})`);
  }
  if (dims.length === 0 && x.numel() === 0) throw new RangeError(`${op}: input is empty (shape ${fmt(x.shape)})`);
}

/** Sum over dims (all when omitted); bools and ints sum to int32. */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor(x, 'sum');
  const dims = normDims(dim, x.ndim, 'sum');
  const outDtype = x.dtype === 'bool' ? 'int32' : x.dtype;
  const out = reduceRaw('sum', x, dims, keepdim, outDtype);
  const shape = x.shape;
  return record(out, 'sum', [x], (g) => [expandBack(g, shape, dims, keepdim)]);
}

/** Mean over dims; ints are promoted to float32. */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor(x, 'mean');
  const xf = floatInput(x);
  const dims = normDims(dim, x.ndim, 'mean');
  const out = reduceRaw('mean', xf, dims, keepdim, xf.dtype);
  const shape = x.shape;
  let n = 1;
  for (const d of dims) n *= shape[d];
  return record(out, 'mean', [xf], (g) => [div(expandBack(g, shape, dims, keepdim), n)]);
}

/** Product over dims. The gradient is prod/x, so it is not defined where x has zeros. */
export function prod(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor(x, 'prod');
  const dims = normDims(dim, x.ndim, 'prod');
  const xin = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const out = reduceRaw('prod', xin, dims, keepdim, xin.dtype);
  const shape = x.shape;
  return record(out, 'prod', [xin], (g) => [div(mul(expandBack(g, shape, dims, keepdim), expandBack(out, shape, dims, keepdim)), xin)], [xin, out]);
}

function extreme(op: 'max' | 'min', x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const name = op === 'max' ? 'amax' : 'amin';
  checkTensor(x, name);
  const dims = normDims(dim, x.ndim, name);
  requireNonEmpty(x, dims, name);
  const out = reduceRaw(op, x, dims, keepdim, x.dtype);
  if (!isFloating(x.dtype)) return out;
  const shape = x.shape;
  return record(
    out,
    name,
    [x],
    (g) => {
      const hit = cast(eq(x, expandBack(out, shape, dims, keepdim)), g.dtype);
      const count = reduceRaw('sum', hit, dims, true, g.dtype);
      return [div(mul(expandBack(g, shape, dims, keepdim), hit), count)];
    },
    [x, out],
  );
}

/** Max over dims (values only); ties share the gradient evenly. */
export const amax = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => extreme('max', x, dim, keepdim);
/** Min over dims (values only); ties share the gradient evenly. */
export const amin = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => extreme('min', x, dim, keepdim);

/** `torch.max(x, dim)`: values and the index of the first extreme; gradient goes to that index. */
export function maxDim(x: Tensor, dim: number, keepdim: boolean, isMax: boolean): { values: Tensor; indices: Tensor<'int32'> } {
  const name = isMax ? 'max' : 'min';
  checkTensor(x, name);
  const d = normDim(dim, x.ndim, name);
  const dims = x.ndim === 0 ? [] : [d];
  requireNonEmpty(x, dims, name);
  const indices = reduceRaw(isMax ? 'argmax' : 'argmin', x, dims, true, 'int32') as Tensor<'int32'>;
  const values = reduceRaw(isMax ? 'max' : 'min', x, dims, true, x.dtype);
  const shape = x.shape;
  const v = isFloating(x.dtype)
    ? record(values, name, [x], (g) => [x.ndim === 0 ? g : scatterAddZeros(shape, d, indices, g)])
    : values;
  if (keepdim || x.ndim === 0) return { values: v, indices };
  return { values: reshape(v, values.shape.filter((_, i) => i !== d)), indices: reshape(indices, indices.shape.filter((_, i) => i !== d)) as Tensor<'int32'> };
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor<'int32'> {
  checkTensor(x, op);
  if (dim === undefined) {
    if (x.numel() === 0) throw new RangeError(`${op}: input is empty (shape ${fmt(x.shape)})`);
    const flat = reshape(x.detach(), [x.numel()]);
    const r = reduceRaw(op, flat, [0], false, 'int32') as Tensor<'int32'>;
    return keepdim ? (reshape(r, x.shape.map(() => 1)) as Tensor<'int32'>) : r;
  }
  const d = normDim(dim, x.ndim, op);
  const dims = x.ndim === 0 ? [] : [d];
  requireNonEmpty(x, dims, op);
  return reduceRaw(op, x, dims, keepdim, 'int32') as Tensor<'int32'>;
}

/** Index of the first maximum. */
export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor<'int32'> => argExtreme('argmax', x, dim, keepdim);
/** Index of the first minimum. */
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor<'int32'> => argExtreme('argmin', x, dim, keepdim);

/** Variance with `correction` (1 = Bessel, PyTorch's default). */
export function variance(x: Tensor, dim: number | readonly number[] | undefined, correction: number, keepdim: boolean): Tensor {
  checkTensor(x, 'var');
  const xf = floatInput(x);
  const dims = normDims(dim, x.ndim, 'var');
  const out = reduceRaw('var', xf, dims, keepdim, xf.dtype, correction);
  const shape = x.shape;
  let n = 1;
  for (const d of dims) n *= shape[d];
  return record(out, 'var', [xf], (g) => {
    const centered = sub(xf, mean(xf, dims, true));
    return [mul(expandBack(g, shape, dims, keepdim), mul(centered, 2 / (n - correction)))];
  }, [xf]);
}

/** Standard deviation: sqrt of `variance` (its gradient follows from the chain rule). */
export function std(x: Tensor, dim: number | readonly number[] | undefined, correction: number, keepdim: boolean): Tensor {
  return variance(x, dim, correction, keepdim).sqrt();
}

/** Stable log-sum-exp over dims. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  checkTensor(x, 'logsumexp');
  const xf = floatInput(x);
  const dims = normDims(dim, x.ndim, 'logsumexp');
  const out = reduceRaw('logsumexp', xf, dims, keepdim, xf.dtype);
  const shape = x.shape;
  return record(out, 'logsumexp', [xf], (g) => [mul(expandBack(g, shape, dims, keepdim), exp(sub(xf, expandBack(out, shape, dims, keepdim))))], [xf, out]);
}

/** Euclidean norm over dims; the gradient at a zero norm is taken as 0. */
export function norm(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor(x, 'norm');
  const xf = floatInput(x);
  const dims = normDims(dim, x.ndim, 'norm');
  const out = reduceRaw('norm2', xf, dims, keepdim, xf.dtype);
  const shape = x.shape;
  return record(out, 'norm', [xf], (g) => {
    const o = expandBack(out, shape, dims, keepdim);
    return [mul(expandBack(g, shape, dims, keepdim), where(eq(o, 0), 0, div(xf, o)))];
  }, [xf, out]);
}

/** True where any element (over dim, or all) is non-zero. */
export function any(x: Tensor, dim?: number, keepdim = false): Tensor<'bool'> {
  checkTensor(x, 'any');
  const dims = normDims(dim, x.ndim, 'any');
  if (numel(dims.map((d) => x.shape[d])) === 0) return cast(reduceRaw('sum', x, dims, keepdim, 'int32'), 'bool') as Tensor<'bool'>;
  return reduceRaw('max', x.dtype === 'bool' ? x : cast(x, 'bool'), dims, keepdim, 'bool') as Tensor<'bool'>;
}

/** True where every element (over dim, or all) is non-zero. */
export function all(x: Tensor, dim?: number, keepdim = false): Tensor<'bool'> {
  checkTensor(x, 'all');
  const dims = normDims(dim, x.ndim, 'all');
  if (numel(dims.map((d) => x.shape[d])) === 0) return cast(add(reduceRaw('sum', x, dims, keepdim, 'int32'), 1), 'bool') as Tensor<'bool'>;
  return reduceRaw('min', x.dtype === 'bool' ? x : cast(x, 'bool'), dims, keepdim, 'bool') as Tensor<'bool'>;
}

/**
 * Sums `g` down to `shape` (the inverse of broadcasting): the one place
 * where broadcast gradients are reduced, used by the engine for every op.
 */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new RangeError(`sumTo: gradient shape ${fmt(g.shape)} has fewer dims than ${fmt(shape)}`);
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, true) : g;
  return lead > 0 || dims.length ? reshape(s, shape) : s;
}

/** Softmax or log-softmax along the last dim of a contiguous 2-D-able tensor; no autograd. */
function softmaxRaw(x: Tensor, dim: number, log: boolean): Tensor {
  const last = x.ndim - 1;
  const xt = dim === last ? x : transpose(x.detach(), dim, last);
  const src = xt.isContiguous() ? xt : xt.contiguous();
  const n = src.shape[last];
  const rows = n === 0 ? 0 : src.numel() / n;
  const out = allocTensor(src.shape, src.dtype, src.device);
  const b = src._storage.binding;
  const m = b.meta;
  writeRaw(m, writeRaw(m, 0, [rows, n], [n, 1], 0), [rows, n], [n, 1], src._offset);
  b.softmax(out._storage.handle, src._storage.handle, log);
  return dim === last ? out : transpose(out, dim, last);
}

/** Softmax along `dim`. */
export function softmax(x: Tensor, dim: number): Tensor {
  checkTensor(x, 'softmax');
  if (x.ndim === 0) return reshape(softmax(reshape(x, [1]), 0), []);
  const xf = floatInput(x);
  const d = normDim(dim, x.ndim, 'softmax');
  const y = softmaxRaw(xf, d, false);
  // dx = y * (g - sum(g * y))
  return record(y, 'softmax', [xf], (g) => [mul(y, sub(g, sum(mul(g, y), d, true)))], [y]);
}

/** log(softmax(x)) along `dim`. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkTensor(x, 'logSoftmax');
  if (x.ndim === 0) return reshape(logSoftmax(reshape(x, [1]), 0), []);
  const xf = floatInput(x);
  const d = normDim(dim, x.ndim, 'logSoftmax');
  const y = softmaxRaw(xf, d, true);
  // dx = g - softmax * sum(g)
  return record(y, 'logSoftmax', [xf], (g) => [sub(g, mul(exp(y), sum(g, d, true)))], [y]);
}
