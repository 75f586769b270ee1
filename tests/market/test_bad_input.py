"""Bad input: every invalid request gets a rejection with a reason code and changes nothing."""

import pytest
from exchange_helpers import fingerprint, new_exchange

from market import Exchange, OrderKind, Rejected, RejectReason


@pytest.fixture
def exchange():
    """Return an exchange with resting orders on both sides and one filled trade."""
    exchange = new_exchange("a", "b")
    exchange.open_account("poor", 100)
    exchange.submit("a", "buy", 40, 5)
    exchange.submit("b", "sell", 60, 5)
    exchange.submit("a", "sell", 55, 2)
    exchange.submit("b", "buy", 55, 1)
    return exchange


def assert_rejected(exchange: Exchange, before: tuple, events: list, reason: RejectReason):
    assert len(events) == 1
    assert isinstance(events[0], Rejected)
    assert events[0].reason is reason
    assert events[0].message
    assert fingerprint(exchange) == before


BAD_PRICES = [0, 100, -1, 50.5, 50.0, "50", float("nan"), float("inf"), None, True, [50]]


@pytest.mark.parametrize("price", BAD_PRICES, ids=repr)
def test_submit_bad_price_rejected(exchange, price):
    before = fingerprint(exchange)

    events = exchange.submit("a", "buy", price, 1)

    assert_rejected(exchange, before, events, RejectReason.INVALID_PRICE)


@pytest.mark.parametrize("price", [0, 100, 50.5, "50", float("nan")], ids=repr)
def test_ioc_bad_price_rejected(exchange, price):
    before = fingerprint(exchange)

    events = exchange.submit("a", "sell", price, 1, OrderKind.IOC)

    assert_rejected(exchange, before, events, RejectReason.INVALID_PRICE)


@pytest.mark.parametrize("price", [0, 100, 50.5, "50", float("nan")], ids=repr)
def test_market_bad_bound_rejected(exchange, price):
    before = fingerprint(exchange)

    events = exchange.submit("a", "buy", price, 1, OrderKind.MARKET)

    assert_rejected(exchange, before, events, RejectReason.INVALID_PRICE)


@pytest.mark.parametrize("price", [0, 100, 50.5, "50", float("nan"), True], ids=repr)
def test_no_contract_bad_price_rejected(exchange, price):
    before = fingerprint(exchange)

    events = exchange.submit_contract("a", "no", "buy", price, 1)

    assert_rejected(exchange, before, events, RejectReason.INVALID_PRICE)


@pytest.mark.parametrize("quantity", [0, -3, 2.5, "5", None, True, float("nan")], ids=repr)
def test_submit_bad_quantity_rejected(exchange, quantity):
    before = fingerprint(exchange)

    events = exchange.submit("a", "buy", 45, quantity)

    assert_rejected(exchange, before, events, RejectReason.INVALID_QUANTITY)


@pytest.mark.parametrize("quantity", [0, -3, 2.5], ids=repr)
def test_no_contract_bad_quantity_rejected(exchange, quantity):
    before = fingerprint(exchange)

    events = exchange.submit_contract("a", "no", "buy", 45, quantity)

    assert_rejected(exchange, before, events, RejectReason.INVALID_QUANTITY)


@pytest.mark.parametrize("agent_id", ["nobody", "", None, 7])
def test_submit_unknown_agent_rejected(exchange, agent_id):
    before = fingerprint(exchange)

    events = exchange.submit(agent_id, "buy", 45, 1)

    assert_rejected(exchange, before, events, RejectReason.UNKNOWN_AGENT)


def test_submit_uncovered_order_rejected(exchange):
    before = fingerprint(exchange)

    events = exchange.submit("poor", "buy", 45, 3)

    assert_rejected(exchange, before, events, RejectReason.INSUFFICIENT_COLLATERAL)


def test_uncovered_crossing_order_rejected(exchange):
    # Even an order that would fill at once at a better price is checked at its limit.
    before = fingerprint(exchange)

    events = exchange.submit("poor", "sell", 38, 2)

    assert_rejected(exchange, before, events, RejectReason.INSUFFICIENT_COLLATERAL)


@pytest.mark.parametrize("side", ["BUY", "long", "", None, 1])
def test_submit_bad_side_rejected(exchange, side):
    before = fingerprint(exchange)

    events = exchange.submit("a", side, 45, 1)

    assert_rejected(exchange, before, events, RejectReason.INVALID_SIDE)


@pytest.mark.parametrize("kind", ["fok", "LIMIT", None])
def test_submit_bad_kind_rejected(exchange, kind):
    before = fingerprint(exchange)

    events = exchange.submit("a", "buy", 45, 1, kind)

    assert_rejected(exchange, before, events, RejectReason.INVALID_KIND)


def test_limit_without_price_rejected(exchange):
    before = fingerprint(exchange)

    events = exchange.submit("a", "buy", None, 1, OrderKind.LIMIT)

    assert_rejected(exchange, before, events, RejectReason.INVALID_PRICE)


def test_submit_contract_bad_contract_rejected(exchange):
    before = fingerprint(exchange)

    events = exchange.submit_contract("a", "maybe", "buy", 45, 1)

    assert_rejected(exchange, before, events, RejectReason.INVALID_SIDE)
    assert "'maybe'" in events[0].message


def test_reject_message_names_value(exchange):
    events = exchange.submit("a", "buy", 50.5, 1)

    assert "50.5" in events[0].message
    assert "1 to 99" in events[0].message


def test_reject_message_names_nan(exchange):
    events = exchange.submit("a", "buy", float("nan"), 1)

    assert "NaN" in events[0].message


@pytest.mark.parametrize("order_id", [999, -1, 0, "1", 1.0, None, True])
def test_cancel_bad_id_rejected(exchange, order_id):
    before = fingerprint(exchange)

    events = exchange.cancel("a", order_id)

    assert_rejected(exchange, before, events, RejectReason.UNKNOWN_ORDER)


@pytest.mark.parametrize(("price", "quantity", "reason"), [
    (0, 5, RejectReason.INVALID_PRICE),
    (100, 5, RejectReason.INVALID_PRICE),
    (40.5, 5, RejectReason.INVALID_PRICE),
    ("40", 5, RejectReason.INVALID_PRICE),
    (float("nan"), 5, RejectReason.INVALID_PRICE),
    (40, 0, RejectReason.INVALID_QUANTITY),
    (40, -3, RejectReason.INVALID_QUANTITY),
    (40, 2.5, RejectReason.INVALID_QUANTITY),
])
def test_replace_bad_input_rejected(exchange, price, quantity, reason):
    before = fingerprint(exchange)

    events = exchange.replace("a", 1, price, quantity)

    assert_rejected(exchange, before, events, reason)


def test_replace_unknown_agent_rejected(exchange):
    before = fingerprint(exchange)

    events = exchange.replace("nobody", 1, 41, 5)

    assert_rejected(exchange, before, events, RejectReason.UNKNOWN_AGENT)


@pytest.mark.parametrize("cash", [-1, 10.5, "100", None, True, float("nan")], ids=repr)
def test_open_account_bad_cash_rejected(exchange, cash):
    before = fingerprint(exchange)

    events = exchange.open_account("new", cash)

    assert_rejected(exchange, before, events, RejectReason.INVALID_CASH)


def test_open_account_duplicate_rejected(exchange):
    before = fingerprint(exchange)

    events = exchange.open_account("a", 500)

    assert_rejected(exchange, before, events, RejectReason.DUPLICATE_AGENT)


@pytest.mark.parametrize("agent_id", ["", None, 3])
def test_open_account_bad_id_rejected(exchange, agent_id):
    before = fingerprint(exchange)

    events = exchange.open_account(agent_id, 500)

    assert_rejected(exchange, before, events, RejectReason.UNKNOWN_AGENT)


def test_rejections_leave_invariants(exchange):
    for price in BAD_PRICES:
        exchange.submit("a", "buy", price, 1)
    exchange.submit("poor", "buy", 99, 50)

    exchange.check_invariants()
