"""Baseline traders: rule-based agents whose behaviour is known, to populate and check markets.

Every baseline states a probability p of YES with each decision, so the belief oracle
can score its fills against it. Under p, a fill at q cents has expected value 100p - q
cents per share for a buy of YES and q - 100p for a sell. The oracle calls a fill
contradictory when that value is below -2 cents. KellyTrader and InformedTrader trade
only at a positive expected value, so they score no contradictions. ContrarianControl
trades only at -3 cents or less, so every fill it makes is contradictory unless the
book moves far between its observation and the order's arrival (see its NOTE).
NoiseTrader, MomentumTrader and the LMSR MarketMaker make up the rest of the market.

The session kernel builds a baseline as `Cls(agent_id, rng, **params)` from a spec such
as `kelly:fraction=0.5`. `kind` is the name in the spec, and every parameter is a
keyword of a simple type (float, int) with a default. Only InformedTrader takes the
question's `outcome`, which the kernel passes because it sets `needs_outcome`. All
randomness comes from `rng`, so decisions depend only on the generator's state and the
observations.

Units: prices are integer cents (1..99) of the YES share, cash is integer cents,
positions are signed YES shares (negative means NO shares), probabilities are floats in
[0, 1]. Every order names the YES contract, because selling YES at q is the same trade
as buying NO at 100 - q. The baselines do not read news text: their prior is the
question's community probability, or 0.5 when it has none.
"""

# No `from __future__ import annotations` here: the kernel reads the constructors'
# annotations with `inspect.signature`, so they must stay real types, not strings.

import logging
import math
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from agents.protocol import (
    Belief,
    Decision,
    ElicitationMethod,
    Observation,
    OrderRequest,
    Question,
)
from market.ledger import OrderSpec, collateral_required
from market.lmsr import Quote, lmsr_ladder, lmsr_price, net_sold_at
from market.types import MAX_PRICE, MIN_PRICE, PAYOUT, OrderKind, Side

logger = logging.getLogger(__name__)

CONTRADICTION_THRESHOLD = 2.0
"""Cents per share: a fill whose expected value under the stated belief is below minus
this is contradictory (the belief oracle's default epsilon of 0.02)."""

CONTRARIAN_MAX_EXPECTED_VALUE = -(CONTRADICTION_THRESHOLD + 1.0)
"""Cents per share: the contrarian trades only at or below this expected value. The
extra cent keeps its fills contradictory even if the oracle rounds p - q/100 in floats."""

BELIEF_BOUNDS = (0.02, 0.98)
"""Range a Kelly-sized belief is clipped to, so the Kelly stake never reaches all wealth."""

STATED_BOUNDS = (0.01, 0.99)
"""Range the noise, momentum and contrarian traders clip their stated probability to."""

DEFAULT_REFERENCE_PRICE = 50.0
"""Cents a baseline centres on when the book has no mid and nothing has traded yet."""


# Pricing and sizing


def expected_value(side: Side, price: int, probability: float) -> float:
    """Return the expected value in cents per share of trading YES at `price` under `probability`.

    Buying YES at q cents has expected value 100p - q, and selling YES has q - 100p.
    """
    if side is Side.BUY:
        return PAYOUT * probability - price
    return price - PAYOUT * probability


def is_contradictory(side: Side, price: int, probability: float) -> bool:
    """Return True when the trade's expected value under `probability` is below -2 cents."""
    return expected_value(side, price, probability) < -CONTRADICTION_THRESHOLD


def kelly_fraction(probability: float, price: int) -> float:
    """Return the Kelly stake on a binary contract as a signed fraction of wealth.

    With belief p and YES price q = price / 100, a YES share bought at q pays net odds
    b = (1 - q) / q, and the Kelly criterion f* = p - (1 - p) / b becomes:

        p > q:  buy YES and stake f = (p - q) / (1 - q)   (returned positive)
        p < q:  buy NO at 1 - q and stake f = (q - p) / q  (returned negative)
        p = q:  0
    """
    _check_probability("probability", probability)
    _check_price(price)
    q = price / PAYOUT
    if probability > q:
        return (probability - q) / (1.0 - q)
    if probability < q:
        return -(q - probability) / q
    return 0.0


def kelly_target_position(probability: float, price: int, wealth: float,
                          fraction: float = 1.0) -> int:
    """Return the signed YES position in shares that stakes `fraction` of the Kelly stake.

    The stake in cents is s = fraction * |f| * wealth with f = kelly_fraction(p, price).
    A YES share costs `price` cents and a NO share 100 - price, so the target is
    s / price YES shares when f > 0 and -s / (100 - price) (that many NO shares) when
    f < 0, truncated toward zero. `wealth` is in cents; zero or less gives 0.
    """
    _check_number("fraction", fraction, 0.0, 1.0, "in [0, 1]")
    stake_fraction = kelly_fraction(probability, price)
    if wealth <= 0 or stake_fraction == 0.0:
        return 0
    stake = fraction * abs(stake_fraction) * wealth

    # The tolerance keeps float error from dropping a whole share: 0.7 - 0.5 is
    # 0.19999999999999996 in binary floating point, so 80 shares would come out as 79.
    if stake_fraction > 0:
        return int(stake / price + 1e-9)
    return -int(stake / (PAYOUT - price) + 1e-9)


def marked_wealth(cash: int, position: int, price: int) -> int:
    """Return cash plus the position valued at YES price `price`, in cents.

    x YES shares are worth x * price and x NO shares x * (100 - price).
    """
    if position >= 0:
        return cash + position * price
    return cash - position * (PAYOUT - price)


def largest_fitting_quantity(quantity: int, fits: Callable[[int], bool]) -> int:
    """Return the largest k in 0..quantity with fits(k), for a `fits` true up to some k."""
    if quantity > 0 and fits(quantity):
        return quantity  # the common case, one call instead of a binary search
    low, high = 0, max(quantity - 1, 0)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def affordable_quantity(observation: Observation, side: Side, price: int, quantity: int,
                        keeps_open_orders: bool = True) -> int:
    """Return the largest part of an order of `quantity` shares the exchange would accept.

    `observation.free_cash` is the cash minus the lock of the current open orders. The
    lock changes when the decision cancels orders or the new order uses the position's
    cover, so this recomputes the whole lock from `observation.cash`. Set
    `keeps_open_orders` to False when the decision cancels every open order first.
    """
    resting = [(order.side, order.price, order.quantity) for order in observation.open_orders
               if keeps_open_orders]

    def fits(size: int) -> bool:
        needed = collateral_required(observation.position, resting, (side, price, size))
        return needed <= observation.cash

    return largest_fitting_quantity(quantity, fits)


def reference_price(observation: Observation) -> float:
    """Return the cents a baseline centres on: the mid, else the last trade, else 50."""
    if observation.mid is not None:
        return observation.mid
    if observation.last_price is not None:
        return float(observation.last_price)
    return DEFAULT_REFERENCE_PRICE


def public_prior(question: Question) -> float:
    """Return the question's community probability, or 0.5 when it has none."""
    if question.community_probability is None:
        return 0.5
    return float(question.community_probability)


def logit(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


def sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exponential = math.exp(value)
    return exponential / (1.0 + exponential)


def _clip(value: float, bounds: tuple[float, float]) -> float:
    return float(min(max(value, bounds[0]), bounds[1]))


def _round_price(price: float) -> int:
    """Round half up to whole cents and clip to the valid ticks 1..99."""
    return int(min(max(math.floor(price + 0.5), MIN_PRICE), MAX_PRICE))


# Parameter checks


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_number(name: str, value: object, low: float, high: float, interval: str,
                  low_open: bool = False) -> None:
    if (not _is_number(value) or value > high or value < low
            or (low_open and value == low)):
        raise ValueError(f"{name} {value!r} is invalid: use a number {interval}")


def _check_integer(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} {value!r} is invalid: use a whole number >= {low}")


def _check_probability(name: str, value: object) -> None:
    _check_number(name, value, 0.0, 1.0, "in [0, 1]")


def _check_price(price: object) -> None:
    if isinstance(price, bool) or not isinstance(price, int) or not MIN_PRICE <= price <= MAX_PRICE:
        raise ValueError(f"price {price!r} is invalid: use a whole number of cents from "
                         f"{MIN_PRICE} to {MAX_PRICE}")


# Traders


class BaselineTrader:
    """Construction and elicitation shared by the baselines.

    A subclass sets the class attribute `kind` and implements `decide`. `elicit` returns
    `static_belief(question)` for every method and records the method it was given.
    """

    kind: ClassVar[str]
    needs_outcome: ClassVar[bool] = False
    synchronous_decide: ClassVar[bool] = True
    """`decide` never awaits, so the kernel may run it to the end without an asyncio task.
    A subclass whose `decide` awaits must set this to False."""

    def __init__(self, agent_id: str, rng: np.random.Generator) -> None:
        if not isinstance(agent_id, str) or not agent_id:
            raise ValueError(f"agent_id {agent_id!r} is invalid: use a non-empty string")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng {rng!r} is invalid: use a numpy.random.Generator, e.g. "
                            "numpy.random.default_rng(seed)")
        self.agent_id = agent_id
        self.rng = rng

    def static_belief(self, question: Question) -> float:
        """Return the probability of YES before any trading: the public prior by default."""
        return public_prior(question)

    async def elicit(self, question: Question, method: ElicitationMethod) -> Belief:
        """Return `static_belief(question)` whatever the method; the Belief records the method."""
        return Belief(self.static_belief(question), ElicitationMethod(method),
                      details={"kind": self.kind})

    async def decide(self, observation: Observation) -> Decision:
        raise NotImplementedError


class _KellySizedTrader(BaselineTrader):
    """A trader with one private belief that trades toward its Kelly position.

    The belief is drawn once, at the first `elicit` or `decide`, by `draw_belief`.
    """

    def __init__(self, agent_id: str, rng: np.random.Generator, fraction: float) -> None:
        super().__init__(agent_id, rng)
        _check_number("fraction", fraction, 0.0, 1.0, "in (0, 1]", low_open=True)
        self.fraction = float(fraction)
        self._belief: float | None = None

    def draw_belief(self, question: Question) -> float:
        raise NotImplementedError

    def belief(self, question: Question) -> float:
        """Return the private belief, drawing it on the first call."""
        if self._belief is None:
            self._belief = self.draw_belief(question)
        return self._belief

    def static_belief(self, question: Question) -> float:
        return self.belief(question)

    async def decide(self, observation: Observation) -> Decision:
        return kelly_decision(self.belief(observation.question), observation, self.fraction)


def kelly_decision(probability: float, observation: Observation, fraction: float) -> Decision:
    """Return an IOC order toward the Kelly position at the best ask or bid, or a hold.

    It buys YES only at an ask below 100p and sells YES only at a bid above 100p, so
    every fill has a positive expected value under p. The limit is the observed touch,
    so a fill can only be at that price or better. The size is the gap to the target
    at that price (from `kelly_target_position`, with wealth marked at the same price),
    capped by the quantity shown at the touch and by the cash.
    """
    book = observation.book
    position = observation.position

    ask = book.best_ask
    if ask is not None and ask < PAYOUT * probability:
        wealth = marked_wealth(observation.cash, position, ask)
        target = kelly_target_position(probability, ask, wealth, fraction)
        desired = min(target - position, book.asks[0].quantity)
        quantity = affordable_quantity(observation, Side.BUY, ask, desired)
        if quantity > 0:
            return Decision(
                orders=(OrderRequest(Side.BUY, ask, quantity, kind=OrderKind.IOC),),
                probability=probability,
                reasoning=(f"belief {probability:.3f} is above the ask {ask}: Kelly target "
                           f"{target} YES shares at wealth {wealth} cents, buying {quantity}"),
                details={"belief": probability, "target_position": target},
            )

    bid = book.best_bid
    if bid is not None and bid > PAYOUT * probability:
        wealth = marked_wealth(observation.cash, position, bid)
        target = kelly_target_position(probability, bid, wealth, fraction)
        desired = min(position - target, book.bids[0].quantity)
        quantity = affordable_quantity(observation, Side.SELL, bid, desired)
        if quantity > 0:
            return Decision(
                orders=(OrderRequest(Side.SELL, bid, quantity, kind=OrderKind.IOC),),
                probability=probability,
                reasoning=(f"belief {probability:.3f} is below the bid {bid}: Kelly target "
                           f"{target} YES shares at wealth {wealth} cents, selling {quantity}"),
                details={"belief": probability, "target_position": target},
            )

    return Decision(probability=probability,
                    reasoning=(f"belief {probability:.3f}: no trade at the touch moves toward "
                               "the Kelly position at a positive expected value"),
                    details={"belief": probability})


class KellyTrader(_KellySizedTrader):
    """Trades toward the fractional-Kelly position for a noisy copy of the public prior.

    Belief: the community probability (0.5 if none) plus Normal(0, belief_noise), clipped
    to [0.02, 0.98] and drawn once. Sizing is in `kelly_decision`. It never buys above
    or sells below its belief, so the oracle should find no contradictory fill.

    Parameters:
        fraction: share of the full Kelly stake to hold, in (0, 1]. 0.5 is half Kelly.
        belief_noise: standard deviation of the noise on the prior, in probability units.
    """

    kind: ClassVar[str] = "kelly"

    def __init__(self, agent_id: str, rng: np.random.Generator, *, fraction: float = 0.5,
                 belief_noise: float = 0.05) -> None:
        super().__init__(agent_id, rng, fraction)
        _check_number("belief_noise", belief_noise, 0.0, 1.0, "in [0, 1]")
        self.belief_noise = float(belief_noise)

    def draw_belief(self, question: Question) -> float:
        noise = float(self.rng.normal(0.0, self.belief_noise))
        return _clip(public_prior(question) + noise, BELIEF_BOUNDS)


class InformedTrader(_KellySizedTrader):
    """Trades like KellyTrader on a private belief that leans toward the true outcome.

    Belief, drawn once: sigmoid(logit(prior) + signal_strength * (2 * outcome - 1) +
    Normal(0, belief_noise)), where the prior is the community probability (0.5 if none)
    clipped to [0.01, 0.99], and the result is clipped to [0.02, 0.98].

    Parameters:
        outcome: the question's resolution, 1 for YES and 0 for NO. The kernel passes it
            because the class sets `needs_outcome`.
        signal_strength: shift of the private signal toward the outcome, in log-odds.
        belief_noise: standard deviation of the noise on the signal, in log-odds.
        fraction: share of the full Kelly stake to hold, in (0, 1].
    """

    kind: ClassVar[str] = "informed"
    needs_outcome: ClassVar[bool] = True

    def __init__(self, agent_id: str, rng: np.random.Generator, *, outcome: int,
                 signal_strength: float = 1.0, belief_noise: float = 0.5,
                 fraction: float = 0.5) -> None:
        super().__init__(agent_id, rng, fraction)
        if isinstance(outcome, bool) or outcome not in (0, 1):
            raise ValueError(f"outcome {outcome!r} is invalid: use 1 for YES or 0 for NO")
        _check_number("signal_strength", signal_strength, 0.0, math.inf, ">= 0")
        _check_number("belief_noise", belief_noise, 0.0, math.inf, ">= 0")
        self.outcome = int(outcome)
        self.signal_strength = float(signal_strength)
        self.belief_noise = float(belief_noise)

    def draw_belief(self, question: Question) -> float:
        prior = _clip(public_prior(question), STATED_BOUNDS)
        signal = self.signal_strength * (2 * self.outcome - 1)
        noise = float(self.rng.normal(0.0, self.belief_noise))
        return _clip(sigmoid(logit(prior) + signal + noise), BELIEF_BOUNDS)


class NoiseTrader(BaselineTrader):
    """Places random limit orders near the market and states a random probability near it.

    Each decision draws, in this order: whether to cancel its open orders (with
    `cancel_probability`), buy or sell (even odds), a size in 1..max_quantity, an
    offset in -price_range..price_range cents from the reference price, and the stated
    probability. The stated probability is reference / 100 + Normal(0, belief_noise),
    clipped to [0.01, 0.99]. The reference is the mid, else the last trade, else 50. The order is a
    good-till-cancel limit order that may rest, cut to the size the cash covers. The
    trader has no information, so some of its fills are contradictory.

    Parameters:
        max_quantity: largest order size, in shares (at least 1).
        price_range: largest distance of the limit price from the reference, in cents.
        cancel_probability: chance per decision of cancelling all open orders first.
        belief_noise: standard deviation of the stated probability around the
            reference, in probability units.
    """

    kind: ClassVar[str] = "noise"

    def __init__(self, agent_id: str, rng: np.random.Generator, *, max_quantity: int = 10,
                 price_range: int = 5, cancel_probability: float = 0.2,
                 belief_noise: float = 0.05) -> None:
        super().__init__(agent_id, rng)
        _check_integer("max_quantity", max_quantity, 1)
        _check_integer("price_range", price_range, 0)
        _check_probability("cancel_probability", cancel_probability)
        _check_number("belief_noise", belief_noise, 0.0, 1.0, "in [0, 1]")
        self.max_quantity = max_quantity
        self.price_range = price_range
        self.cancel_probability = float(cancel_probability)
        self.belief_noise = float(belief_noise)

    async def decide(self, observation: Observation) -> Decision:
        rng = self.rng
        cancel = bool(rng.random() < self.cancel_probability) and bool(observation.open_orders)
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        size = int(rng.integers(1, self.max_quantity + 1))
        offset = int(rng.integers(-self.price_range, self.price_range + 1))
        reference = reference_price(observation)
        probability = _clip(reference / PAYOUT + float(rng.normal(0.0, self.belief_noise)),
                            STATED_BOUNDS)

        price = _round_price(reference + offset)
        quantity = affordable_quantity(observation, side, price, size,
                                       keeps_open_orders=not cancel)
        orders = (OrderRequest(side, price, quantity),) if quantity > 0 else ()
        action = f"{side.value} {quantity} at {price}" if orders else "no order (cash)"
        return Decision(orders=orders, cancel_all=cancel, probability=probability,
                        reasoning=f"random: {action} around reference {reference:.1f}"
                                  + (", after cancelling open orders" if cancel else ""))


class MomentumTrader(BaselineTrader):
    """Buys YES after prices rose and sells YES after they fell, over the last trades.

    Over the last `lookback` trades on the tape (oldest first), the trend is the last
    price minus the first. A rise sends an IOC buy at the best ask and a fall an IOC
    sell at the best bid, of `quantity` shares cut to the touch size and the cash. The
    stated probability is the last price extrapolated by the trend,
    (last + extrapolation * trend) / 100, clipped to [0.01, 0.99]. With fewer than two
    trades it holds and states the reference price (mid, else last trade, else 50).
    It ignores its stated belief when trading, so when the touch lies beyond the
    extrapolated price its fills are contradictory.

    Parameters:
        lookback: number of most recent trades compared (at least 2).
        quantity: order size, in shares (at least 1).
        extrapolation: multiple of the window's price change added to the last price.
    """

    kind: ClassVar[str] = "momentum"

    def __init__(self, agent_id: str, rng: np.random.Generator, *, lookback: int = 10,
                 quantity: int = 5, extrapolation: float = 1.0) -> None:
        super().__init__(agent_id, rng)
        _check_integer("lookback", lookback, 2)
        _check_integer("quantity", quantity, 1)
        _check_number("extrapolation", extrapolation, 0.0, math.inf, ">= 0")
        self.lookback = lookback
        self.quantity = quantity
        self.extrapolation = float(extrapolation)

    async def decide(self, observation: Observation) -> Decision:
        trades = observation.recent_trades[-self.lookback:]
        if len(trades) < 2:
            probability = _clip(reference_price(observation) / PAYOUT, STATED_BOUNDS)
            return Decision(probability=probability,
                            reasoning=f"fewer than 2 trades on the tape ({len(trades)}): hold")

        first, last = trades[0].price, trades[-1].price
        trend = last - first
        probability = _clip((last + self.extrapolation * trend) / PAYOUT, STATED_BOUNDS)
        book = observation.book
        if trend > 0 and book.best_ask is not None:
            side, price, touch_quantity = Side.BUY, book.best_ask, book.asks[0].quantity
        elif trend < 0 and book.best_bid is not None:
            side, price, touch_quantity = Side.SELL, book.best_bid, book.bids[0].quantity
        else:
            return Decision(probability=probability,
                            reasoning=f"trend {trend:+d} cents over {len(trades)} trades: "
                                      "flat, or no quote to trade with")

        quantity = affordable_quantity(observation, side, price,
                                       min(self.quantity, touch_quantity))
        if quantity == 0:
            return Decision(probability=probability,
                            reasoning=f"trend {trend:+d} cents but no cash to {side.value}")
        return Decision(orders=(OrderRequest(side, price, quantity, kind=OrderKind.IOC),),
                        probability=probability,
                        reasoning=f"trend {trend:+d} cents over {len(trades)} trades: "
                                  f"{side.value} {quantity} at {price}")


class MarketMaker(BaselineTrader):
    """Quotes an LMSR ladder into the book, re-centred on its position at every decision.

    Each decision cancels all its open orders and posts `lmsr_ladder(effective position,
    liquidity, levels, max_quantity)`. To open at `initial_probability` instead of 0.5,
    the maker acts as if it already held x0 = round(liquidity / 100 * ln((1 - p0) / p0))
    YES shares, the position at which the LMSR price 1 / (1 + exp(100 x / b)) equals p0,
    so its effective position is x0 plus its real position. It states the LMSR price of
    the effective position. Every ask is above and every bid below that price, so each
    quote has a positive expected value under the stated belief.

    Rungs are taken closest to the price first, on both sides by distance, while the
    collateral of the whole ladder fits the cash, and a rung that does not fit whole is
    cut to the size that fits (see `affordable_ladder`). The budget is the total cash,
    not `free_cash`, because cancelling every open order releases its lock. Rungs are
    submitted farthest first, so each order is the first to fill on its side and the
    exchange's check for it equals the lock of the orders so far.

    NOTE: if its old quotes fill between the observation and the new ladder's arrival,
    the cash may have fallen, and the exchange then rejects the rungs that no longer fit.

    Parameters:
        liquidity: LMSR liquidity b, in cents. The worst-case loss is b * ln 2.
        levels: largest number of rungs on each side (at least 1).
        max_quantity: largest size of one rung, in shares (at least 1).
        initial_probability: LMSR price at a flat position, in [0.01, 0.99].
    """

    kind: ClassVar[str] = "lmsr"

    def __init__(self, agent_id: str, rng: np.random.Generator, *, liquidity: float = 20000.0,
                 levels: int = 5, max_quantity: int = 50,
                 initial_probability: float = 0.5) -> None:
        super().__init__(agent_id, rng)
        _check_number("liquidity", liquidity, 0.0, math.inf, "of cents > 0", low_open=True)
        _check_integer("levels", levels, 1)
        _check_integer("max_quantity", max_quantity, 1)
        _check_number("initial_probability", initial_probability, STATED_BOUNDS[0],
                      STATED_BOUNDS[1], f"in [{STATED_BOUNDS[0]}, {STATED_BOUNDS[1]}]")
        self.liquidity = float(liquidity)
        self.levels = levels
        self.max_quantity = max_quantity
        self.initial_probability = float(initial_probability)
        self.position_offset = round(-net_sold_at(self.initial_probability, self.liquidity))

    def static_belief(self, question: Question) -> float:
        return lmsr_price(self.position_offset, self.liquidity)

    async def decide(self, observation: Observation) -> Decision:
        effective = self.position_offset + observation.position
        probability = lmsr_price(effective, self.liquidity)
        ladder = lmsr_ladder(effective, self.liquidity, self.levels, self.max_quantity)
        quotes = affordable_ladder(ladder, probability, observation.position, observation.cash)
        if sum(q.quantity for q in quotes) < sum(q.quantity for q in ladder):
            logger.debug("market maker %s: cash %d cents covers %d of %d rungs",
                         self.agent_id, observation.cash, len(quotes), len(ladder))

        # Farthest rungs first: asks from the highest price, then bids from the lowest.
        asks = sorted((q for q in quotes if q.side is Side.SELL), key=lambda q: -q.price)
        bids = sorted((q for q in quotes if q.side is Side.BUY), key=lambda q: q.price)
        orders = tuple(OrderRequest(q.side, q.price, q.quantity) for q in asks + bids)
        return Decision(orders=orders, cancel_all=True, probability=probability,
                        reasoning=(f"LMSR price {probability:.3f} at effective position "
                                   f"{effective}: {len(asks)} asks, {len(bids)} bids"),
                        details={"effective_position": effective})


def affordable_ladder(ladder: Sequence[Quote], probability: float, position: int,
                      budget: int) -> list[Quote]:
    """Return the rungs of `ladder` whose total collateral fits `budget` cents.

    Rungs are taken closest to 100 * probability first. A rung that does not fit whole
    is cut to the largest size that fits, and later rungs may still fit when they need
    less collateral per share. The collateral follows `collateral_required`.
    """
    affordable: list[Quote] = []
    for quote in sorted(ladder, key=lambda q: (abs(q.price - PAYOUT * probability), q.price)):
        specs = [(q.side, q.price, q.quantity) for q in affordable]

        def fits(size: int, quote: Quote = quote, specs: list[OrderSpec] = specs) -> bool:
            needed = collateral_required(position, [*specs, (quote.side, quote.price, size)])
            return needed <= budget

        quantity = largest_fitting_quantity(quote.quantity, fits)
        if quantity > 0:
            affordable.append(Quote(quote.side, quote.price, quantity))
    return affordable


class ContrarianControl(BaselineTrader):
    """The control that always trades against the belief it states.

    Its prior, drawn once, is the community probability (0.5 if none) plus
    Normal(0, belief_noise), clipped to [0.01, 0.99]. At each decision, with reference
    m = the mid (else the last trade, else 50 cents), it states a belief at least `gap`
    from m on the prior's side: max(prior, m + gap) if the prior is at or above m,
    else min(prior, m - gap). If that side has no room inside [0.01, 0.99], it uses the
    other side. Above m it sells YES at the best bid, and below m it buys YES at the best
    ask, as an IOC of `quantity` shares cut to the touch size and the cash. It trades
    only if the expected value under the stated belief is at most -3 cents. Otherwise
    it holds and still states the belief.

    NOTE: the IOC limit bounds the fill price only in the direction that helps the
    contrarian. If bids rise (or asks fall) by more than gap minus 2 cents between the
    observation and the order's arrival, a fill may not be contradictory.

    Parameters:
        gap: smallest distance of the stated belief from the reference, in probability
            units, in (0.02, 0.49].
        belief_noise: standard deviation of the noise on the prior, in probability units.
        quantity: order size, in shares (at least 1).
    """

    kind: ClassVar[str] = "contrarian"

    def __init__(self, agent_id: str, rng: np.random.Generator, *, gap: float = 0.15,
                 belief_noise: float = 0.1, quantity: int = 5) -> None:
        super().__init__(agent_id, rng)
        _check_number("gap", gap, 0.02, 0.49, "in (0.02, 0.49]", low_open=True)
        _check_number("belief_noise", belief_noise, 0.0, 1.0, "in [0, 1]")
        _check_integer("quantity", quantity, 1)
        self.gap = float(gap)
        self.belief_noise = float(belief_noise)
        self.quantity = quantity
        self._prior: float | None = None

    def prior(self, question: Question) -> float:
        """Return the noisy prior, drawing it on the first call."""
        if self._prior is None:
            noise = float(self.rng.normal(0.0, self.belief_noise))
            self._prior = _clip(public_prior(question) + noise, STATED_BOUNDS)
        return self._prior

    def static_belief(self, question: Question) -> float:
        return self.prior(question)

    def stated_belief(self, prior: float, reference: float) -> float:
        """Return a belief at least `gap` from `reference` / 100, on the prior's side if it fits."""
        middle = reference / PAYOUT
        low, high = STATED_BOUNDS
        above = max(prior, middle + self.gap)
        below = min(prior, middle - self.gap)
        if prior >= middle:
            return above if above <= high else max(below, low)
        return below if below >= low else min(above, high)

    async def decide(self, observation: Observation) -> Decision:
        reference = reference_price(observation)
        probability = self.stated_belief(self.prior(observation.question), reference)
        book = observation.book

        # Against the belief: sell YES when it states YES is likelier than the market.
        if probability * PAYOUT > reference:
            side, price = Side.SELL, book.best_bid
            touch_quantity = book.bids[0].quantity if book.bids else 0
        else:
            side, price = Side.BUY, book.best_ask
            touch_quantity = book.asks[0].quantity if book.asks else 0

        losing = price is not None and (expected_value(side, price, probability)
                                         <= CONTRARIAN_MAX_EXPECTED_VALUE)
        if not losing:
            return Decision(probability=probability,
                            reasoning=f"control: states {probability:.3f} but no quote to "
                                      f"{side.value} YES at a loss of 3 cents or more")
        quantity = affordable_quantity(observation, side, price,
                                       min(self.quantity, touch_quantity))
        if quantity == 0:
            return Decision(probability=probability,
                            reasoning=f"control: states {probability:.3f} but has no cash to "
                                      f"{side.value} YES at {price}")
        loss = expected_value(side, price, probability)
        return Decision(orders=(OrderRequest(side, price, quantity, kind=OrderKind.IOC),),
                        probability=probability,
                        reasoning=(f"control: states {probability:.3f} and {side.value}s "
                                   f"{quantity} YES at {price}, an expected value of "
                                   f"{loss:.1f} cents per share under that belief"))


BASELINES: dict[str, type[BaselineTrader]] = {
    cls.kind: cls for cls in (KellyTrader, NoiseTrader, InformedTrader, MomentumTrader,
                              MarketMaker, ContrarianControl)
}
"""Every baseline class by its `kind`."""
