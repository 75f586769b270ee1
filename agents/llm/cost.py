"""Token prices, the per-session cost ledger, and the spending limit.

Costs are float US dollars: they are estimates from list prices, not money the
exchange settles, so the integer-cents rule of `market/` does not apply to them.
"""

from __future__ import annotations

import json
import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """List price of a model in USD per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Return the USD cost of one call with these token counts."""
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


PRICES_AS_OF = "2025-11"

# NOTE: assumed list prices for standard (not batch, not cached-input) requests as of
# PRICES_AS_OF, not checked against the providers' pricing pages. Check them before
# quoting costs, and override them with a price file (PriceTable.from_file).
DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    # Anthropic
    "claude-opus-4-1": ModelPrice(15.0, 75.0),
    "claude-opus-4": ModelPrice(15.0, 75.0),
    "claude-sonnet-4-5": ModelPrice(3.0, 15.0),
    "claude-sonnet-4": ModelPrice(3.0, 15.0),
    "claude-3-7-sonnet": ModelPrice(3.0, 15.0),
    "claude-3-5-sonnet": ModelPrice(3.0, 15.0),
    "claude-haiku-4-5": ModelPrice(1.0, 5.0),
    "claude-3-5-haiku": ModelPrice(0.80, 4.0),
    "claude-3-haiku": ModelPrice(0.25, 1.25),
    # OpenAI
    "gpt-5": ModelPrice(1.25, 10.0),
    "gpt-5-mini": ModelPrice(0.25, 2.0),
    "gpt-5-nano": ModelPrice(0.05, 0.40),
    "gpt-4.1": ModelPrice(2.0, 8.0),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40),
    "gpt-4o": ModelPrice(2.50, 10.0),
    "gpt-4o-mini": ModelPrice(0.15, 0.60),
    "o3": ModelPrice(2.0, 8.0),
    "o4-mini": ModelPrice(1.10, 4.40),
}

FREE_PROVIDERS = frozenset({"local", "compatible"})
"""Providers whose models run on the user's own hardware: they cost 0 unless priced."""


class PriceFileError(ValueError):
    """A price file that cannot be read. The message names the file, the entry and the fix."""


class PriceTable:
    """USD prices per million tokens by model id.

    A model id matches its own entry, or else the longest entry that it extends with
    a dash ("gpt-4o-mini-2024-07-18" gets the "gpt-4o-mini" price). Models of a
    provider in FREE_PROVIDERS cost 0 unless their exact id is in the table. Other
    unknown models cost 0 too, with one warning per model.
    """

    def __init__(self, prices: Mapping[str, ModelPrice] | None = None, *,
                 include_defaults: bool = True) -> None:
        base = dict(DEFAULT_PRICES) if include_defaults else {}
        self.prices: dict[str, ModelPrice] = {**base, **(prices or {})}
        self._warned: set[tuple[str, str]] = set()

    @classmethod
    def from_file(cls, path: str | Path) -> PriceTable:
        """Read `{model: {input: x, output: y}}` from a JSON or TOML file over the defaults.

        In TOML, quote model ids that contain dots: `["gpt-4.1"]`.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise PriceFileError(f"price file {path} cannot be read ({error.strerror}): pass "
                                 "an existing .json or .toml file") from None
        try:
            if path.suffix == ".json":
                data = json.loads(text)
            elif path.suffix == ".toml":
                data = tomllib.loads(text)
            else:
                raise PriceFileError(f"price file {path} has an unknown type: use a .json or "
                                     ".toml file")
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
            raise PriceFileError(f"price file {path} is not valid {path.suffix[1:].upper()} "
                                 f"({error})") from None
        return cls(parse_prices(data, path))

    def price(self, provider: str, model: str) -> ModelPrice | None:
        """Return the price that applies to `model`, or None when there is none."""
        if model in self.prices:
            return self.prices[model]
        if provider in FREE_PROVIDERS:
            return ModelPrice(0.0, 0.0)
        prefixes = [key for key in self.prices if model.startswith(key + "-")]
        if not prefixes:
            return None
        return self.prices[max(prefixes, key=len)]

    def cost(self, provider: str, model: str, input_tokens: int, output_tokens: int) -> float:
        """Return the USD cost of one call, or 0 for an unknown model (warned once)."""
        price = self.price(provider, model)
        if price is None:
            if (provider, model) not in self._warned:
                self._warned.add((provider, model))
                logger.warning("no price for model %r of provider %s, so its calls count as "
                               "$0: add it to a price file to count its cost", model, provider)
            return 0.0
        return price.cost(input_tokens, output_tokens)


def parse_prices(data: object, source: Path | str) -> dict[str, ModelPrice]:
    """Validate `{model: {input: x, output: y}}` data read from `source`."""
    example = 'for example {"gpt-4o": {"input": 2.5, "output": 10.0}}'
    if not isinstance(data, dict):
        raise PriceFileError(f"price file {source} must map model ids to prices, {example}")

    prices: dict[str, ModelPrice] = {}
    for model, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"input", "output"}:
            raise PriceFileError(f"price file {source}: entry {model!r} must have exactly the "
                                 f"keys input and output, {example}")
        values = [entry["input"], entry["output"]]
        for value in values:
            valid = (isinstance(value, int | float) and not isinstance(value, bool)
                     and math.isfinite(value) and value >= 0)
            if not valid:
                raise PriceFileError(f"price file {source}: price {value!r} of {model!r} is "
                                     "invalid: use a non-negative number of USD per million "
                                     "tokens")
        prices[model] = ModelPrice(float(values[0]), float(values[1]))
    return prices


@dataclass(frozen=True, slots=True)
class CallCost:
    """One LLM call in the ledger, with `cost` in USD and `latency` in wall seconds."""

    agent_id: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost: float
    latency: float
    cache_hit: bool


@dataclass(frozen=True, slots=True)
class CostTotals:
    """Sums over a set of calls. Token counts include cache hits, the cost does not."""

    calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    latency: float = 0.0

    def add(self, call: CallCost) -> CostTotals:
        """Return these totals with `call` added."""
        return CostTotals(self.calls + 1, self.cache_hits + int(call.cache_hit),
                          self.input_tokens + call.input_tokens,
                          self.output_tokens + call.output_tokens,
                          self.cost + call.cost, self.latency + call.latency)


class CostLedger:
    """Every call of a session with its tokens and cost, and running totals.

    A cache hit is recorded with cost 0, whatever cost is passed.
    """

    def __init__(self) -> None:
        self.calls: list[CallCost] = []
        self._totals = CostTotals()
        self._by_agent: dict[str, CostTotals] = {}

    def record(self, *, agent_id: str, provider: str, model: str, input_tokens: int,
               output_tokens: int, cost: float, latency: float, cache_hit: bool) -> CallCost:
        """Append one call, update the totals and return the stored record."""
        call = CallCost(agent_id, provider, model, input_tokens, output_tokens,
                        0.0 if cache_hit else cost, latency, cache_hit)
        self.calls.append(call)
        self._totals = self._totals.add(call)
        self._by_agent[agent_id] = self._by_agent.get(agent_id, CostTotals()).add(call)
        return call

    @property
    def total_cost(self) -> float:
        """USD spent by all calls so far."""
        return self._totals.cost

    def totals(self) -> CostTotals:
        """Return the totals over every call in the ledger."""
        return self._totals

    def totals_by_agent(self) -> dict[str, CostTotals]:
        """Return the totals of each agent, by agent id."""
        return dict(self._by_agent)


class BudgetExceeded(RuntimeError):
    """The ledger's spending reached the budget's limit; no further provider call is made."""

    def __init__(self, message: str, *, spent: float, limit: float) -> None:
        super().__init__(message)
        self.spent = spent
        self.limit = limit


class Budget:
    """A spending limit in USD over one ledger, or no limit when `max_usd` is None.

    NOTE: the client checks before each call, so calls already in flight when the
    limit is reached still finish and can take spending past it.
    """

    def __init__(self, max_usd: float | None) -> None:
        if max_usd is not None and not (math.isfinite(max_usd) and max_usd > 0):
            raise ValueError(f"budget {max_usd!r} USD is invalid: use a positive amount, or "
                             "None for no limit")
        self.max_usd = max_usd

    def check(self, ledger: CostLedger) -> None:
        """Raise BudgetExceeded when the ledger's total cost has reached the limit."""
        if self.max_usd is None:
            return
        spent = ledger.total_cost
        if spent >= self.max_usd:
            raise BudgetExceeded(
                f"LLM budget reached: spent ${spent:.4f} of the ${self.max_usd:.4f} limit. "
                "Raise the budget, or run with --cache replay (or auto) to reuse recorded "
                "calls, which cost nothing.", spent=spent, limit=self.max_usd)
