// The package as npm delivers it: `npm pack`, the tarball installed into an
// empty directory outside the repo (offline, from npm's cache), then used from
// ESM, CJS and TypeScript there. The install must take the shipped prebuild:
// the package's install step (node-gyp-build) compiles only when none matches.
//
// The tarball is packed from a staging copy of exactly the files npm would
// pack from the repo, with prebuilds/<platform>-<arch>/tensorforge.node set to
// the current addon: the repo's prebuild when it is newer than the native
// sources, else build/Release's (global-setup keeps that fresh), stripped as
// `npm run prebuild` strips it. That keeps the test to seconds instead of a
// minute of compiling, and never tests a stale binary.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newest } from './global-setup';

const root = join(__dirname, '..');
const platformDir = `${process.platform}-${process.arch}`;

// Children get neither an alternative addon (npm run test:asan sets one) nor
// node-gyp-build's prebuild override: the installed package must find its own.
const env = { ...process.env };
delete env.TENSORFORGE_ADDON;
delete env.TENSORFORGE_PREBUILD;

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
}
const npm = (args: string[], cwd: string) => run('npm', args, cwd);

function fail(what: string, r: SpawnSyncReturns<string>): never {
  throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
}

// What `npm pack` takes from the repo. If npm cannot even list that, there is
// nothing to test here: say why and skip.
const listed = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root);
const packError = listed.status === 0 ? null : (listed.error?.message ?? listed.stderr.trim().split('\n').pop());
if (packError) console.log(`pack tests skipped: npm pack is not possible here (${packError})`);
const packFiles: string[] = packError ? [] : (JSON.parse(listed.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);

// A small computation with values exact in float32 (halves and quarters), and
// no pre-activation at 0, so the reference below must match exactly.
const X = [[1, -2, 0.5, 3], [0, 1, -1, 2], [-3, 0.5, 2, -1]];
const W = [[0.5, -1], [1, 0.25], [-2, 1], [0.75, -0.5]];
const B = [0.5, -0.25];
const BODY = `
const x = tensor(${JSON.stringify(X)}, { dtype: 'float32' });
const w = tensor(${JSON.stringify(W)}, { dtype: 'float32', requiresGrad: true });
const b = tensor(${JSON.stringify(B)}, { dtype: 'float32' });
const y = x.matmul(w).add(b).relu();
y.sum().backward();
console.log(JSON.stringify({ y: y.toArray(), gw: w.grad.toArray(), dtype: y.dtype }));
`;
// y = relu(X W + B); d(sum y)/dW[k][j] = sum_i X[i][k] * [pre[i][j] > 0].
const pre = X.map((row) => B.map((bj, j) => row.reduce((s, xik, k) => s + xik * W[k][j], bj)));
const yRef = pre.map((row) => row.map((v) => Math.max(0, v)));
const gwRef = W.map((_, k) => B.map((_b, j) => X.reduce((s, row, i) => s + (pre[i][j] > 0 ? row[k] : 0), 0)));

describe.skipIf(packError !== null)('npm pack, install from the tarball, use', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tf-pack-'));
  const app = join(tmp, 'app');
  const installed = join(app, 'node_modules', 'tensorforge');
  let installLog = '';
  let tarballBytes = 0;

  beforeAll(() => {
    // Stage the packed files, with the current addon as this platform's prebuild.
    const stage = join(tmp, 'stage');
    for (const f of packFiles) {
      mkdirSync(dirname(join(stage, f)), { recursive: true });
      copyFileSync(join(root, f), join(stage, f));
    }
    const sourcesTime = Math.max(newest(join(root, 'native')), statSync(join(root, 'binding.gyp')).mtimeMs);
    const repoPrebuild = join(root, 'prebuilds', platformDir, 'tensorforge.node');
    const prebuild = join(stage, 'prebuilds', platformDir, 'tensorforge.node');
    mkdirSync(dirname(prebuild), { recursive: true });
    if (existsSync(repoPrebuild) && statSync(repoPrebuild).mtimeMs >= sourcesTime) {
      console.log(`pack test: shipping prebuilds/${platformDir}/tensorforge.node`);
      copyFileSync(repoPrebuild, prebuild);
    } else {
      console.log(`pack test: prebuilds/${platformDir} missing or older than native/; shipping build/Release/tensorforge.node`);
      copyFileSync(join(root, 'build', 'Release', 'tensorforge.node'), prebuild);
      if (process.platform === 'linux') run('strip', ['--strip-all', prebuild], stage); // best effort, size only
    }

    // --ignore-scripts: "prepare" would rebuild dist/, which the stage copied.
    const packed = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], stage);
    if (packed.status !== 0) fail('npm pack', packed);
    const info = (JSON.parse(packed.stdout) as { filename: string; size: number }[])[0];
    tarballBytes = info.size;

    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const args = ['install', '--no-audit', '--no-fund', '--foreground-scripts', join(tmp, info.filename)];
    let inst = npm(['--offline', ...args], app);
    // Offline fails only when a dependency's tarball is not in npm's cache.
    if (inst.status !== 0 && /ENOTCACHED/.test(inst.stdout + inst.stderr)) inst = npm(['--prefer-offline', ...args], app);
    if (inst.status !== 0) fail('npm install', inst);
    installLog = inst.stdout + inst.stderr;
  }, 90_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('ships dist, the native sources and build files, the prebuild and docs; no tests, maps or build outputs', () => {
    const has = new Set(packFiles);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'binding.gyp', 'scripts/sources.cjs',
      'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts', 'native/cuda/CMakeLists.txt', 'native/cuda/build.cjs']) {
      expect(has, f).toContain(f);
    }
    // Every file under native/ (what binding.gyp and the CUDA build read).
    const walk = (d: string): string[] =>
      readdirSync(join(root, d), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${d}/${e.name}`) : [`${d}/${e.name}`]));
    expect(packFiles.filter((f) => f.startsWith('native/')).sort()).toEqual(walk('native').sort());
    for (const f of packFiles) {
      expect(f).toMatch(/^(dist|native|prebuilds)\/|^(package\.json|README\.md|LICENSE|CHANGELOG\.md|binding\.gyp|scripts\/sources\.cjs)$/);
      expect(f).not.toMatch(/\.map$/);
    }
    // The main tarball is the CPU package: no CUDA binaries (those are built separately).
    expect(packFiles.some((f) => /cuda.*\.node$/.test(f))).toBe(false);
    expect(tarballBytes).toBeLessThan(5 << 20);
  });

  it('installs from the prebuild without compiling', () => {
    expect(existsSync(installed)).toBe(true);
    expect(existsSync(join(installed, 'build'))).toBe(false);
    expect(installLog).not.toMatch(/gyp info|CXX\(target\)/);
    const r = run(process.execPath, ['-p', "require('node-gyp-build').resolve('node_modules/tensorforge')"], app);
    if (r.status !== 0) fail('node-gyp-build resolve', r);
    expect(r.stdout.trim()).toBe(join(installed, 'prebuilds', platformDir, 'tensorforge.node'));
  });

  it('imports from ESM and CJS (one module instance) and computes the right values and gradients', () => {
    writeFileSync(join(app, 'a.mjs'), `import { tensor } from 'tensorforge';\n${BODY}`);
    writeFileSync(join(app, 'a.cjs'), `const { tensor } = require('tensorforge');\n${BODY}`);
    writeFileSync(
      join(app, 'same.mjs'),
      `import * as esm from 'tensorforge'; import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('tensorforge');
       console.log(esm.Tensor === cjs.Tensor && esm.default === cjs);`,
    );
    for (const file of ['a.mjs', 'a.cjs']) {
      const r = run(process.execPath, [file], app);
      if (r.status !== 0) fail(file, r);
      expect(JSON.parse(r.stdout), file).toEqual({ y: yRef, gw: gwRef, dtype: 'float32' });
    }
    const same = run(process.execPath, ['same.mjs'], app);
    if (same.status !== 0) fail('same.mjs', same);
    expect(same.stdout.trim()).toBe('true');
  });

  it('type-checks from TypeScript (node16, ESM and CJS) with the shipped declarations', () => {
    const src = (imp: string) => `${imp}
      const x = zeros([2, 3], { dtype: 'float64' });
      const y: Tensor<'float64'> = x.add(tensor([1, 2, 3], { dtype: 'int32' }));
      const s: readonly number[] = y.shape;
      const lin = new nn.Linear(3, 1);
      const out: Tensor = lin.forward(y.float());
      void [s, out];
      // @ts-expect-error dtype names are checked
      zeros([2], { dtype: 'float16' });
    `;
    const imp = `import { nn, tensor, zeros, type Tensor } from 'tensorforge';`;
    writeFileSync(join(app, 'types.mts'), src(imp));
    writeFileSync(join(app, 'types.cts'), src(imp));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'esnext.disposable'], types: [], skipLibCheck: false },
        files: ['types.mts', 'types.cts'],
      }),
    );
    const r = run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
