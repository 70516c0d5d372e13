// indexSelect (the DataLoader's batch gather) against index arithmetic written here, on the
// dense fast path (every dim) and the strided general path.
import { expect, it } from 'vitest';
import { tensor } from '../src/index';
it('indexSelect along each dim, dense and strided, bool, bad index', () => {
  const shape = [3, 4, 5];
  const vals = Array.from({ length: 60 }, (_, i) => i * 1.5 - 7);
  const x = tensor(Float32Array.from(vals), { shape });
  const at = (i: number, j: number, k: number) => vals[i * 20 + j * 5 + k];
  for (const dim of [0, 1, 2]) {
    const idx = [shape[dim] - 1, 0, 1, 0];
    const y = x.indexSelect(dim, tensor(Int32Array.from(idx))).toArray() as number[][][];
    y.forEach((a, i) => a.forEach((b, j) => b.forEach((v, k) => {
      const src = [i, j, k]; src[dim] = idx[src[dim]];
      expect(v).toBe(at(src[0], src[1], src[2]));
    })));
    // non-contiguous input takes the general path
    const yt = x.transpose(0, 2).indexSelect(dim, tensor(Int32Array.from(idx.map((v) => Math.min(v, [5, 4, 3][dim] - 1)))));
    expect(yt.shape[dim]).toBe(4);
  }
  const b = tensor([[true, false], [false, true]]).indexSelect(0, tensor(Int32Array.from([1, 1, 0])));
  expect(b.toArray()).toEqual([[false, true], [false, true], [true, false]]);
  expect(() => x.indexSelect(0, tensor(Int32Array.from([3])))).toThrow(/out of range/);
});
