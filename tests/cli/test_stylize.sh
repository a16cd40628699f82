# The stylize stage with --model: runs an ONNX generator on a photo at its own
# size; a missing or broken model is one clear error before any input is touched.
. "$(dirname "$0")/lib.sh"

TINY="$GH_SHARED_DIR/models/AnimeGANv3_tiny_Cute.onnx"
[ -f "$TINY" ] || { echo "no $TINY"; exit 77; }
check "small fixtures" make_small
run 0 --quiet --stages stylize --model "$TINY" -o "$T/styl.png" "$T/small.png"
check "stylized at the input's size" test "$(dims "$T/styl.png")" = 96x64
run 0 --quiet --stages upsample -o "$T/plain.png" "$T/small.png"
check "stylized differs from the input" sh -c "! cmp -s '$T/styl.png' '$T/plain.png'"
# Odd sizes are padded to the model's multiple and cropped back.
run 0 --quiet --stages resize,stylize --size 50 --model "$TINY" -o "$T/odd.png" "$T/small.png"
check "odd size kept" test "$(dims "$T/odd.png")" = 50x33

run 2 --stages stylize --model "$T/nope.onnx" -o "$T/x.png" "$T/small.png"
err_has "$T/nope.onnx"
head -c 1000 "$TINY" >"$T/cut.onnx"
run 2 --stages stylize --model "$T/cut.onnx" -o "$T/x.png" "$T/small.png"
err_has "$T/cut.onnx:"
check "no output after a model error" test ! -e "$T/x.png"
check "one line" test "$(wc -l <"$T/.err")" -eq 1
finish
