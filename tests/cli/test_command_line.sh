#!/usr/bin/env bash
# Command line behaviour of the dptrain binary: every bad input gives exactly one
# "dptrain: error:" line naming the file or option, a non-zero exit on every rank, and no
# output file; and a small end-to-end run writes the metrics it promises.
# Usage: test_command_line.sh DPTRAIN MAKE_FIXTURES MPIEXEC SOURCE_DIR
set -u
dptrain=$1 make_fixtures=$2 mpiexec=$3 source_dir=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$make_fixtures" "$work" || { echo "cannot write fixtures"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

expect_ok() {
  local name=$1; shift
  if out=$(timeout 300 "$@" 2>&1); then
    pass "$name"
  else
    fail "$name"; echo "$out" | tail -20
  fi
}

mpi2=("$mpiexec" -n 2)
out=$work/out.h5

expect_error "missing directory" "$work/none: no such directory" "$out" -- \
  "$dptrain" convert --input "$work/none" --output "$out"
expect_error "missing file" "nofiles/train-images-idx3-ubyte\[.gz\]: no such file" "$out" -- \
  "$dptrain" convert --input "$work/nofiles" --output "$out"
expect_error "wrong magic" "badmagic/train-images-idx3-ubyte.gz: wrong IDX magic" "$out" -- \
  "$dptrain" convert --input "$work/badmagic" --output "$out"
expect_error "truncated IDX" "truncated/train-images-idx3-ubyte.gz: truncated IDX file" "$out" -- \
  "$dptrain" convert --input "$work/truncated" --output "$out"
expect_error "count mismatch" "11 labels for 12 images" "$out" -- \
  "$dptrain" convert --input "$work/mismatch" --output "$out"
expect_error "label above 9" "label 10 at item 7 is outside 0-9" "$out" -- \
  "$dptrain" convert --input "$work/badlabel" --output "$out"

expect_ok "convert" "$dptrain" convert --input "$work/good" --output "$work/good.h5"
expect_ok "convert three" "$dptrain" convert --input "$work/three" --output "$work/three.h5"
cp "$work/good.h5" "$work/before.h5"
expect_error "existing output" "good.h5: already exists (use --force" "" -- \
  "$dptrain" convert --input "$work/good" --output "$work/good.h5"
cmp -s "$work/good.h5" "$work/before.h5" || fail "existing output was modified"
expect_ok "convert --force" "$dptrain" convert --input "$work/good" --output "$work/good.h5" --force
expect_error "convert to an empty file name" "--output: an empty file name" "" -- \
  "$dptrain" convert --input "$work/good" --output ""
# --force never lets the output replace one of its own IDX files (also through a link).
cp -r "$work/good" "$work/own" && cp "$work/own/train-labels-idx1-ubyte.gz" "$work/labels-before.gz"
ln -s "$work/own/train-labels-idx1-ubyte.gz" "$work/labels-link"
for target in "$work/own/train-labels-idx1-ubyte.gz" "$work/labels-link"; do
  expect_error "convert --force onto its input ($(basename "$target"))" \
    "given as both --input and --output" "" -- "$dptrain" convert --input "$work/own" --output "$target" --force
done
cmp -s "$work/own/train-labels-idx1-ubyte.gz" "$work/labels-before.gz" && pass "the IDX file is intact" ||
  fail "convert --force replaced its own input"
mkdir -p "$work/a-dir.h5"
expect_error "convert onto a directory" "a-dir.h5: exists and is not a regular file" "" -- \
  "$dptrain" convert --input "$work/good" --output "$work/a-dir.h5"
expect_error "convert from an empty --input" "--input: an empty directory name" "" -- \
  "$dptrain" convert --input "" --output "$work/x.h5"
# A name longer than the filesystem allows: the name and the reason, not the library's wording.
long_name=$work/$(printf 'a%.0s' $(seq 300))
expect_error "a file name too long" "^dptrain: error: $long_name.jsonl: File name too long$" "" -- \
  "$dptrain" train --data "$work/good.h5" --metrics "$long_name.jsonl"
# A file name ending in '/' is refused by the option, and no directory is made for it.
expect_error "convert --output ending in /" "--output: '$work/newdir/' ends in '/': a file name expected" "$work/newdir" -- \
  "$dptrain" convert --input "$work/good" --output "$work/newdir/"
expect_error "train --metrics ending in /" "--metrics: '$work/newdir/' ends in '/': a file name expected" "$work/newdir" -- \
  "$dptrain" train --data "$work/good.h5" --metrics "$work/newdir/"
expect_error "convert into /proc" "/proc/x.h5: cannot create a file in /proc" "" -- \
  "$dptrain" convert --input "$work/good" --output /proc/x.h5
# A full disk (a file size limit of 4 KiB stands in for it): one error line naming the output,
# nothing left behind (HDF5 1.10, left with a file it failed to write, crashed at exit).
expect_error "convert onto a full disk" "full.h5: write failed (disk full?)" "$work/full.h5" -- \
  bash -c 'trap "" XFSZ; ulimit -f 4; exec "$@"' limit "$dptrain" convert --input "$work/good" --output "$work/full.h5"

metrics=$work/metrics.jsonl
expect_error "missing dataset file" "$work/absent.h5: no such file" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/absent.h5" --metrics "$metrics"
expect_error "not HDF5" "text.h5: not an HDF5 file" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/text.h5" --metrics "$metrics"
# A file that cannot be read is not called missing (root reads anything: the test drops the
# capabilities that let it).
cp "$work/good.h5" "$work/secret.h5" && chmod 000 "$work/secret.h5"
expect_error "an unreadable --data" "secret.h5: cannot read it (Permission denied)" "$metrics" -- \
  setpriv --bounding-set=-dac_override,-dac_read_search "$dptrain" train --data "$work/secret.h5" --metrics "$metrics"
mkfifo "$work/pipe.h5"  # opening it would wait for a writer for ever
expect_error "a named pipe as --data" "pipe.h5: not a regular file (a pipe or a device)" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/pipe.h5" --metrics "$metrics"
expect_error "a directory as --data" "$work: is a directory, not an HDF5 file" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work" --metrics "$metrics"
# Outputs that would overwrite an input, or each other: refused before anything is written.
cp "$work/good.h5" "$work/precious.h5" && cp "$work/good.h5" "$work/precious-before.h5"
ln -sf precious.h5 "$work/alias.h5"
expect_error "--metrics naming the --data file" \
  "alias.h5: given as both --data and --metrics, so writing the output would destroy the input" "" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/precious.h5" --metrics "$work/alias.h5"
cmp -s "$work/precious.h5" "$work/precious-before.h5" || fail "--metrics naming the --data file changed it"
expect_error "--metrics naming the model of --out-dir" \
  "same/model.pt: given as both --metrics and --out-dir's model.pt; give each output a file of its own" \
  "$work/same" -- "$dptrain" train --data "$work/good.h5" --out-dir "$work/same" --metrics "$work/same/model.pt"
expect_error "HDF5 without datasets" "empty.h5: missing dataset /train/images" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/empty.h5" --metrics "$metrics"
expect_error "HDF5 wrong shape" "wrongshape.h5: dataset /train/images has shape \[12,784\]" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/wrongshape.h5" --metrics "$metrics"
expect_error "compressed HDF5 claiming 10^12 samples" \
  "hugeclaim.h5: cannot allocate 392500000000000 bytes for 500000000000 samples of /train" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/hugeclaim.h5" --metrics "$metrics"
expect_error "HDF5 with a float format_version" "versionfloat.h5: format_version is not one integer" \
  "$metrics" -- "$dptrain" train --data "$work/versionfloat.h5" --metrics "$metrics"
expect_error "HDF5 of a newer format" "version99.h5: format_version 99, but this dptrain reads 1" \
  "$metrics" -- "${mpi2[@]}" "$dptrain" train --data "$work/version99.h5" --metrics "$metrics"
expect_error "HDF5 without training samples" "notrain.h5: /train holds no samples" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/notrain.h5" --metrics "$metrics"
expect_error "unknown option" "--bogus" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --bogus 3 --metrics "$metrics"
expect_error "batch size 0" "--batch-size must be at least 1 (got 0)" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --batch-size 0 --metrics "$metrics"
expect_error "more ranks than samples" "3 training samples for 4 ranks" "$metrics" -- \
  "$mpiexec" -n 4 "$dptrain" train --data "$work/three.h5" --metrics "$metrics"
# Node-shared memory that cannot be had (Open MPI's backing folder does not exist, as a full
# /dev/shm fails too) is named with the way around it, which then trains.
no_shm=(env OMPI_MCA_osc_sm_backing_directory="$work/no-such-dir" "${mpi2[@]}" "$dptrain" train
        --data "$work/good.h5" --epochs 1 --batch-size 4 --progress off)
expect_error "no node-shared memory" "node-shared memory for gradient averaging .*DPTRAIN_SHARED_MEMORY=0" \
  "$metrics" -- "${no_shm[@]}" --metrics "$metrics"
expect_ok "DPTRAIN_SHARED_MEMORY=0 without node-shared memory" env DPTRAIN_SHARED_MEMORY=0 "${no_shm[@]}"
expect_error "unknown DPTRAIN_SHARED_MEMORY" "DPTRAIN_SHARED_MEMORY=off: expected 1 (the default), gradients or 0" \
  "$metrics" -- env DPTRAIN_SHARED_MEMORY=off "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" \
  --epochs 1 --batch-size 4 --progress off --metrics "$metrics"
# Ranks that read DPTRAIN_SHARED_MEMORY differently (not exported to another node) all stop
# with one line; they hung in collectives that did not match.
expect_error "DPTRAIN_SHARED_MEMORY on some ranks only" "DPTRAIN_SHARED_MEMORY differs between the ranks" \
  "$metrics" -- timeout 60 "$mpiexec" -n 1 env DPTRAIN_SHARED_MEMORY=0 "$dptrain" train --data "$work/good.h5" \
  --epochs 1 --metrics "$metrics" : -n 1 "$dptrain" train --data "$work/good.h5" --epochs 1 --metrics "$metrics"
# Nodes with unequal ranks, one of them alone on its node (2 + 1): plain MPI averaging, as for
# any unequal layout (the lone rank skipped two reductions the others took, and all hung).
expect_ok "3 ranks as nodes of 2 and 1" timeout 60 env DPTRAIN_TEST_RANKS_PER_NODE=2 "$mpiexec" -n 3 \
  -x DPTRAIN_TEST_RANKS_PER_NODE "$dptrain" train --data "$work/good.h5" --epochs 1 --batch-size 2 --progress off
expect_ok "bench allreduce on nodes of 2 and 1" timeout 60 env DPTRAIN_TEST_RANKS_PER_NODE=2 "$mpiexec" -n 3 \
  -x DPTRAIN_TEST_RANKS_PER_NODE "$dptrain" bench allreduce --max-bytes 4K --seconds-per-size 0.01
# A batch larger than a rank's shard (12 samples: 6 per rank) trains, with one warning from
# rank 0; a batch of the whole shard does not warn.
big_batch() { timeout 120 "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --epochs 1 \
                --progress off --batch-size "$1" 2>&1 >/dev/null; }
if warned=$(big_batch 7) && [ "$(grep -c 'warning: --batch-size 7 is more than the 6 training samples of a rank' <<<"$warned")" -eq 1 ] \
   && quiet=$(big_batch 6) && ! grep -q 'batch-size' <<<"$quiet"
then pass "a batch beyond the shard trains with one warning"
else fail "batch beyond the shard: '$warned' / '${quiet:-}'"; fi
# Options that need another to have any effect: one warning each from rank 0 when given
# alone, none when given with it.
alone() { timeout 120 "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --epochs 1 \
            --progress off "$@" 2>&1 >/dev/null; }
if warned=$(alone --warmup-epochs 0.5 --checkpoint-every 7steps) \
   && [ "$(grep -c '^dptrain: warning: --warmup-epochs has no effect without --lr-scaling linear' <<<"$warned")" -eq 1 ] \
   && [ "$(grep -c '^dptrain: warning: --checkpoint-every and --keep-checkpoints have no effect without --checkpoint-dir' <<<"$warned")" -eq 1 ] \
   && quiet=$(alone --warmup-epochs 0.5 --lr-scaling linear --keep-checkpoints 2 --checkpoint-dir "$work/with-ck") \
   && ! grep -q 'no effect' <<<"$quiet"
then pass "options without effect alone: one warning each, none with their partners"
else fail "options without effect: '$warned' / '${quiet:-}'"; fi
# The largest --batch-size on 2 ranks: a global batch past 32 bits, reported as it is.
huge=$(timeout 120 "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --epochs 1 --progress off \
         --batch-size 2147483647 --metrics "$work/huge.jsonl" 2>&1)
if grep -q '^done: .*global batch 4294967294,' <<<"$huge" && grep -q '"global_batch":4294967294' "$work/huge.jsonl"
then pass "a global batch past 32 bits is reported as it is (4294967294)"
else fail "global batch past 32 bits: $(grep -E '^done|error' <<<"$huge")"; fi
expect_error "unknown model" "unknown model 'nope'" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --model nope --metrics "$metrics"
expect_error "missing config file" "nothere.toml" "$metrics" -- \
  "$dptrain" train --config "$work/nothere.toml" --metrics "$metrics"
expect_error "unknown device" "--device" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --device tpu --metrics "$metrics"
expect_error "nccl without cuda" "--backend nccl needs --device cuda" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --backend nccl --metrics "$metrics"
# Numbers past any sensible value, and outputs that cannot be: one line each, before training.
bad_number() {  # NAME PATTERN OPTION...
  local name=$1 pattern=$2; shift 2
  expect_error "$name" "$pattern" "$metrics" -- \
    "$dptrain" train --data "$work/good.h5" --metrics "$metrics" "$@"
}
bad_number "infinite lr" "--lr must be from 1.2e-38 to 3.4e38 (float32's range) (got inf)" --lr inf
bad_number "lr past float32" "--lr must be from 1.2e-38 to 3.4e38 (float32's range) (got 1e+39)" --lr 1e39
expect_error "lr past float32 once scaled" "--lr 3e+38 x 2 ranks (--lr-scaling linear) is past 3.4e38" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --metrics "$metrics" --lr 3e38 --lr-scaling linear
bad_number "thousands of threads" "--threads must be from 1 to 1024 (got 100000)" --threads 100000
expect_error "thousands of threads from SLURM_CPUS_PER_TASK" \
  "--threads must be from 1 to 1024 (got 99999, the default from SLURM_CPUS_PER_TASK=99999)" "$metrics" -- \
  env SLURM_CPUS_PER_TASK=99999 "$dptrain" train --data "$work/good.h5" --metrics "$metrics"
bad_number "negative seed" "--seed: must be a whole number from 0 to 18446744073709551615" --seed -1
bad_number "seed past 2^64" "--seed: must be a whole number" --seed 99999999999999999999999
bad_number "infinite bucket" "--bucket-mb must be from 0.001 to 4096 (got inf)" --bucket-mb inf
bad_number "sub-second timeout" "--collective-timeout must be 0 (off) or at least 1 second" \
  --collective-timeout 1e-9
bad_number "checkpoint period past 1e12" "--checkpoint-every must be a positive number" \
  --checkpoint-every 99999999999999999999steps
expect_error "checkpoint directory under a file" \
  "--checkpoint-dir $work/good.h5/ck: cannot create the directory (Not a directory)" "$metrics" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --checkpoint-dir "$work/good.h5/ck" \
  --metrics "$metrics"
expect_error "out-dir under a file" "--out-dir $work/good.h5/run: cannot create the directory" \
  "$metrics" -- "$dptrain" train --data "$work/good.h5" --out-dir "$work/good.h5/run" --metrics "$metrics"
expect_error "misspelt command" "unknown command 'tarin': the commands are convert, train" "" -- \
  "$dptrain" tarin --data "$work/good.h5"
expect_error "eval started as 2 processes" "dptrain eval runs as one process" "" -- \
  "${mpi2[@]}" "$dptrain" eval --data "$work/good.h5" --checkpoint "$work/none"
expect_error "bench: a 100 GB message" "--max-bytes must be from 4 to 1G" "" -- \
  "$dptrain" bench allreduce --max-bytes 100G
# 5 bytes was measured as 4 (and 16 never, in 5..16).
expect_error "bench: a size that is not whole floats" "--min-bytes must be from 4 to --max-bytes and a multiple of 4.*(got 5)" "" -- \
  "$dptrain" bench allreduce --min-bytes 5 --max-bytes 16
expect_error "bench: no time per size" "--seconds-per-size must be more than 0" "" -- \
  "$dptrain" bench allreduce --seconds-per-size 0
expect_error "bench: unwritable table" "$work/good.h5/t.json: cannot open --json file" "" -- \
  "$dptrain" bench allreduce --max-bytes 4K --json "$work/good.h5/t.json"
# Outputs that are not regular files, refused before the work; opening a pipe to check it
# would wait for a reader for ever.
expect_error "bench: a device as --json" "/dev/null: exists and is not a regular file" "" -- \
  "$dptrain" bench allreduce --max-bytes 4K --json /dev/null
expect_error "a named pipe as --metrics" "pipe.h5: exists and is not a regular file" "" -- \
  "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --metrics "$work/pipe.h5"
# Alone, an allreduce takes no time: the rounds of each size, filling and checking 64 MB
# included, must still fit into --seconds-per-size (a hang guard, not a timing).
if out=$(timeout 60 "$dptrain" bench allreduce --seconds-per-size 0.05 2>&1) &&
   grep -q '^ *67108864 .* 0$' <<<"$out"; then
  pass "bench allreduce alone reaches 64 MB, every result checked"
else
  fail "bench allreduce alone: status $?"; tail -3 <<<"$out"
fi

# A build without CUDA says how to get one; a build with CUDA, with every GPU hidden, says
# that it sees none.
if "$dptrain" --version | grep -q "GPU training (CUDA, NCCL): yes"; then
  expect_error "cuda without a GPU" "no CUDA device is visible" "$metrics" -- \
    env CUDA_VISIBLE_DEVICES= "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --device cuda \
    --metrics "$metrics"
else
  expect_error "cuda in a build without CUDA" "this dptrain was built without CUDA" "$metrics" -- \
    "${mpi2[@]}" "$dptrain" train --data "$work/good.h5" --device cuda --metrics "$metrics"
fi

# A TOML file supplies options; the command line overrides it.
cat > "$work/run.toml" <<TOML
data = "$work/good.h5"
epochs = 3
batch-size = 4
lr = 0.01
TOML
expect_ok "train from TOML, 2 ranks" "${mpi2[@]}" "$dptrain" train --config "$work/run.toml" \
  --epochs 2 --metrics "$metrics" --out-dir "$work/run"
epoch_lines=$(grep -c '"epoch":' "$metrics" 2>/dev/null || echo 0)
summary_lines=$(grep -c '"summary":true' "$metrics" 2>/dev/null || echo 0)
if [ "$epoch_lines" -eq 2 ] && [ "$summary_lines" -eq 1 ]; then
  pass "metrics has 2 epochs and a summary"
else
  fail "metrics: $epoch_lines epoch lines, $summary_lines summaries"; cat "$metrics"
fi
for key in train_loss test_loss test_accuracy epoch_seconds samples_per_second allreduce_seconds; do
  grep -q "\"$key\":" "$metrics" || fail "metrics lacks $key"
done
grep -q '"ranks":2' "$metrics" && grep -q '"global_batch":8' "$metrics" \
  && grep -q '"device":"cpu"' "$metrics" \
  || fail "summary does not record 2 ranks, global batch 8 and the cpu device"
[ -s "$work/run/model.pt" ] && [ -s "$work/run/config.toml" ] || fail "out-dir lacks model.pt or config.toml"
grep -q 'batch-size=4' "$work/run/config.toml" || fail "effective config lacks batch-size from TOML"
# Flags keep their real defaults in the saved configuration, so reusing it changes nothing.
grep -q '^overlap=true' "$work/run/config.toml" || fail "effective config does not record overlap=true"
expect_ok "the config.toml of --out-dir reads back as --config" "$dptrain" train --config "$work/run/config.toml" \
  --epochs 1 --progress off --out-dir "$work/rerun" --metrics "$work/rerun.jsonl"
# A pipe as --config is named for what it is; `help` is not an option a file can set.
mkfifo "$work/config-pipe.toml"
expect_error "a named pipe as --config" "config-pipe.toml: not a regular file (a pipe or a device)" "" -- \
  "$dptrain" train --config "$work/config-pipe.toml"
printf 'data = "%s"\nhelp = true\n' "$work/good.h5" > "$work/help.toml"
expect_error "help in a TOML file" "help.toml: unknown option 'help'" "" -- "$dptrain" train --config "$work/help.toml"
# A flag's negated name in TOML means what it means on the command line.
for value in true false; do
  printf 'data = "%s"\nepochs = 1\nno-shuffle = %s\nno-overlap = %s\n' "$work/good.h5" "$value" "$value" > "$work/negated.toml"
  printed=$("$dptrain" train --config "$work/negated.toml" --progress off 2>&1)
  want=$([ "$value" = true ] && echo false || echo true)
  if grep -qx "shuffle=$want" <<<"$printed" && grep -qx "overlap=$want" <<<"$printed"
  then pass "no-shuffle = $value and no-overlap = $value in TOML: shuffle=$want, overlap=$want"
  else fail "no-shuffle/no-overlap = $value in TOML"; grep -E '^(shuffle|overlap)=' <<<"$printed"; fi
done
# A string never closed in the TOML file would otherwise become part of a file name.
printf 'data = "%s"\nmetrics = "%s/quoted.jsonl\n' "$work/good.h5" "$work" > "$work/unclosed.toml"
expect_error "unclosed string in TOML" "unclosed.toml: metrics: the string \"$work/quoted.jsonl has no closing quote" \
  "$work/quoted.jsonl" -- "$dptrain" train --config "$work/unclosed.toml"

# A run that fails before its first epoch's end leaves an earlier run's metrics as they were
# (one step per epoch at this lr: finite loss, non-finite parameters after it).
printf '{"old":1}\n' > "$work/earlier.jsonl"
expect_error "diverged in the first epoch" "training diverged: test loss is" "" -- \
  "$dptrain" train --data "$work/good.h5" --lr 1e30 --metrics "$work/earlier.jsonl"
[ "$(cat "$work/earlier.jsonl")" = '{"old":1}' ] && pass "the earlier metrics file is untouched" ||
  fail "a failed run rewrote the earlier metrics file: $(head -c 200 "$work/earlier.jsonl")"

# Progress within an epoch. 12 samples at batch 1 are 12 steps: a line at each tenth reached
# (9 of them) when the output is a file or pipe, also under mpirun, which gives its ranks a
# terminal of their own; a bar redrawn with "\r" on a real terminal (`script` provides one).
progress_lines() { grep -c '^  epoch [0-9]  *[0-9]*% ([0-9]*/12 steps) .* samples/s loss .* eta ' <<<"$1"; }
tiny=(train --data "$work/good.h5" --batch-size 1 --epochs 2)
out=$(timeout 120 "$dptrain" "${tiny[@]}" 2>&1 | cat)
lines=$(progress_lines "$out")
if [ "$lines" -eq 18 ] && grep -q '^  epoch 2  50% (6/12 steps) ' <<<"$out" && ! grep -q $'\r' <<<"$out"; then
  echo "ok: piped output has a progress line every 10% (18 in 2 epochs)"; passed=$((passed + 1))
else
  fail "piped output: $lines progress lines, expected 18 and no carriage return"; echo "$out"
fi
out=$(timeout 120 "$mpiexec" -n 1 "$dptrain" "${tiny[@]}" 2>&1 | cat)
lines=$(progress_lines "$out")
[ "$lines" -eq 18 ] && ! grep -q $'\r' <<<"$out" \
  && { echo "ok: piped mpirun output has progress lines, no bar"; passed=$((passed + 1)); } \
  || { fail "piped mpirun output: $lines progress lines, expected 18 and no carriage return"; echo "$out"; }
out=$(timeout 120 "$dptrain" "${tiny[@]}" --progress off 2>&1 | cat)
[ "$(progress_lines "$out")" -eq 0 ] && grep -q '^epoch 2: train loss' <<<"$out" \
  && { echo "ok: --progress off prints only the epoch lines"; passed=$((passed + 1)); } \
  || { fail "--progress off still prints progress"; echo "$out"; }
for launcher in "" "$mpiexec -n 1"; do
  out=$(timeout 120 script -qec "$launcher $(printf '%q ' "$dptrain" "${tiny[@]}")" /dev/null </dev/null 2>&1)
  if grep -q $'\repoch 2 \[############\] 100% (12/12 steps)' <<<"$out" \
     && grep -q $'\r\e\\[Kepoch 2: train loss' <<<"$out" && [ "$(progress_lines "$out")" -eq 0 ]; then
    echo "ok: on a terminal${launcher:+ under mpirun} a bar is redrawn and replaced by the epoch line"
    passed=$((passed + 1))
  else
    fail "terminal${launcher:+ under mpirun}: no bar replaced by the epoch line"; cat -A <<<"$out" | head -20
  fi
done

# A narrow terminal: every redraw is cut to its width less one column, so none wraps (also
# under mpirun, whose own terminal is the one measured).
for launcher in "" "$mpiexec -n 1"; do
  out=$(timeout 120 script -qec "stty cols 40; $launcher $(printf '%q ' "$dptrain" "${tiny[@]}")" \
    /dev/null </dev/null 2>&1)
  widest=$(tr '\r' '\n' <<<"$out" | sed 's/\x1b\[K//g' | grep '^epoch 2 \[' | awk '{ print length($0) }' | sort -n | tail -1)
  if [ "${widest:-0}" -eq 39 ]; then
    echo "ok: on a 40-column terminal${launcher:+ under mpirun} the bar lines are 39 columns"
    passed=$((passed + 1))
  else
    fail "narrow terminal${launcher:+ under mpirun}: widest bar line ${widest:-none}, expected 39"
  fi
done

# Threads per rank: SLURM_CPUS_PER_TASK before OMP_NUM_THREADS before 1; and a warning, once,
# when the ranks of a node times their threads exceed the cores the job has there.
quick_run=("$dptrain" train --data "$work/good.h5" --epochs 1 --batch-size 4 --progress off)
threads_of() { "$@" 2>&1 | sed -n 's/^# dptrain train: [0-9]* ranks x \([0-9]*\) threads.*/\1/p'; }
[ "$(threads_of env SLURM_CPUS_PER_TASK=2 OMP_NUM_THREADS=3 "${quick_run[@]}")" = 2 ] \
  && [ "$(threads_of env -u SLURM_CPUS_PER_TASK OMP_NUM_THREADS=3 "${quick_run[@]}")" = 3 ] \
  && [ "$(threads_of env -u SLURM_CPUS_PER_TASK -u OMP_NUM_THREADS "${quick_run[@]}")" = 1 ] \
  && [ "$(threads_of env SLURM_CPUS_PER_TASK=2 "${quick_run[@]}" --threads 1)" = 1 ] \
  && pass "threads: --threads, then SLURM_CPUS_PER_TASK, then OMP_NUM_THREADS, then 1" \
  || fail "threads per rank do not follow --threads, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS, 1"
out=$(SLURM_CPUS_ON_NODE=2 timeout 120 "${mpi2[@]}" "${quick_run[@]}" --threads 2 2>&1)
# (Unbound, so that the binding check below has nothing to say: mpiexec binds 2 ranks to a
# core each by default.)
fits=$(SLURM_CPUS_ON_NODE=4 timeout 120 "$mpiexec" --bind-to none -n 2 "${quick_run[@]}" --threads 2 2>&1)
[ "$(grep -c '^dptrain: warning: 2 ranks x 2 threads on a node with 2 cores' <<<"$out")" -eq 1 ] \
  && ! grep -q 'warning' <<<"$fits" \
  && pass "oversubscription: one warning for 2 ranks x 2 threads on 2 cores, none on 4" \
  || { fail "oversubscription warning"; grep -i warning <<<"$out$fits"; }
# Cores enough, badly bound: OpenMP binding each rank's threads from its first core while the
# launcher gives the ranks no cores of their own stacks both ranks on core 0 (one warning, from
# rank 0); with a core each, no warning. A rank bound to one core with 2 threads is named.
bound_run() {  # BIND THREADS RANKS
  OMP_PROC_BIND=close OMP_PLACES=cores timeout 120 "$mpiexec" --bind-to "$1" -n "$3" \
    "${quick_run[@]}" --threads "$2" 2>&1
}
one_core_run() { timeout 120 "$mpiexec" --bind-to core -n 1 "${quick_run[@]}" --threads 2 2>&1; }
stacked=$(bound_run none 1 2) own=$(bound_run core 1 2) narrow=$(one_core_run)
[ "$(grep -c '^dptrain: warning: the 2 ranks on .* are bound to 1 CPU (0) between them: .*OMP_PROC_BIND' <<<"$stacked")" -eq 1 ] \
  && ! grep -q 'warning' <<<"$own" \
  && grep -q '^dptrain: warning: rank 0 on .* may run on 1 CPU (.*) but has 2 threads' <<<"$narrow" \
  && pass "binding: ranks stacked on core 0 warned once, a core each not, a rank short of cores named" \
  || { fail "binding warning"; grep -i warning <<<"$stacked$own$narrow"; }

expect_ok "help" "$dptrain" train --help
"$dptrain" train --help | grep -q 'smaller or empty last batch' || fail "--help does not state the shard policy"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
