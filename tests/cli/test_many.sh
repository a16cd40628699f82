# Thousands of inputs through a shell glob: no fixed-size lists anywhere.
. "$(dirname "$0")/lib.sh"

"$GHIBLIFY" --quiet --stages resize --size 16 --no-keep-size -o "$T/tiny.png" "$SAMPLES/coffee.png" ||
  fail "tiny fixture"
mkdir "$T/in" "$T/res"
# perl (essential on Debian) makes the links without a fork per file.
perl -e 'for (1..2000) { symlink("../tiny.png", "$ARGV[0]/photo_with_a_rather_long_name_$_.png") or die }' "$T/in"
run 0 -j 2 --threads 1 --skip stylize -d "$T/res" "$T"/in/*.png
err_has "2000 done, 0 skipped, 0 failed"
check "2000 outputs" test "$(ls "$T/res" | wc -l)" -eq 2000
finish
