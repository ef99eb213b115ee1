"""Which runs a scaling study makes: strong scaling (fixed global batch), weak scaling (fixed
batch per rank) over node counts, and rank x thread layouts within one node."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


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


def parse_layout(text):
    """'24x8' -> (24, 8): ranks per node x threads per rank."""
    ranks, _, threads = text.lower().partition("x")
    layout = (int(ranks), int(threads or 1))
    if min(layout) < 1:
        raise ValueError(f"layout {text!r}: ranks and threads must be positive")
    return layout


def plan_study(nodes, layouts, global_batch, batch_per_rank, models, epochs, cores_per_node):
    """Runs keyed by their configuration: a run that belongs to several series is made once.
    Every model gets the same series; the first is the study's workload, the others give the
    scaling model more gradient sizes to fit communication costs to."""
    for ranks, threads in layouts:
        if ranks * threads > cores_per_node:
            raise ValueError(f"layout {ranks}x{threads} needs more than {cores_per_node} cores")
    runs = {}

    def add(series, n, ranks, threads, batch):
        if batch < 1:
            raise ValueError(f"global batch {global_batch} is smaller than {n * ranks} ranks")
        run_id = f"{model}-n{n}-{ranks}x{threads}-b{batch}"
        run = runs.setdefault(run_id, Run(run_id, n, ranks, threads, batch, model, epochs))
        if series not in run.series:
            run.series.append(series)

    ranks, threads = layouts[0]  # the node series use the first layout
    for model in models:
        for n in nodes:
            add("strong", n, ranks, threads, global_batch // (n * ranks))
            add("weak", n, ranks, threads, batch_per_rank)
        if len(layouts) > 1:
            for r, t in layouts:
                add("layout", 1, r, t, max(1, global_batch // r))
    return list(runs.values())


def save_plan(study_dir, runs, train_args):
    path = Path(study_dir) / "plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"train_args": train_args,
                                "runs": [asdict(r) for r in runs]}, indent=1) + "\n")
    return path


def load_plan(study_dir):
    data = json.loads((Path(study_dir) / "plan.json").read_text())
    return [Run(**r) for r in data["runs"]], data.get("train_args", "")
