"""Fits the model to a study, predicts 1-64 nodes for this machine and for Trillium, and writes
model.md, model.json and model.png next to the study's other outputs."""

import json
import math
from pathlib import Path

import fit
import predict
from files import StudyError
from tables import series_rows

NODE_COUNTS = [1, 2, 4, 8, 16, 32, 64]

# The assumptions file's figures the model needs; each is {"value": number, "source": text}.
ASSUMED = ["cores_per_node", "network_latency_s", "network_bandwidth_bytes_per_s",
           "node_memory_bandwidth_bytes_per_s", "core_speed_vs_measured",
           "serial_fraction_if_unmeasured", "dataset_samples"]
WHOLE_NUMBERS = {"cores_per_node", "dataset_samples"}


def load_assumptions(path):
    """({name: {"value", "source"}}, machine name), checked before the report writes anything."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise StudyError(f"--assumptions {path}: {e.strerror.lower()}") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise StudyError(f"--assumptions {path}: not JSON ({e})") from e
    if not isinstance(data, dict):
        raise StudyError(f"--assumptions {path}: not a JSON object")
    figures = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key in ASSUMED:
        if key not in figures:
            raise StudyError(f"--assumptions {path}: {key} is missing")
    for key, item in figures.items():
        check_assumption(path, key, item)
    return figures, str(data.get("machine", ""))


def check_assumption(path, key, item):
    """A figure the model can compute with, and where it comes from (model.md shows both)."""
    where = f"--assumptions {path}: {key}"
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StudyError(f"{where}: value is missing or not a number")
    if key == "serial_fraction_if_unmeasured" and not 0 <= value <= 1:
        raise StudyError(f"{where}: value must be between 0 and 1")
    if key != "serial_fraction_if_unmeasured" and value <= 0:
        raise StudyError(f"{where}: value must be positive")
    if key in WHOLE_NUMBERS and value != int(value):
        raise StudyError(f"{where}: value must be a whole number")
    if not isinstance(item.get("source"), str):
        raise StudyError(f"{where}: source (where the value comes from) is missing")


def one_thread_compute(compute, sigma):
    """The compute line at 1 thread (the model's unit) and the thread count it came from: the
    1-thread fit, else the fewest threads measured, times their Amdahl speedup (a study of
    24 x 8 layouts alone has no 1-thread run)."""
    threads = min(compute)
    intercept, per_sample = compute[threads]
    speedup = predict.thread_speedup(threads, sigma)
    return intercept * speedup, per_sample * speedup, threads


def workload_from(rows, model, assumptions):
    compute = fit.fit_compute(rows, model)
    sigma, measured = fit.serial_fraction(rows, model, compute,
                                          assumptions["serial_fraction_if_unmeasured"]["value"])
    intercept, per_sample, from_threads = one_thread_compute(compute, sigma)
    intra = fit.fit_intra_node(rows) or (0.0, 0.0)
    w = predict.Workload(gradient_bytes=fit.gradient_bytes(model),
                         buckets=fit.MODELS[model]["buckets"], compute_intercept_s=intercept,
                         compute_per_sample_s=per_sample, serial_fraction=sigma,
                         node_alpha_s=intra[0], node_seconds_per_byte=intra[1])
    return w, compute, measured, from_threads


def trillium_machine(a):
    # Whole numbers (checked), given as 192 or 192.0: counted as ranks, never printed as 192.0.
    return predict.Machine(cores_per_node=int(a["cores_per_node"]["value"]),
                           network_latency_s=a["network_latency_s"]["value"],
                           network_bandwidth=a["network_bandwidth_bytes_per_s"]["value"],
                           node_memory_bandwidth=a["node_memory_bandwidth_bytes_per_s"]["value"],
                           core_speed=a["core_speed_vs_measured"]["value"],
                           dataset_samples=int(a["dataset_samples"]["value"]))


def measured_machine(rows, a, network):
    cores = max(int(r["ranks_per_node"] * r["threads"]) for r in rows)
    m = trillium_machine(a)
    m.cores_per_node, m.core_speed = cores, 1.0
    if network:
        m.network_latency_s, m.network_bandwidth = network
    return m


def prediction_table(rows):
    lines = ["| nodes | weak: samples/s | weak: efficiency | weak: epoch s "
             "| strong: speedup | strong: efficiency | strong: epoch s |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        strong = ("| {strong_speedup:.1f} | {strong_efficiency:.0%} | {strong_epoch_seconds:.2f} |"
                  .format(**r) if "strong_speedup" in r else "| – | – | – |")
        lines.append(f"| {r['nodes']} | {r['weak_samples_per_second']:.0f} "
                     f"| {r['weak_efficiency']:.1%} | {r['weak_epoch_seconds']:.2f} {strong}")
    return "\n".join(lines)


def inputs_table(w, compute, thread_measured, from_threads, network, a):
    lines = ["| input | value | from |", "|---|---|---|"]
    for threads, (intercept, slope) in compute.items():
        lines.append(f"| compute, {threads} thread(s) | {intercept * 1e3:.2f} ms/step + "
                     f"{slope * 1e6:.1f} µs/sample | measured |")
    if from_threads != 1:
        lines.append(f"| compute, 1 thread | {w.compute_intercept_s * 1e3:.2f} ms/step + "
                     f"{w.compute_per_sample_s * 1e6:.1f} µs/sample | {from_threads} threads' "
                     f"times their speedup at the serial fraction below (no 1-thread run) |")
    lines.append(f"| serial fraction of a rank's threads | {w.serial_fraction:.2f} | "
                 f"{'measured (1 vs 2 threads)' if thread_measured else 'assumption'} |")
    lines.append(f"| reduction within a node | {w.node_alpha_s * 1e6:.0f} µs/bucket + "
                 f"{w.node_seconds_per_byte * 1e9:.3f} ns/byte | measured |")
    if network:
        lines.append(f"| network of the measuring machine | {network[0] * 1e6:.0f} µs latency, "
                     f"{network[1] / 1e9:.2f} GB/s | measured (2-node runs) |")
    else:
        lines.append("| network of the measuring machine | not measured (that needs runs of one "
                     "rank on each of 2 or more nodes) | the assumed network below |")
    for key, item in a.items():
        lines.append(f"| {key} | {item['value']:g} | {item['source']} |")
    return "\n".join(lines)


def write_model(report_files, rows, model, batch, assumptions):
    """Adds model.png, model.json and model.md to the report; returns the summary."""
    import plots  # only here: planning and submitting work without matplotlib

    a, machine_name = assumptions
    # Communication costs come from every model's runs (more gradient sizes); the rest from
    # the workload's own.
    w, compute, thread_measured, from_threads = workload_from(rows, model, a)
    network = fit.fit_network(rows)
    rows = [r for r in rows if r["model"] == model]
    trillium = trillium_machine(a)
    ranks, threads = predict.best_layout(w, trillium, 16, batch)
    trillium_rows = predict.predict(w, trillium, NODE_COUNTS, ranks, threads, batch)
    here = measured_machine(rows, a, network)
    node_series = series_rows(rows, "weak") or rows
    here_layout = (int(node_series[0]["ranks_per_node"]), int(node_series[0]["threads"]))
    here_rows = predict.predict(w, here, NODE_COUNTS, *here_layout, batch)
    paying, slower = predict.strong_scaling_limit(trillium_rows)
    at16 = next(r for r in trillium_rows if r["nodes"] == 16)
    label = f"{machine_name}, {ranks} x {threads}"
    # Without a measured network, this machine's curve uses the assumed one: its label says so.
    here_label = (f"this machine, {here_layout[0]} x {here_layout[1]}"
                  + ("" if network else f", {machine_name}'s assumed network"))
    plots.model_plot({label: trillium_rows, here_label: here_rows},
                     {"strong": series_rows(rows, "strong"), "weak": series_rows(rows, "weak")},
                     report_files.temporary("model.png"))
    summary = {"model": model, "batch_per_rank": batch, "recommended_layout": [ranks, threads],
               "weak_efficiency_16_nodes": at16["weak_efficiency"],
               "strong_scaling_pays_up_to_nodes": paying, "strong_scaling_slower_from": slower,
               "trillium": trillium_rows, "this_machine": here_rows,
               "workload": vars(w), "network_measured": network}
    report_files.write_text("model.json", json.dumps(summary, indent=1) + "\n")
    text = [f"## Scaling model: {model}, batch {batch} per rank", "",
            f"Recommended layout on {machine_name}: **{ranks} ranks x {threads} threads per node**"
            f" (highest predicted throughput per node at 16 nodes). Predicted weak-scaling "
            f"efficiency at 16 nodes: **{at16['weak_efficiency']:.1%}**.",
            f"Strong scaling from one node (global batch {ranks * batch}) keeps ≥ 50% efficiency up "
            f"to {paying} nodes" + (f"; from {slower} nodes on, more nodes make steps slower."
                                    if slower else "."), "",
            f"### Predicted, {label}", "", prediction_table(trillium_rows), "",
            f"### Predicted, this machine ({here_layout[0]} x {here_layout[1]} per node"
            + (")" if network else f"; network not measured: {machine_name}'s assumed one)"), "",
            prediction_table(here_rows), "", "### Inputs", "",
            inputs_table(w, compute, thread_measured, from_threads, network, a), ""]
    report_files.write_text("model.md", "\n".join(text))
    return summary
