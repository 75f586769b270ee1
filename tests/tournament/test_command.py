"""The tournament command: registration on a parser, a full run, option and spec errors."""

from __future__ import annotations

import argparse

import pytest

from sim.tournament.command import add_tournament_command, command_tournament, main

SPEC = '''
name = "cli"
[questions]
count = 1
[session]
horizon = 900
[lineups.baselines]
builtin = "baselines"
'''


def test_command_registers_handler():
    parser = argparse.ArgumentParser()
    add_tournament_command(parser.add_subparsers())
    args = parser.parse_args(["tournament", "spec.toml", "--workers", "2", "--concurrency", "3"])
    assert args.handler is command_tournament
    assert args.spec == "spec.toml"
    assert (args.workers, args.concurrency, args.executor) == (2, 3, "local")


def test_main_runs_and_reports(write_spec, tmp_path, capsys):
    code = main([str(write_spec(SPEC)), "--db", str(tmp_path / "t.db"), "--report",
                 str(tmp_path / "report")])
    output = capsys.readouterr().out
    assert code == 0
    assert "1 of 1 sessions complete" in output
    assert "contrarian" in output
    assert (tmp_path / "report" / "tournament.md").exists()


def test_main_rejects_invalid_spec(write_spec, tmp_path, capsys):
    bad = write_spec('name = "bad"\n[lineups.a]\nagents = [{ provider = "foo" }]\n')
    code = main([str(bad), "--db", str(tmp_path / "t.db")])
    error = capsys.readouterr().err
    assert code == 2
    assert "lineups.a.agents[0]: provider 'foo' is unknown" in error


def test_main_rejects_missing_spec(tmp_path, capsys):
    code = main([str(tmp_path / "absent.toml")])
    assert code == 2
    assert "absent.toml not found" in capsys.readouterr().err


@pytest.mark.parametrize(("options", "message"), [
    (["--scheduler", "tcp://127.0.0.1:1"], "need --executor dask"),
    (["--executor", "dask"], "exactly one of --scheduler ADDRESS and --local-cluster"),
    (["--workers", "0"], "use 1 or more"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
     "drop them"),
])
def test_main_rejects_bad_options(write_spec, tmp_path, capsys, options, message):
    code = main([str(write_spec(SPEC)), "--db", str(tmp_path / "t.db"), *options])
    assert code == 2
    assert message in capsys.readouterr().err
