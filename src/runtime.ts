/** Process-wide controls of the CPU backend: threads and the kernel ISA. */
import { cpuBinding } from './backend/device';

/** Threads used by CPU kernels (defaults to the core count or TENSORFORGE_NUM_THREADS). */
export function getNumThreads(): number {
  return cpuBinding.getNumThreads!();
}

/** Sets the CPU thread count (1..256). @example setNumThreads(1) */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`setNumThreads: expected an integer in [1, 256], got ${String(n)}`);
  }
  cpuBinding.setNumThreads!(n);
}

/** What the CPU backend runs on: the active SIMD kernels, those the CPU supports, and threads. */
export function backendInfo(): { isa: string; supportedIsas: string[]; threads: number } {
  return { isa: cpuBinding.getIsa!(), supportedIsas: cpuBinding.supportedIsas!(), threads: getNumThreads() };
}
