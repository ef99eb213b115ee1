"""scripts/scaling-study.sh's report and model against studies whose runs follow a known law:
a step takes (A + S * batch) / speedup(threads, SIGMA) + the wait for the sums, so what the fit
should find, and what the model should predict for the measured layouts, is known.
Also: the report's files change together or not at all; plans and jobs that would fail later.
Usage: test_scaling_model.py SOURCE_DIR (run by ctest with Debian's python3 and matplotlib)."""

import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SOURCE = Path(sys.argv.pop(1)).resolve()
STUDY_TOOL = SOURCE / "scripts" / "scaling-study.sh"
ASSUMED_SIGMA = json.loads((SOURCE / "scripts/scaling/trillium.json").read_text())[
    "serial_fraction_if_unmeasured"]["value"]
SAMPLES = 60000


def study_tool(*args, env=None):
    """(exit status, stdout + stderr) of scaling-study.sh."""
    result = subprocess.run([str(STUDY_TOOL), *args], capture_output=True, text=True,
                            env=dict(os.environ, DPTRAIN_PYTHON=sys.executable, **(env or {})))
    return result.returncode, result.stdout + result.stderr


def write_metrics(study, a, s, sigma, wait, epochs=2):
    """Every planned run's metrics, as dptrain writes them, following the law above."""
    plan = json.loads((study / "plan.json").read_text())
    for run in plan["runs"]:
        ranks = run["nodes"] * run["ranks_per_node"]
        batch, threads = run["batch_per_rank"], run["threads"]
        speedup = 1 / (sigma + (1 - sigma) / threads)
        waiting = wait if ranks > 1 else 0.0
        step = (a + s * batch) / speedup + waiting
        steps = math.ceil(SAMPLES / ranks / batch)
        out = study / "runs" / run["id"]
        out.mkdir(parents=True, exist_ok=True)
        lines = [{"epoch": e, "epoch_seconds": step * steps, "allreduce_seconds": waiting * steps,
                  "steps": steps, "samples": SAMPLES, "test_accuracy": 0.5}
                 for e in range(1, epochs + 1)]
        lines.append({"summary": True, "model": run["model"], "ranks": ranks, "threads": threads,
                      "global_batch": ranks * batch, "epochs": epochs, "final_test_accuracy": 0.5})
        (out / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def strict_json(path):
    """JSON as other tools read it: Infinity and NaN are not JSON."""
    def refuse(name):
        raise ValueError(f"{path}: {name} is not JSON")
    return json.loads(Path(path).read_text(), parse_constant=refuse)


class ScalingModel(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.study = Path(self.scratch.name) / "study"

    def tearDown(self):
        self.scratch.cleanup()

    def plan(self, *args):
        status, out = study_tool("plan", "--study", str(self.study), *args)
        self.assertEqual(status, 0, out)

    def plan_small(self, layouts="1x1"):
        """quickstart-mlp on 1 and 2 nodes of 2 cores, a global batch of 128."""
        self.plan("--nodes", "1,2", "--layouts", layouts, "--cores-per-node", "2",
                  "--global-batch", "128", "--model", "quickstart-mlp")

    def report(self):
        status, out = study_tool("report", "--study", str(self.study))
        self.assertEqual(status, 0, out)
        return strict_json(self.study / "model.json"), (self.study / "model.md").read_text()

    def test_layouts_of_8_threads_alone_predict_what_they_measured(self):
        # The default --layouts 24x8 has no 1-thread run: the model's 1-thread compute comes
        # from 8 threads, and must give back the 1-node throughput that was measured.
        self.plan("--nodes", "1,2", "--layouts", "24x8", "--model", "small-cnn")
        write_metrics(self.study, a=0.001, s=0.0004, sigma=ASSUMED_SIGMA, wait=0.0005)
        model, text = self.report()
        weak = next(r for r in model["this_machine"] if r["nodes"] == 1)
        step = (0.001 + 0.0004 * 64) / (1 / (ASSUMED_SIGMA + (1 - ASSUMED_SIGMA) / 8)) + 0.0005
        measured = 24 * 64 / step
        self.assertAlmostEqual(weak["weak_samples_per_second"] / measured, 1.0, delta=0.02)
        self.assertAlmostEqual(model["workload"]["compute_per_sample_s"], 0.0004, delta=0.00001)
        self.assertIn("| compute, 1 thread |", text)
        self.assertIn("8 threads' times their speedup", text)

    def test_serial_fraction_is_measured_at_the_two_thread_runs_batch(self):
        # 1x2 runs at 128 samples per rank, 1x1 at 64 and 128: sigma 0.3, whatever the batch
        # the model predicts with.
        self.plan("--nodes", "1", "--layouts", "1x1,1x2", "--cores-per-node", "2",
                  "--global-batch", "128", "--model", "small-cnn")
        write_metrics(self.study, a=0.01, s=0.0004, sigma=0.3, wait=0.0)
        model, text = self.report()
        self.assertAlmostEqual(model["workload"]["serial_fraction"], 0.3, delta=0.005)
        self.assertIn("| serial fraction of a rank's threads | 0.30 | measured", text)

    def test_a_network_that_took_no_time_is_not_measured(self):
        self.plan_small()
        write_metrics(self.study, a=0.001, s=0.00002, sigma=0.1, wait=0.0)
        model, text = self.report()  # strict_json: no Infinity in model.json
        self.assertIsNone(model["network_measured"])
        self.assertIn("network of the measuring machine | not measured", text)
        self.assertIn("network not measured", text)

    def test_report_files_change_together_or_not_at_all(self):
        self.plan_small()
        write_metrics(self.study, a=0.001, s=0.00002, sigma=0.1, wait=0.0002)
        self.report()
        before = {name: (self.study / name).read_bytes()
                  for name in ("runs.csv", "tables.md", "model.md", "model.json")}
        (self.study / "weak.png").unlink()
        (self.study / "weak.png").mkdir()
        write_metrics(self.study, a=0.002, s=0.00002, sigma=0.1, wait=0.0002)
        status, out = study_tool("report", "--study", str(self.study))
        self.assertNotEqual(status, 0, out)
        self.assertIn(f"error: {self.study / 'weak.png'}: cannot write it", out)
        for name, content in before.items():
            self.assertEqual((self.study / name).read_bytes(), content, f"{name} changed")
        self.assertEqual(list(self.study.glob(".*.tmp.*")), [])

    def test_a_run_with_zero_threads_is_left_out(self):
        self.plan_small("1x1,2x1")
        write_metrics(self.study, a=0.001, s=0.00002, sigma=0.1, wait=0.0002)
        damaged = next(self.study.glob("runs/*n1-1x1-b64/metrics.jsonl"))
        damaged.write_text(damaged.read_text().replace('"threads": 1,', '"threads": 0,'))
        status, out = study_tool("report", "--study", str(self.study))
        self.assertEqual(status, 0, out)
        self.assertIn("threads is 0, not a count of 1 or more", out)
        self.assertNotIn("Traceback", out)

    def test_runs_of_an_earlier_plan_are_left_out(self):
        self.plan_small()
        write_metrics(self.study, a=0.001, s=0.00002, sigma=0.1, wait=0.0002, epochs=3)
        status, out = study_tool("report", "--study", str(self.study))
        self.assertNotEqual(status, 0, out)  # every run is of another plan: none is usable
        self.assertIn("epochs 3, the plan says 2 (a run of an earlier plan?)", out)

    def test_a_global_batch_that_does_not_divide_is_named_at_plan(self):
        status, out = study_tool("plan", "--study", str(self.study), "--nodes", "1,16",
                                 "--layouts", "24x8", "--global-batch", "3000")
        self.assertEqual(status, 0, out)
        self.assertIn("warning: --global-batch 3000 does not divide among the 384 ranks of 16 "
                      "node(s): the strong series runs 7 samples per rank there, a global batch "
                      "of 2688", out)
        self.assertEqual(out.count("warning:"), 1, out)  # 3000 divides among 24 ranks

    def test_whole_numbers_written_as_decimals_stay_whole(self):
        assumptions = json.loads((SOURCE / "scripts/scaling/trillium.json").read_text())
        assumptions["cores_per_node"]["value"] = 192.0
        path = Path(self.scratch.name) / "decimal.json"
        path.write_text(json.dumps(assumptions))
        self.plan_small()
        write_metrics(self.study, a=0.001, s=0.00002, sigma=0.1, wait=0.0002)
        status, out = study_tool("report", "--study", str(self.study), "--assumptions", str(path))
        self.assertEqual(status, 0, out)
        self.assertIn("recommended layout 192 x 1", out)
        self.assertNotIn("192.0", (self.study / "model.md").read_text())

    def test_train_args_may_not_repeat_what_the_study_sets(self):
        for extra, hint in (("--epochs 1", "use scaling-study.sh's --epochs"),
                            ("--threads=2", "use scaling-study.sh's --layouts"),
                            ("--checkpoint-dir x", "the study sets it for each run")):
            status, out = study_tool("plan", "--study", str(self.study), f"--train-args={extra}")
            self.assertNotEqual(status, 0, out)
            self.assertIn(hint, out)
            self.assertEqual(len(out.strip().splitlines()), 1, out)
        self.assertFalse((self.study / "plan.json").exists())
        status, out = study_tool("plan", "--study", str(self.study), "--train-args=--shuffle")
        self.assertEqual(status, 0, out)

    def test_submit_wait_waits_for_slurm_jobs_beside_local_runs(self):
        # squeue as Slurm's: refuses the whole list for an id that is not a number; lists job
        # 5001 for its first 3 calls.
        self.plan_small()
        plan = json.loads((self.study / "plan.json").read_text())
        ids = [run["id"] for run in plan["runs"]]
        (self.study / "jobs.json").write_text(json.dumps(
            {run_id: (f"local-{i}" if i % 2 else "5001") for i, run_id in enumerate(ids, 1)}))
        bin_dir = Path(self.scratch.name) / "bin"
        bin_dir.mkdir()
        calls = Path(self.scratch.name) / "squeue-calls"
        squeue = bin_dir / "squeue"
        squeue.write_text(f"""#!/bin/bash
echo "$*" >> {calls}
for id in ${{@: -1}}; do :; done
case ${{@: -1}} in *[!0-9,]*) echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1 ;; esac
[ $(wc -l < {calls}) -le 3 ] && echo 5001
exit 0
""")
        squeue.chmod(0o755)
        status, out = study_tool("submit", "--study", str(self.study), "--wait",
                                 env={"PATH": f"{bin_dir}:{os.environ['PATH']}",
                                      "SCALING_STUDY_SQUEUE_PAUSE": "0"})
        self.assertEqual(status, 0, out)
        self.assertEqual(len(calls.read_text().splitlines()), 4, calls.read_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
