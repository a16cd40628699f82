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
# Every spelling cameras and tools use.
cp "$T/small.jpg" "$W/cam.JPG"; cp "$T/small.jpg" "$W/e.jpeg"; cp "$T/small.png" "$W/f.PNG"
make -C "$W" -j2 GHIBLIFY="$GHIBLIFY" >"$T/make5" 2>&1
check "make converts .JPG, .jpeg and .PNG" test -f "$W/out/cam_ghibli.JPG" -a -f "$W/out/e_ghibli.jpeg" -a -f "$W/out/f_ghibli.PNG"
# WebP stays WebP; phone formats (HEIC, AVIF) become JPEG, where the build reads them.
if "$GHIBLIFY" --version | grep -q "HEIC/HEIF"; then
  cp "$DATA/fmt-exif6.heic" "$W/phone.heic"; cp "$DATA/fmt-nclx-p3.avif" "$W/tab.avif"
  cp "$DATA/fmt-p3-alpha.webp" "$W/web.webp"
  make -C "$W" -j2 GHIBLIFY="$GHIBLIFY" >"$T/make6" 2>&1
  check "make converts .webp to .webp ($(tail -c 300 "$T/make6"))" decodes "$W/out/web_ghibli.webp"
  check "make converts .heic and .avif to .jpg" test "$(dims "$W/out/phone_ghibli.jpg")" != "" -a \
    "$(dims "$W/out/tab_ghibli.jpg")" != ""
  make -C "$W" -j2 GHIBLIFY="$GHIBLIFY" >"$T/make7" 2>&1
  # (b.png's mtime is in the future since the touch above: only these three matter here)
  check "and a second make redoes none of them" sh -c "! grep -qE 'web.webp|phone.heic|tab.avif' '$T/make7'"
else
  echo "note: this build reads no HEIC/AVIF/WebP; those Makefile rules not run"
fi
# Names with spaces: make cannot, the documented find | xargs -0 idiom can.
S="$T/spaced"; mkdir -p "$S/my photos/day 2"
cp "$T/small.jpg" "$S/my photos/beach day.jpg"; cp "$T/small.png" "$S/my photos/day 2/a b.PNG"
(cd "$S" && find "my photos" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) -print0 |
  xargs -0 -n 16 -P 2 "$GHIBLIFY" --quiet -d "out dir/")
check "find -print0 | xargs -0 idiom exits 0" test $? -eq 0
check "names with spaces converted" test -f "$S/out dir/beach day_ghibli.jpg" -a -f "$S/out dir/a b_ghibli.PNG"
check "the Makefile documents the idiom" grep -q "xargs -0 -n 16 -P 2 ghiblify --quiet -d out/" "$GH_SOURCE_DIR/samples/Makefile"
echo "not a photo" >"$W/d.jpg"
make -C "$W" GHIBLIFY="$GHIBLIFY" >"$T/make4" 2>&1
check "make stops on a broken photo" test $? -ne 0
check "with ghiblify's error" grep -q "^ghiblify: d.jpg: " "$T/make4"
check "and no output for it" test ! -e "$W/out/d_ghibli.jpg"
finish
