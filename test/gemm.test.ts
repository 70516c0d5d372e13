// The CPU GEMM through the raw addon, for every ISA variant this machine can
// run, float32 and float64, against a float64 reference computed here. Shapes
// are chosen to cross every register tile (14x32, 6x16, 6x8), cache block
// (KC 192/256/384, NC 128..448 in equal blocks, MC 3066/4080) and code path (A read in place
// row-major or transposed, A packed when no stride is 1, B read in place for
// few rows or packed, B transposed through the in-register transposes, the
// thread grid split over M or over N, batches run one GEMM per thread).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Seeded PRNG for test inputs (mulberry32): fresh values per case, reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const tf: any = require(join(__dirname, '..', 'build', 'Release', 'tensorforge.node'));

const F32 = 0;
const F64 = 1;

// How an operand's [batch, rows, cols] view is laid out in its storage.
// row: row-major; col: transposed (column-major); strided: no unit stride (packed path).
type Layout = 'row' | 'col' | 'strided';

interface Operand {
  shape: [number, number, number];
  offset: number;
  strides: [number, number, number];
  values: Float64Array; // what the storage holds, exactly as stored (rounded to dtype)
  storage: unknown;
}

function operand(dtype: number, b: number, r: number, c: number, layout: Layout, broadcast: boolean, rand: () => number): Operand {
  const offset = 3; // views never start at element 0 in practice
  let rs: number, cs: number, size: number;
  if (layout === 'row') [rs, cs, size] = [c, 1, r * c];
  else if (layout === 'col') [rs, cs, size] = [1, r, r * c];
  else [rs, cs, size] = [2 * c + 3, 2, (r - 1) * (2 * c + 3) + (c - 1) * 2 + 1];
  size = Math.max(size, 1);
  const bs = broadcast ? 0 : size + 5;
  const n = offset + (broadcast ? 1 : b) * (size + 5);
  const Arr = dtype === F32 ? Float32Array : Float64Array;
  const data = new Arr(n);
  for (let i = 0; i < n; i++) data[i] = 2 * rand() - 1;
  return { shape: [b, r, c], offset, strides: [bs, rs, cs], values: Float64Array.from(data), storage: tf.fromTyped(data, dtype) };
}

function putView(p: number, shape: number[], offset: number, strides: number[]): number {
  const m: Float64Array = tf.meta;
  m[p++] = shape.length;
  m[p++] = offset;
  for (const s of shape) m[p++] = s;
  for (const s of strides) m[p++] = s;
  return p;
}

interface Case {
  B?: number;
  M: number;
  N: number;
  K: number;
  la?: Layout;
  lb?: Layout;
  bcastA?: boolean;
  bcastB?: boolean;
  bias?: 'contig' | 'strided' | 'scalar';
  relu?: boolean;
}

function check(dtype: number, cs: Case, seed: number): void {
  const rand = rng(seed);
  const { M, N, K } = cs;
  const B = cs.B ?? 1;
  const A = operand(dtype, B, M, K, cs.la ?? 'row', !!cs.bcastA, rand);
  const Bm = operand(dtype, B, K, N, cs.lb ?? 'row', !!cs.bcastB, rand);
  const Arr = dtype === F32 ? Float32Array : Float64Array;
  let bias: { storage: unknown; values: Float64Array; stride: number } | null = null;
  if (cs.bias) {
    const stride = cs.bias === 'contig' ? 1 : cs.bias === 'strided' ? 3 : 0;
    const data = new Arr(Math.max(1, (N - 1) * stride + 1) + 2);
    for (let i = 0; i < data.length; i++) data[i] = 2 * rand() - 1;
    bias = { storage: tf.fromTyped(data, dtype), values: Float64Array.from(data), stride };
  }
  const out = tf.alloc(dtype, Math.max(1, B * M * N));
  // Poison the output: the GEMM must overwrite it, never accumulate into it.
  putView(0, [Math.max(1, B * M * N)], 0, [1]);
  tf.fill(out, Number.NaN);

  let p = putView(0, [B, M, N], 0, [M * N, N, 1]);
  p = putView(p, A.shape, A.offset, A.strides);
  p = putView(p, Bm.shape, Bm.offset, Bm.strides);
  if (bias) putView(p, [N], 1, [bias.stride]);
  tf.matmul(out, A.storage, Bm.storage, bias ? bias.storage : null, cs.relu ? 1 : 0);
  putView(0, [B * M * N], 0, [1]);
  const got: ArrayLike<number> = B * M * N ? tf.toTyped(out) : [];

  // Rounding error of a K-term dot product is bounded by ~K*u*sum|a||b|; the
  // factor 2 and the +2 leave room for the bias add and blocked summation.
  const u = dtype === F32 ? 2 ** -24 : 2 ** -53;
  const at = (o: Operand, b: number, i: number, j: number) =>
    o.values[o.offset + b * o.strides[0] + i * o.strides[1] + j * o.strides[2]];
  let worst = 0;
  let where = '';
  for (let b = 0; b < B; b++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        let mag = 0;
        for (let k = 0; k < K; k++) {
          const x = at(A, b, i, k) * at(Bm, b, k, j);
          s += x;
          mag += Math.abs(x);
        }
        if (bias) {
          const bv = bias.values[1 + j * bias.stride];
          s += bv;
          mag += Math.abs(bv);
        }
        if (cs.relu) s = Math.max(0, s);
        const g = got[(b * M + i) * N + j];
        const err = Math.abs(g - s) / (2 * (K + 2) * u * mag + Number.MIN_VALUE);
        if (!(err <= worst)) {
          worst = Number.isNaN(err) ? Infinity : err;
          where = `[${b},${i},${j}] got ${g} want ${s}`;
        }
      }
  expect(worst, `${JSON.stringify(cs)} worst at ${where}`).toBeLessThanOrEqual(1);
}

const cases: Case[] = [
  // tiny and degenerate
  { M: 1, N: 1, K: 1 },
  { M: 2, N: 3, K: 4 },
  { M: 5, N: 7, K: 0 },
  { M: 5, N: 7, K: 0, bias: 'contig', relu: true },
  { M: 1, N: 300, K: 50 },
  { M: 300, N: 1, K: 50 },
  { M: 1, N: 1, K: 1000 },
  { M: 37, N: 53, K: 71 },
  // register-tile edges: MR 6/14, NR 8/16/32 (+-1)
  { M: 13, N: 31, K: 9 },
  { M: 14, N: 32, K: 9 },
  { M: 15, N: 33, K: 9 },
  { M: 29, N: 65, K: 5 },
  { M: 6, N: 16, K: 17 },
  { M: 7, N: 17, K: 17 },
  { M: 5, N: 15, K: 17 },
  // edge slivers run a kernel of the fewest even row count >= the rows left
  // (14-row tiles: 64 = 4x14 + 8, 100 = 7x14 + 2; 6-row tiles: 64 = 10x6 + 4)
  { M: 64, N: 45, K: 29, bias: 'contig', relu: true },
  { M: 100, N: 20, K: 31, la: 'col' },
  { M: 17, N: 33, K: 40 },
  { M: 19, N: 70, K: 12, la: 'strided', bias: 'strided' },
  { M: 25, N: 9, K: 50, lb: 'col' },
  { M: 27, N: 35, K: 8, relu: true },
  { M: 23, N: 48, K: 16, la: 'col', lb: 'col' },
  // KC edges (192, 256, 384 and past)
  { M: 20, N: 40, K: 193 },
  { M: 20, N: 40, K: 257 },
  { M: 20, N: 40, K: 385 },
  { M: 9, N: 21, K: 800, bias: 'contig', relu: true },
  // NC edges (B read in place for few rows, packed for many)
  { M: 3, N: 520, K: 7 },
  { M: 150, N: 530, K: 11 },
  { M: 150, N: 530, K: 11, lb: 'col' },
  // several NC blocks in one tile, cut into equal widths (1000 -> 352+352+296)
  { M: 40, N: 1000, K: 11 },
  { M: 40, N: 1000, K: 11, lb: 'col', bias: 'contig', relu: true },
  // MC edges (3066, 4080), A packed and in place
  { M: 4100, N: 5, K: 3 },
  { M: 4100, N: 5, K: 3, la: 'strided' },
  // transposed and strided operands
  { M: 37, N: 53, K: 71, la: 'col' },
  { M: 37, N: 53, K: 71, lb: 'col' },
  { M: 37, N: 53, K: 71, la: 'col', lb: 'col' },
  { M: 37, N: 53, K: 71, la: 'strided', lb: 'strided' },
  { M: 37, N: 53, K: 71, la: 'strided', lb: 'col' },
  { M: 130, N: 67, K: 45, la: 'row', lb: 'strided' },
  // row-major A whose rows alias in L1 (4 KB stride) and a long transposed A: both packed
  { M: 20, N: 40, K: 1024 },
  { M: 30, N: 20, K: 300, la: 'col' },
  // big enough for the thread grid: split over N (few rows) and over M
  { M: 100, N: 600, K: 80, bias: 'contig', relu: true },
  { M: 600, N: 100, K: 80, la: 'col' },
  { M: 100, N: 300, K: 200, lb: 'col', bias: 'strided' },
  // few tiles over a long K (conv1's weight gradient): K is split across threads
  // and summed; a narrow transposed B packs through the register transpose
  { M: 32, N: 10, K: 20000, lb: 'col', bias: 'contig', relu: true },
  { M: 20, N: 27, K: 4100, la: 'col', lb: 'col' },
  // MLP-shaped (scaled down in K to keep the reference fast)
  { M: 100, N: 500, K: 64, bias: 'contig', relu: true },
  { M: 100, N: 10, K: 500 },
  { M: 500, N: 10, K: 100, la: 'col' },
  { M: 100, N: 500, K: 10, lb: 'col' },
  // epilogue variants
  { M: 17, N: 45, K: 33, bias: 'scalar' },
  { M: 17, N: 45, K: 33, bias: 'strided', relu: true },
  { M: 17, N: 45, K: 33, relu: true },
  // batched, with stride-0 broadcast of either operand
  { B: 3, M: 20, N: 35, K: 19 },
  { B: 3, M: 20, N: 35, K: 19, bcastA: true },
  { B: 4, M: 20, N: 35, K: 19, bcastB: true, lb: 'col', bias: 'contig' },
  { B: 2, M: 70, N: 300, K: 120, bcastB: true },
  { B: 2, M: 0, N: 4, K: 3 },
  // enough small GEMMs that matmul runs one per pool thread (nested parallel_for)
  { B: 130, M: 32, N: 32, K: 32, bias: 'contig', relu: true },
];

const isas: string[] = tf.supportedIsas();

describe.each(isas)('gemm on %s', (isa) => {
  for (const [dtype, name] of [
    [F32, 'float32'],
    [F64, 'float64'],
  ] as const) {
    it(`${name}: all shapes, layouts and epilogues match a float64 reference`, () => {
      expect(tf.setIsa(isa)).toBe(true);
      expect(tf.getIsa()).toBe(isa);
      cases.forEach((cs, i) => check(dtype, cs, 1000 * dtype + i + 1));
    });
  }
  it('thread count does not change results beyond rounding', () => {
    tf.setIsa(isa);
    const before = tf.getNumThreads();
    try {
      tf.setNumThreads(1);
      check(F32, { M: 100, N: 600, K: 80, bias: 'contig', relu: true }, 77);
      tf.setNumThreads(3);
      check(F32, { M: 600, N: 100, K: 80, la: 'col' }, 78);
      check(F32, { M: 100, N: 600, K: 80, lb: 'col' }, 79);
      check(F32, { M: 32, N: 10, K: 20000, lb: 'col', bias: 'strided', relu: true }, 80);
    } finally {
      tf.setNumThreads(before);
    }
  });
});

it('fmaPeak reports a positive rate for the best ISA', () => {
  const best = isas[isas.length - 1];
  if (best === 'generic') return;
  const r = tf.fmaPeak(best, 1, 1000);
  expect(r.flops).toBeGreaterThan(0);
  expect(r.seconds).toBeGreaterThan(0);
  expect(r.threads).toBe(1);
});
