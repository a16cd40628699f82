# Existing outputs are left alone by default (and with --skip-existing) and
# counted as skipped, replaced with --overwrite; an input is never replaced,
# whatever the path to it.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1
echo "old result" >small_ghibli.png
run 0 small.png
err_has "0 done, 1 skipped, 0 failed"
check "existing output untouched by default" grep -q "old result" small_ghibli.png
run 0 -v small.png
err_has "small.png: small_ghibli.png existed at the start of this run, skipped"

run 0 --skip-existing small.png
err_has "0 done, 1 skipped, 0 failed"
check "skipped output untouched" grep -q "old result" small_ghibli.png

run 0 --overwrite small.png
check "overwritten output is the new image" test "$(dims small_ghibli.png)" = 96x64

cp small.png keep.png; before=$(md5sum <keep.png)
run 1 --overwrite --suffix '' keep.png
err_has "is an input file"
run 1 --overwrite -o keep.png keep.png
err_has "is an input file"
run 1 --overwrite -o ./././keep.png keep.png
ln -s keep.png alias.png
run 1 --overwrite -o alias.png keep.png
err_has "is an input file"
ln keep.png hardlink.png
run 1 --overwrite -o hardlink.png keep.png
err_has "is an input file"
mkdir sub; ln -s ../keep.png sub/keep_ghibli.png
run 1 --overwrite -d sub keep.png
err_has "is an input file"
check "input unchanged after every attempt" test "$(md5sum <keep.png)" = "$before"

# Another input of the same batch is protected too.
cp small.png other.png; before_other=$(md5sum <other.png)
run 1 --overwrite --suffix '' -f png -d . keep.png other.png
check "other input unchanged" test "$(md5sum <other.png)" = "$before_other"
finish
