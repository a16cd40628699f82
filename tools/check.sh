#!/bin/sh
# Runs the static analysis (tools/lint.sh: cppcheck and clang-tidy, no
# finding allowed); builds ghiblify with its tests twice, optimized and with
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs the whole suite in
# both builds; then a clang/libFuzzer build gives each fuzz target (model
# loaders, image decoders, option parser) a short smoke run.
#   tools/check.sh            (from the repository root)
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
# The build embeds the generator from models/; the tests also read ../shared/models.
tools/fetch-models.sh
echo "== static analysis (tools/lint.sh) =="
GH_LINT_JOBS="$jobs" tools/lint.sh
cmake -S . -B build-test -DGH_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release
cmake --build build-test -j "$jobs"
cmake -S . -B build-asan -DGH_BUILD_TESTS=ON -DGH_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-asan -j "$jobs"
echo "== test suite, optimized build =="
ctest --test-dir build-test --output-on-failure -j "$jobs"
echo "== test suite, ASan + UBSan build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
echo "== fuzz smoke (clang, libFuzzer) =="
CC=clang cmake -S . -B build-fuzz -DGH_BUILD_TESTS=ON -DGH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-fuzz -j "$jobs"
ctest --test-dir build-fuzz --output-on-failure -R '^fuzz\.'
