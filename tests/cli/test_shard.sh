# --shard K/N: the N shares together convert every input exactly once, whatever
# the order of the arguments each share was given.
. "$(dirname "$0")/lib.sh"

check "small fixtures" make_small
mkdir "$T/in" "$T/res"
for i in $(seq 1 23); do cp "$T/small.png" "$T/in/img$i.png"; done
total=0
for k in 1 2 3 4; do
  if [ $((k % 2)) -eq 0 ]; then args=$(ls "$T"/in/*.png | sort -r); else args=$(ls "$T"/in/*.png); fi
  # shellcheck disable=SC2086
  run 0 --quiet --skip stylize --size 32 --shard "$k/4" -d "$T/res" $args
  n=$(ls "$T/res" | wc -l); total=$n
done
check "all 23 inputs converted once across 4 shards (got $total)" test "$total" -eq 23
run 0 --skip stylize --size 32 --shard 2/4 --skip-existing -d "$T/res" "$T/in"
err_has "0 done, 6 skipped, 0 failed"
finish
