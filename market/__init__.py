"""The exchange: order book, ledger, settlement, LMSR market maker pricing, belief oracle.

This package is synchronous and pure: no simulation clock, no I/O, no randomness.
"""

from market.events import (
    Accepted,
    AccountOpened,
    Cancelled,
    Event,
    Rejected,
    Replaced,
    Settled,
    Trade,
    event_payload,
)
from market.exchange import Exchange, InvariantError
from market.lmsr import Quote, lmsr_ladder, lmsr_price, worst_case_loss
from market.types import (
    PAYOUT,
    BookLevel,
    CancelReason,
    Contract,
    L2Snapshot,
    OpenOrder,
    OrderKind,
    Outcome,
    RejectReason,
    Side,
    to_yes_order,
)

__all__ = [
    "PAYOUT", "AccountOpened", "Accepted", "BookLevel", "CancelReason", "Cancelled", "Contract",
    "Event", "Exchange", "InvariantError", "L2Snapshot", "OpenOrder", "OrderKind", "Outcome",
    "Quote", "RejectReason", "Rejected", "Replaced", "Settled", "Side", "Trade",
    "event_payload", "lmsr_ladder", "lmsr_price", "to_yes_order", "worst_case_loss",
]
