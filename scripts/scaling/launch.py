"""Starts a study's runs: with sbatch (one job per run, through slurm/multi-node.sbatch) or, on
a machine without Slurm, one after the other with mpirun. Either way a run writes its metrics
to <study>/runs/<run id>/metrics.jsonl, and <study>/jobs.json records each run's job as soon as
it exists, so a failure half-way (a submission limit, a failing run) loses no record and a
second `submit` starts only the runs that have none."""

import json
import os
import subprocess
import time
from pathlib import Path

import files
from files import StudyError

# squeue can fail for a while (slurmctld restarting, a network hiccup): try again this often,
# this many seconds apart, before giving up. The environment variable shortens the pause.
SQUEUE_TRIES = 6


def squeue_pause_seconds():
    text = os.environ.get("SCALING_STUDY_SQUEUE_PAUSE", "10")
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:  # NaN fails it too
        raise StudyError(f"SCALING_STUDY_SQUEUE_PAUSE={text}: expected seconds from 0 to 3600")
    return seconds


def run_dir(study_dir, run):
    return Path(study_dir).resolve() / "runs" / run.id


def train_args(run, extra):
    args = f"--model {run.model} --epochs {run.epochs} --batch-size {run.batch_per_rank}"
    return f"{args} {extra}".strip()


def one_line(text):
    """A command's message (often several lines) for a one-line error."""
    return " / ".join(line.strip() for line in text.splitlines() if line.strip()) or "no message"


def run_command(command, **kwargs):
    """subprocess.run that says which command is missing instead of raising."""
    try:
        return subprocess.run(command, **kwargs)
    except FileNotFoundError:
        raise StudyError(f"{command[0]}: command not found (is it on PATH?)") from None


def runs_to_start(study_dir, runs):
    """The runs without a job in jobs.json; says which are left out and why."""
    known = load_jobs(study_dir)
    for run in runs:
        if run.id in known:
            print(f"{run.id}: skipped, already has job {known[run.id]} in jobs.json (to run "
                  f"it again, remove it there and remove {run_dir(study_dir, run)}: a job "
                  f"finds its checkpoints there and resumes, training nothing)")
    return [run for run in runs if run.id not in known]


def sbatch_command(run, out, root, sbatch_args):
    return ["sbatch", "--parsable", "--job-name=dptrain-scaling",
            f"--nodes={run.nodes}", f"--ntasks-per-node={run.ranks_per_node}",
            f"--cpus-per-task={run.threads}", f"--output={out}/slurm-%j.out",
            *sbatch_args, str(Path(root) / "slurm" / "multi-node.sbatch")]


def submit_one(study_dir, run, extra, root, sbatch_args):
    """The job id of the submitted run, or one line with sbatch's own error."""
    out = run_dir(study_dir, run)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DPTRAIN_ROOT=str(root), DPTRAIN_RUN_DIR=str(out),
               DPTRAIN_TRAIN_ARGS=train_args(run, extra))
    result = run_command(sbatch_command(run, out, root, sbatch_args), env=env,
                         capture_output=True, text=True)
    job = result.stdout.strip().split(";")[0]
    if result.returncode != 0 or not job.isdigit():
        raise StudyError(f"{run.id}: sbatch failed (exit {result.returncode}): "
                         f"{one_line(result.stderr or result.stdout)}")
    return job


def submit_sbatch(study_dir, runs, extra, root, sbatch_args=()):
    """Returns {run id: job id} of the jobs it submitted. Jobs cannot submit jobs on Trillium:
    run this on a login node."""
    jobs = {}
    for run in runs_to_start(study_dir, runs):
        jobs[run.id] = submit_one(study_dir, run, extra, root, sbatch_args)
        record_job(study_dir, run.id, jobs[run.id])
        print(f"{run.id}: job {jobs[run.id]}")
    return jobs


def jobs_in_queue(job_ids):
    """(the jobs squeue still lists, "") or (None, squeue's message) if squeue failed."""
    listed = run_command(["squeue", "-h", "-o", "%i", "-j", ",".join(sorted(job_ids))],
                         capture_output=True, text=True)
    if listed.returncode == 0:
        return set(listed.stdout.split()) & set(job_ids), ""
    if "invalid job id" in listed.stderr.lower():
        return set(), ""  # every listed job has left the queue (and Slurm's memory)
    return None, one_line(listed.stderr)


def wait_for_jobs(job_ids, poll_seconds=0.5):
    """Polls squeue until none of the jobs is pending or running (sbatch --wait polls slowly).
    Only Slurm's job ids count: a run done with mpirun ("local-N") was over when it was
    recorded, and squeue would refuse the whole list for it ("Invalid job id")."""
    pending, failures = {job for job in job_ids if job.isdigit()}, 0
    squeue_pause = squeue_pause_seconds()  # checked before the first wait
    while pending:
        listed, message = jobs_in_queue(pending)
        failures = failures + 1 if listed is None else 0
        if failures >= SQUEUE_TRIES:
            raise StudyError(f"squeue failed {failures} times in a row, so whether jobs "
                             f"{','.join(sorted(pending))} finished is unknown: {message}")
        pending = pending if listed is None else listed
        if pending:
            time.sleep(squeue_pause if listed is None else poll_seconds)


def mpirun_command(run, extra, out, binary, data):
    return ["mpirun", "-n", str(run.ranks), "--bind-to", "none", str(binary), "train",
            "--data", str(data), "--threads", str(run.threads),
            "--metrics", str(out / "metrics.jsonl"), "--out-dir", str(out),
            *train_args(run, extra).split()]


def failure_reason(log_path):
    """dptrain's own error line from a run's log, else another error line, else the last."""
    lines = [line.strip() for line in Path(log_path).read_text(errors="replace").splitlines()
             if line.strip()]
    for marker in ("dptrain: error:", "error"):
        found = [line for line in lines if marker in line.lower()]
        if found:
            return found[0]
    return lines[-1] if lines else "no output"


def run_one_locally(study_dir, run, extra, binary, data, env):
    out = run_dir(study_dir, run)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "mpirun.log"
    with open(log_path, "w") as log:
        result = run_command(mpirun_command(run, extra, out, binary, data), env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise StudyError(f"{run.id}: mpirun failed (exit {result.returncode}): "
                         f"{failure_reason(log_path)} (whole log: {log_path})")


def run_mpirun(study_dir, runs, extra, binary, data):
    """Without Slurm: single-node runs only, one after the other on this machine."""
    # Checked here: mpirun's own message for a missing program ends in a rule of dashes.
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise StudyError(f"--binary {binary}: no such program (build dptrain first, or give its path)")
    jobs = {}
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for run in runs_to_start(study_dir, runs):
        if run.nodes > 1:
            print(f"{run.id}: skipped (needs {run.nodes} nodes; use --launcher sbatch)")
            continue
        run_one_locally(study_dir, run, extra, binary, data, env)
        jobs[run.id] = f"local-{runs.index(run) + 1}"
        record_job(study_dir, run.id, jobs[run.id])
        print(f"{run.id}: done")
    return jobs


def record_job(study_dir, run_id, job):
    """Adds one run's job to jobs.json at once: a later failure must not lose it."""
    known = load_jobs(study_dir)
    known[run_id] = job
    files.write_text(Path(study_dir) / "jobs.json", json.dumps(known, indent=1) + "\n")


def load_jobs(study_dir):
    """{run id: job id}; {} before the first submission."""
    path = Path(study_dir) / "jobs.json"
    if not path.exists():
        return {}
    try:
        jobs = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise StudyError(f"{path}: not a record of jobs ({e})") from e
    if not isinstance(jobs, dict) or not all(isinstance(j, str) for j in jobs.values()):
        raise StudyError(f"{path}: not a record of jobs (run id -> job id expected)")
    return jobs
