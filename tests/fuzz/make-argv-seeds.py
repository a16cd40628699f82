#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_argv.c into tests/fuzz/argv/: one
file per command line, the arguments after "ghiblify" separated by NUL bytes.
They come from the README's examples and every "$GHIBLIFY" call in tests/cli
(shell variables become plain names, which fuzz_argv looks up below
tests/data), plus a few hand-made ones for the paths those miss (stage
parameters, looks, shards, errors). The output is committed.
  tests/fuzz/make-argv-seeds.py
"""
import glob
import hashlib
import os
import re
import shlex

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
out = os.path.join(here, "argv")
os.makedirs(out, exist_ok=True)

lines = set()
with open(os.path.join(root, "README.md")) as f:
    for m in re.finditer(r"^\s*(?:\$ )?ghiblify ([^#|<>`\n]*)", f.read(), re.M):
        lines.add(m.group(1))
for script in sorted(glob.glob(os.path.join(root, "tests", "cli", "*.sh"))):
    with open(script) as f:
        for m in re.finditer(r'"\$GHIBLIFY"([^|<>&;\n]*)', f.read()):
            lines.add(m.group(1))
lines |= {
    "--look totoro --grain-amount 0.3 exif6.jpg",
    "--stages resize,denoise,stylize --size 512 --denoise-method both meta.jpg -o out.png",
    "--shard 2/3 -r . -d out --suffix _x",
    "--reference meta.png --stages transfer,histmatch alpha.png",
    "--palette-from meta.jpg --stages palette -f jpg --chroma 444 -q 80 alpha.png",
    "--depth-out d.png --stages depth,fog meta.jpg",
    "--max-memory 4G --max-pixels 1000 --seed 7 --background #102030 -j 2 --threads 3 .",
    "--png-compression small --strip --sync --overwrite --no-keep-size --dump-stages dump meta.png",
    "--model ./x.onnx --depth-model y.tflite -v meta.jpg",
    "--version",
    "--list-models",
    "-o a.png -d b x.png",
    "--quiet -v x.png",
    "- -",
    "--skip resize,denoise,stylize,upsample x.png",
}
for line in sorted(lines):
    line = re.sub(r'"?\$\{?(\w+)\}?"?', lambda m: m.group(1).lower(), line.strip())
    line = re.sub(r"\$\(\(?[^)]*\)?\)", "1", line)
    try:
        words = shlex.split(line)
    except ValueError:
        continue
    data = b"\0".join(w.encode() for w in words)
    name = hashlib.sha1(data).hexdigest()[:12] + ".args"
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
