#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build, convert the
# packaged Fashion-MNIST to HDF5, and train the quickstart model on 2 MPI ranks.
# Running it again skips what is already done. RANKS (default 2) sets the number of ranks;
# other arguments go to `dptrain train` (e.g. --epochs 1), whose options `dptrain train --help`
# lists.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
help_before_work "$0" "$@"

RANKS=${RANKS:-2}
require_counts RANKS "$RANKS"
[[ $RANKS != *" "* ]] || usage_error "RANKS='$RANKS': one number of ranks"
install_packages "${DPTRAIN_PACKAGES[@]}"
build_dptrain
convert_data
threads=$(threads_per_rank "$RANKS")
log "training on $RANKS ranks x $threads threads"
cd "$DPTRAIN_ROOT"
mpirun_local -n "$RANKS" "$BUILD_DIR/dptrain" train --config config/quickstart.toml \
  --data "$DATA_FILE" --threads "$threads" --lr-scaling linear \
  --metrics "$DPTRAIN_ROOT/results/quickstart.jsonl" "$@"
