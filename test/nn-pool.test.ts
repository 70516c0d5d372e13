import { describe, it, expect } from 'vitest';
import { backendInfo, nn, gradcheck, gradgradcheck, tensor, zeros } from '../src/index';
import { cpuBinding } from '../src/backend/device';
import { expectClose, randArray, rt } from './nn-helpers';

const F = nn.functional;

interface G { k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number] }

/** Plain-loop pooling over padded windows: max (with first-max index) or average. */
function refPool(x: Float64Array, [N, C, H, W]: number[], g: G, kind: 'max' | 'avg', countIncludePad = true) {
  const OH = Math.floor((H + 2 * g.p[0] - g.d[0] * (g.k[0] - 1) - 1) / g.s[0]) + 1;
  const OW = Math.floor((W + 2 * g.p[1] - g.d[1] * (g.k[1] - 1) - 1) / g.s[1]) + 1;
  const out = new Float64Array(N * C * OH * OW);
  const idx = new Int32Array(out.length);
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        let best = -Infinity, bi = -1, acc = 0, cnt = 0;
        for (let a = 0; a < g.k[0]; a++)
          for (let b = 0; b < g.k[1]; b++) {
            const ih = i * g.s[0] - g.p[0] + a * g.d[0];
            const iw = j * g.s[1] - g.p[1] + b * g.d[1];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const v = x[nc * H * W + ih * W + iw];
            if (v > best) { best = v; bi = ih * W + iw; }
            acc += v;
            cnt++;
          }
        const o = (nc * OH + i) * OW + j;
        out[o] = kind === 'max' ? best : acc / (countIncludePad ? g.k[0] * g.k[1] : cnt);
        idx[o] = bi;
      }
  return { out, idx, shape: [N, C, OH, OW] };
}

describe('maxPool2d', () => {
  const cases: (G & { xs: number[] })[] = [
    { xs: [2, 3, 6, 6], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1] },
    { xs: [1, 2, 7, 5], k: [3, 2], s: [2, 1], p: [1, 1], d: [1, 1] },
    { xs: [1, 2, 9, 9], k: [3, 3], s: [1, 2], p: [1, 0], d: [2, 3] },
  ];
  for (const c of cases) {
    it(`matches plain loops for k=${c.k} s=${c.s} p=${c.p} d=${c.d}`, () => {
      const xa = randArray(c.xs.reduce((a, b) => a * b), 21);
      const ref = refPool(xa, c.xs, c, 'max');
      const [y, idx] = F.maxPool2d(tensor(xa, { shape: c.xs, dtype: 'float64' }), c.k, { stride: c.s, padding: c.p, dilation: c.d, returnIndices: true });
      expect(y.shape).toEqual(ref.shape);
      expectClose(y, ref.out, 0);
      expect(Array.from(idx.data())).toEqual(Array.from(ref.idx));
    });
  }
  for (const c of cases) {
    it(`backward matches plain loops on a non-contiguous input for k=${c.k} s=${c.s} p=${c.p} d=${c.d}`, () => {
      const n = c.xs.reduce((a, b) => a * b);
      const xa = randArray(n, 24);
      const ref = refPool(xa, c.xs, c, 'max');
      const gya = randArray(ref.out.length, 25);
      // Reference adjoint: each output gradient added at its window's (first) max.
      const [N, C, H, W] = c.xs;
      const L = ref.out.length / (N * C);
      const want = new Float64Array(n);
      for (let o = 0; o < ref.out.length; o++) want[Math.floor(o / L) * H * W + ref.idx[o]] += gya[o];
      for (const dtype of ['float64', 'float32'] as const) {
        // The same values as a transposed view of [N, C, W, H] storage.
        const xt = tensor(xa, { shape: c.xs, dtype }).transpose(2, 3).contiguous().transpose(2, 3).requiresGrad_();
        expect(xt.isContiguous()).toBe(false);
        const y = F.maxPool2d(xt, c.k, { stride: c.s, padding: c.p, dilation: c.d });
        y.backward(tensor(gya, { shape: ref.shape, dtype }));
        expectClose(xt.grad!, want, dtype === 'float64' ? 1e-12 : 1e-5);
      }
    });
  }
  it('MaxPool2d(2) on float32 and its backward match plain loops on every ISA, with ties, NaN, -Infinity and -0', () => {
    // Widths 2..71 give 1..35 windows per row (one partial vector step, one
    // full one, several); odd sizes leave the last row and column out.
    const start = backendInfo().isa;
    const values = [0, 1, 1, 2, -1, -Infinity, NaN, 2];
    try {
      for (const isa of backendInfo().supportedIsas) {
        expect(cpuBinding.setIsa!(isa)).toBe(true);
        for (const [H, W] of [[2, 2], [5, 7], [6, 26], [4, 33], [8, 64], [7, 71]]) {
          const shape = [2, 3, H, W];
          const n = 2 * 3 * H * W;
          let s = H * 131 + W;
          const x = new Float32Array(n).map(() => values[((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) % values.length]);
          const OH = H >> 1, OW = W >> 1;
          const want = new Float32Array(6 * OH * OW), wantIdx = new Int32Array(want.length);
          for (let p = 0; p < 6; p++)
            for (let i = 0; i < OH; i++)
              for (let j = 0; j < OW; j++) {
                // Scan order; the first NaN wins, else the first maximum.
                let best = NaN, bi = -1;
                for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
                  const k = (2 * i + a) * W + 2 * j + b, v = x[p * H * W + k];
                  if (bi < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) { best = v; bi = k; }
                }
                want[(p * OH + i) * OW + j] = best;
                wantIdx[(p * OH + i) * OW + j] = bi;
              }
          const xt = tensor(x, { shape, dtype: 'float32', requiresGrad: true });
          const [y, idx] = F.maxPool2d(xt, 2, { returnIndices: true });
          expect(Array.from(idx.data()), `${isa} ${H}x${W}`).toEqual(Array.from(wantIdx));
          expect(Array.from(y.data()), `${isa} ${H}x${W}`).toEqual(Array.from(want));
          // Backward: each gradient at its index (0 + g, so -0 lands as +0), zero elsewhere.
          const g = new Float32Array(want.length).map((_, i) => (i % 5 === 0 ? -0 : (i % 7) - 3));
          const wantDx = new Float32Array(n);
          for (let o = 0; o < want.length; o++) wantDx[Math.floor(o / (OH * OW)) * H * W + wantIdx[o]] += g[o];
          y.backward(tensor(g, { shape: y.shape, dtype: 'float32' }));
          expect(Array.from(xt.grad!.data()), `${isa} ${H}x${W} backward`).toEqual(Array.from(wantDx));
        }
      }
    } finally {
      cpuBinding.setIsa!(start);
    }
  });

  it('gradient goes to the max of each window; gradcheck and gradgradcheck', () => {
    // Overlapping, padded windows: the backward kernel accumulates; its own backward gathers.
    gradgradcheck((x) => F.maxPool2d(x, [3, 2], { stride: 1, padding: 1 }), [rt([2, 2, 4, 5], 26, { requiresGrad: true })]);
    const x = rt([2, 2, 5, 4], 22, { requiresGrad: true });
    gradcheck((x) => F.maxPool2d(x, [2, 3], { stride: [2, 1], padding: [1, 1] }), [x]);
    gradgradcheck((x) => F.maxPool2d(x, 2), [rt([1, 1, 4, 4], 23, { requiresGrad: true })]);
    // Overlapping windows sharing a max accumulate its gradient.
    const z = tensor([[[[0, 0, 0], [0, 9, 0], [0, 0, 0]]]], { dtype: 'float64', requiresGrad: true });
    F.maxPool2d(z, 2, 1).sum().backward();
    expect(z.grad!.toArray()).toEqual([[[[0, 0, 0], [0, 4, 0], [0, 0, 0]]]]);
  });
  it('module, unbatched input and errors', () => {
    expect((new nn.MaxPool2d(2).forward(zeros([3, 6, 6])) as ReturnType<typeof zeros>).shape).toEqual([3, 3, 3]);
    expect(() => F.maxPool2d(zeros([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/maxPool2d: padding should be at most half/);
    expect(() => F.maxPool2d(zeros([1, 1, 1, 1]), 2)).toThrow(/maxPool2d: the \(dilated\) kernel 2x2 is larger than the padded input 1x1 \(input \[1,1,1,1\]\)/);
    expect(() => F.maxPool2d(zeros([4, 4]), 2)).toThrow(RangeError);
    expect(() => F.maxPool2d(zeros([1, 1, 4, 4], { dtype: 'int32' }), 2)).toThrow(TypeError);
    expect(() => F.maxPool2d(zeros([1, 1, 4, 4]), 2, { ceilMode: true })).toThrow(/ceilMode/);
  });
});

describe('avgPool2d', () => {
  const cases: (G & { xs: number[]; cip: boolean })[] = [
    { xs: [2, 3, 7, 6], k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], cip: true },
    { xs: [1, 2, 7, 5], k: [3, 2], s: [2, 1], p: [1, 1], d: [1, 1], cip: true },
    { xs: [1, 2, 7, 5], k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], cip: false },
  ];
  for (const c of cases) {
    it(`matches plain loops for k=${c.k} s=${c.s} p=${c.p} countIncludePad=${c.cip}`, () => {
      const xa = randArray(c.xs.reduce((a, b) => a * b), 24);
      const ref = refPool(xa, c.xs, c, 'avg', c.cip);
      const y = F.avgPool2d(tensor(xa, { shape: c.xs, dtype: 'float64' }), c.k, { stride: c.s, padding: c.p, countIncludePad: c.cip });
      expect(y.shape).toEqual(ref.shape);
      expectClose(y, ref.out, 1e-12);
    });
  }
  it('gradcheck (tiled and im2col paths), divisorOverride', () => {
    gradcheck((x) => F.avgPool2d(x, 2), [rt([1, 2, 5, 4], 25, { requiresGrad: true })]);
    gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [rt([1, 1, 5, 5], 26, { requiresGrad: true })]);
    const y = F.avgPool2d(tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' }), 2, { divisorOverride: 2 });
    expect(y.item()).toBe(5);
  });
});

describe('adaptiveAvgPool2d', () => {
  /** PyTorch's windows: [floor(i*H/OH), ceil((i+1)*H/OH)). */
  function refAdaptive(x: Float64Array, [N, C, H, W]: number[], OH: number, OW: number): Float64Array {
    const out = new Float64Array(N * C * OH * OW);
    for (let nc = 0; nc < N * C; nc++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          const h0 = Math.floor((i * H) / OH), h1 = Math.ceil(((i + 1) * H) / OH);
          const w0 = Math.floor((j * W) / OW), w1 = Math.ceil(((j + 1) * W) / OW);
          let s = 0;
          for (let a = h0; a < h1; a++) for (let b = w0; b < w1; b++) s += x[nc * H * W + a * W + b];
          out[(nc * OH + i) * OW + j] = s / ((h1 - h0) * (w1 - w0));
        }
    return out;
  }
  it('divisible and non-divisible sizes, null keeps a dim', () => {
    const xs = [2, 3, 7, 6];
    const xa = randArray(252, 27);
    const x = tensor(xa, { shape: xs, dtype: 'float64' });
    expectClose(F.adaptiveAvgPool2d(x, [3, 4]), refAdaptive(xa, xs, 3, 4), 1e-12);
    expectClose(F.adaptiveAvgPool2d(x, 1), refAdaptive(xa, xs, 1, 1), 1e-12);
    expectClose(F.adaptiveAvgPool2d(x, [7, 3]), refAdaptive(xa, xs, 7, 3), 1e-12);
    expect(F.adaptiveAvgPool2d(x, [null, 2]).shape).toEqual([2, 3, 7, 2]);
    expect(new nn.AdaptiveAvgPool2d([5, 5]).forward(x).shape).toEqual([2, 3, 5, 5]);
    gradcheck((x) => F.adaptiveAvgPool2d(x, [2, 3]), [rt([1, 2, 5, 4], 28, { requiresGrad: true })]);
  });
});
