#!/bin/sh
# Installs what ghiblify needs to build and test on Debian 12: the compiler and
# CMake, libpng, libjpeg-turbo, libdeflate, OpenBLAS, cJSON, libheif (HEIC/AVIF),
# libwebp, Little CMS 2 (ICC profiles to sRGB), and the tools the tests use
# (groff and man-db render the man page, zsh and fish parse the completions,
# dpkg-dev's dpkg-shlibdeps gives the .deb its Depends; GNU parallel, a
# single-node Slurm with munge, and python3-yaml run and check the scale-out
# recipes of samples/; cppcheck and clang-tidy run tools/lint.sh's static
# analysis). Runs apt-get directly as root, through sudo otherwise.
set -eu
if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -q
$as_root apt-get install -y -q --no-install-recommends \
  build-essential cmake pkg-config ca-certificates curl file \
  libpng-dev libjpeg62-turbo-dev libdeflate-dev libopenblas-dev libcjson-dev \
  libheif-dev libwebp-dev liblcms2-dev python3-pil \
  libonnx-testdata clang libclang-rt-14-dev libimage-exiftool-perl cppcheck clang-tidy \
  dpkg-dev groff-base man-db zsh fish \
  parallel slurmctld slurmd slurm-client munge python3-yaml
