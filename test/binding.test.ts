// The native boundary checks everything itself: hostile arguments to the raw
// addon give TypeError/RangeError, never a crash.
import { describe, expect, it } from 'vitest';
import { cpuBinding as b } from '../src/backend/device';
import type { StorageHandle } from '../src/backend/binding';
import { BinaryOp, UnaryOp } from '../src/backend/opcodes';

function view(pos: number, shape: number[], strides: number[], offset = 0): number {
  b.meta[pos] = shape.length;
  b.meta[pos + 1] = offset;
  shape.forEach((s, i) => (b.meta[pos + 2 + i] = s));
  strides.forEach((s, i) => (b.meta[pos + 2 + shape.length + i] = s));
  return pos + 2 + 2 * shape.length;
}

// unary/binary read their numbers from `args` (op, out, a, b or p0, scalar or p1, owner group id or 0), an owner object as their argument.
function unary(op: number, out: number, a: StorageHandle, p0: number, p1: number, owner?: object | null, group = 0): StorageHandle | undefined {
  b.args.set([op, out, a, p0, p1, group]);
  return b.unary(owner);
}
function binary(op: number, out: number, a: StorageHandle, y: StorageHandle | null, s: number, owner?: object | null, group = 0): StorageHandle | undefined {
  b.args.set([op, out, a, y ?? -1, s, group]);
  return b.binary(owner);
}

describe('native argument validation', () => {
  const s = b.fromTyped(new Float32Array([1, 2, 3, 4, 5, 6]), 0);
  const o = b.alloc(0, 6);

  it('args are the last 8 slots of meta, the last one written by the addon', () => {
    expect(b.args.buffer).toBe(b.meta.buffer);
    expect(b.args.length).toBe(8);
    expect(b.args.byteOffset).toBe((b.meta.length - 8) * 8);
    const id = b.newGroup({});
    expect(b.args[7]).toBe(id);
  });

  it('rejects non-handles and foreign objects', () => {
    view(view(0, [6], [1]), [6], [1]);
    expect(() => unary(2, {} as StorageHandle, s, 0, 0)).toThrow(TypeError);
    expect(() => unary(2, o, 42 as unknown as StorageHandle, 0, 0)).toThrow(/storage handle/);
    expect(() => b.dispose(null as unknown as StorageHandle)).toThrow(TypeError);
  });

  it('disposeMany frees a batch and validates it', () => {
    const h1 = b.alloc(0, 8), h2 = b.alloc(0, 8);
    b.disposeMany(Float64Array.of(h1, h2, h1), 3); // a repeat is a no-op, as for dispose()
    expect(b.isDisposed(h1) && b.isDisposed(h2)).toBe(true);
    expect(() => b.disposeMany([h1] as unknown as Float64Array, 1)).toThrow(/Float64Array/);
    expect(() => b.disposeMany(Float64Array.of(h1), 2)).toThrow(RangeError);
    expect(() => b.disposeMany(Float64Array.of(42), 1)).toThrow(/element 0 must be a tensorforge storage handle/);
    // Every handle is checked first: a bad one frees none of the batch.
    const h3 = b.alloc(0, 8);
    expect(() => b.disposeMany(Float64Array.of(h3, 42), 2)).toThrow(/element 1 must be a tensorforge storage handle/);
    expect(b.isDisposed(h3)).toBe(false);
    b.dispose(h3);
  });

  it('rejects views that reach outside their storage', () => {
    view(view(0, [6], [1]), [7], [1]);
    expect(() => unary(2, o, s, 0, 0)).toThrow(/reaches element 6 of a storage of 6/);
    // (2^24 - 1) * 2^40 wraps int64 to a negative reach: must not pass as "inside".
    // (The output views broadcast one element, so they are valid and the input is what gets checked.)
    view(view(0, [2 ** 24], [0]), [2 ** 24], [2 ** 40]);
    expect(() => unary(2, o, s, 0, 0)).toThrow(/reaches past 2\^63 elements/);
    view(view(0, [2, 2 ** 23], [0, 0]), [2, 2 ** 23], [2 ** 47, 2 ** 40]);
    expect(() => unary(2, o, s, 0, 0)).toThrow(/reaches past 2\^63 elements/);
    view(view(0, [6], [1]), [3], [2], 1);
    expect(() => unary(2, o, s, 0, 0)).toThrow(RangeError);
    view(view(0, [2, 3], [3, 1]), [2, 3], [3, 1], 0);
    expect(() => unary(2, o, s, 0, 0)).not.toThrow();
  });

  it('rejects negative, fractional, NaN and huge sizes', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) {
      view(view(0, [6], [1]), [bad], [1]);
      expect(() => unary(2, o, s, 0, 0)).toThrow(RangeError);
    }
    b.meta[0] = 17; // ndim too large
    expect(() => unary(2, o, s, 0, 0)).toThrow(RangeError);
    expect(() => b.alloc(0, -5)).toThrow(RangeError);
    expect(() => b.alloc(7, 5)).toThrow(RangeError);
    expect(() => b.alloc(0, 2 ** 50)).toThrow(RangeError);
  });

  it('checks shapes and dtypes per op', () => {
    const i = b.fromTyped(new Int32Array([1, 2, 3, 4, 5, 6]), 2);
    view(view(0, [6], [1]), [6], [1]);
    expect(() => unary(2, o, i, 0, 0)).toThrow(/must be float32 or float64, got int32/);
    view(view(0, [6], [1]), [3], [1]);
    expect(() => unary(2, o, s, 0, 0)).toThrow(/does not match/);
    expect(() => unary(999, o, s, 0, 0)).toThrow(/op code/);
    view(view(view(0, [1, 2, 2], [4, 2, 1]), [1, 2, 3], [6, 3, 1]), [1, 2, 2], [4, 2, 1]);
    expect(() => b.matmul(o, s, s, null, 0)).toThrow(/cannot be multiplied/);
    expect(() => b.fromTyped(new Float64Array(2), 0)).toThrow(/does not match dtype float32/);
  });

  it('disposed storage: use throws, double dispose is harmless', () => {
    const d = b.fromTyped(new Float32Array([1]), 0);
    b.dispose(d);
    b.dispose(d);
    expect(b.isDisposed(d)).toBe(true);
    view(0, [1], [1]);
    expect(() => b.toTyped(d)).toThrow(/after dispose/);
  });

  it('unary/binary allocate their own output for -1 - dtype, and free it again when they throw', () => {
    const neg = UnaryOp.neg, add = BinaryOp.add, lt = BinaryOp.lt;
    // neg([1..6] viewed 2x3) into a new float32 output: a live handle holding -x.
    view(view(0, [2, 3], [3, 1]), [2, 3], [3, 1]);
    const h = unary(neg, -1, s, 0, 0, null)!;
    expect(b.isDisposed(h)).toBe(false);
    view(0, [6], [1]);
    expect(Array.from(b.toTyped(h) as Float32Array)).toEqual([-1, -2, -3, -4, -5, -6]);
    // A predicate's new output is bool (code 3): -1 - 3.
    view(view(view(0, [6], [1]), [6], [1]), [6], [1]);
    const hb = binary(lt, -4, s, h, 0, null)!;
    view(0, [6], [1]);
    expect(Array.from(b.toTyped(hb) as Uint8Array)).toEqual([0, 0, 0, 0, 0, 0]);
    // With a scalar operand, owned by a JS object as alloc's are.
    view(view(0, [6], [1]), [6], [1]);
    const hs = binary(add, -1, s, null, 10, {})!;
    view(0, [6], [1]);
    expect(Array.from(b.toTyped(hs) as Float32Array)).toEqual([11, 12, 13, 14, 15, 16]);
    b.disposeMany(Float64Array.of(h, hb, hs), 3);

    // -1 instead of the new output's view: contiguous, shaped like the input view that follows.
    b.meta[0] = -1;
    view(1, [2, 3], [1, 2]); // a transposed view of s: the output is 2x3, contiguous
    const hi = unary(neg, -1, s, 0, 0, null)!;
    view(0, [6], [1]);
    expect(Array.from(b.toTyped(hi) as Float32Array)).toEqual([-1, -3, -5, -2, -4, -6]);
    b.meta[0] = -1;
    view(view(1, [3], [2], 1), [3], [1]);
    const hj = binary(add, -1, s, hi, 0, null)!; // s[1,3,5] + hi[0..2]
    view(0, [3], [1]);
    expect(Array.from(b.toTyped(hj) as Float32Array)).toEqual([1, 1, 1]);
    b.disposeMany(Float64Array.of(hi, hj), 2);
    b.meta[0] = -1; // not for an existing output
    view(1, [6], [1]);
    expect(() => unary(neg, o, s, 0, 0)).toThrow(RangeError);

    const live = b.memoryStats().liveBytes;
    view(view(0, [6], [1]), [6], [1]);
    expect(() => unary(neg, -5, s, 0, 0, null)).toThrow(/neither a storage handle nor -1 - a dtype code/);
    expect(() => unary(neg, -1.5, s, 0, 0, null)).toThrow(TypeError);
    view(view(0, [6], [2]), [6], [1]); // a new output must be contiguous from offset 0
    expect(() => unary(neg, -1, s, 0, 0, null)).toThrow(/neg: a new output must be contiguous from offset 0/);
    view(view(0, [3], [1], 1), [3], [1]);
    expect(() => unary(neg, -1, s, 0, 0, null)).toThrow(/contiguous from offset 0/);
    // Errors found after the output was allocated: shapes, dtypes, a bad owner.
    view(view(0, [6], [1]), [3], [1]);
    expect(() => unary(neg, -1, s, 0, 0, null)).toThrow(/does not match/);
    view(view(0, [6], [1]), [6], [1]);
    expect(() => unary(neg, -3, s, 0, 0, null)).toThrow(/output must be float32/); // an int32 output for float32 input
    expect(() => binary(add, -1, s, null, 1, 'x' as unknown as object)).toThrow(/owner must be an object, a group id/);
    expect(() => binary(add, -1, s, null, 1, 0.5)).toThrow(/owner group 0.5 is not this addon's current group/);
    expect(() => binary(add, -1, s, null, 1, undefined, 0.5)).toThrow(/owner group 0.5 is not this addon's current group/);
    expect(b.memoryStats().liveBytes).toBe(live);
  });

  it('a huge allocation is a RangeError naming the size', () => {
    expect(() => b.alloc(1, 2 ** 43)).toThrow(/out of memory allocating|cannot allocate/);
  });
});
