# cmake --install into a scratch prefix (issue 14): the binary, man page,
# completions, licenses, headers, libghiblify.so and .a, pkg-config and CMake
# package files land in the GNU directories; a small C program builds against
# the installed library through pkg-config (shared and static) and through
# find_package(ghiblify), and runs. Then CPack's .deb: unpacked into a scratch
# root, its ghiblify runs, and its Depends name the shared libraries.
. "$(dirname "$0")/lib.sh"
: "${GH_BUILD_DIR:?}"
if [ "${GH_INSTALL_LIBS:-OFF}" != ON ]; then
  echo "skipped: this build has GH_INSTALL_LIBS off (sanitizer or fuzz build)"
  exit 77
fi
cd "$T" || exit 1
P="$T/prefix"
check "cmake --install into a scratch prefix" cmake --install "$GH_BUILD_DIR" --prefix "$P"
libdir=$(cd "$P" && ls -d lib lib64 lib/*-linux-gnu 2>/dev/null | while read -r d; do
  [ -e "$P/$d/libghiblify.so" ] && echo "$d"; done | head -1)
check "libghiblify.so installed" test -n "$libdir"
for f in bin/ghiblify share/man/man1/ghiblify.1 share/bash-completion/completions/ghiblify \
         share/zsh/vendor-completions/_ghiblify share/fish/vendor_completions.d/ghiblify.fish \
         share/doc/ghiblify/LICENSE share/doc/ghiblify/MODELS.md include/ghiblify/ghiblify.h \
         "$libdir/libghiblify.a" "$libdir/pkgconfig/ghiblify.pc" "$libdir/cmake/ghiblify/ghiblifyConfig.cmake"; do
  check "installed $f" test -s "$P/$f"
done
check "the installed ghiblify runs" "$P/bin/ghiblify" --version
check "the installed man page is the generated one" cmp -s "$P/share/man/man1/ghiblify.1" "$GH_BUILD_DIR/doc/ghiblify.1"

# A program that decodes an image with the library and prints its size.
cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <ghiblify/ghiblify.h>
int main(int argc, char **argv)
{
    unsigned char *data;
    size_t size;
    struct gh_picture *pic;
    enum gh_status st = gh_io_read_all(argv[1], (size_t)1 << 30, &data, &size);
    if (st == GH_OK)
        st = gh_io_decode(data, size, (uint64_t)1 << 30, &pic);
    if (st != GH_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], gh_strerror(st));
        return 1;
    }
    printf("%dx%d\n", pic->rgb->width, pic->rgb->height);
    gh_picture_free(pic);
    free(data);
    return argc == 2 ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$P/$libdir/pkgconfig"
check "pkg-config finds ghiblify" pkg-config --exists ghiblify
check "pkg-config version is the project's" test "$(pkg-config --modversion ghiblify)" = "$("$P/bin/ghiblify" --version | sed -n '1s/^ghiblify //p')"
# shellcheck disable=SC2046
check "builds against the shared library (pkg-config)" cc -std=c17 prog.c $(pkg-config --cflags --libs ghiblify) -o prog-shared
check "the shared build links libghiblify.so" grep -q "libghiblify.so" <(LD_LIBRARY_PATH="$P/$libdir" ldd prog-shared)
check "and runs" test "$(LD_LIBRARY_PATH="$P/$libdir" ./prog-shared "$SAMPLES/rocket.jpg")" = "$(dims "$SAMPLES/rocket.jpg")"
# shellcheck disable=SC2046
check "builds against the static library (pkg-config --static)" cc -std=c17 prog.c $(pkg-config --cflags ghiblify) \
  "$P/$libdir/libghiblify.a" $(pkg-config --static --libs ghiblify | sed 's/-lghiblify//') -o prog-static
check "the static build needs no libghiblify.so" test -z "$(ldd prog-static | grep libghiblify)"
check "and runs" test "$(./prog-static "$SAMPLES/rocket.jpg")" = "$(dims "$SAMPLES/rocket.jpg")"
mkdir -p cm && cp prog.c cm/ && cat >cm/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.16)
project(uses_ghiblify C)
find_package(ghiblify REQUIRED)
add_executable(prog prog.c)
target_link_libraries(prog PRIVATE ghiblify::ghiblify)
CM
check "find_package(ghiblify) configures" cmake -S cm -B cm/build -DCMAKE_PREFIX_PATH="$P" -DCMAKE_BUILD_TYPE=Release
check "and builds" cmake --build cm/build
check "and runs" test "$(LD_LIBRARY_PATH="$P/$libdir" cm/build/prog "$SAMPLES/rocket.jpg")" = "$(dims "$SAMPLES/rocket.jpg")"

# The Debian packages.
if command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null; then
  check "cpack makes the .deb packages" cpack -G DEB -B "$T/deb" --config "$GH_BUILD_DIR/CPackConfig.cmake"
  deb=$(ls "$T"/deb/ghiblify_*.deb 2>/dev/null | head -1)
  check "ghiblify_*.deb made" test -f "$deb"
  check "libghiblify-dev_*.deb made" test -f "$(ls "$T"/deb/libghiblify-dev_*.deb 2>/dev/null | head -1)"
  depends=$(dpkg-deb -f "$deb" Depends)
  for lib in libpng16 libjpeg libopenblas libdeflate libc6; do
    check "Depends names $lib ($depends)" grep -q "$lib" <<<"$depends"
  done
  check "unpacks into a scratch root" dpkg-deb -x "$deb" "$T/root"
  check "the packaged ghiblify runs" "$T/root/usr/bin/ghiblify" --version
  check "the packaged ghiblify has its license" grep -q "MIT License" <("$T/root/usr/bin/ghiblify" --license)
  check "the package holds the man page and the model terms" test -s "$T/root/usr/share/man/man1/ghiblify.1" \
    -a -s "$T/root/usr/share/doc/ghiblify/MODELS.md"
else
  echo "note: dpkg-deb or dpkg-shlibdeps missing, .deb not built"
fi
finish
