// Reductions, softmax and matmul against float64 references written here.
import { describe, expect, it } from 'vitest';
import * as tf from '../src/index';
import { tensor } from '../src/index';
import { expectClose, f32, fromNd, map1, nd, permuteNd, randNd, reduceNd, rng, type Nd } from './helpers';

const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);
const mean = (v: number[]): number => (v.length ? sum(v) / v.length : NaN);
const variance = (v: number[], c = 1): number => {
  const m = mean(v);
  return sum(v.map((x) => (x - m) ** 2)) / (v.length - c);
};
const lse = (v: number[]): number => {
  const m = Math.max(...v);
  return m + Math.log(sum(v.map((x) => Math.exp(x - m))));
};

const DIMS: [number[], number[] | undefined][] = [
  [[6], undefined],
  [[4, 5], [0]],
  [[4, 5], [1]],
  [[3, 4, 5], [0, 2]],
  [[3, 4, 5], [1]],
  [[2, 3, 4, 5], [1, 3]],
  [[], undefined],
];

describe('reductions', () => {
  const cases: [string, (t: tf.Tensor, d: number[] | undefined, k: boolean) => tf.Tensor, (v: number[]) => number][] = [
    ['sum', (t, d, k) => t.sum(d, k), sum],
    ['mean', (t, d, k) => t.mean(d, k), mean],
    ['prod', (t, d, k) => t.prod(d, k), (v) => v.reduce((a, b) => a * b, 1)],
    ['amax', (t, d, k) => t.amax(d, k), (v) => Math.max(...v)],
    ['amin', (t, d, k) => t.amin(d, k), (v) => Math.min(...v)],
    ['var', (t, d, k) => t.var(d, { keepdim: k }), (v) => variance(v)],
    ['std', (t, d, k) => t.std(d, { keepdim: k, correction: 0 }), (v) => Math.sqrt(variance(v, 0))],
    ['logsumexp', (t, d, k) => t.logsumexp(d ?? [], k), lse],
    ['norm', (t, d, k) => t.norm(d, k), (v) => Math.sqrt(sum(v.map((x) => x * x)))],
  ];
  for (const [name, op, ref] of cases) {
    it(`${name} over any dims, keepdim, contiguous and permuted`, () => {
      const r = rng(name.length * 31337);
      for (const [shape, dims] of DIMS) {
        if (name === 'var' && shape.length === 0) continue;
        const x = map1(randNd(shape, r, 0.5, 1.5), f32);
        const allDims = dims ?? shape.map((_, i) => i);
        for (const keepdim of [false, true]) {
          const d = name === 'logsumexp' && dims === undefined ? allDims : dims;
          expectClose(op(fromNd(x), d, keepdim), reduceNd(x, allDims, keepdim, ref), 2e-5, 1e-6);
        }
        if (shape.length >= 2) {
          const perm = shape.map((_, i) => shape.length - 1 - i);
          const xp = permuteNd(x, perm);
          const t = fromNd(x).permute(perm);
          expectClose(op(t, [0], false), reduceNd(xp, [0], false, ref), 2e-5, 1e-6);
        }
      }
    });
  }

  it('sum of float32 is accurate on 1M elements (double accumulation)', () => {
    const n = 1 << 20;
    const x = tf.full([n], 0.1);
    expect(Math.abs((x.sum().item() as number) - n * f32(0.1))).toBeLessThan(1e-2);
  });

  it('max/min with dim return values and first-occurrence indices', () => {
    const x = tensor([[1, 5, 5, 2], [7, 0, 7, -1]]).float();
    const { values, indices } = x.max(1);
    expect(values.toArray()).toEqual([5, 7]);
    expect(indices.toArray()).toEqual([1, 0]);
    expect(x.min(0, true).indices.toArray()).toEqual([[0, 1, 0, 1]]);
    expect(x.argmax().item()).toBe(4);
    expect(x.argmin(1).toArray()).toEqual([0, 3]);
    expect(x.max().item()).toBe(7);
    expect(tensor([1, NaN, 3]).argmax().item()).toBe(1);
  });

  it('bool/int reductions and any/all', () => {
    const b = tensor([[true, false], [true, true]]);
    expect(b.sum().item()).toBe(3);
    expect(b.sum().dtype).toBe('int32');
    expect(b.any(1).toArray()).toEqual([true, true]);
    expect(b.all(1).toArray()).toEqual([false, true]);
    expect(tensor([1, 2, 3]).mean().item()).toBeCloseTo(2);
    expect(tf.zeros([0]).sum().item()).toBe(0);
    expect(tf.zeros([0]).any().item()).toBe(false);
    expect(tf.zeros([0]).all().item()).toBe(true);
  });

  it('rejects reductions of empty dims that have no identity', () => {
    expect(() => tf.zeros([0, 3]).amax(0)).toThrow(RangeError);
    expect(() => tf.zeros([0]).argmax()).toThrow(/empty/);
    expect(() => tf.zeros([2]).sum(2)).toThrow(/dim 2 is out of range/);
    expect(() => tf.zeros([2, 2]).sum([0, 0])).toThrow(/duplicate/);
  });
});

describe('softmax / logSoftmax', () => {
  it('matches the reference along every dim, including extreme logits', () => {
    const r = rng(5);
    const x = map1(randNd([3, 4, 5], r, -4, 4), f32);
    for (let d = 0; d < 3; d++) {
      const ref = (log: boolean): Nd => {
        const perm = [0, 1, 2].filter((i) => i !== d).concat([d]);
        const xp = permuteNd(x, perm);
        const n = x.shape[d];
        const data: number[] = [];
        for (let i = 0; i < xp.data.length; i += n) {
          const row = xp.data.slice(i, i + n);
          const l = lse(row);
          data.push(...row.map((v) => (log ? v - l : Math.exp(v - l))));
        }
        const inv = perm.map((_, i) => perm.indexOf(i));
        return permuteNd({ shape: xp.shape, data }, inv);
      };
      expectClose(fromNd(x).softmax(d), ref(false), 1e-5, 1e-7);
      expectClose(fromNd(x).logSoftmax(d), ref(true), 1e-5, 1e-6);
    }
    const big = tensor([[1000, 0, -1000], [-Infinity, 0, 0]]);
    expectClose(big.logSoftmax(1), { shape: [2, 3], data: [0, -1000, -2000, -Infinity, -Math.LN2, -Math.LN2] }, 1e-6, 1e-4);
    expectClose(big.softmax(1), { shape: [2, 3], data: [1, 0, 0, 0, 0.5, 0.5] }, 1e-6, 1e-7);
  });
});

function matmulRef(a: Nd, b: Nd): Nd {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const data = new Array(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a.data[i * k + p] * b.data[p * n + j];
    data[i * n + j] = s;
  }
  return { shape: [m, n], data };
}

describe('matmul', () => {
  it('2-D products of many shapes, float32 and float64, with transposed operands', () => {
    const r = rng(11);
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [17, 33, 9], [64, 64, 64], [100, 78, 50], [37, 1, 53], [5, 0, 4]]) {
      const a = map1(randNd([m, k], r), f32);
      const b = map1(randNd([k, n], r), f32);
      const ref = matmulRef(a, b);
      expectClose(fromNd(a).matmul(fromNd(b)), ref, 1e-4, 1e-4);
      expectClose(fromNd(a, 'float64').matmul(fromNd(b, 'float64')), ref, 1e-12, 1e-12);
      // A^T stored transposed, B^T stored transposed: same product through views.
      const at = fromNd(permuteNd(a, [1, 0])).t();
      const bt = fromNd(permuteNd(b, [1, 0])).t();
      expectClose(at.matmul(bt), ref, 1e-4, 1e-4);
    }
  });

  it('1-D and batched broadcasting follow PyTorch', () => {
    const r = rng(12);
    const v = randNd([4], r);
    const m = randNd([4, 3], r);
    const dot = tf.tensor(Float64Array.from(v.data)).matmul(tf.tensor(Float64Array.from(v.data)));
    expect(dot.shape).toEqual([]);
    expect(dot.item()).toBeCloseTo(v.data.reduce((s, x) => s + x * x, 0), 10);
    const vm = fromNd(v, 'float64').matmul(fromNd(m, 'float64'));
    expectClose(vm, { shape: [3], data: matmulRef({ shape: [1, 4], data: v.data }, m).data }, 1e-12);
    const mv = fromNd(permuteNd(m, [1, 0]), 'float64').matmul(fromNd(v, 'float64'));
    expect(mv.shape).toEqual([3]);
    // [2,1,3,4] @ [5,4,2] -> [2,5,3,2]
    const a = randNd([2, 1, 3, 4], r);
    const b = randNd([5, 4, 2], r);
    const y = fromNd(a, 'float64').matmul(fromNd(b, 'float64'));
    expect(y.shape).toEqual([2, 5, 3, 2]);
    const yd = nd(y);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 5; j++) {
      const ai = { shape: [3, 4], data: a.data.slice(i * 12, i * 12 + 12) };
      const bj = { shape: [4, 2], data: b.data.slice(j * 8, j * 8 + 8) };
      const ref = matmulRef(ai, bj);
      const got = yd.data.slice((i * 5 + j) * 6, (i * 5 + j) * 6 + 6);
      expectClose({ shape: [3, 2], data: got }, ref, 1e-12, 1e-12);
    }
    // [3, 2, 4] @ [4, 5] folds the batch into M.
    const c = randNd([3, 2, 4], r);
    expect(fromNd(c).matmul(fromNd(randNd([4, 5], r))).shape).toEqual([3, 2, 5]);
  });

  it('reports shape mismatches with both shapes', () => {
    expect(() => tf.zeros([2, 3]).matmul(tf.zeros([4, 5]))).toThrow('matmul: shapes [2,3] and [4,5] cannot be multiplied (3 != 4)');
    expect(() => tf.mm(tf.zeros([2]), tf.zeros([2, 2]))).toThrow(/mm: expects 2-D/);
    expect(() => tf.zeros([2, 3]).matmul(tf.zeros([2, 3], { device: 'cpu' }).t().to('float64').t())).toThrow(/cannot be multiplied/);
  });
});
