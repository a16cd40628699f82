# Day-one frictions (issue 9, items 1 and 2): output folders are created, reruns
# never stylize their own outputs, and the second run of every README example
# does nothing and exits 0.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
# The same args twice in a fresh folder: first exit 0 with work done, second
# exit 0 with nothing done and no file touched.
twice() { # twice DIR 'ARGS' (a shell word list, globs expanded in DIR)
  local dir=$1 args=$2
  (cd "$dir" && eval "\"\$GHIBLIFY\" $args" >"$T/.out1" 2>"$T/.err1")
  local first=$?
  local before; before=$(cd "$dir" && find . -type f -printf '%p %s %T@\n' | sort)
  (cd "$dir" && eval "\"\$GHIBLIFY\" $args" >"$T/.out" 2>"$T/.err")
  local second=$?
  local after; after=$(cd "$dir" && find . -type f -printf '%p %s %T@\n' | sort)
  check "first run of '$args' exits 0 (got $first: $(head -c 300 "$T/.err1"))" test "$first" -eq 0
  check "second run of '$args' exits 0 (got $second: $(head -c 300 "$T/.err"))" test "$second" -eq 0
  check "second run of '$args' changes no file" test "$before" = "$after"
  check "second run of '$args' does no work" grep -q "^ghiblify: 0 done" "$T/.err"
}
fresh() { rm -rf "$T/w"; mkdir -p "$T/w"; cp "$T/small.jpg" "$T/w/photo.jpg"; cp "$T/small.jpg" "$T/w/b.jpg"; }

# The README's "Using it" examples.
fresh; twice "$T/w" 'photo.jpg'
check "photo_ghibli.jpg written" test -f "$T/w/photo_ghibli.jpg"
fresh; twice "$T/w" 'photo.jpg -o out.png'
fresh; twice "$T/w" '*.jpg -d out/'
check "-d out/ created on a fresh folder" test -f "$T/w/out/photo_ghibli.jpg" -a -f "$T/w/out/b_ghibli.jpg"
fresh; twice "$T/w" '*.jpg'
check "glob twice in place: no _ghibli_ghibli" test -z "$(find "$T/w" -name '*_ghibli_ghibli*')"
fresh; mkdir -p "$T/w/photos/sub"; cp "$T/small.png" "$T/w/photos/sub/c.png"; cp "$T/small.jpg" "$T/w/photos/a.jpg"
twice "$T/w" '-r photos/ -d out/'
check "-r mirrors the tree into a new out/" test -f "$T/w/out/sub/c_ghibli.png" -a -f "$T/w/out/a_ghibli.jpg"
fresh; twice "$T/w" '-r . -d out/'
check "-r . -d out/ twice: nothing under out/out" test ! -e "$T/w/out/out"
fresh; twice "$T/w" '--reference photo.jpg b.jpg'
fresh; twice "$T/w" "--stages stylize --model '$GH_SOURCE_DIR/models/AnimeGANv3_tiny_Cute.onnx' photo.jpg -o out.png"
# A rerun with nothing to do loads no model (Makefiles call ghiblify per target;
# loading and sizing the generator would be most of a no-op's time): a --model
# that has gone away is not missed until an output is missing again.
fresh; cp "$GH_SOURCE_DIR/models/AnimeGANv3_tiny_Cute.onnx" "$T/w/m.onnx"
(cd "$T/w" && "$GHIBLIFY" --model m.onnx --reference b.jpg photo.jpg 2>/dev/null)
rm "$T/w/m.onnx" "$T/w/b.jpg"
(cd "$T/w" && "$GHIBLIFY" --model m.onnx --reference b.jpg photo.jpg >"$T/.out" 2>"$T/.err")
check "rerun with every output present needs neither model nor still (exit 0)" test $? -eq 0
err_has "0 done, 1 skipped, 0 failed"
rm "$T/w/photo_ghibli.jpg"
(cd "$T/w" && "$GHIBLIFY" --model m.onnx photo.jpg >"$T/.out" 2>"$T/.err")
check "with an output missing the model is loaded (and missed: exit 2)" test $? -eq 2
err_has "m.onnx"
# The cluster recipes: a share into a shared folder.
fresh; twice "$T/w" '--shard 1/2 . -d out/ --skip-existing'
fresh; twice "$T/w" '--shard 2/2 . -d out/ --skip-existing'
# The filter example: a rerun writes the same bytes.
fresh
(cd "$T/w" && "$GHIBLIFY" - <photo.jpg >first.jpg 2>/dev/null && "$GHIBLIFY" - <photo.jpg >second.jpg 2>/dev/null)
check "filter example twice: exit 0, same bytes" cmp -s "$T/w/first.jpg" "$T/w/second.jpg"

# A glob run twice in the input folder: the outputs are not taken as inputs.
fresh
(cd "$T/w" && "$GHIBLIFY" ./*.jpg 2>/dev/null)
(cd "$T/w" && "$GHIBLIFY" ./*.jpg >"$T/.out" 2>"$T/.err")
check "glob rerun exits 0" test $? -eq 0
check "no _ghibli_ghibli files" test -z "$(find "$T/w" -name '*_ghibli_ghibli*')"
err_has "left out 2 inputs whose name ends in '_ghibli'"
err_has "another --suffix"
err_has "0 done, 4 skipped, 0 failed"
# ... and -v names each, --suffix takes them in.
(cd "$T/w" && "$GHIBLIFY" -v ./*.jpg >"$T/.out" 2>"$T/.err")
err_has "photo_ghibli.jpg: left out: its name ends in '_ghibli'"
(cd "$T/w" && "$GHIBLIFY" --suffix _v2 photo_ghibli.jpg >"$T/.out" 2>"$T/.err")
check "another --suffix processes an earlier output" test -f "$T/w/photo_ghibli_v2.jpg"

# -r with -d inside the scanned tree never descends into the output folder.
fresh
(cd "$T/w" && "$GHIBLIFY" -r . -d out --skip-existing 2>/dev/null)
(cd "$T/w" && "$GHIBLIFY" -r . -d out --skip-existing >"$T/.out" 2>"$T/.err")
check "-r . -d out rerun exits 0" test $? -eq 0
check "nothing under out/out" test ! -e "$T/w/out/out"
err_has "0 done, 2 skipped, 0 failed"

# --skip-existing never fails an input whose output exists, even when that
# output is also named as an input (-d . with an empty suffix).
fresh
(cd "$T/w" && "$GHIBLIFY" --quiet -f png photo.jpg -o photo.png)
(cd "$T/w" && "$GHIBLIFY" --skip-existing --suffix '' -f png -d . photo.jpg photo.png >"$T/.out" 2>"$T/.err")
check "output-that-is-an-input with --skip-existing: exit 0" test $? -eq 0
err_has "0 failed"

# A partial rerun (issue 15): an input whose output exists is skipped without
# being read or converted again. Its input is made unreadable garbage after
# the first run: were it decoded again (and only then found to exist at the
# write), it would fail; skipped, the rerun exits 0 and converts the new one.
fresh
(cd "$T/w" && "$GHIBLIFY" --quiet --stages resize photo.jpg)
printf 'not a picture' >"$T/w/photo.jpg"
(cd "$T/w" && "$GHIBLIFY" --skip-existing --stages resize photo.jpg b.jpg >"$T/.out" 2>"$T/.err")
check "partial rerun with an existing output's input now garbage: exit 0 ($(head -c 300 "$T/.err"))" test $? -eq 0
err_has "1 done, 1 skipped, 0 failed"

# Folders: -d and --dump-stages are made with their parents; a folder that
# cannot be made stops the run before any work, exit 2, one line.
fresh
run 0 --quiet -d "$T/w/a/b/c" --dump-stages "$T/w/d/e" "$T/w/photo.jpg"
check "-d parents created" test -f "$T/w/a/b/c/photo_ghibli.jpg"
check "--dump-stages parents created" test -f "$T/w/d/e/photo.01-input.png"
run 2 -d "$T/w/photo.jpg/x" "$T/w/b.jpg"
check "run-level failure is one line" test "$(wc -l <"$T/.err")" -eq 1
check "and nothing was written" test ! -e "$T/w/b_ghibli.jpg"
finish
