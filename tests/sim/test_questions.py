"""Question files: schema validation with file and line in every error, built-in set."""

from __future__ import annotations

import json

import pytest

from sim.questions import (
    QuestionFileError,
    builtin_questions,
    load_questions,
    parse_questions,
    select_questions,
)

GOOD = {"id": "q1", "question": "Will it rain?", "outcome": 1, "community_probability": 0.4}


def lines(*records: object) -> list[str]:
    return [record if isinstance(record, str) else json.dumps(record) for record in records]


def test_builtin_set_is_large_and_balanced():
    questions = builtin_questions()
    outcomes = [question.outcome for question in questions]
    assert len(questions) >= 40
    assert abs(outcomes.count(1) - outcomes.count(0)) <= len(questions) // 5
    assert sum(1 for question in questions if question.news) >= 5
    assert all(question.background for question in questions)


def test_builtin_news_in_release_order():
    for question in builtin_questions():
        releases = [release for _, release in question.news]
        assert releases == sorted(releases), question.id
        assert all(0 < release < 1 for release in releases), question.id


def test_invalid_json_names_line():
    with pytest.raises(QuestionFileError, match=r"q\.jsonl:2: invalid JSON"):
        parse_questions(lines(GOOD, "{not json"), "q.jsonl")


def test_bad_field_names_line_and_field():
    bad = {**GOOD, "id": "q2", "community_probability": 1.7}
    with pytest.raises(QuestionFileError, match=r"q\.jsonl:3: field 'community_probability'"):
        parse_questions(lines(GOOD, "", bad), "q.jsonl")


def test_missing_question_field_named():
    with pytest.raises(QuestionFileError, match=r":1: field 'question'"):
        parse_questions(lines({"id": "x"}), "q.jsonl")


def test_non_binary_outcome_rejected():
    with pytest.raises(QuestionFileError, match="field 'outcome'"):
        parse_questions(lines({**GOOD, "outcome": 2}), "q.jsonl")


def test_duplicate_id_names_both_lines():
    with pytest.raises(QuestionFileError, match="line 1"):
        parse_questions(lines(GOOD, GOOD), "q.jsonl")


def test_news_release_outside_unit_interval_rejected():
    record = {**GOOD, "news": [{"text": "x", "release": 1.5}]}
    with pytest.raises(QuestionFileError, match="news.0.release"):
        parse_questions(lines(record), "q.jsonl")


def test_news_out_of_order_rejected():
    record = {**GOOD, "news": [{"text": "b", "release": 0.5}, {"text": "a", "release": 0.2}]}
    with pytest.raises(QuestionFileError, match="field 'news'"):
        parse_questions(lines(record), "q.jsonl")


def test_extra_fields_are_ignored():
    record = {**GOOD, "probability_history": [{"date": "2024-01-01", "p": 0.3}],
              "source": "metaculus"}
    (question,) = parse_questions(lines(record), "q.jsonl")
    assert question.source == "metaculus"


def test_missing_file_names_path(tmp_path):
    with pytest.raises(QuestionFileError, match="not found"):
        load_questions(tmp_path / "absent.jsonl")


def test_shared_questions_load(shared_questions_path):
    questions = load_questions(shared_questions_path)
    assert len(questions) == 200
    assert {question.outcome for question in questions} == {0, 1}


def test_select_by_id_keeps_order():
    questions = builtin_questions()
    chosen = select_questions(questions, [questions[3].id, questions[1].id])
    assert [question.id for question in chosen] == [questions[3].id, questions[1].id]


def test_select_unknown_id_rejected():
    with pytest.raises(QuestionFileError, match="not found"):
        select_questions(builtin_questions(), ["no-such-id"])


def test_public_question_hides_outcome():
    question = builtin_questions()[0]
    assert question.public().outcome is None
    assert question.public().news == ()


def test_open_after_close_rejected():
    record = {**GOOD, "open_date": "2025-01-01", "close_date": "2020-01-01"}
    with pytest.raises(QuestionFileError, match="open_date 2025-01-01 is after close_date"):
        parse_questions(lines(record), "q.jsonl")


def test_boolean_outcome_rejected():
    with pytest.raises(QuestionFileError, match="field 'outcome'"):
        parse_questions(lines({**GOOD, "outcome": True}), "q.jsonl")


def test_long_field_value_shortened():
    record = {"id": "q9", "background": "x" * 500}
    with pytest.raises(QuestionFileError) as raised:
        parse_questions(lines(record), "q.jsonl")
    assert len(str(raised.value)) < 200
