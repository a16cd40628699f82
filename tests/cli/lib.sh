# Shared helpers of the CLI tests (sourced). Each test script counts its checks
# and ends with `finish`, which prints "N passed, N failed" and sets the exit code.
set -u
: "${GHIBLIFY:?GHIBLIFY must point at the ghiblify binary}"
: "${GH_SOURCE_DIR:?}"
SAMPLES="$GH_SOURCE_DIR/samples"
DATA="$GH_SOURCE_DIR/tests/data"
PASSED=0
FAILED=0
T=$(mktemp -d "${GH_TEST_TMP:-${TMPDIR:-/tmp}}/$(basename "$0" .sh).XXXXXX" 2>/dev/null ||
    { mkdir -p "${GH_TEST_TMP:-/tmp}" && mktemp -d "${GH_TEST_TMP:-/tmp}/$(basename "$0" .sh).XXXXXX"; })
MOUNTS=()
cleanup() {
  for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount "$m" 2>/dev/null; done
  chmod -R u+w "$T" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then pass; else fail "$what"; fi
}

# run EXPECTED_STATUS ARGS...: runs ghiblify, keeps stdout/stderr in $T/.out, $T/.err.
run() {
  local want=$1; shift
  "$GHIBLIFY" "$@" >"$T/.out" 2>"$T/.err"
  local got=$?
  if [ "$got" -eq "$want" ]; then pass; else
    fail "ghiblify $* exited $got, expected $want; stderr: $(head -c 600 "$T/.err")"
  fi
}

err_has() { # err_has TEXT: stderr of the last run contains TEXT
  if grep -qF -- "$1" "$T/.err"; then pass; else fail "stderr lacks '$1': $(head -c 600 "$T/.err")"; fi
}

# dims FILE: prints WxH of a PNG or JPEG, read by file(1), an independent decoder of headers.
dims() {
  file -b "$1" | sed -n -e 's/^PNG image data, \([0-9]*\) x \([0-9]*\).*/\1x\2/p' \
    -e 's/^JPEG image data.*, \([0-9][0-9]*\)x\([0-9][0-9]*\), components.*/\1x\2/p'
}

# A PNG or JPEG that ghiblify itself decodes completely (truncation is an error).
decodes() { "$GHIBLIFY" --quiet --stages upsample --overwrite -o "$T/.decode-check.png" "$1" 2>/dev/null; }

# Small copies of the samples, so tests run fast: small.jpg (96x64) and small.png (96x64).
make_small() {
  "$GHIBLIFY" --quiet --stages resize --size 96 --no-keep-size -o "$T/small.jpg" "$SAMPLES/rocket.jpg" &&
  "$GHIBLIFY" --quiet --stages resize --size 96 --no-keep-size -o "$T/small.png" "$SAMPLES/coffee.png"
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}
