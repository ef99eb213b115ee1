# Shared by the scripts in this directory: dependencies, build, data. Source it; do not run it.

DPTRAIN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$DPTRAIN_ROOT/build}
DATA_FILE=${DATA_FILE:-$DPTRAIN_ROOT/data/fashion-mnist.h5}
FASHION_MNIST_IDX=${FASHION_MNIST_IDX:-/usr/share/datasets/fashion-mnist}

# Debian 12 packages that building, testing and running dptrain need. libopenblas0-pthread
# matters: without it LibTorch falls back to the reference BLAS and trains ~10x slower; with
# libdnnl-dev dptrain's layers multiply by oneDNN, faster still
# (include/dptrain/model/matrix_product.h).
DPTRAIN_PACKAGES=(g++ cmake ninja-build pkg-config libtorch-dev libopenblas0-pthread libdnnl-dev
  libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools libcli11-dev libgtest-dev
  nlohmann-json3-dev zlib1g-dev libssl-dev libcairo2-dev dataset-fashion-mnist)

# What the tests need besides: scripts/plot-training.py draws with matplotlib; clang-14 and
# libclang-rt-14-dev build the libFuzzer targets in tests/fuzz.
DPTRAIN_TEST_PACKAGES=(python3-matplotlib clang-14 libclang-rt-14-dev)

# What the Slurm tests and the scaling study need on top: a real Slurm cluster on this machine
# (controller, node daemon, clients, munge for authentication), the tools that put its nodes
# into network namespaces, and Debian's matplotlib for the scaling plots.
SLURM_TEST_PACKAGES=(slurmctld slurmd slurm-client munge iproute2 util-linux
  python3 python3-matplotlib)

log() { printf '[dptrain] %s\n' "$*" >&2; }

# One error line and exit status 2, for settings a script cannot start with.
usage_error() { echo "dptrain: error: $*" >&2; exit 2; }

# A script's usage: the comment block at its top.
print_usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$1"; }  # SCRIPT

# For scripts that take their settings from the environment: --help prints the usage; any
# other argument is refused (a benchmark started by a mistyped option would run for minutes
# before anything said so).
no_arguments_but_help() {  # SCRIPT [ARGS...]
  local script=$1
  shift
  case "${1:-}" in
    "") return 0 ;;
    -h | --help) print_usage "$script"; exit 0 ;;
    *) usage_error "$(basename "$script") takes no arguments, only environment variables (got '$1'; see --help)" ;;
  esac
}

# For scripts that pass their arguments on: --help prints the usage before anything is
# installed or built.
help_before_work() {  # SCRIPT [ARGS...]
  case "${2:-}" in -h | --help) print_usage "$1"; exit 0 ;; esac
}

# Refuses NAME's VALUE unless every word of it is a whole number from 1 up.
# The targets a benchmark checks its ratios against (EXPECT_*), checked before it runs: a
# mistyped one would otherwise fail only after the whole benchmark.
require_targets() {  # NAME...
  local name
  for name in "$@"; do
    [ -z "${!name+set}" ] || [[ ${!name} =~ ^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$ ]] ||
      usage_error "$name='${!name}' is not a number"
  done
}

require_counts() {  # NAME VALUE
  local word
  [ -n "$2" ] || usage_error "$1 is empty"
  for word in $2; do
    [[ $word =~ ^[1-9][0-9]*$ ]] || usage_error "$1='$2': '$word' is not a whole number from 1 up"
  done
}

# OpenBLAS picks its kernels by the CPU's model. On a CPU it does not know (newer than the
# library, or in a virtual machine that hides the model) it falls back to its generic Prescott
# kernels, 2-4x slower than the AVX2 or AVX-512 ones the CPU runs, and a benchmark would compare
# dptrain with a handicapped PyTorch (on a Sapphire Rapids virtual machine the quickstart ran at
# 5.2k samples/s instead of 10.6k). Unless OPENBLAS_CORETYPE is set, this sets it to the kernels
# the CPU's instruction sets allow, for every run that follows, PyTorch's and dptrain's alike.
fit_openblas_kernels() {  # PYTHON: an interpreter whose torch loads the machine's BLAS
  [ -z "${OPENBLAS_CORETYPE:-}" ] || return 0
  local core flags
  core=$(OPENBLAS_VERBOSE=2 "$1" -c 'import torch' 2>&1 | sed -n 's/^Core: //p' | head -n 1)
  [ "$core" = Prescott ] || return 0
  flags=" $(grep -m 1 '^flags' "${CPUINFO:-/proc/cpuinfo}") "
  if [[ $flags == *" avx512f "* ]]; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif [[ $flags == *" avx2 "* ]]; then
    export OPENBLAS_CORETYPE=Haswell
  else
    return 0
  fi
  log "OpenBLAS does not know this CPU and chose its generic Prescott kernels:" \
    "OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE for every run"
}

# Fashion-MNIST in torchvision's layout (ROOT/FashionMNIST/raw/, uncompressed IDX files), for
# the PyTorch references of the benchmarks.
torchvision_data() {  # ROOT
  local raw=$1/FashionMNIST/raw f
  mkdir -p "$raw"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -f "$FASHION_MNIST_IDX/$f.gz" ] || usage_error "$FASHION_MNIST_IDX/$f.gz: no such file (FASHION_MNIST_IDX)"
    # Whole or not at all: a half-written file would be taken as the data next time.
    [ -f "$raw/$f" ] || { gunzip -c "$FASHION_MNIST_IDX/$f.gz" > "$raw/$f.part" && mv "$raw/$f.part" "$raw/$f"; }
  done
}

# The folder a benchmark writes its result files to: DIR if given, else a new temporary one.
# A given folder must be new or empty: files of an earlier run would be read as this run's.
results_folder() {  # [DIR]
  if [ -z "${1:-}" ]; then
    mktemp -d
  elif [ -e "$1" ] && [ ! -d "$1" ]; then
    echo "dptrain: error: RESULTS=$1 is a file; give a new folder" >&2
    return 1
  elif [ -n "$(ls -A "$1" 2>/dev/null)" ]; then
    echo "dptrain: error: RESULTS=$1 is not empty (it holds an earlier run's files); give a new folder" >&2
    return 1
  else
    mkdir -p "$1" && echo "$1"
  fi
}

# Installs those of the given Debian packages that are missing (none: nothing happens).
# DPTRAIN_SKIP_INSTALL=1 skips it, on machines that are not Debian or have no network (the
# GPU hosts, which scripts/gpu-check.sh prepares instead).
install_packages() {
  [ "${DPTRAIN_SKIP_INSTALL:-0}" = 1 ] && return 0
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  # Another apt-get (unattended upgrades, a parallel job) may hold the lock for a while: wait.
  "${sudo[@]}" apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
    "${missing[@]}"
}

# DPTRAIN_SKIP_BUILD=1 takes the dptrain in BUILD_DIR as it is (scripts/gpu-check.sh, which
# configures and builds it for a GPU host itself).
build_dptrain() {
  [ "${DPTRAIN_SKIP_BUILD:-0}" = 1 ] && return 0
  cmake -S "$DPTRAIN_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR"
}

convert_data() {
  if [ -f "$DATA_FILE" ]; then
    log "$DATA_FILE exists"
    return 0
  fi
  mkdir -p "$(dirname "$DATA_FILE")"
  "$BUILD_DIR/dptrain" convert --input "$FASHION_MNIST_IDX" --output "$DATA_FILE"
}

# mpirun with what Open MPI needs on a workstation: root permission when run as root, and
# oversubscription when more ranks than cores are asked for.
mpirun_local() {
  if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
  export OMPI_MCA_rmaps_base_oversubscribe=1
  mpirun --bind-to none "$@"
}

# Runs `dptrain train` on RANKS ranks with its output in LOG, and shows its epoch lines; if it
# fails, exits with its error line, naming the run.
dptrain_train_logged() {  # LOG RANKS [TRAIN OPTIONS...]
  local log=$1 ranks=$2
  shift 2
  if ! mpirun_local -n "$ranks" "$BUILD_DIR/dptrain" train "$@" > "$log" 2>&1; then
    local error
    error=$(grep -m1 '^dptrain: error: ' "$log" | sed 's/^dptrain: error: //')
    echo "dptrain: error: $(basename "$log" .log) on $ranks rank(s) failed: ${error:-$(tail -n 1 "$log")}" >&2
    exit 1
  fi
  grep -E '^(# dptrain|epoch [0-9]|done)' "$log" || true
}

# Threads per rank that fill the machine's cores without oversubscribing them.
threads_per_rank() {
  local ranks=$1 cores
  cores=$(nproc)
  echo $(( cores / ranks > 0 ? cores / ranks : 1 ))
}
