"""Tournament report: files, plots, reading back from a read-only store, unknown ids."""

from __future__ import annotations

import pandas as pd
import pytest
from tournament_specs import SMALL_SPEC

from sim.store import Store, StoreError
from sim.tournament import parse_spec, run_tournament, write_tournament_report
from sim.tournament.report import PLOTS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    """Run the small tournament, then write its report from a read-only store."""
    folder = tmp_path_factory.mktemp("report")
    spec = parse_spec(SMALL_SPEC, source="small.toml")
    with Store(folder / "t.db") as store:
        result = run_tournament(spec, store, progress=False)
    with Store.open_readonly(folder / "t.db") as reader:
        write_tournament_report(reader, result.tournament_id, folder / "report",
                                replicates=100)
    return folder / "report"


def test_report_writes_plots(report_dir):
    for name in PLOTS:
        data = (report_dir / name).read_bytes()
        assert data.startswith(PNG_MAGIC), name
        assert len(data) > 10_000, name


def test_report_writes_oracle(report_dir):
    assert (report_dir / "oracle" / "oracle.md").exists()
    assert (report_dir / "oracle" / "agents.csv").exists()


def test_report_front_page(report_dir):
    text = (report_dir / "tournament.md").read_text(encoding="utf-8")
    assert text.startswith("# Tournament small")
    assert "8 of 8 sessions complete" in text
    assert "![Calibration per agent](calibration.png)" in text


def test_report_leaderboard_csv(report_dir):
    board = pd.read_csv(report_dir / "leaderboard_agents.csv")
    assert set(board["agent"]) >= {"maker", "kelly", "contrarian", "momentum"}
    assert (board["sessions"] > 0).all()


def test_report_keeps_spec(report_dir):
    assert (report_dir / "spec.toml").read_text(encoding="utf-8") == SMALL_SPEC


def test_unknown_tournament_lists_stored(small_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(small_spec, store, progress=False)
        with pytest.raises(StoreError) as caught:
            write_tournament_report(store, "nope", tmp_path / "report")
    assert "tournament 'nope' not found" in str(caught.value)
    assert result.tournament_id in str(caught.value)
