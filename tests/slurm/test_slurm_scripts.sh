#!/usr/bin/env bash
# Submits the project's slurm/ scripts to a real Slurm cluster of two simulated nodes
# (cluster.sh) and checks what they produce:
#   1. multi-node.sbatch on 2 nodes: one rank per node, talking over TCP, metrics of 2 ranks;
#   2. cpu-node.sbatch on one node with 2 ranks;
#   3. the end-of-time signal: USR1 to the batch shell reaches every rank, exit code 75;
#   4. gpu.sbatch's srun line (printed, as there are no GPUs here); the job script's own
#      options and DPTRAIN_TRAIN_ARGS in it; a second job on a busy run directory, refused;
#   5. one login shell that builds both binaries and submits both kinds of job: each job runs
#      its own build; without $SCRATCH, dptrain_convert says so;
#   6. a miniature scaling study on 1 and 2 nodes: CSV, tables, plots and model.
# Usage: test_slurm_scripts.sh DPTRAIN_BINARY PROJECT_DIR. Needs root and the packages in
# scripts/common.sh's SLURM_TEST_PACKAGES. Everything is torn down on exit, also on failure.
set -euo pipefail

DPTRAIN=$(realpath "$1")
PROJECT=$(realpath "$2")
HERE=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
source "$HERE/cluster.sh"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

check_prerequisites() {
  [ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, daemons)"
  local tool
  for tool in slurmctld slurmd sbatch munged mungekey nsenter unshare ip; do
    command -v "$tool" >/dev/null || fail "$tool missing: scripts/test.sh installs SLURM_TEST_PACKAGES"
  done
  /usr/bin/python3 -c 'import matplotlib' || fail "python3-matplotlib missing"
}

WORK=$(mktemp -d /tmp/dptrain-slurm-test.XXXXXX)
chmod 711 "$WORK"  # the munge user passes through to the cluster's munge directory
finish() {
  local rc=$?
  cluster_down
  if [ $rc -ne 0 ]; then
    echo "--- logs of the failed run ---" >&2
    tail -n 20 "$WORK"/cluster/log/*.log "$WORK"/scratch/*.out 2>/dev/null >&2 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

# What a user sets on the login node; sbatch passes the environment on to the jobs.
export SCRATCH=$WORK/scratch DPTRAIN_ROOT=$PROJECT DPTRAIN_BIN=$DPTRAIN
export DPTRAIN_IDX=$WORK/idx OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI logs its TCP connections, which shows that the ranks talk across the nodes.
export OMPI_MCA_btl_base_verbose=30

# The login-node step on a tenth of Fashion-MNIST: real data, short epochs.
prepare_data() {
  /usr/bin/python3 "$HERE/make_subset.py" /usr/share/datasets/fashion-mnist "$DPTRAIN_IDX" 6000 1000
  (source "$PROJECT/slurm/env.sh" && dptrain_convert)
  [ -f "$SCRATCH/dptrain/data/fashion-mnist.h5" ] || fail "dptrain_convert wrote no dataset"
}

# sbatch from $SCRATCH (logs land there, as on Trillium); prints the job id.
submit() {
  (cd "$SCRATCH" && on_head sbatch --parsable "$@") | cut -d';' -f1
}

wait_job() {
  local deadline=$((SECONDS + 120))
  while on_head squeue -h -j "$1" 2>/dev/null | grep -q .; do
    [ $SECONDS -lt $deadline ] || fail "job $1 still running after 120 s"
    sleep 0.2
  done
}

job_field() {
  on_head scontrol show job -o "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

summary_field() {
  /usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])' "$1" "$2"
}

test_multi_node() {
  local job
  job=$(DPTRAIN_TRAIN_ARGS="--epochs 1" submit --nodes=2 --ntasks-per-node=1 --cpus-per-task=2 \
    "$PROJECT/slurm/multi-node.sbatch")
  wait_job "$job"
  local log=$SCRATCH/dptrain-multi-$job.out run=$SCRATCH/dptrain/runs/dptrain-multi-$job
  [ "$(job_field "$job" ExitCode)" = 0:0 ] || { cat "$log"; fail "multi-node job $job: exit code $(job_field "$job" ExitCode)"; }
  [ "$(job_field "$job" NodeList)" = "node[1-2]" ] || fail "multi-node job not on both nodes"
  [ "$(summary_field "$run/metrics.jsonl" ranks)" = 2 ] || fail "multi-node run did not have 2 ranks"
  [ "$(summary_field "$run/metrics.jsonl" threads)" = 2 ] || fail "threads not taken from --cpus-per-task"
  grep -q "btl:tcp: now connected to $CLUSTER_SUBNET\." "$log" ||
    { cat "$log"; fail "no TCP connection between the nodes in the log"; }
  [ -f "$run/model.pt" ] || fail "multi-node run wrote no model"
  echo "ok: multi-node.sbatch, 2 nodes, job $job"
}

test_cpu_node() {
  local job
  job=$(DPTRAIN_TRAIN_ARGS="--epochs 2 --lr 0.05" submit --ntasks-per-node=2 \
    --cpus-per-task=1 "$PROJECT/slurm/cpu-node.sbatch")
  wait_job "$job"
  local run=$SCRATCH/dptrain/runs/dptrain-node-$job
  [ "$(job_field "$job" ExitCode)" = 0:0 ] || { cat "$SCRATCH/dptrain-node-$job.out"; fail "cpu-node job $job failed"; }
  [ "$(job_field "$job" NumNodes)" = 1 ] || fail "cpu-node job on more than one node"
  # No warning: in particular, not one that the ranks are stacked on the same CPUs (this
  # cluster cannot bind tasks, where a job that set OMP_PROC_BIND put both ranks on core 0).
  ! grep "dptrain: warning" "$SCRATCH/dptrain-node-$job.out" || fail "cpu-node job $job warned"
  [ "$(summary_field "$run/metrics.jsonl" ranks)" = 2 ] || fail "cpu-node run did not have 2 ranks"
  [ "$(summary_field "$run/metrics.jsonl" threads)" = 1 ] || fail "threads not taken from --cpus-per-task"
  /usr/bin/python3 - "$run/metrics.jsonl" <<'PY' || fail "cpu-node run: DPTRAIN_TRAIN_ARGS ignored or nothing learnt"
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
epochs, summary = lines[:-1], lines[-1]
sys.exit(not (summary["epochs"] == 2 and epochs[0]["learning_rate"] == 0.05
              and summary["final_test_accuracy"] > 0.5))
PY
  echo "ok: cpu-node.sbatch, 2 ranks on one node, job $job"
}

# scancel --batch signals the batch shell only, as --signal=B:USR1@120 does at the end of time.
# The job script's own arguments reach dptrain word for word (a path with a space), and the
# resume hint repeats them and DPTRAIN_TRAIN_ARGS, quoted so that it can be pasted.
test_signal_forwarding() {
  local fake=$WORK/fake run="$SCRATCH/dptrain/runs/resumed run" job
  mkdir -p "$fake" "$run/checkpoints"
  touch "$run/checkpoints/step-1.pt"  # a previous job's checkpoint: expect --resume
  job=$(DPTRAIN_BIN=$HERE/fake-dptrain.sh FAKE_DPTRAIN_DIR=$fake DPTRAIN_RUN_DIR=$run \
    DPTRAIN_TRAIN_ARGS="--epochs 20" submit --nodes=2 --ntasks-per-node=1 --cpus-per-task=1 \
    "$PROJECT/slurm/multi-node.sbatch" --config "$WORK/my run.toml")
  local deadline=$((SECONDS + 60))
  until [ -f "$fake/running.0" ] && [ -f "$fake/running.1" ]; do
    [ $SECONDS -lt $deadline ] || fail "fake ranks did not start"
    sleep 0.2
  done
  on_head scancel --signal=USR1 --batch "$job"
  wait_job "$job"
  [ "$(job_field "$job" ExitCode)" = 75:0 ] || fail "signalled job: exit code $(job_field "$job" ExitCode), expected 75:0"
  [ "$(cat "$fake/usr1.0" "$fake/usr1.1" | sort | tr '\n' ' ')" = "node1 0 node2 1 " ] ||
    fail "USR1 did not reach the rank on each node"
  grep -qx -- "--checkpoint-dir" "$fake/args.0" && grep -qx -- "--resume" "$fake/args.0" ||
    fail "checkpoint options not passed: $(tr '\n' ' ' < "$fake/args.0")"
  grep -qx -- "$WORK/my run.toml" "$fake/args.0" || fail "the job script's argument was split: $(tr '\n' ' ' < "$fake/args.0")"
  local hint="resume with: DPTRAIN_RUN_DIR=$(printf %q "$run") DPTRAIN_TRAIN_ARGS=--epochs\\ 20 sbatch <the same sbatch options> <this job script> --config $(printf %q "$WORK/my run.toml")"
  grep -qF -- "$hint" "$SCRATCH/dptrain-multi-$job.out" ||
    fail "resume hint: $(grep 'resume with' "$SCRATCH/dptrain-multi-$job.out"), expected: $hint"
  echo "ok: USR1 forwarded to both ranks, exit 75, --checkpoint-dir/--resume passed, job $job; $hint"
}

test_gpu_script() {
  grep -q '^#SBATCH --gres' "$PROJECT"/slurm/*.sbatch && fail "a job script asks for --gres"
  grep -q '^#SBATCH --gpus-per-node=4' "$PROJECT/slurm/gpu.sbatch" || fail "gpu.sbatch: no --gpus-per-node"
  local line
  line=$(cd "$SCRATCH" && SLURM_JOB_ID=1 SLURM_JOB_NAME=gpu SLURM_CPUS_PER_TASK=24 \
    SLURM_SUBMIT_DIR=$SCRATCH DPTRAIN_DRY_RUN=1 DPTRAIN_BIN=$HERE/fake-dptrain.sh \
    bash "$PROJECT/slurm/gpu.sbatch" | grep '^srun')
  for expected in "--mpi=pmix" "--threads 24" "--device cuda --backend nccl" "--checkpoint-dir"; do
    [[ "$line" == *"$expected"* ]] || fail "gpu.sbatch: '$expected' missing in: $line"
  done
  echo "ok: gpu.sbatch launches: $line"
}

# The login-node steps of the README in one shell: source env.sh, build the CPU and the GPU
# binaries, submit both kinds of job (which inherit the shell's variables). Each job must run
# its own build. A copy of slurm/ in a directory of its own stands in for the checkout, with
# fake builds in it; cmake is stubbed out.
test_one_login_shell_for_both_builds() {
  local root=$WORK/login kind
  mkdir -p "$root/build" "$root/build-gpu"
  cp -r "$PROJECT/slurm" "$root/"
  for kind in build build-gpu; do ln -s "$HERE/fake-dptrain.sh" "$root/$kind/dptrain"; done
  local out
  out=$(cd "$SCRATCH" && env -u DPTRAIN_BIN DPTRAIN_ROOT="$root" bash -c '
    set -e
    source "$DPTRAIN_ROOT/slurm/env.sh"
    cmake() { echo "cmake $*"; }
    dptrain_build | grep -m1 -- " -B "
    DPTRAIN_GPU=1 dptrain_build | grep -m1 -- " -B "
    export SLURM_JOB_ID=1 SLURM_JOB_NAME=login SLURM_CPUS_PER_TASK=2 SLURM_SUBMIT_DIR=$SCRATCH DPTRAIN_DRY_RUN=1
    bash "$DPTRAIN_ROOT/slurm/cpu-node.sbatch" | grep "^srun"
    bash "$DPTRAIN_ROOT/slurm/gpu.sbatch" | grep "^srun"') || fail "login-shell steps failed: $out"
  local lines=()
  mapfile -t lines <<< "$out"
  [[ "${lines[0]}" == *"-B $root/build "* ]] || fail "dptrain_build: ${lines[0]}"
  [[ "${lines[1]}" == *"-B $root/build-gpu "* ]] || fail "DPTRAIN_GPU=1 dptrain_build: ${lines[1]}"
  [[ "${lines[2]}" == *" $root/build/dptrain train "* ]] || fail "cpu-node.sbatch runs: ${lines[2]}"
  [[ "${lines[3]}" == *" $root/build-gpu/dptrain train "* ]] || fail "gpu.sbatch runs: ${lines[3]}"
  echo "ok: one login shell builds and submits both: the GPU job runs build-gpu/dptrain"
}

# DPTRAIN_TRAIN_ARGS is split at spaces and never expanded as file names; options after the
# script's name keep their words (dry runs print the command quoted).
test_job_options() {
  local line
  line=$(cd "$SCRATCH" && SLURM_JOB_ID=2 SLURM_JOB_NAME=opts SLURM_CPUS_PER_TASK=1 \
    SLURM_SUBMIT_DIR=$SCRATCH DPTRAIN_DRY_RUN=1 DPTRAIN_BIN=$HERE/fake-dptrain.sh \
    DPTRAIN_TRAIN_ARGS="--epochs 3 *" bash "$PROJECT/slurm/cpu-node.sbatch" --config "/x/my cfg.toml" | grep '^srun')
  [[ "$line" == *" --epochs 3 \* --config /x/my\ cfg.toml" ]] || fail "job options: $line"
  echo "ok: job options: ${line##*train }"
}

# A second job on a run directory that a running job holds is refused, naming that job.
test_run_dir_in_use() {
  local run=$SCRATCH/dptrain/runs/busy out
  mkdir -p "$run"
  echo 4242 > "$run/.job.lock"
  flock "$run/.job.lock" sleep 60 &
  local holder=$!
  sleep 0.5
  out=$(cd "$SCRATCH" && SLURM_JOB_ID=3 SLURM_JOB_NAME=busy SLURM_SUBMIT_DIR=$SCRATCH \
    DPTRAIN_DRY_RUN=1 DPTRAIN_BIN=$HERE/fake-dptrain.sh DPTRAIN_RUN_DIR=$run \
    bash "$PROJECT/slurm/cpu-node.sbatch" 2>&1) && { kill "$holder"; fail "a second job ran on a busy run directory: $out"; }
  kill "$holder"; wait "$holder" 2>/dev/null || true
  [[ "$out" == *"dptrain job: error: $run is in use by job 4242: wait for it to end (squeue)"* ]] ||
    fail "busy run directory: $out"
  echo "ok: a run directory in use: ${out##*error: }"
}

# Without $SCRATCH (not on a cluster), the login-node helper says so instead of converting into
# /dptrain.
test_convert_without_scratch() {
  local out
  out=$(env -u SCRATCH -u DPTRAIN_IDX -u DPTRAIN_DATA bash -c \
    'source "$1/slurm/env.sh" && dptrain_convert' _ "$PROJECT" 2>&1) &&
    fail "dptrain_convert without SCRATCH succeeded: $out"
  [ "$out" = "dptrain: error: SCRATCH is not set: set it (or DPTRAIN_IDX and DPTRAIN_DATA)" ] ||
    fail "dptrain_convert without SCRATCH: $out"
  echo "ok: dptrain_convert without SCRATCH: $out"
}

test_scaling_study() {
  local study=$SCRATCH/study
  on_head "$PROJECT/scripts/scaling-study.sh" run --study "$study" --nodes 1,2 \
    --layouts 1x1,2x1 --cores-per-node 2 --global-batch 128 --batch-per-rank 64 \
    --model quickstart-mlp --epochs 2 --sbatch-args=--time=00:05:00 --one-at-a-time
  /usr/bin/python3 "$HERE/check_study.py" "$study"
  echo "ok: scaling study on 1 and 2 nodes"
}

check_prerequisites
prepare_data
cluster_up "$WORK/cluster"
test_multi_node
test_cpu_node
test_signal_forwarding
test_gpu_script
test_job_options
test_run_dir_in_use
test_one_login_shell_for_both_builds
test_convert_without_scratch
test_scaling_study
echo "all Slurm checks passed"
