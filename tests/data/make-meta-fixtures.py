#!/usr/bin/python3
"""Writes the metadata fixtures of tests/unit/test_io_meta.c with tools
independent of ghiblify: Pillow (python3-pil) for the pixels and the ICC
profile, exiftool (libimage-exiftool-perl) for the EXIF. Run from anywhere; the
files are committed, so CI does not need this script's dependencies.

meta.jpg       64x48 JPEG. EXIF (exiftool, big-endian): Make "GhibliCam", Model
               "Test Model 1", DateTimeOriginal "2024:05:06 07:08:09", GPS
               35.6762 N 139.6503 E, Orientation 6, and a 16x12 JPEG thumbnail
               in IFD1. ICC: Pillow's sRGB profile (one APP2 chunk).
meta-icc3.jpg  64x48 JPEG whose sRGB profile is split into three APP2
               "ICC_PROFILE" chunks, stored in the order 2, 1, 3 (readers must
               order them by sequence number).
meta.png       64x48 RGB PNG. iCCP: Pillow's sRGB profile. eXIf (before IDAT,
               little-endian, written by Pillow): Make, Model, Orientation 6,
               DateTimeOriginal and GPS as in meta.jpg.
meta.icc       The sRGB profile the three carry, for byte comparisons.
"""
import os
import struct
import subprocess
import tempfile

from PIL import Image, ImageCms

here = os.path.dirname(os.path.abspath(__file__))

W, H = 64, 48
img = Image.new("RGB", (W, H))
img.putdata([(x * 255 // (W - 1), y * 255 // (H - 1), 96) for y in range(H) for x in range(W)])
icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
with open(os.path.join(here, "meta.icc"), "wb") as f:
    f.write(icc)

# meta.jpg: Pillow writes pixels and profile, exiftool adds EXIF and thumbnail.
jpg = os.path.join(here, "meta.jpg")
img.save(jpg, quality=90, icc_profile=icc)
with tempfile.TemporaryDirectory() as tmp:
    thumb = os.path.join(tmp, "thumb.jpg")
    img.resize((16, 12)).save(thumb, quality=70)
    subprocess.run(["exiftool", "-q", "-overwrite_original",
                    "-Make=GhibliCam", "-Model=Test Model 1",
                    "-DateTimeOriginal=2024:05:06 07:08:09",
                    "-GPSLatitude=35.6762", "-GPSLatitudeRef=N",
                    "-GPSLongitude=139.6503", "-GPSLongitudeRef=E",
                    "-Orientation#=6", "-ThumbnailImage<=" + thumb, jpg], check=True)

# meta-icc3.jpg: the profile in three APP2 chunks, out of order, after SOI.
plain = os.path.join(tempfile.gettempdir(), "meta-plain.jpg")
img.save(plain, quality=90)
with open(plain, "rb") as f:
    data = f.read()
os.unlink(plain)
third = (len(icc) + 2) // 3
parts = [icc[0:third], icc[third:2 * third], icc[2 * third:]]
segments = b""
for seq in (2, 1, 3):
    payload = b"ICC_PROFILE\0" + bytes([seq, 3]) + parts[seq - 1]
    segments += b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload
with open(os.path.join(here, "meta-icc3.jpg"), "wb") as f:
    f.write(data[:2] + segments + data[2:])

# meta.png: Pillow writes iCCP and eXIf (before IDAT).
exif = Image.Exif()
exif.endian = "<"  # "II": meta.jpg covers "MM"
exif[0x010F] = "GhibliCam"
exif[0x0110] = "Test Model 1"
exif[0x0112] = 6
exif[0x8769] = {0x9003: "2024:05:06 07:08:09"}
exif[0x8825] = {1: "N", 2: (35.0, 40.0, 34.32), 3: "E", 4: (139.0, 39.0, 1.08)}
img.save(os.path.join(here, "meta.png"), icc_profile=icc, exif=exif.tobytes())
