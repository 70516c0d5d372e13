/**
 * In-place ops (`*InPlace`). Each computes its result out of place, writes it
 * into the target's memory and bumps the storage version, so a tensor saved
 * for backward before the write is detected (see autograd/engine.ts). With
 * grad recording on, the target takes over the result's graph node.
 */
import { writeBroadcast, writeView } from '../backend/meta';
import { isGradEnabled } from '../autograd/grad-mode';
import { edgeTo, Node } from '../autograd/node';
import { isFloating } from '../dtype';
import { broadcastShapes, fmt, shapesEqual } from '../shape';
import { allocTensor, Tensor, type TensorLike } from '../tensor';
import { copyRaw } from './views';
import { fillRandom } from './random';

function guard(t: Tensor, op: string, willRecord: boolean): void {
  if (t.isDisposed) throw new TypeError(`${op}: tensor was used after dispose()`);
  if (!isGradEnabled()) return;
  if (t.requiresGrad && t.isLeaf) {
    throw new Error(`${op}: a leaf tensor that requires grad is being used in an in-place operation; wrap the update in noGrad(() => ...)`);
  }
  if (willRecord && t._base !== null) {
    throw new Error(`${op}: in-place operations on a view are not recorded by autograd; use the out-of-place op instead`);
  }
}

/** A handle on t's current value and graph, for ops that overwrite t. */
function snapshot(t: Tensor): Tensor {
  const old = new Tensor(t._storage, t.shape, t._strides, t._offset, t._base);
  old.gradFn = t.gradFn;
  old.requiresGrad = t.requiresGrad;
  return old;
}

function adopt<T extends Tensor>(t: T, r: Tensor): T {
  t._storage.version++;
  if (isGradEnabled() && r.requiresGrad) {
    t.gradFn = r.gradFn;
    t.requiresGrad = true;
  } else if (isGradEnabled() && !t.isLeaf) {
    // Overwritten by a constant: no gradient flows to what t used to be.
    t.gradFn = null;
    t.requiresGrad = false;
  }
  return t;
}

/**
 * Writes `fn(t)` into t. `direct(t)`, when given, first tries to compute the
 * result straight into t's memory (one pass, no temporary) and returns false
 * when it cannot do so exactly; then `fn` runs out of place and the result is
 * copied in, recording the graph when one is being recorded.
 */
export function inPlace<T extends Tensor>(t: T, op: string, fn: (x: Tensor) => Tensor, direct?: (t: T) => boolean): T {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor`);
  if (direct && !t.isDisposed && direct(t)) {
    t._storage.version++;
    return t;
  }
  const old = snapshot(t);
  const r = fn(old);
  guard(t, op, r.requiresGrad);
  if (!shapesEqual(r.shape, t.shape)) {
    throw new RangeError(`${op}: the result shape ${fmt(r.shape)} does not match the in-place target shape ${fmt(t.shape)}`);
  }
  if (isFloating(r.dtype) && !isFloating(t.dtype)) {
    throw new TypeError(`${op}: result type ${r.dtype} can't be cast to the ${t.dtype} target`);
  }
  copyRaw(t, r);
  return adopt(t, r);
}

/** Copies `src` (broadcast to t's shape, any dtype) into t. */
export function copyInPlace<T extends Tensor>(t: T, src: TensorLike): T {
  if (!(t instanceof Tensor)) throw new TypeError('copyInPlace: target must be a Tensor');
  if (!(src instanceof Tensor)) return fillInPlace(t, src);
  const willRecord = isGradEnabled() && src.requiresGrad;
  guard(t, 'copyInPlace', willRecord);
  const shape = broadcastShapes(t.shape, src.shape, 'copyInPlace');
  if (!shapesEqual(shape, t.shape)) throw new RangeError(`copyInPlace: source ${fmt(src.shape)} cannot be broadcast to ${fmt(t.shape)}`);
  let s = src;
  if (s.device !== t.device) s = s.to(t.device);
  if (s._storage === t._storage) s = s.clone();
  const b = t._storage.binding;
  writeBroadcast(b.meta, writeView(b.meta, 0, t), s, t.shape);
  b.cast(t._storage.handle, s._storage.handle);
  if (willRecord) {
    // The old contents are overwritten, so only src receives a gradient (the
    // engine sums it back to src's shape and dtype).
    t._storage.version++;
    t.gradFn = new Node('copy', [edgeTo(src)], (g) => [g], []);
    t.requiresGrad = true;
    return t;
  }
  return adopt(t, s.detach());
}

/** Sets every element of t to `value`. */
export function fillInPlace<T extends Tensor>(t: T, value: number | boolean): T {
  if (!(t instanceof Tensor)) throw new TypeError('fillInPlace: target must be a Tensor');
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`fillInPlace: value must be a number or boolean, got ${typeof value}`);
  guard(t, 'fillInPlace', false);
  const b = t._storage.binding;
  writeView(b.meta, 0, t);
  b.fill(t._storage.handle, Number(value));
  return adopt(t, t.detach());
}

/** Fills t with random values (see Tensor.uniformInPlace / normalInPlace). */
export function randomInPlace<T extends Tensor>(t: T, kind: 'uniform' | 'normal', p0: number, p1: number): T {
  if (!(t instanceof Tensor)) throw new TypeError(`${kind}InPlace: target must be a Tensor`);
  guard(t, `${kind}InPlace`, false);
  if (!isFloating(t.dtype)) throw new TypeError(`${kind}InPlace: target must be float32 or float64, got ${t.dtype}`);
  if (t.isContiguous()) {
    fillRandom(t, kind, p0, p1);
  } else {
    const tmp = allocTensor(t.shape, t.dtype, t.device);
    fillRandom(tmp, kind, p0, p1);
    copyRaw(t, tmp);
  }
  return adopt(t, t.detach());
}
