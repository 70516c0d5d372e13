// The example scripts as users run them: a short subset run of each must
// train, print one JSON summary line with --json, reach a stated accuracy,
// and write its pictures with --plots. On the emulated CUDA device the MLP
// must train to the same numbers as on the CPU.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
function run(script: string, args: string[], env: Record<string, string> = {}): Record<string, unknown> {
  const out = execFileSync(process.execPath, [join(root, 'examples', script), ...args, '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

describe('examples', () => {
  it('mnist-mlp learns on a 5000-image subset and writes its plots', () => {
    const plots = mkdtempSync(join(tmpdir(), 'tf-plots-'));
    const r = run('mnist-mlp.mjs', ['--limit', '5000', '--test-limit', '1000', '--epochs', '1', '--plots', plots]);
    for (const k of ['test_accuracy', 'test_loss', 'train_seconds', 'epochs', 'steps']) expect(r).toHaveProperty(k);
    expect(r.steps).toBe(50);
    expect(r.test_accuracy as number).toBeGreaterThanOrEqual(0.85);
    const curve = readFileSync(join(plots, 'mnist-mlp-curve.svg'), 'utf8');
    expect(curve).toContain('<path');
    expect(readFileSync(join(plots, 'mnist-mlp-digits.svg'), 'utf8')).toContain('(true ');
  });

  it('mnist-keras (compile/fit/evaluate) learns on a subset', () => {
    const r = run('mnist-keras.mjs', ['--limit', '3000', '--test-limit', '1000', '--epochs', '2']);
    expect(r.epochs).toBe(2);
    expect(r.test_accuracy as number).toBeGreaterThanOrEqual(0.85);
  });

  it('mnist-cnn runs and learns on a small subset', () => {
    const r = run('mnist-cnn.mjs', ['--limit', '600', '--test-limit', '500', '--epochs', '1', '--batch-size', '50']);
    expect(r.steps).toBe(12);
    expect(r.test_accuracy as number).toBeGreaterThanOrEqual(0.5);
  });

  it.skipIf(!existsSync(join(root, 'build-cuda-emu', 'Release', 'tensorforge_cuda_emu.node')))(
    '--device cuda on the emulator trains to the same numbers as the CPU',
    () => {
      const args = ['--limit', '200', '--test-limit', '100', '--epochs', '1', '--batch-size', '50'];
      const cpu = run('mnist-mlp.mjs', args);
      const gpu = run('mnist-mlp.mjs', [...args, '--device', 'cuda'], { TENSORFORGE_CUDA_EMULATE: '1' });
      expect(gpu.device).toBe('cuda');
      expect(gpu.test_accuracy).toBe(cpu.test_accuracy);
      expect(gpu.test_loss as number).toBeCloseTo(cpu.test_loss as number, 4);
    },
  );

  it('bad flags are reported, not thrown', () => {
    expect(() => run('mnist-mlp.mjs', ['--epochs', 'x'])).toThrow(/--epochs: expected a non-negative integer/);
    expect(() => run('mnist-mlp.mjs', ['--device', 'tpu'])).toThrow(/--device: expected cpu or cuda/);
  });
});
