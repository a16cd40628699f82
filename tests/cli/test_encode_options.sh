# Encoder options: --chroma (JPEG color resolution actually written), --quality,
# --png-compression (both settings give valid PNGs with the same pixels), --sync
# (outputs are fsync'ed before their rename only when asked), and their usage errors.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1

# jpeg_sampling FILE: the first component's sampling factors in the JPEG's SOF
# marker, "22" for 4:2:0 and "11" for 4:4:4 (read from the bytes, not by our decoder).
jpeg_sampling() {
  od -An -tx1 -v "$1" | tr -s ' \n' '  ' | awk '{
    for (i = 1; i < NF; i++)
      if ($i == "ff" && ($(i + 1) == "c0" || $(i + 1) == "c1" || $(i + 1) == "c2")) {
        s = $(i + 11); print substr(s, 1, 1) substr(s, 2, 1); exit
      }
  }'
}

run 0 --quiet --stages upsample -o default.jpg small.png
check "default JPEG chroma is 4:2:0" test "$(jpeg_sampling default.jpg)" = 22
run 0 --quiet --stages upsample --chroma 444 -o full.jpg small.png
check "--chroma 444 writes 4:4:4" test "$(jpeg_sampling full.jpg)" = 11
run 0 --quiet --stages upsample --chroma 420 -q 98 -o sub98.jpg small.png
check "--chroma 420 at quality 98 stays 4:2:0" test "$(jpeg_sampling sub98.jpg)" = 22
check "4:4:4 output is larger" test "$(stat -c %s full.jpg)" -gt "$(stat -c %s default.jpg)"
check "4:4:4 output decodes" decodes full.jpg
run 0 --quiet --stages upsample -q 40 -o q40.jpg small.png
check "quality still honored with 4:2:0" test "$(stat -c %s q40.jpg)" -lt "$(stat -c %s default.jpg)"

# A full-size photo (640x427): on tiny images the two settings are too close to order.
run 0 --quiet --stages upsample -o fast.png "$SAMPLES/rocket.jpg"
run 0 --quiet --stages upsample --png-compression small -o small_out.png "$SAMPLES/rocket.jpg"
check "fast PNG decodes" decodes fast.png
check "small PNG decodes" decodes small_out.png
check "--png-compression small is smaller" test "$(stat -c %s small_out.png)" -lt "$(stat -c %s fast.png)"
# Same pixels: re-encoding each with the (deterministic) fast encoder gives equal files.
run 0 --quiet --stages upsample -o fast2.png fast.png
run 0 --quiet --stages upsample -o small2.png small_out.png
check "both PNG settings store the same pixels" cmp -s fast2.png small2.png
check "PNG re-encode is lossless and stable" cmp -s fast.png fast2.png

# --sync: fsync of the output before it gets its name (and of the directory); none without.
if command -v strace >/dev/null 2>&1; then
  strace -f -qq -e trace=fsync,fdatasync -o sync.trace "$GHIBLIFY" --quiet --stages upsample --sync -o synced.png small.png 2>/dev/null
  check "--sync output written" decodes synced.png
  check "--sync calls fsync" test "$(grep -c 'fsync(' sync.trace)" -ge 2
  strace -f -qq -e trace=fsync,fdatasync -o nosync.trace "$GHIBLIFY" --quiet --stages upsample -o unsynced.png small.png 2>/dev/null
  check "no fsync by default" test "$(grep -c 'fsync(' nosync.trace)" -eq 0
  check "default output written" decodes unsynced.png
else
  echo "strace not found: --sync's fsync calls not checked" >&2
fi

run 2 --chroma 422 small.png; err_has "--chroma 422: expected 420 or 444"
run 2 --png-compression best small.png; err_has "--png-compression best: expected fast or small"
"$GHIBLIFY" --help >help.txt
check "--help lists --chroma" grep -q -- "--chroma 420|444" help.txt
check "--help lists --png-compression" grep -q -- "--png-compression fast|small" help.txt
check "--help lists --sync" grep -q -- "--sync" help.txt
finish
