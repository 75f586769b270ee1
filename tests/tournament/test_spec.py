"""Tournament spec: parsing, defaults, question selection, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.llm.cache import CacheMode
from sim.tournament import SpecError, load_spec, parse_spec, plan_tournament

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tournament.toml"

LINEUP = '''
[lineups.a]
agents = ["kelly:id=k"]
'''
MINIMAL = 'name = "t"\n' + LINEUP


def with_tables(tables: str) -> str:
    """Return a valid minimal spec with `tables` (TOML tables) before its lineup."""
    return 'name = "t"\n' + tables + LINEUP


def test_example_spec_parses():
    spec = load_spec(EXAMPLE)
    assert spec.name == "example"
    assert [lineup.name for lineup in spec.lineups] == ["baselines", "thin-market"]
    assert spec.seeds == (0, 1)


def test_example_table_agent_fields():
    spec = load_spec(EXAMPLE)
    kelly = next(a for a in spec.lineup("thin-market").agents if a.agent_id == "kelly")
    assert kelly.cash == 100000
    assert kelly.interval == 60


def test_example_plans_twelve_sessions():
    plan = plan_tournament(load_spec(EXAMPLE))
    assert len(plan.sessions) == 12
    assert len(set(plan.session_ids)) == 12


def test_minimal_spec_defaults():
    spec = parse_spec(MINIMAL)
    assert spec.seeds == (0,)
    assert spec.questions.count == 3
    assert spec.session.horizon == 3600.0
    assert spec.llm.cache_mode is CacheMode.AUTO
    assert spec.uses_llm is False


def test_seed_range_with_stop():
    spec = parse_spec('seeds = { start = 3, stop = 6 }\n' + MINIMAL)
    assert spec.seeds == (3, 4, 5)


def test_seed_range_with_count():
    spec = parse_spec('seeds = { start = 10, count = 2 }\n' + MINIMAL)
    assert spec.seeds == (10, 11)


def test_agent_ids_default_per_kind():
    spec = parse_spec('name = "t"\n[lineups.a]\nagents = ["noise", "noise", "kelly"]\n')
    assert [a.agent_id for a in spec.lineups[0].agents] == ["noise-1", "noise-2", "kelly-1"]


def test_table_kind_defaults_to_llm():
    spec = parse_spec('name = "t"\n[lineups.a]\nagents = [{ provider = "local", id = "m" }]\n')
    agent = spec.lineups[0].agents[0]
    assert agent.kind == "llm"
    assert spec.uses_llm is True


def test_builtin_lineup_comes_first():
    spec = parse_spec('name = "t"\n[lineups.a]\nbuiltin = "baselines"\n'
                      'agents = ["kelly:id=extra"]\n')
    ids = [a.agent_id for a in spec.lineups[0].agents]
    assert ids[0] == "maker"
    assert ids[-1] == "extra"


def test_relative_question_file_read_from_spec_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "q.jsonl").write_text(
        '{"id": "a", "question": "A?", "outcome": 1}\n'
        '{"id": "b", "question": "B?", "outcome": 0}\n', encoding="utf-8")
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(with_tables('[questions]\nfile = "data/q.jsonl"\ncount = 2\n'),
                         encoding="utf-8")
    questions = load_spec(spec_path).questions.load()
    assert [q.id for q in questions] == ["a", "b"]


def test_sample_seed_is_reproducible(shared_questions_path):
    text = with_tables(f'[questions]\nfile = "{shared_questions_path}"\ncount = 5\n'
                       'sample_seed = 11\n')
    first = [q.id for q in parse_spec(text).questions.load()]
    second = [q.id for q in parse_spec(text).questions.load()]
    assert first == second


def test_sample_seed_differs_from_first(shared_questions_path):
    base = f'[questions]\nfile = "{shared_questions_path}"\ncount = 5\n'
    sampled = [q.id for q in parse_spec(with_tables(base + "sample_seed = 11\n")).questions.load()]
    first = [q.id for q in parse_spec(with_tables(base)).questions.load()]
    assert sampled != first


def test_question_ids_keep_their_order():
    text = with_tables('[questions]\nids = ["bb-003", "bb-001"]\n')
    assert [q.id for q in parse_spec(text).questions.load()] == ["bb-003", "bb-001"]


def test_stored_spec_reads_without_files():
    text = with_tables('[questions]\nfile = "gone.jsonl"\n')
    spec = parse_spec(text, check_files=False)
    assert spec.questions.file == Path("gone.jsonl")


# Invalid specs: (case, TOML text, text the message must contain: the key, then the fix)
INVALID = [
    ("unknown provider",
     'name = "t"\n[lineups.fast]\nagents = ["kelly", "noise", { provider = "foo" }]\n',
     "lineups.fast.agents[2]", "provider 'foo' is unknown: use one of local"),
    ("missing questions file",
     with_tables('[questions]\nfile = "nowhere.jsonl"\n'),
     "questions.file", "not found"),
    ("negative cash in a string",
     'name = "t"\n[lineups.a]\nagents = ["kelly:cash=-5"]\n',
     "lineups.a.agents[0]", "cash -5 is invalid: use a whole number of cents >= 0"),
    ("negative cash in a table",
     'name = "t"\n[lineups.a]\nagents = ["kelly", { kind = "noise", cash = -1 }]\n',
     "lineups.a.agents[1]", "cash -1 is invalid"),
    ("empty lineup",
     'name = "t"\n[lineups.empty]\nagents = []\n',
     "lineups.empty", "the lineup has no agents"),
    ("no lineups",
     'name = "t"\n',
     "lineups", "add at least one [lineups.NAME]"),
    ("missing name",
     '[lineups.a]\nagents = ["kelly"]\n',
     "name", "is missing"),
    ("unknown kind",
     'name = "t"\n[lineups.a]\nagents = ["oracle-bot"]\n',
     "lineups.a.agents[0]", "agent kind 'oracle-bot' is unknown: use one of"),
    ("unknown agent parameter",
     'name = "t"\n[lineups.a]\nagents = ["kelly:fractoin=0.3"]\n',
     "lineups.a.agents[0]", "fractoin"),
    ("bad parameter value",
     'name = "t"\n[lineups.a]\nagents = ["lmsr:liquidity=-5"]\n',
     "lineups.a.agents[0]", "cannot be built"),
    ("misspelt session key",
     with_tables('[session]\nhorizn = 10\n'),
     "session", "key 'horizn' is unknown: valid keys are"),
    ("negative horizon",
     with_tables('[session]\nhorizon = -1\n'),
     "session.horizon", "use a number of simulated seconds > 0"),
    ("unknown elicitation",
     with_tables('[session]\nelicitation = "vibes"\n'),
     "session.elicitation", "use one of verbal"),
    ("repeated seed",
     'seeds = [1, 1]\n' + MINIMAL,
     "seeds", "appear more than once"),
    ("negative seed",
     'seeds = [-1]\n' + MINIMAL,
     "seeds", ">= 0"),
    ("seed range with stop and count",
     'seeds = { start = 0, stop = 3, count = 3 }\n' + MINIMAL,
     "seeds", "exactly one of stop and count"),
    ("too many questions",
     with_tables('[questions]\ncount = 999\n'),
     "questions.count", "lower it"),
    ("unknown question id",
     with_tables('[questions]\nids = ["no-such-question"]\n'),
     "questions.ids", "no-such-question"),
    ("sample seed without count",
     with_tables('[questions]\nids = ["bb-001"]\nsample_seed = 3\n'),
     "questions.sample_seed", "needs count"),
    ("repeated agent id",
     'name = "t"\n[lineups.a]\nagents = ["kelly:id=x", "noise:id=x"]\n',
     "lineups.a.agents[1]", "agent id 'x' is already used by lineups.a.agents[0]"),
    ("same lineup twice",
     'name = "t"\n[lineups.a]\nagents = ["kelly:id=k"]\n[lineups.b]\nagents = ["kelly:id=k"]\n',
     "lineups.b", "same agents as lineups.a"),
    ("schedule key twice",
     'name = "t"\n[lineups.a]\nagents = [{ kind = "kelly", interval = 5, '
     'schedule = { interval = 6 } }]\n',
     "lineups.a.agents[0]", "interval is given twice"),
    ("unknown cache mode",
     with_tables('[llm]\ncache_mode = "sometimes"\n'),
     "llm.cache_mode", "use one of off, record, replay, auto"),
    ("negative budget",
     with_tables('[llm]\nbudget_usd = -2\n'),
     "llm.budget_usd", "use a number of USD > 0"),
    ("limit for unknown provider",
     with_tables('[llm]\nlimits = { bard = 2 }\n'),
     "llm.limits", "provider 'bard' is unknown"),
    ("invalid toml",
     'name = "t\n',
     "invalid TOML", ""),
]


@pytest.mark.parametrize(("text", "key", "fix"), [case[1:] for case in INVALID],
                         ids=[case[0] for case in INVALID])
def test_invalid_spec_names_key(tmp_path, text, key, fix):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        plan_tournament(load_spec(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert key in message
    assert fix in message


def test_unresolved_question_rejects_informed(tmp_path):
    (tmp_path / "q.jsonl").write_text('{"id": "open", "question": "Open?", "outcome": null}\n',
                                      encoding="utf-8")
    text = ('name = "t"\n[questions]\nfile = "q.jsonl"\nresolved_only = false\ncount = 1\n'
            '[lineups.a]\nagents = ["informed:id=i"]\n')
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match="needs resolved questions"):
        plan_tournament(load_spec(path))


def test_tournament_id_ignores_llm_settings():
    first = plan_tournament(parse_spec(MINIMAL))
    second = plan_tournament(parse_spec(MINIMAL + '[llm]\ncache_mode = "off"\n'))
    assert first.tournament_id == second.tournament_id


def test_tournament_id_follows_seeds():
    first = plan_tournament(parse_spec(MINIMAL))
    second = plan_tournament(parse_spec("seeds = [5]\n" + MINIMAL))
    assert first.tournament_id != second.tournament_id
