# The photos people have (issue 14): HEIC, AVIF and WebP in, WebP out, wide-gamut
# profiles converted to sRGB and the outputs tagged sRGB; bad files of the new
# formats in a batch: one line each naming the file, exit 1, the rest goes on.
# Fixtures: tests/data/make-format-fixtures.py. Outputs are read back by
# exiftool and Pillow where installed (independent readers).
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
version=$("$GHIBLIFY" --version)
have_webp=0; have_heif=0; have_lcms=0
grep -q "WebP: libwebp" <<<"$version" && have_webp=1
grep -q "AVIF: libheif" <<<"$version" && have_heif=1
grep -q "sRGB: lcms2" <<<"$version" && have_lcms=1
cp "$DATA/fmt-p3.heic" phone.heic; cp "$DATA/fmt-p3.avif" web.avif
cp "$DATA/fmt-p3-alpha.webp" alpha.webp; cp "$DATA/fmt-orient6.webp" turned.webp
cp "$DATA/fmt-p3.jpg" p3.jpg
pil() { /usr/bin/python3 -c 'import PIL' 2>/dev/null; }
# maxdiff A B: largest difference of any RGB(A) sample, in 8-bit levels (Pillow),
# over the pixels B shows (alpha >= 128: lossy WebP need not keep the colors of
# transparent ones); with a third argument only inside the 8x8 patches (2..5),
# away from the edges 4:2:0 chroma smears.
maxdiff() { /usr/bin/python3 -c "
import sys
from PIL import Image
a, b = (Image.open(p) for p in sys.argv[1:3])
m = 'RGBA' if 'A' in a.getbands() and 'A' in b.getbands() else 'RGB'
pa, pb = a.convert(m).getdata(), b.convert(m).getdata()
inner = len(sys.argv) > 3
print(max(max(abs(x - y) for x, y in zip(p, q)) for i, (p, q) in enumerate(zip(pa, pb))
          if (len(q) == 3 or q[3] >= 128) and (not inner or (2 <= i % 8 <= 5 and 2 <= i // a.width % 8 <= 5))))" "$@"; }
desc() { exiftool -s3 -ProfileDescription "$1" 2>/dev/null; }

# Unusable output formats are usage errors, before any work.
run 2 -f heic p3.jpg; err_has "does not write"
run 2 -o out.avif p3.jpg; err_has "does not write"

if [ "$have_heif" = 1 ] && [ "$have_webp" = 1 ]; then
  # A batch of the new formats; identity pipeline, so the pixels can be compared.
  run 0 --quiet --stages upsample -d out phone.heic web.avif alpha.webp turned.webp p3.jpg
  check "HEIC and AVIF default to JPEG outputs, WebP stays WebP" \
    test -f out/phone_ghibli.jpg -a -f out/web_ghibli.jpg -a -f out/alpha_ghibli.webp -a -f out/turned_ghibli.webp
  check "WebP output is WebP" sh -c "file -b out/alpha_ghibli.webp | grep -q Web/P"
  check "HEIC output is 64x48" test "$(dims out/phone_ghibli.jpg)" = 64x48
  # -f png keeps the alpha of HEIC/AVIF; the lossless fixtures match lcms2's reference.
  run 0 --quiet --stages upsample -f png -d png phone.heic web.avif alpha.webp turned.webp p3.jpg
  check "WebP orientation 6 applied: 48x64" test "$(dims png/turned_ghibli.png)" = 48x64
  check "HEIC alpha kept in PNG" sh -c "file -b png/phone_ghibli.png | grep -q RGBA"
  if pil && [ "$have_lcms" = 1 ]; then
    for pair in phone:fmt-p3-heic-ref web:fmt-p3-avif-ref alpha:fmt-p3-alpha-ref p3:fmt-p3-ref; do
      d=$(maxdiff "png/${pair%%:*}_ghibli.png" "$DATA/${pair#*:}.png")
      check "${pair%%:*}: within 1 level of lcms2's transform (got $d)" test "$d" -le 1
    done
    d=$(maxdiff out/alpha_ghibli.webp "$DATA/fmt-p3-alpha-ref.png" inner)
    check "WebP output (lossy, q92) close to the reference inside the patches (got $d)" test "$d" -le 6
    mode=$(/usr/bin/python3 -c "from PIL import Image; print(Image.open('out/alpha_ghibli.webp').mode)")
    check "WebP output keeps alpha ($mode)" test "$mode" = RGBA
  fi
  if command -v exiftool >/dev/null; then
    for f in out/phone_ghibli.jpg out/web_ghibli.jpg out/alpha_ghibli.webp png/p3_ghibli.png; do
      if [ "$have_lcms" = 1 ]; then
        check "$f: tagged sRGB ($(desc "$f"))" test "$(desc "$f")" = "sRGB built-in"
      else
        check "$f: P3 profile kept with unconverted pixels" test "$(desc "$f")" = "Display P3 (test)"
      fi
    done
    check "WebP EXIF orientation reset to 1" test "$(exiftool -s3 -n -Orientation out/turned_ghibli.webp)" = 1
    run 0 --quiet --strip --stages upsample -o stripped.webp alpha.webp
    check "--strip: WebP without profile" test -z "$(desc stripped.webp)"
  fi
fi

# A directory scan picks the new extensions up (whether or not the build reads them).
mkdir -p scan && cp phone.heic web.avif alpha.webp scan/ && echo x >scan/notes.txt
run "$((have_heif && have_webp ? 0 : 1))" --quiet --stages upsample -d scanned scan
check "directory: .heic, .avif and .webp found (got $(ls scanned 2>/dev/null | tr '\n' ' '))" \
  test "$have_heif$have_webp" != 11 -o "$(ls scanned | wc -l)" -eq 3

# The bad-input battery, new formats: truncated, corrupt, huge declared size,
# text named like them; each one line naming the file, the good files done.
B=bad; mkdir -p "$B" res
for f in phone.heic web.avif alpha.webp; do
  size=$(stat -c %s "$f")
  head -c $((size / 2)) "$f" >"$B/trunc-$f"
  cp "$f" "$B/corrupt-$f"
  # Bytes 24..55: in HEIF the ftyp's end and the meta box header, in WebP the
  # VP8L/VP8X header: structure, which no decoder can conceal.
  head -c 32 /dev/zero | dd of="$B/corrupt-$f" bs=1 seek=24 conv=notrunc status=none
done
# (distinct stems: two inputs may not write one output)
cp "$DATA/fmt-huge.webp" "$B/huge.webp"; cp "$DATA/fmt-huge.heic" "$B/huge-h.heic"
cp "$DATA/fmt-huge.avif" "$B/huge-a.avif"
echo "not a photo" >"$B/text.heic"
cp p3.jpg "$B/good.jpg"
bad=(trunc-phone.heic trunc-web.avif trunc-alpha.webp corrupt-phone.heic corrupt-web.avif
     corrupt-alpha.webp huge.webp huge-h.heic huge-a.avif text.heic)
run 1 -d res --stages upsample "${bad[@]/#/$B/}" "$B/good.jpg"
check "one line per bad file, nothing else ($(wc -l <"$T/.err") lines)" \
  test "$(grep -vc '^ghiblify: [0-9]* done' "$T/.err")" -eq "${#bad[@]}"
for f in "${bad[@]}"; do
  check "$f named" grep -q "^ghiblify: $B/$f: " "$T/.err"
done
if [ "$have_heif" = 1 ] && [ "$have_webp" = 1 ]; then
  for f in trunc-phone.heic trunc-alpha.webp; do
    check "$f: truncated" grep -q "^ghiblify: $B/$f: truncated" "$T/.err"
  done
  for f in huge.webp huge-h.heic huge-a.avif; do
    check "$f: over the limit" grep -q "^ghiblify: $B/$f: image is .* over the limit" "$T/.err"
  done
else
  err_has "built without"
fi
check "text.heic: not an image" grep -q "^ghiblify: $B/text.heic: not a PNG, JPEG, WebP, HEIF or AVIF file" "$T/.err"
err_has "1 done, 0 skipped, ${#bad[@]} failed"
check "good file done, nothing else written" test "$(ls res)" = good_ghibli.jpg
finish
