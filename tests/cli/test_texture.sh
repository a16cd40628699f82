# The `texture` stage (generalized Kuwahara): off by default, runs when chosen,
# changes the image, and its options come from the stage table.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
run 0 --help
check "--help lists its options" grep -q -- '--texture-radius N' "$T/.out"
check "--help lists the stage, off by default" grep -q '^  texture .*(off by default)' "$T/.out"

mkdir "$T/dump"
run 0 --quiet --stages texture --dump-stages "$T/dump" -o "$T/t.png" "$T/small.png"
check "--dump-stages names it" test "$(ls "$T/dump" | tr '\n' ' ')" = "small.01-input.png small.02-texture.png "
check "texture keeps the size" test "$(dims "$T/t.png")" = 96x64
run 0 --quiet --stages upsample -o "$T/same.png" "$T/small.png"
check "texture changes the image" sh -c "! cmp -s '$T/t.png' '$T/same.png'"
run 0 --quiet --stages texture --texture-amount 0 -o "$T/a0.png" "$T/small.png"
check "amount 0 leaves it unchanged" cmp -s "$T/a0.png" "$T/same.png"
run 0 --quiet --stages texture --texture-radius 2 -o "$T/r2.png" "$T/small.png"
check "radius changes the result" sh -c "! cmp -s '$T/r2.png' '$T/t.png'"
run 2 --stages texture --texture-radius 33 -o "$T/bad.png" "$T/small.png"
err_has "texture-radius"
# Placed before `lines`, so the line work is drawn over the texture.
mkdir "$T/dump2"
run 0 --quiet --stages texture,lines --dump-stages "$T/dump2" -o "$T/tl.png" "$T/small.png"
check "texture runs before lines" test "$(ls "$T/dump2" | tr '\n' ' ')" = \
  "small.01-input.png small.02-texture.png small.03-lines.png small.04-sky.png "
finish
