/**
 * Keras-style training (`model.compile` / `fit` / `evaluate` / `predict` on
 * every Module) and its callbacks. Importing this module installs the methods.
 * @example
 * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * const history = await model.fit(x, y, { epochs: 5, callbacks: [new train.EarlyStopping({ patience: 2 })] });
 */
import './fit';
export type { CompileConfig, FitOptions, EvaluateOptions, OptimizerName } from './fit';
export { Callback, History, EarlyStopping, ModelCheckpoint, LearningRateScheduler, CSVLogger, JSONLinesLogger } from './callbacks';
export type { Logs, FitParams } from './callbacks';
export { LOSSES } from './losses';
export type { LossFn } from './losses';
export { accuracy } from './metrics';
export type { MetricFn } from './metrics';
