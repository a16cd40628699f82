#!/bin/sh
# GNU parallel recipes (Debian package `parallel`), run in a folder of JPEGs:
#   sh samples/parallel.sh            (tested by tests/cli/test_recipes.sh)
set -eu
mkdir -p out
# One ghiblify per photo, one per CPU at a time, each with one thread:
# out/NAME.jpg for every NAME.jpg.
parallel ghiblify --quiet --threads 1 -o out/{/.}.jpg {} ::: *.jpg
# Or a few invocations over deterministic shares of one list (add -S host1,host2
# to spread them over machines that see the same folder): out/NAME_ghibli.jpg.
parallel ghiblify --quiet --shard {}/4 . -d out/ ::: 1 2 3 4
