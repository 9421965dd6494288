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
from pathlib import Path


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


def at_most(low: int, high: int, why: str):
    """An argparse type: an integer in ``low .. high`` (``why`` says what the bound protects)."""
    lower = at_least(low)

    def parse(text: str) -> int:
        value = lower(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high} ({why}), got {value}")
        return value

    parse.__name__ = f"integer in {low}..{high}"
    return parse


def add_protocol_options(parser: argparse.ArgumentParser) -> None:
    """The test protocols, the same in every command that scores on test: ``--refit-every``, ``--refit-from``."""
    from search.evaluation.options import TestProtocols

    parser.add_argument("--refit-every", type=at_least(0), default=TestProtocols.refit_every,
                        help="rolling-origin protocol beside the static fit: refit every D days on all days "
                             f"before (default {TestProtocols.refit_every}; 0: static only)")
    parser.add_argument("--refit-from", choices=("warm", "scratch"), default="warm",
                        help="rolling refits start from the previous origin's weights (warm, the default: measured "
                             "faster and no worse) or from new ones")


def add_budget_option(parser: argparse.ArgumentParser, flag: str) -> None:
    """The retrain's budget against the search's cost (search.evaluation.budget)."""
    from search.evaluation.options import RETRAIN_BUDGET

    def ratio(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value >= 0:  # NaN too
            raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
        return None if value == float("inf") else value  # None: no limit

    parser.add_argument(flag, type=ratio, default=RETRAIN_BUDGET, metavar="RATIO",
                        help="retrain the next best configuration only while the retrain's training cost stays "
                             f"within RATIO x the search's (default {RETRAIN_BUDGET}; 0: the best alone; "
                             "inf: every one asked for)")


def protocols(args):
    from search.evaluation.options import TestProtocols

    return TestProtocols(refit_every=args.refit_every, warm=args.refit_from == "warm")


def add_workspace(parser: argparse.ArgumentParser, *, storage: bool = True) -> None:
    """``--runs DIR`` (where results live) and, for commands that open studies, ``--storage URL``."""
    parser.add_argument("--runs", type=Path, default=Path("runs"),
                        help="folder of results, reports, artifacts and the default storage (default runs)")
    if storage:
        parser.add_argument("--storage", help="sqlite:///FILE.db (default RUNS/optuna.db), postgresql://..., or "
                                              "FILE.log journal")


def workspace(args):
    from search.workspace import Workspace

    return Workspace(args.runs)


def storage_of(args) -> str:
    return args.storage if args.storage is not None else workspace(args).default_storage


def _size(text: str) -> float:
    from data.split import check_size

    try:
        return check_size(float(text))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}" if "neither" in str(err) else
                                         f"{text!r} is not a number") from None


def add_data_args(parser: argparse.ArgumentParser) -> None:
    from data.split import DEFAULT_TEST_SIZE, DEFAULT_VAL_SIZE

    g = parser.add_argument_group("data")
    g.add_argument("--data", default="btc",
                   help="'btc' (the default: CoinDesk 2013-2021), yahoo:SYMBOL[:START] (today's prices, e.g. "
                        "yahoo:BTC-USD; needs yfinance) or a CSV path")
    g.add_argument("--refresh", action="store_true", help="download a yahoo: snapshot again, even if today's exists")
    g.add_argument("--date-col", help="date column of a CSV in another layout")
    g.add_argument("--date-format", help="how the dates are written, e.g. %%d/%%m/%%Y (default: ISO, or read off "
                                         "the values)")
    g.add_argument("--target-col", help="price column to forecast of a CSV in another layout")
    g.add_argument("--fill-gaps", action="store_true", help="forward-fill missing calendar days (else an error)")
    g.add_argument("--until", metavar="DATE", help="use the data up to and including DATE (stand at a past day)")
    g.add_argument("--test-size", type=_size, default=DEFAULT_TEST_SIZE,
                   help=f"test split: fraction of windows ({DEFAULT_TEST_SIZE}, the seed's) or a number of days (557)")
    g.add_argument("--val-size", type=_size, default=DEFAULT_VAL_SIZE,
                   help="each validation fold: fraction of windows or number of days")


def data_spec(args, **overrides):
    """The data options as a :class:`~data.DataSpec`."""
    from data import DataSpec

    return DataSpec(data=args.data, date_col=args.date_col, target_col=args.target_col, date_format=args.date_format,
                    fill_gaps=args.fill_gaps, test_size=args.test_size, val_size=args.val_size, until=args.until,
                    **overrides)


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


def tensorflow_environment(verbose: bool = False) -> None:
    """TensorFlow's settings, which it reads once as it loads (so before that)."""
    # Its default CPU allocator gives every large tensor back to the kernel and takes fresh pages for
    # the next: a 24M-weight N-BEATS spent more time in the kernel than training. The BFC allocator
    # keeps them (measured: N-BEATS 2.0x, dense and LSTM 1.2-1.4x as fast, the same weights; README).
    os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def load_backend(verbose: bool = False, *, threads: int | None = None) -> None:
    """Import Keras' backend quietly (unless ``verbose``) and probe the GPU once, before any command uses it.

    TensorFlow's C++ start-up lines ("All log messages before absl::InitializeLog()", "Could not find
    cuda drivers", "failed call to cuInit") and JAX's "no CUDA-enabled jaxlib" say nothing a user
    can act on; ``--verbose`` shows them. On JAX, ``threads`` is left to XLA (it uses every core)."""
    from search.engine import backend

    tensorflow_environment(verbose)
    if backend.name() == "jax":
        with contextlib.nullcontext() if verbose else _stderr_silenced():
            import importlib.util

            import jax
            import keras  # noqa: F401

            jax.devices()
            if importlib.util.find_spec("tensorflow"):  # keras.utils.set_random_seed seeds it too, if present
                os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # even with --verbose: it is not the backend
                with contextlib.suppress(ImportError):
                    import tensorflow  # noqa: F401
        return
    if not verbose:
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
    """Optuna's per-trial log lines and tracebacks repeat what the commands print in one line; the
    project's own notes (a recomputed trial, a classical model left out) go to stdout as ``note:``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.ERROR)
    for name in ("search", "data"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, _Notes) for h in logger.handlers):
            logger.addHandler(_Notes())
            logger.setLevel(logging.INFO)
            logger.propagate = False


class _Notes(logging.StreamHandler):
    """``note: ...`` lines on whatever ``sys.stdout`` is when a note is written."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("note: %(message)s"))

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _):  # StreamHandler.__init__ sets it; stdout is looked up at each note instead
        pass


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


INTERRUPTED = 130  # a command's exit status after Ctrl-C, as a shell reports it


def exit_with(code: int):
    """End the process with ``code``; after a Ctrl-C (results written, lines printed) without the
    interpreter's teardown, which an interrupted XLA step can leave to crash ("double free", SIGSEGV:
    2 of 8 interrupted JAX searches exited -6 or -11 after their last line)."""
    if code == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main_guard(fn):
    """Run a CLI ``main``: known errors become ``error: ...`` on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(argv=None):
        from search.engine import interrupts

        interrupts.install()
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
