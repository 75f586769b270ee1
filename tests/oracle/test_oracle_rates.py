"""Recovery of a known contradiction rate, and its bootstrap interval, on synthetic agents."""

from __future__ import annotations

import pytest
from oracle_rows import mixed_agent_record

from market.oracle import analyze_session, analyze_tournament

FILLS = 2000


@pytest.mark.parametrize(("rate", "seed"), [(0.1, 11), (0.3, 12), (0.5, 13)])
def test_rate_recovered(rate, seed):
    report = analyze_session(mixed_agent_record(rate, FILLS, seed), "s", rng=seed)
    row = report.agents.set_index("agent").loc["mixed"]
    assert row["judged_fills"] == FILLS
    assert abs(row["contradiction_rate"] - rate) <= 0.02
    assert row["contradiction_rate_low"] <= rate
    assert rate <= row["contradiction_rate_high"]


@pytest.mark.parametrize(("rate", "seed"), [(0.1, 21), (0.3, 22), (0.5, 23)])
def test_pooled_rate_recovered(rate, seed):
    # Four sessions of 500 fills each, pooled with the clustered bootstrap.
    sessions = {f"s{index}": mixed_agent_record(rate, FILLS // 4, seed * 10 + index)
                for index in range(4)}
    report = analyze_tournament(sessions, rng=seed)
    row = report.agents.set_index("agent").loc["mixed"]
    assert row["sessions"] == 4
    assert abs(row["contradiction_rate"] - rate) <= 0.02
    assert row["contradiction_rate_low"] <= rate
    assert rate <= row["contradiction_rate_high"]


def test_interval_width_shrinks_with_fills():
    small = analyze_session(mixed_agent_record(0.3, 100, 1), "s", rng=1)
    large = analyze_session(mixed_agent_record(0.3, FILLS, 1), "s", rng=1)
    small_row = small.agents.set_index("agent").loc["mixed"]
    large_row = large.agents.set_index("agent").loc["mixed"]
    small_width = small_row["contradiction_rate_high"] - small_row["contradiction_rate_low"]
    large_width = large_row["contradiction_rate_high"] - large_row["contradiction_rate_low"]
    assert large_width < small_width / 2
