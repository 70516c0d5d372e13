/**
 * The Optimizer base: parameter groups with their own options, per-parameter
 * state, `zeroGrad`, `step`, and PyTorch-layout state dicts. Subclasses only
 * say how one group is updated; each parameter's update is a single fused
 * native kernel (see `fusedUpdate`), so a step makes no temporary tensors.
 */
import type { NativeBinding, StorageHandle } from '../backend/binding';
import { writeView } from '../backend/meta';
import { enableGrad, noGrad } from '../autograd/grad-mode';
import { isFloating } from '../dtype';
import { zerosRaw } from '../ops/creation';
import { cast } from '../ops/pointwise';
import { copyRaw } from '../ops/views';
import { fmt, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/** Options every optimizer has: the learning rate (schedulers change it). */
export interface BaseOptions {
  lr: number;
}

/** A parameter group as stored: its parameters plus a full set of options. */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O & {
  params: Tensor[];
  /** Set by the first LR scheduler attached to the optimizer (PyTorch's `initial_lr`). */
  initialLr?: number;
};

/** A parameter group as given by the user: options left out take the optimizer's defaults. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = Partial<O> & { params: Iterable<Tensor> };

/** What an optimizer constructor accepts: parameters, or a list of parameter groups. */
export type ParamsInput<O extends BaseOptions = BaseOptions> = Iterable<Tensor> | readonly ParamGroupInput<O>[];

/** Per-parameter state: state tensors by PyTorch name (`exp_avg`, ...) plus `step`. */
export type ParamState = Record<string, Tensor | number>;

/**
 * An optimizer state dict in PyTorch's layout: `state` is keyed by the
 * parameter's index across all groups (in order), `param_groups` holds each
 * group's options with `params` as those indices.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

/**
 * Base class of all optimizers.
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** Default options, used for options a group leaves out. */
  readonly defaults: O;
  /** The parameter groups (change `lr` here, or let a scheduler do it). */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = defaults;
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new TypeError(`${this.constructor.name}: params must be an iterable of Tensors or of parameter groups`);
    }
    const list = Array.from(params as Iterable<Tensor | ParamGroupInput<O>>);
    if (list.length === 0) throw new RangeError(`${this.constructor.name}: got an empty parameter list`);
    if (list[0] instanceof Tensor) this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<O>);
    else for (const g of list as ParamGroupInput<O>[]) this.addParamGroup(g);
  }

  /**
   * Adds a group of parameters with its own options (e.g. a new layer being
   * unfrozen during fine-tuning).
   * @example opt.addParamGroup({ params: head.parameters(), lr: 1e-2 });
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const name = this.constructor.name;
    if (group === null || typeof group !== 'object' || group instanceof Tensor) {
      throw new TypeError(`${name}.addParamGroup: a group must be an object like { params: [...], lr: 0.1 }`);
    }
    const ps = group.params as unknown;
    if (ps === null || typeof ps !== 'object' || !(Symbol.iterator in (ps as object))) {
      throw new TypeError(`${name}.addParamGroup: group.params must be an iterable of Tensors`);
    }
    const params = Array.from(ps as Iterable<unknown>);
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${name}: parameter ${i} of a group is not a Tensor`);
      if (!isFloating(p.dtype)) throw new TypeError(`${name}: can only optimize float32/float64 tensors, parameter ${i} is ${p.dtype}`);
      if (!p.isLeaf) throw new TypeError(`${name}: can't optimize a non-leaf Tensor (parameter ${i}); use a Parameter or a tensor created with requiresGrad`);
      if (seen.has(p)) throw new RangeError(`${name}: some parameters appear in more than one parameter group (parameter ${i})`);
      seen.add(p);
    });
    const full = { ...this.defaults } as ParamGroup<O>;
    for (const [k, v] of Object.entries(group)) {
      if (k !== 'params' && v !== undefined) (full as unknown as Record<string, unknown>)[k] = v;
    }
    full.params = params as Tensor[];
    this.validate(full);
    this.paramGroups.push(full);
  }

  /** Checks a group's options; throws RangeError/TypeError naming the bad one. */
  protected abstract validate(group: ParamGroup<O>): void;

  /** Updates every parameter of one group that has a gradient. Runs under noGrad. */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /**
   * Clears the gradients of all parameters: sets them to null (the default,
   * as in PyTorch 2) or fills them with zeros.
   * @example opt.zeroGrad();
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone) p.grad = null;
        else if (p.grad) noGrad(() => p.grad!.zeroInPlace());
      }
    }
  }

  /**
   * Performs one update of every parameter that has a gradient. An optional
   * closure re-evaluates the model and returns the loss (run with grad on);
   * its result is returned.
   * @example
   * loss.backward();
   * opt.step();
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    let loss: T | undefined;
    if (closure !== undefined) {
      if (typeof closure !== 'function') throw new TypeError(`${this.constructor.name}.step: closure must be a function`);
      loss = enableGrad(closure);
    }
    noGrad(() => {
      for (const g of this.paramGroups) this.updateGroup(g);
    });
    return loss;
  }

  /** @internal The state of p, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /**
   * The optimizer's state in PyTorch's layout. State tensors are returned by
   * reference (clone them to snapshot); use `io.packOptimizerState` to save it.
   * @example const sd = opt.stateDict(); sd.state[0].exp_avg; sd.param_groups[0].lr;
   */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const groups: OptimizerStateDict['param_groups'] = [];
    let idx = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) state[idx] = { ...s };
        ids.push(idx++);
      }
      const { params: _omit, ...opts } = g;
      groups.push({ ...structuredClone(opts), params: ids });
    }
    return { state, param_groups: groups };
  }

  /**
   * Restores state saved by `stateDict()` into an optimizer built over the same
   * parameters (same groups, same sizes). State tensors are copied, converted
   * to each parameter's dtype and device.
   * @example opt2.loadStateDict(opt.stateDict());
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = `${this.constructor.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.param_groups) || sd.state === null || typeof sd.state !== 'object') {
      throw new TypeError(`${name}: expected { state, param_groups }`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new RangeError(`${name}: loaded state dict has ${sd.param_groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    sd.param_groups.forEach((lg, gi) => {
      const own = this.paramGroups[gi];
      if (!Array.isArray(lg.params) || lg.params.length !== own.params.length) {
        throw new RangeError(`${name}: group ${gi} has ${Array.isArray(lg.params) ? lg.params.length : 'no'} parameters in the state dict, ${own.params.length} in the optimizer`);
      }
      lg.params.forEach((id, i) => byIndex.set(id, own.params[i]));
    });
    // Check everything before changing anything, so a bad dict leaves the optimizer as it was.
    const loaded = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (p === undefined) throw new RangeError(`${name}: state entry ${key} does not match any parameter`);
      const s: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        if (v instanceof Tensor) {
          if (!shapesEqual(v.shape, p.shape)) throw new RangeError(`${name}: state ${key}.${k} has shape ${fmt(v.shape)}, the parameter has ${fmt(p.shape)}`);
          const t = stateTensor(p);
          copyRaw(t, v.device === p.device ? v : v.to(p.device));
          s[k] = t;
        } else if (typeof v === 'number') {
          s[k] = v;
        } else {
          throw new TypeError(`${name}: state ${key}.${k} must be a Tensor or a number`);
        }
      }
      loaded.set(p, s);
    }
    sd.param_groups.forEach((lg, gi) => {
      const own = this.paramGroups[gi];
      const { params: _omit, ...opts } = lg;
      const next = { ...own, ...structuredClone(opts), params: own.params } as ParamGroup<O>;
      this.validate(next);
      Object.assign(own, next);
    });
    this.state.clear();
    for (const [p, s] of loaded) this.state.set(p, s);
  }
}

/** @internal A zero-filled state tensor like p that no `tidy` frees. */
export function stateTensor(p: Tensor, value = 0): Tensor {
  const t = zerosRaw(p.shape, p.dtype, p.device);
  if (value !== 0) t.fillInPlace(value);
  t._storage.kept = true;
  return t;
}

/** @internal p's gradient as the fused kernels need it: contiguous, same dtype and shape. */
export function gradOf(p: Tensor, op: string): Tensor {
  let g = p.grad as Tensor;
  if (!shapesEqual(g.shape, p.shape)) throw new RangeError(`${op}: gradient shape ${fmt(g.shape)} does not match parameter shape ${fmt(p.shape)}`);
  if (g.device !== p.device) throw new TypeError(`${op}: gradient is on ${g.device}, parameter on ${p.device}`);
  if (g.dtype !== p.dtype) g = cast(g, p.dtype);
  return g.isContiguous() ? g : g.contiguous();
}

/**
 * @internal Runs one fused update kernel on p. Views of p and the operands are
 * written to `meta` in the order the binding reads them; `run` gets their
 * handles (null operands are skipped in meta and passed as null). The write is
 * in place, so p's storage version is bumped: a graph that saved p before the
 * step then refuses to backward through stale values.
 */
export function fusedUpdate(
  p: Tensor,
  operands: readonly (Tensor | null)[],
  run: (b: NativeBinding, p: StorageHandle, ops: (StorageHandle | null)[]) => void,
): void {
  // The kernels need contiguous operands; a strided parameter is updated through a copy.
  const work = p.isContiguous() ? p : p.contiguous();
  const b = work._storage.binding;
  let pos = writeView(b.meta, 0, work);
  for (const t of operands) if (t) pos = writeView(b.meta, pos, t);
  run(b, work._storage.handle, operands.map((t) => (t ? t._storage.handle : null)));
  if (work !== p) copyRaw(p, work);
  p._storage.version++;
}

/** @internal Throws RangeError unless `v` is a finite number >= lo (and < hi when given). */
export function checkRange(op: string, what: string, v: unknown, lo: number, hi = Infinity, hiInclusive = false): void {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= lo && (hiInclusive ? v <= hi : v < hi);
  if (!ok) {
    const range = hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi}${hiInclusive ? ']' : ')'}`;
    throw new RangeError(`${op}: invalid ${what} ${String(v)} (must be a number ${range})`);
  }
}
