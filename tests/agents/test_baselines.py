"""Tests of the baseline traders, on synthetic observations and on a real Exchange."""

from __future__ import annotations

import asyncio
import inspect
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.baselines import (
    BASELINES,
    CONTRARIAN_MAX_EXPECTED_VALUE,
    ContrarianControl,
    InformedTrader,
    KellyTrader,
    MarketMaker,
    MomentumTrader,
    NoiseTrader,
    collateral_required,
    expected_value,
    is_contradictory,
    kelly_fraction,
    kelly_target_position,
    reference_price,
)
from agents.protocol import (
    Belief,
    Decision,
    ElicitationMethod,
    Observation,
    Question,
    TradePrint,
)
from agents.registry import build_agent
from market.events import Rejected, Trade
from market.exchange import Exchange
from market.types import BookLevel, L2Snapshot, OpenOrder, OrderKind, Outcome, Side

QUESTION = Question(id="q1", question="Will it rain in Paris tomorrow?",
                    community_probability=0.6)

SIMPLE_TYPES = (float, int, str, bool)


def run(coroutine):
    return asyncio.run(coroutine)


def make_agent(cls: type, seed: int = 0, **params):
    if cls.needs_outcome:
        params.setdefault("outcome", 1)
    return cls(f"{cls.kind}-1", np.random.default_rng(seed), **params)


def make_observation(*, bids=(), asks=(), cash=100_000, position=0, open_orders=(),
                     trades=(), last_price=None, community_probability=0.6,
                     agent_id="agent") -> Observation:
    """Build an observation; bids and asks are (price, quantity) pairs, best first."""
    book = L2Snapshot(bids=tuple(BookLevel(p, q, 1) for p, q in bids),
                      asks=tuple(BookLevel(p, q, 1) for p, q in asks))
    resting = [(o.side, o.price, o.quantity) for o in open_orders]
    question = Question(id="q1", question="Will it rain in Paris tomorrow?",
                        community_probability=community_probability)
    return Observation(
        agent_id=agent_id, time=0.0, horizon=1000.0, question=question, news=(), book=book,
        recent_trades=tuple(trades), last_price=last_price, cash=cash,
        free_cash=cash - collateral_required(position, resting), position=position,
        open_orders=tuple(open_orders),
    )


def trades_at(*prices: int) -> tuple[TradePrint, ...]:
    return tuple(TradePrint(float(i), price, 1, Side.BUY) for i, price in enumerate(prices))


def observe(exchange: Exchange, agent_id: str, question: Question, tape: list[TradePrint],
            time: float) -> Observation:
    """Build the observation the session kernel would give `agent_id`."""
    account = exchange.account(agent_id)
    return Observation(
        agent_id=agent_id, time=time, horizon=1000.0, question=question.public(), news=(),
        book=exchange.snapshot(5), recent_trades=tuple(tape[-10:]),
        last_price=exchange.last_trade_price, cash=account.cash, free_cash=account.free_cash,
        position=account.position, open_orders=tuple(account.open_orders()),
    )


def apply_decision(exchange: Exchange, agent_id: str, decision: Decision) -> list:
    """Apply a decision the way the session kernel does: cancels first, then orders."""
    events = []
    account = exchange.account(agent_id)
    cancels = sorted(account.orders) if decision.cancel_all else list(decision.cancels)
    for order_id in cancels:
        events.extend(exchange.cancel(agent_id, order_id))
    for order in decision.orders:
        events.extend(exchange.submit_contract(agent_id, order.contract, order.side,
                                               order.price, order.quantity, order.kind))
    return events


def assert_fits_collateral(observation: Observation, decision: Decision) -> None:
    """Assert that each order, in sequence, passes the exchange's collateral check."""
    resting = [] if decision.cancel_all else [(o.side, o.price, o.quantity)
                                              for o in observation.open_orders]
    for order in decision.orders:
        incoming = (order.side, order.price, order.quantity)
        needed = collateral_required(observation.position, resting, incoming)
        assert needed <= observation.cash, f"{order} needs {needed} of {observation.cash}"
        resting.append(incoming)


# Random observations


@st.composite
def observations(draw, open_orders: bool = True) -> Observation:
    best_bid = draw(st.integers(1, 98))
    best_ask = draw(st.integers(best_bid + 1, 99))
    bid_prices = sorted(draw(st.sets(st.integers(1, best_bid), max_size=4)) | {best_bid},
                        reverse=True)
    ask_prices = sorted(draw(st.sets(st.integers(best_ask, 99), max_size=4)) | {best_ask})
    quantity = st.integers(1, 300)
    bids = [(p, draw(quantity)) for p in bid_prices] if draw(st.booleans()) else []
    asks = [(p, draw(quantity)) for p in ask_prices] if draw(st.booleans()) else []
    position = draw(st.integers(-400, 400))
    cash = draw(st.integers(0, 200_000))
    orders: list[OpenOrder] = []
    if open_orders:
        for order_id in range(draw(st.integers(0, 3))):
            side = draw(st.sampled_from([Side.BUY, Side.SELL]))
            price = draw(st.integers(1, 99))
            size = draw(st.integers(1, 50))
            orders.append(OpenOrder(order_id + 1, side, price, size, size))
        resting = [(o.side, o.price, o.quantity) for o in orders]
        cash = max(cash, collateral_required(position, resting))
    prices = draw(st.lists(st.integers(1, 99), max_size=12))
    return make_observation(
        bids=bids, asks=asks, cash=cash, position=position, open_orders=orders,
        trades=trades_at(*prices), last_price=prices[-1] if prices else None,
        community_probability=draw(st.none() | st.floats(0.0, 1.0)),
    )


# Pricing and sizing functions


def test_expected_value_buy_and_sell():
    assert expected_value(Side.BUY, 60, 0.7) == pytest.approx(10.0)
    assert expected_value(Side.SELL, 60, 0.7) == pytest.approx(-10.0)


def test_is_contradictory_threshold():
    assert is_contradictory(Side.SELL, 50, 0.80)
    assert not is_contradictory(Side.SELL, 78, 0.80)
    assert is_contradictory(Side.BUY, 73, 0.70)
    assert not is_contradictory(Side.BUY, 71, 0.70)


def test_kelly_fraction_hand_checked():
    # YES at 0.6 with belief 0.9: (0.9 - 0.6) / (1 - 0.6) = 0.75.
    assert kelly_fraction(0.9, 60) == pytest.approx(0.75)
    # NO at 0.4 (YES 0.6) with belief 0.2: (0.6 - 0.2) / 0.6 = 2/3, returned negative.
    assert kelly_fraction(0.2, 60) == pytest.approx(-2 / 3)
    assert kelly_fraction(0.5, 50) == 0.0


def test_kelly_target_position_hand_checked():
    # f = (0.7 - 0.5) / 0.5 = 0.4 of 10000 cents is 4000 cents, 80 YES shares at 50.
    assert kelly_target_position(0.7, 50, 10_000, 1.0) == 80
    assert kelly_target_position(0.7, 50, 10_000, 0.5) == 40
    # f = 2/3 of 10000 cents on NO at 40 cents: 166.67 NO shares, truncated to 166.
    assert kelly_target_position(0.2, 60, 10_000, 1.0) == -166
    assert kelly_target_position(0.5, 50, 10_000, 1.0) == 0
    assert kelly_target_position(0.9, 50, 0, 1.0) == 0


@pytest.mark.parametrize("arguments, message", [
    ((1.5, 50), "probability 1.5 is invalid"),
    ((0.5, 0), "price 0 is invalid"),
    ((0.5, 100), "price 100 is invalid"),
    ((0.5, 50.0), "price 50.0 is invalid"),
])
def test_kelly_fraction_rejects_invalid_input(arguments, message):
    with pytest.raises(ValueError, match=message):
        kelly_fraction(*arguments)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(-30, 30),
       orders=st.lists(st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 49),
                                 st.integers(1, 40)), max_size=6),
       incoming=st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 99),
                          st.integers(1, 60)))
def test_collateral_required_matches_ledger(position, orders, incoming):
    exchange = Exchange()
    exchange.open_account("a", 1_000_000)
    exchange.open_account("b", 1_000_000)
    if position:
        side = Side.SELL if position > 0 else Side.BUY
        exchange.submit("b", side, 50, abs(position))
        exchange.submit("a", side.opposite, 50, abs(position), OrderKind.IOC)
    for side, offset, quantity in orders:
        # Buys rest at 1..49 and sells at 51..99, so the agent's orders never cross.
        price = offset if side is Side.BUY else 50 + offset
        exchange.submit("a", side, price, quantity)
    account = exchange.account("a")
    assert account.position == position
    resting = [(o.side, o.price, o.quantity) for o in account.open_orders()]

    assert collateral_required(position, resting) == account.required_lock()
    assert collateral_required(position, resting, incoming) == account.required_lock(
        incoming=incoming)


def test_reference_price_order():
    assert reference_price(make_observation(bids=[(40, 1)], asks=[(44, 1)],
                                            last_price=70)) == 42.0
    assert reference_price(make_observation(bids=[(40, 1)], last_price=70)) == 70.0
    assert reference_price(make_observation(asks=[(44, 1)])) == 50.0


# Construction and the kernel contract


@pytest.mark.parametrize("cls", list(BASELINES.values()), ids=list(BASELINES))
def test_constructor_takes_simple_keywords(cls):
    parameters = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in parameters[:2]] == ["agent_id", "rng"]
    for parameter in parameters[2:]:
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, parameter.name
        assert parameter.annotation in SIMPLE_TYPES, parameter.name
        assert parameter.name in (cls.__doc__ or ""), f"{parameter.name} is undocumented"
        if parameter.name == "outcome":
            assert cls.needs_outcome
            continue
        assert parameter.default is not inspect.Parameter.empty, parameter.name
        assert isinstance(parameter.default, parameter.annotation), parameter.name


def test_kinds_are_the_spec_names():
    assert sorted(BASELINES) == ["contrarian", "informed", "kelly", "lmsr", "momentum",
                                 "noise"]
    assert [cls.kind for cls in BASELINES.values() if cls.needs_outcome] == ["informed"]


def test_registry_builds_from_spec_values():
    # A spec value such as fraction=1 or liquidity=20000 is parsed as an int.
    kelly = build_agent("kelly", "k", np.random.default_rng(0), {"fraction": 1}, None)
    maker = build_agent("lmsr", "m", np.random.default_rng(0), {"liquidity": 20000}, None)
    informed = build_agent("informed", "i", np.random.default_rng(0), {}, 0)
    assert isinstance(kelly, KellyTrader)
    assert isinstance(maker, MarketMaker)
    assert isinstance(informed, InformedTrader)
    assert informed.outcome == 0


@pytest.mark.parametrize("cls, params, message", [
    (KellyTrader, {"fraction": 0}, "fraction 0 is invalid"),
    (KellyTrader, {"fraction": 1.5}, "fraction 1.5 is invalid"),
    (KellyTrader, {"belief_noise": -0.1}, "belief_noise -0.1 is invalid"),
    (KellyTrader, {"fraction": "half"}, "fraction 'half' is invalid"),
    (InformedTrader, {"outcome": 2}, "outcome 2 is invalid"),
    (InformedTrader, {"outcome": 1, "signal_strength": math.nan}, "signal_strength nan"),
    (NoiseTrader, {"max_quantity": 0}, "max_quantity 0 is invalid"),
    (NoiseTrader, {"cancel_probability": 1.2}, "cancel_probability 1.2 is invalid"),
    (MomentumTrader, {"lookback": 1}, "lookback 1 is invalid"),
    (MomentumTrader, {"quantity": 2.5}, "quantity 2.5 is invalid"),
    (MarketMaker, {"liquidity": 0}, "liquidity 0 is invalid"),
    (MarketMaker, {"levels": 0}, "levels 0 is invalid"),
    (MarketMaker, {"initial_probability": 1.0}, "initial_probability 1.0 is invalid"),
    (ContrarianControl, {"gap": 0.02}, "gap 0.02 is invalid"),
    (ContrarianControl, {"quantity": True}, "quantity True is invalid"),
])
def test_constructor_rejects_invalid_params(cls, params, message):
    with pytest.raises(ValueError, match=message):
        cls("agent", np.random.default_rng(0), **params)


def test_constructor_rejects_unknown_param():
    with pytest.raises(TypeError, match="leverage"):
        KellyTrader("agent", np.random.default_rng(0), leverage=2.0)


def test_constructor_rejects_missing_rng():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        KellyTrader("agent", 42)


@pytest.mark.parametrize("cls", list(BASELINES.values()), ids=list(BASELINES))
def test_elicit_same_belief_every_method(cls):
    agent = make_agent(cls)
    beliefs = [run(agent.elicit(QUESTION, method)) for method in ElicitationMethod]
    for belief, method in zip(beliefs, ElicitationMethod, strict=True):
        assert isinstance(belief, Belief)
        assert belief.method is method
        assert belief.probability == beliefs[0].probability
    assert 0.0 <= beliefs[0].probability <= 1.0


@pytest.mark.parametrize("cls", list(BASELINES.values()), ids=list(BASELINES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(observation=observations(), seed=st.integers(0, 2**32 - 1))
def test_decision_valid_for_every_trader(cls, observation, seed):
    decision = run(make_agent(cls, seed).decide(observation))

    assert isinstance(decision, Decision)
    assert decision.probability is not None
    assert 0.0 <= decision.probability <= 1.0
    assert decision.hold_reason is None
    assert decision.reasoning
    open_ids = {o.order_id for o in observation.open_orders}
    assert set(decision.cancels) <= open_ids
    for order in decision.orders:
        assert type(order.price) is int, order
        assert 1 <= order.price <= 99, order
        assert type(order.quantity) is int, order
        assert order.quantity > 0, order
        assert order.side in (Side.BUY, Side.SELL)
    assert_fits_collateral(observation, decision)


@pytest.mark.parametrize("cls", list(BASELINES.values()), ids=list(BASELINES))
def test_same_seed_same_decisions(cls):
    sequence = [make_observation(bids=[(40 + i % 7, 20)], asks=[(52 + i % 5, 20)],
                                 position=i - 10, trades=trades_at(40, 45 + i % 9, 47),
                                 last_price=47)
                for i in range(20)]
    first, second = make_agent(cls, seed=7), make_agent(cls, seed=7)
    first_decisions = [run(first.decide(o)) for o in sequence]
    second_decisions = [run(second.decide(o)) for o in sequence]
    assert first_decisions == second_decisions


@pytest.mark.parametrize("cls", [KellyTrader, NoiseTrader, ContrarianControl])
def test_different_seed_different_beliefs(cls):
    observation = make_observation(bids=[(45, 20)], asks=[(55, 20)])
    probabilities = {run(make_agent(cls, seed).decide(observation)).probability
                     for seed in range(10)}
    assert len(probabilities) > 1


# KellyTrader and InformedTrader


def kelly() -> KellyTrader:
    """A full-Kelly trader whose belief is the observation's community probability."""
    return KellyTrader("kelly-1", np.random.default_rng(0), fraction=1.0, belief_noise=0.0)


def test_kelly_buys_to_target_at_ask():
    observation = make_observation(bids=[(45, 500)], asks=[(50, 500)], cash=10_000,
                                   community_probability=0.7)
    decision = run(kelly().decide(observation))
    (order,) = decision.orders
    assert (order.side, order.price, order.quantity) == (Side.BUY, 50, 80)
    assert order.kind is OrderKind.IOC
    assert decision.probability == pytest.approx(0.7)


def test_kelly_counts_position_in_wealth():
    # Wealth 10000 + 30 * 50 = 11500 cents, target 0.4 * 11500 / 50 = 92, so it buys 62.
    observation = make_observation(asks=[(50, 500)], cash=10_000, position=30,
                                   community_probability=0.7)
    (order,) = run(kelly().decide(observation)).orders
    assert order.quantity == 62


def test_kelly_sells_to_target_at_bid():
    observation = make_observation(bids=[(60, 500)], asks=[(65, 500)], cash=10_000,
                                   community_probability=0.2)
    (order,) = run(kelly().decide(observation)).orders
    assert (order.side, order.price, order.quantity) == (Side.SELL, 60, 166)


def test_kelly_capped_by_touch_quantity():
    observation = make_observation(asks=[(50, 10), (51, 500)], cash=10_000,
                                   community_probability=0.7)
    (order,) = run(kelly().decide(observation)).orders
    assert order.quantity == 10


def test_kelly_holds_inside_spread():
    observation = make_observation(bids=[(45, 500)], asks=[(55, 500)],
                                   community_probability=0.5)
    decision = run(kelly().decide(observation))
    assert decision.orders == ()
    assert decision.probability == pytest.approx(0.5)


def test_kelly_holds_when_over_target():
    # Long 500 YES at belief 0.7: the target at 50 is below 500, but selling at the bid of
    # 48 would lose under the belief, so it holds.
    observation = make_observation(bids=[(48, 500)], asks=[(50, 500)], cash=1_000,
                                   position=500, community_probability=0.7)
    assert run(kelly().decide(observation)).orders == ()


def test_kelly_belief_drawn_once():
    agent = make_agent(KellyTrader, seed=3, belief_noise=0.2)
    static = run(agent.elicit(QUESTION, ElicitationMethod.VERBAL)).probability
    observation = make_observation(bids=[(45, 5)], asks=[(55, 5)])
    stated = {run(agent.decide(observation)).probability for _ in range(5)}
    assert stated == {static}


def test_kelly_belief_clipped():
    agent = KellyTrader("k", np.random.default_rng(0), belief_noise=0.0)
    certain = Question(id="q", question="?", community_probability=1.0)
    assert agent.belief(certain) == 0.98


@pytest.mark.parametrize("cls", [KellyTrader, InformedTrader])
@settings(max_examples=300, deadline=None)
@given(observation_list=st.lists(observations(open_orders=False), min_size=1, max_size=5),
       seed=st.integers(0, 2**32 - 1),
       fraction=st.floats(0.01, 1.0))
def test_kelly_never_contradicts(cls, observation_list, seed, fraction):
    agent = make_agent(cls, seed, fraction=fraction)
    for observation in observation_list:
        decision = run(agent.decide(observation))
        for order in decision.orders:
            # An IOC fills at its limit or better, so the limit bounds the fill's value.
            assert order.kind is OrderKind.IOC
            assert expected_value(order.side, order.price, decision.probability) >= 0, order
            touch = observation.book.asks if order.side is Side.BUY else observation.book.bids
            assert order.price == touch[0].price
            assert order.quantity <= touch[0].quantity


def test_informed_belief_moves_toward_outcome():
    question = Question(id="q", question="?", community_probability=0.5)
    means = {}
    for outcome in (0, 1):
        beliefs = [InformedTrader("i", np.random.default_rng(seed), outcome=outcome)
                   .belief(question) for seed in range(400)]
        means[outcome] = float(np.mean(beliefs))
    # sigmoid(1.0) is about 0.73; the noise pulls the mean a little toward 0.5.
    assert means[1] > 0.65
    assert means[0] < 0.35


def test_informed_no_signal_keeps_prior():
    agent = InformedTrader("i", np.random.default_rng(0), outcome=1, signal_strength=0.0,
                           belief_noise=0.0)
    assert agent.belief(QUESTION) == pytest.approx(0.6)


# NoiseTrader


def test_noise_cancels_when_probability_one():
    order = OpenOrder(9, Side.BUY, 40, 5, 5)
    observation = make_observation(bids=[(40, 5)], asks=[(60, 5)], open_orders=[order])
    agent = make_agent(NoiseTrader, cancel_probability=1.0)
    assert run(agent.decide(observation)).cancel_all


def test_noise_never_cancels_when_probability_zero():
    order = OpenOrder(9, Side.BUY, 40, 5, 5)
    observation = make_observation(bids=[(40, 5)], asks=[(60, 5)], open_orders=[order])
    agent = make_agent(NoiseTrader, cancel_probability=0.0)
    decisions = [run(agent.decide(observation)) for _ in range(50)]
    assert not any(d.cancel_all for d in decisions)


@pytest.mark.parametrize("bids, asks, centre", [
    ([(70, 5)], [(74, 5)], 72),
    ([], [], 50),
])
def test_noise_orders_near_reference(bids, asks, centre):
    agent = make_agent(NoiseTrader, price_range=3, belief_noise=0.02)
    observation = make_observation(bids=bids, asks=asks)
    decisions = [run(agent.decide(observation)) for _ in range(100)]
    prices = [order.price for d in decisions for order in d.orders]
    assert prices
    assert all(abs(price - centre) <= 3 for price in prices)
    assert all(order.kind is OrderKind.LIMIT for d in decisions for order in d.orders)
    assert {order.side for d in decisions for order in d.orders} == {Side.BUY, Side.SELL}
    assert abs(np.mean([d.probability for d in decisions]) - centre / 100) < 0.01


def test_noise_holds_without_cash():
    agent = make_agent(NoiseTrader)
    decisions = [run(agent.decide(make_observation(bids=[(40, 5)], asks=[(60, 5)], cash=0)))
                 for _ in range(20)]
    assert all(d.orders == () for d in decisions)


# MomentumTrader


def test_momentum_buys_after_rise():
    observation = make_observation(bids=[(55, 50)], asks=[(57, 3)], trades=trades_at(50, 53, 56))
    decision = run(make_agent(MomentumTrader, quantity=5).decide(observation))
    (order,) = decision.orders
    assert (order.side, order.price, order.quantity) == (Side.BUY, 57, 3)
    assert order.kind is OrderKind.IOC
    # Last 56 plus the window's rise of 6: 0.62.
    assert decision.probability == pytest.approx(0.62)


def test_momentum_sells_after_fall():
    observation = make_observation(bids=[(44, 50)], asks=[(46, 50)], trades=trades_at(50, 45))
    decision = run(make_agent(MomentumTrader, quantity=5).decide(observation))
    (order,) = decision.orders
    assert (order.side, order.price, order.quantity) == (Side.SELL, 44, 5)
    assert decision.probability == pytest.approx(0.40)


def test_momentum_uses_only_lookback_window():
    # Over all trades the price fell, over the last three it rose.
    observation = make_observation(bids=[(40, 50)], asks=[(42, 50)],
                                   trades=trades_at(90, 80, 30, 35, 41))
    (order,) = run(make_agent(MomentumTrader, lookback=3).decide(observation)).orders
    assert order.side is Side.BUY


def test_momentum_probability_clipped():
    observation = make_observation(bids=[(90, 50)], asks=[(95, 50)], trades=trades_at(60, 94))
    assert run(make_agent(MomentumTrader).decide(observation)).probability == 0.99


@pytest.mark.parametrize("prices", [(), (50,), (50, 50)])
def test_momentum_holds_without_trend(prices):
    observation = make_observation(bids=[(48, 5)], asks=[(52, 5)], trades=trades_at(*prices))
    decision = run(make_agent(MomentumTrader).decide(observation))
    assert decision.orders == ()
    assert decision.probability is not None


# MarketMaker


@pytest.mark.parametrize("initial_probability", [0.5, 0.3, 0.7, 0.05])
def test_maker_opens_at_initial_probability(initial_probability):
    maker = make_agent(MarketMaker, initial_probability=initial_probability)
    decision = run(maker.decide(make_observation()))
    assert decision.probability == pytest.approx(initial_probability, abs=0.002)
    assert {order.side for order in decision.orders} == {Side.BUY, Side.SELL}
    static = run(maker.elicit(QUESTION, ElicitationMethod.VERBAL)).probability
    assert static == decision.probability


@pytest.mark.parametrize("initial_probability", [0.5, 0.2, 0.85])
@pytest.mark.parametrize("position", [-400, -60, 0, 35, 300])
@pytest.mark.parametrize("liquidity", [2_000, 20_000])
def test_maker_quotes_ev_consistent(initial_probability, position, liquidity):
    maker = make_agent(MarketMaker, initial_probability=initial_probability,
                       liquidity=liquidity)
    decision = run(maker.decide(make_observation(position=position, cash=10**9)))
    assert decision.cancel_all
    assert decision.orders
    for order in decision.orders:
        assert order.kind is OrderKind.LIMIT
        assert expected_value(order.side, order.price, decision.probability) > 0, order


def test_maker_price_falls_as_it_buys():
    maker = make_agent(MarketMaker)
    flat = run(maker.decide(make_observation(position=0))).probability
    long = run(maker.decide(make_observation(position=100))).probability
    assert long < flat


def exchange_with_position(agent_id: str, position: int, cash: int) -> Exchange:
    """Return an exchange where `agent_id` has `position` YES shares and `cash` cents."""
    exchange = Exchange()
    # Opening a position at 50 costs 50 cents a share on either side.
    exchange.open_account(agent_id, cash + 50 * abs(position))
    exchange.open_account("other", 10**7)
    if position:
        side = Side.BUY if position > 0 else Side.SELL
        exchange.submit("other", side.opposite, 50, abs(position))
        exchange.submit(agent_id, side, 50, abs(position), OrderKind.IOC)
    return exchange


@pytest.mark.parametrize("cash", [0, 50, 400, 2_000, 20_000])
def test_maker_ladder_affordable_on_exchange(cash):
    exchange = exchange_with_position("maker", -30, cash)
    account = exchange.account("maker")
    maker = make_agent(MarketMaker)

    decision = run(maker.decide(observe(exchange, "maker", QUESTION, [], 0.0)))
    events = apply_decision(exchange, "maker", decision)
    assert [e for e in events if isinstance(e, Rejected)] == []
    exchange.check_invariants()
    assert account.locked <= account.cash
    if cash >= 20_000:
        assert len(decision.orders) == 10


@settings(max_examples=200, deadline=None)
@given(position=st.integers(-300, 300), cash=st.integers(0, 6_000),
       initial_probability=st.floats(0.05, 0.95), liquidity=st.sampled_from([3_000, 20_000]))
def test_maker_never_rejected(position, cash, initial_probability, liquidity):
    exchange = exchange_with_position("maker", position, cash)
    account = exchange.account("maker")
    assert (account.position, account.cash) == (position, cash)
    maker = make_agent(MarketMaker, initial_probability=initial_probability,
                       liquidity=liquidity)

    decision = run(maker.decide(observe(exchange, "maker", QUESTION, [], 0.0)))
    events = apply_decision(exchange, "maker", decision)
    assert [e for e in events if isinstance(e, Rejected)] == []
    exchange.check_invariants()


# ContrarianControl


def contrarian(prior: float, **params) -> ContrarianControl:
    agent = ContrarianControl("c", np.random.default_rng(0), belief_noise=0.0, **params)
    agent.prior(Question(id="q", question="?", community_probability=prior))
    return agent


def test_contrarian_states_high_and_sells():
    observation = make_observation(bids=[(50, 20)], asks=[(52, 20)])
    decision = run(contrarian(0.8).decide(observation))
    (order,) = decision.orders
    assert decision.probability == pytest.approx(0.8)
    assert (order.side, order.price, order.quantity) == (Side.SELL, 50, 5)
    assert order.kind is OrderKind.IOC
    assert is_contradictory(order.side, order.price, decision.probability)


def test_contrarian_keeps_gap_from_mid():
    observation = make_observation(bids=[(50, 20)], asks=[(52, 20)])
    decision = run(contrarian(0.55).decide(observation))
    assert decision.probability == pytest.approx(0.66)
    assert decision.orders[0].side is Side.SELL


def test_contrarian_states_low_and_buys():
    observation = make_observation(bids=[(50, 20)], asks=[(52, 20)])
    decision = run(contrarian(0.3).decide(observation))
    (order,) = decision.orders
    assert decision.probability == pytest.approx(0.3)
    assert (order.side, order.price) == (Side.BUY, 52)


def test_contrarian_switches_side_near_bound():
    # The mid is 94, so 0.94 + 0.15 is above 0.99: it states 0.79 and buys at 95.
    observation = make_observation(bids=[(93, 20)], asks=[(95, 20)])
    decision = run(contrarian(0.97).decide(observation))
    assert decision.probability == pytest.approx(0.79)
    assert decision.orders[0].side is Side.BUY


def test_contrarian_holds_on_empty_book():
    decision = run(contrarian(0.7).decide(make_observation()))
    assert decision.orders == ()
    assert decision.probability == pytest.approx(0.7)


def test_contrarian_holds_when_bid_not_low_enough():
    # Only a bid of 70 with the last trade at 70: it states 0.85, and selling at 70 has an
    # expected value of -15, so it sells. A bid of 84 is worth only -1: it holds.
    sells = run(contrarian(0.8).decide(make_observation(bids=[(70, 5)], last_price=70)))
    assert sells.orders
    holds = run(contrarian(0.8).decide(make_observation(bids=[(84, 5)], last_price=70)))
    assert holds.orders == ()
    assert holds.probability == pytest.approx(0.85)


@settings(max_examples=300, deadline=None)
@given(observation=observations(), seed=st.integers(0, 2**32 - 1),
       gap=st.floats(0.03, 0.49))
def test_contrarian_always_contradicts(observation, seed, gap):
    agent = make_agent(ContrarianControl, seed, gap=gap)
    decision = run(agent.decide(observation))
    reference = reference_price(observation) / 100
    assert abs(decision.probability - reference) >= gap - 1e-9
    for order in decision.orders:
        assert order.kind is OrderKind.IOC
        value = expected_value(order.side, order.price, decision.probability)
        assert value <= CONTRARIAN_MAX_EXPECTED_VALUE
        assert is_contradictory(order.side, order.price, decision.probability)


# Integration: several baselines on one exchange


def test_baselines_trade_on_exchange():
    question = Question(id="q1", question="Will it rain in Paris tomorrow?", outcome=1,
                        community_probability=0.6)
    agents = [
        MarketMaker("maker", np.random.default_rng(1), liquidity=5_000),
        KellyTrader("kelly-1", np.random.default_rng(2)),
        KellyTrader("kelly-2", np.random.default_rng(3), fraction=1.0, belief_noise=0.15),
        InformedTrader("informed", np.random.default_rng(4), outcome=1),
        NoiseTrader("noise-1", np.random.default_rng(5)),
        NoiseTrader("noise-2", np.random.default_rng(6), max_quantity=30, price_range=10),
        MomentumTrader("momentum", np.random.default_rng(7), lookback=4),
        ContrarianControl("contrarian", np.random.default_rng(8)),
    ]
    exchange = Exchange()
    for agent in agents:
        exchange.open_account(agent.agent_id, 200_000)
    kinds = {agent.agent_id: agent.kind for agent in agents}
    stated: dict[str, float] = {}
    tape: list[TradePrint] = []
    fills: list[tuple[str, Side, int, int]] = []
    contradictory: list[tuple[str, Side, int, int, float]] = []
    rejected: list[Rejected] = []
    order_rng = np.random.default_rng(0)

    async def session() -> None:
        for step in range(300):
            for index in order_rng.permutation(len(agents)):
                agent = agents[index]
                observation = observe(exchange, agent.agent_id, question, tape, float(step))
                decision = await agent.decide(observation)
                stated[agent.agent_id] = decision.probability
                for event in apply_decision(exchange, agent.agent_id, decision):
                    if isinstance(event, Rejected):
                        rejected.append(event)
                    if not isinstance(event, Trade):
                        continue
                    tape.append(TradePrint(float(step), event.price, event.quantity,
                                           event.taker_side))
                    for agent_id, side in ((event.taker_id, event.taker_side),
                                           (event.maker_id, event.taker_side.opposite)):
                        fills.append((agent_id, side, event.price, event.quantity))
                        if is_contradictory(side, event.price, stated[agent_id]):
                            contradictory.append((agent_id, side, event.price,
                                                  event.quantity, stated[agent_id]))
            exchange.check_invariants()

    run(session())
    exchange.settle(Outcome.YES)
    exchange.check_invariants()

    assert rejected == []
    fill_counts = {agent_id: sum(1 for f in fills if f[0] == agent_id) for agent_id in kinds}
    for agent_id in ("maker", "kelly-1", "kelly-2", "informed", "contrarian"):
        assert fill_counts[agent_id] > 0, f"{agent_id} never traded: {fill_counts}"
    for agent_id in ("maker", "kelly-1", "kelly-2", "informed"):
        assert [c for c in contradictory if c[0] == agent_id] == []
    contrarian_contradictory = [c for c in contradictory if c[0] == "contrarian"]
    assert len(contrarian_contradictory) == fill_counts["contrarian"]
