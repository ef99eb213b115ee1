#!/usr/bin/python3
"""Loss and accuracy curves from dptrain metrics files, into one PNG.

    scripts/plot-training.py results/ranks-1.jsonl results/ranks-2.jsonl results/ranks-4.jsonl \
        --output results/training.png

Each file is one run (`dptrain train --metrics FILE.jsonl`): one JSON object per epoch, then a
summary line. Runs are labelled by file name, or by --label given once per file, in order.
Left: train loss (solid) and test loss (dashed) per epoch; right: test accuracy per epoch.
Needs Debian's python3-matplotlib (or matplotlib from pip); run with /usr/bin/python3.
"""
import argparse
import json
import os
import sys

WIDTH, HEIGHT, DPI = 1100, 440, 100  # pixels of the PNG
PLOTTED = ("train_loss", "test_loss", "test_accuracy")  # per epoch


class InputError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """Bad arguments get one error line (with a pointer to --help), not the usage block."""

    def error(self, message):
        name = self.prog.rsplit(".", 1)[0]  # as the script's other errors say it
        self.exit(2, f"{name}: error: {message} (see {self.prog} --help)\n")


def read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.readlines()
    except OSError as e:
        raise InputError(f"{path}: {e.strerror.lower()}")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (not a dptrain metrics file?)")


def parse_record(path, number, line):
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested past Python's stack
        raise InputError(f"{path}: line {number} is not JSON (not a dptrain metrics file?)")
    if not isinstance(record, dict):
        raise InputError(f"{path}: line {number} is not a JSON object "
                         f"(not a dptrain metrics file?)")
    return record


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_epoch(path, number, record):
    """An epoch record with numbers where the plot needs them: a string would be drawn as a
    category and a null would stop matplotlib, neither with a word about the file."""
    missing = [k for k in PLOTTED if k not in record]
    if missing:
        raise InputError(f"{path}: line {number} lacks {', '.join(missing)}")
    wrong = [f"{k} is {json.dumps(record[k])}" for k in ("epoch",) + PLOTTED
             if not is_number(record[k])]
    if wrong:
        raise InputError(f"{path}: line {number}: {', '.join(wrong)}, not a number")
    return record


def read_run(path):
    """The epoch records of one metrics file, in epoch order, and its summary (or None)."""
    epochs, summary = [], None
    for number, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        record = parse_record(path, number, line)
        if record.get("summary"):
            summary = record
        elif "epoch" in record:
            epochs.append(check_epoch(path, number, record))
    if not epochs:
        raise InputError(f"{path}: no epoch records (write them with `dptrain train --metrics`)")
    return sorted(epochs, key=lambda r: r["epoch"]), summary


def default_label(path, summary):
    label = os.path.splitext(os.path.basename(path))[0]
    if summary and "ranks" in summary:
        label += f" ({summary['ranks']} rank{'s' if summary['ranks'] != 1 else ''})"
    return label


def import_pyplot():
    """matplotlib's pyplot, imported only when drawing so that input errors come first."""
    try:
        import matplotlib
    except ImportError:
        raise InputError(f"matplotlib is missing in {sys.executable}: run with /usr/bin/python3 "
                         f"(Debian's python3-matplotlib) or install matplotlib")
    matplotlib.use("Agg")  # no display on login and compute nodes
    import matplotlib.pyplot as plt
    return plt


def plot(runs, output, title):
    plt = import_pyplot()

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, epochs) in enumerate(runs):
        colour = colours[i % len(colours)]
        x = [r["epoch"] for r in epochs]
        loss_ax.plot(x, [r["train_loss"] for r in epochs], "-o", color=colour, label=f"{label} train")
        loss_ax.plot(x, [r["test_loss"] for r in epochs], "--s", color=colour, label=f"{label} test")
        acc_ax.plot(x, [100 * r["test_accuracy"] for r in epochs], "-o", color=colour, label=label)
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss (solid: train, dashed: test)")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title, parse_math=False)  # a "$" in a title is a dollar sign
    fig.tight_layout()
    save_atomically(fig, output)


def check_output(output, inputs):
    """Refuses an --output that cannot become a PNG file, or would replace an input, before any
    work is done."""
    if not output:
        raise InputError("--output is empty (a PNG file name expected)")
    for path in inputs:
        if os.path.realpath(output) == os.path.realpath(path):
            raise InputError(f"{output}: given as both a metrics file and --output, so writing the "
                             f"picture would destroy the metrics; give the picture a file of its own")
    if output.endswith(os.sep) or os.path.isdir(output):
        raise InputError(f"--output {output}: is a directory (a PNG file name expected)")
    if os.path.exists(output) and not os.path.isfile(output):
        # The rename would put the picture in place of /dev/null or a pipe for every user.
        raise InputError(f"--output {output}: exists and is not a regular file")
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise InputError(f"{output}: directory {directory} does not exist")


def save_atomically(fig, output):
    """A complete PNG or none: a notebook polling the file never reads half of one."""
    directory = os.path.dirname(os.path.abspath(output))
    temporary = os.path.join(directory, f".{os.path.basename(output)}.tmp.{os.getpid()}")
    try:
        fig.savefig(temporary, dpi=DPI, format="png")
        os.replace(temporary, output)
    except OSError as e:
        raise InputError(f"{output}: cannot write it ({(e.strerror or str(e)).lower()})")
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def main():
    parser = Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("metrics", nargs="+", help="metrics files written by dptrain train --metrics")
    parser.add_argument("--output", required=True, help="PNG file to write")
    parser.add_argument("--label", action="append", default=[],
                        help="legend label of a run, once per metrics file in order")
    parser.add_argument("--title", default="", help="title above both plots")
    args = parser.parse_args()
    try:
        check_output(args.output, args.metrics)
        if args.label and len(args.label) != len(args.metrics):
            raise InputError(f"{len(args.label)} --label for {len(args.metrics)} metrics files")
        runs = []
        for i, path in enumerate(args.metrics):
            epochs, summary = read_run(path)
            runs.append((args.label[i] if args.label else default_label(path, summary), epochs))
        plot(runs, args.output, args.title)
    except InputError as e:
        print(f"plot-training: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({WIDTH}x{HEIGHT} pixels, {len(runs)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
