// The nvcc-built CUDA addon (npm run build:cuda). On machines without a GPU or
// driver it must still load and say why it is unavailable; the kernels
// themselves are compared with the CPU in cuda-emu.test.ts (emulated, and on
// the real device when one is present).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILE = path.join(ROOT, 'build-cuda', 'Release', 'tensorforge_cuda.node');
const built = existsSync(FILE);
if (!built) console.log('cuda-real tests skipped: build-cuda/Release/tensorforge_cuda.node not built (npm run build:cuda; needs nvcc)');

describe.skipIf(!built)('CUDA addon (nvcc build)', () => {
  const addon = built ? require(FILE) : null;
  const info = built ? addon.deviceInfo() : null;

  it('loads, exports the binding and the CUDA-only functions', () => {
    for (const fn of ['alloc', 'fromTyped', 'toTyped', 'matmul', 'crossEntropy', 'deviceCount', 'isEmulated', 'synchronize'])
      expect(typeof addon[fn], fn).toBe('function');
    expect(addon.isEmulated()).toBe(false);
    expect(info.device).toBe('cuda');
  });

  it.skipIf(info?.available)('without a usable GPU: unavailable, with the reason, and every entry point says so', () => {
    console.log(`cuda-real: device unavailable here: ${info.reason}`);
    expect(info.available).toBe(false);
    expect(info.reason).toMatch(/^(CUDA driver not found|no CUDA GPU found|CUDA unavailable) \(cudaGetDeviceCount/);
    expect(addon.deviceCount()).toBe(0);
    expect(() => addon.alloc(0, 4)).toThrow(info.reason);
    expect(() => addon.fromTyped(new Float32Array(4), 0)).toThrow(info.reason);
    expect(() => addon.synchronize()).toThrow(info.reason);
    expect(addon.memoryStats()).toEqual({ liveBytes: 0, cachedBytes: 0, peakBytes: 0, allocations: 0, gcOwnedBytes: 0 });
  });

  it.skipIf(!info?.available)('with a GPU: available and counted', () => {
    expect(addon.deviceCount()).toBeGreaterThan(0);
    addon.synchronize();
  });
});
