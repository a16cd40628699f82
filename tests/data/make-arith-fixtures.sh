#!/bin/sh
# Writes the arithmetic-coded JPEG fixtures (issue 15): a 256x192 crop of
# samples/rocket.jpg transcoded losslessly by jpegtran (Debian's
# libjpeg-turbo-progs) to arithmetic coding, sequential and progressive. The
# files are committed, so tests and tools/soak do not need jpegtran.
#
#   arith.jpg       sequential (SOF9), one interleaved scan
#   arith-prog.jpg  progressive (SOF10), jpegtran's default 10-scan script
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../samples/rocket.jpg"
jpegtran -copy none -crop 256x192+192+112 -arithmetic "$src" >"$here/arith.jpg"
jpegtran -copy none -crop 256x192+192+112 -arithmetic -progressive "$src" >"$here/arith-prog.jpg"
