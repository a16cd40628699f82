# Looks from the command line: --list-looks, --look NAME with options after
# it overriding its values (and options before it overridden), --palette-from,
# --strength, and one run of every look.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1
"$GHIBLIFY" --list-looks >looks.txt
check "--list-looks exits 0" test $? -eq 0
for l in hayao totoro spirited mononoke howl kiki; do
  check "--list-looks names $l" grep -q "^$l" looks.txt
  run 0 --quiet --look "$l" --size 64 -o "look_$l.png" small.jpg
  check "--look $l writes a full-size image" test "$(dims "look_$l.png")" = 96x64
done
check "looks differ (totoro vs spirited)" sh -c "! cmp -s look_totoro.png look_spirited.png"
check "hayao is the default" sh -c "'$GHIBLIFY' --quiet --size 64 -o default.png small.jpg && cmp -s default.png look_hayao.png"
run 2 --look sepia small.jpg; err_has "--look sepia: unknown look (looks: hayao, totoro"

# An option after --look overrides the look's value; one before it is overridden.
run 0 --quiet --size 64 --look totoro --palette-amount 0 -o after.png small.jpg
run 0 --quiet --size 64 --palette-amount 0 --look totoro -o before.png small.jpg
check "option after --look wins" sh -c "! cmp -s after.png look_totoro.png"
check "option before --look is overridden" cmp -s before.png look_totoro.png

# --strength 0 keeps the photo where the generator would paint.
run 0 --quiet --size 64 --stages resize,stylize --no-keep-size --strength 0 -o s0.png small.png
run 0 --quiet --size 64 --stages resize --no-keep-size -o r.png small.png
check "--strength 0 is the photo" cmp -s s0.png r.png
run 0 --quiet --size 64 --stages resize,stylize --no-keep-size --strength 0.5 -o s5.png small.png
check "--strength 0.5 differs from 0" sh -c "! cmp -s s5.png r.png"

# --palette-from: a still's colors; an input too, never written over.
run 0 --quiet --size 64 --palette-from small.png -o pf.png small.jpg
check "--palette-from changes the result" sh -c "! cmp -s pf.png default.png"
run 2 --skip palette --palette-from small.png -o pf2.png small.jpg
err_has "--palette-from is used by the palette stage"
run 1 --quiet --overwrite --palette-from small.png -o small.png small.jpg
err_has "is an input file"

# --max-size caps the output's long side (guided upsampling to that size);
# the default is the photo's own size.
run 0 --quiet --size 32 --max-size 64 -o ms.png small.jpg
check "--max-size 64 gives 64x43" test "$(dims ms.png)" = 64x43
run 0 --quiet --size 64 --max-size 48 -o ms2.png small.jpg
check "--max-size under the working size shrinks" test "$(dims ms2.png)" = 48x32
run 0 --quiet --size 32 --max-size 500 -o ms3.png small.jpg
check "--max-size over the photo keeps its size" test "$(dims ms3.png)" = 96x64

# The same seed gives the same bytes; another seed changes only the seeded noise.
run 0 --quiet --size 64 --seed 7 -o seed7a.png small.jpg
run 0 --quiet --size 64 --seed 7 -o seed7b.png small.jpg
check "same seed, same bytes" cmp -s seed7a.png seed7b.png
check "another seed, other bytes" sh -c "! cmp -s seed7a.png default.png"
finish
