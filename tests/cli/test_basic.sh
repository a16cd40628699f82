# Everyday use: one file, -o, -d, default names beside the input, formats,
# standard input/output, sizes, alpha, EXIF orientation, --help/--version.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small

# Default: the result goes beside the input as STEM_ghibli.EXT at the original size.
cp "$SAMPLES/coffee.png" "$T/coffee.png"
run 0 --quiet "$T/coffee.png"
check "default output beside input" test -f "$T/coffee_ghibli.png"
check "original size kept" test "$(dims "$T/coffee_ghibli.png")" = 600x400
check "summary suppressed by --quiet" test ! -s "$T/.err"

# -o, with the format from the name, and the summary line.
run 0 "$SAMPLES/rocket.jpg" -o "$T/rocket.png" --size 128
check "-o png from jpg" test "$(dims "$T/rocket.png")" = 640x427
err_has "1 done, 0 skipped, 0 failed"
run 0 --no-keep-size --size 128 "$SAMPLES/rocket.jpg" -o "$T/rocket_small.jpg"
check "--no-keep-size gives the working size" test "$(dims "$T/rocket_small.jpg")" = 128x85

# --format overrides; -d names STEM+SUFFIX.EXT.
mkdir "$T/res" "$T/res2"
run 0 --quiet --format jpg --suffix _x -d "$T/res" "$T/small.png"
check "-d with --format jpg (png input)" test -f "$T/res/small_x.jpg"
touch -d '2000-01-01' "$T/res/small_x.jpg"
run 0 -d "$T/res" "$T/small.png" --format jpg --suffix _x
err_has "note: 1 output existed and was left alone (--overwrite replaces)"
err_has "0 done, 1 skipped, 0 failed"
check "existing output not rewritten" test "$(stat -c %Y "$T/res/small_x.jpg")" = "$(date -d 2000-01-01 +%s)"
# Two inputs that would write the same file: the second is refused, the first written.
run 1 --quiet --format jpg -d "$T/res2" "$T/small.png" "$T/small.jpg"
err_has "$T/small.jpg: output $T/res2/small_ghibli.jpg would also be written for $T/small.png"
check "one output for two colliding inputs" test "$(ls "$T/res2" | wc -l)" -eq 1

# JPEG quality changes the file size.
run 0 --quiet --stages upsample -q 20 -o "$T/q20.jpg" "$T/small.jpg"
run 0 --quiet --stages upsample -q 98 -o "$T/q98.jpg" "$T/small.jpg"
check "quality 20 smaller than 98" test "$(stat -c %s "$T/q20.jpg")" -lt "$(stat -c %s "$T/q98.jpg")"

# Standard input and output.
"$GHIBLIFY" --quiet - -o - <"$T/small.png" >"$T/piped.png" 2>"$T/.err"
check "stdin to stdout exit 0" test $? -eq 0
check "stdout is a PNG of the input size" test "$(dims "$T/piped.png")" = 96x64
"$GHIBLIFY" --quiet -f jpg - -o - <"$T/small.png" >"$T/piped.jpg" 2>"$T/.err"
check "stdout as --format jpg" test "$(dims "$T/piped.jpg")" = 96x64

# Alpha survives to PNG outputs; JPEG outputs drop it.
run 0 --quiet "$DATA/alpha.png" -o "$T/alpha_out.png"
check "alpha kept in PNG" sh -c "file -b '$T/alpha_out.png' | grep -q RGBA"
run 0 --quiet --no-keep-size --size 24 "$DATA/alpha.png" -o "$T/alpha_small.png"
check "alpha resized with the image" sh -c "file -b '$T/alpha_small.png' | grep -q '24 x 16, 8-bit/color RGBA'"

# EXIF orientation 6: stored 64x32, shown upright as 32x64.
run 0 --quiet --stages upsample "$DATA/exif6.jpg" -o "$T/upright.png"
check "EXIF orientation applied" test "$(dims "$T/upright.png")" = 32x64

# Directory input and -j.
mkdir "$T/dir" "$T/dirout"
cp "$T/small.png" "$T/dir/a.png"; cp "$T/small.jpg" "$T/dir/b.jpg"; echo text >"$T/dir/notes.txt"
run 0 --quiet -j 2 -d "$T/dirout" "$T/dir"
check "directory expanded to its images" test "$(ls "$T/dirout" | tr '\n' ' ')" = "a_ghibli.png b_ghibli.jpg "

# -r mirrors subdirectories under -d.
mkdir -p "$T/tree/sub" "$T/treeout"
cp "$T/small.png" "$T/tree/top.png"; cp "$T/small.jpg" "$T/tree/sub/deep.jpg"
run 0 --quiet -r -d "$T/treeout" "$T/tree"
check "-r mirrors the tree" test -f "$T/treeout/sub/deep_ghibli.jpg" -a -f "$T/treeout/top_ghibli.png"

# -v prints a line per image even without a terminal.
run 0 -v --overwrite -d "$T/dirout" "$T/dir"
err_has "a.png -> $T/dirout/a_ghibli.png"

# Progress: drawn on a terminal (script(1) provides one), absent otherwise.
mkdir "$T/prog"
script -qec "'$GHIBLIFY' -d '$T/prog' '$T/dir'" /dev/null >"$T/tty.txt" 2>&1
check "progress on a terminal" grep -q "\[1/2\].*elapsed, ETA" "$T/tty.txt"
check "summary on a terminal" grep -q "2 done, 0 skipped, 0 failed" "$T/tty.txt"
run 0 --overwrite -d "$T/prog" "$T/dir"
check "no progress when stderr is not a terminal" sh -c "! grep -q 'ETA' '$T/.err'"

# Help lists every option with its default; version names the libraries.
run 0 --help
for opt in --output --out-dir --suffix --format --quality --jobs --threads --overwrite \
           --skip-existing --shard --recursive --max-pixels --stages --skip --keep-size \
           --no-keep-size --dump-stages --verbose --quiet --version --help --size \
           --denoise-method --denoise-sigma-color; do
  check "--help mentions $opt" grep -q -- "$opt" "$T/.out"
done
check "--help shows defaults" grep -q "default: 1024" "$T/.out"
run 0 --version
check "--version" grep -q "^ghiblify [0-9]" "$T/.out"
check "--version names the built-in model, its size and sha256" \
  grep -q "^built-in model: hayao (AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite), 2138668 bytes, sha256 53daf9b8da8350ac; [0-9] of [0-9] built in" "$T/.out"

finish
