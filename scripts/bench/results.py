"""Reading benchmark results and checking them, shared by compare.py and compare_gpu.py."""
import json
import os


def last_json(results, name):
    """The last JSON line of a PyTorch reference's output."""
    with open(os.path.join(results, name)) as f:
        return json.loads([line for line in f if line.startswith("{")][-1])


def dptrain_run(results, name):
    """A dptrain --metrics file: best epoch's samples/s, the accuracy curve and the epochs."""
    with open(os.path.join(results, name)) as f:
        records = [json.loads(line) for line in f if line.strip()]
    epochs = [r for r in records if not r.get("summary")]
    return {"samples_per_second": max(e["samples_per_second"] for e in epochs),
            "test_accuracy": epochs[-1]["test_accuracy"],
            "curve": [e["test_accuracy"] for e in epochs], "epochs": epochs}


class Checks:
    """PASS/FAIL lines; passed() says whether all passed."""

    def __init__(self):
        self.results = []

    def check(self, label, ok, detail):
        self.results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {detail}")

    def passed(self):
        return all(self.results)
