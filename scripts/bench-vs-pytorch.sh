#!/usr/bin/env bash
# dptrain against its PyTorch peers, side by side in one run on this machine, batch 64 per
# rank, 1 thread per rank:
#   PyTorch quickstart (its DataLoader, 1 thread); PyTorch DDP with gloo (in-memory shards);
#   dptrain; for each rank count in RANKS (default "1 2"); and, for each count N above 1, N lone
#   ranks at once: N independent 1-rank runs started together, which exchange nothing, so that
#   what N cores of this machine give when all compute is known apart from what the exchange
#   costs (a ceiling for any data-parallel run of N ranks here). At the largest count dptrain also
#   runs with bf16 gradients, and with 1 MB buckets (3 buckets, the first two reduced during
#   backward) with and without overlap, for their speed and accuracy (the default 4 MB holds
#   the quickstart's 2.7 MB of gradients in one bucket, which is reduced after backward either
#   way); with plain MPI_Allreduce (DPTRAIN_SHARED_MEMORY=0), where each rank keeps its
#   parameters and gradients to itself; and with node-shared gradients but parameters of each
#   rank's own (DPTRAIN_SHARED_MEMORY=gradients): against the node-shared default, what sharing
#   each of them costs forward and backward.
# Prints samples/s of each run's best epoch (over REPEATS interleaved rounds, default 3) and the
# ratios, where each step's time goes, and, for N ranks, the slowest rank: the others wait for it
# every step, so its pace bounds what N ranks reach with any exchange. Checks every run's own
# result, and exits 1 if a ratio misses its target (EXPECT_* variables, see
# scripts/bench/compare.py).
# On a 16-core machine: RANKS="1 2 4 8 16" EXPECT_EFFICIENCY=0.75 EXPECT_VS_DDP=8 scripts/bench-vs-pytorch.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
no_arguments_but_help "$0" "$@"

EPOCHS=${EPOCHS:-2}
RANKS=${RANKS:-"1 2"}
REPEATS=${REPEATS:-3}  # rounds of every run
require_counts EPOCHS "$EPOCHS"
require_counts RANKS "$RANKS"
require_counts REPEATS "$REPEATS"
require_targets EXPECT_1RANK_VS_QUICKSTART EXPECT_EFFICIENCY EXPECT_VS_DDP
PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's interpreter, which has python3-torch
# RESULTS=DIR (new or empty) keeps the run's files (metrics, PyTorch JSON lines) for a closer look.
results=$(results_folder "${RESULTS:-}")
[ -n "${RESULTS:-}" ] || trap 'rm -rf "$results"' EXIT
install_packages "${DPTRAIN_PACKAGES[@]}" python3-torch python3-torchvision
build_dptrain
convert_data

torchvision_data "$results/torchvision"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
fit_openblas_kernels "$PYTHON"
bench=$DPTRAIN_ROOT/scripts/bench

dptrain_run() {  # NAME RANKS [OPTIONS...]
  local name=$1 ranks=$2; shift 2
  log "dptrain, $ranks ranks x 1 thread $*"
  dptrain_train "$name" "$ranks" "$@"
}

dptrain_train() {  # NAME RANKS [OPTIONS...]: the run's epoch lines on stdout, its files NAME.*
  local name=$1 ranks=$2; shift 2
  dptrain_train_logged "$results/$name.log" "$ranks" --data "$DATA_FILE" --epochs "$EPOCHS" \
    --threads 1 --progress off --metrics "$results/$name.jsonl" "$@"
}

# N independent 1-rank runs at once, each over the whole training set, 1 thread each.
lone_ranks_run() {  # NAME N
  local name=$1 n=$2 i pid failed=0 pids=()
  log "$n lone ranks at once (independent 1-rank runs, no exchange), 1 thread each"
  for i in $(seq "$n"); do
    dptrain_train "$name.$i" 1 > /dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" -eq 0 ] || exit 1  # each failed run has named itself
}

# How fast the ranks exchange gradients in this round: `dptrain bench allreduce` of the
# quickstart MLP's 669 706 gradients (2.7 MB) on the largest rank count. On a shared virtual
# machine this varies several-fold from run to run; the report shows it next to the speeds.
allreduce_probe() {  # ROUND
  local n=${RANKS##* }
  [ "$n" -gt 1 ] || return 0
  log "allreduce of the quickstart's gradients, $n ranks"
  mpirun_local -n "$n" "$BUILD_DIR/dptrain" bench allreduce --min-bytes 2678824 --max-bytes 2678824 \
    --json "$results/allreduce$n.r$1.json" | tail -n 1
}

# One round runs everything once; rounds interleave, so that a slow spell of a shared machine
# does not fall on one configuration only. Each run counts with its best epoch of all rounds.
run_round() {  # ROUND
  local round=$1 n largest=1
  allreduce_probe "$round"
  log "round $round of $REPEATS: PyTorch quickstart, 1 thread, $EPOCHS epochs"
  $PYTHON "$bench/pytorch_quickstart.py" --root "$results/torchvision" --epochs "$EPOCHS" --threads 1 \
    | tee "$results/quickstart.r$round.json"
  for n in $RANKS; do
    dptrain_run "dptrain$n.r$round" "$n"
    log "PyTorch DDP gloo, $n ranks x 1 thread"
    mpirun_local -n "$n" -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS \
      $PYTHON "$bench/pytorch_ddp.py" --root "$results/torchvision" --epochs "$EPOCHS" --threads 1 \
      | tee "$results/ddp$n.r$round.json"
    [ "$n" -eq 1 ] || lone_ranks_run "lone$n.r$round" "$n"
    largest=$n
  done
  dptrain_run "dptrain$largest-buckets1.r$round" "$largest" --bucket-mb 1
  dptrain_run "dptrain$largest-buckets1-no-overlap.r$round" "$largest" --bucket-mb 1 --no-overlap
  dptrain_run "dptrain$largest-bf16.r$round" "$largest" --grad-dtype bf16
  (export DPTRAIN_SHARED_MEMORY=0; dptrain_run "dptrain$largest-plain-mpi.r$round" "$largest")
  (export DPTRAIN_SHARED_MEMORY=gradients; dptrain_run "dptrain$largest-own-parameters.r$round" "$largest")
}

for round in $(seq "$REPEATS"); do run_round "$round"; done

echo
$PYTHON "$bench/compare.py" "$results" $RANKS
