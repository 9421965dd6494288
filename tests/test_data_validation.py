"""Every bad-input case: one line on stderr naming the file, exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from search.baseline import main as baseline

HEADER = "Currency,Date,Closing Price (USD),24h Open (USD),24h High (USD),24h Low (USD)"


def rows(n=60, start="2020-01-01", price=100.0):
    import pandas as pd

    days = pd.date_range(start, periods=n)
    return [f"BTC,{d.date()},{price + i},1,1,1" for i, d in enumerate(days)]


def write(tmp_path, lines, name="prices.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def run_cli(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        baseline([*argv, "--json"])
    err = capsys.readouterr().err.strip()
    return exc.value.code, err


def replace(lines, index, value):
    out = list(lines)
    parts = out[index].split(",")
    parts[2] = value
    out[index] = ",".join(parts)
    return out


CASES = {
    "empty": (lambda t: write(t, []), "file is empty"),
    "header only": (lambda t: write(t, [HEADER]), "header only, no data rows"),
    "wrong delimiter": (lambda t: write(t, [HEADER.replace(",", ";"), *[r.replace(",", ";") for r in rows()]]),
                        "must be comma-separated"),
    "no target column": (lambda t: write(t, ["Day,Price", *[f"2020-01-{i:02d},1" for i in range(1, 30)]]),
                         "no usable target column"),
    "ragged": (lambda t: write(t, [HEADER, *rows()[:5], "BTC,2020-01-06,1", *rows()[6:]]), "row 7: 3 fields, header has 6"),
    "bad date": (lambda t: write(t, [HEADER, *[r.replace("2020-01-03", "2020-13-45") for r in rows()]]),
                 "row 4, column 'Date': unparseable date '2020-13-45'"),
    "duplicate date": (lambda t: write(t, [HEADER, *rows()[:10], rows()[9], *rows()[10:]]), "row 12: duplicate date 2020-01-10"),
    "non-numeric": (lambda t: write(t, [HEADER, *replace(rows(), 4, "abc")]),
                    "row 6, column 'Closing Price (USD)': non-numeric value 'abc'"),
    "missing value": (lambda t: write(t, [HEADER, *replace(rows(), 4, "")]), "row 6, column 'Closing Price (USD)': missing value"),
    "nan": (lambda t: write(t, [HEADER, *replace(rows(), 4, "NaN")]), "row 6, column 'Closing Price (USD)': NaN value"),
    "inf": (lambda t: write(t, [HEADER, *replace(rows(), 4, "inf")]), "row 6, column 'Closing Price (USD)': infinite value"),
    "zero": (lambda t: write(t, [HEADER, *replace(rows(), 4, "0")]), "row 6, column 'Closing Price (USD)': price must be positive"),
    "negative": (lambda t: write(t, [HEADER, *replace(rows(), 4, "-5")]), "price must be positive, got -5.0"),
    "gap": (lambda t: write(t, [HEADER, *rows()[:20], *rows()[23:]]),
            "3 missing day(s) in the daily calendar, first 2020-01-21; pass --fill-gaps"),
    "too short": (lambda t: write(t, [HEADER, *rows(20)]), "series too short: 20 rows,"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2(case, tmp_path, capsys):
    make, expected = CASES[case]
    path = make(tmp_path)
    code, err = run_cli(capsys, "--data", str(path))
    assert code == 2
    assert err.count("\n") == 0, err
    assert err.startswith(f"error: {path}"), err
    assert expected in err


def test_missing_path_and_directory(tmp_path, capsys):
    code, err = run_cli(capsys, "--data", str(tmp_path / "nope.csv"))
    assert (code, err) == (2, f"error: {tmp_path / 'nope.csv'}: no such file")
    code, err = run_cli(capsys, "--data", str(tmp_path))
    assert (code, err) == (2, f"error: {tmp_path}: is a directory, expected a CSV file")


def test_binary_file(tmp_path, capsys):
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x89PNG\x00\x01\x02" * 50)
    code, err = run_cli(capsys, "--data", str(path))
    assert (code, err) == (2, f"error: {path}: not a CSV file (binary content)")


def test_too_short_says_how_many_rows_are_needed(tmp_path, capsys):
    path = write(tmp_path, [HEADER, *rows(20)])
    _, err = run_cli(capsys, "--data", str(path), "--window", "7")
    assert "20 rows, 36 needed for window 7 + horizon 1" in err
    assert baseline(["--data", str(write(tmp_path, [HEADER, *rows(36)], "ok.csv")), "--json"]) == 0


def test_fill_gaps_forward_fills_and_counts(tmp_path, capsys):
    path = write(tmp_path, [HEADER, *rows()[:20], *rows()[23:]])
    import json

    assert baseline(["--data", str(path), "--fill-gaps", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["filled_days"] == 3
    assert out["rows"] == 60


def test_descending_dates_are_sorted_not_rejected(tmp_path, capsys):
    import json

    good = write(tmp_path, [HEADER, *rows()], "asc.csv")
    desc = write(tmp_path, [HEADER, *reversed(rows())], "desc.csv")
    baseline(["--data", str(good), "--json"])
    asc_out = json.loads(capsys.readouterr().out)
    baseline(["--data", str(desc), "--json"])
    desc_out = json.loads(capsys.readouterr().out)
    assert asc_out["mae"] == desc_out["mae"] and desc_out["first_day"] == "2020-01-01"


def test_subprocess_prints_no_traceback(tmp_path):
    path = write(tmp_path, [HEADER, *replace(rows(), 4, "abc")])
    proc = subprocess.run([sys.executable, "-m", "search.baseline", "--data", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"error: {path}: row 6, column 'Closing Price (USD)': non-numeric value 'abc'"]
