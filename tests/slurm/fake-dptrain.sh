#!/bin/bash
# Stands in for a dptrain that checkpoints on SIGUSR1, to test the job scripts' signal wiring
# without depending on dptrain's own checkpointing: it advertises --checkpoint-dir, records
# its arguments, reports that it is running, and on USR1 records where it was and exits with
# the "checkpointed" code 75. Files go to $FAKE_DPTRAIN_DIR, one per rank.
if [ "$1" = train ] && [ "${2:-}" = --help ]; then
  echo "  --checkpoint-dir DIR   (fake)"
  exit 0
fi
rank=${SLURM_PROCID:?}
trap 'echo "$(hostname) $rank" > "$FAKE_DPTRAIN_DIR/usr1.$rank"; exit 75' USR1
printf '%s\n' "$@" > "$FAKE_DPTRAIN_DIR/args.$rank"
touch "$FAKE_DPTRAIN_DIR/running.$rank"
for _ in $(seq 600); do sleep 0.1; done
exit 1  # never signalled
