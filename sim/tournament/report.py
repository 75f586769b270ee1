"""The tournament report directory: leaderboards, the pooled oracle report and plots.

`write_tournament_report(store, tournament_id, directory)` writes from a store the files
that `beliefbook tournament --report DIR` writes after its run, so that
`beliefbook report --tournament ID` can call it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sim.report import markdown_table, write_report
from sim.store import COMPLETE, FAILED, Store
from sim.tournament.leaderboard import TournamentResults, leaderboard_markdown, tournament_results
from sim.tournament.plots import plot_calibration, plot_contradiction_vs_brier, plot_pnl

logger = logging.getLogger(__name__)

PLOTS = ("calibration.png", "contradiction_vs_brier.png", "pnl.png")


def write_tournament_report(store: Store, tournament_id: str, directory: str | Path,
                            seed: int = 0, replicates: int = 1000) -> list[Path]:
    """Write the report of one stored tournament into `directory`; return the paths.

    `seed` and `replicates` drive the bootstrap intervals. Raises StoreError when the
    tournament is unknown or has no complete session.
    """
    results = tournament_results(store, tournament_id, seed=seed, replicates=replicates)
    return write_results(results, directory)


def write_results(results: TournamentResults, directory: str | Path) -> list[Path]:
    """Write tournament.md, the leaderboard and session CSVs, spec.toml, the plots, and
    the oracle report under oracle/."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    tables = {"leaderboard_agents": results.agents, "leaderboard_kinds": results.kinds,
              "agent_sessions": results.agent_sessions, "sessions": results.sessions}
    for name, table in tables.items():
        path = directory / f"{name}.csv"
        table.to_csv(path, index=False)
        paths.append(path)

    spec_path = directory / "spec.toml"
    spec_path.write_text(str(results.tournament["spec"]), encoding="utf-8")
    paths.append(spec_path)

    paths.append(plot_calibration(results.agent_sessions, directory / PLOTS[0]))
    paths.append(plot_contradiction_vs_brier(results.agents, directory / PLOTS[1]))
    paths.append(plot_pnl(results.agent_sessions, directory / PLOTS[2]))
    paths.extend(write_report(results.report, directory / "oracle"))

    summary = directory / "tournament.md"
    summary.write_text(tournament_markdown(results), encoding="utf-8")
    paths.append(summary)
    logger.info("tournament report: wrote %d files to %s", len(paths), directory)
    return paths


def tournament_markdown(results: TournamentResults) -> str:
    """Return the report's front page: status, leaderboards, failed sessions, plots."""
    tournament = results.tournament
    sessions = results.sessions
    complete = int((sessions["status"] == COMPLETE).sum())
    failed = sessions[sessions["status"] == FAILED]
    parts = [
        f"# Tournament {tournament['name']}",
        "",
        f"Id `{tournament['id']}`, status {tournament['status']}: {complete} of "
        f"{len(sessions)} sessions complete, {len(failed)} failed. The figures below pool "
        "the complete sessions. PnL is in USD with a 95% percentile bootstrap interval over "
        "sessions; Brier scores (lower is better) and contradiction rates come from the belief "
        "oracle (see oracle/oracle.md) with their intervals and n; '-' marks no observation.",
        "",
        "## Agents",
        "",
        leaderboard_markdown(results.agents, "agent"),
        "",
        "## Agent kinds",
        "",
        leaderboard_markdown(results.kinds, "kind"),
        "",
        "## Plots",
        "",
        "![Calibration per agent](calibration.png)",
        "",
        "![Contradiction rate vs Brier score](contradiction_vs_brier.png)",
        "",
        "![PnL per agent](pnl.png)",
        "",
    ]
    if len(failed):
        rows = [{"session": str(item["id"]),
                 "error": str(item["error"] or "").splitlines()[0] if item["error"] else ""}
                for item in failed.to_dict("records")]
        parts += ["## Failed sessions", "", "A rerun of the same spec redoes them.", "",
                  markdown_table(rows), ""]
    return "\n".join(parts)
