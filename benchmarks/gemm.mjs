// GEMM benchmark over the raw addon: the machine's float32 FMA peak (a native
// loop of independent FMAs, 1 thread and all threads), then GFLOP/s and % of
// that peak for square sizes and the MNIST-MLP products (forward and backward,
// transposed operands passed as strides, as autograd does), per ISA variant.
//
//   node benchmarks/gemm.mjs [--quick] [--isa avx512,avx2,generic] [--threads N]
//                            [--f64] [--addon path/to/tensorforge.node] [--json out.json]
//                            [--openblas [--rounds R]]
//
// --openblas adds numpy's matmul (OpenBLAS) on the same shapes and thread
// count, measured by a python3 child in the same run, when numpy is
// installed: ours and numpy take turns case by case for R rounds (default 3),
// and the table says in how many rounds ours was at least as fast and gives
// the median of ours / numpy over the rounds.
// Timings are best-of-N (the machine is shared: compare ratios within a run).
// TENSORFORGE_GEMM_PACK=always|never forces the packing paths for comparison.
//
// benchmarks/run.mjs imports fmaPeakGflops, timeBest and gemmCases from here;
// the CLI below runs only when this file is the entry point.
import { createRequire } from 'node:module';
import { realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { findPython, pythonChild } from './python.mjs';

/**
 * Best float32 FMA rate in GFLOP/s of `reps` runs of the addon's native FMA
 * loop (`fmaPeak`) for one ISA and thread count; NaN when the addon has none.
 */
export function fmaPeakGflops(addon, isa, threads, { quick = false } = {}) {
  if (!addon.fmaPeak) return NaN;
  let best = 0;
  const iters = quick ? 2e6 : 1e7;
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    const o = addon.fmaPeak(isa, threads, iters);
    best = Math.max(best, o.flops / o.seconds / 1e9);
  }
  return best;
}

/**
 * Times `fn` best-of-N after one warm-up call: repeats until `budget` seconds
 * are spent and at least `minReps` runs are done (at most 10000).
 * @returns `{ gflops, us }` for `flops` floating-point operations per call.
 */
export function timeBest(fn, flops, { budget = 0.3, minReps = 5 } = {}) {
  fn();
  let best = Infinity, total = 0, reps = 0;
  while ((total < budget || reps < minReps) && reps < 10000) {
    const t0 = process.hrtime.bigint();
    fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, dt);
    total += dt;
    reps++;
  }
  return { gflops: flops / best / 1e9, us: best * 1e6 };
}

/**
 * The benchmarked products C[M,N] = op(A)[M,K] · op(B)[K,N]: the squares, then
 * the MNIST-MLP forward products and their backward products; ta/tb mark an
 * operand stored transposed (a transposed view), bias a fused bias+ReLU.
 */
export function gemmCases(squares) {
  return [
    ...squares.map((n) => ({ name: `square ${n}`, M: n, N: n, K: n })),
    { name: 'mlp fc1  X·W1+b,relu 100x784·784x500', M: 100, N: 500, K: 784, bias: true },
    { name: 'mlp fc2  H·W2        100x500·500x10', M: 100, N: 10, K: 500 },
    { name: 'bwd dW2  Hᵀ·dY       500x100·100x10', M: 500, N: 10, K: 100, ta: true },
    { name: 'bwd dH   dY·W2ᵀ      100x10·10x500', M: 100, N: 500, K: 10, tb: true },
    { name: 'bwd dW1  Xᵀ·dH       784x100·100x500', M: 784, N: 500, K: 100, ta: true },
    { name: 'bwd dX   dH·W1ᵀ      100x500·500x784', M: 100, N: 784, K: 500, tb: true },
  ];
}

/**
 * Writes a view into the addon's meta array as the binding reads it,
 * `[ndim, offset = 0, shape..., strides...]`, starting at `p`.
 * @returns the index after it, where the next view goes.
 */
export function putView(m, p, shape, strides) {
  m[p++] = shape.length;
  m[p++] = 0;
  for (const s of shape) m[p++] = s;
  for (const s of strides) m[p++] = s;
  return p;
}

/** The median of `xs` (the mean of the middle two for an even count; NaN when empty). */
export function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
}

const isMain = process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await main();

async function main() {
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = argv.includes('--quick');
const here = path.dirname(fileURLToPath(import.meta.url));
const tf = require(opt('--addon', path.join(here, '..', 'build', 'Release', 'tensorforge.node')));
if (opt('--threads')) tf.setNumThreads(Number(opt('--threads')));
const isas = (opt('--isa') ?? tf.supportedIsas().filter((s) => s !== 'generic').join(',')).split(',');
const dtype = argv.includes('--f64') ? 1 : 0;
const Arr = dtype ? Float64Array : Float32Array;
const nthreads = tf.getNumThreads();

// ---- peak ----------------------------------------------------------------
const peak = (isa, threads, short = false) => fmaPeakGflops(tf, isa, threads, { quick: quick || short });
const peakIsa = tf.supportedIsas().includes('avx512') ? 'avx512' : tf.supportedIsas().includes('avx2') ? 'avx2' : null;
const peak1 = peakIsa ? peak(peakIsa, 1) : NaN;
const peakAll = peakIsa ? (nthreads > 1 ? peak(peakIsa, nthreads) : peak1) : NaN;
let peakHere = nthreads > 1 ? peakAll : peak1;
console.log(`float32 FMA peak (${peakIsa}): 1 thread ${peak1.toFixed(1)} GFLOP/s, ${nthreads} threads ${peakAll.toFixed(1)} GFLOP/s`);
if (dtype) console.log('(float64 run: % is of the float32 peak; the float64 peak is half of it)');

// ---- GEMM ----------------------------------------------------------------

function rand(n) {
  const a = new Arr(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}
// C[M,N] = op(A)[M,K] @ op(B)[K,N]; ta/tb: the operand is stored transposed.
function makeCase(M, N, K, ta, tb, bias) {
  const a = tf.fromTyped(rand(M * K), dtype), b = tf.fromTyped(rand(K * N), dtype);
  const c = tf.alloc(dtype, M * N);
  const bs = bias ? tf.fromTyped(rand(N), dtype) : null;
  const aStr = ta ? [0, 1, M] : [0, K, 1];
  const bStr = tb ? [0, 1, K] : [0, N, 1];
  return () => {
    const m = tf.meta;
    let p = putView(m, 0, [1, M, N], [M * N, N, 1]);
    p = putView(m, p, [1, M, K], aStr);
    p = putView(m, p, [1, K, N], bStr);
    if (bs) putView(m, p, [N], [1]);
    tf.matmul(c, a, b, bs, bias ? 1 : 0);
  };
}

const squares = quick ? [64, 256, 1024] : [64, 128, 256, 512, 1024, 2048];
const cases = gemmCases(squares);

// numpy's matmul on the same shapes (OpenBLAS), timed best-of-N like ours by
// a python3 that stays up (stdin: first the cases as JSON, then "case budget"
// per request; stdout: numpy's version, then GFLOP/s per request).
const OPENBLAS_PY = `
import json, sys, time
import numpy as np
dt = np.float64 if ${dtype} else np.float32
runs = []
for c in json.loads(sys.stdin.readline()):
    M, N, K = c['M'], c['N'], c['K']
    a = np.random.rand(K, M).astype(dt).T if c.get('ta') else np.random.rand(M, K).astype(dt)
    b = np.random.rand(N, K).astype(dt).T if c.get('tb') else np.random.rand(K, N).astype(dt)
    bias = np.random.rand(N).astype(dt) if c.get('bias') else None
    o = np.empty((M, N), dt)
    def run(a=a, b=b, bias=bias, o=o):
        np.matmul(a, b, out=o)
        if bias is not None:
            np.add(o, bias, out=o); np.maximum(o, 0, out=o)
    runs.append((run, 2 * M * N * K))
print(np.__version__, flush=True)
for line in sys.stdin:
    ci, budget = int(line.split()[0]), float(line.split()[1])
    run, flops = runs[ci]
    run(); best = 1e9; total = 0; reps = 0
    while (total < budget or reps < 5) and reps < 10000:
        t = time.perf_counter(); run(); dt_ = time.perf_counter() - t
        best = min(best, dt_); total += dt_; reps += 1
    print(flops / best / 1e9, flush=True)
`;
// With --openblas, ours and numpy take turns on each case, back to back
// (which goes first alternates), for --rounds rounds (default 3): this
// machine's fast and slow spells last about a second, so only adjacent
// timings see the same conditions. The table shows each side's best, in how
// many rounds ours was at least as fast, and the median over rounds of
// ours / numpy. The FMA peak is measured again every round and the highest
// figure of the run is the one divided by.
const withBlas = argv.includes('--openblas');
let blas = null;
if (withBlas) {
  const python = findPython('numpy');
  if (!python) console.log('(--openblas: skipped, no python3 that imports numpy)');
  else {
    blas = pythonChild(python, OPENBLAS_PY, 'gemm vs OpenBLAS', { ...process.env, OPENBLAS_NUM_THREADS: String(nthreads) });
    blas.numpy = await blas.ask(JSON.stringify(cases));
  }
}
const rounds = blas ? Math.max(1, Number(opt('--rounds', '3'))) : 1;
const budget = quick ? 0.05 : 0.3;
const runs = cases.map((cs) => makeCase(cs.M, cs.N, cs.K, cs.ta, cs.tb, cs.bias));
const ours = cases.map(() => isas.map(() => null)); // best { gflops, us } per case and ISA
const theirs = cases.map(() => 0);
const wins = cases.map(() => 0);
const ratios = cases.map(() => []); // ours (first ISA) / numpy, per round
for (let round = 0; round < rounds; round++) {
  if (rounds > 1 && peakIsa) peakHere = Math.max(peakHere, peak(peakIsa, nthreads, true));
  for (const [ci, cs] of cases.entries()) {
    const mineFirst = (round + ci) % 2 === 0;
    const timeOurs = () =>
      isas.map((isa) => (tf.setIsa(isa) ? timeBest(runs[ci], 2 * cs.M * cs.N * cs.K, { budget }) : null));
    let g = null;
    const mine = mineFirst ? timeOurs() : null;
    if (blas) g = Number(await blas.ask(`${ci} ${budget}`));
    const row = mine ?? timeOurs();
    row.forEach((r, ii) => {
      if (r && (!ours[ci][ii] || r.gflops > ours[ci][ii].gflops)) ours[ci][ii] = r;
    });
    if (g === null) continue;
    theirs[ci] = Math.max(theirs[ci], g);
    const first = row.find((r) => r);
    if (first) {
      ratios[ci].push(first.gflops / g);
      if (first.gflops >= g) wins[ci]++;
    }
  }
}
blas?.close();

const results = {
  peak: { isa: peakIsa, oneThread: peak1, allThreads: peakAll, threads: nthreads, dividedBy: peakHere },
  rounds,
  numpy: blas?.numpy ?? null,
  gemm: [],
};
const header = [
  'case',
  ...isas.map((i) => `${i} GFLOP/s (%peak)`),
  ...(blas ? ['numpy/OpenBLAS GFLOP/s', `${isas[0]} >= OpenBLAS`, `${isas[0]} / OpenBLAS`] : []),
];
const rows = [];
cases.forEach((cs, ci) => {
  const row = [cs.name];
  isas.forEach((isa, ii) => {
    const r = ours[ci][ii];
    if (!r) return row.push('n/a');
    results.gemm.push({ case: cs.name, isa, dtype: dtype ? 'float64' : 'float32', threads: nthreads, ...r, pctPeak: (100 * r.gflops) / peakHere });
    row.push(`${r.gflops.toFixed(1).padStart(6)} (${((100 * r.gflops) / peakHere).toFixed(0).padStart(3)}%) ${r.us.toFixed(0).padStart(6)}µs`);
  });
  if (blas) {
    const g = theirs[ci], ratio = median(ratios[ci]);
    results.gemm.push({
      case: cs.name, isa: 'openblas', dtype: dtype ? 'float64' : 'float32', threads: nthreads, gflops: g,
      pctPeak: (100 * g) / peakHere, roundsOursAtLeastAsFast: wins[ci], medianRatioOursToOpenblas: ratio,
      ratioOursToOpenblasPerRound: ratios[ci],
    });
    row.push(`${g.toFixed(1).padStart(6)} (${((100 * g) / peakHere).toFixed(0).padStart(3)}%)`, `${wins[ci]}/${rounds} rounds`, `median ${ratio.toFixed(2)}`);
  }
  rows.push(row);
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join(' | ');
const peakNote = rounds > 1 ? ` (the highest of ${rounds + 1} measurements in this run: ${peakHere.toFixed(1)})` : '';
console.log(`\n${dtype ? 'float64' : 'float32'} GEMM, ${nthreads} thread(s), % of the ${nthreads}-thread float32 peak${peakNote}${rounds > 1 ? `, best of ${rounds} rounds alternating with numpy ${blas.numpy} case by case` : ''}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify(results, null, 2));
}
