"""Reads the results of one bench-gpu run, prints samples/s and the ratios, checks each run's own
result and the targets. Exit 1 on a miss.

Usage: compare_gpu.py DIR. DIR holds quickstart-gpu.json, ddp-nccl.json, cuda-graph.json
(PyTorch JSON lines) and the dptrain --metrics files cpu.jsonl (1 rank on the CPU), cuda.jsonl
(1 rank, CUDA graphs), cuda-eager.jsonl (1 rank, no graphs), cuda-2-ranks-mpi.jsonl (2 ranks
sharing the GPU, --backend mpi, linear lr scaling).
Targets: EXPECT_GPU_SAMPLES_PER_SECOND (500000, dptrain 1 rank), accuracy curves within
EXPECT_ACCURACY_GAP (0.01) of the CPU run's.
"""
import os
import sys

from results import Checks, dptrain_run, last_json

results = sys.argv[1]
quick = last_json(results, "quickstart-gpu.json")
ddp = last_json(results, "ddp-nccl.json")
graph = last_json(results, "cuda-graph.json")
cpu = dptrain_run(results, "cpu.jsonl")
cuda = dptrain_run(results, "cuda.jsonl")
eager = dptrain_run(results, "cuda-eager.jsonl")
shared = dptrain_run(results, "cuda-2-ranks-mpi.jsonl")
ours = cuda["samples_per_second"]

print(f"{'run (batch 64 per rank, best epoch)':52s} {'samples/s':>10s} {'dptrain is':>11s}")
for label, value in (("PyTorch quickstart on the GPU (DataLoader)", quick["samples_per_second"]),
                     ("PyTorch DDP nccl, 1 rank, data on the GPU", ddp["samples_per_second"]),
                     ("PyTorch, whole step as a CUDA graph", graph["samples_per_second"]),
                     ("dptrain, 1 rank, CPU", cpu["samples_per_second"]),
                     ("dptrain, 1 rank, GPU, eager steps", eager["samples_per_second"]),
                     ("dptrain, 2 ranks sharing the GPU, --backend mpi", shared["samples_per_second"])):
    print(f"{label:52s} {value:10.0f} {ours / value:10.2f}x")
print(f"{'dptrain, 1 rank, GPU, CUDA graphs':52s} {ours:10.0f}")
print()
print("test accuracy by epoch (%):")
for label, run in (("dptrain CPU", cpu), ("dptrain GPU", cuda), ("dptrain GPU, 2 ranks mpi", shared)):
    print(f"  {label:26s} " + " ".join(f"{100 * a:5.1f}" for a in run["curve"]))
print(f"  {'PyTorch quickstart, GPU':26s} " + " ".join(f"{100 * a:5.1f}" for a in quick["test_accuracy"]))
print()

checks = Checks()
check = checks.check

target = float(os.environ.get("EXPECT_GPU_SAMPLES_PER_SECOND", "500000"))
max_gap = float(os.environ.get("EXPECT_ACCURACY_GAP", "0.01"))
check("dptrain 1 rank on the GPU", ours >= target, f"{ours:.0f} samples/s (expected >= {target:.0f})")
for name, run in (("cpu", cpu), ("cuda", cuda), ("cuda-eager", eager), ("cuda-2-ranks-mpi", shared)):
    ok = all(e["samples"] == 60000 for e in run["epochs"])
    check(f"dptrain {name} trains all 60000 samples per epoch", ok,
          ", ".join(str(e["samples"]) for e in run["epochs"]))
gaps = [abs(g - c) for g, c in zip(cuda["curve"], cpu["curve"])]
check("GPU accuracy curve follows the CPU curve", len(gaps) == len(cpu["curve"]) and max(gaps) <= max_gap,
      f"largest gap {100 * max(gaps):.2f} points over {len(gaps)} epochs (allowed {100 * max_gap:.1f})")
quick_gaps = [abs(g - q) for g, q in zip(cuda["curve"], quick["test_accuracy"])]
check("GPU accuracy curve follows PyTorch's quickstart", max(quick_gaps) <= max_gap,
      f"largest gap {100 * max(quick_gaps):.2f} points over {len(quick_gaps)} epochs")
gap = abs(shared["curve"][-1] - cuda["curve"][-1])
check("2 ranks (linear lr scaling) reach the accuracy of 1 rank", gap <= max_gap,
      f"{100 * shared['curve'][-1]:.1f}% vs {100 * cuda['curve'][-1]:.1f}%")
sys.exit(0 if checks.passed() else 1)
