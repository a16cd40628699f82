# Metadata survives the command line (issue 9, item 5), read back by exiftool,
# an independent reader: EXIF (date, camera, GPS) with orientation 1 and no
# thumbnail, an sRGB ICC profile byte for byte (another profile has its pixels
# converted and becomes sRGB, with Little CMS: below, and test_formats.sh);
# --strip drops both; alpha written
# as JPEG is composited over --background with a note.
. "$(dirname "$0")/lib.sh"

command -v exiftool >/dev/null || { echo "exiftool not installed (libimage-exiftool-perl)"; exit 77; }
cd "$T" || exit 1
tag() { exiftool -s3 -n "-$1" "$2" 2>/dev/null; } # tag NAME FILE: numeric value

for fmt in jpg png; do
  run 0 --quiet --size 64 -f "$fmt" -o "out.$fmt" "$DATA/meta.jpg"
  check "$fmt: DateTimeOriginal kept" test "$(tag DateTimeOriginal "out.$fmt")" = "2024:05:06 07:08:09"
  check "$fmt: camera kept" test "$(tag Make "out.$fmt") / $(tag Model "out.$fmt")" = "GhibliCam / Test Model 1"
  check "$fmt: GPS kept" test "$(tag GPSLatitude "out.$fmt" | cut -c1-6)" = "35.676"
  check "$fmt: orientation reset to 1" test "$(tag Orientation "out.$fmt")" = "1"
  check "$fmt: upright pixels (orientation 6 applied: 48x64)" test "$(dims "out.$fmt")" = 48x64
  check "$fmt: no thumbnail" test -z "$(tag ThumbnailImage "out.$fmt")"
  exiftool -b -ICC_Profile "out.$fmt" >"icc.$fmt" 2>/dev/null
  check "$fmt: ICC profile kept byte for byte" cmp -s "icc.$fmt" "$DATA/meta.icc"
  check "$fmt: exiftool reads it without warnings" test -z "$(exiftool -s3 -Warning "out.$fmt")"

  run 0 --quiet --strip --size 64 -f "$fmt" -o "stripped.$fmt" "$DATA/meta.jpg"
  check "$fmt --strip: no EXIF" test -z "$(tag DateTimeOriginal "stripped.$fmt")$(tag GPSLatitude "stripped.$fmt")$(tag Make "stripped.$fmt")"
  check "$fmt --strip: no ICC" test -z "$(exiftool -b -ICC_Profile "stripped.$fmt" 2>/dev/null | head -c 1)"
  check "$fmt --strip: still upright" test "$(dims "stripped.$fmt")" = 48x64
done
# A multi-chunk JPEG profile and a PNG's eXIf/iCCP come through too.
run 0 --quiet --size 64 -o multi.png "$DATA/meta-icc3.jpg"
exiftool -b -ICC_Profile multi.png >multi.icc 2>/dev/null
check "3-chunk JPEG profile reassembled into the PNG" cmp -s multi.icc "$DATA/meta.icc"
run 0 --quiet --size 64 -f jpg -o frompng.jpg "$DATA/meta.png"
check "PNG eXIf to JPEG: date kept" test -n "$(tag DateTimeOriginal frompng.jpg)"
exiftool -b -ICC_Profile frompng.jpg >frompng.icc 2>/dev/null
check "PNG iCCP to JPEG APP2" test -s frompng.icc

# A Display P3 profile is not copied: the pixels are converted to sRGB and the
# output says sRGB (without lcms2 the profile stays with unconverted pixels).
run 0 --quiet --size 64 -f png -o p3.png "$DATA/fmt-p3.jpg"
exiftool -b -ICC_Profile p3.png >p3.icc 2>/dev/null
if "$GHIBLIFY" --version | grep -q "sRGB: lcms2"; then
  check "P3 input: profile not copied" test -s p3.icc -a -n "$(cmp p3.icc "$DATA/fmt-display-p3.icc" 2>&1)"
  check "P3 input: tagged sRGB" test "$(exiftool -s3 -ProfileDescription p3.png)" = "sRGB built-in"
else
  check "P3 input, no lcms2: profile kept" cmp -s p3.icc "$DATA/fmt-display-p3.icc"
fi

# Alpha into JPEG: composited over the background, with a note; PNG keeps it.
run 0 --stages upsample -o white.jpg "$DATA/alpha.png"
err_has "note: $DATA/alpha.png: JPEG has no transparency: composited over #ffffff"
run 0 --quiet --stages upsample --background '#000000' -o black.jpg "$DATA/alpha.png"
# The fixture's alpha is 0 in column 0: the background shows there, pure.
px() { /usr/bin/python3 -c "
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB'); print(*im.getpixel((0, int(sys.argv[2]))))" "$1" "$2"; }
if /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
  read -r r g b <<<"$(px white.jpg 16)"
  check "transparent pixel over white is white ($r $g $b)" test "$r" -ge 250 -a "$g" -ge 250 -a "$b" -ge 250
  read -r r g b <<<"$(px black.jpg 16)"
  check "transparent pixel over black is black ($r $g $b)" test "$r" -le 5 -a "$g" -le 5 -a "$b" -le 5
fi
run 2 --background teal "$DATA/alpha.png"; err_has "--background teal"
run 0 --stages upsample -o keep.png "$DATA/alpha.png"
check "PNG output keeps alpha, no note" sh -c "file -b keep.png | grep -q RGBA && ! grep -q note '$T/.err'"
finish
