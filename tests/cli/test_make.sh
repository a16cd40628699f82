# samples/Makefile: make -j2 converts a folder, a second run does nothing, a
# changed photo is redone alone, and a broken photo stops make with our error.
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null || { echo "make not installed"; exit 77; }
check "small fixtures" make_small
W="$T/photos"; mkdir "$W"
cp "$GH_SOURCE_DIR/samples/Makefile" "$W/"
cp "$T/small.jpg" "$W/a.jpg"; cp "$T/small.png" "$W/b.png"; cp "$T/small.jpg" "$W/c.jpg"
make -C "$W" -j2 GHIBLIFY="$GHIBLIFY" >"$T/make1" 2>&1
check "first make succeeds" test $? -eq 0
check "all results made" test -f "$W/out/a_ghibli.jpg" -a -f "$W/out/b_ghibli.png" -a -f "$W/out/c_ghibli.jpg"
make -C "$W" -j2 GHIBLIFY="$GHIBLIFY" >"$T/make2" 2>&1
check "second make runs nothing" sh -c "! grep -q -- --overwrite '$T/make2' && grep -q 'Nothing to be done' '$T/make2'"
touch -d '+2 seconds' "$W/b.png"
make -C "$W" -j2 GHIBLIFY="$GHIBLIFY" >"$T/make3" 2>&1
check "only the changed photo is redone" test "$(grep -c -- '-o out/' "$T/make3")" -eq 1
check "it was b.png" grep -q "out/b_ghibli.png b.png" "$T/make3"
echo "not a photo" >"$W/d.jpg"
make -C "$W" GHIBLIFY="$GHIBLIFY" >"$T/make4" 2>&1
check "make stops on a broken photo" test $? -ne 0
check "with ghiblify's error" grep -q "^ghiblify: d.jpg: " "$T/make4"
check "and no output for it" test ! -e "$W/out/d_ghibli.jpg"
finish
