# --detail full, --tile, --tile-margin, --stats-size (issue 13): the
# generator at the photo's own resolution in tiles, with its whole-image
# statistics from a pass at --stats-size; seamless with the default margin; models whose global
# dependencies cannot be frozen are refused by name.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1

"$GHIBLIFY" --help >help.txt
check "--help shows --detail" grep -q -- "--detail NAME .*working.*full" help.txt
check "--help shows --tile" grep -q -- "--tile N " help.txt
check "--help shows --tile-margin" grep -q -- "--tile-margin N " help.txt
check "--help shows --stats-size" grep -q -- "--stats-size N " help.txt
run 2 --detail fine small.jpg; err_has "'fine' is not one of: working, full"

# PSNR of two 8-bit images (numpy and OpenCV, an independent reader); "skip"
# when they are missing.
psnr() {
  /usr/bin/python3 - "$1" "$2" <<'PY' 2>/dev/null || echo skip
import sys
import cv2
import numpy as np
a, b = (cv2.imread(p).astype(np.float64) for p in sys.argv[1:3])
mse = ((a - b) ** 2).mean()
print(999 if mse == 0 else int(10 * np.log10(255.0 ** 2 / mse)))
PY
}
at_least() { [ "$1" = skip ] || [ "$1" -ge "$2" ]; }
below() { [ "$1" = skip ] || [ "$1" -lt "$2" ]; }

# The generator alone at full size (--stages stylize has no resize). With
# --stats-size at least the photo's long side (the default 1280 here) the
# statistics pass is the whole run: one piece, as in working mode.
COFFEE="$SAMPLES/coffee.png"
# Under the sanitizers (GH_SANITIZE=ON) the runs that only judge pictures or
# option wiring are left to the Release build: each is half a minute there.
full_suite() { [ "${GH_SANITIZE:-OFF}" != ON ]; }
run 0 --quiet --stages stylize -o whole.png "$COFFEE"
if full_suite; then
  run 0 --quiet --detail full --stats-size 600 --stages stylize -o same.png "$COFFEE"
  p=$(psnr whole.png same.png)
  check "--stats-size >= the photo: one piece (PSNR $p)" at_least "$p" 99
  run 0 --quiet --detail full --stages stylize -o default.png "$COFFEE"
  p=$(psnr whole.png default.png)
  check "default --stats-size 1280 >= the photo: one piece (PSNR $p)" at_least "$p" 99
fi
# Statistics from 300 px, then 600x400 in tiles: close to the full-size
# run, not equal; and the same whatever the tile size (seamless: 15 tiles of
# 128 or 6 of 200 px give one picture). --size does not matter in full mode
# unless --stats-size is 0.
run 0 --quiet --detail full --stats-size 300 --tile 128 --stages stylize -o frozen.png "$COFFEE"
if full_suite; then
  run 0 --quiet --detail full --stats-size 0 --size 300 --tile 128 --stages stylize -o frozen0.png "$COFFEE"
  check "--stats-size 0 takes --size" cmp -s frozen.png frozen0.png
  run 0 --quiet --detail full --stats-size 300 --size 200 --tile 128 --stages stylize -o frozen1.png "$COFFEE"
  check "--size does not change the statistics" cmp -s frozen.png frozen1.png
fi
check "full detail keeps the photo's size" test "$(dims frozen.png)" = 600x400
p=$(psnr whole.png frozen.png)
check "statistics at 300 px (PSNR $p >= 30)" at_least "$p" 30
check "statistics at 300 px are not the full-size ones (PSNR $p < 60)" below "$p" 60
# A photo squarer than 4:3 gets a statistics pass of a 4:3 pass's pixels
# (gh_stage_stats_side): on a square photo --stats-size 300 is a 259 px pass,
# which --stats-size 0 --size 259 asks for directly.
if full_suite && /usr/bin/python3 -c "import cv2; cv2.imwrite('square.png', cv2.imread('$COFFEE')[:, 100:500])" 2>/dev/null; then
  run 0 --quiet --detail full --stats-size 300 --tile 128 --stages stylize -o sq300.png square.png
  run 0 --quiet --detail full --stats-size 0 --size 259 --tile 128 --stages stylize -o sq259.png square.png
  check "a square photo's pass has a 4:3 pass's pixels" cmp -s sq300.png sq259.png
  run 0 --quiet --detail full --stats-size 0 --size 300 --tile 128 --stages stylize -o sq300s.png square.png
  check "... which a 300 px pass is not" sh -c "! cmp -s sq300.png sq300s.png"
fi
# A statistics pass of 512 px is followed by one of 256 and extrapolated to
# 600 (include/ghiblify/nn.h; its gain is measured in unit.test_nn_tiles).
run 0 --quiet --detail full --stats-size 512 --tile 128 --stages stylize -o frozen512.png "$COFFEE"
p=$(psnr whole.png frozen512.png)
check "statistics at 512 px, extrapolated (PSNR $p >= 33)" at_least "$p" 33
run 0 --quiet --detail full --stats-size 300 --tile 200 --stages stylize -o frozen200.png "$COFFEE"
p=$(psnr frozen.png frozen200.png)
check "tile size does not show (PSNR $p >= 60)" at_least "$p" 60
# No margin: seams, which the default margin prevents.
run 0 --quiet --detail full --stats-size 300 --tile 128 --tile-margin 0 --stages stylize -o seams.png "$COFFEE"
p=$(psnr frozen.png seams.png)
check "--tile-margin 0 shows seams (PSNR $p < 45)" below "$p" 45

# The whole pipeline in full detail: every stage at the photo's size.
run 0 --quiet --detail full --stats-size 300 -o pipe.png "$COFFEE"
check "pipeline output at the photo's size" test "$(dims pipe.png)" = 600x400
run 0 --quiet --detail full --stats-size 300 --dump-stages dump "$COFFEE" -o pipe2.png
check "resize kept the full size" test "$(dims dump/coffee.02-resize.png)" = 600x400

# A graph whose whole-image dependency cannot be frozen: refused by name.
run 1 --model "$DATA/nn/tile_attn.onnx" --detail full --stats-size 300 --stages stylize -o attn.png "$COFFEE"
err_has "(MatMul) contracts over image positions"
err_has "cannot run in tiles"
check "no output" test ! -e attn.png
finish
