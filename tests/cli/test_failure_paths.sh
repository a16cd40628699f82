# Failure paths of a batch (issue 15): signals with -j 2, two processes on one
# output folder, a read-only input folder, the output disk filling up midway,
# inputs deleted or cut while queued, the output folder removed midway. Each
# gives clear one-line errors naming the file, the rest of the batch goes on,
# and nothing partial or temporary is left.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1
# Cheap per-image work (no generator), so a batch lasts long enough to be hit
# midway without making the test slow.
FAST=(--skip stylize --size 64)

# every_output_whole DIR: every file decodes and none is hidden (temporary).
every_output_whole() {
  local f ok=0
  [ -z "$(find "$1" -name '.*' ! -name . ! -name ..)" ] || { echo "hidden files in $1" >&2; ok=1; }
  for f in "$1"/*; do [ -e "$f" ] || continue; decodes "$f" || { echo "incomplete: $f" >&2; ok=1; }; done
  return $ok
}
# wait_for N DIR: until DIR holds at least N files (at most 8 s).
wait_for() {
  for _ in $(seq 1 400); do
    [ "$(ls "$2" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
    sleep 0.02
  done
  return 1
}
# count_lines FILE PATTERN: how many lines of FILE match PATTERN.
count_lines() { grep -c -- "$2" "$1"; }

mkdir in40
for i in $(seq -w 1 40); do cp small.png "in40/p$i.png"; done

# --- SIGINT / SIGTERM with two jobs: exit 130/143, a summary, only whole
# outputs, and a rerun with --skip-existing does the rest and nothing twice.
# With the generator (tens of ms an image), so the signal lands mid-batch
# however fast the machine.
for sig in INT TERM; do
  rm -rf sig; mkdir sig
  "$GHIBLIFY" -j 2 --threads 1 --size 64 --skip-existing -d sig in40 >/dev/null 2>sig.err &
  pid=$!
  wait_for 3 sig
  kill -s "$sig" "$pid"
  wait "$pid"
  code=$?
  want=$([ "$sig" = INT ] && echo 130 || echo 143)
  check "-j 2 SIG$sig: exit $want (got $code)" test "$code" -eq "$want"
  check "-j 2 SIG$sig: summary line" grep -q "^ghiblify: interrupted: [0-9]* of 40 done" sig.err
  n=$(ls sig | wc -l)
  check "-j 2 SIG$sig came mid-batch ($n of 40)" test "$n" -ge 3 -a "$n" -lt 40
  check "-j 2 SIG$sig: outputs whole, no temporary file" every_output_whole sig
  before=$(stat -c '%n %i %Y' sig/* | sort)
  "$GHIBLIFY" -j 2 --threads 1 --size 64 --skip-existing -d sig in40 >/dev/null 2>"$T/.err"
  check "rerun after -j 2 SIG$sig exits 0" test $? -eq 0
  err_has "$((40 - n)) done, $n skipped, 0 failed"
  after=$(for f in $(echo "$before" | cut -d' ' -f1); do stat -c '%n %i %Y' "$f"; done | sort)
  check "rerun after SIG$sig left the first run's $n outputs alone" test "$before" = "$after"
  check "rerun after SIG$sig: all 40 there" test "$(ls sig | wc -l)" -eq 40
done

# --- Two processes, one output folder, the same inputs, --skip-existing:
# every output written exactly once (done counts add up to 40), none corrupt.
rm -rf two; mkdir two
"$GHIBLIFY" -j 2 --threads 1 "${FAST[@]}" --skip-existing -d two in40 >/dev/null 2>two1.err &
p1=$!
"$GHIBLIFY" -j 2 --threads 1 "${FAST[@]}" --skip-existing -d two in40 >/dev/null 2>two2.err &
p2=$!
wait "$p1"; c1=$?
wait "$p2"; c2=$?
check "two processes exit 0 ($c1, $c2)" test "$c1" -eq 0 -a "$c2" -eq 0
d1=$(sed -n 's/^ghiblify: \([0-9]*\) done, \([0-9]*\) skipped, 0 failed.*/\1/p' two1.err)
d2=$(sed -n 's/^ghiblify: \([0-9]*\) done, \([0-9]*\) skipped, 0 failed.*/\1/p' two2.err)
check "two processes: each output written once (${d1:-?} + ${d2:-?} = 40)" test "$((${d1:-0} + ${d2:-0}))" -eq 40
check "two processes: 40 outputs" test "$(ls two | wc -l)" -eq 40
check "two processes: outputs whole, no temporary file" every_output_whole two

# --- A read-only input folder: read fine; outputs beside the inputs fail one
# by one with the reason, and a writable input of the same batch is done.
mkdir rodir rw
cp small.png rodir/a.png; cp small.jpg rodir/b.jpg; cp small.png rw/c.png
ro_ok=0
if [ "$(id -u)" -eq 0 ] && mount --bind rodir rodir 2>/dev/null; then
  MOUNTS+=("$T/rodir")
  mount -o remount,ro,bind rodir 2>/dev/null && ro_ok=1
elif [ "$(id -u)" -ne 0 ]; then
  chmod 555 rodir && ro_ok=1
fi
if [ "$ro_ok" -eq 1 ]; then
  run 1 "${FAST[@]}" rodir/a.png rodir/b.jpg rw/c.png
  check "read-only folder: one error line per output there" test "$(count_lines "$T/.err" "^ghiblify: rodir/[ab]\.\(png\|jpg\): .*rodir/[ab]_ghibli\.\(png\|jpg\): cannot create file: \(Read-only file system\|Permission denied\)$")" -eq 2
  err_has "1 done, 0 skipped, 2 failed"
  check "the writable input was done" decodes rw/c_ghibli.png
  run 0 "${FAST[@]}" -d fromro rodir
  check "read-only input folder with -d: both done" test -f fromro/a_ghibli.png -a -f fromro/b_ghibli.jpg
else
  fail "could not make a read-only folder"
fi

# --- Inputs deleted or cut while queued, the output folder removed midway:
# those items fail with their reason, the others are done.
mkdir q
for i in $(seq -w 1 40); do cp small.jpg "q/p$i.jpg"; done
rm -rf qo; mkdir qo
"$GHIBLIFY" -j 1 --threads 1 "${FAST[@]}" --denoise-sigma-space 6 -d qo q >/dev/null 2>q.err &
pid=$!
wait_for 1 qo
rm q/p38.jpg
size=$(stat -c %s q/p39.jpg); truncate -s $((size / 2)) q/p39.jpg
: >q/p40.jpg
wait "$pid"
check "deleted/cut inputs: exit 1" test $? -eq 1
check "deleted input named" grep -q "^ghiblify: q/p38.jpg: No such file or directory$" q.err
check "cut input named" grep -q "^ghiblify: q/p39.jpg: truncated JPEG data" q.err
check "emptied input named" grep -q "^ghiblify: q/p40.jpg: empty file$" q.err
check "the other 37 done" grep -q "^ghiblify: 37 done, 0 skipped, 3 failed" q.err
check "deleted/cut inputs: outputs whole" every_output_whole qo

rm -rf qo; mkdir qo
for i in $(seq -w 1 40); do cp small.jpg "q/p$i.jpg"; done
"$GHIBLIFY" -j 1 --threads 1 "${FAST[@]}" --denoise-sigma-space 6 -d qo q >/dev/null 2>q.err &
pid=$!
wait_for 3 qo
rm -rf qo
wait "$pid"
code=$?
done_n=$(sed -n 's/^ghiblify: \([0-9]*\) done, 0 skipped, \([0-9]*\) failed.*/\1/p' q.err)
failed_n=$(sed -n 's/^ghiblify: \([0-9]*\) done, 0 skipped, \([0-9]*\) failed.*/\2/p' q.err)
check "output folder removed: exit 1 (got $code)" test "$code" -eq 1
check "output folder removed: every item accounted for (${done_n:-?} + ${failed_n:-?})" \
  test "$((${done_n:-0} + ${failed_n:-0}))" -eq 40 -a "${failed_n:-0}" -gt 0
check "output folder removed: one clear line per failed item" \
  test "$(count_lines q.err "^ghiblify: q/p[0-9]*\.jpg: qo/p[0-9]*_ghibli\.jpg: cannot create file: No such file or directory$")" -eq "${failed_n:-0}"

# --- Symbolic links to directories under -r: each directory is scanned once.
# Two links to "." used to make 2^40 paths (a hang); one made 41 copies.
mkdir -p loops/sub
cp small.png loops/a.png; cp small.jpg loops/sub/b.jpg
ln -s . loops/again; ln -s . loops/again2; ln -s .. loops/sub/up; ln -s sub loops/sub_link
timeout 30 "$GHIBLIFY" -v -r "${FAST[@]}" -d loopout loops >/dev/null 2>loops.err
code=$?
check "-r with link loops finishes, exit 0 (got $code)" test "$code" -eq 0
check "-r with link loops: 2 done, 4 skipped" grep -q "^ghiblify: 2 done, 4 skipped, 0 failed" loops.err
check "-r with link loops: each link said once" \
  test "$(grep -c "left out: a directory already scanned" loops.err)" -eq 4
check "-r with link loops: just the two outputs" \
  test "$(find loopout -type f | sort | tr '\n' ' ')" = "loopout/a_ghibli.png loopout/sub/b_ghibli.jpg "

# --- The output disk fills up midway: the items that do not fit fail with
# ENOSPC one by one, the batch goes on to try every item, and no partial or
# temporary file is left.
if [ "$(id -u)" -eq 0 ] && mkdir full && mount -t tmpfs -o size=96k tmpfs full 2>/dev/null; then
  MOUNTS+=("$T/full")
  # 24 outputs of ~9 KB (quality 100): about 10 fit.
  mkdir fin
  for i in $(seq -w 1 24); do cp small.jpg "fin/a$i.jpg"; done
  "$GHIBLIFY" "${FAST[@]}" --quality 100 -d full fin/a*.jpg >/dev/null 2>full.err
  code=$?
  done_n=$(sed -n 's/^ghiblify: \([0-9]*\) done, 0 skipped, \([0-9]*\) failed.*/\1/p' full.err)
  failed_n=$(sed -n 's/^ghiblify: \([0-9]*\) done, 0 skipped, \([0-9]*\) failed.*/\2/p' full.err)
  check "disk full midway: exit 1 (got $code)" test "$code" -eq 1
  check "disk full midway: some done, some failed (${done_n:-?}/${failed_n:-?})" \
    test "${done_n:-0}" -gt 0 -a "${failed_n:-0}" -gt 0 -a "$((${done_n:-0} + ${failed_n:-0}))" -eq 24
  check "disk full: one ENOSPC line per failed item" \
    test "$(count_lines full.err "^ghiblify: fin/a[0-9]*\.jpg: full/a[0-9]*_ghibli\.jpg: write failed: No space left on device$")" -eq "${failed_n:-0}"
  check "disk full: outputs whole, no temporary file" every_output_whole full
elif [ "$(id -u)" -eq 0 ]; then
  fail "could not mount a small tmpfs"
else
  echo "note: not root: the full-disk case (a small tmpfs) is not run"
fi
finish
