"""Every run's metrics in one CSV row: what it was (job, nodes, ranks, threads, batch) and what
it measured (samples/s, epoch and step seconds, communication share, accuracy)."""

import csv
import json
from pathlib import Path

COLUMNS = ["job_id", "run", "series", "model", "nodes", "ranks_per_node", "ranks", "threads",
           "batch_per_rank", "global_batch", "epochs", "samples_per_second", "epoch_seconds",
           "step_seconds", "allreduce_seconds_per_step", "comm_share", "test_accuracy"]


def read_metrics(path):
    lines = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    epochs = [m for m in lines if not m.get("summary")]
    summary = next((m for m in lines if m.get("summary")), None)
    if not epochs or summary is None:
        raise ValueError(f"{path}: no complete run (epochs and a summary line expected)")
    return epochs, summary


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


def collect(study_dir, runs, jobs):
    """Rows for the runs that finished; raises if none did. Missing runs are reported."""
    rows = []
    for run in runs:
        path = Path(study_dir) / "runs" / run.id / "metrics.jsonl"
        if not path.exists():
            print(f"{run.id}: no metrics (job {jobs.get(run.id, 'not submitted')})")
            continue
        epochs, summary = read_metrics(path)
        if summary["ranks"] != run.ranks:
            raise ValueError(f"{path}: {summary['ranks']} ranks, the plan says {run.ranks}")
        row = {"job_id": jobs.get(run.id, ""), "run": run.id, "series": "+".join(run.series),
               "model": summary["model"], "nodes": run.nodes,
               "ranks_per_node": run.ranks_per_node, "ranks": summary["ranks"],
               "threads": summary["threads"], "batch_per_rank": run.batch_per_rank,
               "global_batch": summary["global_batch"], "epochs": summary["epochs"],
               "test_accuracy": summary["final_test_accuracy"]}
        row.update(measure(epochs))
        rows.append(row)
    if not rows:
        raise ValueError(f"{study_dir}: no run has metrics yet")
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    numeric = set(COLUMNS) - {"job_id", "run", "series", "model"}
    for row in rows:
        for key in numeric:
            row[key] = float(row[key])
    return rows
