/**
 * Saving and loading tensors in the safetensors format, and optimizer state.
 * @example
 * save(model.stateDict(), 'model.safetensors');
 * model.loadStateDict(load('model.safetensors'));
 */
export { save, load, saveBuffer, loadBuffer, loadMetadata } from './safetensors';
export type { Metadata, LoadOptions } from './safetensors';
export { packOptimizerState, unpackOptimizerState, saveOptimizer, loadOptimizer } from './optimizer-state';
