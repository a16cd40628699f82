# samples/slurm-array.sh on a real single-node Slurm (issue 14): munged,
# slurmctld and slurmd started here on localhost with a scratch configuration,
# the array submitted with sbatch --wait; every photo converted exactly once.
# Skipped, saying why, where the daemons cannot start (not installed, not root).
. "$(dirname "$0")/lib.sh"
skip() { echo "skipped: $*"; exit 77; }
for tool in munged slurmctld slurmd sbatch sinfo; do
  command -v "$tool" >/dev/null || skip "$tool not installed (Debian packages slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs as their user"
cd "$T" || exit 1
S="$T/slurm"
mkdir -p "$S/state" "$S/spool"
host=$(hostname -s)
# Ports: two free ones above 20000, so a running Slurm is not disturbed.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
head -c 1024 /dev/urandom >"$S/munge.key" && chmod 600 "$S/munge.key"
stop() {
  for f in slurmd slurmctld munged; do
    [ -f "$S/$f.pid" ] && kill "$(cat "$S/$f.pid")" 2>/dev/null
  done
  sleep 1
  for f in slurmd slurmctld munged; do
    [ -f "$S/$f.pid" ] && kill -9 "$(cat "$S/$f.pid")" 2>/dev/null
  done
  cleanup
}
trap stop EXIT
munged --force --key-file="$S/munge.key" --socket="$S/munge.sock" --pid-file="$S/munged.pid" \
  --log-file="$S/munged.log" --seed-file="$S/munge.seed" || skip "munged does not start: $(tail -1 "$S/munged.log")"
cat >"$S/slurm.conf" <<CONF
ClusterName=ghiblifytest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldPort=$port
SlurmdPort=$((port + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$S/slurm.conf"
slurmctld -i || skip "slurmctld does not start: $(tail -2 "$S/slurmctld.log" 2>/dev/null)"
slurmd || skip "slurmd does not start: $(tail -2 "$S/slurmd.log" 2>/dev/null)"
for _ in $(seq 1 30); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %t | grep -q idle || skip "the Slurm node never became idle: $(tail -2 "$S/slurmd.log")"

mkdir photos out
for i in 1 2 3 4 5 6 7; do
  "$GHIBLIFY" --quiet --stages resize --size $((60 + 4 * i)) --no-keep-size -o "photos/p$i.jpg" "$SAMPLES/rocket.jpg"
done
export PATH="$(dirname "$GHIBLIFY"):$PATH"
check "sbatch --wait runs the array to completion" \
  sbatch --wait --quiet --cpus-per-task=1 -o "$T/task-%a.log" "$SAMPLES/slurm-array.sh" "$T/photos" "$T/out"
check "four tasks ran (the script's --array=1-4)" test "$(ls "$T"/task-*.log | wc -l)" -eq 4
check "every photo converted exactly once" test "$(ls out | sed 's/_ghibli.jpg$//' | sort | tr '\n' ' ')" = \
  "p1 p2 p3 p4 p5 p6 p7 "
for i in 1 2 3 4 5 6 7; do check "out/p${i}_ghibli.jpg decodes" decodes "out/p${i}_ghibli.jpg"; done
check "no task reported an error" test -z "$(cat "$T"/task-*.log)"
# Resubmitting the array redoes nothing.
before=$(ls -l --time-style=+%s.%N out | md5sum)
check "a resubmitted array succeeds" sbatch --wait --quiet --cpus-per-task=1 -o "$T/again-%a.log" \
  "$SAMPLES/slurm-array.sh" "$T/photos" "$T/out"
check "and rewrites nothing" test "$(ls -l --time-style=+%s.%N out | md5sum)" = "$before"
finish
