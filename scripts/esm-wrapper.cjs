// Writes dist/index.mjs and dist/index.d.mts: an ES module facade over the
// CommonJS build that re-exports every name, so `import` and `require` share
// one module instance (no dual-package hazard with two copies of native state).
const fs = require('fs');
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const names = Object.keys(require(path.join(dist, 'index.js'))).filter((n) => n !== 'default' && n !== '__esModule');
const lines = [
  "import { createRequire } from 'node:module';",
  'const cjs = createRequire(import.meta.url)(\'./index.js\');',
  ...names.map((n) => `export const ${n} = cjs.${n};`),
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
fs.writeFileSync(path.join(dist, 'index.d.mts'), "export * from './index.js';\nexport * as default from './index.js';\n");
