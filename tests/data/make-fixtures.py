#!/usr/bin/python3
"""Writes the small image fixtures of the CLI tests (run from anywhere; needs
Debian's python3-opencv and python3-numpy). The files are committed, so CI does
not need this script's dependencies.

alpha.png  48x32 RGBA: a color gradient with a left-to-right alpha ramp.
exif6.jpg  64x32 JPEG (left half red, right half blue) tagged EXIF orientation 6
           (rotate 90 degrees clockwise to display), so upright it is 32x64 with
           red on top.
"""
import os
import struct

import cv2
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))

h, w = 32, 48
y, x = np.mgrid[0:h, 0:w]
bgra = np.zeros((h, w, 4), np.uint8)
bgra[..., 0] = (x * 255 // (w - 1)).astype(np.uint8)
bgra[..., 1] = (y * 255 // (h - 1)).astype(np.uint8)
bgra[..., 2] = 128
bgra[..., 3] = (x * 255 // (w - 1)).astype(np.uint8)
cv2.imwrite(os.path.join(here, "alpha.png"), bgra)

img = np.zeros((32, 64, 3), np.uint8)
img[:, :32] = (0, 0, 255)   # BGR red
img[:, 32:] = (255, 0, 0)   # BGR blue
ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
jpg = jpg.tobytes()
# A minimal big-endian TIFF with one IFD0 entry: Orientation (0x0112) SHORT 1 = 6.
tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
tiff += struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)
app1 = b"Exif\x00\x00" + tiff
segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
with open(os.path.join(here, "exif6.jpg"), "wb") as f:
    f.write(jpg[:2] + segment + jpg[2:])
