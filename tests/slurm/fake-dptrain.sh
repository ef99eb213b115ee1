#!/bin/bash
# Stands in for a dptrain that checkpoints on SIGUSR1, to test the job scripts' signal wiring
# without depending on dptrain's own checkpointing: it records its arguments, reports that it
# is running, and on USR1 records where it was and exits with the "checkpointed" code 75.
# Files go to $FAKE_DPTRAIN_DIR, one per rank.
rank=${SLURM_PROCID:?}
# Like dptrain, USR1 and TERM both mean "checkpoint and stop" (srun sends TERM to the ranks
# that are left once one has exited); later signals are ignored while stopping.
stop() {
  trap '' USR1 TERM
  echo "$(hostname) $rank" > "$FAKE_DPTRAIN_DIR/$1.$rank"
  exit 75
}
trap 'stop usr1' USR1
trap 'stop term' TERM
printf '%s\n' "$@" > "$FAKE_DPTRAIN_DIR/args.$rank"
touch "$FAKE_DPTRAIN_DIR/running.$rank"
# `wait` returns as soon as a trapped signal arrives; a foreground sleep would delay the trap.
for _ in $(seq 600); do sleep 0.1 & wait $!; done
exit 1  # never signalled
