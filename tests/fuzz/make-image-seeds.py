#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_image.c into tests/fuzz/image/.
Only the standard library and exiftool (libimage-exiftool-perl): PNGs are put
together chunk by chunk here, JPEGs come from the tests/data fixtures and from
the camera-made EXIF thumbnails of ../shared/photos (small real JPEGs, the
closest thing to a tiny crop without an image library). Each file is a few KB
at most, so mutations stay fast. The output is committed; CI does not run this.
  tests/fuzz/make-image-seeds.py [SHARED_DIR]
"""
import os
import shutil
import struct
import subprocess
import sys
import zlib

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared")
out = os.path.join(here, "image")
os.makedirs(out, exist_ok=True)


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def ihdr(w, h, depth, color, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace))


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def sample(x, y, c, depth):
    return ((x * 37 + y * 11 + c * 71) * 5) % (1 << depth)


def pack_row(w, y, depth, color, xs=None):
    xs = list(range(w)) if xs is None else xs
    vals = [sample(x, y, c, depth) for x in xs for c in range(CHANNELS[color])]
    if depth == 16:
        return b"".join(struct.pack(">H", v) for v in vals)
    if depth == 8:
        return bytes(vals)
    acc, n = 0, 0
    out_bytes = bytearray()
    for v in vals:
        acc = (acc << depth) | v
        n += depth
        if n == 8:
            out_bytes.append(acc)
            acc, n = 0, 0
    if n:
        out_bytes.append(acc << (8 - n))
    return bytes(out_bytes)


def idat(w, h, depth, color, interlace=0):
    raw = bytearray()
    if not interlace:
        for y in range(h):
            raw += b"\x01" + pack_row(w, y, depth, color)  # Sub filter on every row
    else:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                  (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            xs = list(range(x0, w, dx))
            if not xs:
                continue
            for y in range(y0, h, dy):
                raw += b"\x00" + pack_row(w, y, depth, color, xs)
    return chunk(b"IDAT", zlib.compress(bytes(raw), 9))


def png(name, w, h, depth, color, interlace=0, extra=b"", palette=None):
    data = b"\x89PNG\r\n\x1a\n" + ihdr(w, h, depth, color, interlace) + extra
    if color == 3:
        n = 1 << depth
        data += chunk(b"PLTE", b"".join(bytes((i * 40 % 256, i * 90 % 256, i * 150 % 256)) for i in range(n)))
        if palette == "trns":
            data += chunk(b"tRNS", bytes(i * 255 // max(n - 1, 1) for i in range(n)))
    data += idat(w, h, depth, color, interlace) + chunk(b"IEND", b"")
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def tiff_exif(orientation, little=True):
    """A TIFF structure: IFD0 with Orientation and Make, an Exif IFD with one
    entry, and IFD1 (a thumbnail pointer) after them, like a camera's."""
    e = "<" if little else ">"
    head = (b"II*\x00" if little else b"MM\x00*") + struct.pack(e + "I", 8)
    make = b"GhibliCam\x00"
    # IFD0 at 8: 3 entries (12 bytes each) + next offset
    ifd0_size = 2 + 3 * 12 + 4
    make_off = 8 + ifd0_size
    exif_ifd = make_off + len(make)
    exif_ifd_size = 2 + 12 + 4
    ifd1 = exif_ifd + exif_ifd_size
    ifd0 = struct.pack(e + "H", 3)
    ifd0 += struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)
    ifd0 += struct.pack(e + "HHII", 0x010F, 2, len(make), make_off)
    ifd0 += struct.pack(e + "HHII", 0x8769, 4, 1, exif_ifd)
    ifd0 += struct.pack(e + "I", ifd1)
    exif = struct.pack(e + "H", 1) + struct.pack(e + "HHII", 0xA002, 4, 1, 16) + struct.pack(e + "I", 0)
    thumb_off = ifd1 + 2 + 2 * 12 + 4
    ifd1_data = struct.pack(e + "H", 2) + struct.pack(e + "HHII", 0x0201, 4, 1, thumb_off)
    ifd1_data += struct.pack(e + "HHII", 0x0202, 4, 1, 4) + struct.pack(e + "I", 0)
    return head + ifd0 + make + exif + ifd1_data + b"\xff\xd8\xff\xd9"


def icc_profile():
    """The sRGB profile of the metadata fixtures (588 bytes, passes libpng's checks)."""
    with open(os.path.join(root, "tests", "data", "meta.icc"), "rb") as f:
        return f.read()


# The PNG forms libpng's transformations treat differently.
for depth in (1, 2, 4, 8, 16):
    png("gray%d.png" % depth, 13, 7, depth, 0)
png("rgb8.png", 9, 6, 8, 2)
png("rgb16.png", 9, 6, 16, 2)
png("graya8.png", 7, 5, 8, 4)
png("graya16.png", 7, 5, 16, 4)
png("rgba8.png", 8, 8, 8, 6)
png("rgba16.png", 5, 4, 16, 6)
png("pal1.png", 11, 3, 1, 3)
png("pal4-trns.png", 10, 5, 4, 3, palette="trns")
png("pal8.png", 6, 6, 8, 3)
png("adam7-rgb8.png", 11, 9, 8, 2, interlace=1)
png("adam7-gray2.png", 10, 10, 2, 0, interlace=1)
png("adam7-rgba16.png", 9, 9, 16, 6, interlace=1)
png("gray8-trns.png", 6, 4, 8, 0, extra=chunk(b"tRNS", b"\x00\x10"))
png("rgb8-trns.png", 6, 4, 8, 2, extra=chunk(b"tRNS", b"\x00\x10\x00\x20\x00\x30"))
# Metadata chunks: eXIf (every orientation turns the pixels), iCCP, zTXt/tEXt/iTXt.
for o in (1, 3, 6, 8):
    png("exif%d.png" % o, 6, 4, 8, 2, extra=chunk(b"eXIf", tiff_exif(o, little=(o % 2 == 0))))
png("iccp.png", 5, 5, 8, 2,
    extra=chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile())))
png("text.png", 5, 3, 8, 0,
    extra=chunk(b"tEXt", b"Comment\x00seed") + chunk(b"zTXt", b"Description\x00\x00" + zlib.compress(b"x" * 200))
    + chunk(b"iTXt", b"Title\x00\x01\x00en\x00Titel\x00" + zlib.compress(b"Ghibli")))
png("gamma.png", 4, 4, 8, 2, extra=chunk(b"gAMA", struct.pack(">I", 45455)) + chunk(b"sRGB", b"\x00")
    + chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)))

# Real JPEGs (and two PNGs) from the metadata fixtures: EXIF with orientation
# and thumbnail, ICC in one and in three APP2 chunks.
for name in ("exif6.jpg", "meta.jpg", "meta-icc3.jpg", "meta.png", "alpha.png"):
    shutil.copy(os.path.join(root, "tests", "data", name), os.path.join(out, "fixture-" + name))
# The new formats and wide-gamut profiles (tests/data/make-format-fixtures.py):
# lossless WebP with alpha and a P3 ICCP chunk, WebP with EXIF orientation 6,
# a lossy WebP, HEIC (HEVC) and AVIF (AV1) with alpha and a P3 profile, a P3
# JPEG and an Adobe RGB PNG (the lcms2 conversion).
for name in ("fmt-p3-alpha.webp", "fmt-orient6.webp", "fmt-lossy.webp", "fmt-p3.heic",
             "fmt-p3.avif", "fmt-nclx-p3.avif", "fmt-p3.jpg", "fmt-adobe.png"):
    shutil.copy(os.path.join(root, "tests", "data", name), os.path.join(out, "fixture-" + name))

# Camera thumbnails of the shared photos: small real baseline JPEGs.
for name in ("Dune.jpg", "Storm.jpg"):
    src = os.path.join(shared, "photos", name)
    if not os.path.exists(src):
        continue
    thumb = subprocess.run(["exiftool", "-b", "-ThumbnailImage", src], check=True,
                           capture_output=True).stdout
    if thumb.startswith(b"\xff\xd8"):
        dst = os.path.join(out, "thumb-" + name.lower())
        with open(dst, "wb") as f:
            f.write(thumb)
        if name == "Storm.jpg":
            # An EXIF block with orientation 6 and a GPS IFD, added by exiftool.
            dst6 = os.path.join(out, "thumb-exif6-gps.jpg")
            shutil.copy(dst, dst6)
            subprocess.run(["exiftool", "-q", "-overwrite_original", "-n", "-Orientation=6",
                            "-Make=GhibliCam", "-GPSLatitude=35.6762", "-GPSLatitudeRef=N", dst6],
                           check=True)

# JPEG coding variants the thumbnails lack, made with Pillow (python3-pil, only
# for this script): progressive (several scans), grayscale, CMYK (Adobe APP14,
# inverted), 4:4:4 and 4:2:2 sampling. Small smooth images: a few hundred bytes.
try:
    from PIL import Image
except ImportError:
    Image = None
    print("python3-pil missing: JPEG coding variants not written", file=sys.stderr)
if Image:
    img = Image.new("RGB", (24, 16))
    img.putdata([((x * 10) % 256, (y * 15) % 256, ((x + y) * 7) % 256) for y in range(16) for x in range(24)])
    img.save(os.path.join(out, "prog-rgb.jpg"), quality=80, progressive=True)
    img.convert("L").save(os.path.join(out, "prog-gray.jpg"), quality=80, progressive=True)
    img.convert("L").save(os.path.join(out, "gray.jpg"), quality=80)
    img.convert("CMYK").save(os.path.join(out, "cmyk.jpg"), quality=80)
    img.save(os.path.join(out, "s444.jpg"), quality=90, subsampling=0)
    img.save(os.path.join(out, "s422.jpg"), quality=90, subsampling=1)

# Arithmetic coding (SOF9 sequential, SOF10 progressive): the 4:4:4 and
# progressive seeds transcoded losslessly by jpegtran (libjpeg-turbo-progs).
if Image and shutil.which("jpegtran"):
    for src, dst, extra in (("s444.jpg", "arith-rgb.jpg", []),
                            ("prog-rgb.jpg", "arith-prog-rgb.jpg", ["-progressive"])):
        with open(os.path.join(out, dst), "wb") as f:
            subprocess.run(["jpegtran", "-copy", "none", "-arithmetic", *extra, os.path.join(out, src)],
                           check=True, stdout=f)
elif Image:
    print("jpegtran missing: arithmetic-coded JPEG seeds not written", file=sys.stderr)
