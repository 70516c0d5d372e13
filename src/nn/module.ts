/**
 * `Module` and `Parameter`, with PyTorch's semantics: parameters, buffers and
 * submodules are registered by assigning them to fields (discovered in
 * assignment order), names are dotted paths (`fc1.weight`), and state dicts
 * round-trip through `stateDict()` / `loadStateDict()`.
 */
import type { Device } from '../backend/device';
import { noGrad } from '../autograd/grad-mode';
import { isFloating, type DType } from '../dtype';
import { fmt, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/**
 * A tensor that is a module's learnable parameter (requires grad, is returned
 * by `parameters()`).
 * @example this.weight = new Parameter(zeros([10, 5]));
 */
export class Parameter<D extends DType = DType> extends Tensor<D> {
  constructor(data: Tensor<D>, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new TypeError('Parameter: data must be a Tensor');
    super(data._storage, data.shape, data._strides, data._offset);
    if (requiresGrad) this.requiresGrad_(true);
    // Parameter memory belongs to the module, never to an enclosing tidy().
    this._storage.kept = true;
  }
}

/** Result of `loadStateDict` with `strict: false`. */
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const BUFFERS = Symbol('buffers');
const NON_PERSISTENT = Symbol('nonPersistent');

/**
 * Base class of every layer and model. Subclasses assign parameters and
 * submodules to fields in the constructor and implement `forward`.
 * @example
 * class Net extends Module {
 *   fc1 = new Linear(784, 500);
 *   fc2 = new Linear(500, 10);
 *   forward(x: Tensor) { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 */
export abstract class Module {
  /** True in training mode (the default); see `train()` / `eval()`. */
  training = true;
  private [BUFFERS] = new Set<string>();
  private [NON_PERSISTENT] = new Set<string>();

  /** The computation. Call it directly: `model.forward(x)`. */
  abstract forward(...inputs: any[]): any;

  /**
   * Registers a buffer: state that is saved in the state dict but is not a
   * parameter (e.g. BatchNorm's running mean). Assign it to `this[name]` too.
   */
  registerBuffer(name: string, value: Tensor | null, persistent = true): void {
    if (typeof name !== 'string' || name.includes('.') || name === '') throw new TypeError(`registerBuffer: invalid buffer name ${JSON.stringify(name)}`);
    if (value !== null && !(value instanceof Tensor)) throw new TypeError(`registerBuffer: '${name}' must be a Tensor or null`);
    if (value) value._storage.kept = true;
    (this as unknown as Record<string, unknown>)[name] = value;
    this[BUFFERS].add(name);
    if (!persistent) this[NON_PERSISTENT].add(name);
  }

  /** Direct submodules with their field names. */
  *namedChildren(): Generator<[string, Module]> {
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) yield [k, v];
    }
  }

  /** Direct submodules. */
  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and all submodules, depth-first, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [k, m] of this.namedChildren()) yield* m.namedModules(prefix ? `${prefix}.${k}` : k);
  }

  /** This module and all submodules. */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Parameters with dotted names, e.g. `fc1.weight`. */
  *namedParameters(prefix = '', recurse = true): Generator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [k, v] of Object.entries(m)) {
        if (v instanceof Parameter && !seen.has(v)) {
          seen.add(v);
          yield [mp ? `${mp}.${k}` : k, v];
        }
      }
    }
  }

  /** All parameters (each once), for an optimizer. @example new Adam(model.parameters()) */
  parameters(recurse = true): Parameter[] {
    return Array.from(this.namedParameters('', recurse), ([, p]) => p);
  }

  /** Buffers with dotted names. */
  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const name of m[BUFFERS]) {
        const v = (m as unknown as Record<string, unknown>)[name];
        if (v instanceof Tensor) yield [mp ? `${mp}.${name}` : name, v];
      }
    }
  }

  /** All buffers. */
  buffers(): Tensor[] {
    return Array.from(this.namedBuffers(), ([, b]) => b);
  }

  /** Sets training mode on this module and all submodules (affects Dropout, BatchNorm). */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every submodule (children first) and this module, e.g. for custom init. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Clears parameter gradients (set to null by default, as PyTorch 2 does). */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else if (p.grad) noGrad(() => p.grad!.zeroInPlace());
    }
  }

  /**
   * Parameters and persistent buffers by dotted name (the tensors themselves,
   * detached: save them with `save()` from tensorforge's io).
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [mp, m] of this.namedModules()) {
      for (const [k, v] of Object.entries(m)) {
        const name = mp ? `${mp}.${k}` : k;
        if (v instanceof Parameter) out[name] = v.detach();
        else if (m[BUFFERS].has(k) && !m[NON_PERSISTENT].has(k) && v instanceof Tensor) out[name] = v.detach();
      }
    }
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers.
   * With `strict` (default) missing or unexpected keys throw; shape mismatches always throw.
   */
  loadStateDict(stateDict: Record<string, Tensor>, options: { strict?: boolean } = {}): LoadResult {
    if (stateDict === null || typeof stateDict !== 'object') throw new TypeError('loadStateDict: expected an object of tensors');
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in stateDict));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !(k in own));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(
        `loadStateDict: error(s) in loading state dict for ${this.constructor.name}: ` +
          (missingKeys.length ? `missing keys: ${missingKeys.join(', ')}. ` : '') +
          (unexpectedKeys.length ? `unexpected keys: ${unexpectedKeys.join(', ')}.` : ''),
      );
    }
    for (const [k, dst] of Object.entries(own)) {
      const src = stateDict[k];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) throw new TypeError(`loadStateDict: '${k}' is not a Tensor`);
      if (!shapesEqual(src.shape, dst.shape)) {
        throw new RangeError(`loadStateDict: size mismatch for ${k}: copying a param with shape ${fmt(src.shape)}, the shape in the current model is ${fmt(dst.shape)}`);
      }
    }
    noGrad(() => {
      for (const [k, dst] of Object.entries(own)) {
        const src = stateDict[k];
        if (src !== undefined) dst.copyInPlace(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves every parameter and buffer to a device, or converts the floating ones
   * to a dtype, in place (tensor identity is kept).
   */
  to(target: Device | DType): this {
    noGrad(() => {
      for (const m of this.modules()) {
        for (const [k, v] of Object.entries(m)) {
          if (!(v instanceof Tensor) || !(v instanceof Parameter || m[BUFFERS].has(k))) continue;
          // As PyTorch: a dtype target converts floating tensors only, so integer
          // buffers (BatchNorm's num_batches_tracked) keep their type.
          if (target !== 'cpu' && target !== 'cuda' && !isFloating(v.dtype)) continue;
          if (v instanceof Parameter && target !== 'cpu' && target !== 'cuda' && target !== 'float32' && target !== 'float64') {
            throw new TypeError(`Module.to: parameters must stay floating point, got ${target}`);
          }
          const moved = v.to(target as DType);
          if (moved === v) continue;
          // Keep the same Parameter object so optimizers holding it stay valid.
          (v as { _storage: unknown })._storage = moved._storage;
          v._strides = moved._strides;
          v._offset = moved._offset;
          (v as { dtype: DType }).dtype = moved.dtype;
          v._storage.kept = true;
          if (v.grad) v.grad = null;
        }
      }
    });
    return this;
  }

  /** Extra text shown by `toString()`, e.g. `in_features=784, out_features=500`. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-style summary of the module tree. */
  toString(): string {
    const kids = Array.from(this.namedChildren());
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const body = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
}
