#!/usr/bin/env bash
# scripts/bench-gpu.sh (with scripts/bench/compare_gpu.py), scripts/bench-vs-pytorch.sh and
# scripts/gpu-check.sh, on a machine without a GPU: fake dptrain, Python, nvidia-smi, cmake,
# ninja and ctest stand in for the GPU host's, so that what the scripts do with their steps and
# results is checked wherever the tests run, not first on a GPU host lent by the minute.
# bench-gpu.sh: all runs good -> every check passes; a failed run is named, the runs after it
# still run, and the comparison marks the missing results; a GPU rate under its target fails.
# bench-vs-pytorch.sh (the CPU series): lone ranks at once, and ranks averaging through plain
# MPI, are compared with the ranks that share memory, step by step, and the slowest rank bounds
# what N ranks can reach; a lone rank that fails fails the script, named; OpenBLAS's generic
# kernels are replaced for PyTorch and dptrain alike.
# gpu-check.sh: all steps pass and results.tgz holds both benchmarks; a failed GPU build still
# gives the CPU series (from a build without CUDA); a small BUDGET_S skips and names steps; a
# call cut short mid-benchmark leaves a whole results.tgz with the runs that finished, and
# nothing in TMPDIR.
# Every script's --help is its whole usage, printed before anything is installed or built.
# Never a Python traceback.
# Usage: test_gpu_scripts.sh SOURCE_DIR
set -u
source_dir=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$source_dir/tests/cli/expect.sh"
fakes=$work/fakes
mkdir -p "$fakes" "$work/idx"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  echo fake | gzip > "$work/idx/$f.gz"
done

# dptrain: `train` writes 3 epochs of metrics with the quickstart's accuracy curve, at
# FAKE_GPU_SPEED samples/s with --device cuda and 18000 per rank on the CPU; runs named in
# FAKE_FAIL fail as dptrain does, and those in FAKE_SLOW take a minute. `bench allreduce` and
# `convert` write what the scripts read of them.
cat > "$fakes/dptrain" <<'EOF'
#!/usr/bin/env bash
command=$1
metrics= device=cpu json= output=
while [ $# -gt 0 ]; do
  case $1 in
    --metrics) metrics=$2; shift ;; --device) device=$2; shift ;;
    --json) json=$2; shift ;; --output) output=$2; shift ;;
  esac
  shift
done
rank=${OMPI_COMM_WORLD_RANK:-0} ranks=${OMPI_COMM_WORLD_SIZE:-1}
case $command in
  convert) echo fake > "$output"; exit 0 ;;
  bench) [ "$rank" = 0 ] && echo '{"sizes":[{"bytes":2678824,"seconds":0.0002}]}' > "$json"; echo "busbw"; exit 0 ;;
esac
name=$(basename "$metrics" .jsonl)
if [[ " ${FAKE_FAIL:-} " == *" $name "* ]]; then echo "dptrain: error: $name broke"; exit 1; fi
if [[ " ${FAKE_SLOW:-} " == *" $name "* ]]; then sleep 60; fi
[ "$rank" = 0 ] || exit 0
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-}"
speed=$((18000 * ranks))
[ "$device" = cuda ] && speed=$FAKE_GPU_SPEED
# 938 steps with 1.9 s of forward and backward (2.03 ms a step), 1.95 s of work (2 s on the
# slowest rank, rank 1), and 0.1 s of waiting above 1 rank (0.05 s on the rank that waits least)
phases="\"steps\":938,\"phases\":{\"forward\":{\"median\":0.8},\"backward\":{\"median\":1.1},"
phases+="\"working\":{\"min\":1.9,\"median\":1.95,\"max\":2.0,\"slowest_rank\":1},"
phases+="\"communication_wait\":$([ "$ranks" = 1 ] && echo '{"min":0,"median":0}' || echo '{"min":0.05,"median":0.1}')}"
epoch=0
for accuracy in 0.495 0.592 0.613; do
  epoch=$((epoch + 1))
  echo "{\"epoch\":$epoch,\"samples\":60000,\"samples_per_second\":$speed,\"test_accuracy\":$accuracy,$phases}" >> "$metrics"
  echo "epoch $epoch: test accuracy $accuracy, $speed samples/s"
done
echo '{"summary":true}' >> "$metrics"
EOF
# Python: runs the comparisons for real and plays the PyTorch references (quickstart 8000
# samples/s, DDP 2000 per rank; those named in FAKE_FAIL fail; each names the OpenBLAS kernels it
# was given) and torch's own answers (OpenBLAS's FAKE_OPENBLAS_CORE, when set).
cat > "$fakes/python" <<'EOF'
#!/usr/bin/env bash
case $1 in
  -c) [ "$2" = "import torch" ] && [ "${OPENBLAS_VERBOSE:-}" = 2 ] && [ -n "${FAKE_OPENBLAS_CORE:-}" ] \
        && echo "Core: $FAKE_OPENBLAS_CORE"
      [[ $2 == *cmake_prefix_path* ]] && echo /nonexistent/torch || echo "torch 2.11 cuda 13.0 True nccl (2, 28, 0)"; exit 0 ;;
esac
speed=8000
case $(basename "$1") in
  compare.py | compare_gpu.py) exec /usr/bin/python3 "$@" ;;
  pytorch_quickstart.py) name=quickstart ;;
  pytorch_ddp.py) name=ddp speed=$((2000 * ${OMPI_COMM_WORLD_SIZE:-1})) ;;
  pytorch_cuda_graph.py) name=cuda-graph ;;
esac
[[ " $* " == *" --device cuda "* ]] && name=$name-gpu
if [[ " ${FAKE_FAIL:-} " == *" $name "* ]]; then echo "RuntimeError: $name broke" >&2; exit 1; fi
[ "${OMPI_COMM_WORLD_RANK:-0}" = 0 ] || exit 0
echo "{\"reference\":\"$name\",\"samples_per_second\":$speed,\"test_accuracy\":[0.495,0.592,0.613],\"openblas\":\"${OPENBLAS_CORETYPE:-}\"}"
EOF
# The GPU host's tools: a build puts the fake dptrain in the build folder (a build of
# build-gpu fails with FAKE_GPU_BUILD_FAILS=1), ninja has no work where a dptrain is, and
# ctest passes.
cat > "$fakes/cmake" <<'EOF'
#!/usr/bin/env bash
case $1 in
  --version) echo "cmake version 3.28 (fake)" ;;
  --build)
    [ "${FAKE_GPU_BUILD_FAILS:-0}" = 1 ] && [[ $2 == */build-gpu ]] && { echo "error: fake compile error"; exit 1; }
    cp "$(dirname "$0")/dptrain" "$2/dptrain" ;;
  *) while [ $# -gt 0 ]; do [ "$1" = -B ] && mkdir -p "$2"; shift; done ;;
esac
EOF
cat > "$fakes/ninja" <<'EOF'
#!/usr/bin/env bash
[ -x "$2/dptrain" ] && echo "ninja: no work to do." || echo "[1/1] Linking CXX executable dptrain"
EOF
printf '#!/bin/sh\necho "100%% tests passed (fake)"\n' > "$fakes/ctest"
printf '#!/bin/sh\necho "GPU 0: NVIDIA H100 (fake)"\n' > "$fakes/nvidia-smi"
chmod +x "$fakes/"*

# expect_log NAME WANTED STATUS LOG PATTERN...: the exit STATUS is WANTED (0 or nonzero), LOG
# has a line matching each PATTERN (grep -E; with a leading "!", has none), and no traceback.
expect_log() {
  local name=$1 wanted=$2 status=$3 log=$4 pattern
  shift 4
  if { [ "$wanted" = 0 ] && [ "$status" -ne 0 ]; } || { [ "$wanted" = nonzero ] && [ "$status" -eq 0 ]; }; then
    fail "$name: exit status $status"; tail -30 "$log"; return
  fi
  for pattern in "$@" '!Traceback'; do
    if [[ $pattern == '!'* ]]; then
      ! grep -qE -- "${pattern#!}" "$log" || { fail "$name: a line matches '${pattern#!}'"; tail -30 "$log"; return; }
    else
      grep -qE -- "$pattern" "$log" || { fail "$name: no line matches '$pattern'"; tail -30 "$log"; return; }
    fi
  done
  pass "$name"
}

# ================================ scripts/bench-gpu.sh ========================================
touch "$work/data.h5"
bench_gpu() {  # RESULTS FAKE_FAIL FAKE_GPU_SPEED: runs the script, its output in RESULTS.log
  env BUILD_DIR="$fakes" PYTHON="$fakes/python" DATA_FILE="$work/data.h5" \
    FASHION_MNIST_IDX="$work/idx" RESULTS="$1" FAKE_FAIL="$2" FAKE_GPU_SPEED="$3" EPOCHS=3 \
    timeout 300 bash "$source_dir/scripts/bench-gpu.sh" > "$1.log" 2>&1
}

bench_gpu "$work/good" "" 600000
expect_log "bench-gpu, all runs good: every check passes" 0 $? "$work/good.log" \
  '^PASS  dptrain 1 rank on the GPU: 600000 samples/s' '^PASS  GPU accuracy curve follows the CPU curve' '!^FAIL'

bench_gpu "$work/broken" "cuda-graph cuda-eager" 600000
expect_log "bench-gpu: failed runs are named, the comparison marks their results missing and checks the rest" \
  nonzero $? "$work/broken.log" 'cuda-graph FAILED' 'cuda-eager FAILED' 'failed runs: cuda-graph cuda-eager' \
  '^PyTorch, whole step as a CUDA graph +no result' \
  '^FAIL  dptrain cuda-eager trains all 60000 samples per epoch: no result from cuda-eager' \
  '^PASS  dptrain 1 rank on the GPU'
if [ -s "$work/broken/cpu.jsonl" ] && [ -s "$work/broken/cuda-2-ranks-mpi.jsonl" ]; then
  pass "bench-gpu: the runs after a failed one still ran"
else
  fail "bench-gpu: the runs after a failed one did not run"; ls "$work/broken"
fi

bench_gpu "$work/slow" "" 400000
expect_log "bench-gpu: a GPU rate under the target fails" nonzero $? "$work/slow.log" \
  '^FAIL  dptrain 1 rank on the GPU: 400000 samples/s \(expected >= 500000\)'

# ============================ scripts/bench-vs-pytorch.sh =====================================
# One of the lone ranks fails: the script fails naming it, and compares nothing. OpenBLAS
# reports its generic kernels on a CPU with AVX-512: every run, PyTorch's and dptrain's, gets
# OPENBLAS_CORETYPE=SkylakeX, and the log says so.
echo "flags		: fpu sse2 avx avx2 avx512f avx512bw" > "$work/cpuinfo"
env BUILD_DIR="$fakes" PYTHON="$fakes/python" DATA_FILE="$work/data.h5" FASHION_MNIST_IDX="$work/idx" \
  DPTRAIN_SKIP_INSTALL=1 DPTRAIN_SKIP_BUILD=1 RESULTS="$work/lone-fails" FAKE_FAIL=lone2.r1.2 \
  FAKE_OPENBLAS_CORE=Prescott CPUINFO="$work/cpuinfo" OPENBLAS_CORETYPE= \
  RANKS="1 2" REPEATS=1 EPOCHS=3 timeout 300 bash "$source_dir/scripts/bench-vs-pytorch.sh" \
  > "$work/lone-fails.log" 2>&1
expect_log "bench-vs-pytorch: a lone rank that fails is named and fails the script" nonzero $? \
  "$work/lone-fails.log" '^dptrain: error: lone2.r1.2 on 1 rank\(s\) failed: lone2.r1.2 broke' '!^(PASS|FAIL)  '
if grep -q 'generic Prescott kernels: OPENBLAS_CORETYPE=SkylakeX for every run' "$work/lone-fails.log" &&
   grep -q '"openblas":"SkylakeX"' "$work/lone-fails/quickstart.r1.json" &&
   grep -qx 'OPENBLAS_CORETYPE=SkylakeX' "$work/lone-fails/dptrain1.r1.log"; then
  pass "bench-vs-pytorch: OpenBLAS's generic kernels on an AVX-512 CPU: SkylakeX for PyTorch and dptrain"
else
  fail "bench-vs-pytorch: OpenBLAS kernels"; grep -h -i openblas "$work/lone-fails.log" "$work/lone-fails/"*1.r1.*
fi

# ================================ scripts/gpu-check.sh ========================================
# Each call on a fresh copy of the scripts (gpu-check.sh builds beside them) with the carried
# Fashion-MNIST in .deps/, as on a GPU host.
host_copy() {  # NAME: makes $work/NAME-root, the copy for gpu-check call NAME
  local root=$work/$1-root
  mkdir -p "$root/.deps"
  cp -r "$source_dir/scripts" "$root/"
  cp -r "$work/idx" "$root/.deps/fashion-mnist"
}

gpu_check() {  # NAME [VARIABLE=VALUE...]: runs gpu-check.sh into $work/NAME, output in $work/NAME.log
  local name=$1 root=$work/$1-root
  shift
  host_copy "$name"
  env PATH="$fakes:$PATH" PYTHON="$fakes/python" SCALING_RANKS="1 2" SAVE_EVERY_S=1 FAKE_GPU_SPEED=600000 "$@" \
    timeout 300 bash "$root/scripts/gpu-check.sh" "$work/$name" > "$work/$name.log" 2>&1
}

archived() {  # NAME FILE...: whether results.tgz of gpu-check call NAME is whole and holds FILEs
  local listing
  listing=$(tar -tzf "$work/$1/results.tgz" 2>/dev/null) || return 1
  shift
  for f in "$@"; do grep -qx "$f" <<<"$listing" || return 1; done
}

gpu_check all-good
expect_log "gpu-check: all steps pass, OpenBLAS's kernels left as they are" 0 $? "$work/all-good.log" \
  'all steps passed' '!OPENBLAS_CORETYPE=[A-Za-z]'
expect_log "gpu-check: the CPU series sets 2 lone ranks, own parameters and plain MPI beside 2 ranks, step by step, and bounds 2 ranks by their slowest" 0 0 \
  "$work/all-good.log" '^2 lone ranks at once, no exchange +36000 +2.00x +100%' \
  '^  dptrain 2 ranks: 2.03 ms, waiting 0.11 ms' \
  '^    slowest rank 1: works 2.13 ms \(median 2.08\), waits 0.05 ms; with a free exchange its pace allows 30000 samples/s \(83% efficiency\)$' '^  dptrain 2 ranks, plain MPI_Allreduce: 2.03 ms' \
  '^  dptrain 2 ranks, own parameters: 2.03 ms' '^dptrain, 2 ranks, own parameters +[0-9]+$' \
  '^PASS  node-shared and plain MPI averaging reach the same accuracy' \
  '^PASS  shared and own parameters reach the same accuracy' \
  '^  2 lone ranks at once: 2.03 ms \(median of the runs; 2.03 to 2.03\); dptrain 2 ranks reach 100 % of their samples/s' \
  '^PASS  2 lone ranks each train all 60000 samples per epoch: 2 runs' \
  "^PASS  2 lone ranks each reach dptrain 1 rank's accuracy"
if archived all-good bench/cuda.jsonl bench/cuda-graph.json cpu-scaling/dptrain2.r1.jsonl cpu-scaling/ddp2.r1.json; then
  pass "gpu-check: results.tgz holds both benchmarks"
else
  fail "gpu-check: results.tgz of all steps"; tar -tzvf "$work/all-good/results.tgz"
fi

gpu_check build-fails FAKE_GPU_BUILD_FAILS=1
expect_log "gpu-check: a failed GPU build still gives the CPU series" nonzero $? "$work/build-fails.log" \
  '== build: FAILED' '== gpu-bench: FAILED' 'the CPU series uses .*/build-cpu' '== cpu-scaling: ok'

gpu_check small-budget BUDGET_S=40
expect_log "gpu-check: a small BUDGET_S skips and names the steps that would not fit" nonzero $? \
  "$work/small-budget.log" '== configure: ok' '== build: SKIPPED' \
  'failed: build\(skipped\) gpu-tests\(skipped\) gpu-bench\(skipped\) cpu-scaling\(skipped\) cpu-tests\(skipped\)'

# Cut short while the last GPU run takes its time: results.tgz holds the runs before it.
host_copy cut
mkdir "$work/cut-tmp"
env PATH="$fakes:$PATH" PYTHON="$fakes/python" TMPDIR="$work/cut-tmp" SAVE_EVERY_S=1 FAKE_GPU_SPEED=600000 FAKE_SLOW=cuda-2-ranks-mpi \
  setsid bash "$work/cut-root/scripts/gpu-check.sh" "$work/cut" > "$work/cut.log" 2>&1 &
check_pid=$!
for _ in $(seq 120); do
  grep -q -- '--backend mpi' "$work/cut.log" && break
  sleep 0.5
done
sleep 3  # a save or two while the slow run goes on
kill -TERM -- "-$check_pid" 2>/dev/null
wait "$check_pid" 2>/dev/null
if archived cut bench/cpu.jsonl bench/cuda.jsonl bench/cuda-eager.jsonl; then
  pass "gpu-check: a call cut short mid-benchmark leaves a whole results.tgz with the finished runs"
else
  fail "gpu-check cut short: results.tgz"; tail -20 "$work/cut.log"; tar -tzvf "$work/cut/results.tgz"
fi
# (Open MPI's session folder of the mpirun that was killed, ompi.*, is Open MPI's to clean.)
if [ -z "$(ls -A "$work/cut-tmp" | grep dptrain)" ]; then
  pass "gpu-check: a call cut short removes its working folder (the data copy) from TMPDIR"
else
  fail "gpu-check cut short: left in TMPDIR: $(ls "$work/cut-tmp")"
fi

# Settings refused at once, before anything runs: a leading zero (bash reads 08 as octal, and a
# budget that failed so passed as "all steps passed"), no step at all, a CPU_SCALING other than
# 0 or 1, and a target that is not a number (found only after the whole benchmark).
for setting in BUDGET_S=08 "STEPS= " CPU_SCALING=no; do
  expect_error "gpu-check: $setting refused at once" "${setting%%=*}=" "" -- \
    env PATH="$fakes:$PATH" "$setting" timeout 20 bash "$source_dir/scripts/gpu-check.sh" "$work/settings"
done
expect_error "bench-vs-pytorch: a target that is not a number" "EXPECT_EFFICIENCY='abc' is not a number" "" -- \
  env EXPECT_EFFICIENCY=abc timeout 20 bash "$source_dir/scripts/bench-vs-pytorch.sh"
expect_error "bench-gpu: a target that is not a number" "EXPECT_ACCURACY_GAP='1%' is not a number" "" -- \
  env EXPECT_ACCURACY_GAP=1% timeout 20 bash "$source_dir/scripts/bench-gpu.sh"

# --help of every script: its usage, whole (no unexpanded $0), before anything is installed,
# configured or built (stand-ins for those tools record any call).
mkdir -p "$work/no-work"
for tool in cmake ninja ctest apt-get mpirun; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/no-work/calls"\n' "$tool" "$work" > "$work/no-work/$tool"
  chmod +x "$work/no-work/$tool"
done
for script in quickstart.sh test.sh bench-vs-pytorch.sh bench-gpu.sh gpu-check.sh gpu-carry.sh; do
  out=$(PATH="$work/no-work:$PATH" timeout 20 bash "$source_dir/scripts/$script" --help 2>&1); status=$?
  if [ "$status" -eq 0 ] && [ "$(wc -l <<<"$out")" -ge 2 ] && ! grep -q '\$0\|\$(' <<<"$out" &&
     [ ! -e "$work/no-work/calls" ]; then
    pass "$script --help: $(head -n 1 <<<"$out" | cut -c1-60)..."
  else
    fail "$script --help: status $status"; head -3 <<<"$out"; cat "$work/no-work/calls" 2>/dev/null
    rm -f "$work/no-work/calls"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
