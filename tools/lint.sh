#!/bin/sh
# Static analysis of ghiblify's own C sources (src/, include/, tests/, tools/):
# cppcheck and clang-tidy with the checked-in configuration (.clang-tidy,
# tools/cppcheck-suppressions.txt and the inline "cppcheck-suppress" and
# "NOLINT" comments, each with its reason). Exits nonzero on any finding.
#   tools/lint.sh                 (from anywhere; tools/check.sh runs it first)
#   GH_LINT_JOBS=N                parallel jobs (default: nproc)
#   GH_LINT_ONLY=cppcheck|clang-tidy   run one of the two
# Both read build-lint/compile_commands.json, written here by CMake (configure
# only, nothing is compiled): the same flags, defines and generated headers as
# the real build, test and tool sources included.
# gcc's -fanalyzer is not run here: with gcc 12 it gave 86 warnings of which
# one was real (fixed); each kind is accounted for in tools/BENCHMARKS.md
# ("Static analysis"). To repeat it:
#   cmake -S . -B build-fanalyzer -DGH_BUILD_TESTS=ON -DGH_WERROR=OFF -DCMAKE_C_FLAGS=-fanalyzer
#   cmake --build build-fanalyzer -j2 2>&1 | grep 'Wanalyzer'
set -eu
cd "$(dirname "$0")/.."
jobs=${GH_LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
only=${GH_LINT_ONLY:-}
build=build-lint
for tool in cppcheck clang-tidy; do
  command -v "$tool" >/dev/null || { echo "lint: $tool not found (tools/install-deps.sh installs it)" >&2; exit 2; }
done
mkdir -p "$build"
cmake -S . -B "$build" -DGH_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 2; }
db="$build/compile_commands.json"
status=0

if [ "$only" != clang-tidy ]; then
  echo "== cppcheck $(cppcheck --version | sed 's/^Cppcheck //') =="
  start=$(date +%s)
  mkdir -p "$build/cppcheck"
  # warning: likely bugs (uninitialized reads, out-of-bounds, null pointers...);
  # portability: behaviour that depends on the platform. style and
  # performance are not enforced (taste, and the compiler's job).
  if ! cppcheck --project="$db" -j "$jobs" --cppcheck-build-dir="$build/cppcheck" \
         --enable=warning,portability --inline-suppr --suppressions-list=tools/cppcheck-suppressions.txt \
         --error-exitcode=1 --quiet --template='{file}:{line}:{column}: {severity}: {message} [{id}]'; then
    echo "lint: cppcheck reported the findings above" >&2
    status=1
  fi
  echo "cppcheck: $(( $(date +%s) - start )) s"
fi

if [ "$only" != cppcheck ]; then
  echo "== $(clang-tidy --version | grep -o 'LLVM version [0-9.]*' | sed 's/LLVM/clang-tidy, LLVM/') =="
  start=$(date +%s)
  # Every source file once (tests/unit/check.c is in each test's target).
  files=$(sed -n 's/^ *"file": "\(.*\)",\{0,1\}$/\1/p' "$db" | sort -u)
  [ -n "$files" ] || { echo "lint: no sources in $db" >&2; exit 2; }
  # WarningsAsErrors in .clang-tidy: any finding makes clang-tidy, and so
  # xargs, exit nonzero. Each file's report is printed in one piece.
  if ! printf '%s\n' "$files" | xargs -P "$jobs" -I{} sh -c \
         'out=$(clang-tidy -p "$1" --quiet "$2" 2>&1) || { printf "%s\n" "$out" |
            grep -v "^[0-9]* warnings* \(generated\|treated as errors\)\|^Suppressed [0-9]* warnings*\|^Use -header-filter\|^Use -system-headers"; exit 1; }' \
         sh "$build" {}; then
    echo "lint: clang-tidy reported the findings above" >&2
    status=1
  fi
  echo "clang-tidy: $(printf '%s\n' "$files" | wc -l) files, $(( $(date +%s) - start )) s"
fi

[ "$status" -eq 0 ] && echo "lint: no findings"
exit "$status"
