"""Scaling study for dptrain: plan runs, start them (sbatch or mpirun), collect their metrics
into one CSV, write speedup/efficiency tables and plots, and fit the scaling model.

  scripts/scaling-study.sh run --study $SCRATCH/study --nodes 1,2,4,8,16 --layouts 24x8,48x4
  scripts/scaling-study.sh report --study $SCRATCH/study     # after the jobs have finished
"""

import argparse
import subprocess
import sys
from pathlib import Path

import collect
import launch
import model_report
import options
import plan
import tables
from files import ReportFiles, StudyError

ROOT = Path(__file__).resolve().parents[2]
PLOTS = ("strong.png", "weak.png")


def parse_args(argv):
    p = options.Parser(prog="scaling-study.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["plan", "submit", "report", "run"],
                   help="run = plan, submit, wait and report")
    p.add_argument("--study", required=True, type=options.directory_name,
                   help="directory of the study (under $SCRATCH)")
    p.add_argument("--nodes", default="1,2,4,8,16", type=options.node_counts, help="node counts")
    p.add_argument("--layouts", default="24x8", type=options.layouts,
                   help="ranks x threads per node; the first is used across nodes, all are "
                        "compared on one node")
    p.add_argument("--cores-per-node", type=options.positive_integer, default=192)
    p.add_argument("--global-batch", type=options.positive_integer, default=3072,
                   help="strong scaling")
    p.add_argument("--batch-per-rank", type=options.positive_integer, default=64,
                   help="weak scaling")
    p.add_argument("--model", default="small-cnn", type=options.model_names,
                   help="the workload; more models, comma-separated, refine the communication fit")
    p.add_argument("--epochs", type=options.positive_integer, default=2)
    p.add_argument("--train-args", default="", help="more `dptrain train` options")
    p.add_argument("--launcher", choices=["sbatch", "mpirun"], default="sbatch")
    p.add_argument("--sbatch-args", default="", help="written with '=': --sbatch-args='--account=def-xxx --time=00:30:00'")
    p.add_argument("--wait", action="store_true", help="submit: wait for the jobs")
    p.add_argument("--one-at-a-time", action="store_true",
                   help="run the jobs one after the other (--dependency=singleton): for test "
                        "clusters whose nodes share the same cores")
    p.add_argument("--binary", default=str(ROOT / "build" / "dptrain"), help="mpirun launcher")
    p.add_argument("--data", default=str(ROOT / "data" / "fashion-mnist.h5"), help="mpirun launcher")
    p.add_argument("--assumptions", default=str(Path(__file__).parent / "trillium.json"))
    return p.parse_args(argv)


def do_plan(args):
    runs = plan.plan_study(args.nodes, args.layouts, args.global_batch, args.batch_per_rank,
                           args.model, args.epochs, args.cores_per_node)
    path = plan.save_plan(args.study, runs, args.train_args, launch.load_jobs(args.study))
    print(f"{len(runs)} runs planned in {path}")


def do_submit(args):
    runs, extra = plan.load_plan(args.study)
    if args.launcher == "mpirun":
        launch.run_mpirun(args.study, runs, extra, args.binary, args.data)
        return
    if args.wait:
        launch.squeue_pause_seconds()  # a bad pause is refused before any job is submitted
    sbatch_args = args.sbatch_args.split()
    if args.one_at_a_time:
        sbatch_args.append("--dependency=singleton")
    launch.submit_sbatch(args.study, runs, extra, ROOT, sbatch_args)
    if args.wait:
        # Also the jobs an earlier submit of this plan started.
        known = launch.load_jobs(args.study)
        launch.wait_for_jobs([known[r.id] for r in runs if r.id in known])


def import_plots():
    """The plotting module, or one line saying how to get matplotlib."""
    try:
        import plots
    except ImportError as e:
        raise StudyError(f"report: {e}: run with DPTRAIN_PYTHON=/usr/bin/python3 (Debian's, with "
                         f"python3-matplotlib) or install matplotlib for {sys.executable}") from e
    return plots


def draw_series(report_files, plots, rows, workload):
    """strong.png and weak.png where a series has several node counts; the names not drawn."""
    left_out = []
    for series, title in (("strong", "Strong scaling"), ("weak", "Weak scaling")):
        chosen = tables.series_rows(rows, series, workload)
        if len(chosen) > 1:
            plots.measured_plot(chosen, f"{title}: {workload}",
                                report_files.temporary(f"{series}.png"))
        else:
            left_out.append(f"{series}.png")
    return left_out


def remove_stale(study, names):
    """An earlier report's plot that this report does not draw would describe other runs."""
    for name in names:
        if (study / name).exists():
            (study / name).unlink()
            print(f"removed {study / name}: fewer than 2 node counts measured in this report")


def planned_batch_per_rank(runs, default):
    """The weak series' batch per rank as planned: what the model predicts with, whatever
    --batch-per-rank the report itself is given."""
    weak = [run.batch_per_rank for run in runs if "weak" in run.series]
    return weak[0] if weak else default


def do_report(args):
    study = Path(args.study)
    runs, _ = plan.load_plan(study)
    assumptions = model_report.load_assumptions(args.assumptions)
    plots = import_plots()
    rows = collect.collect(study, runs, launch.load_jobs(study))
    text = collect.csv_text(rows)
    rows = collect.rows_from_csv(text)
    workload = rows[0]["model"]  # the first model planned that has a usable run
    with ReportFiles(study) as report_files:
        report_files.write_text("runs.csv", text)
        report_files.write_text("tables.md", tables.report(rows))
        left_out = draw_series(report_files, plots, rows, workload)
        summary = model_report.write_model(report_files, rows, workload,
                                           planned_batch_per_rank(runs, args.batch_per_rank),
                                           assumptions)
        report_files.commit()
    remove_stale(study, left_out)
    print(f"{len(rows)} runs in {study / 'runs.csv'}; tables.md, model.md, plots in {study}")
    print(f"recommended layout {summary['recommended_layout'][0]} x "
          f"{summary['recommended_layout'][1]}: predicted weak-scaling efficiency at 16 nodes "
          f"{summary['weak_efficiency_16_nodes']:.1%}")


def run_steps(args):
    if args.step in ("plan", "run"):
        do_plan(args)
    if args.step in ("submit", "run"):
        if args.step == "run":
            args.wait = True
        do_submit(args)
    if args.step in ("report", "run"):
        do_report(args)


def describe(error):
    """One line for an expected failure, with enough of it to find a real bug behind it."""
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror.lower()}"
    if isinstance(error, StudyError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def main(argv):
    args = parse_args(argv)
    try:
        run_steps(args)
    except (StudyError, OSError, ValueError, subprocess.SubprocessError) as e:
        print(f"scaling-study: error: {' '.join(describe(e).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scaling-study: error: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
