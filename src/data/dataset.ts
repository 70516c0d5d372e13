/** Datasets: the abstract `Dataset` and the in-memory `TensorDataset`. */
import { fmt } from '../shape';
import { Tensor } from '../tensor';

/** A function applied to an input (or target) tensor, e.g. a data augmentation. */
export type Transform = (x: Tensor) => Tensor;

/**
 * A map-style dataset: `length` items, read by index.
 * @example
 * class Squares extends Dataset<[number, number]> {
 *   length = 100;
 *   getItem(i: number): [number, number] { return [i, i * i]; }
 * }
 */
export abstract class Dataset<T = unknown> {
  /** Number of items. */
  abstract readonly length: number;
  /** The item at `index` (0 <= index < length). */
  abstract getItem(index: number): T;
}

/**
 * Items are the rows (dim 0) of equally long tensors, e.g. images and labels.
 * `transform` / `targetTransform` are applied to the first / second tensor's
 * rows; they are written to work on one sample or a batch, so the DataLoader
 * applies them once per batch.
 * @example
 * const ds = new TensorDataset(images, labels);
 * const [x0, y0] = ds.getItem(0);
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  /** Applied to the first tensor's rows (input augmentation). */
  transform: Transform | null = null;
  /** Applied to the second tensor's rows. */
  targetTransform: Transform | null = null;

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new TypeError('TensorDataset: needs at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new RangeError(`TensorDataset: tensor ${i} is 0-d; items are rows of dim 0`);
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new RangeError(`TensorDataset: size mismatch between tensors: ${fmt(tensors[0].shape)} and ${fmt(t.shape)} (dim 0 must agree)`);
      }
    });
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  getItem(index: number): Tensor[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`TensorDataset: index ${index} is out of range for ${this.length} items`);
    }
    return this.finish(this.tensors.map((t) => t.select(0, index)));
  }

  /** The rows at `indices` (1-D int32) of every tensor, one gather per tensor. */
  getBatch(indices: Tensor): Tensor[] {
    return this.finish(this.tensors.map((t) => t.indexSelect(0, indices)));
  }

  private finish(items: Tensor[]): Tensor[] {
    if (this.transform && items.length > 0) items[0] = this.transform(items[0]);
    if (this.targetTransform && items.length > 1) items[1] = this.targetTransform(items[1]);
    return items;
  }
}
