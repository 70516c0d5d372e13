#!/usr/bin/env bash
# Builds the CPU addon with AddressSanitizer + UndefinedBehaviorSanitizer in a
# scratch copy (so the normal build/ is untouched) and runs the native-heavy
# tests against it. Any sanitizer report fails the run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${TMPDIR:-/tmp}/tensorforge-asan"
rm -rf "$work" && mkdir -p "$work"
cp -r "$root/native" "$root/binding.gyp" "$root/package.json" "$root/scripts" "$work/"
ln -s "$root/node_modules" "$work/node_modules"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
(cd "$work" && CXXFLAGS="$san" LDFLAGS="-fsanitize=address,undefined" npx --no-install node-gyp rebuild -j 2 >/dev/null)
asan_rt="$(g++ -print-file-name=libasan.so)"
ubsan_rt="$(g++ -print-file-name=libubsan.so)"
echo "sanitizer build: $work/build/Release/tensorforge.node"
# Node is not instrumented, so leak checking would report V8's own allocations.
# allocator_may_return_null: a too-large tensor must surface as our RangeError, as without ASan.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TENSORFORGE_ADDON="$work/build/Release/tensorforge.node"
cd "$root"
LD_PRELOAD="$asan_rt:$ubsan_rt" npx --no-install vitest run --pool=forks \
  test/ops-pointwise.test.ts test/ops-reduce.test.ts test/ops-views.test.ts test/autograd.test.ts \
  test/binding.test.ts test/memory.test.ts test/fuzz.test.ts \
  test/gemm.test.ts test/nn-conv.test.ts test/nn-pool.test.ts test/nn-layers.test.ts "$@"
