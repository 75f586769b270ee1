"""The event record of a session: an ordered list of rows, optionally streamed to a sink."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from market.oracle.rows import Row

_PAYLOAD_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
"""One encoder for every payload: `json.dumps` with these options builds a new one per call."""


@dataclass(frozen=True, slots=True)
class EventRow(Row):
    """One row of the record: sequence number, simulated time, type, agent, JSON payload.

    An EventRow is the oracle's normalised `Row`, so the live oracle reads it without a
    copy. Code that builds one directly must keep that form: `seq` an int, `t` a float,
    `agent_id` None or a non-empty string, `payload` a dict. `Recorder.record` ensures it
    for the kernel's rows.
    """

    def to_json(self) -> str:
        return _PAYLOAD_ENCODER.encode(self.payload)


class EventSink(Protocol):
    """Receives rows in batches while a session runs (the session store implements it)."""

    def write_events(self, session_id: str, rows: list[EventRow]) -> None: ...


class Recorder:
    """Collects a session's events and forwards them to the sink every `batch_size` rows."""

    def __init__(self, session_id: str, sink: EventSink | None = None,
                 batch_size: int = 2000) -> None:
        self.session_id = session_id
        self.rows: list[EventRow] = []
        self._sink = sink
        self._batch_size = batch_size
        self._flushed = 0

    def record(self, t: float, event_type: str, agent_id: str | None,
               payload: dict[str, object]) -> EventRow:
        row = EventRow(len(self.rows), float(t), event_type, agent_id or None, payload)
        self.rows.append(row)
        if self._sink is not None and len(self.rows) - self._flushed >= self._batch_size:
            self.flush()
        return row

    def flush(self) -> None:
        if self._sink is None or self._flushed == len(self.rows):
            return
        self._sink.write_events(self.session_id, self.rows[self._flushed:])
        self._flushed = len(self.rows)


def record_digest(rows: list[EventRow]) -> str:
    """Return a SHA-256 digest of a record (sequence, time, type, agent, payload of every row)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.seq}|{row.t!r}|{row.type}|{row.agent_id}|{row.to_json()}\n".encode())
    return digest.hexdigest()
