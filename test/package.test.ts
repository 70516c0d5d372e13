// The package as users consume it: `import` and `require` of 'tensorforge'
// (through package.json "exports", from the built dist/), and its types.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tf-pkg-'));
mkdirSync(join(dir, 'node_modules'));
symlinkSync(root, join(dir, 'node_modules', 'tensorforge'), 'dir');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SNIPPET_BODY = `
manualSeed(0);
const a = randn([2, 3]);
const b = tensor([[1, 2, 3]]);
console.log(JSON.stringify(a.add(b).relu().sum(1).toArray()));
`;

function run(file: string, source: string): string {
  writeFileSync(join(dir, file), source);
  return execFileSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8' }).trim();
}

describe('package entry points', () => {
  it('the README snippet runs from ESM and CJS with the same result', () => {
    const esm = run('a.mjs', `import { tensor, zeros, randn, arange, manualSeed } from 'tensorforge';\n${SNIPPET_BODY}`);
    const cjs = run('a.cjs', `const { tensor, zeros, randn, arange, manualSeed } = require('tensorforge');\n${SNIPPET_BODY}`);
    const v = JSON.parse(esm) as number[];
    expect(v).toHaveLength(2);
    expect(cjs).toBe(esm);
    // Independent check: relu(a + b) summed over dim 1, from a's own values.
    const check = run(
      'b.mjs',
      `import { tensor, randn, manualSeed } from 'tensorforge';
       manualSeed(0); const a = randn([2, 3]).toArray();
       const b = [1, 2, 3];
       console.log(JSON.stringify(a.map((row) => row.reduce((s, x, j) => s + Math.max(0, Math.fround(x + b[j])), 0))));`,
    );
    (JSON.parse(check) as number[]).forEach((x, i) => expect(v[i]).toBeCloseTo(x, 5));
  });

  it('ESM and CJS share one module instance (no dual-package hazard)', () => {
    const out = run(
      'c.mjs',
      `import * as esm from 'tensorforge'; import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('tensorforge');
       console.log(esm.Tensor === cjs.Tensor, esm.nn.Module === cjs.nn.Module);`,
    );
    expect(out).toBe('true true');
  });

  it('types check from TypeScript in both module systems', () => {
    const src = `
      ${'$'}IMPORT
      const a: Tensor<'float32'> = randn([2, 3]);
      const b = tensor([[1, 2, 3]], { dtype: 'int32' });
      const c = a.add(b);           // float32 + int32 -> float32
      const d: Tensor<'bool'> = c.gt(0);
      const e: Tensor<'int32'> = c.argmax(1);
      const f: readonly number[] = c.shape;
      const g: Float32Array = c.data();
      const h: boolean = d.any().item();
      void [e, f, g, h];
      // @ts-expect-error shapes are readonly
      c.shape.push(1);
      // @ts-expect-error dtype names are checked
      zeros([2], { dtype: 'float16' });
    `;
    writeFileSync(join(dir, 'types.mts'), src.replace('$IMPORT', `import { randn, tensor, zeros, type Tensor } from 'tensorforge';`));
    writeFileSync(join(dir, 'types.cts'), src.replace('$IMPORT', `import { randn, tensor, zeros, type Tensor } from 'tensorforge';`));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: [], skipLibCheck: false, lib: ['es2022', 'esnext.disposable'] }, files: ['types.mts', 'types.cts'] }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
  });
});
