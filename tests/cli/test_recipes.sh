# The scale-out recipes of samples/ (issue 14), run as written: GNU parallel
# (one process per photo, and shards across invocations) and the Kubernetes
# Indexed Job (its manifest's structure, and its command for every index).
# The Slurm job array is tests/cli/test_slurm.sh.
. "$(dirname "$0")/lib.sh"
export PATH="$(dirname "$GHIBLIFY"):$PATH"
cd "$T" || exit 1
mkdir photos
n=0
for s in 64 72 80 88 96 104; do
  n=$((n + 1))
  "$GHIBLIFY" --quiet --stages resize --size $s --no-keep-size -o "photos/p$n.jpg" "$SAMPLES/rocket.jpg"
done
check "six photos made" test "$(ls photos/*.jpg | wc -l)" -eq 6

if command -v parallel >/dev/null; then
  (cd photos && sh "$SAMPLES/parallel.sh" >../par.out 2>&1)
  check "samples/parallel.sh runs ($(tail -c 300 par.out))" test $? -eq 0
  for i in 1 2 3 4 5 6; do
    check "parallel -o out/{/.}.jpg wrote p$i.jpg" decodes "photos/out/p$i.jpg"
    check "parallel --shard {}/4 wrote p${i}_ghibli.jpg" decodes "photos/out/p${i}_ghibli.jpg"
    check "p$i keeps its size" test "$(dims "photos/out/p$i.jpg")" = "$(dims "photos/p$i.jpg")"
  done
  check "nothing else written (each photo once per recipe)" test "$(ls photos/out | wc -l)" -eq 12
  # A second run of the recipes redoes nothing.
  before=$(cd photos/out && ls -l --time-style=+%s.%N | md5sum)
  (cd photos && sh "$SAMPLES/parallel.sh" >../par2.out 2>&1)
  check "a second run succeeds" test $? -eq 0
  check "and rewrites nothing" test "$(cd photos/out && ls -l --time-style=+%s.%N | md5sum)" = "$before"
else
  echo "note: GNU parallel not installed, samples/parallel.sh not run"
fi

# Kubernetes: the manifest is an Indexed Job whose command shards by the
# completion index; no cluster here, so the command itself runs for every index.
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
  /usr/bin/python3 - "$SAMPLES/k8s-indexed-job.yaml" >k8s.txt <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
spec = job["spec"]
assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job", "not a batch/v1 Job"
assert spec["completionMode"] == "Indexed", "not Indexed"
assert spec["completions"] == spec["parallelism"], "completions and parallelism differ"
pod = spec["template"]["spec"]
assert pod["restartPolicy"] in ("Never", "OnFailure"), "a Job's pods may not restart Always"
(c,) = pod["containers"]
assert c["command"][:2] == ["sh", "-c"], "the command is not a shell line"
mounts = {m["name"] for m in c["volumeMounts"]}
assert mounts <= {v["name"] for v in pod["volumes"]}, "a mount without a volume"
print(spec["completions"])
print(c["command"][2])
PY
  check "k8s manifest: an Indexed Job with a sharding command" test $? -eq 0
  completions=$(sed -n 1p k8s.txt)
  cmd=$(sed -n 2p k8s.txt | sed "s|/data|$T/data|g")
  mkdir -p data/photos && cp photos/p*.jpg data/photos/
  check "the Job's shard count matches its completions" grep -q "/$completions\"" <<<"$cmd"
  ok=1
  for ((i = 0; i < completions; i++)); do JOB_COMPLETION_INDEX=$i sh -c "$cmd" || ok=0; done
  check "every index's command succeeds" test $ok -eq 1
  check "the indexes together convert every photo once" test "$(ls data/out | wc -l)" -eq 6 -a \
    "$(ls data/out | sed 's/_ghibli.jpg$//' | sort | tr '\n' ' ')" = "p1 p2 p3 p4 p5 p6 "
else
  echo "note: python3-yaml not installed, k8s manifest not checked"
fi
finish
