"""What every command line shares: data options, quiet logging, and the exit-2 error contract."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys

from data.errors import DataError
from studies import StudyError


class UsageError(Exception):
    """A bad option or state the user can fix; printed as one line, exit status 2."""


def add_data_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("data")
    g.add_argument("--data", default="btc", help="named dataset ('btc', the default) or a CSV path")
    g.add_argument("--date-col", help="date column of a CSV in another layout")
    g.add_argument("--target-col", help="price column to forecast of a CSV in another layout")
    g.add_argument("--fill-gaps", action="store_true", help="forward-fill missing calendar days (else an error)")
    g.add_argument("--test-size", type=_size, default=0.2,
                   help="test split: fraction of windows (0.2, the seed's) or a number of days (557)")
    g.add_argument("--val-size", type=_size, default=0.1,
                   help="validation block just before test: fraction of windows or number of days")


def _size(text: str) -> float:
    value = float(text)
    if value <= 0 or (value >= 1 and value != int(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is neither a fraction in (0, 1) nor a whole number of days")
    return value


def load_frame(args):
    from data import load

    return load(args.data, date_col=args.date_col, target_col=args.target_col, fill_gaps=args.fill_gaps)


def quiet_tensorflow(verbose: bool = False) -> None:
    """Silence TensorFlow's C++ and Python logging unless asked; call before importing it."""
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        # Every trial compiles its own training function; TensorFlow would warn about "retracing".
        logging.getLogger("tensorflow").setLevel(logging.ERROR)


def main_guard(fn):
    """Run a CLI ``main``: known errors become ``error: ...`` on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(argv=None):
        try:
            return fn(argv)
        except (DataError, UsageError, StudyError) as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)

    return wrapper
