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


def _epochs(path):
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r for r in records if not r.get("summary")]


def dptrain_run(results, name):
    """A dptrain --metrics file: best epoch's samples/s (and that epoch), the accuracy curve and
    the epochs."""
    rounds = [_epochs(path) for path in _files(results, name)]
    epochs = rounds[0]
    best = max((e for run in rounds for e in run), key=lambda e: e["samples_per_second"])
    return {"samples_per_second": best["samples_per_second"], "best_epoch": best,
            "test_accuracy": epochs[-1]["test_accuracy"],
            "curve": [e["test_accuracy"] for e in epochs], "epochs": epochs}


def lone_ranks(results, n):
    """N independent 1-rank runs started together, loneN.rK.I.jsonl for run I of round K: the
    sum of their samples/s epoch by epoch (they run side by side), best over epochs and rounds;
    and every run's epochs."""
    rounds = {}
    for path in glob.glob(os.path.join(results, f"lone{n}.r*.*.jsonl")):
        round_number, run = os.path.basename(path)[len(f"lone{n}.r"):-len(".jsonl")].split(".")
        rounds.setdefault(int(round_number), {})[int(run)] = _epochs(path)
    if not rounds:
        raise FileNotFoundError(os.path.join(results, f"lone{n}.rK.I.jsonl"))
    best, runs = 0.0, []
    for number, by_run in sorted(rounds.items()):
        if sorted(by_run) != list(range(1, n + 1)):
            raise RuntimeError(f"round {number} of {n} lone ranks has the files of runs {sorted(by_run)}")
        for e in range(min(len(epochs) for epochs in by_run.values())):
            best = max(best, sum(epochs[e]["samples_per_second"] for epochs in by_run.values()))
        runs += by_run.values()
    return {"samples_per_second": best, "runs": runs}


def compute_ms_per_step(epoch):
    """Forward and backward of one step in milliseconds, median over ranks, in an epoch record."""
    phases = epoch["phases"]
    return 1e3 * (phases["forward"]["median"] + phases["backward"]["median"]) / epoch["steps"]


def waiting_ms_per_step(epoch):
    """Waiting for the sums (and the SGD step in them), median over ranks, per step."""
    return 1e3 * epoch["phases"]["communication_wait"]["median"] / epoch["steps"]


def slowest_rank(epoch):
    """The rank whose work (data, forward, backward, optimizer) took longest in an epoch record:
    its number, its work and the least that any rank waited for the sums, per step in
    milliseconds, and the samples/s its pace alone allows. The others wait for that rank each
    step, so what it waits itself is what the exchange costs beyond the slowest rank's work."""
    working, waiting = epoch["phases"]["working"], epoch["phases"]["communication_wait"]
    per_step = 1e3 / epoch["steps"]
    return {"rank": working["slowest_rank"], "working_ms": per_step * working["max"],
            "median_working_ms": per_step * working["median"],
            "least_waiting_ms": per_step * waiting["min"],
            "samples_per_second": epoch["samples"] / working["max"]}


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
