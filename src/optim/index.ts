/**
 * Optimizers (`optim`), PyTorch-style: parameter groups, fused native updates,
 * state dicts, gradient clipping and LR schedulers (`optim.lrScheduler`).
 * @example
 * const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
 * const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 10 });
 */
export { Optimizer } from './optimizer';
export type { BaseOptions, ParamGroup, ParamGroupInput, ParamsInput, ParamState, OptimizerStateDict } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { Adagrad } from './adagrad';
export type { AdagradOptions } from './adagrad';
export { clipGradNorm, clipGradValue } from './clip';
export * as lrScheduler from './lr-scheduler';
