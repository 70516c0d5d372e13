// Lists the .cc files in the given directories for binding.gyp, so adding a
// kernel file never means editing the build. Files named *_avx2.cc or
// *_avx512.cc are excluded unless --isa=<name> asks for exactly those.
const fs = require('fs');
const path = require('path');
const args = process.argv.slice(2);
const isaArg = args.find((a) => a.startsWith('--isa='));
const isa = isaArg ? isaArg.slice(6) : null;
const out = [];
for (const dir of args.filter((a) => !a.startsWith('--'))) {
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.cc')) continue;
    const m = /_(avx2|avx512)\.cc$/.exec(f);
    if (isa ? m && m[1] === isa : !m) out.push(path.posix.join(dir, f));
  }
}
console.log(out.join('\n'));
