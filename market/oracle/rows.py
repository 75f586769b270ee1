"""Event rows as the oracle reads them.

The oracle takes a session's record in either of the two forms the project produces: a
sequence of row objects with the attributes `seq, t, type, agent_id, payload` (the
session kernel's `EventRow`), or a pandas DataFrame with those columns (the session
store's `Store.events`). Mappings with those keys work too. A payload may be a dict or
its JSON text. This module only parses; it does no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pandas as pd

ROW_FIELDS = ("seq", "t", "type", "agent_id", "payload")


@runtime_checkable
class EventRowLike(Protocol):
    """Any object with the five fields of a recorded event."""

    seq: int
    t: float
    type: str
    agent_id: str | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Row:
    """One event of a session's record, normalised: payload parsed, missing agent as None."""

    seq: int
    t: float
    type: str
    agent_id: str | None
    payload: Mapping[str, Any]


RowsInput = pd.DataFrame | Iterable[EventRowLike] | Iterable[Mapping[str, Any]]
"""A session's record: a DataFrame with the five columns, or an iterable of rows."""


def to_row(row: EventRowLike | Mapping[str, Any] | Row) -> Row:
    """Normalise one event row; raise ValueError naming the field that is missing or invalid."""
    if isinstance(row, Row):
        return row
    if isinstance(row, Mapping):
        missing = [name for name in ROW_FIELDS if name not in row]
        if missing:
            raise ValueError(f"event row {dict(row)!r} has no {', '.join(missing)}: pass rows "
                             f"with the fields {', '.join(ROW_FIELDS)}")
        values = [row[name] for name in ROW_FIELDS]
    else:
        missing = [name for name in ROW_FIELDS if not hasattr(row, name)]
        if missing:
            raise ValueError(f"event row {row!r} has no {', '.join(missing)}: pass rows with "
                             f"the fields {', '.join(ROW_FIELDS)}")
        values = [getattr(row, name) for name in ROW_FIELDS]
    seq, t, event_type, agent_id, payload = values
    return Row(int(seq), float(t), str(event_type), _agent_id(agent_id), _payload(payload, seq))


def to_rows(rows: RowsInput) -> list[Row]:
    """Normalise a session's record and return its rows in seq order.

    Raises ValueError when two rows share a seq, because the record is then not one
    session's (pass each session's rows separately).
    """
    if isinstance(rows, pd.DataFrame):
        missing = [name for name in ROW_FIELDS if name not in rows.columns]
        if missing:
            raise ValueError(f"event frame has no column {', '.join(missing)}: pass the frame "
                             "from Store.events or one with the columns "
                             f"{', '.join(ROW_FIELDS)}")
        records = rows[list(ROW_FIELDS)].to_dict("records")
        normalised = [to_row(record) for record in records]
    else:
        normalised = [to_row(row) for row in rows]

    normalised.sort(key=lambda row: row.seq)
    for previous, current in zip(normalised, normalised[1:], strict=False):
        if previous.seq == current.seq:
            raise ValueError(f"two event rows have seq {current.seq}: pass one session's "
                             "rows at a time")
    return normalised


def _agent_id(value: object) -> str | None:
    # The store returns NULL as None, and pandas may turn it into NaN.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text or None


def _payload(value: object, seq: object) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"event row {seq}: payload is not valid JSON ({error}): pass "
                             "the payload as a dict or its JSON text") from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"event row {seq}: payload {value!r} is invalid: pass a dict")
    return value
