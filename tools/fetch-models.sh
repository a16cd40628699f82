#!/bin/sh
# Puts the generator weights into models/: copied from ../shared/models when that
# folder exists (the development machines), otherwise downloaded from upstream.
# Every file is checked against its sha256 before it is moved into place, so a
# partial or altered download never ends up in models/.
#   tools/fetch-models.sh [SOURCE_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/models"
src=${1:-$root/../shared/models}
upstream="https://github.com/tuanmjnh/AnimeGANv3_Video/raw/68b721c853d00a417eda9f18c2e950dfb7cdc60e/resources"

# name sha256 required(1)/optional(0: only copied when present, no upstream)
models="AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite 53daf9b8da8350ac6e1c1171efdbb7bad55f7221c7d213925125841f83e52f35 1
AnimeGANv3_tiny_Cute.onnx 3ef02d6b2939a0e81621abc5beb0e741bb58654570033cd0e97f6b6ef37c1171 1
AnimeGANv3_Hayao_36.onnx 4734764d7ef349072fb9d19f8760571d8aa470f1cccfd103f3d25348bdde3697 0"

mkdir -p "$dest"
status=0
echo "$models" | while read -r name sum required; do
  if [ -f "$dest/$name" ] && echo "$sum  $dest/$name" | sha256sum -c --status; then
    echo "models/$name: present"
    continue
  fi
  tmp="$dest/.$name.part"
  rm -f "$tmp"
  if [ -f "$src/$name" ]; then
    cp "$src/$name" "$tmp"
  elif [ "$required" = 1 ]; then
    echo "models/$name: downloading from upstream"
    if command -v curl >/dev/null; then curl -fsSL -o "$tmp" "$upstream/$name"
    elif command -v wget >/dev/null; then wget -q -O "$tmp" "$upstream/$name"
    else echo "models/$name: need curl or wget to download" >&2; exit 1; fi
  else
    echo "models/$name: optional, not available here (skipped)"
    continue
  fi
  if ! echo "$sum  $tmp" | sha256sum -c --status; then
    rm -f "$tmp"
    echo "models/$name: sha256 mismatch, not installed" >&2
    exit 1
  fi
  chmod 644 "$tmp"
  mv "$tmp" "$dest/$name"
  echo "models/$name: installed"
done || status=1
exit $status
