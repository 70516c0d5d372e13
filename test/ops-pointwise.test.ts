// Pointwise ops against float64 references written here, over contiguous,
// transposed, strided, expanded, 0-d and empty inputs, SIMD-tail lengths,
// and NaN/Inf propagation.
import { describe, expect, it } from 'vitest';
import * as tf from '../src/index';
import { tensor, Tensor } from '../src/index';
import { expectClose, f32, fromNd, map1, map2, nd, permuteNd, randNd, rng, type Nd } from './helpers';
import { reluBackward } from '../src/ops/pointwise';

// erf by its Maclaurin series / continued fraction, accurate to ~1e-15 (float64 reference).
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 2.5) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|.
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const UNARY: [string, (t: Tensor) => Tensor, (x: number) => number, [number, number]][] = [
  ['neg', (t) => t.neg(), (x) => -x, [-3, 3]],
  ['abs', (t) => t.abs(), Math.abs, [-3, 3]],
  ['exp', (t) => t.exp(), Math.exp, [-10, 10]],
  ['log', (t) => t.log(), Math.log, [0.01, 10]],
  ['log1p', (t) => t.log1p(), Math.log1p, [-0.9, 5]],
  ['expm1', (t) => t.expm1(), Math.expm1, [-3, 3]],
  ['sqrt', (t) => t.sqrt(), Math.sqrt, [0, 9]],
  ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), [0.1, 9]],
  ['sin', (t) => t.sin(), Math.sin, [-6, 6]],
  ['cos', (t) => t.cos(), Math.cos, [-6, 6]],
  ['tanh', (t) => t.tanh(), Math.tanh, [-5, 5]],
  ['sigmoid', (t) => t.sigmoid(), sigmoid, [-20, 20]],
  ['relu', (t) => t.relu(), (x) => Math.max(x, 0), [-3, 3]],
  ['gelu', (t) => t.gelu(), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), [-5, 5]],
  ['leakyRelu', (t) => t.leakyRelu(0.2), (x) => (x > 0 ? x : 0.2 * x), [-3, 3]],
  ['sign', (t) => t.sign(), Math.sign, [-3, 3]],
  ['floor', (t) => t.floor(), Math.floor, [-3, 3]],
  ['ceil', (t) => t.ceil(), Math.ceil, [-3, 3]],
  ['clamp', (t) => t.clamp(-0.5, 0.7), (x) => Math.min(Math.max(x, -0.5), 0.7), [-2, 2]],
  ['reciprocal', (t) => t.reciprocal(), (x) => 1 / x, [0.5, 4]],
  ['square', (t) => t.square(), (x) => x * x, [-3, 3]],
  ['erf', (t) => t.erf(), erf, [-3, 3]],
  ['powScalar', (t) => t.pow(1.5), (x) => Math.pow(x, 1.5), [0, 4]],
];

function layouts(r: () => number, lo: number, hi: number): { name: string; t: Tensor; ref: Nd }[] {
  const out: { name: string; t: Tensor; ref: Nd }[] = [];
  const a = randNd([7, 9], r, lo, hi);
  const af = map1(a, f32);
  const ta = fromNd(a);
  out.push({ name: 'contiguous', t: ta, ref: af });
  out.push({ name: 'transposed', t: ta.t(), ref: permuteNd(af, [1, 0]) });
  const sl = ta.slice(1, 1, 8, 3); // columns 1,4,7
  out.push({ name: 'strided slice', t: sl, ref: { shape: [7, 3], data: af.data.filter((_, i) => [1, 4, 7].includes(i % 9)) } });
  const row = fromNd({ shape: [1, 5], data: af.data.slice(0, 5) });
  out.push({ name: 'expanded', t: row.expand([3, 5]), ref: { shape: [3, 5], data: [0, 1, 2].flatMap(() => af.data.slice(0, 5)) } });
  out.push({ name: '0-d', t: tensor(af.data[0]).float(), ref: { shape: [], data: [af.data[0]] } });
  out.push({ name: 'empty', t: tf.zeros([0, 3]), ref: { shape: [0, 3], data: [] } });
  return out;
}

describe('unary ops match float64 references', () => {
  for (const [name, op, ref, [lo, hi]] of UNARY) {
    it(name, () => {
      const r = rng(name.length * 7919);
      for (const { name: lay, t, ref: x } of layouts(r, lo, hi)) {
        const y = op(t);
        expect(y.shape, lay).toEqual(x.shape);
        expectClose(y, map1(x, ref), 3e-6, 2e-6);
      }
      // Lengths that cross every SIMD tail (1..67), float32 and float64.
      for (let n = 1; n <= 67; n += 3) {
        const x = randNd([n], r, lo, hi);
        for (const dt of ['float32', 'float64'] as const) {
          const xr = dt === 'float32' ? map1(x, f32) : x;
          expectClose(op(fromNd(xr, dt)), map1(xr, ref), dt === 'float32' ? 3e-6 : 1e-12, dt === 'float32' ? 2e-6 : 1e-13);
        }
      }
    });
  }

  it('round is half-to-even like PyTorch', () => {
    expect(tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6]).round().toArray()).toEqual([0, 2, 2, -0, -2, 2, -3]);
  });

  it('propagates NaN and handles infinities', () => {
    const x = tensor([NaN, Infinity, -Infinity, 0]);
    expect(Array.from(x.exp().data())).toEqual([NaN, Infinity, 0, 1]);
    expect(Array.from(x.relu().data())).toEqual([NaN, Infinity, 0, 0]);
    expect(Array.from(x.tanh().data())).toEqual([NaN, 1, -1, 0]);
    expect(Array.from(x.sigmoid().data())).toEqual([NaN, 1, 0, 0.5]);
    expect(Array.from(x.clamp(-1, 1).data())).toEqual([NaN, 1, -1, 0]);
    expect(x.isnan().toArray()).toEqual([true, false, false, false]);
    expect(x.isinf().toArray()).toEqual([false, true, true, false]);
    expect(Array.from(tensor([-1]).log().data())).toEqual([NaN]);
  });

  it('promotes ints to float32 for float ops and keeps ints for numeric ops', () => {
    const i = tensor([1, -2, 3]);
    expect(i.dtype).toBe('int32');
    expect(i.exp().dtype).toBe('float32');
    expect(i.abs().dtype).toBe('int32');
    expect(i.abs().toArray()).toEqual([1, 2, 3]);
    expect(i.neg().toArray()).toEqual([-1, 2, -3]);
    expect(tensor([1.5], { dtype: 'float64' }).exp().dtype).toBe('float64');
  });
});

const BINARY: [string, (a: Tensor, b: Tensor | number) => Tensor, (x: number, y: number) => number, boolean][] = [
  ['add', (a, b) => a.add(b), (x, y) => x + y, false],
  ['sub', (a, b) => a.sub(b), (x, y) => x - y, false],
  ['mul', (a, b) => a.mul(b), (x, y) => x * y, false],
  ['div', (a, b) => a.div(b), (x, y) => x / y, false],
  ['pow', (a, b) => a.abs().add(0.1).pow(b), (x, y) => Math.pow(Math.abs(x) + f32(0.1), y), false],
  ['maximum', (a, b) => a.maximum(b), Math.max, false],
  ['minimum', (a, b) => a.minimum(b), Math.min, false],
  ['eq', (a, b) => a.eq(b), (x, y) => +(x === y), true],
  ['ne', (a, b) => a.ne(b), (x, y) => +(x !== y), true],
  ['lt', (a, b) => a.lt(b), (x, y) => +(x < y), true],
  ['le', (a, b) => a.le(b), (x, y) => +(x <= y), true],
  ['gt', (a, b) => a.gt(b), (x, y) => +(x > y), true],
  ['ge', (a, b) => a.ge(b), (x, y) => +(x >= y), true],
  ['logicalAnd', (a, b) => a.logicalAnd(b), (x, y) => +(x !== 0 && y !== 0), true],
  ['logicalOr', (a, b) => a.logicalOr(b), (x, y) => +(x !== 0 || y !== 0), true],
  // ReLU's gradient kernel (internal): a where b > 0. b is shifted so that both signs occur.
  ['reluBackward', (a, b) => reluBackward(a, typeof b === 'number' ? tensor(b - 1.5) : b.sub(1.5)), (x, y) => (y - 1.5 > 0 ? x : 0), false],
];

const SHAPES: [number[], number[]][] = [
  [[5], [5]],
  [[3, 4], [4]],
  [[3, 1], [1, 4]],
  [[2, 1, 4], [3, 1]],
  [[], [2, 3]],
  [[2, 3], []],
  [[0, 3], [1, 3]],
  [[4, 5, 6], [4, 1, 6]],
];

describe('binary ops broadcast and match float64 references', () => {
  for (const [name, op, ref, isPred] of BINARY) {
    it(name, () => {
      const r = rng(name.length * 104729);
      for (const [sa, sb] of SHAPES) {
        // Small integers make comparisons hit equality sometimes.
        const a = map1(randNd(sa, r, -3, 3), (v) => (isPred ? Math.round(v) : f32(v)));
        const b = map1(randNd(sb, r, 0.5, 3), (v) => (isPred ? Math.round(v) : f32(v)));
        const y = op(fromNd(a), fromNd(b));
        expect(y.dtype).toBe(isPred ? 'bool' : 'float32');
        expectClose(y, map2(a, b, ref), 3e-6, 1e-6);
      }
      // Non-contiguous operands: a transposed view against a strided slice.
      const a = map1(randNd([6, 4], r), f32);
      const b = map1(randNd([4, 12], r, 0.5, 2), f32);
      const at = fromNd(a).t(); // [4,6]
      const bs = fromNd(b).slice(1, 0, 12, 2); // [4,6]
      const bsRef: Nd = { shape: [4, 6], data: b.data.filter((_, i) => i % 2 === 0) };
      expectClose(op(at, bs), map2(permuteNd(a, [1, 0]), bsRef, (x, y) => (isPred ? ref(x, y) : ref(x, y))), 3e-6, 1e-6);
      // Scalar operand.
      expectClose(op(fromNd(a), 2), map1(a, (x) => ref(x, 2)), 3e-6, 1e-6);
    });
  }

  it('promotes dtypes like PyTorch', () => {
    const i = tensor([1, 2]);
    const f = tensor([0.5, 0.5]);
    const d = tensor([1, 1], { dtype: 'float64' });
    const b = tensor([true, false]);
    expect(i.add(i).dtype).toBe('int32');
    expect(i.add(f).dtype).toBe('float32');
    expect(f.add(d).dtype).toBe('float64');
    expect(i.add(0.5).dtype).toBe('float32');
    expect(i.add(2).dtype).toBe('int32');
    expect(i.div(i).dtype).toBe('float32');
    expect(i.div(i).toArray()).toEqual([1, 1]);
    expect(b.add(b).dtype).toBe('int32');
    expect(b.add(b).toArray()).toEqual([2, 0]);
    expect(tensor([7, -7]).div(2).toArray()).toEqual([3.5, -3.5]);
  });

  it('maximum/minimum propagate NaN', () => {
    expect(Array.from(tensor([NaN, 1]).maximum(tensor([0, NaN])).data())).toEqual([NaN, NaN]);
    expect(Array.from(tensor([NaN, 1]).minimum(0).data())).toEqual([NaN, 0]);
  });

  it('scalar-first functional forms', () => {
    expect(tf.sub(10, tensor([1, 2])).toArray()).toEqual([9, 8]);
    expect(tf.div(1, tensor([2, 4])).toArray()).toEqual([0.5, 0.25]);
    expect(tf.add(tensor([1]), tensor([2]), 3).toArray()).toEqual([7]);
  });
});

describe('where and maskedFill', () => {
  it('selects with broadcasting', () => {
    const c = tensor([[true], [false]]);
    expect(tf.where(c, tensor([1, 2, 3]), 0).toArray()).toEqual([[1, 2, 3], [0, 0, 0]]);
    expect(tf.where(tensor([1, 0, 2]).gt(0), 1.5, tensor([7, 8, 9])).toArray()).toEqual([1.5, 8, 1.5]);
    const x = tensor([[1, 2], [3, 4]]).float();
    expect(x.maskedFill(x.gt(2), -1).toArray()).toEqual([[1, 2], [-1, -1]]);
  });

  it('matches a plain select over contiguous, scalar, broadcast and transposed operands of every dtype', () => {
    const r = rng(41);
    const n = 37; // not a multiple of any vector width
    const cond = Array.from({ length: 3 * n }, () => r() < 0.5);
    const a = randNd([3, n], r), b = randNd([3, n], r), row = randNd([n], r);
    const c = tensor(Uint8Array.from(cond, Number), { shape: [3, n], dtype: 'bool' });
    for (const dtype of ['float32', 'float64', 'int32'] as const) {
      const q = (v: number) => (dtype === 'int32' ? Math.trunc(v) + 0 : dtype === 'float32' ? f32(v) : v);
      const A = fromNd(a, dtype), B = fromNd(b, dtype), R = fromNd(row, dtype);
      const sc = dtype === 'int32' ? 2 : 1.5;
      const cases: [string, Tensor | number, Tensor | number, (i: number) => number, (i: number) => number][] = [
        ['tensor/tensor', A, B, (i) => q(a.data[i]), (i) => q(b.data[i])],
        // (an int tensor with a fractional scalar would promote to float32, so the scalar is whole there)
        ['tensor/scalar', A, sc, (i) => q(a.data[i]), () => sc],
        ['scalar/tensor', -2, B, () => -2, (i) => q(b.data[i])],
        ['scalar/scalar', 3, -4, () => 3, () => -4],
        ['broadcast row', R, B, (i) => q(row.data[i % n]), (i) => q(b.data[i])],
        ['transposed', A.t().contiguous().t(), B, (i) => q(a.data[i]), (i) => q(b.data[i])],
      ];
      for (const [name, x, y, fx, fy] of cases) {
        const got = Array.from(tf.where(c, x, y).data() as ArrayLike<number>, Number);
        const want = cond.map((k, i) => (k ? fx(i) : fy(i)));
        expect(got, `${dtype} ${name}`).toEqual(want);
      }
    }
  });
});

describe('casts', () => {
  it('converts between every dtype pair', () => {
    const x = tensor([-1.7, 0, 2.5, 3]);
    expect(x.int().toArray()).toEqual([-1, 0, 2, 3]);
    expect(x.bool().toArray()).toEqual([true, false, true, true]);
    expect(x.bool().float().toArray()).toEqual([1, 0, 1, 1]);
    expect(x.double().int().double().toArray()).toEqual([-1, 0, 2, 3]);
    expect(x.to('float32')).toBe(x);
    expect(nd(x.t()).data.length).toBe(4);
  });
});
