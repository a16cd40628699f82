# Built-in generators by name (issue 11): --list-models, --model NAME, files
# still by path, unknown names refused with the list.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1
run 0 --list-models
check "--list-models marks the default" grep -q "^hayao (default)$" "$T/.out"
# Every built-in listed in src/nn/models.def is listed with its license and file.
for name in $(sed -n 's/^GH_MODEL_FILE("\([^"][^"]*\)".*/\1/p' "$GH_SOURCE_DIR/src/nn/models.def"); do
  check "--list-models lists $name" grep -q "^$name\( (default)\)\?$" "$T/.out"
done
check "each model's license is stated" test "$(grep -c '^  license: .*non-commercial\|^  license: CC BY-NC-SA' "$T/.out")" -eq \
  "$(grep -c '^GH_MODEL_FILE("[^"]' "$GH_SOURCE_DIR/src/nn/models.def")"
check "each model's file with size and sha256 (or how to get it)" test "$(grep -c '^  file: ' "$T/.out")" -eq \
  "$(grep -c '^GH_MODEL_FILE("[^"]' "$GH_SOURCE_DIR/src/nn/models.def")"
# Every built-in runs from its name, end to end, and the contracts differ
# enough to show: no two generators paint the same picture.
for name in $(sed -n 's/^GH_MODEL_FILE("\([^"][^"]*\)".*/\1/p' "$GH_SOURCE_DIR/src/nn/models.def"); do
  run 0 --overwrite --model "$name" --size 64 -o "m-$name.png" small.jpg
  check "--model $name: output at the input's size" test "$(dims "m-$name.png")" = 96x64
done
check "every built-in paints its own picture" test "$(cat m-*.png | wc -c)" -gt 0 -a \
  "$(for f in m-*.png; do md5sum <"$f"; done | sort -u | wc -l)" -eq "$(ls m-*.png | wc -l)"
# --model hayao is the default: same bytes.
run 0 --overwrite -o def.png small.jpg
run 0 --overwrite --model hayao -o named.png small.jpg
check "--model hayao gives the default's bytes" cmp -s def.png named.png
# Unknown names: one line, the built-in names, exit 2, nothing written.
run 2 --model shinaki -o x.png small.jpg
err_has "--model shinaki: no built-in generator and no file of that name (built in: hayao,"
check "nothing written" test ! -e x.png
# A file is still taken by path, also when named like a built-in (./NAME).
cp "$GH_SOURCE_DIR/models/AnimeGANv3_tiny_Cute.onnx" hayao
run 0 --overwrite --stages stylize --model ./hayao -o cute.png small.jpg
run 0 --overwrite --stages stylize --model hayao -o builtin.png small.jpg
check "./hayao is the file, hayao the built-in" sh -c "! cmp -s cute.png builtin.png"
# A load failure names the model once.
printf 'not a model' >bad.onnx
run 2 --model bad.onnx small.jpg
check "the path is named once" test "$(grep -o 'bad.onnx' "$T/.err" | wc -l)" -eq 1
finish
