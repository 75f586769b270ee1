"""Named lineups of a tournament spec: agents as spec strings or as TOML tables.

A lineup is `[lineups.NAME]` with `agents`, a list whose items are either agent spec
strings (`"kelly:id=k,interval=60"`, the `--agent` syntax of `beliefbook run`) or
tables:

    { kind = "llm", id = "gpt", provider = "openai", model = "gpt-4o-mini",
      persona = "cautious", cash = 100000, schedule = { interval = 600, think = 30 } }

In a table, `kind` defaults to "llm" when `provider` is given. The schedule keys
(interval, poisson, start, think, latency, jitter) go under `schedule` or at the top
level of the table. `cash` is in cents. Every other key is a parameter of the agent's
class. `builtin = "baselines"` (or "default") puts a built-in lineup first.

Every agent is built once here with a throwaway generator, so that a bad kind,
parameter or value fails before any session runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from agents.llm.providers import PROVIDER_NAMES
from agents.llm.services import LLMServices
from agents.registry import UnknownAgentError, agent_classes, build_agent
from sim.config import AgentConfig, ConfigError, parse_agent_spec
from sim.runner import LINEUPS
from sim.tournament.fields import SpecError, Table

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
SCHEDULE_KEYS = ("interval", "poisson", "start", "think", "latency", "jitter")
LINEUP_KEYS = ("agents", "builtin")


@dataclass(frozen=True)
class Lineup:
    """A named set of agents that trade together in each session of the lineup."""

    name: str
    agents: tuple[AgentConfig, ...]

    @property
    def uses_llm(self) -> bool:
        return any(agent.kind == "llm" for agent in self.agents)


def parse_lineups(top: Table) -> tuple[Lineup, ...]:
    """Parse the `[lineups]` table of the spec's top level: one sub-table per lineup."""
    table = top.take_table("lineups")
    if table is None or not table.data:
        raise top.error("is missing: add at least one [lineups.NAME] table with agents = "
                        "[...]", "lineups")
    lineups = []
    for name in list(table.data):
        if not NAME_PATTERN.match(name):
            raise table.error(f"lineup name {name!r} is invalid: use letters, digits, '-', "
                              "'_' and '.'")
        lineups.append(parse_lineup(name, table.take_table(name)))
    return tuple(lineups)


def parse_lineup(name: str, table: Table) -> Lineup:
    """Parse one lineup table into agent configs, checking every agent."""
    entries: list[tuple[str, object]] = []
    builtin = table.take_string("builtin", choices=sorted(LINEUPS))
    if builtin is not None:
        entries.extend((table.key_path("builtin"), spec) for spec in LINEUPS[builtin])
    agents = table.take("agents")
    if agents is not None and not isinstance(agents, list):
        raise table.error(f"{agents!r} is invalid: use a list of agent spec strings or "
                          "tables", "agents")
    for index, entry in enumerate(agents or []):
        entries.append((f"{table.key_path('agents')}[{index}]", entry))
    table.finish(LINEUP_KEYS)
    if not entries:
        raise table.error("the lineup has no agents: add agents = [\"kelly\", ...] or "
                          "builtin = \"baselines\"")

    counts: dict[str, int] = {}
    configs: list[AgentConfig] = []
    seen: dict[str, str] = {}
    for path, entry in entries:
        config = _parse_agent(entry, path, table.source, counts)
        if config.agent_id in seen:
            raise SpecError(f"{table.source}: {path}: agent id {config.agent_id!r} is already "
                            f"used by {seen[config.agent_id]}: give each agent a distinct id")
        seen[config.agent_id] = path
        check_agent(config, path, table.source)
        configs.append(config)
    return Lineup(name, tuple(configs))


def _parse_agent(entry: object, path: str, source: str, counts: dict[str, int]) -> AgentConfig:
    """Parse a spec string or a table; ids default to kind-1, kind-2, ... per lineup."""
    if isinstance(entry, str):
        kind = entry.split(":", 1)[0].strip()
        counts[kind] = counts.get(kind, 0) + 1
        try:
            return parse_agent_spec(entry, default_id=f"{kind}-{counts[kind]}")
        except ConfigError as error:
            raise SpecError(f"{source}: {path}: {error}") from None
    if not isinstance(entry, dict):
        raise SpecError(f"{source}: {path}: {entry!r} is invalid: use an agent spec string "
                        "like \"kelly:interval=60\" or a table like { kind = \"kelly\" }")

    table = Table(entry, path, source)
    kind = table.take_string("kind", default="llm" if "provider" in entry else None)
    if kind is None:
        raise table.error("kind is missing: add kind = \"kelly\" (or another agent kind), "
                           "or a provider for an LLM trader")
    counts[kind] = counts.get(kind, 0) + 1
    agent_id = table.take_string("id", default=f"{kind}-{counts[kind]}")

    kernel: dict[str, object] = {}
    schedule = table.take_table("schedule")
    if schedule is not None:
        for key in SCHEDULE_KEYS:
            if schedule.has(key):
                kernel[key] = schedule.take(key)
        schedule.finish(SCHEDULE_KEYS)
    for key in SCHEDULE_KEYS:
        if table.has(key):
            if key in kernel:
                raise table.error(f"{key} is given twice, at the top level and under "
                                  "schedule: keep one")
            kernel[key] = table.take(key)
    if table.has("cash"):
        kernel["cash"] = table.take("cash")
    params = dict(table.data)
    table.data.clear()
    try:
        return AgentConfig(agent_id=agent_id or "", kind=kind, params=params,
                           **kernel)  # type: ignore[arg-type]
    except ConfigError as error:
        raise SpecError(f"{source}: {path}: {error}") from None
    except TypeError as error:
        raise SpecError(f"{source}: {path}: {error}: use numbers for {', '.join(SCHEDULE_KEYS)}"
                        " and whole cents for cash") from None


def check_agent(config: AgentConfig, path: str, source: str) -> None:
    """Build the agent once to check its kind, parameters and values; raise SpecError."""
    classes = agent_classes()
    if config.kind not in classes:
        raise SpecError(f"{source}: {path}: agent kind {config.kind!r} is unknown: use one of "
                        f"{', '.join(sorted(classes))}")
    if config.kind == "llm":
        provider = config.params.get("provider", "local")
        if provider not in PROVIDER_NAMES:
            raise SpecError(f"{source}: {path}: provider {provider!r} is unknown: use one of "
                            f"{', '.join(PROVIDER_NAMES)}")

    # A resolved outcome lets kinds that need one (informed) be built too; the real
    # outcome is checked against each question when the sessions are planned.
    services = LLMServices(provider_factory=_unused_provider)
    try:
        build_agent(config.kind, config.agent_id, np.random.default_rng(0), config.params, 1,
                    services)
    except UnknownAgentError as error:
        raise SpecError(f"{source}: {path}: {error}") from None


def _unused_provider(name: str, model: str | None, base_url: str | None,
                     timeout: float) -> object:
    """Stand in for a provider while an LLM trader is built only to check its parameters."""
    return object()
