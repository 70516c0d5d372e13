/**
 * tensorforge: tensors in a native addon, autograd, nn, optim, data and a
 * Keras-style fit for Node.js.
 * @example
 * import { tensor, randn, manualSeed } from 'tensorforge';
 * manualSeed(0);
 * randn([2, 3]).add(tensor([[1, 2, 3]])).relu().sum(1).toArray();
 */
export { Tensor, isTensor } from './tensor';
export type { TensorLike, BackwardOptions, RemovableHandle, ResultOf } from './tensor';
export type { DType, FloatDType, TypedArrayFor, Promote, FloatOf, NumericOf, ScalarFor } from './dtype';
export type { Node, Edge, BackwardFn } from './autograd/node';
export { promoteTypes } from './dtype';
export type { Shape } from './shape';
export type { Device } from './backend/device';
export {
  tensor, empty, zeros, ones, full, zerosLike, onesLike, fullLike, emptyLike, arange, linspace, eye,
  rand, randn, randint, randperm, randLike, randnLike,
} from './ops/creation';
export type { TensorOptions, RandomOptions, NestedArray } from './ops/creation';
export { Generator, manualSeed, defaultGenerator } from './ops/random';
export {
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalNot, neg, abs,
  exp, log, log1p, expm1, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu, gelu, leakyRelu, sign, floor, ceil, round,
  clamp, reciprocal, square, erf, isnan, isinf, where, maskedFill,
} from './ops/pointwise';
export { sum, mean, prod, amax, amin, argmax, argmin, logsumexp, norm, any, all, softmax, logSoftmax } from './ops/reduce';
export { reshape, view, flatten, permute, transpose, narrow, slice, select, squeeze, unsqueeze, expand, cat, stack, split, chunk, unbind } from './ops/views';
export { matmul, mm, bmm } from './ops/linalg';
export { gather, scatterAdd, indexSelect } from './ops/indexing';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, detectAnomaly } from './autograd/grad-mode';
export { grad, gradcheck, gradgradcheck } from './autograd/functional';
export type { GradOptions, GradcheckOptions } from './autograd/functional';
export { tidy, keep, dispose, memoryStats, emptyCache } from './memory';
export type { MemoryStats } from './backend/binding';
export { getNumThreads, setNumThreads, backendInfo } from './runtime';
export * as nn from './nn';
export * as optim from './optim';
export * as io from './io';
export { save, load, saveBuffer, loadBuffer } from './io';
export * as data from './data';
export * as train from './train';
export * as callbacks from './train/callbacks';
export * as viz from './viz';
export * as cuda from './cuda';
