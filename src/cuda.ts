/**
 * The CUDA device (`cuda`). The CUDA addon is optional and loaded lazily: on
 * machines without it (or without a driver or GPU) `isAvailable()` is false
 * and `unavailableReason()` says which piece is missing. With
 * TENSORFORGE_CUDA_EMULATE=1 the g++-built emulator stands in for a GPU.
 */
import type { MemoryStats } from './backend/binding';
import { backendFor, cudaBackendState } from './backend/device';

/** True when 'cuda' tensors can be created. @example if (cuda.isAvailable()) x = x.to('cuda'); */
export function isAvailable(): boolean {
  return cudaBackendState().binding !== null;
}

/** Why CUDA is unavailable, or null when it is available. */
export function unavailableReason(): string | null {
  const st = cudaBackendState();
  return st.binding ? null : st.reason;
}

/** Number of CUDA devices (0 when unavailable). */
export function deviceCount(): number {
  const b = cudaBackendState().binding;
  return b?.deviceCount ? b.deviceCount() : 0;
}

/** True when 'cuda' runs on the CPU emulator (TENSORFORGE_CUDA_EMULATE=1). */
export function isEmulated(): boolean {
  return cudaBackendState().emulated;
}

/** Live, cached and peak bytes of the CUDA caching allocator. */
export function memoryStats(): MemoryStats {
  return backendFor('cuda').memoryStats();
}

/** Returns the CUDA allocator's cached blocks to the driver. */
export function emptyCache(): void {
  backendFor('cuda').emptyCache();
}

/** Waits for all queued CUDA work to finish. */
export function synchronize(): void {
  backendFor('cuda').synchronize?.();
}
