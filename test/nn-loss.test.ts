import { describe, it, expect } from 'vitest';
import { nn, gradcheck, gradgradcheck, grad, tensor, zeros } from '../src/index';
import { expectClose, randArray, rt } from './nn-helpers';

const F = nn.functional;

/** Row-wise log-softmax in float64 plain JS. */
function logSoftmaxRows(x: ArrayLike<number>, n: number, c: number): Float64Array {
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = Math.max(m, x[i * c + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(x[i * c + j] - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < c; j++) out[i * c + j] = x[i * c + j] - lse;
  }
  return out;
}

const sumOf = (a: ArrayLike<number>): number => Array.from(a).reduce((p, q) => p + q, 0);

describe('crossEntropy with class targets', () => {
  const N = 6, C = 4;
  const xa = randArray(N * C, 31, -3, 3);
  const t = [0, 3, 1, -100, 2, 3];
  const w = [0.5, 2, 1, 1.5];
  const lp = logSoftmaxRows(xa, N, C);
  const rowLoss = t.map((ti, i) => (ti === -100 ? 0 : -lp[i * C + ti]));

  it('reductions and ignoreIndex', () => {
    const x = tensor(xa, { shape: [N, C], dtype: 'float64' });
    const tt = tensor(t);
    expectClose(F.crossEntropy(x, tt, { reduction: 'none' }), rowLoss, 1e-12);
    expectClose([F.crossEntropy(x, tt, { reduction: 'sum' }).item()], [sumOf(rowLoss)], 1e-12);
    expectClose([F.crossEntropy(x, tt).item()], [sumOf(rowLoss) / 5], 1e-12);
    // A custom ignoreIndex: class 3 ignored, -100 is then out of range.
    expect(() => F.crossEntropy(x, tt, { ignoreIndex: 3 })).toThrow(/crossEntropy: target -100 at position 3 is out of range for 4 classes/);
  });

  it('class weights: weighted mean divides by the sum of target weights', () => {
    const x = tensor(xa, { shape: [N, C], dtype: 'float64' });
    const wl = t.map((ti, i) => (ti === -100 ? 0 : w[ti] * rowLoss[i]));
    const wsum = sumOf(t.filter((ti) => ti !== -100).map((ti) => w[ti]));
    const opts = { weight: tensor(w, { dtype: 'float64' }) };
    expectClose(F.crossEntropy(x, tensor(t), { ...opts, reduction: 'none' }), wl, 1e-12);
    expectClose([F.crossEntropy(x, tensor(t), opts).item()], [sumOf(wl) / wsum], 1e-12);
    expectClose([new nn.CrossEntropyLoss(opts).forward(x, tensor(t)).item()], [sumOf(wl) / wsum], 1e-12);
  });

  it("labelSmoothing follows PyTorch's formula (with and without weights)", () => {
    const x = tensor(xa, { shape: [N, C], dtype: 'float64' });
    const e = 0.2;
    for (const weighted of [false, true]) {
      const wc = weighted ? w : [1, 1, 1, 1];
      let nll = 0, smooth = 0, denom = 0;
      const none: number[] = [];
      t.forEach((ti, i) => {
        if (ti === -100) return none.push(0);
        const a = -wc[ti] * lp[i * C + ti];
        let b = 0;
        for (let j = 0; j < C; j++) b -= wc[j] * lp[i * C + j];
        nll += a;
        smooth += b;
        denom += wc[ti];
        none.push((1 - e) * a + (e / C) * b);
      });
      const o = { labelSmoothing: e, weight: weighted ? tensor(w, { dtype: 'float64' }) : null };
      expectClose([F.crossEntropy(x, tensor(t), o).item()], [(1 - e) * (nll / denom) + (e / C) * (smooth / denom)], 1e-12);
      expectClose([F.crossEntropy(x, tensor(t), { ...o, reduction: 'sum' }).item()], [(1 - e) * nll + (e / C) * smooth], 1e-12);
      expectClose(F.crossEntropy(x, tensor(t), { ...o, reduction: 'none' }), none, 1e-12);
    }
  });

  it('gradient is (softmax - onehot)/count, and gradcheck/gradgradcheck pass', () => {
    const x = tensor(xa, { shape: [N, C], dtype: 'float64', requiresGrad: true });
    F.crossEntropy(x, tensor(t)).backward();
    const expected = new Float64Array(N * C);
    t.forEach((ti, i) => {
      if (ti === -100) return;
      for (let j = 0; j < C; j++) expected[i * C + j] = (Math.exp(lp[i * C + j]) - (j === ti ? 1 : 0)) / 5;
    });
    expectClose(x.grad!, expected, 1e-12);
    const x2 = rt([3, 4], 32, { requiresGrad: true });
    const t2 = tensor([1, -100, 3]);
    gradcheck((x) => F.crossEntropy(x, t2, { reduction: 'none' }), [x2]);
    gradcheck((x) => F.crossEntropy(x, t2, { labelSmoothing: 0.1, weight: tensor([1, 2, 3, 4], { dtype: 'float64' }) }), [x2]);
    // createGraph: the backward is rebuilt from tensor ops, so it differentiates again.
    gradgradcheck((x) => F.crossEntropy(x, t2), [x2]);
    const [g] = grad(F.crossEntropy(x2, t2), [x2], { createGraph: true });
    expect(g!.requiresGrad).toBe(true);
  });

  it('is stable for extreme logits (float32 and float64)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([[1000, -1000, 0], [-1e4, 1e4, 3e4]], { dtype, requiresGrad: true });
      const l = F.crossEntropy(x, tensor([1, 0]), { reduction: 'none' });
      expectClose(l, [2000, 4e4], 1e-3, 1e-6);
      l.sum().backward();
      expectClose(x.grad!, [1, -1, 0, -1, 0, 1], 1e-6);
    }
  });

  it('K-dim inputs [N, C, d] and unbatched [C]', () => {
    const xk = rt([2, 3, 4], 33);
    const tk = tensor([[0, 1, 2, 1], [2, 2, 0, 1]]);
    const xd = xk.data();
    const ref: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let d = 0; d < 4; d++) {
        const row = [0, 1, 2].map((c) => xd[(n * 3 + c) * 4 + d]);
        const lr = logSoftmaxRows(row, 1, 3);
        ref.push(-lr[[[0, 1, 2, 1], [2, 2, 0, 1]][n][d]]);
      }
    const none = F.crossEntropy(xk, tk, { reduction: 'none' });
    expect(none.shape).toEqual([2, 4]);
    expectClose(none, ref, 1e-12);
    const u = F.crossEntropy(tensor([2, 0.5, -1], { dtype: 'float64' }), tensor(0));
    expectClose([u.item()], [-logSoftmaxRows([2, 0.5, -1], 1, 3)[0]], 1e-12);
  });

  it('errors name the op, shapes and dtypes', () => {
    const x = zeros([3, 4]);
    expect(() => F.crossEntropy(x, tensor([0, 1, 4]))).toThrow(RangeError);
    expect(() => F.crossEntropy(x, tensor([0, 1, 4]))).toThrow(/crossEntropy: target 4 at position 2 is out of range for 4 classes/);
    expect(() => F.crossEntropy(x, tensor([0, 1]))).toThrow(/crossEntropy: target shape \[2\] does not match input \[3,4\]/);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2]).float())).toThrow(/crossEntropy: target shape \[3\] does not match input \[3,4\] \(expected \[3,4\]\)/);
    expect(() => F.crossEntropy(tensor([[1, 2]]), tensor([0]))).toThrow(/crossEntropy: input must be float32 or float64, got int32/);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2]), { reduction: 'avg' as 'mean' })).toThrow(TypeError);
    expect(() => F.crossEntropy(x, tensor([0, 1, 2]), { weight: zeros([3]) })).toThrow(/weight must have shape \[4\]/);
  });
});

describe('crossEntropy with probability targets', () => {
  it('matches -sum(p * logsoftmax) with smoothing and weights', () => {
    const N = 3, C = 4;
    const xa = randArray(N * C, 34, -2, 2);
    const pa = randArray(N * C, 35, 0, 1);
    for (let i = 0; i < N; i++) {
      const s = sumOf(pa.slice(i * C, i * C + C));
      for (let j = 0; j < C; j++) pa[i * C + j] /= s;
    }
    const w = [1, 0.5, 2, 1];
    const lp = logSoftmaxRows(xa, N, C);
    const e = 0.1;
    const rows = [0, 1, 2].map((i) => {
      let s = 0;
      for (let j = 0; j < C; j++) s -= w[j] * ((1 - e) * pa[i * C + j] + e / C) * lp[i * C + j];
      return s;
    });
    const x = tensor(xa, { shape: [N, C], dtype: 'float64', requiresGrad: true });
    const p = tensor(pa, { shape: [N, C], dtype: 'float64' });
    const o = { labelSmoothing: e, weight: tensor(w, { dtype: 'float64' }) };
    expectClose(F.crossEntropy(x, p, { ...o, reduction: 'none' }), rows, 1e-12);
    expectClose([F.crossEntropy(x, p, o).item()], [sumOf(rows) / N], 1e-12);
    gradcheck((x) => F.crossEntropy(x, p, o), [x]);
  });
});

describe('nllLoss', () => {
  it('picks -w[t] * input[t], weighted mean, ignoreIndex', () => {
    const xa = randArray(12, 36, -3, 0);
    const t = [2, -100, 0];
    const w = [2, 1, 0.5, 1];
    const x = tensor(xa, { shape: [3, 4], dtype: 'float64', requiresGrad: true });
    const none = [-w[2] * xa[2], 0, -w[0] * xa[8]];
    const ow = { weight: tensor(w, { dtype: 'float64' }) };
    expectClose(F.nllLoss(x, tensor(t), { ...ow, reduction: 'none' }), none, 1e-12);
    expectClose([F.nllLoss(x, tensor(t), ow).item()], [sumOf(none) / 2.5], 1e-12);
    expectClose([new nn.NLLLoss().forward(x, tensor(t)).item()], [-(xa[2] + xa[8]) / 2], 1e-12);
    gradcheck((x) => F.nllLoss(x, tensor(t), ow), [x]);
    expect(() => F.nllLoss(x, tensor([0, 1, 7]))).toThrow(/nllLoss: a target is out of range for 4 classes/);
    expect(() => F.nllLoss(x, tensor([0, 1, 2]).float())).toThrow(/nllLoss: class targets must be int32, got float32 \[3\]/);
  });
  it('equals crossEntropy of the logits', () => {
    const x = rt([5, 3], 37);
    const t = tensor([0, 2, 1, 1, 0]);
    expectClose([F.nllLoss(F.logSoftmax(x, 1), t).item()], [Number(F.crossEntropy(x, t).item())], 1e-12);
  });
});

describe('regression losses', () => {
  const a = randArray(8, 38, -2, 2);
  const b = randArray(8, 39, -2, 2);
  const x = () => tensor(a, { shape: [2, 4], dtype: 'float64', requiresGrad: true });
  const y = tensor(b, { shape: [2, 4], dtype: 'float64' });
  const d = Array.from(a, (v, i) => v - b[i]);
  it('mse, l1 with every reduction', () => {
    expectClose(F.mseLoss(x(), y, { reduction: 'none' }), d.map((v) => v * v), 1e-12);
    expectClose([F.mseLoss(x(), y).item()], [sumOf(d.map((v) => v * v)) / 8], 1e-12);
    expectClose([new nn.MSELoss({ reduction: 'sum' }).forward(x(), y).item()], [sumOf(d.map((v) => v * v))], 1e-12);
    expectClose([F.l1Loss(x(), y).item()], [sumOf(d.map(Math.abs)) / 8], 1e-12);
    expectClose([new nn.L1Loss({ reduction: 'sum' }).forward(x(), y).item()], [sumOf(d.map(Math.abs))], 1e-12);
    gradcheck((x) => F.mseLoss(x, y), [x()]);
  });
  it('smoothL1 (beta) and huber (delta)', () => {
    for (const beta of [1, 0.5, 0]) {
      const ref = d.map((v) => (Math.abs(v) < beta ? (0.5 * v * v) / beta : Math.abs(v) - 0.5 * beta));
      expectClose(F.smoothL1Loss(x(), y, { beta, reduction: 'none' }), ref, 1e-12);
      expectClose([new nn.SmoothL1Loss({ beta }).forward(x(), y).item()], [sumOf(ref) / 8], 1e-12);
    }
    const delta = 0.7;
    const hub = d.map((v) => (Math.abs(v) < delta ? 0.5 * v * v : delta * (Math.abs(v) - 0.5 * delta)));
    expectClose([new nn.HuberLoss({ delta }).forward(x(), y).item()], [sumOf(hub) / 8], 1e-12);
    gradcheck((x) => F.smoothL1Loss(x, y, { beta: 0.5 }), [x()]);
  });
});

describe('binary cross-entropy', () => {
  it('bce matches the closed form, clamps logs at -100 and has a finite gradient at 0 and 1', () => {
    const p = [0.1, 0.7, 0.5, 0.99];
    const yv = [0, 1, 1, 0];
    const w = [1, 2, 0.5, 1];
    const ref = p.map((pi, i) => -w[i] * (yv[i] * Math.log(pi) + (1 - yv[i]) * Math.log(1 - pi)));
    const pt = tensor(p, { dtype: 'float64', requiresGrad: true });
    const yt = tensor(yv, { dtype: 'float64' });
    const o = { weight: tensor(w, { dtype: 'float64' }) };
    expectClose(F.binaryCrossEntropy(pt, yt, { ...o, reduction: 'none' }), ref, 1e-12);
    expectClose([new nn.BCELoss(o).forward(pt, yt).item()], [sumOf(ref) / 4], 1e-12);
    gradcheck((p, y) => F.binaryCrossEntropy(p, y), [pt, tensor([0.2, 1, 0.6, 0], { dtype: 'float64', requiresGrad: true })]);
    const edge = tensor([0, 1, 0, 1], { dtype: 'float64', requiresGrad: true });
    const l = F.binaryCrossEntropy(edge, tensor([1, 0, 0, 1], { dtype: 'float64' }), { reduction: 'none' });
    expect(Array.from(l.data(), (v) => v + 0)).toEqual([100, 100, 0, 0]); // + 0 folds -0 into 0
    l.sum().backward();
    expect((edge.grad!.data() as Float64Array).every(Number.isFinite)).toBe(true);
    expect(() => F.binaryCrossEntropy(tensor([1.5]), tensor([1.0]))).toThrow(/binaryCrossEntropy: all elements of input \[1\] should be between 0 and 1/);
    expect(() => F.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1.0]))).toThrow(/binaryCrossEntropy: target size \[1\] must be the same as the input size \[2\]/);
  });

  it('bceWithLogits is stable, exact at 0, and supports posWeight', () => {
    const xv = [-1000, 1000, 0, 2.5, -0.3];
    const yv = [1, 0, 1, 0, 1];
    const softplus = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    const pw = 3;
    const ref = xv.map((v, i) => (1 - yv[i]) * v + (1 + (pw - 1) * yv[i]) * softplus(-v));
    const x = tensor(xv, { dtype: 'float64', requiresGrad: true });
    const y = tensor(yv, { dtype: 'float64' });
    const l = F.bceWithLogits(x, y, { posWeight: tensor([pw], { dtype: 'float64' }), reduction: 'none' });
    expectClose(l, ref, 1e-9);
    l.sum().backward();
    // d/dx = (1 + (pw-1) y) * sigmoid(x) - pw * y
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expectClose(x.grad!, xv.map((v, i) => (1 + (pw - 1) * yv[i]) * sig(v) - pw * yv[i]), 1e-12);
    const plain = new nn.BCEWithLogitsLoss().forward(tensor(xv, { dtype: 'float64' }), y);
    expectClose([plain.item()], [sumOf(xv.map((v, i) => (1 - yv[i]) * v + softplus(-v))) / 5], 1e-9);
    // Equal to BCE of the sigmoid where that is well conditioned.
    const z = rt([6], 40, { lo: -3, hi: 3 });
    const t = rt([6], 41, { lo: 0, hi: 1 });
    expectClose([F.bceWithLogits(z, t).item()], [Number(F.binaryCrossEntropy(z.sigmoid(), t).item())], 1e-12);
    gradcheck((z, t) => F.bceWithLogits(z, t, { posWeight: tensor([2], { dtype: 'float64' }) }), [z.requiresGrad_(), t.requiresGrad_()]);
  });
});
