/**
 * The JS side of a native buffer: its handle, the addon that owns it, and the
 * version counter that in-place ops bump (views share their base's storage,
 * hence its counter, as in PyTorch).
 *
 * Lifetime: outside `tidy`, the Storage object is the memory's owner — the
 * addon attaches a GC finalizer to it, so the memory is freed after the last
 * tensor using it is collected. Inside `tidy`, the scope owns it instead: no
 * finalizer is attached (that saves most of a small op's cost), the scope's
 * end disposes it, and one that outlives the scope is handed to the GC then.
 */
import type { NativeBinding, StorageHandle } from './backend/binding';
import type { Device } from './backend/device';
import type { DType } from './dtype';

// Fields are `declare`d and assigned in the constructor, not class fields:
// ES2022 class fields are defined one by one (plus an initializer call) on
// every construction, and one Storage is built per op.
export class Storage {
  /** Bumped by every in-place write; saved tensors remember it. */
  declare version: number;
  /** Set by `keep()`: `tidy` never frees a kept storage. */
  declare kept: boolean;
  /** The native handle (set once, right after construction, by `newStorage`). */
  declare handle: StorageHandle;
  declare readonly dtype: DType;
  declare readonly device: Device;
  declare readonly numel: number;
  declare readonly binding: NativeBinding;
  constructor(dtype: DType, device: Device, numel: number, binding: NativeBinding) {
    this.version = 0;
    this.kept = false;
    this.handle = 0 as StorageHandle;
    this.dtype = dtype;
    this.device = device;
    this.numel = numel;
    this.binding = binding;
  }
}

/** Open `tidy` scopes, innermost last; each collects the storages created inside it. */
export const scopes: Storage[][] = [];

/**
 * Creates a Storage whose memory `make(owner)` allocates: `owner` is the new
 * Storage (GC-owned) or, inside a tidy scope, null (scope-owned).
 */
export function newStorage(
  dtype: DType,
  device: Device,
  numel: number,
  binding: NativeBinding,
  make: (owner: Storage | null) => StorageHandle,
): Storage {
  const s = new Storage(dtype, device, numel, binding);
  const scope = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  s.handle = make(scope ? null : s);
  if (scope) scope.push(s);
  return s;
}

/** Hands storages that outlive every tidy scope to the GC (or to the enclosing scope). */
export function releaseToParent(storages: readonly Storage[]): void {
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  for (const s of storages) {
    if (parent) parent.push(s);
    else if (!s.binding.isDisposed(s.handle)) s.binding.adopt(s.handle, s);
  }
}
