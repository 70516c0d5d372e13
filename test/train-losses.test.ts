// The losses and metrics compile accepts by name (nn.functional behind a
// Keras-style target adapter), against float64 formulas written here.
import { describe, expect, it } from 'vitest';
import { tensor, train } from '../src/index';

const L = train.LOSSES;
const logits = [[2, -1, 0.5], [0.1, 0.2, 0.3], [-3, 4, 1], [1, 1, 1]];
const cls = [0, 2, 1, 1];

function lse(r: number[]): number {
  const m = Math.max(...r);
  return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
}

describe('losses', () => {
  it('sparse cross-entropy: value and gradient (softmax - onehot)/N; [N,1] targets accepted', () => {
    const x = tensor(Float64Array.from(logits.flat()), { shape: [4, 3], requiresGrad: true });
    const loss = L.sparseCategoricalCrossentropy(x, tensor(Int32Array.from(cls)));
    const ref = logits.reduce((s, r, i) => s + lse(r) - r[cls[i]], 0) / 4;
    expect(loss.item()).toBeCloseTo(ref, 12);
    loss.backward();
    const g = x.grad!.toArray() as number[][];
    logits.forEach((r, i) => r.forEach((v, j) => expect(g[i][j]).toBeCloseTo((Math.exp(v - lse(r)) - (j === cls[i] ? 1 : 0)) / 4, 12)));
    expect(L.crossEntropy(x.detach(), tensor(Int32Array.from(cls), { shape: [4, 1] })).item()).toBeCloseTo(ref, 12);
  });
  it('categoricalCrossentropy with one-hot targets equals the sparse form', () => {
    const x = tensor(Float64Array.from(logits.flat()), { shape: [4, 3] });
    const onehot = tensor(Float64Array.from(cls.flatMap((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0)))), { shape: [4, 3] });
    expect(L.categoricalCrossentropy(x, onehot).item()).toBeCloseTo(L.crossEntropy(x, tensor(Int32Array.from(cls))).item() as number, 12);
  });
  it('mse, mae, binary cross-entropy (probabilities and logits)', () => {
    const p = [0.9, 0.2, 0.6, 0.01];
    const y = [1, 0, 0, 1];
    const pt = tensor(Float64Array.from(p), { shape: [4, 1] });
    const yt = tensor(Int32Array.from(y)); // int [4] targets for float [4,1] outputs, Keras-style
    expect(L.mse(pt, yt).item()).toBeCloseTo(p.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / 4, 12);
    expect(L.mae(pt, yt).item()).toBeCloseTo(p.reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / 4, 12);
    const bce = -p.reduce((s, v, i) => s + y[i] * Math.log(v) + (1 - y[i]) * Math.log(1 - v), 0) / 4;
    expect(L.binaryCrossentropy(pt, yt).item()).toBeCloseTo(bce, 12);
    const z = p.map((v) => Math.log(v / (1 - v)));
    expect(L.bceWithLogits(tensor(Float64Array.from(z)), yt).item()).toBeCloseTo(bce, 10);
    // Stable for large logits.
    expect(L.bceWithLogits(tensor(Float64Array.from([800, -800])), tensor(Float64Array.from([1, 0]))).item()).toBe(0);
  });
});

describe('accuracy', () => {
  it('class indices, one-hot targets and binary outputs', () => {
    const x = tensor(Float32Array.from(logits.flat()), { shape: [4, 3] });
    expect(train.accuracy(x, tensor(Int32Array.from(cls)))).toBe(3 / 4); // argmax 0, 2, 1, 0 (first of ties) vs 0, 2, 1, 1
    const onehot = tensor(Float32Array.from([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1]), { shape: [4, 3] });
    expect(train.accuracy(x, onehot)).toBe(3 / 4);
    const probs = tensor(Float32Array.from([0.9, 0.4, 0.6, 0.1]), { shape: [4, 1] });
    expect(train.accuracy(probs, tensor(Float32Array.from([1, 1, 0, 0])))).toBe(2 / 4);
    expect(train.accuracy(tensor(Float32Array.from([2, -1])), tensor(Float32Array.from([1, 0])), 0)).toBe(1);
  });
});
