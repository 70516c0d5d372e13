#!/usr/bin/env node
// `npm run prebuild`: prebuildify --napi --strip for this platform and arch,
// written to prebuilds/<platform>-<arch>/tensorforge.node. node-gyp-build
// loads it on any Node of that platform (the name carries no ABI tag) and the
// package's install step then compiles nothing.
//
// The target is pinned to the Node running this script: left alone,
// prebuildify --napi targets the newest Node that node-abi lists, so node-gyp
// would download (or, with npm's nodedir set, merely pretend to use) that
// Node's headers. The addon is built with NAPI_EXPERIMENTAL (binding.gyp), and
// with newer headers node-addon-api may call experimental functions that older
// Nodes lack; since Node resolves symbols lazily that would fail at the first
// call, not at load. Built against the headers of the oldest Node in
// "engines", the binary only imports functions every supported Node has.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const bin = require.resolve('prebuildify/bin.js');
const args = [bin, '--napi', '--strip', `--target=node@${process.versions.node}`, ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
