/**
 * Writes view descriptors into an addon's `meta` Float64Array, in the order
 * the native function reads them: [ndim, offset, shape..., strides...].
 * The native side validates every value against the storage it describes.
 */
import type { Tensor } from '../tensor';

/** Writes `t`'s own view at `pos`; returns the next free position. */
export function writeView(m: Float64Array, pos: number, t: Tensor): number {
  const shape = t.shape;
  const st = t._strides;
  const nd = shape.length;
  m[pos] = nd;
  m[pos + 1] = t._offset;
  for (let i = 0; i < nd; i++) {
    m[pos + 2 + i] = shape[i];
    m[pos + 2 + nd + i] = st[i];
  }
  return pos + 2 + 2 * nd;
}

/** Writes `t` broadcast to `shape` (right-aligned; broadcast dims get stride 0). */
export function writeBroadcast(m: Float64Array, pos: number, t: Tensor, shape: readonly number[]): number {
  const nd = shape.length;
  const lead = nd - t.shape.length;
  m[pos] = nd;
  m[pos + 1] = t._offset;
  for (let i = 0; i < nd; i++) {
    m[pos + 2 + i] = shape[i];
    const j = i - lead;
    m[pos + 2 + nd + i] = j < 0 || t.shape[j] !== shape[i] ? 0 : t._strides[j];
  }
  return pos + 2 + 2 * nd;
}

/** Writes an arbitrary view of `t`'s storage. */
export function writeRaw(m: Float64Array, pos: number, shape: readonly number[], strides: readonly number[], offset: number): number {
  const nd = shape.length;
  m[pos] = nd;
  m[pos + 1] = offset;
  for (let i = 0; i < nd; i++) {
    m[pos + 2 + i] = shape[i];
    m[pos + 2 + nd + i] = strides[i];
  }
  return pos + 2 + 2 * nd;
}

/** Writes plain integers (e.g. conv geometry) after the views. */
export function writeInts(m: Float64Array, pos: number, values: readonly number[]): number {
  for (let i = 0; i < values.length; i++) m[pos + i] = values[i];
  return pos + values.length;
}
