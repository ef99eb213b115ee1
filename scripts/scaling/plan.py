"""Which runs a scaling study makes: strong scaling (fixed global batch), weak scaling (fixed
batch per rank) over node counts, and rank x thread layouts within one node."""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import files
from files import StudyError, warn
from fit import MODELS


@dataclass
class Run:
    id: str
    nodes: int
    ranks_per_node: int
    threads: int
    batch_per_rank: int
    model: str
    epochs: int
    series: list = field(default_factory=list)  # "strong", "weak", "layout"

    @property
    def ranks(self):
        return self.nodes * self.ranks_per_node

    @property
    def global_batch(self):
        return self.ranks * self.batch_per_rank


def plan_study(nodes, layouts, global_batch, batch_per_rank, models, epochs, cores_per_node):
    """Runs keyed by their configuration: a run that belongs to several series is made once.
    Every model gets the same series; the first is the study's workload, the others give the
    scaling model more gradient sizes to fit communication costs to."""
    for ranks, threads in layouts:
        if ranks * threads > cores_per_node:
            raise StudyError(f"--layouts {ranks}x{threads} needs {ranks * threads} cores, "
                             f"more than --cores-per-node {cores_per_node}")
    runs = {}

    def add(series, n, ranks, threads, batch):
        if batch < 1:
            raise StudyError(f"--global-batch {global_batch} is smaller than the {n * ranks} "
                             f"ranks of {n} node(s) of {ranks} (at least one sample per rank)")
        run_id = f"{model}-n{n}-{ranks}x{threads}-b{batch}"
        run = runs.setdefault(run_id, Run(run_id, n, ranks, threads, batch, model, epochs))
        if series not in run.series:
            run.series.append(series)

    ranks, threads = layouts[0]  # the node series use the first layout
    for n in nodes:
        if global_batch % (n * ranks):
            per_rank = global_batch // (n * ranks)
            warn(f"--global-batch {global_batch} does not divide among the {n * ranks} ranks of "
                 f"{n} node(s): the strong series runs {per_rank} samples per rank there, a "
                 f"global batch of {per_rank * n * ranks}")
    for model in models:
        for n in nodes:
            add("strong", n, ranks, threads, global_batch // (n * ranks))
            add("weak", n, ranks, threads, batch_per_rank)
        if len(layouts) > 1:
            for r, t in layouts:
                add("layout", 1, r, t, max(1, global_batch // r))
    return list(runs.values())


def prepare_study(study_dir):
    """Creates the study's directory, or says why it cannot be one."""
    study = Path(study_dir)
    if study.exists() and not study.is_dir():
        raise StudyError(f"--study {study_dir}: not a directory")
    try:
        study.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StudyError(f"--study {study_dir}: cannot create it ({e.strerror.lower()})") from e
    return study


def check_started_runs(study_dir, runs, train_args, jobs):
    """A new plan may add runs to a study whose runs have jobs, but not change how one of those
    runs is made: a second `submit` skips a run that has a job, so the report would show the
    old run's figures under the new plan's --epochs or --train-args."""
    if not jobs or not (Path(study_dir) / "plan.json").exists():
        return
    old_runs, old_train_args = load_plan(study_dir)
    old = {run.id: run for run in old_runs}
    for run in runs:
        if run.id not in jobs:
            continue
        before = old.get(run.id)
        if before is None or before.epochs != run.epochs or old_train_args != train_args:
            was = (f"--epochs {before.epochs} --train-args '{old_train_args}'" if before
                   else "a plan that is not the one in plan.json")
            raise StudyError(f"--study {study_dir}: run {run.id} already has job {jobs[run.id]} "
                             f"made with {was}; plan into a new --study (or remove its jobs.json "
                             f"and runs/ to start again)")


# `dptrain train` options that every run gets from the study: given again in --train-args, each
# run would fail at its start ("--epochs: At Most 1 required but received 2"), in the queue.
STUDY_OPTIONS = {"--model": "--model", "--epochs": "--epochs", "--batch-size": "--batch-per-rank",
                 "--threads": "--layouts", "--data": None, "--metrics": None, "--out-dir": None,
                 "--checkpoint-dir": None, "--resume": None}


def check_train_args(train_args):
    for word in train_args.split():
        name = word.split("=", 1)[0]
        if name in STUDY_OPTIONS:
            own = STUDY_OPTIONS[name]
            how = f"use scaling-study.sh's {own}" if own else "the study sets it for each run"
            raise StudyError(f"--train-args '{train_args}': {name} is not for --train-args ({how})")


def save_plan(study_dir, runs, train_args, jobs):
    check_train_args(train_args)
    check_started_runs(study_dir, runs, train_args, jobs)
    path = prepare_study(study_dir) / "plan.json"
    files.write_text(path, json.dumps({"train_args": train_args,
                                       "runs": [asdict(r) for r in runs]}, indent=1) + "\n")
    return path


def load_plan(study_dir):
    """The planned runs and the extra `dptrain train` options, or one line saying why not."""
    path = Path(study_dir) / "plan.json"
    if not path.exists():
        raise StudyError(f"{path}: no plan there (run `scaling-study.sh plan --study "
                         f"{study_dir}` first)")
    if not path.is_file():
        raise StudyError(f"{path}: not a file")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise StudyError(f"{path}: not a plan written by scaling-study.sh ({e})") from e
    return runs_of(data, path), train_args_of(data, path)


def runs_of(data, path):
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list) or not runs:
        raise StudyError(f"{path}: not a plan written by scaling-study.sh (no list of runs)")
    return [run_of(entry, path, i) for i, entry in enumerate(runs, 1)]


def run_of(entry, path, number):
    """One planned run, checked: a hand-edited plan should fail here, not half-way through."""
    names = {f.name for f in fields(Run)}
    if not isinstance(entry, dict) or set(entry) != names:
        raise StudyError(f"{path}: run {number} is not a planned run (keys {sorted(names)} "
                         f"expected)")
    counts = ("nodes", "ranks_per_node", "threads", "batch_per_rank", "epochs")
    if any(type(entry[k]) is not int or entry[k] < 1 for k in counts):
        raise StudyError(f"{path}: run {number}: {', '.join(counts)} must be positive integers")
    if not isinstance(entry["id"], str) or not isinstance(entry["model"], str) \
            or not isinstance(entry["series"], list) or not all(isinstance(s, str) for s in entry["series"]):
        raise StudyError(f"{path}: run {number}: id, model and series (names) have the wrong types")
    if entry["model"] not in MODELS:
        raise StudyError(f"{path}: run {number}: unknown model '{entry['model']}' "
                         f"(models: {', '.join(MODELS)})")
    return Run(**entry)


def train_args_of(data, path):
    extra = data.get("train_args", "")
    if not isinstance(extra, str):
        raise StudyError(f"{path}: train_args is not a string")
    return extra
