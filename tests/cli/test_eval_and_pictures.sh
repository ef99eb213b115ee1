#!/usr/bin/env bash
# Looking at results: `dptrain eval` and `dptrain show` on a tiny trained run, and
# scripts/plot-training.py on its metrics. Every PNG decodes with the expected size and content;
# eval's numbers agree with each other and with the test labels; every bad input gives exactly
# one "dptrain: error:" line naming the file, a non-zero exit, and no output.
# Usage: test_eval_and_pictures.sh DPTRAIN MAKE_FIXTURES PNG_CHECK MPIEXEC SOURCE_DIR
set -u
dptrain=$1 make_fixtures=$2 png_check=$3 mpiexec=$4 source_dir=$5
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$make_fixtures" "$work" || { echo "cannot write fixtures"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"

check_png() {
  local name=$1; shift
  if report=$("$png_check" "$@"); then pass "$name: $report"; else fail "$name: $report"; fi
}

# A tiny run: 12 training images, 5 test images whose labels are 0, 1, 2, 3, 4 (make_fixtures).
"$dptrain" convert --input "$work/good" --output "$work/good.h5" >/dev/null || fail "convert"
"$dptrain" train --data "$work/good.h5" --epochs 3 --batch-size 4 --lr 0.05 --threads 1 \
  --metrics "$work/ranks-1.jsonl" --out-dir "$work/run" >/dev/null || fail "train 1 rank"
"$mpiexec" -n 2 "$dptrain" train --data "$work/good.h5" --epochs 3 --batch-size 2 --lr 0.05 \
  --threads 1 --metrics "$work/ranks-2.jsonl" >/dev/null || fail "train 2 ranks"

# eval: text on stdout, confusion.json and confusion.png in --out-dir.
if out=$("$dptrain" eval --data "$work/good.h5" --checkpoint "$work/run" --out-dir "$work/eval" 2>&1)
then pass "eval"; else fail "eval"; echo "$out"; fi
echo "$out"
grep -q "model quickstart-mlp from $work/run/model.pt" <<<"$out" \
  || fail "eval does not name the model read from config.toml and the checkpoint"
grep -q '^test accuracy [0-9.]*% ([0-5] of 5)$' <<<"$out" || fail "eval prints no test accuracy"
for name in T-shirt/top Trouser Pullover Dress Coat Sandal Shirt Sneaker Bag "Ankle boot"; do
  grep -q "^  $name " <<<"$out" || fail "per-class accuracy lacks $name"
done
grep -q '^confusion matrix (rows: true class' <<<"$out" || fail "eval prints no confusion matrix"

# The JSON agrees with the labels (rows sum to the per-class test counts), with itself
# (trace / total = accuracy) and with the text (same correct count).
printed_correct=$(sed -n 's/^test accuracy .* (\([0-9]*\) of 5)$/\1/p' <<<"$out")
if "$python" - "$work/eval/confusion.json" "$printed_correct" "$work/ranks-1.jsonl" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
m = j["matrix"]
assert len(m) == 10 and all(len(row) == 10 for row in m), "matrix is not 10x10"
assert [sum(row) for row in m] == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [sum(r) for r in m]
trace = sum(m[i][i] for i in range(10))
assert j["samples"] == 5 and j["correct"] == trace, (j["samples"], j["correct"], trace)
assert abs(j["accuracy"] - trace / 5) < 1e-12, j["accuracy"]
assert trace == int(sys.argv[2]), ("text says", sys.argv[2], "json says", trace)
for c in range(10):
    expected = m[c][c] / sum(m[c]) if sum(m[c]) else None
    assert j["per_class_accuracy"][c] == expected, (c, j["per_class_accuracy"][c])
assert j["classes"][9] == "Ankle boot" and j["model"] == "quickstart-mlp"
# The training run evaluated the same parameters at its end.
summary = [json.loads(l) for l in open(sys.argv[3]) if '"summary"' in l][-1]
assert abs(summary["final_test_accuracy"] - j["accuracy"]) < 1e-9, (summary, j["accuracy"])
PY
then pass "confusion.json agrees with the labels, the text and the training run"
else fail "confusion.json"; cat "$work/eval/confusion.json"; fi
check_png "confusion.png" "$work/eval/confusion.png" heatmap
[ -z "$(find "$work/eval" -name '.*')" ] || fail "eval left hidden files in its out-dir"

# A run of another model: eval finds its name in the run's config.toml.
"$dptrain" train --data "$work/good.h5" --model small-cnn --epochs 1 --batch-size 4 --threads 1 \
  --out-dir "$work/cnn" >/dev/null || fail "train small-cnn"
cnn=$("$dptrain" eval --data "$work/good.h5" --checkpoint "$work/cnn/model.pt" 2>&1)
if grep -q "model small-cnn from $work/cnn/model.pt" <<<"$cnn"
then pass "eval reads the model name from config.toml"; else fail "eval of small-cnn run"; echo "$cnn"; fi

# Its training checkpoints: eval takes the model from the checkpoint and, given the directory,
# the newest intact one; the last checkpoint holds the parameters model.pt holds.
ck=$work/cnn/ck
"$dptrain" train --data "$work/good.h5" --model small-cnn --epochs 1 --batch-size 4 --threads 1 \
  --checkpoint-dir "$ck" --checkpoint-every 1epochs >/dev/null || fail "train small-cnn with checkpoints"
head -c 100 "$ck/ckpt-e0001-s00000000.dpt" > "$ck/ckpt-e0002-s00000000.dpt"
mkdir "$ck/ckpt-e0003-s00000000.dpt"  # not even a file
from_dir=$("$dptrain" eval --data "$work/good.h5" --checkpoint "$ck" 2>"$work/ck.err")
if grep -q "model small-cnn from $ck/ckpt-e0001-s00000000.dpt" <<<"$from_dir" \
  && grep -q "^dptrain: warning: skipped damaged checkpoint(s): $ck/ckpt-e0003-s00000000.dpt: is a directory, not a file; $ck/ckpt-e0002-s00000000.dpt" "$work/ck.err" \
  && [ "$(grep '^test accuracy' <<<"$from_dir")" = "$(grep '^test accuracy' <<<"$cnn")" ]
then pass "eval of a checkpoint directory: newest intact checkpoint, its model, model.pt's accuracy"
else fail "eval of a checkpoint directory"; echo "$from_dir"; cat "$work/ck.err"; fi
# (Built as the default quickstart-mlp, the CNN's parameters would not load.)
if out=$("$dptrain" show --data "$work/good.h5" --checkpoint "$ck/ckpt-e0001-s00000000.dpt" \
  --output "$work/ck.png" 2>&1)
then pass "show takes the model from a .dpt checkpoint"; else fail "show of a .dpt checkpoint"; echo "$out"; fi

# show: the sprite; the count is cut at the end of /test, misclassified ones agree with eval.
if show=$("$dptrain" show --data "$work/good.h5" --checkpoint "$work/run/model.pt" \
            --output "$work/pictures/sprite.png" 2>&1)
then pass "show: $show"; else fail "show"; echo "$show"; fi
grep -q "5 test images, $((5 - printed_correct)) misclassified" <<<"$show" \
  || fail "show's misclassified count disagrees with eval's accuracy"
check_png "sprite.png" "$work/pictures/sprite.png" sprite 5
if "$dptrain" show --data "$work/good.h5" --checkpoint "$work/run" --first 3 --count 2 \
     --output "$work/two.png" >/dev/null
then check_png "sprite of 2" "$work/two.png" sprite 2; else fail "show --first 3 --count 2"; fi

# plot-training.py: 1 vs 2 ranks into one PNG.
if plot=$("$python" "$source_dir/scripts/plot-training.py" "$work/ranks-1.jsonl" "$work/ranks-2.jsonl" \
            --output "$work/training.png" 2>&1)
then pass "plot-training: $plot"; else fail "plot-training"; echo "$plot"; fi
check_png "training.png" "$work/training.png" 1100x440
plot_error=$("$python" "$source_dir/scripts/plot-training.py" "$work/good.h5" --output "$work/bad.png" 2>&1)
if [ $? -ne 0 ] && [ "$(grep -c '^plot-training: error: .*good.h5' <<<"$plot_error")" -eq 1 ] \
   && [ ! -e "$work/bad.png" ]
then pass "plot-training on a non-metrics file -> $plot_error"
else fail "plot-training on a non-metrics file: $plot_error"; fi

cp "$work/ranks-1.jsonl" "$work/precious.jsonl"
plot_error=$("$python" "$source_dir/scripts/plot-training.py" "$work/precious.jsonl" --output "$work/precious.jsonl" 2>&1)
if [ $? -ne 0 ] && grep -q '^plot-training: error: .*precious.jsonl: given as both a metrics file and --output' <<<"$plot_error" \
   && cmp -s "$work/precious.jsonl" "$work/ranks-1.jsonl"
then pass "plot-training onto its own input refused -> $plot_error"
else fail "plot-training onto its own input: $plot_error"; fi
if plot=$("$python" "$source_dir/scripts/plot-training.py" "$work/ranks-1.jsonl" --title 'cost in $ per $epoch' \
            --output "$work/dollar.png" 2>&1)
then pass "plot-training: a title with dollar signs"; else fail "plot-training, title with dollar signs: $plot"; fi

# Bad input.
printf 'this is not a checkpoint\n' > "$work/text.pt"
mkdir -p "$work/othermodel" && cp "$work/run/model.pt" "$work/othermodel/" \
  && printf 'model="nope"\n' > "$work/othermodel/config.toml"
ev=("$dptrain" eval --out-dir "$work/evalbad")
expect_error "eval: missing checkpoint" "$work/absent: no such checkpoint" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/absent"
mkdir -p "$work/emptydir"
expect_error "eval: directory without a checkpoint" "$work/emptydir/model.pt: no such checkpoint" \
  "$work/evalbad" -- "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/emptydir"
expect_error "eval: checkpoint of another model" \
  "$work/run/model.pt: not a checkpoint of model 'wide-mlp'" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/run" --model wide-mlp
expect_error "eval: checkpoint of a CNN" "not a checkpoint of model 'small-cnn'" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/run" --model small-cnn
expect_error "eval: the dataset as --checkpoint" "$work/good.h5: an HDF5 dataset, not a model" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/good.h5"
expect_error "eval: not a checkpoint" "$work/text.pt: not a checkpoint" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/text.pt"
expect_error "eval: unknown model in config.toml" "othermodel/config.toml: unknown model 'nope'" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/othermodel"
expect_error "eval: HDF5 without /test" "trainonly.h5: missing dataset /test/images" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/trainonly.h5" --checkpoint "$work/run"
expect_error "eval: missing data" "$work/absent.h5: no such file" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/absent.h5" --checkpoint "$work/run"
expect_error "eval: not HDF5" "text.h5: not an HDF5 file" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/text.h5" --checkpoint "$work/run"
expect_error "eval: --model ''" "--model: an empty model name" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/run" --model ''
# An --out-dir that cannot be made (a file in the way, /proc): refused before the test split is scored.
touch "$work/a-file"
expect_error "eval: --out-dir under a file" "--out-dir $work/a-file/sub: cannot create the directory" "" -- \
  "$dptrain" eval --data "$work/good.h5" --checkpoint "$work/run" --out-dir "$work/a-file/sub"
for place in "$work/a-file" /proc/dptrain-eval; do
  expect_error "eval: --out-dir $place refused" "--out-dir $place: cannot create the directory" "" -- \
    "$dptrain" eval --data "$work/good.h5" --checkpoint "$work/run" --out-dir "$place"
  if "$dptrain" eval --data "$work/good.h5" --checkpoint "$work/run" --out-dir "$place" 2>&1 | grep -q '^# dptrain eval'
  then fail "eval scored the model before refusing --out-dir $place"; else pass "eval: --out-dir $place refused before scoring"; fi
done
# --threads as train checks it (thousands of threads took minutes before any error).
expect_error "eval: thousands of threads" "--threads must be from 1 to 1024 (got 5000)" "$work/evalbad" -- \
  "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/run" --threads 5000
expect_error "eval: threads from SLURM_CPUS_PER_TASK" \
  "--threads must be from 1 to 1024 (got 5000, the default from SLURM_CPUS_PER_TASK=5000)" "$work/evalbad" -- \
  env SLURM_CPUS_PER_TASK=5000 "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/run"
sh=("$dptrain" show --output "$work/bad/sprite.png")
expect_error "show: no threads" "--threads must be from 1 to 1024 (got 0)" "$work/bad" -- \
  "${sh[@]}" --data "$work/good.h5" --checkpoint "$work/run" --threads 0
expect_error "show: missing checkpoint" "$work/none.pt: no such checkpoint" "$work/bad" -- \
  "${sh[@]}" --data "$work/good.h5" --checkpoint "$work/none.pt"
expect_error "show: checkpoint of another model" "not a checkpoint of model 'wide-mlp'" "$work/bad" -- \
  "${sh[@]}" --data "$work/good.h5" --checkpoint "$work/run" --model wide-mlp
expect_error "show: HDF5 without /test" "trainonly.h5: missing dataset /test/images" "$work/bad" -- \
  "${sh[@]}" --data "$work/trainonly.h5" --checkpoint "$work/run"
expect_error "show: first past the end" "good.h5: /test has 5 samples, --first 5 is past its end" \
  "$work/bad" -- "${sh[@]}" --data "$work/good.h5" --checkpoint "$work/run" --first 5
expect_error "show: count 0" "--count" "$work/bad" -- \
  "${sh[@]}" --data "$work/good.h5" --checkpoint "$work/run" --count 0
# A disk that fills between confusion.json and confusion.png (a file size limit of 8 KiB stands
# in for it): neither is left, as a JSON file alone would look like a whole result.
expect_error "eval onto a disk that fills" "fulleval/confusion.png: cannot write PNG" "$work/fulleval/confusion.json" -- \
  bash -c 'trap "" XFSZ; ulimit -f 8; exec "$@"' limit "${ev[@]/evalbad/fulleval}" --data "$work/good.h5" --checkpoint "$work/run"
expect_error "show to an empty file name" "--output: an empty file name" "" -- \
  "$dptrain" show --data "$work/good.h5" --checkpoint "$work/run" --output ""
cp "$work/run/config.toml" "$work/config-before.toml"
expect_error "show onto the run's config.toml" "config.toml: given as both --checkpoint's config.toml and --output" "" -- \
  "$dptrain" show --data "$work/good.h5" --checkpoint "$work/run" --output "$work/run/config.toml"
cmp -s "$work/run/config.toml" "$work/config-before.toml" || fail "show replaced the run's config.toml"
cp "$work/good.h5" "$work/precious.h5"
expect_error "show onto the --data file" "precious.h5: given as both --data and --output" "" -- \
  "$dptrain" show --data "$work/precious.h5" --checkpoint "$work/run" --output "$work/precious.h5"
cmp -s "$work/precious.h5" "$work/good.h5" || fail "show onto the --data file changed it"
mkfifo "$work/pipe.png"
expect_error "show onto a FIFO" "$work/pipe.png: exists and is not a regular file" "" -- \
  "$dptrain" show --data "$work/good.h5" --checkpoint "$work/run" --output "$work/pipe.png"
[ -p "$work/pipe.png" ] || fail "show replaced a FIFO by a file"
mkdir -p "$work/alldamaged"
head -c 100 "$ck/ckpt-e0001-s00000000.dpt" > "$work/alldamaged/ckpt-e0001-s00000000.dpt"
expect_error "eval: no intact checkpoint" \
  "$work/alldamaged: no model.pt and no intact checkpoint (skipped damaged checkpoint(s): " \
  "$work/evalbad" -- "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/alldamaged"
# A model.pt whose code section LibTorch cannot parse: one line, not LibTorch's annotated dump.
mkdir -p "$work/badcode"
"$python" - "$work/run/model.pt" "$work/badcode/model.pt" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as good, zipfile.ZipFile(sys.argv[2], "w") as bad:
    for info in good.infolist():
        data = good.read(info.filename)
        if "/code/__torch__/" in info.filename and info.filename.endswith(".py"):
            data = data.replace(b"__parameters__", b"__p`rameters__", 1)
        bad.writestr(info, data)
PY
expect_error "eval: a model.pt with damaged code" "$work/badcode/model.pt: damaged, or not a model file" \
  "$work/evalbad" -- "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/badcode/model.pt"
# One flipped bit in a weight: LibTorch alone would load it as another weight.
mkdir -p "$work/flipped"
"$python" - "$work/run/model.pt" "$work/flipped/model.pt" <<'PY'
import sys, zipfile
data = bytearray(open(sys.argv[1], "rb").read())
largest = max(zipfile.ZipFile(sys.argv[1]).infolist(), key=lambda r: r.file_size)
data[largest.header_offset + 30 + len(largest.filename) + len(largest.extra) + 1000] ^= 0x04
open(sys.argv[2], "wb").write(data)
PY
expect_error "eval: a model.pt with a flipped bit" "$work/flipped/model.pt: damaged: record .*fails its CRC-32" \
  "$work/evalbad" -- "${ev[@]}" --data "$work/good.h5" --checkpoint "$work/flipped/model.pt"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
