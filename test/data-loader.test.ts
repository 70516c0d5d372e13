// DataLoader order, determinism, dropLast, collate and async iteration;
// checked against index arithmetic written here.
import { describe, expect, it } from 'vitest';
import { data, Generator, tensor, Tensor } from '../src/index';

const { DataLoader, Dataset, TensorDataset, defaultCollate } = data;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const xs = tensor(Float32Array.from(range(10 * 3), (v) => v), { shape: [10, 3] });
const ys = tensor(Int32Array.from(range(10), (v) => v * 7));

function rowsOf(x: Tensor): number[] {
  // Row r of xs is [3r, 3r+1, 3r+2]; recover r from the first column.
  return (x.toArray() as number[][]).map((row) => row[0] / 3);
}

describe('DataLoader', () => {
  it('batches in order, with a short last batch or dropLast', () => {
    const ds = new TensorDataset(xs, ys);
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const got = Array.from(loader, ([x, y]) => ({ rows: rowsOf(x), y: y.toArray() }));
    expect(got.map((b) => b.rows)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(got.map((b) => b.y)).toEqual([[0, 7, 14, 21], [28, 35, 42, 49], [56, 63]]);
    const dropped = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    expect(Array.from(dropped).map(([x]) => x.shape[0])).toEqual([4, 4]);
  });

  it('shuffles deterministically per seed, a new permutation each epoch, pairs kept aligned', () => {
    const ds = new TensorDataset(xs, ys);
    const epoch = (l: InstanceType<typeof DataLoader>) => Array.from(l as Iterable<Tensor[]>).flatMap(([x, y]) => {
      const r = rowsOf(x);
      expect((y.toArray() as number[])).toEqual(r.map((v) => v * 7));
      return r;
    });
    const a = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(42) });
    const b = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(42) });
    const a1 = epoch(a);
    const a2 = epoch(a);
    expect(epoch(b)).toEqual(a1);
    expect(epoch(b)).toEqual(a2);
    expect(a1.slice().sort((p, q) => p - q)).toEqual(range(10));
    expect(a2.slice().sort((p, q) => p - q)).toEqual(range(10));
    expect(a1).not.toEqual(a2);
    expect(a1).not.toEqual(range(10));
    const c = new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(7) });
    expect(epoch(c)).not.toEqual(a1);
  });

  it('the one-gather fast path equals per-sample stacking', () => {
    const ds = new TensorDataset(xs, ys);
    const fast = Array.from(new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator(3) }));
    const slow = Array.from(new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator(3), collate: (items: Tensor[][]) => defaultCollate(items) }));
    expect(fast.length).toBe(slow.length);
    fast.forEach(([x, y], i) => {
      expect(x.toArray()).toEqual(slow[i][0].toArray());
      expect(y.toArray()).toEqual(slow[i][1].toArray());
    });
  });

  it('async iteration yields the same batches', async () => {
    const ds = new TensorDataset(xs, ys);
    const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator(5) });
    const sync = Array.from(new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator(5) }), ([x]) => rowsOf(x));
    const got: number[][] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    for await (const [x] of loader) {
      got.push(rowsOf(x));
      await new Promise((r) => setTimeout(r, 2));
    }
    clearInterval(timer);
    expect(got).toEqual(sync);
    expect(ticks).toBeGreaterThan(0);
  });

  it('custom datasets: numbers, tuples, objects and a custom collate', () => {
    class Squares extends Dataset<{ x: number; y: [number, boolean]; name: string }> {
      length = 5;
      getItem(i: number) {
        return { x: i + 0.5, y: [i * i, i % 2 === 0] as [number, boolean], name: `n${i}` };
      }
    }
    const [b0] = new DataLoader(new Squares(), { batchSize: 3 });
    expect(b0.x.dtype).toBe('float32');
    expect(b0.x.toArray()).toEqual([0.5, 1.5, 2.5]);
    expect(b0.y[0].dtype).toBe('int32');
    expect(b0.y[0].toArray()).toEqual([0, 1, 4]);
    expect(b0.y[1].toArray()).toEqual([true, false, true]);
    expect(b0.name).toEqual(['n0', 'n1', 'n2']);
    const sums = Array.from(new DataLoader(new Squares(), { batchSize: 2, collate: (items) => items.reduce((s, it) => s + it.x, 0) }));
    expect(sums).toEqual([2, 6, 4.5]);
  });

  it('stacks tensor items and validates arguments', () => {
    class Imgs extends Dataset<[Tensor, number]> {
      length = 3;
      getItem(i: number): [Tensor, number] {
        return [tensor(Float32Array.from([i, i, i, i]), { shape: [1, 2, 2] }), i];
      }
    }
    const [[x, y]] = new DataLoader(new Imgs(), { batchSize: 3 });
    expect(x.shape).toEqual([3, 1, 2, 2]);
    expect(y.toArray()).toEqual([0, 1, 2]);
    expect(() => new DataLoader(new Imgs(), { batchSize: 0 })).toThrow(RangeError);
    expect(() => new DataLoader({} as never)).toThrow(TypeError);
    expect(() => new TensorDataset(xs, tensor([1, 2]))).toThrow(/size mismatch/);
    expect(() => new TensorDataset(xs).getItem(10)).toThrow(/out of range/);
    expect(() => defaultCollate([Symbol('s')])).toThrow(/collate function/);
  });

  it('TensorDataset applies transform / targetTransform to items and batches', () => {
    const ds = new TensorDataset(xs, ys);
    ds.transform = (x) => x.mul(2);
    ds.targetTransform = (y) => y.add(1);
    const [x3, y3] = ds.getItem(3);
    expect(x3.toArray()).toEqual([18, 20, 22]);
    expect(y3.item()).toBe(22);
    const [[xb, yb]] = new DataLoader(ds, { batchSize: 2 });
    expect(xb.toArray()).toEqual([[0, 2, 4], [6, 8, 10]]);
    expect(yb.toArray()).toEqual([1, 8]);
  });
});
