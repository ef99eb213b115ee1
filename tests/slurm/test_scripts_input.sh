#!/usr/bin/env bash
# Bad input to the Python scripts (scripts/scaling-study.sh and scripts/plot-training.py): every
# case gives a non-zero exit, exactly one error line (the script's "error:" line, or argparse's),
# no Python traceback, and no output or temporary file left behind. Failing sbatch, squeue and
# mpirun are fakes on PATH; a report over a study with one damaged run still writes the tables of
# the others; a report whose assumptions are bad leaves the earlier report as it was.
# Usage: test_scripts_input.sh SOURCE_DIR
set -u
source_dir=$(realpath "$1")
study_tool=$source_dir/scripts/scaling-study.sh
plot=$source_dir/scripts/plot-training.py
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1  # a refused --study '' must not write into the caller's directory
source "$source_dir/tests/cli/expect.sh"
export DPTRAIN_PYTHON=$python SCALING_STUDY_SQUEUE_PAUSE=0.05

# Fakes of sbatch, squeue and mpirun, steered by files in $work/fake.
mkdir -p "$work/bin" "$work/fake"
cat > "$work/bin/sbatch" <<EOF
#!/usr/bin/env bash
# Accepts \$(cat $work/fake/sbatch-accepts) more jobs, then refuses like a QOS limit.
left=\$(cat "$work/fake/sbatch-accepts")
if [ "\$left" -le 0 ]; then
  echo "sbatch: error: QOSMaxSubmitJobPerUserLimit" >&2
  echo "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy" >&2
  exit 1
fi
echo \$((left - 1)) > "$work/fake/sbatch-accepts"
echo \$((1000 + \$(wc -l < "$work/fake/sbatch-calls"))) >> "$work/fake/sbatch-calls"
tail -n 1 "$work/fake/sbatch-calls"
EOF
cat > "$work/bin/squeue" <<EOF
#!/usr/bin/env bash
# Fails \$(cat $work/fake/squeue-fails) times, then lists no job (all finished).
left=\$(cat "$work/fake/squeue-fails")
if [ "\$left" -gt 0 ]; then
  echo \$((left - 1)) > "$work/fake/squeue-fails"
  echo "squeue: error: Unable to contact slurm controller (connect failure)" >&2
  exit 1
fi
EOF
cat > "$work/bin/mpirun" <<'EOF'
#!/usr/bin/env bash
echo "[progress] epoch 1"
echo "dptrain: error: /nowhere/data.h5: no such file"
echo "mpirun detected that one or more processes exited with non-zero status" >&2
exit 1
EOF
# A Python without site packages: no matplotlib there.
printf '#!/bin/sh\nexec %s -S "$@"\n' "$python" > "$work/bin/python-without-matplotlib"
chmod +x "$work/bin/"*
export PATH=$work/bin:$PATH

error_line='^(scaling-study|plot-training): error: '

# --- scaling-study.sh plan: bad arguments --------------------------------------------------
s=$work/plan-study
plan=("$study_tool" plan --study "$s")
expect_error "--nodes 1,x" "--nodes" "$s" -- "${plan[@]}" --nodes 1,x
expect_error "--nodes ''" "--nodes" "$s" -- "${plan[@]}" --nodes ''
expect_error "--nodes 1,,2" "empty item" "$s" -- "${plan[@]}" --nodes 1,,2
expect_error "--nodes 1.5" "not a whole number" "$s" -- "${plan[@]}" --nodes 1.5
expect_error "--nodes 0" "at least 1" "$s" -- "${plan[@]}" --nodes 0
for layout in x8 24x8x2 24x8, 24x; do
  expect_error "--layouts $layout" "--layouts" "$s" -- "${plan[@]}" --layouts "$layout"
done
expect_error "--layouts 300x1" "more than --cores-per-node 192" "$s" -- \
  "${plan[@]}" --layouts 300x1 --cores-per-node 192
for option in --cores-per-node --global-batch --batch-per-rank --epochs; do
  expect_error "$option 0" "argument $option: '0' must be at least 1" "$s" -- "${plan[@]}" "$option" 0
done
expect_error "--global-batch below the ranks" "--global-batch 10 is smaller" "$s" -- \
  "${plan[@]}" --global-batch 10
expect_error "--model ''" "--model" "$s" -- "${plan[@]}" --model ''
expect_error "--model small-cnn," "empty item" "$s" -- "${plan[@]}" --model small-cnn,
expect_error "--model unknown" "unknown model resnet (known: quickstart-mlp" "$s" -- \
  "${plan[@]}" --model resnet
expect_error "--study ''" "--study" "" -- "$study_tool" plan --study ''
# A bad argument is one line in all (no usage block before it), pointing at --help.
for tool in "$study_tool plan --study $work/x --nodes 0" "$python $plot --bogus"; do
  out=$($tool 2>&1)
  if [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q 'error: .*(see .* --help)$' <<<"$out"
  then pass "one line for a bad argument: $out"; else fail "bad argument to ${tool%% *}"; echo "$out"; fi
done
touch "$work/a-file"
expect_error "--study a file" "a-file: not a directory" "" -- \
  "$study_tool" plan --study "$work/a-file"
expect_error "--study unwritable" "cannot create it" "" -- \
  "$study_tool" plan --study /sys/dptrain-study
expect_error "submit without a plan" "nope/plan.json: no plan there" "$work/nope" -- \
  "$study_tool" submit --study "$work/nope"
expect_error "report without a plan" "nope/plan.json: no plan there" "$work/nope" -- \
  "$study_tool" report --study "$work/nope"
mkdir -p "$work/corrupt" && printf '{"runs": [' > "$work/corrupt/plan.json"
expect_error "corrupt plan.json" "corrupt/plan.json: not a plan" "$work/corrupt/runs" -- \
  "$study_tool" submit --study "$work/corrupt"
printf '{"runs": [{"id": "x"}]}' > "$work/corrupt/plan.json"
expect_error "plan.json with a bad run" "run 1 is not a planned run" "$work/corrupt/runs" -- \
  "$study_tool" report --study "$work/corrupt"
# A hand-edited plan: an unknown model, a series that is not a name.
"$study_tool" plan --study "$work/edited" --nodes 1 --layouts 1x1 --cores-per-node 2 --model quickstart-mlp >/dev/null
sed -i 's/"model": "quickstart-mlp"/"model": "resnet"/' "$work/edited/plan.json"
expect_error "plan.json with an unknown model" "run 1: unknown model 'resnet'" "$work/edited/runs.csv" -- \
  "$study_tool" report --study "$work/edited"
"$study_tool" plan --study "$work/edited2" --nodes 1 --layouts 1x1 --cores-per-node 2 --model quickstart-mlp >/dev/null
"$python" - "$work/edited2/plan.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
plan["runs"][0]["series"] = [1]
json.dump(plan, open(sys.argv[1], "w"))
PY
expect_error "plan.json with a series that is not a name" "run 1: id, model and series (names) have the wrong types" \
  "$work/edited2/runs.csv" -- "$study_tool" report --study "$work/edited2"

# Planning and --help need no matplotlib.
if out=$(DPTRAIN_PYTHON=python-without-matplotlib "$study_tool" --help 2>&1) \
   && out=$(DPTRAIN_PYTHON=python-without-matplotlib "$study_tool" plan --study "$work/nompl" 2>&1)
then pass "--help and plan without matplotlib"; else fail "--help or plan without matplotlib"; echo "$out"; fi
expect_error "report without matplotlib" "install matplotlib" "$work/nompl/runs.csv" -- \
  env DPTRAIN_PYTHON=python-without-matplotlib "$study_tool" report --study "$work/nompl"

# --- submit: sbatch refuses the third job --------------------------------------------------
s=$work/submit-study
"$study_tool" plan --study "$s" --nodes 1,2 --layouts 1x1,2x1 --cores-per-node 2 \
  --global-batch 128 --model quickstart-mlp >/dev/null
echo 2 > "$work/fake/sbatch-accepts" && : > "$work/fake/sbatch-calls"
expect_error "sbatch refuses a job" "sbatch failed (exit 1): sbatch: error: QOSMaxSubmitJobPerUserLimit" "" -- \
  "$study_tool" submit --study "$s"
if [ "$("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$s/jobs.json" 2>&1)" = 2 ]
then pass "jobs.json keeps the 2 jobs submitted before the refusal"
else fail "jobs.json after the refusal: $(cat "$s/jobs.json" 2>&1)"; fi
echo 10 > "$work/fake/sbatch-accepts"
out=$("$study_tool" submit --study "$s" 2>&1)
if [ $? -eq 0 ] && [ "$(grep -c 'skipped, already has job' <<<"$out")" -eq 2 ] \
   && [ "$(wc -l < "$work/fake/sbatch-calls")" -eq 4 ] \
   && [ "$("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$s/jobs.json")" = 4 ]
then pass "a second submit starts only the 2 runs without a job"
else fail "second submit"; echo "$out"; cat "$work/fake/sbatch-calls"; fi
# Re-planning a study whose runs have jobs: the same plan (or more runs) is fine, a plan that
# would make a started run differently is refused and leaves plan.json as it was.
cp "$s/plan.json" "$work/plan-before.json"
expect_error "re-plan with other --epochs" "already has job 10.* made with --epochs 2" "" -- \
  "$study_tool" plan --study "$s" --nodes 1,2 --layouts 1x1,2x1 --cores-per-node 2 \
  --global-batch 128 --model quickstart-mlp --epochs 5
expect_error "re-plan with other --train-args" "made with --epochs 2 --train-args ''" "" -- \
  "$study_tool" plan --study "$s" --nodes 1,2 --layouts 1x1,2x1 --cores-per-node 2 \
  --global-batch 128 --model quickstart-mlp --train-args=--lr=0.1
if cmp -s "$s/plan.json" "$work/plan-before.json" \
   && "$study_tool" plan --study "$s" --nodes 1,2,4 --layouts 1x1,2x1 --cores-per-node 2 \
      --global-batch 128 --model quickstart-mlp >/dev/null
then pass "a refused re-plan keeps plan.json; a plan with more node counts is accepted"
else fail "re-plan of a started study"; fi

# --- squeue failing: a few tries, then one line; a passing failure is waited out ------------
echo 100 > "$work/fake/squeue-fails"
expect_error "squeue keeps failing" "squeue failed .*Unable to contact slurm controller" "" -- \
  "$study_tool" submit --study "$s" --wait
# A bad pause is refused before anything is submitted: no job, no jobs.json.
"$study_tool" plan --study "$work/pause-study" --nodes 1 --layouts 1x1 --cores-per-node 2 \
  --model quickstart-mlp >/dev/null
: > "$work/fake/sbatch-calls"
expect_error "a pause between squeue tries that is not a number" "SCALING_STUDY_SQUEUE_PAUSE=abc: expected seconds" \
  "$work/pause-study/jobs.json" -- env SCALING_STUDY_SQUEUE_PAUSE=abc "$study_tool" submit --study "$work/pause-study" --wait
if [ ! -s "$work/fake/sbatch-calls" ]; then pass "no job submitted with a bad pause"
else fail "jobs submitted before the bad pause was refused"; fi
echo 2 > "$work/fake/squeue-fails"
if out=$("$study_tool" submit --study "$s" --wait 2>&1)
then pass "squeue failing twice is waited out"; else fail "squeue failing twice"; echo "$out"; fi

# --- mpirun: the run's own error line ------------------------------------------------------
s=$work/local-study
"$study_tool" plan --study "$s" --nodes 1 --layouts 1x1 --cores-per-node 2 --global-batch 128 \
  --model quickstart-mlp >/dev/null
expect_error "a local run fails" "mpirun failed (exit 1): dptrain: error: /nowhere/data.h5: no such file" \
  "$s/jobs.json" -- "$study_tool" submit --study "$s" --launcher mpirun
expect_error "a local run of a missing program" "--binary $work/none/dptrain: no such program" \
  "$s/jobs.json" -- "$study_tool" submit --study "$s" --launcher mpirun --binary "$work/none/dptrain"

# --- report: damaged runs are left out, bad assumptions leave the outputs alone -------------
# write_metrics FILE RANKS BATCH: two epochs and a summary, in dptrain's format.
write_metrics() {
  local file=$1 ranks=$2 batch=$3 epoch
  mkdir -p "$(dirname "$file")"
  : > "$file"
  for epoch in 1 2; do
    printf '{"allreduce_seconds":%s,"epoch":%d,"epoch_seconds":%s,"learning_rate":0.01,"samples":6000,"samples_per_second":4000,"slowest_rank":0,"steps":%d,"test_accuracy":0.%d,"test_loss":1.%d,"train_loss":1.%d}\n' \
      "0.0$ranks" "$epoch" "$(awk -v r="$ranks" -v b="$batch" 'BEGIN { print 2 / r + 60 / b }')" \
      $((6000 / (ranks * batch))) $((5 + epoch)) $((5 - epoch)) $((6 - epoch)) >> "$file"
  done
  printf '{"device":"cpu","epochs":2,"final_test_accuracy":0.7,"final_test_loss":1.3,"global_batch":%d,"model":"quickstart-mlp","ranks":%d,"summary":true,"threads":1}\n' \
    $((ranks * batch)) "$ranks" >> "$file"
}
fake_study() {  # fake_study DIR: the 4 runs of a 1- and 2-node study, all finished
  "$study_tool" plan --study "$1" --nodes 1,2 --layouts 1x1,2x1 --cores-per-node 2 \
    --global-batch 128 --batch-per-rank 64 --model quickstart-mlp >/dev/null
  write_metrics "$1/runs/quickstart-mlp-n1-1x1-b128/metrics.jsonl" 1 128
  write_metrics "$1/runs/quickstart-mlp-n1-1x1-b64/metrics.jsonl" 1 64
  write_metrics "$1/runs/quickstart-mlp-n2-1x1-b64/metrics.jsonl" 2 64
  write_metrics "$1/runs/quickstart-mlp-n1-2x1-b64/metrics.jsonl" 2 64
}
outputs="runs.csv tables.md strong.png weak.png model.md model.json model.png"

# The reports draw with matplotlib, which scripts/test.sh installs (python3-matplotlib).
"$python" -c 'import matplotlib' 2>/dev/null || fail "$python has no matplotlib: the report checks cannot run"
# damage NAME COMMAND: COMMAND spoils $m, the metrics of the 2x1 layout run.
damage() {
  local name=$1 s=$work/damaged-$2; shift 2
  fake_study "$s"
  m=$s/runs/quickstart-mlp-n1-2x1-b64/metrics.jsonl
  "$@"
  local out status
  out=$("$study_tool" report --study "$s" 2>&1); status=$?
  if [ $status -eq 0 ] && ! grep -q Traceback <<<"$out" \
     && [ "$(grep -c '^scaling-study: warning: .*n1-2x1-b64/metrics.jsonl: .*left out' <<<"$out")" -eq 1 ] \
     && grep -q 'Strong scaling' "$s/tables.md" \
     && [ "$(tail -n +2 "$s/runs.csv" | wc -l)" -eq 3 ] && [ -s "$s/strong.png" ] && [ -s "$s/model.md" ]
  then pass "report with $name -> $(grep warning <<<"$out")"
  else fail "report with $name (exit $status)"; echo "$out" | tail -5; fi
}
no_summary() { sed -i '$d' "$m"; }
cut_short() { head -c 300 "$m" > "$m.part" && mv "$m.part" "$m"; }
not_object() { sed -i '1s/.*/[1, 2]/' "$m"; }
zero_seconds() { sed -i 's/"epoch_seconds":[0-9.]*/"epoch_seconds":0/' "$m"; }
directory() { rm "$m" && mkdir "$m"; }
other_ranks() { sed -i 's/"ranks":2/"ranks":3/' "$m"; }
all_waiting() { sed -i 's/"allreduce_seconds":[0-9.]*,\(.*\)"epoch_seconds":\([0-9.]*\)/"allreduce_seconds":\2,\1"epoch_seconds":\2/' "$m"; }
deeply_nested() { "$python" -c 'print("[" * 100000 + "]" * 100000)' >> "$m"; }
damage "no summary line" summary no_summary
damage "truncated JSON" cut cut_short
damage "a line that is not an object" object not_object
damage "epoch_seconds 0" zero zero_seconds
damage "a directory for metrics.jsonl" directory directory
damage "a rank-count mismatch" ranks other_ranks
damage "all of an epoch spent waiting for the sums" waiting all_waiting
damage "a line nested past Python's stack" nested deeply_nested

s=$work/none-usable
fake_study "$s"
for m in "$s"/runs/*/metrics.jsonl; do sed -i '$d' "$m"; done
expect_error "report with no usable run" "no run has usable metrics" "$s/runs.csv" -- \
  "$study_tool" report --study "$s"

# Bad assumptions: refused before anything is written, so the earlier report stays whole.
s=$work/assumed
fake_study "$s"
"$study_tool" report --study "$s" >/dev/null 2>&1 || fail "report of the fake study"
before=$(cd "$s" && md5sum $outputs 2>&1)
sed 's/"network_latency_s"/"latency"/' "$source_dir/scripts/scaling/trillium.json" > "$work/no-key.json"
write_metrics "$s/runs/quickstart-mlp-n1-2x1-b64/metrics.jsonl" 2 32  # a changed run
expect_error "--assumptions missing" "--assumptions $work/none.json: no such file" "" -- \
  "$study_tool" report --study "$s" --assumptions "$work/none.json"
expect_error "--assumptions without a key" "network_latency_s is missing" "" -- \
  "$study_tool" report --study "$s" --assumptions "$work/no-key.json"
if [ "$(cd "$s" && md5sum $outputs 2>&1)" = "$before" ]
then pass "the earlier report is untouched"; else fail "the earlier report changed"; fi
# The model predicts with the plan's batch per rank, whatever the report is given.
s=$work/planned-batch
fake_study "$s"
"$study_tool" report --study "$s" --batch-per-rank 16 >/dev/null 2>&1 || fail "report of the fake study"
if "$python" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["batch_per_rank"] != 64)' "$s/model.json"
then pass "report models the plan's batch per rank (64), not --batch-per-rank 16"
else fail "report modelled --batch-per-rank instead of the plan's"; fi

# --- plot-training.py ----------------------------------------------------------------------
good=$work/good.jsonl
write_metrics "$good" 1 64
plot_training=("$python" "$plot")
expect_error "--output ''" "--output is empty" "" -- "${plot_training[@]}" "$good" --output ''
mkdir -p "$work/pictures"
expect_error "--output a directory" "is a directory" "" -- "${plot_training[@]}" "$good" --output "$work/pictures"
expect_error "--output ending in /" "is a directory" "$work/new" -- "${plot_training[@]}" "$good" --output "$work/new/"
# (A named pipe stands in for /dev/null: a failure here must not replace the real one.)
mkfifo "$work/pipe.png"
expect_error "--output a named pipe" "pipe.png: exists and is not a regular file" "" -- \
  "${plot_training[@]}" "$good" --output "$work/pipe.png"
if [ -p "$work/pipe.png" ]; then pass "the named pipe is still one"; else fail "--output replaced a named pipe"; fi
rm -f "$work/pipe.png"
expect_error "--output unwritable" "cannot write it" "" -- "${plot_training[@]}" "$good" --output /sys/dptrain-test.png
bad_line() {  # bad_line NAME PATTERN LINE: a metrics file whose second epoch is LINE
  head -n 1 "$good" > "$work/bad.jsonl" && echo "$3" >> "$work/bad.jsonl"
  expect_error "plot-training: $1" "$2" "$work/bad.png" -- \
    "${plot_training[@]}" "$work/bad.jsonl" --output "$work/bad.png"
}
bad_line "a line that is not an object" "bad.jsonl: line 2 is not a JSON object" '[1, 2]'
bad_line "a line nested past Python's stack" "bad.jsonl: line 2 is not JSON" \
  "$("$python" -c 'print("[" * 100000 + "]" * 100000)')"
bad_line '"epoch":"2"' 'bad.jsonl: line 2: epoch is "2", not a number' \
  '{"epoch":"2","train_loss":1,"test_loss":1,"test_accuracy":0.5}'
bad_line '"test_accuracy":null' "bad.jsonl: line 2: test_accuracy is null" \
  '{"epoch":2,"train_loss":1,"test_loss":1,"test_accuracy":null}'
bad_line '"test_accuracy":"a"' 'bad.jsonl: line 2: test_accuracy is "a"' \
  '{"epoch":2,"train_loss":1,"test_loss":1,"test_accuracy":"a"}'
bad_line '"train_loss":"a"' 'bad.jsonl: line 2: train_loss is "a"' \
  '{"epoch":2,"train_loss":"a","test_loss":1,"test_accuracy":0.5}'
expect_error "plot-training without matplotlib" "/usr/bin/python3.*install matplotlib" "$work/bad.png" -- \
  python-without-matplotlib "$plot" "$good" --output "$work/bad.png"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
