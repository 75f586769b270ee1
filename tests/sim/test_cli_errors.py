"""Command-line errors: bad values end with one `error:` line and exit code 2."""

from __future__ import annotations

import pytest

from sim.cli import main

BASE = ["run", "--lineup", "baselines", "--count", "1", "--horizon", "60"]


@pytest.mark.parametrize(("arguments", "expected"), [
    (["--seed", "-1"], "seed -1 is invalid"),
    (["--budget", "-1"], "budget -1.0 USD is invalid"),
    (["--agent", "noise:poisson=maybe"], "poisson 'maybe' is invalid"),
])
def test_run_rejects_bad_value(arguments, expected, tmp_path, capsys):
    code = main(BASE + ["--db", str(tmp_path / "s.db")] + arguments)
    assert code == 2
    assert expected in capsys.readouterr().err


def test_run_rejects_directory_store(tmp_path, capsys):
    code = main(BASE + ["--db", str(tmp_path)])
    assert code == 2
    assert "is a directory" in capsys.readouterr().err


def test_run_rejects_directory_cache(tmp_path, capsys):
    code = main(BASE + ["--db", str(tmp_path / "s.db"), "--cache", str(tmp_path)])
    assert code == 2
    assert "--cache" in capsys.readouterr().err


def test_report_unknown_tournament_named(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    assert main(BASE + ["--db", db]) == 0
    code = main(["report", "--db", db, "--tournament", "nope", "--out", str(tmp_path / "r")])
    assert code == 2
    assert "tournament 'nope' not found" in capsys.readouterr().err


def test_report_rejects_bad_epsilon(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    assert main(BASE + ["--db", db]) == 0
    code = main(["report", "--db", db, "--epsilon", "-1", "--out", str(tmp_path / "r")])
    assert code == 2
    assert "epsilon -1.0 is invalid" in capsys.readouterr().err
