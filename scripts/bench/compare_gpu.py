"""Reads the results of one bench-gpu run, prints samples/s and the ratios, checks each run's own
result and the targets. Exit 1 on a miss.

Usage: compare_gpu.py DIR. DIR holds quickstart-gpu.json, ddp-nccl.json, cuda-graph.json
(PyTorch JSON lines) and the dptrain --metrics files cpu.jsonl (1 rank on the CPU), cuda.jsonl
(1 rank, CUDA graphs), cuda-eager.jsonl (1 rank, no graphs), cuda-2-ranks-mpi.jsonl (2 ranks
sharing the GPU, --backend mpi, linear lr scaling).
Targets: EXPECT_GPU_SAMPLES_PER_SECOND (500000, dptrain 1 rank), accuracy curves within
EXPECT_ACCURACY_GAP (0.01) of the CPU run's. A run that left no result shows as such and fails
the checks that need it; the others are still made.
"""
import os
import sys

from results import Checks, dptrain_run, last_json


def loaded(read, name):
    """A run's results, or None when the run left none or a cut-off file (it failed: its log
    says why)."""
    try:
        return read(results, name)
    except (FileNotFoundError, IndexError):  # no file, or one without a result in it
        return None
    except (KeyError, ValueError) as error:
        print(f"{name}: unreadable ({type(error).__name__}: {error})", file=sys.stderr)
        return None


def speed(run):
    return run["samples_per_second"] if run else None


results = sys.argv[1]
quick = loaded(last_json, "quickstart-gpu.json")
ddp = loaded(last_json, "ddp-nccl.json")
graph = loaded(last_json, "cuda-graph.json")
cpu = loaded(dptrain_run, "cpu.jsonl")
cuda = loaded(dptrain_run, "cuda.jsonl")
eager = loaded(dptrain_run, "cuda-eager.jsonl")
shared = loaded(dptrain_run, "cuda-2-ranks-mpi.jsonl")
ours = speed(cuda)

print(f"{'run (batch 64 per rank, best epoch)':52s} {'samples/s':>10s} {'dptrain is':>11s}")
for label, value in (("PyTorch quickstart on the GPU (DataLoader)", speed(quick)),
                     ("PyTorch DDP nccl, 1 rank, data on the GPU", speed(ddp)),
                     ("PyTorch, whole step as a CUDA graph", speed(graph)),
                     ("dptrain, 1 rank, CPU", speed(cpu)),
                     ("dptrain, 1 rank, GPU, eager steps", speed(eager)),
                     ("dptrain, 2 ranks sharing the GPU, --backend mpi", speed(shared))):
    if value is None:
        print(f"{label:52s} {'no result':>10s}")
    elif ours is None:
        print(f"{label:52s} {value:10.0f}")
    else:
        print(f"{label:52s} {value:10.0f} {ours / value:10.2f}x")
print(f"{'dptrain, 1 rank, GPU, CUDA graphs':52s} " + (f"{ours:10.0f}" if ours is not None else f"{'no result':>10s}"))
print()
print("test accuracy by epoch (%):")
for label, curve in (("dptrain CPU", cpu and cpu["curve"]), ("dptrain GPU", cuda and cuda["curve"]),
                     ("dptrain GPU, 2 ranks mpi", shared and shared["curve"]),
                     ("PyTorch quickstart, GPU", quick and quick["test_accuracy"])):
    print(f"  {label:26s} " + (" ".join(f"{100 * a:5.1f}" for a in curve) if curve else "no result"))
print()

checks = Checks()
check = checks.check


def check_runs(label, runs, test):
    """Checks test(*runs), or fails naming the runs that left no result."""
    missing = [name for name, run in runs if run is None]
    if missing:
        check(label, False, "no result from " + ", ".join(missing))
    else:
        check(label, *test(*(run for _, run in runs)))


target = float(os.environ.get("EXPECT_GPU_SAMPLES_PER_SECOND", "500000"))
max_gap = float(os.environ.get("EXPECT_ACCURACY_GAP", "0.01"))
check_runs("dptrain 1 rank on the GPU", [("cuda", cuda)],
           lambda g: (g["samples_per_second"] >= target,
                      f"{g['samples_per_second']:.0f} samples/s (expected >= {target:.0f})"))
for name, run in (("cpu", cpu), ("cuda", cuda), ("cuda-eager", eager), ("cuda-2-ranks-mpi", shared)):
    check_runs(f"dptrain {name} trains all 60000 samples per epoch", [(name, run)],
               lambda r: (all(e["samples"] == 60000 for e in r["epochs"]),
                          ", ".join(str(e["samples"]) for e in r["epochs"])))


def curve_gap(curve, reference, over):
    gaps = [abs(a - b) for a, b in zip(curve, reference)]
    return (len(gaps) == over and max(gaps) <= max_gap,
            f"largest gap {100 * max(gaps):.2f} points over {len(gaps)} epochs (allowed {100 * max_gap:.1f})")


check_runs("GPU accuracy curve follows the CPU curve", [("cuda", cuda), ("cpu", cpu)],
           lambda g, c: curve_gap(g["curve"], c["curve"], len(c["curve"])))
check_runs("GPU accuracy curve follows PyTorch's quickstart", [("cuda", cuda), ("quickstart-gpu", quick)],
           lambda g, q: curve_gap(g["curve"], q["test_accuracy"], min(len(g["curve"]), len(q["test_accuracy"]))))
check_runs("2 ranks (linear lr scaling) reach the accuracy of 1 rank",
           [("cuda-2-ranks-mpi", shared), ("cuda", cuda)],
           lambda m, g: (abs(m["curve"][-1] - g["curve"][-1]) <= max_gap,
                         f"{100 * m['curve'][-1]:.1f}% vs {100 * g['curve'][-1]:.1f}%"))
sys.exit(0 if checks.passed() else 1)
