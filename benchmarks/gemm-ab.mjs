// A/B of GEMM builds: two or more copies of the addon (e.g. before and after a
// kernel change) loaded into one process and timed in alternating rounds, so
// every build sees the same machine conditions (this machine's fast and slow
// spells last about a second; separate runs minutes apart are not comparable).
//
//   node benchmarks/gemm-ab.mjs M N K [--ta] [--tb] [--rounds R] A.node B.node ...
//
// C[M,N] = op(A)[M,K] · op(B)[K,N] (--ta/--tb: that operand stored transposed,
// as autograd passes it). Each round times every build best-of-reps, in forward
// order on even rounds and reverse order on odd ones; the table gives each
// build's best, first-quartile and median round in GFLOP/s and in how many
// rounds it was the fastest.
import { createRequire } from 'node:module';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median, putView, timeBest } from './gemm.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const value = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const ta = flag('--ta'), tb = flag('--tb');
const rounds = Number(value('--rounds', '30'));
const [M, N, K] = args.slice(0, 3).map(Number);
const builds = args.slice(3);
if (!(M > 0 && N > 0 && K > 0) || builds.length < 1) {
  console.error('usage: node benchmarks/gemm-ab.mjs M N K [--ta] [--tb] [--rounds R] A.node B.node ...');
  process.exit(2);
}
// A .node file loads once per path: copy each build to its own name.
const dir = mkdtempSync(path.join(tmpdir(), 'gemm-ab-'));
const libs = builds.map((p, i) => {
  const copy = path.join(dir, `build${i}.node`);
  copyFileSync(p, copy);
  return require(copy);
});

const rand = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const ra = rand(M * K), rb = rand(K * N);
const runs = libs.map((tf) => {
  const a = tf.fromTyped(ra, 0), b = tf.fromTyped(rb, 0), c = tf.alloc(0, M * N);
  const aStr = ta ? [0, 1, M] : [0, K, 1], bStr = tb ? [0, 1, K] : [0, N, 1];
  return () => {
    const m = tf.meta;
    let p = putView(m, 0, [1, M, N], [M * N, N, 1]);
    p = putView(m, p, [1, M, K], aStr);
    putView(m, p, [1, K, N], bStr);
    tf.matmul(c, a, b, null, 0);
  };
});
// Per build and round: best of at least 2 calls and 25 ms (small shapes get
// hundreds of calls, so the best one runs with warm caches, as in training).
const flops = 2 * M * N * K;
const gflops = runs.map(() => []), wins = runs.map(() => 0);
for (let r = 0; r < rounds; r++) {
  const order = runs.map((_, i) => (r % 2 ? runs.length - 1 - i : i));
  const cur = [];
  for (const i of order) {
    cur[i] = timeBest(runs[i], flops, { budget: 0.025, minReps: 2 }).gflops;
    gflops[i].push(cur[i]);
  }
  wins[cur.indexOf(Math.max(...cur))]++;
}
console.log(`${M}x${K}${ta ? 'ᵀ' : ''} · ${K}x${N}${tb ? 'ᵀ' : ''}, ${rounds} rounds, GFLOP/s`);
builds.forEach((p, i) => {
  const g = gflops[i].sort((x, y) => y - x);
  console.log(`${p.padEnd(28)} best ${g[0].toFixed(1)}  q25 ${g[g.length >> 2].toFixed(1)}  median ${median(g).toFixed(1)}  fastest in ${wins[i]}/${rounds}`);
});
