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
 * Small GC-owned storages (at most GROUP_MAX_BYTES) share one finalizer in
 * groups of GROUP_SIZE: each holds its group's object, whose collection frees
 * the whole group. A finalizer each cost ~120 ns per tensor, as much as the
 * rest of a 4-element add; the price is that a group's dead members keep
 * their memory (at most 16 KB) until its last member dies.
 */
import type { NativeBinding, StorageHandle } from './backend/binding';
import type { Device } from './backend/device';
import { DTYPE_SIZE, type DType } from './dtype';

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
  /** The owner group whose finalizer frees this storage, if it joined one. */
  declare group: object | null;
  constructor(dtype: DType, device: Device, numel: number, binding: NativeBinding) {
    this.version = 0;
    this.kept = false;
    this.handle = 0 as StorageHandle;
    this.dtype = dtype;
    this.device = device;
    this.numel = numel;
    this.binding = binding;
    this.group = null;
  }
}

/** Storages of at most this many bytes join an owner group when the GC owns them. */
export const GROUP_MAX_BYTES = 256;
/** Members per owner group. */
export const GROUP_SIZE = 64;
/** The args slot where the addon keeps its current owner group's id. */
const GROUP_ID_SLOT = 7;

// The group new small storages join: the last one made, of the addon that
// made it (another addon's storages start a group of their own).
let group: { id: number } | null = null;
let groupBinding: NativeBinding | null = null;
let groupLeft = 0;

/** The owner a GC-owned storage is made for: its group's id when it is small, else itself. */
function gcOwner(s: Storage): Storage | number {
  if (s.numel * DTYPE_SIZE[s.dtype] > GROUP_MAX_BYTES) return s;
  // args' last slot holds the addon's current group id: a raw newGroup() call
  // elsewhere ends ours (the addon accepts only its current group).
  if (groupLeft === 0 || groupBinding !== s.binding || s.binding.args[GROUP_ID_SLOT] !== group!.id) {
    group = { id: 0 };
    group.id = s.binding.newGroup(group);
    groupBinding = s.binding;
    groupLeft = GROUP_SIZE;
  }
  groupLeft--;
  s.group = group;
  return group!.id;
}

/** What the addon is told owns a new storage: the Storage object, or an owner group's id. */
export type Owner = Storage | number;

/** Open `tidy` scopes, innermost last; each collects the storages created inside it. */
export const scopes: Storage[][] = [];

/**
 * Creates a Storage whose memory `make(owner, binding)` allocates: `owner` is
 * the new Storage or its owner group's id (GC-owned) or, inside a tidy scope,
 * null (scope-owned). `binding` is passed on so that a hot op's `make` can be
 * one function, not a closure made per call.
 */
export function newStorage(
  dtype: DType,
  device: Device,
  numel: number,
  binding: NativeBinding,
  make: (owner: Owner | null, binding: NativeBinding) => StorageHandle,
): Storage {
  const s = new Storage(dtype, device, numel, binding);
  const scope = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  s.handle = make(scope ? null : gcOwner(s), binding);
  if (scope) scope.push(s);
  return s;
}

/** Hands storages that outlive every tidy scope to the GC (or to the enclosing scope). */
export function releaseToParent(storages: readonly Storage[]): void {
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  for (const s of storages) {
    if (parent) parent.push(s);
    else if (!s.binding.isDisposed(s.handle)) s.binding.adopt(s.handle, gcOwner(s));
  }
}
