// The CUDA kernels, run through the g++ emulation build, compared op by op with
// the CPU backend (itself tested against float64 references) on seeded random
// inputs: tile edges (sizes that are not multiples of any tile or block),
// non-contiguous views (transposed, strided, offset) and broadcast (stride 0)
// inputs. Raw binding level: storages, views written into `meta`.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CPU_FILE = path.join(ROOT, 'build', 'Release', 'tensorforge.node');
const EMU_FILE = path.join(ROOT, 'build-cuda-emu', 'Release', 'tensorforge_cuda_emu.node');

const missing = !existsSync(CPU_FILE)
  ? 'CPU addon not built (npx node-gyp rebuild)'
  : !existsSync(EMU_FILE)
    ? 'CUDA emulator addon not built (npm run build:cuda-emu)'
    : '';
if (missing) console.log(`cuda-emu tests skipped: ${missing}`);

// dtype codes (native/common/dtype.h)
const F32 = 0, F64 = 1, I32 = 2, BOOL = 3;
type DT = 0 | 1 | 2 | 3;
type Arr = Float32Array | Float64Array | Int32Array | Uint8Array;
const ARR = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;

/** A view over a storage: shape, strides (elements) and offset. */
interface View {
  shape: number[];
  strides: number[];
  offset: number;
}
const contig = (shape: number[], offset = 0): View => {
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return { shape, strides, offset };
};
const view = (shape: number[], strides: number[], offset = 0): View => ({ shape, strides, offset });
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Elements a storage needs to hold view v. */
const extent = (v: View) => v.offset + 1 + v.shape.reduce((a, n, i) => a + (n - 1) * v.strides[i], 0);

// Seeded inputs (mulberry32), fresh for every call.
let seed = 0x5eed;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function data(dt: DT, n: number, lo = -3, hi = 3): Arr {
  const a = new ARR[dt](n);
  for (let i = 0; i < n; i++) {
    const u = lo + (hi - lo) * rand();
    a[i] = dt === BOOL ? (u > (lo + hi) / 2 ? 1 : 0) : dt === I32 ? Math.round(u) : u;
  }
  return a;
}

/** One addon plus the helpers to call it the way the TS layer will. */
class Dev {
  constructor(readonly name: string, readonly a: any) {}
  put(arr: Arr, dt: DT) {
    return this.a.fromTyped(arr, dt);
  }
  alloc(dt: DT, n: number, fillWith = 0) {
    const s = this.a.alloc(dt, n);
    this.call('fill', [s, fillWith], [contig([n])]);
    return s;
  }
  /** Calls fn with the views (then plain integers) written into meta. */
  call(fn: string, args: unknown[], views: View[], ints: number[] = []) {
    const m: Float64Array = this.a.meta;
    let p = 0;
    for (const v of views) {
      m[p++] = v.shape.length;
      m[p++] = v.offset;
      for (const n of v.shape) m[p++] = n;
      for (const s of v.strides) m[p++] = s;
    }
    for (const i of ints) m[p++] = i;
    // unary/binary take their numbers in `args` (a null operand as -1).
    if (fn === 'unary' || fn === 'binary') {
      this.a.args.set([...args.slice(0, 5).map((x) => (x === null ? -1 : x)), 0]);
      return this.a[fn](...args.slice(5));
    }
    return this.a[fn](...args);
  }
  get(s: unknown, v: View): Arr {
    return this.call('toTyped', [s], [v]);
  }
}

const cpu = existsSync(CPU_FILE) ? new Dev('cpu', require(CPU_FILE)) : null;
// Devices under test: the emulator, and the nvcc build when a real GPU is present.
const targets: Dev[] = [];
if (!missing) targets.push(new Dev('cuda-emu', require(EMU_FILE)));
const REAL_FILE = path.join(ROOT, 'build-cuda', 'Release', 'tensorforge_cuda.node');
const real = existsSync(REAL_FILE) ? require(REAL_FILE) : null;
if (cpu && real?.deviceInfo().available) targets.push(new Dev('cuda', real));
else console.log(`cuda (real GPU) comparison skipped: ${real ? real.deviceInfo().reason : 'build-cuda addon not built'}`);
let gpu: Dev; // the device the running suite compares with the CPU

/** Compares element by element; NaNs must match NaNs. */
function expectClose(got: Arr, want: Arr, what: string, rtol = 0, atol = 0) {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) expect.fail(`${what}: element ${i}: ${gpu.name} ${g} vs cpu ${w}`);
  }
}
const tolFor = (dt: DT, f32 = 1e-6, f64 = 1e-12): [number, number] =>
  dt === F32 ? [f32, f32] : dt === F64 ? [f64, f64] : [0, 0];

/**
 * Runs `run` on both devices with identical inputs and compares every array
 * it returns. `run` gets the device and must create all its storages there.
 */
function both(what: string, run: (d: Dev) => Arr[], rtol = 0, atol = 0) {
  const saved = seed;
  const want = run(cpu!);
  seed = saved; // the same random inputs again
  const got = run(gpu);
  want.forEach((w, i) => expectClose(got[i], w, `${what} [output ${i}]`, rtol, atol));
}

/** Storage for view v filled with random data (and the same on both devices). */
function input(d: Dev, dt: DT, v: View, lo?: number, hi?: number) {
  return d.put(data(dt, extent(v), lo, hi), dt);
}

// Views of a logical [4, 7, 5] tensor: contiguous, a permutation (non-contiguous,
// not collapsible), a strided slice with an offset, and a broadcast.
const SHAPE = [4, 7, 5];
const VIEWS: Record<string, View> = {
  contiguous: contig(SHAPE),
  transposed: view(SHAPE, [1, 20, 4]), // storage [7,5,4] permuted
  strided: view(SHAPE, [90, 12, 2], 3), // every other element, offset 3
  broadcast: view(SHAPE, [5, 0, 1]), // dim 1 broadcast
};

const UNARY: [string, number, 'F' | 'N' | 'B', number, number][] = [
  ['neg', 0, 'N', 0, 0], ['abs', 1, 'N', 0, 0], ['exp', 2, 'F', 0, 0], ['log', 3, 'F', 0, 0],
  ['log1p', 4, 'F', 0, 0], ['expm1', 5, 'F', 0, 0], ['sqrt', 6, 'F', 0, 0], ['rsqrt', 7, 'F', 0, 0],
  ['sin', 8, 'F', 0, 0], ['cos', 9, 'F', 0, 0], ['tanh', 10, 'F', 0, 0], ['sigmoid', 11, 'F', 0, 0],
  ['relu', 12, 'N', 0, 0], ['gelu', 13, 'F', 0, 0], ['sign', 14, 'N', 0, 0], ['floor', 15, 'N', 0, 0],
  ['ceil', 16, 'N', 0, 0], ['round', 17, 'N', 0, 0], ['clamp', 18, 'N', -1, 1.5], ['powScalar', 19, 'F', 2.5, 0],
  ['leakyRelu', 20, 'N', 0.1, 0], ['reciprocal', 21, 'F', 0, 0], ['square', 22, 'N', 0, 0], ['erf', 23, 'F', 0, 0],
  ['logicalNot', 24, 'B', 0, 0], ['isnan', 25, 'B', 0, 0], ['isinf', 26, 'B', 0, 0], ['mulAdd', 27, 'N', 2, -1],
];
const BINARY: [string, number, 'F' | 'N' | 'B'][] = [
  ['add', 0, 'N'], ['sub', 1, 'N'], ['mul', 2, 'N'], ['div', 3, 'F'], ['pow', 4, 'F'], ['maximum', 5, 'N'],
  ['minimum', 6, 'N'], ['eq', 7, 'B'], ['ne', 8, 'B'], ['lt', 9, 'B'], ['le', 10, 'B'], ['gt', 11, 'B'],
  ['ge', 12, 'B'], ['logicalAnd', 13, 'B'], ['logicalOr', 14, 'B'], ['reluBackward', 15, 'N'],
];
const dtypesFor = (kind: 'F' | 'N' | 'B'): DT[] => (kind === 'F' ? [F32, F64] : kind === 'N' ? [F32, I32] : [F32, I32, BOOL]);

// Keeps the file non-empty (and the skip visible) when nothing can run.
describe.skipIf(targets.length > 0)('CUDA kernels match the CPU backend', () => {
  it.skip(`skipped: ${missing}`, () => {});
});

for (const target of targets)
describe(`CUDA kernels (${target.name}) match the CPU backend`, () => {
  beforeAll(() => {
    gpu = target;
  });

  it('reports an available cuda device', () => {
    const e = gpu.a;
    expect(e.deviceInfo()).toEqual({ device: 'cuda', available: true, reason: null });
    expect(e.isEmulated()).toBe(gpu.name === 'cuda-emu');
    expect(e.deviceCount()).toBeGreaterThan(0);
    e.synchronize();
  });

  it("rejects the other addon's storage handles (CPU memory is not device memory)", () => {
    const e = gpu.a;
    const mine = e.alloc(F32, 4), theirs = cpu!.a.alloc(F32, 4);
    e.meta.set([1, 0, 4, 1, 1, 0, 4, 1, 1, 0, 4, 1]);
    e.args.set([0, mine, mine, theirs, 0, 0]);
    expect(() => e.binary()).toThrow(/add: second input must be a tensorforge storage handle/);
    cpu!.a.meta.set([1, 0, 4, 1, 1, 0, 4, 1, 1, 0, 4, 1]);
    cpu!.a.args.set([0, theirs, theirs, mine, 0, 0]);
    expect(() => cpu!.a.binary()).toThrow(TypeError);
    expect(() => cpu!.a.dispose(mine)).toThrow(TypeError);
  });

  it('round-trips data and copies views (cast/contiguous) of every dtype', () => {
    for (const dt of [F32, F64, I32, BOOL] as DT[])
      for (const [name, v] of Object.entries(VIEWS))
        both(`toTyped ${name} dt${dt}`, (d) => [d.get(input(d, dt, v), v)]);
  });

  it('fill', () => {
    for (const dt of [F32, F64, I32, BOOL] as DT[])
      both(`fill dt${dt}`, (d) => {
        const v = VIEWS.strided, s = input(d, dt, v);
        d.call('fill', [s, dt === BOOL ? 1 : -2.5], [v]);
        return [d.get(s, contig([extent(v)]))]; // untouched gaps must stay untouched
      });
  });

  it('unary ops, every op and dtype, on contiguous and non-contiguous views', () => {
    for (const [name, code, kind, p0, p1] of UNARY)
      for (const dt of dtypesFor(kind))
        for (const vn of ['contiguous', 'transposed', 'strided']) {
          const v = VIEWS[vn], out = contig(SHAPE);
          const odt = kind === 'B' ? BOOL : dt;
          both(`${name} dt${dt} ${vn}`, (d) => {
            const a = d.put(data(dt, extent(v), -4, 4), dt);
            const o = d.alloc(odt, numel(SHAPE));
            d.call('unary', [code, o, a, p0, p1], [out, v]);
            return [d.get(o, out)];
          }, ...tolFor(dt));
        }
  });

  it('unary ops on special values and on a long run (grid-stride loop)', () => {
    const special = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-30, -1e30, 0.5, -0.5, 2.5]);
    for (const [name, code, , p0, p1] of UNARY)
      both(`${name} special`, (d) => {
        const a = d.put(special, F32), o = d.alloc(code >= 24 && code <= 26 ? BOOL : F32, special.length);
        d.call('unary', [code, o, a, p0, p1], [contig([10]), contig([10])]);
        return [d.get(o, contig([10]))];
        // The CPU's float32 SIMD math is within 4 ULP of libm, which CUDA's functors use.
      }, ...tolFor(F32));
    const n = 5000; // > 4 blocks x 512 elements: each thread loops
    both('exp long', (d) => {
      const a = input(d, F32, contig([n])), o = d.alloc(F32, n);
      d.call('unary', [2, o, a, 0, 0], [contig([n]), contig([n])]);
      return [d.get(o, contig([n]))];
    }, ...tolFor(F32));
  });

  it('binary ops, every op and dtype, tensor-tensor with broadcast and tensor-scalar', () => {
    for (const [name, code, kind] of BINARY)
      for (const dt of dtypesFor(kind)) {
        const odt = kind === 'B' ? BOOL : dt;
        const out = contig(SHAPE);
        const pairs: [string, View, View][] = [
          ['transposed x broadcast', VIEWS.transposed, VIEWS.broadcast],
          ['strided x contiguous', VIEWS.strided, VIEWS.contiguous],
        ];
        // Small integer-valued inputs so eq/ne/le/ge see ties; positive for pow.
        const [lo, hi] = kind === 'F' ? [0.25, 3] : [-2, 2];
        for (const [pn, va, vb] of pairs)
          both(`${name} dt${dt} ${pn}`, (d) => {
            const a = d.put(data(dt, extent(va), lo, hi).map((x) => (kind === 'F' ? x : Math.round(x))) as Arr, dt);
            const b = d.put(data(dt, extent(vb), lo, hi).map((x) => (kind === 'F' ? x : Math.round(x))) as Arr, dt);
            const o = d.alloc(odt, numel(SHAPE));
            d.call('binary', [code, o, a, b, 0], [out, va, vb]);
            return [d.get(o, out)];
          }, ...tolFor(dt));
        both(`${name} dt${dt} scalar`, (d) => {
          const a = input(d, dt, VIEWS.strided, lo, hi), o = d.alloc(odt, numel(SHAPE));
          d.call('binary', [code, o, a, null, dt === BOOL ? 1 : 2], [out, VIEWS.strided]);
          return [d.get(o, out)];
        }, ...tolFor(dt));
      }
  });

  it('where with tensor and scalar branches, broadcast condition', () => {
    const out = contig(SHAPE);
    for (const dt of [F32, I32] as DT[]) {
      both(`where tensors dt${dt}`, (d) => {
        const c = input(d, BOOL, VIEWS.broadcast), a = input(d, dt, VIEWS.transposed), b = input(d, dt, VIEWS.strided);
        const o = d.alloc(dt, numel(SHAPE));
        d.call('where', [o, c, a, b, 0, 0], [out, VIEWS.broadcast, VIEWS.transposed, VIEWS.strided]);
        return [d.get(o, out)];
      });
      both(`where scalar/tensor dt${dt}`, (d) => {
        const c = input(d, BOOL, VIEWS.transposed), b = input(d, dt, VIEWS.broadcast);
        const o = d.alloc(dt, numel(SHAPE));
        d.call('where', [o, c, null, b, 7, 0], [out, VIEWS.transposed, VIEWS.broadcast]);
        const o2 = d.alloc(dt, numel(SHAPE));
        d.call('where', [o2, c, b, null, 0, -1], [out, VIEWS.transposed, VIEWS.broadcast]);
        return [d.get(o, out), d.get(o2, out)];
      });
    }
  });

  it('cast between every pair of dtypes, from non-contiguous views', () => {
    for (const from of [F32, F64, I32, BOOL] as DT[])
      for (const to of [F32, F64, I32, BOOL] as DT[])
        both(`cast ${from}->${to}`, (d) => {
          const a = input(d, from, VIEWS.transposed, -50, 50), o = d.alloc(to, numel(SHAPE));
          d.call('cast', [o, a], [contig(SHAPE), VIEWS.transposed]);
          return [d.get(o, contig(SHAPE))];
        });
  });

  it('random: the same Philox stream on both devices', () => {
    for (const dt of [F32, F64] as DT[])
      for (const [kind, p0, p1] of [[0, -1, 2], [1, 0.5, 2], [2, 0.3, 0]])
        both(`random kind${kind} dt${dt}`, (d) => {
          const n = 3001, o = d.alloc(dt, n + 5);
          d.call('random', [o, kind, 0x1234, 0xabcdef, 77, p0, p1], [contig([n], 5)]);
          return [d.get(o, contig([n], 5))];
        }, ...tolFor(dt, 1e-6, 1e-13));
  });

  it('reductions: every op over small, medium and large blocks, strided and int', () => {
    // The kernel gives each output a thread (<= 16 elements), a warp, or a block (> 4096).
    const cases: [string, View, number][] = [
      ['thread per output, transposed', view([6, 4, 3], [1, 18, 6]), 2],
      ['thread per output, strided', VIEWS.strided, 1],
      ['warp per output, broadcast', VIEWS.broadcast, 2],
      ['warp, everything of a transposed view', VIEWS.transposed, 3],
      ['block per output', contig([2, 5003]), 1],
    ];
    for (let op = 0; op <= 9; op++)
      for (const [cn, v, nred] of cases)
        for (const dt of (op === 1 || op >= 7 ? [F32, F64] : [F32, F64, I32]) as DT[]) {
          if (dt !== F32 && cn !== 'warp per output, broadcast') continue; // other dtypes: one shape is enough
          const oshape = v.shape.slice(0, v.shape.length - nred);
          const odt = op === 5 || op === 6 ? I32 : dt;
          both(`reduce op${op} ${cn} dt${dt}`, (d) => {
            // prod over thousands of elements: keep values near 1
            const a = op === 2 ? d.put(data(dt, extent(v), 0.999, 1.001), dt) : input(d, dt, v);
            const o = d.alloc(odt, numel(oshape));
            d.call('reduce', [op, o, a, nred, op === 7 ? 1 : 0], [contig(oshape), v]);
            return [d.get(o, contig(oshape))];
          }, ...tolFor(odt, 2e-6, 1e-12));
        }
  });

  it('reductions propagate NaN and pick the first index as the CPU does', () => {
    const x = new Float32Array(70).map((_, i) => [3, 1, 3, -2][i % 4]);
    x[45] = NaN;
    x[61] = NaN;
    for (const op of [3, 4, 5, 6, 8, 0])
      for (const nanRow of [true, false])
        both(`reduce op${op} nan=${nanRow}`, (d) => {
          const a = d.put(nanRow ? x : x.map((v) => (Number.isNaN(v) ? 3 : v)), F32);
          const o = d.alloc(op === 5 || op === 6 ? I32 : F32, 2);
          d.call('reduce', [op, o, a, 1, 0], [contig([2]), contig([2, 35])]);
          return [d.get(o, contig([2]))];
        }, 1e-6);
  });

  it('softmax and logSoftmax rows, strided input, -inf entries', () => {
    for (const dt of [F32, F64] as DT[])
      for (const log of [false, true])
        both(`softmax log=${log} dt${dt}`, (d) => {
          const v = view([9, 37], [1, 9]); // transposed input
          const raw = data(dt, extent(v), -5, 5);
          raw[3] = -Infinity;
          const a = d.put(raw, dt), o = d.alloc(dt, 9 * 37);
          d.call('softmax', [o, a, log], [contig([9, 37]), v]);
          const allInf = d.put(new ARR[dt](5).fill(-Infinity), dt), o2 = d.alloc(dt, 5);
          d.call('softmax', [o2, allInf, log], [contig([1, 5]), contig([1, 5])]);
          return [d.get(o, contig([9, 37])), d.get(o2, contig([5]))];
        }, ...tolFor(dt, 1e-6, 1e-13));
  });

  it('matmul at tile edges, batched, transposed, broadcast batch, bias+relu, split-K', () => {
    const cases: [string, number, number, number, number, boolean, boolean, boolean, boolean][] = [
      // name, B, M, N, K, transA, transB, bcastB, bias+relu
      ['edges', 1, 70, 65, 37, false, false, false, false],
      ['one row', 1, 1, 130, 9, false, true, false, true],
      ['batched transposed', 3, 33, 17, 29, true, true, false, false],
      ['broadcast b, bias relu', 2, 64, 64, 16, false, false, true, true],
      ['split-K weight grad', 1, 20, 18, 700, true, false, false, true],
      ['K=0 with bias', 1, 5, 6, 0, false, false, false, true],
    ];
    for (const [name, B, M, N, K, ta, tb, bb, epi] of cases)
      for (const dt of [F32, F64] as DT[])
        both(`matmul ${name} dt${dt}`, (d) => {
          const av = ta ? view([B, M, K], [M * K, 1, M]) : contig([B, M, K]);
          const bv = bb ? view([B, K, N], [0, tb ? 1 : N, tb ? K : 1]) : tb ? view([B, K, N], [K * N, 1, K]) : contig([B, K, N]);
          const a = input(d, dt, av), b = input(d, dt, bv), o = d.alloc(dt, B * M * N, NaN);
          const views = [contig([B, M, N]), av, bv];
          let bias = null;
          if (epi) {
            bias = input(d, dt, view([N], [2], 1)); // strided bias
            views.push(view([N], [2], 1));
          }
          d.call('matmul', [o, a, b, bias, epi ? 1 : 0], views);
          return [d.get(o, contig([B, M, N]))];
          // Summation order differs from the CPU GEMM: rounding grows like sqrt(K) * |a||b|.
        }, ...tolFor(dt, 1e-6 * 9 * Math.sqrt(K + 1), 1e-14 * 9 * Math.sqrt(K + 1)));
  });

  it('gather, indexSelect and scatterAdd (with collisions) on strided views', () => {
    for (const dt of [F32, I32] as DT[]) {
      both(`gather dt${dt}`, (d) => {
        const av = VIEWS.transposed, iv = contig([4, 9, 5]);
        const a = input(d, dt, av), ix = d.put(data(I32, numel(iv.shape), -0.49, 6.49), I32);
        const gv = view([4, 9, 5], [45, 5, 1]);
        const o = d.alloc(dt, 180);
        d.call('gather', [o, a, ix, 1], [gv, av, iv]);
        return [d.get(o, gv)];
      });
      both(`indexSelect dt${dt}`, (d) => {
        const av = VIEWS.strided, iv = view([6], [2], 1);
        const a = input(d, dt, av), ix = d.put(data(I32, 13, -0.49, 4.49), I32);
        const ov = contig([4, 7, 6].map((n, i) => (i === 2 ? 6 : n)));
        const o = d.alloc(dt, numel(ov.shape));
        d.call('indexSelect', [o, a, ix, 2], [ov, av, iv]);
        return [d.get(o, ov)];
      });
      both(`scatterAdd dt${dt}`, (d) => {
        const ov = VIEWS.strided, iv = contig([9, 7, 5]), sv = view([9, 7, 5], [1, 45, 9]);
        const o = input(d, dt, ov), ix = d.put(data(I32, numel(iv.shape), -0.49, 3.49), I32), s = input(d, dt, sv);
        d.call('scatterAdd', [o, ix, s, 0], [ov, iv, sv]);
        return [d.get(o, ov)];
      }, ...tolFor(dt, 1e-6));
    }
  });

  it('out-of-range indices and targets raise the same RangeError on both devices', () => {
    for (const dev of [cpu!, gpu]) {
      const a = dev.put(new Float32Array(12), F32), o = dev.alloc(F32, 12);
      const ix = dev.put(new Int32Array([0, 1, 2, 3, 2, 1, 0, 9, 1, 1, 1, -1]), I32);
      expect(() => dev.call('gather', [o, a, ix, 1], [contig([3, 4]), contig([3, 4]), contig([3, 4])]), dev.name).toThrow(
        new RangeError('gather: index 9 is out of range for a dimension of size 4'),
      );
      const x = dev.put(new Float32Array(6), F32), loss = dev.alloc(F32, 2), t = dev.put(new Int32Array([1, 3]), I32);
      expect(() => dev.call('crossEntropy', [loss, null, x, t, -100], [contig([2]), contig([2, 3]), contig([2])])).toThrow(
        new RangeError('crossEntropy: target 3 at position 1 is out of range for 3 classes'),
      );
      expect(() => dev.call('unary', [2, o, {}, 0, 0], [contig([12]), contig([12])])).toThrow(TypeError);
      // maxPool2dBackward: 2x2 windows over [1, 1, 2, 4] -> [1, 1, 1, 2]; index 8 is outside the 8-pixel plane.
      const dx = dev.alloc(F32, 8), gy = dev.put(new Float32Array([1, 2]), F32), pg = [2, 2, 2, 2, 0, 0, 1, 1];
      const xs = contig([1, 1, 2, 4]), ys = contig([1, 1, 1, 2]);
      expect(() => dev.call('maxpool2dBackward', [dx, gy, dev.put(new Int32Array([5, 8]), I32)], [xs, ys, ys], pg)).toThrow(
        new RangeError('maxPool2dBackward: index 8 is out of range for a plane of 8 elements'),
      );
      expect(() => dev.call('maxpool2dBackward', [dx, gy, dev.put(new Int32Array([5, 1]), I32)], [xs, contig([1, 2, 1, 1]), ys], pg)).toThrow(
        new RangeError('maxPool2dBackward: output gradient shape [1,2,1,1] does not match the geometry for input [1,1,2,4]'),
      );
      expect(() => dev.call('maxpool2dBackward', [dx, gy, gy], [xs, ys, ys], pg)).toThrow(/maxPool2dBackward: indices must be int32/);
      // N and C strides are free, but planes must be contiguous, and written planes disjoint.
      const ok = dev.put(new Int32Array([0, 1]), I32);
      expect(() => dev.call('maxpool2dBackward', [dx, gy, ok], [view([1, 1, 2, 4], [8, 8, 1, 2]), ys, ys], pg)).toThrow(
        /maxPool2dBackward: input gradient must have contiguous H\*W planes/,
      );
      const g2 = dev.put(new Float32Array([1, 2]), F32), i2 = dev.put(new Int32Array([0, 0]), I32);
      expect(() => dev.call('maxpool2dBackward', [dx, g2, i2], [view([1, 2, 2, 2], [8, 0, 2, 1]), contig([1, 2, 1, 1]), contig([1, 2, 1, 1])], pg)).toThrow(
        /maxPool2dBackward: input gradient planes overlap/,
      );
      // Columns stored neither [N, K, L] nor [K, N, L].
      const col = dev.alloc(F32, 8), img = dev.alloc(F32, 8);
      expect(() => dev.call('im2col', [col, img], [view([1, 2, 4], [8, 1, 2]), xs], [2, 1, 1, 1, 0, 0, 1, 1])).toThrow(
        /im2col: columns \[1,2,4\] must be stored as \[N, K, L\] or \[K, N, L\], got strides \[8,1,2\]/,
      );
    }
  });

  it('im2col, col2im and maxPool2d with stride, padding and dilation', () => {
    const N = 2, C = 3, H = 9, W = 7, KH = 3, KW = 2, SH = 2, SW = 1, PH = 1, PW = 2, DH = 2, DW = 3;
    const OH = Math.floor((H + 2 * PH - DH * (KH - 1) - 1) / SH) + 1, OW = Math.floor((W + 2 * PW - DW * (KW - 1) - 1) / SW) + 1;
    const geom = [KH, KW, SH, SW, PH, PW, DH, DW];
    const xv = contig([N, C, H, W]), cv = contig([N, C * KH * KW, OH * OW]);
    for (const dt of [F32, F64] as DT[]) {
      both(`im2col dt${dt}`, (d) => {
        const x = input(d, dt, xv), col = d.alloc(dt, numel(cv.shape), NaN);
        d.call('im2col', [col, x], [cv, xv], geom);
        return [d.get(col, cv)];
      });
      both(`col2im dt${dt}`, (d) => {
        const x = input(d, dt, xv), col = input(d, dt, cv); // accumulates into x's current values
        d.call('col2im', [x, col], [xv, cv], geom);
        return [d.get(x, xv)];
      });
      // The columns stored [K, N, L] (conv2d's one-GEMM layout), read and written through the strided view.
      const kv = view(cv.shape, [OH * OW, N * OH * OW, 1]);
      both(`im2col [K, N, L] dt${dt}`, (d) => {
        const x = input(d, dt, xv), col = d.alloc(dt, numel(cv.shape), NaN);
        d.call('im2col', [col, x], [kv, xv], geom);
        return [d.get(col, contig([C * KH * KW, N, OH * OW]))];
      });
      both(`col2im [K, N, L] dt${dt}`, (d) => {
        const x = input(d, dt, xv), col = input(d, dt, kv);
        d.call('col2im', [x, col], [xv, kv], geom);
        return [d.get(x, xv)];
      });
      both(`maxPool2dBackward with overlapping windows dt${dt}`, (d) => {
        // 3x2 windows at stride 1: up to 6 gradients land on one pixel, in output order.
        const pg = [3, 2, 1, 1, 1, 1, 1, 1];
        const ph = H + 2 - 3 + 1, pw = W + 2 - 2 + 1;
        const ov = contig([N, C, ph, pw]), x = input(d, dt, xv);
        const o = d.alloc(dt, numel(ov.shape)), ind = d.alloc(I32, numel(ov.shape)), gy = input(d, dt, ov);
        d.call('maxpool2d', [o, ind, x], [ov, ov, xv], pg);
        const dx = d.alloc(dt, numel(xv.shape), NaN); // fully overwritten
        d.call('maxpool2dBackward', [dx, gy, ind], [xv, ov, ov], pg);
        return [d.get(dx, xv)];
      });
      both(`maxPool2dBackward 2x2 with indices outside their windows dt${dt}`, (d) => {
        // Valid plane indices that point into other windows: the CPU's dense
        // 2x2 adjoint must hand these planes to the general scatter.
        const pg = [2, 2, 2, 2, 0, 0, 1, 1], ph = Math.floor(H / 2), pw = Math.floor(W / 2);
        const ov = contig([N, C, ph, pw]), gy = input(d, dt, ov);
        const ix = new Int32Array(numel(ov.shape)).map((_, i) => (i * 7) % (H * W));
        const dx = d.alloc(dt, numel(xv.shape), NaN); // fully overwritten
        d.call('maxpool2dBackward', [dx, gy, d.put(ix, I32)], [xv, ov, ov], pg);
        return [d.get(dx, xv)];
      });
      both(`maxPool2d dt${dt}`, (d) => {
        const raw = data(dt, numel(xv.shape));
        raw[10] = NaN;
        const x = d.put(raw, dt), pg = [3, 2, 2, 2, 1, 1, 1, 1];
        const ph = Math.floor((H + 2 - 2 - 1) / 2) + 1, pw = Math.floor((W + 2 - 1 - 1) / 2) + 1;
        const ov = contig([N, C, ph, pw]), o = d.alloc(dt, numel(ov.shape)), ind = d.alloc(I32, numel(ov.shape));
        d.call('maxpool2d', [o, ind, x], [ov, ov, xv], pg);
        return [d.get(o, ov), d.get(ind, ov)];
      });
    }
  });

  it('fused optimizer steps (adam/adamw/amsgrad, sgd nesterov, rmsprop centered, adagrad)', () => {
    const n = 1100, v = contig([n]);
    for (const dt of [F32, F64] as DT[]) {
      const t = tolFor(dt, 1e-6, 1e-13);
      for (const [decoupled, ams] of [[false, false], [true, true]])
        both(`adam decoupled=${decoupled} amsgrad=${ams} dt${dt}`, (d) => {
          const p = input(d, dt, v), g = input(d, dt, v), m = input(d, dt, v), vv = input(d, dt, v, 0, 1);
          const vmax = ams ? input(d, dt, v, 0, 1) : null;
          const views = ams ? [v, v, v, v, v] : [v, v, v, v];
          d.call('adamStep', [p, g, m, vv, vmax, 1e-2, 0.9, 0.999, 1e-8, 0.01, 0.1, 0.002, decoupled, ams], views);
          return [d.get(p, v), d.get(m, v), d.get(vv, v), ...(vmax ? [d.get(vmax, v)] : [])];
        }, ...t);
      both(`sgd dt${dt}`, (d) => {
        const p = input(d, dt, v), g = input(d, dt, v), buf = input(d, dt, v);
        d.call('sgdStep', [p, g, buf, 0.1, 0.9, 0.1, 1e-3, true, false], [v, v, v]);
        return [d.get(p, v), d.get(buf, v)];
      }, ...t);
      both(`rmsprop dt${dt}`, (d) => {
        const p = input(d, dt, v), g = input(d, dt, v), sq = input(d, dt, v, 1, 2), buf = input(d, dt, v), ga = input(d, dt, v, -0.5, 0.5);
        d.call('rmspropStep', [p, g, sq, buf, ga, 0.01, 0.99, 1e-8, 1e-3, 0.9, true], [v, v, v, v, v]);
        return [d.get(p, v), d.get(sq, v), d.get(buf, v), d.get(ga, v)];
      }, ...t);
      both(`adagrad dt${dt}`, (d) => {
        const p = input(d, dt, v), g = input(d, dt, v), s = input(d, dt, v, 0, 1);
        d.call('adagradStep', [p, g, s, 0.1, 1e-10, 1e-2], [v, v, v]);
        return [d.get(p, v), d.get(s, v)];
      }, ...t);
    }
  });

  it('cross-entropy loss and gradient with an ignored target', () => {
    for (const dt of [F32, F64] as DT[])
      both(`crossEntropy dt${dt}`, (d) => {
        const N = 13, C = 11, xv = contig([N, C]);
        const x = input(d, dt, xv, -6, 6);
        const tgt = d.put(new Int32Array(N).map((_, i) => (i === 4 ? -100 : (i * 7) % C)), I32);
        const loss = d.alloc(dt, N), grad = d.alloc(dt, N * C);
        d.call('crossEntropy', [loss, grad, x, tgt, -100], [contig([N]), xv, xv, contig([N])]);
        return [d.get(loss, contig([N])), d.get(grad, xv)];
      }, ...tolFor(dt, 1e-6, 1e-12));
  });

  it('caching allocator: freed blocks are cached, reused, and released by emptyCache', () => {
    // Finalizers of earlier tests' storages may run at any allocation and add
    // to the cache, so cache sizes are checked as bounds.
    const e = gpu.a;
    e.emptyCache();
    const before = e.memoryStats();
    const s = e.alloc(F32, 1000);
    const during = e.memoryStats();
    expect(during.liveBytes - before.liveBytes).toBeLessThanOrEqual(4000);
    expect(during.peakBytes).toBeGreaterThanOrEqual(during.liveBytes);
    expect(during.allocations).toBe(before.allocations + 1);
    e.dispose(s);
    const after = e.memoryStats();
    expect(after.cachedBytes).toBeGreaterThanOrEqual(4096); // rounded up to 512 bytes and kept
    const s2 = e.alloc(F32, 1010); // same size class: served from the cache
    expect(e.memoryStats().cachedBytes).toBeLessThanOrEqual(after.cachedBytes - 4096);
    e.dispose(s2);
    e.emptyCache();
    expect(e.memoryStats().cachedBytes).toBe(0);
  });
});
