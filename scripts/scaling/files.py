"""Writing the study's files whole or not at all: each is written under a temporary name in its
own directory and renamed when complete, so a failure (or Ctrl-C) never leaves half a file, and
a report's files are renamed together, so they never mix a new report with an old one."""

import os
import sys
from pathlib import Path


class StudyError(Exception):
    """A failure the user can fix (bad input, a failed command): reported in one line."""


def warn(message):
    print(f"scaling-study: warning: {message}", file=sys.stderr)


def temporary_name(path):
    path = Path(path)
    return path.with_name(f".{path.name}.tmp.{os.getpid()}")


def remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def write_text(path, text):
    """Replaces `path` with `text` in one rename."""
    temporary = temporary_name(path)
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError as e:
        raise StudyError(f"{path}: cannot write it ({(e.strerror or str(e)).lower()})") from e
    finally:
        remove_quietly(temporary)


class ReportFiles:
    """The files of one report: written under temporary names, renamed together by commit(),
    removed if the report fails before that. Use as `with ReportFiles(dir) as files:`."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.pending = {}  # final path -> temporary path

    def temporary(self, name):
        """Where to write `name` for now (e.g. for matplotlib's savefig)."""
        final = self.directory / name
        self.pending[final] = temporary_name(final)
        return self.pending[final]

    def write_text(self, name, text):
        self.temporary(name).write_text(text)

    def commit(self):
        # A final name that cannot be replaced (a directory there) is found before the first
        # rename: otherwise a report would be left half new and half old.
        for final in self.pending:
            if final.is_dir():
                raise StudyError(f"{final}: cannot write it (a directory is in the way)")
        for final, temporary in self.pending.items():
            try:
                os.replace(temporary, final)
            except OSError as e:
                raise StudyError(f"{final}: cannot write it ({(e.strerror or str(e)).lower()})") from e
        self.pending = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for temporary in self.pending.values():
            remove_quietly(temporary)
        return False
