"""Speedup and efficiency tables in Markdown.

Strong scaling (fixed global batch): speedup = throughput(n) / throughput(base), efficiency =
speedup / (n / base). Weak scaling (fixed batch per rank): efficiency = throughput per node
relative to the base run's. Throughput (samples/s) stands for time: the work per epoch is
the same in every run of a series."""


def series_rows(rows, series, model=None):
    chosen = [r for r in rows if series in r["series"].split("+")
              and (model is None or r["model"] == model)]
    return sorted(chosen, key=lambda r: (r["nodes"], r["ranks_per_node"]))


def scaling_figures(rows):
    """Adds speedup and efficiency relative to the run with the fewest nodes."""
    if not rows:
        return []
    base = rows[0]
    out = []
    for r in rows:
        speedup = r["samples_per_second"] / base["samples_per_second"]
        out.append(dict(r, speedup=speedup, efficiency=speedup / (r["nodes"] / base["nodes"])))
    return out


def node_table(rows, title):
    lines = [f"### {title}", "",
             "| nodes | ranks | threads/rank | global batch | samples/s | speedup | efficiency "
             "| comm share | test accuracy |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in scaling_figures(rows):
        lines.append(f"| {r['nodes']:.0f} | {r['ranks']:.0f} | {r['threads']:.0f} "
                     f"| {r['global_batch']:.0f} | {r['samples_per_second']:.0f} "
                     f"| {r['speedup']:.2f} | {r['efficiency']:.0%} | {r['comm_share']:.1%} "
                     f"| {r['test_accuracy']:.1%} |")
    return "\n".join(lines) + "\n"


def layout_table(rows, model):
    if not rows:
        return ""
    best = max(r["samples_per_second"] for r in rows)
    lines = [f"### Layouts within one node: {model}", "",
             "| ranks x threads | batch/rank | samples/s | vs best | comm share |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['ranks_per_node']:.0f} x {r['threads']:.0f} "
                     f"| {r['batch_per_rank']:.0f} | {r['samples_per_second']:.0f} "
                     f"| {r['samples_per_second'] / best:.0%} | {r['comm_share']:.1%} |")
    return "\n".join(lines) + "\n"


def report(rows):
    parts = ["## Measured scaling", ""]
    models = list(dict.fromkeys(r["model"] for r in rows))
    for model in models:
        for series, title in (("strong", "Strong scaling (fixed global batch)"),
                              ("weak", "Weak scaling (fixed batch per rank)")):
            chosen = series_rows(rows, series, model)
            if chosen:
                parts.append(node_table(chosen, f"{title}: {model}"))
        parts.append(layout_table(series_rows(rows, "layout", model), model))
    return "\n".join(p for p in parts if p)
