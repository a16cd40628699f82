# --reference FILE: transfer/histmatch aim at a user's still; the still is an input
# (never written over), and a bad one stops the run with a one-line error.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cp "$T/small.png" "$T/ref.png"
cp "$T/ref.png" "$T/ref.orig"

mkdir "$T/dump"
run 2 --quiet --stages resize --reference "$T/small.png" -o "$T/x.png" "$T/small.jpg"
err_has "--reference is used by the transfer and histmatch stages, and neither runs"
run 0 --quiet --skip stylize --reference "$T/ref.png" --dump-stages "$T/dump" -o "$T/r.png" "$T/small.jpg"
check "--reference turns on transfer when --stages is not given" test "$(ls "$T/dump" | tr '\n' ' ')" = \
  "small.01-input.png small.02-resize.png small.03-denoise.png small.04-transfer.png small.05-lines.png small.06-upsample.png small.07-sky.png "
rm -f "$T/dump"/*
run 2 --quiet --skip stylize,transfer --reference "$T/ref.png" -o "$T/r2.png" "$T/small.jpg"
err_has "--reference is used by the transfer and histmatch stages"

# The reference changes the result, and different references give different results.
run 0 --quiet --stages transfer --reference "$T/ref.png" -o "$T/t1.png" "$T/small.jpg"
run 0 --quiet --stages transfer -o "$T/t0.png" "$T/small.jpg"
check "transfer with a reference differs from stored targets" sh -c "! cmp -s '$T/t0.png' '$T/t1.png'"
run 0 --quiet --stages histmatch --reference "$T/small.jpg" -o "$T/h1.png" "$T/small.png"
run 0 --quiet --stages histmatch --reference "$T/small.png" -o "$T/h2.png" "$T/small.png"
check "histmatch follows the reference" sh -c "! cmp -s '$T/h1.png' '$T/h2.png'"

# Bad references: one line naming the file, exit 1, no output left behind.
run 2 --stages transfer --reference "$T/missing.png" -o "$T/m.png" "$T/small.jpg"
err_has "$T/missing.png"
check "no output for a missing reference" test ! -e "$T/m.png"
printf 'not an image' >"$T/text.jpg"
run 2 --stages transfer --reference "$T/text.jpg" -o "$T/m.png" "$T/small.jpg"
err_has "reference: $T/text.jpg"
check "one-line error" test "$(wc -l <"$T/.err")" -eq 1

# The reference is an input: never overwritten, not even with --overwrite or through a link.
run 1 --stages transfer --overwrite --reference "$T/ref.png" -o "$T/ref.png" "$T/small.jpg"
err_has "refusing to overwrite"
ln -s "$T/ref.png" "$T/link.png"
run 1 --stages transfer --overwrite --reference "$T/ref.png" -o "$T/link.png" "$T/small.jpg"
err_has "refusing to overwrite"
check "reference unchanged" cmp -s "$T/ref.png" "$T/ref.orig"
# The same holds for a --model file.
cp "$T/ref.png" "$T/model.onnx"
run 1 --stages resize --overwrite --format png --model "$T/model.onnx" -o "$T/model.onnx" "$T/small.jpg"
err_has "refusing to overwrite"
check "model file unchanged" cmp -s "$T/model.onnx" "$T/ref.orig"
finish
