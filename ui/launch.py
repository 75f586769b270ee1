"""The `beliefbook ui` command: serve the replay app on 127.0.0.1 with `streamlit run`.

`add_ui_command` registers the subcommand on the CLI's subparsers; the CLI calls the
handler it sets.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

APP = Path(__file__).with_name("app.py")
DEFAULT_DB = "beliefbook.db"
DEFAULT_PORT = 8501
HOST = "127.0.0.1"


def add_ui_command(commands: argparse._SubParsersAction) -> None:
    """Register `beliefbook ui [--db PATH] [--port N]` on the CLI's subcommands."""
    ui = commands.add_parser(
        "ui", help="open the replay app in a browser",
        description="Serve the Streamlit replay app (sessions, replay, oracle, tournaments) "
                    f"on http://{HOST}:PORT, reading the store read-only. Ctrl-C stops it.")
    ui.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                    help=f"session store file to read (default: {DEFAULT_DB})")
    ui.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                    help=f"TCP port on {HOST} (default: {DEFAULT_PORT})")
    ui.set_defaults(handler=command_ui)


def streamlit_command(db: str | Path, port: int) -> list[str]:
    """Return the `streamlit run` command line that serves the app on HOST:port.

    Usage statistics are off, so the browser sends requests to the app's server only.
    """
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.address", HOST, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal", "--", "--db", str(Path(db).resolve())]


def command_ui(args: argparse.Namespace) -> int:
    """Run the app until Ctrl-C; return streamlit's exit code (0 after Ctrl-C)."""
    if not 0 < args.port < 65536:
        print(f"error: port {args.port} is invalid: use 1..65535", file=sys.stderr)
        return 2
    db = Path(args.db)
    if not db.exists():
        # The app shows this on every page as well; the terminal gets it first.
        print(f"warning: store {db} not found: the app will say so until `beliefbook run "
              f"--db {db}` creates it", file=sys.stderr)
    command = streamlit_command(db, args.port)
    logger.info("starting the replay app: %s", " ".join(command))
    print(f"beliefbook replay UI: http://{HOST}:{args.port} (store {db.resolve()}); "
          "Ctrl-C stops it", flush=True)
    try:
        return subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:
        return 0
