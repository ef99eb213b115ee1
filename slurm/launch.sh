# Job-side half of the job scripts: run directory, thread layout, and an `srun` that passes
# Slurm's end-of-time warning on to the ranks. Source it after env.sh, inside a job.
#
# Variables:
#   DPTRAIN_TRAIN_ARGS  extra `dptrain train` options, e.g. "--model small-cnn --epochs 3"
#   DPTRAIN_RUN_DIR     where this run writes (default: $DPTRAIN_RUNS/<job name>-<job id>);
#                       give a previous run's directory to resume it from its checkpoint
#   DPTRAIN_CPU_BIND    srun's --cpu-bind (default: cores)
#   DPTRAIN_DRY_RUN=1   print the srun command instead of running it

# Exit code with which dptrain says "checkpoint written, resubmit me".
DPTRAIN_EXIT_CHECKPOINTED=75

dptrain_fail() {
  echo "dptrain job: error: $*" >&2
  exit 1
}

# Checks what a job needs, creates the run directory and sets the thread layout.
dptrain_job_start() {
  [ -n "${SLURM_JOB_ID:-}" ] || dptrain_fail "not inside a Slurm job (submit with sbatch)"
  [ -n "${SCRATCH:-}" ] || dptrain_fail "SCRATCH is not set: jobs write their outputs there"
  [ -x "$(dptrain_bin)" ] || dptrain_fail "$(dptrain_bin) missing or not executable: run dptrain_build on the login node"
  [ -f "$DPTRAIN_DATA" ] || dptrain_fail "$DPTRAIN_DATA missing: run dptrain_convert on the login node"
  dptrain_load_modules
  export DPTRAIN_RUN_DIR=${DPTRAIN_RUN_DIR:-$DPTRAIN_RUNS/${SLURM_JOB_NAME}-${SLURM_JOB_ID}}
  mkdir -p "$DPTRAIN_RUN_DIR"
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

# Checkpoint options: --checkpoint-dir always, --resume when a checkpoint is there (a job
# resubmitted after a time limit or a preemption continues where it stopped).
dptrain_checkpoint_args() {
  local dir=$DPTRAIN_RUN_DIR/checkpoints
  printf '%s\n' --checkpoint-dir "$dir"
  if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then printf '%s\n' --resume; fi
}

# `srun --mpi=pmix dptrain train ...` in the background, so that the batch shell can take
# `--signal=B:USR1@120` (sent to this shell only) and pass it on: srun forwards USR1 to every
# rank, where dptrain writes a checkpoint and exits with DPTRAIN_EXIT_CHECKPOINTED.
dptrain_srun_train() {
  local checkpoint=() launcher=(srun)
  mapfile -t checkpoint < <(dptrain_checkpoint_args)
  if [ "${DPTRAIN_DRY_RUN:-0}" = 1 ]; then launcher=(echo srun); fi
  # shellcheck disable=SC2086  # DPTRAIN_TRAIN_ARGS is a list of options on purpose
  "${launcher[@]}" --mpi=pmix --cpu-bind="${DPTRAIN_CPU_BIND:-cores}" --kill-on-bad-exit=1 \
    "$(dptrain_bin)" train --threads "$OMP_NUM_THREADS" \
    --metrics "$DPTRAIN_RUN_DIR/metrics.jsonl" --out-dir "$DPTRAIN_RUN_DIR" \
    "${checkpoint[@]}" "$@" ${DPTRAIN_TRAIN_ARGS:-} &
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

dptrain_job_end() {
  local rc=$1
  if [ "$rc" -eq "$DPTRAIN_EXIT_CHECKPOINTED" ]; then
    echo "dptrain job: checkpointed; resume with" \
      "DPTRAIN_RUN_DIR=$DPTRAIN_RUN_DIR sbatch <the same script and options>" >&2
  elif [ "$rc" -eq 0 ]; then
    echo "dptrain job: done; metrics in $DPTRAIN_RUN_DIR/metrics.jsonl"
  fi
  return "$rc"
}
