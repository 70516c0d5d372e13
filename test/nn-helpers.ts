/** Shared helpers for the nn tests: seeded float64 data and plain-JS comparisons. */
import { expect } from 'vitest';
import { tensor, type Tensor } from '../src/index';

/** A small seeded PRNG (mulberry32), independent of the library's generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [-1, 1) as a flat Float64Array. */
export function randArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** A float64 tensor of `shape` with seeded uniform values. */
export function rt(shape: number[], seed: number, opts: { requiresGrad?: boolean; lo?: number; hi?: number } = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(randArray(n, seed, opts.lo, opts.hi), { shape, dtype: 'float64', requiresGrad: opts.requiresGrad ?? false });
}

/** Asserts every element of `actual` is within atol + rtol*|expected|. */
export function expectClose(actual: Tensor | ArrayLike<number | boolean>, expected: ArrayLike<number>, atol = 1e-9, rtol = 1e-7): void {
  const raw = 'data' in actual && typeof actual.data === 'function' ? (actual as Tensor).data() : (actual as ArrayLike<number | boolean>);
  const a = Array.from(raw as ArrayLike<number | boolean>, Number);
  expect(a.length).toBe(expected.length);
  for (let i = 0; i < a.length; i++) {
    const e = expected[i];
    if (!(Math.abs(a[i] - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`element ${i}: got ${a[i]}, expected ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}
