"""Starts a study's runs: with sbatch (one job per run, through slurm/multi-node.sbatch) or, on
a machine without Slurm, one after the other with mpirun. Either way a run writes its metrics
to <study>/runs/<run id>/metrics.jsonl."""

import json
import os
import subprocess
import time
from pathlib import Path


def run_dir(study_dir, run):
    return Path(study_dir).resolve() / "runs" / run.id


def train_args(run, extra):
    args = f"--model {run.model} --epochs {run.epochs} --batch-size {run.batch_per_rank}"
    return f"{args} {extra}".strip()


def submit_sbatch(study_dir, runs, extra, root, sbatch_args=()):
    """Returns {run id: job id}. Jobs cannot submit jobs on Trillium: run this on a login node."""
    jobs = {}
    for run in runs:
        out = run_dir(study_dir, run)
        out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, DPTRAIN_ROOT=str(root), DPTRAIN_RUN_DIR=str(out),
                   DPTRAIN_TRAIN_ARGS=train_args(run, extra))
        command = ["sbatch", "--parsable", "--job-name=dptrain-scaling",
                   f"--nodes={run.nodes}", f"--ntasks-per-node={run.ranks_per_node}",
                   f"--cpus-per-task={run.threads}", f"--output={out}/slurm-%j.out",
                   *sbatch_args, str(Path(root) / "slurm" / "multi-node.sbatch")]
        result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        jobs[run.id] = result.stdout.strip().split(";")[0]
        print(f"{run.id}: job {jobs[run.id]}")
    return jobs


def wait_for_jobs(job_ids, poll_seconds=0.5):
    """Polls squeue until none of the jobs is pending or running (sbatch --wait polls slowly)."""
    pending = set(job_ids)
    while pending:
        listed = subprocess.run(["squeue", "-h", "-o", "%i", "-j", ",".join(sorted(pending))],
                                capture_output=True, text=True)
        # squeue fails once every listed job has left the queue.
        pending = set(listed.stdout.split()) & pending if listed.returncode == 0 else set()
        if pending:
            time.sleep(poll_seconds)


def run_mpirun(study_dir, runs, extra, binary, data):
    """Without Slurm: single-node runs only, one after the other on this machine."""
    jobs = {}
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for i, run in enumerate(runs):
        if run.nodes > 1:
            print(f"{run.id}: skipped (needs {run.nodes} nodes; use --launcher sbatch)")
            continue
        out = run_dir(study_dir, run)
        out.mkdir(parents=True, exist_ok=True)
        command = ["mpirun", "-n", str(run.ranks), "--bind-to", "none", str(binary), "train",
                   "--data", str(data), "--threads", str(run.threads),
                   "--metrics", str(out / "metrics.jsonl"), "--out-dir", str(out),
                   *train_args(run, extra).split()]
        with open(out / "mpirun.log", "w") as log:
            subprocess.run(command, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
        jobs[run.id] = f"local-{i + 1}"
        print(f"{run.id}: done")
    return jobs


def save_jobs(study_dir, jobs):
    path = Path(study_dir) / "jobs.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known.update(jobs)
    path.write_text(json.dumps(known, indent=1) + "\n")


def load_jobs(study_dir):
    path = Path(study_dir) / "jobs.json"
    return json.loads(path.read_text()) if path.exists() else {}
