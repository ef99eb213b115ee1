"""Reads the results of one bench-vs-pytorch run, prints samples/s and the ratios, checks each
run's own result (samples per epoch, accuracy) and the expected ratios.

Usage: compare.py DIR RANKS...  DIR holds quickstart.json and ddpN.json (PyTorch JSON lines),
dptrainN.jsonl, dptrainN-buckets1.jsonl, dptrainN-buckets1-no-overlap.jsonl, dptrainN-bf16.jsonl,
dptrainN-plain-mpi.jsonl, dptrainN-own-parameters.jsonl (dptrain --metrics files),
loneN.rK.I.jsonl for N above 1 (N independent 1-rank runs at once, round K) and allreduceN.json
(dptrain bench allreduce --json, shown as the machine's state per round).
Targets: EXPECT_1RANK_VS_QUICKSTART (2.0), EXPECT_EFFICIENCY (0.9: dptrain N ranks against N x
its 1 rank), EXPECT_VS_DDP (2.5: dptrain against DDP gloo at the largest N). Exit 1 on a miss.
"""
import os
import sys

from results import (Checks, allreduce_probes, compute_ms_per_step, dptrain_run, last_json,
                     lone_ranks, slowest_rank, waiting_ms_per_step)

results, ranks = sys.argv[1], [int(n) for n in sys.argv[2:]]
largest = ranks[-1]

quick = last_json(results, "quickstart.json")
ddp = {n: last_json(results, f"ddp{n}.json") for n in ranks}
dp = {n: dptrain_run(results, f"dptrain{n}.jsonl") for n in ranks}
lone = {n: lone_ranks(results, n) for n in ranks if n > 1}
overlapped = dptrain_run(results, f"dptrain{largest}-buckets1.jsonl")
sequential = dptrain_run(results, f"dptrain{largest}-buckets1-no-overlap.jsonl")
bf16 = dptrain_run(results, f"dptrain{largest}-bf16.jsonl")
plain_mpi = dptrain_run(results, f"dptrain{largest}-plain-mpi.jsonl")
own_parameters = dptrain_run(results, f"dptrain{largest}-own-parameters.jsonl")
one = dp[1]["samples_per_second"] if 1 in dp else None


def against_one_rank(samples_per_second, n):
    """The 'vs 1 rank' and 'efficiency' columns of N ranks (blank without a 1-rank run)."""
    if not one:
        return "", ""
    return f"{samples_per_second / one:9.2f}x", f"{100 * samples_per_second / (n * one):9.0f}%"


print(f"{'run':44s} {'samples/s':>10s} {'vs 1 rank':>10s} {'efficiency':>10s} {'vs DDP':>8s}")
print(f"{'PyTorch quickstart, 1 thread':44s} {quick['samples_per_second']:10.0f}")
for n in ranks:
    d = dp[n]["samples_per_second"]
    speedup, efficiency = against_one_rank(d, n)
    print(f"{f'PyTorch DDP gloo, {n} ranks x 1 thread':44s} {ddp[n]['samples_per_second']:10.0f}")
    print(f"{f'dptrain, {n} ranks x 1 thread':44s} {d:10.0f} {speedup:>10s} {efficiency:>10s}"
          f" {d / ddp[n]['samples_per_second']:7.2f}x")
    if n in lone:
        c = lone[n]["samples_per_second"]
        speedup, efficiency = against_one_rank(c, n)
        print(f"{f'{n} lone ranks at once, no exchange':44s} {c:10.0f} {speedup:>10s} {efficiency:>10s}".rstrip())
for label, run in (("1 MB buckets, overlap", overlapped), ("1 MB buckets, no overlap", sequential)):
    print(f"{f'dptrain, {largest} ranks, {label}':44s} {run['samples_per_second']:10.0f}")
print(f"{f'dptrain, {largest} ranks, bf16 gradients':44s} {bf16['samples_per_second']:10.0f}")
print(f"{f'dptrain, {largest} ranks, plain MPI_Allreduce':44s} {plain_mpi['samples_per_second']:10.0f}")
print(f"{f'dptrain, {largest} ranks, own parameters':44s} {own_parameters['samples_per_second']:10.0f}")

# Where a step's time goes (best epoch, median over ranks): N lone ranks at once show what the
# cores give when all compute with nothing exchanged; dptrain N ranks adds the exchange, through
# parameters and gradients in node-shared memory, node-shared gradients and each rank's own
# parameters, or each rank's own of both with plain MPI.
def step_line(label, run):
    best = run["best_epoch"]
    print(f"  {label}: {compute_ms_per_step(best):.2f} ms, waiting {waiting_ms_per_step(best):.2f} ms")


# Every rank waits for the slowest each step, so the waiting splits into the exchange itself
# (what the slowest rank waits) and the slowest rank's lead over the others; the slowest rank's
# pace alone bounds the samples/s that any exchange could reach.
def straggler_line(n, run):
    slow = slowest_rank(run["best_epoch"])
    _, efficiency = against_one_rank(slow["samples_per_second"], n)
    bound = f" ({efficiency.strip()} efficiency)" if efficiency else ""
    print(f"    slowest rank {slow['rank']}: works {slow['working_ms']:.2f} ms (median"
          f" {slow['median_working_ms']:.2f}), waits {slow['least_waiting_ms']:.2f} ms; with a free"
          f" exchange its pace allows {slow['samples_per_second']:.0f} samples/s{bound}")


print("per step, best epoch: forward+backward (median over ranks), waiting for the sums")
for n in ranks:
    step_line(f"dptrain {n} ranks", dp[n])
    if n > 1:
        straggler_line(n, dp[n])
    if n == largest:
        step_line(f"dptrain {n} ranks, own parameters", own_parameters)
        step_line(f"dptrain {n} ranks, plain MPI_Allreduce", plain_mpi)
    if n in lone:
        fastest = sorted(compute_ms_per_step(max(run, key=lambda e: e["samples_per_second"]))
                         for run in lone[n]["runs"])
        print(f"  {n} lone ranks at once: {fastest[len(fastest) // 2]:.2f} ms (median of the runs;"
              f" {fastest[0]:.2f} to {fastest[-1]:.2f}); dptrain {n} ranks reach"
              f" {100 * dp[n]['samples_per_second'] / lone[n]['samples_per_second']:.0f} % of their samples/s")
probes = allreduce_probes(results, largest)
if probes:
    print(f"allreduce of the 2.7 MB of gradients on {largest} ranks, by round: "
          + ", ".join(f"{1e6 * s:.0f} us" for s in probes))
print()

checks = Checks()
check = checks.check

min_quick = float(os.environ.get("EXPECT_1RANK_VS_QUICKSTART", "2.0"))
min_eff = float(os.environ.get("EXPECT_EFFICIENCY", "0.9"))
min_ddp = float(os.environ.get("EXPECT_VS_DDP", "2.5"))
if one:
    r = one / quick["samples_per_second"]
    check("dptrain 1 rank / quickstart 1 thread", r >= min_quick, f"{r:.2f}x (expected >= {min_quick})")
    if largest > 1:
        e = dp[largest]["samples_per_second"] / (largest * one)
        check(f"dptrain {largest} ranks / dptrain 1 rank", e >= min_eff,
              f"{largest * e:.2f}x, efficiency {100 * e:.1f}% (expected >= {100 * min_eff:.0f}%)")
r = dp[largest]["samples_per_second"] / ddp[largest]["samples_per_second"]
check(f"dptrain {largest} ranks / DDP gloo {largest} ranks", r >= min_ddp, f"{r:.2f}x (expected >= {min_ddp})")

# Each run checks its own result: every sample once per epoch, and the learning it should show.
for n in ranks:
    ok = all(e["samples"] == 60000 for e in dp[n]["epochs"])
    check(f"dptrain {n} ranks trains all 60000 samples per epoch", ok,
          ", ".join(str(e["samples"]) for e in dp[n]["epochs"]))
for n in lone:
    runs = lone[n]["runs"]
    ok = all(e["samples"] == 60000 for run in runs for e in run)
    check(f"{n} lone ranks each train all 60000 samples per epoch", ok, f"{len(runs)} runs")
    if one:
        gaps = [abs(run[-1]["test_accuracy"] - dp[1]["test_accuracy"]) for run in runs]
        check(f"{n} lone ranks each reach dptrain 1 rank's accuracy", max(gaps) <= 0.005,
              f"largest gap {100 * max(gaps):.2f} points")
if one:
    epochs = len(dp[1]["epochs"])
    gap = abs(dp[1]["test_accuracy"] - quick["test_accuracy"][epochs - 1])
    check("dptrain 1 rank matches the quickstart's accuracy", gap <= 0.01,
          f"{100 * dp[1]['test_accuracy']:.1f}% vs {100 * quick['test_accuracy'][epochs - 1]:.1f}%")


def same_accuracy(what, run, other, note=""):
    """Two runs of the same training that should end within 0.5 points of each other."""
    a, b = run["test_accuracy"], other["test_accuracy"]
    check(what, abs(a - b) <= 0.005, f"{100 * a:.2f}% vs {100 * b:.2f}%{note}")


same_accuracy("overlapped and sequential averaging reach the same accuracy", overlapped, sequential)
same_accuracy("node-shared and plain MPI averaging reach the same accuracy", dp[largest], plain_mpi)
same_accuracy("shared and own parameters reach the same accuracy", dp[largest], own_parameters)
same_accuracy("bf16 gradient transport costs under 0.5 points of accuracy", bf16, dp[largest], " (fp32)")
sys.exit(0 if checks.passed() else 1)
