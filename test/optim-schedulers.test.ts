// LR scheduler curves against closed forms written here (PyTorch's documented
// formulas), including OneCycleLR's phases and ReduceLROnPlateau's counters.
import { describe, expect, it } from 'vitest';
import { optim, zeros } from '../src/index';

const { StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LinearWarmup, OneCycleLR, ReduceLROnPlateau } = optim.lrScheduler;

const sgd = (lr = 0.1, groups = 1) =>
  new optim.SGD(
    Array.from({ length: groups }, (_, i) => ({ params: [zeros([1], { requiresGrad: true })], lr: lr * (i + 1) })),
    { lr, momentum: 0.9 },
  );

/** lr after construction, then after each of n steps. */
function curve(s: { step(): void; getLastLr(): number[] }, n: number, group = 0): number[] {
  const out = [s.getLastLr()[group]];
  for (let i = 0; i < n; i++) {
    s.step();
    out.push(s.getLastLr()[group]);
  }
  return out;
}

function expectCurve(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]) > 1e-12 * Math.max(1, Math.abs(expected[i]))) throw new Error(`step ${i}: expected ${expected[i]}, got ${a}`);
  });
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('epoch schedulers', () => {
  it('StepLR', () => {
    const opt = sgd(0.1, 2);
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    expectCurve(curve(s, 10, 1), range(11).map((e) => 0.2 * 0.5 ** Math.floor(e / 3)));
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.1 * 0.5 ** 3, 15);
  });
  it('MultiStepLR', () => {
    const s = new MultiStepLR(sgd(), { milestones: [5, 2], gamma: 0.1 });
    expectCurve(curve(s, 7), range(8).map((e) => 0.1 * 0.1 ** ((e >= 2 ? 1 : 0) + (e >= 5 ? 1 : 0))));
  });
  it('ExponentialLR', () => {
    expectCurve(curve(new ExponentialLR(sgd(), { gamma: 0.9 }), 6), range(7).map((e) => 0.1 * 0.9 ** e));
  });
  it('CosineAnnealingLR', () => {
    const s = new CosineAnnealingLR(sgd(), { tMax: 8, etaMin: 0.01 });
    expectCurve(curve(s, 8), range(9).map((e) => 0.01 + (0.09 * (1 + Math.cos((Math.PI * e) / 8))) / 2));
  });
  it('LinearLR and LinearWarmup', () => {
    const s = new LinearLR(sgd(), { startFactor: 0.25, endFactor: 1, totalIters: 4 });
    expectCurve(curve(s, 6), [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1]);
    const w = new LinearWarmup(sgd(), { warmupSteps: 5 });
    expectCurve(curve(w, 6), [0.02, 0.036, 0.052, 0.068, 0.084, 0.1, 0.1]);
  });
  it('stateDict restores the position of the schedule', () => {
    const opt = sgd();
    const s = new StepLR(opt, { stepSize: 2 });
    s.step();
    s.step();
    s.step();
    const sd = s.stateDict();
    const opt2 = sgd();
    const s2 = new StepLR(opt2, { stepSize: 2 });
    s2.loadStateDict(sd);
    s2.step();
    s.step();
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    expect(s2.lastEpoch).toBe(4);
  });
  it('validates arguments', () => {
    expect(() => new StepLR(sgd(), { stepSize: 0 })).toThrow(/stepSize/);
    expect(() => new ExponentialLR({} as never, { gamma: 1 })).toThrow(/Optimizer/);
  });
});

describe('OneCycleLR', () => {
  // The schedule as PyTorch documents it: phase ends at pct·T - 1 and T - 1,
  // cosine annealing between (initial, max) then (max, min).
  function reference(T: number, maxLr: number, pct = 0.3, div = 25, finalDiv = 1e4) {
    const init = maxLr / div;
    const min = init / finalDiv;
    const cos = (a: number, b: number, p: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1);
    const e1 = pct * T - 1;
    return range(T).map((t) => {
      const lr = t <= e1 ? cos(init, maxLr, t / e1) : cos(maxLr, min, (t - e1) / (T - 1 - e1));
      const mom = t <= e1 ? cos(0.95, 0.85, t / e1) : cos(0.85, 0.95, (t - e1) / (T - 1 - e1));
      return { lr, mom };
    });
  }
  it('follows the default cosine 1cycle with inverse momentum', () => {
    const opt = sgd();
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 20 });
    const ref = reference(20, 1);
    const lrs = [s.getLastLr()[0]];
    const moms = [opt.paramGroups[0].momentum];
    for (let i = 1; i < 20; i++) {
      s.step();
      lrs.push(s.getLastLr()[0]);
      moms.push(opt.paramGroups[0].momentum);
    }
    expectCurve(lrs, ref.map((r) => r.lr));
    expectCurve(moms, ref.map((r) => r.mom));
    expect(lrs[0]).toBeCloseTo(1 / 25, 15);
    expect(lrs[19]).toBeCloseTo(1 / 25 / 1e4, 15);
    s.step(); // step 20 is still allowed (PyTorch checks step > total)
    expect(() => s.step()).toThrow(/totalSteps = 20/);
  });
  it('cycles Adam beta1, takes epochs × stepsPerEpoch', () => {
    const opt = new optim.Adam([zeros([1], { requiresGrad: true })]);
    const s = new OneCycleLR(opt, { maxLr: 0.01, epochs: 2, stepsPerEpoch: 5, annealStrategy: 'linear' });
    expect(s.totalSteps).toBe(10);
    expect(opt.paramGroups[0].betas).toEqual([0.95, 0.999]);
    // Linear phase one: from 0.0004 to 0.01 over steps 0..2.
    s.step();
    expect(s.getLastLr()[0]).toBeCloseTo(0.0004 + (0.01 - 0.0004) / 2, 15);
    expect(() => new OneCycleLR(new optim.Adagrad([zeros([1], { requiresGrad: true })]), { maxLr: 1, totalSteps: 5 })).toThrow(/cycleMomentum/);
  });
});

describe('ReduceLROnPlateau', () => {
  it('reduces after patience bad epochs, honours cooldown and minLr', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5, cooldown: 1, minLr: 0.2 });
    // Epoch by epoch, with the rule "bad epochs > patience → reduce, then cool down":
    const metrics = [10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9];
    const expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25];
    // e0 best=10; e1 best=9; e2,e3 bad 1,2; e4 bad 3>2 → 0.5, cooldown 1;
    // e5 bad→cooldown resets count to 0; e6,e7 bad 1,2; e8 bad 3 → 0.25;
    // e9 cooldown; e10,e11 bad 1,2; the next reduction would hit minLr 0.2.
    const got = metrics.map((m) => {
      s.step(m);
      return s.getLastLr()[0];
    });
    expect(got).toEqual(expected);
    s.step(9);
    expect(s.getLastLr()[0]).toBe(0.2);
  });
  it("mode 'max' with an absolute threshold", () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { mode: 'max', patience: 0, threshold: 0.1, thresholdMode: 'abs' });
    s.step(0.5); // improvement over -Infinity
    s.step(0.55); // +0.05 is below the threshold: bad → reduce (patience 0)
    expect(s.getLastLr()[0]).toBeCloseTo(0.1, 15);
    s.step(0.7); // +0.2 over best 0.5: improvement
    expect(s.getLastLr()[0]).toBeCloseTo(0.1, 15);
    expect(() => s.step(NaN)).toThrow(TypeError);
  });
});
