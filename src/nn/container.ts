/** Sequential and ModuleList: children named '0', '1', ... as in PyTorch, so state dict keys match. */
import type { Tensor } from '../tensor';
import { ReLU } from './activation';
import { Conv2d } from './conv';
import { Linear } from './linear';
import { MaxPool2d } from './pooling';
import { Module } from './module';

function isPlainRelu(m: Module | undefined): boolean {
  return m instanceof ReLU && m.forward === ReLU.prototype.forward;
}

function checkModule(m: unknown, op: string, i: number | string): asserts m is Module {
  if (!(m instanceof Module)) throw new TypeError(`${op}: element ${i} is not a Module`);
}

function normIndex(i: number, n: number, op: string): number {
  if (!Number.isInteger(i)) throw new TypeError(`${op}: index must be an integer, got ${i}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new RangeError(`${op}: index ${i} is out of range for ${n} modules`);
  return j;
}

/**
 * Runs its modules in order, feeding each one's output to the next. Children
 * are named '0', '1', ... (or by the keys of an object), so state dict keys
 * are PyTorch's (`0.weight`); `seq[0]` and `seq.get(-1)` index them.
 * @example
 * const model = new Sequential(new Flatten(), new Linear(784, 128), new ReLU(), new Linear(128, 10));
 * model.forward(x);
 */
export class Sequential extends Module {
  [index: number]: Module;

  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    if (modules.length === 1 && !(modules[0] instanceof Module)) {
      const named = modules[0] as Record<string, Module>;
      if (named === null || typeof named !== 'object') throw new TypeError('Sequential: expected Modules or an object of named Modules');
      for (const [k, m] of Object.entries(named)) this.addModule(k, m);
    } else {
      (modules as Module[]).forEach((m) => this.append(m));
    }
  }

  /** Number of modules. */
  get length(): number {
    return Array.from(this.namedChildren()).length;
  }

  /**
   * Adds a child under `name` (PyTorch's add_module).
   * @example seq.addModule('fc', new Linear(4, 2))
   */
  addModule(name: string, module: Module): this {
    checkModule(module, 'Sequential', name);
    if (typeof name !== 'string' || name === '' || name.includes('.')) throw new TypeError(`Sequential: invalid module name ${JSON.stringify(name)}`);
    if (name in this && !((this as unknown as Record<string, unknown>)[name] instanceof Module)) {
      throw new TypeError(`Sequential: module name ${JSON.stringify(name)} clashes with an attribute`);
    }
    (this as unknown as Record<string, Module>)[name] = module;
    return this;
  }

  /**
   * Appends a module at the end (named by its position).
   * @example seq.append(new ReLU())
   */
  append(module: Module): this {
    return this.addModule(String(this.length), module);
  }

  /** Same as `append` (PyTorch's `add_module` with the next index). */
  add(module: Module): this {
    return this.append(module);
  }

  /** The module at position i (negative counts from the end). */
  get(i: number): Module {
    const kids = Array.from(this.children());
    return kids[normIndex(i, kids.length, 'Sequential')];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children();
  }

  /**
   * Runs the children in order. A Linear or Conv2d directly followed by a
   * ReLU runs as one op with the ReLU in the GEMM's epilogue, and Conv2d ->
   * ReLU -> MaxPool2d pools straight from the GEMM's output: the same values
   * and gradients, with activation-sized passes and tensors fewer each way.
   * Subclasses that override `forward` are run as written.
   */
  forward(input: unknown): any {
    const kids = Array.from(this.children());
    let x = input;
    for (let i = 0; i < kids.length; i++) {
      const m = kids[i];
      if (isPlainRelu(kids[i + 1]) && (m instanceof Linear || m instanceof Conv2d)) {
        const pool = kids[i + 2];
        const pooled = m instanceof Conv2d && pool instanceof MaxPool2d ? m.forwardReluPool(x as Tensor, pool) : null;
        if (pooled !== null) {
          x = pooled;
          i += 2;
          continue;
        }
        const fused = m.forwardRelu(x as Tensor);
        if (fused !== null) {
          x = fused;
          i += 1;
          continue;
        }
      }
      x = m.forward(x);
    }
    return x;
  }
}

/**
 * A list of modules whose parameters are registered (named '0', '1', ...);
 * it has no forward of its own.
 * @example
 * class Net extends Module {
 *   layers = new ModuleList([1, 2, 3].map(() => new Linear(8, 8)));
 *   forward(x: Tensor) { for (const l of this.layers) x = l.forward(x); return x; }
 * }
 */
export class ModuleList extends Module {
  [index: number]: Module;

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  /** Number of modules. */
  get length(): number {
    return Array.from(this.namedChildren()).length;
  }

  /** Appends one module. */
  append(module: Module): this {
    checkModule(module, 'ModuleList', this.length);
    (this as unknown as Record<string, Module>)[String(this.length)] = module;
    return this;
  }

  /** Appends several modules. */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** The module at position i (negative counts from the end). */
  get(i: number): Module {
    return this[normIndex(i, this.length, 'ModuleList')];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children();
  }

  forward(): never {
    throw new Error('ModuleList: a ModuleList has no forward; iterate over its modules instead');
  }
}
