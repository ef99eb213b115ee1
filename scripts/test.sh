#!/usr/bin/env bash
# The whole test suite: install what is missing, build, and run every test with ctest
# (unit tests, data-parallel tests under mpiexec with 1-4 ranks, command line tests, and the
# slurm/ job scripts on a two-node Slurm cluster started on this machine). Arguments go to
# ctest, e.g. -R faults for one test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
help_before_work "$0" "$@"

install_packages "${DPTRAIN_PACKAGES[@]}" "${DPTRAIN_TEST_PACKAGES[@]}" "${SLURM_TEST_PACKAGES[@]}"
build_dptrain
cd "$BUILD_DIR"
ctest --output-on-failure "$@"
