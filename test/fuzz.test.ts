// Fuzzing the public API and the raw binding with random and hostile
// arguments, a bounded number of cases per run. The only acceptable outcomes
// are a result or a clean TypeError/RangeError (or Error) that is not an
// internal JS failure; a crash fails the whole run (and ASan checks memory
// in `npm run test:asan`). TENSORFORGE_FUZZ_SEED varies the cases.
import { describe, expect, it } from 'vitest';
import * as tf from '../src/index';
import { cpuBinding as raw } from '../src/backend/device';
import { rng } from './helpers';

const seed = Number(process.env.TENSORFORGE_FUZZ_SEED ?? 1234);
const INTERNAL = /Cannot read prop|is not a function|is not iterable|undefined is not|Maximum call stack|Invalid array length|Cannot convert/;

function check(f: () => unknown): void {
  try {
    const r = f();
    if (r instanceof tf.Tensor) r.data();
  } catch (e) {
    if (!(e instanceof Error)) throw new Error(`threw a non-Error: ${String(e)}`);
    if (INTERNAL.test(e.message)) throw new Error(`internal failure leaked to the user: ${e.message}\n${e.stack}`);
  }
}

describe('fuzz', () => {
  it('public API with random shapes, dtypes and hostile arguments', () => {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const randShape = (): number[] => Array.from({ length: Math.floor(r() * 4) }, () => Math.floor(r() * 4));
    const randTensor = (): tf.Tensor => {
      const t = tf.randn(randShape()).mul(3);
      const dt = pick(['float32', 'float64', 'int32', 'bool'] as const);
      let x: tf.Tensor = t.to(dt);
      if (x.ndim >= 2 && r() < 0.3) x = x.transpose(-1, -2);
      if (x.ndim >= 1 && x.shape[0] > 1 && r() < 0.2) x = x.slice(0, 0, undefined, 2);
      return x;
    };
    const hostile = [NaN, -1, 1.5, 2 ** 60, -(2 ** 40), Infinity, 0, 1, 2, -3, null, undefined, 'x', {}, [], [1, 2], [-1], [[1]], true];
    const arg = (): unknown => (r() < 0.6 ? randTensor() : pick(hostile));
    const ops: ((a: tf.Tensor) => unknown)[] = [
      (a) => a.add(arg() as never), (a) => a.sub(arg() as never), (a) => a.mul(arg() as never), (a) => a.div(arg() as never),
      (a) => a.pow(arg() as never), (a) => a.maximum(arg() as never), (a) => a.eq(arg() as never), (a) => a.logicalAnd(arg() as never),
      (a) => a.exp(), (a) => a.log(), (a) => a.relu(), (a) => a.gelu(), (a) => a.abs(), (a) => a.clamp(arg() as never, arg() as never),
      (a) => a.sum(arg() as never, arg() as never), (a) => a.mean(arg() as never), (a) => a.amax(arg() as never), (a) => a.argmax(arg() as never),
      (a) => a.var(arg() as never), (a) => a.logsumexp(arg() as never), (a) => a.softmax(arg() as never), (a) => a.max(arg() as never),
      (a) => a.reshape(arg() as never), (a) => a.view(arg() as never), (a) => a.permute(arg() as never), (a) => a.transpose(arg() as never, arg() as never),
      (a) => a.narrow(arg() as never, arg() as never, arg() as never), (a) => a.slice(arg() as never, arg() as never, arg() as never, arg() as never),
      (a) => a.select(arg() as never, arg() as never), (a) => a.expand(arg() as never), (a) => a.squeeze(arg() as never), (a) => a.unsqueeze(arg() as never),
      (a) => a.matmul(arg() as never), (a) => a.gather(arg() as never, arg() as never), (a) => a.indexSelect(arg() as never, arg() as never),
      (a) => a.scatterAdd(arg() as never, arg() as never, arg() as never), (a) => a.split(arg() as never, arg() as never), (a) => a.chunk(arg() as never),
      (a) => tf.cat([a, arg() as never], arg() as never), (a) => tf.stack([a, arg() as never]), (a) => tf.where(arg() as never, a, arg() as never),
      (a) => a.maskedFill(arg() as never, arg() as never), (a) => a.to(arg() as never), (a) => tf.noGrad(() => a.addInPlace(arg() as never)),
      (a) => tf.noGrad(() => a.copyInPlace(arg() as never)), (a) => a.item(), (a) => a.toArray(), (a) => tf.zeros(arg() as never),
      (a) => tf.full(arg() as never, arg() as never), (a) => tf.arange(arg() as never, arg() as never, arg() as never), (a) => tf.tensor(arg() as never),
      (a) => tf.randint(arg() as never, arg() as never, arg() as never), (a) => a.flatten(arg() as never, arg() as never),
    ];
    for (let i = 0; i < 3000; i++) {
      const a = randTensor();
      check(() => pick(ops)(a));
    }
  });

  it('raw binding with random handles, numbers and meta contents', () => {
    const r = rng(seed + 1);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const handles = [0, 1, 2, 3].map((d) => raw.alloc(d, 24));
    raw.meta.fill(0);
    const disposed = raw.alloc(0, 4);
    raw.dispose(disposed);
    const junk: unknown[] = [null, undefined, 0, -1, 1.5, NaN, 2 ** 53, 'a', {}, [], new Float32Array(3), disposed, true];
    const fns = Object.entries(raw).filter(([, v]) => typeof v === 'function').map(([k]) => k)
      // setNumThreads/setIsa change process state and are fuzzed separately below.
      .filter((k) => !['setNumThreads', 'setIsa', 'emptyCache', 'fmaPeak'].includes(k));
    const metaVal = (): number => pick([0, 1, 2, 3, 4, 6, 12, 23, 24, 25, -1, 0.5, NaN, 1e300, 17]);
    for (let i = 0; i < 4000; i++) {
      const name = pick(fns);
      const args = Array.from({ length: Math.floor(r() * 16) }, () => (r() < 0.5 ? pick(handles) : r() < 0.5 ? Math.floor(r() * 30) - 2 : pick(junk)));
      for (let j = 0; j < 64; j++) raw.meta[j] = r() < 0.7 ? pick([1, 2, 3, 0, 4, 6]) : metaVal();
      check(() => (raw as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args));
    }
    for (const bad of [0, -1, 1.5, NaN, 300, 'x']) check(() => raw.setNumThreads!(bad as never));
    for (const bad of ['avx9', '', 1, null]) check(() => raw.setIsa!(bad as never));
    expect(raw.getNumThreads!()).toBeGreaterThan(0);
  });
});
