# --stages / --skip choose stages; --dump-stages writes each stage's output.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
mkdir "$T/dump"
run 0 --quiet --size 48 --stages resize,denoise,stylize,palette,upsample --dump-stages "$T/dump" -o "$T/r.png" "$T/small.jpg"
check "dump files named by input, stage and product" test "$(ls "$T/dump" | tr '\n' ' ')" = \
  "small.01-input.png small.02-resize.png small.03-denoise.png small.04-stylize.png small.05-palette.png small.06-upsample.png small.07-sky.png "
check "resize dump at working size" test "$(dims "$T/dump/small.02-resize.png")" = 48x32
check "stylize dump at working size" test "$(dims "$T/dump/small.04-stylize.png")" = 48x32
check "upsample dump at original size" test "$(dims "$T/dump/small.06-upsample.png")" = 96x64
check "sky mask dump at working size" test "$(dims "$T/dump/small.07-sky.png")" = 48x32

rm -f "$T/dump"/*
run 0 --quiet --size 48 --dump-stages "$T/dump" -o "$T/default.png" "$T/small.jpg"
for s in resize denoise stylize skysmooth color transfer palette texture lines upsample dither sky; do
  check "default pipeline dumps $s" sh -c "ls '$T/dump' | grep -q -- '-$s.png\$'"
done
rm -f "$T/dump"/*
run 0 --quiet --size 48 --skip denoise --stages resize,denoise,stylize,upsample --dump-stages "$T/dump" -o "$T/s.png" "$T/small.jpg"
check "--skip removes a stage" test "$(ls "$T/dump" | tr '\n' ' ')" = \
  "small.01-input.png small.02-resize.png small.03-stylize.png small.04-upsample.png "

rm -f "$T/dump"/*
run 0 --quiet --stages denoise --dump-stages "$T/dump" -o "$T/d.png" "$T/small.jpg"
check "--stages runs only those" test "$(ls "$T/dump" | tr '\n' ' ')" = "small.01-input.png small.02-denoise.png "

# upsample alone at the photo's size passes the image through unchanged (PNG is lossless).
run 0 --quiet --stages upsample -o "$T/same.png" "$T/small.png"
run 0 --quiet --stages upsample -o "$T/same2.png" "$T/same.png"
check "pass-through pipeline is lossless" cmp -s "$T/same.png" "$T/same2.png"

# Stage parameters change the result.
run 0 --quiet --stages denoise --denoise-method gaussian --denoise-sigma 3 -o "$T/g3.png" "$T/small.png"
run 0 --quiet --stages denoise --denoise-method gaussian --denoise-sigma 0.5 -o "$T/g05.png" "$T/small.png"
check "different sigma, different output" sh -c "! cmp -s '$T/g3.png' '$T/g05.png'"
# A missing --dump-stages folder is created with its parents.
run 0 --quiet --stages resize --dump-stages "$T/nodir/deeper" -o "$T/x.png" "$T/small.png"
check "--dump-stages DIR created" test -f "$T/nodir/deeper/small.02-resize.png"
touch "$T/afile"
run 2 --stages resize --dump-stages "$T/afile/sub" -o "$T/y.png" "$T/small.png"
err_has "$T/afile"
check "nothing written when the run cannot start" test ! -e "$T/y.png"
# An empty stage list would only re-encode the photo: a usage error.
run 2 --stages '' -o "$T/e.png" "$T/small.png"
err_has "no stage left to run"
run 2 --stages stylize --skip stylize -o "$T/e.png" "$T/small.png"
err_has "no stage left to run"
check "no output for an empty pipeline" test ! -e "$T/e.png"
finish
