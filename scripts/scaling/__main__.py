"""Scaling study for dptrain: plan runs, start them (sbatch or mpirun), collect their metrics
into one CSV, write speedup/efficiency tables and plots, and fit the scaling model.

  scripts/scaling-study.sh run --study $SCRATCH/study --nodes 1,2,4,8,16 --layouts 24x8,48x4
  scripts/scaling-study.sh report --study $SCRATCH/study     # after the jobs have finished
"""

import argparse
import sys
from pathlib import Path

import collect
import launch
import model_report
import plan
import plots
import tables

ROOT = Path(__file__).resolve().parents[2]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="scaling-study.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["plan", "submit", "report", "run"],
                   help="run = plan, submit, wait and report")
    p.add_argument("--study", required=True, help="directory of the study (under $SCRATCH)")
    p.add_argument("--nodes", default="1,2,4,8,16", help="node counts")
    p.add_argument("--layouts", default="24x8",
                   help="ranks x threads per node; the first is used across nodes, all are "
                        "compared on one node")
    p.add_argument("--cores-per-node", type=int, default=192)
    p.add_argument("--global-batch", type=int, default=3072, help="strong scaling")
    p.add_argument("--batch-per-rank", type=int, default=64, help="weak scaling")
    p.add_argument("--model", default="small-cnn",
                   help="the workload; more models, comma-separated, refine the communication fit")
    p.add_argument("--epochs", type=int, default=2)
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
    runs = plan.plan_study([int(n) for n in args.nodes.split(",")],
                           [plan.parse_layout(x) for x in args.layouts.split(",")],
                           args.global_batch, args.batch_per_rank, args.model.split(","), args.epochs,
                           args.cores_per_node)
    path = plan.save_plan(args.study, runs, args.train_args)
    print(f"{len(runs)} runs planned in {path}")


def do_submit(args):
    runs, extra = plan.load_plan(args.study)
    if args.launcher == "mpirun":
        jobs = launch.run_mpirun(args.study, runs, extra, args.binary, args.data)
    else:
        sbatch_args = args.sbatch_args.split()
        if args.one_at_a_time:
            sbatch_args.append("--dependency=singleton")
        jobs = launch.submit_sbatch(args.study, runs, extra, ROOT, sbatch_args)
        if args.wait:
            launch.wait_for_jobs(jobs.values())
    launch.save_jobs(args.study, jobs)


def do_report(args):
    study = Path(args.study)
    runs, _ = plan.load_plan(study)
    rows = collect.collect(study, runs, launch.load_jobs(study))
    collect.write_csv(study / "runs.csv", rows)
    rows = collect.read_csv(study / "runs.csv")
    (study / "tables.md").write_text(tables.report(rows))
    workload = rows[0]["model"]  # the first model planned
    for series, title in (("strong", "Strong scaling"), ("weak", "Weak scaling")):
        chosen = tables.series_rows(rows, series, workload)
        if len(chosen) > 1:
            plots.measured_plot(chosen, f"{title}: {workload}", study / f"{series}.png")
    summary = model_report.write_model(study, rows, workload, args.batch_per_rank,
                                       args.assumptions)
    print(f"{len(rows)} runs in {study / 'runs.csv'}; tables.md, model.md, plots in {study}")
    print(f"recommended layout {summary['recommended_layout'][0]} x "
          f"{summary['recommended_layout'][1]}: predicted weak-scaling efficiency at 16 nodes "
          f"{summary['weak_efficiency_16_nodes']:.1%}")


def main(argv):
    args = parse_args(argv)
    if args.step in ("plan", "run"):
        do_plan(args)
    if args.step in ("submit", "run"):
        if args.step == "run":
            args.wait = True
        do_submit(args)
    if args.step in ("report", "run"):
        do_report(args)


if __name__ == "__main__":
    main(sys.argv[1:])
