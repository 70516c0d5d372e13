/**
 * Explicit memory control. None of it is required: native memory is reported
 * to V8 and freed by finalizers when tensors become unreachable. These are for
 * code that wants memory back at a known point.
 */
import { cpuBinding } from './backend/device';
import type { MemoryStats } from './backend/binding';
import { releaseToParent, scopes, type Storage } from './storage';
import { Tensor } from './tensor';

function collectStorages(x: unknown, keep: Set<Storage>, seen: Set<unknown>): void {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  if (x instanceof Tensor) {
    keep.add(x._storage);
    if (x.grad) keep.add(x.grad._storage);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collectStorages(v, keep, seen);
  else if (Object.getPrototypeOf(x) === Object.prototype || x instanceof Map) {
    for (const v of x instanceof Map ? x.values() : Object.values(x)) collectStorages(v, keep, seen);
  }
}

let handleBuffer = new Float64Array(256);

/** Disposes storages with one native call per addon (a scope's end frees hundreds at once). */
function disposeAll(storages: readonly Storage[]): void {
  if (storages.length === 0) return;
  const buf = handleBuffer.length >= storages.length ? handleBuffer : (handleBuffer = new Float64Array(storages.length * 2));
  let n = 0;
  let binding = storages[0].binding;
  for (const s of storages) {
    if (s.binding !== binding) {
      binding.disposeMany(buf, n);
      binding = s.binding;
      n = 0;
    }
    buf[n++] = s.handle;
  }
  binding.disposeMany(buf, n);
}

/**
 * Runs `fn` and frees every tensor created inside it except those reachable
 * from its result (tensors, arrays and plain objects of tensors) or kept with
 * `keep()`, like `tf.tidy`. Not needed for correctness; it returns memory
 * sooner, and its tensors skip the GC bookkeeping (no finalizer is attached
 * until a tensor outlives the outermost scope), so small ops run faster in it.
 * @example const y = tidy(() => x.mul(2).add(1)); // the x.mul(2) temporary is freed now
 */
export function tidy<T>(fn: () => T): T {
  const scope: Storage[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    // Tensors made before the throw may still be referenced: free none, hand all on.
    scopes.pop();
    releaseToParent(scope);
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    releaseToParent(scope);
    throw new TypeError('tidy: fn must be synchronous (it returned a Promise)');
  }
  const keep = new Set<Storage>();
  collectStorages(result, keep, new Set());
  const survivors: Storage[] = [];
  const doomed: Storage[] = [];
  for (const s of scope) (keep.has(s) || s.kept ? survivors : doomed).push(s);
  disposeAll(doomed);
  releaseToParent(survivors);
  return result;
}

/**
 * Marks a tensor so that no enclosing `tidy` frees it (gradients, optimizer
 * state and module parameters are kept automatically). Returns it.
 */
export function keep<T extends Tensor>(t: T): T {
  t._storage.kept = true;
  return t;
}

/** Frees a tensor, or every tensor in an array/object, now. */
export function dispose(x: Tensor | readonly Tensor[] | Record<string, Tensor>): void {
  const keep = new Set<Storage>();
  collectStorages(x, keep, new Set());
  for (const s of keep) s.binding.dispose(s.handle);
}

/** Live, cached and peak native bytes of the CPU allocator. */
export function memoryStats(): MemoryStats {
  return cpuBinding.memoryStats();
}

/** Returns cached (free but held) CPU memory to the system. */
export function emptyCache(): void {
  cpuBinding.emptyCache();
}
