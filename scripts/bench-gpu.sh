#!/usr/bin/env bash
# dptrain on a GPU against its PyTorch peers, side by side in one run, batch 64 per rank:
#   PyTorch quickstart on the GPU (its DataLoader); PyTorch DDP with NCCL, 1 rank, data on the GPU;
#   PyTorch replaying the whole step as a CUDA graph; dptrain 1 rank on the CPU (the accuracy
#   curve to match), on the GPU with CUDA graphs and without, and 2 ranks sharing the GPU
#   through MPI with linear lr scaling.
# Needs a dptrain built with CUDA (scripts/gpu-check.sh builds one) and a python3 with a CUDA
# PyTorch and torchvision. Prints samples/s and ratios and exits 1 if a target is missed
# (scripts/bench/compare_gpu.py).
#   BUILD_DIR=build-gpu DATA_FILE=/tmp/fashion-mnist.h5 scripts/bench-gpu.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
no_arguments_but_help "$0" "$@"

EPOCHS=${EPOCHS:-5}                  # dptrain runs: the whole accuracy curve
REFERENCE_EPOCHS=${REFERENCE_EPOCHS:-2}
require_counts EPOCHS "$EPOCHS"
require_counts REFERENCE_EPOCHS "$REFERENCE_EPOCHS"
PYTHON=${PYTHON:-python3}
results=$(results_folder "${RESULTS:-}")  # RESULTS=DIR: new or empty; keeps the run's files
[ -n "${RESULTS:-}" ] || trap 'rm -rf "$results"' EXIT
[ -f "$DATA_FILE" ] || "$BUILD_DIR/dptrain" convert --input "$FASHION_MNIST_IDX" --output "$DATA_FILE"
torchvision_data "$results/torchvision"
bench=$DPTRAIN_ROOT/scripts/bench
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

dptrain_run() {  # NAME RANKS [OPTIONS...]
  local name=$1 ranks=$2; shift 2
  log "dptrain, $ranks rank(s) $*"
  dptrain_train_logged "$results/$name.log" "$ranks" --data "$DATA_FILE" --epochs "$EPOCHS" \
    --progress off --metrics "$results/$name.jsonl" "$@"
}

log "PyTorch quickstart on the GPU, $REFERENCE_EPOCHS epochs"
$PYTHON "$bench/pytorch_quickstart.py" --root "$results/torchvision" --epochs "$REFERENCE_EPOCHS" \
  --device cuda | tee "$results/quickstart-gpu.json"
log "PyTorch DDP nccl, 1 rank"
mpirun_local -n 1 -x OMP_NUM_THREADS $PYTHON "$bench/pytorch_ddp.py" --root "$results/torchvision" \
  --epochs "$REFERENCE_EPOCHS" --device cuda | tee "$results/ddp-nccl.json"
log "PyTorch, whole step as a CUDA graph"
$PYTHON "$bench/pytorch_cuda_graph.py" --root "$results/torchvision" --epochs "$REFERENCE_EPOCHS" \
  | tee "$results/cuda-graph.json"

dptrain_run cpu 1 --threads 4
dptrain_run cuda 1 --device cuda
dptrain_run cuda-eager 1 --device cuda --cuda-graphs off
dptrain_run cuda-2-ranks-mpi 2 --device cuda --backend mpi --lr-scaling linear

echo
$PYTHON "$bench/compare_gpu.py" "$results"
