"""Watch studies live: optuna-dashboard on the project's storage.

    python -m search.dashboard                      # the embedded storage, runs/optuna.db
    python -m search.dashboard --storage postgresql://user@db/bitpredict --port 8081

Bound to 127.0.0.1 unless ``--host`` says otherwise. Equivalent to Optuna's own
``optuna-dashboard sqlite:///runs/optuna.db``; each trial's validation forecasts are listed as an
artifact when ``--artifacts`` points at the folder (default ``runs/artifacts``).
"""

from __future__ import annotations

import sys

from search import cli


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=cli.at_least(1), default=8080, help="port (default 8080)")
    args = parser.parse_args(argv)
    if args.port > 65535:
        raise cli.UsageError(f"--port must be at most 65535, got {args.port}")
    import optuna_dashboard

    from search.engine.artifacts import artifact_store
    from search.engine.storage import RUNS, open_storage

    storage = open_storage(args.storage, create=False)
    print(f"optuna-dashboard on http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)
    try:
        optuna_dashboard.run_server(storage, host=args.host, port=args.port, artifact_store=artifact_store(RUNS, create=False))
    except OSError as err:
        raise cli.UsageError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
