/**
 * DataLoader: batches of a dataset, optionally shuffled by a seeded
 * Generator, with sync (`for...of`) and async (`for await`) iteration. A
 * TensorDataset with the default collate is batched with one `indexSelect`
 * per tensor per batch instead of stacking samples.
 */
import { randperm } from '../ops/creation';
import { stack } from '../ops/views';
import { defaultGenerator, type Generator } from '../ops/random';
import { fromTypedArray, Tensor } from '../tensor';
import { Dataset, TensorDataset } from './dataset';

/** What the default collate makes of a list of items of type T. */
export type Collated<T> = T extends Tensor | number | boolean
  ? Tensor
  : T extends string
    ? string[]
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends object
        ? { [K in keyof T]: Collated<T[K]> }
        : T;

/**
 * Joins items into a batch: tensors are stacked along a new dim 0, numbers
 * become an int32 (all integers) or float32 tensor, booleans a bool tensor,
 * strings an array; arrays and plain objects are collated field by field.
 * @example defaultCollate([[tensor([1, 2]), 0], [tensor([3, 4]), 1]]); // [tensor [2,2], tensor([0, 1])]
 */
export function defaultCollate<T>(items: T[]): Collated<T> {
  if (items.length === 0) throw new RangeError('defaultCollate: empty batch');
  const first = items[0] as unknown;
  if (first instanceof Tensor) return stack(items as Tensor[]) as Collated<T>;
  if (typeof first === 'number') {
    const nums = items as number[];
    const ints = nums.every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647);
    return fromTypedArray(ints ? Int32Array.from(nums) : Float32Array.from(nums), [nums.length], ints ? 'int32' : 'float32', 'cpu') as Collated<T>;
  }
  if (typeof first === 'boolean') return fromTypedArray(Uint8Array.from(items as boolean[], Number), [items.length], 'bool', 'cpu') as Collated<T>;
  if (typeof first === 'string') return items.slice() as Collated<T>;
  if (Array.isArray(first)) {
    return first.map((_, j) => defaultCollate((items as unknown[][]).map((it) => it[j]))) as Collated<T>;
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first)) out[k] = defaultCollate((items as Record<string, unknown>[]).map((it) => it[k]));
    return out as Collated<T>;
  }
  throw new TypeError(`defaultCollate: don't know how to batch items of type ${first === null ? 'null' : typeof first}; pass a collate function`);
}

/** DataLoader options. */
export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** Draw a new random order each epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Joins a list of items into a batch (default `defaultCollate`). */
  collate?: (items: T[]) => B;
  /** The random source for shuffling (default: the global generator, see `manualSeed`). */
  generator?: Generator;
}

/**
 * Iterates over a dataset in batches.
 * @example
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true, generator: new Generator(0) });
 * for (const [xb, yb] of loader) { ... }
 * for await (const [xb, yb] of loader) { ... } // yields to the event loop between batches
 */
export class DataLoader<T = unknown, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  private readonly collate: ((items: T[]) => B) | null;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    if (dataset === null || typeof dataset !== 'object' || typeof dataset.getItem !== 'function' || typeof dataset.length !== 'number') {
      throw new TypeError('DataLoader: dataset must have getItem(index) and a numeric length');
    }
    const bs = options.batchSize ?? 1;
    if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${bs}`);
    if (options.collate !== undefined && typeof options.collate !== 'function') throw new TypeError('DataLoader: collate must be a function');
    this.dataset = dataset;
    this.batchSize = bs;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.generator = options.generator ?? defaultGenerator;
    this.collate = options.collate ?? null;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The item order of one epoch (a fresh permutation each call when shuffling). */
  private order(): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return randperm(n, { generator: this.generator }).data() as Int32Array;
    return Int32Array.from({ length: n }, (_, i) => i);
  }

  /** Batches of one epoch. */
  *[Symbol.iterator](): Iterator<B> {
    const order = this.order();
    const fast = this.collate === null && this.dataset instanceof TensorDataset ? this.dataset : null;
    const nb = this.length;
    for (let b = 0; b < nb; b++) {
      const idx = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      if (fast) {
        const device = fast.tensors[0].device;
        yield fast.getBatch(fromTypedArray(idx.slice(), [idx.length], 'int32', device)) as B;
      } else {
        const items = Array.from(idx, (i) => this.dataset.getItem(i));
        yield (this.collate ? this.collate(items) : defaultCollate(items)) as B;
      }
    }
  }

  /** Batches of one epoch, yielding to the event loop before each one. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    for (const batch of this) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      yield batch;
    }
  }
}
