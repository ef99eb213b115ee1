"""Checks a miniature scaling study (1 and 2 nodes, layouts 1x1 and 2x1): one CSV row per
planned run with its Slurm job id, tables with the expected rows, valid PNG plots, and a model
whose predictions are sane. Usage: check_study.py STUDY_DIR"""

import csv
import json
import sys
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fail(message):
    sys.exit(f"FAIL: scaling study: {message}")


def check_csv(study):
    plan = json.loads((study / "plan.json").read_text())["runs"]
    with open(study / "runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if sorted(r["run"] for r in rows) != sorted(r["id"] for r in plan):
        fail(f"runs.csv has {[r['run'] for r in rows]}, the plan {[r['id'] for r in plan]}")
    for r in rows:
        if not r["job_id"].isdigit():
            fail(f"run {r['run']}: job id {r['job_id']!r} is not a Slurm job id")
        if int(r["ranks"]) != int(r["nodes"]) * int(r["ranks_per_node"]):
            fail(f"run {r['run']}: {r['ranks']} ranks on {r['nodes']} nodes")
        if not float(r["samples_per_second"]) > 0 or not 0 <= float(r["comm_share"]) < 1:
            fail(f"run {r['run']}: implausible figures {r}")
    if {r["nodes"] for r in rows} != {"1", "2"}:
        fail("runs.csv lacks 1- or 2-node runs")
    return rows


def check_tables(study):
    text = (study / "tables.md").read_text()
    for heading in ("Strong scaling", "Weak scaling", "Layouts within one node"):
        if heading not in text:
            fail(f"tables.md has no '{heading}' table")
    strong = text.split("Strong scaling")[1].split("###")[0]
    data = [line for line in strong.splitlines() if line.startswith("| ") and "nodes" not in line]
    if len(data) != 2 or "| 1.00 | 100% |" not in data[0]:
        fail(f"strong-scaling table should have 1 node (speedup 1.00, 100%) and 2 nodes: {data}")


def check_plots(study):
    for name in ("strong.png", "weak.png", "model.png"):
        path = study / name
        if not path.exists() or path.stat().st_size < 5000:
            fail(f"{name} missing or empty")
        if path.read_bytes()[:8] != PNG_MAGIC:
            fail(f"{name} is not a PNG")


def check_model(study):
    model = json.loads((study / "model.json").read_text())
    nodes = [r["nodes"] for r in model["trillium"]]
    if nodes != [1, 2, 4, 8, 16, 32, 64]:
        fail(f"model predicts nodes {nodes}")
    efficiency = [r["weak_efficiency"] for r in model["trillium"]]
    if abs(efficiency[0] - 1) > 1e-9 or any(b > a + 1e-9 for a, b in zip(efficiency, efficiency[1:])):
        fail(f"weak efficiency should start at 1 and never rise: {efficiency}")
    if model["network_measured"] is None:
        fail("no network figures fitted from the 2-node runs")
    text = (study / "model.md").read_text()
    if "Recommended layout" not in text or "ASSUMPTION" not in text:
        fail("model.md lacks the recommended layout or its labelled assumptions")


def main(study):
    study = Path(study)
    check_csv(study)
    check_tables(study)
    check_plots(study)
    check_model(study)


if __name__ == "__main__":
    main(sys.argv[1])
