# Depth and fog from the command line (issue 12): --depth-out writes the depth
# map alone as a 16-bit gray PNG, --dump-stages writes it too, --depth-model
# runs a MiDaS network instead of the built-in estimate; wrong uses are refused.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1
MIDAS="$GH_SOURCE_DIR/tests/data/nn/midas_small_w24.onnx"

run 0 --overwrite --depth-out d.png -o o.png small.jpg
check "--depth-out is a 16-bit gray PNG" sh -c "file -b d.png | grep -q '16-bit grayscale'"
check "at the working size (the result's, with --no-keep-size off: 96x64)" test "$(dims d.png)" = 96x64
run 0 --overwrite --no-keep-size --dump-stages dump -o o2.png small.jpg
check "--dump-stages writes the depth stage's map as 16-bit gray" \
  sh -c "file -b dump/small.*-depth.png | grep -q '16-bit grayscale'"
check "and the sky mask as 16-bit gray" sh -c "file -b dump/small.*-sky.png | grep -q '16-bit grayscale'"
# A MiDaS network instead: a different map, same contract.
run 0 --overwrite --depth-model "$MIDAS" --depth-out m.png -o o3.png small.jpg
check "--depth-model: 16-bit gray at the working size" \
  sh -c "file -b m.png | grep -q '16-bit grayscale' && test \"\$(file -b m.png | grep -o '[0-9]* x [0-9]*')\" = '96 x 64'"
check "--depth-model's map is not the built-in one" sh -c "! cmp -s d.png m.png"
# Refusals: one line, the right exit code, nothing written or overwritten.
run 2 --depth-out d2.png small.jpg small.png
err_has "--depth-out takes one input"
run 2 --stages resize,stylize --depth-out d3.png small.jpg
err_has "--depth-out: neither the depth nor the fog stage runs"
check "no map written" test ! -e d3.png
# An existing file is not replaced without --overwrite (and the image is not written either).
cp small.jpg keep.jpg
run 1 --depth-out keep.jpg -o o4.png small.jpg
err_has "keep.jpg"
check "the existing file is intact" cmp -s keep.jpg small.jpg
check "and no image output was left" test ! -e o4.png
run 1 --overwrite --depth-out small.jpg -o o5.png small.jpg
err_has "--depth-out small.jpg is an input file; refusing to overwrite it"
run 2 --depth-model "$GH_SOURCE_DIR/models/AnimeGANv3_tiny_Cute.onnx" -o o6.png small.jpg
err_has "AnimeGANv3_tiny_Cute.onnx: depth model: its output is not one"
check "refused in one line, before any image" test "$(wc -l <"$T/.err")" -eq 1
run 2 --depth-model "$GH_SOURCE_DIR/tests/data/nn/depth_probe_gray.onnx" -o o6.png small.jpg
err_has "its input is not [1,3,H,W] or [1,H,W,3]"
check "nothing written" test ! -e o6.png
run 1 --overwrite --fog 0 --skip depth --depth-out d4.png -o o7.png small.jpg
err_has "no depth map was made"
finish
