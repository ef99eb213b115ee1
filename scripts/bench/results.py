"""Reading benchmark results and checking them, shared by compare.py and compare_gpu.py.

A run repeated in several rounds has one file per round, NAME.rK.EXT instead of NAME.EXT; its
speed is its best over all rounds (a shared machine is noisy), its results those of round 1
(every round computes the same numbers).
"""
import glob
import json
import os


def _round_number(path):
    return int(os.path.basename(path).rsplit(".r", 1)[1].split(".")[0])


def _files(results, name):
    exact = os.path.join(results, name)
    stem, ext = os.path.splitext(exact)
    rounds = sorted(glob.glob(f"{stem}.r*{ext}"), key=_round_number)
    if os.path.exists(exact):
        if rounds:  # two runs' files in one folder: which is this run's is unknowable
            raise RuntimeError(f"{exact} and {rounds[0]} are from different runs; use a new folder")
        return [exact]
    if not rounds:
        raise FileNotFoundError(f"{exact} (or {stem}.rK{ext})")
    return rounds


def last_json(results, name):
    """A PyTorch reference's JSON line (its last), from the round with the best samples/s."""
    records = []
    for path in _files(results, name):
        with open(path) as f:
            records.append(json.loads([line for line in f if line.startswith("{")][-1]))
    return max(records, key=lambda r: r["samples_per_second"])


def dptrain_run(results, name):
    """A dptrain --metrics file: best epoch's samples/s, the accuracy curve and the epochs."""
    rounds = []
    for path in _files(results, name):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        rounds.append([r for r in records if not r.get("summary")])
    epochs = rounds[0]
    return {"samples_per_second": max(e["samples_per_second"] for run in rounds for e in run),
            "test_accuracy": epochs[-1]["test_accuracy"],
            "curve": [e["test_accuracy"] for e in epochs], "epochs": epochs}


def allreduce_probes(results, ranks):
    """Seconds of one allreduce in each round's `dptrain bench allreduce` probe (none: [])."""
    try:
        paths = _files(results, f"allreduce{ranks}.json")
    except FileNotFoundError:
        return []
    probes = []
    for path in paths:
        with open(path) as f:
            probes.append(json.load(f)["sizes"][0]["seconds"])
    return probes


class Checks:
    """PASS/FAIL lines; passed() says whether all passed."""

    def __init__(self):
        self.results = []

    def check(self, label, ok, detail):
        self.results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {detail}")

    def passed(self):
        return all(self.results)
