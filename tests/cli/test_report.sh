# --report FILE (one JSON object per input, as each finishes) and --dry-run
# (what would be written, skipped or refused, touching nothing) (issue 14).
# JSON is checked by Python's json module, an independent parser.
. "$(dirname "$0")/lib.sh"
check "small fixtures" make_small
cd "$T" || exit 1
odd=$'we"ird \\ näme\tx.jpg'
cp small.jpg "$odd"
printf 'not an image' >bad.jpg
run 1 --size 64 --report rep.json -d out small.jpg small.png bad.jpg "$odd"
check "one line per input" test "$(wc -l <rep.json)" -eq 4
/usr/bin/python3 - rep.json "$odd" >py.out 2>&1 <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
by = {r["input"]: r for r in rows}
assert set(by) == {"small.jpg", "small.png", "bad.jpg", sys.argv[2]}, sorted(by)
keys = {"input", "output", "status", "error", "input_size", "output_size", "output_bytes", "seconds", "steps", "peak_rss_mb"}
for r in rows:
    assert set(r) == keys, (r["input"], sorted(set(r) ^ keys))
    assert r["peak_rss_mb"] > 1, r
ok = by["small.jpg"]
assert ok["status"] == "done" and ok["error"] is None, ok
assert ok["input_size"] == [96, 64] and ok["output_size"] == [96, 64], ok
assert ok["output"] == "out/small_ghibli.jpg" and ok["output_bytes"] > 100, ok
steps = list(ok["steps"])
assert steps[0] == "read" and steps[-2:] == ["encode", "write"] and "stylize" in steps, steps
assert sum(ok["steps"].values()) <= ok["seconds"] + 1e-3, ok
bad = by["bad.jpg"]
assert bad["status"] == "failed" and "bad.jpg" in bad["error"], bad
assert bad["input_size"] is None and bad["output_size"] is None and bad["steps"] == {}, bad
assert by[sys.argv[2]]["status"] == "done", by[sys.argv[2]]
# A retry targets only the failed inputs.
print("\n".join(r["input"] for r in rows if r["status"] == "failed"))
PY
check "the report is JSON with every field right ($(tail -3 py.out))" test $? -eq 0
check "the failed inputs can be picked from it" test "$(cat py.out)" = "bad.jpg"
check "the output the report names exists" test -s out/small_ghibli.jpg
# A rerun: every output exists, each reported as skipped with the reason.
run 1 --size 64 --report rep2.json -d out small.jpg small.png bad.jpg
check "rerun: skipped ones reported as skipped" test "$(grep -c '"status":"skipped"' rep2.json)" -eq 2
check "rerun: the reason says the output exists" grep -q '"error":"small.jpg: out/small_ghibli.jpg exists, skipped"' rep2.json
# '-' is standard error; standard output stays clean for images.
"$GHIBLIFY" --size 64 --report - -o - small.jpg >piped.jpg 2>err.txt
check "--report - writes the JSON line to standard error" grep -q '^{"input":"small.jpg","output":"-","status":"done"' err.txt
check "and the image still goes to standard output" decodes piped.jpg
# An unwritable report is a run-level failure before any work.
run 2 --size 64 --report nodir/rep.json -d out2 small.jpg
check "unwritable --report: one line naming it" grep -q "^ghiblify: --report nodir/rep.json: No such file or directory$" "$T/.err"
check "unwritable --report: nothing converted" test ! -e out2/small_ghibli.jpg

# The report never truncates an input.
cp small.jpg keep.jpg
run 2 --size 64 --report keep.jpg -d out3 keep.jpg
check "--report naming an input: refused" grep -q "^ghiblify: --report keep.jpg is one of the inputs" "$T/.err"
check "and the input is intact" cmp -s keep.jpg small.jpg

# --dry-run: a line per input, nothing read, written or created.
run 1 --dry-run -d fresh small.jpg small.png bad.jpg missing.jpg
check "dry run says it would make the folder" grep -qx $'mkdir\tfresh' "$T/.out"
check "dry run: would write small.jpg" grep -qx $'write\tsmall.jpg\tfresh/small_ghibli.jpg' "$T/.out"
check "dry run: would write bad.jpg (contents are not read)" grep -qx $'write\tbad.jpg\tfresh/bad_ghibli.jpg' "$T/.out"
check "dry run: refuses what cannot be read at all" grep -q $'^refuse\tmissing.jpg\t' "$T/.out"
check "dry run created nothing" test ! -e fresh
run 0 --dry-run -d out small.jpg small.png
check "dry run after a run: both skipped" test "$(grep -c $'^skip\t' "$T/.out")" -eq 2
run 0 --dry-run --overwrite -d out small.jpg
check "dry run with --overwrite: would write" grep -qx $'write\tsmall.jpg\tout/small_ghibli.jpg' "$T/.out"
before=$(ls -l --time-style=+%s.%N out | md5sum)
check "dry run --overwrite rewrote nothing" test "$(ls -l --time-style=+%s.%N out | md5sum)" = "$before"
finish
