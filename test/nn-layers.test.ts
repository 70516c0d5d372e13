import { describe, it, expect } from 'vitest';
import { nn, gradcheck, gradgradcheck, manualSeed, noGrad, tensor, zeros, ones, randn, Generator, type Tensor } from '../src/index';
import { expectClose, randArray, rt } from './nn-helpers';

const F = nn.functional;

function stats(t: Tensor): { min: number; max: number; mean: number; std: number } {
  const d = Array.from(t.data() as Float32Array);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
  return { min: Math.min(...d), max: Math.max(...d), mean, std };
}

describe('Linear', () => {
  it('forward is x W^T + b (plain loops) and accepts a boolean bias flag', () => {
    const lin = new nn.Linear(5, 3, { dtype: 'float64' });
    const xa = randArray(20, 51);
    const W = lin.weight.data(), b = lin.bias!.data();
    const ref = new Float64Array(12);
    for (let i = 0; i < 4; i++) for (let o = 0; o < 3; o++) {
      let s = b[o];
      for (let k = 0; k < 5; k++) s += xa[i * 5 + k] * W[o * 5 + k];
      ref[i * 3 + o] = s;
    }
    expectClose(lin.forward(tensor(xa, { shape: [4, 5], dtype: 'float64' })), ref, 1e-12);
    expect(new nn.Linear(5, 3, false).bias).toBe(null);
    expect(Object.keys(new nn.Linear(5, 3, { bias: false }).stateDict())).toEqual(['weight']);
    expect(lin.toString()).toBe('Linear(in_features=5, out_features=3, bias=True)');
    expect(() => lin.forward(zeros([2, 4], { dtype: 'float64' }))).toThrow(/linear: input \[2,4\] does not end in in_features = 5/);
  });

  it("default init follows PyTorch's bounds: weight and bias in +-1/sqrt(fanIn)", () => {
    manualSeed(1);
    const lin = new nn.Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    const w = stats(lin.weight);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.max).toBeGreaterThan(0.99 * bound); // uniform over the whole range, not narrower
    expect(w.std).toBeCloseTo(bound / Math.sqrt(3), 3);
    const b = stats(lin.bias!);
    expect(Math.max(-b.min, b.max)).toBeLessThanOrEqual(bound);
    expect(b.max).toBeGreaterThan(0.9 * bound);
    // Conv: fanIn = inChannels/groups * KH * KW.
    const conv = new nn.Conv2d(8, 6, [3, 2], { groups: 2 });
    expect(conv.weight.shape).toEqual([6, 4, 3, 2]);
    const cb = 1 / Math.sqrt(4 * 3 * 2);
    const cw = stats(conv.weight);
    expect(Math.max(-cw.min, cw.max)).toBeLessThanOrEqual(cb);
    expect(Math.max(-cw.min, cw.max)).toBeGreaterThan(0.8 * cb);
    expect(Math.max(...Array.from(conv.bias!.data(), Math.abs))).toBeLessThanOrEqual(cb);
  });
});

describe('Conv2d layer', () => {
  it('forward equals F.conv2d with its parameters; stride as 4th argument; repr', () => {
    const conv = new nn.Conv2d(2, 3, 3, { padding: 'same', dtype: 'float64' });
    const x = rt([1, 2, 5, 5], 52);
    expectClose(conv.forward(x), F.conv2d(x, conv.weight, conv.bias, { padding: 'same' }).data(), 0);
    expect(conv.forward(x).shape).toEqual([1, 3, 5, 5]);
    const c2 = new nn.Conv2d(1, 32, 3, 2);
    expect(c2.stride).toEqual([2, 2]);
    expect(c2.toString()).toBe('Conv2d(1, 32, kernel_size=(3, 3), stride=(2, 2))');
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/Conv2d: inChannels \(3\) must be divisible by groups \(2\)/);
    expect(() => new nn.Conv2d(2, 4, 3, { stride: 2, padding: 'same' })).toThrow(RangeError);
  });
});

describe('BatchNorm', () => {
  const N = 4, C = 3, H = 2, W = 3;
  /** Per-channel mean and biased/unbiased variance over N, H, W. */
  function channelStats(x: Float64Array) {
    const m = H * W * N;
    return [0, 1, 2].map((c) => {
      let s = 0;
      for (let n = 0; n < N; n++) for (let k = 0; k < H * W; k++) s += x[(n * C + c) * H * W + k];
      const mean = s / m;
      let v = 0;
      for (let n = 0; n < N; n++) for (let k = 0; k < H * W; k++) v += (x[(n * C + c) * H * W + k] - mean) ** 2;
      return { mean, biased: v / m, unbiased: v / (m - 1) };
    });
  }

  it('training normalises with batch stats and updates running stats; eval uses them', () => {
    const bn = new nn.BatchNorm2d(C, { dtype: 'float64' });
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    const xa1 = randArray(N * C * H * W, 53, -2, 3);
    const xa2 = randArray(N * C * H * W, 54, -1, 1);
    const y = bn.forward(tensor(xa1, { shape: [N, C, H, W], dtype: 'float64' }));
    const s1 = channelStats(xa1);
    const ref = Array.from(xa1, (v, i) => {
      const c = Math.floor(i / (H * W)) % C;
      return (v - s1[c].mean) / Math.sqrt(s1[c].biased + 1e-5);
    });
    expectClose(y, ref, 1e-10);
    bn.forward(tensor(xa2, { shape: [N, C, H, W], dtype: 'float64' }));
    const s2 = channelStats(xa2);
    const rm = [0, 1, 2].map((c) => 0.9 * (0.9 * 0 + 0.1 * s1[c].mean) + 0.1 * s2[c].mean);
    const rv = [0, 1, 2].map((c) => 0.9 * (0.9 * 1 + 0.1 * s1[c].unbiased) + 0.1 * s2[c].unbiased);
    expectClose(bn.running_mean!, rm, 1e-12);
    expectClose(bn.running_var!, rv, 1e-12);
    expect(bn.num_batches_tracked!.item()).toBe(2);
    expect(bn.num_batches_tracked!.dtype).toBe('int32');

    bn.eval();
    const ye = bn.forward(tensor(xa2, { shape: [N, C, H, W], dtype: 'float64' }));
    expectClose(ye, Array.from(xa2, (v, i) => {
      const c = Math.floor(i / (H * W)) % C;
      return (v - rm[c]) / Math.sqrt(rv[c] + 1e-5);
    }), 1e-10);
    expect(bn.num_batches_tracked!.item()).toBe(2); // eval does not count
    expectClose(bn.running_mean!, rm, 1e-12);
  });

  it('momentum null is a cumulative average; affine params and gradients', () => {
    const bn = new nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    const a = rt([5, 2], 55), b = rt([5, 2], 56);
    bn.forward(a);
    bn.forward(b);
    const mean = a.mean(0).add(b.mean(0)).div(2);
    expectClose(bn.running_mean!, mean.data() as Float64Array, 1e-12);
    // [N, C, L] input, gradient through batch statistics, weight and bias.
    const x = rt([3, 2, 4], 57, { requiresGrad: true });
    const g = rt([2], 58, { requiresGrad: true, lo: 0.5, hi: 2 });
    const be = rt([2], 59, { requiresGrad: true });
    gradcheck((x, g, be) => F.batchNorm(x, null, null, g, be, { training: true }), [x, g, be]);
    expect(() => bn.forward(zeros([4, 3], { dtype: 'float64' }))).toThrow(/BatchNorm1d: expected 2 channels in dim 1, got input \[4,3\]/);
    expect(() => bn.forward(zeros([4, 2, 1, 1], { dtype: 'float64' }))).toThrow(/BatchNorm1d: expected 2D or 3D input, got 4D/);
    expect(() => bn.forward(zeros([1, 2], { dtype: 'float64' }))).toThrow(/expected more than 1 value per channel when training/);
  });
});

describe('LayerNorm', () => {
  it('normalises the trailing dims (plain loops) and passes gradcheck', () => {
    const ln = new nn.LayerNorm([2, 3], { dtype: 'float64' });
    expect(Object.keys(ln.stateDict())).toEqual(['weight', 'bias']);
    const xa = randArray(24, 60, -2, 2);
    const ref = new Float64Array(24);
    for (let r = 0; r < 4; r++) {
      const row = xa.slice(r * 6, r * 6 + 6);
      const m = row.reduce((a, b) => a + b, 0) / 6;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      for (let k = 0; k < 6; k++) ref[r * 6 + k] = (row[k] - m) / Math.sqrt(v + 1e-5);
    }
    expectClose(ln.forward(tensor(xa, { shape: [4, 2, 3], dtype: 'float64' })), ref, 1e-10);
    gradcheck((x, w, b) => F.layerNorm(x, [3], w, b), [rt([2, 3], 61, { requiresGrad: true }), rt([3], 62, { requiresGrad: true }), rt([3], 63, { requiresGrad: true })]);
    expect(() => ln.forward(zeros([4, 3, 2], { dtype: 'float64' }))).toThrow(/layerNorm: input \[4,3,2\] does not end in normalizedShape \[2,3\]/);
  });
});

describe('Dropout', () => {
  it('zeroes about p of the elements in training, scales the rest by 1/(1-p), and is the identity in eval', () => {
    manualSeed(3);
    const p = 0.3;
    const drop = new nn.Dropout(p);
    const x = ones([200, 500], { requiresGrad: true });
    const y = drop.forward(x);
    const d = y.data() as Float32Array;
    let zerosCount = 0, badScale = 0;
    for (const v of d) {
      if (v === 0) zerosCount++;
      else if (Math.abs(v - 1 / (1 - p)) > 1e-6) badScale++;
    }
    expect(badScale).toBe(0);
    // 100k Bernoulli draws: the fraction is within 5 sigma (sigma ~ 0.0014) of p.
    expect(Math.abs(zerosCount / d.length - p)).toBeLessThan(0.007);
    y.sum().backward();
    expectClose(x.grad!, Array.from(d), 0); // gradient = mask / (1 - p) = y for x = 1
    drop.eval();
    const x2 = randn([3, 3]);
    expect(drop.forward(x2)).toBe(x2);
    expect(F.dropout(x2, 0.5, false)).toBe(x2);
    expect(F.dropout(x2, 1).data().every((v) => v === 0)).toBe(true);
    expect(() => new nn.Dropout(1.5)).toThrow(/Dropout: probability has to be between 0 and 1, but got 1.5/);
  });
});

describe('Embedding', () => {
  it('looks up rows, zero-initialises and freezes paddingIdx, N(0,1) init', () => {
    manualSeed(4);
    const emb = new nn.Embedding(10, 4, { paddingIdx: 2, dtype: 'float64' });
    expect(Array.from(emb.weight.select(0, 2).data())).toEqual([0, 0, 0, 0]);
    const idx = tensor([[1, 2], [9, 1]]);
    const y = emb.forward(idx);
    expect(y.shape).toEqual([2, 2, 4]);
    const W = emb.weight.data();
    expectClose(y, [1, 2, 9, 1].flatMap((r) => Array.from(W.slice(r * 4, r * 4 + 4))), 0);
    y.mul(rt([2, 2, 4], 64)).sum().backward();
    const g = emb.weight.grad!;
    expect(Array.from(g.select(0, 2).data())).toEqual([0, 0, 0, 0]);
    expect(Array.from(g.select(0, 5).data())).toEqual([0, 0, 0, 0]);
    expect(g.select(0, 1).abs().sum().item()).toBeGreaterThan(0);
    gradcheck((w) => F.embedding(tensor([[0, 1], [1, 1]]), w), [rt([3, 2], 65, { requiresGrad: true })]);
    const big = stats(new nn.Embedding(100, 100).weight);
    expect(Math.abs(big.mean)).toBeLessThan(0.05);
    expect(Math.abs(big.std - 1)).toBeLessThan(0.05);
    expect(() => emb.forward(tensor([10]))).toThrow(/embedding: an index in input \[1\] is out of range for weight \[10,4\]/);
    expect(() => emb.forward(tensor([1.0, 2.5]))).toThrow(/embedding: input must be an int32 tensor of indices, got float32/);
    const pre = nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4]], { dtype: 'float32' }));
    expect(pre.weight.requiresGrad).toBe(false);
    expect(pre.forward(tensor([1])).toArray()).toEqual([[3, 4]]);
  });
});

/** erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x), a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

describe('activations', () => {
  const xa = randArray(12, 66, -3, 3);
  const x = () => tensor(xa, { shape: [3, 4], dtype: 'float64' });
  it('match their formulas', () => {
    expectClose(new nn.ReLU().forward(x()), Array.from(xa, (v) => Math.max(v, 0)), 0);
    expectClose(new nn.LeakyReLU(0.2).forward(x()), Array.from(xa, (v) => (v > 0 ? v : 0.2 * v)), 1e-15);
    expectClose(new nn.Sigmoid().forward(x()), Array.from(xa, (v) => 1 / (1 + Math.exp(-v))), 1e-12);
    expectClose(new nn.Tanh().forward(x()), Array.from(xa, Math.tanh), 1e-12);
    expectClose(new nn.GELU().forward(x()), Array.from(xa, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 1e-6);
    const c = Math.sqrt(2 / Math.PI);
    expectClose(new nn.GELU('tanh').forward(x()), Array.from(xa, (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3)))), 1e-12);
    expectClose(F.gelu(x(), { approximate: 'tanh' }), new nn.GELU({ approximate: 'tanh' }).forward(x()).data() as Float64Array, 0);
    expectClose(new nn.Softplus().forward(x()), Array.from(xa, (v) => Math.log1p(Math.exp(v))), 1e-12);
    expectClose(new nn.Identity(3, 'ignored').forward(x()), xa, 0);
    gradcheck((x) => F.softplus(x, 2), [rt([5], 67, { requiresGrad: true })]);
    gradcheck((x) => F.gelu(x, { approximate: 'tanh' }), [rt([5], 68, { requiresGrad: true })]);
  });
  it('Softmax/LogSoftmax along dim, with PyTorch’s implicit dim', () => {
    const rows = [0, 1, 2].map((r) => {
      const row = xa.slice(r * 4, r * 4 + 4);
      const m = Math.max(...row);
      const s = row.reduce((a, b) => a + Math.exp(b - m), 0);
      return Array.from(row, (v) => Math.exp(v - m) / s);
    });
    expectClose(new nn.Softmax(1).forward(x()), rows.flat(), 1e-12);
    expectClose(new nn.Softmax().forward(x()), rows.flat(), 1e-12); // 2-D: implicit dim 1
    expectClose(new nn.LogSoftmax(-1).forward(x()), rows.flat().map(Math.log), 1e-12);
    expect(new nn.Softmax().forward(rt([2, 3, 4], 69)).sum(0).sub(1).abs().amax().item()).toBeLessThan(1e-12); // 3-D: dim 0
  });
});

describe('Flatten, Unflatten, Sequential, ModuleList', () => {
  it('reshape as PyTorch', () => {
    expect(new nn.Flatten().forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0, 1).forward(zeros([2, 3, 4])).shape).toEqual([6, 4]);
    expect(new nn.Unflatten(1, [3, -1]).forward(zeros([2, 12])).shape).toEqual([2, 3, 4]);
    expect(() => new nn.Unflatten(1, [5, 2]).forward(zeros([2, 12]))).toThrow(/Unflatten: sizes \[5,2\] do not multiply to dim 1 of input \[2,12\]/);
  });
  it('Sequential names children 0, 1, ... and runs them in order', () => {
    const seq = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2));
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.length).toBe(3);
    expect(seq[0]).toBeInstanceOf(nn.Linear);
    expect(seq.get(-1)).toBe(seq[2]);
    const x = randn([5, 4]);
    const l0 = seq[0] as nn.Linear, l2 = seq[2] as nn.Linear;
    expectClose(seq.forward(x), l2.forward(l0.forward(x).relu()).data() as Float32Array, 0);
    seq.append(new nn.Sigmoid());
    expect(seq.length).toBe(4);
    expect([...seq].map((m) => m.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear', 'Sigmoid']);
    const named = new nn.Sequential({ conv: new nn.Conv2d(1, 2, 3), act: new nn.ReLU() });
    expect(Object.keys(named.stateDict())).toEqual(['conv.weight', 'conv.bias']);
    expect(() => seq.get(7)).toThrow(/Sequential: index 7 is out of range for 4 modules/);
    expect(seq.toString()).toContain('(1): ReLU()');
  });
  it('ModuleList registers its modules', () => {
    const ml = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]);
    ml.append(new nn.Linear(2, 1, false));
    expect(Object.keys(ml.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight']);
    expect(ml.parameters().length).toBe(5);
    expect(ml.get(-1)).toBe(ml[2]);
    expect(() => ml.forward()).toThrow(/ModuleList/);
  });
});

describe('state dicts', () => {
  class SmallCNN extends nn.Module {
    conv1 = new nn.Conv2d(1, 4, 3, 1);
    bn1 = new nn.BatchNorm2d(4);
    conv2 = new nn.Conv2d(4, 8, 3, 1);
    dropout1 = new nn.Dropout(0.25);
    fc1 = new nn.Linear(8 * 2 * 2, 16);
    fc2 = new nn.Linear(16, 10);
    head = new nn.Sequential(new nn.ReLU(), new nn.Linear(10, 10));
    forward(x: Tensor): Tensor {
      x = F.maxPool2d(F.relu(this.bn1.forward(this.conv1.forward(x))), 2);
      x = F.maxPool2d(F.relu(this.conv2.forward(x)), 2);
      x = this.dropout1.forward(x.flatten(1));
      return this.head.forward(this.fc2.forward(F.relu(this.fc1.forward(x))));
    }
  }

  it("keys and shapes match PyTorch's for a small CNN", () => {
    const sd = new SmallCNN().stateDict();
    // What `{k: list(v.shape) for k, v in net.state_dict().items()}` gives for the same net in PyTorch.
    expect(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape]))).toEqual({
      'conv1.weight': [4, 1, 3, 3], 'conv1.bias': [4],
      'bn1.weight': [4], 'bn1.bias': [4], 'bn1.running_mean': [4], 'bn1.running_var': [4], 'bn1.num_batches_tracked': [],
      'conv2.weight': [8, 4, 3, 3], 'conv2.bias': [8],
      'fc1.weight': [16, 32], 'fc1.bias': [16], 'fc2.weight': [10, 16], 'fc2.bias': [10],
      'head.1.weight': [10, 10], 'head.1.bias': [10],
    });
    expect(Object.keys(sd)).toEqual([
      'conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked',
      'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'head.1.weight', 'head.1.bias',
    ]);
    expect(new SmallCNN().parameters().length).toBe(12);
  });

  it('Module.to(dtype) converts floating parameters and buffers only (num_batches_tracked stays int32)', () => {
    const net = new SmallCNN().to('float64');
    expect(net.conv1.weight.dtype).toBe('float64');
    expect(net.bn1.running_var!.dtype).toBe('float64');
    expect(net.bn1.num_batches_tracked!.dtype).toBe('int32');
    expect(net.forward(randn([1, 1, 14, 14], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('loadStateDict round-trips and reports missing, unexpected and mis-shaped entries', () => {
    const a = new SmallCNN(), b = new SmallCNN();
    const x = randn([2, 1, 14, 14]);
    a.forward(x); // moves a's running stats
    a.eval();
    b.eval();
    b.loadStateDict(a.stateDict());
    expectClose(b.forward(x), a.forward(x).data() as Float32Array, 0);
    expect(b.bn1.num_batches_tracked!.item()).toBe(1);

    const sd = a.stateDict();
    const missing = { ...sd };
    delete missing['fc1.bias'];
    expect(() => b.loadStateDict(missing)).toThrow(/missing keys: fc1\.bias/);
    expect(() => b.loadStateDict({ ...sd, 'fc3.weight': zeros([1]) })).toThrow(/unexpected keys: fc3\.weight/);
    expect(b.loadStateDict({ ...missing, extra: zeros([1]) }, { strict: false })).toEqual({ missingKeys: ['fc1.bias'], unexpectedKeys: ['extra'] });
    expect(() => b.loadStateDict({ ...sd, 'conv2.weight': zeros([8, 4, 5, 5]) })).toThrow(
      /size mismatch for conv2\.weight: copying a param with shape \[8,4,5,5\], the shape in the current model is \[8,4,3,3\]/,
    );
  });
});

describe('nn.init', () => {
  it('gains, fans and bounds follow PyTorch', () => {
    expect(nn.init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(nn.init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(nn.init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(nn.init.calculateGain('selu')).toBe(0.75);
    expect(nn.init.calculateFanInAndFanOut(zeros([32, 16, 3, 3]))).toEqual([144, 288]);
    manualSeed(5);
    const w = zeros([200, 300], { requiresGrad: true });
    nn.init.xavierUniform(w, 2);
    const xb = 2 * Math.sqrt(6 / 500);
    expect(Math.max(...Array.from(w.data(), Math.abs))).toBeLessThanOrEqual(xb);
    expect(Math.max(...Array.from(w.data(), Math.abs))).toBeGreaterThan(0.99 * xb);
    expect(w.requiresGrad).toBe(true);
    nn.init.kaimingNormal(w, { mode: 'fan_out', nonlinearity: 'relu' });
    expect(stats(w).std).toBeCloseTo(Math.SQRT2 / Math.sqrt(200), 2);
    nn.init.xavierNormal(w);
    expect(stats(w).std).toBeCloseTo(Math.sqrt(2 / 500), 3);
    nn.init.kaimingUniform(w);
    expect(Math.max(...Array.from(w.data(), Math.abs))).toBeLessThanOrEqual(Math.SQRT2 * Math.sqrt(3 / 300));
    nn.init.normal(w, 3, 0.5);
    expect(stats(w).mean).toBeCloseTo(3, 2);
    nn.init.uniform(w, 2, 4);
    expect(stats(w).min).toBeGreaterThanOrEqual(2);
    nn.init.constant(w, 0.25);
    expect(stats(w).std).toBe(0);
    nn.init.ones(w);
    expect(w.sum().item()).toBe(60000);
    nn.init.zeros(w);
    expect(w.abs().sum().item()).toBe(0);
    const g1 = nn.init.normal(zeros([4]), 0, 1, { generator: new Generator(7) }).toArray();
    const g2 = nn.init.normal(zeros([4]), 0, 1, { generator: new Generator(7) }).toArray();
    expect(g1).toEqual(g2);
    expect(() => nn.init.xavierUniform(zeros([3]))).toThrow(/fewer than 2 dimensions/);
    expect(() => nn.init.uniform(zeros([3], { dtype: 'int32' }))).toThrow(TypeError);
  });
});

describe('training end to end', () => {
  it('a small CNN with BatchNorm and Dropout fits a synthetic problem with plain SGD', () => {
    manualSeed(8);
    // Class = which quadrant of an 8x8 image holds a bright 2x2 patch.
    const N = 64;
    const xs = new Float32Array(N * 64);
    const ys = new Int32Array(N);
    const r = Array.from(randArray(N * 3, 70, 0, 1));
    for (let i = 0; i < N; i++) {
      const q = Math.floor(r[3 * i] * 4);
      ys[i] = q;
      const oy = (q >> 1) * 4 + Math.floor(r[3 * i + 1] * 3), ox = (q & 1) * 4 + Math.floor(r[3 * i + 2] * 3);
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) xs[i * 64 + (oy + dy) * 8 + ox + dx] = 1;
    }
    const x = tensor(xs, { shape: [N, 1, 8, 8] });
    const y = tensor(ys);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Dropout(0.1), new nn.Linear(64, 4),
    );
    const lossFn = new nn.CrossEntropyLoss();
    let first = 0, last = 0;
    for (let step = 0; step < 60; step++) {
      model.zeroGrad();
      const loss = lossFn.forward(model.forward(x), y);
      loss.backward();
      noGrad(() => model.parameters().forEach((p) => p.subInPlace(p.grad!, 0.5)));
      if (step === 0) first = Number(loss.item());
      last = Number(loss.item());
    }
    expect(last).toBeLessThan(first / 4);
    model.eval();
    const acc = model.forward(x).argmax(1).eq(y).float().mean().item();
    expect(acc).toBeGreaterThan(0.95);
  });
});

describe('Sequential runs Linear/Conv2d -> ReLU fused', () => {
  const dtype = 'float64' as const;
  const cases: [string, () => nn.Module, number[], nn.Module?][] = [
    ['linear', () => new nn.Linear(6, 5, { dtype }), [4, 6]],
    ['linear, no bias, 3-D input', () => new nn.Linear(6, 5, { dtype, bias: false }), [2, 3, 6]],
    ['conv2d 3x3, stride 2, padding 1', () => new nn.Conv2d(2, 3, 3, { dtype, stride: 2, padding: 1 }), [2, 2, 7, 6]],
    ["conv2d 2x2 padding 'same', no bias", () => new nn.Conv2d(2, 3, 2, { dtype, padding: 'same', bias: false }), [1, 2, 5, 5]],
    ['conv2d grouped (composed path)', () => new nn.Conv2d(4, 4, 3, { dtype, groups: 2 }), [2, 4, 5, 5]],
    ['conv2d 1x1 (composed path)', () => new nn.Conv2d(3, 2, 1, { dtype }), [2, 3, 4, 4]],
    // Conv2d -> ReLU -> MaxPool2d: pooled straight from the GEMM's output
    ['conv2d + maxPool2d(2)', () => new nn.Conv2d(2, 3, 3, { dtype }), [2, 2, 9, 8], new nn.MaxPool2d(2)],
    ['conv2d + maxPool2d 3x2, stride 1, padding 1, dilation', () => new nn.Conv2d(2, 3, 3, { dtype, padding: 1 }), [2, 2, 7, 8], new nn.MaxPool2d([3, 2], { stride: 1, padding: 1, dilation: [1, 2] })],
    ["conv2d 'same' even kernel + pool (unfused pool)", () => new nn.Conv2d(2, 3, 2, { dtype, padding: 'same' }), [1, 2, 6, 6], new nn.MaxPool2d(2)],
    ['grouped conv2d + pool (composed)', () => new nn.Conv2d(4, 4, 3, { dtype, groups: 2 }), [2, 4, 6, 6], new nn.MaxPool2d(2)],
  ];
  for (const [name, make, shape, pool] of cases) {
    it(`${name}: same values and gradients as running the modules one by one`, () => {
      manualSeed(7);
      const m = make();
      const seq = pool ? new nn.Sequential(m, new nn.ReLU(), pool) : new nn.Sequential(m, new nn.ReLU());
      const x1 = rt(shape, 11, { requiresGrad: true });
      const x2 = rt(shape, 11, { requiresGrad: true });
      const y1 = seq.forward(x1);
      const y2 = pool ? (pool.forward(m.forward(x2).relu()) as Tensor) : m.forward(x2).relu();
      expectClose(y1, Array.from(y2.data()), 1e-12, 1e-12);
      // Some outputs must be clipped for the test to exercise the mask.
      expect(Array.from(y1.data()).some((v) => v === 0)).toBe(true);
      const wts = rt(y1.shape.slice(), 12);
      y1.mul(wts).sum().backward();
      const g1 = m.parameters().map((p) => Array.from(p.grad!.data()));
      m.zeroGrad();
      y2.mul(wts).sum().backward();
      m.parameters().forEach((p, i) => expectClose(g1[i], Array.from(p.grad!.data()), 1e-12, 1e-12));
      expectClose(x1.grad!, Array.from(x2.grad!.data()), 1e-12, 1e-12);
    });
  }

  it('gradcheck and gradgradcheck through the fused ops', () => {
    manualSeed(8);
    const fc = new nn.Sequential(new nn.Linear(4, 3, { dtype }), new nn.ReLU());
    const conv = new nn.Sequential(new nn.Conv2d(2, 2, 3, { dtype, padding: 1 }), new nn.ReLU());
    expect(gradcheck((x: Tensor) => fc.forward(x), [rt([3, 4], 13, { requiresGrad: true })])).toBe(true);
    expect(gradcheck((x: Tensor) => conv.forward(x), [rt([1, 2, 4, 4], 14, { requiresGrad: true })])).toBe(true);
    expect(gradgradcheck((x: Tensor) => conv.forward(x).square(), [rt([1, 2, 4, 4], 15, { requiresGrad: true })])).toBe(true);
    const pooled = new nn.Sequential(new nn.Conv2d(2, 2, 3, { dtype, padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2));
    expect(gradcheck((x: Tensor) => pooled.forward(x), [rt([1, 2, 6, 6], 16, { requiresGrad: true })])).toBe(true);
    expect(gradgradcheck((x: Tensor) => pooled.forward(x).square(), [rt([1, 2, 4, 4], 17, { requiresGrad: true })])).toBe(true);
  });

  it('a subclass that overrides forward runs as written', () => {
    let calls = 0;
    class Logged extends nn.Linear {
      override forward(x: Tensor): Tensor {
        calls++;
        return super.forward(x);
      }
    }
    const seq = new nn.Sequential(new Logged(3, 2), new nn.ReLU());
    seq.forward(randn([2, 3]));
    expect(calls).toBe(1);
  });
});
