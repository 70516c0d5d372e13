/** Shape helpers shared by every op. Shapes are plain arrays of sizes. */

/** A tensor shape. */
export type Shape = readonly number[];

/** Formats a shape as `[2,3]` for error messages. */
export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Number of elements of a shape. */
export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/**
 * `strides` if they are exactly the row-major strides of `shape`, else new
 * ones: an op's output shares a contiguous input's strides array (never
 * mutated) instead of allocating one, ~10 ns of a 4-element op.
 */
export function contiguousStridesLike(shape: Shape, strides: number[]): number[] {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (strides[i] !== s) return contiguousStrides(shape);
    s *= shape[i];
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const MAX_DIMS = 16;

/** Validates a user-supplied shape: non-negative integer sizes, at most 16 dims. */
export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of integers, got ${typeof shape}`);
  if (shape.length > MAX_DIMS) throw new RangeError(`${op}: at most ${MAX_DIMS} dimensions are supported, got ${shape.length}`);
  let n = 1;
  for (const s of shape) {
    if (typeof s !== 'number') throw new TypeError(`${op}: shape ${JSON.stringify(shape)} must contain only numbers`);
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`${op}: invalid size ${s} in shape ${JSON.stringify(shape)} (sizes must be non-negative integers)`);
    n *= s;
  }
  if (n > 2 ** 46) throw new RangeError(`${op}: shape ${fmt(shape)} has too many elements (${n})`);
  return shape.slice();
}

/** NumPy broadcasting of two shapes; throws naming the op on mismatch. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = i - n + a.length >= 0 ? a[i - n + a.length] : 1;
    const y = i - n + b.length >= 0 ? b[i - n + b.length] : 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dim ${i}: ${x} vs ${y})`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Normalises a possibly negative dim into [0, ndim). */
export function normDim(dim: number, ndim: number, op: string): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new TypeError(`${op}: dim must be an integer, got ${String(dim)}`);
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi) throw new RangeError(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dimensions`);
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalises a list of dims (or all dims when undefined), sorted and unique. */
export function normDims(dims: number | readonly number[] | undefined, ndim: number, op: string): number[] {
  if (dims === undefined || dims === null) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims)) throw new TypeError(`${op}: dim must be an integer or an array of integers, got ${typeof dims}`);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normDim(d, ndim, op));
  const set = new Set(out);
  if (set.size !== out.length) throw new RangeError(`${op}: dims ${JSON.stringify(list)} contain a duplicate`);
  return out.sort((x, y) => x - y);
}
