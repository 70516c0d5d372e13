/** Neural-network building blocks (`nn`), PyTorch-style. */
export { Module, Parameter } from './module';
export type { LoadResult } from './module';
