#!/usr/bin/env bash
# dptrain against its PyTorch peers, side by side in one run on this machine:
#   PyTorch quickstart (DataLoader, 1 thread), PyTorch DDP gloo (2 ranks x 1 thread, in-memory
#   shards), dptrain 1 rank x 1 thread, dptrain 2 ranks x 1 thread (overlapped averaging, as
#   well as without overlap and with bf16 transport, for their accuracy); batch 64 per rank.
# Prints samples/s of the best epoch and the ratios, and exits 1 if a run's own result is wrong
# or a ratio misses its target (EXPECT_* variables, see scripts/bench/compare.py).
# EPOCHS (default 2) sets the epochs of every run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

EPOCHS=${EPOCHS:-2}
PYTHON=/usr/bin/python3  # Debian's interpreter, which has python3-torch
install_packages "${DPTRAIN_PACKAGES[@]}" python3-torch python3-torchvision
build_dptrain
convert_data

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# torchvision's layout: ROOT/FashionMNIST/raw/ with the uncompressed IDX files.
raw=$results/torchvision/FashionMNIST/raw
mkdir -p "$raw"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gunzip -c "$FASHION_MNIST_IDX/$f.gz" > "$raw/$f"
done
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
bench=$DPTRAIN_ROOT/scripts/bench

log "PyTorch quickstart, 1 thread, $EPOCHS epochs"
$PYTHON "$bench/pytorch_quickstart.py" --root "$results/torchvision" --epochs "$EPOCHS" --threads 1 \
  | tee "$results/quickstart.json"
log "dptrain, 1 rank x 1 thread"
"$BUILD_DIR/dptrain" train --data "$DATA_FILE" --epochs "$EPOCHS" --threads 1 \
  --metrics "$results/dptrain1.jsonl" | grep -v '^[a-z-]*=' || true
log "PyTorch DDP gloo, 2 ranks x 1 thread"
mpirun_local -n 2 -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS \
  $PYTHON "$bench/pytorch_ddp.py" --root "$results/torchvision" --epochs "$EPOCHS" --threads 1 \
  | tee "$results/ddp2.json"
dptrain2() {  # NAME [OPTIONS...]: dptrain on 2 ranks x 1 thread
  local name=$1; shift
  log "dptrain, 2 ranks x 1 thread $*"
  mpirun_local -n 2 "$BUILD_DIR/dptrain" train --data "$DATA_FILE" --epochs "$EPOCHS" --threads 1 \
    --metrics "$results/$name.jsonl" "$@" | grep -v '^[a-z-]*=' || true
}
dptrain2 dptrain2
dptrain2 dptrain2-no-overlap --no-overlap
dptrain2 dptrain2-bf16 --grad-dtype bf16

echo
$PYTHON "$bench/compare.py" "$results"
