// Views share memory and copy nothing; joins, indexing and creation
// functions against references written here.
import { describe, expect, it } from 'vitest';
import * as tf from '../src/index';
import { noGrad, tensor } from '../src/index';
import { fromNd, nd, permuteNd, randNd, rng } from './helpers';

const seq = (shape: number[]): tf.Tensor => tf.arange(shape.reduce((a, b) => a * b, 1)).reshape(shape).float();

describe('views', () => {
  it('are views: writes through one are seen by the other', () => {
    const x = seq([3, 4]);
    const views = [x.reshape([4, 3]), x.view(12), x.t(), x.permute(1, 0), x.narrow(1, 1, 2), x.slice(0, 0, 3, 2), x.select(0, 1), x.unsqueeze(0), x.reshape([1, 3, 4]).squeeze(0), x.flatten()];
    for (const v of views) expect(v._storage).toBe(x._storage);
    noGrad(() => x.select(0, 1).fillInPlace(-1));
    expect(x.t().toArray()).toEqual([[0, -1, 8], [1, -1, 9], [2, -1, 10], [3, -1, 11]]);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([[1, 2], [-1, -1], [9, 10]]);
    expect(x.slice(1, -3, undefined, 2).toArray()).toEqual([[1, 3], [-1, -1], [9, 11]]);
  });

  it('in-place arithmetic writes into the target and equals the out-of-place op, also when operands alias it', () => {
    const r = rng(7);
    const a = randNd([4, 4], r), v = randNd([4], r);
    const ref = (f: (i: number, j: number) => number) => Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => f(i, j)));
    const at = (i: number, j: number) => a.data[4 * i + j];
    const cases: [string, (x: tf.Tensor) => tf.Tensor, (i: number, j: number) => number][] = [
      ['scalar', (x) => x.addInPlace(2.5), (i, j) => at(i, j) + 2.5],
      ['alpha', (x) => x.subInPlace(fromNd(v, 'float64'), 3), (i, j) => at(i, j) - 3 * v.data[j]],
      ['broadcast row', (x) => x.mulInPlace(fromNd(v, 'float64')), (i, j) => at(i, j) * v.data[j]],
      ['itself', (x) => x.addInPlace(x), (i, j) => 2 * at(i, j)],
      ['its transpose', (x) => x.addInPlace(x.t()), (i, j) => at(i, j) + at(j, i)],
      ['its flipped rows', (x) => x.divInPlace(x.narrow(0, 1, 1).expand(4, 4)), (i, j) => at(i, j) / at(1, j)],
      ['a transposed target', (x) => (x.t().subInPlace(fromNd(v, 'float64')), x), (i, j) => at(i, j) - v.data[i]],
      ['clamp', (x) => x.clampInPlace(-0.5, 0.75), (i, j) => Math.min(0.75, Math.max(-0.5, at(i, j)))],
    ];
    for (const [name, f, want] of cases) {
      const x = fromNd(a, 'float64');
      const storage = x._storage, version = storage.version;
      expect(f(x)._storage, name).toBe(storage);
      expect(storage.version, name).toBeGreaterThan(version);
      const got = x.toArray() as number[][];
      ref(want).forEach((row, i) => row.forEach((w, j) => expect(got[i][j], `${name} [${i},${j}]`).toBeCloseTo(w, 12)));
    }
    // An int32 target keeps its dtype: a float result is refused, an int one written.
    const k = tensor([1, 2, 3]);
    expect(() => k.addInPlace(0.5)).toThrow(/can't be cast to the int32 target/);
    expect(k.mulInPlace(3).toArray()).toEqual([3, 6, 9]);
  });

  it('expand/broadcastTo use zero strides; contiguous() and clone() copy', () => {
    const r = tensor([[1], [2]]).float();
    const e = r.expand(2, 3);
    expect(e.stride()).toEqual([1, 0]);
    expect(e.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(r.expand([-1, 4]).shape).toEqual([2, 4]);
    const c = e.contiguous();
    expect(c._storage).not.toBe(e._storage);
    expect(c.isContiguous()).toBe(true);
    const x = seq([2, 2]);
    expect(x.contiguous()).toBe(x);
    expect(x.clone()._storage).not.toBe(x._storage);
    expect(() => r.expand(3, 3)).toThrow(/cannot be expanded/);
  });

  it('reshape copies only when strides make a view impossible; view() refuses then', () => {
    const x = seq([3, 4]).t();
    expect(() => x.view(12)).toThrow(/use reshape/);
    const y = x.reshape(12);
    expect(y._storage).not.toBe(x._storage);
    expect(y.toArray()).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(seq([2, 3, 4]).permute(0, 2, 1).reshape(2, 12).shape).toEqual([2, 12]);
    expect(seq([6]).reshape(-1, 2).shape).toEqual([3, 2]);
    expect(() => seq([6]).reshape(4, -1)).toThrow(/invalid for input of size 6/);
  });

  it('permute/transpose match the reference on 4-D data', () => {
    const r = rng(3);
    const a = randNd([2, 3, 4, 5], r);
    expect(nd(fromNd(a, 'float64').permute(3, 1, 0, 2)).data).toEqual(permuteNd(a, [3, 1, 0, 2]).data);
    expect(nd(fromNd(a, 'float64').transpose(1, -1)).data).toEqual(permuteNd(a, [0, 3, 2, 1]).data);
  });

  it('squeeze/unsqueeze/flatten', () => {
    const x = tf.zeros([1, 3, 1, 2]);
    expect(x.squeeze().shape).toEqual([3, 2]);
    expect(x.squeeze(2).shape).toEqual([1, 3, 2]);
    expect(x.squeeze(1).shape).toEqual([1, 3, 1, 2]);
    expect(x.unsqueeze(-1).shape).toEqual([1, 3, 1, 2, 1]);
    expect(x.flatten(1).shape).toEqual([1, 6]);
    expect(tensor(5).flatten().shape).toEqual([1]);
  });
});

describe('joins and splits', () => {
  it('cat / stack / split / chunk / unbind', () => {
    const a = seq([2, 3]);
    const b = seq([1, 3]).add(100);
    expect(tf.cat([a, b]).toArray()).toEqual([[0, 1, 2], [3, 4, 5], [100, 101, 102]]);
    expect(tf.cat([a, a.t().t()], 1).shape).toEqual([2, 6]);
    expect(tf.cat([a.int(), a]).dtype).toBe('float32');
    expect(tf.stack([a, a], 1).shape).toEqual([2, 2, 3]);
    expect(tf.stack([a, a], 1).select(1, 1).toArray()).toEqual(a.toArray());
    const parts = seq([7, 2]).split(3);
    expect(parts.map((p) => p.shape[0])).toEqual([3, 3, 1]);
    expect(seq([7, 2]).split([2, 5]).map((p) => p.shape[0])).toEqual([2, 5]);
    expect(seq([6, 2]).chunk(4).map((p) => p.shape[0])).toEqual([2, 2, 2]);
    expect(seq([2, 3]).unbind(1).map((p) => p.toArray())).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(() => tf.cat([a, seq([2, 2])])).toThrow('cat: shapes [2,3] and [2,2] must match except in dim 0');
    expect(() => seq([4]).split([1, 1])).toThrow(/summing to 4/);
  });
});

describe('indexing', () => {
  it('gather / scatterAdd / indexSelect against loops', () => {
    const x = seq([3, 4]);
    const idx = tensor([[0, 2], [3, 3], [1, 0]]);
    expect(x.gather(1, idx).toArray()).toEqual([[0, 2], [7, 7], [9, 8]]);
    const idx0 = tensor([[2, 0, 1, 2]]);
    expect(x.gather(0, idx0).toArray()).toEqual([[8, 1, 6, 11]]);
    const z = tf.zeros([2, 3]);
    const s = z.scatterAdd(1, tensor([[0, 0, 2], [1, 1, 1]]), tensor([[1, 2, 3], [4, 5, 6]]).float());
    expect(s.toArray()).toEqual([[3, 0, 3], [0, 15, 0]]);
    expect(z.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(x.indexSelect(0, tensor([2, 0, 2])).toArray()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
    expect(x.indexSelect(1, tensor([3])).toArray()).toEqual([[3], [7], [11]]);
  });

  it('bad indices are RangeErrors naming the op', () => {
    const x = seq([3, 4]);
    expect(() => x.gather(1, tensor([[4]]))).toThrow('gather: index 4 is out of range for a dimension of size 4');
    expect(() => x.indexSelect(0, tensor([-1]))).toThrow(/indexSelect: index -1 is out of range/);
    expect(() => x.gather(1, tensor([[0.5]]))).toThrow(TypeError);
    expect(() => x.scatterAdd(0, tensor([[5, 0, 0, 0]]), seq([1, 4]))).toThrow(RangeError);
  });
});

describe('creation', () => {
  it('infers dtypes and shapes from nested arrays and typed arrays', () => {
    expect(tensor([[1, 2, 3]]).dtype).toBe('int32');
    expect(tensor([[1, 2.5]]).dtype).toBe('float32');
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor(3.5).shape).toEqual([]);
    expect(tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] }).dtype).toBe('float64');
    expect(tensor(new Uint8Array([255, 1])).toArray()).toEqual([255, 1]);
    expect(tensor([[1, 2]], { dtype: 'float64' }).dtype).toBe('float64');
    expect(tensor([]).shape).toEqual([0]);
    expect(() => tensor([[1, 2], [3]])).toThrow(/rectangular/);
    expect(() => tensor([1, true] as never)).toThrow(/mix/);
    expect(() => tensor(['a'] as never)).toThrow(TypeError);
  });

  it('constant fills, ranges, eye, *Like', () => {
    expect(tf.zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(tf.ones([2], { dtype: 'int32' }).toArray()).toEqual([1, 1]);
    expect(tf.full([2], 7).dtype).toBe('int32');
    expect(tf.full([2], 0.5).toArray()).toEqual([0.5, 0.5]);
    expect(tf.arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(tf.arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(tf.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(tf.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(tf.eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    const x = tf.ones([2, 3], { dtype: 'float64' });
    expect(tf.zerosLike(x).dtype).toBe('float64');
    expect(tf.fullLike(x, 2).toArray()).toEqual([[2, 2, 2], [2, 2, 2]]);
    expect(tf.empty([3]).shape).toEqual([3]);
    expect(() => tf.zeros([-1])).toThrow(RangeError);
    expect(() => tf.zeros([1.5])).toThrow(/non-negative integers/);
    expect(() => tf.zeros('3' as never)).toThrow(TypeError);
    expect(() => tf.zeros([2], { dtype: 'float16' as never })).toThrow(/unknown dtype/);
  });

  it('random draws are seeded, reproducible and have the right moments', () => {
    tf.manualSeed(42);
    const a = tf.randn([20000]);
    tf.manualSeed(42);
    const b = tf.randn([20000]);
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
    const m = a.mean().item() as number;
    const s = a.std().item() as number;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(s - 1)).toBeLessThan(0.03);
    const u = tf.rand([20000]);
    expect(u.amin().item()).toBeGreaterThanOrEqual(0);
    expect(u.amax().item()).toBeLessThan(1);
    expect(Math.abs((u.mean().item() as number) - 0.5)).toBeLessThan(0.01);
    const ri = tf.randint(3, 7, [5000]);
    expect(ri.dtype).toBe('int32');
    expect(ri.amin().item()).toBe(3);
    expect(ri.amax().item()).toBe(6);
    const p = tf.randperm(50);
    expect(Array.from(p.data()).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const g = new tf.Generator(7);
    const c1 = tf.rand([3], { generator: g });
    g.manualSeed(7);
    expect(tf.rand([3], { generator: g }).toArray()).toEqual(c1.toArray());
  });
});

describe('output', () => {
  it('toArray, data, item and toString', () => {
    const x = tensor([[1, 2.5], [3, 4]]);
    expect(x.toArray()).toEqual([[1, 2.5], [3, 4]]);
    expect(x.data()).toBeInstanceOf(Float32Array);
    expect(tensor([[7]]).item()).toBe(7);
    expect(tensor(true).item()).toBe(true);
    expect(() => x.item()).toThrow(/one-element/);
    expect(x.toString()).toBe('tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])');
    expect(tensor([1, 2]).toString()).toBe('tensor([1, 2], dtype=int32)');
    expect(tensor([1, 2], { dtype: 'float64' }).toString()).toBe('tensor([1., 2.], dtype=float64)');
    expect(tensor([true, false]).toString()).toBe('tensor([ True, False])');
    expect(tf.zeros([2], { requiresGrad: true }).toString()).toBe('tensor([0., 0.], requiresGrad=true)');
    expect(tf.arange(2000).toString()).toContain('...');
  });
});
