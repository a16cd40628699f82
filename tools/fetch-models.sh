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
# name sha256 URL per line, from the one list of model files ("-": no upstream: it is
# converted locally, so only copied when present)
models=$(sed -n 's/^GH_MODEL_FILE("[^"]*", *"\([^"]*\)", *"\([^"]*\)", *"\([^"]*\)").*/\1 \2 \3/p' \
  "$root/src/nn/models.def")
[ -n "$models" ] || { echo "no models listed in src/nn/models.def" >&2; exit 1; }

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
