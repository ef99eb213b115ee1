#!/usr/bin/env bash
# Scaling study: plans strong/weak scaling and layouts, submits them with sbatch (or runs them
# with mpirun), then collects runs.csv, tables.md, plots and the scaling model (model.md).
# `scripts/scaling-study.sh --help` lists the options. Needs Debian's or the cluster's python3
# with matplotlib (Debian: python3-matplotlib).
set -euo pipefail
exec "${DPTRAIN_PYTHON:-/usr/bin/python3}" "$(dirname "${BASH_SOURCE[0]}")/scaling" "$@"
