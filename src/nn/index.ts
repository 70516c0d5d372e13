/**
 * Neural-network building blocks (`nn`), PyTorch-style: layers (Modules),
 * losses, `nn.init` and the functional forms in `nn.functional`.
 * @example
 * import { nn } from 'tensorforge';
 * const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 10));
 * const loss = nn.functional.crossEntropy(model.forward(x), y);
 */
export { Module, Parameter } from './module';
export type { LoadResult } from './module';
export type { FactoryOptions } from './common';
export { Identity, Linear, Flatten, Unflatten } from './linear';
export type { LinearOptions } from './linear';
export { Conv2d } from './conv';
export type { Conv2dLayerOptions } from './conv';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling';
export { BatchNorm1d, BatchNorm2d, LayerNorm } from './normalization';
export type { BatchNormLayerOptions, LayerNormOptions } from './normalization';
export { ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, Softplus } from './activation';
export { Dropout } from './dropout';
export { Embedding } from './embedding';
export type { EmbeddingOptions } from './embedding';
export { Sequential, ModuleList } from './container';
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, padSequence } from './rnn';
export type { RNNOptions, ElmanRNNOptions, RNNCellOptions, PadSequenceOptions } from './rnn';
export { MultiheadAttention } from './attention';
export type { MultiheadAttentionOptions, MultiheadAttentionForwardOptions } from './attention';
export { TransformerEncoderLayer } from './transformer';
export type { TransformerEncoderLayerOptions, TransformerEncoderLayerForwardOptions } from './transformer';
export { causalMask, generateSquareSubsequentMask } from '../ops/attention';
export {
  CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss,
} from './loss';
export * as functional from './functional';
export * as init from './init';
