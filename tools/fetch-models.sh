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
raw="https://raw.githubusercontent.com"
v3="$raw/tuanmjnh/AnimeGANv3_Video/68b721c853d00a417eda9f18c2e950dfb7cdc60e/resources"

# name sha256 upstream URL ("-": optional, only copied when present: it is converted locally)
models="AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite 53daf9b8da8350ac6e1c1171efdbb7bad55f7221c7d213925125841f83e52f35 $v3/AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite
AnimeGANv3_tiny_Cute.onnx 3ef02d6b2939a0e81621abc5beb0e741bb58654570033cd0e97f6b6ef37c1171 $v3/AnimeGANv3_tiny_Cute.onnx
AnimeGANv3_Hayao_36.onnx 4734764d7ef349072fb9d19f8760571d8aa470f1cccfd103f3d25348bdde3697 -
AnimeGANv3_Hayao_36_QUANTIZED_int8.tflite 6afeef4cf8ee520e3d6ea848fc2e8577dd34a1929f605b92f7d642608a9d738b $v3/AnimeGANv3_Hayao_36_QUANTIZED_int8.tflite
AnimeGANv3_Shinkai_37_fp16.onnx 3fc9496c711580618c35418fbb5aa6e1a3a075b8937e116f7980365ad56ccdad $raw/zeeblaze/meetig-AI-T/e75c13523d4db0bdfa3e2a8c0dd842dd70e14185/models/quantized-models/AnimeGANv3_Shinkai_37_fp16.onnx
animeganv2_hayao_256x256_integer_quant.tflite 7d9157db18ad9238a7189c4f56786dbb865f980e219c167def0988fc67ffe5e0 $raw/terryky/tflite_gles_app/bfc2015a6d1234deebc9574798b175a6d1b2afc2/gl2animegan2/model/animeganv2_hayao_256x256_integer_quant.tflite
whitebox_cartoon_gan_int8.tflite 3a9e937524838ce1b39907b4bd4b1ea7b0d7fa145d77cecb5990fb8f54195e36 $raw/margaretmz/Cartoonizer-with-TFLite/b2cfa4a0547edaa63ba4e20dc555dc6fc79c22f9/android/app/src/main/ml/whitebox_cartoon_gan_int8.tflite
whitebox_cartoon_gan_dr.tflite eea087546bfe1dd951c01713af5fbc527c5a351ccf2db3a166e202db5eb5c90b $raw/margaretmz/Cartoonizer-with-TFLite/b2cfa4a0547edaa63ba4e20dc555dc6fc79c22f9/android/app/src/main/ml/whitebox_cartoon_gan_dr.tflite"

mkdir -p "$dest"
status=0
echo "$models" | while read -r name sum url; do
  if [ -f "$dest/$name" ] && echo "$sum  $dest/$name" | sha256sum -c --status; then
    echo "models/$name: present"
    continue
  fi
  tmp="$dest/.$name.part"
  rm -f "$tmp"
  if [ -f "$src/$name" ]; then
    cp "$src/$name" "$tmp"
  elif [ "$url" != - ]; then
    echo "models/$name: downloading from upstream"
    if command -v curl >/dev/null; then curl -fsSL -o "$tmp" "$url"
    elif command -v wget >/dev/null; then wget -q -O "$tmp" "$url"
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
