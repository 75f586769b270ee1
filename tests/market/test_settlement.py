"""Settlement: YES and NO pay 100 per winning share, annulment unwinds at cost."""

import pytest
from exchange_helpers import RICH, fingerprint, new_exchange, of_type

from market import (
    Cancelled,
    CancelReason,
    OrderKind,
    Outcome,
    Rejected,
    RejectReason,
    Settled,
    Trade,
)


@pytest.fixture
def traded():
    """Return an exchange where "yes" holds 5 YES at 60, "no" 5 NO at 40, and
    "flipper" bought 3 YES at 55 and sold them at 70 to "late" (who holds 3 YES).

    "yes" also has a buy of 2 at 30 resting and "no" a sell of 4 at 90.
    """
    exchange = new_exchange("yes", "no", "flipper", "late")
    exchange.submit_contract("no", "no", "buy", 40, 5)
    exchange.submit("yes", "buy", 60, 5)
    exchange.submit("no", "sell", 55, 3)
    exchange.submit("flipper", "buy", 55, 3)
    exchange.submit("flipper", "sell", 70, 3)
    exchange.submit("late", "buy", 70, 3)
    exchange.submit("yes", "buy", 30, 2)
    exchange.submit("no", "sell", 90, 4)
    return exchange


def settled_by_agent(events):
    return {event.agent_id: event for event in of_type(events, Settled)}


def test_traded_fixture_positions(traded):
    positions = {agent: account.position for agent, account in traded.accounts.items()}

    assert positions == {"yes": 5, "no": -8, "flipper": 0, "late": 3}


def test_yes_pays_100_per_yes_share(traded):
    events = traded.settle(Outcome.YES)

    settled = settled_by_agent(events)
    assert settled["yes"].payout == 500
    assert settled["late"].payout == 300
    assert settled["no"].payout == 0
    assert settled["flipper"].payout == 0


def test_yes_final_cash(traded):
    traded.settle("yes")

    cash = {agent: account.cash for agent, account in traded.accounts.items()}
    assert cash["yes"] == RICH - 60 * 5 + 100 * 5
    assert cash["late"] == RICH - 70 * 3 + 100 * 3
    assert cash["flipper"] == RICH + (70 - 55) * 3
    assert cash["no"] == RICH - 40 * 5 - 45 * 3


def test_no_pays_100_per_no_share(traded):
    events = traded.settle(Outcome.NO)

    settled = settled_by_agent(events)
    assert settled["no"].payout == 800
    assert settled["yes"].payout == 0
    assert settled["late"].payout == 0
    assert traded.accounts["no"].cash == RICH - 40 * 5 - 45 * 3 + 800


def test_settled_event_fields(traded):
    events = traded.settle("no")

    settled = settled_by_agent(events)["no"]
    assert settled.outcome is Outcome.NO
    assert settled.position == -8
    assert settled.cash == traded.accounts["no"].cash
    assert settled.pnl == settled.cash - RICH


@pytest.mark.parametrize("outcome", ["yes", "no", "annulled"])
def test_settlement_conserves_cash(traded, outcome):
    traded.settle(outcome)

    assert sum(account.cash for account in traded.accounts.values()) == 4 * RICH
    assert traded.open_interest() == 0


def test_annulment_restores_deposits(traded):
    events = traded.settle(Outcome.ANNULLED)

    assert {agent: account.cash for agent, account in traded.accounts.items()} == {
        "yes": RICH, "no": RICH, "flipper": RICH, "late": RICH}
    assert all(event.pnl == 0 for event in of_type(events, Settled))


def test_annulment_takes_back_profit(traded):
    events = traded.settle("annulled")

    assert settled_by_agent(events)["flipper"].payout == -(70 - 55) * 3


@pytest.mark.parametrize("outcome", ["yes", "no", "annulled"])
def test_settlement_cancels_open_orders(traded, outcome):
    events = traded.settle(outcome)

    cancels = of_type(events, Cancelled)
    assert [(c.agent_id, c.quantity) for c in cancels] == [("yes", 2), ("no", 4)]
    assert all(c.reason is CancelReason.SETTLEMENT for c in cancels)
    assert traded.snapshot().bids == ()
    assert traded.snapshot().asks == ()


def test_settlement_clears_locks_and_positions(traded):
    traded.settle("yes")

    for account in traded.accounts.values():
        assert account.locked == 0
        assert account.position == 0
        assert account.open_orders() == []


def test_settlement_events_order(traded):
    events = traded.settle("yes")

    names = [type(event).__name__ for event in events]
    assert names == ["Cancelled"] * 2 + ["Settled"] * 4
    assert [e.agent_id for e in of_type(events, Settled)] == ["flipper", "late", "no", "yes"]


def test_market_closed_after_settlement(traded):
    traded.settle("yes")
    before = fingerprint(traded)

    events = traded.submit("yes", "buy", 50, 1)

    assert len(events) == 1
    assert isinstance(events[0], Rejected)
    assert events[0].reason is RejectReason.MARKET_CLOSED
    assert fingerprint(traded) == before


def test_market_closed_for_all_order_kinds(traded):
    traded.settle("no")

    for kind in OrderKind:
        events = traded.submit_contract("late", "no", "buy", 50, 1, kind)
        assert events[0].reason is RejectReason.MARKET_CLOSED


def test_cancel_after_settlement_rejected(traded):
    order_id = traded.submit("late", "buy", 10, 1)[0].order_id
    traded.settle("yes")

    events = traded.cancel("late", order_id)

    assert events[0].reason is RejectReason.UNKNOWN_ORDER


def test_double_settle_raises(traded):
    traded.settle("yes")
    before = fingerprint(traded)

    with pytest.raises(ValueError, match="already settled as yes"):
        traded.settle("no")
    assert fingerprint(traded) == before


def test_invalid_outcome_raises(traded):
    before = fingerprint(traded)

    with pytest.raises(ValueError, match="'maybe'"):
        traded.settle("maybe")
    assert traded.outcome is None
    assert fingerprint(traded) == before


def test_settle_without_trades():
    exchange = new_exchange("a", "b")

    events = exchange.settle("yes")

    assert [event.payout for event in of_type(events, Settled)] == [0, 0]
    assert exchange.outcome is Outcome.YES


def test_settlement_after_merge_pays_nothing():
    exchange = new_exchange("a", "b")
    exchange.submit("a", "buy", 50, 2)
    trades = of_type(exchange.submit("b", "sell", 50, 2), Trade)
    assert trades[0].minted == 2
    exchange.submit("a", "sell", 50, 2)
    exchange.submit("b", "buy", 50, 2)

    events = exchange.settle("yes")

    assert [event.payout for event in of_type(events, Settled)] == [0, 0]
    assert exchange.accounts["a"].cash == RICH
