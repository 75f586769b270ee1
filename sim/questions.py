"""Question files: the JSON Lines schema, a validating loader, and the built-in set.

One JSON object per line:

    id                    string, unique in the file
    question              string
    background            string (may be empty or missing)
    resolution_criteria   string (may be empty or missing)
    open_date, close_date, resolve_date   ISO dates or null
    outcome               1 (YES), 0 (NO), or null for an unresolved question
    community_probability number in [0, 1] or null: the crowd's prior, used only when a
                          session is told to open its market maker there
    news                  optional list of {"text": str, "release": number in (0, 1)}:
                          release times as fractions of the session horizon

Other keys (source, url, probability_history, ...) are allowed and ignored, except that
`source` and `url` are kept.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from agents.protocol import Question

logger = logging.getLogger(__name__)

BUILTIN_SOURCE = "built-in"


class QuestionFileError(ValueError):
    """A question file could not be read; the message names the file, line and field."""


class NewsRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    release: float = Field(gt=0.0, lt=1.0)


class QuestionRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    background: str | None = ""
    resolution_criteria: str | None = ""
    open_date: str | None = None
    close_date: str | None = None
    resolve_date: str | None = None
    outcome: StrictInt | None = None
    community_probability: float | None = Field(default=None, ge=0.0, le=1.0)
    news: list[NewsRecord] = Field(default_factory=list)
    source: str | None = None
    url: str | None = None

    @field_validator("outcome")
    @classmethod
    def _binary_outcome(cls, value: int | None) -> int | None:
        if value is not None and value not in (0, 1):
            raise ValueError("must be 1 (YES), 0 (NO) or null")
        return value

    @field_validator("community_probability")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number in [0, 1]")
        return value

    @field_validator("news")
    @classmethod
    def _news_in_order(cls, value: list[NewsRecord]) -> list[NewsRecord]:
        releases = [item.release for item in value]
        if releases != sorted(releases):
            raise ValueError("news items must be listed in order of release")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> QuestionRecord:
        if self.open_date and self.close_date and self.open_date > self.close_date:
            raise ValueError(f"open_date {self.open_date} is after close_date "
                             f"{self.close_date}: swap or correct them")
        return self

    def to_question(self) -> Question:
        return Question(
            id=self.id,
            question=self.question,
            background=self.background or "",
            resolution_criteria=self.resolution_criteria or "",
            open_date=self.open_date,
            close_date=self.close_date,
            resolve_date=self.resolve_date,
            outcome=self.outcome,
            community_probability=self.community_probability,
            news=tuple((item.text, item.release) for item in self.news),
            source=self.source,
            url=self.url,
        )


def parse_questions(lines: Iterable[str], source: str) -> list[Question]:
    """Parse JSON Lines text into questions; raise QuestionFileError on the first bad line.

    `source` names the file in error messages.
    """
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionFileError(f"{source}:{number}: invalid JSON ({error.msg}, column "
                                    f"{error.colno}): each line must be one JSON object") from None
        if not isinstance(raw, dict):
            raise QuestionFileError(f"{source}:{number}: expected a JSON object, found "
                                    f"{type(raw).__name__}")
        try:
            record = QuestionRecord.model_validate(raw)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "(line)"
            shown = repr(first.get("input"))
            if len(shown) > 80:
                shown = shown[:77] + "..."
            raise QuestionFileError(f"{source}:{number}: field '{field}' is invalid: "
                                    f"{first['msg']} (value {shown})") from None
        if record.id in seen:
            raise QuestionFileError(f"{source}:{number}: id {record.id!r} repeats the id on line "
                                    f"{seen[record.id]}: ids must be unique")
        seen[record.id] = number
        questions.append(record.to_question())
    return questions


def load_questions(path: str | Path) -> list[Question]:
    """Load and validate a question file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionFileError(f"question file {path} not found: check the path, or omit "
                                "--questions to use the built-in set") from None
    except UnicodeDecodeError as error:
        raise QuestionFileError(f"question file {path} is not UTF-8 text: {error}") from None
    questions = parse_questions(text.splitlines(), str(path))
    if not questions:
        raise QuestionFileError(f"question file {path} contains no questions: add one JSON "
                                "object per line")
    logger.info("loaded %d questions from %s", len(questions), path)
    return questions


def builtin_questions() -> list[Question]:
    """Return the built-in question set shipped with the package."""
    text = resources.files("sim").joinpath("data/builtin_questions.jsonl").read_text("utf-8")
    return parse_questions(text.splitlines(), BUILTIN_SOURCE)


def select_questions(questions: list[Question], question_ids: Iterable[str] = (),
                     count: int | None = None, resolved_only: bool = True) -> list[Question]:
    """Pick questions by id (in the order given) or the first `count` resolved ones."""
    ids = list(question_ids)
    if ids:
        by_id = {question.id: question for question in questions}
        missing = [question_id for question_id in ids if question_id not in by_id]
        if missing:
            raise QuestionFileError(f"question id(s) {', '.join(missing)} not found: list the "
                                    "ids with `beliefbook questions list`")
        chosen = [by_id[question_id] for question_id in ids]
    else:
        chosen = [q for q in questions if q.outcome is not None] if resolved_only else questions
    if count is not None:
        if count < 1:
            raise QuestionFileError(f"count {count} is invalid: use 1 or more")
        chosen = chosen[:count]
    return chosen
