"""Prices, price files, the cost ledger and the budget."""

from __future__ import annotations

import json
import logging

import pytest

from agents.llm.cost import (
    Budget,
    BudgetExceeded,
    CostLedger,
    ModelPrice,
    PriceFileError,
    PriceTable,
)

MILLION = 1_000_000


def record(ledger: CostLedger, agent_id: str = "a1", cost: float = 0.5,
           cache_hit: bool = False, input_tokens: int = 100, output_tokens: int = 10):
    return ledger.record(agent_id=agent_id, provider="openai", model="gpt-4o-mini",
                         input_tokens=input_tokens, output_tokens=output_tokens, cost=cost,
                         latency=0.25, cache_hit=cache_hit)


# Prices

def test_cost_per_million_tokens():
    prices = PriceTable({"m": ModelPrice(input=2.0, output=8.0)})
    assert prices.cost("openai", "m", MILLION, 0) == pytest.approx(2.0)
    assert prices.cost("openai", "m", 0, MILLION) == pytest.approx(8.0)
    assert prices.cost("openai", "m", 1000, 500) == pytest.approx(0.002 + 0.004)


def test_default_price_exact_model():
    assert PriceTable().price("openai", "gpt-4o-mini") == ModelPrice(0.15, 0.60)


def test_dated_model_gets_longest_prefix():
    prices = PriceTable()
    assert prices.price("openai", "gpt-4o-mini-2024-07-18") == ModelPrice(0.15, 0.60)
    assert prices.price("openai", "gpt-4o-2024-08-06") == ModelPrice(2.50, 10.0)
    assert prices.price("anthropic", "claude-sonnet-4-5-20250929") == ModelPrice(3.0, 15.0)


def test_prefix_needs_dash_boundary():
    assert PriceTable().price("openai", "o3x") is None


@pytest.mark.parametrize("provider", ["local", "compatible"])
def test_own_hardware_costs_nothing(provider, caplog):
    with caplog.at_level(logging.WARNING, logger="agents.llm.cost"):
        cost = PriceTable().cost(provider, "SmolLM2-135M-Instruct", MILLION, MILLION)
    assert cost == 0.0
    assert caplog.records == []


def test_unknown_model_warns_once(caplog):
    prices = PriceTable()
    with caplog.at_level(logging.WARNING, logger="agents.llm.cost"):
        first = prices.cost("openai", "gpt-unknown", 1000, 1000)
        second = prices.cost("openai", "gpt-unknown", 1000, 1000)
    assert first == 0.0
    assert second == 0.0
    assert len(caplog.records) == 1
    assert "'gpt-unknown'" in caplog.records[0].getMessage()


def test_table_without_defaults():
    assert PriceTable(include_defaults=False).price("openai", "gpt-4o") is None


# Price files

def test_json_file_overrides_default(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"gpt-4o": {"input": 1.0, "output": 4.0}}))
    prices = PriceTable.from_file(path)
    assert prices.price("openai", "gpt-4o") == ModelPrice(1.0, 4.0)
    assert prices.price("openai", "gpt-4o-mini") == ModelPrice(0.15, 0.60)


def test_toml_file_adds_model(tmp_path):
    path = tmp_path / "prices.toml"
    path.write_text('["my-model-7b"]\ninput = 0.2\noutput = 1\n\n'
                    '["gpt-4.1"]\ninput = 1.5\noutput = 6.0\n')
    prices = PriceTable.from_file(path)
    assert prices.price("openai", "my-model-7b") == ModelPrice(0.2, 1.0)
    assert prices.price("openai", "gpt-4.1") == ModelPrice(1.5, 6.0)


def test_file_prices_own_hardware_model(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"llama-3-70b": {"input": 0.5, "output": 0.5}}))
    prices = PriceTable.from_file(path)
    assert prices.cost("compatible", "llama-3-70b", MILLION, 0) == pytest.approx(0.5)


@pytest.mark.parametrize("content, fragment", [
    ('{"m": {"input": 1.0}}', "exactly the keys input and output"),
    ('{"m": {"input": -1, "output": 2}}', "price -1 of 'm' is invalid"),
    ('{"m": {"input": "cheap", "output": 2}}', "price 'cheap' of 'm' is invalid"),
    ('{"m": {"input": true, "output": 2}}', "price True of 'm' is invalid"),
    ('[1, 2]', "must map model ids to prices"),
    ('{"m": ', "not valid JSON"),
], ids=["missing key", "negative", "text", "boolean", "list", "syntax"])
def test_invalid_file_raises(tmp_path, content, fragment):
    path = tmp_path / "prices.json"
    path.write_text(content)
    with pytest.raises(PriceFileError, match=fragment):
        PriceTable.from_file(path)


def test_file_error_names_path(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text('{"m": {"input": 1.0}}')
    with pytest.raises(PriceFileError, match="prices.json"):
        PriceTable.from_file(path)


def test_unknown_file_type_raises(tmp_path):
    path = tmp_path / "prices.yaml"
    path.write_text("m: 1")
    with pytest.raises(PriceFileError, match="use a .json or .toml file"):
        PriceTable.from_file(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(PriceFileError, match="cannot be read"):
        PriceTable.from_file(tmp_path / "absent.json")


# Ledger

def test_ledger_session_totals():
    ledger = CostLedger()
    record(ledger, "a1", cost=0.5)
    record(ledger, "a2", cost=0.25, input_tokens=50, output_tokens=5)
    totals = ledger.totals()
    assert totals.calls == 2
    assert totals.input_tokens == 150
    assert totals.output_tokens == 15
    assert totals.cost == pytest.approx(0.75)
    assert totals.latency == pytest.approx(0.5)
    assert ledger.total_cost == pytest.approx(0.75)


def test_ledger_totals_by_agent():
    ledger = CostLedger()
    record(ledger, "a1", cost=0.5)
    record(ledger, "a1", cost=0.5)
    record(ledger, "a2", cost=0.25)
    by_agent = ledger.totals_by_agent()
    assert sorted(by_agent) == ["a1", "a2"]
    assert by_agent["a1"].calls == 2
    assert by_agent["a1"].cost == pytest.approx(1.0)
    assert by_agent["a2"].cost == pytest.approx(0.25)


def test_cache_hit_costs_nothing():
    ledger = CostLedger()
    call = record(ledger, cost=0.5, cache_hit=True)
    assert call.cost == 0.0
    assert ledger.total_cost == 0.0
    assert ledger.totals().cache_hits == 1
    assert ledger.totals().input_tokens == 100


def test_ledger_keeps_each_call():
    ledger = CostLedger()
    record(ledger, "a1")
    record(ledger, "a2")
    assert [call.agent_id for call in ledger.calls] == ["a1", "a2"]


# Budget

def test_budget_allows_below_limit():
    ledger = CostLedger()
    record(ledger, cost=0.99)
    Budget(1.0).check(ledger)


def test_budget_stops_at_limit():
    ledger = CostLedger()
    record(ledger, cost=1.0)
    with pytest.raises(BudgetExceeded) as caught:
        Budget(1.0).check(ledger)
    assert caught.value.spent == pytest.approx(1.0)
    assert caught.value.limit == 1.0


def test_budget_message_names_fix():
    ledger = CostLedger()
    record(ledger, cost=2.5)
    with pytest.raises(BudgetExceeded) as caught:
        Budget(2.0).check(ledger)
    message = str(caught.value)
    assert "$2.5000" in message
    assert "$2.0000 limit" in message
    assert "--cache replay" in message


def test_budget_none_never_stops():
    ledger = CostLedger()
    record(ledger, cost=1e6)
    Budget(None).check(ledger)


@pytest.mark.parametrize("limit", [0.0, -1.0, float("nan"), float("inf")])
def test_budget_rejects_invalid(limit):
    with pytest.raises(ValueError, match="positive amount"):
        Budget(limit)
