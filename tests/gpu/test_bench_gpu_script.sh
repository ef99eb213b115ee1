#!/usr/bin/env bash
# scripts/bench-gpu.sh and scripts/bench/compare_gpu.py, on a machine without a GPU: a fake
# dptrain and a fake Python stand in for the GPU runs, so that what the scripts do with the
# runs' results is checked wherever the tests run, not first on a GPU host lent by the minute.
# Checks: all runs good -> every check passes, exit 0; a run that fails -> it is named, the
# runs after it still run, the comparison says which results are missing, exit 1; a GPU rate
# under its target -> that check fails, exit 1. Never a Python traceback.
# Usage: test_bench_gpu_script.sh SOURCE_DIR
set -u
source_dir=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$source_dir/tests/cli/expect.sh"

mkdir -p "$work/bin" "$work/idx"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  echo fake | gzip > "$work/idx/$f.gz"
done
touch "$work/data.h5"

# A dptrain whose `train` writes a metrics file of 3 epochs at FAKE_GPU_SPEED (on --device
# cuda) or 30000 samples/s, with the quickstart's accuracy curve; the runs named in FAKE_FAIL
# fail as dptrain does.
cat > "$work/bin/dptrain" <<'EOF'
#!/usr/bin/env bash
metrics= device=cpu
while [ $# -gt 0 ]; do
  case $1 in --metrics) metrics=$2; shift ;; --device) device=$2; shift ;; esac
  shift
done
name=$(basename "$metrics" .jsonl)
if [[ " ${FAKE_FAIL:-} " == *" $name "* ]]; then echo "dptrain: error: $name broke"; exit 1; fi
[ "${OMPI_COMM_WORLD_RANK:-0}" = 0 ] || exit 0
speed=30000
[ "$device" = cuda ] && speed=$FAKE_GPU_SPEED
epoch=0
for accuracy in 0.495 0.592 0.613; do
  epoch=$((epoch + 1))
  echo "{\"epoch\":$epoch,\"samples\":60000,\"samples_per_second\":$speed,\"test_accuracy\":$accuracy}" >> "$metrics"
  echo "epoch $epoch: test accuracy $accuracy, $speed samples/s"
done
echo '{"summary":true}' >> "$metrics"
EOF
# A Python that runs compare_gpu.py for real and plays the PyTorch references (those named in
# FAKE_FAIL fail as a Python script does).
cat > "$work/bin/python" <<'EOF'
#!/usr/bin/env bash
case $(basename "$1") in
  compare_gpu.py) exec /usr/bin/python3 "$@" ;;
  pytorch_quickstart.py) name=quickstart-gpu ;;
  pytorch_ddp.py) name=ddp-nccl ;;
  pytorch_cuda_graph.py) name=cuda-graph ;;
esac
if [[ " ${FAKE_FAIL:-} " == *" $name "* ]]; then echo "RuntimeError: $name broke" >&2; exit 1; fi
echo "{\"reference\":\"$name\",\"samples_per_second\":10000,\"test_accuracy\":[0.495,0.592]}"
EOF
chmod +x "$work/bin/"*

bench_gpu() {  # RESULTS FAKE_FAIL FAKE_GPU_SPEED: runs the script, its output in RESULTS.log
  env BUILD_DIR="$work/bin" PYTHON="$work/bin/python" DATA_FILE="$work/data.h5" \
    FASHION_MNIST_IDX="$work/idx" RESULTS="$1" FAKE_FAIL="$2" FAKE_GPU_SPEED="$3" EPOCHS=3 \
    timeout 300 bash "$source_dir/scripts/bench-gpu.sh" > "$1.log" 2>&1
}

no_traceback() {  # NAME LOG
  if grep -q Traceback "$2"; then fail "$1: Python traceback"; tail -20 "$2"; else pass "$1: no traceback"; fi
}

# --- every run good ---------------------------------------------------------------------------
bench_gpu "$work/good" "" 600000; status=$?
if [ "$status" -eq 0 ] && ! grep -q '^FAIL' "$work/good.log" &&
   grep -q '^PASS  dptrain 1 rank on the GPU: 600000 samples/s' "$work/good.log" &&
   grep -q '^PASS  GPU accuracy curve follows the CPU curve' "$work/good.log"; then
  pass "all runs good: every check passes, exit 0"
else
  fail "all runs good: exit $status"; tail -30 "$work/good.log"
fi
no_traceback "all runs good" "$work/good.log"

# --- a reference and a dptrain run fail; the others still run ---------------------------------
bench_gpu "$work/broken" "cuda-graph cuda-eager" 600000; status=$?
log=$work/broken.log
if [ "$status" -ne 0 ] && grep -q 'cuda-graph FAILED' "$log" && grep -q 'cuda-eager FAILED' "$log" &&
   grep -q 'failed runs: cuda-graph cuda-eager' "$log"; then
  pass "failed runs are named, exit $status"
else
  fail "failed runs: exit $status"; tail -30 "$log"
fi
if [ -s "$work/broken/cpu.jsonl" ] && [ -s "$work/broken/cuda-2-ranks-mpi.jsonl" ]; then
  pass "the runs after a failed one still ran"
else
  fail "the runs after a failed one did not run"; ls "$work/broken"
fi
if grep -qE '^PyTorch, whole step as a CUDA graph +no result' "$log" &&
   grep -q '^FAIL  dptrain cuda-eager trains all 60000 samples per epoch: no result from cuda-eager' "$log" &&
   grep -q '^PASS  dptrain 1 rank on the GPU' "$log"; then
  pass "the comparison marks the missing results and still checks the others"
else
  fail "the comparison of a run with missing results"; tail -30 "$log"
fi
no_traceback "failed runs" "$log"

# --- the GPU rate misses its target ------------------------------------------------------------
bench_gpu "$work/slow" "" 400000; status=$?
if [ "$status" -ne 0 ] && grep -q '^FAIL  dptrain 1 rank on the GPU: 400000 samples/s (expected >= 500000)' "$work/slow.log"; then
  pass "a GPU rate under the target fails, exit $status"
else
  fail "a GPU rate under the target: exit $status"; tail -30 "$work/slow.log"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
