# Day-one frictions (issue 9, items 3, 4 and 6): ghiblify as a Unix filter,
# sizes that cannot fit run in tiles or, for a model that cannot, are refused at once, logs fit for files, interrupted
# batches say how far they got.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1

# --- stdin/stdout (item 4) ---
# Input '-' without -o: standard output, in the input's format; nothing else written.
mkdir filt && cd filt || exit 1
cat ../small.jpg | "$GHIBLIFY" - >o.jpg 2>"$T/.err"
check "stdin without -o exits 0" test $? -eq 0
check "stdout got a JPEG for a JPEG input" sh -c "file -b o.jpg | grep -q '^JPEG image data'"
check "JPEG on stdout is the working result's size" test "$(dims o.jpg)" = 96x64
check "no stdin_ghibli.* file written" test "$(ls | tr '\n' ' ')" = "o.jpg "
cat ../small.png | "$GHIBLIFY" --quiet - >o.png
check "stdout got a PNG for a PNG input" sh -c "file -b o.png | grep -q '^PNG image data'"
"$GHIBLIFY" --quiet -f png - <../small.jpg >forced.png
check "-f png on stdout" sh -c "file -b forced.png | grep -q '^PNG image data'"
cd "$T" || exit 1
# Image bytes are never written to a terminal: script(1) gives a pty as stdout.
if command -v script >/dev/null; then
  script -qec "'$GHIBLIFY' '$T/small.jpg' -o -" /dev/null >"$T/tty.out" 2>&1
  check "image to a terminal refused with exit 2" test $? -eq 2
  check "with a hint to redirect" grep -q "refusing to write image data to a terminal" "$T/tty.out"
  check "and no JPEG bytes on the terminal" test "$(wc -c <"$T/tty.out")" -lt 400
  script -qec "'$GHIBLIFY' - <'$T/small.jpg'" /dev/null >"$T/tty2.out" 2>&1
  check "stdin to a terminal stdout refused too" grep -q "refusing to write image data to a terminal" "$T/tty2.out"
fi
# An output name that contradicts --format is a usage error.
run 2 -f png -o x.jpg small.png; err_has "-o x.jpg contradicts --format png"
check "nothing written" test ! -e x.jpg
run 2 -f jpg -o x.png small.png; err_has "contradicts --format jpg"
run 0 --quiet -f jpg -o agree.jpeg small.png
check "-f jpg with .jpeg agrees" test -f agree.jpeg

# --- sizes (item 3) ---
# A working size too large for the generator in one piece runs in tiles
# (issue 13), so with the built-in model every size --help allows works.
run 0 --quiet --size 4000 small.jpg -o big.jpg
check "--size 4000 gives an output" test -f big.jpg
run 0 --quiet --size 600 --max-memory 40 "$SAMPLES/coffee.png" -o tight.png
check "a 600 px working image under --max-memory 40 runs in tiles" test "$(dims tight.png)" = 600x400
# A model that cannot run in tiles (attention over all positions) is still
# refused before any work, naming the largest size that fits; no internal
# node names without -v.
ATTN="$DATA/nn/tile_attn.onnx"
run 2 --model "$ATTN" --size 4000 --max-memory 64 small.jpg -o big2.jpg
err_has "--size 4000: the generator would need"
err_has "the largest --size that fits is"
check "refused in one line" test "$(wc -l <"$T/.err")" -eq 1
check "no node names" sh -c "! grep -q \"node '\" '$T/.err'"
check "no output" test ! -e big2.jpg
fit=$(sed -n 's/.*the largest --size that fits is \([0-9]*\).*/\1/p' "$T/.err")
check "largest size reported ($fit)" test -n "$fit"
run 2 --model "$ATTN" --size 1024 --max-memory 16 small.jpg -o big3.jpg
err_has "over --max-memory"
small_fit=$(sed -n 's/.*the largest --size that fits is \([0-9]*\).*/\1/p' "$T/.err")
# The size it names really fits under that limit, one more step does not.
run 0 --quiet --model "$ATTN" --size "$small_fit" --max-memory 16 small.jpg -o fits.jpg
run 2 --model "$ATTN" --size $((small_fit + 1)) --max-memory 16 small.jpg -o nofit.jpg
run 2 --max-memory 12x small.jpg; err_has "--max-memory 12x"
check "--help states the practical range" sh -c "'$GHIBLIFY' --help | grep -q 'Practical range 256..2048'"

# A failure inside the generator names no model node unless -v.
run 0 --quiet --stages resize --size 97 --no-keep-size -o odd.png "$SAMPLES/rocket.jpg"
run 1 --stages stylize --stylize-multiple 1 -o oddout.png odd.png
err_has "the generator failed: shapes do not broadcast"
check "no node name without -v" sh -c "! grep -q \"node '\" '$T/.err'"
run 1 -v --stages stylize --stylize-multiple 1 -o oddout.png odd.png
err_has "node '"

# --- logs (item 6) ---
run 2 --quiet -v small.jpg; err_has "--quiet and -v contradict"
run 2 --stages '' small.jpg; err_has "no stage left to run"
# -v into a file: plain lines, no carriage returns or escape codes.
run 0 -v --overwrite -d logs small.jpg small.png
check "-v log has no \\r or ESC" sh -c "! grep -q \$(printf '[\\r\\033]') '$T/.err'"
err_has "[1/2]"
err_has "2 done, 0 skipped, 0 failed"
# Each -v line says where the time went, step by step, so the slow stage shows.
check "-v line times read, every default stage, encode, write" grep -Eq \
  '\(([0-9.]+) s: read [0-9.]+, resize [0-9.]+, denoise [0-9.]+, stylize [0-9.]+, .*upsample [0-9.]+, dither [0-9.]+, encode [0-9.]+, write [0-9.]+\)$' "$T/.err"
run 0 -v --overwrite --stages resize,upsample -d logs small.jpg
check "-v times only the stages that ran" grep -Eq 's: read [0-9.]+, resize [0-9.]+, upsample [0-9.]+, encode [0-9.]+, write [0-9.]+\)$' "$T/.err"
# --help ends with five examples and says -d creates the folder.
"$GHIBLIFY" --help >help.txt
check "--help has an Examples section" grep -q '^Examples:' help.txt
check "five examples" test "$(sed -n '/^Examples:/,/^$/p' help.txt | grep -c '^  ghiblify\|^  cat ')" -eq 5
check "--help says -d creates DIR" grep -q 'DIR and its parents are created when missing' help.txt

# An interrupted batch says how far it got, exits 128+signal, leaves only whole
# outputs, and a rerun finishes the rest without redoing any.
mkdir many
for i in $(seq -w 1 30); do cp small.png "many/p$i.png"; done
for sig in INT TERM; do
  rm -rf res; mkdir res
  "$GHIBLIFY" --size 64 -d res many >/dev/null 2>"$T/sig.err" &
  pid=$!
  for _ in $(seq 1 400); do
    [ "$(ls res | wc -l)" -ge 2 ] && break
    sleep 0.02
  done
  kill -s "$sig" "$pid"
  wait "$pid"
  code=$?
  want=$([ "$sig" = INT ] && echo 130 || echo 143)
  check "SIG$sig exit $want (got $code)" test "$code" -eq "$want"
  check "SIG$sig summary line" grep -q "^ghiblify: interrupted: [0-9]* of 30 done" "$T/sig.err"
  n=$(ls res | wc -l)
  said=$(sed -n 's/^ghiblify: interrupted: \([0-9]*\) of 30 done.*/\1/p' "$T/sig.err")
  check "SIG$sig: the summary counts what is on disk ($said vs $n)" test "$said" = "$n"
  check "SIG$sig came mid-batch ($n)" test "$n" -lt 30
  check "no temporary files after SIG$sig" test "$(ls -A res | wc -l)" -eq "$n"
  "$GHIBLIFY" --size 64 -d res many >/dev/null 2>"$T/.err"
  check "rerun after SIG$sig exits 0" test $? -eq 0
  err_has "$((30 - n)) done, $n skipped, 0 failed"
done
finish
