"""The `beliefbook ui` subcommand that the CLI registers from ui.launch."""

from __future__ import annotations

import argparse
from pathlib import Path

from ui.launch import APP, add_ui_command, command_ui, streamlit_command


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="beliefbook")
    add_ui_command(parser.add_subparsers())
    return parser.parse_args(argv)


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_ui_defaults():
    args = parse(["ui"])
    assert args.db == "beliefbook.db"
    assert args.port == 8501
    assert args.handler is command_ui


def test_ui_options():
    args = parse(["ui", "--db", "runs.db", "--port", "9000"])
    assert args.db == "runs.db"
    assert args.port == 9000


def test_command_serves_loopback_only():
    command = streamlit_command("runs.db", 9000)
    assert option(command, "--server.address") == "127.0.0.1"
    assert option(command, "--server.port") == "9000"


def test_command_is_headless_without_stats():
    command = streamlit_command("runs.db", 9000)
    assert option(command, "--server.headless") == "true"
    assert option(command, "--browser.gatherUsageStats") == "false"


def test_command_runs_app_with_db():
    command = streamlit_command("runs.db", 9000)
    assert command[command.index("run") + 1] == str(APP)
    assert command[command.index("--") + 1:] == ["--db", str(Path("runs.db").resolve())]


def test_invalid_port_rejected(capsys):
    args = parse(["ui", "--port", "70000"])
    assert command_ui(args) == 2
    assert "port 70000 is invalid" in capsys.readouterr().err
