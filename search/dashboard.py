"""Watch studies live: optuna-dashboard on the project's storage.

    python -m search.dashboard                      # the embedded storage, runs/optuna.db
    python -m search.dashboard --storage postgresql://user@db/bitpredict --port 8081

Bound to 127.0.0.1 unless ``--host`` says otherwise. Equivalent to Optuna's own
``optuna-dashboard sqlite:///runs/optuna.db``; each trial's validation forecasts are listed as an
artifact (the workspace's ``artifacts/`` folder, ``--runs DIR``). The port is bound before the
address is printed, so a busy port is one line and nothing else.
"""

from __future__ import annotations

import sys

from search import cli


def serve(app, host: str, port: int):
    """A quiet WSGI server on ``host:port`` (bound now: a busy port raises here)."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):  # one stderr line per request is not the user's to read
            pass

    return make_server(host, port, app, handler_class=Quiet)


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.dashboard", description=__doc__.split("\n\n")[0])
    cli.add_workspace(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=cli.at_most(1, 65535, "the largest TCP port"), default=8080,
                        help="port (default 8080)")
    args = parser.parse_args(argv)
    import optuna_dashboard

    from search.engine.artifacts import artifact_store
    from search.engine.storage import open_storage

    ws = cli.workspace(args)
    storage = open_storage(cli.storage_of(args), create=False)
    app = optuna_dashboard.wsgi(storage, artifact_store=artifact_store(ws.artifacts, create=False))
    try:
        server = serve(app, args.host, args.port)
    except OSError as err:
        raise cli.UsageError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    print(f"optuna-dashboard on http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
