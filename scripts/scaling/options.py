"""Checked command-line values: argparse calls these as `type=` and prints their message as one
`error:` line, so a typo never reaches the plan as a silent default or a traceback."""

import argparse

from fit import MODELS


class Parser(argparse.ArgumentParser):
    """An argparse parser whose bad-argument message is one line, not the usage block first:
    one line is what a batch log or a wrapping script can show and grep."""

    def error(self, message):
        name = self.prog.rsplit(".", 1)[0]  # as the script's other errors say it
        self.exit(2, f"{name}: error: {message} (see {self.prog} --help)\n")


def positive_integer(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def comma_list(text):
    """The items of 'a,b,c'; an empty item (',,', a trailing comma) is a typo, not a default."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(f"{text!r} has an empty item (two commas in a row, or "
                                         f"one at an end)")
    return items


def node_counts(text):
    """'1,2,4' -> [1, 2, 4]."""
    return [positive_integer(n) for n in comma_list(text)]


def layout(text):
    """'24x8' -> (24, 8): ranks per node x threads per rank."""
    parts = text.lower().split("x")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"layout {text!r} is not RANKSxTHREADS (e.g. 24x8)")
    try:
        return tuple(positive_integer(part) for part in parts)
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"layout {text!r}: {e}") from None


def layouts(text):
    return [layout(item) for item in comma_list(text)]


def model_names(text):
    """Models the scaling model knows the gradient size of (its fit needs them)."""
    names = comma_list(text)
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown model {', '.join(unknown)} "
                                         f"(known: {', '.join(MODELS)})")
    return names


def directory_name(text):
    if not text:
        raise argparse.ArgumentTypeError("empty path")
    return text
