"""Events returned by every exchange call.

Each call on the exchange returns the list of events it caused, in order. Events are
plain frozen dataclasses; `event_payload` turns one into a JSON-ready dict for the
session store.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from market.types import CancelReason, OrderKind, Outcome, RejectReason, Side


@dataclass(frozen=True, slots=True)
class AccountOpened:
    type: ClassVar[str] = "account_opened"
    agent_id: str
    cash: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """An order passed validation and collateral checks and entered matching."""

    type: ClassVar[str] = "accepted"
    order_id: int
    agent_id: str
    side: Side
    price: int
    quantity: int
    kind: OrderKind


@dataclass(frozen=True, slots=True)
class Rejected:
    """A request that changed nothing, with a reason code and a readable message."""

    type: ClassVar[str] = "rejected"
    agent_id: str
    reason: RejectReason
    message: str
    order_id: int | None = None


@dataclass(frozen=True, slots=True)
class Trade:
    """A fill between a resting maker order and an incoming taker order.

    It always prints at the maker's price. `minted` counts the YES/NO pairs created by
    this fill (both sides opening) and `merged` the pairs redeemed (both sides closing).
    """

    type: ClassVar[str] = "trade"
    maker_order_id: int
    taker_order_id: int
    maker_id: str
    taker_id: str
    taker_side: Side
    price: int
    quantity: int
    minted: int
    merged: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    """An order left the book with `quantity` shares unfilled."""

    type: ClassVar[str] = "cancelled"
    order_id: int
    agent_id: str
    quantity: int
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class Replaced:
    """A resting order changed price or size; `kept_priority` says if it kept its place."""

    type: ClassVar[str] = "replaced"
    order_id: int
    agent_id: str
    price: int
    quantity: int
    kept_priority: bool


@dataclass(frozen=True, slots=True)
class Settled:
    """One agent's settlement: its final position, the payout and its resulting cash."""

    type: ClassVar[str] = "settled"
    agent_id: str
    outcome: Outcome
    position: int
    payout: int
    cash: int
    pnl: int


Event = AccountOpened | Accepted | Rejected | Trade | Cancelled | Replaced | Settled


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def event_payload(event: Event) -> dict[str, object]:
    """Return the event's fields as a JSON-ready dict (enums become their string values)."""
    names = _FIELD_NAMES.get(type(event))
    if names is None:
        names = _FIELD_NAMES[type(event)] = tuple(f.name for f in fields(event))
    payload: dict[str, object] = {}
    for name in names:
        value = getattr(event, name)
        payload[name] = str(value) if isinstance(value, str) else value
    return payload
