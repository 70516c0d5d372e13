/**
 * Seeded random numbers. A Generator is a 64-bit seed plus a counter; fills
 * run the native Philox kernel at (seed, counter) and advance the counter, so
 * a seed reproduces the same numbers on every device and thread count.
 */
import { writeView } from '../backend/meta';
import { RandKind } from '../backend/opcodes';
import type { Tensor } from '../tensor';

/** PyTorch's default seed, so unseeded runs are reproducible too. */
const DEFAULT_SEED = 67280421310721n;

/** A random number generator (see `manualSeed`). */
export class Generator {
  private seedValue = DEFAULT_SEED;
  /** @internal */ hi = 0;
  /** @internal */ lo = 0;
  /** @internal counter of values drawn so far */ offset = 0;

  constructor(seed?: number | bigint) {
    this.manualSeed(seed ?? DEFAULT_SEED);
  }

  /** Re-seeds; returns this generator. */
  manualSeed(seed: number | bigint): this {
    if (typeof seed === 'number' && !Number.isInteger(seed)) throw new TypeError(`manualSeed: seed must be an integer, got ${seed}`);
    if (typeof seed !== 'number' && typeof seed !== 'bigint') throw new TypeError('manualSeed: seed must be an integer');
    const s = BigInt.asUintN(64, BigInt(seed));
    this.seedValue = s;
    this.hi = Number(s >> 32n);
    this.lo = Number(s & 0xffffffffn);
    this.offset = 0;
    return this;
  }

  /** The seed this generator was last seeded with. */
  initialSeed(): bigint {
    return this.seedValue;
  }

  /** @internal Reserves `n` values and returns their starting counter. */
  take(n: number): number {
    const o = this.offset;
    this.offset += n;
    return o;
  }
}

/** The global generator used when none is passed. */
export const defaultGenerator = new Generator();

/**
 * Seeds the global generator, like `torch.manual_seed`.
 * @example manualSeed(0); randn([2, 3]); // the same numbers every run
 */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** @internal Fills a contiguous tensor from `gen` (uniform [p0,p1), normal(p0,p1) or bernoulli(p0)). */
export function fillRandom(t: Tensor, kind: keyof typeof RandKind, p0: number, p1: number, gen: Generator = defaultGenerator): void {
  const n = t.numel();
  const off = gen.take(n);
  const b = t._storage.binding;
  writeView(b.meta, 0, t);
  b.random(t._storage.handle, RandKind[kind], gen.hi, gen.lo, off, p0, p1);
}
