#!/usr/bin/python3
"""Writes the fixtures of the new formats and color management (issue 14) and
their references, with tools independent of ghiblify: Pillow (python3-pil) for
JPEG/PNG/WebP pixels and, through PIL.ImageCms, Little CMS's own transform for
the references; libheif's command-line tools (libheif-examples) for HEIC/AVIF.
The ICC profiles are written here from the published primaries (Bradford
adaptation to D50, as the ICC specification asks). Run from anywhere with
/usr/bin/python3; the files are committed, so CI needs none of this.

The picture (64x48): 8x6 patches of 8x8 pixels: saturated and mixed colors,
grays, skin and sky tones, so a missed or wrong conversion shows in many.

fmt-p3.jpg          JPEG (quality 95, 4:4:4) tagged Display P3
fmt-adobe.png       PNG tagged Adobe RGB (1998) (iCCP)
fmt-p3-alpha.webp   lossless WebP with alpha (a left-to-right ramp, 0 in
                    column 0) tagged Display P3
fmt-orient6.webp    lossless WebP 64x48 stored, EXIF orientation 6 (shown 48x64)
fmt-lossy.webp      lossy 16x12 WebP (VP8), a fuzzing seed
fmt-anim.webp       animated WebP, two 16x12 frames (not supported: an error)
fmt-p3.heic         HEIC (x265, lossless 4:4:4 RGB) with alpha, tagged Display P3
fmt-p3.avif         AVIF (aom, lossless 4:4:4) tagged Display P3
fmt-nclx-p3.avif    lossless AVIF whose nclx colr says Display P3 (no ICC)
fmt-exif6.heic      lossy HEIC with EXIF (Make, Orientation 6) and no irot
fmt-*-ref.png       the reference: each file's decoded pixels (Pillow; for HEIC
                    and AVIF libheif's heif-convert) converted to sRGB by
                    ImageCms.profileToProfile (perceptual intent, 8-bit), no
                    profile. fmt-p3-alpha-ref.png also carries the alpha.
fmt-p3-raw.png      fmt-p3.jpg's pixels as stored (no conversion), to show
                    what skipping color management would give
fmt-display-p3.icc, fmt-adobe-rgb.icc   the two profiles
fmt-huge.webp / fmt-huge.heic / fmt-huge.avif   valid files whose headers
                    were edited to declare 16384x16384 (WebP) or 60000x60000
                    (ispe): the decoder must refuse them before allocating
"""
import os
import shutil
import struct
import subprocess
import tempfile

from PIL import Image, ImageCms

here = os.path.dirname(os.path.abspath(__file__))
W, H = 64, 48

def s15(v):
    return struct.pack(">i", round(v * 65536))

def xy_to_xyz(x, y):
    return (x / y, 1.0, (1 - x - y) / y)

def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]

def inverse(m):
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return [[(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
            [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
            [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det]]

def colorants(primaries, white):
    """Columns: the D50-adapted XYZ of the red, green and blue primaries."""
    p = [xy_to_xyz(*xy) for xy in primaries]
    m = [[p[j][i] for j in range(3)] for i in range(3)]
    w = xy_to_xyz(*white)
    s = [sum(inverse(m)[i][k] * w[k] for k in range(3)) for i in range(3)]
    rgb2xyz = [[m[i][j] * s[j] for j in range(3)] for i in range(3)]
    brad = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
    d50 = (0.9642, 1.0, 0.8249)
    src, dst = [sum(brad[i][k] * w[k] for k in range(3)) for i in range(3)], \
               [sum(brad[i][k] * d50[k] for k in range(3)) for i in range(3)]
    scale = [[dst[i] / src[i] if i == j else 0 for j in range(3)] for i in range(3)]
    adapt = matmul(inverse(brad), matmul(scale, brad))
    return matmul(adapt, rgb2xyz)

def icc_profile(name, primaries, white, trc):
    """An ICC v4 display profile: matrix/TRC, D50 colorants, a parametric curve."""
    m = colorants(primaries, white)
    def xyz(v):
        return b"XYZ \0\0\0\0" + b"".join(s15(c) for c in v)
    def mluc(text):
        t = text.encode("utf-16-be")
        return b"mluc\0\0\0\0" + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(t), 28) + t
    tags = [(b"desc", mluc(name)), (b"cprt", mluc("No copyright, test fixture")),
            (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
            (b"rXYZ", xyz([m[i][0] for i in range(3)])), (b"gXYZ", xyz([m[i][1] for i in range(3)])),
            (b"bXYZ", xyz([m[i][2] for i in range(3)])), (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc)]
    table, body, offset = b"", b"", 128 + 4 + 12 * len(tags)
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x04300000) + b"mntrRGB XYZ "
    header += struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"APPL" + b"\0" * 4 + b"\0" * 8
    header += b"\0" * 8 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 4
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body

srgb_trc = b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + s15(2.4) + s15(1 / 1.055) + \
    s15(0.055 / 1.055) + s15(1 / 12.92) + s15(0.04045)
adobe_trc = b"para\0\0\0\0" + struct.pack(">HH", 0, 0) + s15(563 / 256)
D65 = (0.3127, 0.3290)
p3 = icc_profile("Display P3 (test)", [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)], D65, srgb_trc)
adobe = icc_profile("Adobe RGB (1998) (test)", [(0.64, 0.33), (0.21, 0.71), (0.15, 0.06)], D65, adobe_trc)
for name, data in (("fmt-display-p3.icc", p3), ("fmt-adobe-rgb.icc", adobe)):
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)

colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255),
          (230, 40, 30), (40, 200, 60), (30, 60, 220), (250, 160, 20), (120, 30, 200), (20, 180, 170),
          (0, 0, 0), (64, 64, 64), (128, 128, 128), (192, 192, 192), (255, 255, 255), (20, 20, 20),
          (224, 172, 140), (196, 134, 100), (141, 85, 60), (135, 190, 235), (90, 150, 220), (60, 110, 60),
          (200, 60, 60), (60, 200, 60), (60, 60, 200), (180, 180, 60), (60, 180, 180), (180, 60, 180),
          (255, 128, 128), (128, 255, 128), (128, 128, 255), (250, 240, 200), (100, 70, 40), (30, 90, 140),
          (240, 20, 120), (20, 240, 120), (120, 20, 240), (170, 220, 60), (220, 100, 180), (60, 60, 60),
          (255, 200, 0), (0, 200, 255), (200, 0, 255), (90, 120, 30), (30, 30, 90), (150, 90, 30)]
img = Image.new("RGB", (W, H))
img.putdata([colors[(y // 8) * 8 + x // 8] for y in range(H) for x in range(W)])
alpha = Image.new("L", (W, H))
alpha.putdata([x * 255 // (W - 1) for y in range(H) for x in range(W)])
P3 = ImageCms.ImageCmsProfile(__import__("io").BytesIO(p3))
ADOBE = ImageCms.ImageCmsProfile(__import__("io").BytesIO(adobe))
SRGB = ImageCms.createProfile("sRGB")

def bare(im):
    """The pixels alone: Pillow would otherwise write the source's profile too."""
    return Image.frombytes(im.mode, im.size, im.tobytes())

def reference(decoded, profile, name, a=None):
    out = ImageCms.profileToProfile(decoded.convert("RGB"), profile, SRGB,
                                    renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB")
    out = bare(out)
    if a is not None:
        out.putalpha(a)
    out.save(os.path.join(here, name))

def path(name):
    return os.path.join(here, name)

img.save(path("fmt-p3.jpg"), quality=95, subsampling=0, icc_profile=p3)
decoded = Image.open(path("fmt-p3.jpg"))
bare(decoded.convert("RGB")).save(path("fmt-p3-raw.png"))
reference(decoded, P3, "fmt-p3-ref.png")

img.save(path("fmt-adobe.png"), icc_profile=adobe)
reference(img, ADOBE, "fmt-adobe-ref.png")

rgba = img.copy()
rgba.putalpha(alpha)
rgba.save(path("fmt-p3-alpha.webp"), lossless=True, exact=True, icc_profile=p3)
decoded = Image.open(path("fmt-p3-alpha.webp"))
reference(decoded, P3, "fmt-p3-alpha-ref.png", decoded.getchannel("A"))

img.resize((16, 12)).save(path("fmt-lossy.webp"), quality=80)

frames = [img.resize((16, 12)), img.resize((16, 12)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
frames[0].save(path("fmt-anim.webp"), save_all=True, append_images=frames[1:], duration=100,
               lossless=True)

exif = Image.Exif()
exif[0x0112] = 6
img.save(path("fmt-orient6.webp"), lossless=True, exif=exif.tobytes())

# HEIC and AVIF from a PNG carrying the profile; heif-enc copies the iCCP.
with tempfile.TemporaryDirectory() as tmp:
    src, back = os.path.join(tmp, "src.png"), os.path.join(tmp, "back.png")
    rgba.save(src, icc_profile=p3)
    for ext, extra in (("heic", []), ("avif", ["-A"])):
        out = path("fmt-p3." + ext)
        subprocess.run(["heif-enc", "-L", "-p", "chroma=444", "--matrix_coefficients=0", *extra,
                        "-o", out, src], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["heif-convert", out, back], check=True, stdout=subprocess.DEVNULL)
        decoded = Image.open(back)
        decoded.load()
        a = decoded.getchannel("A") if "A" in decoded.getbands() else None
        reference(decoded, P3, "fmt-p3-%s-ref.png" % ext, a)

# An AVIF saying Display P3 the AV1 way: coded primaries (nclx colr: primaries
# 12, P3 D65; transfer 13, sRGB's curve), no ICC profile. heif-enc 1.15 ignores
# its --colour_primaries, so the colr box is edited (the matrix, which the
# pixels depend on, stays). Its reference is the same lcms2 transform with the
# P3 profile above.
with tempfile.TemporaryDirectory() as tmp:
    src, back = os.path.join(tmp, "src.png"), os.path.join(tmp, "back.png")
    bare(img).save(src)
    subprocess.run(["heif-enc", "-L", "-p", "chroma=444", "-A", "-o", path("fmt-nclx-p3.avif"), src],
                   check=True, stdout=subprocess.DEVNULL)
    with open(path("fmt-nclx-p3.avif"), "rb") as f:
        data = bytearray(f.read())
    at = data.find(b"colrnclx")
    assert at > 0
    data[at + 8:at + 12] = struct.pack(">HH", 12, 13)
    with open(path("fmt-nclx-p3.avif"), "wb") as f:
        f.write(data)
    subprocess.run(["heif-convert", path("fmt-nclx-p3.avif"), back], check=True,
                   stdout=subprocess.DEVNULL)
    reference(Image.open(back), P3, "fmt-nclx-p3-ref.png")

# A HEIC whose EXIF says orientation 6 but which has no irot property: HEIF
# readers (libheif, Apple's) go by irot, so it shows as stored, 64x48.
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "o6.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "GhibliCam"
    img.save(src, quality=95, exif=exif.tobytes())
    subprocess.run(["heif-enc", "-q", "80", "-o", path("fmt-exif6.heic"), src], check=True,
                   stdout=subprocess.DEVNULL)

# Headers declaring a huge image over valid data.
plain = os.path.join(tempfile.gettempdir(), "fmt-plain.webp")
img.save(plain, lossless=True)
with open(plain, "rb") as f:
    data = bytearray(f.read())
os.unlink(plain)
assert data[12:16] == b"VP8L" and data[20] == 0x2f
bits = (16383) | (16383 << 14) | (int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1))
data[21:25] = bits.to_bytes(4, "little")
with open(path("fmt-huge.webp"), "wb") as f:
    f.write(data)
for ext in ("heic", "avif"):
    with open(path("fmt-p3." + ext), "rb") as f:
        data = bytearray(f.read())
    at = data.find(b"ispe")
    assert at > 0
    while at > 0:  # the image's and its alpha plane's
        data[at + 8:at + 16] = struct.pack(">II", 60000, 60000)
        at = data.find(b"ispe", at + 4)
    with open(path("fmt-huge." + ext), "wb") as f:
        f.write(data)
