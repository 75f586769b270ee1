"""Session and agent configuration, and the `--agent` spec syntax.

An agent spec is `kind` or `kind:key=value,key=value`. Keys the session kernel owns
(`id`, `cash`, `interval`, `start`, `poisson`, `think`, `latency`, `jitter`) set how the agent is
scheduled and funded; every other key is passed to the agent's constructor. Values
are parsed as int, float or bool where they look like one, else kept as strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

DEFAULT_CASH = 100_000
"""Starting cash of an agent in cents (1,000 dollars)."""

KERNEL_KEYS = {"id", "cash", "interval", "start", "poisson", "think", "latency", "jitter"}


class ConfigError(ValueError):
    """An invalid session or agent configuration; the message names the value and the fix."""


@dataclass(frozen=True)
class AgentConfig:
    """How one agent is built, funded and scheduled.

    `interval` is the mean simulated seconds between wake-ups (fixed, or the mean of an
    exponential gap when `poisson`). A decision reaches the book `think + latency`
    simulated seconds after the agent wakes, each scaled by a factor drawn uniformly
    from [1 - jitter, 1 + jitter]. The agent is busy until then and cannot act again.
    `start` is the first wake-up time; when None it is drawn uniformly from
    [0, interval) so that agents do not all wake together.
    """

    agent_id: str
    kind: str
    params: dict[str, object] = field(default_factory=dict)
    cash: int = DEFAULT_CASH
    interval: float = 60.0
    poisson: bool = False
    think: float = 5.0
    latency: float = 0.05
    jitter: float = 0.0
    start: float | None = None

    def __post_init__(self) -> None:
        if not self.agent_id:
            raise ConfigError("agent id is empty: give each agent a name with id=NAME")
        if isinstance(self.cash, float) and self.cash.is_integer() and self.cash >= 0:
            object.__setattr__(self, "cash", int(self.cash))
        if type(self.cash) is not int or self.cash < 0:
            raise ConfigError(f"agent {self.agent_id}: cash {self.cash!r} is invalid: use a "
                              "whole number of cents >= 0")
        for name in ("interval", "think", "latency"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"agent {self.agent_id}: {name} {value!r} is invalid: use "
                                  "a number of simulated seconds >= 0")
        if self.start is not None and (not math.isfinite(self.start) or self.start < 0):
            raise ConfigError(f"agent {self.agent_id}: start {self.start!r} is invalid: use "
                              "a number of simulated seconds >= 0")
        if self.interval <= 0:
            raise ConfigError(f"agent {self.agent_id}: interval {self.interval!r} is invalid: "
                              "use a number of simulated seconds > 0")
        if not isinstance(self.poisson, bool):
            raise ConfigError(f"agent {self.agent_id}: poisson {self.poisson!r} is invalid: use "
                              "true or false")
        if not 0.0 <= self.jitter < 1.0:
            raise ConfigError(f"agent {self.agent_id}: jitter {self.jitter!r} is invalid: use "
                              "a fraction in [0, 1)")

    @property
    def min_delay(self) -> float:
        """The shortest time from a wake-up to the decision reaching the book."""
        return (self.think + self.latency) * (1.0 - self.jitter)


@dataclass(frozen=True)
class SessionConfig:
    """Parameters of one session. Times are simulated seconds, money cents."""

    agents: tuple[AgentConfig, ...]
    seed: int = 0
    horizon: float = 3600.0
    snapshot_interval: float = 60.0
    book_levels: int = 5
    """Levels per side shown to agents in observations."""
    recent_trades: int = 10
    """Trades shown to agents in observations."""
    open_at_community: bool = False
    """Centre the market maker on the question's community probability instead of 50."""
    elicitation: str = "verbal"
    contradiction_epsilon: float = 0.02
    """A fill is flagged live when its expected value under the agent's stated belief is
    below minus this many probability units (0.02 is 2 cents a share)."""

    def __post_init__(self) -> None:
        if not self.agents:
            raise ConfigError("the session has no agents: add at least one --agent")
        seen: set[str] = set()
        repeated_ids: set[str] = set()
        for agent in self.agents:
            if agent.agent_id in seen:
                repeated_ids.add(agent.agent_id)
            seen.add(agent.agent_id)
        repeated = sorted(repeated_ids)
        if repeated:
            raise ConfigError(f"agent id(s) {', '.join(repeated)} appear more than once: give "
                              "each agent a distinct id=NAME")
        if type(self.seed) is not int or self.seed < 0:
            raise ConfigError(f"seed {self.seed!r} is invalid: use a whole number >= 0")
        if not math.isfinite(self.horizon) or self.horizon <= 0:
            raise ConfigError(f"horizon {self.horizon!r} is invalid: use simulated seconds > 0")
        if not 0.0 <= self.contradiction_epsilon < 0.5:
            raise ConfigError(f"contradiction epsilon {self.contradiction_epsilon!r} is "
                              "invalid: use a probability margin in [0, 0.5)")
        if self.snapshot_interval <= 0:
            raise ConfigError(f"snapshot interval {self.snapshot_interval!r} is invalid: use "
                              "simulated seconds > 0")

    def with_seed(self, seed: int) -> SessionConfig:
        return replace(self, seed=seed)


def parse_value(text: str) -> object:
    """Parse a spec value: true/false, int, float, else the string itself."""
    lowered = text.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_agent_spec(spec: str, default_id: str) -> AgentConfig:
    """Parse `kind:key=value,...` into an AgentConfig; `default_id` is used without id=."""
    kind, _, rest = spec.strip().partition(":")
    kind = kind.strip()
    if not kind:
        raise ConfigError(f"agent spec {spec!r} is invalid: start with a kind, e.g. "
                          "'kelly' or 'noise:interval=30'")
    kernel: dict[str, object] = {}
    params: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"agent spec {spec!r}: {item!r} is invalid: write key=value")
        target = kernel if key in KERNEL_KEYS else params
        target[key] = parse_value(value.strip())

    agent_id = str(kernel.pop("id", default_id))
    try:
        return AgentConfig(agent_id=agent_id, kind=kind, params=params, **kernel)  # type: ignore[arg-type]
    except TypeError as error:
        raise ConfigError(f"agent spec {spec!r} is invalid: {error}") from None
