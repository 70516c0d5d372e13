// Elementwise and reduction throughput vs the machine's copy bandwidth, per ISA.
// Usage: npm run build:ts && node benchmarks/elementwise.mjs [--quick]
// GB/s counts bytes a kernel must move: add reads 2 and writes 1 float per
// element, unary ops read 1 and write 1, sums read 1. Best of N repetitions
// (the machine is shared; ratios within one run are what to compare).
import { createRequire } from 'node:module';
import * as tf from '../dist/index.mjs';

const require = createRequire(import.meta.url);
const { cpuBinding: raw } = require('../dist/backend/device.js');
const { writeView } = require('../dist/backend/meta.js');
const quick = process.argv.includes('--quick');
const reps = quick ? 3 : 9;

function best(fn, inner) {
  fn(); // warm: page faults, allocator cache
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) fn();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9 / inner);
  }
  return t;
}
const gbs = (bytes, s) => bytes / s / 1e9;

const sizes = [1 << 20, 1 << 24];
const rows = [];
function row(isa, what, n, bytes, s, copy) {
  const g = gbs(bytes, s);
  rows.push({ isa, op: what, n, 'ms': +(s * 1e3).toFixed(3), 'GB/s': +g.toFixed(1), '% copy': copy ? Math.round((100 * g) / copy) : '' });
  return g;
}

// Copy bandwidth: clone() allocates its output (as users write it); the raw
// cast into a preallocated tensor is the native memcpy-like loop.
const copyBw = {};
for (const n of sizes) {
  const a = tf.randn([n]);
  const inner = n > 1 << 22 ? 2 : 20;
  const tClone = best(() => a.clone().dispose(), inner);
  const out = tf.empty([n]);
  // The binding reads views from its shared meta array (as the ops do).
  const tCopy = best(() => {
    writeView(raw.meta, writeView(raw.meta, 0, out), a);
    raw.cast(out._storage.handle, a._storage.handle);
  }, inner);
  copyBw[n] = Math.max(gbs(8 * n, tClone), gbs(8 * n, tCopy));
  row('-', 'clone', n, 8 * n, tClone, 0);
  row('-', 'copy (preallocated)', n, 8 * n, tCopy, 0);
}

for (const isa of tf.backendInfo().supportedIsas.slice().reverse()) {
  raw.setIsa(isa);
  for (const n of sizes) {
    const inner = n > 1 << 22 ? 2 : 20;
    const a = tf.randn([n]), b = tf.randn([n]);
    const c = copyBw[n];
    row(isa, 'a.add(b)', n, 12 * n, best(() => a.add(b).dispose(), inner), c);
    row(isa, 'a.add(2)', n, 8 * n, best(() => a.add(2).dispose(), inner), c);
    row(isa, 'relu', n, 8 * n, best(() => a.relu().dispose(), inner), c);
    row(isa, 'exp', n, 8 * n, best(() => a.exp().dispose(), inner), c);
    row(isa, 'tanh', n, 8 * n, best(() => a.tanh().dispose(), inner), c);
    row(isa, 'gelu', n, 8 * n, best(() => a.gelu().dispose(), inner), c);
    row(isa, 'sum', n, 4 * n, best(() => a.sum().dispose(), inner), c);
    const m = a.reshape([n / 1024, 1024]);
    row(isa, 'sum(0) [n/1024,1024]', n, 4 * n, best(() => m.sum(0).dispose(), inner), c);
    row(isa, 'sum(1) [n/1024,1024]', n, 4 * n, best(() => m.sum(1).dispose(), inner), c);
    a.dispose();
    b.dispose();
  }
}
raw.setIsa(tf.backendInfo().supportedIsas.at(-1));
console.log(`threads: ${tf.getNumThreads()}, best of ${reps}`);
console.table(rows);
