#!/usr/bin/env bash
# Fault injection: what dptrain does when the cluster misbehaves. Each case prints one line
# "ok: ..." or "FAIL: ..."; the last line counts them.
# Usage: test_faults.sh DPTRAIN MAKE_FIXTURES MPIEXEC
set -u
dptrain=$1 make_fixtures=$2 mpiexec=$3
work=$(mktemp -d)
cleanup() { pkill -9 -f "$work" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$make_fixtures" "$work" >/dev/null || { echo "cannot write fixtures"; exit 1; }
"$dptrain" convert --input "$work/medium" --output "$work/data.h5" >/dev/null || exit 1
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
train() { "$dptrain" train --data "$work/data.h5" --batch-size 16 --lr 0.05 --threads 1 "$@"; }

# The dptrain processes of this test (their command lines name the work directory).
ranks_alive() { pgrep -f "dptrain train --data $work" | wc -l; }

# kill -9 of one rank: every rank gone and a non-zero exit within 30 s.
kill_one_rank() {
  local start status pids
  "$mpiexec" -n 3 "$dptrain" train --data "$work/data.h5" --batch-size 16 --threads 1 \
    --epochs 100000 --collective-timeout 20 > "$work/kill.log" 2>&1 &
  local launcher=$!
  for _ in $(seq 100); do [ "$(ranks_alive)" -eq 3 ] && grep -q '^epoch 1:' "$work/kill.log" && break; sleep 0.2; done
  pids=($(pgrep -f "dptrain train --data $work"))
  start=$(date +%s%N)
  kill -9 "${pids[1]}"
  for _ in $(seq 300); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
  wait "$launcher"; status=$?
  local took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ "$status" -ne 0 ] && [ "$(ranks_alive)" -eq 0 ] && [ "$took_ms" -lt 30000 ]; then
    ok "kill -9 of one rank: job ended with status $status after ${took_ms} ms, no rank left"
  else
    fail "kill -9 of one rank: status $status after $took_ms ms, $(ranks_alive) ranks alive"; tail -5 "$work/kill.log"
  fi
}

# A rank that stops responding before a collective: the watchdog names it and aborts the job.
# With DPTRAIN_SHARED_MEMORY=0 the ranks share no progress: the watchdog still aborts, and says
# that it cannot name the rank.
stuck_rank() {  # NAME NOT_ARRIVED SHARED_MEMORY
  local name=$1 not_arrived=$2 start status
  start=$(date +%s)
  DPTRAIN_TEST_HANG_AT=1:40 DPTRAIN_SHARED_MEMORY=$3 timeout 60 "$mpiexec" -n 3 \
    -x DPTRAIN_TEST_HANG_AT -x DPTRAIN_SHARED_MEMORY "$dptrain" train \
    --data "$work/data.h5" --batch-size 16 --threads 1 --epochs 50 --collective-timeout 4 \
    > "$work/stuck.log" 2>&1
  status=$?
  local took=$(( $(date +%s) - start ))
  # (Each rank's report is one write: the launcher must not splice two reports into one line.)
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q "not arrived: $not_arrived" "$work/stuck.log" &&
     grep -q '^dptrain: error: rank [02]: .* has waited' "$work/stuck.log" &&
     ! grep -q 'error: .*dptrain: error' "$work/stuck.log" && [ "$(ranks_alive)" -eq 0 ]; then
    ok "$name: $(grep -m1 'not arrived' "$work/stuck.log" | cut -c1-150)... (${took} s)"
  else
    fail "$name: status $status after ${took} s"; tail -5 "$work/stuck.log"
  fi
}

# The same on 2 nodes of 2 ranks (DPTRAIN_TEST_RANKS_PER_NODE): rank 3 hangs, and its node's
# other rank names it; the first node, where every rank has arrived, leaves the report to it.
stuck_rank_on_another_node() {
  local status
  DPTRAIN_TEST_HANG_AT=3:40 DPTRAIN_TEST_RANKS_PER_NODE=2 timeout 60 "$mpiexec" -n 4 \
    -x DPTRAIN_TEST_HANG_AT -x DPTRAIN_TEST_RANKS_PER_NODE "$dptrain" train --data "$work/data.h5" \
    --batch-size 16 --threads 1 --epochs 50 --collective-timeout 4 > "$work/stuck2.log" 2>&1
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q 'rank 2: .*not arrived: rank 3' "$work/stuck2.log" &&
     ! grep -q 'a rank on another node is late' "$work/stuck2.log" && [ "$(ranks_alive)" -eq 0 ]; then
    ok "stuck rank on another node: $(grep -m1 -o 'rank 2: .*not arrived: rank 3' "$work/stuck2.log" | cut -c1-120)"
  else
    fail "stuck rank on another node: status $status"; grep 'dptrain: error' "$work/stuck2.log" | head -4
  fi
}

# Runs training in the background, sends SIGUSR1 to the launcher once a checkpoint exists,
# and returns training's exit status.
interrupt_after_first_checkpoint() {
  local ranks=$1 dir=$2; shift 2
  "$mpiexec" -n "$ranks" "$dptrain" train --data "$work/data.h5" --batch-size 16 --lr 0.05 \
    --threads 1 --checkpoint-dir "$dir/ck" --checkpoint-every 30steps --out-dir "$dir" "$@" \
    > "$dir.log" 2>&1 &
  local launcher=$!
  for _ in $(seq 300); do ls "$dir/ck"/*.dpt >/dev/null 2>&1 && break; sleep 0.1; done
  kill -USR1 "$launcher"
  wait "$launcher"
}

# SIGUSR1: checkpoint and exit 75; --resume then ends bit-identical to an uninterrupted run.
signal_and_resume() {
  mkdir -p "$work/parts"
  "$mpiexec" -n 2 "$dptrain" train --data "$work/data.h5" --batch-size 16 --lr 0.05 --threads 1 \
    --epochs 6 --out-dir "$work/whole2" > "$work/whole2.log" 2>&1 || { fail "uninterrupted 2-rank run"; return; }
  interrupt_after_first_checkpoint 2 "$work/parts" --epochs 6
  local status=$?
  if [ "$status" -ne 75 ] || ! grep -q 'stopped by signal 10' "$work/parts.log"; then
    fail "SIGUSR1: exit status $status (expected 75)"; tail -5 "$work/parts.log"; return
  fi
  ok "SIGUSR1: checkpoint written, exit status 75"
  "$mpiexec" -n 2 "$dptrain" train --data "$work/data.h5" --batch-size 16 --lr 0.05 --threads 1 \
    --epochs 6 --out-dir "$work/parts" --checkpoint-dir "$work/parts/ck" --resume \
    > "$work/resume.log" 2>&1 || { fail "resume failed"; tail -5 "$work/resume.log"; return; }
  if grep -q '^# resumed from' "$work/resume.log" && cmp -s "$work/whole2/model.pt" "$work/parts/model.pt"; then
    ok "resume: final parameters bit-identical to the uninterrupted 2-rank run"
  else
    fail "resume: final parameters differ from the uninterrupted run"
  fi
}

# Signals sent without pause to the ranks themselves (as `scancel --signal=USR1` or a profiler
# sends them) while they multiply matrices on 2 threads each: one checkpoint and exit 75, never
# a crash (a signal handled on a computing thread corrupted the heap, see stop_signals.cpp).
signal_storm() {
  mkdir -p "$work/storm"
  "$mpiexec" -n 2 "$dptrain" train --data "$work/data.h5" --batch-size 16 --lr 0.05 --threads 2 \
    --epochs 100000 --checkpoint-dir "$work/storm/ck" > "$work/storm.log" 2>&1 &
  local launcher=$! pids status
  for _ in $(seq 300); do grep -q '^epoch 1:' "$work/storm.log" && break; sleep 0.1; done
  pids=$(pgrep -f "^$dptrain train --data $work/data.h5 .*storm" | tr '\n' ' ')  # not the launcher
  while kill -USR1 $pids 2>/dev/null; do :; done  # until a rank has ended
  wait "$launcher"; status=$?
  if [ "$status" -eq 75 ] && grep -q 'stopped by signal 10' "$work/storm.log" &&
     ls "$work/storm/ck"/*.dpt >/dev/null 2>&1 && ! grep -q 'received signal\|exited on signal\|corrupt' "$work/storm.log"; then
    ok "signals without pause on 2 ranks x 2 threads: $(grep -o 'stopped by signal 10 before epoch [0-9]* step [0-9]*' "$work/storm.log"), exit status 75"
  else
    fail "signals without pause: exit status $status (expected 75)"; tail -5 "$work/storm.log"
  fi
}

# The samples that epoch EPOCH trained, from a metrics file.
epoch_samples() {  # FILE EPOCH
  grep "\"epoch\":$2," "$1" | grep -o '"samples":[0-9]*' | cut -d: -f2
}

# A 3-rank checkpoint taken mid-epoch, resumed on 2 ranks: the 2 ranks train what the 3 left
# of that epoch (the data has 1999 samples; 3 ranks hold shards of 667, 666 and 666, and had
# trained 16 per step of each), then whole epochs.
resume_on_fewer_ranks() {
  mkdir -p "$work/three"
  interrupt_after_first_checkpoint 3 "$work/three" --epochs 4
  [ $? -eq 75 ] || { fail "3-rank run did not stop with 75"; tail -5 "$work/three.log"; return; }
  "$mpiexec" -n 2 "$dptrain" train --data "$work/data.h5" --batch-size 16 --lr 0.05 --threads 1 \
    --epochs 4 --checkpoint-dir "$work/three/ck" --resume --metrics "$work/three/m.jsonl" \
    > "$work/three-resume.log" 2>&1
  local status=$? note epoch step trained expected=1999
  note=$(grep -m1 '^# resumed' "$work/three-resume.log")
  # A stop that lands on an epoch's end leaves nothing of that epoch.
  if [[ $note =~ at\ epoch\ ([0-9]+)\ step\ ([0-9]+)\ \(written\ by\ 3\ ranks ]]; then
    epoch=${BASH_REMATCH[1]} step=${BASH_REMATCH[2]}
    trained=$(( step * 16 ))
    expected=$(( 1999 - (trained < 667 ? trained : 667) - 2 * (trained < 666 ? trained : 666) ))
  elif [[ $note =~ at\ epoch\ ([0-9]+)\ step\ 0$ ]]; then
    epoch=${BASH_REMATCH[1]}
  fi
  if [ "$status" -eq 0 ] && grep -q '"summary":true' "$work/three/m.jsonl" && [ -n "${epoch:-}" ] &&
     [ "$(epoch_samples "$work/three/m.jsonl" "$epoch")" = "$expected" ] &&
     { [ "$epoch" -eq 4 ] || [ "$(epoch_samples "$work/three/m.jsonl" 4)" = 1999 ]; }; then
    ok "resume with 2 ranks from a 3-rank checkpoint: the rest of epoch $epoch, $expected samples: $(echo "$note" | cut -c1-150)"
  else
    fail "resume on fewer ranks: status $status, epoch ${epoch:-?} trained $(epoch_samples "$work/three/m.jsonl" "${epoch:-0}") samples, expected $expected"
    echo "$note"; tail -5 "$work/three-resume.log"
  fi
}

# One epoch trained in turns: 20 steps on 3 ranks, 10 on 2, the rest on 4 (shuffled). Each
# turn resumes from a checkpoint of the last, which records the turns before it; the 4 ranks
# train 1999 - 3 x 20 x 16 - 2 x 10 x 16 = 719 samples, then whole epochs.
resume_in_turns() {
  local ck=$work/turns
  keep_only() { find "$ck" -name '*.dpt' ! -name "$1" -delete; }
  turn() { "$mpiexec" -n "$1" "$dptrain" train --data "$work/data.h5" --batch-size 16 --lr 0.05 \
      --threads 1 --shuffle --checkpoint-dir "$ck" --checkpoint-every "$2" --keep-checkpoints 100 \
      --progress off "${@:3}" >> "$work/turns.log" 2>&1; }
  turn 3 10steps --epochs 1 && keep_only ckpt-e0000-s00000020.dpt &&
    turn 2 5steps --epochs 1 --resume && keep_only ckpt-e0000-s00000030.dpt &&
    turn 4 1epoch --epochs 2 --resume --metrics "$work/turns.jsonl"
  local status=$?
  # The resumed epoch's record says it covers only the part after the checkpoint.
  if [ "$status" -eq 0 ] && [ "$(epoch_samples "$work/turns.jsonl" 1)" = 719 ] &&
     [ "$(epoch_samples "$work/turns.jsonl" 2)" = 1999 ] &&
     grep '"epoch":1,' "$work/turns.jsonl" | grep -q '"partial":true' &&
     grep '"epoch":2,' "$work/turns.jsonl" | grep -q '"partial":false' &&
     grep -q '^epoch 1: .*(the part after the checkpoint)$' "$work/turns.log" &&
     grep -q 'at epoch 1 step 30 (written by 2 ranks: these 4 train the rest of epoch 1)' "$work/turns.log"; then
    ok "one epoch in turns of 3, 2 and 4 ranks: the last turn trains the 719 samples left, then whole epochs"
  else
    fail "epoch in turns: status $status, samples $(grep -o '"samples":[0-9]*' "$work/turns.jsonl" 2>/dev/null | tr '\n' ' ')"
    grep -E '^# resumed|error' "$work/turns.log"
  fi
}

# The metrics file of a resumed job: the records of the epochs its checkpoint completed stay
# as they were, later ones (trained again) and the summary go, and the new epochs follow, so
# the file holds every epoch once. Here 3 epochs ran, the checkpoint after epoch 3 is lost, and
# the job resumes from the one after epoch 2 to reach epoch 5.
metrics_across_resumes() {
  local ck=$work/metrics-ck m=$work/metrics-resumed.jsonl
  train --epochs 3 --checkpoint-dir "$ck" --keep-checkpoints 5 --metrics "$m" --progress off \
    > "$work/metrics1.log" 2>&1 || { fail "metrics across resumes: first run"; return; }
  head -n 2 "$m" > "$work/metrics-first-two.jsonl"
  rm "$ck/ckpt-e0003-s00000000.dpt"
  train --epochs 5 --checkpoint-dir "$ck" --resume --metrics "$m" --progress off \
    > "$work/metrics2.log" 2>&1 || { fail "metrics across resumes: resumed run"; tail -3 "$work/metrics2.log"; return; }
  local epochs
  epochs=$(grep -o '"epoch":[0-9]*' "$m" | cut -d: -f2 | tr '\n' ' ')
  if [ "$epochs" = "1 2 3 4 5 " ] && [ "$(grep -c '"summary":true' "$m")" -eq 1 ] &&
     tail -n 1 "$m" | grep -q '"summary":true' && cmp -s <(head -n 2 "$m") "$work/metrics-first-two.jsonl"; then
    ok "metrics across a resume: epochs 1 and 2 kept as written, 3 to 5 after them, one summary"
  else
    fail "metrics across resumes: epochs '$epochs'"; cut -c1-80 "$m"
  fi
}

# Writing the first record fails (a file size limit stands in for a full disk or quota, on
# the rank alone: mpirun's own files are not limited): one error line, and an earlier run's
# metrics file stays whole.
metrics_write_fails() {
  local m=$work/metrics-kept.jsonl out status
  cp "$work/metrics-resumed.jsonl" "$m"
  out=$("$mpiexec" -n 1 sh -c "ulimit -f 1; trap '' XFSZ; exec $dptrain train --data $work/data.h5 \
    --batch-size 16 --threads 1 --epochs 1 --progress off --metrics $m" 2>&1)
  status=$?
  if [ "$status" -ne 0 ] && [ "$(grep -c '^dptrain: error: ' <<<"$out")" -eq 1 ] &&
     grep -q "^dptrain: error: $m: " <<<"$out" && cmp -s "$m" "$work/metrics-resumed.jsonl" &&
     [ -z "$(find "$work" -maxdepth 1 -name '.metrics-kept.jsonl.*')" ]; then
    ok "metrics file that cannot be written: $(grep '^dptrain: error' <<<"$out"), the earlier file whole"
  else
    fail "metrics file that cannot be written: status $status"; grep -v '^epoch' <<<"$out" | head -5
  fi
}

# The finished run of metrics_across_resumes submitted again, as job scripts resubmit with
# --resume: nothing is trained, its metrics stay as they are, and --out-dir gets the model.
resume_finished_run() {
  local m=$work/metrics-resumed.jsonl
  cp "$m" "$work/metrics-finished.jsonl"
  train --epochs 5 --checkpoint-dir "$work/metrics-ck" --resume --metrics "$m" --progress off \
    --out-dir "$work/finished" > "$work/finished.log" 2>&1
  local status=$?
  if [ "$status" -eq 0 ] && grep -q '^# nothing to train: the checkpoint is at the end of epoch 5 and --epochs is 5' "$work/finished.log" &&
     cmp -s "$m" "$work/metrics-finished.jsonl" && [ -s "$work/finished/model.pt" ] &&
     ! grep -q '^epoch ' "$work/finished.log"; then
    ok "resuming a finished run: nothing trained, metrics left as they were, model written"
  else
    fail "resuming a finished run: status $status"; tail -3 "$work/finished.log"; tail -n 1 "$m" | cut -c1-120
  fi
}

# A damaged newest checkpoint is skipped with a warning; the one before it is used.
damaged_checkpoint() {
  local ck=$work/parts/ck newest older
  newest=$(ls "$ck"/*.dpt | sort | tail -1)
  older=$(ls "$ck"/*.dpt | sort | tail -2 | head -1)
  truncate -s 1000 "$newest"
  train --epochs 7 --checkpoint-dir "$ck" --resume --keep-checkpoints 10 > "$work/damaged.log" 2>&1
  local status=$?
  # The resumed run passes the damaged file's position again and writes an intact one there.
  if [ "$status" -eq 0 ] && grep -q 'dptrain: warning: skipped damaged checkpoint.*truncated or corrupt' "$work/damaged.log" &&
     grep -q "resumed from $older" "$work/damaged.log" && [ "$(stat -c %s "$newest")" -gt 1000 ]; then
    ok "truncated checkpoint: skipped with a warning, the previous one used"
  else
    fail "truncated checkpoint: status $status"; grep -E 'resumed|skipped|error' "$work/damaged.log"
  fi
  mkdir -p "$work/flip"; cp "$older" "$work/flip/"
  local only; only=$work/flip/$(basename "$older")
  printf '\x01' | dd of="$only" bs=1 seek=4000 conv=notrunc 2>/dev/null
  train --epochs 7 --checkpoint-dir "$work/flip" --resume > "$work/flip.log" 2>&1
  if grep -q 'checksum mismatch' "$work/flip.log" && grep -q 'starting from the beginning' "$work/flip.log"; then
    ok "corrupted checkpoint (one flipped byte): detected by its checksum, never loaded"
  else
    fail "corrupted checkpoint"; grep -E 'resumed|skipped|error' "$work/flip.log"
  fi
}

# A truncated HDF5 file: one clear error line, no metrics file created.
truncated_data() {
  cp "$work/data.h5" "$work/cut.h5"
  truncate -s 200000 "$work/cut.h5"
  "$mpiexec" -n 2 "$dptrain" train --data "$work/cut.h5" --metrics "$work/cut.jsonl" > "$work/cut.log" 2>&1
  local status=$?
  if [ "$status" -ne 0 ] && [ "$(grep -c '^dptrain: error: ' "$work/cut.log")" -eq 1 ] &&
     grep -q "cut.h5" "$work/cut.log" && [ ! -e "$work/cut.jsonl" ]; then
    ok "truncated HDF5: $(grep '^dptrain: error: ' "$work/cut.log" | cut -c1-140)"
  else
    fail "truncated HDF5: status $status"; cat "$work/cut.log" | head -5
  fi
}

# A stop before the first epoch's end: no summary (no "done: 0 epochs, 0.0 %"), and the
# metrics file an earlier run left is as it was. A fresh run (no --resume) into the directory
# of those checkpoints is refused rather than mixed with them. (An epoch here is ~2000 steps
# of batch 1, seconds; the signal comes after the first checkpoint, at step 10.)
stop_before_first_epoch() {
  local dir=$work/early status
  mkdir -p "$dir"
  echo '{"epoch":1,"earlier":true}' > "$dir/m.jsonl" && cp "$dir/m.jsonl" "$dir/before.jsonl"
  "$dptrain" train --data "$work/data.h5" --batch-size 1 --threads 1 --epochs 100000 --progress off \
    --checkpoint-dir "$dir/ck" --checkpoint-every 10steps --metrics "$dir/m.jsonl" > "$dir.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do ls "$dir/ck"/*.dpt >/dev/null 2>&1 && break; sleep 0.02; done
  kill -USR1 "$pid"
  wait "$pid"; status=$?
  if [ "$status" -eq 75 ] && grep -q '^dptrain: stopped by signal 10 before epoch 1 step' "$dir.log" &&
     ! grep -q '^done:' "$dir.log" && cmp -s "$dir/m.jsonl" "$dir/before.jsonl"; then
    ok "stopped before the first epoch's end: no summary, the earlier metrics file left alone"
  else
    fail "stopped before the first epoch's end: status $status"; tail -3 "$dir.log"; head -c 300 "$dir/m.jsonl"
  fi
  expect_refused "a fresh run among an earlier run's checkpoints" \
    "holds checkpoints of an earlier run (newest ckpt-e0000-s[0-9]*.dpt): continue it with --resume" \
    "$dptrain" train --data "$work/data.h5" --epochs 1 --checkpoint-dir "$dir/ck"
}

# Runs "$@" (a single process), which must fail with exactly one error line matching PATTERN.
expect_refused() {  # NAME PATTERN COMMAND...
  local name=$1 pattern=$2 out status; shift 2
  out=$(timeout 60 "$@" 2>&1); status=$?
  if [ "$status" -eq 1 ] && [ "$(grep -c 'dptrain: error' <<<"$out")" -eq 1 ] &&
     grep -q -- "^dptrain: error: .*$pattern" <<<"$out"; then
    ok "$name: $(grep 'dptrain: error' <<<"$out")"
  else
    fail "$name: status $status"; tail -3 <<<"$out"
  fi
}

# One step per epoch (a batch larger than each shard), so that a stop always falls on an
# epoch's last step: that epoch is still evaluated and recorded. The signal goes to rank 1
# only, and rank 0 names it. A --resume then continues after the recorded epochs with none
# missing; one with --epochs below the checkpoint's is refused.
stop_at_epoch_end() {
  local dir=$work/edge status last rank1=""
  mkdir -p "$dir"
  "$mpiexec" -n 2 "$dptrain" train --data "$work/data.h5" --batch-size 2000 --threads 1 --epochs 100000 \
    --progress off --checkpoint-dir "$dir/ck" --metrics "$dir/m.jsonl" > "$dir.log" 2>&1 &
  local launcher=$!
  for _ in $(seq 600); do [ "$(grep -s '"epoch"' "$dir/m.jsonl" | wc -l)" -ge 2 ] && break; sleep 0.05; done
  for pid in $(pgrep -f "^$dptrain train --data $work/data.h5 .*$dir/ck"); do
    tr '\0' '\n' < "/proc/$pid/environ" | grep -qx 'OMPI_COMM_WORLD_RANK=1' && rank1=$pid
  done
  [ -n "$rank1" ] && kill -TERM "$rank1"
  wait "$launcher"; status=$?
  last=$(grep -o '"epoch":[0-9]*' "$dir/m.jsonl" | tail -n 1 | cut -d: -f2)
  if [ -n "$rank1" ] && [ "$status" -eq 75 ] && [ -n "$last" ] &&
     grep -q "^dptrain: stopped by signal 15 before epoch $((last + 1)) step 0" "$dir.log" &&
     [ "$(grep -o '"epoch":[0-9]*' "$dir/m.jsonl" | cut -d: -f2 | tr '\n' ' ')" = "$(seq -s ' ' "$last") " ] &&
     ! grep -q '"summary"' "$dir/m.jsonl"; then
    ok "stopped at an epoch's last step by a signal to rank 1: epochs 1 to $last recorded, $(grep -o 'stopped by signal 15 before epoch [0-9]* step 0' "$dir.log")"
  else
    fail "stopped at an epoch's last step: status $status, rank 1 pid '$rank1', last epoch '$last'"
    grep -E '^(dptrain|epoch)' "$dir.log" | tail -3; grep -o '"epoch":[0-9]*' "$dir/m.jsonl" | tr '\n' ' '
    return
  fi
  expect_refused "--resume with --epochs below the checkpoint's" \
    "ckpt-e0*$last-s00000000.dpt: checkpoint is at the end of epoch $last, past --epochs 1 (give --epochs $last or more" \
    "$dptrain" train --data "$work/data.h5" --batch-size 2000 --threads 1 --epochs 1 --checkpoint-dir "$dir/ck" --resume
  "$mpiexec" -n 2 "$dptrain" train --data "$work/data.h5" --batch-size 2000 --threads 1 --epochs $((last + 1)) \
    --progress off --checkpoint-dir "$dir/ck" --metrics "$dir/m.jsonl" --resume > "$dir-resumed.log" 2>&1
  status=$?
  if [ "$status" -eq 0 ] && ! grep -q 'missing' "$dir-resumed.log" &&
     [ "$(grep -o '"epoch":[0-9]*' "$dir/m.jsonl" | cut -d: -f2 | tr '\n' ' ')" = "$(seq -s ' ' $((last + 1))) " ]; then
    ok "resumed after it: epochs 1 to $((last + 1)) each once"
  else
    fail "resumed after a stop at an epoch's last step: status $status"; tail -3 "$dir-resumed.log"
  fi
}

# Ranks started with different options: a readable diff, and the job ends.
mismatched_ranks() {
  timeout 60 "$mpiexec" -n 1 "$dptrain" train --data "$work/data.h5" --epochs 1 --seed 0 : \
    -n 1 "$dptrain" train --data "$work/data.h5" --epochs 1 --seed 1 > "$work/mismatch.log" 2>&1
  local status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q 'the ranks disagree' "$work/mismatch.log" &&
     grep -q 'rank 1 differs from rank 0 in seed: 0 vs 1' "$work/mismatch.log"; then
    ok "mismatched configuration: $(grep 'differs from rank 0' "$work/mismatch.log" | head -2 | tr -s ' ' | tr '\n' ';')"
  else
    fail "mismatched configuration: status $status"; head -5 "$work/mismatch.log"
  fi
}

# The lines of a single process's log that are not dptrain's own: an MPI banner, a trace.
foreign_lines() {  # LOG
  grep -v -e '^dptrain: error: ' -e '^#' -e '^ *epoch' -e '^[a-z-]* *=' -e '^$' "$1"
}

# A diverging run stops with the step where the loss stopped being finite: one error line and
# exit status 1, alone or on two ranks (which agree on it and leave together, without an
# MPI_Abort).
diverging_loss() {
  local launch log status
  for launch in "" "$mpiexec -n 2"; do
    log=$work/nan${launch:+-mpi}.log
    timeout 60 $launch "$dptrain" train --data "$work/data.h5" --epochs 3 --lr 1e30 --threads 1 \
      --progress off > "$log" 2>&1
    status=$?
    if [ "$status" -eq 1 ] && [ "$(grep -c 'dptrain: error' "$log")" -eq 1 ] &&
       grep -qE '^dptrain: error: (rank [01]: )?training diverged: loss is (nan|inf) at epoch 1 step [0-9]+ \(try a smaller --lr\)' "$log" &&
       ! grep -q MPI_ABORT "$log" && { [ -n "$launch" ] || [ -z "$(foreign_lines "$log")" ]; } &&
       [ "$(ranks_alive)" -eq 0 ]; then
      ok "non-finite loss${launch:+ on 2 ranks}: $(grep -m1 -o 'training diverged.*' "$log")"
    else
      fail "non-finite loss${launch:+ on 2 ranks}: status $status"; tail -12 "$log"
    fi
  done
  # One step per epoch (the 1999 samples in one batch): its loss is finite, the parameters it
  # leaves make the test loss NaN. The checkpoint due at that step is written only after the
  # epoch is evaluated and recorded, so the diverged run leaves none.
  "$dptrain" train --data "$work/data.h5" --epochs 3 --lr 1e30 --batch-size 1999 --threads 1 \
    --progress off --checkpoint-dir "$work/nan-end" --checkpoint-every 1steps > "$work/nan-test.log" 2>&1
  status=$?
  if [ "$status" -eq 1 ] && grep -q '^dptrain: error: training diverged: test loss is nan after epoch 1 ' "$work/nan-test.log" &&
     [ -z "$(foreign_lines "$work/nan-test.log")" ] && [ -z "$(ls -A "$work/nan-end")" ]; then
    ok "non-finite parameters after the last step: $(grep -o 'training diverged.*' "$work/nan-test.log"), no checkpoint"
  else
    fail "non-finite parameters after the last step: status $status"; tail -5 "$work/nan-test.log"; ls "$work/nan-end"
  fi
  # Two steps per epoch: the checkpoint after the first holds its parameters (huge but finite),
  # the second step's loss is NaN. eval refuses to score that checkpoint (the argmax of NaNs
  # would be a 10 % "accuracy").
  "$dptrain" train --data "$work/data.h5" --epochs 3 --lr 1e30 --batch-size 1000 --threads 1 \
    --progress off --checkpoint-dir "$work/nan-ck" --checkpoint-every 1steps > "$work/nan-mid.log" 2>&1
  expect_refused "eval of the diverged run's checkpoint" \
    "nan-ck/ckpt-e0000-s00000001.dpt: the model's outputs are not finite (NaN or Inf)" \
    "$dptrain" eval --data "$work/data.h5" --checkpoint "$work/nan-ck"
}

kill_one_rank
stuck_rank "stuck rank" "rank 1" 1
stuck_rank "stuck rank, DPTRAIN_SHARED_MEMORY=0" "unknown (with DPTRAIN_SHARED_MEMORY=0" 0
stuck_rank_on_another_node
signal_and_resume
signal_storm
resume_on_fewer_ranks
resume_in_turns
metrics_across_resumes
metrics_write_fails
resume_finished_run
stop_before_first_epoch
stop_at_epoch_end
damaged_checkpoint
truncated_data
mismatched_ranks
diverging_loss
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
