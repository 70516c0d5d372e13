/**
 * The benchmark suite still runs: `benchmarks/run.mjs --quick --only overhead`
 * writes its JSON with every per-op figure present, positive and finite.
 * Speed is never asserted (the machine is shared; figures belong in the note).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tf-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('benchmarks/run.mjs', () => {
  it('--quick --only overhead writes positive finite figures as JSON', () => {
    const out = join(dir, 'bench.json');
    const stdout = execFileSync(process.execPath, [join(root, 'benchmarks', 'run.mjs'), '--quick', '--only', 'overhead', '--json', out], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(stdout).toContain('per-op overhead');
    const r = JSON.parse(readFileSync(out, 'utf8'));
    expect(r.meta.quick).toBe(true);
    expect(r.meta.sections).toEqual(['overhead']);
    expect(r.meta.wallSeconds).toBeGreaterThan(0);
    const keys = ['addNoGrad', 'addNoGradTidy', 'addGradRecorded', 'addInNoGrad', 'addScalar', 'matmul4x4NoGrad', 'matmul4x4GradRecorded'];
    expect(Object.keys(r.overhead).sort()).toEqual([...keys, 'parts', 'vsNumpy'].sort());
    const parts = ['napiCall', 'opInto', 'opNewTidy', 'opNewOwned', 'opNewGrouped', 'jsOnly'];
    expect(Object.keys(r.overhead.parts).sort()).toEqual([...parts].sort());
    for (const [k, v] of [...keys.map((k) => [k, r.overhead[k]]), ...parts.map((k) => [k, r.overhead.parts[k]])]) {
      expect(Number.isFinite(v), k).toBe(true);
      expect(v, k).toBeGreaterThan(0);
    }
    // Alternating rounds against numpy's a + b, when a python3 with numpy is
    // around (null otherwise): every round timed on both sides.
    const v = r.overhead.vsNumpy;
    if (v !== null) {
      expect(v.ours).toHaveLength(v.rounds);
      expect(v.numpyAdd).toHaveLength(v.rounds);
      for (const x of [...v.ours, ...v.numpyAdd]) {
        expect(x.best).toBeGreaterThan(0);
        expect(x.mean).toBeGreaterThanOrEqual(x.best);
      }
      expect(stdout).toContain('rounds ours <= numpy');
    }
    // Sections not asked for are not run.
    expect(r.gemm).toBeUndefined();
    expect(r.tfjs).toBeUndefined();
  });

  it('rejects an unknown --only section', () => {
    expect(() =>
      execFileSync(process.execPath, [join(root, 'benchmarks', 'run.mjs'), '--only', 'nope'], { cwd: root, encoding: 'utf8', stdio: 'pipe' }),
    ).toThrow(/unknown section 'nope'/);
  });
});
