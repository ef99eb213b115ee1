#!/usr/bin/env bash
# dptrain on a GPU against its PyTorch peers, side by side in one run, batch 64 per rank:
#   PyTorch quickstart on the GPU (its DataLoader); PyTorch DDP with NCCL, 1 rank, data on the GPU;
#   PyTorch replaying the whole step as a CUDA graph; dptrain 1 rank on the CPU (the accuracy
#   curve to match), on the GPU with CUDA graphs and without, and 2 ranks sharing the GPU
#   through MPI with linear lr scaling.
# Needs a dptrain built with CUDA (scripts/gpu-check.sh builds one) and a python3 with a CUDA
# PyTorch and torchvision. Prints samples/s and ratios and exits 1 if a target is missed
# (scripts/bench/compare_gpu.py) or a run failed; the runs after a failed one still run.
#   BUILD_DIR=build-gpu DATA_FILE=/tmp/fashion-mnist.h5 scripts/bench-gpu.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
no_arguments_but_help "$0" "$@"

EPOCHS=${EPOCHS:-5}                  # dptrain runs: the whole accuracy curve
REFERENCE_EPOCHS=${REFERENCE_EPOCHS:-2}
require_counts EPOCHS "$EPOCHS"
require_counts REFERENCE_EPOCHS "$REFERENCE_EPOCHS"
require_targets EXPECT_GPU_SAMPLES_PER_SECOND EXPECT_ACCURACY_GAP
PYTHON=${PYTHON:-python3}
results=$(results_folder "${RESULTS:-}")  # RESULTS=DIR: new or empty; keeps the run's files
[ -n "${RESULTS:-}" ] || trap 'rm -rf "$results"' EXIT
[ -f "$DATA_FILE" ] || "$BUILD_DIR/dptrain" convert --input "$FASHION_MNIST_IDX" --output "$DATA_FILE"
torchvision_data "$results/torchvision"
bench=$DPTRAIN_ROOT/scripts/bench
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
fit_openblas_kernels "$PYTHON"

dptrain_run() {  # NAME RANKS [OPTIONS...]
  local name=$1 ranks=$2; shift 2
  log "dptrain, $ranks rank(s) $*"
  dptrain_train_logged "$results/$name.log" "$ranks" --data "$DATA_FILE" --epochs "$EPOCHS" \
    --progress off --metrics "$results/$name.jsonl" "$@"
}

# Every run is tried even when one before it failed: GPU time is scarce, and one call should
# say all it can. The comparison then names the runs that left no result.
failed=()
attempt() {  # NAME COMMAND...
  local name=$1
  shift
  ( "$@" ) || { log "$name FAILED (its output is above)"; failed+=("$name"); }
}

quickstart_gpu() {
  log "PyTorch quickstart on the GPU, $REFERENCE_EPOCHS epochs"
  $PYTHON "$bench/pytorch_quickstart.py" --root "$results/torchvision" --epochs "$REFERENCE_EPOCHS" \
    --device cuda | tee "$results/quickstart-gpu.json"
}

ddp_nccl() {
  log "PyTorch DDP nccl, 1 rank"
  mpirun_local -n 1 -x OMP_NUM_THREADS $PYTHON "$bench/pytorch_ddp.py" --root "$results/torchvision" \
    --epochs "$REFERENCE_EPOCHS" --device cuda | tee "$results/ddp-nccl.json"
}

cuda_graph_reference() {
  log "PyTorch, whole step as a CUDA graph"
  $PYTHON "$bench/pytorch_cuda_graph.py" --root "$results/torchvision" --epochs "$REFERENCE_EPOCHS" \
    | tee "$results/cuda-graph.json"
}

attempt quickstart-gpu quickstart_gpu
attempt ddp-nccl ddp_nccl
attempt cuda-graph cuda_graph_reference
attempt cpu dptrain_run cpu 1 --threads 4
attempt cuda dptrain_run cuda 1 --device cuda
attempt cuda-eager dptrain_run cuda-eager 1 --device cuda --cuda-graphs off
attempt cuda-2-ranks-mpi dptrain_run cuda-2-ranks-mpi 2 --device cuda --backend mpi --lr-scaling linear

echo
status=0
$PYTHON "$bench/compare_gpu.py" "$results" || status=1
if [ ${#failed[@]} -gt 0 ]; then
  log "failed runs: ${failed[*]}"
  status=1
fi
exit "$status"
