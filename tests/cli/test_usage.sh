# Usage errors exit 2 with a one-line reason and a hint; nothing is written.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
cd "$T" || exit 1
run 2; err_has "no input given"
run 2 --bogus small.png; err_has "unknown or incomplete option '--bogus'"
run 2 -Z small.png; err_has "unknown option -Z"
run 2 small.png -o; err_has "needs an argument"
run 2 -q 0 small.png; err_has "--quality 0"
run 2 -q abc small.png; err_has "--quality abc"
run 2 -j 0 small.png; err_has "--jobs 0"
run 2 -f gif small.png; err_has "--format gif"
run 2 --shard 3/2 small.png; err_has "K must be 1..N"
run 2 --shard x small.png; err_has "expected K/N"
run 2 --stages resize,sharpen small.png; err_has "unknown stage 'sharpen'"
run 2 --skip nope small.png; err_has "unknown stage 'nope'"
run 2 --size 5 small.png; err_has "outside 16..65535"
run 2 --denoise-method median small.png; err_has "not one of: bilateral, gaussian, both"
run 2 -o x.png small.png small.jpg; err_has "-o takes one input"
run 2 -o x.png -d . small.png; err_has "-o and -d cannot be used together"
run 2 -o x.gif small.png; err_has "cannot tell the format"
run 2 - - ; err_has "only once"
check "usage errors wrote nothing" test ! -e x.png -a ! -e small_ghibli.png
check "hint printed" grep -q "Try 'ghiblify --help'" "$T/.err"
finish
