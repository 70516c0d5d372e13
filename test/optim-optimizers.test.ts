// Optimizer steps against float64 closed-form updates written here from the
// algorithms in PyTorch's documentation. Gradients are computed in JS from the
// reference parameters (g = c·p + d_t), so autograd is not involved.
import { describe, expect, it } from 'vitest';
import { backendInfo, noGrad, optim, tensor, tidy, Tensor, zeros } from '../src/index';
import { cpuBinding } from '../src/backend/device';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** A test problem: start values, a fixed curvature c and per-step offsets d_t. */
function problem(seed: number, n = 7, steps = 5) {
  const r = prng(seed);
  const p0 = Array.from({ length: n }, () => 2 * r());
  const c = Array.from({ length: n }, () => 1 + r());
  const d = Array.from({ length: steps }, () => Array.from({ length: n }, () => r()));
  const grad = (p: number[], t: number) => p.map((v, i) => c[i] * v + d[t][i]);
  return { p0, grad, steps, n };
}

function close(actual: ArrayLike<number>, expected: number[], rtol: number, atol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
      throw new Error(`element ${i}: expected ${expected[i]}, got ${actual[i]}`);
    }
  }
}

/** Runs `steps` updates of our optimizer and of `ref` (which updates its array in place). */
function runBoth(
  seed: number,
  make: (p: Tensor) => optim.Optimizer,
  ref: (p: number[], g: number[], t: number) => void,
  dtype: 'float64' | 'float32' = 'float64',
  n = 7,
): { ours: number[]; theirs: number[] } {
  const { p0, grad, steps } = problem(seed, n);
  const p = tensor(dtype === 'float64' ? Float64Array.from(p0) : Float32Array.from(p0), { requiresGrad: true });
  const opt = make(p);
  const q = dtype === 'float64' ? p0.slice() : p0.map(Math.fround);
  for (let t = 0; t < steps; t++) {
    const gOurs = grad(Array.from(p.data() as Float64Array), t);
    p.grad = tensor(dtype === 'float64' ? Float64Array.from(gOurs) : Float32Array.from(gOurs));
    opt.step();
    ref(q, grad(q, t), t + 1);
  }
  return { ours: Array.from(p.data() as Float64Array), theirs: q };
}

describe('SGD', () => {
  const sgdRef = (lr: number, mom: number, damp: number, wd: number, nesterov: boolean) => {
    let buf: number[] | null = null;
    return (p: number[], g: number[]) => {
      const d = g.map((gi, i) => gi + wd * p[i]);
      let upd = d;
      if (mom !== 0) {
        buf = buf === null ? d.slice() : buf.map((b, i) => mom * b + (1 - damp) * d[i]);
        upd = nesterov ? d.map((di, i) => di + mom * buf![i]) : buf;
      }
      for (let i = 0; i < p.length; i++) p[i] -= lr * upd[i];
    };
  };
  const cases: [string, number, number, number, boolean][] = [
    ['plain', 0, 0, 0, false],
    ['momentum', 0.9, 0, 0, false],
    ['momentum + dampening', 0.8, 0.3, 0, false],
    ['nesterov', 0.9, 0, 0, true],
    ['nesterov + weight decay', 0.7, 0, 0.05, true],
    ['weight decay', 0, 0, 0.1, false],
  ];
  for (const [name, momentum, dampening, weightDecay, nesterov] of cases) {
    it(name, () => {
      const { ours, theirs } = runBoth(
        1,
        (p) => new optim.SGD([p], { lr: 0.1, momentum, dampening, weightDecay, nesterov }),
        sgdRef(0.1, momentum, dampening, weightDecay, nesterov),
      );
      close(ours, theirs, 1e-12);
    });
  }
  it('rejects nesterov without momentum and bad options', () => {
    const p = zeros([2], { requiresGrad: true });
    expect(() => new optim.SGD([p], { nesterov: true })).toThrow(/Nesterov/);
    expect(() => new optim.SGD([p], { lr: -1 })).toThrow(RangeError);
    expect(() => new optim.SGD([p], { momentum: NaN })).toThrow(/momentum/);
    expect(() => new optim.SGD([], {})).toThrow(/empty/);
    expect(() => new optim.SGD([tensor([1, 2])], {})).toThrow(/float32\/float64/);
  });
});

const adamRef = (lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean, amsgrad: boolean) => {
  let m: number[] | null = null;
  let v: number[] | null = null;
  let vmax: number[] | null = null;
  return (p: number[], g0: number[], t: number) => {
    if (decoupled) for (let i = 0; i < p.length; i++) p[i] *= 1 - lr * wd;
    const g = decoupled ? g0 : g0.map((gi, i) => gi + wd * p[i]);
    m = (m ?? g.map(() => 0)).map((mi, i) => b1 * mi + (1 - b1) * g[i]);
    v = (v ?? g.map(() => 0)).map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
    let vh = v;
    if (amsgrad) vh = vmax = (vmax ?? v.map(() => 0)).map((x, i) => Math.max(x, v![i]));
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const mhat = m[i] / bc1;
      const vhat = vh[i] / bc2;
      // PyTorch divides sqrt(v)/sqrt(bc2); identical to sqrt(v/bc2) up to rounding.
      p[i] -= (lr * mhat) / (Math.sqrt(vhat) + eps);
    }
  };
};

describe('Adam / AdamW', () => {
  it('Adam matches the bias-corrected closed form', () => {
    const { ours, theirs } = runBoth(2, (p) => new optim.Adam([p], { lr: 0.05 }), adamRef(0.05, 0.9, 0.999, 1e-8, 0, false, false));
    close(ours, theirs, 1e-10);
  });
  it('first Adam step moves every element by about lr (bias correction)', () => {
    const p = tensor(Float64Array.from([1, -2, 3]), { requiresGrad: true });
    p.grad = tensor(Float64Array.from([0.001, -50, 7]));
    new optim.Adam([p], { lr: 0.1 }).step();
    // m̂ = g and v̂ = g² after bias correction, so the step is lr·g/(|g| + eps).
    close(p.data(), [1, -2, 3].map((x, i) => x - (0.1 * [0.001, -50, 7][i]) / (Math.abs([0.001, -50, 7][i]) + 1e-8)), 1e-12);
  });
  it('Adam with L2 weight decay and AMSGrad', () => {
    const { ours, theirs } = runBoth(
      3,
      (p) => new optim.Adam([p], { lr: 0.02, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1, amsgrad: true }),
      adamRef(0.02, 0.8, 0.9, 1e-6, 0.1, false, true),
    );
    close(ours, theirs, 1e-10);
  });
  it('AdamW decays the weights directly (decoupled), unlike Adam', () => {
    const w = runBoth(4, (p) => new optim.AdamW([p], { lr: 0.03, weightDecay: 0.2 }), adamRef(0.03, 0.9, 0.999, 1e-8, 0.2, true, false));
    close(w.ours, w.theirs, 1e-10);
    const a = runBoth(4, (p) => new optim.Adam([p], { lr: 0.03, weightDecay: 0.2 }), adamRef(0.03, 0.9, 0.999, 1e-8, 0.2, false, false));
    expect(Math.max(...w.ours.map((x, i) => Math.abs(x - a.ours[i])))).toBeGreaterThan(1e-4);
    expect(new optim.AdamW([zeros([1], { requiresGrad: true })]).paramGroups[0].weightDecay).toBe(0.01);
  });
  it('float32 parameters follow the float64 reference closely', () => {
    const { ours, theirs } = runBoth(5, (p) => new optim.Adam([p], { lr: 0.01 }), adamRef(0.01, 0.9, 0.999, 1e-8, 0, false, false), 'float32');
    close(ours, theirs, 1e-5, 1e-6);
  });
  it('float32 Adam, Adam+L2+AMSGrad and AdamW follow the float64 reference on every ISA (vector bodies and tails)', () => {
    const start = backendInfo().isa;
    try {
      for (const isa of backendInfo().supportedIsas) {
        expect(cpuBinding.setIsa!(isa)).toBe(true);
        const cases: [string, (p: Tensor) => optim.Optimizer, ReturnType<typeof adamRef>][] = [
          ['adam', (p) => new optim.Adam([p], { lr: 0.01 }), adamRef(0.01, 0.9, 0.999, 1e-8, 0, false, false)],
          ['l2+amsgrad', (p) => new optim.Adam([p], { lr: 0.02, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1, amsgrad: true }), adamRef(0.02, 0.8, 0.9, 1e-6, 0.1, false, true)],
          ['adamw', (p) => new optim.AdamW([p], { lr: 0.03, weightDecay: 0.2 }), adamRef(0.03, 0.9, 0.999, 1e-8, 0.2, true, false)],
        ];
        for (const [name, make, ref] of cases) {
          // 37 = two 16-lane vectors (four 8-lane ones) and a tail of 5.
          const { ours, theirs } = runBoth(11, make, ref, 'float32', 37);
          try {
            close(ours, theirs, 1e-5, 1e-6);
          } catch (e) {
            throw new Error(`${name} on ${isa}: ${(e as Error).message}`);
          }
        }
      }
    } finally {
      cpuBinding.setIsa!(start);
    }
  });
  it('rejects bad betas', () => {
    const p = zeros([1], { requiresGrad: true });
    expect(() => new optim.Adam([p], { betas: [1, 0.9] })).toThrow(/beta1/);
    expect(() => new optim.Adam([p], { betas: [0.9] as unknown as [number, number] })).toThrow(/pair/);
  });
});

describe('RMSprop', () => {
  const ref = (lr: number, alpha: number, eps: number, wd: number, mom: number, centered: boolean) => {
    let sq: number[] | null = null;
    let ga: number[] | null = null;
    let buf: number[] | null = null;
    return (p: number[], g0: number[]) => {
      const g = g0.map((gi, i) => gi + wd * p[i]);
      sq = (sq ?? g.map(() => 0)).map((s, i) => alpha * s + (1 - alpha) * g[i] * g[i]);
      let avg: number[];
      if (centered) {
        ga = (ga ?? g.map(() => 0)).map((a, i) => alpha * a + (1 - alpha) * g[i]);
        avg = sq.map((s, i) => Math.sqrt(s - ga![i] * ga![i]) + eps);
      } else {
        avg = sq.map((s) => Math.sqrt(s) + eps);
      }
      if (mom > 0) {
        buf = (buf ?? g.map(() => 0)).map((b, i) => mom * b + g[i] / avg[i]);
        for (let i = 0; i < p.length; i++) p[i] -= lr * buf[i];
      } else {
        for (let i = 0; i < p.length; i++) p[i] -= (lr * g[i]) / avg[i];
      }
    };
  };
  it('plain', () => {
    const r = runBoth(6, (p) => new optim.RMSprop([p], { lr: 0.01 }), ref(0.01, 0.99, 1e-8, 0, 0, false));
    close(r.ours, r.theirs, 1e-10);
  });
  it('centered with momentum and weight decay', () => {
    const r = runBoth(
      7,
      (p) => new optim.RMSprop([p], { lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5, weightDecay: 0.01 }),
      ref(0.01, 0.9, 1e-8, 0.01, 0.5, true),
    );
    close(r.ours, r.theirs, 1e-10);
  });
});

describe('Adagrad', () => {
  it('with lrDecay, initial accumulator and weight decay', () => {
    const lr = 0.1, lrDecay = 0.05, init = 0.3, wd = 0.02, eps = 1e-10;
    let sum: number[] | null = null;
    const r = runBoth(
      8,
      (p) => new optim.Adagrad([p], { lr, lrDecay, initialAccumulatorValue: init, weightDecay: wd }),
      (p, g0, t) => {
        const g = g0.map((gi, i) => gi + wd * p[i]);
        sum = (sum ?? g.map(() => init)).map((s, i) => s + g[i] * g[i]);
        const clr = lr / (1 + (t - 1) * lrDecay);
        for (let i = 0; i < p.length; i++) p[i] -= (clr * g[i]) / (Math.sqrt(sum[i]) + eps);
      },
    );
    close(r.ours, r.theirs, 1e-10);
  });
});

describe('Optimizer base', () => {
  it('param groups keep their own options; addParamGroup; duplicates are rejected', () => {
    const a = tensor(Float64Array.from([1, 2]), { requiresGrad: true });
    const b = tensor(Float64Array.from([3]), { requiresGrad: true });
    const c = tensor(Float64Array.from([5]), { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1, momentum: 0 });
    opt.addParamGroup({ params: [c], lr: 1, weightDecay: 1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5, 1]);
    for (const t of [a, b, c]) t.grad = tensor(Float64Array.from(t.shape[0] === 2 ? [1, 1] : [1]));
    opt.step();
    close(a.data(), [0.9, 1.9], 1e-15);
    close(b.data(), [2.5], 1e-15);
    close(c.data(), [5 - 1 * (1 + 5)], 1e-15);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than one parameter group/);
    expect(() => opt.addParamGroup({ params: [a.mul(2)] })).toThrow(/non-leaf/);
    expect(() => opt.addParamGroup({ params: [c], lr: -3 } as never)).toThrow();
  });

  it('parameters without a gradient are skipped; zeroGrad clears or zeroes', () => {
    const a = tensor(Float64Array.from([1, 2]), { requiresGrad: true });
    const b = tensor(Float64Array.from([3]), { requiresGrad: true });
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    b.grad = tensor(Float64Array.from([1]));
    opt.step();
    close(a.data(), [1, 2], 0);
    expect(opt.state.has(a)).toBe(false);
    opt.zeroGrad({ setToNone: false });
    expect(Array.from(b.grad!.data() as Float64Array)).toEqual([0]);
    opt.zeroGrad();
    expect(b.grad).toBeNull();
  });

  it('a step is an in-place write: the version bumps and a stale graph refuses backward', () => {
    const w = tensor(Float64Array.from([1, 2]), { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1 });
    const y = w.mul(w).sum();
    const v0 = w._storage.version;
    w.grad = tensor(Float64Array.from([1, 1]));
    opt.step();
    expect(w._storage.version).toBe(v0 + 1);
    expect(() => y.backward()).toThrow();
  });

  it('state survives tidy(), and the update runs under noGrad', () => {
    const w = tensor(Float64Array.from([1, 2]), { requiresGrad: true });
    const opt = new optim.Adam([w], { lr: 0.1 });
    tidy(() => {
      w.mul(w).sum().backward();
      opt.step();
      return undefined;
    });
    const s = opt.state.get(w)!;
    expect((s.exp_avg as Tensor).isDisposed).toBe(false);
    expect(w.grad!.isDisposed).toBe(false);
    expect(w.requiresGrad && w.isLeaf).toBe(true);
    opt.step();
    expect(s.step).toBe(2);
  });

  it('stateDict / loadStateDict round trip continues identically', () => {
    const { p0, grad } = problem(9, 5, 6);
    const mk = () => tensor(Float64Array.from(p0), { requiresGrad: true });
    const a = mk();
    const optA = new optim.RMSprop([a], { lr: 0.01, momentum: 0.9, centered: true });
    const feed = (p: Tensor, t: number) => {
      p.grad = tensor(Float64Array.from(grad(Array.from(p.data() as Float64Array), t)));
    };
    for (let t = 0; t < 3; t++) {
      feed(a, t);
      optA.step();
    }
    const b = tensor(a.data() as Float64Array, { requiresGrad: true });
    const optB = new optim.RMSprop([b], { lr: 0.5 });
    const sd = optA.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0']);
    expect(Object.keys(sd.state[0]).sort()).toEqual(['grad_avg', 'momentum_buffer', 'square_avg', 'step']);
    expect(sd.param_groups[0]).toMatchObject({ lr: 0.01, momentum: 0.9, centered: true, params: [0] });
    optB.loadStateDict(sd);
    expect(optB.paramGroups[0].lr).toBe(0.01);
    // The loaded state is a copy: stepping B leaves A's tensors alone.
    expect(optB.state.get(b)!.square_avg).not.toBe(sd.state[0].square_avg);
    for (let t = 3; t < 6; t++) {
      feed(a, t);
      optA.step();
      feed(b, t);
      optB.step();
    }
    close(b.data(), Array.from(a.data() as Float64Array), 0);
  });

  it('loadStateDict rejects mismatched dicts and changes nothing', () => {
    const a = zeros([2], { requiresGrad: true });
    const opt = new optim.Adam([a]);
    a.grad = zeros([2]);
    opt.step();
    const sd = opt.stateDict();
    const other = new optim.Adam([zeros([3], { requiresGrad: true })]);
    expect(() => other.loadStateDict(sd)).toThrow(/shape \[2\].*\[3\]/);
    expect(other.state.size).toBe(0);
    expect(() => other.loadStateDict({ state: {}, param_groups: [] })).toThrow(/1 parameter groups|0 parameter groups/);
  });

  it('step(closure) evaluates the loss with grad on and returns it', () => {
    const w = tensor(Float64Array.from([3]), { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.25 });
    const loss = noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = w.mul(w).sum();
        l.backward();
        return l.item();
      }),
    );
    expect(loss).toBe(9);
    close(w.data(), [3 - 0.25 * 6], 0);
  });
});

describe('gradient clipping', () => {
  it('clipGradNorm returns the total norm and scales to maxNorm', () => {
    const a = tensor(Float64Array.from([1, 2]), { requiresGrad: true });
    const b = tensor(Float64Array.from([3, 4, 5]), { requiresGrad: true });
    a.grad = tensor(Float64Array.from([3, 4]));
    b.grad = tensor(Float64Array.from([0, 12, 0]));
    const total = optim.clipGradNorm([a, b], 6.5);
    expect(total).toBeCloseTo(13, 12);
    const f = 6.5 / (13 + 1e-6);
    close(a.grad!.data(), [3 * f, 4 * f], 1e-12);
    close(b.grad!.data(), [0, 12 * f, 0], 1e-12);
    // Below the limit: unchanged.
    expect(optim.clipGradNorm([a, b], 100)).toBeCloseTo(6.5, 5);
    close(a.grad!.data(), [3 * f, 4 * f], 1e-12);
  });
  it('other norms: 1, 3 and Infinity', () => {
    const a = tensor(Float64Array.from([0]), { requiresGrad: true });
    const g = [1, -2, 3.5];
    a.grad = tensor(Float64Array.from(g));
    expect(optim.clipGradNorm(a, 1e9, 1)).toBeCloseTo(6.5, 12);
    expect(optim.clipGradNorm(a, 1e9, 3)).toBeCloseTo((1 + 8 + 3.5 ** 3) ** (1 / 3), 12);
    expect(optim.clipGradNorm(a, 1, Infinity)).toBeCloseTo(3.5, 12);
    close(a.grad!.data(), g.map((x) => x / (3.5 + 1e-6)), 1e-12);
  });
  it('clipGradValue clamps elementwise; bad arguments throw', () => {
    const a = tensor(Float64Array.from([0, 0, 0]), { requiresGrad: true });
    a.grad = tensor(Float64Array.from([-3, 0.2, 9]));
    optim.clipGradValue([a], 0.5);
    close(a.grad!.data(), [-0.5, 0.2, 0.5], 0);
    expect(() => optim.clipGradNorm([a], -1)).toThrow(RangeError);
    expect(() => optim.clipGradValue([a], NaN)).toThrow(RangeError);
    a.grad = tensor(Float64Array.from([Infinity]));
    expect(() => optim.clipGradNorm([a], 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite/);
  });
});
