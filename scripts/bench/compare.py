"""Reads the results of one bench-vs-pytorch run, prints samples/s and the ratios, checks
each run's own result (accuracy, sample counts) and the expected ratios.

Usage: compare.py DIR, where DIR holds quickstart.json, ddp2.json (PyTorch JSON lines) and
dptrain1.jsonl, dptrain2.jsonl, dptrain2-no-overlap.jsonl, dptrain2-bf16.jsonl (dptrain
--metrics files). Exit 1 if a check fails. Targets come from EXPECT_* variables.
"""
import json
import os
import sys

results = sys.argv[1]


def last_json(name):
    with open(os.path.join(results, name)) as f:
        return json.loads([line for line in f if line.startswith("{")][-1])


def dptrain_run(name):
    with open(os.path.join(results, name)) as f:
        records = [json.loads(line) for line in f if line.strip()]
    epochs = [r for r in records if not r.get("summary")]
    summary = [r for r in records if r.get("summary")][0]
    return {"samples_per_second": max(e["samples_per_second"] for e in epochs),
            "test_accuracy": epochs[-1]["test_accuracy"], "epochs": epochs, "summary": summary}


quick = last_json("quickstart.json")
ddp2 = last_json("ddp2.json")
dp1 = dptrain_run("dptrain1.jsonl")
dp2 = dptrain_run("dptrain2.jsonl")
dp2_plain = dptrain_run("dptrain2-no-overlap.jsonl")
dp2_bf16 = dptrain_run("dptrain2-bf16.jsonl")

rows = [("PyTorch quickstart, 1 thread", quick["samples_per_second"]),
        ("PyTorch DDP gloo, 2 ranks x 1 thread", ddp2["samples_per_second"]),
        ("dptrain, 1 rank x 1 thread", dp1["samples_per_second"]),
        ("dptrain, 2 ranks x 1 thread", dp2["samples_per_second"]),
        ("dptrain, 2 ranks, no overlap", dp2_plain["samples_per_second"]),
        ("dptrain, 2 ranks, bf16 gradients", dp2_bf16["samples_per_second"])]
print(f"{'run':40s} {'samples/s (best epoch)':>24s}")
for name, rate in rows:
    print(f"{name:40s} {rate:24.0f}")

checks = []


def check(label, ok, detail):
    checks.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {label}: {detail}")


min_1 = float(os.environ.get("EXPECT_1RANK_VS_QUICKSTART", "2.0"))
min_2 = float(os.environ.get("EXPECT_2RANKS_VS_1RANK", "1.8"))
min_ddp = float(os.environ.get("EXPECT_2RANKS_VS_DDP", "2.5"))
r1 = dp1["samples_per_second"] / quick["samples_per_second"]
r2 = dp2["samples_per_second"] / dp1["samples_per_second"]
rddp = dp2["samples_per_second"] / ddp2["samples_per_second"]
print()
check("dptrain 1 rank / quickstart 1 thread", r1 >= min_1, f"{r1:.2f}x (expected >= {min_1})")
check("dptrain 2 ranks / dptrain 1 rank", r2 >= min_2, f"{r2:.2f}x (expected >= {min_2})")
check("dptrain 2 ranks / DDP gloo 2 ranks", rddp >= min_ddp, f"{rddp:.2f}x (expected >= {min_ddp})")

# The runs check their own results: every sample trained once per epoch, and learning happened
# (the quickstart reaches ~50 % after one epoch and ~59 % after two).
for name, run in (("1 rank", dp1), ("2 ranks", dp2)):
    samples_ok = all(e["samples"] == 60000 for e in run["epochs"])
    check(f"dptrain {name} trains all 60000 samples per epoch", samples_ok,
          ", ".join(str(e["samples"]) for e in run["epochs"]))
acc_gap = abs(dp1["test_accuracy"] - quick["test_accuracy"][len(dp1["epochs"]) - 1])
check("dptrain 1 rank matches the quickstart's accuracy", acc_gap <= 0.01,
      f"{100 * dp1['test_accuracy']:.1f}% vs {100 * quick['test_accuracy'][len(dp1['epochs']) - 1]:.1f}%")
check("dptrain 2 ranks learns", dp2["test_accuracy"] >= 0.4, f"{100 * dp2['test_accuracy']:.1f}%")
gap = abs(dp2["test_accuracy"] - dp2_plain["test_accuracy"])
check("overlapped and sequential averaging reach the same accuracy", gap <= 0.005,
      f"{100 * dp2['test_accuracy']:.2f}% vs {100 * dp2_plain['test_accuracy']:.2f}%")
gap = abs(dp2["test_accuracy"] - dp2_bf16["test_accuracy"])
check("bf16 gradient transport costs under 0.5 points of accuracy", gap <= 0.005,
      f"{100 * dp2_bf16['test_accuracy']:.2f}% vs {100 * dp2['test_accuracy']:.2f}% (fp32)")
sys.exit(0 if all(checks) else 1)
