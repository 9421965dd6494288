"""The main job end to end (``make run``'s command), split into where its time goes.

It runs in a fresh process and a fresh folder with an empty cache, as on a fresh clone, and reads
the phases from the lines the command prints: the search, the retrain (its networks, and the
classical forecasts it waited for beyond what the background refits had finished during the
search), the forecast and the report; the rest is start-up (Python, TensorFlow, the data).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

from search.bench.common import progress

COMMAND = ["--family", "dense", "--trials", "20", "--epochs", "60"]  # the Makefile's `make run`
LINES = {"search": r"study \S+: .*; (\d+)s$", "retrain": r"^retrain (\d+)s: networks (\d+)s, classical forecasts (\d+)s",
         "report": r"; forecast (\d+)s, report (\d+)s$", "done": r"^done in (\d+)s"}


def bench_answer(data: str, command: list[str] | None = None) -> dict:
    argv = [sys.executable, "-m", "search.run", *(command or COMMAND), "--data", data]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, env={**os.environ}, check=True)
        wall = time.perf_counter() - start
    found = {}
    for line in proc.stdout.splitlines():
        for key, pattern in LINES.items():
            if match := re.search(pattern, line):
                found[key] = [int(g) for g in match.groups()]
    search, (retrain, networks, classical), (forecast, report) = found["search"][0], found["retrain"], found["report"]
    out = {"command": " ".join(["python -m search.run", *(command or COMMAND)]), "wall_s": round(wall, 1),
           "search_s": search, "retrain_s": retrain, "networks_s": networks, "classical_wait_s": classical,
           "forecast_s": forecast, "report_s": report}
    out["after_search_s"] = retrain + forecast + report
    out["after_over_search"] = round(out["after_search_s"] / search, 2)
    out["shares"] = {k: round(out[f"{k}_s"] / wall, 3) for k in ("search", "retrain", "forecast", "report")}
    out["shares"]["start-up and the rest"] = round(1 - sum(out["shares"].values()), 3)
    progress(f"answer: {out}")
    return out
