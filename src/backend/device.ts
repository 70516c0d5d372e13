/**
 * Devices and the one device switch: `backendFor(device)` returns the native
 * addon that owns that device's memory and kernels. The CPU addon is loaded
 * eagerly; the CUDA addon lazily, the first time a 'cuda' tensor is asked for.
 */
import * as path from 'node:path';
import type { NativeBinding } from './binding';

/** Where a tensor's memory lives. */
export type Device = 'cpu' | 'cuda';

// src/backend/ and dist/backend/ are both two levels below the package root.
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The addon's exports as an object with fast properties. N-API builds the
 * exports object one property at a time and V8 leaves it in dictionary mode,
 * so every `binding.binary` was a hash lookup through a megamorphic load IC
 * (~2.5% of a 4-element add in perf); a spread copy gets a hidden class.
 */
function fastProperties(raw: unknown): NativeBinding {
  return { ...(raw as NativeBinding) };
}

function loadCpu(): NativeBinding {
  try {
    // TENSORFORGE_ADDON points at an alternative build (e.g. the sanitizer
    // build of `npm run test:asan`); otherwise node-gyp-build picks a matching
    // prebuild under prebuilds/ or build/Release.
    const override = process.env.TENSORFORGE_ADDON;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (override) return fastProperties(require(path.resolve(override)));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => unknown;
    return fastProperties(load(ROOT));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `tensorforge: could not load the native CPU addon (${why}).\n` +
        `Rebuild it with \`npm rebuild tensorforge\` (or \`npm run build:native\` in a clone); ` +
        `this needs python3, make and a C++17 compiler.`,
    );
  }
}

export const cpuBinding: NativeBinding = loadCpu();

interface CudaState {
  binding: NativeBinding | null;
  reason: string;
  emulated: boolean;
}
let cudaState: CudaState | undefined;

/** Loads the CUDA addon once; remembers why it is unavailable. */
export function cudaBackendState(): CudaState {
  if (cudaState) return cudaState;
  const emulate = process.env.TENSORFORGE_CUDA_EMULATE === '1';
  const file = emulate
    ? path.join(ROOT, 'build-cuda-emu', 'Release', 'tensorforge_cuda_emu.node')
    : path.join(ROOT, 'build-cuda', 'Release', 'tensorforge_cuda.node');
  let binding: NativeBinding | null = null;
  let reason = '';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = fastProperties(require(file));
    const info = binding.deviceInfo();
    if (!info.available) {
      reason = `the CUDA addon loaded but no usable device: ${info.reason ?? 'unknown reason'}`;
      binding = null;
    }
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    reason = emulate
      ? `the CUDA emulator addon is not built (run \`npm run build:cuda-emu\`): ${why}`
      : `the CUDA addon is not built or cannot load (run \`npm run build:cuda\`; it needs nvcc): ${why}`;
    binding = null;
  }
  cudaState = { binding, reason, emulated: emulate && binding !== null };
  return cudaState;
}

/** Returns the addon for a device, or throws saying which piece is missing. */
export function backendFor(device: Device): NativeBinding {
  if (device === 'cpu') return cpuBinding;
  if (device === 'cuda') {
    const st = cudaBackendState();
    if (!st.binding) throw new Error(`cuda: device not available: ${st.reason}`);
    return st.binding;
  }
  throw new TypeError(`unknown device ${JSON.stringify(device)} (expected 'cpu' or 'cuda')`);
}

/** Validates a user-supplied device name. */
export function checkDevice(d: unknown, op: string): Device {
  if (d === 'cpu' || d === 'cuda') return d;
  throw new TypeError(`${op}: unknown device ${JSON.stringify(d)} (expected 'cpu' or 'cuda')`);
}
