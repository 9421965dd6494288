"""What every command line shares: data options, argument checks, a quiet TensorFlow, and the
exit-2 contract.

Commands parse and check their arguments (and usually their data) before TensorFlow is imported,
so ``--help`` and a bad option answer at once. Library errors (:mod:`search.errors`, the data
layer's :class:`~data.DataError`, a study declaration's :class:`~studies.StudyError`) become one
line, ``error: <message>``, on stderr and exit status 2; nothing else is printed there.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import sys


class UsageError(Exception):
    """A bad combination of options; printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported in one line (its usage is a ``--help`` away)."""

    def error(self, message: str):
        print(f"error: {self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def at_least(low: int):
    """An argparse type: an integer no smaller than ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def add_protocol_options(parser: argparse.ArgumentParser) -> None:
    """The test protocols, the same in every command that scores on test: ``--refit-every``, ``--refit-from``."""
    parser.add_argument("--refit-every", type=at_least(0), default=30,
                        help="rolling-origin protocol beside the static fit: refit every D days on all days "
                             "before (default 30; 0: static only)")
    parser.add_argument("--refit-from", choices=("warm", "scratch"), default="warm",
                        help="rolling refits start from the previous origin's weights (warm, the default: measured "
                             "faster and no worse) or from new ones")


def _size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0 or (value >= 1 and value != int(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is neither a fraction in (0, 1) nor a whole number of days")
    return value


def add_data_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("data")
    g.add_argument("--data", default="btc",
                   help="'btc' (the default: CoinDesk 2013-2021), yahoo:SYMBOL[:START] (today's prices, e.g. "
                        "yahoo:BTC-USD; needs yfinance) or a CSV path")
    g.add_argument("--refresh", action="store_true", help="download a yahoo: snapshot again, even if today's exists")
    g.add_argument("--date-col", help="date column of a CSV in another layout")
    g.add_argument("--target-col", help="price column to forecast of a CSV in another layout")
    g.add_argument("--fill-gaps", action="store_true", help="forward-fill missing calendar days (else an error)")
    g.add_argument("--until", metavar="DATE", help="use the data up to and including DATE (stand at a past day)")
    g.add_argument("--test-size", type=_size, default=0.2,
                   help="test split: fraction of windows (0.2, the seed's) or a number of days (557)")
    g.add_argument("--val-size", type=_size, default=0.1,
                   help="each validation fold: fraction of windows or number of days")


def load_frame(args):
    from data import load

    return load(args.data, date_col=args.date_col, target_col=args.target_col, fill_gaps=args.fill_gaps,
                until=args.until, refresh=args.refresh)


@contextlib.contextmanager
def _stderr_silenced():
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ start-up lines bypass Python's logging."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_tensorflow(verbose: bool = False, *, threads: int | None = None) -> None:
    """Import TensorFlow quietly (unless ``verbose``) and probe the GPU once, before any command uses it.

    Its C++ start-up lines ("All log messages before absl::InitializeLog()", "Could not find cuda
    drivers", "failed call to cuInit") say nothing a user can act on; ``--verbose`` shows them."""
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        # Every trial compiles its own training function; TensorFlow would warn about "retracing".
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with contextlib.nullcontext() if verbose else _stderr_silenced():
        import tensorflow as tf

        if threads:  # must precede TensorFlow's first operation
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
        tf.config.list_physical_devices("GPU")
        import keras  # noqa: F401  (its own start-up, silenced too)


def quiet_libraries(verbose: bool = False) -> None:
    """Optuna's per-trial log lines and tracebacks repeat what the commands print in one line."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.ERROR)


def _known_errors() -> tuple[type[BaseException], ...]:
    from data.errors import DataError
    from search.errors import SearchError
    from studies import StudyError

    return DataError, SearchError, StudyError, UsageError


def _storage_error(err: BaseException) -> str | None:
    """A database error from SQLAlchemy (a read-only file, a lost connection) as one line."""
    if not type(err).__module__.startswith("sqlalchemy"):
        return None
    from search.engine.storage import redact, root_cause

    return f"storage: {redact(root_cause(err))}"


def main_guard(fn):
    """Run a CLI ``main``: known errors become ``error: ...`` on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(argv=None):
        try:
            return fn(argv)
        except _known_errors() as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        except Exception as err:
            message = _storage_error(err)
            if message is None:
                raise
            print(f"error: {message}", file=sys.stderr)
            sys.exit(2)

    return wrapper
