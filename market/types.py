"""Units and order types of the exchange.

Prices are integer ticks of a YES share (1..99, one tick is one cent). A YES share
pays 100 cents if the question resolves YES and 0 otherwise, so a NO share bought at
q cents is the same as a YES share sold at 100 - q. Cash is integer cents and
quantities are integer shares. Floats never hold money in this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PAYOUT = 100
"""Cents paid per winning share at settlement."""

MIN_PRICE = 1
MAX_PRICE = 99


class Side(StrEnum):
    """Side of an order on the YES book."""

    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class Contract(StrEnum):
    """The share an order names: YES, or NO (which the book handles as YES)."""

    YES = "yes"
    NO = "no"


class OrderKind(StrEnum):
    """Time in force of an order.

    LIMIT rests until filled or cancelled (good-till-cancel). IOC matches what it can
    at its limit price or better and cancels the rest. MARKET is an IOC whose limit is
    a worst-price bound (99 for a buy and 1 for a sell when none is given).
    """

    LIMIT = "limit"
    IOC = "ioc"
    MARKET = "market"


class Outcome(StrEnum):
    """How a question resolved. ANNULLED unwinds every agent to its starting cash."""

    YES = "yes"
    NO = "no"
    ANNULLED = "annulled"


class RejectReason(StrEnum):
    """Machine-readable reason codes carried by rejection events."""

    INVALID_PRICE = "invalid_price"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_SIDE = "invalid_side"
    INVALID_KIND = "invalid_kind"
    UNKNOWN_AGENT = "unknown_agent"
    DUPLICATE_AGENT = "duplicate_agent"
    INVALID_CASH = "invalid_cash"
    INSUFFICIENT_COLLATERAL = "insufficient_collateral"
    UNKNOWN_ORDER = "unknown_order"
    NOT_OWNER = "not_owner"
    MARKET_CLOSED = "market_closed"


class CancelReason(StrEnum):
    """Why a resting or incoming order stopped without filling completely."""

    REQUESTED = "requested"
    SELF_TRADE = "self_trade"
    IOC_REMAINDER = "ioc_remainder"
    MAKER_UNCOVERED = "maker_uncovered"
    SETTLEMENT = "settlement"
    REPLACED = "replaced"


def to_yes_order(contract: Contract, side: Side, price: int) -> tuple[Side, int]:
    """Translate an order on either contract into the side and price on the YES book.

    Buying NO at q is selling YES at 100 - q, and selling NO at q is buying YES at
    100 - q.
    """
    if contract is Contract.YES:
        return side, price
    return side.opposite, PAYOUT - price


def is_valid_price(price: object) -> bool:
    """Return True for an int (not bool) tick in 1..99."""
    return type(price) is int and MIN_PRICE <= price <= MAX_PRICE


def is_valid_quantity(quantity: object) -> bool:
    """Return True for an int (not bool) share count above zero."""
    return type(quantity) is int and quantity > 0


@dataclass(frozen=True, slots=True)
class BookLevel:
    """Aggregated resting quantity at one price."""

    price: int
    quantity: int
    orders: int


@dataclass(frozen=True, slots=True)
class L2Snapshot:
    """Aggregated depth of the book, best prices first on each side."""

    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]

    @property
    def best_bid(self) -> int | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> int | None:
        return self.asks[0].price if self.asks else None


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """A resting order as its owner sees it."""

    order_id: int
    side: Side
    price: int
    quantity: int
    original_quantity: int
