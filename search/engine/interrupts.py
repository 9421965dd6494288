"""A Ctrl-C that is never lost.

Python raises ``KeyboardInterrupt`` wherever the signal lands. When that is a finaliser (TensorFlow frees
its compiled functions in ``__del__``), Python prints "Exception ignored" and carries on, and the job
runs to its end as if nobody had pressed Ctrl-C. The handler here also remembers the signal; the trainer
calls :func:`check` between chunks of epochs, so a swallowed interrupt still stops the job there.

Example:
    >>> from search.engine import interrupts
    >>> interrupts.check()  # nothing pending: returns
"""

from __future__ import annotations

import signal
import sys

_pending = False


def install() -> None:
    """Remember every SIGINT; a no-op where SIGINT is ignored or handled by someone else."""
    global _pending
    _pending = False
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _handler)
        previous = sys.unraisablehook
        # The swallowed interrupt is remembered and acted on, so its "Exception ignored" note is noise.
        sys.unraisablehook = lambda u: None if isinstance(u.exc_value, KeyboardInterrupt) else previous(u)


def _handler(signum, frame):
    global _pending
    _pending = True
    raise KeyboardInterrupt


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a Ctrl-C arrived and was swallowed on its way."""
    if _pending:
        raise KeyboardInterrupt
