// Image transforms against pixel arithmetic written here (np.rot90-style
// index maps, padded windows, averages of neighbours).
import { describe, expect, it } from 'vitest';
import { data, Generator, tensor, Tensor } from '../src/index';

const { affine, compose, normalize, randomAffine, randomCrop, randomHorizontalFlip, randomRotation } = data;

const img = (n: number, c: number, h: number, w: number, f = (i: number) => i + 1) =>
  tensor(Float32Array.from({ length: n * c * h * w }, (_, i) => f(i)), { shape: [n, c, h, w] });
const grid = (t: Tensor) => t.toArray() as number[][][][];
const id = { angle: 0, translate: [0, 0] as [number, number], scale: 1, shear: 0 };

describe('normalize / compose', () => {
  it('per channel and scalar', () => {
    const x = img(2, 3, 2, 2);
    const y = normalize([1, 2, 3], [2, 4, 8])(x);
    const xs = x.data() as Float32Array;
    const ys = y.data() as Float32Array;
    for (let i = 0; i < xs.length; i++) {
      const ch = Math.floor(i / 4) % 3;
      expect(ys[i]).toBeCloseTo((xs[i] - [1, 2, 3][ch]) / [2, 4, 8][ch], 5);
    }
    expect(normalize(0.5, 0.25)(tensor(Float32Array.from([1.5]), { shape: [1, 1] })).item()).toBe(4);
    expect(() => normalize([1, 2], [1, 1])(x)).toThrow(/2 channel statistics/);
    expect(compose((t) => t.add(1), (t) => t.mul(3))(tensor(Float32Array.from([1]))).item()).toBe(6);
  });
});

describe('randomCrop', () => {
  it('every crop is a window of the zero-padded image, offsets vary per image', () => {
    const n = 16, h = 4, w = 5, pad = 2;
    const x = img(n, 2, h, w, (i) => 1 + (i % (2 * h * w))); // the same image n times
    const out = grid(randomCrop([3, 4], { padding: pad, generator: new Generator(1) })(x));
    const src = grid(x)[0];
    const at = (c: number, y: number, xx: number) => (y >= 0 && y < h && xx >= 0 && xx < w ? src[c][y][xx] : 0);
    const offsets = new Set<string>();
    for (let i = 0; i < n; i++) {
      let found = '';
      for (let top = -pad; top <= h + pad - 3 && !found; top++) {
        for (let left = -pad; left <= w + pad - 4 && !found; left++) {
          let ok = true;
          for (let c = 0; c < 2; c++) for (let y = 0; y < 3; y++) for (let xx = 0; xx < 4; xx++) ok &&= out[i][c][y][xx] === at(c, y + top, xx + left);
          if (ok) found = `${top},${left}`;
        }
      }
      expect(found).not.toBe('');
      offsets.add(found);
    }
    expect(offsets.size).toBeGreaterThan(3);
    expect(() => randomCrop(20)(x)).toThrow(/larger than the padded image/);
  });
});

describe('randomHorizontalFlip', () => {
  it('p=1 mirrors, p=0 keeps, p=0.5 flips some images of a batch', () => {
    const x = img(1, 1, 2, 3);
    expect(randomHorizontalFlip(1)(x).toArray()).toEqual([[[[3, 2, 1], [6, 5, 4]]]]);
    expect(randomHorizontalFlip(0)(x).toArray()).toEqual(x.toArray());
    const batch = img(32, 1, 1, 2, (i) => (i % 2) + 1);
    const firsts = grid(randomHorizontalFlip(0.5, { generator: new Generator(9) })(batch)).map((im) => im[0][0][0]);
    expect(new Set(firsts)).toEqual(new Set([1, 2]));
    // A [C,H,W] image is one sample: all channels flip together.
    const chw = tensor(Float32Array.from([1, 2, 3, 4]), { shape: [2, 1, 2] });
    expect(randomHorizontalFlip(1)(chw).toArray()).toEqual([[[2, 1]], [[4, 3]]]);
  });
});

describe('affine', () => {
  const rot90 = (a: number[][]) => a.map((_, i) => a.map((row) => row[a.length - 1 - i])); // np.rot90: counter-clockwise
  it('a quarter turn (nearest) is np.rot90', () => {
    const x = img(1, 1, 5, 5);
    const y = grid(affine(x, { ...id, angle: 90 }))[0][0];
    expect(y).toEqual(rot90(grid(x)[0][0]));
    const r = grid(randomRotation([90, 90])(img(3, 2, 4, 4)));
    const x3 = grid(img(3, 2, 4, 4));
    for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) expect(r[i][c]).toEqual(rot90(x3[i][c]));
  });
  it('identity and whole-pixel shifts; outside reads fill', () => {
    const x = img(1, 1, 3, 4);
    expect(affine(x, id, { interpolation: 'bilinear' }).toArray()).toEqual(x.toArray());
    const s = grid(affine(x, { ...id, translate: [1, -1] }, { fill: -1 }))[0][0];
    const src = grid(x)[0][0];
    for (let y = 0; y < 3; y++) for (let xx = 0; xx < 4; xx++) {
      const sy = y + 1, sx = xx - 1;
      expect(s[y][xx]).toBe(sy < 3 && sx >= 0 ? src[sy][sx] : -1);
    }
  });
  it('bilinear half-pixel shift averages neighbours', () => {
    const x = tensor(Float64Array.from([0, 10, 20, 30]), { shape: [1, 4] });
    const y = affine(x, { ...id, translate: [0.5, 0] }, { interpolation: 'bilinear', fill: 0 });
    expect(y.toArray()).toEqual([[0, 5, 15, 25]]);
  });
  it('scale 2 about the centre magnifies', () => {
    // 1-D row of 5: output pixel x reads input (x - 2)/2 + 2.
    const x = tensor(Float64Array.from([0, 1, 2, 3, 4]), { shape: [1, 5] });
    expect(affine(x, { ...id, scale: 2 }, { interpolation: 'bilinear' }).toArray()).toEqual([[1, 1.5, 2, 2.5, 3]]);
  });
  it('randomAffine is seeded and keeps shape and dtype', () => {
    const x = img(4, 1, 6, 6);
    const a = randomAffine({ degrees: 20, translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 5, generator: new Generator(3) })(x);
    const b = randomAffine({ degrees: 20, translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 5, generator: new Generator(3) })(x);
    expect(a.shape).toEqual([4, 1, 6, 6]);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual(b.toArray());
    expect(() => randomAffine({ degrees: [5, -5] })).toThrow(RangeError);
    expect(() => affine(tensor([1, 2, 3]), id)).toThrow(/\[H,W\]/);
  });
});
