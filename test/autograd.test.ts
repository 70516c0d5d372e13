// Autograd: every differentiable op through gradcheck (float64 central
// differences), second-order checks, in-place version errors, graph
// release, accumulation, hooks, anomaly mode and grad-mode scopes.
import { describe, expect, it } from 'vitest';
import * as tf from '../src/index';
import { detectAnomaly, enableGrad, grad, gradcheck, gradgradcheck, isGradEnabled, noGrad, tensor, Tensor } from '../src/index';
import v8 from 'node:v8';
import vm from 'node:vm';
import { rng } from './helpers';

// A real gc() for the graph-release test (vitest does not pass --expose-gc).
v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const r = rng(2024);
/** A float64 leaf with values in [lo, hi). */
function leaf(shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, () => lo + (hi - lo) * r()), { shape }).requiresGrad_();
}
/** A non-contiguous float64 leaf-derived input: the transpose of a [c, r] leaf. */
function transposedLeaf(rows: number, cols: number, lo = -1, hi = 1): [Tensor, Tensor] {
  const l = leaf([cols, rows], lo, hi);
  return [l, l.t()];
}

type Case = [string, () => Tensor[], (...x: Tensor[]) => Tensor];
const UNARY: Case[] = [
  ['neg', () => [leaf([3, 4])], (x) => x.neg()],
  ['abs', () => [leaf([3, 4], 0.1, 1)], (x) => x.abs()],
  ['exp', () => [leaf([3, 4])], (x) => x.exp()],
  ['log', () => [leaf([3, 4], 0.2, 2)], (x) => x.log()],
  ['log1p', () => [leaf([5], 0, 2)], (x) => x.log1p()],
  ['expm1', () => [leaf([5])], (x) => x.expm1()],
  ['sqrt', () => [leaf([5], 0.2, 2)], (x) => x.sqrt()],
  ['rsqrt', () => [leaf([5], 0.2, 2)], (x) => x.rsqrt()],
  ['sin', () => [leaf([5])], (x) => x.sin()],
  ['cos', () => [leaf([5])], (x) => x.cos()],
  ['tanh', () => [leaf([5])], (x) => x.tanh()],
  ['sigmoid', () => [leaf([5])], (x) => x.sigmoid()],
  ['relu', () => [leaf([6], 0.1, 1).mul(tensor([1, -1, 1, -1, 1, -1], { dtype: 'float64' })).detach().requiresGrad_()], (x) => x.relu()],
  ['gelu', () => [leaf([6], -3, 3)], (x) => x.gelu()],
  ['leakyRelu', () => [leaf([4], 0.1, 1).mul(tensor([1, -1, 1, -1], { dtype: 'float64' })).detach().requiresGrad_()], (x) => x.leakyRelu(0.1)],
  ['clamp', () => [tensor([-2, -0.3, 0.2, 2], { dtype: 'float64' }).requiresGrad_()], (x) => x.clamp(-1, 1)],
  ['powScalar', () => [leaf([4], 0.5, 2)], (x) => x.pow(2.5)],
  ['reciprocal', () => [leaf([4], 0.5, 2)], (x) => x.reciprocal()],
  ['square', () => [leaf([4])], (x) => x.square()],
  ['erf', () => [leaf([4])], (x) => x.erf()],
];
const BINARY: Case[] = [
  ['add broadcast', () => [leaf([3, 4]), leaf([4])], (a, b) => a.add(b, 2)],
  ['sub broadcast', () => [leaf([3, 1]), leaf([1, 4])], (a, b) => a.sub(b)],
  ['mul broadcast', () => [leaf([2, 3, 4]), leaf([3, 1])], (a, b) => a.mul(b)],
  ['div', () => [leaf([3, 4]), leaf([3, 4], 0.5, 2)], (a, b) => a.div(b)],
  ['pow', () => [leaf([3], 0.5, 2), leaf([3])], (a, b) => a.pow(b)],
  ['maximum', () => [leaf([5]), leaf([5])], (a, b) => a.maximum(b)],
  ['minimum', () => [leaf([5]), leaf([1])], (a, b) => a.minimum(b)],
  ['scalar ops', () => [leaf([4], 0.5, 1)], (a) => tf.sub(2, a).mul(3).div(a).add(1)],
  ['where', () => [leaf([2, 3]), leaf([3])], (a, b) => tf.where(tensor([[true, false, true], [false, false, true]]), a, b)],
  ['maskedFill', () => [leaf([2, 3])], (a) => a.maskedFill(tensor([true, false, true]), 5)],
];
const REDUCE: Case[] = [
  ['sum dims', () => [leaf([2, 3, 4])], (x) => x.sum([0, 2])],
  ['sum keepdim', () => [leaf([2, 3])], (x) => x.sum(1, true)],
  ['mean', () => [leaf([2, 3, 4])], (x) => x.mean(1)],
  ['prod', () => [leaf([2, 3], 0.5, 1.5)], (x) => x.prod(1)],
  ['amax (unique)', () => [tensor([[1, 5, 2], [7, 0, 3]], { dtype: 'float64' }).requiresGrad_()], (x) => x.amax(1)],
  ['max(dim).values', () => [leaf([3, 4])], (x) => x.max(1).values],
  ['min(dim) keepdim', () => [leaf([3, 4])], (x) => x.min(0, true).values],
  ['var', () => [leaf([3, 5])], (x) => x.var(1)],
  ['std', () => [leaf([6])], (x) => x.std()],
  ['logsumexp', () => [leaf([3, 4])], (x) => x.logsumexp(1)],
  ['norm', () => [leaf([3, 4])], (x) => x.norm(1)],
  ['softmax', () => [leaf([3, 4])], (x) => x.softmax(0)],
  ['logSoftmax', () => [leaf([3, 4])], (x) => x.logSoftmax(1)],
];
const STRUCT: Case[] = [
  ['matmul 2-D', () => [leaf([3, 4]), leaf([4, 2])], (a, b) => a.matmul(b)],
  ['matmul batched broadcast', () => [leaf([2, 3, 4]), leaf([4, 2])], (a, b) => a.matmul(b)],
  ['matmul 3-D x 3-D broadcast', () => [leaf([1, 3, 4]), leaf([2, 4, 2])], (a, b) => a.matmul(b)],
  ['matmul 1-D', () => [leaf([4]), leaf([4, 3])], (a, b) => a.matmul(b)],
  ['bmm', () => [leaf([2, 2, 3]), leaf([2, 3, 2])], (a, b) => a.bmm(b)],
  ['reshape', () => [leaf([2, 6])], (x) => x.reshape(3, 4).mul(tensor(Float64Array.from({ length: 12 }, (_, i) => i), { shape: [3, 4] }))],
  ['transpose', () => [leaf([2, 3])], (x) => x.t().mul(tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64' }))],
  ['permute', () => [leaf([2, 3, 4])], (x) => x.permute(2, 0, 1).exp()],
  ['narrow/slice/select', () => [leaf([5, 4])], (x) => x.narrow(0, 1, 3).slice(1, 0, 4, 2).exp().sum().add(x.select(1, 3).sum())],
  ['squeeze/unsqueeze', () => [leaf([3, 1])], (x) => x.squeeze(1).unsqueeze(0).exp()],
  ['expand', () => [leaf([3, 1])], (x) => x.expand(3, 4).mul(tensor([1, 2, 3, 4], { dtype: 'float64' }))],
  ['cat', () => [leaf([2, 3]), leaf([1, 3])], (a, b) => tf.cat([a, b]).exp()],
  ['stack', () => [leaf([2, 3]), leaf([2, 3])], (a, b) => tf.stack([a, b], 1).exp()],
  ['split/chunk', () => [leaf([5, 2])], (x) => { const [p, q] = x.split([2, 3]); return p.sum().mul(q.exp().sum()); }],
  ['gather', () => [leaf([3, 4])], (x) => x.gather(1, tensor([[0, 0], [3, 1], [2, 2]]))],
  ['scatterAdd', () => [leaf([2, 3]), leaf([2, 2])], (x, s) => x.scatterAdd(1, tensor([[0, 0], [2, 1]]), s)],
  ['indexSelect', () => [leaf([4, 3])], (x) => x.indexSelect(0, tensor([3, 0, 3]))],
  ['contiguous/clone', () => [leaf([3, 2])], (x) => x.t().contiguous().clone().exp()],
  ['to float32 and back', () => [leaf([3])], (x) => x.exp().to('float64')],
];

describe('gradcheck over every differentiable op', () => {
  for (const [name, inputs, fn] of [...UNARY, ...BINARY, ...REDUCE, ...STRUCT]) {
    it(name, () => {
      expect(gradcheck(fn, inputs(), { atol: 1e-5, rtol: 1e-4 })).toBe(true);
    });
  }

  it('non-contiguous inputs', () => {
    const [, xt] = transposedLeaf(3, 4);
    const f = (x: Tensor): Tensor => x.tanh().mul(x).sum(0);
    expect(gradcheck(f, [xt.detach().requiresGrad_()])).toBe(true);
    const [l, v] = transposedLeaf(3, 4);
    v.exp().sum().backward();
    expect(l.grad!.shape).toEqual([4, 3]);
    expect(Array.from(l.grad!.data())).toEqual(Array.from(l.exp().data()));
  });

  it('detects a wrong gradient', () => {
    // A function whose "gradient" is deliberately off: x*2 seen through a detached factor.
    const x = leaf([3]);
    const bad = (t: Tensor): Tensor => t.mul(t.detach());
    expect(() => gradcheck(bad, [x])).toThrow(/Jacobian mismatch/);
  });
});

describe('second order', () => {
  const cases: Case[] = [
    ['matmul', () => [leaf([2, 3]), leaf([3, 2])], (a, b) => a.matmul(b)],
    ['mul', () => [leaf([3]), leaf([3])], (a, b) => a.mul(b)],
    ['exp', () => [leaf([3])], (x) => x.exp()],
    ['tanh', () => [leaf([3])], (x) => x.tanh()],
    ['sigmoid', () => [leaf([3])], (x) => x.sigmoid()],
    ['softmax', () => [leaf([2, 3])], (x) => x.softmax(1)],
    ['logSoftmax', () => [leaf([2, 3])], (x) => x.logSoftmax(1)],
    ['pow', () => [leaf([3], 0.5, 2), leaf([3])], (a, b) => a.pow(b)],
    ['div', () => [leaf([3]), leaf([3], 0.5, 2)], (a, b) => a.div(b)],
  ];
  for (const [name, inputs, fn] of cases) {
    it(name, () => {
      expect(gradgradcheck(fn, inputs(), { atol: 1e-5, rtol: 1e-3 })).toBe(true);
    });
  }

  it('relu: second order through its one-kernel gradient', () => {
    // d/dx relu(x)*x = 2x (x > 0) or 0: the first term's reluBackward must itself be differentiable.
    const x = tensor([-1.5, -0.4, 0.6, 1.7], { dtype: 'float64' }).requiresGrad_();
    expect(gradgradcheck((v: Tensor) => v.relu().mul(v), [x], { atol: 1e-5, rtol: 1e-3 })).toBe(true);
    const [d] = grad(x.relu().mul(x).sum(), [x], { createGraph: true });
    expect(Array.from(d!.data())).toEqual([0, 0, 1.2, 3.4]);
    const [d2] = grad(d!.sum(), [x]);
    expect(Array.from(d2!.data())).toEqual([0, 0, 2, 2]);
  });

  it('relu passes NaN/inf gradients only where the output is positive, like PyTorch', () => {
    const x = tensor([-1, 0, 2, 3], { dtype: 'float32' }).requiresGrad_();
    x.relu().backward(tensor([NaN, Infinity, NaN, -Infinity]));
    expect(Array.from(x.grad!.data())).toEqual([0, 0, NaN, -Infinity]);
  });

  it('grad(createGraph) gives Hessian-vector products', () => {
    const x = tensor([2], { dtype: 'float64' }).requiresGrad_();
    const [dy] = grad(x.pow(3), [x], { createGraph: true });
    expect(dy!.item()).toBeCloseTo(12);
    const [d2y] = grad(dy!, [x]);
    expect(d2y!.item()).toBeCloseTo(12);
  });
});

/** Builds and backprops a graph whose intermediate is saved; returns a weak ref to it and the root node. */
function graphWithSavedIntermediate(a: Tensor): { ref: WeakRef<Tensor>; root: NonNullable<Tensor['gradFn']> } {
  const saved = a.mul(2).exp(); // saved by the next op's backward
  const ref = new WeakRef(saved);
  const y = saved.mul(a).sum();
  y.backward();
  return { ref, root: y.gradFn! };
}

describe('engine behaviour', () => {
  it('accumulates across two backward calls', () => {
    const w = tensor([1, 2, 3]).float().requiresGrad_();
    w.mul(w).sum().backward();
    w.mul(3).sum().backward();
    expect(w.grad!.toArray()).toEqual([5, 7, 9]);
  });

  it('the issue example: tanh(x@w)^2 mean, then an update under noGrad', () => {
    tf.manualSeed(1);
    const w = tf.randn([3, 2], { requiresGrad: true });
    const x = tf.randn([4, 3]);
    const loss = x.matmul(w).tanh().pow(2).mean();
    loss.backward();
    expect(w.grad!.shape).toEqual([3, 2]);
    // Reference: d/dw mean(tanh(xw)^2) = x^T (2 tanh(z) (1 - tanh(z)^2)) / 8
    const z = x.double().matmul(w.detach().double());
    const th = z.tanh();
    const ref = x.double().t().matmul(th.mul(2).mul(th.square().neg().add(1)).div(8));
    const got = Array.from(w.grad!.data());
    Array.from(ref.data()).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    const before = Array.from(w.data());
    noGrad(() => w.subInPlace(w.grad!.mul(0.1)));
    Array.from(w.data()).forEach((v, i) => expect(v).toBeCloseTo(before[i] - 0.1 * got[i], 6));
    expect(w.isLeaf).toBe(true);
  });

  it('throws on backward through a tensor modified in place after it was saved', () => {
    const a = tensor([1, 2, 3]).float().requiresGrad_();
    const b = a.mul(2);
    const c = b.exp(); // saves its output
    c.addInPlace(1);
    expect(() => c.sum().backward()).toThrow(/modified by an in-place operation.*version 1; expected version 0/);
    const d = a.mul(1);
    const e = d.mul(d);
    d.mulInPlace(2);
    expect(() => e.sum().backward()).toThrow(/in-place/);
  });

  it('in-place on a non-leaf rebases its graph; on a leaf it throws outside noGrad', () => {
    const a = tensor([1, 2]).float().requiresGrad_();
    const b = a.mul(3);
    b.addInPlace(a);
    b.sum().backward();
    expect(a.grad!.toArray()).toEqual([4, 4]);
    expect(() => a.addInPlace(1)).toThrow(/leaf tensor that requires grad/);
    noGrad(() => a.addInPlace(1));
    expect(a.toArray()).toEqual([2, 3]);
  });

  it('frees the graph after backward; a second backward throws unless retainGraph', () => {
    const a = tensor([1, 2]).float().requiresGrad_();
    const y = a.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(Array.from(a.grad!.data())).toEqual(Array.from(a.exp().mul(2).data()));
    expect(() => y.backward()).toThrow(/second time/);
  });

  it('releases saved tensors after backward (weak reference is collected)', async () => {
    const a = tensor([1, 2, 3]).float().requiresGrad_();
    const { ref, root } = graphWithSavedIntermediate(a);
    expect(root.released).toBe(true);
    expect(root.saved.length).toBe(0);
    // No deref() inside the loop: deref keeps its target alive until the job ends.
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(ref.deref()).toBeUndefined();
    expect(a.grad).not.toBeNull();
  });

  it('retainGrad, hooks and detach', () => {
    const a = tensor([1, 2]).float().requiresGrad_();
    const b = a.mul(2);
    b.retainGrad();
    const h = a.registerHook((g) => g.mul(10));
    b.mul(b).sum().backward();
    expect(b.grad!.toArray()).toEqual([4, 8]);
    expect(a.grad!.toArray()).toEqual([80, 160]);
    h.remove();
    a.grad = null;
    let seen: number[] = [];
    const c = a.mul(1);
    c.registerHook((g) => {
      seen = Array.from(g.data());
    });
    c.sum().backward();
    expect(seen).toEqual([1, 1]);
    expect(a.grad!.toArray()).toEqual([1, 1]);
    // Gradients a hook keeps, a retained grad and grad()'s results outlive
    // backward (which frees the intermediate gradients it made when it returns).
    let kept: tf.Tensor | null = null;
    const d = a.mul(3);
    const e = d.exp();
    e.retainGrad();
    d.registerHook((g) => {
      kept = g;
    });
    e.sum().backward();
    expect(Array.from(kept!.data())).toEqual(Array.from(a.mul(3).exp().data()));
    expect(Array.from(e.grad!.data())).toEqual([1, 1]);
    const [ga] = grad([a.mul(a).sum()], [a]);
    expect(ga!.toArray()).toEqual([2, 4]);
    expect(a.detach().requiresGrad).toBe(false);
    expect(a.detach()._storage).toBe(a._storage);
  });

  it('noGrad / enableGrad scopes, sync and async', async () => {
    const a = tensor([1]).float().requiresGrad_();
    expect(noGrad(() => a.mul(2)).requiresGrad).toBe(false);
    expect(noGrad(() => enableGrad(() => a.mul(2))).requiresGrad).toBe(true);
    const p = noGrad(async () => {
      await new Promise((res) => setTimeout(res, 5));
      return [isGradEnabled(), a.mul(2).requiresGrad];
    });
    expect(isGradEnabled()).toBe(true); // the async scope does not leak out
    expect(await p).toEqual([false, false]);
  });

  it('detectAnomaly names the op whose backward produced NaN', () => {
    const a = tensor([0, 1]).float().requiresGrad_();
    expect(() => detectAnomaly(() => a.sqrt().sum().backward())).toThrow(/backward of 'sqrt' returned NaN or Inf/);
  });

  it('grad() leaves .grad untouched and reports unused inputs', () => {
    const a = tensor([1, 2]).float().requiresGrad_();
    const b = tensor([3]).float().requiresGrad_();
    const [ga] = grad(a.mul(a).sum(), [a]);
    expect(ga!.toArray()).toEqual([2, 4]);
    expect(a.grad).toBeNull();
    expect(() => grad(a.sum(), [b])).toThrow(/not used/);
    expect(grad(a.sum(), [a, b], { allowUnused: true })[1]).toBeNull();
  });

  it('errors: non-scalar backward, requiresGrad on ints', () => {
    expect(() => tf.zeros([2], { requiresGrad: true }).mul(2).backward()).toThrow(/scalar outputs/);
    expect(() => tf.zeros([2], { dtype: 'int32', requiresGrad: true })).toThrow(TypeError);
    expect(() => tensor([1]).float().backward()).toThrow(/does not require grad/);
  });
});
