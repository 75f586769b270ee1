"""Shared fixtures: paths to the shared question data and small question sets."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "questions.jsonl"


@pytest.fixture
def shared_questions_path() -> Path:
    """Path to the 200 resolved questions beside the clone; skips the test when absent."""
    if not SHARED_QUESTIONS.exists():
        pytest.skip(f"{SHARED_QUESTIONS} not found: the shared question data sits beside the "
                    "clone only in CI and on the developers' machines")
    return SHARED_QUESTIONS
