"""Every run's metrics in one CSV row: what it was (job, nodes, ranks, threads, batch) and what
it measured (samples/s, epoch and step seconds, communication share, accuracy). A run that has
not finished or whose metrics are damaged is left out with a warning: one bad run must not cost
the report of all the others."""

import csv
import io
import json
import math
from pathlib import Path

from files import StudyError, warn

COLUMNS = ["job_id", "run", "series", "model", "nodes", "ranks_per_node", "ranks", "threads",
           "batch_per_rank", "global_batch", "epochs", "samples_per_second", "epoch_seconds",
           "step_seconds", "allreduce_seconds_per_step", "comm_share", "test_accuracy"]

# What the report reads from each line; dptrain writes more.
EPOCH_KEYS = {"epoch_seconds": 0, "allreduce_seconds": 0, "steps": 1, "samples": 1}  # minimum
SUMMARY_KEYS = ["ranks", "threads", "global_batch", "epochs", "final_test_accuracy"]


class DamagedRun(Exception):
    """A run's metrics that cannot be used; the message says why."""


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_lines(path):
    """The JSON objects of a metrics file, one per non-empty line."""
    try:
        text = Path(path).read_text()
    except UnicodeDecodeError:
        raise DamagedRun("not a text file") from None
    except OSError as e:
        raise DamagedRun(e.strerror.lower()) from None
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: nested past Python's stack
            raise DamagedRun(f"line {number} is not JSON (cut short?)") from None
        if not isinstance(record, dict):
            raise DamagedRun(f"line {number} is not a JSON object")
        records.append((number, record))
    return records


def check_epoch(number, record):
    for key, least in EPOCH_KEYS.items():
        if not is_number(record.get(key)) or record[key] < least:
            raise DamagedRun(f"line {number}: {key} is missing or not a number >= {least}")
    if record["epoch_seconds"] <= 0:
        raise DamagedRun(f"line {number}: epoch_seconds is {record['epoch_seconds']}")
    # The time waiting for the sums is part of the epoch's: what is left is the computing,
    # which the model of the step divides by.
    if record["allreduce_seconds"] >= record["epoch_seconds"]:
        raise DamagedRun(f"line {number}: allreduce_seconds {record['allreduce_seconds']} is not "
                         f"less than epoch_seconds {record['epoch_seconds']}")
    return record


# Of the summary's figures, the counts (the model divides by threads and ranks).
SUMMARY_COUNTS = ["ranks", "threads", "global_batch", "epochs"]


def check_summary(number, record):
    for key in SUMMARY_KEYS:
        if not is_number(record.get(key)):
            raise DamagedRun(f"line {number} (summary): {key} is missing or not a number")
    for key in SUMMARY_COUNTS:
        if record[key] != int(record[key]) or record[key] < 1:
            raise DamagedRun(f"line {number} (summary): {key} is {record[key]}, not a count of 1 or more")
    if not isinstance(record.get("model"), str):
        raise DamagedRun(f"line {number} (summary): model is missing")
    return record


def read_metrics(path):
    """The epoch records and the summary of a finished run, or DamagedRun saying why not."""
    records = parse_lines(path)
    epochs = [check_epoch(n, r) for n, r in records if not r.get("summary")]
    summaries = [check_summary(n, r) for n, r in records if r.get("summary")]
    if not epochs:
        raise DamagedRun("no epoch lines")
    if not summaries:
        raise DamagedRun("no summary line (the run has not finished, or was stopped)")
    return epochs, summaries[0]


def measure(epochs):
    """Steady-state figures: the first epoch also pays for page faults and allocator warm-up,
    so it is left out whenever there is another."""
    steady = epochs[1:] if len(epochs) > 1 else epochs
    seconds = sum(m["epoch_seconds"] for m in steady)
    reduce_seconds = sum(m["allreduce_seconds"] for m in steady)
    steps = sum(m["steps"] for m in steady)
    samples = sum(m["samples"] for m in steady)
    return {
        "samples_per_second": samples / seconds,
        "epoch_seconds": seconds / len(steady),
        "step_seconds": seconds / steps,
        "allreduce_seconds_per_step": reduce_seconds / steps,
        "comm_share": reduce_seconds / seconds,
    }


def run_row(run, path, job):
    epochs, summary = read_metrics(path)
    if summary["ranks"] != run.ranks:
        raise DamagedRun(f"{summary['ranks']} ranks, the plan says {run.ranks}")
    if summary["model"] != run.model:
        raise DamagedRun(f"model {summary['model']}, the plan says {run.model}")
    for key, planned in (("threads", run.threads), ("epochs", run.epochs),
                         ("global_batch", run.global_batch)):
        if summary[key] != planned:
            raise DamagedRun(f"{key} {summary[key]}, the plan says {planned} (a run of an "
                             f"earlier plan?)")
    row = {"job_id": job, "run": run.id, "series": "+".join(run.series),
           "model": summary["model"], "nodes": run.nodes,
           "ranks_per_node": run.ranks_per_node, "ranks": summary["ranks"],
           "threads": summary["threads"], "batch_per_rank": run.batch_per_rank,
           "global_batch": summary["global_batch"], "epochs": summary["epochs"],
           "test_accuracy": summary["final_test_accuracy"]}
    row.update(measure(epochs))
    return row


def collect(study_dir, runs, jobs):
    """Rows for the runs that finished; missing and damaged runs are reported and left out.
    Raises if no run is usable."""
    rows = []
    for run in runs:
        path = Path(study_dir) / "runs" / run.id / "metrics.jsonl"
        if not path.exists():
            warn(f"{run.id}: no metrics (job {jobs.get(run.id, 'not submitted')}); left out of "
                 f"the report")
            continue
        try:
            rows.append(run_row(run, path, jobs.get(run.id, "")))
        except DamagedRun as e:
            warn(f"{path}: {e}; run {run.id} left out of the report")
    if not rows:
        raise StudyError(f"{study_dir}: no run has usable metrics yet")
    return rows


def csv_text(rows):
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return out.getvalue()


def rows_from_csv(text):
    """The rows as runs.csv has them (numbers rounded to 6 digits), so the tables and the
    model agree with the CSV a reader opens."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    numeric = set(COLUMNS) - {"job_id", "run", "series", "model"}
    for row in rows:
        for key in numeric:
            row[key] = float(row[key])
    return rows
