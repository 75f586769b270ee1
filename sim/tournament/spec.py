"""The tournament spec: a TOML file naming questions, lineups, seeds and session settings.

A tournament runs one session for every (question, lineup, seed). The format, with
every key, is documented in examples/tournament.toml. In short:

    name = "demo"                      # required: letters, digits, '-', '_', '.'
    description = "..."                # optional
    seeds = [0, 1]                     # or { start = 0, stop = 10 } (stop excluded)
                                       # or { start = 0, count = 10 }; default [0]
    [questions]                        # optional: the built-in set, first 3 resolved
    file = "questions.jsonl"           # omit for the built-in set
    ids = [...]  sources = [...]  resolved_only = true  count = 3  sample_seed = 7
    [session]                          # SessionConfig fields, all optional
    horizon = 3600.0  snapshot_interval = 60.0  book_levels = 5  recent_trades = 10
    open_at_community = false  elicitation = "verbal"  contradiction_epsilon = 0.02
    [lineups.NAME]                     # at least one; see sim.tournament.lineups
    agents = ["lmsr:id=maker,liquidity=20000", { kind = "kelly", id = "k" }]
    [llm]                              # optional: the LLM call machinery
    cache_mode = "auto"  cache = "beliefbook-cache.db"  budget_usd = 5.0
    prices = "prices.toml"  timeout = 60.0  limits = { openai = 8 }

Relative paths are read from the spec file's folder. Every error names the file, the
key and the fix.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from agents.llm.cache import CacheMode
from agents.llm.cost import PriceFileError, PriceTable
from agents.llm.providers import PROVIDER_NAMES
from agents.protocol import ElicitationMethod, Question
from sim.config import AgentConfig, ConfigError, SessionConfig
from sim.questions import QuestionFileError, builtin_questions, load_questions
from sim.tournament.fields import SpecError, Table, check_int
from sim.tournament.lineups import NAME_PATTERN, Lineup, parse_lineups

TOP_KEYS = ("name", "description", "seeds", "questions", "session", "lineups", "llm")
QUESTION_KEYS = ("file", "ids", "sources", "resolved_only", "count", "sample_seed")
SESSION_KEYS = ("horizon", "snapshot_interval", "book_levels", "recent_trades",
                "open_at_community", "elicitation", "contradiction_epsilon")
LLM_KEYS = ("cache_mode", "cache", "budget_usd", "prices", "timeout", "limits")
DEFAULT_QUESTION_COUNT = 3
DEFAULT_CACHE = "beliefbook-cache.db"


@dataclass(frozen=True)
class QuestionSelection:
    """The question filters of a tournament, applied in this order.

    `ids` (in their order, else every question of the file), then `sources`, then
    `resolved_only`, then `count`: the first ones, or a uniform sample without
    replacement when `sample_seed` is set (kept in file order).
    """

    file: Path | None = None
    ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    resolved_only: bool = True
    count: int | None = DEFAULT_QUESTION_COUNT
    sample_seed: int | None = None
    spec_source: str = "(spec)"

    def load(self) -> list[Question]:
        """Load the file (or the built-in set) and apply the filters; raise SpecError."""
        where = f"{self.spec_source}: questions"
        try:
            questions = load_questions(self.file) if self.file else builtin_questions()
        except QuestionFileError as error:
            raise SpecError(f"{where}.file: {error}") from None

        if self.ids:
            by_id = {question.id: question for question in questions}
            missing = [question_id for question_id in self.ids if question_id not in by_id]
            if missing:
                raise SpecError(f"{where}.ids: question id(s) {', '.join(missing)} not found in "
                                f"{self.file or 'the built-in set'}: list the ids with "
                                "`beliefbook questions list`")
            questions = [by_id[question_id] for question_id in self.ids]
        if self.sources:
            questions = [q for q in questions if q.source in self.sources]
        if self.resolved_only:
            questions = [q for q in questions if q.outcome is not None]
        if not questions:
            raise SpecError(f"{where}: no question is left after the filters (ids, sources, "
                            "resolved_only): loosen them")

        if self.count is not None:
            if self.count > len(questions):
                raise SpecError(f"{where}.count: {self.count} is more than the "
                                f"{len(questions)} questions left after the filters: lower it")
            if self.sample_seed is None:
                questions = questions[:self.count]
            else:
                rng = np.random.default_rng(self.sample_seed)
                picked = sorted(rng.choice(len(questions), size=self.count, replace=False))
                questions = [questions[int(index)] for index in picked]
        return questions


@dataclass(frozen=True)
class SessionOptions:
    """The SessionConfig fields shared by every session of a tournament."""

    horizon: float = 3600.0
    snapshot_interval: float = 60.0
    book_levels: int = 5
    recent_trades: int = 10
    open_at_community: bool = False
    elicitation: str = "verbal"
    contradiction_epsilon: float = 0.02

    def config(self, agents: tuple[AgentConfig, ...], seed: int) -> SessionConfig:
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        return SessionConfig(agents=agents, seed=seed, **values)


@dataclass(frozen=True)
class LLMOptions:
    """The LLM call machinery: cache, prices, budget, timeout and concurrency limits.

    `budget_usd` caps what one run of the tournament may spend (a rerun starts a new
    budget). `limits` caps concurrent calls per provider within one worker's event loop.
    """

    cache_mode: CacheMode = CacheMode.AUTO
    cache_path: Path = Path(DEFAULT_CACHE)
    budget_usd: float | None = None
    prices_path: Path | None = None
    timeout: float = 60.0
    limits: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TournamentSpec:
    """A parsed, validated tournament spec. `text` is the TOML source as written."""

    name: str
    questions: QuestionSelection
    lineups: tuple[Lineup, ...]
    seeds: tuple[int, ...]
    session: SessionOptions
    llm: LLMOptions
    text: str
    source: str = "(spec)"
    description: str = ""

    @property
    def uses_llm(self) -> bool:
        return any(lineup.uses_llm for lineup in self.lineups)

    def lineup(self, name: str) -> Lineup:
        for lineup in self.lineups:
            if lineup.name == name:
                return lineup
        raise KeyError(name)


def load_spec(path: str | Path, check_files: bool = True) -> TournamentSpec:
    """Read and validate a spec file; relative paths in it are read from its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"tournament spec {path} not found: check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"tournament spec {path} cannot be read ({error}): pass a UTF-8 TOML "
                        "file") from None
    return parse_spec(text, base_dir=path.parent, source=str(path), check_files=check_files)


def parse_spec(text: str, base_dir: str | Path = ".", source: str = "(spec)",
               check_files: bool = True) -> TournamentSpec:
    """Parse and validate spec text.

    `base_dir` anchors relative paths and `source` names the spec in errors. With
    `check_files` false, the question and price files are not looked for (for reading
    back a stored spec whose files may have moved).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{source}: invalid TOML: {error}") from None
    base = Path(base_dir)
    top = Table(data, "", source)

    name = top.take_string("name", required=True)
    if not NAME_PATTERN.match(name or ""):
        raise top.error(f"{name!r} is invalid: use letters, digits, '-', '_' and '.'", "name")
    description = top.take_string("description", default="") or ""
    seeds = _parse_seeds(top)
    questions = _parse_questions(top.take_table("questions"), base, source, check_files)
    session = _parse_session(top.take_table("session"), source)
    lineups = parse_lineups(top)
    llm = _parse_llm(top.take_table("llm"), base, source, check_files)
    top.finish(TOP_KEYS)

    for lineup in lineups:
        try:
            session.config(lineup.agents, seeds[0])
        except ConfigError as error:
            raise SpecError(f"{source}: lineups.{lineup.name}: {error}") from None
    _check_distinct_lineups(lineups, source)
    return TournamentSpec(name=name or "", questions=questions, lineups=lineups, seeds=seeds,
                          session=session, llm=llm, text=text, source=source,
                          description=description)


def _parse_seeds(top: Table) -> tuple[int, ...]:
    value = top.take("seeds")
    if value is None:
        return (0,)
    if isinstance(value, list):
        if not value:
            raise top.error("is empty: list at least one seed, e.g. seeds = [0]", "seeds")
        seeds = tuple(check_int(item, 0, "", lambda message: top.error(message, "seeds"))
                      for item in value)
    else:
        table = Table(value, "seeds", top.source)
        start = table.take_int("start", default=0, minimum=0)
        stop = table.take_int("stop", minimum=0)
        count = table.take_int("count", minimum=1)
        table.finish(("start", "stop", "count"))
        if (stop is None) == (count is None):
            raise table.error("give exactly one of stop and count, e.g. { start = 0, "
                              "count = 10 }")
        end = stop if stop is not None else (start or 0) + (count or 0)
        seeds = tuple(range(start or 0, end))
        if not seeds:
            raise table.error(f"start {start} and stop {stop} give no seeds: make stop larger "
                              "than start")
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise top.error(f"seed(s) {', '.join(map(str, repeated))} appear more than once: "
                        "list each seed once", "seeds")
    return seeds


def _parse_questions(table: Table | None, base: Path, source: str,
                     check_files: bool) -> QuestionSelection:
    if table is None:
        return QuestionSelection(spec_source=source)
    file_name = table.take_string("file")
    path = None
    if file_name is not None:
        path = (base / file_name) if not Path(file_name).is_absolute() else Path(file_name)
        if check_files and not path.is_file():
            raise table.error(f"question file {file_name!r} not found (looked for {path}): "
                              "fix the path, which is read from the spec's folder, or omit "
                              "file for the built-in set", "file")
    ids = table.take_strings("ids")
    sources = table.take_strings("sources")
    resolved_only = table.take_bool("resolved_only", True)
    count = table.take_int("count", minimum=1)
    sample_seed = table.take_int("sample_seed", minimum=0)
    table.finish(QUESTION_KEYS)
    if count is None and not ids:
        count = DEFAULT_QUESTION_COUNT
    if sample_seed is not None and count is None:
        raise table.error("sample_seed needs count: set count to the number of questions to "
                          "draw", "sample_seed")
    return QuestionSelection(file=path, ids=ids, sources=sources, resolved_only=resolved_only,
                             count=count, sample_seed=sample_seed, spec_source=source)


def _parse_session(table: Table | None, source: str) -> SessionOptions:
    if table is None:
        return SessionOptions()
    defaults = SessionOptions()
    options = SessionOptions(
        horizon=table.take_number("horizon", defaults.horizon, above=0,
                                  unit=" of simulated seconds"),
        snapshot_interval=table.take_number("snapshot_interval", defaults.snapshot_interval,
                                            above=0, unit=" of simulated seconds"),
        book_levels=table.take_int("book_levels", defaults.book_levels, minimum=1),
        recent_trades=table.take_int("recent_trades", defaults.recent_trades, minimum=1),
        open_at_community=table.take_bool("open_at_community", defaults.open_at_community),
        elicitation=table.take_string("elicitation", defaults.elicitation,
                                      choices=[method.value for method in ElicitationMethod]),
        contradiction_epsilon=table.take_number("contradiction_epsilon",
                                                defaults.contradiction_epsilon, minimum=0),
    )
    table.finish(SESSION_KEYS)
    if options.contradiction_epsilon >= 0.5:
        raise table.error(f"{options.contradiction_epsilon!r} is invalid: use a probability "
                          "margin in [0, 0.5)", "contradiction_epsilon")
    return options


def _parse_llm(table: Table | None, base: Path, source: str, check_files: bool) -> LLMOptions:
    if table is None:
        return LLMOptions(cache_path=base / DEFAULT_CACHE)
    mode = table.take_string("cache_mode", CacheMode.AUTO.value,
                             choices=[mode.value for mode in CacheMode])
    cache = table.take_string("cache", DEFAULT_CACHE) or DEFAULT_CACHE
    budget = table.take_number("budget_usd", above=0, unit=" of USD")
    prices_name = table.take_string("prices")
    timeout = table.take_number("timeout", 60.0, above=0, unit=" of seconds")
    limits_table = table.take_table("limits")
    table.finish(LLM_KEYS)

    limits: dict[str, int] = {}
    if limits_table is not None:
        for provider in list(limits_table.data):
            if provider not in PROVIDER_NAMES:
                raise limits_table.error(f"provider {provider!r} is unknown: use one of "
                                         f"{', '.join(PROVIDER_NAMES)}")
            limits[provider] = limits_table.take_int(provider, minimum=1,
                                                     unit=" of calls in flight") or 1

    prices_path = None
    if prices_name is not None:
        prices_path = _resolve(base, prices_name)
        if check_files:
            try:
                PriceTable.from_file(prices_path)
            except PriceFileError as error:
                raise table.error(str(error), "prices") from None
    return LLMOptions(cache_mode=CacheMode(mode), cache_path=_resolve(base, cache),
                      budget_usd=budget, prices_path=prices_path, timeout=timeout or 60.0,
                      limits=limits)


def _resolve(base: Path, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else base / path


def _check_distinct_lineups(lineups: tuple[Lineup, ...], source: str) -> None:
    """Reject two lineups with the same agents: their sessions would get the same ids."""
    seen: dict[str, str] = {}
    for lineup in lineups:
        key = json.dumps([asdict(agent) for agent in lineup.agents], sort_keys=True,
                         default=str)
        if key in seen:
            raise SpecError(f"{source}: lineups.{lineup.name}: the lineup has the same agents as "
                            f"lineups.{seen[key]}, so their sessions would be the same: remove "
                            "one or change its agents")
        seen[key] = lineup.name
