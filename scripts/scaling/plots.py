"""Log-log plots of measured throughput against nodes, with the ideal (linear) line, and the
model's prediction beside the measurements. matplotlib from Debian (python3-matplotlib)."""

import matplotlib

matplotlib.use("Agg")  # no display on clusters and in CI
import matplotlib.pyplot as plt  # noqa: E402

from tables import scaling_figures  # noqa: E402


def node_axis(ax, nodes):
    ax.set_xscale("log", base=2)
    ax.set_xticks(nodes)
    ax.set_xticklabels([str(int(n)) for n in nodes])
    ax.set_xlabel("nodes")
    ax.grid(True, which="both", alpha=0.3)


def measured_plot(rows, title, path):
    """samples/s against nodes, with the base run scaled linearly as the ideal."""
    figures = scaling_figures(rows)
    nodes = [r["nodes"] for r in figures]
    measured = [r["samples_per_second"] for r in figures]
    ideal = [measured[0] * n / nodes[0] for n in nodes]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(nodes, ideal, "--", color="gray", label="ideal (linear)")
    ax.plot(nodes, measured, "o-", label="measured")
    for n, s, r in zip(nodes, measured, figures):
        ax.annotate(f"{r['efficiency']:.0%}", (n, s), textcoords="offset points", xytext=(5, -12))
    ax.set_yscale("log")
    node_axis(ax, nodes)
    ax.set_ylabel("samples/s (log)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")  # path may be a temporary name
    plt.close(fig)


def model_plot(curves, measured, path):
    """Two panels: strong-scaling speedup (log-log, ideal line) and weak-scaling efficiency.
    `curves`: {label: predicted rows}; `measured`: {"strong": rows, "weak": rows}."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    all_nodes = sorted({r["nodes"] for rows in curves.values() for r in rows})
    left.plot(all_nodes, all_nodes, "--", color="gray", label="ideal")
    for label, rows in curves.items():
        strong = [r for r in rows if "strong_speedup" in r]
        left.plot([r["nodes"] for r in strong], [r["strong_speedup"] for r in strong], "-",
                  label=f"predicted, {label}")
        right.plot([r["nodes"] for r in rows], [r["weak_efficiency"] for r in rows], "-",
                   label=f"predicted, {label}")
    for key, ax, value in (("strong", left, "speedup"), ("weak", right, "efficiency")):
        points = scaling_figures(measured.get(key, []))
        if points:
            ax.plot([p["nodes"] for p in points], [p[value] for p in points], "ko",
                    label="measured")
    left.set_yscale("log", base=2)
    left.set_ylabel("speedup over 1 node (log)")
    left.set_title("Strong scaling (fixed global batch)")
    right.axhline(0.9, color="gray", linestyle=":", label="90%")
    right.set_ylim(0, 1.05)
    right.set_ylabel("efficiency")
    right.set_title("Weak scaling (fixed batch per rank)")
    for ax in (left, right):
        node_axis(ax, all_nodes)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")  # path may be a temporary name
    plt.close(fig)
