#!/usr/bin/env node
// Builds the CUDA addon with cmake-js, quietly: output is shown only on failure.
//   node native/cuda/build.cjs            -> build-cuda/Release/tensorforge_cuda.node (needs nvcc)
//   node native/cuda/build.cjs --emulate  -> build-cuda-emu/Release/tensorforge_cuda_emu.node (g++ only)
// Without nvcc the real build prints why it skipped and exits 0, so CPU-only
// machines can run the same scripts.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const emulate = process.argv.includes('--emulate');
const outDir = path.join(root, emulate ? 'build-cuda-emu' : 'build-cuda');
const name = emulate ? 'tensorforge_cuda_emu' : 'tensorforge_cuda';

function findNvcc() {
  const candidates = [];
  if (process.env.CUDACXX) candidates.push(process.env.CUDACXX);
  // Toolkit directories first: a PATH entry may be a wrapper script.
  for (const home of [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda'])
    if (home) candidates.push(path.join(home, 'bin', 'nvcc'));
  for (const dir of (process.env.PATH || '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'nvcc'));
  return candidates.find((c) => fs.existsSync(c));
}

const args = [require.resolve('cmake-js/bin/cmake-js'), 'build', '-d', __dirname, '-O', outDir, '-p', '2', '-l', 'error'];
if (emulate) {
  args.push('--CDTF_EMULATE=ON');
} else {
  const nvcc = findNvcc();
  if (!nvcc) {
    console.log('build:cuda skipped: nvcc not found (set CUDACXX or put the CUDA toolkit on PATH)');
    process.exit(0);
  }
  args.push(`--CDCMAKE_CUDA_COMPILER=${fs.realpathSync(nvcc)}`);
}

const t0 = Date.now();
const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (r.status !== 0) {
  process.stdout.write(r.stdout || '');
  process.stderr.write(r.stderr || '');
  console.error(`build${emulate ? ':cuda-emu' : ':cuda'} failed after ${secs}s`);
  process.exit(r.status || 1);
}
console.log(`built ${path.relative(root, path.join(outDir, 'Release', name + '.node'))} in ${secs}s`);
