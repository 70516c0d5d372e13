/**
 * Element types. The numeric codes match `native/common/dtype.h` (checked by
 * test/oplist.test.ts).
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The floating dtypes: the ones that can carry gradients. */
export type FloatDType = 'float32' | 'float64';

/** The typed array that holds a dtype's elements on the JS side. */
export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array;

/** What `item()` returns for a dtype. */
export type ScalarFor<D extends DType> = D extends 'bool' ? boolean : number;

/** Result dtype of a binary op between D and E (PyTorch's promotion lattice bool < int32 < float32 < float64). */
export type Promote<D extends DType, E extends DType> = D extends 'float64'
  ? 'float64'
  : E extends 'float64'
    ? 'float64'
    : D extends 'float32'
      ? 'float32'
      : E extends 'float32'
        ? 'float32'
        : D extends 'int32'
          ? 'int32'
          : E extends 'int32'
            ? 'int32'
            : 'bool';

/** Dtype of arithmetic on D: bools are counted as int32 (true + true is 2, -true is -1). */
export type NumericOf<D extends DType> = D extends 'bool' ? 'int32' : D;

/** Dtype of a float-only op's result (ints and bools are promoted to float32 first). */
export type FloatOf<D extends DType> = D extends 'float64' ? 'float64' : 'float32';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];
export const DTYPE_CODE: Readonly<Record<DType, number>> = { float32: 0, float64: 1, int32: 2, bool: 3 };
export const DTYPE_SIZE: Readonly<Record<DType, number>> = { float32: 4, float64: 8, int32: 4, bool: 1 };
const RANK: Readonly<Record<DType, number>> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** True for float32 and float64. */
export function isFloating(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64';
}

/** PyTorch-style promotion of two dtypes. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Result dtype of `t op scalar`: ints meeting a fractional scalar become float32. */
export function promoteWithScalar(d: DType, s: number | boolean): DType {
  if (typeof s === 'boolean') return d;
  if (d === 'bool') return Number.isInteger(s) ? 'int32' : 'float32';
  if (d === 'int32' && !Number.isInteger(s)) return 'float32';
  return d;
}

/** Throws a TypeError unless `d` is a known dtype name. */
export function checkDType(d: unknown, op: string): DType {
  if (typeof d !== 'string' || !(d in DTYPE_CODE)) {
    throw new TypeError(`${op}: unknown dtype ${JSON.stringify(d)} (expected one of ${DTYPES.join(', ')})`);
  }
  return d as DType;
}

/** Allocates a JS typed array for `n` elements of dtype `d`. */
export function typedArrayFor<D extends DType>(d: D, n: number): TypedArrayFor<D> {
  switch (d) {
    case 'float32':
      return new Float32Array(n) as TypedArrayFor<D>;
    case 'float64':
      return new Float64Array(n) as TypedArrayFor<D>;
    case 'int32':
      return new Int32Array(n) as TypedArrayFor<D>;
    default:
      return new Uint8Array(n) as TypedArrayFor<D>;
  }
}
