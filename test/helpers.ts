// Test-side float64 references: plain JS arrays, independent of the library.
import { expect } from 'vitest';
import { Tensor, tensor } from '../src/index';

/** Deterministic PRNG for test inputs (mulberry32), independent of our Philox. */
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

/** A float64 n-d array: shape + row-major values. */
export interface Nd {
  shape: number[];
  data: number[];
}

export const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function randNd(shape: number[], r: () => number, lo = -2, hi = 2): Nd {
  return { shape, data: Array.from({ length: numel(shape) }, () => lo + (hi - lo) * r()) };
}

/** Reads a tensor into an Nd (float64 numbers). */
export function nd(t: Tensor): Nd {
  return { shape: t.shape.slice(), data: Array.from(t.data() as ArrayLike<number>, Number) };
}

/** Builds a tensor from an Nd. */
export function fromNd(x: Nd, dtype: 'float32' | 'float64' | 'int32' = 'float32'): Tensor {
  const arr = dtype === 'float64' ? Float64Array.from(x.data) : dtype === 'int32' ? Int32Array.from(x.data) : Float32Array.from(x.data);
  return tensor(arr, { shape: x.shape });
}

function stridesOf(shape: readonly number[]): number[] {
  const st: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/** Value of x at a multi-index broadcast into `shape` (right-aligned). */
function atBroadcast(x: Nd, idx: number[]): number {
  const lead = idx.length - x.shape.length;
  const st = stridesOf(x.shape);
  let off = 0;
  for (let i = 0; i < x.shape.length; i++) off += (x.shape[i] === 1 ? 0 : idx[i + lead]) * st[i];
  return x.data[off];
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[i - n + a.length] ?? 1;
    const y = b[i - n + b.length] ?? 1;
    return x === 1 ? y : x;
  });
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

export function map1(x: Nd, f: (v: number) => number): Nd {
  return { shape: x.shape.slice(), data: x.data.map(f) };
}

export function map2(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  const n = numel(shape);
  const data = new Array(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(atBroadcast(a, idx), atBroadcast(b, idx));
  }
  return { shape, data };
}

/** Reduces `dims` of x with f over the list of values. */
export function reduceNd(x: Nd, dims: number[], keepdim: boolean, f: (vals: number[]) => number): Nd {
  const outShapeKeep = x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
  const groups = new Map<number, number[]>();
  const keepSt = stridesOf(outShapeKeep);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    let o = 0;
    for (let d = 0; d < idx.length; d++) if (!dims.includes(d)) o += idx[d] * keepSt[d];
    if (!groups.has(o)) groups.set(o, []);
    groups.get(o)!.push(x.data[i]);
  }
  const n = numel(outShapeKeep);
  const data = Array.from({ length: n }, (_, o) => f(groups.get(o) ?? []));
  return { shape: keepdim ? outShapeKeep : x.shape.filter((_, i) => !dims.includes(i)), data };
}

/** Permutes an Nd (reference transpose). */
export function permuteNd(x: Nd, perm: number[]): Nd {
  const shape = perm.map((p) => x.shape[p]);
  const st = stridesOf(x.shape);
  const data = Array.from({ length: x.data.length }, (_, i) => {
    const idx = unravel(i, shape);
    let off = 0;
    for (let d = 0; d < perm.length; d++) off += idx[d] * st[perm[d]];
    return x.data[off];
  });
  return { shape, data };
}

/** Asserts values match within atol + rtol*|expected|, NaN matching NaN and infinities exactly. */
export function expectClose(actual: Nd | Tensor, expected: Nd, rtol = 1e-5, atol = 1e-6): void {
  const a = actual instanceof Tensor ? nd(actual) : actual;
  expect(a.shape).toEqual(expected.shape);
  for (let i = 0; i < expected.data.length; i++) {
    const x = a.data[i];
    const y = expected.data[i];
    if (Number.isNaN(y)) {
      if (!Number.isNaN(x)) throw new Error(`element ${i}: expected NaN, got ${x}`);
      continue;
    }
    if (!Number.isFinite(y)) {
      if (x !== y) throw new Error(`element ${i}: expected ${y}, got ${x}`);
      continue;
    }
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      throw new Error(`element ${i} of shape [${expected.shape}]: expected ${y}, got ${x} (|diff| ${Math.abs(x - y)})`);
    }
  }
}

/** Rounds to float32 (what a float32 tensor holds). */
export const f32 = (v: number): number => Math.fround(v);
