#!/usr/bin/env bash
# Reproduces the README's measured scaling rows: the scaling study of small-cnn and quickstart-mlp on the
# two-node test cluster (1 and 2 nodes of one rank and one core each, so the two simulated nodes never share a
# core; layouts 1x1, 2x1 and 1x2 on one node), on a tenth of Fashion-MNIST.
# Usage (root): tests/slurm/lab-study.sh [DPTRAIN_BINARY] OUTPUT_DIR
set -euo pipefail
DPTRAIN=$(realpath "${1:-build/dptrain}")
OUTPUT=$(realpath -m "$2")
HERE=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
PROJECT=$(realpath "$HERE/../..")
source "$HERE/cluster.sh"

WORK=$(mktemp -d /tmp/dptrain-lab-study.XXXXXX)
chmod 711 "$WORK"
trap 'cluster_down; rm -rf "$WORK"' EXIT
export SCRATCH=$WORK/scratch DPTRAIN_ROOT=$PROJECT DPTRAIN_BIN=$DPTRAIN DPTRAIN_IDX=$WORK/idx
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

/usr/bin/python3 "$HERE/make_subset.py" /usr/share/datasets/fashion-mnist "$DPTRAIN_IDX" 6000 1000
(source "$PROJECT/slurm/env.sh" && dptrain_convert)
cluster_up "$WORK/cluster"
mkdir -p "$OUTPUT"
on_head "$PROJECT/scripts/scaling-study.sh" run --study "$OUTPUT" --nodes 1,2 \
  --layouts 1x1,2x1,1x2 --cores-per-node 2 --global-batch 128 --batch-per-rank 64 \
  --model small-cnn,quickstart-mlp --epochs 2 --one-at-a-time
