/**
 * Views (metadata-only: reshape when possible, transpose, permute, narrow,
 * slice, select, squeeze, unsqueeze, expand) and the ops that copy or join
 * (contiguous, clone, cat, stack). Each view's backward maps the gradient
 * back through the inverse view.
 */
import { writeRaw, writeView } from '../backend/meta';
import { record } from '../autograd/node';
import { promoteTypes } from '../dtype';
import { contiguousStrides, fmt, normDim, numel, shapesEqual, type Shape } from '../shape';
import { allocTensor, Tensor } from '../tensor';
import { cast } from './pointwise';
import { sumTo } from './reduce';
import { zerosRaw } from './creation';

function checkTensor(x: unknown, op: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** @internal A view of x's storage with new metadata (no autograd). */
export function makeView(x: Tensor, shape: Shape, strides: number[], offset: number): Tensor {
  return new Tensor(x._storage, shape, strides, offset, x._base ?? x);
}

/** @internal Copies src into dst's (possibly strided) view, converting dtype; no autograd, no version bump. */
export function copyRaw(dst: Tensor, src: Tensor): void {
  const b = dst._storage.binding;
  writeView(b.meta, writeView(b.meta, 0, dst), src);
  b.cast(dst._storage.handle, src._storage.handle);
}

function inferShape(x: Tensor, shape: readonly number[], op: string): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of integers`);
  const n = x.numel();
  let infer = -1;
  let known = 1;
  const out = shape.slice();
  for (let i = 0; i < out.length; i++) {
    const s = out[i];
    if (typeof s !== 'number' || !Number.isInteger(s)) throw new TypeError(`${op}: shape ${JSON.stringify(shape)} must contain integers`);
    if (s === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dimension can be inferred (-1) in ${JSON.stringify(shape)}`);
      infer = i;
    } else if (s < 0) {
      throw new RangeError(`${op}: invalid size ${s} in shape ${JSON.stringify(shape)}`);
    } else {
      known *= s;
    }
  }
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) throw new RangeError(`${op}: shape ${JSON.stringify(shape)} is invalid for input of size ${n}`);
    out[infer] = n / known;
  } else if (known !== n) {
    throw new RangeError(`${op}: shape ${fmt(out)} is invalid for input of size ${n} (shape ${fmt(x.shape)})`);
  }
  return out;
}

/** Strides that express `newShape` as a view of (shape, strides), or null (PyTorch's computeStride). */
function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  if (numel(shape) === 0 || shape.length === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

function reshapeView(x: Tensor, shape: number[], strides: number[], op: string): Tensor {
  const from = x.shape;
  return record(makeView(x, shape, strides, x._offset), op, [x], (g) => [reshape(g, from)]);
}

/** Same elements, new shape; a view when the strides allow, else a copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'reshape');
  const s = inferShape(x, shape, 'reshape');
  if (shapesEqual(s, x.shape)) return x;
  const st = viewStrides(x.shape, x._strides, s);
  if (st) return reshapeView(x, s, st, 'reshape');
  return reshapeView(contiguous(x), s, contiguousStrides(s), 'reshape');
}

/** Same elements, new shape; throws if that cannot be a view. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'view');
  const s = inferShape(x, shape, 'view');
  const st = viewStrides(x.shape, x._strides, s);
  if (!st) {
    throw new RangeError(
      `view: shape ${fmt(s)} is not compatible with the input's size and strides (shape ${fmt(x.shape)}, strides ${fmt(x._strides)}); use reshape() instead`,
    );
  }
  return reshapeView(x, s, st, 'view');
}

/** Flattens dims startDim..endDim. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor(x, 'flatten');
  if (x.ndim === 0) return reshape(x, [1]);
  const a = normDim(startDim, x.ndim, 'flatten');
  const b = normDim(endDim, x.ndim, 'flatten');
  if (a > b) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, a), numel(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)];
  return reshape(x, shape);
}

/** Reorders dims. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor(x, 'permute');
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new RangeError(`permute: expected ${x.ndim} dims for shape ${fmt(x.shape)}, got ${JSON.stringify(dims)}`);
  }
  const p = dims.map((d) => normDim(d, x.ndim, 'permute'));
  if (new Set(p).size !== p.length) throw new RangeError(`permute: repeated dim in ${JSON.stringify(dims)}`);
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => (inv[d] = i));
  const out = makeView(x, p.map((d) => x.shape[d]), p.map((d) => x._strides[d]), x._offset);
  return record(out, 'permute', [x], (g) => [permute(g, inv)]);
}

/** Swaps two dims. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor(x, 'transpose');
  if (x.ndim === 0) return x;
  const a = normDim(dim0, x.ndim, 'transpose');
  const b = normDim(dim1, x.ndim, 'transpose');
  const order = Array.from({ length: x.ndim }, (_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
}

/** Transpose of a tensor with at most 2 dims. */
export function t(x: Tensor): Tensor {
  checkTensor(x, 't');
  if (x.ndim > 2) throw new RangeError(`t: expects a tensor with <= 2 dimensions, got shape ${fmt(x.shape)}; use transpose()`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** Python-style `[start:end:step]` along `dim` (a view). */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  checkTensor(x, 'slice');
  const d = normDim(dim, x.ndim, 'slice');
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[d];
  const clampIdx = (v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new TypeError(`slice: indices must be integers, got ${v}`);
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, 0), n);
  };
  const s = clampIdx(start, 0);
  const e = Math.max(clampIdx(end, n), s);
  const len = Math.ceil((e - s) / step);
  const shape = x.shape.slice();
  shape[d] = len;
  const strides = x._strides.slice();
  strides[d] = x._strides[d] * step;
  const out = makeView(x, shape, strides, x._offset + (len > 0 ? s * x._strides[d] : 0));
  const from = x.shape;
  return record(out, 'slice', [x], (g) => [sliceBackward(g, from, d, s, e, step)]);
}

/** Zeros of `shape` with `g` written into the slice `[start:end:step]` of `dim`; slice's adjoint. */
function sliceBackward(g: Tensor, shape: Shape, dim: number, start: number, end: number, step: number): Tensor {
  const out = zerosRaw(shape, g.dtype, g.device);
  copyRaw(slice(out, dim, start, end, step), g);
  return record(out, 'sliceBackward', [g], (gg) => [slice(gg, dim, start, end, step)]);
}

/** `length` elements of `dim` from `start` (a view). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor(x, 'narrow');
  const d = normDim(dim, x.ndim, 'narrow');
  const n = x.shape[d];
  if (!Number.isInteger(start) || !Number.isInteger(length)) throw new TypeError('narrow: start and length must be integers');
  const s = start < 0 ? start + n : start;
  if (s < 0 || length < 0 || s + length > n) {
    throw new RangeError(`narrow: start ${start} and length ${length} are out of range for dim ${d} of size ${n}`);
  }
  return slice(x, d, s, s + length);
}

/** Index `index` of `dim`, removing the dim (a view). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor(x, 'select');
  const d = normDim(dim, x.ndim, 'select');
  const n = x.shape[d];
  if (!Number.isInteger(index)) throw new TypeError(`select: index must be an integer, got ${index}`);
  if (index < -n || index >= n) throw new RangeError(`select: index ${index} is out of range for dim ${d} of size ${n}`);
  return squeeze(narrow(x, d, index < 0 ? index + n : index, 1), d);
}

/** Removes size-1 dims (all, or only `dim` if it has size 1). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  checkTensor(x, 'squeeze');
  if (dim === undefined) return reshape(x, x.shape.filter((s) => s !== 1));
  if (x.ndim === 0) return x;
  const d = normDim(dim, x.ndim, 'squeeze');
  if (x.shape[d] !== 1) return x;
  const shape = x.shape.filter((_, i) => i !== d);
  const strides = x._strides.filter((_, i) => i !== d);
  return reshapeView(x, shape, strides, 'squeeze');
}

/** Inserts a size-1 dim at `dim` (in [-ndim-1, ndim]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor(x, 'unsqueeze');
  const d = normDim(dim, x.ndim + 1, 'unsqueeze');
  const shape = x.shape.slice();
  const strides = x._strides.slice();
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x._strides[d] * x.shape[d] : 1);
  return reshapeView(x, shape, strides, 'unsqueeze');
}

/** Broadcasts size-1 (or missing leading) dims to `shape` without copying; -1 keeps a size. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'expand');
  if (!Array.isArray(shape)) throw new TypeError('expand: shape must be an array of integers');
  const lead = shape.length - x.ndim;
  if (lead < 0) throw new RangeError(`expand: the target shape ${fmt(shape)} has fewer dims than the input ${fmt(x.shape)}`);
  const outShape: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const j = i - lead;
    const cur = j >= 0 ? x.shape[j] : 1;
    let s = shape[i];
    if (s === -1) {
      if (j < 0) throw new RangeError(`expand: -1 is not allowed for a new leading dim (target ${fmt(shape)})`);
      s = cur;
    }
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`expand: invalid size ${s} in ${fmt(shape)}`);
    if (cur !== s && cur !== 1) {
      throw new RangeError(`expand: the size ${cur} at dim ${j} of ${fmt(x.shape)} cannot be expanded to ${s} (target ${fmt(shape)})`);
    }
    outShape.push(s);
    strides.push(j >= 0 && cur === s ? x._strides[j] : 0);
  }
  if (shapesEqual(outShape, x.shape)) return x;
  const from = x.shape;
  return record(makeView(x, outShape, strides, x._offset), 'expand', [x], (g) => [sumTo(g, from)]);
}

function copyOf(x: Tensor, op: string): Tensor {
  const out = allocTensor(x.shape, x.dtype, x.device);
  copyRaw(out, x);
  return record(out, op, [x], (g) => [g]);
}

/** x itself if contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  checkTensor(x, 'contiguous');
  return x.isContiguous() ? x : copyOf(x, 'contiguous');
}

/** A contiguous copy. */
export function clone(x: Tensor): Tensor {
  checkTensor(x, 'clone');
  return copyOf(x, 'clone');
}

/** Splits along `dim` into pieces of `size` (the last may be smaller) or of the listed sizes. */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  checkTensor(x, 'split');
  const d = normDim(dim, x.ndim, 'split');
  const n = x.shape[d];
  let sizes: number[];
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`split: split size must be a positive integer, got ${size}`);
    sizes = [];
    for (let s = 0; s < n; s += size) sizes.push(Math.min(size, n - s));
    if (n === 0) sizes.push(0);
  } else {
    if (!Array.isArray(size)) throw new TypeError(`split: split size must be an integer or an array of integers, got ${typeof size}`);
    sizes = size.slice();
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
      throw new RangeError(`split: sizes ${JSON.stringify(size)} must be non-negative integers summing to ${n} (dim ${d})`);
    }
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    out.push(narrow(x, d, start, s));
    start += s;
  }
  return out;
}

/** Splits into `chunks` pieces of ceil(n / chunks) along `dim`. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor(x, 'chunk');
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normDim(dim, x.ndim, 'chunk');
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

/** Removes `dim`, returning each slice. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  checkTensor(x, 'unbind');
  const d = normDim(dim, x.ndim, 'unbind');
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

/**
 * Concatenates along `dim`; dtypes are promoted.
 * @example cat([zeros([2, 3]), ones([1, 3])], 0).shape // [3, 3]
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) throw new RangeError('cat: expected a non-empty array of tensors');
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`cat: element ${i} is not a Tensor`);
  });
  const first = tensors[0];
  const d = normDim(dim, first.ndim, 'cat');
  let dtype = first.dtype;
  let total = 0;
  for (const x of tensors) {
    if (x.device !== first.device) throw new TypeError(`cat: all tensors must be on one device, got ${first.device} and ${x.device}`);
    if (x.ndim !== first.ndim || x.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new RangeError(`cat: shapes ${fmt(first.shape)} and ${fmt(x.shape)} must match except in dim ${d}`);
    }
    dtype = promoteTypes(dtype, x.dtype);
    total += x.shape[d];
  }
  const shape = first.shape.slice();
  shape[d] = total;
  const out = allocTensor(shape, dtype, first.device);
  const strides = contiguousStrides(shape);
  const b = out._storage.binding;
  let off = 0;
  const offsets: number[] = [];
  for (const x of tensors) {
    offsets.push(off);
    if (x.numel() > 0) {
      let p = writeRaw(b.meta, 0, x.shape, strides, off * strides[d]);
      writeView(b.meta, p, x);
      b.cast(out._storage.handle, x._storage.handle);
    }
    off += x.shape[d];
  }
  const ins = tensors.map((x) => (x.dtype === dtype ? x : cast(x, dtype)));
  return record(out, 'cat', ins, (g, need) => ins.map((x, i) => (need[i] ? narrow(g, d, offsets[i], x.shape[d]) : null)));
}

/** Stacks equal-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) throw new RangeError('stack: expected a non-empty array of tensors');
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`stack: element ${i} is not a Tensor`);
    if (!shapesEqual(t.shape, tensors[0].shape)) {
      throw new RangeError(`stack: all tensors must have the same shape, got ${fmt(tensors[0].shape)} and ${fmt(t.shape)} (element ${i})`);
    }
  });
  const d = normDim(dim, tensors[0].ndim + 1, 'stack');
  return cat(tensors.map((x) => unsqueeze(x, d)), d);
}
