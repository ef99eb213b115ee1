#!/usr/bin/env bash
# Everything that needs a GPU, in one call on a GPU host (CUDA, NCCL, Open MPI, HDF5 and a pip
# PyTorch with CUDA; no network): configure against that PyTorch's LibTorch, build, run the
# tests that need a GPU (ctest -L gpu), the GPU benchmark (scripts/bench-gpu.sh), the CPU
# scaling series of bench-vs-pytorch.sh (1 to 16 ranks), and a few CPU suites as a check of the
# build. What the host lacks comes in .deps/, which scripts/gpu-carry.sh fills on a Debian
# machine.
#   scripts/gpu-check.sh OUT_DIR       OUT_DIR receives gpu-check.log and results.tgz
# BUDGET_S=N: the seconds this call may take (a host lent for a fixed time). A step that would
# likely not finish in what is left is skipped and named; results.tgz is rewritten every
# SAVE_EVERY_S seconds (default 15) while a step runs and after every step, so a call cut
# short, even in the middle of a benchmark, still returns what it measured.
# CPU_SCALING=0 leaves the CPU scaling series out; SCALING_RANKS="1 2 4 8 16" (the default)
# are its rank counts.
# STEPS="..." runs only the steps named (probe unpack configure build gpu-tests gpu-bench
# cpu-scaling cpu-tests), e.g. STEPS="unpack configure build cpu-scaling" in a second call on a
# host that still has build-gpu from the first (configure and build are then quick).
# Exits non-zero if any step failed or was skipped; every step runs regardless, so one call says
# everything.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
case "${1:-}" in
  -h | --help) print_usage "$0"; exit 0 ;;
  -*) usage_error "unknown option '$1' (see --help)" ;;
esac
[ $# -le 1 ] || usage_error "gpu-check.sh takes one OUT_DIR (got $#: $*)"

# Every setting is checked before anything starts: device time is lent by the minute, and a
# mistyped step would otherwise pass as "all steps passed" having run nothing.
default_steps="probe unpack configure build gpu-tests gpu-bench cpu-scaling cpu-tests"
[[ ${CPU_SCALING:-1} =~ ^[01]$ ]] || usage_error "CPU_SCALING='$CPU_SCALING': 1 (the default) runs the CPU series, 0 leaves it out"
[ "${CPU_SCALING:-1}" = 0 ] && default_steps=${default_steps/ cpu-scaling/}
STEPS=${STEPS:-$default_steps}
[ -n "${STEPS// /}" ] || usage_error "STEPS='$STEPS' names no step (steps: $default_steps)"
for name in $STEPS; do
  [[ " $default_steps cpu-scaling " == *" $name "* ]] || usage_error "STEPS: unknown step '$name' (steps: $default_steps)"
done
BUDGET_S=${BUDGET_S:-0}  # 0: no limit
# No leading zero: bash arithmetic would read 08 as an octal number, and fail on it.
[[ $BUDGET_S =~ ^(0|[1-9][0-9]*)$ ]] || usage_error "BUDGET_S='$BUDGET_S' is not a number of seconds"
SAVE_EVERY_S=${SAVE_EVERY_S:-15}
[[ $SAVE_EVERY_S =~ ^[1-9][0-9]*$ ]] || usage_error "SAVE_EVERY_S='$SAVE_EVERY_S' is not a number of seconds"
SCALING_RANKS=${SCALING_RANKS:-"1 2 4 8 16"}
require_counts SCALING_RANKS "$SCALING_RANKS"

out=${1:-$DPTRAIN_ROOT/results/gpu-check}
mkdir -p "$out" 2>/dev/null && out=$(cd "$out" && pwd) || usage_error "cannot create the output folder '$out'"
work=$(mktemp -d -t dptrain-gpu-check.XXXXXX)
trap 'rm -rf "$work"' EXIT  # also when the call is cut short (TERM): the data copy is 50 MB
exec > >(tee "$out/gpu-check.log") 2>&1
deps=$DPTRAIN_ROOT/.deps
BUILD_DIR=$DPTRAIN_ROOT/build-gpu
# Unpacked development files: kept beside the build, so that a later call builds incrementally.
sysroot=$DPTRAIN_ROOT/build-gpu-sysroot
export DPTRAIN_SKIP_INSTALL=1 DPTRAIN_SKIP_BUILD=1 BUILD_DIR PYTHON=${PYTHON:-python3}
export FASHION_MNIST_IDX=$deps/fashion-mnist DATA_FILE=$work/fashion-mnist.h5
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
failed=()

step() {  # NAME SECONDS COMMAND...: runs a step that takes about SECONDS, timed; a failure is remembered, not fatal
  local name=$1 needs=$2 start=$SECONDS
  shift 2
  [[ " $STEPS " == *" $name "* ]] || return 0
  if [ "$BUDGET_S" -gt 0 ] && [ $((SECONDS + needs)) -gt "$BUDGET_S" ]; then
    log "== $name: SKIPPED (needs about $needs s, $((BUDGET_S - SECONDS)) s of BUDGET_S left)"
    failed+=("$name(skipped)")
    return 0
  fi
  log "== $name"
  # In the background, so that this shell saves what the step has measured so far while it runs.
  "$@" &
  local running=$! waited=0
  while kill -0 "$running" 2>/dev/null; do
    sleep 1
    (( ++waited % SAVE_EVERY_S )) || save_results
  done
  if wait "$running"; then
    log "== $name: ok ($((SECONDS - start)) s)"
  else
    log "== $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
  save_results
}

# The benchmarks' files (metrics, PyTorch JSON lines), without the data copies. Written aside
# and renamed, so that results.tgz is a whole archive even when the call is cut short while it
# is written.
save_results() {
  local kept
  kept=$(cd "$work" && ls -d bench cpu-scaling 2>/dev/null)
  [ -n "$kept" ] || return 0
  # Exit status 1: a benchmark wrote a file while it was read; the archive holds what was
  # there, and the next save the rest.
  tar -czf "$out/results.tgz.part" --exclude=torchvision -C "$work" $kept 2>/dev/null
  [ $? -le 1 ] && mv -f "$out/results.tgz.part" "$out/results.tgz"
}

probe() {
  nvidia-smi -L
  echo "cores: $(nproc)"
  # Whether the 16 cores are 16 physical ones or 8 with two threads each decides what 16 ranks
  # can reach; the CPU scaling series is read against this.
  lscpu | grep -E '^(Model name|Thread|Core|Socket|NUMA node\(s\)|L2|L3)' || true
  $PYTHON -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available(), "nccl", torch.cuda.nccl.version())'
  mpirun --version | head -1
  # Open MPI's shared-memory transport and windows live in /dev/shm and /tmp: a container's small
  # /dev/shm (64 MB by default) would fail the 16-rank runs, not measure them.
  df -h /dev/shm /tmp || true
  cmake --version | head -1
  for header in nccl.h hdf5.h hdf5/serial/hdf5.h openssl/evp.h zlib.h cairo/cairo.h; do
    [ -f "/usr/include/$header" ] && echo "have /usr/include/$header" || echo "no /usr/include/$header"
  done
}

# OpenSSL and zlib headers, from the carried .debs when the host has none.
unpack_missing_dev_files() {
  mkdir -p "$sysroot"
  [ -f /usr/include/openssl/evp.h ] || dpkg-deb -x "$deps"/debs/libssl-dev_*.deb "$sysroot"
  [ -f /usr/include/zlib.h ] || dpkg-deb -x "$deps"/debs/zlib1g-dev_*.deb "$sysroot"
  # Debian keeps OpenSSL's configuration headers in a multiarch folder the compiler would
  # not search there; and the .debs' .so links point at Debian's runtime libraries: point them
  # at the host's.
  if [ -d "$sysroot/usr/include/x86_64-linux-gnu/openssl" ]; then
    cp "$sysroot"/usr/include/x86_64-linux-gnu/openssl/* "$sysroot/usr/include/openssl/"
  fi
  local lib runtime
  for lib in "$sysroot"/usr/lib/x86_64-linux-gnu/*.so; do
    [ -L "$lib" ] || continue
    runtime=$(ls /usr/lib/x86_64-linux-gnu/"$(basename "$lib")".[0-9]* 2>/dev/null | head -1)
    [ -n "$runtime" ] && ln -sf "$runtime" "$lib"
  done
  return 0
}

configure() {  # BUILD_DIR DPTRAIN_WITH_CUDA [CMAKE OPTIONS...]
  local build=$1 with_cuda=$2 torch_prefix
  shift 2
  torch_prefix=$($PYTHON -c 'import torch; print(torch.utils.cmake_prefix_path)')
  TORCH_CUDA_ARCH_LIST=9.0 cmake -S "$DPTRAIN_ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$sysroot/usr" -DDPTRAIN_WITH_CUDA="$with_cuda" \
    -DDPTRAIN_CARRIED_DIR="$deps" -DCUDAToolkit_ROOT=/usr/local/cuda \
    -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCMAKE_CUDA_ARCHITECTURES=90 "$@" && return 0
  # What CMake tried, for the log: a failed configure is otherwise hard to read from afar.
  tail -40 "$build"/CMakeFiles/CMakeError.log "$build"/CMakeFiles/CMakeConfigureLog.yaml 2>/dev/null
  return 1
}

# Ninja goes on past a target that fails (-k 0), so that one broken test still leaves dptrain
# built for the benchmarks.
build_everything() {
  cmake --build "$BUILD_DIR" -j "$(nproc)" -- -k 0
}

gpu_tests() {
  (cd "$BUILD_DIR" && ctest -L gpu --no-tests=error --output-on-failure -V)
}

cpu_tests() {
  (cd "$BUILD_DIR" && ctest -R "gpu_runtime_errors|train_tests|data_tests|data_parallel_2_ranks" --no-tests=error --output-on-failure)
}

# One round of 3 epochs: at 16 ranks an epoch of dptrain lasts ~0.2 s, so the best of 3 rather
# than 2 epochs, for about 30 s more in all. The lone ranks (2 to 16 independent 1-rank runs at
# once, ~10 s each) tell what the cores give with nothing exchanged. The series needs no CUDA:
# when the GPU build left no up-to-date dptrain, it is measured with a build of dptrain alone,
# without CUDA, against the same LibTorch.
cpu_scaling() {
  local build=$BUILD_DIR
  if ! dptrain_up_to_date "$build"; then
    build=$DPTRAIN_ROOT/build-cpu
    log "no up-to-date GPU build of dptrain: the CPU series uses $build (DPTRAIN_WITH_CUDA=OFF)"
    configure "$build" OFF -DDPTRAIN_BUILD_TESTS=OFF && cmake --build "$build" --target dptrain || return 1
  fi
  BUILD_DIR=$build RESULTS=$work/cpu-scaling RANKS=$SCALING_RANKS REPEATS=1 EPOCHS=3 \
    EXPECT_EFFICIENCY=0.75 EXPECT_VS_DDP=8 "$DPTRAIN_ROOT/scripts/bench-vs-pytorch.sh"
}

dptrain_up_to_date() {  # BUILD_DIR
  [ -x "$1/dptrain" ] && ninja -C "$1" -n dptrain 2>/dev/null | grep -q "no work to do"
}

# In the order of what matters most; the seconds are rough estimates for a 16-core host.
step probe 5 probe
step unpack 5 unpack_missing_dev_files
step configure 30 configure "$BUILD_DIR" ON
step build 120 build_everything
step gpu-tests 60 gpu_tests
step gpu-bench 120 env RESULTS="$work/bench" "$DPTRAIN_ROOT/scripts/bench-gpu.sh"
step cpu-scaling 200 cpu_scaling
step cpu-tests 45 cpu_tests

if [ ${#failed[@]} -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "all steps passed"
