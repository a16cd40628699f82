# A model that cannot be loaded is one line on stderr naming its path exactly
# once ("ghiblify: F: TFLite: ...", not "ghiblify: F: F: ..."), for ONNX and
# TFLite files, a missing file, and with several workers (-j 2 loads one
# generator per worker); and a quantized TFLite generator now runs from --model.
. "$(dirname "$0")/lib.sh"
make_small || exit 1

once() { # once PATH: the last run's stderr is one line holding PATH once
  local n
  n=$(grep -oF -- "$1" "$T/.err" | wc -l)
  if [ "$n" -eq 1 ] && [ "$(wc -l <"$T/.err")" -eq 1 ]; then pass; else
    fail "stderr names '$1' $n times: $(head -c 600 "$T/.err")"
  fi
}

head -c 1000 "$GH_SHARED_DIR/models/AnimeGANv3_tiny_Cute.onnx" >"$T/cut.onnx"
run 2 --stages stylize --model "$T/cut.onnx" -o "$T/x.png" "$T/small.png"
once "$T/cut.onnx"
err_has "ONNX"

head -c 5000 "$GH_SHARED_DIR/models/AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite" >"$T/cut.tflite"
run 2 --stages stylize --model "$T/cut.tflite" -o "$T/x.png" "$T/small.png"
once "$T/cut.tflite"
err_has "TFLite"

run 2 --stages stylize -j 2 --model "$T/cut.tflite" -d "$T/out" "$T/small.png" "$T/small.jpg"
once "$T/cut.tflite"

run 2 --stages stylize --model "$T/none.tflite" -o "$T/x.png" "$T/small.png"
once "$T/none.tflite"
check "no output after a model error" test ! -e "$T/x.png"

# Dynamic-range White-box (int8 weights, float activations; its guided filter's
# normalizer made for 512x512 follows the 96x64 picture).
WB="$GH_SHARED_DIR/models/whitebox_cartoon_gan_dr.tflite"
if [ -f "$WB" ]; then
  run 0 --quiet --stages stylize --model "$WB" -o "$T/wb.png" "$T/small.png"
  check "quantized generator output 96x64" test "$(dims "$T/wb.png")" = 96x64
fi
finish
