#!/bin/bash
# A Slurm job array: each task converts its share of PHOTOS into OUT.
#   sbatch samples/slurm-array.sh PHOTOS OUT      (tested by tests/cli/test_slurm.sh)
# A rerun (or a requeued task) skips what is done and redoes nothing.
#SBATCH --job-name=ghiblify
#SBATCH --array=1-4
#SBATCH --cpus-per-task=2
set -eu
ghiblify --quiet --threads "${SLURM_CPUS_PER_TASK:-1}" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" "$1" -d "$2" --skip-existing
