# Thousands of inputs through a shell glob: no fixed-size lists anywhere.
. "$(dirname "$0")/lib.sh"

"$GHIBLIFY" --quiet --stages resize --size 16 --no-keep-size -o "$T/tiny.png" "$SAMPLES/coffee.png" ||
  fail "tiny fixture"
mkdir "$T/in" "$T/res"
for i in $(seq 1 2500); do ln -s ../tiny.png "$T/in/photo_with_a_rather_long_name_$i.png"; done
run 0 -j 2 --threads 1 -d "$T/res" "$T"/in/*.png
err_has "2500 done, 0 skipped, 0 failed"
check "2500 outputs" test "$(ls "$T/res" | wc -l)" -eq 2500
finish
