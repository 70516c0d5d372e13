// Makes sure the native addon and the compiled dist/ exist before any test
// runs (a fresh clone after `npm install` has both; this covers edits since).
import { execSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time of any file below `dir`. */
export function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const root = join(__dirname, '..');
  const addon = join(root, 'build', 'Release', 'tensorforge.node');
  if (!existsSync(addon) || statSync(addon).mtimeMs < newest(join(root, 'native'))) {
    execSync('npm run build:native', { cwd: root, stdio: 'inherit' });
  }
  const dist = join(root, 'dist', 'index.mjs');
  if (!existsSync(dist) || statSync(dist).mtimeMs < newest(join(root, 'src'))) {
    execSync('npm run build:ts', { cwd: root, stdio: 'inherit' });
  }
}
