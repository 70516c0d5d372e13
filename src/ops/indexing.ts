/**
 * gather / scatterAdd / indexSelect. Index tensors are int32. Each op's
 * backward is another of the three, so second derivatives work.
 */
import { writeView } from '../backend/meta';
import { record } from '../autograd/node';
import { fmt, normDim } from '../shape';
import { allocTensor, Tensor } from '../tensor';
import { copyRaw, expand, reshape } from './views';
import { zerosRaw } from './creation';

function checkArgs(x: unknown, index: unknown, op: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor`);
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be a Tensor`);
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must be an int32 tensor, got ${index.dtype}`);
  if (index.device !== x.device) throw new TypeError(`${op}: index is on ${index.device} but input is on ${x.device}`);
}

/** out[i][j] = x[index[i][j]][j] for dim 0 (and likewise for other dims). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkArgs(x, index, 'gather');
  const d = normDim(dim, x.ndim, 'gather');
  if (index.ndim !== x.ndim) throw new RangeError(`gather: index ${fmt(index.shape)} must have as many dims as input ${fmt(x.shape)}`);
  const out = allocTensor(index.shape, x.dtype, x.device);
  const b = x._storage.binding;
  writeView(b.meta, writeView(b.meta, writeView(b.meta, 0, out), x), index);
  b.gather(out._storage.handle, x._storage.handle, index._storage.handle, d);
  const shape = x.shape;
  return record(out, 'gather', [x], (g) => [scatterAddZeros(shape, d, index, g)]);
}

/** Runs the native scatter-add of `src` at `index` into `out` in place; no autograd. */
function scatterAddRaw(out: Tensor, dim: number, index: Tensor, src: Tensor): void {
  const b = out._storage.binding;
  writeView(b.meta, writeView(b.meta, writeView(b.meta, 0, out), index), src);
  b.scatterAdd(out._storage.handle, index._storage.handle, src._storage.handle, dim);
}

/**
 * @internal `scatterAdd(zeros(shape), dim, index, src)` without building and
 * copying the zeros first: the adjoint of gather, used by the backward of
 * gather, indexSelect, max(dim), maxPool2d and embedding.
 */
export function scatterAddZeros(shape: readonly number[], dim: number, index: Tensor, src: Tensor): Tensor {
  const out = zerosRaw(shape, src.dtype, src.device);
  scatterAddRaw(out, dim, index, src);
  return record(out, 'scatterAdd', [src], (g) => [gather(g, dim, index)]);
}

/** A copy of x with src[i][j] added at out[index[i][j]][j] for dim 0 (and likewise). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkArgs(x, index, 'scatterAdd');
  if (!(src instanceof Tensor)) throw new TypeError('scatterAdd: src must be a Tensor');
  if (src.dtype !== x.dtype) throw new TypeError(`scatterAdd: src dtype ${src.dtype} must match input dtype ${x.dtype}`);
  if (src.device !== x.device) throw new TypeError(`scatterAdd: src is on ${src.device} but input is on ${x.device}`);
  const d = normDim(dim, x.ndim, 'scatterAdd');
  const out = allocTensor(x.shape, x.dtype, x.device);
  copyRaw(out, x);
  scatterAddRaw(out, d, index, src);
  return record(out, 'scatterAdd', [x, src], (g, n) => [n[0] ? g : null, n[1] ? gather(g, d, index) : null]);
}

/** Entries `index` (1-D int32) of `dim`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkArgs(x, index, 'indexSelect');
  const d = normDim(dim, x.ndim, 'indexSelect');
  if (index.ndim > 1) throw new RangeError(`indexSelect: index must be 1-D, got ${fmt(index.shape)}`);
  const idx = index.ndim === 0 ? reshape(index, [1]) : index;
  const shape = x.shape.slice();
  if (x.ndim > 0) shape[d] = idx.shape[0];
  const out = allocTensor(shape, x.dtype, x.device);
  const b = x._storage.binding;
  writeView(b.meta, writeView(b.meta, writeView(b.meta, 0, out), x), idx);
  b.indexSelect(out._storage.handle, x._storage.handle, idx._storage.handle, d);
  const from = x.shape;
  return record(out, 'indexSelect', [x], (g) => {
    // Adjoint: add each gradient row back at its index (a scatterAdd with the index broadcast).
    const view = from.map((_, i) => (i === d ? idx.shape[0] : 1));
    const full = expand(reshape(idx, view), g.shape);
    return [scatterAddZeros(from, d, full, g)];
  });
}
