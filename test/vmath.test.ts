// SIMD vector math and fast reductions, on every ISA this machine can run.
// References are float64 (Math.* and an erfc written below), rounded to
// float32; errors are counted in float32 ULPs (distance between bit patterns).
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../src/index';
import { cpuBinding as raw } from '../src/backend/device';
import { rng } from './helpers';

const isas = tf.backendInfo().supportedIsas;
const startIsa = tf.backendInfo().isa;
afterAll(() => {
  raw.setIsa!(startIsa);
});

// ---- float64 references -------------------------------------------------

const SQRT_PI = Math.sqrt(Math.PI);
/** erf(x) for |x| < 2.5 by its Taylor series: 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)). */
function erfSeries(x: number): number {
  let term = x;
  let s = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const t = term / (2 * n + 1);
    s += t;
    if (Math.abs(t) <= 1e-17 * Math.abs(s)) break;
  }
  return (2 / SQRT_PI) * s;
}
/** erfc(x) in float64 to ~1e-13 relative: series below 2.5, continued fraction above. */
function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) return 1 - erfSeries(x);
  // erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  let t = x;
  for (let k = 300; k >= 1; k--) t = x + k / 2 / t;
  return Math.exp(-x * x) / SQRT_PI / t;
}
const erf = (x: number): number => (Math.abs(x) < 2.5 ? erfSeries(x) : Math.sign(x) * (1 - erfc(Math.abs(x))));

const refs: Record<string, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  gelu: (x) => 0.5 * x * erfc(-x / Math.SQRT2),
  erf,
  expm1: Math.expm1,
  log1p: Math.log1p,
};

// ---- ULP distance --------------------------------------------------------

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** Position of a float32 on the number line of representable values (-0 == +0). */
function ord(v: number): number {
  f32[0] = v;
  const i = i32[0];
  return i < 0 ? -(i & 0x7fffffff) : i;
}
function ulps(got: number, exact: number): number {
  const want = Math.fround(exact);
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === want ? 0 : Infinity;
  return Math.abs(ord(got) - ord(want));
}

// ---- sweeps --------------------------------------------------------------

function linspace(lo: number, hi: number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + ((hi - lo) * (i + 0.5)) / n;
  return a;
}
/** Log-spaced positive values from lo to hi. */
function logspace(lo: number, hi: number, n: number): Float32Array {
  const a = new Float32Array(n);
  const l0 = Math.log(lo), l1 = Math.log(hi);
  for (let i = 0; i < n; i++) a[i] = Math.exp(l0 + ((l1 - l0) * (i + 0.5)) / n);
  return a;
}
function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const N = 120_000;
const sweeps: Record<string, Float32Array> = {
  exp: concat(linspace(-104, 89, N), linspace(-1, 1, N / 4)),
  // Subnormals, the normal range up to FLT_MAX, and around 1 (where log is small).
  log: concat(logspace(1e-45, 3.4e38, N), linspace(0.5, 2, N / 4)),
  tanh: concat(linspace(-20, 20, N), linspace(-1, 1, N / 4), logspace(1e-30, 1e-3, N / 8)),
  sigmoid: linspace(-110, 95, N),
  gelu: concat(linspace(-16, 16, N), linspace(-3, 3, N / 4)),
  erf: concat(linspace(-6, 6, N), logspace(1e-30, 1e-3, N / 8)),
  expm1: concat(linspace(-30, 89, N), linspace(-1, 1, N / 4), logspace(1e-30, 1e-3, N / 8)),
  log1p: concat(linspace(-0.9999999, 1, N), logspace(1e-30, 1e30, N / 4)),
};
// float64 references, computed once and shared by every ISA.
const wanted: Record<string, Float64Array> = {};
for (const [name, xs] of Object.entries(sweeps)) wanted[name] = Float64Array.from(xs, refs[name]);

type UnaryName = 'exp' | 'log' | 'tanh' | 'sigmoid' | 'gelu' | 'erf' | 'expm1' | 'log1p';
const apply = (name: UnaryName, x: tf.Tensor): tf.Tensor => (tf as unknown as Record<string, (t: tf.Tensor) => tf.Tensor>)[name](x);

const maxUlp: Record<string, Record<string, number>> = {};

describe.each(isas)('vector math on %s', (isa) => {
  it('selects the ISA', () => {
    expect(raw.setIsa!(isa)).toBe(true);
    expect(tf.backendInfo().isa).toBe(isa);
  });

  it.each(Object.keys(sweeps) as UnaryName[])('%s is within 4 ULP of float64 over a dense sweep', (name) => {
    raw.setIsa!(isa);
    const xs = sweeps[name];
    const got = apply(name, tf.tensor(xs)).data() as Float32Array;
    const want = wanted[name];
    let worst = 0, at = 0;
    for (let i = 0; i < xs.length; i++) {
      const d = ulps(got[i], want[i]);
      if (d > worst) {
        worst = d;
        at = xs[i];
      }
    }
    (maxUlp[isa] ??= {})[name] = worst;
    expect(worst, `${name} on ${isa}: ${worst} ULP at x=${at}`).toBeLessThanOrEqual(4);
  });

  it('gets special values and thresholds exactly', () => {
    raw.setIsa!(isa);
    const run = (name: UnaryName, xs: number[]): number[] => Array.from(apply(name, tf.tensor(Float32Array.from(xs))).data() as Float32Array);
    const I = Infinity;
    // Overflow / underflow edges of exp: the largest finite result, the first
    // Inf, the smallest normal, the smallest subnormal, and the flush to 0.
    const maxArg = Math.fround(88.72283); // e^x just below FLT_MAX
    expect(run('exp', [NaN, I, -I, 0, -0, maxArg, Math.fround(88.7229), -87.33655, -103.97207, -104])).toEqual(
      [NaN, I, 0, 1, 1, Math.fround(Math.exp(maxArg)), I, Math.fround(Math.exp(Math.fround(-87.33655))),
        Math.fround(Math.exp(Math.fround(-103.97207))), 0]);
    expect(run('log', [NaN, I, -I, 0, -0, -1, 1, 1.4e-45])).toEqual([NaN, I, NaN, -I, -I, NaN, 0, Math.fround(Math.log(Math.fround(1.4e-45)))]);
    const th = run('tanh', [NaN, I, -I, -0, 0, 1e-30]);
    expect(th).toEqual([NaN, 1, -1, -0, 0, Math.fround(1e-30)]);
    expect(Object.is(th[3], -0)).toBe(true);
    expect(run('sigmoid', [NaN, I, -I, 0, -200])).toEqual([NaN, 1, 0, 0.5, 0]);
    // gelu(-inf) is NaN: x/2 * erfc(-x/sqrt2) is -inf * 0 there, as in the scalar formula.
    expect(run('gelu', [NaN, I, -I, 0, -20, 1e30])).toEqual([NaN, I, NaN, 0, -0, Math.fround(1e30)]);
    expect(run('erf', [NaN, I, -I, 0, 10])).toEqual([NaN, 1, -1, 0, 1]);
    const em = run('expm1', [NaN, I, -I, -0, 1e-30, 89, -30]);
    expect(em).toEqual([NaN, I, -1, -0, Math.fround(1e-30), I, -1]);
    expect(Object.is(em[3], -0)).toBe(true);
    const lp = run('log1p', [NaN, I, -1, -2, -0, 1e-30]);
    expect(lp).toEqual([NaN, I, -I, NaN, -0, Math.fround(1e-30)]);
    expect(Object.is(lp[4], -0)).toBe(true);
  });

  it('gives strided views the same bits as contiguous tensors', () => {
    raw.setIsa!(isa);
    const r = rng(7);
    const x = tf.tensor(Float32Array.from({ length: 37 * 53 }, () => (r() - 0.5) * 20), { shape: [37, 53] });
    for (const name of ['exp', 'tanh', 'gelu', 'sigmoid'] as UnaryName[]) {
      const viaView = apply(name, x.t()).data();
      const viaCopy = apply(name, x.t().contiguous()).data();
      expect(Array.from(viaView)).toEqual(Array.from(viaCopy));
    }
  });

  it('sums columns, rows and whole tensors to float32 accuracy, independent of threads', () => {
    raw.setIsa!(isa);
    const r = rng(11);
    const rows = 1500, cols = 2500;
    const data = Float32Array.from({ length: rows * cols }, () => r() * 4 - 1);
    const x = tf.tensor(data, { shape: [rows, cols] });
    const colRef = new Float64Array(cols), rowRef = new Float64Array(rows);
    let total = 0;
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j];
        colRef[j] += v;
        rowRef[i] += v;
        total += v;
      }
    const close = (got: ArrayLike<number>, want: ArrayLike<number>, scale: number): void => {
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(2 ** -23 * scale);
    };
    const threads = tf.getNumThreads();
    const results: number[][] = [];
    for (const n of [1, Math.max(2, threads)]) {
      tf.setNumThreads(n);
      const cs = x.sum(0).data();
      close(cs, colRef, 1500);
      close(x.mean(0).data(), colRef.map((v) => v / rows), 1500 / rows);
      close(x.sum(1).data(), rowRef, 2500);
      const full = x.sum().item() as number;
      expect(Math.abs(full - total)).toBeLessThanOrEqual(2 ** -23 * Math.abs(total));
      results.push([full, ...Array.from(cs)]);
    }
    tf.setNumThreads(threads);
    // Deterministic combine: the same bits with one thread and several.
    expect(results[1]).toEqual(results[0]);
  });

  it('sums 4M float32 values (chunked, threaded) to float32 rounding', () => {
    raw.setIsa!(isa);
    const r = rng(3);
    const n = 4_000_003;
    const data = new Float32Array(n);
    let ref = 0;
    for (let i = 0; i < n; i++) {
      data[i] = r() + 0.5;
      ref += data[i];
    }
    const got = tf.tensor(data).sum().item() as number;
    expect(Math.abs(got - ref)).toBeLessThanOrEqual(0.5 * 2 ** -23 * ref + 2 ** -24 * ref);
  });

  it('softmax and logSoftmax rows match float64', () => {
    raw.setIsa!(isa);
    const r = rng(5);
    const rows = 64, cols = 1000;
    const data = Float32Array.from({ length: rows * cols }, () => (r() - 0.5) * 60);
    const x = tf.tensor(data, { shape: [rows, cols] });
    const sm = x.softmax(1).data(), lsm = x.logSoftmax(1).data();
    for (let i = 0; i < rows; i++) {
      let m = -Infinity;
      for (let j = 0; j < cols; j++) m = Math.max(m, data[i * cols + j]);
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(data[i * cols + j] - m);
      for (let j = 0; j < cols; j++) {
        const lw = data[i * cols + j] - m - Math.log(s);
        // float32 x - max already rounds by up to |x - max| * 2^-24 relative in
        // e^(x - max), so the bound grows with the distance from the row max.
        const tol = 2 ** -23 * (4 + Math.abs(data[i * cols + j] - m));
        expect(Math.abs(sm[i * cols + j] - Math.exp(lw))).toBeLessThanOrEqual(tol * Math.exp(lw));
        // x - lse with lse = max + log(sum) rounded to float32: half an ULP of
        // each term, plus the subtraction's.
        expect(Math.abs(lsm[i * cols + j] - lw)).toBeLessThanOrEqual(2 ** -23 * (1 + Math.abs(m) + Math.log(s) + Math.abs(lw)));
      }
    }
  });
});

afterAll(() => {
  // The measured table, for the performance note.
  console.log('max ULP vs float64 by ISA:\n' + JSON.stringify(maxUlp, null, 1));
});
