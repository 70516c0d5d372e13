/**
 * Matrix products. One native entry (batched GEMM over strided views) serves
 * mm, bmm, matmul and linear; backward passes hand transposed *views* to it,
 * so no transpose is ever materialised.
 */
import { writeRaw, writeView } from '../backend/meta';
import { record } from '../autograd/node';
import { isFloating, promoteTypes } from '../dtype';
import { broadcastShapes, fmt } from '../shape';
import { allocTensor, Tensor } from '../tensor';
import { cast, reluBackward } from './pointwise';
import { sum } from './reduce';
import { expand, reshape, squeeze, t, transpose, unsqueeze } from './views';

function operands(a: unknown, b: unknown, op: string): [Tensor, Tensor] {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TypeError(`${op}: both operands must be Tensors`);
  if (a.device !== b.device) throw new TypeError(`${op}: expected both tensors on the same device, got ${a.device} and ${b.device}`);
  let dt = promoteTypes(a.dtype, b.dtype);
  if (!isFloating(dt)) dt = 'float32';
  return [cast(a, dt), cast(b, dt)];
}

/** Writes a 2-D or 3-D view as 3-D (batch 1 with stride 0 for 2-D). */
function write3(m: Float64Array, pos: number, x: Tensor): number {
  if (x.ndim === 3) return writeView(m, pos, x);
  return writeRaw(m, pos, [1, x.shape[0], x.shape[1]], [0, x._strides[0], x._strides[1]], x._offset);
}

/** @internal out = a @ b (+ bias, then relu when act = 1); a, b both 2-D or both 3-D with equal batch. No autograd. */
export function matmulRaw(a: Tensor, b: Tensor, bias: Tensor | null = null, act: 0 | 1 = 0): Tensor {
  const batched = a.ndim === 3;
  const M = a.shape[a.ndim - 2];
  const N = b.shape[b.ndim - 1];
  const out = allocTensor(batched ? [a.shape[0], M, N] : [M, N], a.dtype, a.device);
  const bind = a._storage.binding;
  const m = bind.meta;
  let p = write3(m, 0, out);
  p = write3(m, p, a);
  p = write3(m, p, b);
  if (bias) writeView(m, p, bias);
  bind.matmul(out._storage.handle, a._storage.handle, b._storage.handle, bias ? bias._storage.handle : null, act);
  return out;
}

function checkInner(a: Tensor, b: Tensor, op: string): void {
  const k1 = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2];
  if (k1 !== k2) throw new RangeError(`${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} cannot be multiplied (${k1} != ${k2})`);
}

/**
 * 2-D matrix product.
 * @example mm(ones([2, 3]), ones([3, 4])) // 2x4 of 3s
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  const [x, y] = operands(a, b, 'mm');
  if (x.ndim !== 2 || y.ndim !== 2) throw new RangeError(`mm: expects 2-D tensors, got ${fmt(x.shape)} and ${fmt(y.shape)}`);
  checkInner(x, y, 'mm');
  return record(matmulRaw(x, y), 'mm', [x, y], (g, n) => [n[0] ? mm(g, t(y)) : null, n[1] ? mm(t(x), g) : null], [x, y]);
}

/** Batched product of [B, M, K] and [B, K, N]. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const [x, y] = operands(a, b, 'bmm');
  if (x.ndim !== 3 || y.ndim !== 3 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(`bmm: expects 3-D tensors with equal batch, got ${fmt(x.shape)} and ${fmt(y.shape)}`);
  }
  checkInner(x, y, 'bmm');
  return record(
    matmulRaw(x, y),
    'bmm',
    [x, y],
    (g, n) => [n[0] ? bmm(g, transpose(y, 1, 2)) : null, n[1] ? bmm(transpose(x, 1, 2), g) : null],
    [x, y],
  );
}

/**
 * Matrix product with PyTorch's rules: 1-D operands are promoted to a row or
 * column and the added dim removed; batch dims broadcast.
 * @example matmul(randn([10, 3, 4]), randn([4, 5])).shape // [10, 3, 5]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [x0, y0] = operands(a, b, 'matmul');
  if (x0.ndim === 0 || y0.ndim === 0) throw new RangeError('matmul: both arguments must have at least 1 dimension');
  const x = x0.ndim === 1 ? unsqueeze(x0, 0) : x0;
  const y = y0.ndim === 1 ? unsqueeze(y0, 1) : y0;
  checkInner(x, y, 'matmul');
  let out: Tensor;
  if (x.ndim === 2 && y.ndim === 2) {
    out = mm(x, y);
  } else if (y.ndim === 2) {
    // Fold x's batch dims into M: one large GEMM instead of many small ones.
    const K = x.shape[x.ndim - 1];
    const r = mm(reshape(x, [-1, K]), y);
    out = reshape(r, [...x.shape.slice(0, -1), y.shape[1]]);
  } else {
    const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2), 'matmul');
    const [M, K] = x.shape.slice(-2);
    const N = y.shape[y.ndim - 1];
    const B = batch.reduce((p, s) => p * s, 1);
    const x3 = reshape(expand(x, [...batch, M, K]), [B, M, K]);
    const y3 = reshape(expand(y, [...batch, K, N]), [B, K, N]);
    out = reshape(bmm(x3, y3), [...batch, M, N]);
  }
  if (x0.ndim === 1) out = squeeze(out, -2);
  if (y0.ndim === 1) out = squeeze(out, -1);
  return out;
}

/**
 * `x @ weight^T + bias` (PyTorch's Linear), with the bias add fused into the GEMM.
 * @example linear(randn([8, 784]), randn([500, 784]), zeros([500])).shape // [8, 500]
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearAct(x, weight, bias ?? null, 0);
}

/** @internal `relu(linear(...))` with the ReLU in the GEMM's epilogue (nn.Sequential's Linear -> ReLU). */
export function linearRelu(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  return linearAct(x, weight, bias, 1);
}

function linearAct(x: Tensor, weight: Tensor, bias: Tensor | null, act: 0 | 1): Tensor {
  if (!(x instanceof Tensor) || !(weight instanceof Tensor)) throw new TypeError('linear: input and weight must be Tensors');
  if (weight.ndim !== 2) throw new RangeError(`linear: weight must be 2-D [out, in], got ${fmt(weight.shape)}`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new RangeError(`linear: input ${fmt(x.shape)} does not end in in_features = ${weight.shape[1]} (weight ${fmt(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new RangeError(`linear: bias must have shape [${weight.shape[0]}], got ${fmt(bias.shape)}`);
  }
  if (x.ndim !== 2) {
    const y = linearAct(reshape(x, [-1, x.shape[x.ndim - 1]]), weight, bias, act);
    return reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
  }
  const [xi, w] = operands(x, weight, 'linear');
  const bb = bias ? cast(bias, w.dtype) : null;
  if (bb && bb.device !== w.device) throw new TypeError(`linear: bias is on ${bb.device}, weight on ${w.device}`);
  const out = matmulRaw(xi, t(w), bb, act);
  return record(
    out,
    'linear',
    [xi, w, bb],
    (g0, n) => {
      // The ReLU's gradient mask comes from the output (y > 0 where x W^T + b > 0).
      const g = act ? reluBackward(g0, out) : g0;
      return [n[0] ? mm(g, w) : null, n[1] ? mm(t(g), xi) : null, n[2] ? sum(g, 0) : null];
    },
    act ? [xi, w, out] : [xi, w],
  );
}
