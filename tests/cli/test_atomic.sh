# Outputs appear whole or not at all: killing ghiblify mid-batch (SIGKILL or
# SIGTERM) leaves only complete images and no temporary files.
. "$(dirname "$0")/lib.sh"

in="$T/in"; mkdir "$in"
for i in $(seq -w 1 40); do cp "$SAMPLES/coffee.png" "$in/p$i.png"; done
for sig in KILL TERM; do
  out="$T/out_$sig"; mkdir "$out"
  "$GHIBLIFY" --quiet -j 2 --skip stylize --size 600 --denoise-sigma-space 5 --denoise-method both -d "$out" "$in" 2>/dev/null &
  pid=$!
  # Wait until a few outputs exist, then kill in the middle of the batch.
  for _ in $(seq 1 400); do
    [ "$(ls "$out" | wc -l)" -ge 3 ] && break
    sleep 0.05
  done
  kill -s "$sig" "$pid"
  wait "$pid" 2>/dev/null
  n=$(ls "$out" | wc -l)
  check "SIGKILL/SIG$sig came mid-batch ($n of 40 written)" test "$n" -ge 3 -a "$n" -lt 40
  check "no hidden or temporary files after SIG$sig" test "$(ls -A "$out" | wc -l)" -eq "$n"
  complete=1
  for f in "$out"/*; do decodes "$f" || { complete=0; echo "incomplete: $f" >&2; }; done
  check "every output after SIG$sig is a complete image" test "$complete" -eq 1
done
finish
