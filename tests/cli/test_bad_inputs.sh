# Bad inputs: each gets one line naming the file and the reason, the batch goes
# on, the exit status is 1, and nothing partial is left behind.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
B="$T/bad"; O="$T/res"
mkdir -p "$B/emptydir" "$O"
cp "$T/small.png" "$B/good1.png"
cp "$T/small.jpg" "$B/good2.jpg"
: >"$B/zero.jpg"
echo "this is not an image" >"$B/text.jpg"
size=$(stat -c %s "$T/small.jpg"); head -c $((size / 2)) "$T/small.jpg" >"$B/trunc.jpg"
size=$(stat -c %s "$T/small.png"); head -c $((size / 2)) "$T/small.png" >"$B/trunc.png"
# Alter the stored CRC of the first IDAT chunk: the data is intact, only the check fails.
cp "$T/small.png" "$B/crc.png"
idat=$(grep -obUaP "IDAT" "$B/crc.png" | head -1 | cut -d: -f1)
len=$(od -An -tu1 -j $((idat - 4)) -N4 "$B/crc.png" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
printf '\x55\xaa' | dd of="$B/crc.png" bs=1 seek=$((idat + 4 + len)) conv=notrunc status=none

run 1 -d "$O" "$B/missing.jpg" "$B/emptydir" "$B/zero.jpg" "$B/text.jpg" "$B/trunc.jpg" \
      "$B/trunc.png" "$B/crc.png" "$B/good1.png" "$B/good2.jpg"
errors=$(grep -c "^ghiblify: $B/" "$T/.err")
check "one error line per bad input (got $errors)" test "$errors" -eq 7
grep -q "^ghiblify: $B/missing.jpg: No such file or directory$" "$T/.err" && pass || fail "missing file line"
grep -q "^ghiblify: $B/emptydir: no images (PNG, JPEG, WebP, HEIC, AVIF)" "$T/.err" && pass || fail "empty directory line"
grep -qi "^ghiblify: $B/zero.jpg: .*empty" "$T/.err" && pass || fail "zero-byte line"
grep -qi "^ghiblify: $B/text.jpg: .*not a PNG, JPEG, WebP, HEIF or AVIF file" "$T/.err" && pass || fail "text file line"
grep -qi "^ghiblify: $B/trunc.jpg: .*truncated" "$T/.err" && pass || fail "truncated JPEG line"
grep -qi "^ghiblify: $B/trunc.png: .*\(truncated\|end of\)" "$T/.err" && pass || fail "truncated PNG line"
grep -qi "^ghiblify: $B/crc.png: .*crc" "$T/.err" && pass || fail "CRC line"
err_has "2 done, 0 skipped, 7 failed"
check "good inputs still converted" test -f "$O/good1_ghibli.png" -a -f "$O/good2_ghibli.jpg"
check "nothing written for bad inputs" test "$(ls -A "$O" | wc -l)" -eq 2

# Arithmetic-coded JPEGs (tests/data/make-arith-fixtures.sh), as Huffman-coded
# ones: the good ones convert; cut mid-scan, without the EOI marker, and a
# progressive one mid-scan and at a scan boundary, each gets one line naming it
# with the reason, and nothing is written for them.
A="$T/arith"; AO="$T/arith-out"
mkdir -p "$A" "$AO"
cp "$DATA/arith.jpg" "$A/good seq.jpg"
cp "$DATA/arith-prog.jpg" "$A/good prog.jpg"
size=$(stat -c %s "$DATA/arith.jpg")
head -c $((size / 2)) "$DATA/arith.jpg" >"$A/cut.jpg"
head -c $((size - 2)) "$DATA/arith.jpg" >"$A/no eoi.jpg"
size=$(stat -c %s "$DATA/arith-prog.jpg")
head -c $((size * 3 / 5)) "$DATA/arith-prog.jpg" >"$A/prog cut.jpg"
sos=$(LC_ALL=C grep -obUaP "\xff\xda" "$DATA/arith-prog.jpg" | sed -n 5p | cut -d: -f1)
head -c "$sos" "$DATA/arith-prog.jpg" >"$A/prog at scan.jpg"
run 1 --stages resize --size 48 -d "$AO" "$A"
err_has "2 done, 0 skipped, 4 failed"
for f in "cut" "no eoi" "prog cut" "prog at scan"; do
  n=$(grep -c "^ghiblify: $A/$f.jpg: truncated JPEG data" "$T/.err")
  check "arithmetic '$f': one line saying truncated (got $n)" test "$n" -eq 1
done
check "arithmetic: the good ones converted, nothing else written" \
  test "$(ls -A "$AO" | wc -l)" -eq 2 -a -f "$AO/good seq_ghibli.jpg" -a -f "$AO/good prog_ghibli.jpg"

# Over the pixel limit: refused, named, and the limit is said.
run 1 --max-pixels 5000 -d "$O" --overwrite "$B/good1.png"
err_has "$B/good1.png:"
err_has "limit"

# An output directory that cannot be made is a run-level failure: exit 2, one
# line, before any work.
run 2 -d "$B/good1.png" "$B/good1.png"
err_has "not a directory"
check "one line only" test "$(wc -l <"$T/.err")" -eq 1
run 2 -d "$B/good1.png/sub" "$B/good1.png"
err_has "good1.png is not a directory"

# Standard output on a full device.
"$GHIBLIFY" --quiet -o - "$B/good1.png" >/dev/full 2>"$T/.err"
check "stdout on /dev/full fails" test $? -eq 1
err_has "No space left on device"

if [ "$(id -u)" -eq 0 ] && mkdir "$T/ro" "$T/tiny" && mount -t tmpfs -o ro,size=64k tmpfs "$T/ro" 2>/dev/null; then
  MOUNTS+=("$T/ro")
  # A read-only output directory.
  run 2 -d "$T/ro" "$B/good1.png"
  err_has "$T/ro"
  err_has "Read-only file system"
  # A full disk: the output does not fit; no partial or temporary file remains.
  mount -t tmpfs -o size=12k tmpfs "$T/tiny" && MOUNTS+=("$T/tiny")
  run 1 --quality 100 -d "$T/tiny" "$SAMPLES/rocket.jpg" "$SAMPLES/coffee.png"
  err_has "No space left on device"
  check "full disk leaves no file" test "$(ls -A "$T/tiny" | wc -l)" -eq 0
  # Unreadable input, as an unprivileged user (root reads everything).
  chmod 755 "$T" "$B" "$O"; cp "$T/small.png" "$B/secret.png"; chmod 000 "$B/secret.png"
  setpriv --reuid=nobody --regid=nogroup --clear-groups "$GHIBLIFY" -o - "$B/secret.png" >/dev/null 2>"$T/.err"
  check "unreadable input exit 1" test $? -eq 1
  err_has "$B/secret.png: Permission denied"
else
  # Not root: plain permissions do the same job.
  mkdir -p "$T/ro2"; chmod 555 "$T/ro2"
  run 1 -d "$T/ro2" "$B/good1.png"; err_has "$T/ro2"
  cp "$T/small.png" "$B/secret.png"; chmod 000 "$B/secret.png"
  run 1 -o - "$B/secret.png"; err_has "$B/secret.png: Permission denied"
fi
finish
