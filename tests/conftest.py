"""Shared fixtures: paths to the shared question data and small question sets."""

from __future__ import annotations

from pathlib import Path

import hypothesis  # noqa: F401 - see below
import pytest

# Importing hypothesis here, at a shallow stack depth, works around a CPython 3.11.7 bug:
# its pytest plugin otherwise imports it late in a deep stack, and the assertion
# rewriter's ast.parse then fails with "AST constructor recursion depth mismatch".

SHARED_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "questions.jsonl"


@pytest.fixture
def shared_questions_path() -> Path:
    """Path to the 200 resolved questions beside the clone; skips the test when absent."""
    if not SHARED_QUESTIONS.exists():
        pytest.skip(f"{SHARED_QUESTIONS} not found: the shared question data sits beside the "
                    "clone only in CI and on the developers' machines")
    return SHARED_QUESTIONS
