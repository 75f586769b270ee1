"""Fixtures for tournament tests: spec files written to a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tournament_specs import SMALL_SPEC

from sim.tournament import TournamentSpec, load_spec


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[str], Path]:
    """Return a function that writes TOML text to tmp_path/spec.toml and returns the path."""

    def write(text: str, name: str = "spec.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def small_spec(write_spec: Callable[[str], Path]) -> TournamentSpec:
    """The SMALL_SPEC tournament: 8 short sessions of baseline traders."""
    return load_spec(write_spec(SMALL_SPEC))
