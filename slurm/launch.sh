# Job-side half of the job scripts: run directory, thread layout, and an `srun` that passes
# Slurm's end-of-time warning on to the ranks. Source it after env.sh, inside a job.
#
# `dptrain train` options: after the script's name (`sbatch cpu-node.sbatch --epochs 3
# --config "my run.toml"`, quoted as on any command line), or in
#   DPTRAIN_TRAIN_ARGS  e.g. "--model small-cnn --epochs 3" (split at spaces, no quoting)
# Variables:
#   DPTRAIN_RUN_DIR     where this run writes (default: $DPTRAIN_RUNS/<job name>-<job id>);
#                       give a previous run's directory to resume it from its checkpoint
#   DPTRAIN_CPU_BIND    srun's --cpu-bind (default: cores)
#   DPTRAIN_DRY_RUN=1   print the srun command instead of running it

# Exit code with which dptrain says "checkpoint written, resubmit me".
DPTRAIN_EXIT_CHECKPOINTED=75
DPTRAIN_USER_OPTIONS=()

dptrain_fail() {
  echo "dptrain job: error: $*" >&2
  exit 1
}

# Checks what a job needs, creates the run directory and sets the thread layout.
dptrain_job_start() {
  [ -n "${SLURM_JOB_ID:-}" ] || dptrain_fail "not inside a Slurm job (submit with sbatch)"
  [ -n "${DPTRAIN_DATA:-}" ] && [ -n "${DPTRAIN_RUN_DIR:-}${DPTRAIN_RUNS:-}" ] ||
    dptrain_fail "SCRATCH is not set: jobs write their outputs there (or set DPTRAIN_DATA and DPTRAIN_RUNS)"
  local build="dptrain_build"
  [ "${DPTRAIN_GPU:-0}" != 1 ] || build="DPTRAIN_GPU=1 dptrain_build"
  [ -x "$(dptrain_bin)" ] || dptrain_fail "$(dptrain_bin) missing or not executable: run $build on the login node"
  [ -f "$DPTRAIN_DATA" ] || dptrain_fail "$DPTRAIN_DATA missing: run dptrain_convert on the login node"
  [ -r "$DPTRAIN_DATA" ] || dptrain_fail "$DPTRAIN_DATA: not readable by $(id -un) (permission denied)"
  dptrain_load_modules
  export DPTRAIN_RUN_DIR=${DPTRAIN_RUN_DIR:-$DPTRAIN_RUNS/${SLURM_JOB_NAME}-${SLURM_JOB_ID}}
  mkdir -p "$DPTRAIN_RUN_DIR"
  dptrain_claim_run_dir
  local threads=${SLURM_CPUS_PER_TASK:-1}
  # Since Slurm 22.05 srun no longer inherits --cpus-per-task from sbatch; without this each
  # rank would be bound to one core whatever the layout.
  export SRUN_CPUS_PER_TASK=$threads
  export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
  # srun --cpu-bind=cores keeps each rank's threads on cores of its own. OMP_PROC_BIND is left
  # unset: it binds each rank's threads from the first core the rank may use, so wherever srun
  # cannot bind (--cpu-bind=none, a cluster without task/affinity) every rank of a node would
  # run on core 0 (dptrain warns when it finds ranks bound like that).
  # Lustre ($SCRATCH) and NFS may not support HDF5's file locks; the file is only read.
  export HDF5_USE_FILE_LOCKING=FALSE
  echo "dptrain job $SLURM_JOB_ID: ${SLURM_JOB_NUM_NODES:-1} node(s) x" \
    "${SLURM_NTASKS_PER_NODE:-?} rank(s) x $threads thread(s), writing to $DPTRAIN_RUN_DIR"
}

# One job per run directory: a second (a resubmission while the first still runs) would write
# the same metrics and checkpoints at the same time. The lock lives as long as the batch
# shell; where the filesystem has no locks, the jobs run unguarded.
dptrain_claim_run_dir() {
  command -v flock >/dev/null || return 0
  local lock=$DPTRAIN_RUN_DIR/.job.lock rc=0
  exec {DPTRAIN_LOCK_FD}<>"$lock"
  flock -n -E 200 "$DPTRAIN_LOCK_FD" 2>/dev/null || rc=$?
  if [ "$rc" -eq 200 ]; then
    dptrain_fail "$DPTRAIN_RUN_DIR is in use by job $(cat "$lock" 2>/dev/null || echo '?'):" \
      "wait for it to end (squeue), or give another DPTRAIN_RUN_DIR"
  fi
  [ "$rc" -ne 0 ] || echo "$SLURM_JOB_ID" > "$lock"
}

# Checkpoint options: --checkpoint-dir always, --resume when a checkpoint is there (a job
# resubmitted after a time limit or a preemption continues where it stopped).
dptrain_checkpoint_args() {
  local dir=$DPTRAIN_RUN_DIR/checkpoints
  printf '%s\n' --checkpoint-dir "$dir"
  if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then printf '%s\n' --resume; fi
}

# Words on one line, each quoted where the shell would need it: a dry run's command line, and
# the options the resume hint repeats.
dptrain_print_command() {
  printf '%q ' "$@" | sed 's/ $//'
  echo
}

# `srun --mpi=pmix dptrain train ...` in the background, so that the batch shell can take
# `--signal=B:USR1@120` (sent to this shell only) and pass it on: srun forwards USR1 to every
# rank, where dptrain writes a checkpoint and exits with DPTRAIN_EXIT_CHECKPOINTED.
# Usage: dptrain_srun_train JOB_SCRIPT_OPTIONS... -- USER_OPTIONS... (the user's: the job
# script's own arguments, which the resume hint repeats).
dptrain_srun_train() {
  local script_options=() checkpoint=() launcher=(srun) extra=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do script_options+=("$1"); shift; done
  [ $# -eq 0 ] || shift
  DPTRAIN_USER_OPTIONS=("$@")
  mapfile -t checkpoint < <(dptrain_checkpoint_args)
  # Split at spaces, never expanded as file names ("*" stays "*").
  read -r -a extra <<< "${DPTRAIN_TRAIN_ARGS:-}"
  if [ "${DPTRAIN_DRY_RUN:-0}" = 1 ]; then launcher=(dptrain_print_command srun); fi
  "${launcher[@]}" --mpi=pmix --cpu-bind="${DPTRAIN_CPU_BIND:-cores}" --kill-on-bad-exit=1 \
    "$(dptrain_bin)" train --threads "$OMP_NUM_THREADS" \
    --metrics "$DPTRAIN_RUN_DIR/metrics.jsonl" --out-dir "$DPTRAIN_RUN_DIR" \
    "${checkpoint[@]}" "${script_options[@]}" "${extra[@]}" "$@" &
  local pid=$!
  trap "echo 'dptrain job: time is nearly up, asking the ranks to checkpoint' >&2; kill -USR1 $pid" USR1
  trap "kill -TERM $pid" TERM
  local rc=0
  # A trapped signal interrupts `wait` (status > 128) while srun runs on: wait again.
  while true; do
    rc=0
    wait "$pid" || rc=$?
    kill -0 "$pid" 2>/dev/null || break
  done
  trap - USR1 TERM
  dptrain_job_end "$rc"
}

# What resubmits this job: its run directory and its `dptrain train` options, quoted so that
# the line can be pasted (an --epochs left out would end the resumed run at the default).
dptrain_resume_command() {
  local line
  line="DPTRAIN_RUN_DIR=$(printf '%q' "$DPTRAIN_RUN_DIR")"
  [ -z "${DPTRAIN_TRAIN_ARGS:-}" ] || line+=" DPTRAIN_TRAIN_ARGS=$(printf '%q' "$DPTRAIN_TRAIN_ARGS")"
  line+=" sbatch <the same sbatch options> <this job script>"
  [ ${#DPTRAIN_USER_OPTIONS[@]} -eq 0 ] || line+=" $(dptrain_print_command "${DPTRAIN_USER_OPTIONS[@]}")"
  echo "$line"
}

dptrain_job_end() {
  local rc=$1
  if [ "$rc" -eq "$DPTRAIN_EXIT_CHECKPOINTED" ]; then
    echo "dptrain job: checkpointed; resume with: $(dptrain_resume_command)" >&2
  elif [ "$rc" -eq 0 ] && [ "${DPTRAIN_DRY_RUN:-0}" != 1 ]; then
    echo "dptrain job: done; metrics in $DPTRAIN_RUN_DIR/metrics.jsonl"
  fi
  return "$rc"
}
