/**
 * The JS side of a native buffer: its handle, the addon that owns it, and the
 * version counter that in-place ops bump (views share their base's storage,
 * hence its counter, as in PyTorch).
 */
import type { NativeBinding, StorageHandle } from './backend/binding';
import type { Device } from './backend/device';
import type { DType } from './dtype';

export class Storage {
  /** Bumped by every in-place write; saved tensors remember it. */
  version = 0;
  /** Set by `keep()`: `tidy` never frees a kept storage. */
  kept = false;
  constructor(
    readonly handle: StorageHandle,
    readonly dtype: DType,
    readonly device: Device,
    readonly numel: number,
    readonly binding: NativeBinding,
  ) {
    if (scopes.length > 0) scopes[scopes.length - 1].push(this);
  }
}

/** Open `tidy` scopes, innermost last; each collects the storages created inside it. */
export const scopes: Storage[][] = [];
