import { describe, it, expect } from 'vitest';
import { nn, gradcheck, gradgradcheck, tensor, zeros, randn } from '../src/index';
import { expectClose, randArray, rt } from './nn-helpers';

const F = nn.functional;

/** Plain-loop float64 conv2d: x [N,C,H,W], w [O,C/g,KH,KW]. */
function refConv(
  x: Float64Array, xs: number[], w: Float64Array, ws: number[], b: Float64Array | null,
  s: [number, number], p: [number, number], d: [number, number], groups: number,
): { out: Float64Array; shape: number[] } {
  const [N, C, H, W] = xs;
  const [O, CG, KH, KW] = ws;
  const OH = Math.floor((H + 2 * p[0] - d[0] * (KH - 1) - 1) / s[0]) + 1;
  const OW = Math.floor((W + 2 * p[1] - d[1] * (KW - 1) - 1) / s[1]) + 1;
  const out = new Float64Array(N * O * OH * OW);
  const OG = O / groups;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / OG);
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let acc = b ? b[o] : 0;
          for (let cg = 0; cg < CG; cg++) {
            const c = g * CG + cg;
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = i * s[0] - p[0] + kh * d[0];
                const iw = j * s[1] - p[1] + kw * d[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x[((n * C + c) * H + ih) * W + iw] * w[((o * CG + cg) * KH + kh) * KW + kw];
              }
          }
          out[((n * O + o) * OH + i) * OW + j] = acc;
        }
    }
  return { out, shape: [N, O, OH, OW] };
}

describe('conv2d forward vs plain loops', () => {
  const cases: { name: string; xs: number[]; ws: number[]; s: [number, number]; p: [number, number]; d: [number, number]; g: number; bias: boolean }[] = [
    { name: 'basic 3x3', xs: [2, 3, 7, 6], ws: [4, 3, 3, 3], s: [1, 1], p: [0, 0], d: [1, 1], g: 1, bias: true },
    { name: 'stride/padding', xs: [1, 2, 9, 8], ws: [3, 2, 3, 2], s: [2, 3], p: [1, 2], d: [1, 1], g: 1, bias: true },
    { name: 'dilation', xs: [2, 2, 9, 9], ws: [2, 2, 3, 3], s: [1, 2], p: [2, 1], d: [2, 3], g: 1, bias: false },
    { name: 'groups', xs: [2, 4, 6, 6], ws: [6, 2, 3, 3], s: [1, 1], p: [1, 1], d: [1, 1], g: 2, bias: true },
    { name: 'depthwise', xs: [1, 3, 5, 5], ws: [3, 1, 3, 3], s: [2, 2], p: [1, 1], d: [1, 1], g: 3, bias: true },
    { name: '1x1', xs: [2, 3, 4, 5], ws: [5, 3, 1, 1], s: [1, 1], p: [0, 0], d: [1, 1], g: 1, bias: true },
    { name: '1x1 strided', xs: [2, 3, 5, 5], ws: [2, 3, 1, 1], s: [2, 2], p: [0, 0], d: [1, 1], g: 1, bias: false },
    // Rows longer than im2col's 32-byte moves, with padding at both ends.
    { name: 'wide rows, padded', xs: [2, 2, 4, 37], ws: [3, 2, 3, 3], s: [1, 1], p: [1, 2], d: [1, 1], g: 1, bias: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const xa = randArray(c.xs.reduce((a, b) => a * b), 1);
      const wa = randArray(c.ws.reduce((a, b) => a * b), 2);
      const ba = c.bias ? randArray(c.ws[0], 3) : null;
      const ref = refConv(xa, c.xs, wa, c.ws, ba, c.s, c.p, c.d, c.g);
      for (const dtype of ['float64', 'float32'] as const) {
        const x = tensor(xa, { shape: c.xs, dtype });
        const w = tensor(wa, { shape: c.ws, dtype });
        const b = ba ? tensor(ba, { dtype }) : null;
        const y = F.conv2d(x, w, b, { stride: c.s, padding: c.p, dilation: c.d, groups: c.g });
        expect(y.shape).toEqual(ref.shape);
        expectClose(y, ref.out, dtype === 'float64' ? 1e-12 : 1e-5, 1e-5);
      }
    });
  }

  it("padding 'same' matches PyTorch's asymmetric rule for even kernels", () => {
    const xs = [1, 2, 5, 6];
    const ws = [3, 2, 4, 3];
    const xa = randArray(60, 4);
    const wa = randArray(72, 5);
    const y = F.conv2d(tensor(xa, { shape: xs, dtype: 'float64' }), tensor(wa, { shape: ws, dtype: 'float64' }), null, { padding: 'same', dilation: [1, 2] });
    // Reference: pad top 1 / bottom 2 (total 3), left 2 / right 2 (total 4), then a valid conv.
    const H = 5 + 3, W = 6 + 4;
    const pad = new Float64Array(2 * H * W);
    for (let c = 0; c < 2; c++) for (let i = 0; i < 5; i++) for (let j = 0; j < 6; j++) pad[(c * H + i + 1) * W + j + 2] = xa[(c * 5 + i) * 6 + j];
    const ref = refConv(pad, [1, 2, H, W], wa, ws, null, [1, 1], [0, 0], [1, 2], 1);
    expect(y.shape).toEqual([1, 3, 5, 6]);
    expect(ref.shape).toEqual([1, 3, 5, 6]);
    expectClose(y, ref.out, 1e-12);
    expect(F.conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { padding: 'valid' }).shape).toEqual([1, 1, 3, 3]);
  });

  it('unbatched 3-D input', () => {
    const y = F.conv2d(randn([2, 5, 5]), randn([3, 2, 3, 3]));
    expect(y.shape).toEqual([3, 3, 3]);
  });
});

describe('conv2d gradients', () => {
  it('gradcheck with stride, padding, dilation and bias', () => {
    const x = rt([2, 2, 5, 4], 10, { requiresGrad: true });
    const w = rt([3, 2, 2, 3], 11, { requiresGrad: true });
    const b = rt([3], 12, { requiresGrad: true });
    gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }), [x, w, b]);
  });
  it('gradcheck with groups and 1x1', () => {
    const x = rt([1, 4, 3, 3], 13, { requiresGrad: true });
    const w = rt([2, 2, 2, 2], 14, { requiresGrad: true });
    gradcheck((x, w) => F.conv2d(x, w, null, { groups: 2, padding: 1 }), [x, w]);
    const w1 = rt([3, 4, 1, 1], 15, { requiresGrad: true });
    gradcheck((x, w) => F.conv2d(x, w), [x, w1]);
  });
  it('gradcheck over a batch: groups with bias, 1x1, non-contiguous input and weight', () => {
    // The whole batch is one GEMM on [K, N*L] columns: N > 1 checks the images do not mix.
    const x = rt([3, 4, 5, 4], 30, { requiresGrad: true });
    const w = rt([6, 2, 3, 2], 31, { requiresGrad: true });
    const b = rt([6], 32, { requiresGrad: true });
    gradcheck((x, w, b) => F.conv2d(x, w, b, { groups: 2, stride: [2, 1], padding: 1 }), [x, w, b]);
    const w1 = rt([3, 4, 1, 1], 33, { requiresGrad: true });
    gradcheck((x, w) => F.conv2d(x, w), [x, w1]);
    const wt = rt([3, 4, 3, 2], 34, { requiresGrad: true }); // used as [3, 4, 2, 3]
    gradcheck((x, w) => F.conv2d(x.transpose(2, 3), w.transpose(2, 3), null, { dilation: [1, 2] }), [x, wt]);
  });
  it('non-contiguous input and weight match plain loops', () => {
    const xs = [3, 2, 6, 5], ws = [4, 2, 3, 2];
    const xa = randArray(3 * 2 * 6 * 5, 35), wa = randArray(4 * 2 * 3 * 2, 36);
    const ref = refConv(xa, xs, wa, ws, null, [1, 2], [1, 0], [1, 1], 1);
    for (const dtype of ['float64', 'float32'] as const) {
      // Same values, stored transposed.
      const x = tensor(xa, { shape: xs, dtype }).transpose(2, 3).contiguous().transpose(2, 3);
      const w = tensor(wa, { shape: ws, dtype }).transpose(0, 1).contiguous().transpose(0, 1);
      expect(x.isContiguous() || w.isContiguous()).toBe(false);
      expectClose(F.conv2d(x, w, null, { stride: [1, 2], padding: [1, 0] }), ref.out, dtype === 'float64' ? 1e-12 : 1e-5);
    }
  });
  it('fold reads columns stored [K, N, L] in place and any other layout through a copy', () => {
    const c = rt([4, 2, 6], 37); // [K, N, L] storage for x [2, 1, 3, 4], kernel 2x2
    const want = F.fold(c.permute(1, 0, 2).contiguous(), [3, 4], 2);
    expectClose(F.fold(c.permute(1, 0, 2), [3, 4], 2), want.data(), 0);
    const odd = rt([2, 6, 4], 38).transpose(1, 2); // [N, K, L] with K innermost
    expectClose(F.fold(odd, [3, 4], 2), F.fold(odd.contiguous(), [3, 4], 2).data(), 0);
  });
  it('second derivatives (gradgradcheck) through fold/unfold', () => {
    const x = rt([1, 1, 4, 4], 16, { requiresGrad: true });
    const w = rt([2, 1, 2, 2], 17, { requiresGrad: true });
    gradgradcheck((x, w) => F.conv2d(x, w, null, { stride: 2, padding: 1 }), [x, w]);
  });
  it('retainGraph keeps the columns for a second backward; grouped convs free them only after the last group', () => {
    for (const groups of [1, 2]) {
      const x = rt([2, 4, 6, 6], 20);
      const w = rt([4, 4 / groups, 3, 3], 21, { requiresGrad: true });
      const loss = F.conv2d(x, w, null, { groups, padding: 1 }).square().sum();
      loss.backward(undefined, { retainGraph: true });
      const g1 = Array.from(w.grad!.data());
      loss.backward();
      expectClose(w.grad!, g1.map((v) => 2 * v), 1e-5, 1e-5);
      expect(() => loss.backward()).toThrow(/second time/);
    }
  });
  it('unfold/fold are adjoint: <unfold(x), c> == <x, fold(c)>', () => {
    const x = rt([2, 3, 5, 6], 18);
    const u = F.unfold(x, [2, 3], { stride: [1, 2], padding: 1, dilation: [2, 1] });
    const c = rt(u.shape.slice(), 19);
    const lhs = u.mul(c).sum().item();
    const rhs = x.mul(F.fold(c, [5, 6], [2, 3], { stride: [1, 2], padding: 1, dilation: [2, 1] })).sum().item();
    expect(lhs).toBeCloseTo(rhs, 10);
  });
});

describe('conv2d errors', () => {
  it('names the op, shapes and dtypes', () => {
    expect(() => F.conv2d(zeros([1, 3, 5, 5]), zeros([4, 2, 3, 3]))).toThrow(/conv2d: weight \[4,2,3,3\] with groups=1 expects 2 input channels, got input \[1,3,5,5\]/);
    expect(() => F.conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3]))).toThrow(RangeError);
    expect(() => F.conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3]))).toThrow(/conv2d: the \(dilated\) kernel 3x3 is larger than the padded input 2x2/);
    expect(() => F.conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => F.conv2d(zeros([5, 5]), zeros([1, 1, 3, 3]))).toThrow(/conv2d: input must be 4-D/);
    expect(() => F.conv2d(zeros([1, 1, 5, 5]), zeros([2, 1, 3, 3]), zeros([3]))).toThrow(/conv2d: bias must have shape \[2\], got \[3\]/);
    expect(() => F.conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { stride: 2, padding: 'same' })).toThrow(/same/);
    expect(() => F.conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { stride: 0 })).toThrow(/stride must be >= 1/);
  });
});
