# Environment shared by the job scripts in this directory and by the steps meant for the login
# node. Source it; do not run it.
#
# On a Trillium login node (or any Alliance cluster with StdEnv/2023):
#   source slurm/env.sh
#   dptrain_setup_venv      # once: LibTorch from the Alliance's torch wheel
#   dptrain_build           # build/dptrain, linked against the modules below
#   DPTRAIN_GPU=1 dptrain_build   # build-gpu/dptrain: with CUDA and NCCL (the wheel has CUDA)
#   dptrain_convert         # Fashion-MNIST IDX files -> $DPTRAIN_DATA (HDF5)
#
# Variables (all optional; set them before sourcing, or export them before sbatch):
#   DPTRAIN_ROOT       the checkout                  (default: the directory above this file)
#   DPTRAIN_VENV       virtualenv holding torch      (default: $HOME/.venvs/dptrain)
#   DPTRAIN_IDX        Fashion-MNIST IDX directory   (default: $SCRATCH/dptrain/fashion-mnist)
#   DPTRAIN_DATA       the HDF5 dataset              (default: $SCRATCH/dptrain/data/fashion-mnist.h5)
#   DPTRAIN_RUNS       one directory per run below   (default: $SCRATCH/dptrain/runs)
#   DPTRAIN_BIN        the dptrain executable        (default: $DPTRAIN_ROOT/build/dptrain,
#                                                     build-gpu/dptrain with DPTRAIN_GPU=1)
#   DPTRAIN_GPU=1      also load CUDA and NCCL, and use the GPU build
# Jobs write only below $SCRATCH: $HOME and $PROJECT are read-only on Trillium's compute nodes.

if [ -z "${DPTRAIN_ROOT:-}" ]; then
  DPTRAIN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
export DPTRAIN_ROOT
export DPTRAIN_VENV=${DPTRAIN_VENV:-$HOME/.venvs/dptrain}
# Defaults below $SCRATCH. Without it they stay unset (not "/dptrain/..."), and what needs them
# says so.
if [ -n "${SCRATCH:-}" ]; then
  export DPTRAIN_IDX=${DPTRAIN_IDX:-$SCRATCH/dptrain/fashion-mnist}
  export DPTRAIN_DATA=${DPTRAIN_DATA:-$SCRATCH/dptrain/data/fashion-mnist.h5}
  export DPTRAIN_RUNS=${DPTRAIN_RUNS:-$SCRATCH/dptrain/runs}
fi

# The dptrain executable: $DPTRAIN_BIN if set, else the build for the kind of node. A CUDA
# build needs the CUDA modules loaded wherever it runs, so CPU nodes keep a build of their own.
# Chosen when used, not when this file is sourced: one login shell builds both
# (`DPTRAIN_GPU=1 dptrain_build`) and submits both kinds of job, which inherit its variables.
dptrain_bin() {
  if [ -n "${DPTRAIN_BIN:-}" ]; then
    echo "$DPTRAIN_BIN"
  elif [ "${DPTRAIN_GPU:-0}" = 1 ]; then
    echo "$DPTRAIN_ROOT/build-gpu/dptrain"
  else
    echo "$DPTRAIN_ROOT/build/dptrain"
  fi
}

# StdEnv/2023 versions (`module spider NAME` lists the others). Open MPI 4.1 with PMIx is what
# `srun --mpi=pmix` needs; hdf5 (serial) is enough because every rank opens the file read-only.
DPTRAIN_MODULES=(StdEnv/2023 gcc/12.3 openmpi/4.1.5 hdf5/1.14.2 python/3.11)
DPTRAIN_GPU_MODULES=(cuda/12.2 nccl/2.18.3)

# Loads the modules where there is a module system; elsewhere (a Debian workstation, CI) the
# same libraries come from the distribution and there is nothing to do.
dptrain_load_modules() {
  if ! command -v module >/dev/null 2>&1; then return 0; fi
  module load "${DPTRAIN_MODULES[@]}"
  if [ "${DPTRAIN_GPU:-0}" = 1 ]; then module load "${DPTRAIN_GPU_MODULES[@]}"; fi
}

# LibTorch the way the Alliance documents it: the torch wheel from the local wheelhouse
# (`--no-index`: no internet needed) carries the C++ headers, libraries and CMake package.
dptrain_setup_venv() {
  dptrain_load_modules
  if [ ! -x "$DPTRAIN_VENV/bin/python" ]; then
    virtualenv --no-download "$DPTRAIN_VENV"
  fi
  "$DPTRAIN_VENV/bin/pip" install --no-index --upgrade pip
  "$DPTRAIN_VENV/bin/pip" install --no-index torch
}

# Where CMake finds LibTorch: the venv's wheel if there is one, else the system's (Debian).
dptrain_torch_prefix() {
  if [ -x "$DPTRAIN_VENV/bin/python" ]; then
    "$DPTRAIN_VENV/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)'
  fi
}

# Meant for the login node: compute nodes cannot write to $HOME/$PROJECT, where the build lives.
# CLI11 and nlohmann_json are header-only; point DPTRAIN_EXTRA_PREFIX at their install prefix
# (colon-separated) if the modules do not provide them. Tests are left out: they need GTest
# and run in CI.
dptrain_build() {
  dptrain_load_modules
  local prefix
  prefix=$(dptrain_torch_prefix)
  prefix=${prefix}${DPTRAIN_EXTRA_PREFIX:+;${DPTRAIN_EXTRA_PREFIX//:/;}}
  # The Alliance's torch wheel has CUDA: only the GPU build uses it, so that the CPU build runs
  # on CPU nodes without the CUDA modules.
  local cuda=OFF
  [ "${DPTRAIN_GPU:-0}" = 1 ] && cuda=ON
  local build
  build=$(dirname "$(dptrain_bin)")
  cmake -S "$DPTRAIN_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DDPTRAIN_BUILD_TESTS=OFF -DDPTRAIN_WITH_CUDA=$cuda ${prefix:+"-DCMAKE_PREFIX_PATH=$prefix"}
  cmake --build "$build" --target dptrain -j "${DPTRAIN_BUILD_JOBS:-8}"
}

# Also for the login node: compute nodes have no internet, so copy the IDX files to
# $DPTRAIN_IDX first (scp/rsync from a machine that has them).
dptrain_convert() {
  if [ -z "${DPTRAIN_IDX:-}" ] || [ -z "${DPTRAIN_DATA:-}" ]; then
    echo "dptrain: error: SCRATCH is not set: set it (or DPTRAIN_IDX and DPTRAIN_DATA)" >&2
    return 1
  fi
  if [ -f "$DPTRAIN_DATA" ]; then
    echo "dptrain: $DPTRAIN_DATA exists" >&2
    return 0
  fi
  mkdir -p "$(dirname "$DPTRAIN_DATA")"
  "$(dptrain_bin)" convert --input "$DPTRAIN_IDX" --output "$DPTRAIN_DATA"
}
