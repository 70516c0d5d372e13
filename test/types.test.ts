// The public types, pinned: test/types/public-api.mts (ES module) and
// public-api.cts (CommonJS) hold expectTypeOf assertions and @ts-expect-error
// lines against 'tensorforge' as users resolve it (the built declarations,
// through package.json "exports"). expectTypeOf does nothing at run time, so
// this test is the type check itself: tsc must accept both files.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

describe('public types', () => {
  it('dtype flow, readonly shapes, typed options, nn and optim signatures type-check from ESM and CJS', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'test', 'types', 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    // tsc reports on stdout; showing it makes a failing assertion readable.
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
