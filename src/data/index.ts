/**
 * Data loading (`data`): datasets, a batching DataLoader, image transforms,
 * and MNIST / Fashion-MNIST from their IDX files.
 * @example
 * const train = new data.MNIST({ train: true });
 * for (const [x, y] of new data.DataLoader(train, { batchSize: 100, shuffle: true })) { ... }
 */
export { Dataset, TensorDataset } from './dataset';
export type { Transform } from './dataset';
export { DataLoader, defaultCollate } from './dataloader';
export type { DataLoaderOptions, Collated } from './dataloader';
export { compose, normalize, randomCrop, randomHorizontalFlip, randomRotation, randomAffine, affine } from './transforms';
export type { AffineParams, Interpolation, RandomAffineOptions, Range } from './transforms';
export { parseIdx, readIdx } from './idx';
export type { IdxArray, IdxType } from './idx';
export { MNIST, FashionMNIST, loadMnist, loadFashionMnist, MNIST_STATS, FASHION_MNIST_STATS } from './mnist';
export type { MnistOptions } from './mnist';
