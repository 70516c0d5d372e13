/**
 * Optimizer state in safetensors: state tensors become flat entries named
 * `state.<param index>.<name>` (e.g. `state.0.exp_avg`) and everything else
 * (param_groups, per-parameter numbers such as `step`) goes into the
 * metadata as JSON, so one file holds the whole `optimizer.stateDict()`.
 */
import type { Optimizer, OptimizerStateDict, ParamState } from '../optim/optimizer';
import { Tensor } from '../tensor';
import { parse, save, type LoadOptions, type Metadata } from './safetensors';
import { readFileSync } from 'node:fs';

const FORMAT = 'tensorforge.optimizer/1';

/**
 * Flattens an optimizer state dict into tensors + string metadata for `save`.
 * @example const { tensors, metadata } = packOptimizerState(opt.stateDict()); save(tensors, 'opt.safetensors', metadata);
 */
export function packOptimizerState(sd: OptimizerStateDict): { tensors: Record<string, Tensor>; metadata: Metadata } {
  if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.param_groups)) throw new TypeError('packOptimizerState: expected an optimizer state dict');
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, number>> = {};
  for (const [idx, entry] of Object.entries(sd.state)) {
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Tensor) tensors[`state.${idx}.${k}`] = v;
      else (scalars[idx] ??= {})[k] = v;
    }
  }
  return { tensors, metadata: { format: FORMAT, optimizer: JSON.stringify({ param_groups: sd.param_groups, scalars }) } };
}

/**
 * Rebuilds an optimizer state dict from `packOptimizerState`'s output (e.g. as loaded from a file).
 * @example opt.loadStateDict(unpackOptimizerState(tensors, metadata));
 */
export function unpackOptimizerState(tensors: Record<string, Tensor>, metadata: Metadata): OptimizerStateDict {
  if (metadata?.format !== FORMAT || typeof metadata.optimizer !== 'string') {
    throw new Error(`unpackOptimizerState: metadata does not describe optimizer state (format ${JSON.stringify(metadata?.format)}, expected ${FORMAT})`);
  }
  let parsed: { param_groups: OptimizerStateDict['param_groups']; scalars: Record<string, Record<string, number>> };
  try {
    parsed = JSON.parse(metadata.optimizer);
  } catch (e) {
    throw new Error(`unpackOptimizerState: the optimizer metadata is not valid JSON (${(e as Error).message})`);
  }
  const state: Record<number, ParamState> = {};
  for (const [idx, vals] of Object.entries(parsed.scalars ?? {})) state[Number(idx)] = { ...vals };
  for (const [key, t] of Object.entries(tensors)) {
    const m = /^state\.(\d+)\.(.+)$/.exec(key);
    if (!m) throw new Error(`unpackOptimizerState: unexpected tensor name '${key}' (expected state.<index>.<name>)`);
    (state[Number(m[1])] ??= {})[m[2]] = t;
  }
  return { state, param_groups: parsed.param_groups };
}

/**
 * Saves an optimizer's full state to a .safetensors file.
 * @example saveOptimizer(opt, 'opt.safetensors');
 */
export function saveOptimizer(optimizer: Optimizer, path: string): void {
  const { tensors, metadata } = packOptimizerState(optimizer.stateDict());
  save(tensors, path, metadata);
}

/**
 * Loads state saved by `saveOptimizer` into an optimizer over the same parameters.
 * @example loadOptimizer(opt, 'opt.safetensors');
 */
export function loadOptimizer(optimizer: Optimizer, path: string, options: LoadOptions = {}): void {
  const { tensors, metadata } = parse(readFileSync(path), options, path);
  optimizer.loadStateDict(unpackOptimizerState(tensors, metadata));
}
